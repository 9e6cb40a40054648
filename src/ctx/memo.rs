//! Per-context memos of the last read-locked walk and stats: answers that
//! hold while the tree (and, for stats, the file) is unchanged.

use crate::dentry::{CachedWalk, DentryId, Tree};
use crate::sys;
use crate::types::Stat;

/// Where this context's last walk under the read lock led
/// ([`crate::ctx::DirectfsCtx::walk_path_cached`]): the walk of `path` from `start`
/// leads there again while the tree is at `generation` (no write lock
/// taken since: no name changed, no dentry freed). A guest that walks one
/// path again and again walks it once.
#[derive(Debug)]
pub(crate) struct LastWalk {
    start: DentryId,
    /// Reused from call to call: no allocation per walk.
    path: String,
    follow_final: bool,
    generation: u64,
    walk: CachedWalk,
}

impl LastWalk {
    /// Where the walk of `path` from `start` leads through live dentries
    /// ([`Tree::cached_walk`]): `last`'s answer if it was the same walk and
    /// the tree is still at its generation, else walked (and remembered in
    /// `last`, its path buffer reused, where every directory on the way is
    /// trusted: a walk through directories that revalidate is walked, and
    /// revalidated, each time).
    pub(crate) fn walk(
        last: &mut Option<LastWalk>,
        tree: &Tree,
        start: DentryId,
        path: &str,
        follow_final: bool,
    ) -> Option<CachedWalk> {
        let generation = tree.generation();
        if let Some(last) = last
            && last.generation == generation
            && last.start == start
            && last.follow_final == follow_final
            && last.path == path
        {
            return Some(last.walk);
        }
        let walk = tree.cached_walk(start, path, follow_final)?;
        if !walk.trusted {
            return Some(walk);
        }
        match last {
            Some(last) => {
                last.path.clear();
                last.path.push_str(path);
                (last.start, last.follow_final) = (start, follow_final);
                (last.generation, last.walk) = (generation, walk);
            }
            None => {
                *last = Some(LastWalk {
                    start,
                    path: path.to_owned(),
                    follow_final,
                    generation,
                    walk,
                });
            }
        }
        Some(walk)
    }
}

/// The entry a context's directory stream handed out last
/// (`read-directory-entry`), for the `metadata-hash-at` of its name that
/// wasi-libc's `readdir` makes right after it, for the entry's `d_ino`:
/// answered from the listing's inode number while no name in the
/// directory changed since the page was read ([`Tree::listed_identity`]),
/// without a syscall. A program that stats each entry (`read_dir`, then
/// `DirEntry::metadata`) then makes one `fstatat` an entry, not two.
#[derive(Debug)]
pub(crate) struct LastListed {
    dir: DentryId,
    /// Reused from entry to entry: no allocation per entry.
    name: String,
    /// The guest's number of the entry's `d_ino`.
    ino: u64,
    /// Whether the entry is a symlink: then only a `metadata-hash-at` that
    /// does not follow asks of it.
    symlink: bool,
    /// The page's [`Tree::listing_mark`].
    mark: u32,
}

impl LastListed {
    /// Remembers in `memo` that directory `dir`'s stream handed out
    /// `entry`, of a page marked `mark`; forgets the last entry where the
    /// page has no mark, or `entry` is a directory (perhaps a mount point,
    /// whose `d_ino` is the covered directory's) or of a type the host did
    /// not say.
    pub(crate) fn set(
        memo: &mut Option<Self>,
        dir: DentryId,
        entry: &crate::types::DirEntry,
        mark: Option<u32>,
    ) {
        use crate::types::FileType;
        let Some(mark) =
            mark.filter(|_| !matches!(entry.file_type, FileType::Directory | FileType::Unknown))
        else {
            *memo = None;
            return;
        };
        let this = memo.get_or_insert_with(|| LastListed {
            dir,
            name: String::new(),
            ino: entry.ino,
            symlink: false,
            mark,
        });
        this.dir = dir;
        this.name.clear();
        this.name.push_str(&entry.name);
        this.ino = entry.ino;
        this.symlink = entry.file_type == FileType::SymbolicLink;
        this.mark = mark;
    }

