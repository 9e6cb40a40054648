//! The `wasi:io` streams of `read-via-stream`, `write-via-stream` and
//! `append-via-stream`: positional I/O on a shared [`Handle`], served by
//! wasmtime-wasi's `wasi:io/streams`.
//!
//! Regular-file I/O does not wait on anything the guest could poll for, so
//! the streams are always ready and each call does its syscall at once (as
//! wasmtime-wasi with `allow_blocking_current_thread`). A stream keeps the
//! file open after its descriptor is dropped, as a `dup`ed FD would.

use bytes::Bytes;
use wasmtime_wasi::p2::{InputStream, OutputStream, Pollable, StreamError, StreamResult};

use crate::error::ErrorCode;
use crate::handle::Handle;

/// The most bytes one stream `read` returns, and what `check-write` allows.
pub(crate) const STREAM_CHUNK: usize = 64 * 1024;

/// A stream error the guest can ask `filesystem-error-code` about.
fn failed(code: ErrorCode) -> StreamError {
    StreamError::LastOperationFailed(wasmtime::Error::new(code))
}

/// `read-via-stream`: reads from `position` on, `pread` by `pread`.
pub(crate) struct FileInputStream {
    handle: Handle,
    position: u64,
}

impl FileInputStream {
    pub(crate) fn new(handle: Handle, position: u64) -> Self {
        Self { handle, position }
    }
}

#[async_trait::async_trait]
impl Pollable for FileInputStream {
    async fn ready(&mut self) {}
}

#[async_trait::async_trait]
impl InputStream for FileInputStream {
    /// Up to `size` bytes; the end of the file closes the stream.
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        if size == 0 {
            return Ok(Bytes::new());
        }
        let data = self
            .handle
            .read(self.position, size as u64, STREAM_CHUNK)
            .map_err(failed)?;
        if data.is_empty() {
            return Err(StreamError::Closed);
        }
        self.position += data.len() as u64;
        Ok(Bytes::from(data))
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

/// `write-via-stream` and `append-via-stream`.
pub(crate) struct FileOutputStream {
    handle: Handle,
    mode: Mode,
}

impl FileOutputStream {
    pub(crate) fn at(handle: Handle, position: u64) -> Self {
        Self {
            handle,
            mode: Mode::Position(position),
        }
    }

    pub(crate) fn append(handle: Handle) -> Self {
        Self {
            handle,
            mode: Mode::Append,
        }
    }
}

#[async_trait::async_trait]
impl Pollable for FileOutputStream {
    async fn ready(&mut self) {}
}

#[async_trait::async_trait]
impl OutputStream for FileOutputStream {
    /// Writes all of `bytes` (short writes are continued).
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let written = match self.mode {
                Mode::Position(position) => self.handle.write(position, rest, STREAM_CHUNK),
                Mode::Append => self.handle.append(rest, STREAM_CHUNK),
            }
            .map_err(failed)?;
            if written == 0 {
                return Err(failed(ErrorCode::NoSpace));
            }
            if let Mode::Position(position) = &mut self.mode {
                *position += written;
            }
            rest = rest.get(written as usize..).unwrap_or_default();
        }
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(STREAM_CHUNK)
    }
}
