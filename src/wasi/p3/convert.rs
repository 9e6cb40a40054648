//! The core's types as `wasi:filesystem@0.3.0`'s, and back.

use wasmtime_wasi::p3::bindings::clocks::system_clock::Instant;

use crate::bindings::wasi_p3::wasi::filesystem::types::{
    self as wit, DescriptorStat, DescriptorType, ErrorCode as P3ErrorCode, NewTimestamp, PathFlags,
};
use crate::types::{ErrorCode, FileType, SetTime, Stat, Timestamp};

/// A core error code as the `wasi:filesystem@0.3.0` one closest to it, as
/// the 0.2 frontend maps it (0.3 has no `would-block`).
pub(super) fn error_code(code: ErrorCode) -> P3ErrorCode {
    match code {
        ErrorCode::Access => P3ErrorCode::Access,
        ErrorCode::AlreadyExists => P3ErrorCode::Exist,
        ErrorCode::BadDescriptor => P3ErrorCode::BadDescriptor,
        ErrorCode::Busy => P3ErrorCode::Busy,
        ErrorCode::CrossDevice => P3ErrorCode::CrossDevice,
        ErrorCode::FileTooLarge => P3ErrorCode::FileTooLarge,
        ErrorCode::Interrupted => P3ErrorCode::Interrupted,
        ErrorCode::Invalid => P3ErrorCode::Invalid,
        ErrorCode::InvalidSeek => P3ErrorCode::InvalidSeek,
        ErrorCode::IllegalByteSequence => P3ErrorCode::IllegalByteSequence,
        ErrorCode::Io => P3ErrorCode::Io,
        ErrorCode::IsDirectory => P3ErrorCode::IsDirectory,
        ErrorCode::Loop => P3ErrorCode::Loop,
        ErrorCode::NameTooLong => P3ErrorCode::NameTooLong,
        ErrorCode::NoDevice => P3ErrorCode::NoDevice,
        ErrorCode::NoEntry => P3ErrorCode::NoEntry,
        // The guest's resource limit is a memory limit of the host.
        ErrorCode::NoMemory | ErrorCode::TooManyOpen => P3ErrorCode::InsufficientMemory,
        ErrorCode::NoSpace => P3ErrorCode::InsufficientSpace,
        ErrorCode::NotDirectory => P3ErrorCode::NotDirectory,
        ErrorCode::NotEmpty => P3ErrorCode::NotEmpty,
        ErrorCode::NotPermitted => P3ErrorCode::NotPermitted,
        ErrorCode::NotSupported => P3ErrorCode::Unsupported,
        ErrorCode::Overflow => P3ErrorCode::Overflow,
        ErrorCode::Quota => P3ErrorCode::Quota,
        ErrorCode::ReadOnly => P3ErrorCode::ReadOnly,
        ErrorCode::TextFileBusy => P3ErrorCode::TextFileBusy,
        ErrorCode::TooManyLinks => P3ErrorCode::TooManyLinks,
        ErrorCode::WouldBlock => P3ErrorCode::Other(Some("would-block".into())),
        ErrorCode::Pipe => P3ErrorCode::Pipe,
        ErrorCode::Deadlock => P3ErrorCode::Deadlock,
        ErrorCode::NoLock => P3ErrorCode::NoLock,
        // ENODATA, E2BIG/ERANGE, ESTALE, the process out of FDs (wasmtime-wasi
        // too maps EMFILE to `io`) and the rest have no WASI code.
        ErrorCode::NoData
        | ErrorCode::TooBig
        | ErrorCode::Stale
        | ErrorCode::HostTooManyOpen
        | ErrorCode::Other => P3ErrorCode::Io,
    }
}

/// A [`Stat`] as `wasi:filesystem@0.3.0` shows it.
pub(super) fn descriptor_stat(stat: &Stat) -> DescriptorStat {
    DescriptorStat {
        type_: descriptor_type(stat.file_type),
        link_count: stat.nlink,
        size: stat.size,
        data_access_timestamp: Some(instant(stat.atime)),
        data_modification_timestamp: Some(instant(stat.mtime)),
        status_change_timestamp: Some(instant(stat.ctime)),
    }
}

fn instant(t: Timestamp) -> Instant {
    Instant {
        seconds: t.seconds,
        nanoseconds: t.nanoseconds,
    }
}

pub(super) fn descriptor_type(file_type: FileType) -> DescriptorType {
    match file_type {
        FileType::Unknown => DescriptorType::Other(None),
        FileType::BlockDevice => DescriptorType::BlockDevice,
        FileType::CharacterDevice => DescriptorType::CharacterDevice,
        FileType::Directory => DescriptorType::Directory,
        FileType::Fifo => DescriptorType::Fifo,
        FileType::SymbolicLink => DescriptorType::SymbolicLink,
        FileType::RegularFile => DescriptorType::RegularFile,
        FileType::Socket => DescriptorType::Socket,
    }
}

/// A `new-timestamp` as a core [`SetTime`]; nanoseconds past a second carry
/// into the seconds, past `i64` seconds → `overflow`.
pub(super) fn set_time(t: NewTimestamp) -> Result<SetTime, ErrorCode> {
    Ok(match t {
        NewTimestamp::NoChange => SetTime::Omit,
        NewTimestamp::Now => SetTime::Now,
        NewTimestamp::Timestamp(t) => {
            let seconds = t
                .seconds
                .checked_add(i64::from(t.nanoseconds / 1_000_000_000))
                .ok_or(ErrorCode::Overflow)?;
            SetTime::At(Timestamp {
                seconds,
                nanoseconds: t.nanoseconds % 1_000_000_000,
            })
        }
    })
}

pub(super) fn follow(flags: PathFlags) -> bool {
    flags.contains(PathFlags::SYMLINK_FOLLOW)
}

crate::wasi::convert::shared_conversions!(wit);
