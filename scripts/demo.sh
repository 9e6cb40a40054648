#!/usr/bin/env bash
# The README's first command: builds what the demo shows and nothing else
# (a release dfs-run and the `demo` guest, side by side), then runs the demo
# guest with ./sandbox preopened as /sandbox, and shows what it left on the
# host. ./scripts/test.sh reuses the same release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS
say() { printf '[demo %4ss] %s\n' "$((SECONDS - start))" "$*" >&2; }

say "building the demo guest (sets up the wasm32-wasip2 toolchain first if needed), in the background"
guest_log=$(mktemp)
./scripts/build-guests.sh --bin demo >"$guest_log" 2>&1 &
guest_pid=$!

say "building dfs-run (release): wasmtime is most of it, a few minutes on a fresh clone"
cargo build --locked --release --bin dfs-run

if ! wait "$guest_pid"; then
    cat "$guest_log" >&2
    say "building the demo guest failed"
    exit 1
fi
guests=$(tail -n 1 "$guest_log")
rm -f "$guest_log"
say "built in $((SECONDS - start)) s; running the demo"

mkdir -p sandbox
echo "\$ dfs-run --dir sandbox::/sandbox $guests/demo.wasm" >&2
target/release/dfs-run --dir sandbox::/sandbox "$guests/demo.wasm"
echo
echo "on the host, sandbox/notes:"
ls -l sandbox/notes
