//! The streams of `wasi:filesystem@0.3.0`: wasmtime's [`StreamProducer`]s
//! and [`StreamConsumer`]s over a shared [`Handle`].
//!
//! File data moves with one copy: a read `pread`s into the guest's own
//! buffer and a write `pwrite`s from it (wasmtime's direct views of a
//! `stream<u8>`'s guest memory). A FIFO, socket or device is non-blocking
//! at the host: where it is not ready, the stream waits for it on the
//! reactor ([`Readiness`]) and the guest's read or write stays pending; a
//! guest that cancels it gets `Cancelled` at once.
//!
//! Each stream ends by sending its result (`Ok`, or the error that ended
//! it) on the `future<result<_, error-code>>` the call returned with it, at
//! the latest when the guest drops the stream.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::Interest;
use tokio::sync::oneshot;
use wasmtime::StoreContextMut;
use wasmtime::component::{
    Destination, Source, StreamConsumer, StreamProducer, StreamResult, VecBuffer,
};

use super::convert::{descriptor_type, error_code};
use crate::bindings::wasi_p3::wasi::filesystem::types::{DirectoryEntry, ErrorCode as P3ErrorCode};
use crate::ctx::StreamSlot;
use crate::error::ErrorCode;
use crate::handle::Handle;
use crate::sys::PollFlags;
use crate::types::FileType;

pub(crate) use crate::wasi::readiness::Readiness;

/// The most bytes one read or write of a file stream moves: a guest's
/// buffer larger than this takes several (each one syscall), so that one
/// call never holds the executor for long.
const MAX_IO_BYTES: usize = 4 << 20;

/// What a host reader of a byte stream (not a guest) gets per read.
const HOST_READ_BYTES: usize = 64 * 1024;

/// Where a stream's result goes.
type ResultSender = oneshot::Sender<Result<(), P3ErrorCode>>;

/// Sends a stream's result once: `Ok` if the stream ends (is dropped)
/// without one.
struct Outcome(Option<ResultSender>);

impl Outcome {
    fn send(&mut self, result: Result<(), ErrorCode>) {
        if let Some(tx) = self.0.take() {
            // The guest may have dropped the future: nothing to tell.
            let _ = tx.send(result.map_err(error_code));
        }
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        self.send(Ok(()));
    }
}

/// A wait for a FIFO's, socket's or device's readiness.
type Wait = Pin<Box<dyn Future<Output = Readiness> + Send>>;

/// The readiness of a stream over a FIFO, socket or device: idle, or a
/// wait in flight (which owns it until it ends).
struct Pipe {
    idle: Option<Readiness>,
    wait: Option<Wait>,
    /// The context's: once it fires, a file that is not ready fails the
    /// stream with `interrupted` instead of being waited for.
    interrupter: crate::Interrupter,
}

impl Pipe {
    fn new(readiness: Readiness) -> Self {
        Self {
            interrupter: readiness.interrupter().clone(),
            idle: Some(readiness),
            wait: None,
        }
    }

    /// Whether the context's interrupter has fired.
    fn interrupted(&self) -> bool {
        self.interrupter.is_interrupted()
    }

    /// Polls the wait in flight, if any: `Ready` once there is none.
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(wait) = &mut self.wait {
            let readiness = std::task::ready!(wait.as_mut().poll(cx));
            self.idle = Some(readiness);
            self.wait = None;
        }
        Poll::Ready(())
    }

    /// Starts waiting until the file is ready for `events`, and polls the
    /// wait once.
    fn start_wait(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        events: PollFlags,
    ) -> Poll<()> {
        if let Some(mut readiness) = self.idle.take() {
            self.wait = Some(Box::pin(async move {
                readiness.wait(interest, events).await;
                readiness
            }));
        }
        self.poll_wait(cx)
    }
}

/// What a stream whose file was not ready answers: pending until it is
/// (woken by the wait), or `Cancelled` at once if the guest is cancelling.
fn not_ready(
    waited: Poll<()>,
    cx: &mut Context<'_>,
    finish: bool,
) -> Poll<wasmtime::Result<StreamResult>> {
    match (waited, finish) {
        (_, true) => Poll::Ready(Ok(StreamResult::Cancelled)),
        // Ready already: be polled again to retry.
        (Poll::Ready(()), false) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        (Poll::Pending, false) => Poll::Pending,
    }
}

