//! The bookkeeping of the dentry cache: per preopen, an LRU of the dentries
//! that could be freed (unreferenced leaves) and a count of all unreferenced
//! dentries; per tree, the recent `no-entry` results.
//!
//! Directories are kept in preference to files while they are no more than
//! half the cache ([`Cache::pop_coldest`]): a directory is the way to
//! everything below it (a walk that finds it cached opens, stats and, in a
//! coherent mount, watches nothing), where a file dentry serves one name.
//! A walk of more files than the cache holds (10,000 files in 100
//! directories, say) keeps its directories for the next walk, as the
//! kernel's dcache keeps a directory while its children are cached.
//!
//! The LRU is a queue with lazy deletion: a dentry on it carries the stamp of
//! its queue entry, and taking it off just clears the stamp. Entries whose
//! stamp no longer matches are skipped when popped, and dropped in bulk when
//! they outnumber the live ones, so every operation is O(1) amortized.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use foldhash::{HashMap, HashSet};

use super::DentryId;

/// The cache state of one preopen.
#[derive(Debug, Default)]
pub(super) struct Cache {
    /// `(dentry, stamp)` of files (and symlinks and the rest: every dentry
    /// but directories), least recently used first; stale entries included.
    queue: VecDeque<(DentryId, u64)>,
    /// The same of directories.
    dirs: VecDeque<(DentryId, u64)>,
    /// The last stamp given out (stamps start at 1; 0 means "not queued").
    last_stamp: u64,
    /// How many queue entries are live (in both queues).
    queued: usize,
    /// How many of them are directories'.
    dirs_queued: usize,
    /// How many dentries of this preopen no guest holds (on the queue, or
    /// kept only by their cached children). The budget applies to this.
    /// Atomic: a reference taken or dropped under the tree's read lock
    /// ([`super::Tree::acquire_cached`]) counts here too.
    unreferenced: AtomicUsize,
}

impl Cache {
    /// How many dentries of this preopen no guest holds.
    pub(super) fn unreferenced(&self) -> usize {
        self.unreferenced.load(Ordering::Relaxed)
    }

    /// Notes that a guest took the first reference on an unreferenced
    /// dentry (or that one was freed).
    pub(super) fn referenced(&self) {
        let _ = self
            .unreferenced
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Notes that a guest dropped the last reference on a dentry.
    pub(super) fn unreferenced_again(&self) {
        self.unreferenced.fetch_add(1, Ordering::Relaxed);
    }

    /// [`Cache::unreferenced_again`] if that keeps the count within `max`
    /// (else false: the caller must evict, under the write lock).
    pub(super) fn unreferenced_within(&self, max: usize) -> bool {
        self.unreferenced
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }

    /// Queues `id` (a directory's dentry if `dir`) as the most recently
    /// used; returns its stamp.
    pub(super) fn push(&mut self, id: DentryId, dir: bool) -> u64 {
        self.last_stamp += 1;
        let queue = match dir {
            true => &mut self.dirs,
            false => &mut self.queue,
        };
        queue.push_back((id, self.last_stamp));
        self.queued += 1;
        self.dirs_queued += usize::from(dir);
        self.last_stamp
    }

    /// Notes that a queued dentry (a directory's if `dir`) left the queue
    /// (its stamp was cleared).
    pub(super) fn unqueued(&mut self, dir: bool) {
        self.queued = self.queued.saturating_sub(1);
        if dir {
            self.dirs_queued = self.dirs_queued.saturating_sub(1);
        }
    }

    /// Pops the coldest live entry (`is_live` tells the live ones): a
    /// file's, least recently used first, while no more than `keep_dirs`
    /// directories are queued (a directory's only where no file is); past
    /// that, whichever of the two is the least recently used.
    pub(super) fn pop_coldest(
        &mut self,
        keep_dirs: usize,
        mut is_live: impl FnMut(DentryId, u64) -> bool,
    ) -> Option<DentryId> {
        for queue in [&mut self.queue, &mut self.dirs] {
            while let Some(&(id, stamp)) = queue.front() {
                if is_live(id, stamp) {
                    break;
                }
                queue.pop_front();
            }
        }
        let dir = match (self.queue.front(), self.dirs.front()) {
            (None, None) => return None,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some(file), Some(dir)) => self.dirs_queued > keep_dirs && dir.1 < file.1,
        };
        let queue = match dir {
            true => &mut self.dirs,
            false => &mut self.queue,
        };
        let (id, _) = queue.pop_front()?;
        self.unqueued(dir);
        Some(id)
    }

