//! Making names: `mkdir`, `create`, `mknod`, `symlink`, `link`, and
//! entering the new dentry in the tree.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{FileStat, Mode, SFlag};
use nix::unistd::UnlinkatFlags;

use super::inode::{InoKey, key_of};
use super::open::open_flags;
use super::tree::Children;
use super::{Dentry, DentryId, FdMode, Link, MADE, Tree, Watch, try_open};
use crate::error::ErrorCode;
use crate::handle::Handle;
use crate::name::{Name, check_path};
use crate::sys;
use crate::sys::file_type_of_mode;
use crate::types::{FileType, OpenFlags, Owner};
use crate::types::{Perms, PreopenOptions};
use crate::watch::OwnEvent;

impl Tree {
    /// `mkdirat(parent_fd, name, mode)`, then opens the new directory. Returns
    /// it with one new guest reference.
    pub(crate) fn mkdir(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        mode: u32,
        owner: Option<Owner>,
    ) -> Result<DentryId, ErrorCode> {
        self.make_room(1)?;
        // The new directory's dentry is cached in `parent`.
        self.watch_names(parent);
        self.mkdir_unopened(parent, name, mode)?;
        self.created_child(parent, name, Created::Directory, owner)
    }

    /// `mkdirat(parent_fd, name, mode)` alone, for a caller that does not use
    /// the new directory (`wasi:filesystem`'s `create-directory-at`): one
    /// syscall, as wasmtime-wasi's. Its dentry is made when a walk first
    /// needs it.
    pub(crate) fn mkdir_unopened(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        mode: u32,
    ) -> Result<(), ErrorCode> {
        let mode = permission_bits(mode)?;
        self.changing_names(parent)?;
        let since = self.own_mark();
        let made = sys::mkdirat(self.get(parent)?.fd.as_fd(), name.as_str(), mode);
        made.map_err(|errno| self.name_taken(parent, name, errno))?;
        self.made_name(since, parent, name);
        Ok(())
    }

    /// The tree's part of a name made in `parent` with no dentry of it
    /// (`mkdirat`, `symlinkat`, `linkat` alone; a WASI create, whose dentry
    /// is private): a stale dentry of an old file of that name (removed
    /// outside directfs), or a remembered `no-entry`, must not shadow the
    /// new one; and the kernel's event of it (queued since `since`) is the
    /// tree's own.
    fn made_name(&mut self, since: u64, parent: DentryId, name: Name<'_>) {
        self.detach(parent, name.as_str());
        self.negatives.remove(parent, name.as_str());
        self.expect_own(since, &[(parent, OwnEvent::Create, name.as_str())]);
    }

    /// `openat(parent_fd, name, O_CREAT | O_EXCL | flags, mode)`, then opens
    /// the new file's dentry. Returns the dentry with one new guest reference
    /// and the open handle.
    pub(crate) fn create(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        flags: OpenFlags,
        mode: u32,
        owner: Option<Owner>,
    ) -> Result<(DentryId, Handle), ErrorCode> {
        let creating = create_flags(flags, mode)?;
        self.make_room(2)?;
        self.changing_names(parent)?;
        self.watch_names(parent);
        let since = self.own_mark();
        let fd = self.open_new(parent, name, creating)?;
        let child = self.created_child(parent, name, Created::File, owner)?;
        self.expect_own(since, &[(parent, OwnEvent::Create, name.as_str())]);
        let handle = self.new_handle(child, fd, flags);
        Ok((child, handle))
    }

    /// `openat(parent_fd, name, oflags, mode)` of a create
    /// ([`create_flags`]): the new file's FD (`exist` and the like as
    /// [`Tree::name_taken`] tells them).
    fn open_new(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        (oflags, mode): (OFlag, Mode),
    ) -> Result<OwnedFd, ErrorCode> {
        let made = self.retrying_out_of_fds(|tree| {
            sys::openat(
                tree.get(parent).map_err(|_| Errno::EBADF)?.fd.as_fd(),
                name.as_str(),
                oflags,
                mode,
            )
        });
        made.map_err(|errno| self.name_taken(parent, name, errno))
    }

