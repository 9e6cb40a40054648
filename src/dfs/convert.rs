//! The core's types ([`crate::types`]) as `directfs:fs`'s generated ones and
//! back: one to one, field by field (the WIT was written after the core's
//! types, so no case is lost either way). The same conversions for both
//! bindings, the sync ones (`wit`) and the async ones (`wit_async`).

use crate::bindings::directfs::fs::types as wit;
use crate::bindings::directfs_async::directfs::fs::types as wit_async;
use crate::types;

/// Core → WIT for types with the same fields.
macro_rules! records {
    ($wit:ident; $($ty:ident { $($field:ident),* $(,)? })*) => {$(
        impl From<types::$ty> for $wit::$ty {
            fn from(v: types::$ty) -> Self {
                Self { $($field: v.$field.into()),* }
            }
        }
    )*};
}

/// Core → WIT for enums with the same cases.
/// After a `;`, the core's cases that the WIT spells as another one.
macro_rules! enums {
    ($wit:ident; $($ty:ident { $($case:ident),* $(,)? $(; $($from:ident => $to:ident),* $(,)?)? })*) => {$(
        impl From<types::$ty> for $wit::$ty {
            fn from(v: types::$ty) -> Self {
                match v {
                    $(types::$ty::$case => Self::$case,)*
                    $($(types::$ty::$from => Self::$to,)*)?
                }
            }
        }
    )*};
}

/// Flags, both ways, flag by flag.
macro_rules! flags {
    ($wit:ident; $($ty:ident { $($flag:ident),* $(,)? })*) => {$(
        impl From<$wit::$ty> for types::$ty {
            fn from(v: $wit::$ty) -> Self {
                let mut out = Self::empty();
                $(if v.contains($wit::$ty::$flag) {
                    out |= Self::$flag;
                })*
                out
            }
        }

        impl From<types::$ty> for $wit::$ty {
            fn from(v: types::$ty) -> Self {
                let mut out = Self::empty();
                $(if v.contains(types::$ty::$flag) {
                    out |= Self::$flag;
                })*
                out
            }
        }
    )*};
}

/// Every conversion, for the bindings module `$wit`.
macro_rules! conversions {
    ($wit:ident) => {
        enums! { $wit;
            ErrorCode {
                Access, AlreadyExists, BadDescriptor, Busy, CrossDevice, FileTooLarge,
                Interrupted, Invalid, InvalidSeek, IllegalByteSequence, Io, IsDirectory, Loop,
                NameTooLong, NoData, NoDevice, NoEntry, NoMemory, NoSpace, NotDirectory, NotEmpty,
                NotPermitted, NotSupported, Overflow, TooBig, Quota, ReadOnly, Stale, TextFileBusy,
                TooManyLinks, TooManyOpen, WouldBlock, Pipe, Deadlock, NoLock, Other;
                HostTooManyOpen => TooManyOpen,
            }
            FileType {
                Unknown, BlockDevice, CharacterDevice, Directory, Fifo, SymbolicLink, RegularFile,
                Socket,
            }
            LockKind { Shared, Exclusive }
        }

        records! { $wit;
            Timestamp { seconds, nanoseconds }
            Stat {
                dev, ino, file_type, mode, nlink, uid, gid, size, blksize, blocks, atime, mtime,
                ctime,
            }
            Owner { uid, gid }
            Statfs {
                block_size, fragment_size, blocks, blocks_free, blocks_available, files, files_free,
                name_length,
            }
            SetStatError { failed, error }
            DirEntry { name, ino, file_type }
            DirEntryPlus { name, stat }
            LockRange { start, len }
            LockConflict { kind, range }
        }

        flags! { $wit;
            OpenFlags { READ, WRITE, APPEND, TRUNCATE, DIRECTORY, NONBLOCK }
            RenameFlags { NO_REPLACE, EXCHANGE }
            XattrFlags { CREATE, REPLACE }
            StatFields { MODE, UID, GID, SIZE, ATIME, MTIME }
        }

        impl From<types::DirPage> for $wit::DirPage {
            fn from(v: types::DirPage) -> Self {
                Self {
                    entries: v.entries.into_iter().map(Into::into).collect(),
                    next: v.next,
                    skipped: v.skipped,
                }
            }
        }

        impl From<types::DirPlusPage> for $wit::DirPlusPage {
            fn from(v: types::DirPlusPage) -> Self {
                Self {
                    entries: v.entries.into_iter().map(Into::into).collect(),
                    next: v.next,
                    skipped: v.skipped,
                }
            }
        }

        impl From<$wit::Owner> for types::Owner {
            fn from(v: $wit::Owner) -> Self {
                Self {
                    uid: v.uid,
                    gid: v.gid,
                }
            }
        }

        impl From<$wit::LockKind> for types::LockKind {
            fn from(v: $wit::LockKind) -> Self {
                match v {
                    $wit::LockKind::Shared => Self::Shared,
                    $wit::LockKind::Exclusive => Self::Exclusive,
                }
            }
        }

        impl From<$wit::LockRange> for types::LockRange {
            fn from(v: $wit::LockRange) -> Self {
                Self {
                    start: v.start,
                    len: v.len,
                }
            }
        }

        impl From<$wit::Timestamp> for types::Timestamp {
            fn from(v: $wit::Timestamp) -> Self {
                Self {
                    seconds: v.seconds,
                    nanoseconds: v.nanoseconds,
                }
            }
        }

        impl From<$wit::SetTime> for types::SetTime {
            fn from(v: $wit::SetTime) -> Self {
                match v {
                    $wit::SetTime::Omit => Self::Omit,
                    $wit::SetTime::Now => Self::Now,
                    $wit::SetTime::At(t) => Self::At(t.into()),
                }
            }
        }

        impl From<$wit::SetStat> for types::SetStat {
            fn from(v: $wit::SetStat) -> Self {
                Self {
                    mode: v.mode,
                    uid: v.uid,
                    gid: v.gid,
                    size: v.size,
                    atime: v.atime.into(),
                    mtime: v.mtime.into(),
                }
            }
        }
    };
}

conversions!(wit);
conversions!(wit_async);
