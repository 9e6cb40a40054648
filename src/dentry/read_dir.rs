//! Reading a directory in pages, with or without a stat per entry.

use std::ops::ControlFlow;
use std::os::fd::{AsFd, BorrowedFd};

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use super::inode::Inodes;
use super::tree::slot_dentry;
use super::{DentryId, FdMode, Tree};
use crate::error::ErrorCode;
use crate::sys;
use crate::sys::{file_type_of_dirent, file_type_of_mode};
use crate::types::{DirEntry, DirEntryPlus, DirPage, DirPlusPage, FileType};

impl Tree {
    /// Lists directory `id` from `cursor`, at most `max` entries: names, types
    /// and inode numbers from `getdents64` alone.
    pub(crate) fn read_dir(
        &mut self,
        id: DentryId,
        cursor: u64,
        max: u32,
    ) -> Result<DirPage, ErrorCode> {
        let (entries, next, skipped) =
            self.read_dir_with(id, cursor, max, |inodes, dir, dev, dirent, name| {
                let file_type = match file_type_of_dirent(dirent.kind) {
                    // A filesystem without `d_type`: ask it, as `ls` does.
                    FileType::Unknown => sys::fstatat_nofollow(dir, dirent.name)
                        .map_or(FileType::Unknown, |st| file_type_of_mode(st.st_mode)),
                    known => known,
                };
                Some(DirEntry {
                    name: name.to_owned(),
                    ino: inodes.ino((dev, dirent.ino)),
                    file_type,
                })
            })?;
        Ok(DirPage {
            entries,
            next,
            skipped,
        })
    }

    /// As [`Tree::read_dir`], with each entry's full stat from
    /// `fstatat(dir_fd, name, AT_SYMLINK_NOFOLLOW)`, in the same call.
    pub(crate) fn read_dir_plus(
        &mut self,
        id: DentryId,
        cursor: u64,
        max: u32,
    ) -> Result<DirPlusPage, ErrorCode> {
        let (entries, next, skipped) =
            self.read_dir_with(id, cursor, max, |inodes, dir, _, dirent, name| {
                // An entry removed since getdents64 is left out.
                let st = sys::fstatat_nofollow(dir, dirent.name).ok()?;
                Some(DirEntryPlus {
                    name: name.to_owned(),
                    stat: inodes.stat(&st),
                })
            })?;
        Ok(DirPlusPage {
            entries,
            next,
            skipped,
        })
    }

    /// The listing loop of [`Tree::read_dir`] and [`Tree::read_dir_plus`]:
    /// `make` turns each UTF-8-named entry into an item (or leaves it out).
    /// Names that are not UTF-8 are left out and counted; they count towards
    /// `max`, so a page's work stays bounded.
    pub(super) fn read_dir_with<T>(
        &mut self,
        id: DentryId,
        cursor: u64,
        max: u32,
        mut make: impl FnMut(&mut Inodes, BorrowedFd<'_>, u64, &sys::Dirent<'_>, &str) -> Option<T>,
    ) -> Result<(Vec<T>, Option<u64>, u32), ErrorCode> {
        if max == 0 {
            return Err(ErrorCode::Invalid);
        }
        let Self { slots, inodes, .. } = self;
        let dir = slot_dentry(slots, id)?;
        let dev = dir.key.0;
        // A dentry FD opened `O_PATH` cannot be read: open the directory
        // itself for reading (a symlink's FD fails here with ENOTDIR).
        let reopened;
        let fd = match dir.fd_mode {
            FdMode::Read => dir.fd.as_fd(),
            FdMode::Path => {
                reopened = sys::openat(
                    dir.fd.as_fd(),
                    ".",
                    OFlag::O_RDONLY | OFlag::O_DIRECTORY,
                    Mode::empty(),
                )?;
                reopened.as_fd()
            }
        };
        let (mut items, mut seen, mut skipped) = (Vec::new(), 0u32, 0u32);
        let next = sys::getdents64(fd, cursor, |dirent| {
            if seen >= max {
                return ControlFlow::Break(());
            }
            seen += 1;
            match std::str::from_utf8(dirent.name) {
                Ok(name) => items.extend(make(inodes, fd, dev, &dirent, name)),
                Err(_) => skipped += 1,
            }
            ControlFlow::Continue(())
        })?;
        Ok((items, next, skipped))
    }
}
