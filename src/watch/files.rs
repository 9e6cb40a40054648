//! Watches of the files whose stats are remembered: what tells of a
//! change the watch of a file's directory is not told of. See the parent
//! module.
//!
//! The kernel tells a directory's watch of a change to a file named in it
//! made through that name (a write, new attributes), but some changes of a
//! file reach only a watch of the file itself: its link count and
//! `st_ctime`, when a hard link to it is made or removed in a directory
//! that is not watched (`fsnotify_link_count` tells the inode alone). A
//! stat of a file remembered on its directory's watch alone would miss
//! it.
//!
//! So a file's stat is remembered only while the file itself is watched
//! ([`Watcher::vouch_file`]) for its attributes ([`FILE`]). A file is
//! watched at the second stat in a row of the same name that would be
//! remembered: a walk that stats each file once watches none; a guest that
//! stats one file again and again pays one `inotify_add_watch` once. At
//! most [`FILE_WATCHES`] are kept, the least recently used removed first.

use std::collections::{HashMap, VecDeque};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::PoisonError;

use crate::sys::{self, WatchDescriptor, WatchFlags};

use super::{Instance, Watcher};

/// How many files are watched at most (see the module doc): each is a
/// watch (about 1 KiB of kernel memory, one of `max_user_watches`).
pub(super) const FILE_WATCHES: usize = 64;

/// How many of the names last asked to vouch for are remembered, to tell
/// a second stat of the same name.
const SEEN: usize = 8;

/// What a file's watch tells of: its attributes, its link count included
/// (not its data: a write queues no event for it, and a host that writes
/// a file a guest stats pays nothing for the watch; a write through a
/// descriptor opened under another name, since removed, is told to no
/// watch of the tree's).
const FILE: WatchFlags = WatchFlags::ATTRIB;

/// The files watched, by the watch of their directory and their name
/// there. Protected by [`Watcher::queue`].
#[derive(Debug, Default)]
pub(super) struct Files {
    /// Each watched name's file watch.
    by_name: HashMap<(WatchDescriptor, Box<str>), WatchDescriptor>,
    /// The file watches, least recently vouched for first.
    order: VecDeque<WatchDescriptor>,
    /// The names last asked for and not watched, newest last.
    seen: VecDeque<(WatchDescriptor, Box<str>)>,
}

impl Files {
    /// `name` in the directory watched by `dir` may be another file now:
    /// its file watch no longer vouches for it.
    pub(super) fn forget_name(&mut self, dir: WatchDescriptor, name: &[u8]) {
        if self.by_name.is_empty() {
            return;
        }
        if let Ok(name) = std::str::from_utf8(name) {
            self.by_name.remove(&(dir, Box::from(name)));
        }
    }

    /// Events were lost: any name may be another file now.
    pub(super) fn forget_all(&mut self) {
        self.by_name.clear();
    }

    /// Watch `wd` is gone (the file was removed, or the directory's
    /// watch was): nothing it vouched for stands.
    pub(super) fn forget(&mut self, wd: WatchDescriptor) {
        if self.by_name.is_empty() {
            return;
        }
        self.by_name
            .retain(|(dir, _), file| *dir != wd && *file != wd);
        self.order.retain(|&file| file != wd);
    }
}

impl Watcher {
    /// Whether a stat of `name` in directory `dir` (watched by `dir_wd`),
    /// taken in this call, may be remembered as far as changes that reach
    /// only the file itself go: yes where the file is watched already.
    /// Else, at the second ask in a row for the same name, the file is
    /// watched now (one `inotify_add_watch`) and a change counted (a stat
    /// taken before the watch, and judged after, is not kept); the answer
    /// is no either way.
    ///
    /// # Preconditions
    /// `name` is one path component ([`crate::name::Name`]); `dir_wd`'s
    /// watch tells of names removed and moved in `dir` (a file watch is
    /// forgotten when its name changes: [`Files::forget_name`]).
    pub(crate) fn vouch_file(
        &self,
        dir_wd: WatchDescriptor,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> bool {
        let Some(Some(Instance { inotify, .. })) = self.instance.get() else {
            return false;
        };
        let mut guard = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let files = &mut guard.files;
        let key = (dir_wd, Box::from(name));
        if let Some(&wd) = files.by_name.get(&key) {
            if files.order.back() != Some(&wd)
                && let Some(at) = files.order.iter().position(|&w| w == wd)
            {
                files.order.remove(at);
                files.order.push_back(wd);
            }
            return true;
        }
        let Some(at) = files.seen.iter().position(|seen| *seen == key) else {
            if files.seen.len() >= SEEN {
                files.seen.pop_front();
            }
            files.seen.push_back(key);
            return false;
        };
        files.seen.remove(at);
        // Added to, never replacing, a watch the file has (a directory's,
        // should the name be one now).
        let mask = FILE | WatchFlags::MASK_ADD;
        if let Ok(wd) = sys::inotify_add_watch_at(inotify.as_fd(), dir, name, mask) {
            if !files.order.contains(&wd) {
                files.order.push_back(wd);
            }
            files.by_name.insert(key, wd);
            if files.order.len() > FILE_WATCHES
                && let Some(oldest) = files.order.pop_front()
            {
                files.by_name.retain(|_, file| *file != oldest);
                // Before the kernel stops telling: no stat it vouched for
                // is used after.
                sys::note_notified_change();
                let _ = sys::inotify_rm_watch(inotify.as_fd(), oldest);
            }
        }
        sys::note_notified_change();
        false
    }

    /// How many files are watched ([`Watcher::vouch_file`]).
    #[cfg(test)]
    pub(crate) fn watched_files(&self) -> usize {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .files
            .order
            .len()
    }
}
