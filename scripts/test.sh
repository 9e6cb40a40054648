#!/usr/bin/env bash
# The README's test command, and what .ci/run runs: formatting, clippy with
# warnings denied, then every test (unit, integration with the guest
# programs, doc tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup-guest-toolchain.sh
echo "== cargo fmt --check (host, guests)"
cargo fmt --all -- --check
(cd guests && cargo fmt -- --check)
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo test"
cargo test --locked -- --show-output
