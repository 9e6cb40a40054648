//! Opening a dentry's file for I/O: a new host FD (re-opened from the
//! parent, identity checked) in a [`Handle`]; or, for a WASI descriptor of
//! a name the tree caches nothing of, the name opened ([`Tree::open_private`]).

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::FileStat;

use super::inode::key_of;
use super::{DentryId, FdMode, Link, Tree, count_lookups, deferred, trusts};
use crate::error::ErrorCode;
use crate::handle::Handle;
use crate::name::Name;
use crate::sys;
use crate::sys::file_type_of_mode;
use crate::types::{FileType, OpenFlags};

/// How many names [`Tree::found_existing`] keeps.
const EXISTING_HINTS: usize = 8;

impl Tree {
    /// Whether a WASI create lately found `name` in `parent` already there
    /// ([`Tree::note_existing`]; the tree caches nothing of it: the file's
    /// dentry was private to its descriptor). A hint only: the open that
    /// trusts it is made without `O_CREAT`, and creates where it misses.
    pub(crate) fn found_existing(&self, parent: DentryId, name: Name<'_>) -> bool {
        self.existing
            .iter()
            .any(|(dir, known)| *dir == parent && **known == *name.as_str())
    }

    /// Notes that a WASI create found `name` in `parent` already there (see
    /// [`Tree::found_existing`]): a program that opens one file with
    /// `O_CREAT` again and again (appending to a log, say) pays its
    /// `O_EXCL` attempt once.
    pub(crate) fn note_existing(&mut self, parent: DentryId, name: Name<'_>) {
        if self.found_existing(parent, name) {
            return;
        }
        if self.existing.len() == EXISTING_HINTS {
            self.existing.pop_front();
        }
        self.existing.push_back((parent, name.as_str().into()));
    }

    /// Forgets what [`Tree::note_existing`] noted of `name` in `parent`
    /// (an open of it found it gone).
    pub(crate) fn forget_existing(&mut self, parent: DentryId, name: Name<'_>) {
        self.existing
            .retain(|(dir, known)| *dir != parent || **known != *name.as_str());
    }

    /// Opens the dentry's file again with `flags`, as gVisor's `openHandle`:
    /// through the parent's FD by name (the only way to re-open without
    /// procfs), checking that the same file was opened. A directory (and a
    /// root, which has no parent) is opened as `openat(fd, ".")`, which
    /// cannot miss.
    pub(crate) fn open(&mut self, id: DentryId, flags: OpenFlags) -> Result<Handle, ErrorCode> {
        self.make_room(1)?;
        let fd = self.open_fd(id, open_flags(flags)?)?;
        Ok(self.new_handle(id, fd, flags))
    }

