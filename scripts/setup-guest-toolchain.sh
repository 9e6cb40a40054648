#!/usr/bin/env bash
# Makes wasm32-wasip2 guest programs buildable, and writes a wrapper that
# builds them: $DIRECTFS_TOOLCHAIN/guest-cargo (same arguments as `cargo`).
#
#   route 1: `rustup target add wasm32-wasip2` (what users on a normal machine
#            do); given $ROUTE1_TIMEOUT seconds, a failure or hang falls back to
#   route 2: registries only (Debian packages, PyPI, crates.io): Debian's
#            rustc-web + rust-web-src with -Zbuild-std, wasi-libc built by Zig
#            (PyPI ziglang), wasm-ld from Debian lld, wasm-component-ld from
#            crates.io. See ../shared/guest-toolchain.md for why each piece.
#
# Idempotent: once a route works, later runs check it offline and exit in
# well under a second. Environment:
#   DIRECTFS_TOOLCHAIN   where the wrapper and route-2 files go
#                        (default: ~/.cache/directfs-wasip2)
#   DIRECTFS_GUEST_ROUTE auto (default), 1 or 2: force a route
#   ROUTE1_TIMEOUT       seconds for `rustup target add` (default 120)
set -euo pipefail

DIR=${DIRECTFS_TOOLCHAIN:-$HOME/.cache/directfs-wasip2}
ROUTE=${DIRECTFS_GUEST_ROUTE:-auto}
ROUTE1_TIMEOUT=${ROUTE1_TIMEOUT:-120}
ZIG_VERSION=0.17.0          # pinned: the wasi-libc archive layout is Zig-internal
WCL_VERSION=0.5.31          # wasm-component-ld
WRAPPER="$DIR/guest-cargo"
STAMP="$DIR/route"