/// `read-via-stream`: reads the file from an offset (a FIFO, socket or
/// device: as it comes) into the guest's buffer.
pub(crate) struct FileProducer {
    handle: Handle,
    offset: u64,
    /// For a FIFO, socket or device.
    pipe: Option<Pipe>,
    outcome: Outcome,
    /// The stream's share of `max-open`, given back when it is dropped.
    _slot: Option<StreamSlot>,
}

impl FileProducer {
    pub(crate) fn new(
        handle: Handle,
        offset: u64,
        readiness: Option<Readiness>,
        result: ResultSender,
    ) -> Self {
        Self {
            handle,
            offset,
            pipe: readiness.map(Pipe::new),
            outcome: Outcome(Some(result)),
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
}

impl<D> StreamProducer<D> for FileProducer {
    type Item = u8;
    type Buffer = VecBuffer<u8>;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        store: StoreContextMut<'a, D>,
        dst: Destination<'a, Self::Item, Self::Buffer>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let me = &mut *self;
        if let Some(pipe) = &mut me.pipe
            && pipe.poll_wait(cx).is_pending()
        {
            return not_ready(Poll::Pending, cx, finish);
        }
        let mut dst = dst.as_direct(store, HOST_READ_BYTES);
        // The first `MAX_IO_BYTES` of the guest's buffer; none for a
        // zero-length read: ready as far as this stream knows.
        let Some(buf) = dst.remaining().chunks_mut(MAX_IO_BYTES).next() else {
            return Poll::Ready(Ok(StreamResult::Completed));
        };
        match me.handle.read_into(me.offset, buf) {
            Ok(0) => {
                me.outcome.send(Ok(()));
                Poll::Ready(Ok(StreamResult::Dropped))
            }
            Ok(n) => {
                dst.mark_written(n);
                // `n` ≤ `MAX_IO_BYTES`: the sum stays far below `u64::MAX`
                // for every offset a file can have (`i64::MAX`).
                me.offset = me.offset.saturating_add(n as u64);
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Err(ErrorCode::WouldBlock) if me.pipe.as_ref().is_some_and(Pipe::interrupted) => {
                me.outcome.send(Err(ErrorCode::Interrupted));
                Poll::Ready(Ok(StreamResult::Dropped))
            }
            Err(ErrorCode::WouldBlock) if me.pipe.is_some() => {
                let waited = match &mut me.pipe {
                    Some(pipe) => pipe.start_wait(cx, Interest::READABLE, PollFlags::POLLIN),
                    None => Poll::Ready(()),
                };
                not_ready(waited, cx, finish)
            }
            Err(err) => {
                me.outcome.send(Err(err));
                Poll::Ready(Ok(StreamResult::Dropped))
            }
        }
    }
}

/// Where a [`FileConsumer`] writes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum WriteAt {
    /// From this offset on (`write-via-stream`).
    Offset(u64),
    /// At the end of the file, each write atomically (`append-via-stream`).
    End,
}

/// `write-via-stream` and `append-via-stream`: writes what the guest sends
/// into the file, straight from the guest's buffer.
pub(crate) struct FileConsumer {
    handle: Handle,
    at: WriteAt,
    pipe: Option<Pipe>,
    outcome: Outcome,
    /// The stream's share of `max-open`, given back when it is dropped.
    _slot: Option<StreamSlot>,
}

impl FileConsumer {
    pub(crate) fn new(
        handle: Handle,
        at: WriteAt,
        readiness: Option<Readiness>,
        result: ResultSender,
    ) -> Self {
        Self {
            handle,
            at,
            pipe: readiness.map(Pipe::new),
            outcome: Outcome(Some(result)),
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
}

impl<D> StreamConsumer<D> for FileConsumer {
    type Item = u8;

    fn poll_consume(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        store: StoreContextMut<D>,
        src: Source<Self::Item>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let me = &mut *self;
        if let Some(pipe) = &mut me.pipe
            && pipe.poll_wait(cx).is_pending()
        {
            return not_ready(Poll::Pending, cx, finish);
        }
        let mut src = src.as_direct(store);
        // A zero-length write is made too: the kernel's checks answer it
        // (`bad-descriptor` on a file not open for writing), as
        // wasmtime-wasi's; it changes nothing.
        let data = src
            .remaining()
            .chunks(MAX_IO_BYTES)
            .next()
            .unwrap_or_default();
        let written = match (me.at, &me.pipe) {
            (WriteAt::Offset(offset), _) => me.handle.write(offset, data, data.len(), None),
            // A FIFO has no end to append at: a plain write.
            (WriteAt::End, Some(_)) => me.handle.write(0, data, data.len(), None),
            (WriteAt::End, None) => me.handle.append(data, data.len()),
        };
        match written {
            Ok(n) => {
                // `n` ≤ `data.len()`.
                let n = usize::try_from(n).unwrap_or(data.len());
                src.mark_read(n);
                if let WriteAt::Offset(offset) = &mut me.at {
                    *offset = offset.saturating_add(n as u64);
                }
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Err(ErrorCode::WouldBlock) if me.pipe.as_ref().is_some_and(Pipe::interrupted) => {
                me.outcome.send(Err(ErrorCode::Interrupted));
                Poll::Ready(Ok(StreamResult::Dropped))
            }
            Err(ErrorCode::WouldBlock) if me.pipe.is_some() => {
                let waited = match &mut me.pipe {
                    Some(pipe) => pipe.start_wait(cx, Interest::WRITABLE, PollFlags::POLLOUT),
                    None => Poll::Ready(()),
                };
                not_ready(waited, cx, finish)
            }
            Err(err) => {
                me.outcome.send(Err(err));
                Poll::Ready(Ok(StreamResult::Dropped))
            }
        }
    }
}

/// `read-directory`: the directory's entries, one `getdents64` page at a
/// time, read on a handle of the stream's own as the guest reads.
pub(crate) struct DirectoryProducer {
    handle: Handle,
    /// Counts the stream towards its context's `max-open` while it lives.
    _slot: StreamSlot,
    /// Entries per page.
    page: u32,
    /// Where the next page starts; `None` once the directory is exhausted.
    cursor: Option<u64>,
    /// Entries of the last page not handed out yet.
    pending: VecDeque<(String, FileType)>,
    outcome: Outcome,
}

impl DirectoryProducer {
    pub(crate) fn new(handle: Handle, slot: StreamSlot, page: u32, result: ResultSender) -> Self {
        Self {
            handle,
            _slot: slot,
            page,
            cursor: Some(0),
            pending: VecDeque::new(),
            outcome: Outcome(Some(result)),
        }
    }
}

impl<D> StreamProducer<D> for DirectoryProducer {
    type Item = DirectoryEntry;
    type Buffer = VecBuffer<DirectoryEntry>;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        mut dst: Destination<'a, Self::Item, Self::Buffer>,
        // Never pending: nothing to cancel.
        _finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let me = &mut *self;
        // A host reader: some entries at a time.
        let count = dst.remaining(&mut store).unwrap_or(32);
        if count == 0 {
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        let mut entries = Vec::with_capacity(count.min(me.pending.len().max(1)));
        // At most one page read per call, so that one call's work is
        // bounded by `page`.
        let mut read_one = false;
        while entries.len() < count {
            if let Some((name, file_type)) = me.pending.pop_front() {
                entries.push(DirectoryEntry {
                    type_: descriptor_type(file_type),
                    name,
                });
                continue;
            }
            let Some(cursor) = me.cursor else { break };
            if read_one && !entries.is_empty() {
                break;
            }
            read_one = true;
            match me.handle.read_dir_names(cursor, me.page) {
                Ok((page, next)) => {
                    me.cursor = next;
                    me.pending.extend(page);
                }
                // `getdents64` of a removed directory: it is empty now, as
                // wasmtime-wasi lists it.
                Err(ErrorCode::NoEntry) => me.cursor = None,
                Err(err) => {
                    me.outcome.send(Err(err));
                    dst.set_buffer(entries.into());
                    return Poll::Ready(Ok(StreamResult::Dropped));
                }
            }
        }
        dst.set_buffer(entries.into());
        if me.cursor.is_none() && me.pending.is_empty() {
            me.outcome.send(Ok(()));
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        Poll::Ready(Ok(StreamResult::Completed))
    }
}
