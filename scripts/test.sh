#!/usr/bin/env bash
# Runs every test of the repository:
#   1. installs the pinned npm packages (solc, OpenZeppelin, Hardhat) into contracts/node_modules when
#      they are missing or older than the lock file;
#   2. recompiles every contract in memory and fails if the committed artifacts in contracts/out differ;
#   3. runs the whole Rust workspace's tests, including the suite against a Hardhat node on loopback.
# Extra arguments go to `cargo test`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "error: node and npm are required (Debian/Ubuntu: apt-get install nodejs npm)" >&2
  exit 1
fi
lock="$root/contracts/package-lock.json"
installed="$root/contracts/node_modules/.package-lock.json"
if [ ! -f "$installed" ] || [ "$lock" -nt "$installed" ]; then
  npm ci --prefix "$root/contracts" --no-audit --no-fund
fi
node "$root/contracts/scripts/compile.js" --check
cd "$root"
cargo test --workspace "$@"