    /// The identity of `path` in `dir` (`follow`ing a final symlink or
    /// not) if it is the entry remembered, and its directory's names are
    /// unchanged since the listing.
    ///
    /// # Preconditions
    /// `tree` read in the kernel's notifications of this call.
    pub(crate) fn answers(
        &self,
        tree: &Tree,
        dir: DentryId,
        path: &str,
        follow: bool,
    ) -> Option<(u64, u64)> {
        if self.dir != dir || self.name != path || (follow && self.symlink) {
            return None;
        }
        tree.listed_identity(dir, self.mark, self.ino)
    }

    /// Whether an entry of `dir` is remembered (a cheap look before
    /// taking the tree).
    pub(crate) fn of(&self, dir: DentryId, path: &str) -> bool {
        self.dir == dir && self.name == path
    }
}

/// The stat of dentry `id` (of an exclusive mount) that this context took
/// when [`sys::changes`] was at `changes`: it holds while that count stays
/// (a dentry's file is fixed; only a syscall through directfs, counted
/// there, changes its attributes, in a mount no one else changes). A
/// `directfs:fs` guest that walks to a file and stats it again and again
/// (the `walk` bench) gets it without a syscall.
#[derive(Debug)]
pub(crate) struct LastDentryStat {
    pub(crate) id: DentryId,
    pub(crate) changes: u64,
    pub(crate) stat: Stat,
}

/// What a read-locked `stat-at` of an exclusive mount found (no one else
/// changes such a mount): the stat of `name` in directory `dir` (`""`:
/// of `dir` itself), where the path led through live dentries
/// ([`crate::dentry::Tree::cached_path`]), `follow`ing a final symlink or
/// not. Kept by the directory and name, so that any path to the same name
/// finds it (wasi-libc's `readdir` asks of `f` in a directory's
/// descriptor, a program's `DirEntry::metadata` of `dir/f` in the
/// preopen's).
///
/// - Its identity (`dev`, `ino`) holds for as long as the tree stays at
///   `generation` (no name changed since): wasi-libc follows every `stat`
///   with a `metadata-hash-at` of the same path, answered so without a
///   syscall.
/// - The whole stat holds while, besides, no syscall that can change a
///   file was made in the process since the stat began
///   ([`sys::changes`] still at `changes`: no write, truncate, chmod,
///   utimes, read (access time), … through any context). wasi-libc's
///   `readdir` asks `metadata-hash-at` of every entry, and a program's
///   `DirEntry::metadata` then `stat-at`s the same name: the second is
///   answered so, without a syscall, as is a repeated `stat` of an
///   unchanged file.
///
/// Only read-locked stats are remembered; they never follow a final
/// symlink, so one that is not a symlink answers with or without `follow`.
/// Shared mounts never remember.
#[derive(Debug)]
pub(crate) struct LastStat {
    pub(crate) dir: DentryId,
    /// Reused from call to call: no allocation per `stat-at`.
    pub(crate) name: String,
    /// The directory the stat was asked from, and the path: while the tree
    /// is at `generation`, that path still leads to `name` in `dir`, so a
    /// stat asked alike is answered without walking it again.
    pub(crate) asked_dir: DentryId,
    /// Reused as `name` is.
    pub(crate) asked_path: String,
    pub(crate) follow: bool,
    pub(crate) generation: u64,
    pub(crate) changes: u64,
    pub(crate) stat: Stat,
    /// The host call that took it ([`crate::DirectfsCtx::call_number`]):
    /// a `metadata-hash-at` of the same path in the next call is the second
    /// half of the same libc `stat` (wasi-libc asks both for one `stat`),
    /// answered as of this one's moment, without reading the kernel's
    /// notifications again (coherent mounts).
    /// A `Cell`: a `stat-at` the memo answers makes it of that call.
    pub(crate) call: std::cell::Cell<u64>,
}

