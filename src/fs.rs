//! The shared [`Filesystem`]: one dentry tree behind one lock, its
//! [`Mount`]s, the guards of its lock, its [`Limits`] and [`Stats`].
//! Contexts ([`crate::DirectfsCtx`]) are views of one filesystem.
//!
//! # Lock order
//! directfs takes one main lock: a filesystem's tree lock ([`Filesystem`],
//! "Locking"), a reader-writer lock held for one host call (or one step of
//! it) and released before the call returns to wasmtime. Nothing else is
//! locked while it is held but the notification queue (below), so the
//! order is short. A context's own
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
//! An open file's lock records (`crate::lock`, `HeldLocks`) are behind a
//! mutex of their own, a leaf: taken without the tree lock, held across one
//! non-blocking `fcntl`, nothing locked inside it. A waiting file lock
//! waits with no lock held (between tries).
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
//! in a [`crate::Blocking::Pool`] mount, and in an inline one while another thread
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
//! One other lock is taken with the tree lock held: the queue of the
//! kernel's change notifications (`crate::watch`, a mutex), after it,
//! briefly, to take the changes read; a drain takes that queue alone,
//! with no tree lock. So the order is: tree lock, then the queue.
//!
//! Other synchronization, none of it held with the tree lock: the
//! [`crate::Interrupter`] (an atomic flag and an eventfd), the syscall counters
//! of [`sys`] (atomics), a filesystem's count of threads waiting for the
//! write lock (an atomic, changed around the wait), and a context's moves
//! to the blocking pool (`crate::pool`: the context goes with the call,
//! nothing is shared).

mod counts;

use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};

use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard, ShardedLockWriteGuard};

use wasmtime::error::Context as _;

use crate::dentry::{Answer, Deferred, DentryId, Tree};
use crate::sys;
pub use crate::types::{MountOptions, Perms, PreopenOptions, Revalidation};
use crate::watch::Watcher;

use self::counts::{Counts, StripedCounter, since};
pub(crate) use self::counts::{HITS, MISSES, SYSCALLS, Tally, add_delta, add_since, thread_counts};

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
    /// The most `dentry` and `handle` resources a guest may hold at once
    /// (through WASI: descriptors, and the file and directory streams they
    /// hand out); past it, calls that would make one fail with
    /// `too-many-open` (WASI: `insufficient-memory`).
    /// Default 4096.
    pub max_open: usize,
    /// The most recent `no-entry` walk results remembered (exclusive
    /// preopens only). Default 1024.
    pub max_negative_entries: usize,
    /// The most advisory lock records the guest's handles may hold at once
    /// (one per range of one kind a handle holds, as the kernel counts
    /// them; see `handle.lock`); past it, a lock or unlock that would add
    /// one fails with `no-lock`. Default 1024.
    pub max_locks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_io_bytes: 4 << 20,
            max_dir_entries: 4096,
            max_cached_dentries: 1000,
            max_open: 4096,
            max_negative_entries: 1024,
            max_locks: 1024,
        }
    }
}