    /// The queues' entries (stale ones included) and how many are live.
    #[cfg(test)]
    pub(super) fn entries(&self) -> (Vec<(DentryId, u64)>, usize) {
        let entries = self.queue.iter().chain(&self.dirs).copied().collect();
        (entries, self.queued)
    }

    /// Drops stale entries once they outnumber the live ones.
    pub(super) fn compact(&mut self, mut is_live: impl FnMut(&(DentryId, u64)) -> bool) {
        if self.queue.len() + self.dirs.len() > 2 * self.queued + 64 {
            self.queue.retain(&mut is_live);
            self.dirs.retain(is_live);
        }
    }
}

/// Recent `no-entry` results: `(parent, name)`, the oldest forgotten first.
/// Keyed by parent, then name, so lookups take a borrowed name: no
/// allocation on the walk and create paths; one name allocated per entry
/// made (shared by its two places).
#[derive(Debug, Default)]
pub(super) struct Negatives {
    /// The names by parent. A parent's set is kept when emptied (a
    /// directory where names come and go, as in a rename back and forth,
    /// keeps its table) until `order` is next compacted.
    by_parent: HashMap<DentryId, HashSet<Arc<str>>>,
    /// Insertion order, for forgetting the oldest; may hold removed keys.
    order: VecDeque<(DentryId, Arc<str>)>,
    len: usize,
    limit: usize,
}

impl Negatives {
    pub(super) fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    pub(super) fn contains(&self, parent: DentryId, name: &str) -> bool {
        self.by_parent
            .get(&parent)
            .is_some_and(|names| names.contains(name))
    }

    pub(super) fn insert(&mut self, parent: DentryId, name: &str) {
        if self.limit == 0 || self.contains(parent, name) {
            return;
        }
        let name = Arc::<str>::from(name);
        self.by_parent
            .entry(parent)
            .or_default()
            .insert(Arc::clone(&name));
        self.order.push_back((parent, name));
        self.len += 1;
        while self.len > self.limit {
            match self.order.pop_front() {
                Some((parent, name)) => self.remove(parent, &name),
                None => break,
            }
        }
        // `order` may hold keys already removed; keep it bounded too.
        if self.order.len() > 2 * self.limit + 64 {
            let by_parent = &self.by_parent;
            self.order
                .retain(|(p, n)| by_parent.get(p).is_some_and(|names| names.contains(n)));
            self.by_parent.retain(|_, names| !names.is_empty());
        }
    }

    /// Every remembered `(parent, name)`.
    #[cfg(test)]
    pub(super) fn entries(&self) -> impl Iterator<Item = (DentryId, &str)> {
        self.by_parent
            .iter()
            .flat_map(|(parent, names)| names.iter().map(|name| (*parent, &**name)))
    }

    /// Forgets every `no-entry` remembered in directory `parent`.
    pub(super) fn forget_dir(&mut self, parent: DentryId) {
        if let Some(names) = self.by_parent.remove(&parent) {
            self.len -= names.len();
        }
    }

