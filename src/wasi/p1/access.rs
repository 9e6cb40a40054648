//! What the preview 1 calls share: the store's fd table and copy budget,
//! the guest's memory (paths, iovecs), the descriptors behind fds, a file
//! fd's reads and writes, and `fd_readdir`'s listing.

use wasmtime::component::Resource;
use wasmtime_wasi::WasiView;
use wasmtime_wasi::cli::WasiCliView as _;
use wasmtime_wasi::clocks::WasiClocksView as _;
use wasmtime_wasi::p2::bindings::cli::{
    stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr, terminal_stdin,
    terminal_stdout,
};
use wasmtime_wasi::p2::bindings::clocks::wall_clock;
use wasmtime_wasi::p2::bindings::io::streams::{self, OutputStream};
use wiggle::{GuestMemory, GuestPtr};

use super::convert::{errno, filetype};
use super::{Dir, Fd, Fds, File, Pass, State, borrowed};
use crate::bindings::p1::types::{self, Errno};
use crate::ctx::{DirectfsCtxView, DirectfsView};
use crate::dentry::Take;
use crate::pool::FromTrap;
use crate::wasi::Descriptor;

type Result<T, E = types::Error> = std::result::Result<T, E>;

impl<T> FromTrap for Result<T> {
    fn from_trap(err: wasmtime::Error) -> Self {
        Err(types::Error::trap(err))
    }
}

/// Runs `op` (the directfs part of a call on `desc`) where the call runs:
/// on tokio's blocking pool on an async host where `desc`'s mount is
/// [`crate::Blocking::Pool`], or where `waits` (I/O of a FIFO or device
/// that may wait for another process); inline otherwise. What `op` needs
/// of the guest's memory is copied in before and out after.
pub(super) async fn run_for<T, R>(
    data: &mut T,
    desc: &Resource<Descriptor>,
    waits: bool,
    op: impl FnOnce(&mut DirectfsCtxView<'_>) -> R + Send + 'static,
) -> R
where
    T: DirectfsView,
    R: FromTrap + Send + 'static,
{
    let mut view = data.directfs();
    let on_pool = view.ctx.async_host && (waits || view.pool_for(view.dentry_of(desc)));
    view.run(on_pool, op).await
}

/// The shape of a `path_*` call on one directory fd: looks up directory
/// fd `dirfd` (`EBADF` unless it is one), copies the guest's `path` in, and
/// runs `op` with them as [`run_for`] does.
pub(super) async fn at_path<T, R>(
    data: &mut T,
    memory: &GuestMemory<'_>,
    dirfd: types::Fd,
    path: GuestPtr<str>,
    op: impl FnOnce(&mut DirectfsCtxView<'_>, &Resource<Descriptor>, &str) -> Result<R> + Send + 'static,
) -> Result<R>
where
    T: DirectfsView + WasiView,
    R: Send + 'static,
{
    let dir = dir_desc(data, dirfd)?;
    let path = string(data, memory, path)?.into_owned();
    let on = borrowed(&dir);
    run_for(data, &on, false, move |view| op(view, &dir, &path)).await
}

/// Whether I/O on `io` runs on the pool of an async host even where its
/// mount is inline: a FIFO or device read or written without `nonblock`.
fn io_waits(io: &Io) -> bool {
    io.pipe && !io.nonblock
}

/// The store's preview 1 state.
pub(super) fn state<T: DirectfsView>(data: &mut T) -> &mut State {
    let ctx = data.directfs().ctx;
    &mut ctx.p1
}

/// The store's fd table, made at the first call that needs it: stdio as fds
/// 0–2 (wasmtime-wasi's streams), then the preopens from fd 3.
pub(super) fn fds<T: DirectfsView + WasiView>(data: &mut T) -> Result<&mut Fds> {
    if state(data).fds.is_none() {
        let fds = new_fds(data)?;
        state(data).fds = Some(fds);
    }
    Ok(state(data).fds.get_or_insert_with(Fds::default))
}

pub(super) fn new_fds<T: DirectfsView + WasiView>(data: &mut T) -> Result<Fds> {
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
            pass: None,
        }))?;
    }
    Ok(fds)
}

/// Takes `n` bytes of the running call's copy budget (`nomem` past it).
pub(super) fn consume_fuel<T: DirectfsView>(data: &mut T, n: usize) -> Result<()> {
    let state = state(data);
    if n > state.fuel {
        return Err(Errno::Nomem.into());
    }
    state.fuel -= n;
    Ok(())
}

