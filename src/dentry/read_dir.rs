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

/// How much of a directory one read takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Take {
    /// At most this many entries (names that are not UTF-8 count too).
    pub(crate) entries: u32,
    /// No more once the entries' names, plus `record` bytes each, reach
    /// this many bytes (`u64::MAX`: no bound in bytes): the size of what a
    /// caller will write of them.
    pub(crate) bytes: u64,
    /// See `bytes`.
    pub(crate) record: u64,
}

impl Take {
    /// At most `max` entries.
    pub(crate) fn entries(max: u32) -> Self {
        Self {
            entries: max,
            bytes: u64::MAX,
            record: 0,
        }
    }
}

/// Entries, each with the cursor that reads the directory again from it,
/// and the cursor after them (`None` at the end).
pub(crate) type Positioned = (Vec<(DirEntry, u64)>, Option<u64>);

impl Tree {
    /// Lists directory `id` from `cursor`, at most `max` entries: names, types
    /// and inode numbers from `getdents64` alone.
    pub(crate) fn read_dir(
        &mut self,
        id: DentryId,
        cursor: u64,
        max: u32,
    ) -> Result<DirPage, ErrorCode> {
        let (entries, next, skipped) = self.read_dir_with(
            id,
            cursor,
            Take::entries(max),
            |inodes, dir, dev, dirent, name| Some(dir_entry(inodes, dir, dev, dirent, name)),
        )?;
        Ok(DirPage {
            entries,
            next,
            skipped,
        })
    }

    /// [`Tree::read_dir`] of what `take` says, with, beside each entry, the
    /// cursor that lists the directory again from that entry on (preview
    /// 1's `fd_readdir` keeps one such cursor per pass, not the entries).
    pub(crate) fn read_dir_positioned(
        &mut self,
        id: DentryId,
        cursor: u64,
        take: Take,
    ) -> Result<Positioned, ErrorCode> {
        let (entries, next, _) =
            self.read_dir_with(id, cursor, take, |inodes, dir, dev, dirent, name| {
                Some((dir_entry(inodes, dir, dev, dirent, name), dirent.position))
            })?;
        Ok((entries, next))
    }

    /// As [`Tree::read_dir`], with each entry's full stat from
    /// `fstatat(dir_fd, name, AT_SYMLINK_NOFOLLOW)`, in the same call.
    pub(crate) fn read_dir_plus(
        &mut self,
        id: DentryId,
        cursor: u64,
        max: u32,
    ) -> Result<DirPlusPage, ErrorCode> {
        let (entries, next, skipped) = self.read_dir_with(
            id,
            cursor,
            Take::entries(max),
            |inodes, dir, _, dirent, name| {
                // An entry removed since getdents64 is left out.
                let st = sys::fstatat_nofollow(dir, dirent.name).ok()?;
                Some(DirEntryPlus {
                    name: name.to_owned(),
                    stat: inodes.stat(&st),
                })
            },
        )?;
        Ok(DirPlusPage {
            entries,
            next,
            skipped,
        })
    }

    /// The listing loop of [`Tree::read_dir`] and [`Tree::read_dir_plus`]:
    /// `make` turns each UTF-8-named entry into an item (or leaves it out).
    /// Names that are not UTF-8 are left out and counted; they count towards
    /// `take`'s entries, so a page's work stays bounded.
    pub(super) fn read_dir_with<T>(
        &mut self,
        id: DentryId,
        cursor: u64,
        take: Take,
        mut make: impl FnMut(&mut Inodes, BorrowedFd<'_>, u64, &sys::Dirent<'_>, &str) -> Option<T>,
    ) -> Result<(Vec<T>, Option<u64>, u32), ErrorCode> {
        if take.entries == 0 {
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
            FdMode::Path | FdMode::Lent => {
                reopened = sys::openat(
                    dir.fd.as_fd(),
                    ".",
                    OFlag::O_RDONLY | OFlag::O_DIRECTORY,
                    Mode::empty(),
                )?;
                reopened.as_fd()
            }
        };
        let (mut items, mut seen, mut skipped, mut bytes) = (Vec::new(), 0u32, 0u32, 0u64);
        // A host record is about the size of a guest one: read little more
        // than a bound in bytes needs; else about `entries` records.
        let buf_bytes = match take.bytes {
            u64::MAX => sys::dirent_buf_for(take.entries),
            wanted => usize::try_from(wanted).map_or(usize::MAX, |b| b.saturating_add(512)),
        };
        let next = sys::getdents64(fd, cursor, buf_bytes, |dirent| {
            if seen >= take.entries || bytes >= take.bytes {
                return ControlFlow::Break(());
            }
            seen += 1;
            bytes = bytes.saturating_add(take.record + dirent.name.len() as u64);
            match std::str::from_utf8(dirent.name) {
                Ok(name) => items.extend(make(inodes, fd, dev, &dirent, name)),
                Err(_) => skipped += 1,
            }
            ControlFlow::Continue(())
        })?;
        Ok((items, next, skipped))
    }
}

/// The [`DirEntry`] of `dirent` (named `name`) in directory `dir` on host
/// device `dev`.
fn dir_entry(
    inodes: &Inodes,
    dir: BorrowedFd<'_>,
    dev: u64,
    dirent: &sys::Dirent<'_>,
    name: &str,
) -> DirEntry {
    let file_type = match file_type_of_dirent(dirent.kind) {
        // A filesystem without `d_type`: ask it, as `ls` does.
        FileType::Unknown => sys::fstatat_nofollow(dir, dirent.name)
            .map_or(FileType::Unknown, |st| file_type_of_mode(st.st_mode)),
        known => known,
    };
    DirEntry {
        name: name.to_owned(),
        ino: inodes.ino((dev, dirent.ino)),
        file_type,
    }
}
