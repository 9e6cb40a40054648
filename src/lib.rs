//! directfs gives WebAssembly components (WASI 0.2 and 0.3) a preopened host
//! directory through the WIT interface `directfs:fs` (`wit/directfs.wit`),
//! the way gVisor's directfs gofer does: the host keeps a tree of dentries,
//! each holding a host file descriptor opened `O_NOFOLLOW | O_CLOEXEC`, and
//! every guest operation becomes one fd-relative `*at` syscall on a dentry's
//! FD or its parent's. No host path is ever built from guest input and the
//! kernel never follows a symlink for the guest.
//!
//! # Embedding
//!
//! Give the store's data a [`DirectfsCtx`] and a [`ResourceTable`], implement
//! [`DirectfsView`], and call [`add_to_linker`] (beside wasmtime-wasi, which
//! serves the guest's stdio, clocks and random):
//!
//! ```
//! use directfs::{Perms, DirectfsCtx, DirectfsCtxView, DirectfsView};
//! use wasmtime::component::{Linker, ResourceTable};
//! use wasmtime::{Engine, Store};
//! use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
//!
//! struct Host {
//!     wasi: WasiCtx,
//!     directfs: DirectfsCtx,
//!     table: ResourceTable,
//! }
//!
//! impl WasiView for Host {
//!     fn ctx(&mut self) -> WasiCtxView<'_> {
//!         WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
//!     }
//! }
//!
//! impl DirectfsView for Host {
//!     fn directfs(&mut self) -> DirectfsCtxView<'_> {
//!         DirectfsCtxView { ctx: &mut self.directfs, table: &mut self.table }
//!     }
//! }
//!
//! # fn main() -> wasmtime::Result<()> {
//! let engine = Engine::default();
//! let mut linker = Linker::<Host>::new(&engine);
//! wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
//! directfs::add_to_linker(&mut linker)?;
//! // Serve wasi:filesystem (std::fs) from the same dentry tree, replacing
//! // wasmtime-wasi's own. Left out, std::fs programs get wasmtime-wasi's
//! // filesystem, which does not know the DirectfsCtx's preopens: every path
//! // is then "no such file", with no error at link time.
//! directfs::wasi::add_to_linker(&mut linker)?;
//!
//! let sandbox = std::env::temp_dir();
//! let host = Host {
//!     wasi: WasiCtx::builder().inherit_stdio().build(),
//!     directfs: DirectfsCtx::builder()
//!         .preopen(&sandbox, "/data", Perms::ReadWrite)?
//!         .build(),
//!     table: ResourceTable::new(),
//! };
//! let store = Store::new(&engine, host);
//! // Instantiate a component with `linker` and run it in `store`.
//! # drop((linker, store));
//! # Ok(())
//! # }
//! ```
//!
//! `examples/embed.rs` is a whole host that runs a guest this way, and
//! `src/bin/dfs-run/` is the `dfs-run` command.
//!
//! # Async hosts
//! With wasmtime-wasi's `add_to_linker_async`, link [`add_to_linker_async`]
//! and [`wasi::add_to_linker_async`] instead of [`add_to_linker`] and
//! [`wasi::add_to_linker`]. Each mount then says where its `directfs:fs`
//! and `wasi:filesystem` calls make their syscalls ([`Blocking`], set by
//! [`Filesystem::mount_with`] or [`PreopenOptions`]): inline (the default:
//! the fastest on local disks), or on tokio's blocking pool, leaving the
//! executor free (for NFS or FUSE mounts). A call is `Send`-moved to the
//! pool with the store's context and resource table, so every check, limit
//! and count is the same as inline.
//!
//! # Waiting for FIFOs, and interrupting it
//! A FIFO (or character device) the guest opens without `nonblock` is
//! `O_NONBLOCK` at the host all the same: a read of an empty one, or a
//! write to a full one, waits in `poll(2)`, never in the kernel's
//! `read`/`write`. So it can be ended:
//! - from any thread, with the context's [`Interrupter`]
//!   ([`DirectfsCtx::interrupter`]): the call fails with `interrupted` (and
//!   later waits too, until [`Interrupter::reset`]). dfs-run's
//!   `-W timeout` does this;
//! - on async hosts such a wait runs on the blocking pool on any mount
//!   (the executor stays free), and dropping the guest's future interrupts
//!   it, so the pool's thread and what the guest held are released.
//!
//! `wasi:io` streams of such files wait for readiness on the reactor of the
//! runtime that polls them instead (see [`wasi`]).
//!
//! # File locks
//! Guests can take advisory record locks on their open files (`handle.lock`
//! in `directfs:fs`; `directfs:wasi-filesystem/locks` on `wasi:filesystem`
//! descriptors): the kernel's open-file-description locks, owned by the
//! guest's open file, released with it or with the store, bounded per
//! store by [`Limits::max_locks`]. A waiting lock is a try repeated after
//! short pauses, which the [`Interrupter`] ends (on async hosts the pauses
//! are tokio timers: no thread waits). See `docs/locks.md`.
//!
//! # WASI 0.3
//! [`wasi::p3::add_to_linker`] serves `wasi:filesystem@0.3.0` from the same
//! tree, beside wasmtime-wasi's other WASI 0.3 interfaces (engine with
//! `Config::wasm_component_model_async`, guest run with
//! `Store::run_concurrent`; see its docs and `examples/embed_p3.rs`). Its
//! calls are the 0.2 ones, and its file streams `pread` into and `pwrite`
//! from the guest's own buffer: one copy.
//!
//! # Layout
//! A filesystem core that knows no WIT, and one thin frontend per interface
//! converting at its edge (as wasmtime-wasi's `p2`/`p3` over its core).
//! Imports point down this list; no frontend imports another.
//! - `dfs`: the `directfs:fs` frontend, thin (look up, check, call,
//!   convert), written once in the core's types; its sync and async
//!   (`dfs::host_async`) trait impls convert at the edge (`dfs::convert`:
//!   core types ↔ WIT, one to one).
//! - [`wasi`]: the standard `wasi:filesystem` frontends over the same tree:
//!   what the versions share (`wasi::calls`, every call once in the core's
//!   types; `open-at`; readiness waits), then one frontend per version:
//!   [`wasi::p2`] (with `wasi:io` streams) and [`wasi::p3`].
//! - `pool`: running a frontend call on tokio's blocking pool.
//! - [`ctx`](DirectfsCtx): a store's context (its view of a filesystem,
//!   the permissions of each preopen, the resource accounting every
//!   frontend shares), its builder, per-context memos.
//! - [`fs`](Filesystem): the shared filesystem, its lock (the lock order is
//!   in its docs), its mounts, limits and counters.
//! - `dentry`: the tree of dentries and their host FDs, one room per
//!   operation family.
//! - `handle`, `lock`, `interrupt`, `budget`: open files, their advisory
//!   record locks, ending waits on FIFOs and locks ([`Interrupter`]), the
//!   host-FD budget.
//! - `types`, `error`, `name`: the core's own types ([`Stat`],
//!   [`FileType`], [`OpenFlags`], [`ErrorCode`], …, re-exported here);
//!   errno → [`ErrorCode`], trap or error; path components.
//! - `sys`: the only module that issues syscalls.