    /// `openat(parent_fd, name, flags | O_NOFOLLOW | O_NONBLOCK)` and
    /// `fstat`, for a WASI descriptor of a name the tree caches nothing of
    /// (no child, no remembered `no-entry`: [`Tree::knows_name`]; or one
    /// that an exclusive create just found there), not to be created here:
    /// the kernel opens the name as
    /// wasmtime-wasi's `open-at` has it open it, two syscalls where a walk
    /// and a re-open of its dentry by name made four (and a fifth, the
    /// dentry's `close`, when the cache let it go). The file's dentry is
    /// private to the descriptor, as [`Tree::create_private`]'s: cached
    /// under no name, gone with the descriptor; a later walk of the name
    /// opens one of its own.
    ///
    /// `None` where the name is a symlink (`ELOOP`: the caller walks it,
    /// following it or not) or a directory (a descriptor of a directory is
    /// used for paths, through a cached dentry: this one is cached under
    /// `name`, as [`Tree::walk`] caches what it opens, for the caller's walk
    /// to find). A `no-entry` is remembered as [`Tree::walk`] remembers one.
    ///
    /// With `TRUNCATE` the kernel truncates what it opens (`O_TRUNC`), as
    /// wasmtime-wasi's open does: there is no dentry whose identity the
    /// file must have (a cached one is opened by [`Tree::open`], checked,
    /// and only then truncated); a symlink (`O_NOFOLLOW`), a directory
    /// (`EISDIR`, being opened to write) and a FIFO or device (which
    /// `O_TRUNC` leaves alone) are not truncated. The call is then not run
    /// again ([`Tree::changing`]).
    ///
    /// # Preconditions
    /// `flags` has no `DIRECTORY`; `parent` is a directory dentry the
    /// caller holds.
    pub(crate) fn open_private(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        flags: OpenFlags,
    ) -> Result<Option<(DentryId, Handle)>, ErrorCode> {
        let oflags = open_flags(flags)? | OFlag::O_NONBLOCK;
        if oflags.contains(OFlag::O_TRUNC) {
            self.changing()?;
        }
        self.watch_later(parent);
        let shared = !trusts(self.get(parent)?) || self.walks_afresh();
        // What is found is cached in `parent` (a directory, a `no-entry`):
        // told of from before the syscall, as a walk's.
        self.watch_names(parent);
        self.make_room(1)?;
        let (opened, answered) = match self.open_name_answer(parent, name.as_str(), oflags)? {
            Some(found) => (found, true),
            None => {
                count_lookups(0, 1);
                let opened = self.retrying_out_of_fds(|tree| {
                    let dir_fd = tree.get(parent).map_err(|_| Errno::EBADF)?.fd.as_fd();
                    deferred::reopen(dir_fd, name.as_str(), oflags)
                });
                (opened, false)
            }
        };
        let (fd, st) = match opened {
            Ok((fd, Some(st))) => (fd, st),
            // Not reached: only `.` is re-opened with no `fstat`.
            Ok((_, None)) => return Ok(None),
            Err(Errno::ELOOP) => return Ok(None),
            Err(Errno::ENOENT) => {
                if !shared {
                    self.remember_no_entry(parent, name.as_str(), true);
                }
                return Err(ErrorCode::NoEntry);
            }
            Err(errno) => return Err(errno.into()),
        };
        if file_type_of_mode(st.st_mode) == FileType::Directory {
            if !answered {
                self.keep_miss();
            }
            // Opened as a walk opens it (`O_RDONLY | O_NONBLOCK`: nothing
            // else opens a directory).
            let child = self.insert_child(parent, name, (fd, FdMode::Read), &st);
            self.release(child);
            return Ok(None);
        }
        let handle = Handle::new(fd, self.budget.charge_token());
        let child = self.insert_private(parent, &handle, &st)?;
        Ok(Some((child, self.handle_of(child, handle, flags))))
    }

    /// The FD of [`Tree::open`]. Opening never blocks the host thread, not
    /// even on a FIFO with no writer: the open is `O_NONBLOCK`, and the FD
    /// stays so (a host thread never blocks in the kernel on a guest's
    /// behalf: [`Tree::new_handle`] makes blocking I/O a wait that can be
    /// interrupted).
    ///
    /// No side effect happens before the identity check: a file opened by
    /// name is opened without `O_TRUNC`, checked to be the dentry's file,
    /// and only then truncated (`ftruncate` of the verified FD), so a file
    /// the host put in its place is never emptied.
    ///
    /// The open itself may be made with the tree unlocked ([`deferred`]).
    pub(super) fn open_fd(&mut self, id: DentryId, oflags: OFlag) -> Result<OwnedFd, ErrorCode> {
        let (dir, name, opening) = self.reopen_target(id, oflags)?;
        let opened = match self.open_answer(id, opening, dir, &name)? {
            Some(found) => found,
            None => self.retrying_out_of_fds(|tree| {
                deferred::reopen(
                    tree.get(dir).map_err(|_| Errno::EBADF)?.fd.as_fd(),
                    &name,
                    opening,
                )
            }),
        };
        let fd = self.check_reopened(id, opened?)?;
        if oflags.contains(OFlag::O_TRUNC) && self.get(id)?.file_type == FileType::RegularFile {
            self.changing()?;
            sys::ftruncate(fd.as_fd(), 0)?;
        }
        Ok(fd)
    }

