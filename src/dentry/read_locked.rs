//! What a frontend may ask the tree under its read lock: cached walks and
//! stats, and guest references taken and dropped atomically. Nothing here
//! changes the tree; where an answer would need a change, it says
//! [`ReadLocked::Full`] (or `None`) and the caller takes the write lock.

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::Ordering;

use nix::errno::Errno;
use nix::sys::stat::FileStat;

use super::{
    Answer, CachedPath, CachedWalk, DentryId, Link, ReadLocked, Tree, count_lookups,
    count_revalidation, rewatch_due, trusts,
};
use crate::error::ErrorCode;
use crate::name::{Name, check_path};
use crate::sys;
use crate::sys::file_type_of_mode;
use crate::types::{FileType, Stat};

impl Tree {
    /// [`Tree::acquire`] under the read lock: one more guest reference on
    /// `id`, taken atomically. A dentry on its LRU stays there, marked
    /// [`super::Dentry::touched`] (evictions skip what a guest holds, and give a
    /// touched dentry a second chance).
    pub(crate) fn acquire_cached(&self, id: DentryId) -> Result<(), ErrorCode> {
        let d = self.get(id)?;
        let before = d
            .refs
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
            .map_err(|_| ErrorCode::TooManyOpen)?;
        if d.lru_stamp != 0 {
            d.touched.store(true, Ordering::Relaxed);
        }
        if before == 0
            && !matches!(d.link, Link::Root)
            && let Some(cache) = self.caches.get(&d.root)
        {
            cache.referenced();
        }
        Ok(())
    }

    /// [`Tree::release`] under the read lock, where dropping the reference
    /// changes nothing else: true if done. False, for the caller to
    /// release under the write lock, where the last reference goes and the
    /// dentry would then have to be queued on its LRU (a leaf not on it),
    /// freed (it has no name), or evicted (the cache is at its limit).
    pub(crate) fn release_cached(&self, id: DentryId) -> bool {
        let Ok(d) = self.get(id) else { return false };
        let is_root = matches!(d.link, Link::Root);
        // Unreferenced, it is where it belongs: on the LRU, or kept by its
        // children (or a root).
        let settled = is_root
            || (matches!(d.link, Link::Child { .. })
                && (d.lru_stamp != 0 || !d.children.is_empty()));
        let cache = self.caches.get(&d.root);
        let mut refs = d.refs.load(Ordering::Relaxed);
        loop {
            let last = refs == 1;
            if refs == 0 || (last && !settled) {
                return false;
            }
            // The last reference makes one more unreferenced dentry.
            let counted = last && !is_root;
            if counted && !cache.is_some_and(|c| c.unreferenced_within(self.max_cached)) {
                return false;
            }
            match d
                .refs
                .compare_exchange(refs, refs - 1, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => {
                    if counted && let Some(cache) = cache {
                        cache.referenced();
                    }
                    refs = now;
                }
            }
        }
    }

    /// [`Tree::stat`] without changing the tree, for a read lock.
    pub(crate) fn stat_known(&self, id: DentryId) -> ReadLocked<Stat> {
        let d = match self.get(id) {
            Ok(d) => d,
            Err(err) => return ReadLocked::Done(Err(err)),
        };
        let st = match self.inodes.open_fd(d.key) {
            Some(fd) => sys::fstat(fd.as_fd()),
            None => sys::fstat(d.fd.as_fd()),
        };
        self.known(st)
    }

    /// A host stat as the guest sees it, if its file has guest numbers.
    pub(super) fn known(&self, st: Result<FileStat, Errno>) -> ReadLocked<Stat> {
        match st {
            Ok(st) => match self.inodes.stat_known(&st) {
                Some(stat) => ReadLocked::Done(Ok(stat)),
                None => ReadLocked::Unnumbered(st),
            },
            Err(errno) => ReadLocked::Done(Err(errno.into())),
        }
    }

