//! The generated `wasi:filesystem@0.3.0` traits: each async call takes the
//! store's view for the length of one shared call of
//! [`crate::wasi::calls`] (converting on the way in and out); the stream
//! calls hand the guest one of [`super::stream`]'s producers or consumers.

use std::iter;

use tokio::sync::oneshot;
use wasmtime::component::{Access, Accessor, FutureReader, Resource, StreamReader};

use super::convert::{self, descriptor_stat, descriptor_type, error_code, follow, set_time};
use super::stream::{DirectoryProducer, FileConsumer, FileProducer, Readiness, WriteAt};
use crate::bindings::wasi_p3::wasi::filesystem::preopens;
use crate::bindings::wasi_p3::wasi::filesystem::types::{
    self, Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    Filesize, MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};
use crate::ctx::{Directfs, DirectfsCtxView};
use crate::error::Error;
use crate::handle::Handle;
use crate::wasi::Descriptor;

/// The error codes these functions return themselves.
use crate::error::ErrorCode as Code;

/// Runs `op` on the store's view.
fn call<U: 'static, R>(
    store: &Accessor<U, Directfs>,
    op: impl FnOnce(&mut DirectfsCtxView<'_>) -> R,
) -> R {
    store.with(|mut access| op(&mut access.get()))
}

/// The result future of a stream that could not start: resolves to
/// `code`. A trap (a foreign descriptor) traps now.
fn failed(err: Error) -> wasmtime::Result<Result<(), ErrorCode>> {
    Ok(Err(error_code(err.into_code_or_trap()?)))
}

impl types::Host for DirectfsCtxView<'_> {
    fn convert_error_code(&mut self, err: Error) -> wasmtime::Result<ErrorCode> {
        err.into_code_or_trap().map(error_code)
    }
}

impl DirectfsCtxView<'_> {
    /// A file descriptor's handle to stream ([`DirectfsCtxView::stream_handle`]),
    /// with what waits for it to be ready if it is a FIFO, socket or device.
    fn p3_stream_handle(
        &self,
        fd: &Resource<Descriptor>,
        write: bool,
    ) -> Result<(Handle, Option<Readiness>), Error> {
        let (_, handle, pipe) = self.stream_handle(fd, write)?;
        let readiness = match pipe {
            true => Some(Readiness::new(handle.share())?),
            false => None,
        };
        Ok((handle, readiness))
    }
}

