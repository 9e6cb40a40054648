//! Kernel change notifications for [`Revalidation::Coherent`] mounts: what
//! lets the cache be trusted while anyone else changes the directory.
//!
//! Each directory dentry of a coherent mount on a local filesystem is
//! watched with inotify (one watch per host directory, whatever number of
//! dentries — overlapping preopens — it has). The kernel queues an event
//! *before* the changing syscall returns: a name made, removed or moved in
//! the directory, or a file in it written, truncated or given new
//! attributes, by any process, any thread, any stream (stdio), any other
//! preopen or filesystem. Every call that would trust the cache first
//! drains the queue ([`Watcher::drain`], one non-blocking `read`, done by
//! [`crate::Filesystem`] as it takes the tree lock); so a change finished
//! before the call began is seen by it:
//!
//! - a name event makes the tree check that name's cached child (one
//!   `fstatat`: dropped if the host file there is another now) and forget a
//!   remembered `no-entry` for it ([`crate::dentry`]'s `apply_changes`,
//!   under the write lock, which also starts a new tree generation: every
//!   memo of a walk ends);
//! - any event counts as a change for the stat memos
//!   ([`sys::note_notified_change`]);
//! - a queue overflow (or a read error) makes every watched directory's
//!   children be checked, and its `no-entry`s forgotten; a watch the kernel
//!   dropped (`IN_IGNORED`) leaves its directories unwatched.
//!
//! A directory that is not watched — on a filesystem whose changes made
//! elsewhere the kernel is not told of ([`notifies_every_change`]: NFS,
//! CIFS, 9p, every FUSE filesystem, overlayfs, …), or one inotify refused
//! (`max_user_watches`, no read permission, no `/proc`) — is revalidated as
//! [`Revalidation::Shared`] does: never a stale answer, at `shared`'s cost.
//!
//! What it costs: one inotify instance (one host FD, not in the budget) per
//! [`crate::Filesystem`] with a coherent mount; one watch (about 1 KiB of
//! kernel memory, one of the user's `max_user_watches`) per cached or held
//! directory; one `inotify_add_watch` per directory dentry made and one
//! `inotify_rm_watch` per one freed; one `read` per call that takes the
//! tree lock.
//!
//! # Locking
//! `queue` is a mutex of its own, held while the inotify FD is read and
//! while the tree (under its write lock) takes the changes: tree lock, then
//! `queue`, never the other way (a drain holds no tree lock).

use std::os::fd::BorrowedFd;
use std::sync::{Mutex, OnceLock, PoisonError};

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, Inotify, WatchDescriptor};
use nix::sys::statfs::Statfs;

use crate::sys;
#[cfg(doc)]
use crate::types::Revalidation;

/// The size of `struct inotify_event` without its name.
const EVENT_HEADER: usize = 16;

/// The largest event: the header, and a name of `NAME_MAX` bytes with its
/// NUL, padded (as the kernel pads every name) to a multiple of the
/// header's size.
const LARGEST_EVENT: usize = EVENT_HEADER + 256;

/// The events a directory is watched for. Not `IN_ACCESS`: every read of
/// a file in a watched directory would queue one (the kernel's cost on
/// each read, measured at +50% on 4 KiB reads), to tell of an access time
/// that `relatime` moves at most once a day or once after a change; a
/// remembered stat may show the access time before another process's
/// read.
const MASK: AddWatchFlags = AddWatchFlags::IN_CREATE
    .union(AddWatchFlags::IN_DELETE)
    .union(AddWatchFlags::IN_MOVED_FROM)
    .union(AddWatchFlags::IN_MOVED_TO)
    .union(AddWatchFlags::IN_MODIFY)
    .union(AddWatchFlags::IN_ATTRIB)
    .union(AddWatchFlags::IN_DELETE_SELF)
    .union(AddWatchFlags::IN_MOVE_SELF)
    .union(AddWatchFlags::IN_ONLYDIR);