    /// [`Tree::create`] for a WASI descriptor: `openat(parent_fd, name,
    /// O_CREAT | O_EXCL | flags, mode)` and `fstat` of the new FD, and no
    /// more. The new file's dentry is *private* to the descriptor: it
    /// shares the handle's FD ([`FdMode::Lent`], charged once, by the
    /// handle) instead of opening its own, is not cached under `name`
    /// ([`Link::Unlinked`]: no lookup finds it; a later one opens a dentry
    /// of its own), and is freed with the descriptor's reference. A WASI
    /// file descriptor uses its dentry for the file's identity, type and
    /// mount only, never for a path; so the create costs the two syscalls
    /// wasmtime-wasi's does, and the directory caches no name for a file
    /// made and removed (nothing for the kernel to tell of there).
    pub(crate) fn create_private(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        flags: OpenFlags,
        mode: u32,
    ) -> Result<(DentryId, Handle), ErrorCode> {
        let creating = create_flags(flags, mode)?;
        self.make_room(1)?;
        self.changing_names(parent)?;
        let since = self.own_mark();
        let fd = self.open_new(parent, name, creating)?;
        let st = match sys::fstat(fd.as_fd()) {
            Ok(st) => st,
            Err(errno) => {
                // Best effort, as `created_child`: no half-made file stays.
                let dir_fd = self.get(parent)?.fd.as_fd();
                let _ = sys::unlinkat(dir_fd, name.as_str(), UnlinkatFlags::NoRemoveDir);
                return Err(errno.into());
            }
        };
        self.made_name(since, parent, name);
        let handle = Handle::new(fd, self.budget.charge_token());
        let child = self.insert_private(parent, &handle, &st)?;
        Ok((child, self.handle_of(child, handle, flags)))
    }

    /// The private dentry of a WASI descriptor's `handle`, of a file
    /// (`fstat` `st`) named in `parent`: it shares the handle's FD
    /// ([`FdMode::Lent`]), is cached under no name ([`Link::Unlinked`]),
    /// and goes with the descriptor's reference ([`Tree::create_private`],
    /// [`Tree::open_private`]). Returns it with that one reference.
    pub(super) fn insert_private(
        &mut self,
        parent: DentryId,
        handle: &Handle,
        st: &FileStat,
    ) -> Result<DentryId, ErrorCode> {
        let p = self.get(parent)?;
        let (root, policy) = (p.root, p.policy);
        Ok(self.insert(Dentry::made(
            (handle.host_fd(), FdMode::Lent),
            Link::Unlinked,
            (key_of(st), file_type_of_mode(st.st_mode)),
            (root, policy),
            self.call(),
            Watch::None,
        )))
    }

    /// `mknodat(parent_fd, name, S_IFREG | mode)`: regular files only, as
    /// gVisor's directfs (any other type → `not-permitted`).
    pub(crate) fn mknod(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        mode: u32,
        owner: Option<Owner>,
    ) -> Result<DentryId, ErrorCode> {
        let kind = mode & SFlag::S_IFMT.bits();
        if kind != 0 && kind != SFlag::S_IFREG.bits() {
            return Err(ErrorCode::NotPermitted);
        }
        let mode = permission_bits(mode & !SFlag::S_IFMT.bits())?;
        self.make_room(1)?;
        self.changing_names(parent)?;
        self.watch_names(parent);
        let since = self.own_mark();
        let made = sys::mknodat_regular(self.get(parent)?.fd.as_fd(), name.as_str(), mode);
        made.map_err(|errno| self.name_taken(parent, name, errno))?;
        let child = self.created_child(parent, name, Created::File, owner)?;
        self.expect_own(since, &[(parent, OwnEvent::Create, name.as_str())]);
        Ok(child)
    }

    /// `symlinkat(target, parent_fd, name)`.
    pub(crate) fn symlink(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        target: &str,
        owner: Option<Owner>,
    ) -> Result<DentryId, ErrorCode> {
        check_path(target)?;
        self.make_room(1)?;
        self.changing_names(parent)?;
        self.watch_names(parent);
        let since = self.own_mark();
        let made = sys::symlinkat(target, self.get(parent)?.fd.as_fd(), name.as_str());
        made.map_err(|errno| self.name_taken(parent, name, errno))?;
        let child = self.created_child(parent, name, Created::File, owner)?;
        self.expect_own(since, &[(parent, OwnEvent::Create, name.as_str())]);
        Ok(child)
    }

