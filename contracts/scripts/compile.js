#!/usr/bin/env node
// Compiles every .sol under contracts/src with the solc-js pinned in package.json and writes one
// Hardhat-format artifact per contract under contracts/out/<path under src>/<Contract>.json, plus
// out/manifest.json recording the compiler and the sha256 of every source unit that went in.
//
//   node scripts/compile.js           rebuild out/ (stale artifacts of deleted sources are removed)
//   node scripts/compile.js --check   compile in memory, exit 1 if out/ differs from what it would write
//
// Imports resolve from this folder first, then from node_modules (so `@openzeppelin/...` and
// `@layerzerolabs/...` work as they do in Hardhat and Foundry).
//
// The messaging protocols are not compiled here: their contracts are deployed from the build artifacts the
// protocols publish on npm (pinned in package.json), copied as they are (ABI, creation and runtime bytecode)
// into out/protocols/<protocol>/<Contract>.json with the package, version and the sha256 of the file they
// came from. LayerZero publishes Hardhat artifacts; Hyperlane ships its ABI and bytecode in the typechain
// factories of @hyperlane-xyz/core, which are read as text (they import ethers, which we do not need).
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const vm = require('vm');
const solc = require('solc');

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');
const OUT = path.join(ROOT, 'out');
const NODE_MODULES = path.join(ROOT, 'node_modules');

/// Compiler settings shared by every contract. Changing them changes every artifact.
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  metadata: { bytecodeHash: 'none', appendCBOR: false },
  outputSelection: {
    '*': {
      '': ['ast'],
      '*': [
        'abi',
        'evm.bytecode.object',
        'evm.bytecode.linkReferences',
        'evm.deployedBytecode.object',
        'evm.deployedBytecode.linkReferences',
      ],
    },
  },
};

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

/// Published protocol artifacts deployed as they are: out path -> [npm package, file inside the package].
const LZ_PROTOCOL = '@layerzerolabs/lz-evm-protocol-v2';
const LZ_MESSAGELIB = '@layerzerolabs/lz-evm-messagelib-v2';
const HYPERLANE = '@hyperlane-xyz/core';
const HL_FACTORIES = 'dist/typechain/factories/contracts';
const PUBLISHED = {
  'protocols/layerzero/EndpointV2': [LZ_PROTOCOL, 'artifacts/contracts/EndpointV2.sol/EndpointV2.json'],
  'protocols/layerzero/SendUln302': [LZ_MESSAGELIB, 'artifacts/contracts/uln/uln302/SendUln302.sol/SendUln302.json'],
  'protocols/layerzero/ReceiveUln302': [
    LZ_MESSAGELIB,
    'artifacts/contracts/uln/uln302/ReceiveUln302.sol/ReceiveUln302.json',
  ],
  'protocols/layerzero/PriceFeed': [LZ_MESSAGELIB, 'artifacts/contracts/PriceFeed.sol/PriceFeed.json'],
  'protocols/layerzero/Treasury': [LZ_MESSAGELIB, 'artifacts/contracts/Treasury.sol/Treasury.json'],
  'protocols/layerzero/Executor': [LZ_MESSAGELIB, 'artifacts/contracts/Executor.sol/Executor.json'],
  'protocols/layerzero/ExecutorFeeLib': [LZ_MESSAGELIB, 'artifacts/contracts/ExecutorFeeLib.sol/ExecutorFeeLib.json'],
  'protocols/layerzero/DVN': [LZ_MESSAGELIB, 'artifacts/contracts/uln/dvn/DVN.sol/DVN.json'],
  'protocols/layerzero/DVNFeeLib': [LZ_MESSAGELIB, 'artifacts/contracts/uln/dvn/DVNFeeLib.sol/DVNFeeLib.json'],
  'protocols/hyperlane/Mailbox': [HYPERLANE, `${HL_FACTORIES}/Mailbox__factory.js`],
  'protocols/hyperlane/MerkleTreeHook': [HYPERLANE, `${HL_FACTORIES}/hooks/MerkleTreeHook__factory.js`],
  'protocols/hyperlane/ProtocolFee': [HYPERLANE, `${HL_FACTORIES}/hooks/ProtocolFee__factory.js`],
  'protocols/hyperlane/StaticMessageIdMultisigIsmFactory': [
    HYPERLANE,
    `${HL_FACTORIES}/isms/multisig/StaticMultisigIsm.sol/StaticMessageIdMultisigIsmFactory__factory.js`,
  ],
  'protocols/hyperlane/StaticMessageIdMultisigIsm': [
    HYPERLANE,
    `${HL_FACTORIES}/isms/multisig/StaticMultisigIsm.sol/StaticMessageIdMultisigIsm__factory.js`,
  ],
  'protocols/hyperlane/ValidatorAnnounce': [HYPERLANE, `${HL_FACTORIES}/isms/multisig/ValidatorAnnounce__factory.js`],
};

