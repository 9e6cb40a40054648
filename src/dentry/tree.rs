//! The arena of dentries and its bookkeeping: slots and generations,
//! references, the LRU of unused dentries (`settle`, `evict`), the FD
//! budget, and freeing.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicUsize};

use foldhash::HashMap;
use nix::errno::Errno;
use nix::fcntl::OFlag;

use super::cache::Cache;
use super::inode::key_of;
use super::{Dentry, DentryId, FdMode, Link, Slot, Tree, try_open};
use crate::budget::FdBudget;
use crate::error::ErrorCode;
use crate::sys;
use crate::types::FileType;
use crate::types::{Perms, PreopenOptions, Revalidation};

impl Tree {
    /// Adds a preopened host directory as a root dentry. Takes ownership of
    /// `dir` (and closes it).
    ///
    /// The root gets its own FD, opened from `dir` as [`try_open`] does for
    /// every dentry (cap-std, for one, hands out `O_PATH` directories).
    ///
    /// # Preconditions
    /// `dir` is a directory the embedder (trusted) opened.
    pub(crate) fn add_root(
        &mut self,
        dir: OwnedFd,
        policy: PreopenOptions,
    ) -> Result<DentryId, Errno> {
        self.add_root_at(dir.as_fd(), policy)
    }

    /// The read-only twin of root `root`: another root on the same host
    /// directory, for a context that preopens `root`'s mount both
    /// read-write and read-only (a context tells its preopens' permissions
    /// by their roots). Made at the first such context, then reused: one
    /// per mount at most. An exclusive mount's twin is coherent: it changes
    /// nothing (the mount's promise holds), and sees the mount's changes
    /// through the kernel's notifications.
    pub(crate) fn read_only_twin(&mut self, root: DentryId) -> Result<DentryId, Errno> {
        if let Some(&twin) = self.twins.get(&root) {
            return Ok(twin);
        }
        let d = self.get(root).map_err(|_| Errno::EBADF)?;
        let mut policy = d.policy;
        if policy.revalidation == Revalidation::Exclusive {
            policy.revalidation = Revalidation::Coherent;
        }
        let fd = Arc::clone(&d.fd);
        let twin = self.add_root_with(fd.as_fd(), policy, false)?;
        self.twins.insert(root, twin);
        Ok(twin)
    }

    /// [`Tree::add_root`] on a directory FD the caller keeps.
    fn add_root_at(
        &mut self,
        dir: std::os::fd::BorrowedFd<'_>,
        policy: PreopenOptions,
    ) -> Result<DentryId, Errno> {
        self.add_root_with(dir, policy, true)
    }

    /// [`Tree::add_root_at`]; with `overlaps`, an exclusive mount that
    /// overlaps another of the tree (the same directory, or one inside the
    /// other) is made coherent, as is the other if exclusive
    /// ([`Tree::keep_overlaps_coherent`]). A read-only twin changes
    /// nothing, so it makes no exclusive mount coherent.
    fn add_root_with(
        &mut self,
        dir: std::os::fd::BorrowedFd<'_>,
        policy: PreopenOptions,
        overlaps: bool,
    ) -> Result<DentryId, Errno> {
        let (fd, fd_mode) = try_open(dir, ".", OFlag::O_DIRECTORY)?;
        let st = sys::fstat(fd.as_fd())?;
        let id = self.insert(Dentry {
            fd: Arc::new(fd),
            fd_mode,
            link: Link::Root,
            children: Children::default(),
            key: key_of(&st),
            file_type: FileType::Directory,
            root: DentryId {
                index: 0,
                generation: 0,
            },
            policy,
            refs: AtomicU32::new(0),
            lru_stamp: 0,
            touched: AtomicBool::new(false),
            names_gen: 0,
            checked_in: 0,
            revalidated: AtomicU16::new(0),
            changed: 0,
            watch: super::Watch::None,
            names_told: false,
        });
        if let Ok(root) = self.get_mut(id) {
            root.root = id;
        }
        self.caches.insert(id, Cache::default());
        if overlaps {
            self.keep_overlaps_coherent(id);
        }
        Ok(id)
    }

