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
use crate::ctx::{Directfs, DirectfsCtxView, StreamSlot};
use crate::error::Error;
use crate::fs::{HandOut, LookupRun};
use crate::handle::Handle;
use crate::pool::FromTrap;
use crate::wasi::Descriptor;

/// The error codes these functions return themselves.
use crate::error::ErrorCode as Code;

/// Runs `op` on the store's view. A cache miss of `op`'s call is looked
/// up away from the view, on the blocking pool for a `Blocking::Pool` mount
/// (so the executor runs other tasks meanwhile), and `op` runs again with
/// the answer (see `crate::fs::HandOut`): `op` must do nothing but the
/// call, which is written to be run again.
async fn call<U: 'static, R: FromTrap>(
    store: &Accessor<U, Directfs>,
    mut op: impl FnMut(&mut DirectfsCtxView<'_>) -> R,
) -> R {
    let mut hand_out = HandOut::default();
    loop {
        let (result, put_off) = store.with(|mut access| {
            let view = &mut access.get();
            view.ctx.begin_hand_out(std::mem::take(&mut hand_out));
            let result = op(view);
            hand_out = view.ctx.end_hand_out();
            (result, hand_out.put_off.take())
        });
        let Some(lookup) = put_off else {
            return result;
        };
        drop(result);
        let made = if lookup.on_pool() {
            match tokio::task::spawn_blocking(move || LookupRun::make(*lookup)).await {
                Ok(made) => made,
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(err) => {
                    return R::from_trap(
                        wasmtime::Error::from(err).context("directfs: the blocking pool shut down"),
                    );
                }
            }
        } else {
            LookupRun::make(*lookup)
        };
        store.with(|mut access| access.get().ctx.count_lookup_run(&made));
        hand_out.answer = Some(Box::new(made.answer));
    }
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
    ) -> Result<(Handle, Option<Readiness>, StreamSlot), Error> {
        let (_, handle, pipe, slot) = self.stream_handle(fd, write)?;
        let readiness = match pipe {
            true => Some(Readiness::new(
                handle.share(),
                self.ctx.interrupter.clone(),
            )?),
            false => None,
        };
        Ok((handle, readiness, slot))
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
            Ok((handle, readiness, slot)) => {
                let producer = FileProducer::new(handle, offset, readiness, tx);
                StreamReader::new(&mut store, producer.counted(slot))?
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
        .await
    }

    async fn sync_data(store: &Accessor<U, Self>, fd: Resource<Descriptor>) -> Result<(), Error> {
        call(store, |v| v.fs_sync_data(&fd)).await
    }

    async fn get_flags(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
    ) -> Result<DescriptorFlags, Error> {
        call(store, |v| v.fs_get_flags(&fd))
            .await
            .map(convert::descriptor_flags)
    }

    async fn get_type(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
    ) -> Result<DescriptorType, Error> {
        call(store, |v| v.fs_get_type(&fd))
            .await
            .map(descriptor_type)
    }

    async fn set_size(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        size: Filesize,
    ) -> Result<(), Error> {
        call(store, |v| v.fs_set_size(&fd, size)).await
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
        call(store, |v| v.fs_set_times(&fd, atime, mtime)).await
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
            let page = crate::wasi::stream_page(&view.ctx.limits);
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
        call(store, |v| v.fs_sync(&fd)).await
    }

    async fn create_directory_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<(), Error> {
        call(store, |v| v.fs_create_directory_at(&fd, &path)).await
    }

    async fn stat(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
    ) -> Result<DescriptorStat, Error> {
        call(store, |v| v.fs_stat(&fd))
            .await
            .map(|stat| descriptor_stat(&stat))
    }

    async fn stat_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> Result<DescriptorStat, Error> {
        call(store, |v| v.fs_stat_at(&fd, follow(path_flags), &path))
            .await
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
            // As wasmtime-wasi: a directory, then the timestamps, then the
            // preopen's permission (in `fs_set_times_at`).
            v.dir(&fd)?;
            let (atime, mtime) = (
                set_time(data_access_timestamp)?,
                set_time(data_modification_timestamp)?,
            );
            v.fs_set_times_at(&fd, follow(path_flags), &path, atime, mtime)
        })
        .await
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
        .await
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
        .await
    }

    async fn readlink_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<String, Error> {
        call(store, |v| v.fs_readlink_at(&fd, &path)).await
    }

    async fn remove_directory_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<(), Error> {
        call(store, |v| v.fs_remove_directory_at(&fd, &path)).await
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
        .await
    }

    async fn symlink_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> Result<(), Error> {
        call(store, |v| v.fs_symlink_at(&fd, &old_path, &new_path)).await
    }

    async fn unlink_file_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<(), Error> {
        call(store, |v| v.fs_unlink_file_at(&fd, &path)).await
    }

    async fn is_same_object(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        other: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        call(store, |v| v.fs_is_same_object(&fd, &other)).await
    }

    async fn metadata_hash(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
    ) -> Result<MetadataHashValue, Error> {
        call(store, |v| v.fs_metadata_hash(&fd))
            .await
            .map(convert::metadata_hash)
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
        .await
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
        Ok((handle, readiness, slot)) => {
            let consumer = FileConsumer::new(handle, at, readiness, tx);
            data.pipe(&mut store, consumer.counted(slot))?;
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