/// ABI and bytecode out of a typechain factory module, without running it: `const _abi = [...]` is a JS
/// literal (evaluated in an empty context), `const _bytecode = "0x..."` a string.
function readTypechainFactory(text, file) {
  const abiStart = text.indexOf('const _abi = ');
  const abiEnd = text.indexOf(';\nconst _bytecode', abiStart);
  const bytecode = /const _bytecode = "(0x[0-9a-fA-F]*)"/.exec(text);
  if (abiStart < 0 || abiEnd < 0 || !bytecode) throw new Error(`${file}: not a typechain factory with _abi and _bytecode`);
  const abi = vm.runInNewContext(`(${text.slice(abiStart + 'const _abi = '.length, abiEnd)})`, {});
  // Typechain factories carry creation code only; the runtime code is what the deployment returns.
  return { abi: JSON.parse(JSON.stringify(abi)), bytecode: bytecode[1], deployedBytecode: '0x' };
}

function importPublished() {
  const written = {};
  for (const [rel, [pkg, file]] of Object.entries(PUBLISHED)) {
    const pkgDir = path.join(NODE_MODULES, pkg);
    const full = path.join(pkgDir, file);
    if (!fs.existsSync(full)) throw new Error(`${pkg}/${file} not found (run npm ci in contracts/)`);
    const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
    const text = fs.readFileSync(full, 'utf8');
    let parts;
    if (file.endsWith('.json')) {
      const hh = JSON.parse(text);
      const links = Object.keys(hh.linkReferences || {}).length + Object.keys(hh.deployedLinkReferences || {}).length;
      if (links > 0) throw new Error(`${pkg}/${file} needs library linking, which is not supported`);
      parts = { abi: hh.abi, bytecode: hh.bytecode, deployedBytecode: hh.deployedBytecode };
    } else {
      parts = readTypechainFactory(text, `${pkg}/${file}`);
      if (parts.bytecode.includes('__$')) throw new Error(`${pkg}/${file} needs library linking, which is not supported`);
    }
    const artifact = {
      _format: 'hh-sol-artifact-1',
      contractName: path.basename(rel),
      sourceName: `${pkg}/${file}`,
      abi: parts.abi,
      bytecode: parts.bytecode,
      deployedBytecode: parts.deployedBytecode,
      linkReferences: {},
      deployedLinkReferences: {},
      published: { package: pkg, version, file, sha256: sha256(text) },
    };
    written[`${rel}.json`] = JSON.stringify(artifact, null, 2) + '\n';
  }
  return written;
}

function listSolidity(dir) {
  if (!fs.existsSync(dir)) return [];
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listSolidity(full));
    else if (entry.name.endsWith('.sol')) found.push(full);
  }
  return found.sort();
}

