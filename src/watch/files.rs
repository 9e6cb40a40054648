//! Watches of the files whose stats are remembered: what tells of a
//! change the watch of a file's directory is not told of. See the parent
//! module.
//!
//! The kernel tells a directory's watch of a change to a file named in it
//! made through that name (a write, new attributes), but some changes of a
//! file reach only a watch of the file itself:
//!
//! - its link count and `st_ctime`, when a hard link to it is made or
//!   removed in a directory that is not watched (`fsnotify_link_count`
//!   tells the inode alone);
//! - its data, size and times, when it is written or truncated through a
//!   descriptor opened under another name — one in a directory that is not
//!   watched, or one since removed (the kernel tells the directory the
//!   descriptor's name was in, which no watch of the tree's may be on).
//!
//! A stat of a file remembered on its directory's watch alone would miss
//! them. So a file's stat is remembered only while the file itself is
//! watched ([`Watcher::vouch_file`]) for its data and attributes
//! ([`FILE`]). A file is watched at the second stat in a row of the same
//! name that would be remembered, unless that one came in the same host
//! call or the one right after (two stats of one guest operation:
//! `readdir`'s and a `DirEntry::metadata`), then at the third: a walk that
//! stats each file once, or a read of a directory that stats each entry,
//! watches none; a guest that stats one file again and again pays one
//! `inotify_add_watch` once. At most [`FILE_WATCHES`] are kept, the least
//! recently used removed first; and a file written (or given new
//! attributes) by anyone while the watch does not pay (no stat answered by
//! a memo between two stats of it vouched for) has its watch removed by
//! the [`STRUCK_OUT`]th drain that reads such an event
//! ([`Files::strike`]): a guest that stats a file twice and then writes it
//! for long, or writes and stats it in turn (a memo never answers), pays
//! for the watch's events on its first writes only. The directory's watch is narrowed alike
//! ([`super::masks::NARROW_AFTER`]), and no file there is watched again
//! until it is widened again ([`super::masks::Backoff`]).

use std::collections::{HashMap, VecDeque};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use crate::sys::{self, WatchDescriptor, WatchFlags};

use super::{Instance, Watcher};

/// How many files are watched at most (see the module doc): each is a
/// watch (about 1 KiB of kernel memory, one of `max_user_watches`).
pub(super) const FILE_WATCHES: usize = 64;

/// How many of the names last asked to vouch for are remembered, to tell
/// a second stat of the same name.
const SEEN: usize = 8;

/// How many drains must read a data or attribute event of a file watch,
/// with no stat of the file vouched for between them, before it is
/// removed: not the first, so that a guest that writes a file and stats
/// it, again and again, keeps its watch (as [`super::masks::NARROW_AFTER`]
/// keeps a directory's watch widened).
pub(super) const STRUCK_OUT: u8 = 2;

/// What a file's watch tells of: its data (`IN_MODIFY`: a write or a
/// truncate, through any descriptor, however opened) and its attributes,
/// its link count included (`IN_ATTRIB`). Not `IN_ACCESS`: see
/// [`super::masks::NARROW`].
const FILE: WatchFlags = WatchFlags::MODIFY.union(WatchFlags::ATTRIB);

/// A file watch.
#[derive(Debug)]
struct FileWatch {
    wd: WatchDescriptor,
    /// How many drains read an event of it since it was last seen to pay:
    /// a stat of its file vouched for with a memo's answer since the one
    /// vouched for before it ([`STRUCK_OUT`]).
    strikes: u8,
    /// How many stats the memos had answered when a stat of its file was
    /// last vouched for ([`Watcher::memo_answered`]).
    answered: u64,
}

impl FileWatch {
    fn new(wd: WatchDescriptor, answered: u64) -> Self {
        Self {
            wd,
            strikes: 0,
            answered,
        }
    }
}

/// A name asked for and not watched ([`Files::seen`]).
#[derive(Debug)]
struct Seen {
    dir: WatchDescriptor,
    name: Box<str>,
    /// The drain it was last asked after ([`Watcher::drains`]).
    drain: u64,
    /// Whether it was asked again right after (in the same host call or
    /// the next): taken as one guest operation's two stats.
    paired: bool,
}

/// The files watched, by the watch of their directory and their name
/// there. Protected by [`Watcher::queue`].
#[derive(Debug, Default)]
pub(super) struct Files {
    /// Each watched name's file watch, by its directory's watch.
    by_name: HashMap<WatchDescriptor, HashMap<Box<str>, WatchDescriptor>>,
    /// The file watches, least recently vouched for first.
    order: VecDeque<FileWatch>,
    /// The names last asked for and not watched, newest last.
    seen: VecDeque<Seen>,
}

