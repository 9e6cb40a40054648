//! WASI preview 1 (`wasi_snapshot_preview1`) for core wasm modules, its
//! filesystem served from the dentry tree: what `wasm32-wasip1` programs
//! (Go, C through wasi-libc, Rust, Zig, CPython) import, without the
//! preview1 component adapter.
//!
//! The fd table (one per store) maps preview 1's numbers to the same
//! `wasi:filesystem` [`Descriptor`]s the 0.2 and 0.3 frontends hand out, and
//! every filesystem function runs the same shared calls
//! (`crate::wasi::calls`): one walk of a confined path, the same `*at`
//! syscalls, the same permissions and limits. Reads and writes go straight
//! between the guest's memory and the handle's host FD (one copy).
//! wasmtime-wasi serves the rest (arguments, environment, clocks, random,
//! stdio, `proc_exit`) through its WASI 0.2 host traits, as its own
//! preview 1 does.
//!
//! # Compatibility
//! Function by function, this follows wasmtime-wasi 48's `p1` (errno for
//! errno; the differential tests in `tests/wasip1.rs` compare the two on the
//! same fixtures): preopens from fd 3, rights accepted and ignored as it
//! does, `fd_readdir`'s cookies are indexes (0 `.`, 1 `..`, then the
//! entries), `fd_allocate` is `notsup`. Beyond the 0.2 frontend's
//! differences (inode numbers, FIFOs and sockets, cross-preopen `xdev`):
//! - FIFOs, sockets and character devices are read and written (wasmtime-wasi
//!   fails with `spipe`): blocking unless `fdflags.nonblock` (then `again`),
//!   and a blocking wait ends with `intr` when the context's
//!   [`crate::Interrupter`] fires.
//! - A socket's `filetype` is `socket_stream` (wasmtime-wasi traps).
//! - `fd_readdir` reads the directory once per pass, as `readdir(3)` does:
//!   a call at the cookie where the last one stopped (or later) reads on
//!   from the host directory's own position there (a `Pass`: two numbers
//!   per fd, no entries kept), so a directory changing under a long listing
//!   neither repeats nor skips the entries that stay (wasmtime-wasi lists it
//!   again on every call and skips to the cookie); any other cookie starts
//!   a new pass that skips to it, as wasmtime-wasi does.
//!
//! On a sync host every call runs on the calling thread. On an async host
//! ([`add_to_linker_async`]) every call with a descriptor on a
//! [`crate::Blocking::Pool`] mount runs on tokio's blocking pool (its path
//! copied out of the guest's memory first, a read's bytes through a buffer
//! there), as do the reads and writes of a FIFO or device that may wait on
//! any mount; the executor runs other tasks meanwhile.

mod access;
mod convert;
mod host;
mod locks;
mod poll;

use std::collections::{BTreeMap, BTreeSet};

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::p2::bindings::io::streams::{InputStream, OutputStream};

use crate::bindings::p1::types::Errno;
use crate::ctx::DirectfsView;
use crate::wasi::Descriptor;

/// Adds `wasi_snapshot_preview1`, its filesystem served from each store's
/// [`DirectfsView`] and the rest from its wasmtime-wasi [`WasiView`], to a
/// core-module `linker` of a sync host.
///
/// Instead of `wasmtime_wasi::p1::add_to_linker_sync`, not after it: this
/// adds every preview 1 function, and directfs's advisory file locks for
/// preview 1 programs (the `directfs_locks` import module, which WASI
/// lacks: see `src/wasi/p1/locks.rs`). The store's [`DirectfsView::directfs`]
/// and `WasiView::ctx` must return the same
/// [`wasmtime::component::ResourceTable`] (stdio streams and descriptors
/// are polled together); where they do not, the first call traps with a
/// message that says so.
///
/// # Errors
/// If `linker` already defines a preview 1 function.
pub fn add_to_linker<T: DirectfsView + WasiView + 'static>(
    linker: &mut wasmtime::Linker<T>,
) -> wasmtime::Result<()> {
    crate::bindings::p1::sync::add_wasi_snapshot_preview1_to_linker(linker, begin_call::<T>)?;
    locks::add_to_linker(linker)
}

/// [`add_to_linker`] for async hosts (guests instantiated with
/// `instantiate_async` and called with `call_async`): the calls that wait
/// on stdio or in `poll_oneoff` yield to the executor.
///
/// # Errors
/// As [`add_to_linker`].
pub fn add_to_linker_async<T: DirectfsView + WasiView + 'static>(
    linker: &mut wasmtime::Linker<T>,
) -> wasmtime::Result<()> {
    crate::bindings::p1::wasi_snapshot_preview1::add_to_linker(linker, begin_call_async::<T>)?;
    locks::add_to_linker_async(linker)
}