    /// [`Tree::open_fd`] under the lock, without `O_TRUNC`.
    pub(super) fn open_fd_now(&self, id: DentryId, oflags: OFlag) -> Result<OwnedFd, ErrorCode> {
        let (dir, name, opening) = self.reopen_target(id, oflags & !OFlag::O_TRUNC)?;
        let opened = deferred::reopen(self.get(dir)?.fd.as_fd(), &name, opening);
        self.check_reopened(id, opened?)
    }

    /// Where [`Tree::open_fd`] re-opens dentry `id`: `(directory, name,
    /// flags)`. `.` of the dentry's own FD for a directory or a root: that
    /// is the dentry's file, with nothing to check (and `O_TRUNC` on a
    /// directory fails, as it should). Anything else by name in its parent,
    /// without `O_TRUNC` (applied after the identity check).
    pub(super) fn reopen_target(
        &self,
        id: DentryId,
        oflags: OFlag,
    ) -> Result<(DentryId, Arc<str>, OFlag), ErrorCode> {
        let d = self.get(id)?;
        let opening = oflags | OFlag::O_NONBLOCK;
        match (&d.link, d.file_type) {
            (Link::Root, _) | (_, FileType::Directory) => {
                Ok((id, Arc::from("."), opening | OFlag::O_DIRECTORY))
            }
            (Link::Child { parent, name }, _) => {
                Ok((*parent, name.clone(), opening & !OFlag::O_TRUNC))
            }
            (Link::Unlinked, _) => Err(ErrorCode::NoEntry),
        }
    }

    /// The FD of a re-open of dentry `id`, once its file is checked to be
    /// the dentry's (`stale` if not).
    pub(super) fn check_reopened(
        &self,
        id: DentryId,
        (fd, st): (OwnedFd, Option<FileStat>),
    ) -> Result<OwnedFd, ErrorCode> {
        match st {
            Some(st) if key_of(&st) != self.get(id)?.key => Err(ErrorCode::Stale),
            _ => Ok(fd),
        }
    }

    /// The handle of `fd`, opened for dentry `id` with the guest's `flags`.
    /// `fd` stays `O_NONBLOCK` (see [`Tree::open_fd`]); for the files where
    /// blocking matters (not regular files or directories) opened without
    /// `nonblock`, the handle's I/O waits for readiness, interruptibly
    /// ([`crate::Interrupter`]), instead of blocking in the kernel.
    pub(super) fn new_handle(&mut self, id: DentryId, fd: OwnedFd, flags: OpenFlags) -> Handle {
        let handle = Handle::new(fd, self.budget.charge_token());
        self.handle_of(id, handle, flags)
    }

    /// [`Tree::new_handle`] of a handle made already (its FD charged).
    pub(super) fn handle_of(
        &mut self,
        id: DentryId,
        mut handle: Handle,
        flags: OpenFlags,
    ) -> Handle {
        if let Ok(d) = self.get(id) {
            let blocking_matters =
                !matches!(d.file_type, FileType::RegularFile | FileType::Directory);
            let waits = blocking_matters && !flags.contains(OpenFlags::NONBLOCK);
            handle = handle.with_policy(waits, d.policy.blocking);
            let (readable, writable) = (
                flags.contains(OpenFlags::READ),
                flags.contains(OpenFlags::WRITE),
            );
            self.inodes
                .note_open(d.key, handle.shared_fd(), readable, writable);
        }
        handle
    }
}

/// The access mode and flags of an open with `flags`.
///
/// Errors: `invalid` without `read` or `write`, or with `append` or
/// `truncate` but not `write`.
pub(super) fn open_flags(flags: OpenFlags) -> Result<OFlag, ErrorCode> {
    let mut oflags = match (
        flags.contains(OpenFlags::READ),
        flags.contains(OpenFlags::WRITE),
    ) {
        (true, true) => OFlag::O_RDWR,
        (false, true) => OFlag::O_WRONLY,
        (true, false) => OFlag::O_RDONLY,
        (false, false) => return Err(ErrorCode::Invalid),
    };
    let needs_write = flags.intersects(OpenFlags::APPEND | OpenFlags::TRUNCATE);
    if needs_write && !flags.contains(OpenFlags::WRITE) {
        return Err(ErrorCode::Invalid);
    }
    for (flag, oflag) in [
        (OpenFlags::APPEND, OFlag::O_APPEND),
        (OpenFlags::TRUNCATE, OFlag::O_TRUNC),
        (OpenFlags::DIRECTORY, OFlag::O_DIRECTORY),
        (OpenFlags::NONBLOCK, OFlag::O_NONBLOCK),
    ] {
        if flags.contains(flag) {
            oflags |= oflag;
        }
    }
    Ok(oflags)
}

