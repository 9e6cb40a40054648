//! The core's types as preview 1's, and back; errors as wasmtime-wasi's
//! `p1` maps them (through `wasi:filesystem`'s codes).

use wiggle::GuestError;

use crate::bindings::p1::types::{self, Errno, Filestat, Filetype, Fstflags, Timestamp};
use crate::error::Error;
use crate::types::{ErrorCode, FileType, SetTime, Stat};

/// A core error code as preview 1's errno: the `wasi:filesystem` code it
/// becomes in the 0.2 frontend, then that code's errno (wasmtime-wasi's
/// table), so the two frontends agree with each other and with
/// wasmtime-wasi.
pub(super) fn errno(code: ErrorCode) -> Errno {
    use crate::bindings::wasi::wasi::filesystem::types::ErrorCode as Wasi;
    match crate::wasi::p2::wasi_code(code) {
        Wasi::Access => Errno::Acces,
        Wasi::WouldBlock => Errno::Again,
        Wasi::Already => Errno::Already,
        Wasi::BadDescriptor => Errno::Badf,
        Wasi::Busy => Errno::Busy,
        Wasi::Deadlock => Errno::Deadlk,
        Wasi::Quota => Errno::Dquot,
        Wasi::Exist => Errno::Exist,
        Wasi::FileTooLarge => Errno::Fbig,
        Wasi::IllegalByteSequence => Errno::Ilseq,
        Wasi::InProgress => Errno::Inprogress,
        Wasi::Interrupted => Errno::Intr,
        Wasi::Invalid => Errno::Inval,
        Wasi::Io => Errno::Io,
        Wasi::IsDirectory => Errno::Isdir,
        Wasi::Loop => Errno::Loop,
        Wasi::TooManyLinks => Errno::Mlink,
        Wasi::MessageSize => Errno::Msgsize,
        Wasi::NameTooLong => Errno::Nametoolong,
        Wasi::NoDevice => Errno::Nodev,
        Wasi::NoEntry => Errno::Noent,
        Wasi::NoLock => Errno::Nolck,
        Wasi::InsufficientMemory => Errno::Nomem,
        Wasi::InsufficientSpace => Errno::Nospc,
        Wasi::Unsupported => Errno::Notsup,
        Wasi::NotDirectory => Errno::Notdir,
        Wasi::NotEmpty => Errno::Notempty,
        Wasi::NotRecoverable => Errno::Notrecoverable,
        Wasi::NoTty => Errno::Notty,
        Wasi::NoSuchDevice => Errno::Nxio,
        Wasi::Overflow => Errno::Overflow,
        Wasi::NotPermitted => Errno::Perm,
        Wasi::Pipe => Errno::Pipe,
        Wasi::ReadOnly => Errno::Rofs,
        Wasi::InvalidSeek => Errno::Spipe,
        Wasi::TextFileBusy => Errno::Txtbsy,
        Wasi::CrossDevice => Errno::Xdev,
    }
}

impl From<ErrorCode> for types::Error {
    fn from(code: ErrorCode) -> Self {
        errno(code).into()
    }
}

impl From<Error> for types::Error {
    fn from(err: Error) -> Self {
        match err.into_code_or_trap() {
            Ok(code) => code.into(),
            Err(trap) => types::Error::trap(trap),
        }
    }
}

impl From<wasmtime::component::ResourceTableError> for types::Error {
    fn from(err: wasmtime::component::ResourceTableError) -> Self {
        types::Error::trap(err.into())
    }
}

impl From<std::num::TryFromIntError> for types::Error {
    fn from(_: std::num::TryFromIntError) -> Self {
        Errno::Overflow.into()
    }
}

/// A stream's failure (stdio): a host I/O error as its errno, as
/// wasmtime-wasi.
impl From<wasmtime_wasi::p2::StreamError> for types::Error {
    fn from(err: wasmtime_wasi::p2::StreamError) -> Self {
        use wasmtime_wasi::p2::StreamError;
        match err {
            StreamError::Closed => Errno::Io.into(),
            StreamError::LastOperationFailed(e) => match e.downcast::<std::io::Error>() {
                Ok(err) => match err.raw_os_error() {
                    Some(raw) => errno(nix::errno::Errno::from_raw(raw).into()).into(),
                    None => Errno::Io.into(),
                },
                Err(_) => Errno::Io.into(),
            },
            StreamError::Trap(e) => types::Error::trap(e),
        }
    }
}

/// As wasmtime-wasi: a pointer out of bounds or misaligned traps (the
/// witx rules), a bad flag or enum value is `inval`, bad UTF-8 `ilseq`.
impl From<GuestError> for types::Error {
    fn from(err: GuestError) -> Self {
        match err {
            GuestError::InvalidFlagValue { .. } | GuestError::InvalidEnumValue { .. } => {
                Errno::Inval.into()
            }
            GuestError::PtrOverflow
            | GuestError::PtrOutOfBounds { .. }
            | GuestError::PtrNotAligned { .. } => types::Error::trap(err.into()),
            GuestError::InvalidUtf8 { .. } => Errno::Ilseq.into(),
            GuestError::TryFromIntError { .. } => Errno::Overflow.into(),
            GuestError::SliceLengthsDiffer => Errno::Fault.into(),
            GuestError::InFunc { err, .. } => types::Error::from(*err),
        }
    }
}