log() { printf '[setup-guest-toolchain] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
mkdir -p "$DIR"

route1_ready() {
    command -v rustup >/dev/null 2>&1 &&
        rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2
}

route2_ready() {
    local p="$DIR/route2"
    [ -x /usr/bin/rustc ] && [ -x /usr/bin/wasm-ld-22 ] &&
        [ -f /usr/lib/rustlib/src/rust/library/std/Cargo.toml ] &&
        [ -x "$p/bin/wasm-component-ld" ] && [ -f "$p/sysroot/libc.a" ] &&
        [ -f "$p/sysroot/libzigc.a" ] && [ -f "$p/sysroot/libzig_compiler_rt.a" ] &&
        [ -f "$p/sysroot/crt1-command.o" ] && [ -f "$p/cargo-config.toml" ]
}

# Fast path: the route recorded last time still works, checked offline.
if [ -x "$WRAPPER" ] && [ -f "$STAMP" ]; then
    recorded=$(cat "$STAMP")
    if { [ "$ROUTE" = auto ] || [ "$ROUTE" = "$recorded" ]; } &&
        { { [ "$recorded" = 1 ] && route1_ready; } || { [ "$recorded" = 2 ] && route2_ready; }; }; then
        log "ready (route $recorded): $WRAPPER"
        exit 0
    fi
fi

write_route1() {
    cat >"$WRAPPER" <<'EOF'
#!/bin/sh
# Route 1: the rustup toolchain's own wasm32-wasip2 target.
export CARGO_BUILD_TARGET=wasm32-wasip2
exec cargo "$@"
EOF
    chmod +x "$WRAPPER"
    echo 1 >"$STAMP"
    log "ready (route 1, rustup target): $WRAPPER"
}

try_route1() {
    command -v rustup >/dev/null 2>&1 || { log "route 1: no rustup"; return 1; }
    if ! route1_ready; then
        log "route 1: rustup target add wasm32-wasip2 (timeout ${ROUTE1_TIMEOUT}s)"
        timeout "$ROUTE1_TIMEOUT" rustup target add wasm32-wasip2 >&2 || {
            log "route 1: unavailable (rustup failed or timed out)"
            return 1
        }
    fi
    route1_ready || return 1
    write_route1
}

install_route2() {
    local p="$DIR/route2"
    mkdir -p "$p/bin" "$p/sysroot"
    export DEBIAN_FRONTEND=noninteractive
    if ! { [ -x /usr/bin/rustc ] && [ -x /usr/bin/wasm-ld-22 ] &&
        [ -f /usr/lib/rustlib/src/rust/library/std/Cargo.toml ]; }; then
        log "route 2: apt-get install rustc-web cargo-web rust-web-src lld-22"
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo=sudo
        $sudo apt-get update -qq >&2
        $sudo apt-get install -y -qq --no-install-recommends \
            rustc-web cargo-web rust-web-src lld-22 >&2
    fi
    [ -f /usr/lib/rustlib/src/rust/library/std/Cargo.toml ] || die "rust-web-src did not provide std's sources"
    [ -x /usr/bin/wasm-ld-22 ] || die "lld-22 did not provide /usr/bin/wasm-ld-22"

    if [ ! -x "$p/bin/wasm-component-ld" ]; then
        log "route 2: cargo install wasm-component-ld $WCL_VERSION (~2 min)"
        RUSTC=/usr/bin/rustc /usr/bin/cargo install --quiet --locked \
            wasm-component-ld --version "$WCL_VERSION" --root "$p" >&2
    fi

    if [ ! -f "$p/sysroot/libc.a" ] || [ ! -f "$p/sysroot/crt1-command.o" ]; then
        log "route 2: wasi-libc via Zig $ZIG_VERSION from PyPI"
        python3 -m pip install -q --disable-pip-version-check --target "$p/zig" "ziglang==$ZIG_VERSION" >&2
        local tmp
        tmp=$(mktemp -d)
        printf 'int main(void){return 0;}\n' >"$tmp/t.c"
        ZIG_GLOBAL_CACHE_DIR="$tmp/cache" ZIG_LOCAL_CACHE_DIR="$tmp/cache" \
            "$p/zig/ziglang/zig" cc -target wasm32-wasi -O2 -o "$tmp/t.wasm" "$tmp/t.c" >&2
        pick() { find "$tmp/cache" -name "$1" -type f | head -n1; }
        # libc.a is wasi-libc proper; libzigc.a holds Zig's malloc/string/math
        # parts; libcompiler_rt.a also carries strlen/memcmp: all are needed.
        for pair in libc.a:libc.a libzigc.a:libzigc.a libcompiler_rt.a:libzig_compiler_rt.a \
            crt1-command.o:crt1-command.o; do
            local src
            src=$(pick "${pair%%:*}")
            [ -n "$src" ] || die "zig did not build ${pair%%:*}"
            cp "$src" "$p/sysroot/${pair##*:}"
        done
        rm -rf "$tmp" "$p/zig" # 400+ MB, no longer needed
    fi

    cat >"$p/cargo-config.toml" <<EOF
[build]
rustc = "/usr/bin/rustc"
target = "wasm32-wasip2"

[unstable]
build-std = ["std", "panic_abort"]

[target.wasm32-wasip2]
linker = "$p/bin/wasm-component-ld"
rustflags = [
  "-C", "link-self-contained=no",
  "-L", "native=$p/sysroot",
  "-C", "link-arg=$p/sysroot/crt1-command.o",
  "-C", "link-arg=-lzigc",
  "-C", "link-arg=-lzig_compiler_rt",
  "-C", "link-arg=--wasm-ld-path=/usr/bin/wasm-ld-22",
]
EOF
    cat >"$WRAPPER" <<EOF
#!/bin/sh
# Route 2: Debian's cargo/rustc 1.96 with -Zbuild-std (RUSTC_BOOTSTRAP unlocks it).
export RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET
exec /usr/bin/cargo --config "$p/cargo-config.toml" "\$@"
EOF
    chmod +x "$WRAPPER"
    route2_ready || die "route 2 finished but its files are incomplete"
    echo 2 >"$STAMP"
    log "ready (route 2, registries only): $WRAPPER"
}

case "$ROUTE" in
1) try_route1 || die "route 1 (rustup target add wasm32-wasip2) is unavailable" ;;
2) install_route2 ;;
auto) try_route1 || install_route2 ;;
*) die "DIRECTFS_GUEST_ROUTE must be auto, 1 or 2, not '$ROUTE'" ;;
esac
