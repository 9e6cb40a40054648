//! The `directfs:fs` frontend: the generated `Host*` traits, implemented on
//! [`DirectfsCtxView`], for sync hosts (here) and async ones
//! (`host_async`, whose calls may run on the blocking pool).
//!
//! Each call is thin: look up the resource (a handle the guest does not own
//! traps), check the preopen's permissions (before anything else, so a
//! read-only preopen answers `read-only` whatever the arguments), parse the
//! names, call into [`crate::dentry`]. That part is written once, in the
//! core's types (the `dentry_*` and `handle_*` methods); each bindings'
//! trait impl only converts its own types at the edge. No syscalls here.

use nix::unistd::UnlinkatFlags;
use wasmtime::component::Resource;

mod convert;
mod host_async;

use crate::bindings::directfs::fs::types::{self as wit, ErrorCode as WitErrorCode};
use crate::bindings::directfs::fs::{preopens, types};
use crate::ctx::DirectfsCtxView;
use crate::dentry::{self, DentryId, DentryRef, Tree};
use crate::error::Error;
use crate::handle::Handle;
use crate::name::{Name, XattrName};
use crate::types::{
    DirPage, DirPlusPage, ErrorCode, LockConflict, LockKind, LockRange, OpenFlags, Owner,
    RenameFlags, SetStat, SetStatError, Stat, StatFields, Statfs, XattrFlags,
};

impl DirectfsCtxView<'_> {
    /// The dentry behind a guest resource; a foreign resource traps.
    fn dentry_id(&self, dentry: &Resource<DentryRef>) -> Result<DentryId, Error> {
        Ok(self.table.get(dentry)?.id)
    }

    /// The dentry behind a guest resource, checked to be in a read-write
    /// preopen (else `read-only`).
    fn writable_dentry(&self, dentry: &Resource<DentryRef>) -> Result<DentryId, Error> {
        let id = self.dentry_id(dentry)?;
        self.ctx.check_writable_locked(&self.ctx.tree_read(), id)?;
        Ok(id)
    }

    /// Gives the guest a new resource for `id`, which already carries the
    /// reference the resource will own. If the table is full, the reference
    /// is released and the guest traps.
    fn push_dentry(&mut self, id: DentryId) -> Result<Resource<DentryRef>, Error> {
        self.push_holding(id, DentryRef { id })
    }

    fn push_handle(&mut self, handle: Handle) -> Result<Resource<Handle>, Error> {
        let pushed = self.table.push(handle)?;
        self.ctx.open_resources += 1;
        Ok(pushed)
    }

    /// The common path of the calls that make one new child in `dir`: room
    /// for the resource, a writable preopen, a valid name, then `make`.
    fn make_child(
        &mut self,
        dir: &Resource<DentryRef>,
        name: &str,
        make: impl FnOnce(&mut Tree, DentryId, Name<'_>) -> Result<DentryId, ErrorCode>,
    ) -> Result<Resource<DentryRef>, Error> {
        self.room_for(1)?;
        let dir = self.writable_dentry(dir)?;
        let child = make(&mut self.ctx.tree(), dir, Name::parse(name)?)?;
        self.push_dentry(child)
    }

    fn remove(
        &mut self,
        dir: Resource<DentryRef>,
        name: &str,
        flags: UnlinkatFlags,
    ) -> Result<(), Error> {
        let dir = self.writable_dentry(&dir)?;
        Ok(self.ctx.tree().unlink(dir, Name::parse(name)?, flags)?)
    }
}