    /// The stat of a path (where [`Tree::cached_path`] led: the last name
    /// of `at`, or `at.dir` itself if there is none) as a `wasi:filesystem`
    /// `stat-at` gives it, walked through live dentries only and changing
    /// nothing in the tree, so that it runs under a read lock, at once on
    /// several threads: no reference is taken (nothing can free a dentry
    /// while the lock is held).
    ///
    /// The directories on the way must be live dentries (in a shared mount
    /// each is revalidated, one `fstatat`, as [`Tree::walk`] does); the last
    /// name may be one too (exclusive mounts), else it is one `fstatat` on
    /// its parent's FD, as [`Tree::stat_name`]. [`ReadLocked::Full`] where
    /// that is not enough, and the caller takes the full walk: a directory
    /// on the way that is not live (or fails its revalidation), a symlink
    /// to follow or to cross, `..`, an absolute path, a trailing `/`, a new
    /// `no-entry` to remember. Where it answers (a file without guest numbers yet comes
    /// back [`ReadLocked::Unnumbered`], to number under the write lock),
    /// it answers as the full walk would, so the fast path never changes
    /// what the guest sees.
    pub(crate) fn stat_cached_at(&self, at: &CachedPath<'_>, follow: bool) -> ReadLocked<Stat> {
        self.try_stat_cached_at(at, follow)
            .unwrap_or(ReadLocked::Full)
    }

