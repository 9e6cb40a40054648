//! The shared [`Filesystem`] and its [`Mount`]s, the per-store directfs
//! context (a view of one filesystem), its builder, and the view embedders
//! give to [`crate::add_to_linker`].
//!
//! # Lock order
//! directfs takes one lock: a filesystem's tree lock ([`Filesystem`],
//! "Locking"), a reader-writer lock held for one host call (or one step of
//! it) and released before the call returns to wasmtime. Nothing else is
//! locked while it is held, so there is no order to keep. A context's own
//! state (its preopens, its count of held resources and dentries, its
//! counts) is reached through the store's `&mut` and needs no lock. Where a
//! frontend takes the tree twice in one call (a read-locked fast path, then
//! the write-locked full one), the first guard is dropped first: the
//! borrow checker enforces most of it (a guard borrows the context), and
//! test builds panic on a second lock on one thread instead of hanging.
//!
//! What each lock mode allows is in [`crate::dentry`], "Locking": under the
//! read lock only `&self` methods of the tree that take no reference.
//!
//! The host-FD budget ([`crate::budget`]) is atomics, no lock: an open file
//! (a `Handle`) refunds its FD when it is dropped, on whatever thread, with
//! or without the tree.
//!
//! What can wait long is never done under the tree lock: a read or write of
//! an open file (and a FIFO's wait for readiness, in `poll`) runs on the
//! handle alone, and permission checks take the read lock. The lookups of
//! walks, `stat-at`s and opens that miss the cache (`openat` + `fstat` of a
//! name, `fstatat`, the re-open of a file) run with the tree **unlocked**
//! in a [`Blocking::Pool`] mount, and in an inline one while another thread
//! waits for the write lock: the call stops at the miss, the lock is
//! released for its syscalls, and the call runs again under the lock with
//! the answer (`Filesystem::deferring`; the rules are in
//! `dentry/deferred.rs`). So a slow lookup (NFS, FUSE: mount it with
//! `Blocking::Pool`) holds up no other context. What is still done
//! under the write lock: creations, removals, renames, `set-stat`, links,
//! `read-directory`'s `getdents64`, a shared mount's revalidating
//! `fstatat` of a cached name, and taking or dropping a guest's reference
//! on a dentry where that changes the cache (a walk that misses, the last
//! release of a dentry that must be queued, freed or evicted); under the
//! read lock, one `fstat`/`fstatat` per cached stat, and the walks the
//! cache answers and the other releases (atomic reference counts, see
//! [`crate::dentry`], "Locking").
//! Those are the calls whose syscall and tree update must be one step (a
//! rename must move the host name and the dentry together), or that are a
//! single short query.
//!
//! Other synchronization, none of it held with the tree lock: the
//! [`Interrupter`] (an atomic flag and an eventfd), the syscall counters
//! of [`sys`] (atomics), a filesystem's count of threads waiting for the
//! write lock (an atomic, changed around the wait), and a context's moves
//! to the blocking pool (`crate::pool`: the context goes with the call,
//! nothing is shared).

use std::cell::{Cell, RefCell};
use std::os::fd::BorrowedFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};

use crossbeam_utils::CachePadded;
use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard, ShardedLockWriteGuard};
use foldhash::HashMap;

use wasmtime::component::{HasData, ResourceTable};
use wasmtime::error::Context as _;

use crate::dentry::{Answer, CachedWalk, Deferred, DentryId, ReadLocked, Tree};
use crate::error::ErrorCode;
use crate::interrupt::Interrupter;
use crate::sys;
use crate::types::Stat;
pub use crate::types::{Blocking, FsPerms, MountOptions, PreopenOptions, Revalidation};

/// The old name of [`FsPerms`].
#[deprecated(since = "0.1.0", note = "renamed to `FsPerms`, as in wasmtime-wasi 48")]
pub type DirPerms = FsPerms;

/// Caps on what a guest may make the host allocate or hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes one `handle.read` returns or one `handle.write`
    /// writes (the rest is a short read or write). Default 4 MiB.
    pub max_io_bytes: usize,
    /// The most entries one `read-dir` page holds. Default 4096.
    pub max_dir_entries: u32,
    /// The most dentries per preopen kept (with their host FDs) that no guest
    /// holds; past it the least recently used are closed. Default 1000, as
    /// gVisor's dentry cache.
    pub max_cached_dentries: usize,
    /// The most `dentry` and `handle` resources a guest may hold at once;
    /// past it, calls that would make one fail with `too-many-open`.
    /// Default 4096.
    pub max_open: usize,
    /// The most recent `no-entry` walk results remembered (exclusive
    /// preopens only). Default 1024.
    pub max_negative_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_io_bytes: 4 << 20,
            max_dir_entries: 4096,
            max_cached_dentries: 1000,
            max_open: 4096,
            max_negative_entries: 1024,
        }
    }
}

/// What a context holds right now, for observability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Dentries in the tree (each holds one host FD), roots included.
    pub dentries: usize,
    /// Of those, the ones no guest holds (cached, or kept by a cached child).
    pub unreferenced: usize,
    /// `dentry` and `handle` resources the guest holds (a context's own;
    /// 0 in [`Filesystem::stats`]).
    pub open_resources: usize,
    /// Dentries guests hold: a context's own (distinct dentries its guest
    /// holds), or every context's in [`Filesystem::stats`] (roots included).
    pub held_dentries: usize,
    /// Host syscalls directfs made: for a context, those of its calls (its
    /// `wasi:io` streams' reads and writes excepted: they run outside
    /// directfs's calls); for a filesystem, every context's together.
    pub syscalls: u64,
    /// Name lookups answered from the cache (a live dentry, or a remembered
    /// `no-entry`): for a context, its own; for a filesystem, every
    /// context's.
    pub lookup_hits: u64,
    /// Name lookups that went to the host (`openat`, or `fstatat` where a
    /// `stat-at` makes no dentry), counted as [`Stats::lookup_hits`].
    pub lookup_misses: u64,
    /// Host FDs the tree holds now: dentries and open files.
    pub host_fds: usize,
    /// The most host FDs the tree held at once so far.
    pub peak_host_fds: usize,
    /// The bound on [`Stats::host_fds`]: [`Limits::max_open`] +
    /// [`Limits::max_cached_dentries`] + the preopens. Past it, calls that
    /// would need another FD fail with `too-many-open` (after evicting what
    /// the cache can give up).
    pub max_host_fds: usize,
}