/// The `directfs:fs` calls, in the core's types, on the guest's resources:
/// what both bindings' trait impls call.
impl DirectfsCtxView<'_> {
    pub(crate) fn dentry_walk(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
    ) -> Result<Resource<DentryRef>, Error> {
        self.room_for(1)?;
        let dir = self.dentry_id(&dir)?;
        let name = Name::parse(&name)?;
        // A name is a path of one component, no symlink followed.
        let child = match self.ctx.walk_path_cached(dir, name.as_str(), false) {
            Some(child) => child,
            None => self.ctx.deferring(|tree| tree.walk(dir, name))?,
        };
        self.push_dentry(child)
    }

    pub(crate) fn dentry_walk_path(
        &mut self,
        dir: Resource<DentryRef>,
        path: String,
        follow_final: bool,
    ) -> Result<Resource<DentryRef>, Error> {
        self.room_for(1)?;
        let dir = self.dentry_id(&dir)?;
        let found = match self.ctx.walk_path_cached(dir, &path, follow_final) {
            Some(found) => found,
            None => self
                .ctx
                .deferring(|tree| tree.walk_path(dir, &path, follow_final))?,
        };
        self.push_dentry(found)
    }

    pub(crate) fn dentry_stat(&mut self, dentry: Resource<DentryRef>) -> Result<Stat, Error> {
        let id = self.dentry_id(&dentry)?;
        Ok(self.ctx.stat(id)?)
    }

    pub(crate) fn dentry_stat_path(
        &mut self,
        dir: Resource<DentryRef>,
        path: String,
        follow_final: bool,
    ) -> Result<Stat, Error> {
        let dir = self.dentry_id(&dir)?;
        if let Some(stat) = self.ctx.stat_path_cached(dir, &path, follow_final) {
            return Ok(stat?);
        }
        let found = match self.ctx.walk_path_cached(dir, &path, follow_final) {
            Some(found) => found,
            None => self
                .ctx
                .deferring(|tree| tree.walk_path(dir, &path, follow_final))?,
        };
        // The walk's reference is held while the dentry is stat-ed.
        let stat = self.ctx.stat(found);
        self.ctx.release(found);
        Ok(stat?)
    }

    pub(crate) fn dentry_mkdir(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        mode: u32,
        owner: Option<Owner>,
    ) -> Result<Resource<DentryRef>, Error> {
        self.make_child(&dir, &name, |tree, dir, name| {
            tree.mkdir(dir, name, mode, owner)
        })
    }

    pub(crate) fn dentry_create(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        flags: OpenFlags,
        mode: u32,
        owner: Option<Owner>,
    ) -> Result<(Resource<DentryRef>, Resource<Handle>), Error> {
        self.room_for(2)?;
        let dir = self.writable_dentry(&dir)?;
        let (child, handle) =
            self.ctx
                .tree()
                .create(dir, Name::parse(&name)?, flags, mode, owner)?;
        let child = self.push_dentry(child)?;
        Ok((child, self.push_handle(handle)?))
    }

    pub(crate) fn dentry_mknod(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        mode: u32,
        owner: Option<Owner>,
    ) -> Result<Resource<DentryRef>, Error> {
        self.make_child(&dir, &name, |tree, dir, name| {
            tree.mknod(dir, name, mode, owner)
        })
    }

    pub(crate) fn dentry_symlink(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        target: String,
        owner: Option<Owner>,
    ) -> Result<Resource<DentryRef>, Error> {
        self.make_child(&dir, &name, |tree, dir, name| {
            tree.symlink(dir, name, &target, owner)
        })
    }

    pub(crate) fn dentry_link(
        &mut self,
        dir: Resource<DentryRef>,
        target: Resource<DentryRef>,
        name: String,
    ) -> Result<Resource<DentryRef>, Error> {
        // Both sides: a file of a read-only preopen must not become
        // writable through a link in a read-write one.
        let target = self.writable_dentry(&target)?;
        self.make_child(&dir, &name, |tree, dir, name| tree.link(dir, target, name))
    }

    pub(crate) fn dentry_readlink(&mut self, dentry: Resource<DentryRef>) -> Result<String, Error> {
        let id = self.dentry_id(&dentry)?;
        Ok(self.ctx.tree().readlink(id)?)
    }

    pub(crate) fn dentry_statfs(&mut self, dentry: Resource<DentryRef>) -> Result<Statfs, Error> {
        let id = self.dentry_id(&dentry)?;
        Ok(self.ctx.tree().statfs(id)?)
    }

    pub(crate) fn dentry_set_stat(
        &mut self,
        dentry: Resource<DentryRef>,
        changes: SetStat,
    ) -> wasmtime::Result<Result<(), SetStatError>> {
        let id = self.table.get(&dentry)?.id;
        let writable = self.ctx.check_writable_locked(&self.ctx.tree_read(), id);
        if let Err(error) = writable {
            let failed = dentry::requested(&changes);
            return Ok(match failed == StatFields::empty() {
                true => Ok(()),
                false => Err(SetStatError { failed, error }),
            });
        }
        Ok(self.ctx.tree().set_stat(id, &changes))
    }

    pub(crate) fn dentry_open(
        &mut self,
        dentry: Resource<DentryRef>,
        flags: OpenFlags,
    ) -> Result<Resource<Handle>, Error> {
        let id = match dentry::writes(flags) {
            true => self.writable_dentry(&dentry)?,
            false => self.dentry_id(&dentry)?,
        };
        self.room_for(1)?;
        let handle = self.ctx.deferring(|tree| tree.open(id, flags))?;
        self.push_handle(handle)
    }

    pub(crate) fn dentry_read_dir(
        &mut self,
        dir: Resource<DentryRef>,
        cursor: u64,
        max_entries: u32,
    ) -> Result<DirPage, Error> {
        let dir = self.dentry_id(&dir)?;
        let max = max_entries.min(self.ctx.limits.max_dir_entries);
        Ok(self.ctx.tree().read_dir(dir, cursor, max)?)
    }

    pub(crate) fn dentry_read_dir_plus(
        &mut self,
        dir: Resource<DentryRef>,
        cursor: u64,
        max_entries: u32,
    ) -> Result<DirPlusPage, Error> {
        let dir = self.dentry_id(&dir)?;
        let max = max_entries.min(self.ctx.limits.max_dir_entries);
        Ok(self.ctx.tree().read_dir_plus(dir, cursor, max)?)
    }

    pub(crate) fn dentry_unlink(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
    ) -> Result<(), Error> {
        self.remove(dir, &name, UnlinkatFlags::NoRemoveDir)
    }

    pub(crate) fn dentry_rmdir(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
    ) -> Result<(), Error> {
        self.remove(dir, &name, UnlinkatFlags::RemoveDir)
    }

    pub(crate) fn dentry_rename(
        &mut self,
        old_dir: Resource<DentryRef>,
        old_name: String,
        new_dir: Resource<DentryRef>,
        new_name: String,
        flags: RenameFlags,
    ) -> Result<(), Error> {
        let old_dir = self.writable_dentry(&old_dir)?;
        let new_dir = self.writable_dentry(&new_dir)?;
        let (old, new) = (Name::parse(&old_name)?, Name::parse(&new_name)?);
        Ok(self.ctx.tree().rename(old_dir, old, new_dir, new, flags)?)
    }

    pub(crate) fn dentry_get_xattr(
        &mut self,
        dentry: Resource<DentryRef>,
        name: String,
    ) -> Result<Vec<u8>, Error> {
        let id = self.dentry_id(&dentry)?;
        Ok(self.ctx.tree().get_xattr(id, XattrName::parse(&name)?)?)
    }

    pub(crate) fn dentry_set_xattr(
        &mut self,
        dentry: Resource<DentryRef>,
        name: String,
        value: Vec<u8>,
        flags: XattrFlags,
    ) -> Result<(), Error> {
        let id = self.writable_dentry(&dentry)?;
        let name = XattrName::parse(&name)?;
        Ok(self.ctx.tree().set_xattr(id, name, &value, flags)?)
    }

    pub(crate) fn dentry_list_xattr(
        &mut self,
        dentry: Resource<DentryRef>,
    ) -> Result<Vec<String>, Error> {
        let id = self.dentry_id(&dentry)?;
        Ok(self.ctx.tree().list_xattr(id)?)
    }

    pub(crate) fn dentry_remove_xattr(
        &mut self,
        dentry: Resource<DentryRef>,
        name: String,
    ) -> Result<(), Error> {
        let id = self.writable_dentry(&dentry)?;
        Ok(self.ctx.tree().remove_xattr(id, XattrName::parse(&name)?)?)
    }

    pub(crate) fn dentry_drop(&mut self, dentry: Resource<DentryRef>) -> wasmtime::Result<()> {
        self.drop_holding(dentry, |d| d.id)
    }

    pub(crate) fn handle_read(
        &mut self,
        handle: Resource<Handle>,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>, Error> {
        let max = self.ctx.limits.max_io_bytes;
        let handle = self.table.get(&handle)?;
        Ok(self
            .ctx
            .counting(|| handle.read(offset, len, max, Some(&self.ctx.interrupter)))?)
    }

    pub(crate) fn handle_write(
        &mut self,
        handle: Resource<Handle>,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<u64, Error> {
        let max = self.ctx.limits.max_io_bytes;
        let handle = self.table.get(&handle)?;
        Ok(self
            .ctx
            .counting(|| handle.write(offset, &data, max, Some(&self.ctx.interrupter)))?)
    }

    pub(crate) fn handle_stat(&mut self, handle: Resource<Handle>) -> Result<Stat, Error> {
        let handle = self.table.get(&handle)?;
        Ok(self.ctx.stat_fd(handle.fd())?)
    }

    pub(crate) fn handle_sync(&mut self, handle: Resource<Handle>) -> Result<(), Error> {
        let handle = self.table.get(&handle)?;
        Ok(self.ctx.counting(|| handle.sync())?)
    }

    pub(crate) fn handle_sync_data(&mut self, handle: Resource<Handle>) -> Result<(), Error> {
        let handle = self.table.get(&handle)?;
        Ok(self.ctx.counting(|| handle.sync_data())?)
    }

    pub(crate) fn handle_set_size(
        &mut self,
        handle: Resource<Handle>,
        size: u64,
    ) -> Result<(), Error> {
        let handle = self.table.get(&handle)?;
        Ok(self.ctx.counting(|| handle.set_size(size))?)
    }

    pub(crate) fn handle_allocate(
        &mut self,
        handle: Resource<Handle>,
        offset: u64,
        len: u64,
    ) -> Result<(), Error> {
        let handle = self.table.get(&handle)?;
        Ok(self.ctx.counting(|| handle.allocate(offset, len))?)
    }

    /// `lock`; async hosts call it without `wait` and pause between tries
    /// themselves ([`DirectfsCtxView::wait_for_lock`]).
    pub(crate) fn handle_lock(
        &mut self,
        handle: Resource<Handle>,
        range: LockRange,
        kind: LockKind,
        wait: bool,
    ) -> Result<(), Error> {
        let handle = self.table.get(&handle)?;
        Ok(self.ctx.lock(handle, range, kind, wait)?)
    }

    pub(crate) fn handle_unlock(
        &mut self,
        handle: Resource<Handle>,
        range: LockRange,
    ) -> Result<(), Error> {
        let handle = self.table.get(&handle)?;
        Ok(self.ctx.unlock(handle, range)?)
    }

    pub(crate) fn handle_test_lock(
        &mut self,
        handle: Resource<Handle>,
        range: LockRange,
        kind: LockKind,
    ) -> Result<Option<LockConflict>, Error> {
        let handle = self.table.get(&handle)?;
        Ok(self.ctx.test_lock(handle, range, kind)?)
    }

    pub(crate) fn handle_drop(&mut self, handle: Resource<Handle>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        self.ctx.open_resources = self.ctx.open_resources.saturating_sub(1);
        Ok(())
    }
}

impl types::Host for DirectfsCtxView<'_> {
    fn convert_error_code(&mut self, err: Error) -> wasmtime::Result<WitErrorCode> {
        err.into_code_or_trap().map(Into::into)
    }
}

