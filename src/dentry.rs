//! The dentry tree: one [`Dentry`] per host file a guest has reached, each
//! holding a host FD, linked to its parent by name.
//!
//! Every operation is an fd-relative syscall on a dentry's own FD or on its
//! parent's (see [`crate::sys`]). A dentry's FD is opened as gVisor's
//! directfs `tryOpen` does: `O_RDONLY | O_NONBLOCK` first (files, directories,
//! FIFOs without blocking), then `O_PATH` (symlinks, sockets, files the host
//! may not read), always with `O_NOFOLLOW | O_CLOEXEC`.
//!
//! # Lifetime and the cache
//! A dentry lives while a guest holds a reference to it (a `dentry` resource,
//! or a walk in progress), while it has a live child (whose walks and
//! re-opens go through its FD), or while it is cached. When no guest holds a
//! dentry any more it stays, as a cache entry, so the next walk of its name
//! costs no syscall. Per preopen, at most [`crate::Limits::max_cached_dentries`]
//! dentries that no guest holds are kept (leaves and the ancestors they keep
//! alike); past that the least recently used leaves are freed and their FDs
//! closed, which may make their parents leaves in turn. Preopen roots are
//! never freed. A dentry that lost its name (unlinked, replaced) is freed as
//! soon as no guest holds it.
//!
//! # The host-FD bound
//! A held dentry keeps all its ancestors (and their FDs) alive, and an open
//! handle has an FD of its own, so the cache limit alone bounds nothing: a
//! guest nesting directories holds one FD per level. Every FD the tree holds
//! is therefore charged to its [`FdBudget`] (see [`crate::budget`]), whose
//! limit is [`crate::Limits::max_open`] + the cache limit + the roots. Each
//! operation that makes an FD first asks [`Tree::make_room`], which evicts
//! cached dentries of any preopen as needed and otherwise fails with
//! `too-many-open`, before any syscall with an effect.
//!
//! In [`Revalidation::Shared`] preopens a cached child is re-checked against
//! the host before use (see [`Tree::walk`]); in exclusive ones, recent
//! `no-entry` results are remembered too.
//!
//! # Identity
//! Two walks of the same name under the same parent give the same dentry while
//! it lives (the parent's `children` map), so a rename or unlink through
//! directfs updates every reference at once. The dentries of one host file
//! (hard links) share an inode in [`Inodes`], keyed by `(st_dev, st_ino)`:
//! one stable guest inode number, and the handles open on it.
//!
//! # Preopens
//! Each dentry belongs to one preopen (its `root`), which fixes its
//! permissions and where absolute symlinks start. Preopens are separate
//! mounts to the guest: `rename` and `link` between them fail with
//! `cross-device`, so a dentry never changes preopen.
//!
//! # Locking
//! None inside: a [`Tree`] is behind its [`crate::Filesystem`]'s
//! reader-writer lock (see [`crate::ctx`], "Lock order"). Methods taking
//! `&mut self` run under the write lock (their cache misses may be put off
//! to be made unlocked, see [`deferred`]); the few taking `&self` that a
//! frontend calls under the read lock ([`Tree::stat_cached_at`],
//! [`Tree::stat_known`], [`Tree::stat_fd_known`], [`Tree::identity_known`],
//! [`Tree::cached_walk`]) change nothing and answer [`ReadLocked::Full`],
//! [`ReadLocked::Unnumbered`] or `None` where they would have to (the
//! caller then takes the write lock): with no writer, nothing frees a
//! dentry or renames a name under them.
//!
//! Guest references are the exception: [`Tree::acquire_cached`] and
//! [`Tree::release_cached`] change a dentry's `refs` and its preopen's
//! count of unreferenced dentries under the read lock, atomically, where
//! nothing else has to change (no LRU entry queued, no dentry freed or
//! evicted). So the LRU is kept lazily: every leaf with a name is queued,
//! held or not (a new one as it is made, so that the guest's drop of it is
//! a read-locked one), an eviction skips what guests hold (taking it off
//! the LRU), and a dentry taken since it was queued gets a second chance
//! ([`Dentry::touched`]). The rule `settle` keeps under the write lock: a
//! leaf with a name is on the LRU, a dentry with children is not.
//!
//! # Hashing
//! The maps (children by name, inodes, caches, remembered `no-entry`s) use
//! foldhash with a random seed per map, not SipHash, which was a tenth of a
//! cached walk. Guest-chosen names are keys, but a guest cannot see hashes
//! or map order, and what it could collide is bounded: a directory's live
//! children are at most the held dentries plus the cache.

mod cache;
mod deferred;
pub(crate) use self::deferred::{Answer, Deferred};
#[cfg(test)]
mod differential;
mod inode;
mod setstat;

pub(crate) use self::setstat::requested;
mod walk;
pub(crate) use self::walk::{Confine, MAX_SYMLINK_FOLLOWS};
mod xattr;

use std::cell::Cell;
use std::ops::ControlFlow;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use foldhash::HashMap;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{FileStat, Mode, SFlag};
use nix::unistd::UnlinkatFlags;

use self::cache::{Cache, Negatives};
pub(crate) use self::inode::file_type_of_mode;
use self::inode::{InoKey, Inodes, key_of};
use crate::budget::FdBudget;
use crate::error::ErrorCode;
use crate::handle::Handle;
use crate::name::{Name, check_path};
use crate::sys;
use crate::types::{
    DirEntry, DirEntryPlus, DirPage, DirPlusPage, FileType, OpenFlags, Owner, RenameFlags, Stat,
    Statfs,
};
use crate::types::{FsPerms, PreopenOptions, Revalidation};

/// A guest's reference to a dentry: the Rust type of the WIT `dentry`
/// resource. Creating one takes a reference on the dentry; the host releases
/// it when the guest drops the resource.
#[derive(Debug)]
pub struct DentryRef {
    pub(crate) id: DentryId,
}

/// The bit of [`Dentry::checked_in`] saying that call made the dentry.
const MADE: u32 = 1 << 31;

/// What a call made under the tree's read lock came to.
#[derive(Debug)]
pub(crate) enum ReadLocked<T> {
    /// The answer.
    Done(Result<T, ErrorCode>),
    /// A host stat of a file (or device) with no guest number yet: the
    /// answer once [`Tree::guest_stat`] numbers it under the write lock (no
    /// second syscall).
    Unnumbered(FileStat),
    /// Not answerable under the read lock: take the full call under the
    /// write lock.
    Full,
}

/// Where a path leads through live dentries ([`Tree::cached_path`]).
#[derive(Debug)]
pub(crate) struct CachedPath<'p> {
    /// The directory holding the path's last name (the path's own end if
    /// it has none).
    pub(crate) dir: DentryId,
    /// The last name (`None`: the path names `dir`, as `.` does).
    pub(crate) last: Option<&'p str>,
    /// The lookups made on the way.
    hits: u64,
}

/// Where a walk leads through live dentries ([`Tree::cached_walk`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CachedWalk {
    /// The dentry the walk reaches.
    pub(crate) found: DentryId,
    /// The lookups made on the way.
    hits: u64,
}

/// The index of a dentry in its [`Tree`], with a generation that tells a
/// freed and reused slot from the dentry that was there before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct DentryId {
    index: u32,
    generation: u32,
}

/// Where a dentry hangs in the tree.
#[derive(Debug)]
enum Link {
    /// A preopen root: no parent, never freed.
    Root,
    /// The dentry named `name` in directory `parent`.
    Child { parent: DentryId, name: Arc<str> },
    /// Its host file was unlinked (or replaced by a rename) through
    /// directfs: it has no name any more.
    Unlinked,
}

/// How a dentry's FD was opened by [`try_open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FdMode {
    /// `O_RDONLY | O_NONBLOCK`: usable for `fstat`, `*at`, reading, `f*xattr`.
    Read,
    /// `O_PATH`: usable for `fstat`, `*at` and `AT_EMPTY_PATH` calls only.
    Path,
}

