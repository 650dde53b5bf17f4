// Compiles Solidity with the pinned solc-js and runs calls against Hardhat's in-process EVM (both from
// contracts/node_modules), for automat-zk's tests of generated Solidity. Run with cwd = contracts/ so Hardhat
// loads contracts/hardhat.config.js.
//
// usage: node evm.js <node_modules dir>
// stdin:  {"sources": {"File.sol": "..."},
//          "deploy": ["Contract" | {"contract": "C", "args": ["0x..", ...], "as": "Alias", "mayFail": bool}, ...],
//          "calls": [{"contract": "C", "sig": "f(uint256,uint256)", "args": ["1", "2"]}]}
//          (arguments are static: every one is one 32-byte word, given as a decimal string)
//          (constructor args are static words, decimal or 0x-hex, appended to the creation code; "as" names the
//          instance for calls, default the contract name; a "mayFail" deployment that reverts is reported in
//          "deployed" instead of aborting)
// stdout: {"errors": [...], "results": [{"ok": bool, "words": ["dec", ...], "revert": "0x...", "gas": n,
//          "intrinsic": n}], "sizes": {...}, "deployed": {"Alias": bool}}
//          (gas: eth_estimateGas of the call as a transaction; intrinsic: its 21,000 + calldata part)
"use strict";
const path = require("path");

const word = (x) => BigInt(x).toString(16).padStart(64, "0");

async function main() {
  const modules = process.argv[2];
  if (!modules) throw new Error("usage: node evm.js <node_modules dir>");
  const solc = require(path.join(modules, "solc"));
  const hre = require(path.join(modules, "hardhat"));
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const job = JSON.parse(Buffer.concat(chunks).toString("utf8"));

  const input = {
    language: "Solidity",
    sources: Object.fromEntries(Object.entries(job.sources).map(([k, v]) => [k, { content: v }])),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["evm.bytecode.object", "evm.methodIdentifiers"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error").map((e) => e.formattedMessage);
  if (errors.length) {
    process.stdout.write(JSON.stringify({ errors, results: [] }));
    return;
  }
  const contracts = {};
  for (const file of Object.values(output.contracts)) Object.assign(contracts, file);

  const provider = hre.network.provider;
  const [from] = await provider.request({ method: "eth_accounts" });
  const addresses = {};
  const sizes = {};
  const deployed = {};
  const kinds = {};
  for (const item of job.deploy) {
    const spec = typeof item === "string" ? { contract: item } : item;
    const name = spec.contract;
    const alias = spec.as || name;
    if (!contracts[name]) throw new Error(`no contract ${name}`);
    const bytecode = "0x" + contracts[name].evm.bytecode.object + (spec.args || []).map(word).join("");
    const hash = await provider.request({
      method: "eth_sendTransaction",
      params: [{ from, data: bytecode, gas: "0x1c9c380" }],
    });
    const receipt = await provider.request({ method: "eth_getTransactionReceipt", params: [hash] });
    const ok = !!(receipt && receipt.status === "0x1" && receipt.contractAddress);
    deployed[alias] = ok;
    if (!ok) {
      if (spec.mayFail) continue;
      throw new Error(`deploying ${alias} failed (init code ${(bytecode.length - 2) / 2} bytes)`);
    }
    addresses[alias] = receipt.contractAddress;
    kinds[alias] = name;
    const code = await provider.request({ method: "eth_getCode", params: [receipt.contractAddress, "latest"] });
    sizes[alias] = (code.length - 2) / 2;
  }

  const results = [];
  for (const call of job.calls) {
    if (!addresses[call.contract]) throw new Error(`no deployed instance ${call.contract}`);
    const selector = contracts[kinds[call.contract]].evm.methodIdentifiers[call.sig];
    if (!selector) throw new Error(`no method ${call.sig} in ${call.contract}`);
    const data = "0x" + selector + call.args.map(word).join("");
    const tx = { from, to: addresses[call.contract], data };
    try {
      const ret = await provider.request({ method: "eth_call", params: [tx, "latest"] });
      const hex = ret.slice(2);
      const words = [];
      for (let i = 0; i + 64 <= hex.length; i += 64) words.push(BigInt("0x" + hex.slice(i, i + 64)).toString());
      const gas = Number(await provider.request({ method: "eth_estimateGas", params: [tx] }));
      let intrinsic = 21000;
      for (let i = 2; i < data.length; i += 2) intrinsic += data.slice(i, i + 2) === "00" ? 4 : 16;
      results.push({ ok: true, words, revert: null, gas, intrinsic });
    } catch (e) {
      const revert = (e && (e.data && (e.data.data || e.data))) || null;
      results.push({ ok: false, words: [], revert: typeof revert === "string" ? revert : null, gas: null, intrinsic: null });
    }
  }
  process.stdout.write(JSON.stringify({ errors: [], results, sizes, deployed }));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
