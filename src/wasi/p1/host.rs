//! The generated `WasiSnapshotPreview1` trait, implemented for every store
//! data type with a [`DirectfsView`] and a [`WasiView`]: each filesystem
//! function looks up its fd, runs the shared call of [`crate::wasi::calls`]
//! (or the handle's I/O) and converts back; the rest is wasmtime-wasi's
//! WASI 0.2 hosts, called as its own preview 1 calls them.
//!
//! The non-filesystem functions and the shape of the filesystem ones follow
//! wasmtime-wasi 48's `src/p1.rs` (Apache-2.0 WITH LLVM-exception), so that
//! a program sees the same answers under either.

use std::collections::HashSet;

use wasmtime::component::Resource;
use wasmtime_wasi::WasiView;
use wasmtime_wasi::cli::WasiCliView as _;
use wasmtime_wasi::clocks::WasiClocksView as _;
use wasmtime_wasi::p2::StreamError;
use wasmtime_wasi::p2::bindings::cli::{
    environment, stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr,
    terminal_stdin, terminal_stdout,
};
use wasmtime_wasi::p2::bindings::clocks::{monotonic_clock, wall_clock};
use wasmtime_wasi::p2::bindings::io::poll::{self, Pollable};
use wasmtime_wasi::p2::bindings::io::streams::{self, InputStream, OutputStream};
use wasmtime_wasi::p2::bindings::random::random;
use wiggle::{GuestMemory, GuestPtr, GuestType as _};

use super::convert::{self, errno, filestat, filetype};
use super::{Dir, Fd, Fds, File, State, borrowed};
use crate::bindings::p1::types::{self, Errno};
use crate::bindings::p1::wasi_snapshot_preview1::WasiSnapshotPreview1;
use crate::bindings::wasi::wasi::filesystem::types::HostDescriptor as _;
use crate::ctx::DirectfsView;
use crate::wasi::calls::is_pipe;
use crate::wasi::{Descriptor, DescriptorKind, OpenIntent};

type Result<T, E = types::Error> = std::result::Result<T, E>;

/// The store's preview 1 state.
fn state<T: DirectfsView>(data: &mut T) -> &mut State {
    let ctx = data.directfs().ctx;
    &mut ctx.p1
}

/// The store's fd table, made at the first call that needs it: stdio as fds
/// 0–2 (wasmtime-wasi's streams), then the preopens from fd 3.
fn fds<T: DirectfsView + WasiView>(data: &mut T) -> Result<&mut Fds> {
    if state(data).fds.is_none() {
        let fds = new_fds(data)?;
        state(data).fds = Some(fds);
    }
    Ok(state(data).fds.get_or_insert_with(Fds::default))
}

fn new_fds<T: DirectfsView + WasiView>(data: &mut T) -> Result<Fds> {
    let trap = |what: &str| {
        let what = what.to_owned();
        move |err: wasmtime::Error| {
            types::Error::trap(err.context(format!("failed to call `{what}`")))
        }
    };
    let mut fds = Fds::default();
    let mut cli = data.cli();
    let stream = stdin::Host::get_stdin(&mut cli).map_err(trap("get-stdin"))?;
    let tty = match terminal_stdin::Host::get_terminal_stdin(&mut cli)
        .map_err(trap("get-terminal-stdin"))?
    {
        Some(term) => {
            terminal_input::HostTerminalInput::drop(&mut cli, term).map_err(trap("drop"))?;
            true
        }
        None => false,
    };
    fds.push(Fd::Stdin { stream, tty })?;
    let stream = stdout::Host::get_stdout(&mut cli).map_err(trap("get-stdout"))?;
    let tty = match terminal_stdout::Host::get_terminal_stdout(&mut cli)
        .map_err(trap("get-terminal-stdout"))?
    {
        Some(term) => {
            terminal_output::HostTerminalOutput::drop(&mut cli, term).map_err(trap("drop"))?;
            true
        }
        None => false,
    };
    fds.push(Fd::Stdout { stream, tty })?;
    let stream = stderr::Host::get_stderr(&mut cli).map_err(trap("get-stderr"))?;
    let tty = match terminal_stderr::Host::get_terminal_stderr(&mut cli)
        .map_err(trap("get-terminal-stderr"))?
    {
        Some(term) => {
            terminal_output::HostTerminalOutput::drop(&mut cli, term).map_err(trap("drop"))?;
            true
        }
        None => false,
    };
    fds.push(Fd::Stdout { stream, tty })?;
    let mut view = data.directfs();
    if view.ctx.tables_differ {
        return Err(types::Error::trap(wasmtime::Error::msg(
            "directfs: the store's DirectfsView::directfs and WasiView::ctx return different \
             ResourceTables; wasi_snapshot_preview1 polls stdio and files together, so both \
             must return the same table",
        )));
    }
    for (desc, path) in view.fs_get_directories().map_err(types::Error::trap)? {
        fds.push(Fd::Dir(Dir {
            desc,
            preopen: Some(path),
            listing: None,
        }))?;
    }
    Ok(fds)
}

/// Takes `n` bytes of the running call's copy budget (`nomem` past it).
fn consume_fuel<T: DirectfsView>(data: &mut T, n: usize) -> Result<()> {
    let state = state(data);
    if n > state.fuel {
        return Err(Errno::Nomem.into());
    }
    state.fuel -= n;
    Ok(())
}

fn consume_fuel_for_array<T: DirectfsView, E>(data: &mut T, array: GuestPtr<[E]>) -> Result<()> {
    let bytes = usize::try_from(array.len())?
        .checked_mul(size_of::<E>())
        .ok_or(Errno::Overflow)?;
    consume_fuel(data, bytes)
}

/// A guest string (a path): borrowed from the guest's memory where it can
/// be, after taking its length from the copy budget.
fn string<'m, T: DirectfsView>(
    data: &mut T,
    memory: &'m GuestMemory<'_>,
    ptr: GuestPtr<str>,
) -> Result<std::borrow::Cow<'m, str>> {
    consume_fuel(data, usize::try_from(ptr.len())?)?;
    Ok(memory.as_cow_str(ptr)?)
}