/// Whether an open with `flags` may change the file.
pub(crate) fn writes(flags: OpenFlags) -> bool {
    flags.intersects(OpenFlags::WRITE | OpenFlags::APPEND | OpenFlags::TRUNCATE)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::super::tests::{name, tree_with_root};
    use super::*;

    /// [`Tree::open_private`]: a file's name is opened by the kernel, for
    /// reading or writing, and its dentry is the descriptor's own (no name
    /// cached, gone with its reference); a directory is cached as a walk
    /// caches it, and left to the walk; a symlink is left to the walk,
    /// nothing cached; a missing name is `no-entry`.
    #[test]
    fn a_name_the_tree_caches_nothing_of_is_opened_by_the_kernel() {
        let (dir, mut tree, root) = tree_with_root();
        tree.set_cache_limits(100, 100);
        std::fs::write(dir.path().join("f"), b"data").unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::os::unix::fs::symlink("f", dir.path().join("l")).unwrap();
        let ino = std::fs::metadata(dir.path().join("f")).unwrap().ino();

        for flags in [OpenFlags::READ, OpenFlags::WRITE | OpenFlags::APPEND] {
            let opened = tree.open_private(root, name("f"), flags).unwrap();
            let (file, handle) = opened.expect("a file is opened");
            assert_eq!(sys::fstat(handle.fd()).unwrap().st_ino, ino);
            assert_eq!(tree.file_type(file), Ok(FileType::RegularFile));
            assert!(!tree.knows_name(root, name("f")), "no name cached");
            if flags.contains(OpenFlags::WRITE) {
                nix::unistd::write(handle.fd(), b"!").unwrap();
            }
            tree.release(file);
            assert!(tree.get(file).is_err(), "gone with its reference");
        }
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"data!");

        assert!(matches!(
            tree.open_private(root, name("d"), OpenFlags::READ),
            Ok(None)
        ));
        assert!(tree.knows_name(root, name("d")), "cached for the walk");
        assert!(matches!(
            tree.open_private(root, name("l"), OpenFlags::READ),
            Ok(None)
        ));
        assert!(!tree.knows_name(root, name("l")));
        assert!(matches!(
            tree.open_private(root, name("missing"), OpenFlags::READ),
            Err(ErrorCode::NoEntry)
        ));
    }

    /// [`Tree::open_private`] with `TRUNCATE` truncates the file at the name
    /// as it opens it (`O_TRUNC`); a symlink there is left whole, its
    /// target too (the walk that follows it opens, checks, then
    /// truncates), and a directory is not opened to write (`is-directory`).
    #[test]
    fn a_truncating_open_of_a_name_truncates_only_the_file_there() {
        let (dir, mut tree, root) = tree_with_root();
        std::fs::write(dir.path().join("f"), b"data").unwrap();
        std::fs::write(dir.path().join("t"), b"target").unwrap();
        std::os::unix::fs::symlink("t", dir.path().join("l")).unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let trunc = OpenFlags::WRITE | OpenFlags::TRUNCATE;

        let (file, handle) = tree.open_private(root, name("f"), trunc).unwrap().unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"");
        nix::unistd::write(handle.fd(), b"new").unwrap();
        drop(handle);
        tree.release(file);
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"new");

        assert!(matches!(
            tree.open_private(root, name("l"), trunc),
            Ok(None)
        ));
        assert_eq!(std::fs::read(dir.path().join("t")).unwrap(), b"target");
        assert!(matches!(
            tree.open_private(root, name("d"), trunc),
            Err(ErrorCode::IsDirectory)
        ));
    }
}
