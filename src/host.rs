//! The generated `Host*` traits, implemented on [`DirectfsCtxView`].
//!
//! Each function is thin: look up the resource (a handle the guest does not
//! own traps), check the preopen's permissions, parse the name, call into
//! [`crate::dentry`], convert. No syscalls here.

use nix::unistd::UnlinkatFlags;
use wasmtime::component::Resource;

use crate::bindings::directfs::fs::types::{DirPage, ErrorCode, OpenFlags, Stat};
use crate::bindings::directfs::fs::{preopens, types};
use crate::ctx::DirectfsCtxView;
use crate::dentry::{self, DentryId, DentryRef};
use crate::error::Error;
use crate::handle::Handle;
use crate::name::Name;

impl DirectfsCtxView<'_> {
    /// The dentry behind a guest resource; a foreign resource traps.
    fn dentry_id(&self, dentry: &Resource<DentryRef>) -> Result<DentryId, Error> {
        Ok(self.table.get(dentry)?.id)
    }

    /// Gives the guest a new resource for `id`, which already carries the
    /// reference the resource will own. If the table is full, the reference
    /// is released and the guest traps.
    fn push_dentry(&mut self, id: DentryId) -> Result<Resource<DentryRef>, Error> {
        self.table.push(DentryRef { id }).map_err(|err| {
            self.ctx.tree.release(id);
            Error::trap(err)
        })
    }

    fn push_handle(&mut self, handle: Handle) -> Result<Resource<Handle>, Error> {
        Ok(self.table.push(handle)?)
    }
}

impl types::Host for DirectfsCtxView<'_> {
    fn convert_error_code(&mut self, err: Error) -> wasmtime::Result<ErrorCode> {
        err.into_code_or_trap()
    }
}

impl types::HostDentry for DirectfsCtxView<'_> {
    fn walk(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
    ) -> Result<Resource<DentryRef>, Error> {
        let dir = self.dentry_id(&dir)?;
        let child = self.ctx.tree.walk(dir, Name::parse(&name)?)?;
        self.push_dentry(child)
    }

    fn stat(&mut self, dentry: Resource<DentryRef>) -> Result<Stat, Error> {
        let id = self.dentry_id(&dentry)?;
        Ok(self.ctx.tree.stat(id)?)
    }

    fn mkdir(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        mode: u32,
    ) -> Result<Resource<DentryRef>, Error> {
        let dir = self.dentry_id(&dir)?;
        self.ctx.tree.check_writable(dir)?;
        let child = self.ctx.tree.mkdir(dir, Name::parse(&name)?, mode)?;
        self.push_dentry(child)
    }

    fn create(
        &mut self,
        dir: Resource<DentryRef>,
        name: String,
        flags: OpenFlags,
        mode: u32,
    ) -> Result<(Resource<DentryRef>, Resource<Handle>), Error> {
        let dir = self.dentry_id(&dir)?;
        self.ctx.tree.check_writable(dir)?;
        let (child, fd) = self
            .ctx
            .tree
            .create(dir, Name::parse(&name)?, flags, mode)?;
        let child = self.push_dentry(child)?;
        Ok((child, self.push_handle(Handle::new(fd))?))
    }

    fn open(
        &mut self,
        dentry: Resource<DentryRef>,
        flags: OpenFlags,
    ) -> Result<Resource<Handle>, Error> {
        let id = self.dentry_id(&dentry)?;
        if dentry::writes(flags) {
            self.ctx.tree.check_writable(id)?;
        }
        let fd = self.ctx.tree.open(id, flags)?;
        self.push_handle(Handle::new(fd))
    }

    fn read_dir(
        &mut self,
        dir: Resource<DentryRef>,
        cursor: u64,
        max_entries: u32,
    ) -> Result<DirPage, Error> {
        let dir = self.dentry_id(&dir)?;
        let max = max_entries.min(self.ctx.limits.max_dir_entries);
        Ok(self.ctx.tree.read_dir(dir, cursor, max)?)
    }

    fn unlink(&mut self, dir: Resource<DentryRef>, name: String) -> Result<(), Error> {
        self.remove(dir, &name, UnlinkatFlags::NoRemoveDir)
    }

    fn rmdir(&mut self, dir: Resource<DentryRef>, name: String) -> Result<(), Error> {
        self.remove(dir, &name, UnlinkatFlags::RemoveDir)
    }

    fn drop(&mut self, dentry: Resource<DentryRef>) -> wasmtime::Result<()> {
        let DentryRef { id } = self.table.delete(dentry)?;
        self.ctx.tree.release(id);
        Ok(())
    }
}

impl DirectfsCtxView<'_> {
    fn remove(
        &mut self,
        dir: Resource<DentryRef>,
        name: &str,
        flags: UnlinkatFlags,
    ) -> Result<(), Error> {
        let dir = self.dentry_id(&dir)?;
        self.ctx.tree.check_writable(dir)?;
        Ok(self.ctx.tree.unlink(dir, Name::parse(name)?, flags)?)
    }
}

impl types::HostHandle for DirectfsCtxView<'_> {
    fn read(&mut self, handle: Resource<Handle>, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        let max = self.ctx.limits.max_io_bytes;
        Ok(self.table.get(&handle)?.read(offset, len, max)?)
    }

    fn write(
        &mut self,
        handle: Resource<Handle>,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<u64, Error> {
        let max = self.ctx.limits.max_io_bytes;
        Ok(self.table.get(&handle)?.write(offset, &data, max)?)
    }

    fn stat(&mut self, handle: Resource<Handle>) -> Result<Stat, Error> {
        let handle = self.table.get(&handle)?;
        Ok(self.ctx.tree.stat_fd(handle.fd())?)
    }

    fn drop(&mut self, handle: Resource<Handle>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}

impl preopens::Host for DirectfsCtxView<'_> {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<DentryRef>, String)>> {
        let mut dirs = Vec::with_capacity(self.ctx.preopens.len());
        for i in 0..self.ctx.preopens.len() {
            let (root, name) = self.ctx.preopens[i].clone();
            self.ctx
                .tree
                .acquire(root)
                .map_err(Error::from)
                .map_err(trap)?;
            dirs.push((self.push_dentry(root).map_err(trap)?, name));
        }
        Ok(dirs)
    }
}

/// An error where the WIT function has no error code to return: a trap.
fn trap(err: Error) -> wasmtime::Error {
    match err.into_code_or_trap() {
        Ok(code) => wasmtime::Error::msg(format!("directfs: {code:?}")),
        Err(trap) => trap,
    }
}
