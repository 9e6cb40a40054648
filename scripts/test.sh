#!/usr/bin/env bash
# The README's test command, and what .ci/run runs: formatting, clippy with
# warnings denied (also for the library without the CLI), warning-free docs,
# then every test (unit, integration with the guest
# programs, doc tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup-guest-toolchain.sh
echo "== cargo fmt --check (host, guests)"
cargo fmt --all -- --check
(cd guests && cargo fmt -- --check)
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps
echo "== cargo clippy, library alone (no default features: what embedders build)"
cargo clippy --locked --lib --no-default-features -- -D warnings
echo "== cargo package --list (what an embedder gets)"
listed=$(cargo package --list --locked --allow-dirty 2>/dev/null)
for f in LICENSE README.md wit/directfs.wit wit/wasi/world.wit src/lib.rs examples/embed.rs; do
  grep -qx "$f" <<<"$listed" || { echo "the package lacks $f"; exit 1; }
done
echo "== cargo test"
cargo test --locked -- --show-output
