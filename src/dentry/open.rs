//! Opening a dentry's file for I/O: a new host FD (re-opened from the
//! parent, identity checked) in a [`Handle`].

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::FileStat;

use super::inode::key_of;
use super::{DentryId, Link, Tree, deferred};
use crate::error::ErrorCode;
use crate::handle::Handle;
use crate::sys;
use crate::types::{FileType, OpenFlags};

impl Tree {
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
