//! The core's types as `wasi:filesystem` 0.2's, and back; with
//! [`crate::wasi::convert::shared_conversions!`], the conversions WASI 0.2 and 0.3 spell alike
//! (their generated types differ, their names and cases do not).

use wasmtime_wasi::p2::bindings::clocks::wall_clock::Datetime;

use crate::bindings::wasi::wasi::filesystem::types::{
    self as wit, DescriptorStat, DescriptorType, ErrorCode as WasiErrorCode, NewTimestamp,
};
use crate::types::{ErrorCode, FileType, SetTime, Stat, Timestamp};

/// A core error code as the `wasi:filesystem` one closest to it
/// (the two enums share most names; errnos the WASI one lacks become their
/// nearest kin, as wasmtime-wasi maps them).
pub(crate) fn wasi_code(code: ErrorCode) -> WasiErrorCode {
    match code {
        ErrorCode::Access => WasiErrorCode::Access,
        ErrorCode::AlreadyExists => WasiErrorCode::Exist,
        ErrorCode::BadDescriptor => WasiErrorCode::BadDescriptor,
        ErrorCode::Busy => WasiErrorCode::Busy,
        ErrorCode::CrossDevice => WasiErrorCode::CrossDevice,
        ErrorCode::FileTooLarge => WasiErrorCode::FileTooLarge,
        ErrorCode::Interrupted => WasiErrorCode::Interrupted,
        ErrorCode::Invalid => WasiErrorCode::Invalid,
        ErrorCode::InvalidSeek => WasiErrorCode::InvalidSeek,
        ErrorCode::IllegalByteSequence => WasiErrorCode::IllegalByteSequence,
        ErrorCode::Io => WasiErrorCode::Io,
        ErrorCode::IsDirectory => WasiErrorCode::IsDirectory,
        ErrorCode::Loop => WasiErrorCode::Loop,
        ErrorCode::NameTooLong => WasiErrorCode::NameTooLong,
        ErrorCode::NoDevice => WasiErrorCode::NoDevice,
        ErrorCode::NoEntry => WasiErrorCode::NoEntry,
        // The guest's resource limit is a memory limit of the host.
        ErrorCode::NoMemory | ErrorCode::TooManyOpen => WasiErrorCode::InsufficientMemory,
        ErrorCode::NoSpace => WasiErrorCode::InsufficientSpace,
        ErrorCode::NotDirectory => WasiErrorCode::NotDirectory,
        ErrorCode::NotEmpty => WasiErrorCode::NotEmpty,
        ErrorCode::NotPermitted => WasiErrorCode::NotPermitted,
        ErrorCode::NotSupported => WasiErrorCode::Unsupported,
        ErrorCode::Overflow => WasiErrorCode::Overflow,
        ErrorCode::Quota => WasiErrorCode::Quota,
        ErrorCode::ReadOnly => WasiErrorCode::ReadOnly,
        ErrorCode::TextFileBusy => WasiErrorCode::TextFileBusy,
        ErrorCode::TooManyLinks => WasiErrorCode::TooManyLinks,
        ErrorCode::WouldBlock => WasiErrorCode::WouldBlock,
        ErrorCode::Pipe => WasiErrorCode::Pipe,
        ErrorCode::Deadlock => WasiErrorCode::Deadlock,
        ErrorCode::NoLock => WasiErrorCode::NoLock,
        // ENODATA, E2BIG/ERANGE, ESTALE, the process out of FDs (wasmtime-wasi
        // too maps EMFILE to `io`) and the rest have no WASI code.
        ErrorCode::NoData
        | ErrorCode::TooBig
        | ErrorCode::Stale
        | ErrorCode::HostTooManyOpen
        | ErrorCode::Other => WasiErrorCode::Io,
    }
}

/// A [`Stat`] as `wasi:filesystem` shows it.
pub(crate) fn descriptor_stat(stat: &Stat) -> DescriptorStat {
    DescriptorStat {
        type_: descriptor_type(stat.file_type),
        link_count: stat.nlink,
        size: stat.size,
        data_access_timestamp: datetime(stat.atime),
        data_modification_timestamp: datetime(stat.mtime),
        status_change_timestamp: datetime(stat.ctime),
    }
}

/// A time before 1970 has no `datetime`: `None`, as wasmtime-wasi.
fn datetime(t: Timestamp) -> Option<Datetime> {
    Some(Datetime {
        seconds: u64::try_from(t.seconds).ok()?,
        nanoseconds: t.nanoseconds,
    })
}

pub(crate) fn descriptor_type(file_type: FileType) -> DescriptorType {
    match file_type {
        FileType::Unknown => DescriptorType::Unknown,
        FileType::BlockDevice => DescriptorType::BlockDevice,
        FileType::CharacterDevice => DescriptorType::CharacterDevice,
        FileType::Directory => DescriptorType::Directory,
        FileType::Fifo => DescriptorType::Fifo,
        FileType::SymbolicLink => DescriptorType::SymbolicLink,
        FileType::RegularFile => DescriptorType::RegularFile,
        FileType::Socket => DescriptorType::Socket,
    }
}

/// A `new-timestamp` as a `directfs:fs` `set-time`; nanoseconds past a
/// second carry into the seconds (as wasmtime-wasi), past `i64` seconds →
/// `overflow`.
pub(crate) fn set_time(t: NewTimestamp) -> Result<SetTime, ErrorCode> {
    Ok(match t {
        NewTimestamp::NoChange => SetTime::Omit,
        NewTimestamp::Now => SetTime::Now,
        NewTimestamp::Timestamp(t) => {
            let seconds = t
                .seconds
                .checked_add(u64::from(t.nanoseconds / 1_000_000_000))
                .and_then(|s| i64::try_from(s).ok())
                .ok_or(ErrorCode::Overflow)?;
            SetTime::At(Timestamp {
                seconds,
                nanoseconds: t.nanoseconds % 1_000_000_000,
            })
        }
    })
}

crate::wasi::convert::shared_conversions!(wit);