impl LastStat {
    /// The remembered stat, if it is of `at` and holds: the tree is still
    /// at `generation`, and, for the whole stat (`changes` given), no file
    /// changed since. With `changes` `None`, only its identity is sure.
    pub(crate) fn answers(
        &self,
        at: &crate::dentry::CachedPath<'_>,
        follow: bool,
        generation: u64,
        changes: Option<u64>,
    ) -> Option<Stat> {
        let same = self.dir == at.dir && self.name == at.last.unwrap_or("");
        self.holds(same, follow, generation, changes)
    }

    /// [`Self::answers`] for a stat asked as this one was: of `path` from
    /// `dir`, with the tree still at `generation` (no name changed, so the
    /// path leads where it led; no walk needed to know).
    pub(crate) fn answers_asked(
        &self,
        dir: DentryId,
        path: &str,
        follow: bool,
        generation: u64,
        changes: Option<u64>,
    ) -> Option<Stat> {
        let same = self.asked_dir == dir && self.asked_path == path;
        self.holds(same, follow, generation, changes)
    }

    /// The remembered stat, if it is of the `same` file and holds as
    /// [`Self::answers`] says.
    pub(crate) fn holds(
        &self,
        same: bool,
        follow: bool,
        generation: u64,
        changes: Option<u64>,
    ) -> Option<Stat> {
        let follows_alike =
            self.follow == follow || self.stat.file_type != crate::types::FileType::SymbolicLink;
        let unchanged = changes.is_none_or(|now| now == self.changes);
        (same && follows_alike && unchanged && self.generation == generation).then_some(self.stat)
    }
}

/// The identity the last `stat-at` found, in any mode, for the
/// `metadata-hash-at` of the same path that wasi-libc makes in the very
/// next host call: the two are one libc `stat`, and one POSIX `stat` is one
/// moment, so the second half is answered as of the first's (no second
/// walk: on a `shared` mount, or one on a distributed filesystem, that walk
/// is a revalidating `fstatat` per path component). No later call uses it.
///
/// The same record of the last `metadata-hash-at` serves the other order,
/// which the wasi-libc of Rust's `wasm32-wasip2` target makes (the hash,
/// then the stat): a `stat-at` of the same path in the very next call, if
/// the hash's call read the kernel's notifications, reads none itself
/// (`DirectfsCtx::answer_as_of_last_call`).
///
/// A `metadata-hash-at` that walked (none of the memos knew the path) keeps
/// the whole stat it found, with [`sys::changes`] before it: the `stat-at`
/// of the same path in the very next call, while no file changed in the
/// process since, is answered with it (the hash's walk was the libc
/// `stat`'s one walk), instead of walking again — on a mount that
/// revalidates, an `fstatat` per path component.
#[derive(Debug)]
pub(crate) struct LastIdentity {
    dir: DentryId,
    /// Reused from call to call: no allocation per `stat-at`.
    path: String,
    follow: bool,
    /// Whether the file found may be a symlink (not known to be anything
    /// else): then only a call that follows alike asks of the same file.
    /// wasi-libc's `stat` of Rust's `wasm32-wasip2` asks the hash without
    /// following and the stat following: one file, where it is no symlink.
    symlink: bool,
    identity: (u64, u64),
    /// The whole stat, and [`sys::changes`] before it was taken, where the
    /// call walked (see above).
    stat: Option<(Stat, u64)>,
    /// The host call of the `stat-at` ([`crate::DirectfsCtx::call_number`]).
    call: u64,
}

impl LastIdentity {
    /// Remembers in `memo` that `stat-at(dir, path, follow)` in host call
    /// `call` found `stat`.
    pub(crate) fn set(
        memo: &mut Option<Self>,
        dir: DentryId,
        path: &str,
        follow: bool,
        stat: &Stat,
        call: u64,
    ) {
        let identity = (stat.dev, stat.ino);
        Self::set_with_stat(memo, (dir, path, follow), identity, None, call);
        if let Some(this) = memo {
            this.symlink = stat.file_type == crate::types::FileType::SymbolicLink;
        }
    }

