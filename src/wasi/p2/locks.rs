//! `directfs:wasi-filesystem/locks`: directfs's advisory record locks
//! ([`crate::lock`]) on `wasi:filesystem` 0.2 descriptors, for sync hosts
//! and async ones (a waiting lock pauses on a timer there). Thin: look up
//! the descriptor's handle (a directory has none: `bad-descriptor`), call
//! the context's lock, convert at the edge.

use wasmtime::component::Resource;

use crate::bindings::wasi::directfs::wasi_filesystem::locks as sync;
use crate::bindings::wasi_async::directfs::wasi_filesystem::locks as wit_async;
use crate::ctx::DirectfsCtxView;
use crate::error::Error;
use crate::types::{LockConflict, LockKind, LockRange};
use crate::wasi::Descriptor;

impl DirectfsCtxView<'_> {
    fn descriptor_lock(
        &mut self,
        fd: Resource<Descriptor>,
        range: LockRange,
        kind: LockKind,
        wait: bool,
    ) -> Result<(), Error> {
        let (_, handle) = self.file(&fd)?;
        Ok(self.ctx.lock(handle, range, kind, wait)?)
    }

    fn descriptor_unlock(
        &mut self,
        fd: Resource<Descriptor>,
        range: LockRange,
    ) -> Result<(), Error> {
        let (_, handle) = self.file(&fd)?;
        Ok(self.ctx.unlock(handle, range)?)
    }

    fn descriptor_test_lock(
        &mut self,
        fd: Resource<Descriptor>,
        range: LockRange,
        kind: LockKind,
    ) -> Result<Option<LockConflict>, Error> {
        let (_, handle) = self.file(&fd)?;
        Ok(self.ctx.test_lock(handle, range, kind)?)
    }

    /// Whether a lock call on `fd` runs on the blocking pool: its mount is
    /// [`crate::Blocking::Pool`].
    fn lock_on_pool(&self, fd: &Resource<Descriptor>) -> bool {
        let dentry = self.table.get(fd).ok().map(|d| d.dentry);
        dentry.is_some_and(|id| self.ctx.tree_read().blocking(id) == crate::Blocking::Pool)
    }
}

/// The core's lock types as both bindings' generated ones and back.
macro_rules! conversions {
    ($wit:ident) => {
        impl From<$wit::LockRange> for LockRange {
            fn from(v: $wit::LockRange) -> Self {
                Self {
                    start: v.start,
                    len: v.len,
                }
            }
        }

        impl From<$wit::LockKind> for LockKind {
            fn from(v: $wit::LockKind) -> Self {
                match v {
                    $wit::LockKind::Shared => Self::Shared,
                    $wit::LockKind::Exclusive => Self::Exclusive,
                }
            }
        }

        impl From<LockConflict> for $wit::LockConflict {
            fn from(v: LockConflict) -> Self {
                Self {
                    kind: match v.kind {
                        LockKind::Shared => $wit::LockKind::Shared,
                        LockKind::Exclusive => $wit::LockKind::Exclusive,
                    },
                    range: $wit::LockRange {
                        start: v.range.start,
                        len: v.range.len,
                    },
                }
            }
        }
    };
}

conversions!(sync);
conversions!(wit_async);

impl sync::Host for DirectfsCtxView<'_> {
    fn lock(
        &mut self,
        fd: Resource<Descriptor>,
        range: sync::LockRange,
        kind: sync::LockKind,
        wait: bool,
    ) -> Result<(), Error> {
        self.descriptor_lock(fd, range.into(), kind.into(), wait)
    }

    fn unlock(&mut self, fd: Resource<Descriptor>, range: sync::LockRange) -> Result<(), Error> {
        self.descriptor_unlock(fd, range.into())
    }

    fn test_lock(
        &mut self,
        fd: Resource<Descriptor>,
        range: sync::LockRange,
        kind: sync::LockKind,
    ) -> Result<Option<sync::LockConflict>, Error> {
        Ok(self
            .descriptor_test_lock(fd, range.into(), kind.into())?
            .map(Into::into))
    }
}

impl wit_async::Host for DirectfsCtxView<'_> {
    async fn lock(
        &mut self,
        fd: Resource<Descriptor>,
        range: wit_async::LockRange,
        kind: wit_async::LockKind,
        wait: bool,
    ) -> Result<(), Error> {
        let (range, kind) = (range.into(), kind.into());
        let on_pool = self.lock_on_pool(&fd);
        let rep = fd.rep();
        let try_lock = move |view: &mut DirectfsCtxView<'_>| {
            view.descriptor_lock(Resource::new_borrow(rep), range, kind, false)
        };
        match wait {
            true => self.wait_for_lock(on_pool, try_lock).await,
            false => self.run(on_pool, try_lock).await,
        }
    }

    async fn unlock(
        &mut self,
        fd: Resource<Descriptor>,
        range: wit_async::LockRange,
    ) -> Result<(), Error> {
        let range = range.into();
        let on_pool = self.lock_on_pool(&fd);
        self.run(on_pool, move |view| view.descriptor_unlock(fd, range))
            .await
    }

    async fn test_lock(
        &mut self,
        fd: Resource<Descriptor>,
        range: wit_async::LockRange,
        kind: wit_async::LockKind,
    ) -> Result<Option<wit_async::LockConflict>, Error> {
        let (range, kind) = (range.into(), kind.into());
        let on_pool = self.lock_on_pool(&fd);
        let conflict = self
            .run(on_pool, move |view| {
                view.descriptor_test_lock(fd, range, kind)
            })
            .await?;
        Ok(conflict.map(Into::into))
    }
}
