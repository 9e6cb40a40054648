#!/usr/bin/env bash
# The README's first command: sets up the guest toolchain, builds the guest
# programs and dfs-run, then runs the demo guest with ./sandbox preopened as
# /sandbox, and shows what it left on the host.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
guests=$(./scripts/build-guests.sh)
mkdir -p sandbox
echo "\$ dfs-run --dir sandbox::/sandbox $guests/demo.wasm" >&2
cargo run --locked --quiet --bin dfs-run -- --dir sandbox::/sandbox "$guests/demo.wasm"
echo
echo "on the host, sandbox/notes:"
ls -l sandbox/notes
