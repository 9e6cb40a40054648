//! Open files: the Rust type of the WIT `handle` resource.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::error::ErrorCode;
use crate::sys;

/// An open host file, as `openat` returned it for `create` or `open`. All I/O
/// is positional (`pread`/`pwrite`); the FD's own offset is never used.
#[derive(Debug)]
pub struct Handle {
    /// Immutable; closed when the guest drops the handle.
    fd: OwnedFd,
}

impl Handle {
    /// Takes ownership of `fd`.
    pub(crate) fn new(fd: OwnedFd) -> Self {
        Self { fd }
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// `pread` of up to `min(len, max)` bytes at `offset`. The buffer is
    /// sized by `max`, never by the guest's `len` alone.
    pub(crate) fn read(&self, offset: u64, len: u64, max: usize) -> Result<Vec<u8>, ErrorCode> {
        let offset = file_offset(offset)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(max);
        let mut buf = vec![0; len];
        let n = sys::pread(self.fd(), &mut buf, offset)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// `pwrite` of at most `max` bytes of `data` at `offset`; returns how many
    /// were written.
    pub(crate) fn write(&self, offset: u64, data: &[u8], max: usize) -> Result<u64, ErrorCode> {
        let offset = file_offset(offset)?;
        let data = &data[..data.len().min(max)];
        let n = sys::pwrite(self.fd(), data, offset)?;
        Ok(n as u64)
    }
}

/// A guest offset as a host `off_t`: past `i64::MAX` → `overflow`.
fn file_offset(offset: u64) -> Result<i64, ErrorCode> {
    i64::try_from(offset).map_err(|_| ErrorCode::Overflow)
}
