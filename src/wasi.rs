//! Standard `wasi:filesystem` (`types` and `preopens`, WASI 0.2) served from
//! the dentry tree, so unmodified programs (Rust's `std::fs`, C's stdio)
//! get the same fd-relative host access as `directfs:fs` guests.
//!
//! A [`Descriptor`] is a guest reference to a dentry (one reference, as a
//! `directfs:fs` `dentry` resource), and for a file also an open
//! [`crate::Handle`]. Every `*-at` call walks its path through the dentry tree,
//! confined beneath the descriptor it starts from (no host path is built,
//! the kernel never follows a symlink), and lands on the same `*at`
//! syscalls as `directfs:fs`.
//!
//! # Compatibility
//! The behaviour follows wasmtime-wasi 48's own implementation, call by call,
//! so a program sees the same results under either (the differential tests
//! in `tests/wasi_fs.rs` hold them to it). The intended differences:
//! - Inode numbers (`metadata-hash`, hence `st_ino` in the guest) are the
//!   small stable numbers of [`crate::Stat`], not a hash of the host's.
//! - `status-change-timestamp` is the host's `st_ctime` (the WIT's meaning);
//!   wasmtime-wasi returns the birth time.
//! - FIFOs and sockets have their own `descriptor-type`s (wasmtime-wasi:
//!   `unknown`).
//! - Preopens are separate mounts: `rename-at` and `link-at` between two of
//!   them fail with `cross-device`.
//! - A directory entry whose name is not UTF-8 is left out of
//!   `read-directory` (wasmtime-wasi returns `illegal-byte-sequence` in its
//!   place).
//! - Host resources are bounded: descriptors and directory streams count
//!   towards [`crate::Limits::max_open`] (past it: `insufficient-memory`).

/// The most entries a directory stream (`read-directory`, WASI 0.2 and
/// 0.3) reads ahead of the guest: what it holds while the guest keeps it,
/// at most 128 names (about 40 KiB of the longest), whatever the
/// directory's size, so thousands of streams cost what thousands of
/// `opendir`s do (wasmtime-wasi's hold a 32 KiB `getdents64` buffer each).
pub(crate) const STREAM_PAGE: u32 = 128;

/// The entries a directory stream reads at a time under `limits`.
pub(crate) fn stream_page(limits: &crate::Limits) -> u32 {
    limits.max_dir_entries.min(STREAM_PAGE)
}

mod calls;
mod convert;
mod open;
pub mod p1;
pub mod p2;
pub mod p3;
pub(crate) mod readiness;
pub(crate) mod resources;

pub(crate) use self::open::{OpenIntent, OpenRequest, open_at};
pub use self::p2::{add_to_linker, add_to_linker_async};
pub(crate) use self::resources::DescriptorKind;
pub use self::resources::{Descriptor, DirectoryEntryStream};
