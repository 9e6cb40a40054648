//! `directfs_locks`: directfs's advisory record locks ([`crate::lock`]) for
//! preview 1 programs, which WASI lacks — three functions of a core import
//! module of that name, on the fds of `wasi_snapshot_preview1`, with the
//! semantics of `directfs:wasi-filesystem/locks` (`wit/wasi/world.wit`):
//!
//! ```text
//! fd_lock(fd: u32, start: u64, len: u64, kind: u32, wait: u32) -> errno
//! fd_unlock(fd: u32, start: u64, len: u64) -> errno
//! fd_test_lock(fd: u32, start: u64, len: u64, kind: u32, conflict: ptr) -> errno
//! ```
//!
//! `kind` is 0 (shared) or 1 (exclusive); `len` 0 means every byte from
//! `start` on; `wait` non-zero waits for the lock (interruptibly: `intr`
//! when the host ends the wait), else a busy lock is `again`.
//! `fd_test_lock` writes the lock in the way at `conflict`, 24 bytes:
//! `kind: u32` (2: none), 4 bytes of padding, `start: u64`, `len: u64`. Only
//! a file's fd takes locks (`badf` otherwise). A C program declares them
//! with `__attribute__((import_module("directfs_locks")))` (see
//! `guests/c/c_locks.c`); a module that imports them runs on directfs only.
//!
//! Thin, as the other frontends: look up the fd's handle, call the
//! context's lock, convert at the edge. On an async host a waiting lock
//! pauses on a timer ([`crate::DirectfsCtxView::wait_for_lock`]).

use wasmtime::component::Resource;
use wasmtime::{Caller, Extern};
use wasmtime_wasi::WasiView;

use super::access::fds;
use super::convert::errno;
use super::{Fd, borrowed};
use crate::bindings::p1::types::Errno;
use crate::ctx::{DirectfsCtxView, DirectfsView};
use crate::error::{Error, ErrorCode};
use crate::types::{LockConflict, LockKind, LockRange};
use crate::wasi::Descriptor;

/// The import module's name.
const MODULE: &str = "directfs_locks";

/// Adds the `directfs_locks` functions to a sync host's core-module
/// linker (a waiting lock sleeps on the context's interrupter).
pub(super) fn add_to_linker<T: DirectfsView + WasiView + 'static>(
    linker: &mut wasmtime::Linker<T>,
) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "fd_lock",
        |mut caller: Caller<'_, T>, fd: u32, start: u64, len: u64, kind: u32, wait: u32| {
            Ok(answer(file(caller.data_mut(), fd).and_then(|desc| {
                let (range, kind) = (range(start, len), lock_kind(kind)?);
                lock_on(
                    &mut caller.data_mut().directfs(),
                    desc,
                    range,
                    kind,
                    wait != 0,
                )
            })))
        },
    )?;
    add_common(linker)
}

/// Adds the `directfs_locks` functions to an async host's core-module
/// linker: a waiting lock pauses on tokio timers, holding no thread, and
/// a call on a [`crate::Blocking::Pool`] mount runs on the pool.
pub(super) fn add_to_linker_async<T: DirectfsView + WasiView + 'static>(
    linker: &mut wasmtime::Linker<T>,
) -> wasmtime::Result<()> {
    linker.func_wrap_async(
        MODULE,
        "fd_lock",
        |mut caller: Caller<'_, T>, (fd, start, len, kind, wait): (u32, u64, u64, u32, u32)| {
            Box::new(async move {
                let desc = match file(caller.data_mut(), fd) {
                    Ok(desc) => desc,
                    Err(err) => return Ok(answer(Err(err))),
                };
                let range = range(start, len);
                let kind = match lock_kind(kind) {
                    Ok(kind) => kind,
                    Err(err) => return Ok(answer(Err(err))),
                };
                let mut view = caller.data_mut().directfs();
                let on_pool = view.pool_for(view.dentry_of(&desc));
                let rep = desc.rep();
                let try_lock = move |view: &mut DirectfsCtxView<'_>| {
                    lock_on(view, Resource::new_borrow(rep), range, kind, false)
                };
                let done = match wait {
                    0 => view.run(on_pool, try_lock).await,
                    _ => view.wait_for_lock(on_pool, try_lock).await,
                };
                Ok(answer(done))
            })
        },
    )?;
    add_common(linker)
}

