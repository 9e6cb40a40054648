//! Taking names away and moving them: `unlink`/`rmdir` and `rename`, and
//! what each does to the dentries of the names involved.

use std::os::fd::AsFd;
use std::sync::Arc;

use nix::errno::Errno;
use nix::unistd::UnlinkatFlags;

use super::inode::key_of;
use super::{DentryId, Link, Tree, Watch, trusts};
use crate::error::ErrorCode;
use crate::name::Name;
use crate::sys;
use crate::types::{FileType, RenameFlags};
use crate::watch::OwnEvent;

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
        let since = self.own_mark();
        let removed = sys::unlinkat(self.get(parent)?.fd.as_fd(), name.as_str(), flags);
        match removed {
            // Gone, by this call or already (another process removed it
            // since the call's drain): its dentry must not answer the next
            // walk.
            Ok(()) | Err(Errno::ENOENT) => self.detach(parent, name.as_str()),
            // There, of another type or not empty (another process made it
            // since): a remembered `no-entry` of it must not either.
            Err(Errno::ENOTEMPTY | Errno::EEXIST | Errno::ENOTDIR | Errno::EISDIR) => {
                self.negatives.remove(parent, name.as_str());
            }
            Err(_) => {}
        }
        removed?;
        self.expect_own(since, &[(parent, OwnEvent::Delete, name.as_str())]);
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
        // A cached dentry moved is cached in its new directory.
        if self.get(old_dir)?.children.get(old.as_str()).is_some() {
            self.watch_names(new_dir);
        }
        if flags.contains(RenameFlags::EXCHANGE)
            && self.get(new_dir)?.children.get(new.as_str()).is_some()
        {
            self.watch_names(old_dir);
        }
        let (from, to) = (self.get(old_dir)?, self.get(new_dir)?);
        let mut host_flags = sys::RenameFlags::empty();
        if flags.contains(RenameFlags::NO_REPLACE) {
            host_flags |= sys::RenameFlags::RENAME_NOREPLACE;
        }
        let exchange = flags.contains(RenameFlags::EXCHANGE);
        if exchange {
            host_flags |= sys::RenameFlags::RENAME_EXCHANGE;
        }
        let same_name = old_dir == new_dir && old == new;
        let since = self.own_mark();
        let renamed = if exchange || same_name {
            sys::renameat2(
                from.fd.as_fd(),
                old.as_str(),
                to.fd.as_fd(),
                new.as_str(),
                host_flags,
            )
            .map(|()| false)
            .map_err(ErrorCode::from)
        } else {
            self.rename_names(old_dir, old, new_dir, new, host_flags)
        };
        let real = renamed.map_err(|err| self.name_taken(new_dir, new, err))?;
        self.negatives.remove(new_dir, new.as_str());
        if exchange {
            self.negatives.remove(old_dir, old.as_str());
        }
        if same_name {
            return Ok(());
        }
        if !exchange && !real && self.renamed_onto_itself(old_dir, old, new_dir, new) {
            return Ok(());
        }
        if real {
            // Gone from where it was: a walk of it now is `no-entry` without
            // asking the host (where the cache is trusted: kept so by the
            // kernel's events in a coherent mount).
            if self.get(old_dir).is_ok_and(trusts) {
                self.remember_no_entry(old_dir, old.as_str(), false);
            }
            self.expect_own(
                since,
                &[
                    (old_dir, OwnEvent::MovedFrom, old.as_str()),
                    (new_dir, OwnEvent::MovedTo, new.as_str()),
                ],
            );
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

    /// `renameat2(old_dir_fd, old, new_dir_fd, new, flags)` (not an
    /// exchange, and two names): returns whether it surely moved a file (a
    /// rename onto another hard link of the same file moves nothing and the
    /// kernel tells of nothing). Surely, where `new` is known absent (a
    /// remembered `no-entry`, or `RENAME_NOREPLACE`) or the cache has a
    /// dentry for both names of different files, or the file moved is a
    /// directory (never hard-linked). Where `new` is unknown in a watched
    /// directory, `RENAME_NOREPLACE` is tried first: a rename that replaces
    /// nothing is sure, and its kernel events are skipped
    /// ([`Tree::expect_own`]) instead of each costing an `fstatat`; one that
    /// would replace fails with `EEXIST` before any check of the two
    /// files' types, and is made again without it.
    fn rename_names(
        &mut self,
        old_dir: DentryId,
        old: Name<'_>,
        new_dir: DentryId,
        new: Name<'_>,
        flags: sys::RenameFlags,
    ) -> Result<bool, ErrorCode> {
        let child = |dir: DentryId, name: Name<'_>| {
            let id = *self.get(dir).ok()?.children.get(name.as_str())?;
            self.get(id).ok()
        };
        let (moved, target) = (child(old_dir, old), child(new_dir, new));
        let to = self.get(new_dir)?;
        // What the cache says is the host's only where it is trusted.
        let trusted = trusts(self.get(old_dir)?) && trusts(to);
        let sure = flags.contains(sys::RenameFlags::RENAME_NOREPLACE)
            || (trusted
                && (moved.is_some_and(|m| m.file_type == FileType::Directory)
                    || matches!((moved, target), (Some(m), Some(t)) if m.key != t.key)
                    || (target.is_none() && self.negatives.contains(new_dir, new.as_str()))));
        let rename = |flags| {
            sys::renameat2(
                self.get(old_dir).map_err(|_| Errno::EBADF)?.fd.as_fd(),
                old.as_str(),
                self.get(new_dir).map_err(|_| Errno::EBADF)?.fd.as_fd(),
                new.as_str(),
                flags,
            )
        };
        if !sure && target.is_none() && matches!(to.watch, Watch::On(_)) {
            match rename(flags | sys::RenameFlags::RENAME_NOREPLACE) {
                Ok(()) => return Ok(true),
                Err(Errno::EEXIST | Errno::EINVAL) => {}
                Err(errno) => return Err(errno.into()),
            }
        }
        rename(flags)?;
        Ok(sure)
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
        // The rename watched the parent first (`changing_names`); this is
        // the safety net.
        let late = self.watch_before_hanging(parent);
        let name: Arc<str> = name.into();
        if let Ok(c) = self.get_mut(child) {
            c.link = Link::Child {
                parent,
                name: name.clone(),
            };
        }
        if let Ok(p) = self.get_mut(parent) {
            p.children.insert(name.clone(), child);
        }
        self.settle(parent);
        if late {
            self.check_name(parent, &name);
        }
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