/// The first non-empty buffer of an iovec array (or an empty one): what one
/// read or write moves, as wasmtime-wasi.
fn first_non_empty<T: DirectfsView, V>(
    data: &mut T,
    memory: &GuestMemory<'_>,
    iovs: GuestPtr<[V]>,
    parts: impl Fn(&V) -> (GuestPtr<u8>, u32),
) -> Result<GuestPtr<[u8]>>
where
    V: wiggle::GuestType,
{
    consume_fuel_for_array(data, iovs)?;
    for iov in iovs.iter() {
        let (buf, len) = parts(&memory.read(iov?)?);
        if len == 0 {
            continue;
        }
        let buf = buf.as_array(len);
        consume_fuel_for_array(data, buf)?;
        return Ok(buf);
    }
    Ok(GuestPtr::new((0, 0)))
}

fn first_iovec<T: DirectfsView>(
    data: &mut T,
    memory: &GuestMemory<'_>,
    iovs: types::IovecArray,
) -> Result<GuestPtr<[u8]>> {
    first_non_empty(data, memory, iovs, |iov: &types::Iovec| {
        (iov.buf, iov.buf_len)
    })
}

fn first_ciovec<T: DirectfsView>(
    data: &mut T,
    memory: &GuestMemory<'_>,
    ciovs: types::CiovecArray,
) -> Result<GuestPtr<[u8]>> {
    first_non_empty(data, memory, ciovs, |iov: &types::Ciovec| {
        (iov.buf, iov.buf_len)
    })
}

/// Fd `n`'s descriptor if it is a directory (`badf` otherwise).
fn dir_desc<T: DirectfsView + WasiView>(
    data: &mut T,
    n: types::Fd,
) -> Result<Resource<Descriptor>> {
    match fds(data)?.get(n.into())? {
        Fd::Dir(dir) => Ok(borrowed(&dir.desc)),
        _ => Err(Errno::Badf.into()),
    }
}

/// Fd `n`'s descriptor if it is a file (`badf` otherwise).
fn file_desc<T: DirectfsView + WasiView>(
    data: &mut T,
    n: types::Fd,
) -> Result<Resource<Descriptor>> {
    match fds(data)?.get(n.into())? {
        Fd::File(file) => Ok(borrowed(&file.desc)),
        _ => Err(Errno::Badf.into()),
    }
}

/// Fd `n`'s descriptor, a directory or a file (`badf` for stdio).
fn any_desc<T: DirectfsView + WasiView>(
    data: &mut T,
    n: types::Fd,
) -> Result<Resource<Descriptor>> {
    match fds(data)?.get(n.into())? {
        Fd::Dir(Dir { desc, .. }) | Fd::File(File { desc, .. }) => Ok(borrowed(desc)),
        Fd::Stdin { .. } | Fd::Stdout { .. } => Err(Errno::Badf.into()),
    }
}

/// Fd `n`'s file, for `fd_seek` and `fd_tell`: stdio → `spipe`, a
/// directory → `badf` (as wasmtime-wasi).
fn seekable<T: DirectfsView + WasiView>(data: &mut T, n: types::Fd) -> Result<&mut File> {
    match fds(data)?.get_mut(n.into())? {
        Fd::File(file) => Ok(file),
        Fd::Stdin { .. } | Fd::Stdout { .. } => Err(Errno::Spipe.into()),
        Fd::Dir(_) => Err(Errno::Badf.into()),
    }
}

/// What a read or write of a file fd needs: its descriptor, position and
/// flags.
#[derive(Clone, Copy)]
struct Io {
    desc: u32,
    position: u64,
    append: bool,
    nonblock: bool,
    pipe: bool,
}

impl Io {
    fn of(file: &File) -> Self {
        Io {
            desc: file.desc.rep(),
            position: file.position,
            append: file.append,
            nonblock: file.nonblock,
            pipe: file.pipe,
        }
    }

    fn desc(&self) -> Resource<Descriptor> {
        Resource::new_borrow(self.desc)
    }
}

/// Where a write goes.
#[derive(Clone, Copy)]
enum At {
    /// The fd's position (`fd_write`), which moves.
    Position,
    /// This offset (`fd_pwrite`, `fd_pread`).
    Offset(u64),
}

/// Reads a file fd into `buf` at `at`: into the guest's memory directly
/// where it is not shared. A FIFO, socket or device is read without an
/// offset, and waited for unless the fd is `nonblock`.
fn read_file<T: DirectfsView>(
    data: &mut T,
    memory: &mut GuestMemory<'_>,
    io: Io,
    at: u64,
    buf: GuestPtr<[u8]>,
) -> Result<usize> {
    let view = data.directfs();
    let max = view.ctx.limits.max_io_bytes;
    let (_, handle) = view.file(&io.desc())?;
    if !io.pipe
        && let Some(slice) = memory.as_slice_mut(buf)?
    {
        return Ok(handle.read_into(at, slice)?);
    }
    let interrupter = (!io.nonblock).then_some(&view.ctx.interrupter);
    let len = buf.len();
    let read = handle.read(at, u64::from(len), max, interrupter)?;
    let n = u32::try_from(read.len())?;
    let dest = buf.get_range(0..n).ok_or(Errno::Range)?;
    memory.copy_from_slice(&read, dest)?;
    Ok(read.len())
}

/// Writes `buf` to a file fd at `at` (at the end for an `append` fd; a
/// FIFO, socket or device without an offset, waited for unless the fd is
/// `nonblock`). Returns how many bytes were written, and the fd's new
/// position if it moves.
fn write_file<T: DirectfsView>(
    data: &mut T,
    memory: &GuestMemory<'_>,
    io: Io,
    at: At,
    buf: GuestPtr<[u8]>,
) -> Result<(usize, Option<u64>)> {
    let bytes = memory.as_cow(buf)?;
    let mut view = data.directfs();
    let (_, handle) = view.file(&io.desc())?;
    let n = if io.pipe {
        let interrupter = (!io.nonblock).then_some(&view.ctx.interrupter);
        handle.write(0, &bytes, usize::MAX, interrupter)?
    } else if io.append {
        // Linux's `pwrite` on an `O_APPEND` file: the offset is ignored.
        handle.append(&bytes, usize::MAX)?
    } else {
        let offset = match at {
            At::Position => io.position,
            At::Offset(offset) => offset,
        };
        handle.write(offset, &bytes, usize::MAX, None)?
    };
    let position = match (at, io.pipe, io.append) {
        (At::Offset(_), _, _) | (At::Position, true, _) => None,
        (At::Position, false, true) => Some(view.fs_stat(&io.desc())?.size),
        (At::Position, false, false) => Some(io.position.checked_add(n).ok_or(Errno::Overflow)?),
    };
    Ok((usize::try_from(n)?, position))
}

