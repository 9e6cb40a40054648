#!/usr/bin/env bash
# Builds the official WASI test suite's preview 1 Rust programs vendored in
# conformance/wasi-testsuite (tests/conformance.rs runs them) for
# wasm32-wasip1, and prints the directory holding NAME.wasm and NAME.json
# (the suite's spec of the run: a preopened root or none). Idempotent;
# GUEST_TARGET_DIR overrides where they go (default guests/target).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${GUEST_TARGET_DIR:-$root/guests/target}
out="$target_dir/conformance"
mkdir -p "$out"
log() { printf '[build-conformance] %s\n' "$*" >&2; }
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
    log "rustup target add wasm32-wasip1"
    timeout 300 rustup target add wasm32-wasip1 >&2
fi
suite="$root/conformance/wasi-testsuite"
# The suite's code is kept as it came: its warnings are not ours (shown only
# if the build fails).
if ! log_text=$(cargo build --quiet --locked --release --target wasm32-wasip1 \
    --manifest-path "$suite/Cargo.toml" --target-dir "$target_dir/conformance-build" 2>&1); then
    printf '%s\n' "$log_text" >&2
    exit 1
fi
for src in "$suite"/src/bin/*.rs; do
    name=$(basename "$src" .rs)
    cp "$target_dir/conformance-build/wasm32-wasip1/release/$name.wasm" "$out/"
    if [ -f "$suite/src/bin/$name.json" ]; then
        cp "$suite/src/bin/$name.json" "$out/"
    fi
done
echo "$out"