impl<U: 'static> types::HostDescriptorWithStore<U> for Directfs {
    fn read_via_stream(
        mut store: Access<U, Self>,
        fd: Resource<Descriptor>,
        offset: Filesize,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>)> {
        let (tx, rx) = oneshot::channel();
        let stream = match store.get().p3_stream_handle(&fd, false) {
            Ok((handle, readiness)) => {
                StreamReader::new(&mut store, FileProducer::new(handle, offset, readiness, tx))?
            }
            Err(err) => {
                let _ = tx.send(failed(err)?);
                StreamReader::new(&mut store, iter::empty())?
            }
        };
        Ok((stream, FutureReader::new(&mut store, rx)?))
    }

    fn write_via_stream(
        store: Access<'_, U, Self>,
        fd: Resource<Descriptor>,
        data: StreamReader<u8>,
        offset: Filesize,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        write_stream(store, fd, data, WriteAt::Offset(offset))
    }

    fn append_via_stream(
        store: Access<'_, U, Self>,
        fd: Resource<Descriptor>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        write_stream(store, fd, data, WriteAt::End)
    }

    async fn advise(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        offset: Filesize,
        length: Filesize,
        advice: Advice,
    ) -> Result<(), Error> {
        call(store, |v| {
            v.fs_advise(&fd, offset, length, convert::advice(advice))
        })
    }

    async fn sync_data(store: &Accessor<U, Self>, fd: Resource<Descriptor>) -> Result<(), Error> {
        call(store, |v| v.fs_sync_data(&fd))
    }

    async fn get_flags(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
    ) -> Result<DescriptorFlags, Error> {
        call(store, |v| v.fs_get_flags(&fd)).map(convert::descriptor_flags)
    }

    async fn get_type(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
    ) -> Result<DescriptorType, Error> {
        call(store, |v| v.fs_get_type(&fd)).map(descriptor_type)
    }

    async fn set_size(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        size: Filesize,
    ) -> Result<(), Error> {
        call(store, |v| v.fs_set_size(&fd, size))
    }

    async fn set_times(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        data_access_timestamp: NewTimestamp,
        data_modification_timestamp: NewTimestamp,
    ) -> Result<(), Error> {
        let (atime, mtime) = (
            set_time(data_access_timestamp)?,
            set_time(data_modification_timestamp)?,
        );
        call(store, |v| v.fs_set_times(&fd, atime, mtime))
    }

    fn read_directory(
        mut store: Access<'_, U, Self>,
        fd: Resource<Descriptor>,
    ) -> wasmtime::Result<(
        StreamReader<DirectoryEntry>,
        FutureReader<Result<(), ErrorCode>>,
    )> {
        let (tx, rx) = oneshot::channel();
        let opened = {
            let view = store.get();
            let page = view.ctx.limits.max_dir_entries;
            // The stream holds an FD of its own: it counts towards the
            // context's `max-open` while it lives.
            view.dir(&fd)
                .and_then(|dir| view.room_for(1).map(|()| dir))
                .map(|dir| {
                    let opened = view
                        .ctx
                        .deferring(|tree| tree.open(dir, crate::OpenFlags::READ));
                    (opened.map(|handle| (handle, view.ctx.stream_slot())), page)
                })
        };
        let stream = match opened {
            Ok((Ok((handle, slot)), page)) => {
                StreamReader::new(&mut store, DirectoryProducer::new(handle, slot, page, tx))?
            }
            // The directory was removed and cannot be opened anew, though
            // the guest holds it: it is empty, as wasmtime-wasi lists it.
            Ok((Err(Code::NoEntry), _)) => {
                let _ = tx.send(Ok(()));
                StreamReader::new(&mut store, iter::empty())?
            }
            Ok((Err(code), _)) => {
                let _ = tx.send(Err(error_code(code)));
                StreamReader::new(&mut store, iter::empty())?
            }
            Err(err) => {
                let _ = tx.send(failed(err)?);
                StreamReader::new(&mut store, iter::empty())?
            }
        };
        Ok((stream, FutureReader::new(&mut store, rx)?))
    }

    async fn sync(store: &Accessor<U, Self>, fd: Resource<Descriptor>) -> Result<(), Error> {
        call(store, |v| v.fs_sync(&fd))
    }

    async fn create_directory_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<(), Error> {
        call(store, |v| v.fs_create_directory_at(&fd, &path))
    }

    async fn stat(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
    ) -> Result<DescriptorStat, Error> {
        call(store, |v| v.fs_stat(&fd)).map(|stat| descriptor_stat(&stat))
    }

    async fn stat_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> Result<DescriptorStat, Error> {
        call(store, |v| v.fs_stat_at(&fd, follow(path_flags), &path))
            .map(|stat| descriptor_stat(&stat))
    }

    async fn set_times_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        data_access_timestamp: NewTimestamp,
        data_modification_timestamp: NewTimestamp,
    ) -> Result<(), Error> {
        call(store, |v| {
            // As wasmtime-wasi: the preopen's permission before the times.
            v.mutable_dir(&fd)?;
            let (atime, mtime) = (
                set_time(data_access_timestamp)?,
                set_time(data_modification_timestamp)?,
            );
            v.fs_set_times_at(&fd, follow(path_flags), &path, atime, mtime)
        })
    }

    async fn link_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        old_path_flags: PathFlags,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> Result<(), Error> {
        call(store, |v| {
            v.fs_link_at(
                &fd,
                follow(old_path_flags),
                &old_path,
                &new_descriptor,
                &new_path,
            )
        })
    }

    async fn open_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        open_flags: OpenFlags,
        flags: DescriptorFlags,
    ) -> Result<Resource<Descriptor>, Error> {
        let intent = convert::open_intent(open_flags, flags);
        call(store, |v| {
            v.fs_open_at(&fd, follow(path_flags), &path, intent)
        })
    }

    async fn readlink_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<String, Error> {
        call(store, |v| v.fs_readlink_at(&fd, &path))
    }

    async fn remove_directory_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<(), Error> {
        call(store, |v| v.fs_remove_directory_at(&fd, &path))
    }

    async fn rename_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> Result<(), Error> {
        call(store, |v| {
            v.fs_rename_at(&fd, &old_path, &new_descriptor, &new_path)
        })
    }

    async fn symlink_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> Result<(), Error> {
        call(store, |v| v.fs_symlink_at(&fd, &old_path, &new_path))
    }

    async fn unlink_file_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<(), Error> {
        call(store, |v| v.fs_unlink_file_at(&fd, &path))
    }

    async fn is_same_object(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        other: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        call(store, |v| v.fs_is_same_object(&fd, &other))
    }

    async fn metadata_hash(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
    ) -> Result<MetadataHashValue, Error> {
        call(store, |v| v.fs_metadata_hash(&fd)).map(convert::metadata_hash)
    }

    async fn metadata_hash_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> Result<MetadataHashValue, Error> {
        call(store, |v| {
            v.fs_metadata_hash_at(&fd, follow(path_flags), &path)
        })
        .map(convert::metadata_hash)
    }
}

/// `write-via-stream` and `append-via-stream`: pipes the guest's `data`
/// into a [`FileConsumer`] writing `at`, or closes it and fails the result
/// where the descriptor cannot be written.
fn write_stream<U: 'static>(
    mut store: Access<'_, U, Directfs>,
    fd: Resource<Descriptor>,
    mut data: StreamReader<u8>,
    at: WriteAt,
) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
    let (tx, rx) = oneshot::channel();
    match store.get().p3_stream_handle(&fd, true) {
        Ok((handle, readiness)) => {
            data.pipe(&mut store, FileConsumer::new(handle, at, readiness, tx))?;
        }
        Err(err) => {
            data.close(&mut store)?;
            let _ = tx.send(failed(err)?);
        }
    }
    FutureReader::new(&mut store, rx)
}

impl types::HostDescriptor for DirectfsCtxView<'_> {
    fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        self.fs_drop(fd)
    }
}

impl preopens::Host for DirectfsCtxView<'_> {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        self.fs_get_directories()
    }
}