impl types::HostDentry for DirectfsCtxView<'_> {
    fn walk(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
    ) -> Result<Resource<DentryRef>, Error> {
        self.dentry_walk(dir, name)
    }

    fn walk_path(
        &mut self,
        dir: Resource<DentryRef>,
        path: String,
        follow_final: bool,
    ) -> Result<Resource<DentryRef>, Error> {
        self.dentry_walk_path(dir, path, follow_final)
    }

    fn stat(&mut self, dentry: Resource<DentryRef>) -> Result<wit::Stat, Error> {
        self.dentry_stat(dentry).map(Into::into)
    }

    fn stat_path(
        &mut self,
        dir: Resource<DentryRef>,
        path: String,
        follow_final: bool,
    ) -> Result<wit::Stat, Error> {
        self.dentry_stat_path(dir, path, follow_final)
            .map(Into::into)
    }

    fn mkdir(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        mode: u32,
        owner: Option<wit::Owner>,
    ) -> Result<Resource<DentryRef>, Error> {
        self.dentry_mkdir(dir, name, mode, owner.map(Into::into))
    }

    fn create(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        flags: wit::OpenFlags,
        mode: u32,
        owner: Option<wit::Owner>,
    ) -> Result<(Resource<DentryRef>, Resource<Handle>), Error> {
        self.dentry_create(dir, name, flags.into(), mode, owner.map(Into::into))
    }

    fn mknod(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        mode: u32,
        owner: Option<wit::Owner>,
    ) -> Result<Resource<DentryRef>, Error> {
        self.dentry_mknod(dir, name, mode, owner.map(Into::into))
    }

    fn symlink(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        target: String,
        owner: Option<wit::Owner>,
    ) -> Result<Resource<DentryRef>, Error> {
        self.dentry_symlink(dir, name, target, owner.map(Into::into))
    }

    fn link(
        &mut self,
        dir: Resource<DentryRef>,
        target: Resource<DentryRef>,
        name: String,
    ) -> Result<Resource<DentryRef>, Error> {
        self.dentry_link(dir, target, name)
    }

    fn readlink(&mut self, dentry: Resource<DentryRef>) -> Result<String, Error> {
        self.dentry_readlink(dentry)
    }

    fn statfs(&mut self, dentry: Resource<DentryRef>) -> Result<wit::Statfs, Error> {
        self.dentry_statfs(dentry).map(Into::into)
    }

    fn set_stat(
        &mut self,
        dentry: Resource<DentryRef>,
        changes: wit::SetStat,
    ) -> wasmtime::Result<Result<(), wit::SetStatError>> {
        Ok(self
            .dentry_set_stat(dentry, changes.into())?
            .map_err(Into::into))
    }

    fn open(
        &mut self,
        dentry: Resource<DentryRef>,
        flags: wit::OpenFlags,
    ) -> Result<Resource<Handle>, Error> {
        self.dentry_open(dentry, flags.into())
    }

    fn read_dir(
        &mut self,
        dir: Resource<DentryRef>,
        cursor: u64,
        max_entries: u32,
    ) -> Result<wit::DirPage, Error> {
        self.dentry_read_dir(dir, cursor, max_entries)
            .map(Into::into)
    }

    fn read_dir_plus(
        &mut self,
        dir: Resource<DentryRef>,
        cursor: u64,
        max_entries: u32,
    ) -> Result<wit::DirPlusPage, Error> {
        self.dentry_read_dir_plus(dir, cursor, max_entries)
            .map(Into::into)
    }

    fn unlink(&mut self, dir: Resource<DentryRef>, name: String) -> Result<(), Error> {
        self.dentry_unlink(dir, name)
    }

    fn rmdir(&mut self, dir: Resource<DentryRef>, name: String) -> Result<(), Error> {
        self.dentry_rmdir(dir, name)
    }

    fn rename(
        &mut self,
        old_dir: Resource<DentryRef>,
        old_name: String,
        new_dir: Resource<DentryRef>,
        new_name: String,
        flags: wit::RenameFlags,
    ) -> Result<(), Error> {
        self.dentry_rename(old_dir, old_name, new_dir, new_name, flags.into())
    }

    fn get_xattr(&mut self, dentry: Resource<DentryRef>, name: String) -> Result<Vec<u8>, Error> {
        self.dentry_get_xattr(dentry, name)
    }

    fn set_xattr(
        &mut self,
        dentry: Resource<DentryRef>,
        name: String,
        value: Vec<u8>,
        flags: wit::XattrFlags,
    ) -> Result<(), Error> {
        self.dentry_set_xattr(dentry, name, value, flags.into())
    }

    fn list_xattr(&mut self, dentry: Resource<DentryRef>) -> Result<Vec<String>, Error> {
        self.dentry_list_xattr(dentry)
    }

    fn remove_xattr(&mut self, dentry: Resource<DentryRef>, name: String) -> Result<(), Error> {
        self.dentry_remove_xattr(dentry, name)
    }

    fn drop(&mut self, dentry: Resource<DentryRef>) -> wasmtime::Result<()> {
        self.dentry_drop(dentry)
    }
}