    /// [`Self::set`], keeping the whole `stat` the call found by walking,
    /// with [`sys::changes`] before it (`None`: it did not walk).
    pub(crate) fn set_with_stat(
        memo: &mut Option<Self>,
        (dir, path, follow): (DentryId, &str, bool),
        identity: (u64, u64),
        stat: Option<(Stat, u64)>,
        call: u64,
    ) {
        // Known to be no symlink only where its stat is.
        let symlink =
            stat.is_none_or(|(stat, _)| stat.file_type == crate::types::FileType::SymbolicLink);
        let this = memo.get_or_insert_with(|| LastIdentity {
            dir,
            path: String::new(),
            follow,
            symlink,
            identity,
            stat,
            call,
        });
        this.dir = dir;
        this.path.clear();
        this.path.push_str(path);
        this.follow = follow;
        this.symlink = symlink;
        this.identity = identity;
        this.stat = stat;
        this.call = call;
    }

    /// The whole stat, if host call `call` is the one right after the
    /// walking `metadata-hash-at`'s, asks of the same path alike, and no
    /// file changed in the process since the stat was taken.
    pub(crate) fn answers_stat(
        &self,
        dir: DentryId,
        path: &str,
        follow: bool,
        call: u64,
    ) -> Option<Stat> {
        self.answers(dir, path, follow, call)?;
        let (stat, changes) = self.stat?;
        (changes == sys::changes()).then_some(stat)
    }

    /// The identity, if host call `call` is the one right after the
    /// `stat-at`'s and asks of the same path alike (following a final
    /// symlink or not alike, unless the file is known to be no symlink).
    pub(crate) fn answers(
        &self,
        dir: DentryId,
        path: &str,
        follow: bool,
        call: u64,
    ) -> Option<(u64, u64)> {
        (self.call == call.wrapping_sub(1)
            && self.dir == dir
            && (self.follow == follow || !self.symlink)
            && self.path == path)
            .then_some(self.identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dentry::tests::tree_with_root;

    /// "A context's repeat of its last walk while the tree is unchanged is
    /// not walked again": the memo's answer is given back as it is (here a
    /// planted one, which a walk would not find), until the path, the start,
    /// `follow` or the tree's generation differ.
    #[test]
    fn the_last_walk_is_not_walked_again_while_the_tree_is_unchanged() {
        let (dir, mut tree, root) = tree_with_root();
        tree.set_cache_limits(16, 8);
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        let b = tree.walk_path(root, "a/b", false).unwrap();
        tree.release(b);
        let a = tree.walk_path(root, "a", false).unwrap();
        tree.release(a);
        let mut last = None;
        let walked = LastWalk::walk(&mut last, &tree, root, "a/b", false).unwrap();
        assert_eq!(walked.found, b);
        // Plant another answer: only a memo that is not walked again gives it.
        let planted = tree.cached_walk(root, "a", false).unwrap();
        last.as_mut().unwrap().walk = planted;
        let again = LastWalk::walk(&mut last, &tree, root, "a/b", false).unwrap();
        assert_eq!(again.found, a, "answered from the memo");
        // Another `follow`, path or start: walked.
        let other = LastWalk::walk(&mut last, &tree, root, "a/b", true).unwrap();
        assert_eq!(other.found, b);
        last.as_mut().unwrap().walk = planted;
        let other = LastWalk::walk(&mut last, &tree, root, "a/./b", true).unwrap();
        assert_eq!(other.found, b);
        last.as_mut().unwrap().walk = planted;
        let other = LastWalk::walk(&mut last, &tree, a, "b", true).unwrap();
        assert_eq!(other.found, b);
        // A write lock taken since (a new generation): walked.
        last.as_mut().unwrap().walk = planted;
        tree.next_generation();
        let after = LastWalk::walk(&mut last, &tree, a, "b", true).unwrap();
        assert_eq!(after.found, b, "walked again after a change");
    }
}
