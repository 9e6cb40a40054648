//! The `wasi:io` streams of `read-via-stream`, `write-via-stream` and
//! `append-via-stream`: positional I/O on a shared [`Handle`], served by
//! wasmtime-wasi's `wasi:io/streams`.
//!
//! Regular-file I/O does not wait on anything the guest could poll for, so
//! the streams of regular files (and directories' files of any other kind
//! that cannot be polled) are always ready and each call does its syscall
//! at once (as wasmtime-wasi with `allow_blocking_current_thread`). The
//! streams of FIFOs, sockets and character devices ([`PipeInputStream`],
//! [`PipeOutputStream`]) are non-blocking instead: a read or write that
//! would wait moves nothing, and their pollables wait for readiness, on the
//! reactor of the tokio runtime they are polled on (wasmtime-wasi's, or an
//! async embedder's), so a guest waiting on an empty FIFO holds no thread
//! of an async host and is cancelled with its future; without a runtime
//! they wait in `poll(2)`. A stream keeps the file open after its
//! descriptor is dropped, as a `dup`ed FD would.

use bytes::Bytes;
use tokio::io::Interest;
use wasmtime_wasi::p2::{InputStream, OutputStream, Pollable, StreamError, StreamResult};

use crate::ctx::StreamSlot;
use crate::error::ErrorCode;
use crate::handle::Handle;
use crate::interrupt::Interrupter;
use crate::sys::{self, PollFlags};
use crate::wasi::readiness::Readiness;
use nix::errno::Errno;

/// The most bytes one stream `read` returns, and what `check-write` allows.
pub(crate) const STREAM_CHUNK: usize = 64 * 1024;

/// A stream error the guest can ask `filesystem-error-code` about.
fn failed(code: ErrorCode) -> StreamError {
    StreamError::LastOperationFailed(wasmtime::Error::new(code))
}

/// A stream closed for good once an operation failed or found it closed,
/// as `wasi:io/streams` says of `last-operation-failed` ("after this, the
/// stream will be closed: all future operations return `closed`"); every
/// file and pipe stream is served through one. (A failed write used to fail
/// again at the next call, where wasmtime-wasi's streams say `closed`.)
pub(crate) struct Fused<S> {
    inner: S,
    closed: bool,
    /// The stream's share of `max-open`, given back when it is dropped.
    _slot: Option<StreamSlot>,
}

impl<S> Fused<S> {
    /// `inner`, open.
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            closed: false,
            _slot: None,
        }
    }

    /// The stream, holding `slot` (its share of `max-open`) until dropped.
    pub(crate) fn counted(self, slot: StreamSlot) -> Self {
        Self {
            _slot: Some(slot),
            ..self
        }
    }

    /// `closed` once the stream is.
    fn open(&self) -> StreamResult<()> {
        match self.closed {
            true => Err(StreamError::Closed),
            false => Ok(()),
        }
    }

    /// Passes `result` on, closing the stream if it failed or found it
    /// closed (a trap closes nothing: the guest is gone).
    fn noted<T>(&mut self, result: StreamResult<T>) -> StreamResult<T> {
        if let Err(StreamError::LastOperationFailed(_) | StreamError::Closed) = &result {
            self.closed = true;
        }
        result
    }

    /// `call` on the inner stream while this one is open, its result
    /// [`Fused::noted`].
    fn through<T>(&mut self, call: impl FnOnce(&mut S) -> StreamResult<T>) -> StreamResult<T> {
        self.open()?;
        let result = call(&mut self.inner);
        self.noted(result)
    }
}

#[async_trait::async_trait]
impl<S: Pollable> Pollable for Fused<S> {
    async fn ready(&mut self) {
        if !self.closed {
            self.inner.ready().await;
        }
    }
}

#[async_trait::async_trait]
impl<S: InputStream> InputStream for Fused<S> {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        self.through(|inner| inner.read(size))
    }

    async fn blocking_read(&mut self, size: usize) -> StreamResult<Bytes> {
        self.open()?;
        let result = self.inner.blocking_read(size).await;
        self.noted(result)
    }

    fn skip(&mut self, nelem: usize) -> StreamResult<usize> {
        self.through(|inner| inner.skip(nelem))
    }

    async fn blocking_skip(&mut self, nelem: usize) -> StreamResult<usize> {
        self.open()?;
        let result = self.inner.blocking_skip(nelem).await;
        self.noted(result)
    }

    async fn cancel(&mut self) {
        self.inner.cancel().await;
    }
}

