//! wasip2: locks on `wasi:filesystem` descriptors, through
//! `directfs:wasi-filesystem/locks`.

use std::io;
use std::path::{Component, Path};

use crate::FileExt;

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

/// [`FileExt::lock_range`].
pub(crate) fn lock<F: FileExt + ?Sized>(
    file: &F,
    range: LockRange,
    kind: LockKind,
    wait: bool,
) -> io::Result<()> {
    locks::lock(file.lock_descriptor(), range, kind, wait).map_err(error)
}

/// [`FileExt::unlock_range`].
pub(crate) fn unlock<F: FileExt + ?Sized>(file: &F, range: LockRange) -> io::Result<()> {
    locks::unlock(file.lock_descriptor(), range).map_err(error)
}

/// [`FileExt::test_lock`].
pub(crate) fn test_lock<F: FileExt + ?Sized>(
    file: &F,
    range: LockRange,
    kind: LockKind,
) -> io::Result<Option<LockConflict>> {
    locks::test_lock(file.lock_descriptor(), range, kind).map_err(error)
}