    /// `symlinkat(target, parent_fd, name)` alone, for a caller that does
    /// not use the new symlink (`wasi:filesystem`'s `symlink-at`): one
    /// syscall, as wasmtime-wasi's. Its dentry is made when a walk first
    /// needs it.
    pub(crate) fn symlink_unopened(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        target: &str,
    ) -> Result<(), ErrorCode> {
        check_path(target)?;
        self.changing_names(parent)?;
        let since = self.own_mark();
        let made = sys::symlinkat(target, self.get(parent)?.fd.as_fd(), name.as_str());
        made.map_err(|errno| self.name_taken(parent, name, errno))?;
        self.made_name(since, parent, name);
        Ok(())
    }

    /// A new name for `target` in `dir`, sharing its inode, linking exactly
    /// the dentry's file:
    /// - `linkat(target_fd, "", dir_fd, name, AT_EMPTY_PATH)` where the host
    ///   allows it (`CAP_DAC_READ_SEARCH`): no name is resolved at all;
    /// - else, as gVisor, `linkat(target_parent_fd, target_name, dir_fd, name,
    ///   0)`, with the old name checked before ([`Tree::verified_name`]) and
    ///   the new one after (a host process may have swapped the old name in
    ///   between): if the new name is not the dentry's file, it is removed
    ///   again → `stale`.
    ///
    /// The new dentry's FD is a `dup` of the target's: one file, no re-open.
    pub(crate) fn link(
        &mut self,
        dir: DentryId,
        target: DentryId,
        name: Name<'_>,
    ) -> Result<DentryId, ErrorCode> {
        self.make_room(1)?;
        self.changing_names(dir)?;
        self.watch_names(dir);
        let since = self.own_mark();
        let linked = self.link_names(dir, target, name);
        let (fd, fd_mode, key, file_type) =
            linked.map_err(|err| self.name_taken(dir, name, err))?;
        self.detach(dir, name.as_str());
        self.negatives.remove(dir, name.as_str());
        let child = self.insert_child_known(dir, name, (fd, fd_mode), key, file_type);
        self.expect_own(since, &[(dir, OwnEvent::Create, name.as_str())]);
        Ok(child)
    }

    /// `linkat(parent_fd, old_name, dir_fd, name, 0)` alone: a new name in
    /// `dir` for whatever `old_name` in `parent` names at this moment (a
    /// symlink linked itself), for a caller that names the file by path and
    /// does not use the new name (`wasi:filesystem`'s `link-at`): one
    /// syscall, as wasmtime-wasi's, and no lookup of either name — the
    /// kernel resolves `old_name` in the directory's FD, so a cached dentry
    /// of it need not be trusted, revalidated or made. The new name's
    /// dentry is made when a walk first needs it.
    ///
    /// A link between two preopens is `cross-device`, as [`Tree::link`]'s,
    /// after the errors Linux's `linkat` answers first (a missing old name,
    /// a new name that exists).
    pub(crate) fn link_unopened(
        &mut self,
        parent: DentryId,
        old_name: Name<'_>,
        dir: DentryId,
        name: Name<'_>,
    ) -> Result<(), ErrorCode> {
        self.changing_names(dir)?;
        let since = self.own_mark();
        let (p, d) = (self.get(parent)?, self.get(dir)?);
        let (parent_fd, dir_fd) = (p.fd.as_fd(), d.fd.as_fd());
        let linked = if p.root == d.root {
            sys::linkat(parent_fd, old_name.as_str(), dir_fd, name.as_str()).map_err(Into::into)
        } else if let Err(errno) = sys::fstatat_nofollow(parent_fd, old_name.as_str().as_bytes()) {
            Err(errno.into())
        } else if sys::fstatat_nofollow(dir_fd, name.as_str().as_bytes()).is_ok() {
            Err(ErrorCode::AlreadyExists)
        } else {
            Err(ErrorCode::CrossDevice)
        };
        linked.map_err(|err: ErrorCode| self.name_taken(dir, name, err))?;
        self.made_name(since, dir, name);
        Ok(())
    }

