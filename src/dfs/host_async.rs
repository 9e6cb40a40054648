//! The `directfs:fs` frontend for async hosts ([`crate::add_to_linker_async`]):
//! each call is the frontend's own (the `dentry_*`/`handle_*` methods of
//! [`super`]), run where its mount says ([`Blocking`]): inline, or on
//! tokio's blocking pool (see `crate::pool`). Reads and writes of a FIFO
//! or device that wait for another process run on the pool on any mount.
//!
//! Records, flags and enums of the async bindings are their own Rust types,
//! converted at this edge as the sync ones are (`super::convert`).

use wasmtime::component::Resource;

use crate::bindings::directfs_async::directfs::fs::types::{
    self as wit, ErrorCode as WitErrorCode,
};
use crate::bindings::directfs_async::directfs::fs::{preopens, types};
use crate::ctx::DirectfsCtxView;
use crate::dentry::DentryRef;
use crate::error::Error;
use crate::handle::Handle;
use crate::types::Blocking;

impl DirectfsCtxView<'_> {
    /// Whether a call on `dentry` runs on the blocking pool: its mount is
    /// [`Blocking::Pool`] (inline for a bad handle: it then fails inline).
    fn dentry_on_pool(&self, dentry: &Resource<DentryRef>) -> bool {
        self.table
            .get(dentry)
            .is_ok_and(|d| self.ctx.blocking(d.id) == Blocking::Pool)
    }

    /// Whether a call on `handle` runs on the blocking pool: its mount is
    /// [`Blocking::Pool`], or it is I/O (`io`) that may wait for another
    /// process.
    fn handle_on_pool(&self, handle: &Resource<Handle>, io: bool) -> bool {
        self.table
            .get(handle)
            .is_ok_and(|h| h.blocking() == Blocking::Pool || (io && h.waits()))
    }
}

/// Runs frontend call `$call` on the guest's arguments where `$on_pool`
/// says.
macro_rules! run {
    ($self:ident, $on_pool:expr, $call:ident($($arg:expr),*)) => {{
        let on_pool = $on_pool;
        $self.run(on_pool, move |view| view.$call($($arg),*)).await
    }};
}

impl types::Host for DirectfsCtxView<'_> {
    fn convert_error_code(&mut self, err: Error) -> wasmtime::Result<WitErrorCode> {
        err.into_code_or_trap().map(Into::into)
    }
}