#[derive(Debug)]
struct Dentry {
    /// The host FD of this file, opened by [`try_open`]. Immutable. Shared
    /// only with a lookup made while the tree is unlocked
    /// ([`deferred`]), which keeps it open.
    fd: Arc<OwnedFd>,
    /// How `fd` was opened. Immutable.
    fd_mode: FdMode,
    /// Changes on rename and unlink through directfs.
    link: Link,
    /// The live dentries under this directory, by name.
    children: Children,
    /// The host identity of `fd`'s file. Immutable.
    key: InoKey,
    /// The file type of `fd`'s file. Immutable.
    file_type: FileType,
    /// The root of the preopen this dentry is in (itself for a root).
    /// Immutable.
    root: DentryId,
    /// The permissions and revalidation mode of that preopen. Immutable.
    policy: PreopenOptions,
    /// How many guest references (`dentry` resources, walks in progress)
    /// point here. Changed under the write lock, or atomically under the
    /// read lock by [`Tree::acquire_cached`] and [`Tree::release_cached`].
    refs: AtomicU32,
    /// The stamp of this dentry's entry on its preopen's LRU, or 0 when it
    /// is not on it. Leaves with a name are, held or not, until an eviction
    /// finds a held one and takes it off (its last release queues it
    /// again).
    lru_stamp: u64,
    /// Set when a guest took this dentry while it was on the LRU, where
    /// its entry kept its old place: an eviction that
    /// finds it set queues the dentry again instead of freeing it (a second
    /// chance, as CLOCK gives).
    touched: AtomicBool,
    /// Bumped before every change of a name in this directory through
    /// directfs ([`Tree::changing_names`]): a lookup made in it with the
    /// tree unlocked is used only if this is unchanged ([`deferred`]).
    names_gen: u32,
    /// The call (see [`deferred`]) that last found this dentry current: a
    /// shared mount's revalidation is not repeated in a later attempt of
    /// that call. 0: none. Or'ed with [`MADE`] if that call made it: a
    /// later attempt of the call walking through it counts no lookup hit,
    /// since the call counted its miss. (Call numbers wrap after 2³¹ calls:
    /// a dentry checked exactly that many calls ago and never since would
    /// skip one revalidation.)
    checked_in: u32,
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    dentry: Option<Dentry>,
}

/// The dentries of one context, all preopens together.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    slots: Vec<Slot>,
    /// Indexes of empty slots.
    free: Vec<u32>,
    /// How many slots hold a dentry.
    live: usize,
    inodes: Inodes,
    /// The cache state of each preopen, by root.
    caches: HashMap<DentryId, Cache>,
    /// [`crate::Limits::max_cached_dentries`].
    max_cached: usize,
    negatives: Negatives,
    /// Bumped each time the tree is write-locked: while it is unchanged, no
    /// call has changed the tree (see [`Tree::generation`]).
    generation: u64,
    /// Every host FD the tree holds: each dentry's (charged in
    /// [`Tree::insert`], refunded in [`Tree::remove`]) and each handle's
    /// (an [`crate::budget::FdCharge`] in the handle).
    budget: Arc<FdBudget>,
    /// The lookups of the running call put off to be made unlocked, and
    /// their answers ([`deferred`]).
    deferring: deferred::Deferring,
    /// How many threads are waiting for the write lock this tree is behind
    /// (kept by [`crate::Filesystem`], read by [`deferred`]).
    writers_waiting: Arc<AtomicUsize>,
}