impl Files {
    /// `name` in the directory watched by `dir` may be another file now:
    /// its file watch no longer vouches for it.
    pub(super) fn forget_name(&mut self, dir: WatchDescriptor, name: &[u8]) {
        if let Some(names) = self.by_name.get_mut(&dir)
            && let Ok(name) = std::str::from_utf8(name)
        {
            names.remove(name);
            if names.is_empty() {
                self.by_name.remove(&dir);
            }
        }
    }

    /// Events were lost: any name may be another file now.
    pub(super) fn forget_all(&mut self) {
        self.by_name.clear();
    }

    /// Watch `wd` is gone (the file was removed, or the directory's
    /// watch was): nothing it vouched for stands.
    pub(super) fn forget(&mut self, wd: WatchDescriptor) {
        if self.order.is_empty() {
            return;
        }
        self.by_name.remove(&wd);
        self.unname(wd);
        self.order.retain(|file| file.wd != wd);
    }

    /// No name is vouched for by file watch `wd`.
    fn unname(&mut self, wd: WatchDescriptor) {
        self.by_name.retain(|_, names| {
            names.retain(|_, file| *file != wd);
            !names.is_empty()
        });
    }

    /// Whether `wd` is a file watch.
    pub(super) fn is_file(&self, wd: WatchDescriptor) -> bool {
        self.order.iter().any(|file| file.wd == wd)
    }

    /// A drain read a data or attribute event of each of the file watches
    /// `struck` (each once): a strike for each. Returns those struck out
    /// ([`STRUCK_OUT`]), no longer vouching for any name, for the caller
    /// to remove from the kernel.
    pub(super) fn strike(&mut self, struck: &[WatchDescriptor]) -> Vec<WatchDescriptor> {
        let mut out = Vec::new();
        for file in &mut self.order {
            if struck.contains(&file.wd) {
                file.strikes = file.strikes.saturating_add(1);
                if file.strikes >= STRUCK_OUT {
                    out.push(file.wd);
                }
            }
        }
        for &wd in &out {
            self.unname(wd);
            self.order.retain(|file| file.wd != wd);
        }
        out
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
        if let Some(&wd) = files.by_name.get(&dir_wd).and_then(|names| names.get(name))
            && let Some(at) = files.order.iter().position(|file| file.wd == wd)
        {
            let answered = self.answered();
            if let Some(mut file) = files.order.remove(at) {
                if file.answered != answered {
                    file.strikes = 0;
                    file.answered = answered;
                }
                files.order.push_back(file);
            }
            return true;
        }
        let drain = self.drains.load(Ordering::Relaxed);
        let Some(at) = files
            .seen
            .iter()
            .position(|seen| seen.dir == dir_wd && *seen.name == *name)
        else {
            if files.seen.len() >= SEEN {
                files.seen.pop_front();
            }
            files.seen.push_back(Seen {
                dir: dir_wd,
                name: Box::from(name),
                drain,
                paired: false,
            });
            return false;
        };
        // Asked again in the same call or the next, the first time: taken
        // as one guest operation's two stats (wasi-libc's `readdir` asks
        // `metadata-hash-at` of each entry, and a program's
        // `DirEntry::metadata` then stats it again), not a stat asked
        // again.
        if let Some(seen) = files.seen.get_mut(at)
            && !seen.paired
            && seen.drain.wrapping_add(1) >= drain
        {
            seen.drain = drain;
            seen.paired = true;
            return false;
        }
        let Some(Seen { name: key, .. }) = files.seen.remove(at) else {
            return false;
        };
        // Added to, never replacing, a watch the file has (a directory's,
        // should the name be one now).
        let mask = FILE | WatchFlags::MASK_ADD;
        if let Ok(wd) = sys::inotify_add_watch_at(inotify.as_fd(), dir, name, mask) {
            match files.order.iter_mut().find(|file| file.wd == wd) {
                Some(file) => *file = FileWatch::new(wd, self.answered()),
                None => files.order.push_back(FileWatch::new(wd, self.answered())),
            }
            files.by_name.entry(dir_wd).or_default().insert(key, wd);
            if files.order.len() > FILE_WATCHES
                && let Some(oldest) = files.order.pop_front()
            {
                files.unname(oldest.wd);
                // Before the kernel stops telling: no stat it vouched for
                // is used after.
                sys::note_notified_change();
                let _ = sys::inotify_rm_watch(inotify.as_fd(), oldest.wd);
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
