//! Taking names away and moving them: `unlink`/`rmdir` and `rename`, and
//! what each does to the dentries of the names involved.

use std::os::fd::AsFd;
use std::sync::Arc;

use nix::unistd::UnlinkatFlags;

use super::inode::key_of;
use super::{DentryId, Link, Tree};
use crate::error::ErrorCode;
use crate::name::Name;
use crate::sys;
use crate::types::RenameFlags;

impl Tree {
    /// `unlinkat(parent_fd, name, 0 or AT_REMOVEDIR)`; a live dentry of that
    /// name stays valid for its holders but loses its name.
    ///
    /// A cached dentry of the name that nothing holds is freed (its FD
    /// closed) before the `unlinkat`, so that the kernel frees the inode in
    /// the unlink itself rather than keeping it as an orphan until that FD
    /// is closed (on ext4, an orphan-list add and remove per unlink). If the
    /// `unlinkat` then fails, only a cache entry is lost.
    pub(crate) fn unlink(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        flags: UnlinkatFlags,
    ) -> Result<(), ErrorCode> {
        self.changing_names(parent)?;
        self.free_unused_child(parent, name.as_str());
        sys::unlinkat(self.get(parent)?.fd.as_fd(), name.as_str(), flags)?;
        self.detach(parent, name.as_str());
        Ok(())
    }

    /// `renameat2(old_dir_fd, old, new_dir_fd, new, flags)`, then the same
    /// move in the tree: the moved dentry takes its new parent and name, a
    /// replaced one is unlinked, exchanged ones swap. A rename of a name
    /// onto another hard link of the same file changes nothing, on the host
    /// (POSIX `rename`) or in the tree: both names keep their dentries.
    pub(crate) fn rename(
        &mut self,
        old_dir: DentryId,
        old: Name<'_>,
        new_dir: DentryId,
        new: Name<'_>,
        flags: RenameFlags,
    ) -> Result<(), ErrorCode> {
        if self.get(old_dir)?.root != self.get(new_dir)?.root {
            return Err(ErrorCode::CrossDevice);
        }
        self.changing_names(old_dir)?;
        self.changing_names(new_dir)?;
        let (from, to) = (self.get(old_dir)?, self.get(new_dir)?);
        let mut host_flags = sys::RenameFlags::empty();
        if flags.contains(RenameFlags::NO_REPLACE) {
            host_flags |= sys::RenameFlags::RENAME_NOREPLACE;
        }
        if flags.contains(RenameFlags::EXCHANGE) {
            host_flags |= sys::RenameFlags::RENAME_EXCHANGE;
        }
        sys::renameat2(
            from.fd.as_fd(),
            old.as_str(),
            to.fd.as_fd(),
            new.as_str(),
            host_flags,
        )?;
        self.negatives.remove(new_dir, new.as_str());
        if flags.contains(RenameFlags::EXCHANGE) {
            self.negatives.remove(old_dir, old.as_str());
        }
        if old_dir == new_dir && old == new {
            return Ok(());
        }
        if !flags.contains(RenameFlags::EXCHANGE)
            && self.renamed_onto_itself(old_dir, old, new_dir, new)
        {
            return Ok(());
        }
        let moved = self.get_mut(old_dir)?.children.remove(old.as_str());
        let other = self.get_mut(new_dir)?.children.remove(new.as_str());
        if let Some(moved) = moved {
            self.relink(moved, new_dir, new.as_str());
        }
        if let Some(other) = other {
            if flags.contains(RenameFlags::EXCHANGE) {
                self.relink(other, old_dir, old.as_str());
            } else {
                if let Ok(o) = self.get_mut(other) {
                    o.link = Link::Unlinked;
                }
                self.settle(other);
            }
        }
        self.settle(old_dir);
        self.settle(new_dir);
        Ok(())
    }

    /// After a `renameat2` of `old` onto `new` that succeeded: whether both
    /// named one file (hard links), so that the kernel did nothing. Where
    /// `new` has no dentry there is nothing in the tree to keep; where both
    /// have dentries of different files it was a real rename (no syscall:
    /// the common case of replacing a cached name). Otherwise the host
    /// says: `new` still naming its dentry's file means nothing moved (after
    /// a real rename it names the moved file, another one), whatever the
    /// cache believed of `old`.
    fn renamed_onto_itself(
        &self,
        old_dir: DentryId,
        old: Name<'_>,
        new_dir: DentryId,
        new: Name<'_>,
    ) -> bool {
        let child = |dir: DentryId, name: Name<'_>| {
            let id = *self.get(dir).ok()?.children.get(name.as_str())?;
            self.get(id).ok()
        };
        let Some(target) = child(new_dir, new) else {
            return false;
        };
        if child(old_dir, old).is_some_and(|moved| moved.key != target.key) {
            return false;
        }
        self.get(new_dir).is_ok_and(|dir| {
            matches!(
                sys::fstatat_nofollow(dir.fd.as_fd(), new.as_str().as_bytes()),
                Ok(st) if key_of(&st) == target.key
            )
        })
    }

    /// Hangs live dentry `child` under `parent` as `name`.
    ///
    /// # Preconditions
    /// `child` is in no `children` map; `parent` has no live child `name`.
    pub(super) fn relink(&mut self, child: DentryId, parent: DentryId, name: &str) {
        let name: Arc<str> = name.into();
        if let Ok(c) = self.get_mut(child) {
            c.link = Link::Child {
                parent,
                name: name.clone(),
            };
        }
        if let Ok(p) = self.get_mut(parent) {
            p.children.insert(name, child);
        }
        self.settle(parent);
    }

    /// Frees `parent`'s cached child `name` if nothing holds it and it has
    /// no cached children (a leaf of the LRU, as eviction would free it).
    pub(super) fn free_unused_child(&mut self, parent: DentryId, name: &str) {
        let Some(child) = self
            .get(parent)
            .ok()
            .and_then(|p| p.children.get(name).copied())
        else {
            return;
        };
        if let Ok(c) = self.get_mut(child)
            && *c.refs.get_mut() == 0
            && c.children.is_empty()
        {
            self.free_dentry(child);
        }
    }

    /// Unhooks the live child `name` of `parent`, if any: it becomes
    /// [`Link::Unlinked`] and is freed if no guest holds it.
    pub(super) fn detach(&mut self, parent: DentryId, name: &str) {
        let Ok(p) = self.get_mut(parent) else { return };
        let Some(child) = p.children.remove(name) else {
            return;
        };
        if let Ok(c) = self.get_mut(child) {
            c.link = Link::Unlinked;
        }
        self.settle(child);
        self.settle(parent);
    }
}
