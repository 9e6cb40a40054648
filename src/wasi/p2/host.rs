//! The generated `wasi:filesystem` 0.2 `Host*` traits, implemented on
//! [`DirectfsCtxView`]: each call converts its arguments to the core's
//! types, runs the shared call of [`crate::wasi::calls`] and converts back. The
//! 0.2-only parts live here: `wasi:io` streams, `read`/`write`, and the
//! `directory-entry-stream` resource.

use wasmtime::component::Resource;
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};

use super::convert::{self, descriptor_flags, descriptor_stat, descriptor_type, set_time};
use super::stream::{FileInputStream, FileOutputStream, Fused, PipeInputStream, PipeOutputStream};
use crate::bindings::wasi::wasi::filesystem::preopens;
use crate::bindings::wasi::wasi::filesystem::types::{
    self, Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    Filesize, MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};
use crate::ctx::DirectfsCtxView;
use crate::dentry::DentryId;
use crate::error::Error;
use crate::wasi::{Descriptor, DirectoryEntryStream};

/// The error codes these functions return themselves (the rest come from
/// [`crate::dentry`] as the core's codes and are converted on the way out).
use crate::error::ErrorCode as Code;

impl DirectfsCtxView<'_> {
    /// Whether the file streams of dentry `id` do their I/O on the blocking
    /// pool: its mount says [`crate::Blocking::Pool`] and the store runs
    /// on an async host ([`crate::wasi::add_to_linker_async`]).
    fn on_pool(&self, id: DentryId) -> bool {
        self.ctx.async_host && self.ctx.tree_read().blocking(id) == crate::Blocking::Pool
    }
}

impl DirectfsCtxView<'_> {
    /// Traps where wasmtime-wasi keeps its resources in another table (see
    /// [`crate::wasi::add_to_linker`]): a resource handed out here would not
    /// be found there, nor one of its found here.
    fn one_table(&self) -> wasmtime::Result<()> {
        if self.ctx.tables_differ {
            wasmtime::bail!(
                "directfs: the store's DirectfsView::directfs and WasiView::ctx return different \
                 ResourceTables; wasi:filesystem hands out wasi:io resources, so both must \
                 return the same table"
            );
        }
        Ok(())
    }
}

impl types::Host for DirectfsCtxView<'_> {
    fn convert_error_code(&mut self, err: Error) -> wasmtime::Result<ErrorCode> {
        err.into_code_or_trap().map(convert::wasi_code)
    }

    fn filesystem_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        self.one_table()?;
        let err = self.table.get(&err)?;
        Ok(err
            .downcast_ref::<Code>()
            .map(|code| convert::wasi_code(*code)))
    }
}

