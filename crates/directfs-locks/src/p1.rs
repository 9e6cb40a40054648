//! wasip1: locks on preview 1 fds, through directfs's `directfs_locks`
//! import module (`docs/locks.md`). A `std::fs::File` is a preview 1 fd
//! here, so it takes locks itself.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::FileExt;

#[link(wasm_import_module = "directfs_locks")]
unsafe extern "C" {
    fn fd_lock(fd: u32, start: u64, len: u64, kind: u32, wait: u32) -> u32;
    fn fd_unlock(fd: u32, start: u64, len: u64) -> u32;
    fn fd_test_lock(fd: u32, start: u64, len: u64, kind: u32, conflict: *mut RawConflict) -> u32;
}

/// What `fd_test_lock` writes: the lock in the way (`kind` 2: none).
#[repr(C)]
struct RawConflict {
    kind: u32,
    start: u64,
    len: u64,
}

/// The kind of a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// A read lock: many holders may share the same bytes.
    Shared,
    /// A write lock: no other holder has any lock on its bytes.
    Exclusive,
}

/// `len` bytes from `start`; with `len` 0, every byte from `start` on,
/// however far the file grows (the whole file: 0, 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockRange {
    /// The first byte.
    pub start: u64,
    /// How many bytes (0: to the end, however far the file grows).
    pub len: u64,
}

/// A lock in the way (see [`FileExt::test_lock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockConflict {
    /// Its kind.
    pub kind: LockKind,
    /// Its bytes.
    pub range: LockRange,
}

/// A file opened for locking: a preview 1 fd of its own.
#[derive(Debug)]
pub struct LockFile {
    file: File,
}

impl LockFile {
    /// Opens `path` (under one of the program's preopened directories) for
    /// reading and writing, creating it if missing, so that it can take
    /// both kinds of lock.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        Ok(Self { file })
    }

    /// Opens `path` for reading only: it can take shared locks only.
    pub fn open_read(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(Self {
            file: File::open(path)?,
        })
    }
}

impl FileExt for LockFile {
    fn lock_fd(&self) -> u32 {
        self.file.lock_fd()
    }
}

impl FileExt for File {
    fn lock_fd(&self) -> u32 {
        self.as_raw_fd().cast_unsigned()
    }
}

/// A preview 1 errno as an [`io::Error`] of its kind (0: none).
fn result(errno: u32) -> io::Result<()> {
    let kind = match errno {
        0 => return Ok(()),
        6 => io::ErrorKind::WouldBlock,
        27 => io::ErrorKind::Interrupted,
        28 => io::ErrorKind::InvalidInput,
        _ => io::ErrorKind::Other,
    };
    Err(io::Error::new(
        kind,
        format!("directfs lock: errno {errno}"),
    ))
}

fn kind_number(kind: LockKind) -> u32 {
    match kind {
        LockKind::Shared => 0,
        LockKind::Exclusive => 1,
    }
}

/// [`FileExt::lock_range`].
pub(crate) fn lock<F: FileExt + ?Sized>(
    file: &F,
    range: LockRange,
    kind: LockKind,
    wait: bool,
) -> io::Result<()> {
    let kind = kind_number(kind);
    // SAFETY: an import of plain numbers; the host checks every one.
    result(unsafe {
        fd_lock(
            file.lock_fd(),
            range.start,
            range.len,
            kind,
            u32::from(wait),
        )
    })
}

/// [`FileExt::unlock_range`].
pub(crate) fn unlock<F: FileExt + ?Sized>(file: &F, range: LockRange) -> io::Result<()> {
    // SAFETY: an import of plain numbers; the host checks every one.
    result(unsafe { fd_unlock(file.lock_fd(), range.start, range.len) })
}

/// [`FileExt::test_lock`].
pub(crate) fn test_lock<F: FileExt + ?Sized>(
    file: &F,
    range: LockRange,
    kind: LockKind,
) -> io::Result<Option<LockConflict>> {
    let mut raw = RawConflict {
        kind: 2,
        start: 0,
        len: 0,
    };
    let kind = kind_number(kind);
    // SAFETY: `raw` is a live, writable `RawConflict` (24 bytes, the
    // layout the host writes) for the whole call.
    result(unsafe { fd_test_lock(file.lock_fd(), range.start, range.len, kind, &mut raw) })?;
    let kind = match raw.kind {
        0 => LockKind::Shared,
        1 => LockKind::Exclusive,
        _ => return Ok(None),
    };
    Ok(Some(LockConflict {
        kind,
        range: LockRange {
            start: raw.start,
            len: raw.len,
        },
    }))
}