thread_local! {
    /// This thread's name lookups so far: `(answered from the cache, went
    /// to the host)`.
    static LOOKUPS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// This thread's name lookups so far, `(hits, misses)`: what a context's
/// counts take the difference of around its calls.
pub(crate) fn thread_lookups() -> (u64, u64) {
    LOOKUPS.with(Cell::get)
}

/// Sets this thread's lookups back to `to`, a count [`thread_lookups`] gave,
/// plus `misses`: an attempt of a call that is run again counts only the
/// lookup it put off (if a name lookup, not a re-open) and the misses it
/// made itself whose dentries stay, as [`Tree::end_attempt`] says. The next
/// attempts count the rest anew, and no lookup of a dentry the call made
/// (see [`Tree::count_hit`]; [`deferred`]). A `no-entry` an attempt
/// remembered counts as the next attempt's hit.
pub(crate) fn rewind_lookups(to: (u64, u64), misses: u64) {
    LOOKUPS.with(|n| n.set((to.0, to.1 + misses)));
}

/// Counts `hits` lookups answered from the cache and `misses` that went to
/// the host, on this thread.
fn count_lookups(hits: u64, misses: u64) {
    LOOKUPS.with(|n| {
        let (h, m) = n.get();
        n.set((h + hits, m + misses));
    });
}

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
        let (fd, fd_mode) = try_open(dir.as_fd(), ".", OFlag::O_DIRECTORY)?;
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
        });
        if let Ok(root) = self.get_mut(id) {
            root.root = id;
        }
        self.caches.insert(id, Cache::default());
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

    /// Whether dentry `id`'s mount is exclusive ([`Revalidation::Exclusive`]).
    pub(crate) fn is_exclusive(&self, id: DentryId) -> bool {
        self.get(id)
            .is_ok_and(|d| d.policy.revalidation == Revalidation::Exclusive)
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
    fn make_room(&mut self, n: usize) -> Result<(), ErrorCode> {
        while !self.budget.has_room(n) {
            if !self.evict_one() {
                return Err(ErrorCode::TooManyOpen);
            }
        }
        Ok(())
    }

    /// Frees the coldest cached leaf of any preopen; false if there is none.
    fn evict_one(&mut self) -> bool {
        let roots: Vec<DentryId> = self.caches.keys().copied().collect();
        for root in roots {
            if let Some(coldest) = self.pop_evictable(root) {
                self.free_dentry(coldest);
                return true;
            }
        }
        false
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

    /// [`Tree::acquire`] under the read lock: one more guest reference on
    /// `id`, taken atomically. A dentry on its LRU stays there, marked
    /// [`Dentry::touched`] (evictions skip what a guest holds, and give a
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
    fn settle(&mut self, id: DentryId) {
        let Ok(d) = self.get_mut(id) else { return };
        let leaf = d.children.is_empty();
        let unreferenced = *d.refs.get_mut() == 0;
        let root = d.root;
        match (&d.link, leaf) {
            (Link::Root, _) => {}
            (Link::Unlinked, true) if unreferenced => self.free_dentry(id),
            (Link::Unlinked, true) => {}
            (Link::Child { .. }, true) if d.lru_stamp == 0 => {
                if let Some(cache) = self.caches.get_mut(&root) {
                    let stamp = cache.push(id);
                    if let Ok(d) = self.get_mut(id) {
                        d.lru_stamp = stamp;
                        *d.touched.get_mut() = false;
                    }
                }
            }
            (_, false) if d.lru_stamp != 0 => {
                d.lru_stamp = 0;
                self.unqueued(root);
            }
            _ => {}
        }
    }

    /// Notes that a dentry of preopen `root` left its LRU (its stamp was
    /// cleared, or it was freed): its entry is stale now. The stale entries
    /// are dropped once they outnumber the live ones, so the queue stays
    /// bounded however many dentries come and go between two evictions.
    fn unqueued(&mut self, root: DentryId) {
        let Self { caches, slots, .. } = self;
        if let Some(cache) = caches.get_mut(&root) {
            cache.unqueued();
            cache.compact(|&(id, stamp)| is_queued_at(slots, id, stamp));
        }
    }

    /// Frees the least recently used leaves of preopen `root` while more
    /// dentries than the limit are unreferenced there.
    fn evict(&mut self, root: DentryId) {
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
    fn pop_evictable(&mut self, root: DentryId) -> Option<DentryId> {
        loop {
            let Self { caches, slots, .. } = self;
            let cache = caches.get_mut(&root)?;
            let coldest = cache.pop_coldest(|id, stamp| is_queued_at(slots, id, stamp))?;
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
    fn free_dentry(&mut self, id: DentryId) {
        let Some(d) = self.remove(id) else { return };
        if let Some(cache) = self.caches.get(&d.root) {
            cache.referenced();
        }
        if d.lru_stamp != 0 {
            self.unqueued(d.root);
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
            FsPerms::ReadWrite => Ok(()),
            FsPerms::ReadOnly => Err(ErrorCode::ReadOnly),
        }
    }

    /// Whether [`Tree::walk`] of `name` in `parent` would be answered from
    /// the cache: a live child, or a recent `no-entry` in an exclusive
    /// preopen. (A shared preopen's live child costs a revalidating
    /// `fstatat`, but is most likely still there.)
    pub(crate) fn knows_name(&self, parent: DentryId, name: Name<'_>) -> bool {
        let Ok(dir) = self.get(parent) else {
            return false;
        };
        dir.children.get(name.as_str()).is_some()
            || (dir.policy.revalidation == Revalidation::Exclusive
                && self.negatives.contains(parent, name.as_str()))
    }

    /// Looks up `name` in directory `parent`. Returns the child with one new
    /// guest reference.
    ///
    /// - A live (held or cached) child is used as it is in an exclusive
    ///   preopen; in a shared one only after `fstatat(parent_fd, name,
    ///   AT_SYMLINK_NOFOLLOW)` shows the same `(st_dev, st_ino)` and type, else
    ///   it loses its name (holders keep it, as after an unlink) and the
    ///   name is walked afresh.
    /// - A recent `no-entry` for the name is returned as is (exclusive only).
    /// - Else `openat(parent_fd, name, …)` as [`try_open`].
    pub(crate) fn walk(&mut self, parent: DentryId, name: Name<'_>) -> Result<DentryId, ErrorCode> {
        let dir = self.get(parent)?;
        let shared = dir.policy.revalidation == Revalidation::Shared;
        if let Some(&child) = dir.children.get(name.as_str()) {
            if !shared || self.still_there_in_call(parent, name, child) {
                self.acquire(child)?;
                self.count_hit(child);
                return Ok(child);
            }
            self.detach(parent, name.as_str());
        } else if !shared && self.negatives.contains(parent, name.as_str()) {
            count_lookups(1, 0);
            return Err(ErrorCode::NoEntry);
        }
        // A miss (counted where the lookup was put off, if it was).
        let (found, answered) = match self.walk_answer(parent, name.as_str())? {
            Some(found) => (found, true),
            None => {
                count_lookups(0, 1);
                self.make_room(1)?;
                let dir = self.get(parent)?.fd.as_fd();
                (deferred::open_child(dir, name.as_str()), false)
            }
        };
        match found {
            Ok((opened, st)) => {
                if !answered {
                    self.keep_miss();
                }
                Ok(self.insert_child(parent, name, opened, &st))
            }
            Err(Errno::ENOENT) if !shared => {
                self.negatives.insert(parent, name.as_str());
                Err(ErrorCode::NoEntry)
            }
            Err(errno) => Err(errno.into()),
        }
    }

    /// Whether the host still has `child`'s file (same identity and type) as
    /// `name` in `parent`: gVisor's `doRevalidationDirectfs`, one `fstatat`.
    fn still_there(&self, parent: DentryId, name: Name<'_>, child: DentryId) -> bool {
        let (Ok(p), Ok(c)) = (self.get(parent), self.get(child)) else {
            return false;
        };
        match sys::fstatat_nofollow(p.fd.as_fd(), name.as_str().as_bytes()) {
            Ok(st) => key_of(&st) == c.key && file_type_of_mode(st.st_mode) == c.file_type,
            Err(_) => false,
        }
    }

    /// [`Tree::still_there`], not repeated in a later attempt of the call
    /// that checked it (see [`deferred`]).
    fn still_there_in_call(&mut self, parent: DentryId, name: Name<'_>, child: DentryId) -> bool {
        let call = self.call();
        if call != 0 && self.get(child).is_ok_and(|c| c.checked_in & !MADE == call) {
            return true;
        }
        let there = self.still_there(parent, name, child);
        if there && let Ok(c) = self.get_mut(child) {
            c.checked_in = call;
        }
        there
    }

    /// Counts a lookup answered by live dentry `child`, unless an earlier
    /// attempt of this call made it (that counted the miss; see
    /// [`deferred`]).
    fn count_hit(&self, child: DentryId) {
        let call = self.call();
        if call == 0 || self.get(child).is_ok_and(|c| c.checked_in != call | MADE) {
            count_lookups(1, 0);
        }
    }

    /// `fstat`, on the FD of a handle open on the file if there is one (a
    /// write FD first), else on the dentry's FD.
    pub(crate) fn stat(&mut self, id: DentryId) -> Result<Stat, ErrorCode> {
        let d = self.get(id)?;
        let st = match self.inodes.open_fd(d.key) {
            Some(fd) => sys::fstat(fd.as_fd())?,
            None => sys::fstat(d.fd.as_fd())?,
        };
        Ok(self.inodes.stat(&st))
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
    fn known(&self, st: Result<FileStat, Errno>) -> ReadLocked<Stat> {
        match st {
            Ok(st) => match self.inodes.stat_known(&st) {
                Some(stat) => ReadLocked::Done(Ok(stat)),
                None => ReadLocked::Unnumbered(st),
            },
            Err(errno) => ReadLocked::Done(Err(errno.into())),
        }
    }

    /// A host stat as the guest sees it, numbering its file and device if
    /// they are new (the end of a read-locked stat that came to
    /// [`ReadLocked::Unnumbered`]).
    pub(crate) fn guest_stat(&mut self, st: &FileStat) -> Stat {
        self.inodes.stat(st)
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
    pub(crate) fn cached_path<'p>(&self, start: DentryId, path: &'p str) -> Option<CachedPath<'p>> {
        let start_dentry = self.get(start).ok()?;
        if start_dentry.file_type != FileType::Directory {
            // A walk from a file: `not-directory`, from the full walk.
            return None;
        }
        let shared = start_dentry.policy.revalidation == Revalidation::Shared;
        if path.starts_with('/')
            || path.ends_with('/')
            || path.ends_with("/.")
            || check_path(path).is_err()
        {
            return None;
        }
        let mut cur = start;
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
                });
            }
            let child = self.get(cur).ok()?.children.get(component).copied()?;
            if self.get(child).ok()?.file_type == FileType::SymbolicLink
                || (shared && !self.still_there(cur, name, child))
            {
                return None;
            }
            cur = child;
            hits += 1;
        }
        Some(CachedPath {
            dir: cur,
            last: None,
            hits,
        })
    }

    /// Where [`Tree::walk_path`] leads, found under the read lock, for a
    /// path that leads through live dentries of an exclusive mount alone
    /// (as [`Tree::cached_path`] says, and to a live last name that is not
    /// a symlink to follow). `None` where the write-locked walk is needed.
    /// Takes no reference and counts nothing: see [`Tree::acquire_walked`].
    pub(crate) fn cached_walk(
        &self,
        start: DentryId,
        path: &str,
        follow_final: bool,
    ) -> Option<CachedWalk> {
        if !self.is_exclusive(start) {
            return None;
        }
        let at = self.cached_path(start, path)?;
        let found = match at.last {
            None => at.dir,
            Some(last) => {
                let child = *self.get(at.dir).ok()?.children.get(last)?;
                if follow_final && self.get(child).ok()?.file_type == FileType::SymbolicLink {
                    return None;
                }
                child
            }
        };
        Some(CachedWalk {
            found,
            hits: at.hits + u64::from(at.last.is_some()),
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
    fn try_stat_cached_at(&self, at: &CachedPath<'_>, follow: bool) -> Option<ReadLocked<Stat>> {
        let (cur, hits) = (at.dir, at.hits);
        let Some(component) = at.last else {
            count_lookups(hits, 0);
            return Some(self.stat_known(cur));
        };
        let dir = self.get(cur).ok()?;
        let shared = dir.policy.revalidation == Revalidation::Shared;
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
        let st = sys::fstatat_nofollow(dir.fd.as_fd(), component.as_bytes());
        match &st {
            Ok(st) if follow && file_type_of_mode(st.st_mode) == FileType::SymbolicLink => {
                return None;
            }
            // To be remembered by the full walk.
            Err(Errno::ENOENT) if !shared => return None,
            _ => {}
        }
        count_lookups(hits, 1);
        Some(self.known(st))
    }

    /// The file type of dentry `id` (no syscall: it never changes).
    pub(crate) fn file_type(&self, id: DentryId) -> Result<FileType, ErrorCode> {
        Ok(self.get(id)?.file_type)
    }

    /// The guest's `(dev, ino)` of dentry `id`'s file, stable for the life of
    /// the tree (no syscall).
    pub(crate) fn identity(&mut self, id: DentryId) -> Result<(u64, u64), ErrorCode> {
        let key = self.get(id)?.key;
        Ok(self.inodes.identity(key))
    }

    /// [`Tree::identity`] without changing the tree: `None` where the file
    /// has no guest numbers yet.
    pub(crate) fn identity_known(&self, id: DentryId) -> Option<Result<(u64, u64), ErrorCode>> {
        match self.get(id) {
            Ok(d) => self.inodes.identity_known(d.key).map(Ok),
            Err(err) => Some(Err(err)),
        }
    }

    /// The stat of `name` in directory `parent`, without making a dentry for
    /// it (a symlink is not followed): in an exclusive preopen a live
    /// child's [`Tree::stat`] or a recent `no-entry`, else one
    /// `fstatat(parent_fd, name, AT_SYMLINK_NOFOLLOW)`. One syscall at most,
    /// where a walk to a new dentry costs `openat` + `fstat` + `close`.
    pub(crate) fn stat_name(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
    ) -> Result<Stat, ErrorCode> {
        let dir = self.get(parent)?;
        let shared = dir.policy.revalidation == Revalidation::Shared;
        if !shared {
            if let Some(&child) = dir.children.get(name.as_str()) {
                count_lookups(1, 0);
                return self.stat(child);
            }
            if self.negatives.contains(parent, name.as_str()) {
                count_lookups(1, 0);
                return Err(ErrorCode::NoEntry);
            }
        }
        let found = match self.stat_answer(parent, name.as_str())? {
            Some(found) => found,
            None => {
                count_lookups(0, 1);
                sys::fstatat_nofollow(self.get(parent)?.fd.as_fd(), name.as_str().as_bytes())
            }
        };
        match found {
            Ok(st) => Ok(self.inodes.stat(&st)),
            Err(Errno::ENOENT) if !shared => {
                self.negatives.insert(parent, name.as_str());
                Err(ErrorCode::NoEntry)
            }
            Err(errno) => Err(errno.into()),
        }
    }

    /// `fstat` on a handle's FD, in the guest's numbering.
    pub(crate) fn stat_fd(&mut self, fd: BorrowedFd<'_>) -> Result<Stat, ErrorCode> {
        let st = sys::fstat(fd)?;
        Ok(self.inodes.stat(&st))
    }

    /// [`Tree::stat_fd`] without changing the tree, for a read lock.
    pub(crate) fn stat_fd_known(&self, fd: BorrowedFd<'_>) -> ReadLocked<Stat> {
        self.known(sys::fstat(fd))
    }

    /// `fstatfs` on the dentry's FD.
    pub(crate) fn statfs(&self, id: DentryId) -> Result<Statfs, ErrorCode> {
        let st = sys::fstatfs(self.get(id)?.fd.as_fd())?;
        let block_size = u64::try_from(st.block_size()).unwrap_or(0);
        Ok(Statfs {
            block_size,
            // As gVisor: Linux's f_frsize is f_bsize on the filesystems here.
            fragment_size: block_size,
            blocks: st.blocks(),
            blocks_free: st.blocks_free(),
            blocks_available: st.blocks_available(),
            files: st.files(),
            files_free: st.files_free(),
            name_length: u64::try_from(st.maximum_name_length()).unwrap_or(0),
        })
    }

    /// `readlinkat(fd, "")`: the target of symlink `id`.
    pub(crate) fn readlink(&self, id: DentryId) -> Result<String, ErrorCode> {
        let d = self.get(id)?;
        if d.file_type != FileType::SymbolicLink {
            return Err(ErrorCode::Invalid);
        }
        sys::readlinkat_empty(d.fd.as_fd())?
            .into_string()
            .map_err(|_| ErrorCode::IllegalByteSequence)
    }

    /// `mkdirat(parent_fd, name, mode)`, then opens the new directory. Returns
    /// it with one new guest reference.
    pub(crate) fn mkdir(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        mode: u32,
        owner: Option<Owner>,
    ) -> Result<DentryId, ErrorCode> {
        self.make_room(1)?;
        self.mkdir_unopened(parent, name, mode)?;
        self.created_child(parent, name, Created::Directory, owner)
    }

    /// `mkdirat(parent_fd, name, mode)` alone, for a caller that does not use
    /// the new directory (`wasi:filesystem`'s `create-directory-at`): one
    /// syscall, as wasmtime-wasi's. Its dentry is made when a walk first
    /// needs it.
    pub(crate) fn mkdir_unopened(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        mode: u32,
    ) -> Result<(), ErrorCode> {
        let mode = permission_bits(mode)?;
        self.changing_names(parent)?;
        sys::mkdirat(self.get(parent)?.fd.as_fd(), name.as_str(), mode)?;
        // A stale dentry of an old file of that name (removed outside
        // directfs), or a remembered `no-entry`, must not shadow the new one.
        self.detach(parent, name.as_str());
        self.negatives.remove(parent, name.as_str());
        Ok(())
    }

    /// `openat(parent_fd, name, O_CREAT | O_EXCL | flags, mode)`, then opens
    /// the new file's dentry. Returns the dentry with one new guest reference
    /// and the open handle.
    pub(crate) fn create(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        flags: OpenFlags,
        mode: u32,
        owner: Option<Owner>,
    ) -> Result<(DentryId, Handle), ErrorCode> {
        let mode = permission_bits(mode)?;
        let oflags = open_flags(flags)? | OFlag::O_CREAT | OFlag::O_EXCL;
        self.make_room(2)?;
        self.changing_names(parent)?;
        let fd = sys::openat(self.get(parent)?.fd.as_fd(), name.as_str(), oflags, mode)?;
        let child = self.created_child(parent, name, Created::File, owner)?;
        let handle = self.new_handle(child, fd, flags);
        Ok((child, handle))
    }

    /// `mknodat(parent_fd, name, S_IFREG | mode)`: regular files only, as
    /// gVisor's directfs (any other type → `not-permitted`).
    pub(crate) fn mknod(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        mode: u32,
        owner: Option<Owner>,
    ) -> Result<DentryId, ErrorCode> {
        let kind = mode & SFlag::S_IFMT.bits();
        if kind != 0 && kind != SFlag::S_IFREG.bits() {
            return Err(ErrorCode::NotPermitted);
        }
        let mode = permission_bits(mode & !SFlag::S_IFMT.bits())?;
        self.make_room(1)?;
        self.changing_names(parent)?;
        sys::mknodat_regular(self.get(parent)?.fd.as_fd(), name.as_str(), mode)?;
        self.created_child(parent, name, Created::File, owner)
    }

    /// `symlinkat(target, parent_fd, name)`.
    pub(crate) fn symlink(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        target: &str,
        owner: Option<Owner>,
    ) -> Result<DentryId, ErrorCode> {
        check_path(target)?;
        self.make_room(1)?;
        self.changing_names(parent)?;
        sys::symlinkat(target, self.get(parent)?.fd.as_fd(), name.as_str())?;
        self.created_child(parent, name, Created::File, owner)
    }

    /// A new name for `target` in `dir`, sharing its inode, linking exactly
    /// the dentry's file:
    /// - `linkat(target_fd, "", dir_fd, name, AT_EMPTY_PATH)` where the host
    ///   allows it (`CAP_DAC_READ_SEARCH`): no name is resolved at all;
    /// - else, as gVisor, `linkat(target_parent_fd, target_name, dir_fd, name,
    ///   0)`, with the old name checked before ([`Tree::verified_name`]) and
    ///   the new one after (a host process may have swapped the old name in
    ///   between): if the new name is not the dentry's file, it is removed
    ///   again → `stale`.
    ///
    /// The new dentry's FD is a `dup` of the target's: one file, no re-open.
    pub(crate) fn link(
        &mut self,
        dir: DentryId,
        target: DentryId,
        name: Name<'_>,
    ) -> Result<DentryId, ErrorCode> {
        self.make_room(1)?;
        self.changing_names(dir)?;
        let t = self.get(target)?;
        let dir_fd = self.get(dir)?.fd.as_fd();
        if t.root != self.get(dir)?.root {
            return Err(ErrorCode::CrossDevice);
        }
        if matches!(t.link, Link::Root) {
            // Roots are directories, which cannot be hard-linked.
            return Err(ErrorCode::NotPermitted);
        }
        match sys::linkat_empty(t.fd.as_fd(), dir_fd, name.as_str()) {
            Ok(()) => {}
            Err(Errno::EPERM | Errno::ENOENT) => {
                let (t_parent_fd, t_name) = self.verified_name(target)?;
                sys::linkat(t_parent_fd, t_name, dir_fd, name.as_str())?;
                let linked = sys::fstatat_nofollow(dir_fd, name.as_str().as_bytes());
                if !matches!(&linked, Ok(st) if key_of(st) == t.key) {
                    let _ = sys::unlinkat(dir_fd, name.as_str(), UnlinkatFlags::NoRemoveDir);
                    return Err(ErrorCode::Stale);
                }
            }
            Err(errno) => return Err(errno.into()),
        }
        let (key, file_type, fd_mode) = (t.key, t.file_type, t.fd_mode);
        let fd = match sys::dup_cloexec(t.fd.as_fd()) {
            Ok(fd) => fd,
            Err(errno) => {
                let _ = sys::unlinkat(dir_fd, name.as_str(), UnlinkatFlags::NoRemoveDir);
                return Err(errno.into());
            }
        };
        self.detach(dir, name.as_str());
        self.negatives.remove(dir, name.as_str());
        Ok(self.insert_child_known(dir, name, (fd, fd_mode), key, file_type))
    }

    /// The parent's FD and the name of dentry `id`, for the calls that can
    /// only reach a file through its parent by name (an `O_PATH` dentry's
    /// mode, a symlink's times, a hard link without `AT_EMPTY_PATH`):
    /// checked first with `fstatat(parent_fd, name, AT_SYMLINK_NOFOLLOW)`
    /// to still be the dentry's file (else `stale`), so a file the host put
    /// in its place is not changed. (A swap between the check and the call
    /// is left to the caller's own check after it, where it has one.)
    ///
    /// Errors: `bad-descriptor` for a root, `no-entry` for an unlinked
    /// dentry, `stale` for a replaced one.
    fn verified_name(&self, id: DentryId) -> Result<(BorrowedFd<'_>, &str), ErrorCode> {
        let d = self.get(id)?;
        let (parent, name) = match &d.link {
            Link::Child { parent, name } => (*parent, &**name),
            Link::Root => return Err(ErrorCode::BadDescriptor),
            Link::Unlinked => return Err(ErrorCode::NoEntry),
        };
        let parent_fd = self.get(parent)?.fd.as_fd();
        match sys::fstatat_nofollow(parent_fd, name.as_bytes()) {
            Ok(st) if key_of(&st) == d.key => Ok((parent_fd, name)),
            Ok(_) | Err(Errno::ENOENT) => Err(ErrorCode::Stale),
            Err(errno) => Err(errno.into()),
        }
    }

    /// Opens the dentry's file again with `flags`, as gVisor's `openHandle`:
    /// through the parent's FD by name (the only way to re-open without
    /// procfs), checking that the same file was opened. A directory (and a
    /// root, which has no parent) is opened as `openat(fd, ".")`, which
    /// cannot miss.
    pub(crate) fn open(&mut self, id: DentryId, flags: OpenFlags) -> Result<Handle, ErrorCode> {
        self.make_room(1)?;
        let fd = self.open_fd(id, open_flags(flags)?)?;
        Ok(self.new_handle(id, fd, flags))
    }

    /// The FD of [`Tree::open`]. Opening never blocks the host thread, not
    /// even on a FIFO with no writer: the open is `O_NONBLOCK`, and the FD
    /// stays so (a host thread never blocks in the kernel on a guest's
    /// behalf: [`Tree::new_handle`] makes blocking I/O a wait that can be
    /// interrupted).
    ///
    /// No side effect happens before the identity check: a file opened by
    /// name is opened without `O_TRUNC`, checked to be the dentry's file,
    /// and only then truncated (`ftruncate` of the verified FD), so a file
    /// the host put in its place is never emptied.
    ///
    /// The open itself may be made with the tree unlocked ([`deferred`]).
    fn open_fd(&mut self, id: DentryId, oflags: OFlag) -> Result<OwnedFd, ErrorCode> {
        let (dir, name, opening) = self.reopen_target(id, oflags)?;
        let opened = match self.open_answer(id, opening, dir, &name)? {
            Some(found) => found,
            None => deferred::reopen(self.get(dir)?.fd.as_fd(), &name, opening),
        };
        let fd = self.check_reopened(id, opened?)?;
        if oflags.contains(OFlag::O_TRUNC) && self.get(id)?.file_type == FileType::RegularFile {
            self.changing()?;
            sys::ftruncate(fd.as_fd(), 0)?;
        }
        Ok(fd)
    }

    /// [`Tree::open_fd`] under the lock, without `O_TRUNC`.
    fn open_fd_now(&self, id: DentryId, oflags: OFlag) -> Result<OwnedFd, ErrorCode> {
        let (dir, name, opening) = self.reopen_target(id, oflags & !OFlag::O_TRUNC)?;
        let opened = deferred::reopen(self.get(dir)?.fd.as_fd(), &name, opening);
        self.check_reopened(id, opened?)
    }

    /// Where [`Tree::open_fd`] re-opens dentry `id`: `(directory, name,
    /// flags)`. `.` of the dentry's own FD for a directory or a root: that
    /// is the dentry's file, with nothing to check (and `O_TRUNC` on a
    /// directory fails, as it should). Anything else by name in its parent,
    /// without `O_TRUNC` (applied after the identity check).
    fn reopen_target(
        &self,
        id: DentryId,
        oflags: OFlag,
    ) -> Result<(DentryId, Arc<str>, OFlag), ErrorCode> {
        let d = self.get(id)?;
        let opening = oflags | OFlag::O_NONBLOCK;
        match (&d.link, d.file_type) {
            (Link::Root, _) | (_, FileType::Directory) => {
                Ok((id, Arc::from("."), opening | OFlag::O_DIRECTORY))
            }
            (Link::Child { parent, name }, _) => {
                Ok((*parent, name.clone(), opening & !OFlag::O_TRUNC))
            }
            (Link::Unlinked, _) => Err(ErrorCode::NoEntry),
        }
    }

    /// The FD of a re-open of dentry `id`, once its file is checked to be
    /// the dentry's (`stale` if not).
    fn check_reopened(
        &self,
        id: DentryId,
        (fd, st): (OwnedFd, Option<FileStat>),
    ) -> Result<OwnedFd, ErrorCode> {
        match st {
            Some(st) if key_of(&st) != self.get(id)?.key => Err(ErrorCode::Stale),
            _ => Ok(fd),
        }
    }

    /// The handle of `fd`, opened for dentry `id` with the guest's `flags`.
    /// `fd` stays `O_NONBLOCK` (see [`Tree::open_fd`]); for the files where
    /// blocking matters (not regular files or directories) opened without
    /// `nonblock`, the handle's I/O waits for readiness, interruptibly
    /// ([`crate::Interrupter`]), instead of blocking in the kernel.
    fn new_handle(&mut self, id: DentryId, fd: OwnedFd, flags: OpenFlags) -> Handle {
        let mut handle = Handle::new(fd, self.budget.charge_token());
        if let Ok(d) = self.get(id) {
            let blocking_matters =
                !matches!(d.file_type, FileType::RegularFile | FileType::Directory);
            let waits = blocking_matters && !flags.contains(OpenFlags::NONBLOCK);
            handle = handle.with_policy(waits, d.policy.blocking);
            let (readable, writable) = (
                flags.contains(OpenFlags::READ),
                flags.contains(OpenFlags::WRITE),
            );
            self.inodes
                .note_open(d.key, handle.shared_fd(), readable, writable);
        }
        handle
    }

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
    fn read_dir_with<T>(
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

    /// `unlinkat(parent_fd, name, 0 or AT_REMOVEDIR)`; a live dentry of that
    /// name stays valid for its holders but loses its name.
    ///
    /// A cached dentry of the name that nothing holds is freed (its FD
    /// closed) before the `unlinkat`, so that the kernel frees the inode in
    /// the unlink itself rather than keeping it as an orphan until that FD
    /// is closed (on ext4, an orphan-list add and remove per unlink). If the
    /// `unlinkat` then fails, only a cache entry is lost.
    pub(crate) fn unlink(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        flags: UnlinkatFlags,
    ) -> Result<(), ErrorCode> {
        self.changing_names(parent)?;
        self.free_unused_child(parent, name.as_str());
        sys::unlinkat(self.get(parent)?.fd.as_fd(), name.as_str(), flags)?;
        self.detach(parent, name.as_str());
        Ok(())
    }

    /// `renameat2(old_dir_fd, old, new_dir_fd, new, flags)`, then the same
    /// move in the tree: the moved dentry takes its new parent and name, a
    /// replaced one is unlinked, exchanged ones swap.
    pub(crate) fn rename(
        &mut self,
        old_dir: DentryId,
        old: Name<'_>,
        new_dir: DentryId,
        new: Name<'_>,
        flags: RenameFlags,
    ) -> Result<(), ErrorCode> {
        if self.get(old_dir)?.root != self.get(new_dir)?.root {
            return Err(ErrorCode::CrossDevice);
        }
        self.changing_names(old_dir)?;
        self.changing_names(new_dir)?;
        let (from, to) = (self.get(old_dir)?, self.get(new_dir)?);
        let mut host_flags = sys::RenameFlags::empty();
        if flags.contains(RenameFlags::NO_REPLACE) {
            host_flags |= sys::RenameFlags::RENAME_NOREPLACE;
        }
        if flags.contains(RenameFlags::EXCHANGE) {
            host_flags |= sys::RenameFlags::RENAME_EXCHANGE;
        }
        sys::renameat2(
            from.fd.as_fd(),
            old.as_str(),
            to.fd.as_fd(),
            new.as_str(),
            host_flags,
        )?;
        self.negatives.remove(new_dir, new.as_str());
        if flags.contains(RenameFlags::EXCHANGE) {
            self.negatives.remove(old_dir, old.as_str());
        }
        if old_dir == new_dir && old == new {
            return Ok(());
        }
        let moved = self.get_mut(old_dir)?.children.remove(old.as_str());
        let other = self.get_mut(new_dir)?.children.remove(new.as_str());
        if let Some(moved) = moved {
            self.relink(moved, new_dir, new.as_str());
        }
        if let Some(other) = other {
            if flags.contains(RenameFlags::EXCHANGE) {
                self.relink(other, old_dir, old.as_str());
            } else {
                if let Ok(o) = self.get_mut(other) {
                    o.link = Link::Unlinked;
                }
                self.settle(other);
            }
        }
        self.settle(old_dir);
        self.settle(new_dir);
        Ok(())
    }

    /// Hangs live dentry `child` under `parent` as `name`.
    ///
    /// # Preconditions
    /// `child` is in no `children` map; `parent` has no live child `name`.
    fn relink(&mut self, child: DentryId, parent: DentryId, name: &str) {
        let name: Arc<str> = name.into();
        if let Ok(c) = self.get_mut(child) {
            c.link = Link::Child {
                parent,
                name: name.clone(),
            };
        }
        if let Ok(p) = self.get_mut(parent) {
            p.children.insert(name, child);
        }
        self.settle(parent);
    }

    /// Makes the dentry of a child just created under `name` (as gVisor's
    /// `getCreatedChild`): opens it as [`try_open`] and gives it `owner`; if
    /// either fails, removes the child again so no half-made file stays
    /// behind.
    fn created_child(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        kind: Created,
        owner: Option<Owner>,
    ) -> Result<DentryId, ErrorCode> {
        let (extra, unlink_flags) = match kind {
            Created::Directory => (OFlag::O_DIRECTORY, UnlinkatFlags::RemoveDir),
            Created::File => (OFlag::empty(), UnlinkatFlags::NoRemoveDir),
        };
        let dir_fd = self.get(parent)?.fd.as_fd();
        let made = try_open(dir_fd, name.as_str(), extra).and_then(|(fd, mode)| {
            if let Some(Owner { uid, gid }) = owner {
                sys::fchownat_empty(fd.as_fd(), Some(uid), Some(gid))?;
            }
            Ok((sys::fstat(fd.as_fd())?, (fd, mode)))
        });
        let (st, opened) = match made {
            Ok(made) => made,
            Err(errno) => {
                // Best effort: the error that matters is the one returned.
                let _ = sys::unlinkat(dir_fd, name.as_str(), unlink_flags);
                return Err(errno.into());
            }
        };
        // A stale dentry of the old file of that name (removed outside
        // directfs), or a remembered `no-entry`, must not shadow the new one.
        self.detach(parent, name.as_str());
        self.negatives.remove(parent, name.as_str());
        Ok(self.insert_child(parent, name, opened, &st))
    }

    /// Adds the dentry of `fd` as `name` under `parent`, with one guest
    /// reference.
    ///
    /// # Preconditions
    /// `parent` is live and has no live child `name`; `st` is `fstat(fd)`.
    fn insert_child(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        opened: (OwnedFd, FdMode),
        st: &FileStat,
    ) -> DentryId {
        self.insert_child_known(
            parent,
            name,
            opened,
            key_of(st),
            file_type_of_mode(st.st_mode),
        )
    }

    /// [`Tree::insert_child`] of a file whose identity and type are known.
    fn insert_child_known(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        (fd, fd_mode): (OwnedFd, FdMode),
        key: InoKey,
        file_type: FileType,
    ) -> DentryId {
        let (root, policy) = self
            .get(parent)
            .map_or((parent, PreopenOptions::from(FsPerms::ReadOnly)), |p| {
                (p.root, p.policy)
            });
        // One allocation, shared by the link and the parent's map.
        let name: Arc<str> = name.as_str().into();
        let checked_in = self.call();
        let id = self.insert(Dentry {
            fd: Arc::new(fd),
            fd_mode,
            link: Link::Child {
                parent,
                name: name.clone(),
            },
            children: Children::default(),
            key,
            file_type,
            root,
            policy,
            refs: AtomicU32::new(1),
            lru_stamp: 0,
            touched: AtomicBool::new(false),
            names_gen: 0,
            checked_in: checked_in | MADE,
        });
        if let Ok(p) = self.get_mut(parent) {
            p.children.insert(name, id);
        }
        // The parent is no leaf now: off the LRU. The new leaf is on it.
        self.settle(parent);
        self.settle(id);
        id
    }

    /// Frees `parent`'s cached child `name` if nothing holds it and it has
    /// no cached children (a leaf of the LRU, as eviction would free it).
    fn free_unused_child(&mut self, parent: DentryId, name: &str) {
        let Some(child) = self
            .get(parent)
            .ok()
            .and_then(|p| p.children.get(name).copied())
        else {
            return;
        };
        if let Ok(c) = self.get_mut(child)
            && *c.refs.get_mut() == 0
            && c.children.is_empty()
        {
            self.free_dentry(child);
        }
    }

    /// Unhooks the live child `name` of `parent`, if any: it becomes
    /// [`Link::Unlinked`] and is freed if no guest holds it.
    fn detach(&mut self, parent: DentryId, name: &str) {
        let Ok(p) = self.get_mut(parent) else { return };
        let Some(child) = p.children.remove(name) else {
            return;
        };
        if let Ok(c) = self.get_mut(child) {
            c.link = Link::Unlinked;
        }
        self.settle(child);
        self.settle(parent);
    }

    fn insert(&mut self, dentry: Dentry) -> DentryId {
        self.live += 1;
        self.budget.charge();
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

    fn remove(&mut self, id: DentryId) -> Option<Dentry> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        let dentry = slot.dentry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(id.index);
        self.live -= 1;
        self.budget.refund();
        Some(dentry)
    }

    fn get(&self, id: DentryId) -> Result<&Dentry, ErrorCode> {
        slot_dentry(&self.slots, id)
    }

    fn get_mut(&mut self, id: DentryId) -> Result<&mut Dentry, ErrorCode> {
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
struct Children(Option<Box<HashMap<Arc<str>, DentryId>>>);

impl Children {
    /// The most room an empty map keeps.
    const KEPT: usize = 16;

    fn get(&self, name: &str) -> Option<&DentryId> {
        self.0.as_ref()?.get(name)
    }

    fn insert(&mut self, name: Arc<str>, id: DentryId) {
        self.0.get_or_insert_default().insert(name, id);
    }

    fn remove(&mut self, name: &str) -> Option<DentryId> {
        let map = self.0.as_mut()?;
        let removed = map.remove(name);
        if map.is_empty() && map.capacity() > Self::KEPT {
            self.0 = None;
        }
        removed
    }

    fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|map| map.is_empty())
    }

    #[cfg(test)]
    fn contains_key(&self, name: &str) -> bool {
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
            let unreferenced = d.refs.load(Ordering::Relaxed) == 0;
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

/// What [`Tree::created_child`] opens.
#[derive(Debug, Clone, Copy)]
enum Created {
    Directory,
    /// Anything else (a file, a symlink, a hard link).
    File,
}

/// Whether LRU entry `(id, stamp)` is live: dentry `id` is queued with
/// that stamp (an entry left behind when it left the queue is stale).
fn is_queued_at(slots: &[Slot], id: DentryId, stamp: u64) -> bool {
    matches!(slot_dentry(slots, id), Ok(d) if d.lru_stamp == stamp)
}

fn slot_dentry(slots: &[Slot], id: DentryId) -> Result<&Dentry, ErrorCode> {
    match slots.get(id.index as usize) {
        Some(Slot {
            generation,
            dentry: Some(d),
        }) if *generation == id.generation => Ok(d),
        // Unreachable while guest references keep dentries alive.
        _ => Err(ErrorCode::BadDescriptor),
    }
}

/// gVisor's `tryOpen`: `openat(dirfd, name, O_RDONLY | O_NONBLOCK | extra)`,
/// then, unless the file does not exist, `openat(dirfd, name, O_PATH | extra)`
/// (both with `O_NOFOLLOW | O_CLOEXEC`, see [`sys::openat`]).
///
/// # Preconditions
/// `name` is a [`Name`] or `"."`.
fn try_open(dirfd: BorrowedFd<'_>, name: &str, extra: OFlag) -> Result<(OwnedFd, FdMode), Errno> {
    match sys::openat(
        dirfd,
        name,
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | extra,
        Mode::empty(),
    ) {
        Ok(fd) => Ok((fd, FdMode::Read)),
        Err(Errno::ENOENT) => Err(Errno::ENOENT),
        Err(_) => Ok((
            sys::openat(dirfd, name, OFlag::O_PATH | extra, Mode::empty())?,
            FdMode::Path,
        )),
    }
}

/// The access mode and flags of an open with `flags`.
///
/// Errors: `invalid` without `read` or `write`, or with `append` or
/// `truncate` but not `write`.
fn open_flags(flags: OpenFlags) -> Result<OFlag, ErrorCode> {
    let mut oflags = match (
        flags.contains(OpenFlags::READ),
        flags.contains(OpenFlags::WRITE),
    ) {
        (true, true) => OFlag::O_RDWR,
        (false, true) => OFlag::O_WRONLY,
        (true, false) => OFlag::O_RDONLY,
        (false, false) => return Err(ErrorCode::Invalid),
    };
    let needs_write = flags.intersects(OpenFlags::APPEND | OpenFlags::TRUNCATE);
    if needs_write && !flags.contains(OpenFlags::WRITE) {
        return Err(ErrorCode::Invalid);
    }
    for (flag, oflag) in [
        (OpenFlags::APPEND, OFlag::O_APPEND),
        (OpenFlags::TRUNCATE, OFlag::O_TRUNC),
        (OpenFlags::DIRECTORY, OFlag::O_DIRECTORY),
        (OpenFlags::NONBLOCK, OFlag::O_NONBLOCK),
    ] {
        if flags.contains(flag) {
            oflags |= oflag;
        }
    }
    Ok(oflags)
}

/// Whether an open with `flags` may change the file.
pub(crate) fn writes(flags: OpenFlags) -> bool {
    flags.intersects(OpenFlags::WRITE | OpenFlags::APPEND | OpenFlags::TRUNCATE)
}

/// Permission bits from the guest: at most `0o7777`, else `invalid`.
fn permission_bits(mode: u32) -> Result<Mode, ErrorCode> {
    Mode::from_bits(mode).ok_or(ErrorCode::Invalid)
}

pub(crate) fn file_type_of_dirent(kind: sys::DirentType) -> FileType {
    match kind {
        sys::DirentType::Directory => FileType::Directory,
        sys::DirentType::RegularFile => FileType::RegularFile,
        sys::DirentType::Symlink => FileType::SymbolicLink,
        sys::DirentType::Fifo => FileType::Fifo,
        sys::DirentType::Socket => FileType::Socket,
        sys::DirentType::CharacterDevice => FileType::CharacterDevice,
        sys::DirentType::BlockDevice => FileType::BlockDevice,
        sys::DirentType::Unknown => FileType::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn tree_with_root() -> (tempfile::TempDir, Tree, DentryId) {
        let dir = tempfile::tempdir().unwrap();
        let fd =
            cap_std::fs::Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
        let mut tree = Tree::default();
        let root = tree
            .add_root(fd.into_std_file().into(), FsPerms::ReadWrite.into())
            .unwrap();
        (dir, tree, root)
    }

    pub(crate) fn name(s: &str) -> Name<'_> {
        Name::parse(s).unwrap()
    }

    #[test]
    fn an_emptied_directory_keeps_a_small_map_not_a_large_one() {
        let id = |index| DentryId {
            index,
            generation: 0,
        };
        let mut children = Children::default();
        assert!(
            children.is_empty() && children.0.is_none(),
            "no map at first"
        );
        // A name made and removed, again and again: one map, kept.
        for _ in 0..3 {
            children.insert("f".into(), id(1));
            assert!(!children.is_empty());
            assert_eq!(children.remove("f"), Some(id(1)));
            assert!(children.is_empty() && children.0.is_some());
        }
        // A map grown past `KEPT` is freed once empty.
        for i in 0..100 {
            children.insert(format!("f{i}").into(), id(i));
        }
        for i in 0..100 {
            assert!(!children.is_empty());
            assert_eq!(children.remove(&format!("f{i}")), Some(id(i)));
        }
        assert!(children.is_empty() && children.0.is_none());
        assert_eq!(children.remove("f0"), None);
    }

    #[test]
    fn walks_share_one_dentry_and_free_it_with_the_last_reference() {
        let (dir, mut tree, root) = tree_with_root();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        let a1 = tree.walk(root, name("a")).unwrap();
        let a2 = tree.walk(root, name("a")).unwrap();
        assert_eq!(a1, a2);
        assert_eq!(tree.get(a1).unwrap().refs.load(Ordering::Relaxed), 2);
        tree.release(a1);
        assert!(tree.get(a1).is_ok());
        tree.release(a2);
        assert!(tree.get(a1).is_err(), "freed with its last reference");
        assert!(tree.get(root).unwrap().children.is_empty());
    }

    #[test]
    fn a_child_keeps_its_parent_and_then_frees_it() {
        let (dir, mut tree, root) = tree_with_root();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        let a = tree.walk(root, name("a")).unwrap();
        let b = tree.walk(a, name("b")).unwrap();
        tree.release(a);
        assert!(tree.get(a).is_ok(), "kept by its child");
        tree.release(b);
        assert!(tree.get(a).is_err() && tree.get(b).is_err());
        assert_eq!(tree.free.len(), 2);
        // Reused slots get a new generation: old ids stay dead.
        std::fs::write(dir.path().join("f"), b"x").unwrap();
        let f = tree.walk(root, name("f")).unwrap();
        assert!(f != a && f != b);
    }

    #[test]
    fn unlink_detaches_a_held_dentry() {
        let (dir, mut tree, root) = tree_with_root();
        std::fs::write(dir.path().join("f"), b"x").unwrap();
        let f = tree.walk(root, name("f")).unwrap();
        tree.unlink(root, name("f"), UnlinkatFlags::NoRemoveDir)
            .unwrap();
        assert!(matches!(tree.get(f).unwrap().link, Link::Unlinked));
        assert_eq!(
            tree.open(f, OpenFlags::READ).err(),
            Some(ErrorCode::NoEntry)
        );
        assert_eq!(
            tree.stat(f).unwrap().nlink,
            0,
            "fstat still works on the held FD"
        );
        tree.release(f);
        assert!(tree.get(f).is_err());
    }

    #[test]
    fn rename_moves_replaces_and_exchanges_in_the_tree() {
        let (dir, mut tree, root) = tree_with_root();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("a"), b"a").unwrap();
        std::fs::write(dir.path().join("b"), b"b").unwrap();
        let (a, b, d) = (
            tree.walk(root, name("a")).unwrap(),
            tree.walk(root, name("b")).unwrap(),
            tree.walk(root, name("d")).unwrap(),
        );
        // a replaces b: the dentry of b is unlinked, a's is now named b.
        tree.rename(root, name("a"), root, name("b"), RenameFlags::empty())
            .unwrap();
        assert!(matches!(&tree.get(a).unwrap().link, Link::Child { name, .. } if &**name == "b"));
        assert!(matches!(tree.get(b).unwrap().link, Link::Unlinked));
        assert_eq!(tree.get(root).unwrap().children.get("b"), Some(&a));
        // b (now a) moves into d.
        tree.rename(root, name("b"), d, name("x"), RenameFlags::empty())
            .unwrap();
        assert_eq!(tree.get(d).unwrap().children.get("x"), Some(&a));
        assert!(!tree.get(root).unwrap().children.contains_key("b"));
        // Exchange d/x with root/y: the two dentries swap places.
        std::fs::write(dir.path().join("y"), b"y").unwrap();
        let y = tree.walk(root, name("y")).unwrap();
        tree.rename(d, name("x"), root, name("y"), RenameFlags::EXCHANGE)
            .unwrap();
        assert_eq!(tree.get(root).unwrap().children.get("y"), Some(&a));
        assert_eq!(tree.get(d).unwrap().children.get("x"), Some(&y));
        assert_eq!(std::fs::read(dir.path().join("y")).unwrap(), b"a");
        // Renaming a name onto itself changes nothing.
        tree.rename(root, name("y"), root, name("y"), RenameFlags::empty())
            .unwrap();
        assert_eq!(tree.get(root).unwrap().children.get("y"), Some(&a));
    }

    #[test]
    fn inode_numbers_are_stable_and_shared_by_hard_links() {
        let (dir, mut tree, root) = tree_with_root();
        std::fs::write(dir.path().join("f"), b"x").unwrap();
        let root_ino = tree.stat(root).unwrap().ino;
        let f = tree.walk(root, name("f")).unwrap();
        let first = tree.stat(f).unwrap();
        assert_eq!((root_ino, first.ino, first.dev), (1, 2, 1));
        let g = tree.link(root, f, name("g")).unwrap();
        assert_ne!(f, g, "another name, another dentry");
        let linked = tree.stat(g).unwrap();
        assert_eq!((linked.ino, linked.nlink), (first.ino, 2));
    }

    #[test]
    fn stat_prefers_a_live_handle_fd() {
        use std::sync::Arc;
        let (_dir, mut tree, root) = tree_with_root();
        let (f, handle) = tree
            .create(root, name("f"), OpenFlags::WRITE, 0o644, None)
            .unwrap();
        assert!(Arc::ptr_eq(
            &tree.inodes.open_fd(tree.get(f).unwrap().key).unwrap(),
            handle.shared_fd()
        ));
        drop(handle);
        assert!(
            tree.inodes.open_fd(tree.get(f).unwrap().key).is_none(),
            "weak: gone with the handle"
        );
    }

    #[test]
    fn truncate_checks_identity_first() {
        let (dir, mut tree, root) = tree_with_root();
        let p = dir.path();
        std::fs::write(p.join("f"), b"mine").unwrap();
        std::fs::write(p.join("other"), b"precious").unwrap();
        let f = tree.walk(root, name("f")).unwrap();
        // The host replaces `f` with a hard link of another file.
        std::fs::remove_file(p.join("f")).unwrap();
        std::fs::hard_link(p.join("other"), p.join("f")).unwrap();
        let flags = OpenFlags::WRITE | OpenFlags::TRUNCATE;
        assert_eq!(tree.open(f, flags).err(), Some(ErrorCode::Stale));
        assert_eq!(std::fs::read(p.join("other")).unwrap(), b"precious");
        // On the dentry's own file, truncate still truncates.
        let g = tree.walk(root, name("other")).unwrap();
        let handle = tree.open(g, flags).unwrap();
        assert_eq!(std::fs::read(p.join("other")).unwrap(), b"");
        drop(handle);
        // The same check guards the by-name calls: a symlink's times.
        std::os::unix::fs::symlink("x", p.join("l")).unwrap();
        let l = tree.walk(root, name("l")).unwrap();
        std::fs::remove_file(p.join("l")).unwrap();
        std::os::unix::fs::symlink("y", p.join("l")).unwrap();
        let before = std::fs::symlink_metadata(p.join("l")).unwrap();
        use crate::types::{SetStat, SetTime};
        let changes = SetStat {
            mode: None,
            uid: None,
            gid: None,
            size: None,
            atime: SetTime::Omit,
            mtime: SetTime::Now,
        };
        assert_eq!(
            tree.set_stat(l, &changes).map_err(|e| e.error),
            Err(ErrorCode::Stale)
        );
        let after = std::fs::symlink_metadata(p.join("l")).unwrap();
        assert_eq!(
            std::os::unix::fs::MetadataExt::mtime_nsec(&before),
            std::os::unix::fs::MetadataExt::mtime_nsec(&after)
        );
    }

    #[test]
    fn the_fd_budget_bounds_deep_nests() {
        let (_dir, mut tree, root) = tree_with_root();
        tree.set_cache_limits(4, 0);
        tree.set_fd_limit(3); // 3 + 4 + 1 root = 8 FDs
        assert_eq!(tree.budget().limit(), 8);
        // Hold only the deepest level, as a guest nesting directories does.
        let mut cur = root;
        tree.acquire(root).unwrap();
        let mut depth = 0;
        let refused = loop {
            match tree.mkdir(cur, name("d"), 0o755, None) {
                Ok(next) => {
                    tree.release(cur);
                    cur = next;
                    depth += 1;
                }
                Err(code) => break code,
            }
        };
        assert_eq!(refused, ErrorCode::TooManyOpen);
        assert_eq!(depth, 7, "root + 7 levels = the 8 FDs");
        assert_eq!(tree.budget().used(), 8);
        assert!(tree.budget().peak() <= 8);
        // Nothing was made for the refused level.
        assert_eq!(tree.walk(cur, name("d")), Err(ErrorCode::TooManyOpen));
        // Handles count too, and come back when dropped.
        assert_eq!(
            tree.open(cur, OpenFlags::READ).err(),
            Some(ErrorCode::TooManyOpen)
        );
        tree.release(cur);
        // Let go: the cache keeps 4, and there is room again.
        assert_eq!(tree.budget().used(), 1 + 4);
        let top = tree.walk(root, name("d")).unwrap();
        let handle = tree.open(top, OpenFlags::READ).unwrap();
        assert_eq!(tree.budget().used(), 1 + 4 + 1);
        drop(handle);
        assert_eq!(tree.budget().used(), 1 + 4);
    }

    #[test]
    fn open_flags_need_an_access_mode() {
        assert_eq!(open_flags(OpenFlags::empty()), Err(ErrorCode::Invalid));
        assert_eq!(
            open_flags(OpenFlags::READ | OpenFlags::APPEND),
            Err(ErrorCode::Invalid)
        );
        assert_eq!(
            open_flags(OpenFlags::WRITE | OpenFlags::TRUNCATE),
            Ok(OFlag::O_WRONLY | OFlag::O_TRUNC)
        );
        assert_eq!(
            open_flags(OpenFlags::READ | OpenFlags::WRITE),
            Ok(OFlag::O_RDWR)
        );
        assert_eq!(
            open_flags(OpenFlags::READ | OpenFlags::DIRECTORY | OpenFlags::NONBLOCK),
            Ok(OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NONBLOCK)
        );
    }

    #[test]
    fn permission_bits_reject_file_type_bits() {
        assert_eq!(permission_bits(0o755).map(|m| m.bits()), Ok(0o755));
        assert_eq!(permission_bits(0o7777).map(|m| m.bits()), Ok(0o7777));
        assert_eq!(permission_bits(0o100644), Err(ErrorCode::Invalid));
    }
}
