#!/usr/bin/env bash
# Builds the guest programs in guests/ for wasm32-wasip2 (after making sure a
# toolchain is there) and prints the directory holding the .wasm components.
# Arguments go to cargo: none builds every guest, `--bin demo` one of them.
# Used by the README's commands, by the integration tests and by .ci/run.
# GUEST_TARGET_DIR overrides where they go (default guests/target).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup-guest-toolchain.sh"
wrapper="${DIRECTFS_TOOLCHAIN:-$HOME/.cache/directfs-wasip2}/guest-cargo"
target_dir=${GUEST_TARGET_DIR:-$root/guests/target}
"$wrapper" build --quiet --locked --release --manifest-path "$root/guests/Cargo.toml" --target-dir "$target_dir" "$@" >&2
echo "$target_dir/wasm32-wasip2/release"