/// A dentry tree over one or more host directories ([`Mount`]s), shared by
/// any number of contexts, stores and threads: one cache and one host-FD
/// budget for all of them. Cloning it is cheap (it is an `Arc`).
///
/// ```
/// use directfs::{DirectfsCtx, Filesystem, FsPerms, Revalidation};
/// # fn main() -> wasmtime::Result<()> {
/// let fs = Filesystem::new();
/// let data = fs.mount(std::env::temp_dir(), Revalidation::Exclusive)?;
/// // One context per store (request), each a view of the same tree.
/// let writer = DirectfsCtx::builder().mount(&data, "/data", FsPerms::ReadWrite)?.build();
/// let reader = DirectfsCtx::builder().mount(&data, "/data", FsPerms::ReadOnly)?.build();
/// # drop((writer, reader));
/// # Ok(())
/// # }
/// ```
///
/// # Locking
/// The tree is behind one reader-writer lock (`Filesystem::tree`), taken
/// once per host call (twice where a read-locked fast path falls back to
/// the full one, and once more per cache miss, whose syscalls run with it
/// released), never while another directfs lock is held, and never across
/// a call back into the guest or the embedder.
/// Calls that change the tree (walks to new dentries, references, creates,
/// renames, removals, opens) take it for writing and are serialized: each
/// run of a call sees one state of the tree, so renames and walks are
/// consistent with each other.
/// Stats through live dentries (`stat-at` and `metadata-hash-at` of a
/// cached path, `stat` of a descriptor, `directfs:fs` `stat`) take it for
/// reading and run at once on several threads: one `fstat`/`fstatat` each,
/// no kernel path walk. The lock is sharded (crossbeam's `ShardedLock`), so
/// readers on different cores share no cache line. Contexts on different
/// filesystems never contend.
#[derive(Debug, Clone)]
pub struct Filesystem {
    /// The dentries of every mount, their cache and FD budget. Every field
    /// of the [`Tree`] is protected by this lock: read for calls that change
    /// nothing in the tree (a cached stat), write for the rest. Sharded
    /// (crossbeam's `ShardedLock`): a read locks only its thread's shard, so
    /// readers on different cores share no cache line; a write locks every
    /// shard.
    tree: Arc<ShardedLock<Tree>>,
    /// What contexts on this filesystem did, every context together:
    /// syscalls, lookup hits and misses ([`Tally`]).
    counts: Arc<StripedCounter>,
    /// The most host FDs held for guests (their dentries and open files) on
    /// top of the cache: part of the budget, see [`Filesystem::with_limits`].
    max_held: usize,
    /// How many threads are waiting to write-lock the tree now: an inline
    /// mount's cache misses are made unlocked while some are (see
    /// [`Blocking::Inline`]). Readers are not counted (a count every stat
    /// adds to would be one cache line all cores share).
    writers_waiting: Arc<AtomicUsize>,
    /// Whether this is a context's own (made by
    /// [`DirectfsCtxBuilder::preopen`]), whose limits that builder sets.
    private: bool,
}

impl Default for Filesystem {
    fn default() -> Self {
        Self::new()
    }
}

impl Filesystem {
    /// A filesystem with no mounts and the default limits (those of
    /// [`Limits::default`]: 1000 cached dentries per mount, 4096 held FDs).
    pub fn new() -> Self {
        let limits = Limits::default();
        Self::with_limits(limits.max_cached_dentries, limits.max_open)
    }

    /// A filesystem with no mounts, keeping at most `max_cached_dentries`
    /// unreferenced dentries per mount, and at most `max_held_fds` host FDs
    /// for what guests hold (all contexts together). Its host-FD budget is
    /// `max_held_fds + max_cached_dentries × mounts + mounts`; past it,
    /// calls that need another FD evict cached dentries of any mount, then
    /// fail with `too-many-open`.
    pub fn with_limits(max_cached_dentries: usize, max_held_fds: usize) -> Self {
        let mut tree = Tree::default();
        tree.set_cache_limits(max_cached_dentries, Limits::default().max_negative_entries);
        tree.set_fd_limit(max_held_fds);
        Self {
            writers_waiting: tree.writers_waiting(),
            tree: Arc::new(ShardedLock::new(tree)),
            counts: Arc::default(),
            max_held: max_held_fds,
            private: false,
        }
    }

    /// Mounts the host directory `host_dir`: a new root of the tree, for
    /// contexts to preopen with [`DirectfsCtxBuilder::mount`]. Its syscalls
    /// run inline ([`Blocking::Inline`]); [`Self::mount_with`] chooses.
    ///
    /// The host path is the embedder's (trusted) and is opened once, here,
    /// following symlinks like any host path. Errors if it cannot be opened
    /// or is not a directory; the message names the path.
    pub fn mount(
        &self,
        host_dir: impl AsRef<Path>,
        revalidation: Revalidation,
    ) -> wasmtime::Result<Mount> {
        self.mount_with(host_dir, MountOptions::from(revalidation))
    }

    /// [`Self::mount`] with [`MountOptions`]: its revalidation mode and
    /// where its syscalls run on async hosts.
    pub fn mount_with(
        &self,
        host_dir: impl AsRef<Path>,
        options: MountOptions,
    ) -> wasmtime::Result<Mount> {
        let host_dir = host_dir.as_ref();
        let dir = cap_std::fs::Dir::open_ambient_dir(host_dir, cap_std::ambient_authority())
            .with_context(|| format!("cannot open directory {}", host_dir.display()))?;
        self.mount_dir_with(dir, options)
            .with_context(|| format!("cannot mount {}", host_dir.display()))
    }