pub(super) fn consume_fuel_for_array<T: DirectfsView, E>(
    data: &mut T,
    array: GuestPtr<[E]>,
) -> Result<()> {
    let bytes = usize::try_from(array.len())?
        .checked_mul(size_of::<E>())
        .ok_or(Errno::Overflow)?;
    consume_fuel(data, bytes)
}

/// A guest string (a path): borrowed from the guest's memory where it can
/// be, after taking its length from the copy budget.
pub(super) fn string<'m, T: DirectfsView>(
    data: &mut T,
    memory: &'m GuestMemory<'_>,
    ptr: GuestPtr<str>,
) -> Result<std::borrow::Cow<'m, str>> {
    consume_fuel(data, usize::try_from(ptr.len())?)?;
    Ok(memory.as_cow_str(ptr)?)
}

/// The first non-empty buffer of an iovec array (or an empty one): what one
/// read or write moves, as wasmtime-wasi.
pub(super) fn first_non_empty<T: DirectfsView, V>(
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

pub(super) fn first_iovec<T: DirectfsView>(
    data: &mut T,
    memory: &GuestMemory<'_>,
    iovs: types::IovecArray,
) -> Result<GuestPtr<[u8]>> {
    first_non_empty(data, memory, iovs, |iov: &types::Iovec| {
        (iov.buf, iov.buf_len)
    })
}

pub(super) fn first_ciovec<T: DirectfsView>(
    data: &mut T,
    memory: &GuestMemory<'_>,
    ciovs: types::CiovecArray,
) -> Result<GuestPtr<[u8]>> {
    first_non_empty(data, memory, ciovs, |iov: &types::Ciovec| {
        (iov.buf, iov.buf_len)
    })
}

/// Fd `n`'s descriptor if it is a directory (`badf` otherwise).
pub(super) fn dir_desc<T: DirectfsView + WasiView>(
    data: &mut T,
    n: types::Fd,
) -> Result<Resource<Descriptor>> {
    match fds(data)?.get(n.into())? {
        Fd::Dir(dir) => Ok(borrowed(&dir.desc)),
        _ => Err(Errno::Badf.into()),
    }
}

/// Fd `n`'s descriptor if it is a file (`badf` otherwise).
pub(super) fn file_desc<T: DirectfsView + WasiView>(
    data: &mut T,
    n: types::Fd,
) -> Result<Resource<Descriptor>> {
    match fds(data)?.get(n.into())? {
        Fd::File(file) => Ok(borrowed(&file.desc)),
        _ => Err(Errno::Badf.into()),
    }
}

/// Fd `n`'s descriptor, a directory or a file (`badf` for stdio).
pub(super) fn any_desc<T: DirectfsView + WasiView>(
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
pub(super) fn seekable<T: DirectfsView + WasiView>(
    data: &mut T,
    n: types::Fd,
) -> Result<&mut File> {
    match fds(data)?.get_mut(n.into())? {
        Fd::File(file) => Ok(file),
        Fd::Stdin { .. } | Fd::Stdout { .. } => Err(Errno::Spipe.into()),
        Fd::Dir(_) => Err(Errno::Badf.into()),
    }
}

/// What a read or write of a file fd needs: its descriptor, position and
/// flags.
#[derive(Clone, Copy)]
pub(super) struct Io {
    desc: u32,
    pub(super) position: u64,
    append: bool,
    nonblock: bool,
    pub(super) pipe: bool,
}

impl Io {
    pub(super) fn of(file: &File) -> Self {
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
pub(super) enum At {
    /// The fd's position (`fd_write`), which moves.
    Position,
    /// This offset (`fd_pwrite`, `fd_pread`).
    Offset(u64),
}

/// Reads a file fd into `buf` at `at`: into the guest's memory directly
/// where it is not shared. A FIFO, socket or device is read without an
/// offset, and waited for unless the fd is `nonblock`.
pub(super) async fn read_file<T: DirectfsView>(
    data: &mut T,
    memory: &mut GuestMemory<'_>,
    io: Io,
    at: u64,
    buf: GuestPtr<[u8]>,
) -> Result<usize> {
    let desc = io.desc();
    let view = data.directfs();
    if view.ctx.async_host && (io_waits(&io) || view.pool_for(view.dentry_of(&desc))) {
        // On the pool: read into a buffer there, copied in here.
        let len = u64::from(buf.len());
        let read = run_for(data, &desc, true, move |view| -> Result<Vec<u8>> {
            let max = view.ctx.limits.max_io_bytes;
            let interrupter = view.ctx.interrupter.clone();
            let interrupter = (!io.nonblock).then_some(&interrupter);
            let (_, handle) = view.file(&io.desc())?;
            Ok(handle.read(at, len, max, interrupter)?)
        })
        .await?;
        let n = u32::try_from(read.len())?;
        let dest = buf.get_range(0..n).ok_or(Errno::Range)?;
        memory.copy_from_slice(&read, dest)?;
        return Ok(read.len());
    }
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
pub(super) async fn write_file<T: DirectfsView>(
    data: &mut T,
    memory: &GuestMemory<'_>,
    io: Io,
    at: At,
    buf: GuestPtr<[u8]>,
) -> Result<(usize, Option<u64>)> {
    let desc = io.desc();
    let view = data.directfs();
    if view.ctx.async_host && (io_waits(&io) || view.pool_for(view.dentry_of(&desc))) {
        // On the pool: the bytes copied out here, written there.
        let bytes = memory.as_cow(buf)?.into_owned();
        return run_for(data, &desc, true, move |view| {
            write_bytes_to(view, io, at, &bytes)
        })
        .await;
    }
    let bytes = memory.as_cow(buf)?;
    write_bytes_to(&mut data.directfs(), io, at, &bytes)
}

/// [`write_file`]'s write of `bytes`, wherever it runs.
fn write_bytes_to(
    view: &mut DirectfsCtxView<'_>,
    io: Io,
    at: At,
    bytes: &[u8],
) -> Result<(usize, Option<u64>)> {
    let (_, handle) = view.file(&io.desc())?;
    let n = if io.pipe {
        let interrupter = (!io.nonblock).then_some(&view.ctx.interrupter);
        handle.write(0, bytes, usize::MAX, interrupter)?
    } else if io.append {
        // Linux's `pwrite` on an `O_APPEND` file: the offset is ignored.
        handle.append(bytes, usize::MAX)?
    } else {
        let offset = match at {
            At::Position => io.position,
            At::Offset(offset) => offset,
        };
        handle.write(offset, bytes, usize::MAX, None)?
    };
    let position = match (at, io.pipe, io.append) {
        (At::Offset(_), _, _) | (At::Position, true, _) => None,
        (At::Position, false, true) => Some(view.fs_stat(&io.desc())?.size),
        (At::Position, false, false) => Some(io.position.checked_add(n).ok_or(Errno::Overflow)?),
    };
    Ok((usize::try_from(n)?, position))
}

/// Sets file fd `n`'s position, if it is still that file.
pub(super) fn set_position<T: DirectfsView + WasiView>(
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
pub(super) fn write_bytes(
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
pub(super) async fn write_stream<T: WasiView>(
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
pub(super) fn wall_now<T: WasiView>(data: &mut T) -> Result<u64> {
    let now = wall_clock::Host::now(&mut data.clocks()).map_err(types::Error::trap)?;
    now.seconds
        .checked_mul(1_000_000_000)
        .and_then(|ns| ns.checked_add(u64::from(now.nanoseconds)))
        .ok_or_else(|| Errno::Overflow.into())
}

/// One entry of an `fd_readdir` call: its `dirent`, its name, and the host
/// cursor it is read from (the first entry's for `.` and `..`).
pub(super) struct Listed {
    dirent: types::Dirent,
    name: String,
    at: u64,
}

/// Writes `listed` into the guest's `buf` of `buf_len` bytes, as
/// `fd_readdir` gives entries: each a `dirent` (little-endian, padded) and
/// its name, the last cut short where the buffer ends (as wasmtime-wasi).
/// Returns the bytes used and, where the buffer is full (libc then asks
/// again from a later cookie), where the pass stands: at the last entry
/// started.
pub(super) fn write_dirents(
    memory: &mut GuestMemory<'_>,
    buf: GuestPtr<u8>,
    buf_len: types::Size,
    listed: &[Listed],
) -> Result<(types::Size, Option<Pass>)> {
    use wiggle::GuestType as _;
    let mut out = buf;
    let mut cap = buf_len;
    let size = types::Dirent::guest_size();
    let mut raw = Vec::with_capacity(size as usize);
    for entry in listed {
        let full = Some(Pass {
            next: entry.dirent.d_next - 1,
            at: entry.at,
        });
        if cap == 0 {
            return Ok((buf_len, full));
        }
        let dirent = &entry.dirent;
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
            return Ok((buf_len, full));
        }
        let name = entry.name.as_bytes();
        let name = name.get(..cap as usize).unwrap_or(name);
        out = write_bytes(memory, out, name)?;
        cap -= name.len() as u32;
        if cap == 0 {
            return Ok((buf_len, full));
        }
    }
    Ok((buf_len - cap, None))
}

/// The entries of one `fd_readdir` call on `desc`: from cookie `cookie` on
/// (0 `.`, 1 `..`, both with the directory's own inode number, as
/// wasmtime-wasi; then its entries in host order, each with the cookie of
/// the next), enough to fill `bytes` bytes, or to the end.
///
/// Read from where `pass` stands if `cookie` is at or past its entry (the
/// directory is read on from there, as `readdir(3)` reads on: entries that
/// stay are neither repeated nor skipped whatever else changes), else from
/// the start, skipping `cookie` entries (as wasmtime-wasi). Pages are as
/// large as the bytes left need, at most the context's `max_dir_entries`:
/// the memory a call takes follows the guest's buffer, and none is kept. A
/// removed directory lists as `.` and `..` only.
pub(super) fn listing(
    view: &mut DirectfsCtxView<'_>,
    desc: &Resource<Descriptor>,
    cookie: u64,
    pass: Option<Pass>,
    bytes: types::Size,
) -> Result<Vec<Listed>> {
    use wiggle::GuestType as _;
    let dentry = view.dir(desc)?;
    let page = view.ctx.limits.max_dir_entries;
    let size = u64::from(types::Dirent::guest_size());
    let (mut index, mut at) = match pass {
        Some(pass) if pass.next <= cookie => (pass.next, Some(pass.at)),
        _ => (0, Some(0)),
    };
    let first = at.unwrap_or(0);
    let mut left = u64::from(bytes);
    let mut listed = Vec::new();
    let mut dir_ino = None;
    while index < 2 && left > 0 {
        if index >= cookie {
            let name = if index == 0 { "." } else { ".." };
            let ino = match dir_ino {
                Some(ino) => ino,
                None => *dir_ino.insert(view.fs_stat(desc)?.ino),
            };
            let dirent = dirent(index + 1, ino, types::Filetype::Directory, name)?;
            left = left.saturating_sub(size + u64::from(dirent.d_namlen));
            listed.push(Listed {
                dirent,
                name: name.to_owned(),
                at: first,
            });
        }
        index += 1;
    }
    while let Some(cursor) = at
        && left > 0
    {
        // A page that only skips takes a page; else what fits, whatever
        // is skipped first.
        let take = if index < cookie {
            Take::entries(page)
        } else {
            Take {
                entries: page,
                bytes: left,
                record: size,
            }
        };
        let read = view.ctx.tree().read_dir_positioned(dentry, cursor, take);
        let (entries, next) = match read {
            Ok(read) => read,
            // `getdents64` of a removed directory (see `wasi::p2`'s).
            Err(crate::ErrorCode::NoEntry) => break,
            Err(err) => return Err(err.into()),
        };
        at = next;
        for (entry, position) in entries {
            if left == 0 {
                break;
            }
            if index >= cookie {
                let kind = filetype(entry.file_type);
                let dirent = dirent(index + 1, entry.ino, kind, &entry.name)?;
                left = left.saturating_sub(size + u64::from(dirent.d_namlen));
                listed.push(Listed {
                    dirent,
                    name: entry.name,
                    at: position,
                });
            }
            index += 1;
        }
    }
    Ok(listed)
}

/// The `dirent` of an entry named `name`, with the cookie of the next.
fn dirent(d_next: u64, d_ino: u64, d_type: types::Filetype, name: &str) -> Result<types::Dirent> {
    Ok(types::Dirent {
        d_next,
        d_ino,
        d_type,
        d_namlen: name.len().try_into()?,
    })
}

/// Errors of wasmtime-wasi's streams that are the guest's business, as
/// errnos.
impl From<crate::ErrorCode> for Errno {
    fn from(code: crate::ErrorCode) -> Self {
        errno(code)
    }
}