impl types::HostDentry for DirectfsCtxView<'_> {
    async fn walk(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
    ) -> Result<Resource<DentryRef>, Error> {
        run!(self, self.dentry_on_pool(&dir), dentry_walk(dir, name))
    }

    async fn walk_path(
        &mut self,
        dir: Resource<DentryRef>,
        path: String,
        follow_final: bool,
    ) -> Result<Resource<DentryRef>, Error> {
        run!(
            self,
            self.dentry_on_pool(&dir),
            dentry_walk_path(dir, path, follow_final)
        )
    }

    async fn stat_path(
        &mut self,
        dir: Resource<DentryRef>,
        path: String,
        follow_final: bool,
    ) -> Result<wit::Stat, Error> {
        run!(
            self,
            self.dentry_on_pool(&dir),
            dentry_stat_path(dir, path, follow_final)
        )
        .map(Into::into)
    }

    async fn stat(&mut self, dentry: Resource<DentryRef>) -> Result<wit::Stat, Error> {
        run!(self, self.dentry_on_pool(&dentry), dentry_stat(dentry)).map(Into::into)
    }

    async fn mkdir(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        mode: u32,
        owner: Option<wit::Owner>,
    ) -> Result<Resource<DentryRef>, Error> {
        let owner = owner.map(Into::into);
        run!(
            self,
            self.dentry_on_pool(&dir),
            dentry_mkdir(dir, name, mode, owner)
        )
    }

    async fn create(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        flags: wit::OpenFlags,
        mode: u32,
        owner: Option<wit::Owner>,
    ) -> Result<(Resource<DentryRef>, Resource<Handle>), Error> {
        let (flags, owner) = (flags.into(), owner.map(Into::into));
        run!(
            self,
            self.dentry_on_pool(&dir),
            dentry_create(dir, name, flags, mode, owner)
        )
    }

    async fn mknod(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        mode: u32,
        owner: Option<wit::Owner>,
    ) -> Result<Resource<DentryRef>, Error> {
        let owner = owner.map(Into::into);
        run!(
            self,
            self.dentry_on_pool(&dir),
            dentry_mknod(dir, name, mode, owner)
        )
    }

    async fn symlink(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        target: String,
        owner: Option<wit::Owner>,
    ) -> Result<Resource<DentryRef>, Error> {
        let owner = owner.map(Into::into);
        run!(
            self,
            self.dentry_on_pool(&dir),
            dentry_symlink(dir, name, target, owner)
        )
    }

    async fn link(
        &mut self,
        dir: Resource<DentryRef>,
        target: Resource<DentryRef>,
        name: String,
    ) -> Result<Resource<DentryRef>, Error> {
        run!(
            self,
            self.dentry_on_pool(&dir),
            dentry_link(dir, target, name)
        )
    }

    async fn readlink(&mut self, dentry: Resource<DentryRef>) -> Result<String, Error> {
        run!(self, self.dentry_on_pool(&dentry), dentry_readlink(dentry))
    }

    async fn statfs(&mut self, dentry: Resource<DentryRef>) -> Result<wit::Statfs, Error> {
        run!(self, self.dentry_on_pool(&dentry), dentry_statfs(dentry)).map(Into::into)
    }

    async fn set_stat(
        &mut self,
        dentry: Resource<DentryRef>,
        changes: wit::SetStat,
    ) -> wasmtime::Result<Result<(), wit::SetStatError>> {
        let changes = changes.into();
        let done = run!(
            self,
            self.dentry_on_pool(&dentry),
            dentry_set_stat(dentry, changes)
        );
        Ok(done?.map_err(Into::into))
    }

    async fn open(
        &mut self,
        dentry: Resource<DentryRef>,
        flags: wit::OpenFlags,
    ) -> Result<Resource<Handle>, Error> {
        let flags = flags.into();
        run!(
            self,
            self.dentry_on_pool(&dentry),
            dentry_open(dentry, flags)
        )
    }

    async fn read_dir(
        &mut self,
        dir: Resource<DentryRef>,
        cursor: u64,
        max_entries: u32,
    ) -> Result<wit::DirPage, Error> {
        run!(
            self,
            self.dentry_on_pool(&dir),
            dentry_read_dir(dir, cursor, max_entries)
        )
        .map(Into::into)
    }

    async fn read_dir_plus(
        &mut self,
        dir: Resource<DentryRef>,
        cursor: u64,
        max_entries: u32,
    ) -> Result<wit::DirPlusPage, Error> {
        run!(
            self,
            self.dentry_on_pool(&dir),
            dentry_read_dir_plus(dir, cursor, max_entries)
        )
        .map(Into::into)
    }

    async fn unlink(&mut self, dir: Resource<DentryRef>, name: String) -> Result<(), Error> {
        run!(self, self.dentry_on_pool(&dir), dentry_unlink(dir, name))
    }

    async fn rmdir(&mut self, dir: Resource<DentryRef>, name: String) -> Result<(), Error> {
        run!(self, self.dentry_on_pool(&dir), dentry_rmdir(dir, name))
    }

    async fn rename(
        &mut self,
        old_dir: Resource<DentryRef>,
        old_name: String,
        new_dir: Resource<DentryRef>,
        new_name: String,
        flags: wit::RenameFlags,
    ) -> Result<(), Error> {
        let flags = flags.into();
        run!(
            self,
            self.dentry_on_pool(&old_dir),
            dentry_rename(old_dir, old_name, new_dir, new_name, flags)
        )
    }

    async fn get_xattr(
        &mut self,
        dentry: Resource<DentryRef>,
        name: String,
    ) -> Result<Vec<u8>, Error> {
        run!(
            self,
            self.dentry_on_pool(&dentry),
            dentry_get_xattr(dentry, name)
        )
    }

    async fn set_xattr(
        &mut self,
        dentry: Resource<DentryRef>,
        name: String,
        value: Vec<u8>,
        flags: wit::XattrFlags,
    ) -> Result<(), Error> {
        let flags = flags.into();
        run!(
            self,
            self.dentry_on_pool(&dentry),
            dentry_set_xattr(dentry, name, value, flags)
        )
    }

    async fn list_xattr(&mut self, dentry: Resource<DentryRef>) -> Result<Vec<String>, Error> {
        run!(
            self,
            self.dentry_on_pool(&dentry),
            dentry_list_xattr(dentry)
        )
    }

    async fn remove_xattr(
        &mut self,
        dentry: Resource<DentryRef>,
        name: String,
    ) -> Result<(), Error> {
        run!(
            self,
            self.dentry_on_pool(&dentry),
            dentry_remove_xattr(dentry, name)
        )
    }

    /// Where the mount says: releasing the last reference can close FDs
    /// (an eviction), and closing a file on FUSE or NFS asks the server.
    async fn drop(&mut self, dentry: Resource<DentryRef>) -> wasmtime::Result<()> {
        run!(self, self.dentry_on_pool(&dentry), dentry_drop(dentry))
    }
}

