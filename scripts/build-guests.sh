#!/usr/bin/env bash
# Builds every guest program in guests/ for wasm32-wasip2 (after making sure a
# toolchain is there) and prints the directory holding the .wasm components.
# Used by the README, by the integration tests and by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup-guest-toolchain.sh"
wrapper="${DIRECTFS_TOOLCHAIN:-$HOME/.cache/directfs-wasip2}/guest-cargo"
"$wrapper" build --quiet --release --manifest-path "$root/guests/Cargo.toml" >&2
echo "$root/guests/target/wasm32-wasip2/release"