/// [`begin_call`] on an async host: also notes that this thread must not
/// be put to sleep (`poll_oneoff` waits on the executor).
fn begin_call_async<T: DirectfsView + WasiView>(data: &mut T) -> &mut T {
    let data = begin_call(data);
    data.directfs().ctx.async_host = true;
    data
}

/// The store's data, for one preview 1 call: the call is counted as one
/// host call (its first look at the tree reads the kernel's change
/// notifications, see [`crate::DirectfsCtx::begin_call`]), and whether
/// the two views share one table is noted.
fn begin_call<T: DirectfsView + WasiView>(data: &mut T) -> &mut T {
    let wasi_table: *const ResourceTable = WasiView::ctx(data).table;
    let view = data.directfs();
    view.ctx.tables_differ = !std::ptr::eq(&*view.table, wasi_table);
    view.ctx.begin_call();
    data
}

/// A store's preview 1 state: its fd table (made at the first call that
/// needs it) and the copy budget wiggle sets before each call.
#[derive(Debug, Default)]
pub(crate) struct State {
    fds: Option<Fds>,
    /// How many bytes the running call may still copy out of the guest's
    /// memory (names, iovec arrays): wiggle's "hostcall fuel", as
    /// wasmtime-wasi uses it.
    fuel: usize,
}

/// The fd table: numbers to [`Fd`]s. A closed number is reused (the
/// highest free one first, as wasmtime-wasi).
#[derive(Debug, Default)]
struct Fds {
    used: BTreeMap<u32, Fd>,
    free: BTreeSet<u32>,
}

/// What a preview 1 fd is: a split of behaviour, matched exhaustively.
#[derive(Debug)]
enum Fd {
    /// wasmtime-wasi's stdin stream; `tty`: a terminal.
    Stdin {
        stream: Resource<InputStream>,
        tty: bool,
    },
    /// wasmtime-wasi's stdout or stderr stream.
    Stdout {
        stream: Resource<OutputStream>,
        tty: bool,
    },
    /// A directory: a preopen (with its guest path) or one `path_open`
    /// opened.
    Dir(Dir),
    /// Any other file.
    File(File),
}

/// A directory fd.
#[derive(Debug)]
struct Dir {
    /// The descriptor (owned: closed with the fd).
    desc: Resource<Descriptor>,
    /// The guest path of a preopen; `None` for one `path_open` opened.
    preopen: Option<String>,
    /// Where the `fd_readdir` pass in progress stands (see the module doc).
    pass: Option<Pass>,
}

/// Where an `fd_readdir` pass stands: the entry with cookie `next` is read
/// from host cursor `at`, and those with later cookies by reading on from
/// there. Two numbers: a pass holds no entries, whatever the directory's
/// size or the fds mid-pass.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pass {
    /// The cookie (index) of the entry at `at`: 0 `.`, 1 `..`, 2 the first
    /// of the directory's own entries.
    next: u64,
    /// The host cursor ([`crate::sys::getdents64`]'s) of the entry with
    /// cookie `next`, or of the first entry while `next` < 2.
    at: u64,
}

/// A file fd.
#[derive(Debug)]
struct File {
    /// The descriptor (owned: closed with the fd).
    desc: Resource<Descriptor>,
    /// The current position of `fd_read`, `fd_write` and `fd_seek`.
    position: u64,
    /// `fdflags.append`: every write goes to the end.
    append: bool,
    /// `fdflags.nonblock`: a FIFO or socket with nothing to read (or no
    /// room to write) fails with `again` instead of waiting.
    nonblock: bool,
    /// A FIFO, socket or character device: read and written without an
    /// offset, and waited for.
    pipe: bool,
}

impl Fds {
    /// Pushes `fd`, returning its number: the highest free one, else one
    /// past the highest used.
    fn push(&mut self, fd: Fd) -> Result<u32, Errno> {
        let n = match self.free.pop_last() {
            Some(n) => n,
            None => match self.used.last_key_value() {
                None => 0,
                Some((&last, _)) => last.checked_add(1).ok_or(Errno::Nfile)?,
            },
        };
        self.used.insert(n, fd);
        Ok(n)
    }

    /// Takes fd `n` out of the table (`badf` if there is none).
    fn remove(&mut self, n: u32) -> Result<Fd, Errno> {
        let fd = self.used.remove(&n).ok_or(Errno::Badf)?;
        self.free.insert(n);
        Ok(fd)
    }

    fn get(&self, n: u32) -> Result<&Fd, Errno> {
        self.used.get(&n).ok_or(Errno::Badf)
    }

    fn get_mut(&mut self, n: u32) -> Result<&mut Fd, Errno> {
        self.used.get_mut(&n).ok_or(Errno::Badf)
    }
}

/// `Resource::new_borrow` of `resource`: a handle the table does not
/// drop, for a call that takes the resource by value.
fn borrowed<R: 'static>(resource: &Resource<R>) -> Resource<R> {
    Resource::new_borrow(resource.rep())
}