/// Sets file fd `n`'s position, if it is still that file.
fn set_position<T: DirectfsView + WasiView>(
    data: &mut T,
    n: types::Fd,
    io: Io,
    position: u64,
) -> Result<()> {
    if let Ok(Fd::File(file)) = fds(data)?.get_mut(n.into())
        && file.desc.rep() == io.desc
    {
        file.position = position;
    }
    Ok(())
}

/// Writes `bytes` at `ptr`; returns the pointer past them.
fn write_bytes(
    memory: &mut GuestMemory<'_>,
    ptr: GuestPtr<u8>,
    bytes: &[u8],
) -> Result<GuestPtr<u8>> {
    let len = u32::try_from(bytes.len())?;
    memory.copy_from_slice(bytes, ptr.as_array(len))?;
    Ok(ptr.add(len)?)
}

/// Writes `bytes` to an output stream of wasmtime-wasi (stdout, stderr),
/// in the 4 KiB pieces its `blocking-write-and-flush` takes.
async fn write_stream<T: WasiView>(
    data: &mut T,
    memory: &GuestMemory<'_>,
    stream: Resource<OutputStream>,
    buf: GuestPtr<[u8]>,
) -> Result<usize> {
    let bytes = memory.as_cow(buf)?;
    let table = WasiView::ctx(data).table;
    for chunk in bytes.chunks(4096) {
        streams::HostOutputStream::blocking_write_and_flush(
            table,
            borrowed(&stream),
            chunk.to_vec(),
        )
        .await?;
    }
    Ok(bytes.len())
}

/// `wall-clock::now` in nanoseconds.
fn wall_now<T: WasiView>(data: &mut T) -> Result<u64> {
    let now = wall_clock::Host::now(&mut data.clocks()).map_err(types::Error::trap)?;
    now.seconds
        .checked_mul(1_000_000_000)
        .and_then(|ns| ns.checked_add(u64::from(now.nanoseconds)))
        .ok_or_else(|| Errno::Overflow.into())
}

impl<T: DirectfsView + WasiView> WasiSnapshotPreview1 for T {
    fn set_hostcall_fuel(&mut self, fuel: usize) {
        state(self).fuel = fuel;
    }

