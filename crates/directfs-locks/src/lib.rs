//! Advisory file locks for `wasm32-wasip2` programs run on directfs, which
//! WASI lacks: a `std`-style [`FileExt`] over directfs's
//! `directfs:wasi-filesystem/locks` (`wit/wasi/world.wit`).
//!
//! The locks are the host kernel's record locks (Linux open-file-description
//! locks): they exclude other instances of the program, other programs on
//! the same directfs host, and host processes that lock the file with
//! `fcntl`. A lock is owned by the [`LockFile`] that took it and goes when
//! it is unlocked or dropped, or when the program ends, whatever it did
//! (a trap included).
//!
//! # Why a `LockFile` and not `std::fs::File`
//! A lock is taken on a `wasi:filesystem` descriptor, and `std::fs::File`
//! does not give its descriptor out (wasi-libc keeps it in a private
//! table). So lock through a [`LockFile`] opened on the same path, and do
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
//! (`ignore`: this crate builds for `wasm32-wasip2` only; the guest program
//! `lock_std_append` in the repository is this example, run by the tests.)
//!
//! # Errors
//! Each call returns the host's error code as an [`io::Error`]: a busy
//! lock in a `try_` call is [`io::ErrorKind::WouldBlock`]; a waiting lock
//! that the host ended (a timeout) is [`io::ErrorKind::Interrupted`]; past
//! the host's limit of lock records, `no-lock` (ENOLCK). Outside directfs
//! (e.g. `wasmtime run`), the program fails to link: the host has no
//! `directfs:wasi-filesystem/locks`.

use std::io;
use std::path::{Component, Path};

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/wasi",
        world: "directfs:wasi-filesystem/locks-guest",
        generate_all,
    });
}

use bindings::directfs::wasi_filesystem::locks;
pub use bindings::directfs::wasi_filesystem::locks::{LockConflict, LockKind, LockRange};
pub use bindings::wasi::filesystem::types::Descriptor;
use bindings::wasi::filesystem::types::{DescriptorFlags, ErrorCode, OpenFlags, PathFlags};

/// A file opened for locking: a `wasi:filesystem` descriptor of its own.
#[derive(Debug)]
pub struct LockFile {
    fd: Descriptor,
}

impl LockFile {
    /// Opens `path` (absolute, under one of the program's preopened
    /// directories) for reading and writing, creating it if missing, so
    /// that it can take both kinds of lock.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let flags = DescriptorFlags::READ | DescriptorFlags::WRITE;
        Self::open_with(path.as_ref(), OpenFlags::CREATE, flags)
    }

    /// Opens `path` for reading only: it can take shared locks only.
    pub fn open_read(path: impl AsRef<Path>) -> io::Result<Self> {
        Self::open_with(path.as_ref(), OpenFlags::empty(), DescriptorFlags::READ)
    }

    fn open_with(path: &Path, open: OpenFlags, flags: DescriptorFlags) -> io::Result<Self> {
        let (dir, rest) = preopen_of(path)?;
        let fd = dir
            .open_at(PathFlags::SYMLINK_FOLLOW, &rest, open, flags)
            .map_err(error)?;
        Ok(Self { fd })
    }

    /// The descriptor the locks are taken on.
    pub fn descriptor(&self) -> &Descriptor {
        &self.fd
    }
}

/// The preopened directory `path` is under (the longest match) and the
/// rest of `path` relative to it.
fn preopen_of(path: &Path) -> io::Result<(Descriptor, String)> {
    let mut best: Option<(Descriptor, usize)> = None;
    for (dir, name) in bindings::wasi::filesystem::preopens::get_directories() {
        let prefix = Path::new(&name);
        if path.starts_with(prefix) {
            let depth = prefix.components().count();
            if best.as_ref().is_none_or(|(_, d)| depth > *d) {
                best = Some((dir, depth));
            }
        }
    }
    let Some((dir, depth)) = best else {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{}: not under a preopened directory", path.display()),
        ));
    };
    let rest: Vec<_> = path
        .components()
        .skip(depth)
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect();
    if rest.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: a preopened directory, not a file", path.display()),
        ));
    }
    Ok((dir, rest.join("/")))
}

/// A `wasi:filesystem` error code as an [`io::Error`] of its kind.
fn error(code: ErrorCode) -> io::Error {
    let kind = match code {
        ErrorCode::WouldBlock => io::ErrorKind::WouldBlock,
        ErrorCode::Interrupted => io::ErrorKind::Interrupted,
        ErrorCode::NoEntry => io::ErrorKind::NotFound,
        ErrorCode::Access | ErrorCode::NotPermitted => io::ErrorKind::PermissionDenied,
        ErrorCode::Invalid | ErrorCode::Overflow => io::ErrorKind::InvalidInput,
        ErrorCode::Deadlock => io::ErrorKind::Deadlock,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, format!("directfs lock: {code:?}"))
}

/// The whole file, however far it grows.
const WHOLE: LockRange = LockRange { start: 0, len: 0 };

/// Advisory locks on a file, named as the `fs2`/`fs4` crates name them.
/// Whole-file calls lock every byte from 0 on, however far the file grows;
/// the `_range` calls lock `len` bytes from `start` (`len` 0: to the end).
pub trait FileExt {
    /// The descriptor the locks are taken on.
    fn lock_descriptor(&self) -> &Descriptor;

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
        locks::lock(self.lock_descriptor(), range, kind, wait).map_err(error)
    }

    /// Releases this file's locks on `range`.
    fn unlock_range(&self, range: LockRange) -> io::Result<()> {
        locks::unlock(self.lock_descriptor(), range).map_err(error)
    }

    /// A lock of another holder that keeps a lock of `kind` on `range` from
    /// being taken now, if any.
    fn test_lock(&self, range: LockRange, kind: LockKind) -> io::Result<Option<LockConflict>> {
        locks::test_lock(self.lock_descriptor(), range, kind).map_err(error)
    }
}

impl FileExt for LockFile {
    fn lock_descriptor(&self) -> &Descriptor {
        &self.fd
    }
}

impl FileExt for Descriptor {
    fn lock_descriptor(&self) -> &Descriptor {
        self
    }
}