impl Limits {
    /// [`Limits::default`] where the process may open that many FDs; else
    /// its FD budget (the cache of one mount, what guests hold, the root)
    /// cut down to three quarters of `nofile`, the process's soft
    /// `RLIMIT_NOFILE` (the rest is left to wasmtime, the embedder, its
    /// sockets): a fifth for the cache, the rest for what guests hold, at
    /// least 16 each. So a call fails with directfs's own `too-many-open`
    /// (with room to go on once the guest lets go) before the process meets
    /// `EMFILE`.
    pub fn fitted_to(nofile: Option<u64>) -> Self {
        let default = Self::default();
        let Some(nofile) = nofile.and_then(|n| usize::try_from(n).ok()) else {
            return default;
        };
        let usable = nofile / 4 * 3;
        if default.max_open + default.max_cached_dentries < usable {
            return default;
        }
        let max_cached_dentries = (usable / 5).clamp(16, default.max_cached_dentries);
        Self {
            max_cached_dentries,
            max_open: usable.saturating_sub(max_cached_dentries + 1).max(16),
            ..default
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
    /// Advisory lock records the context's open files hold in the kernel
    /// now (what [`Limits::max_locks`] bounds; a context's own, 0 in
    /// [`Filesystem::stats`]).
    pub lock_records: usize,
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
/// use directfs::{DirectfsCtx, Filesystem, Perms, Revalidation};
/// # fn main() -> wasmtime::Result<()> {
/// let fs = Filesystem::new();
/// let data = fs.mount(std::env::temp_dir(), Revalidation::Exclusive)?;
/// // One context per store (request), each a view of the same tree.
/// let writer = DirectfsCtx::builder().mount(&data, "/data", Perms::ReadWrite)?.build();
/// let reader = DirectfsCtx::builder().mount(&data, "/data", Perms::ReadOnly)?.build();
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
    pub(crate) tree: Arc<ShardedLock<Tree>>,
    /// What contexts on this filesystem did, every context together:
    /// syscalls, lookup hits and misses ([`Tally`]).
    pub(crate) counts: Arc<StripedCounter>,
    /// The most host FDs held for guests (their dentries and open files) on
    /// top of the cache: part of the budget, see [`Filesystem::with_limits`].
    pub(crate) max_held: usize,
    /// How many threads are waiting to write-lock the tree now: an inline
    /// mount's cache misses are made unlocked while some are (see
    /// [`crate::Blocking::Inline`]). Readers are not counted (a count every stat
    /// adds to would be one cache line all cores share).
    pub(crate) writers_waiting: Arc<AtomicUsize>,
    /// Whether this is a context's own (made by
    /// [`crate::DirectfsCtxBuilder::preopen`]), whose limits that builder sets.
    pub(crate) private: bool,
    /// The kernel's change notifications for the coherent mounts (see
    /// [`crate::watch`]): drained before every lock of the tree.
    pub(crate) watcher: Arc<Watcher>,
}

impl Default for Filesystem {
    fn default() -> Self {
        Self::new()
    }
}

impl Filesystem {
    /// A filesystem with no mounts and the default limits, fitted to the
    /// process's FD limit ([`Limits::fitted_to`]: 1000 cached dentries per
    /// mount and 4096 held FDs where `ulimit -n` allows 6,800 or more; under
    /// `ulimit -n 1024`, 153 and 614).
    pub fn new() -> Self {
        let limits = Limits::fitted_to(sys::getrlimit_nofile());
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
            watcher: tree.watcher(),
            tree: Arc::new(ShardedLock::new(tree)),
            counts: Arc::default(),
            max_held: max_held_fds,
            private: false,
        }
    }

    /// Mounts the host directory `host_dir`: a new root of the tree, for
    /// contexts to preopen with [`crate::DirectfsCtxBuilder::mount`]. Its syscalls
    /// run inline ([`crate::Blocking::Inline`]); [`Self::mount_with`] chooses.
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
            perms: Perms::ReadWrite,
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
            lock_records: 0,
        }
    }

    /// The tree, write-locked (see "Locking" above). A panic while it was
    /// held left no half-done state the next call could trip on: every tree
    /// operation keeps the tree consistent at each step, so a poisoned lock
    /// is taken over.
    pub(crate) fn lock(&self) -> TreeGuard<'_> {
        let changed = self.watcher.drain();
        let lock = Self::note_locked();
        let mut tree = self.write();
        tree.next_generation();
        if changed {
            tree.apply_changes();
        }
        TreeGuard {
            tree,
            _counts: Counts::start(None, lock),
        }
    }

    /// The tree, write-locked, counting the syscalls made while it is held
    /// towards this filesystem and `ctx` (a context's count).
    ///
    /// Reads no notifications: a context reads them once per host call,
    /// before its first look at the tree (`DirectfsCtx::read_notifications`).
    pub(crate) fn write_counted<'a>(&'a self, ctx: &'a Tally) -> TreeGuard<'a> {
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
    /// [`crate::Blocking`], and [`crate::dentry`]'s `deferred`): `op`
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
    ///
    /// With `answer` (a lookup the call made under the read lock:
    /// [`crate::dentry::ReadLocked::Looked`]), the first run of `op` is
    /// given it, as a run after a lookup put off is given its answer.
    pub(crate) fn deferring<R>(
        &self,
        ctx: Option<&Tally>,
        mut hand_out: Option<&mut HandOut>,
        answer: Option<Answer>,
        mut op: impl FnMut(&mut Tree) -> R,
    ) -> R {
        let (mut answer, mut call, mut attempt) = match hand_out.as_mut() {
            Some(h) => (h.answer.take().map(|a| *a).or(answer), h.call, h.attempt),
            None => (answer, 0, 0),
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
            let stale = crate::error::stale_handles();
            tree.begin_attempt(answer.take(), attempt, call);
            let result = op(&mut tree);
            let Some((deferred, misses)) = tree.end_attempt() else {
                if crate::error::stale_handles() == stale || tree.is_fresh_call(call) {
                    return result;
                }
                // A host file handle the server no longer knows (`ESTALE`,
                // NFS): run the call once more, walking every name afresh,
                // as the kernel retries a walk with `LOOKUP_REVAL`. What
                // failed with `ESTALE` changed nothing.
                drop(result);
                call = tree.new_fresh_call();
                attempt = 0;
                continue;
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
    /// The embedder's own look (`None`) reads the kernel's notifications
    /// first; a context's does not (see [`Self::write_counted`]).
    pub(crate) fn read_counted<'a>(&'a self, ctx: Option<&'a Tally>) -> TreeReadGuard<'a> {
        if ctx.is_none() {
            self.take_notifications();
        }
        let lock = Self::note_locked();
        let tree = self.tree.read().unwrap_or_else(PoisonError::into_inner);
        TreeReadGuard {
            tree,
            _counts: Counts::start(ctx.map(|ctx| (&*self.counts, ctx)), lock),
        }
    }

    /// Drains the kernel's change notifications for the coherent mounts
    /// ([`Watcher::drain`]: one syscall that never waits, none without a
    /// coherent mount) and, where names changed, takes them into the tree
    /// under the write lock ([`Tree::apply_changes`]). A context does this
    /// once per host call, before its first look at the tree or at its
    /// memos (`DirectfsCtx::read_notifications`); the embedder's own calls
    /// ([`Self::lock`], [`Self::stats`]) each time. So a change finished
    /// before a call began is seen by what the call trusts.
    pub(crate) fn take_notifications(&self) {
        if self.watcher.drain() {
            let _lock = Self::note_locked();
            let mut tree = self.write();
            tree.next_generation();
            tree.apply_changes();
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

    pub(crate) fn same(&self, other: &Self) -> bool {
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

/// A call (of WASI 0.3, whose calls are async) that makes the lookups it
/// puts off itself, where it likes (on the blocking pool, for a
/// [`crate::Blocking::Pool`] mount), instead of [`Filesystem::deferring`] making
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
    pub(crate) delta: [u64; 3],
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

/// A host directory mounted in a [`Filesystem`]: what contexts preopen.
/// Cloning it is cheap; the mount lasts as long as its filesystem.
#[derive(Debug, Clone)]
pub struct Mount {
    pub(crate) fs: Filesystem,
    pub(crate) root: DentryId,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits_fit_the_process_fd_limit() {
        assert_eq!(Limits::fitted_to(None), Limits::default());
        assert_eq!(Limits::fitted_to(Some(1 << 20)), Limits::default());
        assert_eq!(Limits::fitted_to(Some(6_800)), Limits::default());
        let small = Limits::fitted_to(Some(1024));
        assert_eq!((small.max_cached_dentries, small.max_open), (153, 614));
        assert!(small.max_open + small.max_cached_dentries < 768);
        assert_eq!(small.max_io_bytes, Limits::default().max_io_bytes);
        let tiny = Limits::fitted_to(Some(20));
        assert_eq!((tiny.max_cached_dentries, tiny.max_open), (16, 16));
    }
}