    /// [`Tree::link`]'s host side: the new name linked, and the new
    /// dentry's FD, mode, identity and type.
    fn link_names(
        &self,
        dir: DentryId,
        target: DentryId,
        name: Name<'_>,
    ) -> Result<(OwnedFd, FdMode, InoKey, FileType), ErrorCode> {
        let t = self.get(target)?;
        let dir_fd = self.get(dir)?.fd.as_fd();
        let refused = if t.root != self.get(dir)?.root {
            Some(ErrorCode::CrossDevice)
        } else if matches!(t.link, Link::Root) || t.file_type == FileType::Directory {
            // A directory cannot be hard-linked (a root is one): Linux's
            // `EPERM`, a removed one's (`link(".")` in it) included.
            Some(ErrorCode::NotPermitted)
        } else {
            None
        };
        if let Some(refused) = refused {
            // As Linux's `linkat`: a new name that exists is
            // `already-exists` before the link itself is refused.
            if sys::fstatat_nofollow(dir_fd, name.as_str().as_bytes()).is_ok() {
                return Err(ErrorCode::AlreadyExists);
            }
            return Err(refused);
        }
        match sys::linkat_empty(t.fd.as_fd(), dir_fd, name.as_str()) {
            Ok(()) => {}
            Err(Errno::EPERM | Errno::ENOENT) => {
                let (t_parent_fd, t_name) = self.verified_name(target)?;
                sys::linkat(t_parent_fd, t_name, dir_fd, name.as_str())?;
                let linked = sys::fstatat_nofollow(dir_fd, name.as_str().as_bytes());
                if !matches!(&linked, Ok(st) if key_of(st) == t.key) {
                    let _ = sys::unlinkat(dir_fd, name.as_str(), UnlinkatFlags::NoRemoveDir);
                    return Err(ErrorCode::Stale);
                }
            }
            Err(errno) => return Err(errno.into()),
        }
        let (key, file_type, fd_mode) = (t.key, t.file_type, t.fd_mode);
        let fd = match sys::dup_cloexec(t.fd.as_fd()) {
            Ok(fd) => fd,
            Err(errno) => {
                let _ = sys::unlinkat(dir_fd, name.as_str(), UnlinkatFlags::NoRemoveDir);
                return Err(errno.into());
            }
        };
        Ok((fd, fd_mode, key, file_type))
    }

    /// The error of a call that was to make `name` in `parent`, after
    /// forgetting a remembered `no-entry` of the name where the error
    /// proves it taken (`already-exists`, `not-empty`): another process
    /// made it since the call's drain (or despite an `exclusive` mount's
    /// promise), and the walk a caller makes next (`open-at` with `create`
    /// and without `exclusive`, a guest trying again) must find it.
    pub(super) fn name_taken(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        err: impl Into<ErrorCode>,
    ) -> ErrorCode {
        let err = err.into();
        if matches!(err, ErrorCode::AlreadyExists | ErrorCode::NotEmpty) {
            self.negatives.remove(parent, name.as_str());
        }
        err
    }

    /// The parent's FD and the name of dentry `id`, for the calls that can
    /// only reach a file through its parent by name (an `O_PATH` dentry's
    /// mode, a symlink's times, a hard link without `AT_EMPTY_PATH`):
    /// checked first with `fstatat(parent_fd, name, AT_SYMLINK_NOFOLLOW)`
    /// to still be the dentry's file (else `stale`), so a file the host put
    /// in its place is not changed. (A swap between the check and the call
    /// is left to the caller's own check after it, where it has one.)
    ///
    /// Errors: `bad-descriptor` for a root, `no-entry` for an unlinked
    /// dentry, `stale` for a replaced one.
    pub(super) fn verified_name(&self, id: DentryId) -> Result<(BorrowedFd<'_>, &str), ErrorCode> {
        let d = self.get(id)?;
        let (parent, name) = match &d.link {
            Link::Child { parent, name } => (*parent, &**name),
            Link::Root => return Err(ErrorCode::BadDescriptor),
            Link::Unlinked => return Err(ErrorCode::NoEntry),
        };
        let parent_fd = self.get(parent)?.fd.as_fd();
        match sys::fstatat_nofollow(parent_fd, name.as_bytes()) {
            Ok(st) if key_of(&st) == d.key => Ok((parent_fd, name)),
            Ok(_) | Err(Errno::ENOENT) => Err(ErrorCode::Stale),
            Err(errno) => Err(errno.into()),
        }
    }