#[async_trait::async_trait]
impl<S: OutputStream> OutputStream for Fused<S> {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.through(|inner| inner.write(bytes))
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.through(OutputStream::flush)
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        self.through(OutputStream::check_write)
    }

    async fn cancel(&mut self) {
        self.inner.cancel().await;
    }
}

/// Host I/O of a file stream on the blocking pool ([`crate::Blocking::Pool`]):
/// at most one at a time, started by `read`/`write` and awaited by the
/// stream's pollable, as wasmtime-wasi's file streams.
enum InFlight<T> {
    /// Nothing started (or its result handed out).
    Idle,
    /// Running on the pool.
    Running(tokio::task::JoinHandle<Result<T, ErrorCode>>),
    /// Finished, its result not handed out yet.
    Done(Result<T, ErrorCode>),
}

impl<T: Send + 'static> InFlight<T> {
    /// Starts `io` on the current runtime's blocking pool (inline, done at
    /// once, where there is no runtime).
    fn start(io: impl FnOnce() -> Result<T, ErrorCode> + Send + 'static) -> Self {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => Self::Running(runtime.spawn_blocking(io)),
            Err(_) => Self::Done(io()),
        }
    }

    /// Waits for what is running to finish.
    async fn finish(&mut self) {
        if let Self::Running(task) = self {
            // A panic on the pool (there is none) fails the stream.
            *self = Self::Done(task.await.unwrap_or(Err(ErrorCode::Io)));
        }
    }
}

/// `read-via-stream`: reads from `position` on, `pread` by `pread`.
pub(crate) struct FileInputStream {
    handle: Handle,
    position: u64,
    /// `Some` where reads run on the blocking pool.
    pool: Option<InFlight<Bytes>>,
}

impl FileInputStream {
    /// Reads at once ([`crate::Blocking::Inline`]) or on the blocking pool.
    pub(crate) fn new(handle: Handle, position: u64, on_pool: bool) -> Self {
        Self {
            handle,
            position,
            pool: on_pool.then_some(InFlight::Idle),
        }
    }
}

/// The next at most `size` bytes of `handle` at `position`; the end of the
/// file closes the stream.
fn read_at(handle: &Handle, position: u64, size: usize) -> Result<Bytes, ErrorCode> {
    Ok(Bytes::from(handle.read(
        position,
        size as u64,
        STREAM_CHUNK,
        None,
    )?))
}

#[async_trait::async_trait]
impl Pollable for FileInputStream {
    async fn ready(&mut self) {
        if let Some(in_flight) = &mut self.pool {
            in_flight.finish().await;
        }
    }
}

#[async_trait::async_trait]
impl InputStream for FileInputStream {
    /// Up to `size` bytes; the end of the file closes the stream. On the
    /// pool: what the last read there found, else none (the read is
    /// started; the stream's pollable waits for it).
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        if size == 0 {
            return Ok(Bytes::new());
        }
        let data = match &mut self.pool {
            None => read_at(&self.handle, self.position, size),
            Some(in_flight) => match std::mem::replace(in_flight, InFlight::Idle) {
                InFlight::Idle => {
                    let (handle, position) = (self.handle.share(), self.position);
                    *in_flight = InFlight::start(move || read_at(&handle, position, size));
                    return Ok(Bytes::new());
                }
                running @ InFlight::Running(_) => {
                    *in_flight = running;
                    return Ok(Bytes::new());
                }
                InFlight::Done(Ok(mut data)) if data.len() > size => {
                    let head = data.split_to(size);
                    *in_flight = InFlight::Done(Ok(data));
                    Ok(head)
                }
                InFlight::Done(done) => done,
            },
        }
        .map_err(failed)?;
        if data.is_empty() {
            return Err(StreamError::Closed);
        }
        self.position += data.len() as u64;
        Ok(data)
    }

    /// Waits for data (on the pool: starts the read and waits for it).
    /// Zero bytes are none, the stream left open; but at an offset a
    /// `pread` refuses (past 2^63 - 1) the wait ends in its error, as
    /// Linux's zero-byte `pread` there and wasmtime-wasi's blocking read
    /// answer it (a non-blocking `read` of zero bytes is none, as theirs).
    async fn blocking_read(&mut self, size: usize) -> StreamResult<Bytes> {
        if size == 0 {
            crate::handle::file_offset(self.position).map_err(failed)?;
            return Ok(Bytes::new());
        }
        if let Some(InFlight::Idle) = self.pool {
            self.read(size)?;
        }
        self.ready().await;
        self.read(size)
    }
}

/// Where a [`FileOutputStream`] writes.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// At this offset, which moves on with each write.
    Position(u64),
    /// At the end of the file, atomically.
    Append,
}

