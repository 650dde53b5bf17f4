// Hardhat configuration for automat's local test node (`automat-hardhat` starts `hardhat node` here).
// Contracts are compiled by scripts/compile.js (pinned solc-js), not by Hardhat; this file only pins
// the in-process network: chain id 31337, the Cancun hardfork, automine, and Hardhat's default
// mnemonic ("test test ... junk"), so the node prefunds the same accounts as the embedded devnet.
module.exports = {
  solidity: "0.8.30",
  paths: { sources: "./src" },
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: "cancun",
      mining: { auto: true },
    },
  },
};