    /// Mounts an already open directory. Takes ownership of `dir`.
    pub fn mount_dir(
        &self,
        dir: cap_std::fs::Dir,
        revalidation: Revalidation,
    ) -> wasmtime::Result<Mount> {
        self.mount_dir_with(dir, MountOptions::from(revalidation))
    }

    /// [`Self::mount_dir`] with [`MountOptions`]. Takes ownership of `dir`.
    pub fn mount_dir_with(
        &self,
        dir: cap_std::fs::Dir,
        options: MountOptions,
    ) -> wasmtime::Result<Mount> {
        let MountOptions {
            revalidation,
            blocking,
        } = options;
        let options = PreopenOptions {
            perms: FsPerms::ReadWrite,
            revalidation,
            blocking,
        };
        let mut tree = self.lock();
        let root = tree
            .add_root(dir.into_std_file().into(), options)
            .context("not a directory")?;
        tree.set_fd_limit(self.max_held);
        drop(tree);
        Ok(Mount {
            fs: self.clone(),
            root,
        })
    }

    /// What the whole tree holds now: every context on it together.
    pub fn stats(&self) -> Stats {
        let counts = self.counts.sum();
        let tree = self.read_counted(None);
        let (dentries, unreferenced) = tree.counts();
        let budget = tree.budget();
        Stats {
            dentries,
            unreferenced,
            open_resources: 0,
            held_dentries: dentries - unreferenced,
            host_fds: budget.used(),
            peak_host_fds: budget.peak(),
            max_host_fds: budget.limit(),
            syscalls: counts[SYSCALLS],
            lookup_hits: counts[HITS],
            lookup_misses: counts[MISSES],
        }
    }

    /// The tree, write-locked (see "Locking" above). A panic while it was
    /// held left no half-done state the next call could trip on: every tree
    /// operation keeps the tree consistent at each step, so a poisoned lock
    /// is taken over.
    pub(crate) fn lock(&self) -> TreeGuard<'_> {
        let lock = Self::note_locked();
        let mut tree = self.write();
        tree.next_generation();
        TreeGuard {
            tree,
            _counts: Counts::start(None, lock),
        }
    }

    /// The tree, write-locked, counting the syscalls made while it is held
    /// towards this filesystem and `ctx` (a context's count).
    fn write_counted<'a>(&'a self, ctx: &'a Tally) -> TreeGuard<'a> {
        let lock = Self::note_locked();
        let mut tree = self.write();
        tree.next_generation();
        TreeGuard {
            tree,
            _counts: Counts::start(Some((&self.counts, ctx)), lock),
        }
    }

    /// The tree's write lock, counted in `writers_waiting` while waited for.
    fn write(&self) -> ShardedLockWriteGuard<'_, Tree> {
        self.writers_waiting.fetch_add(1, Ordering::Relaxed);
        let tree = self.tree.write().unwrap_or_else(PoisonError::into_inner);
        self.writers_waiting.fetch_sub(1, Ordering::Relaxed);
        tree
    }

    /// Runs `op` on the write-locked tree, with the lookups it misses made
    /// with the tree unlocked where the mount says so (see
    /// [`Blocking`], and [`crate::dentry`]'s `deferred`): `op`
    /// stops at its first miss, the lock is released for the miss's
    /// syscalls, and `op` runs again, under the lock, finding their answer.
    /// Each run of `op` sees the tree as one state; a run whose lookup was
    /// put off has its result dropped. Counted as [`Self::write_counted`]
    /// (`ctx`: `None` for the embedder's own calls), the unlocked syscalls
    /// too.
    ///
    /// # Preconditions
    /// `op` changes nothing outside the tree before its first call of a
    /// tree method that changes the host (those end the deferring), so that
    /// running it again is as running it once.
    ///
    /// With `hand_out`, a lookup put off is not made here: the attempt's
    /// result is returned with the lookup in `hand_out.put_off`, for the
    /// caller to make ([`LookupRun::make`]) and call again with the answer
    /// in `hand_out.answer` (see [`HandOut`]).
    pub(crate) fn deferring<R>(
        &self,
        ctx: Option<&Tally>,
        mut hand_out: Option<&mut HandOut>,
        mut op: impl FnMut(&mut Tree) -> R,
    ) -> R {
        let (mut answer, mut call, mut attempt) = match hand_out.as_mut() {
            Some(h) => (h.answer.take().map(|a| *a), h.call, h.attempt),
            None => (None, 0, 0),
        };
        loop {
            let mut tree = match ctx {
                Some(ctx) => self.write_counted(ctx),
                None => self.lock(),
            };
            if call == 0 {
                call = tree.new_call();
            }
            let lookups = crate::dentry::thread_lookups();
            tree.begin_attempt(answer.take(), attempt, call);
            let result = op(&mut tree);
            let Some((deferred, misses)) = tree.end_attempt() else {
                return result;
            };
            // A run made again counts only the misses that stay counted.
            crate::dentry::rewind_lookups(lookups, misses);
            if let Some(h) = hand_out {
                h.call = call;
                h.attempt = attempt + 1;
                h.put_off = Some(Box::new(deferred));
                return result;
            }
            drop(result);
            drop(tree);
            let start = thread_counts();
            answer = Some(deferred.run());
            if let Some(ctx) = ctx {
                add_since(start, &self.counts, ctx);
            }
            attempt += 1;
        }
    }

    /// The tree, read-locked, counting as [`Self::write_counted`] (`None`:
    /// the embedder's own calls, counted nowhere).
    pub(crate) fn read_counted<'a>(&'a self, ctx: Option<&'a Tally>) -> TreeReadGuard<'a> {
        let lock = Self::note_locked();
        let tree = self.tree.read().unwrap_or_else(PoisonError::into_inner);
        TreeReadGuard {
            tree,
            _counts: Counts::start(ctx.map(|ctx| (&*self.counts, ctx)), lock),
        }
    }

    /// Notes that this thread is taking a tree lock. A second lock on one
    /// thread could wait for itself forever (a read after a write, or a
    /// write after a read): in test builds, say so instead (see "Lock
    /// order" in the module docs).
    fn note_locked() -> LockedMark {
        debug_assert!(
            !TREE_LOCKED.with(Cell::get),
            "directfs: a tree lock taken while this thread holds one"
        );
        TREE_LOCKED.with(|locked| locked.set(true));
        LockedMark
    }

    /// Whether some thread holds the tree lock now (test builds).
    #[cfg(test)]
    pub(crate) fn is_locked(&self) -> bool {
        self.tree.try_write().is_err()
    }

    /// How many threads wait for the write lock now (test builds).
    #[cfg(test)]
    pub(crate) fn writers_waiting(&self) -> usize {
        self.writers_waiting.load(Ordering::Relaxed)
    }

    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.tree, &other.tree)
    }
}