/// The events that change which file a name in the directory is.
const NAME_EVENTS: AddWatchFlags = AddWatchFlags::IN_CREATE
    .union(AddWatchFlags::IN_DELETE)
    .union(AddWatchFlags::IN_MOVED_FROM)
    .union(AddWatchFlags::IN_MOVED_TO);

/// A change the tree must take in under its write lock.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// `name` in the directories watched by `wd` may be another file now
    /// (or none, or one where there was none).
    Name {
        /// The watch.
        wd: WatchDescriptor,
        /// The name, as the guest spells it (names that are not UTF-8 are
        /// never in the tree and are not queued).
        name: Box<str>,
    },
    /// The kernel dropped the watch `wd` (its directory was removed, or
    /// the watch was): its directories are no longer watched.
    Gone(WatchDescriptor),
    /// Events were lost (the kernel's queue overflowed, or a read failed):
    /// anything may have changed in any watched directory.
    Lost,
}

/// A filesystem's inotify instance and the changes read from it that its
/// tree has not taken in yet.
#[derive(Debug, Default)]
pub(crate) struct Watcher {
    /// Made at the first watch; `None` if it could not be made (then no
    /// directory is watched).
    inotify: OnceLock<Option<Inotify>>,
    /// The changes read and not yet taken by the tree. Protected by
    /// itself; held while the inotify FD is read (see "Locking").
    queue: Mutex<Vec<Change>>,
}

impl Watcher {
    /// Watches the directory `dir` is open on. `None` where inotify refuses
    /// (no instance, `ENOSPC` past `max_user_watches`, `EACCES`, no
    /// `/proc`): the caller revalidates that directory instead.
    ///
    /// # Preconditions
    /// Called under the tree's write lock, before anything in the directory
    /// is cached: a change after this returns is queued.
    pub(crate) fn watch(&self, dir: BorrowedFd<'_>) -> Option<WatchDescriptor> {
        let inotify = self
            .inotify
            .get_or_init(|| sys::inotify_init1().ok())
            .as_ref()?;
        sys::inotify_add_watch(inotify, dir, MASK).ok()
    }

    /// Removes watch `wd` (its last dentry was freed). A watch the kernel
    /// already dropped is no error.
    pub(crate) fn unwatch(&self, wd: WatchDescriptor) {
        if let Some(Some(inotify)) = self.inotify.get() {
            let _ = sys::inotify_rm_watch(inotify, wd);
        }
    }

    /// Reads every event the kernel queued when it began (none: one `read`
    /// that says `EAGAIN`; a few: one `read`; no instance: no syscall). Returns whether the tree has
    /// changes to take in ([`Watcher::take`]) before it answers from its
    /// cache. Any event counts as a change for the stat memos.
    ///
    /// The queue's lock is held across the read, so that a drain that finds
    /// the kernel's queue empty because another thread just read it still
    /// finds what that thread read.
    pub(crate) fn drain(&self) -> bool {
        let Some(Some(inotify)) = self.inotify.get() else {
            return false;
        };
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match sys::read_inotify(inotify) {
                Ok(events) => {
                    // Whether the read may have left events behind: it
                    // filled the buffer but for less than a largest event.
                    // Else it took all there were when it began (any later
                    // ones are of changes made during the call: no need).
                    let mut bytes = 0;
                    for event in events {
                        bytes += EVENT_HEADER
                            + event
                                .name
                                .as_ref()
                                .map_or(0, |n| (n.len() + 1).next_multiple_of(EVENT_HEADER));
                        sys::note_notified_change();
                        if let Some(change) = change_of(event.wd, event.mask, event.name) {
                            queue.push(change);
                        }
                    }
                    if bytes + LARGEST_EVENT <= sys::INOTIFY_BUFFER {
                        break;
                    }
                }
                Err(Errno::EAGAIN) => break,
                Err(Errno::EINTR) => {}
                Err(_) => {
                    sys::note_notified_change();
                    queue.push(Change::Lost);
                    break;
                }
            }
        }
        // A long run of changes is as good as a loss: check everything once.
        if queue.len() > 4096 {
            queue.clear();
            queue.push(Change::Lost);
        }
        !queue.is_empty()
    }

    /// The changes read so far, for the tree to take in.
    ///
    /// # Preconditions
    /// Called under the tree's write lock.
    pub(crate) fn take(&self) -> Vec<Change> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What an event asks of the tree: `None` for one that changes no name
