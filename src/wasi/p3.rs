//! WASI 0.3's `wasi:filesystem@0.3.0` (`types` and `preopens`) served from
//! the dentry tree, beside the 0.2 interfaces of [`crate::wasi`].
//!
//! Every call is the 0.2 frontend's own (`wasi::calls`, in the core's
//! types), so the behaviour, the confinement, the limits, the read-only
//! mode and the revalidation are the same under both versions; this
//! frontend only converts at its edge. What 0.3 changes is in the streams:
//! - `read-via-stream` `pread`s **straight into the guest's buffer** and
//!   `write-via-stream`/`append-via-stream` `pwrite` straight from it (the
//!   `stream<u8>` is read or written through wasmtime's direct view of the
//!   guest's memory): file data is copied once, by the kernel.
//! - `read-directory` is a `stream<directory-entry>` fed by `getdents64`
//!   pages of at most 128 entries ([`crate::Limits::max_dir_entries`] if
//!   less: what a stream holds is bounded whatever the directory's size), read on a handle
//!   of its own (one host FD, charged to the filesystem's budget), as the
//!   guest reads the stream.
//! - A FIFO, socket or device stream waits for readiness on tokio's reactor
//!   (never a thread), and the wait ends when the guest drops or cancels
//!   its read.
//!
//! The calls run on the thread that polls the guest, as with
//! [`crate::Blocking::Inline`]: 0.3 calls are concurrent, so a call cannot
//! take the store's context to another thread (as 0.2's do on a pool
//! mount). On a [`crate::Blocking::Pool`] mount, each cache miss's lookup
//! (a walk's `openat` and `fstat`, a `stat-at`'s `fstatat`, a file's
//! re-open) runs on tokio's blocking pool instead, the guest's call
//! waiting for it without holding the executor, and the call then runs
//! again with the answer. What still runs on the guest's thread: stats of
//! cached names (one `fstat`/`fstatat`), creations, removals, renames and
//! the other calls that change the host.
//!
//! # Compatibility
//! As [`crate::wasi`] (wasmtime-wasi 48's own 0.3 implementation, call by
//! call), with 0.3's types: times before 1970 are negative `instant`s, and
//! a type WASI 0.3 has no name for is `other(none)`. WASI 0.3 has no
//! `would-block`: a call that would block on a non-blocking file (none
//! does; streams wait) fails with `other("would-block")`.

mod convert;
mod host;
mod stream;

use wasmtime::component::Linker;

use crate::bindings::wasi_p3::wasi::filesystem::{preopens, types};
use crate::ctx::{Directfs, DirectfsCtxView, DirectfsView};

/// Adds `wasi:filesystem/types@0.3.0` and `wasi:filesystem/preopens@0.3.0`,
/// served from each store's [`DirectfsView`], to `linker`.
///
/// The engine needs `Config::wasm_component_model_async(true)`, and the
/// guest runs on an async host (`Store::run_concurrent`). Add the rest of
/// WASI 0.3 from wasmtime-wasi interface by interface
/// (`wasmtime_wasi::p3::cli::add_to_linker`, `clocks`, `random`,
/// `sockets`), not with `wasmtime_wasi::p3::add_to_linker`, which adds
/// wasmtime-wasi's own filesystem too (the linker then fails with "defined
/// twice"). Unlike the 0.2 interfaces, these hand out no `wasi:io`
/// resources, so directfs's and wasmtime-wasi's tables may differ.
///
/// # Errors
/// If `linker` already has `wasi:filesystem@0.3.0`.
///
/// # Example
/// ```
/// use directfs::{DirectfsCtx, DirectfsCtxView, DirectfsView};
/// use wasmtime::component::{Linker, ResourceTable};
/// use wasmtime::{Config, Engine};
/// use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
///
/// struct Host {
///     wasi: WasiCtx,
///     directfs: DirectfsCtx,
///     table: ResourceTable,
/// }
///
/// impl WasiView for Host {
///     fn ctx(&mut self) -> WasiCtxView<'_> {
///         WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
///     }
/// }
///
/// impl DirectfsView for Host {
///     fn directfs(&mut self) -> DirectfsCtxView<'_> {
///         DirectfsCtxView { ctx: &mut self.directfs, table: &mut self.table }
///     }
/// }
///
/// let mut config = Config::new();
/// config.wasm_component_model_async(true);
/// let engine = Engine::new(&config)?;
/// let mut linker = Linker::<Host>::new(&engine);
/// wasmtime_wasi::p3::cli::add_to_linker(&mut linker)?;
/// wasmtime_wasi::p3::clocks::add_to_linker(&mut linker)?;
/// wasmtime_wasi::p3::random::add_to_linker(&mut linker)?;
/// directfs::wasi::p3::add_to_linker(&mut linker)?;
/// // Then: a store whose `Host` has a `DirectfsCtx` with preopens, and
/// // `wasmtime_wasi::p3::bindings::Command::instantiate_async` and
/// // `store.run_concurrent(…)` to call the guest's `wasi:cli/run@0.3.0`
/// // (as `dfs-run` does).
/// # Ok::<(), wasmtime::Error>(())
/// ```
pub fn add_to_linker<T: DirectfsView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    types::add_to_linker::<T, Directfs>(linker, view::<T>)?;
    preopens::add_to_linker::<T, Directfs>(linker, view::<T>)?;
    Ok(())
}

/// The view the 0.3 interfaces are served from: the store's
/// [`DirectfsView`], marked as on an async host.
fn view<T: DirectfsView>(data: &mut T) -> DirectfsCtxView<'_> {
    let view = data.directfs();
    view.ctx.async_host = true;
    view.ctx.begin_call();
    view
}
