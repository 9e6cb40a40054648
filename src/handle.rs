//! Open files: the Rust type of the WIT `handle` resource.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex};

use nix::errno::Errno;

use crate::budget::FdCharge;
use crate::error::ErrorCode;
use crate::interrupt::Interrupter;
use crate::lock::HeldLocks;
use crate::sys::{self, PollFlags, file_type_of_dirent, file_type_of_mode};
use crate::types::{Blocking, FileType};

/// A page of [`Handle::read_dir_names`]: names with their types, and where
/// the next page starts (`None` at the end).
pub(crate) type NamesPage = (Vec<(String, FileType)>, Option<u64>);

/// An open host file, as `openat` returned it for `create` or `open`. All I/O
/// is positional (`pread`/`pwrite`); the FD's own offset is never used.
#[derive(Debug)]
pub struct Handle {
    /// Immutable; closed (and its charge refunded) when the guest drops the
    /// handle and the streams sharing it. Shared only with the file's
    /// inode, which holds it weakly (to `fstat` it).
    fd: Arc<OpenFd>,
    /// Whether reads and writes that would block wait (interruptibly, in
    /// [`Interrupter::wait`]) instead of failing with `would-block`: a
    /// FIFO or device the guest opened without `nonblock`, whose `fd` is
    /// `O_NONBLOCK` at the host all the same. Immutable.
    waits: bool,
    /// Where the calls on this handle run on async hosts: its mount's
    /// choice. Immutable.
    blocking: Blocking,
}

/// A handle's FD and its charge on its tree's FD budget, in one allocation:
/// both go when the last share of the handle does.
#[derive(Debug)]
pub(crate) struct OpenFd {
    /// Shared only with the private dentry of a file the guest made
    /// through WASI ([`crate::dentry::Tree::create_private`]), which goes
    /// with the guest's descriptor, no later than the handle's shares.
    fd: Arc<OwnedFd>,
    /// `fd`'s charge, refunded when it closes.
    _charge: FdCharge,
    /// The lock records the open file holds ([`crate::lock`]). Protected
    /// by its mutex, a leaf lock held across one `fcntl`.
    locks: Mutex<HeldLocks>,
}

impl AsFd for OpenFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for OpenFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Handle {
    /// Takes ownership of `fd`, charged to the budget as `charge`.
    pub(crate) fn new(fd: OwnedFd, charge: FdCharge) -> Self {
        Self {
            fd: Arc::new(OpenFd {
                fd: Arc::new(fd),
                _charge: charge,
                locks: Mutex::default(),
            }),
            waits: false,
            blocking: Blocking::Inline,
        }
    }

    /// The handle, with I/O that `waits` for a file that is not ready (see
    /// [`Handle::waits`]), and calls that run as `blocking` says.
    pub(crate) fn with_policy(self, waits: bool, blocking: Blocking) -> Self {
        Self {
            waits,
            blocking,
            ..self
        }
    }

    /// Whether a read or write may wait for another process (a FIFO or
    /// device opened without `nonblock`): on async hosts such calls run on
    /// the blocking pool, whatever the mount's [`Blocking`].
    pub(crate) fn waits(&self) -> bool {
        self.waits
    }