    fn args_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        argv: GuestPtr<GuestPtr<u8>>,
        argv_buf: GuestPtr<u8>,
    ) -> Result<()> {
        let args = environment::Host::get_arguments(&mut self.cli()).map_err(types::Error::trap)?;
        let (mut argv, mut buf) = (argv, argv_buf);
        for arg in args {
            memory.write(argv, buf)?;
            argv = argv.add(1)?;
            buf = write_bytes(memory, buf, arg.as_bytes())?;
            buf = write_bytes(memory, buf, &[0])?;
        }
        Ok(())
    }

    fn args_sizes_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
    ) -> Result<(types::Size, types::Size)> {
        let args = environment::Host::get_arguments(&mut self.cli()).map_err(types::Error::trap)?;
        let len: usize = args.iter().map(|arg| arg.len() + 1).sum();
        Ok((args.len().try_into()?, len.try_into()?))
    }

    fn environ_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        environ: GuestPtr<GuestPtr<u8>>,
        environ_buf: GuestPtr<u8>,
    ) -> Result<()> {
        let vars =
            environment::Host::get_environment(&mut self.cli()).map_err(types::Error::trap)?;
        let (mut environ, mut buf) = (environ, environ_buf);
        for (name, value) in vars {
            memory.write(environ, buf)?;
            environ = environ.add(1)?;
            buf = write_bytes(memory, buf, name.as_bytes())?;
            buf = write_bytes(memory, buf, b"=")?;
            buf = write_bytes(memory, buf, value.as_bytes())?;
            buf = write_bytes(memory, buf, &[0])?;
        }
        Ok(())
    }

    fn environ_sizes_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
    ) -> Result<(types::Size, types::Size)> {
        let vars =
            environment::Host::get_environment(&mut self.cli()).map_err(types::Error::trap)?;
        let len: usize = vars.iter().map(|(k, v)| k.len() + 1 + v.len() + 1).sum();
        Ok((vars.len().try_into()?, len.try_into()?))
    }

    fn clock_res_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        id: types::Clockid,
    ) -> Result<types::Timestamp> {
        match id {
            types::Clockid::Realtime => {
                let res =
                    wall_clock::Host::resolution(&mut self.clocks()).map_err(types::Error::trap)?;
                res.seconds
                    .checked_mul(1_000_000_000)
                    .and_then(|ns| ns.checked_add(u64::from(res.nanoseconds)))
                    .ok_or_else(|| Errno::Overflow.into())
            }
            types::Clockid::Monotonic => {
                monotonic_clock::Host::resolution(&mut self.clocks()).map_err(types::Error::trap)
            }
            types::Clockid::ProcessCputimeId | types::Clockid::ThreadCputimeId => {
                Err(Errno::Badf.into())
            }
        }
    }

    fn clock_time_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        id: types::Clockid,
        _precision: types::Timestamp,
    ) -> Result<types::Timestamp> {
        match id {
            types::Clockid::Realtime => wall_now(self),
            types::Clockid::Monotonic => {
                monotonic_clock::Host::now(&mut self.clocks()).map_err(types::Error::trap)
            }
            types::Clockid::ProcessCputimeId | types::Clockid::ThreadCputimeId => {
                Err(Errno::Badf.into())
            }
        }
    }

    fn fd_advise(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        offset: types::Filesize,
        len: types::Filesize,
        advice: types::Advice,
    ) -> Result<()> {
        let desc = file_desc(self, fd)?;
        Ok(self
            .directfs()
            .fs_advise(&desc, offset, len, convert::advice(advice))?)
    }

    fn fd_allocate(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _offset: types::Filesize,
        _len: types::Filesize,
    ) -> Result<()> {
        // As wasmtime-wasi: WASI 0.2 has no `allocate`.
        file_desc(self, fd)?;
        Err(Errno::Notsup.into())
    }

    async fn fd_close(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<()> {
        match fds(self)?.remove(fd.into())? {
            Fd::Stdin { stream, .. } => {
                streams::HostInputStream::drop(WasiView::ctx(self).table, stream)
                    .await
                    .map_err(types::Error::trap)
            }
            Fd::Stdout { stream, .. } => {
                streams::HostOutputStream::drop(WasiView::ctx(self).table, stream)
                    .await
                    .map_err(types::Error::trap)
            }
            Fd::Dir(Dir { desc, .. }) | Fd::File(File { desc, .. }) => {
                self.directfs().fs_drop(desc).map_err(types::Error::trap)
            }
        }
    }

    fn fd_datasync(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<()> {
        let desc = file_desc(self, fd)?;
        Ok(self.directfs().fs_sync_data(&desc)?)
    }

    fn fd_fdstat_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
    ) -> Result<types::Fdstat> {
        use types::Rights;
        let tty_type = |tty: bool| match tty {
            true => types::Filetype::CharacterDevice,
            false => types::Filetype::Unknown,
        };
        let (desc, append, nonblock) = match fds(self)?.get(fd.into())? {
            Fd::Stdin { tty, .. } => {
                return Ok(types::Fdstat {
                    fs_filetype: tty_type(*tty),
                    fs_flags: types::Fdflags::empty(),
                    fs_rights_base: Rights::FD_READ,
                    fs_rights_inheriting: Rights::FD_READ,
                });
            }
            Fd::Stdout { tty, .. } => {
                return Ok(types::Fdstat {
                    fs_filetype: tty_type(*tty),
                    fs_flags: types::Fdflags::empty(),
                    fs_rights_base: Rights::FD_WRITE,
                    fs_rights_inheriting: Rights::FD_WRITE,
                });
            }
            Fd::Dir(Dir {
                preopen: Some(_), ..
            }) => {
                // The rights wasmtime-wasi shows for a preopen, which
                // userlands expect.
                let base = Rights::PATH_CREATE_DIRECTORY
                    | Rights::PATH_CREATE_FILE
                    | Rights::PATH_LINK_SOURCE
                    | Rights::PATH_LINK_TARGET
                    | Rights::PATH_OPEN
                    | Rights::FD_READDIR
                    | Rights::PATH_READLINK
                    | Rights::PATH_RENAME_SOURCE
                    | Rights::PATH_RENAME_TARGET
                    | Rights::PATH_SYMLINK
                    | Rights::PATH_REMOVE_DIRECTORY
                    | Rights::PATH_UNLINK_FILE
                    | Rights::PATH_FILESTAT_GET
                    | Rights::PATH_FILESTAT_SET_TIMES
                    | Rights::FD_FILESTAT_GET
                    | Rights::FD_FILESTAT_SET_TIMES;
                let inheriting = base
                    | Rights::FD_DATASYNC
                    | Rights::FD_READ
                    | Rights::FD_SEEK
                    | Rights::FD_FDSTAT_SET_FLAGS
                    | Rights::FD_SYNC
                    | Rights::FD_TELL
                    | Rights::FD_WRITE
                    | Rights::FD_ADVISE
                    | Rights::FD_ALLOCATE
                    | Rights::FD_FILESTAT_GET
                    | Rights::FD_FILESTAT_SET_SIZE
                    | Rights::FD_FILESTAT_SET_TIMES
                    | Rights::POLL_FD_READWRITE;
                return Ok(types::Fdstat {
                    fs_filetype: types::Filetype::Directory,
                    fs_flags: types::Fdflags::empty(),
                    fs_rights_base: base,
                    fs_rights_inheriting: inheriting,
                });
            }
            Fd::Dir(Dir { desc, .. }) => (borrowed(desc), false, false),
            Fd::File(file) => (borrowed(&file.desc), file.append, file.nonblock),
        };
        let mut view = self.directfs();
        let access = view.fs_get_flags(&desc)?;
        let fs_filetype = filetype(view.fs_get_type(&desc)?);
        let mut rights = Rights::all();
        if fs_filetype == types::Filetype::Directory {
            rights &=
                !(Rights::FD_SEEK | Rights::FD_FILESTAT_SET_SIZE | Rights::PATH_FILESTAT_SET_SIZE);
        }
        if !access.read {
            rights &= !(Rights::FD_READ | Rights::FD_READDIR);
        }
        if !access.write {
            rights &= !Rights::FD_WRITE;
        }
        let mut fs_flags = types::Fdflags::empty();
        if append {
            fs_flags |= types::Fdflags::APPEND;
        }
        if nonblock {
            fs_flags |= types::Fdflags::NONBLOCK;
        }
        Ok(types::Fdstat {
            fs_filetype,
            fs_flags,
            fs_rights_base: rights,
            fs_rights_inheriting: rights,
        })
    }

    fn fd_fdstat_set_flags(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        flags: types::Fdflags,
    ) -> Result<()> {
        let Fd::File(file) = fds(self)?.get_mut(fd.into())? else {
            return Err(Errno::Badf.into());
        };
        // Only `append` and `nonblock` change (as wasmtime-wasi).
        if flags.intersects(types::Fdflags::DSYNC | types::Fdflags::SYNC | types::Fdflags::RSYNC) {
            return Err(Errno::Inval.into());
        }
        file.append = flags.contains(types::Fdflags::APPEND);
        file.nonblock = flags.contains(types::Fdflags::NONBLOCK);
        Ok(())
    }

    fn fd_fdstat_set_rights(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _fs_rights_base: types::Rights,
        _fs_rights_inheriting: types::Rights,
    ) -> Result<()> {
        any_desc(self, fd)?;
        Err(Errno::Notsup.into())
    }

    fn fd_filestat_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
    ) -> Result<types::Filestat> {
        let desc = match fds(self)?.get(fd.into())? {
            Fd::Stdin { tty, .. } | Fd::Stdout { tty, .. } => {
                return Ok(types::Filestat {
                    dev: 0,
                    ino: 0,
                    filetype: match tty {
                        true => types::Filetype::CharacterDevice,
                        false => types::Filetype::Unknown,
                    },
                    nlink: 0,
                    size: 0,
                    atim: 0,
                    mtim: 0,
                    ctim: 0,
                });
            }
            Fd::Dir(Dir { desc, .. }) | Fd::File(File { desc, .. }) => borrowed(desc),
        };
        let stat = self.directfs().fs_stat(&desc)?;
        Ok(filestat(&stat)?)
    }

    fn fd_filestat_set_size(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        size: types::Filesize,
    ) -> Result<()> {
        let desc = file_desc(self, fd)?;
        Ok(self.directfs().fs_set_size(&desc, size)?)
    }

    fn fd_filestat_set_times(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        atim: types::Timestamp,
        mtim: types::Timestamp,
        fst_flags: types::Fstflags,
    ) -> Result<()> {
        let (atime, mtime) = convert::set_times(atim, mtim, fst_flags)?;
        let desc = any_desc(self, fd)?;
        Ok(self.directfs().fs_set_times(&desc, atime, mtime)?)
    }

    async fn fd_read(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        iovs: types::IovecArray,
    ) -> Result<types::Size> {
        let buf = first_iovec(self, memory, iovs)?;
        let io = match fds(self)?.get(fd.into())? {
            Fd::File(file) => Io::of(file),
            Fd::Stdin { stream, .. } => {
                let stream = borrowed(stream);
                let table = WasiView::ctx(self).table;
                let read = match streams::HostInputStream::blocking_read(
                    table,
                    stream,
                    u64::from(buf.len()),
                )
                .await
                {
                    Ok(read) if read.is_empty() => return Err(Errno::Intr.into()),
                    Ok(read) => read,
                    Err(StreamError::Closed) => Vec::new(),
                    Err(err) => return Err(err.into()),
                };
                let n = u32::try_from(read.len())?;
                let dest = buf.get_range(0..n).ok_or(Errno::Range)?;
                memory.copy_from_slice(&read, dest)?;
                return Ok(n);
            }
            Fd::Stdout { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
        };
        let n = read_file(self, memory, io, io.position, buf)?;
        if !io.pipe {
            let position = io.position.checked_add(n as u64).ok_or(Errno::Overflow)?;
            set_position(self, fd, io, position)?;
        }
        Ok(n.try_into()?)
    }

    fn fd_pread(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        iovs: types::IovecArray,
        offset: types::Filesize,
    ) -> Result<types::Size> {
        let buf = first_iovec(self, memory, iovs)?;
        let io = match fds(self)?.get(fd.into())? {
            Fd::File(file) => Io::of(file),
            Fd::Stdin { .. } => return Err(Errno::Spipe.into()),
            Fd::Stdout { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
        };
        Ok(read_file(self, memory, io, offset, buf)?.try_into()?)
    }

    async fn fd_write(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        ciovs: types::CiovecArray,
    ) -> Result<types::Size> {
        let buf = first_ciovec(self, memory, ciovs)?;
        let io = match fds(self)?.get(fd.into())? {
            Fd::File(file) => Io::of(file),
            Fd::Stdout { stream, .. } => {
                let stream = borrowed(stream);
                return Ok(write_stream(self, memory, stream, buf).await?.try_into()?);
            }
            Fd::Stdin { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
        };
        let (n, position) = write_file(self, memory, io, At::Position, buf)?;
        if let Some(position) = position {
            set_position(self, fd, io, position)?;
        }
        Ok(n.try_into()?)
    }

    fn fd_pwrite(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        ciovs: types::CiovecArray,
        offset: types::Filesize,
    ) -> Result<types::Size> {
        let buf = first_ciovec(self, memory, ciovs)?;
        let io = match fds(self)?.get(fd.into())? {
            Fd::File(file) => Io::of(file),
            Fd::Stdout { .. } => return Err(Errno::Spipe.into()),
            Fd::Stdin { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
        };
        Ok(write_file(self, memory, io, At::Offset(offset), buf)?
            .0
            .try_into()?)
    }

    fn fd_prestat_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
    ) -> Result<types::Prestat> {
        match fds(self)?.get(fd.into())? {
            Fd::Dir(Dir {
                preopen: Some(path),
                ..
            }) => Ok(types::Prestat::Dir(types::PrestatDir {
                pr_name_len: path.len().try_into()?,
            })),
            _ => Err(Errno::Badf.into()),
        }
    }

    fn fd_prestat_dir_name(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        path: GuestPtr<u8>,
        path_max_len: types::Size,
    ) -> Result<()> {
        match fds(self)?.get(fd.into())? {
            Fd::Dir(Dir {
                preopen: Some(name),
                ..
            }) => {
                if name.len() > usize::try_from(path_max_len)? {
                    return Err(Errno::Nametoolong.into());
                }
                write_bytes(memory, path, name.as_bytes())?;
                Ok(())
            }
            // As wasmtime-wasi (and its legacy implementation).
            _ => Err(Errno::Notdir.into()),
        }
    }

    async fn fd_renumber(
        &mut self,
        memory: &mut GuestMemory<'_>,
        from: types::Fd,
        to: types::Fd,
    ) -> Result<()> {
        let fds_ = fds(self)?;
        let (from_n, to_n) = (u32::from(from), u32::from(to));
        if fds_.get(from_n).is_err() || fds_.get(to_n).is_err() {
            return Err(Errno::Badf.into());
        }
        if from_n == to_n {
            return Ok(());
        }
        self.fd_close(memory, to).await?;
        let fds_ = fds(self)?;
        let fd = fds_.remove(from_n)?;
        fds_.free.remove(&to_n);
        fds_.used.insert(to_n, fd);
        Ok(())
    }

    fn fd_seek(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        offset: types::Filedelta,
        whence: types::Whence,
    ) -> Result<types::Filesize> {
        let file = seekable(self, fd)?;
        let (desc, current) = (borrowed(&file.desc), file.position);
        let position = match whence {
            types::Whence::Set => u64::try_from(offset).map_err(|_| Errno::Inval)?,
            types::Whence::Cur => current.checked_add_signed(offset).ok_or(Errno::Inval)?,
            types::Whence::End => {
                let size = self.directfs().fs_stat(&desc)?.size;
                size.checked_add_signed(offset).ok_or(Errno::Inval)?
            }
        };
        seekable(self, fd)?.position = position;
        Ok(position)
    }

    fn fd_sync(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<()> {
        let desc = file_desc(self, fd)?;
        Ok(self.directfs().fs_sync(&desc)?)
    }

    fn fd_tell(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<types::Filesize> {
        Ok(seekable(self, fd)?.position)
    }

    fn fd_readdir(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        buf: GuestPtr<u8>,
        buf_len: types::Size,
        cookie: types::Dircookie,
    ) -> Result<types::Size> {
        let skip = usize::try_from(cookie).map_err(|_| Errno::Overflow)?;
        let Fd::Dir(dir) = fds(self)?.get_mut(fd.into())? else {
            return Err(Errno::Badf.into());
        };
        let (desc, kept) = (borrowed(&dir.desc), dir.listing.take());
        let listing = match (skip, kept) {
            (1.., Some(listing)) => listing,
            _ => list(self, &desc)?,
        };
        let mut out = buf;
        let mut cap = buf_len;
        let size = types::Dirent::guest_size();
        let mut raw = Vec::with_capacity(size as usize);
        let mut full = false;
        for (dirent, name) in listing.iter().skip(skip) {
            // The entry as the guest's `dirent` (little-endian, padded),
            // cut short where the buffer ends (as wasmtime-wasi).
            raw.clear();
            raw.extend_from_slice(&dirent.d_next.to_le_bytes());
            raw.extend_from_slice(&dirent.d_ino.to_le_bytes());
            raw.extend_from_slice(&dirent.d_namlen.to_le_bytes());
            raw.push(dirent.d_type as u8);
            raw.resize(size as usize, 0);
            let head = cap.min(size);
            out = write_bytes(memory, out, raw.get(..head as usize).unwrap_or(&raw))?;
            cap -= head;
            if cap == 0 {
                full = true;
                break;
            }
            let name = name.as_bytes();
            let name = name.get(..cap as usize).unwrap_or(name);
            out = write_bytes(memory, out, name)?;
            cap -= name.len() as u32;
            if cap == 0 {
                full = true;
                break;
            }
        }
        // Kept for the pass's next call (a full buffer: libc asks again
        // from a later cookie).
        if full && let Ok(Fd::Dir(dir)) = fds(self)?.get_mut(fd.into()) {
            dir.listing = Some(listing);
        }
        Ok(buf_len - cap)
    }

    fn path_create_directory(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        let dir = dir_desc(self, dirfd)?;
        let path = string(self, memory, path)?;
        Ok(self.directfs().fs_create_directory_at(&dir, &path)?)
    }

    fn path_filestat_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        flags: types::Lookupflags,
        path: GuestPtr<str>,
    ) -> Result<types::Filestat> {
        let dir = dir_desc(self, dirfd)?;
        let path = string(self, memory, path)?;
        let follow = flags.contains(types::Lookupflags::SYMLINK_FOLLOW);
        let stat = self.directfs().fs_stat_at(&dir, follow, &path)?;
        Ok(filestat(&stat)?)
    }

    fn path_filestat_set_times(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        flags: types::Lookupflags,
        path: GuestPtr<str>,
        atim: types::Timestamp,
        mtim: types::Timestamp,
        fst_flags: types::Fstflags,
    ) -> Result<()> {
        let (atime, mtime) = convert::set_times(atim, mtim, fst_flags)?;
        let dir = dir_desc(self, dirfd)?;
        let path = string(self, memory, path)?;
        let follow = flags.contains(types::Lookupflags::SYMLINK_FOLLOW);
        Ok(self
            .directfs()
            .fs_set_times_at(&dir, follow, &path, atime, mtime)?)
    }

    fn path_link(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_fd: types::Fd,
        src_flags: types::Lookupflags,
        src_path: GuestPtr<str>,
        target_fd: types::Fd,
        target_path: GuestPtr<str>,
    ) -> Result<()> {
        let src = dir_desc(self, src_fd)?;
        let target = dir_desc(self, target_fd)?;
        let src_path = string(self, memory, src_path)?;
        let target_path = string(self, memory, target_path)?;
        let follow = src_flags.contains(types::Lookupflags::SYMLINK_FOLLOW);
        Ok(self
            .directfs()
            .fs_link_at(&src, follow, &src_path, &target, &target_path)?)
    }

    fn path_open(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        dirflags: types::Lookupflags,
        path: GuestPtr<str>,
        oflags: types::Oflags,
        fs_rights_base: types::Rights,
        _fs_rights_inheriting: types::Rights,
        fdflags: types::Fdflags,
    ) -> Result<types::Fd> {
        let path = string(self, memory, path)?;
        let dir = match fds(self)?.get(dirfd.into())? {
            Fd::Dir(dir) => borrowed(&dir.desc),
            Fd::File(_) => return Err(Errno::Notdir.into()),
            Fd::Stdin { .. } | Fd::Stdout { .. } => return Err(Errno::Badf.into()),
        };
        let intent = OpenIntent {
            create: oflags.contains(types::Oflags::CREAT),
            exclusive: oflags.contains(types::Oflags::EXCL),
            truncate: oflags.contains(types::Oflags::TRUNC),
            directory: oflags.contains(types::Oflags::DIRECTORY),
            read: fs_rights_base.contains(types::Rights::FD_READ),
            write: fs_rights_base.contains(types::Rights::FD_WRITE),
            sync: fdflags
                .intersects(types::Fdflags::SYNC | types::Fdflags::DSYNC | types::Fdflags::RSYNC),
        };
        let follow = dirflags.contains(types::Lookupflags::SYMLINK_FOLLOW);
        let mut view = self.directfs();
        let desc = view.fs_open_at(&dir, follow, &path, intent)?;
        let fd = match &view.descriptor(&desc)?.kind {
            DescriptorKind::Directory { .. } => Fd::Dir(Dir {
                desc,
                preopen: None,
                listing: None,
            }),
            DescriptorKind::File { .. } => {
                let pipe = match view.fs_get_type(&desc) {
                    Ok(file_type) => is_pipe(file_type),
                    Err(err) => {
                        view.fs_drop(desc).map_err(types::Error::trap)?;
                        return Err(err.into());
                    }
                };
                Fd::File(File {
                    desc,
                    position: 0,
                    append: fdflags.contains(types::Fdflags::APPEND),
                    nonblock: fdflags.contains(types::Fdflags::NONBLOCK),
                    pipe,
                })
            }
        };
        Ok(fds(self)?.push(fd)?.into())
    }

    fn path_readlink(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
        buf: GuestPtr<u8>,
        buf_len: types::Size,
    ) -> Result<types::Size> {
        let dir = dir_desc(self, dirfd)?;
        let path = string(self, memory, path)?;
        let target = self.directfs().fs_readlink_at(&dir, &path)?;
        let target = target.as_bytes();
        let target = target.get(..buf_len as usize).unwrap_or(target);
        write_bytes(memory, buf, target)?;
        Ok(target.len().try_into()?)
    }

    fn path_remove_directory(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        let dir = dir_desc(self, dirfd)?;
        let path = string(self, memory, path)?;
        Ok(self.directfs().fs_remove_directory_at(&dir, &path)?)
    }

    fn path_rename(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_fd: types::Fd,
        src_path: GuestPtr<str>,
        dest_fd: types::Fd,
        dest_path: GuestPtr<str>,
    ) -> Result<()> {
        let src = dir_desc(self, src_fd)?;
        let dest = dir_desc(self, dest_fd)?;
        let src_path = string(self, memory, src_path)?;
        let dest_path = string(self, memory, dest_path)?;
        Ok(self
            .directfs()
            .fs_rename_at(&src, &src_path, &dest, &dest_path)?)
    }

    fn path_symlink(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_path: GuestPtr<str>,
        dirfd: types::Fd,
        dest_path: GuestPtr<str>,
    ) -> Result<()> {
        let dir = dir_desc(self, dirfd)?;
        let src_path = string(self, memory, src_path)?;
        let dest_path = string(self, memory, dest_path)?;
        Ok(self.directfs().fs_symlink_at(&dir, &src_path, &dest_path)?)
    }

    fn path_unlink_file(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        let dir = dir_desc(self, dirfd)?;
        let path = string(self, memory, path)?;
        Ok(self.directfs().fs_unlink_file_at(&dir, &path)?)
    }

    async fn poll_oneoff(
        &mut self,
        memory: &mut GuestMemory<'_>,
        subs: GuestPtr<types::Subscription>,
        events: GuestPtr<types::Event>,
        nsubscriptions: types::Size,
    ) -> Result<types::Size> {
        poll_oneoff(self, memory, subs, events, nsubscriptions).await
    }

    fn proc_exit(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        status: types::Exitcode,
    ) -> wasmtime::Error {
        // WASI's range (as wasmtime-wasi).
        if status >= 126 {
            return wasmtime::Error::msg("exit with invalid exit status outside of [0..126)");
        }
        wasmtime_wasi::I32Exit(status as i32).into()
    }

    fn proc_raise(&mut self, _memory: &mut GuestMemory<'_>, _sig: types::Signal) -> Result<()> {
        Err(Errno::Notsup.into())
    }

    fn sched_yield(&mut self, _memory: &mut GuestMemory<'_>) -> Result<()> {
        Ok(())
    }

    fn random_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        buf: GuestPtr<u8>,
        buf_len: types::Size,
    ) -> Result<()> {
        let bytes =
            random::Host::get_random_bytes(WasiView::ctx(self).ctx.random(), buf_len.into())
                .map_err(types::Error::trap)?;
        write_bytes(memory, buf, &bytes)?;
        Ok(())
    }

    fn sock_accept(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _flags: types::Fdflags,
    ) -> Result<types::Fd> {
        fds(self)?.get(fd.into())?;
        Err(Errno::Notsock.into())
    }

    fn sock_recv(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _ri_data: types::IovecArray,
        _ri_flags: types::Riflags,
    ) -> Result<(types::Size, types::Roflags)> {
        fds(self)?.get(fd.into())?;
        Err(Errno::Notsock.into())
    }

    fn sock_send(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _si_data: types::CiovecArray,
        _si_flags: types::Siflags,
    ) -> Result<types::Size> {
        fds(self)?.get(fd.into())?;
        Err(Errno::Notsock.into())
    }

    fn sock_shutdown(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _how: types::Sdflags,
    ) -> Result<()> {
        fds(self)?.get(fd.into())?;
        Err(Errno::Notsock.into())
    }
}

/// A directory's listing for `fd_readdir`: `.` and `..` (both with the
/// directory's own inode number, as wasmtime-wasi), then its entries in host
/// order, each with the cookie of the next. A removed directory lists as
/// `.` and `..` only.
fn list<T: DirectfsView>(
    data: &mut T,
    desc: &Resource<Descriptor>,
) -> Result<Vec<(types::Dirent, String)>> {
    let mut view = data.directfs();
    let dir_ino = view.fs_stat(desc)?.ino;
    let dentry = view.dir(desc)?;
    let page = view.ctx.limits.max_dir_entries;
    let dirent = |d_next, d_ino, d_type, name: &str| -> Result<(types::Dirent, String)> {
        Ok((
            types::Dirent {
                d_next,
                d_ino,
                d_type,
                d_namlen: name.len().try_into()?,
            },
            name.to_owned(),
        ))
    };
    let mut listing = vec![
        dirent(1, dir_ino, types::Filetype::Directory, ".")?,
        dirent(2, dir_ino, types::Filetype::Directory, "..")?,
    ];
    let mut cursor = Some(0);
    while let Some(at) = cursor {
        let listed = match view.ctx.tree().read_dir(dentry, at, page) {
            Ok(listed) => listed,
            // `getdents64` of a removed directory (see `wasi::p2`'s).
            Err(crate::ErrorCode::NoEntry) => break,
            Err(err) => return Err(err.into()),
        };
        for entry in listed.entries {
            let next = listing.len() as u64 + 1;
            listing.push(dirent(
                next,
                entry.ino,
                filetype(entry.file_type),
                &entry.name,
            )?);
        }
        cursor = listed.next;
    }
    Ok(listing)
}

/// `poll_oneoff`: clocks through wasmtime-wasi's monotonic clock; stdio
/// through its streams; files through the 0.2 frontend's streams, whose
/// pollables wait for a FIFO's or socket's readiness (a regular file is
/// always ready). Ported from wasmtime-wasi's, with its answers.
async fn poll_oneoff<T: DirectfsView + WasiView>(
    data: &mut T,
    memory: &mut GuestMemory<'_>,
    subs: GuestPtr<types::Subscription>,
    events: GuestPtr<types::Event>,
    nsubscriptions: types::Size,
) -> Result<types::Size> {
    if nsubscriptions == 0 {
        // Sleeping forever is not a thing in preview 1.
        return Err(Errno::Inval.into());
    }
    // One relative clock (of any clock id): a sleep of this thread on a
    // sync host, as wasmtime-wasi sleeps there (for steadier sleeps).
    if nsubscriptions == 1 && !data.directfs().ctx.async_host {
        let sub = memory.read(subs)?;
        if let types::SubscriptionU::Clock(clock) = sub.u
            && !clock
                .flags
                .contains(types::Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME)
        {
            std::thread::sleep(std::time::Duration::from_nanos(clock.timeout));
            memory.write(
                events,
                types::Event {
                    userdata: sub.userdata,
                    error: Errno::Success,
                    type_: types::Eventtype::Clock,
                    fd_readwrite: types::EventFdReadwrite {
                        flags: types::Eventrwflags::empty(),
                        nbytes: 1,
                    },
                },
            )?;
            return Ok(1);
        }
    }
    let subs = subs.as_array(nsubscriptions);
    let events = events.as_array(nsubscriptions);
    consume_fuel_for_array(data, subs)?;
    consume_fuel_for_array(data, events)?;

    let mut temp = Temp {
        data,
        pollables: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    let mut borrowed_pollables = Vec::new();
    for sub in subs.iter() {
        let sub = memory.read(sub?)?;
        let pollable = match sub.u {
            types::SubscriptionU::Clock(clock) => {
                let absolute = clock
                    .flags
                    .contains(types::Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME);
                let (timeout, absolute) = match clock.id {
                    types::Clockid::Monotonic => (clock.timeout, absolute),
                    types::Clockid::Realtime if !absolute => (clock.timeout, false),
                    types::Clockid::Realtime => {
                        let now = wall_now(temp.data)?;
                        (clock.timeout.saturating_sub(now), false)
                    }
                    _ => return Err(Errno::Inval.into()),
                };
                let mut clocks = temp.data.clocks();
                match absolute {
                    true => monotonic_clock::Host::subscribe_instant(&mut clocks, timeout),
                    false => monotonic_clock::Host::subscribe_duration(&mut clocks, timeout),
                }
                .map_err(types::Error::trap)?
            }
            types::SubscriptionU::FdRead(types::SubscriptionFdReadwrite { file_descriptor }) => {
                let stream = match fds(temp.data)?.get(file_descriptor.into())? {
                    Fd::Stdin { stream, .. } => borrowed(stream),
                    Fd::File(file) => {
                        let (desc, position) = (borrowed(&file.desc), file.position);
                        let stream = temp.data.directfs().read_via_stream(desc, position)?;
                        let b = borrowed(&stream);
                        temp.inputs.push(stream);
                        b
                    }
                    Fd::Stdout { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
                };
                streams::HostInputStream::subscribe(WasiView::ctx(temp.data).table, stream)
                    .map_err(types::Error::trap)?
            }
            types::SubscriptionU::FdWrite(types::SubscriptionFdReadwrite { file_descriptor }) => {
                let stream = match fds(temp.data)?.get(file_descriptor.into())? {
                    Fd::Stdout { stream, .. } => borrowed(stream),
                    Fd::File(file) => {
                        let (desc, position, append) =
                            (borrowed(&file.desc), file.position, file.append);
                        let mut view = temp.data.directfs();
                        let stream = match append {
                            true => view.append_via_stream(desc)?,
                            false => view.write_via_stream(desc, position)?,
                        };
                        let b = borrowed(&stream);
                        temp.outputs.push(stream);
                        b
                    }
                    Fd::Stdin { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
                };
                streams::HostOutputStream::subscribe(WasiView::ctx(temp.data).table, stream)
                    .map_err(types::Error::trap)?
            }
        };
        borrowed_pollables.push(borrowed(&pollable));
        temp.pollables.push(pollable);
    }
    let ready: HashSet<u32> = poll::Host::poll(WasiView::ctx(temp.data).table, borrowed_pollables)
        .await
        .map_err(types::Error::trap)?
        .into_iter()
        .collect();
    drop(temp);

    let mut count: types::Size = 0;
    for (sub, event) in (0..)
        .zip(subs.iter())
        .filter_map(|(i, sub)| ready.contains(&i).then_some(sub))
        .zip(events.iter())
    {
        let sub = memory.read(sub?)?;
        let ready = |type_, flags, nbytes| types::Event {
            userdata: sub.userdata,
            error: Errno::Success,
            type_,
            fd_readwrite: types::EventFdReadwrite { flags, nbytes },
        };
        let none = types::Eventrwflags::empty();
        let event_value = match sub.u {
            types::SubscriptionU::Clock(_) => ready(types::Eventtype::Clock, none, 0),
            types::SubscriptionU::FdRead(types::SubscriptionFdReadwrite { file_descriptor }) => {
                match fds(data)?.get(file_descriptor.into())? {
                    Fd::Stdin { .. } => ready(types::Eventtype::FdRead, none, 1),
                    Fd::File(file) if file.pipe => ready(types::Eventtype::FdRead, none, 1),
                    Fd::File(file) => {
                        // A regular file: at its end, a hang-up (as
                        // wasmtime-wasi).
                        let (desc, position) = (borrowed(&file.desc), file.position);
                        let size = data.directfs().fs_stat(&desc)?.size;
                        let flags = match size.saturating_sub(position) {
                            0 => types::Eventrwflags::FD_READWRITE_HANGUP,
                            _ => none,
                        };
                        ready(types::Eventtype::FdRead, flags, 1)
                    }
                    Fd::Stdout { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
                }
            }
            types::SubscriptionU::FdWrite(types::SubscriptionFdReadwrite { file_descriptor }) => {
                match fds(data)?.get(file_descriptor.into())? {
                    Fd::Stdout { .. } | Fd::File(_) => ready(types::Eventtype::FdWrite, none, 1),
                    Fd::Stdin { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
                }
            }
        };
        memory.write(event?, event_value)?;
        count = count.checked_add(1).ok_or(Errno::Overflow)?;
    }
    Ok(count)
}

/// The resources one `poll_oneoff` makes, dropped with it (also when it
/// fails half-way).
struct Temp<'a, T: WasiView> {
    data: &'a mut T,
    pollables: Vec<Resource<Pollable>>,
    inputs: Vec<Resource<InputStream>>,
    outputs: Vec<Resource<OutputStream>>,
}

impl<T: WasiView> Drop for Temp<'_, T> {
    fn drop(&mut self) {
        let table = WasiView::ctx(self.data).table;
        for pollable in self.pollables.drain(..) {
            let _ = table.delete(pollable);
        }
        for stream in self.inputs.drain(..) {
            let _ = table.delete(stream);
        }
        for stream in self.outputs.drain(..) {
            let _ = table.delete(stream);
        }
    }
}

/// Errors of wasmtime-wasi's streams that are the guest's business, as
/// errnos.
impl From<crate::ErrorCode> for Errno {
    fn from(code: crate::ErrorCode) -> Self {
        errno(code)
    }
}