impl types::HostDescriptor for DirectfsCtxView<'_> {
    fn read_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: Filesize,
    ) -> Result<Resource<DynInputStream>, Error> {
        self.one_table().map_err(Error::trap)?;
        let (id, handle, pipe, slot) = self.stream_handle(&fd, false)?;
        let stream: DynInputStream = if pipe {
            Box::new(
                Fused::new(PipeInputStream::new(handle, self.ctx.interrupter.clone())?)
                    .counted(slot),
            )
        } else {
            Box::new(
                Fused::new(FileInputStream::new(handle, offset, self.on_pool(id))).counted(slot),
            )
        };
        Ok(self.table.push(stream)?)
    }

    fn write_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: Filesize,
    ) -> Result<Resource<DynOutputStream>, Error> {
        self.one_table().map_err(Error::trap)?;
        let (id, handle, pipe, slot) = self.stream_handle(&fd, true)?;
        let stream: DynOutputStream = if pipe {
            Box::new(
                Fused::new(PipeOutputStream::new(handle, self.ctx.interrupter.clone())?)
                    .counted(slot),
            )
        } else {
            Box::new(
                Fused::new(FileOutputStream::at(handle, offset, self.on_pool(id))).counted(slot),
            )
        };
        Ok(self.table.push(stream)?)
    }

    fn append_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<Resource<DynOutputStream>, Error> {
        self.one_table().map_err(Error::trap)?;
        let (id, handle, pipe, slot) = self.stream_handle(&fd, true)?;
        let stream: DynOutputStream = if pipe {
            Box::new(
                Fused::new(PipeOutputStream::new(handle, self.ctx.interrupter.clone())?)
                    .counted(slot),
            )
        } else {
            Box::new(Fused::new(FileOutputStream::append(handle, self.on_pool(id))).counted(slot))
        };
        Ok(self.table.push(stream)?)
    }

    fn advise(
        &mut self,
        fd: Resource<Descriptor>,
        offset: Filesize,
        length: Filesize,
        advice: Advice,
    ) -> Result<(), Error> {
        self.fs_advise(&fd, offset, length, convert::advice(advice))
    }

    fn sync_data(&mut self, fd: Resource<Descriptor>) -> Result<(), Error> {
        self.fs_sync_data(&fd)
    }

    fn get_flags(&mut self, fd: Resource<Descriptor>) -> Result<DescriptorFlags, Error> {
        self.fs_get_flags(&fd).map(descriptor_flags)
    }

    fn get_type(&mut self, fd: Resource<Descriptor>) -> Result<DescriptorType, Error> {
        self.fs_get_type(&fd).map(descriptor_type)
    }

    fn set_size(&mut self, fd: Resource<Descriptor>, size: Filesize) -> Result<(), Error> {
        self.fs_set_size(&fd, size)
    }

    fn set_times(
        &mut self,
        fd: Resource<Descriptor>,
        data_access_timestamp: NewTimestamp,
        data_modification_timestamp: NewTimestamp,
    ) -> Result<(), Error> {
        let (atime, mtime) = (
            set_time(data_access_timestamp)?,
            set_time(data_modification_timestamp)?,
        );
        self.fs_set_times(&fd, atime, mtime)
    }

    fn read(
        &mut self,
        fd: Resource<Descriptor>,
        length: Filesize,
        offset: Filesize,
    ) -> Result<(Vec<u8>, bool), Error> {
        let max = self.ctx.limits.max_io_bytes;
        let data = self
            .file(&fd)?
            .1
            .read(offset, length, max, Some(&self.ctx.interrupter))?;
        let end = data.is_empty();
        Ok((data, end))
    }

    fn write(
        &mut self,
        fd: Resource<Descriptor>,
        buffer: Vec<u8>,
        offset: Filesize,
    ) -> Result<Filesize, Error> {
        let max = self.ctx.limits.max_io_bytes;
        Ok(self
            .mutable_file(&fd)?
            .write(offset, &buffer, max, Some(&self.ctx.interrupter))?)
    }

    fn read_directory(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<Resource<DirectoryEntryStream>, Error> {
        self.fs_read_directory(&fd)
    }

    fn sync(&mut self, fd: Resource<Descriptor>) -> Result<(), Error> {
        self.fs_sync(&fd)
    }

    fn create_directory_at(&mut self, fd: Resource<Descriptor>, path: String) -> Result<(), Error> {
        self.fs_create_directory_at(&fd, &path)
    }

    fn stat(&mut self, fd: Resource<Descriptor>) -> Result<DescriptorStat, Error> {
        self.fs_stat(&fd).map(|stat| descriptor_stat(&stat))
    }

    fn stat_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> Result<DescriptorStat, Error> {
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        self.fs_stat_at(&fd, follow, &path)
            .map(|stat| descriptor_stat(&stat))
    }

    fn set_times_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        data_access_timestamp: NewTimestamp,
        data_modification_timestamp: NewTimestamp,
    ) -> Result<(), Error> {
        // As wasmtime-wasi: a directory, then the timestamps, then the
        // preopen's permission (in `fs_set_times_at`).
        self.dir(&fd)?;
        let (atime, mtime) = (
            set_time(data_access_timestamp)?,
            set_time(data_modification_timestamp)?,
        );
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        self.fs_set_times_at(&fd, follow, &path, atime, mtime)
    }

    fn link_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path_flags: PathFlags,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> Result<(), Error> {
        let follow = old_path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        self.fs_link_at(&fd, follow, &old_path, &new_descriptor, &new_path)
    }

    fn open_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        open_flags: OpenFlags,
        flags: DescriptorFlags,
    ) -> Result<Resource<Descriptor>, Error> {
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        let intent = convert::open_intent(open_flags, flags);
        self.fs_open_at(&fd, follow, &path, intent)
    }

    fn readlink_at(&mut self, fd: Resource<Descriptor>, path: String) -> Result<String, Error> {
        self.fs_readlink_at(&fd, &path)
    }

    fn remove_directory_at(&mut self, fd: Resource<Descriptor>, path: String) -> Result<(), Error> {
        self.fs_remove_directory_at(&fd, &path)
    }

    fn rename_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> Result<(), Error> {
        self.fs_rename_at(&fd, &old_path, &new_fd, &new_path)
    }

    fn symlink_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> Result<(), Error> {
        self.fs_symlink_at(&fd, &old_path, &new_path)
    }

    fn unlink_file_at(&mut self, fd: Resource<Descriptor>, path: String) -> Result<(), Error> {
        self.fs_unlink_file_at(&fd, &path)
    }

    fn is_same_object(
        &mut self,
        fd: Resource<Descriptor>,
        other: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        self.fs_is_same_object(&fd, &other)
    }

    fn metadata_hash(&mut self, fd: Resource<Descriptor>) -> Result<MetadataHashValue, Error> {
        self.fs_metadata_hash(&fd).map(convert::metadata_hash)
    }

    fn metadata_hash_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> Result<MetadataHashValue, Error> {
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        self.fs_metadata_hash_at(&fd, follow, &path)
            .map(convert::metadata_hash)
    }

    fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        self.fs_drop(fd)
    }
}

impl types::HostDirectoryEntryStream for DirectfsCtxView<'_> {
    fn read_directory_entry(
        &mut self,
        stream: Resource<DirectoryEntryStream>,
    ) -> Result<Option<DirectoryEntry>, Error> {
        Ok(self
            .fs_read_directory_entry(&stream)?
            .map(|entry| DirectoryEntry {
                type_: descriptor_type(entry.file_type),
                name: entry.name,
            }))
    }

    fn drop(&mut self, stream: Resource<DirectoryEntryStream>) -> wasmtime::Result<()> {
        self.drop_holding(stream, |s| s.dir)
    }
}

impl preopens::Host for DirectfsCtxView<'_> {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        self.one_table()?;
        self.fs_get_directories()
    }
}