    /// Where `path` from directory `start` leads through live dentries,
    /// for [`Tree::stat_cached_at`] (and the stat memo of `crate::ctx`),
    /// changing nothing: the directory holding its last name, and that
    /// name. `None` where that takes more than hash lookups (and, in a
    /// shared mount, one revalidation per directory on the way): a
    /// directory on the way that is not live (or fails its revalidation),
    /// a symlink to cross, `..`, an absolute path, a trailing `/` or `/.`
    /// (which ask the last name to be a directory).
    ///
    /// The names are looked up by hash alone first: a path that leaves the
    /// cache is `None` before any `fstatat`, so that the write-locked walk
    /// that follows checks each name once, not twice.
    pub(crate) fn cached_path<'p>(&self, start: DentryId, path: &'p str) -> Option<CachedPath<'p>> {
        let unchecked = self.cached_path_checking(start, path, false)?;
        if unchecked.trusted {
            // No directory on the way revalidates: nothing to check.
            return Some(unchecked);
        }
        self.cached_path_checking(start, path, true)
    }

    /// [`Tree::cached_path`] where no directory on the way revalidates: hash
    /// lookups alone, no syscall; `None` otherwise.
    pub(crate) fn cached_path_trusted<'p>(
        &self,
        start: DentryId,
        path: &'p str,
    ) -> Option<CachedPath<'p>> {
        self.cached_path_checking(start, path, false)
            .filter(|at| at.trusted)
    }

    /// [`Tree::cached_path`], checking each name on the way in a directory
    /// that revalidates (an `fstatat`) if `check`.
    fn cached_path_checking<'p>(
        &self,
        start: DentryId,
        path: &'p str,
        check: bool,
    ) -> Option<CachedPath<'p>> {
        let start_dentry = self.get(start).ok()?;
        if start_dentry.file_type != FileType::Directory {
            // A walk from a file: `not-directory`, from the full walk.
            return None;
        }
        if path.starts_with('/')
            || path.ends_with('/')
            || path.ends_with("/.")
            || check_path(path).is_err()
        {
            return None;
        }
        let mut cur = start;
        let mut trusted = trusts(start_dentry);
        // The lookups of the directories on the way, counted if this answers.
        let mut hits = 0;
        let mut components = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .peekable();
        while let Some(component) = components.next() {
            if component == ".." {
                return None;
            }
            let name = Name::parse(component).ok()?;
            if components.peek().is_none() {
                return Some(CachedPath {
                    dir: cur,
                    last: Some(component),
                    hits,
                    trusted,
                });
            }
            let dir = self.get(cur).ok()?;
            let shared = !trusts(dir);
            if shared && rewatch_due(dir) {
                return None;
            }
            let child = dir.children.get(component).copied()?;
            let child_dentry = self.get(child).ok()?;
            if child_dentry.file_type == FileType::SymbolicLink
                || (check && shared && !self.still_there(cur, name, child))
            {
                return None;
            }
            trusted &= trusts(child_dentry);
            cur = child;
            hits += 1;
        }
        Some(CachedPath {
            dir: cur,
            last: None,
            hits,
            trusted,
        })
    }

    /// Where [`Tree::walk_path`] leads, found under the read lock, for a
    /// path that leads through live dentries (as [`Tree::cached_path`]
    /// says, and to a live last name that is not a symlink to follow). In a
    /// directory that revalidates (a shared mount's, a coherent mount's on a
    /// remote filesystem), each name is checked still to be its dentry's
    /// file, one `fstatat` as the write-locked walk makes: the answer is the
    /// same, and the walk is not made twice. `None` where the write-locked
    /// walk is needed (a name not cached, or failing its check). Takes no
    /// reference and counts nothing: see [`Tree::acquire_walked`].
    pub(crate) fn cached_walk(
        &self,
        start: DentryId,
        path: &str,
        follow_final: bool,
    ) -> Option<CachedWalk> {
        // A last name not cached, or a symlink to follow, is the
        // write-locked walk's: before any `fstatat` of the names on the way
        // (it checks them itself).
        let unchecked = self.cached_path_checking(start, path, false)?;
        if let Some(last) = unchecked.last {
            let child = *self.get(unchecked.dir).ok()?.children.get(last)?;
            if follow_final && self.get(child).ok()?.file_type == FileType::SymbolicLink {
                return None;
            }
        }
        let at = if unchecked.trusted {
            unchecked
        } else {
            self.cached_path_checking(start, path, true)?
        };
        let found = match at.last {
            None => at.dir,
            Some(last) => {
                let dir = self.get(at.dir).ok()?;
                let child = *dir.children.get(last)?;
                if follow_final && self.get(child).ok()?.file_type == FileType::SymbolicLink {
                    return None;
                }
                if !trusts(dir)
                    && (rewatch_due(dir)
                        || !self.still_there(at.dir, Name::parse(last).ok()?, child))
                {
                    return None;
                }
                child
            }
        };
        Some(CachedWalk {
            found,
            hits: at.hits + u64::from(at.last.is_some()),
            trusted: at.trusted,
        })
    }

    /// Takes a guest reference on where a [`Tree::cached_walk`] led
    /// ([`Tree::acquire_cached`]) and counts its lookups as hits; false
    /// (nothing taken) if the reference count is full.
    ///
    /// # Preconditions
    /// No write lock was taken since `walk` was found (the tree's
    /// [`Tree::generation`] is the same): the walk still leads there.
    pub(crate) fn acquire_walked(&self, walk: CachedWalk) -> bool {
        let taken = self.acquire_cached(walk.found).is_ok();
        if taken {
            self.count_walk(walk);
        }
        taken
    }

    /// Counts the lookups of a [`Tree::cached_walk`] that was used, as hits.
    pub(crate) fn count_walk(&self, walk: CachedWalk) {
        count_lookups(walk.hits, 0);
    }

    /// [`Tree::stat_cached_at`], with `None` for [`ReadLocked::Full`].
    pub(super) fn try_stat_cached_at(
        &self,
        at: &CachedPath<'_>,
        follow: bool,
    ) -> Option<ReadLocked<Stat>> {
        let (cur, hits) = (at.dir, at.hits);
        let Some(component) = at.last else {
            count_lookups(hits, 0);
            return Some(self.stat_known(cur));
        };
        let dir = self.get(cur).ok()?;
        let shared = !trusts(dir);
        if rewatch_due(dir) {
            return None;
        }
        let child = dir.children.get(component).copied();
        if !shared {
            if let Some(child) = child {
                if follow && self.get(child).ok()?.file_type == FileType::SymbolicLink {
                    return None;
                }
                count_lookups(hits + 1, 0);
                return Some(self.stat_known(child));
            }
            if self.negatives.contains(cur, component) {
                count_lookups(hits + 1, 0);
                return Some(ReadLocked::Done(Err(ErrorCode::NoEntry)));
            }
        }
        if child.is_some() {
            count_revalidation(dir);
        }
        let st = sys::fstatat_nofollow(dir.fd.as_fd(), component.as_bytes());
        match &st {
            Ok(st) if follow && file_type_of_mode(st.st_mode) == FileType::SymbolicLink => {
                return None;
            }
            // To be remembered by the full walk, which takes this answer
            // rather than asking again.
            Err(Errno::ENOENT) if !shared => {
                let answer = Answer::stat_made(cur, dir, component, Err(Errno::ENOENT));
                // The full walk counts its hits, not this miss.
                count_lookups(0, 1);
                return Some(ReadLocked::Looked(Box::new(answer)));
            }
            _ => {}
        }
        count_lookups(hits, 1);
        Some(self.known(st))
    }

    /// [`Tree::identity`] without changing the tree: `None` where the file
    /// has no guest numbers yet.
    pub(crate) fn identity_known(&self, id: DentryId) -> Option<Result<(u64, u64), ErrorCode>> {
        match self.get(id) {
            Ok(d) => self.inodes.identity_known(d.key).map(Ok),
            Err(err) => Some(Err(err)),
        }
    }

    /// [`Tree::stat_fd`] without changing the tree, for a read lock.
    pub(crate) fn stat_fd_known(&self, fd: BorrowedFd<'_>) -> ReadLocked<Stat> {
        self.known(sys::fstat(fd))
    }
}