    pub(super) fn remove(&mut self, parent: DentryId, name: &str) {
        let Some(names) = self.by_parent.get_mut(&parent) else {
            return;
        };
        if names.remove(name) {
            self.len -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;
    use std::sync::atomic::Ordering;

    use super::super::tests::name;
    use super::super::{Link, Tree};
    use crate::error::ErrorCode;
    use crate::types::{Perms, PreopenOptions, Revalidation};

    fn tree(
        limit: usize,
        revalidation: Revalidation,
    ) -> (tempfile::TempDir, Tree, super::DentryId) {
        let dir = tempfile::tempdir().unwrap();
        let fd =
            cap_std::fs::Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
        let mut tree = Tree::default();
        tree.set_cache_limits(limit, 16);
        let policy = PreopenOptions {
            perms: Perms::ReadWrite,
            revalidation,
            blocking: crate::types::Blocking::Inline,
        };
        let root = tree.add_root(fd.into_std_file().into(), policy).unwrap();
        (dir, tree, root)
    }

    /// This process's open FDs on `dir` or anything under it: other tests,
    /// which run in parallel threads, open theirs elsewhere.
    fn fds_under(dir: &std::path::Path) -> usize {
        let dir = dir.canonicalize().unwrap();
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .filter(|target| target.starts_with(&dir))
            .count()
    }

    #[test]
    fn released_dentries_stay_cached_up_to_the_limit_lru_first_out() {
        let (dir, mut tree, root) = tree(3, Revalidation::Exclusive);
        for i in 0..5 {
            std::fs::write(dir.path().join(format!("f{i}")), b"").unwrap();
        }
        let ids: Vec<_> = (0..5)
            .map(|i| tree.walk(root, name(&format!("f{i}"))).unwrap())
            .collect();
        for &id in &ids {
            tree.release(id);
        }
        assert_eq!(tree.counts(), (1 + 3, 3), "root + the 3 most recent");
        assert!(
            tree.get(ids[0]).is_err() && tree.get(ids[1]).is_err(),
            "the coldest went first"
        );
        // A cached walk is the same dentry, no longer unreferenced; it keeps
        // its place on the LRU, touched, so that its release needs no
        // write lock.
        assert_eq!(tree.walk(root, name("f4")).unwrap(), ids[4]);
        assert_eq!(tree.counts(), (4, 2));
        assert_ne!(tree.get(ids[4]).unwrap().lru_stamp, 0);
        assert!(tree.get(ids[4]).unwrap().touched.load(Ordering::Relaxed));
        assert!(tree.release_cached(ids[4]));
        // f2 is now the coldest; a new one pushes it out.
        let again = tree.walk(root, name("f0")).unwrap();
        tree.release(again);
        assert!(tree.get(ids[2]).is_err() && tree.get(ids[3]).is_ok() && tree.get(ids[4]).is_ok());
    }

    /// Directories are kept in preference to files while they are at most
    /// half the cache: a walk of more files than the cache holds leaves
    /// its directories cached for the next walk (their files gone first,
    /// though older); past half the cache, the least recently used goes,
    /// directory or file.
    #[test]
    fn directories_outlive_files_up_to_half_the_cache() {
        let (dir, mut tree, root) = tree(6, Revalidation::Exclusive);
        let dirs = ["d0", "d1", "d2"];
        for d in dirs {
            std::fs::create_dir(dir.path().join(d)).unwrap();
            for f in 0..4 {
                std::fs::write(dir.path().join(format!("{d}/f{f}")), b"").unwrap();
            }
        }
        for d in dirs {
            for f in 0..4 {
                let file = tree.walk_path(root, &format!("{d}/f{f}"), false).unwrap();
                tree.release(file);
            }
        }
        // 6 cached: the 3 directories (each a leaf once its files went,
        // queued behind files walked later) and the 3 newest files.
        assert_eq!(tree.counts(), (1 + 6, 6));
        for d in dirs {
            assert!(tree.knows_name(root, name(d)), "{d} kept");
        }
        let d2 = tree.walk(root, name("d2")).unwrap();
        for f in 1..4 {
            assert!(tree.knows_name(d2, name(&format!("f{f}"))), "f{f}");
        }
        tree.release(d2);
        tree.check_lru().unwrap();

        // A fourth directory leaf: three queued (`d2` holds files), no more
        // than half the cache, so a file goes (`d2/f1`, newer than `d0`).
        // A fifth: four, past half, and the least recently used goes: `d0`,
        // before newer files.
        for d in ["d3", "d4"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
            let id = tree.walk(root, name(d)).unwrap();
            tree.release(id);
        }
        let d2 = tree.walk(root, name("d2")).unwrap();
        let files = [1, 2, 3].map(|f| tree.knows_name(d2, name(&format!("f{f}"))));
        tree.release(d2);
        assert_eq!(files, [false, true, true]);
        assert!(
            !tree.knows_name(root, name("d0")),
            "the coldest directory went"
        );
        for d in ["d1", "d2", "d3", "d4"] {
            assert!(tree.knows_name(root, name(d)), "{d} kept");
        }
        tree.check_lru().unwrap();
    }

    /// A walk and a release as the frontends make them under the read
    /// lock ([`Tree::cached_walk`], [`Tree::release_cached`]).
    fn walk_read_locked(tree: &Tree, root: super::DentryId, path: &str) -> super::DentryId {
        let walk = tree.cached_walk(root, path, false).expect("cached");
        assert!(tree.acquire_walked(walk));
        walk.found
    }

    #[test]
    fn a_dentry_held_under_the_read_lock_is_not_evicted() {
        let (dir, mut tree, root) = tree(2, Revalidation::Exclusive);
        for i in 0..4 {
            std::fs::write(dir.path().join(format!("f{i}")), b"").unwrap();
        }
        let walk_and_release = |tree: &mut Tree, i: usize| {
            let id = tree.walk(root, name(&format!("f{i}"))).unwrap();
            tree.release(id);
            id
        };
        let f: Vec<_> = (0..2).map(|i| walk_and_release(&mut tree, i)).collect();
        assert_eq!(tree.counts(), (3, 2));
        // f0 is held, still on the LRU (no write lock to take it off).
        assert_eq!(walk_read_locked(&tree, root, "f0"), f[0]);
        assert_eq!(tree.counts(), (3, 1));
        assert_ne!(tree.get(f[0]).unwrap().lru_stamp, 0);
        // f2 and f3 come: one over the limit. The coldest entry is f0's:
        // the eviction takes it off the LRU and frees f1.
        let f2 = walk_and_release(&mut tree, 2);
        let f3 = walk_and_release(&mut tree, 3);
        assert!(tree.get(f[0]).is_ok() && tree.get(f[1]).is_err());
        assert_eq!(tree.get(f[0]).unwrap().lru_stamp, 0);
        assert_eq!(tree.counts(), (4, 2));
        // Off the LRU, its last release must queue it: the write lock's.
        assert!(!tree.release_cached(f[0]));
        tree.release(f[0]);
        assert_ne!(tree.get(f[0]).unwrap().lru_stamp, 0);
        assert!(tree.get(f2).is_err() && tree.get(f3).is_ok());
        assert_eq!(tree.counts(), (3, 2));
    }

    #[test]
    fn a_dentry_walked_under_the_read_lock_gets_a_second_chance() {
        let (dir, mut tree, root) = tree(2, Revalidation::Exclusive);
        for i in 0..3 {
            std::fs::write(dir.path().join(format!("f{i}")), b"").unwrap();
        }
        let f: Vec<_> = (0..2)
            .map(|i| tree.walk(root, name(&format!("f{i}"))).unwrap())
            .collect();
        f.iter().for_each(|&id| tree.release(id));
        // f0, the coldest, is walked and dropped under the read lock: it
        // stays where it was on the LRU, but touched.
        walk_read_locked(&tree, root, "f0");
        assert!(tree.release_cached(f[0]));
        assert_eq!(tree.counts(), (3, 2));
        let f2 = tree.walk(root, name("f2")).unwrap();
        tree.release(f2);
        assert!(
            tree.get(f[0]).is_ok() && tree.get(f[1]).is_err(),
            "f1 is the least recently used"
        );
        // The second chance is used up: f0 is queued after f2 now.
        let again = tree.walk(root, name("f1")).unwrap();
        tree.release(again);
        assert!(tree.get(f2).is_err() && tree.get(f[0]).is_ok());
    }

    #[test]
    fn the_last_release_under_the_read_lock_leaves_what_needs_the_write_lock() {
        let (dir, mut tree, root) = tree(1, Revalidation::Exclusive);
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("d/f"), b"").unwrap();
        std::fs::write(dir.path().join("g"), b"").unwrap();
        let f = tree.walk_path(root, "d/f", false).unwrap();
        let d = walk_read_locked(&tree, root, "d");
        // Two references on d: dropping one changes nothing else.
        let d2 = walk_read_locked(&tree, root, "d");
        assert!(tree.release_cached(d2));
        // d keeps its child: unreferenced, it stays as it is, but the cache
        // is at its limit (1) once f is released.
        tree.release(f);
        assert_eq!(tree.counts(), (3, 1));
        assert!(!tree.release_cached(d), "over the cache limit: evict");
        tree.release(d);
        assert_eq!(tree.counts(), (2, 1));
        // A file unlinked while held is freed by the write-locked release.
        let g = tree.walk(root, name("g")).unwrap();
        assert_eq!(walk_read_locked(&tree, root, "g"), g);
        tree.unlink(root, name("g"), nix::unistd::UnlinkatFlags::NoRemoveDir)
            .unwrap();
        assert!(tree.release_cached(g), "not the last reference");
        assert!(!tree.release_cached(g));
        tree.release(g);
        assert!(tree.get(g).is_err());
        // Nothing is walked under the read lock where a syscall is needed.
        assert!(tree.cached_walk(root, "new", false).is_none());
        std::fs::write(dir.path().join("new"), b"").unwrap();
        assert!(tree.cached_walk(root, "new", false).is_none());
        assert!(tree.cached_walk(root, "../g", false).is_none());
        assert!(tree.cached_walk(root, "d/", false).is_none());
    }

    #[test]
    fn a_file_made_is_queued_and_freed_before_its_unlink() {
        let (dir, mut tree, root) = tree(1000, Revalidation::Exclusive);
        for i in 0..2_000 {
            let n = format!("f{i}");
            let (id, handle) = tree
                .create(root, name(&n), crate::OpenFlags::WRITE, 0o644, None)
                .unwrap();
            drop(handle);
            // Queued as it was made: its drop needs no write lock.
            assert!(tree.release_cached(id), "{n}");
            tree.unlink(root, name(&n), nix::unistd::UnlinkatFlags::NoRemoveDir)
                .unwrap();
            assert!(tree.get(id).is_err(), "{n}: freed, not orphaned");
            assert!(!dir.path().join(&n).exists());
        }
        // 2,000 entries went stale with no eviction in between: the queue
        // was compacted as they did.
        tree.check_lru().unwrap();
        assert_eq!(tree.counts(), (1, 0));
    }

    #[test]
    fn interior_dentries_count_against_the_budget() {
        let (dir, mut tree, root) = tree(2, Revalidation::Exclusive);
        std::fs::create_dir_all(dir.path().join("a/b/c")).unwrap();
        let c = tree.walk_path(root, "a/b/c", false).unwrap();
        tree.release(c);
        // a, b, c unreferenced: one over the limit, so the leaf c goes.
        assert_eq!(tree.counts(), (3, 2));
        assert!(tree.get(c).is_err());
    }

    #[test]
    fn a_huge_walk_keeps_fds_bounded() {
        let (dir, mut tree, root) = tree(8, Revalidation::Exclusive);
        for d in 0..20 {
            std::fs::create_dir(dir.path().join(format!("d{d}"))).unwrap();
            for f in 0..20 {
                std::fs::write(dir.path().join(format!("d{d}/f{f}")), b"").unwrap();
            }
        }
        for d in 0..20 {
            for f in 0..20 {
                let id = tree.walk_path(root, &format!("d{d}/f{f}"), false).unwrap();
                tree.stat(id).unwrap();
                tree.release(id);
                assert!(tree.counts().0 <= 1 + 8 + 1, "{:?}", tree.counts());
                // One FD per dentry, none left behind.
                assert_eq!(fds_under(dir.path()), tree.counts().0, "d{d}/f{f}");
            }
        }
    }

    #[test]
    fn unreferenced_unlinked_dentries_are_freed_not_cached() {
        let (dir, mut tree, root) = tree(100, Revalidation::Exclusive);
        std::fs::write(dir.path().join("f"), b"").unwrap();
        let f = tree.walk(root, name("f")).unwrap();
        tree.release(f);
        assert!(tree.get(f).is_ok(), "cached");
        tree.unlink(root, name("f"), nix::unistd::UnlinkatFlags::NoRemoveDir)
            .unwrap();
        assert!(tree.get(f).is_err(), "no name, no holder: freed");
        assert_eq!(tree.counts(), (1, 0));
    }

    #[test]
    fn negative_entries_answer_until_the_name_is_created() {
        let (dir, mut tree, root) = tree(100, Revalidation::Exclusive);
        assert_eq!(tree.walk(root, name("x")), Err(ErrorCode::NoEntry));
        // Made behind directfs's back: exclusive mode trusts what it saw.
        std::fs::write(dir.path().join("x"), b"").unwrap();
        assert_eq!(tree.walk(root, name("x")), Err(ErrorCode::NoEntry));
        std::fs::remove_file(dir.path().join("x")).unwrap();
        // Made through directfs: forgotten at once.
        let (y, _h) = tree
            .create(root, name("x"), crate::OpenFlags::WRITE, 0o644, None)
            .unwrap();
        assert_eq!(tree.walk(root, name("x")), Ok(y));
    }

    #[test]
    fn negative_entries_stay_bounded_oldest_first() {
        let mut n = super::Negatives::default();
        n.set_limit(3);
        let (_dir, _tree, root) = tree(0, Revalidation::Exclusive);
        for name in ["a", "b", "c", "d"] {
            n.insert(root, name);
        }
        assert!(!n.contains(root, "a"), "the oldest was forgotten");
        assert!(n.contains(root, "b") && n.contains(root, "c") && n.contains(root, "d"));
        n.remove(root, "c");
        n.insert(root, "e");
        assert!(n.contains(root, "b") && n.contains(root, "e") && !n.contains(root, "c"));
        for i in 0..1000 {
            n.insert(root, &format!("x{i}"));
            n.remove(root, &format!("x{i}"));
        }
        assert!(n.order.len() <= 2 * 3 + 64, "the order queue stays bounded");
    }

    #[test]
    fn shared_mode_revalidates_cached_children() {
        let (dir, mut tree, root) = tree(100, Revalidation::Shared);
        let p = dir.path();
        std::fs::write(p.join("f"), b"old").unwrap();
        let old = tree.walk(root, name("f")).unwrap();
        tree.release(old);
        let old_ino = tree.stat(old).unwrap().ino;
        // Replaced on the host: a new dentry, a new inode number.
        std::fs::write(p.join("g"), b"new").unwrap();
        std::fs::rename(p.join("g"), p.join("f")).unwrap();
        let new = tree.walk(root, name("f")).unwrap();
        assert_ne!(tree.stat(new).unwrap().ino, old_ino);
        assert!(
            tree.get(old).is_err(),
            "the stale cached dentry was dropped"
        );
        // Deleted on the host.
        std::fs::remove_file(p.join("f")).unwrap();
        assert!(matches!(tree.get(new).unwrap().link, Link::Child { .. }));
        assert_eq!(tree.walk(root, name("f")), Err(ErrorCode::NoEntry));
        assert!(
            matches!(tree.get(new).unwrap().link, Link::Unlinked),
            "held: kept, unnamed"
        );
        // Created on the host: no negative entry hides it.
        std::fs::write(p.join("f"), b"again").unwrap();
        let again = tree.walk(root, name("f")).unwrap();
        assert_eq!(tree.stat(again).unwrap().size, 5);
        // Unchanged: the cached dentry is used.
        tree.release(again);
        assert_eq!(tree.walk(root, name("f")), Ok(again));
    }

    #[test]
    fn exclusive_mode_trusts_its_cache() {
        let (dir, mut tree, root) = tree(100, Revalidation::Exclusive);
        std::fs::write(dir.path().join("f"), b"old").unwrap();
        let old = tree.walk(root, name("f")).unwrap();
        tree.release(old);
        std::fs::remove_file(dir.path().join("f")).unwrap();
        std::fs::write(dir.path().join("f"), b"newer").unwrap();
        // The documented behaviour: the cached (now unlinked) file, whose
        // FD still reads the old data.
        assert_eq!(tree.walk(root, name("f")), Ok(old));
        let st = tree.stat(old).unwrap();
        assert_eq!((st.size, st.nlink), (3, 0));
        assert!(
            tree.get(old)
                .unwrap()
                .fd
                .as_fd()
                .try_clone_to_owned()
                .is_ok()
        );
    }
}

#[cfg(test)]
mod memory {
    use super::super::tests::name;
    use super::super::{DentryId, Tree};
    use crate::test_alloc::net_bytes;
    use crate::types::Perms;