    /// Makes the dentry of a child just created under `name` (as gVisor's
    /// `getCreatedChild`): opens it as [`try_open`] and gives it `owner`; if
    /// either fails, removes the child again so no half-made file stays
    /// behind.
    pub(super) fn created_child(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        kind: Created,
        owner: Option<Owner>,
    ) -> Result<DentryId, ErrorCode> {
        let (extra, unlink_flags) = match kind {
            Created::Directory => (OFlag::O_DIRECTORY, UnlinkatFlags::RemoveDir),
            Created::File => (OFlag::empty(), UnlinkatFlags::NoRemoveDir),
        };
        // A file on a remote filesystem is kept `O_PATH`, as a walk keeps
        // it (`try_open_path_first`): no `OPEN` sent to a FUSE server.
        let path_only = matches!(kind, Created::File) && self.opens_path_first(parent);
        // Only the open can fail with EMFILE, before any effect.
        let made = self.retrying_out_of_fds(|tree| {
            let dir_fd = tree.get(parent).map_err(|_| Errno::EBADF)?.fd.as_fd();
            let opened = if path_only {
                sys::openat(dir_fd, name.as_str(), OFlag::O_PATH, Mode::empty())
                    .map(|fd| (fd, FdMode::Path))
            } else {
                try_open(dir_fd, name.as_str(), extra)
            };
            opened.and_then(|(fd, mode)| {
                if let Some(Owner { uid, gid }) = owner {
                    sys::fchownat_empty(fd.as_fd(), Some(uid), Some(gid))?;
                }
                Ok((sys::fstat(fd.as_fd())?, (fd, mode)))
            })
        });
        let dir_fd = self.get(parent)?.fd.as_fd();
        let (st, opened) = match made {
            Ok(made) => made,
            Err(errno) => {
                // Best effort: the error that matters is the one returned.
                let _ = sys::unlinkat(dir_fd, name.as_str(), unlink_flags);
                return Err(errno.into());
            }
        };
        // A stale dentry of the old file of that name (removed outside
        // directfs), or a remembered `no-entry`, must not shadow the new one.
        self.detach(parent, name.as_str());
        self.negatives.remove(parent, name.as_str());
        // A new directory is watched when first looked into: one made and
        // removed (or only held) costs no watch.
        let watch = match kind {
            Created::Directory => Watch::Later,
            Created::File => Watch::None,
        };
        let known = (key_of(&st), file_type_of_mode(st.st_mode));
        Ok(self.insert_child_as(parent, name, opened, known, watch))
    }

    /// Adds the dentry of `fd` as `name` under `parent`, with one guest
    /// reference.
    ///
    /// # Preconditions
    /// `parent` is live and has no live child `name`; `st` is `fstat(fd)`.
    pub(super) fn insert_child(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        opened: (OwnedFd, FdMode),
        st: &FileStat,
    ) -> DentryId {
        self.insert_child_known(
            parent,
            name,
            opened,
            key_of(st),
            file_type_of_mode(st.st_mode),
        )
    }

    /// [`Tree::insert_child`] of a file whose identity and type are known.
    pub(super) fn insert_child_known(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        opened: (OwnedFd, FdMode),
        key: InoKey,
        file_type: FileType,
    ) -> DentryId {
        self.insert_child_as(parent, name, opened, (key, file_type), Watch::None)
    }

    /// [`Tree::insert_child_known`], the new dentry made with `watch`:
    /// [`Watch::Later`] puts off its watch (see [`Tree::watch_new`]).
    ///
    /// A parent whose own watch was put off is watched first; a child
    /// cached in it so is checked against the host once, after the watch
    /// (a path that caches a name is meant to watch before its syscalls:
    /// this is the safety net, an `fstatat`).
    pub(super) fn insert_child_as(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        (fd, fd_mode): (OwnedFd, FdMode),
        (key, file_type): (InoKey, FileType),
        watch: Watch,
    ) -> DentryId {
        let late = self.watch_before_hanging(parent);
        let (root, policy) = self
            .get(parent)
            .map_or((parent, PreopenOptions::from(Perms::ReadOnly)), |p| {
                (p.root, p.policy)
            });
        // One allocation, shared by the link and the parent's map.
        let name: Arc<str> = name.as_str().into();
        let checked_in = self.call();
        let link = Link::Child {
            parent,
            name: name.clone(),
        };
        let id = self.insert(Dentry::made(
            (Arc::new(fd), fd_mode),
            link,
            (key, file_type),
            (root, policy),
            checked_in,
            watch,
        ));
        if let Ok(p) = self.get_mut(parent) {
            p.children.insert(name.clone(), id);
        }
        // The parent is no leaf now: off the LRU. The new leaf is on it.
        self.settle(parent);
        self.settle(id);
        if late {
            self.check_name(parent, &name);
        }
        id
    }
}

