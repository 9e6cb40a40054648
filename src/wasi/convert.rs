//! The core's error codes as `wasi:filesystem`'s.

use crate::bindings::wasi::wasi::filesystem::types::ErrorCode as WasiErrorCode;
use crate::types::ErrorCode;

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
