//! The `wasi:filesystem` frontend for async hosts
//! ([`crate::wasi::add_to_linker_async`]): each call is the sync frontend's
//! ([`super::host`]), run where the descriptor's mount says
//! ([`crate::Blocking`]): inline, or on tokio's blocking pool (see `crate::pool`),
//! so that the executor runs other tasks while the call's syscalls (and
//! tree lock waits) run. Reads and writes of a FIFO or device that wait for
//! another process run on the pool on any mount.
//!
//! Records, flags and enums of the async bindings are their own Rust types:
//! converted here, one to one, on the way in and out.

use wasmtime::component::Resource;
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};

use crate::bindings::wasi::wasi::filesystem::{preopens as sync_preopens, types as sync};
use crate::bindings::wasi_async::wasi::filesystem::{preopens, types};
use crate::ctx::DirectfsCtxView;
use crate::error::Error;
use crate::wasi::resources::DescriptorKind;
use crate::wasi::{Descriptor, DirectoryEntryStream};

impl DirectfsCtxView<'_> {
    /// Whether a call on descriptor `fd` runs on the pool: on a
    /// [`crate::Blocking::Pool`] mount, and for the I/O of a file that may wait
    /// for another process (a FIFO, a device) on any mount.
    fn io_on_pool(&self, fd: &Resource<Descriptor>) -> bool {
        match self.table.get(fd).map(|d| &d.kind) {
            Ok(DescriptorKind::File { handle, .. }) if handle.waits() => true,
            _ => self.pool_for(self.dentry_of(fd)),
        }
    }
}

/// Runs sync frontend method `$method` for the descriptor `$fd`, where its
/// mount says, with the arguments `$arg`s (already converted).
macro_rules! run {
    ($self:ident, $fd:ident, $trait:ident::$method:ident($($arg:expr),*)) => {{
        let on_pool = $self.pool_for($self.dentry_of(&$fd));
        $self
            .run(on_pool, move |view| sync::$trait::$method(view, $fd, $($arg),*))
            .await
    }};
}

impl types::Host for DirectfsCtxView<'_> {
    fn convert_error_code(&mut self, err: Error) -> wasmtime::Result<types::ErrorCode> {
        sync::Host::convert_error_code(self, err).map(error_code)
    }

    fn filesystem_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<types::ErrorCode>> {
        Ok(sync::Host::filesystem_error_code(self, err)?.map(error_code))
    }
}