impl Dentry {
    /// A leaf dentry made (looked up or created) by the call numbered
    /// `call`, with one guest reference: open on `fd` (opened as
    /// `fd_mode`), hanging by `link`, of the file with host identity `key`
    /// and type `file_type`, in the mount of `root` with `policy`.
    fn made(
        (fd, fd_mode): (Arc<OwnedFd>, FdMode),
        link: Link,
        (key, file_type): (InoKey, FileType),
        (root, policy): (DentryId, PreopenOptions),
        call: u32,
        watch: Watch,
    ) -> Self {
        Self {
            fd,
            fd_mode,
            link,
            children: Children::default(),
            key,
            file_type,
            root,
            policy,
            refs: AtomicU32::new(1),
            lru_stamp: 0,
            touched: AtomicBool::new(false),
            names_gen: 0,
            checked_in: call | MADE,
            revalidated: AtomicU16::new(0),
            changed: 0,
            watch,
            names_told: false,
        }
    }
}

/// What [`Tree::created_child`] opens.
#[derive(Debug, Clone, Copy)]
pub(super) enum Created {
    Directory,
    /// Anything else (a file, a symlink, a hard link).
    File,
}

/// The open flags and mode of a create with the guest's `flags` and
/// `mode`: `O_CREAT | O_EXCL` added (errors as [`open_flags`] and
/// [`permission_bits`] give them).
fn create_flags(flags: OpenFlags, mode: u32) -> Result<(OFlag, Mode), ErrorCode> {
    let mode = permission_bits(mode)?;
    Ok((open_flags(flags)? | OFlag::O_CREAT | OFlag::O_EXCL, mode))
}