/// A [`Filesystem`]'s tree, write-locked: on drop, the syscalls made on
/// this thread while it was held are added to each counter.
pub(crate) struct TreeGuard<'a> {
    // Field order: the lock is released before the counts are taken.
    tree: ShardedLockWriteGuard<'a, Tree>,
    /// Counts while the lock is held (read by its `Drop`).
    _counts: Counts<'a>,
}

/// A [`Filesystem`]'s tree, read-locked (calls that change nothing in the
/// tree run at once on several threads); counts as [`TreeGuard`].
pub(crate) struct TreeReadGuard<'a> {
    tree: ShardedLockReadGuard<'a, Tree>,
    /// Counts while the lock is held (read by its `Drop`).
    _counts: Counts<'a>,
}

impl std::ops::Deref for TreeGuard<'_> {
    type Target = Tree;

    fn deref(&self) -> &Tree {
        &self.tree
    }
}

impl std::ops::DerefMut for TreeGuard<'_> {
    fn deref_mut(&mut self) -> &mut Tree {
        &mut self.tree
    }
}

impl std::ops::Deref for TreeReadGuard<'_> {
    type Target = Tree;

    fn deref(&self) -> &Tree {
        &self.tree
    }
}

thread_local! {
    /// Whether this thread holds a tree lock (a guard is alive).
    static TREE_LOCKED: Cell<bool> = const { Cell::new(false) };
}

/// Proof that [`TREE_LOCKED`] was set; clears it on drop.
struct LockedMark;

impl Drop for LockedMark {
    fn drop(&mut self) {
        TREE_LOCKED.with(|locked| locked.set(false));
    }
}

/// Where [`Tally`] keeps the syscalls.
const SYSCALLS: usize = 0;
/// Where [`Tally`] keeps the lookups answered from the cache.
const HITS: usize = 1;
/// Where [`Tally`] keeps the lookups that went to the host.
const MISSES: usize = 2;

/// Counts of what a context did: syscalls, lookup hits, lookup misses.
type Tally = [AtomicU64; 3];

/// This thread's running counts, in [`Tally`]'s order.
fn thread_counts() -> [u64; 3] {
    let (hits, misses) = crate::dentry::thread_lookups();
    [sys::thread_syscalls(), hits, misses]
}

/// What a guard counts: this thread's syscalls and lookups from its start
/// to its drop, added to a filesystem's counts and a context's (None: the
/// embedder's own calls, mounting and stats, count nowhere).
struct Counts<'a> {
    to: Option<(&'a StripedCounter, &'a Tally)>,
    start: [u64; 3],
    _locked: LockedMark,
}

impl<'a> Counts<'a> {
    fn start(to: Option<(&'a StripedCounter, &'a Tally)>, locked: LockedMark) -> Self {
        Self {
            to,
            start: thread_counts(),
            _locked: locked,
        }
    }
}

impl Drop for Counts<'_> {
    fn drop(&mut self) {
        if let Some((fs, ctx)) = self.to {
            add_since(self.start, fs, ctx);
        }
    }
}

/// Adds this thread's counts since `start` to `fs` and `ctx`.
fn add_since(start: [u64; 3], fs: &StripedCounter, ctx: &Tally) {
    add_delta(since(start), fs, ctx);
}

/// This thread's counts since `start`.
fn since(start: [u64; 3]) -> [u64; 3] {
    let now = thread_counts();
    let mut delta = [0; 3];
    for ((d, now), start) in delta.iter_mut().zip(now).zip(start) {
        *d = now - start;
    }
    delta
}