    /// The [`Blocking`] of the handle's mount.
    pub(crate) fn blocking(&self) -> Blocking {
        self.blocking
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub(crate) fn shared_fd(&self) -> &Arc<OpenFd> {
        &self.fd
    }

    /// The host FD itself, shared: for the private dentry of a file made
    /// for this handle ([`crate::dentry::Tree::create_private`]).
    pub(crate) fn host_fd(&self) -> Arc<OwnedFd> {
        Arc::clone(&self.fd.fd)
    }

    /// The lock records of the handle's open file ([`crate::lock`]).
    pub(crate) fn held_locks(&self) -> &Mutex<HeldLocks> {
        &self.fd.locks
    }

    /// Makes the file's I/O non-blocking (`O_NONBLOCK` on the open file,
    /// which every user of this handle shares): reads and writes that would
    /// wait fail with `would-block` instead. For the streams of FIFOs and
    /// sockets, which wait for readiness themselves.
    pub(crate) fn set_nonblocking(&self) -> Result<(), ErrorCode> {
        let flags = sys::fcntl_getfl(self.fd())?;
        if !flags.contains(nix::fcntl::OFlag::O_NONBLOCK) {
            sys::fcntl_setfl(self.fd(), flags | nix::fcntl::OFlag::O_NONBLOCK)?;
        }
        Ok(())
    }

    /// Whether the file is ready for `events` now (or hung up, or failed):
    /// `poll` with no wait.
    pub(crate) fn ready_now(&self, events: sys::PollFlags) -> bool {
        sys::poll(self.fd(), events, sys::PollTimeout::ZERO).map_or(true, |got| !got.is_empty())
    }

    /// Waits until the file is ready for `events` (or hung up, or failed),
    /// blocking this thread: where no async runtime is at hand.
    pub(crate) fn wait_ready(&self, events: sys::PollFlags) {
        // An error (the FD cannot be polled) means: do not wait.
        let _ = sys::poll(self.fd(), events, sys::PollTimeout::NONE);
    }

    /// `pread` of up to `min(len, max)` bytes at `offset`; on a file that
    /// cannot seek (`ESPIPE`: a FIFO, a socket), `read`, ignoring `offset`.
    /// The buffer is sized by `max`, never by the guest's `len` alone.
    ///
    /// If the file has nothing to read yet and the handle [`Handle::waits`],
    /// waits for data in `interrupter` (`None`: never waits, `would-block`).
    pub(crate) fn read(
        &self,
        offset: u64,
        len: u64,
        max: usize,
        interrupter: Option<&Interrupter>,
    ) -> Result<Vec<u8>, ErrorCode> {
        file_offset(offset)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(max);
        // Read into uninitialized capacity: no zeroing of up to `max` bytes.
        let mut buf = Vec::with_capacity(len);
        // A zero-length read is made too: the kernel's checks answer it
        // (`bad-descriptor` on a write-only FD, `is-directory`), as a
        // native `pread(fd, buf, 0)`.
        self.waiting(PollFlags::POLLIN, interrupter, || {
            match sys::pread(self.fd(), &mut buf, offset) {
                Err(Errno::ESPIPE) => sys::read(self.fd(), &mut buf),
                other => other,
            }
        })?;
        Ok(buf)
    }

    /// `pread` into all of `buf` at `offset` (a guest's own buffer); on a
    /// file that cannot seek, `read`, ignoring `offset`. Never waits: a
    /// file with nothing to read yet fails with `would-block`. Returns how
    /// many bytes were read (0 at end of file).
    pub(crate) fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, ErrorCode> {
        file_offset(offset)?;
        // An empty `buf` is read too, for the kernel's checks (see
        // `Handle::read`).
        Ok(match sys::pread_into(self.fd(), buf, offset) {
            Err(Errno::ESPIPE) => sys::read_into(self.fd(), buf),
            other => other,
        }?)
    }

    /// Lists the directory this handle has open for reading, from `cursor`,
    /// at most `max` entries: each UTF-8 name (others are left out, but
    /// count towards `max`) with its type, from `getdents64` alone (a
    /// filesystem without `d_type`: `fstatat`). Returns the entries and
    /// where the next page starts (`None` at the end).
    pub(crate) fn read_dir_names(&self, cursor: u64, max: u32) -> Result<NamesPage, ErrorCode> {
        if max == 0 {
            return Err(ErrorCode::Invalid);
        }
        let (mut entries, mut seen) = (Vec::new(), 0u32);
        let next = sys::getdents64(self.fd(), cursor, sys::dirent_buf_for(max), |dirent| {
            if seen >= max {
                return std::ops::ControlFlow::Break(());
            }
            seen += 1;
            if let Ok(name) = std::str::from_utf8(dirent.name) {
                let file_type = match file_type_of_dirent(dirent.kind) {
                    FileType::Unknown => sys::fstatat_nofollow(self.fd(), dirent.name)
                        .map_or(FileType::Unknown, |st| file_type_of_mode(st.st_mode)),
                    known => known,
                };
                entries.push((name.to_owned(), file_type));
            }
            std::ops::ControlFlow::Continue(())
        })?;
        Ok((entries, next))
    }

    /// `pwrite` of at most `max` bytes of `data` at `offset` (on a file that
    /// cannot seek, `write`, ignoring `offset`); returns how many were
    /// written.
    ///
    /// If the file takes nothing yet and the handle [`Handle::waits`],
    /// waits for room in `interrupter` (`None`: never waits, `would-block`).
    pub(crate) fn write(
        &self,
        offset: u64,
        data: &[u8],
        max: usize,
        interrupter: Option<&Interrupter>,
    ) -> Result<u64, ErrorCode> {
        let offset = file_offset(offset)?;
        let data = data.get(..max).unwrap_or(data);
        let n = self.waiting(PollFlags::POLLOUT, interrupter, || {
            match sys::pwrite(self.fd(), data, offset) {
                Err(Errno::ESPIPE) => sys::write(self.fd(), data),
                other => other,
            }
        })?;
        Ok(n as u64)
    }

    /// `pwritev2(RWF_APPEND)` of at most `max` bytes of `data`: at the end of
    /// the file, atomically; returns how many were written.
    pub(crate) fn append(&self, data: &[u8], max: usize) -> Result<u64, ErrorCode> {
        let data = data.get(..max).unwrap_or(data);
        Ok(sys::pwritev2_append(self.fd(), data)? as u64)
    }

    /// Runs the I/O `op`; while it would block (`EAGAIN`) and the handle
    /// [`Handle::waits`], waits for `events` in `interrupter` and runs it
    /// again.
    fn waiting(
        &self,
        events: PollFlags,
        interrupter: Option<&Interrupter>,
        mut op: impl FnMut() -> Result<usize, Errno>,
    ) -> Result<usize, ErrorCode> {
        loop {
            match (op(), interrupter) {
                (Err(Errno::EAGAIN), Some(interrupter)) if self.waits => {
                    interrupter.wait(self.fd(), events)?;
                }
                (done, _) => return Ok(done?),
            }
        }
    }

    /// `posix_fadvise`.
    pub(crate) fn advise(
        &self,
        offset: u64,
        len: u64,
        advice: sys::Advice,
    ) -> Result<(), ErrorCode> {
        // As the guest asked: Linux takes any offset (past `i64::MAX` too)
        // and answers a length past it (a negative `off_t`) with `EINVAL`,
        // as wasmtime-wasi passes them.
        Ok(sys::posix_fadvise(self.fd(), offset, len, advice)?)
    }

    /// Another handle on the same open file (the FD is shared, not
    /// duplicated): for the streams of `wasi:filesystem`, which outlive the
    /// descriptor they came from.
    pub(crate) fn share(&self) -> Self {
        Self {
            fd: Arc::clone(&self.fd),
            waits: self.waits,
            blocking: self.blocking,
        }
    }

    /// `futimens`: sets (or leaves, or sets to now) the access and
    /// modification times.
    pub(crate) fn set_times(
        &self,
        atime: &crate::types::SetTime,
        mtime: &crate::types::SetTime,
    ) -> Result<(), ErrorCode> {
        let (atime, mtime) = (sys::time_spec(atime)?, sys::time_spec(mtime)?);
        Ok(sys::futimens(self.fd(), &atime, &mtime)?)
    }

    /// `fsync`.
    pub(crate) fn sync(&self) -> Result<(), ErrorCode> {
        Ok(sys::fsync(self.fd())?)
    }

    /// `fdatasync`.
    pub(crate) fn sync_data(&self) -> Result<(), ErrorCode> {
        Ok(sys::fdatasync(self.fd())?)
    }

    /// `ftruncate`.
    pub(crate) fn set_size(&self, size: u64) -> Result<(), ErrorCode> {
        Ok(sys::ftruncate(self.fd(), file_offset(size)?)?)
    }

    /// `fallocate(fd, 0, offset, len)` (an `offset + len` past `i64::MAX`:
    /// the kernel's `file-too-large`).
    pub(crate) fn allocate(&self, offset: u64, len: u64) -> Result<(), ErrorCode> {
        Ok(sys::fallocate(
            self.fd(),
            file_offset(offset)?,
            file_offset(len)?,
        )?)
    }
}

/// A guest offset or size as a host `off_t`: past `i64::MAX` → `invalid`,
/// as the kernel answers a negative `off_t` (`EINVAL` from `pread`,
/// `pwrite`, `ftruncate`, `fallocate`) and as wasmtime-wasi
/// does.
pub(crate) fn file_offset(offset: u64) -> Result<i64, ErrorCode> {
    i64::try_from(offset).map_err(|_| ErrorCode::Invalid)
}