/// Writes all of `bytes` to `handle` where `mode` says (short writes are
/// continued); returns how many were written. Zero bytes are written too,
/// as wasmtime-wasi writes them: the kernel's `pwrite` of zero bytes still
/// checks the file's access (a file opened only for reading: `bad-descriptor`)
/// and the offset.
fn write_all(handle: &Handle, mode: Mode, bytes: &[u8]) -> Result<u64, ErrorCode> {
    let mut rest = bytes;
    let mut total = 0;
    loop {
        let written = match mode {
            Mode::Position(position) => {
                handle.write(position.saturating_add(total), rest, STREAM_CHUNK, None)
            }
            Mode::Append => handle.append(rest, STREAM_CHUNK),
        }?;
        if written == 0 && !rest.is_empty() {
            return Err(ErrorCode::NoSpace);
        }
        total += written;
        rest = rest.get(written as usize..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(total);
        }
    }
}

/// `write-via-stream` and `append-via-stream`.
pub(crate) struct FileOutputStream {
    handle: Handle,
    mode: Mode,
    /// `Some` where writes run on the blocking pool.
    pool: Option<InFlight<u64>>,
}

impl FileOutputStream {
    /// Writes from `position` on, at once ([`crate::Blocking::Inline`]) or
    /// on the blocking pool.
    pub(crate) fn at(handle: Handle, position: u64, on_pool: bool) -> Self {
        Self {
            handle,
            mode: Mode::Position(position),
            pool: on_pool.then_some(InFlight::Idle),
        }
    }

    /// Appends, at once or on the blocking pool.
    pub(crate) fn append(handle: Handle, on_pool: bool) -> Self {
        Self {
            handle,
            mode: Mode::Append,
            pool: on_pool.then_some(InFlight::Idle),
        }
    }
}

#[async_trait::async_trait]
impl Pollable for FileOutputStream {
    async fn ready(&mut self) {
        if let Some(in_flight) = &mut self.pool {
            in_flight.finish().await;
        }
    }
}

#[async_trait::async_trait]
impl OutputStream for FileOutputStream {
    /// Writes all of `bytes` (on the pool: starts writing them; the
    /// stream's pollable waits for it, and a failure shows in the next
    /// `check-write`).
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let mode = self.mode;
        if let Mode::Position(position) = &mut self.mode {
            // The guest chose the start (any u64): past 2^63 - 1 the write
            // fails with `invalid`, it must not wrap or panic here.
            *position = position.saturating_add(bytes.len() as u64);
        }
        match &mut self.pool {
            None => {
                write_all(&self.handle, mode, &bytes).map_err(failed)?;
            }
            Some(in_flight) => {
                if let InFlight::Running(_) = in_flight {
                    return Err(StreamError::trap("write past check-write"));
                }
                if let InFlight::Done(Err(code)) = in_flight {
                    return Err(failed(*code));
                }
                let handle = self.handle.share();
                *in_flight = InFlight::start(move || write_all(&handle, mode, &bytes));
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    /// How much may be written now: nothing while a write runs on the pool;
    /// its failure, once.
    fn check_write(&mut self) -> StreamResult<usize> {
        match &mut self.pool {
            Some(InFlight::Running(_)) => Ok(0),
            Some(in_flight @ InFlight::Done(Err(_))) => {
                match std::mem::replace(in_flight, InFlight::Idle) {
                    InFlight::Done(Err(code)) => Err(failed(code)),
                    _ => Ok(STREAM_CHUNK),
                }
            }
            _ => Ok(STREAM_CHUNK),
        }
    }
}

/// The most bytes [`PipeOutputStream::check_write`] allows at once: what a
/// pipe that `poll` calls writable takes without blocking (`PIPE_BUF`).
const PIPE_CHUNK: usize = 4096;

/// The most bytes a [`PipeOutputStream`] keeps that the file did not take
/// yet; a guest writing past `check-write` beyond it traps.
const MAX_PENDING: usize = 64 * 1024;

/// `read-via-stream` of a FIFO, socket or character device: reads what is
/// there, waits for more in `ready`.
pub(crate) struct PipeInputStream {
    readiness: Readiness,
}

impl PipeInputStream {
    /// Makes `handle`'s file non-blocking (for the descriptor too); its
    /// waits end when `interrupter` fires.
    pub(crate) fn new(handle: Handle, interrupter: Interrupter) -> Result<Self, ErrorCode> {
        Ok(Self {
            readiness: Readiness::new(handle, interrupter)?,
        })
    }
}

#[async_trait::async_trait]
impl Pollable for PipeInputStream {
    async fn ready(&mut self) {
        let events = PollFlags::POLLIN;
        self.readiness.wait(Interest::READABLE, events).await;
    }
}

#[async_trait::async_trait]
impl InputStream for PipeInputStream {
    /// Up to `size` bytes of what is there now (none if nothing is); the end
    /// (no writer left) closes the stream.
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        if size == 0 {
            return Ok(Bytes::new());
        }
        self.readiness.interrupted().map_err(failed)?;
        let mut buf = Vec::with_capacity(size.min(STREAM_CHUNK));
        match sys::read(self.readiness.handle.fd(), &mut buf) {
            Ok(0) => Err(StreamError::Closed),
            Ok(_) => Ok(Bytes::from(buf)),
            Err(Errno::EAGAIN) => Ok(Bytes::new()),
            Err(errno) => Err(failed(errno.into())),
        }
    }
}

/// `write-via-stream` (and `append-via-stream`) of a FIFO, socket or
/// character device: writes what the file takes now, keeps the rest (up to
/// [`MAX_PENDING`]) until it is ready.
pub(crate) struct PipeOutputStream {
    readiness: Readiness,
    /// Written by the guest, not yet taken by the file.
    pending: Vec<u8>,
}

impl PipeOutputStream {
    /// Makes `handle`'s file non-blocking (for the descriptor too); its
    /// waits end when `interrupter` fires.
    pub(crate) fn new(handle: Handle, interrupter: Interrupter) -> Result<Self, ErrorCode> {
        Ok(Self {
            readiness: Readiness::new(handle, interrupter)?,
            pending: Vec::new(),
        })
    }

