// Hardhat configuration for automat's local test node: `automat-hardhat` runs `hardhat node` in this
// folder. Contracts are compiled by scripts/compile.js (pinned solc-js), not by Hardhat; this file only
// pins the in-process network. Accounts come from Hardhat's default mnemonic
// ("test test test test test test test test test test test junk"), the same the embedded devnet funds.
module.exports = {
  solidity: "0.8.30",
  paths: { sources: "./src" },
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: "cancun",
      mining: { auto: true, interval: 0 },
      // Answer a failing eth_sendRawTransaction with its hash, like other nodes, not with an error
      // (the transaction is mined either way); eth_call and eth_estimateGas still report reverts.
      throwOnTransactionFailures: false,
      throwOnCallFailures: true,
      // `hardhat node` logs every request and decoded trace by default; the log is only read when
      // the node fails to start, and the logging costs benchmarks dearly.
      loggingEnabled: false,
    },
  },
};