/// Permission bits from the guest: at most `0o7777`, else `invalid`.
pub(super) fn permission_bits(mode: u32) -> Result<Mode, ErrorCode> {
    Mode::from_bits(mode).ok_or(ErrorCode::Invalid)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::os::unix::fs::MetadataExt;
    use std::rc::Rc;

    use rustix::thread::{CapabilitySet, capabilities, set_capabilities};

    use super::super::tests::name;
    use crate::error::ErrorCode;
    use crate::sys::test_hook;
    use crate::types::{Perms, Revalidation};
    use crate::{DirectfsCtx, Filesystem};

    /// Runs `f` on this thread without `CAP_DAC_READ_SEARCH` in its
    /// effective set (capabilities are per thread), as directfs runs when
    /// unprivileged: `linkat(AT_EMPTY_PATH)` then fails, and `link` takes
    /// the name-based path (which CI, running as root, would never take).
    fn without_dac_read_search<R>(f: impl FnOnce() -> R) -> R {
        let all = capabilities(None).unwrap();
        let mut less = all;
        less.effective.remove(CapabilitySet::DAC_READ_SEARCH);
        set_capabilities(None, less).unwrap();
        let result = f();
        set_capabilities(None, all).unwrap();
        result
    }

    /// A tree over a temp dir holding `f` ("original"), `other` ("other")
    /// and `sub/`; the ids of `f` and `sub`, walked.
    fn fixture() -> (
        tempfile::TempDir,
        DirectfsCtx,
        super::DentryId,
        super::DentryId,
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"original").unwrap();
        std::fs::write(dir.path().join("other"), b"other").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let mount = Filesystem::new()
            .mount(dir.path(), Revalidation::Exclusive)
            .unwrap();
        let ctx = DirectfsCtx::builder()
            .mount(&mount, "/", Perms::ReadWrite)
            .unwrap()
            .build();
        let root = mount.root();
        let f = ctx
            .deferring(|tree| tree.walk_path(root, "f", false))
            .unwrap();
        let sub = ctx
            .deferring(|tree| tree.walk_path(root, "sub", false))
            .unwrap();
        (dir, ctx, f, sub)
    }

    /// The names this thread's lookups (`openat`, `fstatat`) see from now on.
    fn record_lookups() -> Rc<RefCell<Vec<String>>> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let to = Rc::clone(&log);
        test_hook::set(move |name| to.borrow_mut().push(name.to_owned()));
        log
    }

    #[test]
    fn link_without_cap_dac_read_search_links_the_checked_name() {
        let (dir, ctx, f, sub) = fixture();
        let lookups = record_lookups();
        without_dac_read_search(|| ctx.deferring(|tree| tree.link(sub, f, name("g")))).unwrap();
        test_hook::clear();
        // The name-based path: the old name checked before, the new after.
        assert_eq!(*lookups.borrow(), ["f", "g"]);
        let (a, b) = (
            std::fs::metadata(dir.path().join("f")).unwrap(),
            std::fs::metadata(dir.path().join("sub/g")).unwrap(),
        );
        assert_eq!((a.ino(), a.nlink()), (b.ino(), 2), "one file, two names");
    }

    /// Guarantee 6 of SECURITY.md on the name-based path: a host process
    /// swaps another file in under the target's name between the check of
    /// the old name and `linkat`; the new name, which then is the other
    /// file's, is removed again and the call fails with `stale`.
    #[test]
    fn link_of_a_name_swapped_after_its_check_is_undone() {
        let (dir, ctx, f, sub) = fixture();
        let (other, target) = (dir.path().join("other"), dir.path().join("f"));
        let swapped = Rc::new(RefCell::new(false));
        let flag = Rc::clone(&swapped);
        test_hook::set(move |name| {
            if name == "f" && !flag.replace(true) {
                std::fs::rename(&other, &target).unwrap();
            }
        });
        let linked = without_dac_read_search(|| ctx.deferring(|tree| tree.link(sub, f, name("g"))));
        test_hook::clear();
        assert!(*swapped.borrow(), "the hook ran after the check");
        assert_eq!(linked, Err(ErrorCode::Stale));
        assert!(!dir.path().join("sub/g").exists(), "the wrong link is gone");
        let now = std::fs::metadata(dir.path().join("f")).unwrap();
        assert_eq!(now.nlink(), 1, "the swapped-in file keeps one link");
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"other");
    }

    /// Remembers `sub/x` as `no-entry`, lets another process make it
    /// (`make`), then calls `call` to make `x` in `sub` again: the call's
    /// error, and whether a walk of `sub/x` after it finds the host's file.
    fn making_a_name_taken_behind_a_no_entry(
        make: impl FnOnce(&std::path::Path),
        mut call: impl FnMut(
            &mut super::Tree,
            super::DentryId,
            super::DentryId,
        ) -> Result<(), ErrorCode>,
    ) -> (Result<(), ErrorCode>, bool) {
        let (dir, ctx, f, sub) = fixture();
        assert_eq!(
            ctx.deferring(|tree| tree.walk(sub, name("x"))),
            Err(ErrorCode::NoEntry)
        );
        make(&dir.path().join("sub/x"));
        let made = ctx.deferring(|tree| call(tree, sub, f));
        let found = ctx.deferring(|tree| tree.walk(sub, name("x"))).is_ok();
        (made, found)
    }

    /// Another process's file, made behind a remembered `no-entry`.
    fn theirs(path: &std::path::Path) {
        std::fs::write(path, b"theirs").unwrap();
    }

    /// A failed `O_EXCL` create proves the name exists: a remembered
    /// `no-entry` of it is dropped, so the walk that `open-at` with
    /// `create` makes next finds the file another process made (SQLite's
    /// writers opening one database at once).
    #[test]
    fn a_create_that_finds_the_name_taken_forgets_its_no_entry() {
        let outcome = making_a_name_taken_behind_a_no_entry(theirs, |tree, sub, _| {
            tree.create(sub, name("x"), crate::OpenFlags::WRITE, 0o644, None)
                .map(|_| ())
        });
        assert_eq!(outcome, (Err(ErrorCode::AlreadyExists), true));
    }

    /// As a create: `mkdirat`'s `EEXIST` drops the remembered `no-entry`.
    #[test]
    fn a_mkdir_that_finds_the_name_taken_forgets_its_no_entry() {
        let outcome = making_a_name_taken_behind_a_no_entry(theirs, |tree, sub, _| {
            tree.mkdir_unopened(sub, name("x"), 0o755)
        });
        assert_eq!(outcome, (Err(ErrorCode::AlreadyExists), true));
    }

    /// As a create: `symlinkat`'s `EEXIST` drops the remembered `no-entry`.
    #[test]
    fn a_symlink_that_finds_the_name_taken_forgets_its_no_entry() {
        let outcome = making_a_name_taken_behind_a_no_entry(theirs, |tree, sub, _| {
            tree.symlink(sub, name("x"), "f", None).map(|_| ())
        });
        assert_eq!(outcome, (Err(ErrorCode::AlreadyExists), true));
    }

    /// As a create: `linkat`'s `EEXIST` drops the remembered `no-entry`.
    #[test]
    fn a_link_that_finds_the_name_taken_forgets_its_no_entry() {
        let outcome = making_a_name_taken_behind_a_no_entry(theirs, |tree, sub, f| {
            tree.link(sub, f, name("x")).map(|_| ())
        });
        assert_eq!(outcome, (Err(ErrorCode::AlreadyExists), true));
    }

    /// A rename onto a name that exists now (`RENAME_NOREPLACE`'s
    /// `EEXIST`, or a directory not empty) drops its remembered `no-entry`.
    #[test]
    fn a_rename_that_finds_the_name_taken_forgets_its_no_entry() {
        let no_replace = making_a_name_taken_behind_a_no_entry(theirs, |tree, sub, _| {
            tree.mkdir_unopened(sub, name("d"), 0o755)?;
            let flags = crate::types::RenameFlags::NO_REPLACE;
            tree.rename(sub, name("d"), sub, name("x"), flags)
        });
        assert_eq!(no_replace, (Err(ErrorCode::AlreadyExists), true));
        let not_empty = making_a_name_taken_behind_a_no_entry(
            |path| {
                std::fs::create_dir(path).unwrap();
                std::fs::write(path.join("in"), b"").unwrap();
            },
            |tree, sub, _| {
                tree.mkdir_unopened(sub, name("d"), 0o755)?;
                let flags = crate::types::RenameFlags::empty();
                tree.rename(sub, name("d"), sub, name("x"), flags)
            },
        );
        assert_eq!(not_empty, (Err(ErrorCode::NotEmpty), true));
    }

    /// An unlink or rmdir that finds the name there (another process made
    /// it behind a remembered `no-entry`: a directory not empty, or of the
    /// other type) forgets the `no-entry`.
    #[test]
    fn an_unlink_that_finds_the_name_there_forgets_its_no_entry() {
        let nonempty_dir = |path: &std::path::Path| {
            std::fs::create_dir(path).unwrap();
            std::fs::write(path.join("in"), b"").unwrap();
        };
        let remove =
            |flags| move |tree: &mut super::Tree, sub, _| tree.unlink(sub, name("x"), flags);
        use nix::unistd::UnlinkatFlags::{NoRemoveDir, RemoveDir};
        let rmdir = making_a_name_taken_behind_a_no_entry(nonempty_dir, remove(RemoveDir));
        assert_eq!(rmdir, (Err(ErrorCode::NotEmpty), true));
        let rmdir_file = making_a_name_taken_behind_a_no_entry(theirs, remove(RemoveDir));
        assert_eq!(rmdir_file, (Err(ErrorCode::NotDirectory), true));
        let unlink_dir = making_a_name_taken_behind_a_no_entry(nonempty_dir, remove(NoRemoveDir));
        assert_eq!(unlink_dir, (Err(ErrorCode::IsDirectory), true));
    }

    /// An unlink that finds the name gone (another process removed it)
    /// forgets the name's dentry: the next walk is `no-entry`, not the
    /// removed file.
    #[test]
    fn an_unlink_that_finds_the_name_gone_forgets_its_dentry() {
        let (dir, ctx, _f, sub) = fixture();
        std::fs::write(dir.path().join("sub/x"), b"").unwrap();
        assert!(ctx.deferring(|tree| tree.walk(sub, name("x"))).is_ok());
        std::fs::remove_file(dir.path().join("sub/x")).unwrap();
        let flags = nix::unistd::UnlinkatFlags::NoRemoveDir;
        assert_eq!(
            ctx.deferring(|tree| tree.unlink(sub, name("x"), flags)),
            Err(ErrorCode::NoEntry)
        );
        assert_eq!(
            ctx.deferring(|tree| tree.walk(sub, name("x"))),
            Err(ErrorCode::NoEntry)
        );
    }

    /// As root, `linkat(AT_EMPTY_PATH)` links the dentry's file itself: no
    /// name is looked up at all.
    #[test]
    fn link_with_cap_dac_read_search_looks_up_no_name() {
        if !capabilities(None)
            .unwrap()
            .effective
            .contains(CapabilitySet::DAC_READ_SEARCH)
        {
            eprintln!("skipped: not privileged (the other path is tested above)");
            return;
        }
        let (dir, ctx, f, sub) = fixture();
        let lookups = record_lookups();
        ctx.deferring(|tree| tree.link(sub, f, name("g"))).unwrap();
        test_hook::clear();
        assert!(lookups.borrow().is_empty(), "{lookups:?}");
        assert_eq!(
            std::fs::read(dir.path().join("sub/g")).unwrap(),
            b"original"
        );
    }
}