impl types::HostHandle for DirectfsCtxView<'_> {
    fn read(&mut self, handle: Resource<Handle>, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        self.handle_read(handle, offset, len)
    }

    fn write(
        &mut self,
        handle: Resource<Handle>,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<u64, Error> {
        self.handle_write(handle, offset, data)
    }

    fn stat(&mut self, handle: Resource<Handle>) -> Result<wit::Stat, Error> {
        self.handle_stat(handle).map(Into::into)
    }

    fn sync(&mut self, handle: Resource<Handle>) -> Result<(), Error> {
        self.handle_sync(handle)
    }

    fn sync_data(&mut self, handle: Resource<Handle>) -> Result<(), Error> {
        self.handle_sync_data(handle)
    }

    fn set_size(&mut self, handle: Resource<Handle>, size: u64) -> Result<(), Error> {
        self.handle_set_size(handle, size)
    }

    fn allocate(&mut self, handle: Resource<Handle>, offset: u64, len: u64) -> Result<(), Error> {
        self.handle_allocate(handle, offset, len)
    }

    fn lock(
        &mut self,
        handle: Resource<Handle>,
        range: wit::LockRange,
        kind: wit::LockKind,
        wait: bool,
    ) -> Result<(), Error> {
        self.handle_lock(handle, range.into(), kind.into(), wait)
    }

    fn unlock(&mut self, handle: Resource<Handle>, range: wit::LockRange) -> Result<(), Error> {
        self.handle_unlock(handle, range.into())
    }

    fn test_lock(
        &mut self,
        handle: Resource<Handle>,
        range: wit::LockRange,
        kind: wit::LockKind,
    ) -> Result<Option<wit::LockConflict>, Error> {
        Ok(self
            .handle_test_lock(handle, range.into(), kind.into())?
            .map(Into::into))
    }

    fn drop(&mut self, handle: Resource<Handle>) -> wasmtime::Result<()> {
        self.handle_drop(handle)
    }
}

impl preopens::Host for DirectfsCtxView<'_> {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<DentryRef>, String)>> {
        self.preopen_resources(|id, _| DentryRef { id })
    }
}