    /// Measures the heap bytes one cached dentry costs (slot, name, the
    /// parent's map entry, its LRU entry), amortized over many, as the
    /// README states it; fails if it grows past a budget.
    #[test]
    fn bytes_per_cached_dentry() {
        const N: usize = 4096;
        let dir = tempfile::tempdir().unwrap();
        for i in 0..N {
            std::fs::write(dir.path().join(format!("file-{i:05}")), b"").unwrap();
        }
        let fd =
            cap_std::fs::Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
        let mut tree = Tree::default();
        tree.set_cache_limits(usize::MAX, 0);
        let root = tree
            .add_root(fd.into_std_file().into(), Perms::ReadWrite.into())
            .unwrap();
        let names: Vec<String> = (0..N).map(|i| format!("file-{i:05}")).collect();
        let before = net_bytes();
        let ids: Vec<DentryId> = names
            .iter()
            .map(|n| tree.walk(root, name(n)).unwrap())
            .collect();
        for id in ids {
            tree.release(id);
        }
        let per_dentry = (net_bytes() - before) as f64 / N as f64;
        assert_eq!(tree.counts(), (N + 1, N));
        let slot = std::mem::size_of::<super::super::Slot>();
        eprintln!("bytes per cached dentry (10-byte names): {per_dentry:.0} (slot {slot} bytes)");
        assert!(
            per_dentry < 370.0,
            "a cached dentry costs {per_dentry:.0} bytes"
        );
    }
}
