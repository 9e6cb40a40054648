//! Errors: host `errno` → the core's [`ErrorCode`], and the trappable
//! [`Error`] that host functions return (each frontend converts its code to
//! its WIT's at the edge).
//!
//! The split follows wasmtime-wasi: a failed syscall is the guest's business
//! and comes back as an `error-code`; a resource handle the guest does not own
//! is a bug in the guest and traps.

use nix::errno::Errno;
use wasmtime::component::ResourceTableError;

pub use crate::types::ErrorCode;

/// The error of a directfs host function: either an [`ErrorCode`] returned to
/// the guest, or a trap that aborts it.
///
/// `?` converts an [`ErrorCode`], an [`Errno`] and a [`ResourceTableError`]
/// (a bad handle: a trap) into it.
#[derive(Debug)]
pub struct Error(Repr);

#[derive(Debug)]
enum Repr {
    Code(ErrorCode),
    Trap(wasmtime::Error),
}

impl Error {
    /// An error that traps the guest instead of returning an error code.
    pub fn trap(err: impl Into<wasmtime::Error>) -> Self {
        Self(Repr::Trap(err.into()))
    }

    /// The error code this error returns to the guest, or `None` for a trap.
    pub fn code(&self) -> Option<ErrorCode> {
        match &self.0 {
            Repr::Code(code) => Some(*code),
            Repr::Trap(_) => None,
        }
    }

    /// Splits the error into what the generated bindings want: `Ok(code)` to
    /// return to the guest, `Err(trap)` to abort it.
    pub(crate) fn into_code_or_trap(self) -> wasmtime::Result<ErrorCode> {
        match self.0 {
            Repr::Code(code) => Ok(code),
            Repr::Trap(trap) => Err(trap),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Repr::Code(code) => write!(f, "{code:?}"),
            Repr::Trap(trap) => write!(f, "trap: {trap}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Self {
        Self(Repr::Code(code))
    }
}

impl From<Errno> for Error {
    fn from(errno: Errno) -> Self {
        Self(Repr::Code(errno.into()))
    }
}

impl From<ResourceTableError> for Error {
    fn from(err: ResourceTableError) -> Self {
        Self::trap(err)
    }
}

std::thread_local! {
    /// How many `ESTALE`s this thread has turned into errors: see
    /// [`stale_handles`].
    static STALE_HANDLES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many `ESTALE`s (a host file handle the server no longer knows: NFS)
/// this thread has turned into [`ErrorCode::Stale`] so far. A call run by
/// [`crate::fs::Filesystem::deferring`] that met one is run once more,
/// walking every name afresh, as the kernel retries a path walk with
/// `LOOKUP_REVAL` after `ESTALE`.
pub(crate) fn stale_handles() -> u64 {
    STALE_HANDLES.with(std::cell::Cell::get)
}

impl From<Errno> for ErrorCode {
    fn from(errno: Errno) -> Self {
        if errno == Errno::ESTALE {
            STALE_HANDLES.with(|n| n.set(n.get() + 1));
        }
        match errno {
            Errno::EACCES => ErrorCode::Access,
            Errno::EEXIST => ErrorCode::AlreadyExists,
            Errno::EBADF => ErrorCode::BadDescriptor,
            Errno::EBUSY => ErrorCode::Busy,
            Errno::EXDEV => ErrorCode::CrossDevice,
            Errno::EFBIG => ErrorCode::FileTooLarge,
            Errno::EINTR => ErrorCode::Interrupted,
            Errno::EINVAL => ErrorCode::Invalid,
            Errno::ESPIPE => ErrorCode::InvalidSeek,
            Errno::EILSEQ => ErrorCode::IllegalByteSequence,
            Errno::EIO => ErrorCode::Io,
            Errno::EISDIR => ErrorCode::IsDirectory,
            Errno::ELOOP => ErrorCode::Loop,
            Errno::ENAMETOOLONG => ErrorCode::NameTooLong,
            Errno::ENODATA => ErrorCode::NoData,
            Errno::ENXIO | Errno::ENODEV => ErrorCode::NoDevice,
            Errno::ENOENT => ErrorCode::NoEntry,
            Errno::ENOMEM => ErrorCode::NoMemory,
            Errno::ENOSPC => ErrorCode::NoSpace,
            Errno::ENOTDIR => ErrorCode::NotDirectory,
            Errno::ENOTEMPTY => ErrorCode::NotEmpty,
            Errno::EPERM => ErrorCode::NotPermitted,
            // ENOTSUP is EOPNOTSUPP on Linux.
            Errno::EOPNOTSUPP | Errno::ENOSYS => ErrorCode::NotSupported,
            Errno::EOVERFLOW => ErrorCode::Overflow,
            Errno::E2BIG | Errno::ERANGE => ErrorCode::TooBig,
            Errno::EDQUOT => ErrorCode::Quota,
            Errno::EROFS => ErrorCode::ReadOnly,
            Errno::ESTALE => ErrorCode::Stale,
            Errno::ETXTBSY => ErrorCode::TextFileBusy,
            Errno::EMLINK => ErrorCode::TooManyLinks,
            Errno::EMFILE | Errno::ENFILE => ErrorCode::HostTooManyOpen,
            // EWOULDBLOCK is EAGAIN on Linux.
            Errno::EAGAIN => ErrorCode::WouldBlock,
            Errno::EPIPE => ErrorCode::Pipe,
            Errno::EDEADLK => ErrorCode::Deadlock,
            Errno::ENOLCK => ErrorCode::NoLock,
            _ => ErrorCode::Other,
        }
    }
}

/// An error where the WIT function has no error code to return: a trap.
pub(crate) fn trap(err: Error) -> wasmtime::Error {
    match err.into_code_or_trap() {
        Ok(code) => wasmtime::Error::msg(format!("directfs: {code:?}")),
        Err(trap) => trap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_maps_to_its_code() {
        assert_eq!(ErrorCode::from(Errno::ENOENT), ErrorCode::NoEntry);
        assert_eq!(ErrorCode::from(Errno::EWOULDBLOCK), ErrorCode::WouldBlock);
        assert_eq!(ErrorCode::from(Errno::ENOTSUP), ErrorCode::NotSupported);
        assert_eq!(ErrorCode::from(Errno::ENFILE), ErrorCode::HostTooManyOpen);
        assert_eq!(ErrorCode::from(Errno::EPIPE), ErrorCode::Pipe);
        assert_eq!(ErrorCode::from(Errno::EDEADLK), ErrorCode::Deadlock);
        assert_eq!(ErrorCode::from(Errno::EHWPOISON), ErrorCode::Other);
    }

    #[test]
    fn bad_handle_traps_and_errno_does_not() {
        let trap = Error::from(ResourceTableError::NotPresent);
        assert_eq!(trap.code(), None);
        assert!(trap.into_code_or_trap().is_err());
        let code = Error::from(Errno::EEXIST);
        assert_eq!(code.code(), Some(ErrorCode::AlreadyExists));
        assert!(matches!(
            code.into_code_or_trap(),
            Ok(ErrorCode::AlreadyExists)
        ));
    }
}