/// Adds `delta` to `fs` and `ctx`.
fn add_delta(delta: [u64; 3], fs: &StripedCounter, ctx: &Tally) {
    if delta != [0; 3] {
        fs.add(delta);
        for (cell, n) in ctx.iter().zip(delta) {
            cell.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// A call (of WASI 0.3, whose calls are async) that makes the lookups it
/// puts off itself, where it likes (on the blocking pool, for a
/// [`Blocking::Pool`] mount), instead of [`Filesystem::deferring`] making
/// them on the calling thread: each attempt returns with the lookup in
/// `put_off`, and the caller runs the call again with its `answer`.
///
/// Small (the lookup and its answer are boxed, made only on a miss): every
/// write-locked call moves it in and out of its context.
///
/// # Preconditions
/// As [`Filesystem::deferring`]'s, for the whole call (handle lookups,
/// checks, the tree call): it is run again from the start.
#[derive(Debug, Default)]
pub(crate) struct HandOut {
    /// The answer to the lookup the last attempt put off.
    pub(crate) answer: Option<Box<Answer>>,
    /// The call's number in the tree (0 before its first attempt).
    call: u32,
    /// Its attempts so far.
    attempt: u32,
    /// The lookup the attempt put off, for the caller to make.
    pub(crate) put_off: Option<Box<Deferred>>,
}

/// A lookup made away from its call ([`HandOut`]): the answer, and the
/// syscalls and lookups it made, to count towards the context.
#[derive(Debug)]
pub(crate) struct LookupRun {
    pub(crate) answer: Answer,
    delta: [u64; 3],
}

impl LookupRun {
    /// Makes `lookup`'s syscalls on this thread (with no tree lock).
    pub(crate) fn make(lookup: Deferred) -> Self {
        let start = thread_counts();
        let answer = lookup.run();
        Self {
            answer,
            delta: since(start),
        }
    }
}

/// How many stripes a [`StripedCounter`] has.
const STRIPES: usize = 8;

/// A [`Tally`] that threads add to at once without sharing a cache line:
/// a padded tally per stripe (threads are given stripes in turn), summed
/// when read. One tally that every call of every thread adds to costs a
/// cache-line transfer per call between cores.
#[derive(Debug, Default)]
struct StripedCounter([CachePadded<Tally>; STRIPES]);

impl StripedCounter {
    fn add(&self, delta: [u64; 3]) {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
        }
        let stripe = STRIPE.with(|s| *s);
        if let Some(tally) = self.0.get(stripe) {
            for (cell, n) in tally.iter().zip(delta) {
                cell.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    fn sum(&self) -> [u64; 3] {
        let mut sum = [0; 3];
        for tally in &self.0 {
            for (total, cell) in sum.iter_mut().zip(tally.iter()) {
                *total += cell.load(Ordering::Relaxed);
            }
        }
        sum
    }
}

/// A host directory mounted in a [`Filesystem`]: what contexts preopen.
/// Cloning it is cheap; the mount lasts as long as its filesystem.
#[derive(Debug, Clone)]
pub struct Mount {
    fs: Filesystem,
    root: DentryId,
}

impl Mount {
    /// The filesystem the mount is in.
    pub fn filesystem(&self) -> &Filesystem {
        &self.fs
    }

    /// The mount's root dentry.
    #[cfg(test)]
    pub(crate) fn root(&self) -> DentryId {
        self.root
    }
}

/// One preopen of a context: a mount's root, the guest's name for it, and
/// what this context may do there.
#[derive(Debug, Clone)]
pub(crate) struct Preopen {
    pub(crate) root: DentryId,
    pub(crate) name: String,
    pub(crate) perms: FsPerms,
}

/// The directfs state of one store: its view of a [`Filesystem`] (the
/// preopens, their permissions, its limits) and what its guest holds. Made
/// by [`DirectfsCtxBuilder`]; cheap to make from mounts (no syscall).
///
/// Dropping it (with its store) releases every dentry its guest still held,
/// whether or not the guest dropped its resources.
#[derive(Debug)]
pub struct DirectfsCtx {
    pub(crate) fs: Filesystem,
    /// The preopens, in the order added.
    pub(crate) preopens: Vec<Preopen>,
    pub(crate) limits: Limits,
    /// How many `dentry` and `handle` resources the guest holds.
    pub(crate) open_resources: usize,
    /// The guest references this context holds on dentries (a count per
    /// dentry), released when it is dropped.
    pub(crate) held: HashMap<DentryId, u32>,
    /// What this context did ([`Tally`]): host syscalls (under the tree
    /// lock, and by its `directfs:fs` handles), lookup hits and misses.
    pub(crate) counts: Tally,
    /// Set by [`crate::wasi::add_to_linker`]'s view on every call: whether
    /// the store's [`DirectfsView`] and wasmtime-wasi `WasiView` hand out
    /// different [`ResourceTable`]s (then `wasi:filesystem` traps, before the
    /// guest gets a resource the other side cannot find).
    pub(crate) tables_differ: bool,
    /// Set by [`crate::wasi::add_to_linker_async`]'s view on every call:
    /// the store runs on an async host, so calls on mounts with
    /// [`Blocking::Pool`] run on the blocking pool.
    pub(crate) async_host: bool,
    /// The identity the last read-locked `stat-at` of an exclusive mount
    /// found, for the `metadata-hash-at` of the same path that wasi-libc
    /// makes right after it (see [`LastStat`]).
    pub(crate) last_stat: Option<LastStat>,
    /// The last stat of a dentry of an exclusive mount (`directfs:fs`
    /// `dentry.stat`), while it holds.
    pub(crate) last_dentry_stat: Option<LastDentryStat>,
    /// The last walk made under the read lock.
    last_walk: Option<LastWalk>,
    /// The running WASI 0.3 call's hand-out state, while one runs (see
    /// [`HandOut`]).
    hand_out: RefCell<Option<HandOut>>,
    /// Ends the waits of this context's calls on FIFOs and devices
    /// ([`DirectfsCtx::interrupter`]); shared with the embedder's clones.
    pub(crate) interrupter: Interrupter,
    /// How many WASI 0.3 `read-directory` streams of this context are
    /// alive (each holds a host FD of its own); they count towards
    /// [`Limits::max_open`] with `open_resources`. Shared with each
    /// stream's [`StreamSlot`], which gives its count back when the stream
    /// is dropped (where the context is out of reach).
    pub(crate) streams: Arc<AtomicUsize>,
}

/// One stream's share of [`DirectfsCtx::streams`], given back on drop.
#[derive(Debug)]
pub(crate) struct StreamSlot(Arc<AtomicUsize>);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Where this context's last walk under the read lock led
/// ([`DirectfsCtx::walk_path_cached`]): the walk of `path` from `start`
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
    /// `last`, its path buffer reused).
    fn walk(
        last: &mut Option<LastWalk>,
        tree: &Tree,
        start: DentryId,
        path: &str,
        follow_final: bool,
    ) -> Option<CachedWalk> {
        let generation = tree.generation();
        match last {
            Some(last)
                if last.generation == generation
                    && last.start == start
                    && last.follow_final == follow_final
                    && last.path == path =>
            {
                Some(last.walk)
            }
            Some(last) => {
                let walk = tree.cached_walk(start, path, follow_final)?;
                last.path.clear();
                last.path.push_str(path);
                (last.start, last.follow_final) = (start, follow_final);
                (last.generation, last.walk) = (generation, walk);
                Some(walk)
            }
            None => {
                let walk = tree.cached_walk(start, path, follow_final)?;
                *last = Some(LastWalk {
                    start,
                    path: path.to_owned(),
                    follow_final,
                    generation,
                    walk,
                });
                Some(walk)
            }
        }
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
    fn holds(
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

impl DirectfsCtx {
    /// A builder with no preopens and default [`Limits`].
    pub fn builder() -> DirectfsCtxBuilder {
        DirectfsCtxBuilder::new()
    }

    /// What the context holds right now: its own resources, and the
    /// dentries, cache and host FDs of its [`Filesystem`] (shared with every
    /// other context on it).
    pub fn stats(&self) -> Stats {
        Stats {
            open_resources: self.resources(),
            held_dentries: self.held.len(),
            syscalls: self.counts[SYSCALLS].load(Ordering::Relaxed),
            lookup_hits: self.counts[HITS].load(Ordering::Relaxed),
            lookup_misses: self.counts[MISSES].load(Ordering::Relaxed),
            ..self.fs.stats()
        }
    }

    /// How many resources count towards [`Limits::max_open`]: the guest's
    /// dentries, handles and descriptors, and its live WASI 0.3 directory
    /// streams.
    pub(crate) fn resources(&self) -> usize {
        self.open_resources + self.streams.load(Ordering::Relaxed)
    }

    /// Counts one more live stream until the returned slot is dropped.
    pub(crate) fn stream_slot(&self) -> StreamSlot {
        self.streams.fetch_add(1, Ordering::Relaxed);
        StreamSlot(self.streams.clone())
    }

    /// An empty context on the same filesystem: what the store holds while
    /// its own context is away on the blocking pool (see
    /// `wasi::host_async`). Holds nothing, so dropping it releases nothing.
    pub(crate) fn stand_in(&self) -> Self {
        Self {
            fs: self.fs.clone(),
            preopens: Vec::new(),
            limits: self.limits,
            open_resources: 0,
            held: HashMap::default(),
            counts: Tally::default(),
            tables_differ: self.tables_differ,
            async_host: self.async_host,
            last_stat: None,
            last_dentry_stat: None,
            last_walk: None,
            hand_out: RefCell::new(None),
            interrupter: self.interrupter.clone(),
            streams: self.streams.clone(),
        }
    }

    /// What interrupts this context's waits: a `directfs:fs` or
    /// `wasi:filesystem` read of an empty FIFO (or a write to a full one)
    /// opened without `nonblock`. [`Interrupter::interrupt`], from any
    /// thread, ends such a wait at once with `interrupted`, and makes every
    /// later one fail so too (until [`Interrupter::reset`]).
    ///
    /// Take it before the context moves into a store. The waits of
    /// `wasi:io` pollables on such files are async (a reactor's, or the
    /// blocking pool's) and end when the embedder drops the guest's future.
    pub fn interrupter(&self) -> Interrupter {
        self.interrupter.clone()
    }

    /// The filesystem this context is a view of.
    pub fn filesystem(&self) -> &Filesystem {
        &self.fs
    }

    /// The tree, locked; the syscalls made while it is held count towards
    /// this context.
    pub(crate) fn tree(&self) -> TreeGuard<'_> {
        self.fs.write_counted(&self.counts)
    }

    /// Runs `op` on the write-locked tree, with the lookups it misses made
    /// with the tree unlocked: [`Filesystem::deferring`], counted towards
    /// this context.
    ///
    /// # Preconditions
    /// As [`Filesystem::deferring`]'s.
    pub(crate) fn deferring<R>(&self, op: impl FnMut(&mut Tree) -> R) -> R {
        let mut hand_out = self.hand_out.take();
        let result = self.fs.deferring(Some(&self.counts), hand_out.as_mut(), op);
        self.hand_out.replace(hand_out);
        result
    }

    /// Starts a call whose lookups put off are handed out to the caller
    /// (see [`HandOut`]), carrying on from `hand_out`.
    pub(crate) fn begin_hand_out(&self, hand_out: HandOut) {
        self.hand_out.replace(Some(hand_out));
    }

    /// Whether the running call carries the answer to a lookup it handed
    /// out (see [`HandOut`]): it must then take the path that uses it, not
    /// a fast path that would look the name up again.
    pub(crate) fn has_handed_out_answer(&self) -> bool {
        self.hand_out
            .borrow()
            .as_ref()
            .is_some_and(|h| h.answer.is_some())
    }

    /// Ends what [`Self::begin_hand_out`] began: the state to carry on
    /// with, and the lookup put off, if any.
    pub(crate) fn end_hand_out(&self) -> HandOut {
        self.hand_out.take().unwrap_or_default()
    }

    /// Counts the syscalls a lookup made for this context elsewhere
    /// ([`LookupRun::make`]) made.
    pub(crate) fn count_lookup_run(&self, run: &LookupRun) {
        add_delta(run.delta, &self.fs.counts, &self.counts);
    }

    /// The tree, read-locked, for calls that change nothing in it; counted
    /// as [`Self::tree`].
    pub(crate) fn tree_read(&self) -> TreeReadGuard<'_> {
        self.fs.read_counted(Some(&self.counts))
    }

    /// [`Tree::walk_path`] under the read lock, where the path leads
    /// through cached dentries alone ([`Tree::cached_walk`]): the dentry,
    /// with one new guest reference; `None` where the walk must be made
    /// under the write lock. The same walk as this context's last one,
    /// with no write lock taken since, is not walked again ([`LastWalk`]).
    pub(crate) fn walk_path_cached(
        &mut self,
        start: DentryId,
        path: &str,
        follow_final: bool,
    ) -> Option<DentryId> {
        if self.has_handed_out_answer() {
            return None;
        }
        let tree = self.fs.read_counted(Some(&self.counts));
        let walk = LastWalk::walk(&mut self.last_walk, &tree, start, path, follow_final)?;
        tree.acquire_walked(walk).then_some(walk.found)
    }

    /// [`Tree::walk_path`] and [`DirectfsCtx::stat`] of where it leads,
    /// under the read lock and taking no reference (the read lock keeps the
    /// dentry), where the path leads through cached dentries alone (as
    /// [`DirectfsCtx::walk_path_cached`]) and the stat needs no write lock:
    /// `None` otherwise.
    pub(crate) fn stat_path_cached(
        &mut self,
        start: DentryId,
        path: &str,
        follow_final: bool,
    ) -> Option<Result<Stat, ErrorCode>> {
        if self.has_handed_out_answer() {
            return None;
        }
        // Read before the stat, as in `stat`.
        let changes = sys::changes();
        let tree = self.fs.read_counted(Some(&self.counts));
        let walk = LastWalk::walk(&mut self.last_walk, &tree, start, path, follow_final)?;
        let id = walk.found;
        let stat = match &self.last_dentry_stat {
            Some(last) if last.id == id && last.changes == changes => Ok(last.stat),
            _ => match tree.stat_known(id) {
                ReadLocked::Done(stat) => stat,
                ReadLocked::Unnumbered(_) | ReadLocked::Full => return None,
            },
        };
        tree.count_walk(walk);
        // A cached walk is of an exclusive mount: the stat may be kept.
        if let Ok(stat) = stat {
            self.last_dentry_stat = Some(LastDentryStat { id, changes, stat });
        }
        Some(stat)
    }

    /// Drops one guest reference on `id`: under the read lock where that
    /// changes nothing else ([`Tree::release_cached`]), else under the
    /// write lock.
    pub(crate) fn release(&self, id: DentryId) {
        let done = self.tree_read().release_cached(id);
        if !done {
            self.tree().release(id);
        }
    }

    /// The stat of dentry `id` ([`Tree::stat`]), under the read lock where
    /// that is enough; in an exclusive mount, the last one this context
    /// took of `id` while no file changed since (see [`LastDentryStat`]).
    pub(crate) fn stat(&mut self, id: DentryId) -> Result<Stat, ErrorCode> {
        let changes = sys::changes();
        if let Some(last) = &self.last_dentry_stat
            && last.id == id
            && last.changes == changes
        {
            return Ok(last.stat);
        }
        let (fast, exclusive) = {
            let tree = self.tree_read();
            (tree.stat_known(id), tree.is_exclusive(id))
        };
        let stat = self.finish_stat(fast, |tree| tree.stat(id))?;
        self.last_dentry_stat = exclusive.then_some(LastDentryStat { id, changes, stat });
        Ok(stat)
    }

    /// The guest's `(dev, ino)` of dentry `id` ([`Tree::identity`]), under
    /// the read lock where that is enough.
    pub(crate) fn identity(&self, id: DentryId) -> Result<(u64, u64), ErrorCode> {
        let known = self.tree_read().identity_known(id);
        known.unwrap_or_else(|| self.tree().identity(id))
    }

    /// The stat of a handle's `fd` ([`Tree::stat_fd`]), under the read lock
    /// where that is enough.
    pub(crate) fn stat_fd(&self, fd: BorrowedFd<'_>) -> Result<Stat, ErrorCode> {
        let fast = self.tree_read().stat_fd_known(fd);
        self.finish_stat(fast, |tree| tree.stat_fd(fd))
    }

    /// Ends a stat begun under the read lock: its answer, or its host stat
    /// numbered, or `full` (the whole call), under the write lock.
    pub(crate) fn finish_stat(
        &self,
        fast: ReadLocked<Stat>,
        full: impl FnOnce(&mut Tree) -> Result<Stat, ErrorCode>,
    ) -> Result<Stat, ErrorCode> {
        match fast {
            ReadLocked::Done(stat) => stat,
            ReadLocked::Unnumbered(st) => Ok(self.tree().guest_stat(&st)),
            ReadLocked::Full => full(&mut self.tree()),
        }
    }

    /// Runs `f` (host I/O outside the tree, on a handle), counting its
    /// syscalls towards this context and its filesystem.
    pub(crate) fn counting<R>(&self, f: impl FnOnce() -> R) -> R {
        let start = thread_counts();
        let result = f();
        add_since(start, &self.fs.counts, &self.counts);
        result
    }

    /// Fails with `read-only` unless this context may change dentry `id`:
    /// its mount and this context's preopen of it are both read-write.
    pub(crate) fn check_writable_locked(&self, tree: &Tree, id: DentryId) -> Result<(), ErrorCode> {
        tree.check_writable(id)?;
        let root = tree.root_of(id)?;
        match self.preopens.iter().find(|p| p.root == root) {
            Some(Preopen {
                perms: FsPerms::ReadWrite,
                ..
            }) => Ok(()),
            _ => Err(ErrorCode::ReadOnly),
        }
    }

    /// Records one more guest reference on `id` (taken on the tree).
    pub(crate) fn note_held(&mut self, id: DentryId) {
        *self.held.entry(id).or_default() += 1;
    }

    /// Records one guest reference on `id` fewer (released on the tree).
    pub(crate) fn note_released(&mut self, id: DentryId) {
        if let Some(n) = self.held.get_mut(&id) {
            *n -= 1;
            if *n == 0 {
                self.held.remove(&id);
            }
        }
    }
}

impl Drop for DirectfsCtx {
    fn drop(&mut self) {
        if self.held.is_empty() {
            return;
        }
        let mut tree = self.fs.lock();
        for (id, n) in self.held.drain() {
            for _ in 0..n {
                tree.release(id);
            }
        }
    }
}

/// Builds a [`DirectfsCtx`]: from [`Mount`]s of a shared [`Filesystem`]
/// ([`Self::mount`]), or from host directories ([`Self::preopen`]), which
/// go into a filesystem of the context's own.
///
/// ```
/// use directfs::{FsPerms, DirectfsCtx};
/// # fn main() -> wasmtime::Result<()> {
/// let dir = std::env::temp_dir();
/// let ctx = DirectfsCtx::builder()
///     .preopen(&dir, "/data", FsPerms::ReadWrite)?
///     .max_io_bytes(1 << 20)
///     .build();
/// # drop(ctx);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct DirectfsCtxBuilder {
    fs: Option<Filesystem>,
    preopens: Vec<Preopen>,
    limits: Limits,
}

impl DirectfsCtxBuilder {
    /// A builder with no preopens and default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Preopens `mount` for the guest as `guest_name`, with `perms` (a
    /// read-only view of a mount others write to is fine). No syscall.
    ///
    /// Every mount of one context must be of the same [`Filesystem`];
    /// otherwise this errors.
    pub fn mount(
        &mut self,
        mount: &Mount,
        guest_name: impl Into<String>,
        perms: FsPerms,
    ) -> wasmtime::Result<&mut Self> {
        match &self.fs {
            Some(fs) if !fs.same(&mount.fs) => {
                wasmtime::bail!(
                    "the mounts of one context must be of one directfs::Filesystem \
                     (this context already has preopens of another)"
                )
            }
            Some(_) => {}
            None => self.fs = Some(mount.fs.clone()),
        }
        self.preopens.push(Preopen {
            root: mount.root,
            name: guest_name.into(),
            perms,
        });
        Ok(self)
    }

    /// Preopens the host directory `host_dir` for the guest as `guest_name`,
    /// in a filesystem of this context's own (or, after [`Self::mount`], in
    /// that mount's filesystem).
    ///
    /// The host path is the embedder's (trusted) and is opened once, here,
    /// following symlinks like any host path; from then on the guest reaches
    /// files only through FDs relative to it.
    ///
    /// Errors if `host_dir` cannot be opened or is not a directory; the
    /// message names the path.
    pub fn preopen(
        &mut self,
        host_dir: impl AsRef<Path>,
        guest_name: impl Into<String>,
        options: impl Into<PreopenOptions>,
    ) -> wasmtime::Result<&mut Self> {
        let host_dir = host_dir.as_ref();
        let dir = cap_std::fs::Dir::open_ambient_dir(host_dir, cap_std::ambient_authority())
            .with_context(|| format!("cannot open preopen directory {}", host_dir.display()))?;
        self.preopen_dir(dir, guest_name, options)
            .with_context(|| format!("cannot preopen {}", host_dir.display()))
    }

    /// Preopens an already open directory for the guest as `guest_name`, as
    /// [`Self::preopen`]. Takes ownership of `dir`.
    pub fn preopen_dir(
        &mut self,
        dir: cap_std::fs::Dir,
        guest_name: impl Into<String>,
        options: impl Into<PreopenOptions>,
    ) -> wasmtime::Result<&mut Self> {
        let options = options.into();
        let fs = self.fs.get_or_insert_with(|| Filesystem {
            private: true,
            ..Filesystem::new()
        });
        let mount = fs.mount_dir_with(
            dir,
            MountOptions {
                revalidation: options.revalidation,
                blocking: options.blocking,
            },
        )?;
        self.mount(&mount, guest_name, options.perms)
    }
    /// Sets [`Limits::max_io_bytes`] (at least 1).
    pub fn max_io_bytes(&mut self, bytes: usize) -> &mut Self {
        self.limits.max_io_bytes = bytes.max(1);
        self
    }

    /// Sets [`Limits::max_dir_entries`] (at least 1).
    pub fn max_dir_entries(&mut self, entries: u32) -> &mut Self {
        self.limits.max_dir_entries = entries.max(1);
        self
    }

    /// Sets [`Limits::max_cached_dentries`] (per preopen; 0 caches nothing:
    /// every walk goes to the host).
    pub fn max_cached_dentries(&mut self, dentries: usize) -> &mut Self {
        self.limits.max_cached_dentries = dentries;
        self
    }

    /// Sets [`Limits::max_open`] (at least 1).
    pub fn max_open(&mut self, resources: usize) -> &mut Self {
        self.limits.max_open = resources.max(1);
        self
    }

    /// Sets [`Limits::max_negative_entries`] (0 remembers none).
    pub fn max_negative_entries(&mut self, entries: usize) -> &mut Self {
        self.limits.max_negative_entries = entries;
        self
    }

    /// Makes the context. The builder is left empty, ready for another.
    ///
    /// The cache limits ([`Limits::max_cached_dentries`],
    /// [`Limits::max_negative_entries`]) and the FD budget apply to a
    /// filesystem of the context's own; a shared [`Filesystem`] keeps its own
    /// ([`Filesystem::with_limits`]).
    pub fn build(&mut self) -> DirectfsCtx {
        let Self {
            fs,
            preopens,
            limits,
        } = std::mem::take(self);
        let fs = fs.unwrap_or_else(|| Filesystem {
            private: true,
            ..Filesystem::new()
        });
        if fs.private {
            let mut tree = fs.lock();
            tree.set_cache_limits(limits.max_cached_dentries, limits.max_negative_entries);
            tree.set_fd_limit(limits.max_open);
        }
        DirectfsCtx {
            fs,
            preopens,
            limits,
            open_resources: 0,
            held: HashMap::default(),
            counts: Tally::default(),
            tables_differ: false,
            async_host: false,
            last_stat: None,
            last_dentry_stat: None,
            last_walk: None,
            hand_out: RefCell::new(None),
            interrupter: Interrupter::default(),
            streams: Arc::default(),
        }
    }
}

/// What directfs's host functions work on: the context and the resource table
/// (shared with wasmtime-wasi when both are linked).
pub struct DirectfsCtxView<'a> {
    /// The directfs state.
    pub ctx: &'a mut DirectfsCtx,
    /// Where the guest's `dentry` and `handle` resources live.
    pub table: &'a mut ResourceTable,
}

/// Implemented by a store's data to hand directfs its view, as wasmtime-wasi's
/// `WasiView`.
pub trait DirectfsView: Send {
    /// The directfs context and the resource table.
    fn directfs(&mut self) -> DirectfsCtxView<'_>;
}

/// The [`HasData`] marker of directfs's bindings, for calling the generated
/// `add_to_linker` functions directly.
pub struct Directfs;

impl HasData for Directfs {
    type Data<'a> = DirectfsCtxView<'a>;
}