    /// Writes what it can of `pending` without waiting.
    fn push_pending(&mut self) -> StreamResult<()> {
        while !self.pending.is_empty() {
            let chunk = self.pending.get(..STREAM_CHUNK).unwrap_or(&self.pending);
            match sys::write(self.readiness.handle.fd(), chunk) {
                Ok(0) | Err(Errno::EAGAIN) => break,
                Ok(n) => {
                    self.pending.drain(..n.min(self.pending.len()));
                }
                // No reader left (the process ignores SIGPIPE, as Rust
                // programs do).
                Err(Errno::EPIPE) => return Err(StreamError::Closed),
                Err(errno) => return Err(failed(errno.into())),
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Pollable for PipeOutputStream {
    async fn ready(&mut self) {
        let events = PollFlags::POLLOUT;
        self.readiness.wait(Interest::WRITABLE, events).await;
    }
}

#[async_trait::async_trait]
impl OutputStream for PipeOutputStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        if self.pending.len() + bytes.len() > MAX_PENDING {
            return Err(StreamError::Trap(wasmtime::Error::msg(
                "directfs: a stream write beyond what check-write allowed",
            )));
        }
        self.pending.extend_from_slice(&bytes);
        self.push_pending()
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.push_pending()
    }

    /// What the file takes now without waiting: nothing while earlier
    /// writes are pending.
    fn check_write(&mut self) -> StreamResult<usize> {
        self.readiness.interrupted().map_err(failed)?;
        self.push_pending()?;
        let ready = self.pending.is_empty() && self.readiness.handle.ready_now(PollFlags::POLLOUT);
        Ok(if ready { PIPE_CHUNK } else { 0 })
    }
}

#[cfg(test)]
mod tests {
    use crate::wasi::readiness::Waiter;
    use std::os::fd::OwnedFd;
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::budget::FdBudget;

    /// A regular file in `dir`, open for reading and writing, as a handle.
    fn file_handle(dir: &std::path::Path) -> Handle {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.join("f"))
            .unwrap();
        let budget = Arc::new(FdBudget::default());
        Handle::new(file.into(), budget.charge_token())
    }

    /// A stream that failed, or found its end, stays closed: every later
    /// call says `closed` (inline and on the pool), as `wasi:io/streams`
    /// says and wasmtime-wasi's streams do.
    #[test]
    fn a_stream_is_closed_after_a_failure_or_its_end() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"abc").unwrap();
        let read_only = || {
            let file = std::fs::File::open(dir.path().join("f")).unwrap();
            Handle::new(file.into(), Arc::new(FdBudget::default()).charge_token())
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let closed = |result: StreamResult<usize>| matches!(result, Err(StreamError::Closed));
        for on_pool in [false, true] {
            let mut out = Fused::new(FileOutputStream::at(read_only(), 0, on_pool));
            let failed = rt.block_on(out.blocking_write_and_flush(Bytes::from_static(b"x")));
            assert!(
                matches!(failed, Err(StreamError::LastOperationFailed(_))),
                "{failed:?}"
            );
            assert!(closed(out.check_write()), "check-write after the failure");
            assert!(matches!(
                out.write(Bytes::from_static(b"y")),
                Err(StreamError::Closed)
            ));
            assert!(matches!(out.flush(), Err(StreamError::Closed)));

            let mut input = Fused::new(FileInputStream::new(read_only(), 0, on_pool));
            let data = rt.block_on(input.blocking_read(10)).unwrap();
            assert_eq!(&data[..], b"abc");
            let end = rt.block_on(input.blocking_read(10));
            assert!(matches!(end, Err(StreamError::Closed)), "{end:?}");
            std::fs::write(dir.path().join("f"), b"abcdef").unwrap();
            assert!(
                matches!(input.read(0), Err(StreamError::Closed)),
                "a zero-byte read after the end"
            );
            assert!(
                matches!(input.read(10), Err(StreamError::Closed)),
                "the file grew"
            );
            std::fs::write(dir.path().join("f"), b"abc").unwrap();
        }
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"abc");
    }