/// Source unit name -> file on disk: the contracts folder first, then node_modules.
function resolveImport(unit) {
  for (const base of [ROOT, NODE_MODULES]) {
    const candidate = path.join(base, unit);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

function compile() {
  const files = listSolidity(SRC);
  if (files.length === 0) throw new Error(`no .sol files under ${SRC}`);
  const sources = {};
  for (const file of files) {
    const unit = path.relative(ROOT, file).split(path.sep).join('/');
    sources[unit] = { content: fs.readFileSync(file, 'utf8') };
  }
  const contents = {};
  for (const [unit, { content }] of Object.entries(sources)) contents[unit] = content;

  const findImports = (unit) => {
    const file = resolveImport(unit);
    if (!file) {
      return { error: `import "${unit}" not found under contracts/ or contracts/node_modules (run npm ci in contracts/)` };
    }
    const content = fs.readFileSync(file, 'utf8');
    contents[unit] = content;
    return { contents: content };
  };

  const input = { language: 'Solidity', sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) {
    if (e.severity !== 'error') process.stderr.write(`${e.formattedMessage}\n`);
  }
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(`${e.formattedMessage}\n`);
    throw new Error(`solc reported ${errors.length} error(s)`);
  }

  // Import graph from the ASTs, to record each artifact's full source closure.
  const imports = {};
  for (const [unit, out] of Object.entries(output.sources)) {
    imports[unit] = (out.ast.nodes || [])
      .filter((n) => n.nodeType === 'ImportDirective')
      .map((n) => n.absolutePath);
  }
  const closure = (unit) => {
    const seen = new Set();
    const stack = [unit];
    while (stack.length) {
      const next = stack.pop();
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(imports[next] || []));
    }
    return [...seen].sort();
  };

  const solcVersion = solc.version();
  const settings = { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion, metadata: SETTINGS.metadata };
  const written = {};
  for (const unit of Object.keys(sources)) {
    const deps = {};
    for (const dep of closure(unit)) deps[dep] = sha256(contents[dep]);
    const rel = unit.replace(/^src\//, '');
    for (const [name, c] of Object.entries(output.contracts[unit] || {})) {
      const artifact = {
        _format: 'hh-sol-artifact-1',
        contractName: name,
        sourceName: unit,
        abi: c.abi,
        bytecode: '0x' + c.evm.bytecode.object,
        deployedBytecode: '0x' + c.evm.deployedBytecode.object,
        linkReferences: c.evm.bytecode.linkReferences,
        deployedLinkReferences: c.evm.deployedBytecode.linkReferences,
        solcVersion,
        settings,
        sourceHash: deps[unit],
        sources: deps,
      };
      written[path.join(rel, `${name}.json`)] = JSON.stringify(artifact, null, 2) + '\n';
    }
  }
  const manifestSources = {};
  for (const unit of Object.keys(contents).sort()) manifestSources[unit] = sha256(contents[unit]);
  const published = importPublished();
  const publishedManifest = {};
  for (const [rel, text] of Object.entries(published)) {
    written[rel] = text;
    publishedManifest[rel] = JSON.parse(text).published;
  }
  written['manifest.json'] =
    JSON.stringify({ solcVersion, settings, sources: manifestSources, published: publishedManifest }, null, 2) + '\n';
  return written;
}

function listOut(dir, prefix = '') {
  if (!fs.existsSync(dir)) return [];
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) found.push(...listOut(path.join(dir, entry.name), rel));
    else found.push(rel);
  }
  return found.sort();
}

function main() {
  const check = process.argv.includes('--check');
  const written = compile();
  if (check) {
    const problems = [];
    for (const [rel, text] of Object.entries(written)) {
      const file = path.join(OUT, rel);
      if (!fs.existsSync(file)) problems.push(`missing: out/${rel}`);
      else if (fs.readFileSync(file, 'utf8') !== text) problems.push(`stale: out/${rel}`);
    }
    for (const rel of listOut(OUT)) if (!(rel in written)) problems.push(`orphaned: out/${rel}`);
    if (problems.length) {
      process.stderr.write(problems.join('\n') + '\nartifacts are out of date: run `npm run build` in contracts/ and commit out/\n');
      process.exit(1);
    }
    console.log(`contracts/out is up to date (${Object.keys(written).length - 1} artifacts)`);
    return;
  }
  fs.rmSync(OUT, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(written)) {
    const file = path.join(OUT, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  console.log(`wrote ${Object.keys(written).length - 1} artifacts to contracts/out (solc ${solc.version()})`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`compile failed: ${err.message}\n`);
  process.exit(1);
}
