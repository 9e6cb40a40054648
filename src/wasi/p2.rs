//! `wasi:filesystem` 0.2 (`types` and `preopens`) served from the dentry
//! tree: the linkers, and the frontend (`host`, with `host_async` over it
//! for async hosts), its conversions at the edge and its `wasi:io` streams.

mod convert;
pub(crate) use self::convert::wasi_code;
mod host;
mod host_async;
mod locks;
mod stream;

use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::WasiView;

use crate::bindings::wasi::directfs::wasi_filesystem::locks as wit_locks;
use crate::bindings::wasi::wasi::filesystem::{preopens, types};
use crate::ctx::{Directfs, DirectfsCtxView, DirectfsView};

/// Adds `wasi:filesystem/types` and `wasi:filesystem/preopens`, served from
/// each store's [`DirectfsView`], to `linker`, replacing wasmtime-wasi's own,
/// and directfs's advisory locks on their descriptors
/// (`directfs:wasi-filesystem/locks`, `wit/wasi/world.wit`).
///
/// Call it after `wasmtime_wasi::p2::add_to_linker_sync` (which adds the
/// rest of WASI: `wasi:io` streams, clocks, random, cli): the filesystem
/// interfaces it added are shadowed, and the guest's streams from
/// `read-via-stream` and friends are read and written through its
/// `wasi:io/streams`. The linker's shadowing setting is left off afterwards.
///
/// # Errors
/// If wasmtime-wasi's `wasi:filesystem` is not in `linker` yet (called in
/// the wrong order: wasmtime-wasi's `add_to_linker_sync` would then fail
/// with "defined twice"), with a message that says so; `linker` is left as
/// it was.
///
/// # Traps
/// The streams this hands out are wasmtime-wasi's `wasi:io` resources, so
/// they must live in the table wasmtime-wasi looks in: the store's
/// [`DirectfsView::directfs`] and `WasiView::ctx` must return the **same**
/// [`wasmtime::component::ResourceTable`]. Where they do not, every
/// `wasi:filesystem` call that hands out or takes a resource (from the first
/// `get-directories` on) traps with a message that says so, instead of a
/// "resource not present" trap later on.
pub fn add_to_linker<T: DirectfsView + WasiView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    replace_filesystem(
        linker,
        "add_to_linker",
        "add_to_linker_sync (or _async)",
        |linker| {
            types::add_to_linker::<T, Directfs>(linker, view::<T>)
                .and_then(|()| preopens::add_to_linker::<T, Directfs>(linker, view::<T>))
        },
    )?;
    wit_locks::add_to_linker::<T, Directfs>(linker, view::<T>)
}

/// [`add_to_linker`] for async hosts, after
/// `wasmtime_wasi::p2::add_to_linker_async`: the same `wasi:filesystem`,
/// whose calls on a mount with [`crate::Blocking::Pool`] make their
/// syscalls on tokio's blocking pool (file streams too) while the executor
/// runs other tasks; calls on other mounts run inline, as with
/// [`add_to_linker`].
///
/// # Errors
/// As [`add_to_linker`] (wasmtime-wasi's `wasi:filesystem` must be in
/// `linker` first).
///
/// # Traps
/// As [`add_to_linker`].
pub fn add_to_linker_async<T: DirectfsView + WasiView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    use crate::bindings::wasi_async::directfs::wasi_filesystem::locks as wit_locks;
    use crate::bindings::wasi_async::wasi::filesystem::{preopens, types};
    replace_filesystem(
        linker,
        "add_to_linker_async",
        "add_to_linker_async",
        |linker| {
            types::add_to_linker::<T, Directfs>(linker, view_async::<T>)
                .and_then(|()| preopens::add_to_linker::<T, Directfs>(linker, view_async::<T>))
        },
    )?;
    wit_locks::add_to_linker::<T, Directfs>(linker, view_async::<T>)
}

/// Adds directfs's `wasi:filesystem` to `linker` with `add`, in place of
/// wasmtime-wasi's, which must be there already (else an error that names
/// `ours`, directfs's function, and `theirs`, wasmtime-wasi's to call
/// first); `linker` is then left as it was. The linker's shadowing setting
/// is left off afterwards.
fn replace_filesystem<T: 'static>(
    linker: &mut Linker<T>,
    ours: &str,
    theirs: &str,
    add: impl Fn(&mut Linker<T>) -> wasmtime::Result<()>,
) -> wasmtime::Result<()> {
    // Added without shadowing, to a copy: if that works, there was nothing
    // to replace, i.e. wasmtime-wasi comes later (or not at all).
    let mut probe = linker.clone();
    probe.allow_shadowing(false);
    if add(&mut probe).is_ok() {
        wasmtime::bail!(
            "directfs::wasi::{ours} replaces wasmtime-wasi's wasi:filesystem, which is not in \
             the linker yet: call wasmtime_wasi::p2::{theirs} first, then \
             directfs::wasi::{ours}"
        );
    }
    linker.allow_shadowing(true);
    let added = add(linker);
    linker.allow_shadowing(false);
    added
}

/// [`view`] for [`add_to_linker_async`]: also marks the context as on an
/// async host.
fn view_async<T: DirectfsView + WasiView>(data: &mut T) -> DirectfsCtxView<'_> {
    let view = view(data);
    view.ctx.async_host = true;
    view
}

/// The view `wasi:filesystem` is served from: the store's
/// [`DirectfsView`], with [`crate::DirectfsCtx::tables_differ`] set from a
/// comparison with wasmtime-wasi's table.
fn view<T: DirectfsView + WasiView>(data: &mut T) -> DirectfsCtxView<'_> {
    let wasi_table: *const ResourceTable = WasiView::ctx(data).table;
    let view = data.directfs();
    view.ctx.tables_differ = !std::ptr::eq(&*view.table, wasi_table);
    view.ctx.begin_call();
    view
}
