//! The core's types as `wasi:filesystem` 0.2's, and back.

use wasmtime_wasi::p2::bindings::clocks::wall_clock::Datetime;

use super::OpenIntent;
use super::calls::Access;
use crate::bindings::wasi::wasi::filesystem::types::{
    Advice, DescriptorFlags, DescriptorStat, DescriptorType, ErrorCode as WasiErrorCode,
    MetadataHashValue, NewTimestamp, OpenFlags as WasiOpenFlags,
};
use crate::sys;
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
        // ENODATA, E2BIG/ERANGE, ESTALE and the rest have no WASI code.
        ErrorCode::NoData | ErrorCode::TooBig | ErrorCode::Stale | ErrorCode::Other => {
            WasiErrorCode::Io
        }
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

/// `open-at`'s flags as an [`OpenIntent`].
pub(crate) fn open_intent(oflags: WasiOpenFlags, flags: DescriptorFlags) -> OpenIntent {
    OpenIntent {
        create: oflags.contains(WasiOpenFlags::CREATE),
        exclusive: oflags.contains(WasiOpenFlags::EXCLUSIVE),
        truncate: oflags.contains(WasiOpenFlags::TRUNCATE),
        directory: oflags.contains(WasiOpenFlags::DIRECTORY),
        read: flags.contains(DescriptorFlags::READ),
        write: flags.contains(DescriptorFlags::WRITE),
        sync: flags.intersects(
            DescriptorFlags::FILE_INTEGRITY_SYNC
                | DescriptorFlags::DATA_INTEGRITY_SYNC
                | DescriptorFlags::REQUESTED_WRITE_SYNC,
        ),
    }
}

/// `get-flags`' answer.
pub(crate) fn descriptor_flags(access: Access) -> DescriptorFlags {
    let mut flags = DescriptorFlags::empty();
    for (on, flag) in [
        (access.read, DescriptorFlags::READ),
        (access.write, DescriptorFlags::WRITE),
        (access.mutate, DescriptorFlags::MUTATE_DIRECTORY),
    ] {
        if on {
            flags |= flag;
        }
    }
    flags
}

pub(crate) fn advice(advice: Advice) -> sys::Advice {
    match advice {
        Advice::Normal => sys::Advice::Normal,
        Advice::Sequential => sys::Advice::Sequential,
        Advice::Random => sys::Advice::Random,
        Advice::WillNeed => sys::Advice::WillNeed,
        Advice::DontNeed => sys::Advice::DontNeed,
        Advice::NoReuse => sys::Advice::NoReuse,
    }
}

/// A file's identity as its metadata hash: `lower` is the inode number,
/// which wasi-libc shows as `st_ino`.
pub(crate) fn metadata_hash((dev, ino): (u64, u64)) -> MetadataHashValue {
    MetadataHashValue {
        lower: ino,
        upper: dev,
    }
}
