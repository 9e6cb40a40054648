#!/usr/bin/env bash
# Builds the official WASI test suite's programs vendored in
# conformance/wasi-testsuite (tests/conformance.rs runs them): the preview 1
# ones for wasm32-wasip1, the WASI 0.3 filesystem ones as components (by
# the guest toolchain, scripts/setup-guest-toolchain.sh); and wasmtime's own
# preview 1 test programs (conformance/wasmtime-test-programs). Prints the
# directory holding wasip1/ and wasip3/, each with NAME.wasm, NAME.json (the
# suite's spec of the run: a preopened root or none) and fs-tests.dir (the
# root's contents), and wasmtime-p1/ (NAME.wasm). Idempotent; GUEST_TARGET_DIR overrides where they go
# (default guests/target).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${GUEST_TARGET_DIR:-$root/guests/target}
out="$target_dir/conformance"
build="$target_dir/conformance-build"
suite="$root/conformance/wasi-testsuite"
log() { printf '[build-conformance] %s\n' "$*" >&2; }

# The suite's code is kept as it came: its warnings are not ours (shown
# only if the build fails).
quiet() {
    local text
    if ! text=$("$@" 2>&1); then
        printf '%s\n' "$text" >&2
        exit 1
    fi
}

# Copies the programs of $1 (wasm32-wasip1, wasm32-wasip3), built in $2, to
# $out/$3.
collect() {
    local src="$suite/$1/src/bin" dest="$out/$3"
    rm -rf "$dest"
    mkdir -p "$dest"
    cp -r "$src/fs-tests.dir" "$dest/"
    rm -f "$dest/fs-tests.dir/.keep"
    for rs in "$src"/*.rs; do
        name=$(basename "$rs" .rs)
        cp "$2/$name.wasm" "$dest/"
        if [ -f "$src/$name.json" ]; then cp "$src/$name.json" "$dest/"; fi
    done
}

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
    log "rustup target add wasm32-wasip1"
    timeout 300 rustup target add wasm32-wasip1 >&2
fi
quiet cargo build --locked --release --target wasm32-wasip1 \
    --manifest-path "$suite/wasm32-wasip1/Cargo.toml" --target-dir "$build"
collect wasm32-wasip1 "$build/wasm32-wasip1/release" wasip1

# wasmtime's own preview 1 test programs (conformance/wasmtime-test-programs).
programs="$root/conformance/wasmtime-test-programs"
quiet cargo build --locked --release --target wasm32-wasip1 \
    --manifest-path "$programs/Cargo.toml" --target-dir "$build"
rm -rf "$out/wasmtime-p1"
mkdir -p "$out/wasmtime-p1"
for rs in "$programs"/src/bin/*.rs; do
    cp "$build/wasm32-wasip1/release/$(basename "$rs" .rs).wasm" "$out/wasmtime-p1/"
done

"$root/scripts/setup-guest-toolchain.sh"
wrapper="${DIRECTFS_TOOLCHAIN:-$HOME/.cache/directfs-wasip2}/guest-cargo"
quiet "$wrapper" build --locked --release \
    --manifest-path "$suite/wasm32-wasip3/Cargo.toml" --target-dir "$build"
collect wasm32-wasip3 "$build/wasm32-wasip2/release" wasip3
echo "$out"