// Guest input reaches almost all of this crate: no panicking shortcuts in it
// (tests excepted). See SECURITY.md.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod bindings;
mod budget;
mod ctx;
mod dentry;
mod dfs;
mod error;
mod fs;
mod handle;
mod interrupt;
mod lock;
mod name;
mod pool;
mod sys;
mod types;
pub mod wasi;
mod watch;

use wasmtime::component::Linker;
pub use wasmtime::component::ResourceTable;

pub use crate::ctx::{
    Blocking, Directfs, DirectfsCtx, DirectfsCtxBuilder, DirectfsCtxView, DirectfsView,
    MountOptions, Perms, PreopenOptions, Revalidation,
};
#[expect(deprecated, reason = "the old names stay exported for a while")]
pub use crate::ctx::{DirPerms, FsPerms};
pub use crate::dentry::DentryRef;
pub use crate::error::{Error, ErrorCode};
pub use crate::fs::{Filesystem, Limits, Mount, Stats};
pub use crate::handle::Handle;
pub use crate::interrupt::Interrupter;
pub use crate::name::NAME_MAX;
pub use crate::sys::syscalls as host_syscalls;
pub use crate::types::{
    DirEntry, DirEntryPlus, DirPage, DirPlusPage, FileType, LockConflict, LockKind, LockRange,
    OpenFlags, Owner, RenameFlags, SetStat, SetStatError, SetTime, Stat, StatFields, Statfs,
    Timestamp, XattrFlags,
};

/// Adds the `directfs:fs/types` and `directfs:fs/preopens` imports to
/// `linker`, served from each store's [`DirectfsView`].
pub fn add_to_linker<T: DirectfsView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    bindings::directfs::fs::types::add_to_linker::<T, Directfs>(linker, view::<T>)?;
    bindings::directfs::fs::preopens::add_to_linker::<T, Directfs>(linker, view::<T>)?;
    Ok(())
}

/// The view `directfs:fs` calls are served from: the store's
/// [`DirectfsView`], told that a host call starts.
fn view<T: DirectfsView>(data: &mut T) -> DirectfsCtxView<'_> {
    let view = data.directfs();
    view.ctx.begin_call();
    view
}

/// [`add_to_linker`] for async hosts (a [`wasmtime::Config`] whose store
/// calls are `_async`): every `directfs:fs` call is an async host function,
/// and those on a [`Blocking::Pool`] mount run on tokio's blocking pool,
/// as do the reads and writes that wait for a FIFO or device on any mount
/// (see "Async hosts" above). Needs `Send` store data.
pub fn add_to_linker_async<T: DirectfsView + Send + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    bindings::directfs_async::directfs::fs::types::add_to_linker::<T, Directfs>(linker, view::<T>)?;
    bindings::directfs_async::directfs::fs::preopens::add_to_linker::<T, Directfs>(
        linker, view::<T>,
    )?;
    Ok(())
}

#[cfg(test)]
#[expect(
    unsafe_code,
    reason = "a counting global allocator for the memory tests: it forwards every call to System"
)]
pub(crate) mod test_alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        /// Live heap bytes allocated by this thread (minus what it freed).
        static NET: Cell<isize> = const { Cell::new(0) };
    }

    struct Counting;

    fn count(delta: isize) {
        // No destructor, const-initialized: usable even during teardown.
        let _ = NET.try_with(|n| n.set(n.get() + delta));
    }

    // SAFETY: every method forwards to `System` with the same arguments and
    // returns what it returned; the counting touches no allocation.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            count(layout.size() as isize);
            // SAFETY: the caller's contract is passed on unchanged.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            count(-(layout.size() as isize));
            // SAFETY: the caller's contract is passed on unchanged.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: Counting = Counting;

    /// Live heap bytes this thread has allocated so far.
    pub(crate) fn net_bytes() -> isize {
        NET.with(Cell::get)
    }
}