impl types::HostDescriptor for DirectfsCtxView<'_> {
    fn read_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: types::Filesize,
    ) -> Result<Resource<DynInputStream>, Error> {
        sync::HostDescriptor::read_via_stream(self, fd, offset)
    }

    fn write_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: types::Filesize,
    ) -> Result<Resource<DynOutputStream>, Error> {
        sync::HostDescriptor::write_via_stream(self, fd, offset)
    }

    fn append_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<Resource<DynOutputStream>, Error> {
        sync::HostDescriptor::append_via_stream(self, fd)
    }

    async fn advise(
        &mut self,
        fd: Resource<Descriptor>,
        offset: types::Filesize,
        length: types::Filesize,
        advice: types::Advice,
    ) -> Result<(), Error> {
        let advice = self::advice(advice);
        run!(self, fd, HostDescriptor::advise(offset, length, advice))
    }

    async fn sync_data(&mut self, fd: Resource<Descriptor>) -> Result<(), Error> {
        run!(self, fd, HostDescriptor::sync_data())
    }

    async fn get_flags(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<types::DescriptorFlags, Error> {
        sync::HostDescriptor::get_flags(self, fd).map(descriptor_flags_out)
    }

    async fn get_type(&mut self, fd: Resource<Descriptor>) -> Result<types::DescriptorType, Error> {
        run!(self, fd, HostDescriptor::get_type()).map(descriptor_type)
    }

    async fn set_size(
        &mut self,
        fd: Resource<Descriptor>,
        size: types::Filesize,
    ) -> Result<(), Error> {
        run!(self, fd, HostDescriptor::set_size(size))
    }

    async fn set_times(
        &mut self,
        fd: Resource<Descriptor>,
        atime: types::NewTimestamp,
        mtime: types::NewTimestamp,
    ) -> Result<(), Error> {
        let (atime, mtime) = (new_timestamp(atime), new_timestamp(mtime));
        run!(self, fd, HostDescriptor::set_times(atime, mtime))
    }

    async fn read(
        &mut self,
        fd: Resource<Descriptor>,
        length: types::Filesize,
        offset: types::Filesize,
    ) -> Result<(Vec<u8>, bool), Error> {
        let on_pool = self.io_on_pool(&fd);
        self.run(on_pool, move |view| {
            sync::HostDescriptor::read(view, fd, length, offset)
        })
        .await
    }

    async fn write(
        &mut self,
        fd: Resource<Descriptor>,
        buffer: Vec<u8>,
        offset: types::Filesize,
    ) -> Result<types::Filesize, Error> {
        let on_pool = self.io_on_pool(&fd);
        self.run(on_pool, move |view| {
            sync::HostDescriptor::write(view, fd, buffer, offset)
        })
        .await
    }

    async fn read_directory(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<Resource<DirectoryEntryStream>, Error> {
        // Takes a reference: no syscall.
        sync::HostDescriptor::read_directory(self, fd)
    }

    async fn sync(&mut self, fd: Resource<Descriptor>) -> Result<(), Error> {
        run!(self, fd, HostDescriptor::sync())
    }

    async fn create_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<(), Error> {
        run!(self, fd, HostDescriptor::create_directory_at(path))
    }

    async fn stat(&mut self, fd: Resource<Descriptor>) -> Result<types::DescriptorStat, Error> {
        run!(self, fd, HostDescriptor::stat()).map(descriptor_stat)
    }

    async fn stat_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
    ) -> Result<types::DescriptorStat, Error> {
        let path_flags = self::path_flags(path_flags);
        run!(self, fd, HostDescriptor::stat_at(path_flags, path)).map(descriptor_stat)
    }

    async fn set_times_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
        atime: types::NewTimestamp,
        mtime: types::NewTimestamp,
    ) -> Result<(), Error> {
        let path_flags = self::path_flags(path_flags);
        let (atime, mtime) = (new_timestamp(atime), new_timestamp(mtime));
        run!(
            self,
            fd,
            HostDescriptor::set_times_at(path_flags, path, atime, mtime)
        )
    }

    async fn link_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path_flags: types::PathFlags,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> Result<(), Error> {
        let old_path_flags = path_flags(old_path_flags);
        run!(
            self,
            fd,
            HostDescriptor::link_at(old_path_flags, old_path, new_descriptor, new_path)
        )
    }

    async fn open_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
        open_flags: types::OpenFlags,
        flags: types::DescriptorFlags,
    ) -> Result<Resource<Descriptor>, Error> {
        let path_flags = self::path_flags(path_flags);
        let open_flags = self::open_flags(open_flags);
        let flags = descriptor_flags_in(flags);
        run!(
            self,
            fd,
            HostDescriptor::open_at(path_flags, path, open_flags, flags)
        )
    }

    async fn readlink_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<String, Error> {
        run!(self, fd, HostDescriptor::readlink_at(path))
    }

    async fn remove_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<(), Error> {
        run!(self, fd, HostDescriptor::remove_directory_at(path))
    }

    async fn rename_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> Result<(), Error> {
        run!(
            self,
            fd,
            HostDescriptor::rename_at(old_path, new_fd, new_path)
        )
    }

    async fn symlink_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> Result<(), Error> {
        run!(self, fd, HostDescriptor::symlink_at(old_path, new_path))
    }

    async fn unlink_file_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<(), Error> {
        run!(self, fd, HostDescriptor::unlink_file_at(path))
    }

    async fn is_same_object(
        &mut self,
        fd: Resource<Descriptor>,
        other: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        run!(self, fd, HostDescriptor::is_same_object(other))
    }

    async fn metadata_hash(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<types::MetadataHashValue, Error> {
        run!(self, fd, HostDescriptor::metadata_hash()).map(metadata_hash)
    }

    async fn metadata_hash_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
    ) -> Result<types::MetadataHashValue, Error> {
        let path_flags = self::path_flags(path_flags);
        run!(self, fd, HostDescriptor::metadata_hash_at(path_flags, path)).map(metadata_hash)
    }

    /// Where the mount says: closing a file on FUSE or NFS asks the
    /// server (`FLUSH`), which can be slow.
    async fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        run!(self, fd, HostDescriptor::drop())
    }
}

impl types::HostDirectoryEntryStream for DirectfsCtxView<'_> {
    async fn read_directory_entry(
        &mut self,
        stream: Resource<DirectoryEntryStream>,
    ) -> Result<Option<types::DirectoryEntry>, Error> {
        let on_pool = self.pool_for(self.table.get(&stream).ok().map(|s| s.dir));
        let entry = self
            .run(on_pool, move |view| {
                sync::HostDirectoryEntryStream::read_directory_entry(view, stream)
            })
            .await?;
        Ok(entry.map(|entry| types::DirectoryEntry {
            type_: descriptor_type(entry.type_),
            name: entry.name,
        }))
    }

    /// Where the mount says, as a descriptor's drop.
    async fn drop(&mut self, stream: Resource<DirectoryEntryStream>) -> wasmtime::Result<()> {
        let on_pool = self.pool_for(self.table.get(&stream).ok().map(|s| s.dir));
        self.run(on_pool, move |view| {
            sync::HostDirectoryEntryStream::drop(view, stream)
        })
        .await
    }
}