/// A file type as preview 1's (which has no FIFO: `unknown`, as
/// wasmtime-wasi).
pub(super) fn filetype(file_type: FileType) -> Filetype {
    match file_type {
        FileType::Unknown | FileType::Fifo => Filetype::Unknown,
        FileType::BlockDevice => Filetype::BlockDevice,
        FileType::CharacterDevice => Filetype::CharacterDevice,
        FileType::Directory => Filetype::Directory,
        FileType::SymbolicLink => Filetype::SymbolicLink,
        FileType::RegularFile => Filetype::RegularFile,
        FileType::Socket => Filetype::SocketStream,
    }
}

/// A time as nanoseconds since the epoch; before the epoch: 0 (as
/// wasmtime-wasi, which shows such a time as none); past `u64`:
/// `overflow`.
fn timestamp(t: crate::types::Timestamp) -> Result<Timestamp, Errno> {
    let Ok(seconds) = u64::try_from(t.seconds) else {
        return Ok(0);
    };
    seconds
        .checked_mul(1_000_000_000)
        .and_then(|ns| ns.checked_add(u64::from(t.nanoseconds)))
        .ok_or(Errno::Overflow)
}

/// A [`Stat`] as preview 1's `filestat`: `dev` 1 and `ino` the file's
/// `metadata-hash` (its stable number), as wasmtime-wasi.
pub(super) fn filestat(stat: &Stat) -> Result<Filestat, Errno> {
    Ok(Filestat {
        dev: 1,
        ino: stat.ino,
        filetype: filetype(stat.file_type),
        nlink: stat.nlink,
        size: stat.size,
        atim: timestamp(stat.atime)?,
        mtim: timestamp(stat.mtime)?,
        ctim: timestamp(stat.ctime)?,
    })
}

/// One of `fst_flags`' two times: `set` (the given time) and `now` are
/// exclusive (`inval`).
pub(super) fn set_time(set: bool, now: bool, ts: Timestamp) -> Result<SetTime, Errno> {
    match (set, now) {
        (true, true) => Err(Errno::Inval),
        (true, false) => Ok(SetTime::At(crate::types::Timestamp {
            seconds: i64::try_from(ts / 1_000_000_000).map_err(|_| Errno::Overflow)?,
            nanoseconds: (ts % 1_000_000_000) as u32,
        })),
        (false, true) => Ok(SetTime::Now),
        (false, false) => Ok(SetTime::Omit),
    }
}

/// The access and modification times of `fst_flags`.
pub(super) fn set_times(
    atim: Timestamp,
    mtim: Timestamp,
    flags: Fstflags,
) -> Result<(SetTime, SetTime), Errno> {
    Ok((
        set_time(
            flags.contains(Fstflags::ATIM),
            flags.contains(Fstflags::ATIM_NOW),
            atim,
        )?,
        set_time(
            flags.contains(Fstflags::MTIM),
            flags.contains(Fstflags::MTIM_NOW),
            mtim,
        )?,
    ))
}

/// A preview 1 advice as the host's.
pub(super) fn advice(advice: types::Advice) -> crate::sys::Advice {
    use crate::sys::Advice as Host;
    match advice {
        types::Advice::Normal => Host::Normal,
        types::Advice::Sequential => Host::Sequential,
        types::Advice::Random => Host::Random,
        types::Advice::Willneed => Host::WillNeed,
        types::Advice::Dontneed => Host::DontNeed,
        types::Advice::Noreuse => Host::NoReuse,
    }
}

/// The rights wasmtime-wasi shows for a preopen (base, inheriting), which
/// userlands expect.
pub(super) fn preopen_rights() -> (types::Rights, types::Rights) {
    use types::Rights;
    let base = Rights::PATH_CREATE_DIRECTORY
        | Rights::PATH_CREATE_FILE
        | Rights::PATH_LINK_SOURCE
        | Rights::PATH_LINK_TARGET
        | Rights::PATH_OPEN
        | Rights::FD_READDIR
        | Rights::PATH_READLINK
        | Rights::PATH_RENAME_SOURCE
        | Rights::PATH_RENAME_TARGET
        | Rights::PATH_SYMLINK
        | Rights::PATH_REMOVE_DIRECTORY
        | Rights::PATH_UNLINK_FILE
        | Rights::PATH_FILESTAT_GET
        | Rights::PATH_FILESTAT_SET_TIMES
        | Rights::FD_FILESTAT_GET
        | Rights::FD_FILESTAT_SET_TIMES;
    let inheriting = base
        | Rights::FD_DATASYNC
        | Rights::FD_READ
        | Rights::FD_SEEK
        | Rights::FD_FDSTAT_SET_FLAGS
        | Rights::FD_SYNC
        | Rights::FD_TELL
        | Rights::FD_WRITE
        | Rights::FD_ADVISE
        | Rights::FD_ALLOCATE
        | Rights::FD_FILESTAT_GET
        | Rights::FD_FILESTAT_SET_SIZE
        | Rights::FD_FILESTAT_SET_TIMES
        | Rights::POLL_FD_READWRITE;
    (base, inheriting)
}