    /// The count of threads waiting for this tree's write lock, for the
    /// lock's owner to keep.
    pub(crate) fn writers_waiting(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.writers_waiting)
    }

    /// Sets the cache limits (see [`crate::Limits`]).
    pub(crate) fn set_cache_limits(&mut self, max_cached: usize, max_negative: usize) {
        self.max_cached = max_cached;
        self.negatives.set_limit(max_negative);
    }

    /// Sets the host-FD limit: `max_open + max_cached_dentries + roots` (see
    /// [`crate::budget`]). Called once the roots are known.
    pub(crate) fn set_fd_limit(&mut self, max_open: usize) {
        let roots = self.caches.len();
        self.budget.set_limit(
            max_open
                .saturating_add(self.max_cached)
                .saturating_add(roots),
        );
    }

    /// How many times the tree has been write-locked so far: two reads of
    /// the same generation (under read locks) saw the same tree, names and
    /// dentries alike, since every change takes the write lock.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Starts a new generation: called on each write lock.
    pub(crate) fn next_generation(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    /// The kernel's change notifications for this tree's coherent mounts,
    /// for the [`crate::Filesystem`] to drain.
    pub(crate) fn watcher(&self) -> Arc<crate::watch::Watcher> {
        Arc::clone(&self.watcher)
    }

    /// Where the syscalls of calls on dentry `id`'s mount run on async hosts
    /// (inline for a freed dentry: the call then fails at once).
    pub(crate) fn blocking(&self, id: DentryId) -> crate::types::Blocking {
        self.get(id)
            .map_or(crate::types::Blocking::Inline, |d| d.policy.blocking)
    }

    /// The tree's host-FD budget (for statistics).
    pub(crate) fn budget(&self) -> &FdBudget {
        &self.budget
    }

    /// Makes room for `n` more host FDs under the budget, evicting the least
    /// recently used cached dentries (of any preopen) as needed. Fails with
    /// `too-many-open` where the cache has nothing left to give: every FD is
    /// held by the guest or keeps a held dentry's ancestors. Called before
    /// the syscalls of an operation, so a refused one has no effect.
    pub(super) fn make_room(&mut self, n: usize) -> Result<(), ErrorCode> {
        while !self.budget.has_room(n) {
            if !self.evict_one() {
                return Err(ErrorCode::TooManyOpen);
            }
        }
        Ok(())
    }

    /// Frees the coldest cached leaf of any preopen; false if there is none.
    pub(super) fn evict_one(&mut self) -> bool {
        let roots: Vec<DentryId> = self.caches.keys().copied().collect();
        for root in roots {
            if let Some(coldest) = self.pop_evictable(root) {
                self.free_dentry(coldest);
                return true;
            }
        }
        false
    }

    /// Runs `open`, a syscall that makes host FDs (given the tree, to find
    /// its directory's FD). Where the process or the system is out of FDs
    /// (`EMFILE`, `ENFILE`) although the tree's budget had room, the FDs the
    /// tree caches are better spent on what guests ask for: every cached
    /// dentry no guest holds, of every mount of this tree, is freed and
    /// `open` runs once more. Its error stands if it fails again (or if
    /// there was nothing to free).
    ///
    /// # Preconditions
    /// `open` has no effect when it fails with `EMFILE` or `ENFILE` (the
    /// kernel takes the FD number before it looks at the path: an
    /// `O_CREAT` that fails so creates nothing).
    pub(super) fn retrying_out_of_fds<T>(
        &mut self,
        mut open: impl FnMut(&Tree) -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        match open(self) {
            Err(errno) if out_of_fds(errno) && self.shed_cache() => open(self),
            done => done,
        }
    }

    /// Frees every cached dentry no guest holds, of every mount; whether
    /// any was freed.
    pub(super) fn shed_cache(&mut self) -> bool {
        let mut freed = false;
        while self.evict_one() {
            freed = true;
        }
        freed
    }

    /// `(dentries, unreferenced dentries)` of the whole tree.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (
            self.live,
            self.caches.values().map(Cache::unreferenced).sum(),
        )
    }

    /// Takes one more guest reference on `id` (no longer counted as
    /// unreferenced if it was). A dentry on its LRU stays there, marked
    /// [`Dentry::touched`], as [`Tree::acquire_cached`] leaves it: the
    /// guest's drop of it can then be a read-locked one.
    pub(crate) fn acquire(&mut self, id: DentryId) -> Result<(), ErrorCode> {
        let d = self.get_mut(id)?;
        let refs = d.refs.get_mut();
        *refs = refs.checked_add(1).ok_or(ErrorCode::TooManyOpen)?;
        let (first, root) = (*refs == 1, d.root);
        if d.lru_stamp != 0 {
            *d.touched.get_mut() = true;
        }
        let is_root = matches!(d.link, Link::Root);
        if first
            && !is_root
            && let Some(cache) = self.caches.get(&root)
        {
            cache.referenced();
        }
        Ok(())
    }

    /// Drops one guest reference on `id`. An unreferenced dentry stays as a
    /// cache entry (or is freed if it has no name); the cache is then
    /// trimmed to its limit.
    pub(crate) fn release(&mut self, id: DentryId) {
        let Ok(d) = self.get_mut(id) else { return };
        let refs = d.refs.get_mut();
        if *refs == 0 {
            return;
        }
        *refs -= 1;
        let (root, now_unreferenced) = (d.root, *refs == 0 && !matches!(d.link, Link::Root));
        if now_unreferenced && let Some(cache) = self.caches.get_mut(&root) {
            cache.unreferenced_again();
        }
        self.settle(id);
        self.evict(root);
    }

    /// Puts `id` where its state says it belongs: on its preopen's LRU if it
    /// is a leaf with a name (held or not), off it if it has children,
    /// freed if it is an unreferenced leaf without a name.
    pub(super) fn settle(&mut self, id: DentryId) {
        let Ok(d) = self.get_mut(id) else { return };
        let leaf = d.children.is_empty();
        let unreferenced = *d.refs.get_mut() == 0;
        let root = d.root;
        match (&d.link, leaf) {
            (Link::Root, _) => {}
            (Link::Unlinked, true) if unreferenced => self.free_dentry(id),
            (Link::Unlinked, true) => {}
            (Link::Child { .. }, true) if d.lru_stamp == 0 => {
                let dir = d.file_type == FileType::Directory;
                if let Some(cache) = self.caches.get_mut(&root) {
                    let stamp = cache.push(id, dir);
                    if let Ok(d) = self.get_mut(id) {
                        d.lru_stamp = stamp;
                        *d.touched.get_mut() = false;
                    }
                }
            }
            (_, false) if d.lru_stamp != 0 => {
                d.lru_stamp = 0;
                let dir = d.file_type == FileType::Directory;
                self.unqueued(root, dir);
            }
            _ => {}
        }
    }

    /// Notes that a dentry of preopen `root` left its LRU (its stamp was
    /// cleared, or it was freed): its entry is stale now. The stale entries
    /// are dropped once they outnumber the live ones, so the queue stays
    /// bounded however many dentries come and go between two evictions.
    pub(super) fn unqueued(&mut self, root: DentryId, dir: bool) {
        let Self { caches, slots, .. } = self;
        if let Some(cache) = caches.get_mut(&root) {
            cache.unqueued(dir);
            cache.compact(|&(id, stamp)| is_queued_at(slots, id, stamp));
        }
    }

    /// Frees the least recently used leaves of preopen `root` while more
    /// dentries than the limit are unreferenced there.
    pub(super) fn evict(&mut self, root: DentryId) {
        loop {
            let Some(cache) = self.caches.get(&root) else {
                return;
            };
            if cache.unreferenced() <= self.max_cached {
                return;
            }
            let Some(coldest) = self.pop_evictable(root) else {
                return;
            };
            self.free_dentry(coldest);
        }
    }

    /// Takes the coldest dentry that may be freed off preopen `root`'s LRU:
    /// on the way, a dentry a guest holds (taken under the read lock) just
    /// leaves the LRU, and one a guest took since it was queued
    /// ([`Dentry::touched`]) is queued again as the most recently used.
    pub(super) fn pop_evictable(&mut self, root: DentryId) -> Option<DentryId> {
        loop {
            let Self {
                caches,
                slots,
                max_cached,
                ..
            } = self;
            let cache = caches.get_mut(&root)?;
            // Directories kept in preference up to half the cache (see
            // `cache`).
            let keep_dirs = *max_cached / 2;
            let coldest =
                cache.pop_coldest(keep_dirs, |id, stamp| is_queued_at(slots, id, stamp))?;
            let Ok(d) = self.get_mut(coldest) else {
                continue;
            };
            d.lru_stamp = 0;
            if *d.refs.get_mut() != 0 {
                continue;
            }
            if *d.touched.get_mut() {
                // Off the LRU now, an unreferenced leaf: `settle` queues it
                // as the most recently used (and clears `touched`).
                self.settle(coldest);
                continue;
            }
            return Some(coldest);
        }
    }

    /// Frees dentry `id` now (closing its FD), unhooks it from its parent
    /// and settles the parent.
    ///
    /// # Preconditions
    /// No guest holds `id` and it has no children. (A queue entry it has
    /// goes stale.)
    pub(super) fn free_dentry(&mut self, id: DentryId) {
        let Some(d) = self.remove(id) else { return };
        if let Some(cache) = self.caches.get(&d.root) {
            cache.referenced();
        }
        if d.lru_stamp != 0 {
            self.unqueued(d.root, d.file_type == FileType::Directory);
        }
        if let Link::Child { parent, name } = d.link {
            if let Ok(p) = self.get_mut(parent)
                && p.children.get(&name) == Some(&id)
            {
                p.children.remove(&name);
            }
            self.settle(parent);
        }
        // `d.fd` closes here.
    }

    /// The root of the mount dentry `id` is in.
    pub(crate) fn root_of(&self, id: DentryId) -> Result<DentryId, ErrorCode> {
        Ok(self.get(id)?.root)
    }

    /// Fails with `read-only` unless dentry `id`'s mount is read-write.
    pub(crate) fn check_writable(&self, id: DentryId) -> Result<(), ErrorCode> {
        match self.get(id)?.policy.perms {
            Perms::ReadWrite => Ok(()),
            Perms::ReadOnly => Err(ErrorCode::ReadOnly),
        }
    }

    /// Adds `dentry` to the arena (charging its FD to the budget), and
    /// watches it if it is a coherent mount's directory
    /// ([`Tree::watch_new`]).
    pub(super) fn insert(&mut self, dentry: Dentry) -> DentryId {
        let id = self.insert_slot(dentry);
        self.watch_new(id);
        id
    }

    fn insert_slot(&mut self, dentry: Dentry) -> DentryId {
        self.live += 1;
        // A lent FD is charged by its handle.
        if dentry.fd_mode != FdMode::Lent {
            self.budget.charge();
        }
        let reusable = self
            .free
            .pop()
            .and_then(|index| Some((index, self.slots.get_mut(index as usize)?)));
        match reusable {
            Some((index, slot)) => {
                slot.dentry = Some(dentry);
                DentryId {
                    index,
                    generation: slot.generation,
                }
            }
            None => {
                let index = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                self.slots.push(Slot {
                    generation: 0,
                    dentry: Some(dentry),
                });
                DentryId {
                    index,
                    generation: 0,
                }
            }
        }
    }

    pub(super) fn remove(&mut self, id: DentryId) -> Option<Dentry> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        let dentry = slot.dentry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(id.index);
        self.live -= 1;
        if dentry.fd_mode != FdMode::Lent {
            self.budget.refund();
        }
        if let super::Watch::On(wd) = dentry.watch {
            self.unwatch(wd, id, &dentry.fd, crate::watch::Unwatch::Parked);
        }
        Some(dentry)
    }

    pub(super) fn get(&self, id: DentryId) -> Result<&Dentry, ErrorCode> {
        slot_dentry(&self.slots, id)
    }

    pub(super) fn get_mut(&mut self, id: DentryId) -> Result<&mut Dentry, ErrorCode> {
        match self.slots.get_mut(id.index as usize) {
            Some(Slot {
                generation,
                dentry: Some(d),
            }) if *generation == id.generation => Ok(d),
            // Unreachable while guest references keep dentries alive.
            _ => Err(ErrorCode::BadDescriptor),
        }
    }
}