/// `fd_unlock` and `fd_test_lock`, which never wait: the same for sync and
/// async hosts.
fn add_common<T: DirectfsView + WasiView + 'static>(
    linker: &mut wasmtime::Linker<T>,
) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "fd_unlock",
        |mut caller: Caller<'_, T>, fd: u32, start: u64, len: u64| {
            Ok(answer(file(caller.data_mut(), fd).and_then(|desc| {
                let range = range(start, len);
                let view = caller.data_mut().directfs();
                let (_, handle) = view.file(&desc)?;
                Ok(view.ctx.unlock(handle, range)?)
            })))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_test_lock",
        |mut caller: Caller<'_, T>, fd: u32, start: u64, len: u64, kind: u32, out: u32| {
            let found = file(caller.data_mut(), fd).and_then(|desc| {
                let (range, kind) = (range(start, len), lock_kind(kind)?);
                let view = caller.data_mut().directfs();
                let (_, handle) = view.file(&desc)?;
                Ok(view.ctx.test_lock(handle, range, kind)?)
            });
            Ok(match found {
                Ok(conflict) => match write_conflict(&mut caller, out, conflict) {
                    Ok(()) => 0,
                    Err(errno) => errno as i32,
                },
                Err(err) => answer(Err(err)),
            })
        },
    )?;
    Ok(())
}

/// Takes (or waits for) a lock on `desc`'s file.
fn lock_on(
    view: &mut DirectfsCtxView<'_>,
    desc: Resource<Descriptor>,
    range: LockRange,
    kind: LockKind,
    wait: bool,
) -> Result<(), Error> {
    let (_, handle) = view.file(&desc)?;
    Ok(view.ctx.lock(handle, range, kind, wait)?)
}

/// Fd `n`'s descriptor if it is a file (`badf` for anything else).
fn file<T: DirectfsView + WasiView>(data: &mut T, n: u32) -> Result<Resource<Descriptor>, Error> {
    match fds(data)
        .map_err(|_| Error::from(ErrorCode::BadDescriptor))?
        .get(n)
    {
        Ok(Fd::File(file)) => Ok(borrowed(&file.desc)),
        _ => Err(ErrorCode::BadDescriptor.into()),
    }
}

/// A range from the guest's numbers (the core checks it: `inval` past
/// 2^63 − 1, as `fcntl`'s `off_t`).
fn range(start: u64, len: u64) -> LockRange {
    LockRange { start, len }
}

/// A lock kind from the guest's number (`inval` for any other).
fn lock_kind(kind: u32) -> Result<LockKind, Error> {
    match kind {
        0 => Ok(LockKind::Shared),
        1 => Ok(LockKind::Exclusive),
        _ => Err(ErrorCode::Invalid.into()),
    }
}

/// A call's errno: 0, or the error's (a trap's errno is `io`).
fn answer(done: Result<(), Error>) -> i32 {
    match done {
        Ok(()) => 0,
        Err(err) => errno(err.code().unwrap_or(ErrorCode::Io)) as i32,
    }
}

/// Writes `conflict` at `out` in the guest's memory (`fault` where it does
/// not fit).
fn write_conflict<T>(
    caller: &mut Caller<'_, T>,
    out: u32,
    conflict: Option<LockConflict>,
) -> Result<(), Errno> {
    let (kind, start, len) = match conflict {
        None => (2u32, 0, 0),
        Some(c) => (
            match c.kind {
                LockKind::Shared => 0,
                LockKind::Exclusive => 1,
            },
            c.range.start,
            c.range.len,
        ),
    };
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(&kind.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes.extend_from_slice(&start.to_le_bytes());
    bytes.extend_from_slice(&len.to_le_bytes());
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(Errno::Fault);
    };
    memory
        .write(caller, out as usize, &bytes)
        .map_err(|_| Errno::Fault)
}
