// Verifies Groth16 proofs with snarkjs (npm), a verifier we did not write, for automat-zk's interop tests.
//
// usage: node groth16_verify.js <node_modules dir>
// stdin: JSON array of {vk, public, proof} (snarkjs JSON formats); stdout: JSON array of booleans.
"use strict";
const path = require("path");

async function main() {
  const modules = process.argv[2];
  if (!modules) throw new Error("usage: node groth16_verify.js <node_modules dir>");
  const snarkjs = require(path.join(modules, "snarkjs"));
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const results = [];
  for (const c of cases) {
    let ok;
    try {
      ok = (await snarkjs.groth16.verify(c.vk, c.public, c.proof)) === true;
    } catch (e) {
      ok = false; // malformed input: not a valid proof
    }
    results.push(ok);
  }
  process.stdout.write(JSON.stringify(results));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