impl types::HostHandle for DirectfsCtxView<'_> {
    async fn read(
        &mut self,
        handle: Resource<Handle>,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>, Error> {
        run!(
            self,
            self.handle_on_pool(&handle, true),
            handle_read(handle, offset, len)
        )
    }

    async fn write(
        &mut self,
        handle: Resource<Handle>,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<u64, Error> {
        run!(
            self,
            self.handle_on_pool(&handle, true),
            handle_write(handle, offset, data)
        )
    }

    async fn stat(&mut self, handle: Resource<Handle>) -> Result<wit::Stat, Error> {
        run!(
            self,
            self.handle_on_pool(&handle, false),
            handle_stat(handle)
        )
        .map(Into::into)
    }

    async fn sync(&mut self, handle: Resource<Handle>) -> Result<(), Error> {
        run!(
            self,
            self.handle_on_pool(&handle, false),
            handle_sync(handle)
        )
    }

    async fn sync_data(&mut self, handle: Resource<Handle>) -> Result<(), Error> {
        run!(
            self,
            self.handle_on_pool(&handle, false),
            handle_sync_data(handle)
        )
    }

    async fn set_size(&mut self, handle: Resource<Handle>, size: u64) -> Result<(), Error> {
        run!(
            self,
            self.handle_on_pool(&handle, false),
            handle_set_size(handle, size)
        )
    }

    async fn allocate(
        &mut self,
        handle: Resource<Handle>,
        offset: u64,
        len: u64,
    ) -> Result<(), Error> {
        run!(
            self,
            self.handle_on_pool(&handle, false),
            handle_allocate(handle, offset, len)
        )
    }

    /// A waiting lock tries again after pauses on a tokio timer
    /// ([`DirectfsCtxView::wait_for_lock`]): no thread waits, and each try
    /// runs where the mount says.
    async fn lock(
        &mut self,
        handle: Resource<Handle>,
        range: wit::LockRange,
        kind: wit::LockKind,
        wait: bool,
    ) -> Result<(), Error> {
        let (range, kind) = (range.into(), kind.into());
        let on_pool = self.handle_on_pool(&handle, false);
        let rep = handle.rep();
        let try_lock = move |view: &mut DirectfsCtxView<'_>| {
            view.handle_lock(Resource::new_borrow(rep), range, kind, false)
        };
        match wait {
            true => self.wait_for_lock(on_pool, try_lock).await,
            false => self.run(on_pool, try_lock).await,
        }
    }

    async fn unlock(
        &mut self,
        handle: Resource<Handle>,
        range: wit::LockRange,
    ) -> Result<(), Error> {
        let range = range.into();
        run!(
            self,
            self.handle_on_pool(&handle, false),
            handle_unlock(handle, range)
        )
    }

    async fn test_lock(
        &mut self,
        handle: Resource<Handle>,
        range: wit::LockRange,
        kind: wit::LockKind,
    ) -> Result<Option<wit::LockConflict>, Error> {
        let (range, kind) = (range.into(), kind.into());
        Ok(run!(
            self,
            self.handle_on_pool(&handle, false),
            handle_test_lock(handle, range, kind)
        )?
        .map(Into::into))
    }

    /// Where the mount says: closing a file on FUSE or NFS asks the
    /// server (`FLUSH`), which can be slow.
    async fn drop(&mut self, handle: Resource<Handle>) -> wasmtime::Result<()> {
        run!(
            self,
            self.handle_on_pool(&handle, false),
            handle_drop(handle)
        )
    }
}

impl preopens::Host for DirectfsCtxView<'_> {
    async fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<DentryRef>, String)>> {
        self.preopen_resources(|id, _| DentryRef { id })
    }
}
