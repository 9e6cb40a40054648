//! What the WASI 0.2 and 0.3 frontends convert alike: the conversions of
//! the `wasi:filesystem` types both versions spell the same, written once
//! as a macro over each version's generated types.

/// The conversions of the `wasi:filesystem` types that WASI 0.2 and 0.3
/// spell alike, for the generated types module `$wit`: `open-at`'s flags,
/// `get-flags`' answer, `advice` and `metadata-hash`.
macro_rules! shared_conversions {
    ($wit:ident) => {
        /// `open-at`'s flags as an [`OpenIntent`](crate::wasi::OpenIntent).
        pub(crate) fn open_intent(
            oflags: $wit::OpenFlags,
            flags: $wit::DescriptorFlags,
        ) -> crate::wasi::OpenIntent {
            use $wit::{DescriptorFlags, OpenFlags};
            crate::wasi::OpenIntent {
                create: oflags.contains(OpenFlags::CREATE),
                exclusive: oflags.contains(OpenFlags::EXCLUSIVE),
                truncate: oflags.contains(OpenFlags::TRUNCATE),
                directory: oflags.contains(OpenFlags::DIRECTORY),
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
        pub(crate) fn descriptor_flags(
            access: crate::wasi::calls::Access,
        ) -> $wit::DescriptorFlags {
            use $wit::DescriptorFlags;
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

        pub(crate) fn advice(advice: $wit::Advice) -> crate::sys::Advice {
            use crate::sys::Advice as Host;
            use $wit::Advice;
            match advice {
                Advice::Normal => Host::Normal,
                Advice::Sequential => Host::Sequential,
                Advice::Random => Host::Random,
                Advice::WillNeed => Host::WillNeed,
                Advice::DontNeed => Host::DontNeed,
                Advice::NoReuse => Host::NoReuse,
            }
        }

        /// A file's identity as its metadata hash: `lower` is the inode
        /// number, which wasi-libc shows as `st_ino`.
        pub(crate) fn metadata_hash(
            (dev, ino): crate::wasi::calls::Identity,
        ) -> $wit::MetadataHashValue {
            $wit::MetadataHashValue {
                lower: ino,
                upper: dev,
            }
        }
    };
}

pub(crate) use shared_conversions;
