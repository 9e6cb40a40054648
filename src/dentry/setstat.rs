//! `set-stat`: metadata changes, each field with its own syscall on the FD
//! that can do it, as gVisor's `setStatLocked`. Every requested field is
//! attempted; the ones that failed are reported in a mask with the last
//! error, the others took effect.

use std::os::fd::{AsFd, OwnedFd};

use super::create::permission_bits;
use super::{DentryId, FdMode, Tree};
use crate::error::ErrorCode;
use crate::sys;
use crate::types::{FileType, SetStat, SetStatError, SetTime, StatFields};

impl Tree {
    /// Applies `changes` to dentry `id` (see the module docs).
    pub(crate) fn set_stat(&mut self, id: DentryId, changes: &SetStat) -> Result<(), SetStatError> {
        if let Err(error) = self.changing() {
            return Err(SetStatError {
                failed: requested(changes),
                error,
            });
        }
        let mut failed = StatFields::empty();
        let mut error = None;
        let mut record = |field: StatFields, result: Result<(), ErrorCode>| {
            if let Err(err) = result {
                failed |= field;
                error = Some(err);
            }
        };
        // Truncating and timing a regular file need a write FD (gVisor's
        // prepareSetStat): opened once, when first needed.
        let mut write_fd = None;

        if let Some(mode) = changes.mode {
            record(StatFields::MODE, self.chmod(id, mode));
        }
        if let Some(size) = changes.size {
            record(StatFields::SIZE, self.truncate(id, size, &mut write_fd));
        }
        let asked = requested(changes);
        let time_fields = asked & (StatFields::ATIME | StatFields::MTIME);
        if time_fields != StatFields::empty() {
            let result = self.utimens(id, &changes.atime, &changes.mtime, &mut write_fd);
            record(time_fields, result);
        }
        let owner_fields = asked & (StatFields::UID | StatFields::GID);
        if owner_fields != StatFields::empty() {
            record(owner_fields, self.chown(id, changes.uid, changes.gid));
        }
        match error {
            None => Ok(()),
            Some(error) => Err(SetStatError { failed, error }),
        }
    }

    /// `fchmod(fd)`, or for an `O_PATH` dentry (a socket, an unreadable
    /// file) `fchmodat(parent_fd, name, AT_SYMLINK_NOFOLLOW)` once the name
    /// is checked to be the dentry's file ([`Tree::verified_name`]). Linux symlinks
    /// have no mode: `not-supported`.
    fn chmod(&self, id: DentryId, mode: u32) -> Result<(), ErrorCode> {
        let mode = permission_bits(mode)?;
        let d = self.get(id)?;
        match (d.fd_mode, d.file_type) {
            (_, FileType::SymbolicLink) => Err(ErrorCode::NotSupported),
            (FdMode::Read, _) => Ok(sys::fchmod(d.fd.as_fd(), mode)?),
            (FdMode::Path | FdMode::Lent, _) => {
                let (parent_fd, name) = self.verified_name(id)?;
                Ok(sys::fchmodat_nofollow(parent_fd, name, mode)?)
            }
        }
    }

    /// `fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)`.
    fn chown(&self, id: DentryId, uid: Option<u32>, gid: Option<u32>) -> Result<(), ErrorCode> {
        Ok(sys::fchownat_empty(self.get(id)?.fd.as_fd(), uid, gid)?)
    }

    /// `ftruncate` on a write FD.
    fn truncate(
        &self,
        id: DentryId,
        size: u64,
        write_fd: &mut Option<OwnedFd>,
    ) -> Result<(), ErrorCode> {
        let size = crate::handle::file_offset(size)?;
        match self.get(id)?.file_type {
            FileType::Directory => Err(ErrorCode::IsDirectory),
            FileType::RegularFile => {
                Ok(sys::ftruncate(self.write_fd(id, write_fd)?.as_fd(), size)?)
            }
            _ => Err(ErrorCode::Invalid),
        }
    }

    /// `futimens` on a write FD for a regular file and on the dentry FD for
    /// other files; a symlink (or any `O_PATH` dentry) through its parent
    /// with `utimensat(parent_fd, name, AT_SYMLINK_NOFOLLOW)`, once the name
    /// is checked to be the dentry's file ([`Tree::verified_name`]).
    fn utimens(
        &self,
        id: DentryId,
        atime: &SetTime,
        mtime: &SetTime,
        write_fd: &mut Option<OwnedFd>,
    ) -> Result<(), ErrorCode> {
        let (atime, mtime) = (sys::time_spec(atime)?, sys::time_spec(mtime)?);
        let d = self.get(id)?;
        match (d.file_type, d.fd_mode) {
            (FileType::RegularFile, _) => Ok(sys::futimens(
                self.write_fd(id, write_fd)?.as_fd(),
                &atime,
                &mtime,
            )?),
            (FileType::SymbolicLink, _) | (_, FdMode::Path | FdMode::Lent) => {
                let (parent_fd, name) = self.verified_name(id)?;
                Ok(sys::utimensat_nofollow(parent_fd, name, &atime, &mtime)?)
            }
            (_, FdMode::Read) => Ok(sys::futimens(d.fd.as_fd(), &atime, &mtime)?),
        }
    }

    /// The write FD of this `set-stat`, opened (as `open` does) on first use.
    fn write_fd<'a>(
        &self,
        id: DentryId,
        write_fd: &'a mut Option<OwnedFd>,
    ) -> Result<&'a OwnedFd, ErrorCode> {
        if write_fd.is_none() {
            *write_fd = Some(self.open_fd_now(id, nix::fcntl::OFlag::O_WRONLY)?);
        }
        write_fd.as_ref().ok_or(ErrorCode::BadDescriptor)
    }
}

/// Every field `changes` asks to change.
pub(crate) fn requested(changes: &SetStat) -> StatFields {
    [
        (changes.mode.is_some(), StatFields::MODE),
        (changes.uid.is_some(), StatFields::UID),
        (changes.gid.is_some(), StatFields::GID),
        (changes.size.is_some(), StatFields::SIZE),
        (!matches!(changes.atime, SetTime::Omit), StatFields::ATIME),
        (!matches!(changes.mtime, SetTime::Omit), StatFields::MTIME),
    ]
    .into_iter()
    .filter(|(asked, _)| *asked)
    .fold(StatFields::empty(), |all, (_, field)| all | field)
}
