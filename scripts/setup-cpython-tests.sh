#!/usr/bin/env bash
# CPython's own tests of its standard library, for tests/cpython_stdlib.rs:
# Debian 12's `libpython3.11-testsuite` (the `test` package) and the
# `test.support` helpers from `libpython3.11-stdlib`, downloaded with
# `apt-get download` (not installed) and unpacked; prints the directory
# holding `test/` (preopen it and put it on `sys.path`). Idempotent;
# GUEST_TARGET_DIR overrides where it goes (default guests/target).
#
# They are 3.11's tests run by CPython 3.15 (scripts/setup-cpython.sh):
# some fail for the version alone, the same under directfs and under
# wasmtime-wasi; the test compares the two test by test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${GUEST_TARGET_DIR:-$root/guests/target}
out="$target_dir/cpython-tests"
log() { printf '[setup-cpython-tests] %s\n' "$*" >&2; }

if [ ! -f "$out/test/test_os.py" ] || [ ! -f "$out/test/support/__init__.py" ]; then
    debs=$(mktemp -d)
    trap 'rm -rf "$debs"' EXIT
    log "apt-get download libpython3.11-testsuite libpython3.11-stdlib"
    if ! (cd "$debs" && timeout 600 apt-get download -q libpython3.11-testsuite libpython3.11-stdlib >&2 2>/dev/null); then
        log "apt-get update, then again"
        timeout 600 apt-get update -q >&2
        (cd "$debs" && timeout 600 apt-get download -q libpython3.11-testsuite libpython3.11-stdlib >&2)
    fi
    rm -rf "$out.new"
    mkdir -p "$out.new"
    for deb in "$debs"/*.deb; do
        dpkg-deb -x "$deb" "$debs/x"
    done
    cp -r "$debs/x/usr/lib/python3.11/test" "$out.new/test"
    rm -rf "$out"
    mv "$out.new" "$out"
fi
echo "$out"