/// The live children of a dentry, by name. Most dentries are files with
/// none, so the map is only allocated for the first child: 8 bytes, not 48.
/// A directory whose last child goes keeps a small map (up to
/// [`Children::KEPT`] entries of room, a few hundred bytes), so that a
/// name made and removed again and again allocates nothing; a larger one
/// is freed, so what a directory keeps does not grow with what it once
/// held.
#[derive(Debug, Default)]
pub(super) struct Children(pub(super) Option<Box<HashMap<Arc<str>, DentryId>>>);

impl Children {
    /// The most room an empty map keeps.
    const KEPT: usize = 16;

    pub(super) fn get(&self, name: &str) -> Option<&DentryId> {
        self.0.as_ref()?.get(name)
    }

    pub(super) fn insert(&mut self, name: Arc<str>, id: DentryId) {
        self.0.get_or_insert_default().insert(name, id);
    }

    /// The names of the children.
    pub(super) fn names(&self) -> impl Iterator<Item = &Arc<str>> {
        self.0.iter().flat_map(|map| map.keys())
    }

    pub(super) fn remove(&mut self, name: &str) -> Option<DentryId> {
        let map = self.0.as_mut()?;
        let removed = map.remove(name);
        if map.is_empty() && map.capacity() > Self::KEPT {
            self.0 = None;
        }
        removed
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|map| map.is_empty())
    }

    /// How many children there are.
    pub(super) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |map| map.len())
    }

    #[cfg(test)]
    pub(super) fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