/// (data, attributes, access: counted as a change for the stat memos only).
fn change_of(
    wd: WatchDescriptor,
    mask: AddWatchFlags,
    name: Option<std::ffi::OsString>,
) -> Option<Change> {
    if mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
        return Some(Change::Lost);
    }
    if mask.contains(AddWatchFlags::IN_IGNORED) {
        return Some(Change::Gone(wd));
    }
    if !mask.intersects(NAME_EVENTS) {
        return None;
    }
    let name = name?.into_string().ok()?;
    Some(Change::Name {
        wd,
        name: name.into_boxed_str(),
    })
}

/// Whether the kernel hears of every change to the filesystem `st`
/// describes, wherever it is made: a local disk or memory filesystem
/// (ext2/3/4, XFS, Btrfs, tmpfs, F2FS, ZFS, bcachefs, …). Not network,
/// cluster and FUSE filesystems (another host's change is not notified
/// here), nor overlayfs (a change to a lower or upper layer made beside
/// the overlay is not), nor anything unknown.
pub(crate) fn notifies_every_change(st: &Statfs) -> bool {
    // `statfs(2)`'s magic numbers.
    const LOCAL: &[i64] = &[
        0xEF53,      // ext2, ext3, ext4
        0x5846_5342, // XFS
        0x9123_683E, // Btrfs
        0x0102_1994, // tmpfs
        0x8584_58F6, // ramfs
        0xF2F5_2010, // F2FS
        0x2FC1_2FC1, // ZFS
        0xCA45_1A4E, // bcachefs
        0x3153_464A, // JFS
        0x5265_4973, // ReiserFS
        0x4D44,      // FAT
        0x2011_BAB0, // exFAT
        0x7366_746E, // ntfs3
        0x5346_544E, // NTFS
        0x482B,      // HFS+
        0x3434,      // NILFS
        0x7371_7368, // SquashFS
        0x9660,      // ISO 9660
        0xE0F5_E1E2, // EROFS
        0x1501_3346, // UDF
    ];
    #[expect(
        clippy::useless_conversion,
        reason = "f_type is i64 on some targets, i32 or u32 on others"
    )]
    let magic = i64::from(st.filesystem_type().0);
    LOCAL.contains(&magic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_that_change_names_are_queued_others_only_counted() {
        let dir = tempfile::tempdir().unwrap();
        let dir = std::fs::File::open(dir.path()).unwrap();
        let watcher = Watcher::default();
        let wd = watcher.watch(std::os::fd::AsFd::as_fd(&dir)).unwrap();
        let name = || Some(std::ffi::OsString::from("f"));
        for mask in [
            AddWatchFlags::IN_CREATE,
            AddWatchFlags::IN_DELETE,
            AddWatchFlags::IN_MOVED_FROM,
            AddWatchFlags::IN_MOVED_TO,
            AddWatchFlags::IN_CREATE | AddWatchFlags::IN_ISDIR,
        ] {
            assert_eq!(
                change_of(wd, mask, name()),
                Some(Change::Name {
                    wd,
                    name: "f".into()
                }),
                "{mask:?}"
            );
        }
        for mask in [
            AddWatchFlags::IN_MODIFY,
            AddWatchFlags::IN_ATTRIB,
            AddWatchFlags::IN_ACCESS,
            AddWatchFlags::IN_DELETE_SELF,
        ] {
            assert_eq!(change_of(wd, mask, name()), None, "{mask:?}");
        }
        assert_eq!(
            change_of(wd, AddWatchFlags::IN_Q_OVERFLOW, None),
            Some(Change::Lost)
        );
        assert_eq!(
            change_of(wd, AddWatchFlags::IN_IGNORED, None),
            Some(Change::Gone(wd))
        );
    }
}