    /// A write stream started by the guest at the largest offsets fails
    /// with `invalid` (inline and on the pool; the kernel's `EINVAL` for a
    /// negative `off_t`, as wasmtime-wasi), without wrapping its position
    /// or panicking, and writes nothing.
    #[test]
    fn writes_at_the_largest_offsets_fail_with_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for on_pool in [false, true] {
            for start in [u64::MAX, u64::MAX - 1, 1 << 63] {
                let mut stream = FileOutputStream::at(file_handle(dir.path()), start, on_pool);
                let code = rt.block_on(async {
                    let first = stream.write(Bytes::from_static(b"xyz"));
                    let err = match first {
                        Err(err) => err,
                        Ok(()) => {
                            stream.ready().await;
                            stream.check_write().unwrap_err()
                        }
                    };
                    // A second write goes no further.
                    let second = stream.write(Bytes::from_static(b"xyz"));
                    stream.ready().await;
                    assert!(second.is_err() || stream.check_write().is_err());
                    err
                });
                let StreamError::LastOperationFailed(err) = code else {
                    panic!("{code:?}")
                };
                assert_eq!(err.downcast_ref::<ErrorCode>(), Some(&ErrorCode::Invalid));
                assert_eq!(std::fs::metadata(dir.path().join("f")).unwrap().len(), 0);
            }
        }
    }

    /// A FIFO open for reading and writing, as a handle.
    fn fifo_handle(dir: &std::path::Path) -> (Handle, std::fs::File) {
        let path = dir.join("fifo");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let open = || {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .unwrap()
        };
        let fd: OwnedFd = open().into();
        let budget = Arc::new(FdBudget::default());
        (Handle::new(fd, budget.charge_token()), open())
    }

    /// Two streams of one FIFO open for reading and writing: the second
    /// cannot register the same FD with the reactor, and waits on the
    /// blocking pool instead, leaving a current-thread executor free; both
    /// end when data comes.
    #[test]
    fn two_streams_of_one_fd_both_wait_off_the_executor() {
        let dir = tempfile::tempdir().unwrap();
        let (handle, mut other_end) = fifo_handle(dir.path());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let first = PipeInputStream::new(handle.share(), Interrupter::default()).unwrap();
        let second = PipeInputStream::new(handle.share(), Interrupter::default()).unwrap();
        rt.block_on(async {
            // 20 ticks of 5 ms: done long before the data comes, unless a
            // wait holds the executor's only thread.
            let ticker = tokio::spawn(async {
                let mut interval = tokio::time::interval(Duration::from_millis(5));
                for _ in 0..20 {
                    interval.tick().await;
                }
                std::time::Instant::now()
            });
            let writer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                let wrote = std::time::Instant::now();
                std::io::Write::write_all(&mut other_end, b"x").unwrap();
                (other_end, wrote)
            });
            let waiting = |mut stream: PipeInputStream| {
                tokio::spawn(async move {
                    stream.ready().await;
                    stream
                })
            };
            let (first, second) = (waiting(first), waiting(second));
            let (mut first, second) = (first.await.unwrap(), second.await.unwrap());
            assert!(matches!(first.readiness.waiter, Waiter::Reactor(_)));
            assert!(matches!(second.readiness.waiter, Waiter::Poll));
            let ticked = ticker.await.unwrap();
            let (other_end, wrote) = writer.join().unwrap();
            assert!(ticked < wrote, "the executor ran on while both waited");
            drop(other_end);
            assert_eq!(&first.read(8).unwrap()[..], b"x");
        });
    }
}