#[cfg(test)]
impl Tree {
    /// Checks the LRU's rules (in a quiet moment: no read-locked call in
    /// progress): an unreferenced leaf with a name is queued (else no
    /// eviction would ever free it), a dentry with children is not, each
    /// queued dentry has its one live entry, the counts agree, and stale
    /// entries stay bounded.
    pub(crate) fn check_lru(&self) -> Result<(), String> {
        let mut queued: HashMap<DentryId, usize> = HashMap::default();
        for (index, slot) in self.slots.iter().enumerate() {
            let Some(d) = &slot.dentry else { continue };
            let id = DentryId {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                generation: slot.generation,
            };
            let unreferenced = d.refs.load(std::sync::atomic::Ordering::Relaxed) == 0;
            let named = matches!(d.link, Link::Child { .. });
            if named && unreferenced && d.children.is_empty() && d.lru_stamp == 0 {
                return Err(format!("{id:?}: an unreferenced leaf off the LRU"));
            }
            if !d.children.is_empty() && d.lru_stamp != 0 {
                return Err(format!("{id:?}: a dentry with children on the LRU"));
            }
            if d.lru_stamp != 0 {
                *queued.entry(d.root).or_default() += 1;
                let (queue, _) = self.caches.get(&d.root).ok_or("no cache")?.entries();
                let entries = queue.iter().filter(|&&e| e == (id, d.lru_stamp)).count();
                if entries != 1 {
                    return Err(format!("{id:?}: {entries} entries for its stamp"));
                }
            }
        }
        for (root, cache) in &self.caches {
            let (queue, live) = cache.entries();
            let want = queued.get(root).copied().unwrap_or(0);
            if live != want {
                return Err(format!(
                    "{root:?}: {live} live entries counted, {want} queued"
                ));
            }
            if queue.len() > 2 * live + 64 {
                return Err(format!("{root:?}: {} entries for {live} live", queue.len()));
            }
        }
        Ok(())
    }
}

/// Whether `errno` says the process (`EMFILE`) or the system (`ENFILE`) is
/// out of file descriptors.
pub(super) fn out_of_fds(errno: Errno) -> bool {
    matches!(errno, Errno::EMFILE | Errno::ENFILE)
}

/// Whether LRU entry `(id, stamp)` is live: dentry `id` is queued with
/// that stamp (an entry left behind when it left the queue is stale).
pub(super) fn is_queued_at(slots: &[Slot], id: DentryId, stamp: u64) -> bool {
    matches!(slot_dentry(slots, id), Ok(d) if d.lru_stamp == stamp)
}

pub(super) fn slot_dentry(slots: &[Slot], id: DentryId) -> Result<&Dentry, ErrorCode> {
    match slots.get(id.index as usize) {
        Some(Slot {
            generation,
            dentry: Some(d),
        }) if *generation == id.generation => Ok(d),
        // Unreachable while guest references keep dentries alive.
        _ => Err(ErrorCode::BadDescriptor),
    }
}
