// Prints circomlibjs Poseidon hashes, an implementation independent of ours, for automat-zk's cross-check.
//
// usage: node poseidon.js <node_modules dir>   (stdin: JSON array of input arrays, decimal strings)
// stdout: JSON array of the hashes, decimal strings, in the same order.
"use strict";
const path = require("path");

async function main() {
  const modules = process.argv[2];
  if (!modules) throw new Error("usage: node poseidon.js <node_modules dir>");
  const { buildPoseidon } = require(path.join(modules, "circomlibjs"));
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const inputs = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const poseidon = await buildPoseidon();
  const out = inputs.map((args) => poseidon.F.toString(poseidon(args.map((x) => BigInt(x)))));
  process.stdout.write(JSON.stringify(out));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