impl preopens::Host for DirectfsCtxView<'_> {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        sync_preopens::Host::get_directories(self)
    }
}

/// Converts between the sync and async bindings' copies of an enum, case
/// by case.
macro_rules! convert_enum {
    (fn $fn:ident($from:ident::$ty:ident) -> $to:ident { $($case:ident),* }) => {
        fn $fn(value: $from::$ty) -> $to::$ty {
            match value {
                $($from::$ty::$case => $to::$ty::$case,)*
            }
        }
    };
}

convert_enum!(fn error_code(sync::ErrorCode) -> types {
    Access, WouldBlock, Already, BadDescriptor, Busy, Deadlock, Quota, Exist, FileTooLarge,
    IllegalByteSequence, InProgress, Interrupted, Invalid, Io, IsDirectory, Loop, TooManyLinks,
    MessageSize, NameTooLong, NoDevice, NoEntry, NoLock, InsufficientMemory, InsufficientSpace,
    NotDirectory, NotEmpty, NotRecoverable, Unsupported, NoTty, NoSuchDevice, Overflow,
    NotPermitted, Pipe, ReadOnly, InvalidSeek, TextFileBusy, CrossDevice
});

convert_enum!(fn descriptor_type(sync::DescriptorType) -> types {
    Unknown, BlockDevice, CharacterDevice, Directory, Fifo, SymbolicLink, RegularFile, Socket
});

convert_enum!(fn advice(types::Advice) -> sync {
    Normal, Sequential, Random, WillNeed, DontNeed, NoReuse
});

fn path_flags(flags: types::PathFlags) -> sync::PathFlags {
    let mut out = sync::PathFlags::empty();
    if flags.contains(types::PathFlags::SYMLINK_FOLLOW) {
        out |= sync::PathFlags::SYMLINK_FOLLOW;
    }
    out
}

fn open_flags(flags: types::OpenFlags) -> sync::OpenFlags {
    let mut out = sync::OpenFlags::empty();
    for (from, to) in [
        (types::OpenFlags::CREATE, sync::OpenFlags::CREATE),
        (types::OpenFlags::DIRECTORY, sync::OpenFlags::DIRECTORY),
        (types::OpenFlags::EXCLUSIVE, sync::OpenFlags::EXCLUSIVE),
        (types::OpenFlags::TRUNCATE, sync::OpenFlags::TRUNCATE),
    ] {
        if flags.contains(from) {
            out |= to;
        }
    }
    out
}

/// The descriptor flags, as pairs of the async and sync bindings' copies.
fn descriptor_flag_pairs() -> [(types::DescriptorFlags, sync::DescriptorFlags); 6] {
    use sync::DescriptorFlags as S;
    use types::DescriptorFlags as A;
    [
        (A::READ, S::READ),
        (A::WRITE, S::WRITE),
        (A::FILE_INTEGRITY_SYNC, S::FILE_INTEGRITY_SYNC),
        (A::DATA_INTEGRITY_SYNC, S::DATA_INTEGRITY_SYNC),
        (A::REQUESTED_WRITE_SYNC, S::REQUESTED_WRITE_SYNC),
        (A::MUTATE_DIRECTORY, S::MUTATE_DIRECTORY),
    ]
}

fn descriptor_flags_in(flags: types::DescriptorFlags) -> sync::DescriptorFlags {
    let mut out = sync::DescriptorFlags::empty();
    for (a, s) in descriptor_flag_pairs() {
        if flags.contains(a) {
            out |= s;
        }
    }
    out
}

fn descriptor_flags_out(flags: sync::DescriptorFlags) -> types::DescriptorFlags {
    let mut out = types::DescriptorFlags::empty();
    for (a, s) in descriptor_flag_pairs() {
        if flags.contains(s) {
            out |= a;
        }
    }
    out
}

fn new_timestamp(t: types::NewTimestamp) -> sync::NewTimestamp {
    match t {
        types::NewTimestamp::NoChange => sync::NewTimestamp::NoChange,
        types::NewTimestamp::Now => sync::NewTimestamp::Now,
        types::NewTimestamp::Timestamp(at) => sync::NewTimestamp::Timestamp(at),
    }
}

fn descriptor_stat(stat: sync::DescriptorStat) -> types::DescriptorStat {
    types::DescriptorStat {
        type_: descriptor_type(stat.type_),
        link_count: stat.link_count,
        size: stat.size,
        data_access_timestamp: stat.data_access_timestamp,
        data_modification_timestamp: stat.data_modification_timestamp,
        status_change_timestamp: stat.status_change_timestamp,
    }
}

fn metadata_hash(hash: sync::MetadataHashValue) -> types::MetadataHashValue {
    types::MetadataHashValue {
        lower: hash.lower,
        upper: hash.upper,
    }
}
