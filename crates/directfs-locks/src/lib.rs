//! Advisory file locks for `wasm32-wasip2` and `wasm32-wasip1` programs run
//! on directfs, which WASI lacks: a `std`-style [`FileExt`] over directfs's
//! `directfs:wasi-filesystem/locks` (`wit/wasi/world.wit`) on wasip2, and
//! over its `directfs_locks` import module (`docs/locks.md`) on wasip1.
//!
//! The locks are the host kernel's record locks (Linux open-file-description
//! locks): they exclude other instances of the program, other programs on
//! the same directfs host, and host processes that lock the file with
//! `fcntl`. A lock is owned by the [`LockFile`] that took it and goes when
//! it is unlocked or dropped, or when the program ends, whatever it did
//! (a trap included).
//!
//! # Why a `LockFile` and not `std::fs::File`
//! On wasip2 a lock is taken on a `wasi:filesystem` descriptor, and
//! `std::fs::File` does not give its descriptor out (wasi-libc keeps it in
//! a private table). (On wasip1 a `std::fs::File` is a preview 1 fd, and
//! takes locks itself: [`FileExt`] is implemented for it there.) So lock
//! through a [`LockFile`] opened on the same path, and do
//! the I/O with `std::fs` as usual: the lock is advisory, so it excludes
//! every other holder that takes it, whatever file handle each writes
//! through. This is the lock-file pattern:
//!
//! ```ignore
//! use std::io::Write;
//! use directfs_locks::{FileExt, LockFile};
//!
//! let lock = LockFile::open("/data/log")?;
//! lock.lock_exclusive()?; // waits while another instance holds it
//! let mut log = std::fs::OpenOptions::new().append(true).open("/data/log")?;
//! writeln!(log, "one whole record")?;
//! lock.unlock()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! (`ignore`: this crate builds for `wasm32-wasip2` and `wasm32-wasip1`
//! only; the guest program `lock_std_append` in the repository is this
//! example, run by the tests on both.)
//!
//! # Errors
//! Each call returns the host's error code as an [`io::Error`]: a busy
//! lock in a `try_` call is [`io::ErrorKind::WouldBlock`]; a waiting lock
//! that the host ended (a timeout) is [`io::ErrorKind::Interrupted`]; past
//! the host's limit of lock records, `no-lock` (ENOLCK). Outside directfs
//! (e.g. `wasmtime run`), the program fails to link: the host has no
//! `directfs:wasi-filesystem/locks` (`directfs_locks` on wasip1).

use std::io;

#[cfg(target_env = "p1")]
mod p1;
#[cfg(target_env = "p2")]
mod p2;

#[cfg(target_env = "p1")]
use p1 as imp;
#[cfg(target_env = "p1")]
pub use p1::{LockConflict, LockFile, LockKind, LockRange};
#[cfg(target_env = "p2")]
use p2 as imp;
#[cfg(target_env = "p2")]
pub use p2::{Descriptor, LockConflict, LockFile, LockKind, LockRange};

/// The whole file, however far it grows.
const WHOLE: LockRange = LockRange { start: 0, len: 0 };

/// Advisory locks on a file, named as the `fs2`/`fs4` crates name them.
/// Whole-file calls lock every byte from 0 on, however far the file grows;
/// the `_range` calls lock `len` bytes from `start` (`len` 0: to the end).
pub trait FileExt {
    /// The descriptor the locks are taken on.
    #[cfg(target_env = "p2")]
    fn lock_descriptor(&self) -> &Descriptor;

    /// The preview 1 fd the locks are taken on.
    #[cfg(target_env = "p1")]
    fn lock_fd(&self) -> u32;

    /// Takes an exclusive lock on the whole file, waiting while another
    /// holder has any lock on it.
    fn lock_exclusive(&self) -> io::Result<()> {
        self.lock_range(WHOLE, LockKind::Exclusive, true)
    }

    /// Takes a shared lock on the whole file, waiting while another holder
    /// has an exclusive one.
    fn lock_shared(&self) -> io::Result<()> {
        self.lock_range(WHOLE, LockKind::Shared, true)
    }

    /// Takes an exclusive lock on the whole file now, or fails with
    /// [`io::ErrorKind::WouldBlock`].
    fn try_lock_exclusive(&self) -> io::Result<()> {
        self.lock_range(WHOLE, LockKind::Exclusive, false)
    }

    /// Takes a shared lock on the whole file now, or fails with
    /// [`io::ErrorKind::WouldBlock`].
    fn try_lock_shared(&self) -> io::Result<()> {
        self.lock_range(WHOLE, LockKind::Shared, false)
    }

    /// Releases this file's locks on the whole file.
    fn unlock(&self) -> io::Result<()> {
        self.unlock_range(WHOLE)
    }

    /// Takes a lock of `kind` on `range`, waiting for it if `wait`. This
    /// file's own locks on the bytes change to `kind` (upgrade, downgrade).
    fn lock_range(&self, range: LockRange, kind: LockKind, wait: bool) -> io::Result<()> {
        imp::lock(self, range, kind, wait)
    }

    /// Releases this file's locks on `range`.
    fn unlock_range(&self, range: LockRange) -> io::Result<()> {
        imp::unlock(self, range)
    }

    /// A lock of another holder that keeps a lock of `kind` on `range` from
    /// being taken now, if any.
    fn test_lock(&self, range: LockRange, kind: LockKind) -> io::Result<Option<LockConflict>> {
        imp::test_lock(self, range, kind)
    }
}
