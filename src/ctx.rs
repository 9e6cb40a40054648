//! The per-store directfs context ([`DirectfsCtx`]): its view of one
//! [`Filesystem`] (the preopens and what this context may do in each, its
//! limits), what its guest holds, its counts and per-call memos; the
//! builder; and the view embedders give to [`crate::add_to_linker`].
//!
//! Locks: none of its own. A context is reached through its store's `&mut`;
//! its filesystem's tree lock is taken as [`crate::fs`] ("Lock order") says.

mod builder;
mod memo;

use std::cell::RefCell;
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use foldhash::HashMap;

use wasmtime::component::{HasData, Resource, ResourceTable};

use crate::dentry::{Answer, DentryId, ReadLocked, Tree};
use crate::error::{Error, ErrorCode, trap};
use crate::interrupt::Interrupter;
use crate::sys;
use crate::types::Stat;
pub use crate::types::{Blocking, MountOptions, Perms, PreopenOptions, Revalidation};

pub use self::builder::DirectfsCtxBuilder;
pub(crate) use self::memo::{LastDentryStat, LastIdentity, LastListed, LastStat, LastWalk};
pub use crate::fs::{Filesystem, Limits, Stats};
use crate::fs::{
    HITS, HandOut, LookupRun, MISSES, SYSCALLS, Tally, TreeGuard, TreeReadGuard, add_delta,
    add_since, thread_counts,
};

/// The old name of [`Perms`].
#[deprecated(since = "0.1.0", note = "renamed to `Perms`")]
pub type DirPerms = Perms;

/// The old name of [`Perms`], which collided with `wasmtime_wasi::FsPerms`
/// in every embedder's imports.
#[deprecated(
    since = "0.1.0",
    note = "renamed to `Perms` (`wasmtime_wasi::FsPerms` is another type)"
)]
pub type FsPerms = Perms;

/// One preopen of a context: a mount's root, the guest's name for it, and
/// what this context may do there.
#[derive(Debug, Clone)]
pub(crate) struct Preopen {
    /// The root the guest starts from: the mount's, or for a read-only
    /// preopen of a mount this context also preopens read-write, the
    /// mount's read-only twin (`Tree::read_only_twin`).
    pub(crate) root: DentryId,
    /// The mount's own root.
    pub(crate) mount: DentryId,
    pub(crate) name: String,
    pub(crate) perms: Perms,
}

/// How soon after the call before it a host call may be answered as of
/// that call's moment, as the second half of one libc `stat`
/// ([`DirectfsCtx::last_call_read_notifications`]). A later one reads the
/// kernel's notifications itself (a `read`, no wrong answer).
pub(crate) const SECOND_HALF_WITHIN: std::time::Duration = std::time::Duration::from_millis(1);

/// Nanoseconds since the first call of this function in the process (a
/// monotonic clock: `clock_gettime`, from the vDSO).
fn since_epoch() -> u64 {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let epoch = EPOCH.get_or_init(std::time::Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
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
    /// Whether the running host call has not read the kernel's change
    /// notifications yet (set as each call starts, by the linker's view of
    /// the store: [`DirectfsCtx::begin_call`]; cleared by
    /// [`DirectfsCtx::read_notifications`]). Atomic: the context may go to
    /// the blocking pool with the call.
    unread: AtomicBool,
    /// The host call that last read the kernel's change notifications
    /// itself ([`DirectfsCtx::read_notifications`]; `u64::MAX`: none).
    read_in: AtomicU64,
    /// When it read them ([`since_epoch`]).
    read_at: AtomicU64,
    /// How many host calls began ([`DirectfsCtx::begin_call`]).
    calls: u64,
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
    /// The identity the last `stat-at` found, for the `metadata-hash-at`
    /// of the next call (see [`LastIdentity`]).
    pub(crate) last_identity: Option<LastIdentity>,
    /// The last `metadata-hash-at` (its path and host call), for the
    /// `stat-at` of the same path that wasi-libc makes right after it, the
    /// second half of one libc `stat` (see `fs_stat_at`).
    pub(crate) last_hash_at: Option<LastIdentity>,
    /// The entry a directory stream handed out last (see [`LastListed`]).
    pub(crate) last_listed: Option<LastListed>,
    /// The last stat of a dentry of an exclusive mount (`directfs:fs`
    /// `dentry.stat`), while it holds.
    pub(crate) last_dentry_stat: Option<LastDentryStat>,
    /// The store's WASI preview 1 state (its fd table), made at its first
    /// `wasi_snapshot_preview1` call ([`crate::wasi::p1`]).
    pub(crate) p1: crate::wasi::p1::State,
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
    /// How many lock records this context's handles hold (bounded by
    /// [`Limits::max_locks`]). Shared with each handle's open file, which
    /// gives its records back when it closes ([`crate::lock`]).
    pub(crate) locks: Arc<AtomicUsize>,
}

/// One stream's share of [`DirectfsCtx::streams`], given back on drop.
#[derive(Debug)]
pub(crate) struct StreamSlot(Arc<AtomicUsize>);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
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
            lock_records: self.locks.load(Ordering::Relaxed),
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
            unread: AtomicBool::new(true),
            read_in: AtomicU64::new(u64::MAX),
            read_at: AtomicU64::new(0),
            calls: 0,
            tables_differ: self.tables_differ,
            async_host: self.async_host,
            last_stat: None,
            last_identity: None,
            last_hash_at: None,
            last_listed: None,
            p1: Default::default(),
            last_dentry_stat: None,
            last_walk: None,
            hand_out: RefCell::new(None),
            interrupter: self.interrupter.clone(),
            streams: self.streams.clone(),
            locks: self.locks.clone(),
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

    /// A host call starts: its first look at the tree (or at a memo) reads
    /// the kernel's change notifications first. Called by the views the
    /// linker functions get (`add_to_linker`'s and `wasi`'s).
    pub(crate) fn begin_call(&mut self) {
        *self.unread.get_mut() = true;
        self.calls = self.calls.wrapping_add(1);
    }

    /// The number of the running host call (see [`Self::begin_call`]).
    pub(crate) fn call_number(&self) -> u64 {
        self.calls
    }

    /// The tree, read-locked, without reading the kernel's notifications:
    /// only for the second of two host calls that are one libc call (the
    /// `metadata-hash-at` wasi-libc makes right after a `stat-at` of the
    /// same path, see `LastStat::call`), whose answer must be of the same
    /// moment as the first's, and where the first read the notifications
    /// ([`Self::last_call_read_notifications`]).
    pub(crate) fn tree_read_as_of_last_call(&self) -> TreeReadGuard<'_> {
        self.fs.read_counted(Some(&self.counts))
    }

    /// The tree, read-locked, without reading the kernel's notifications:
    /// only to read what no change on the host alters, a dentry's mount
    /// policy, root, file type and guest numbers, fixed when the dentry
    /// was made ([`Tree::blocking`], [`Self::check_writable_locked`],
    /// [`Tree::file_type`], [`Self::identity`]). So a call that trusts
    /// nothing cached (a read, write or truncate through a file's own FD,
    /// a descriptor's type or `metadata-hash`) makes no syscall to choose
    /// where it runs or to check its preopen's permissions.
    pub(crate) fn tree_read_fixed(&self) -> TreeReadGuard<'_> {
        self.fs.read_counted(Some(&self.counts))
    }

    /// Where calls on dentry `id` run ([`Tree::blocking`]; `Inline` for a
    /// freed one), read without reading notifications
    /// ([`Self::tree_read_fixed`]).
    pub(crate) fn blocking(&self, id: DentryId) -> Blocking {
        self.tree_read_fixed().blocking(id)
    }

    /// Reads the kernel's change notifications, once per host call
    /// ([`Filesystem::take_notifications`]): a change finished before the
    /// call began is then seen by everything the call trusts. One
    /// syscall that never waits where a mount is coherent (see
    /// [`crate::watch::Watcher::drain`]); nothing otherwise.
    pub(crate) fn read_notifications(&self) {
        if self.unread.swap(false, Ordering::Relaxed) {
            self.read_in.store(self.calls, Ordering::Relaxed);
            self.read_at.store(since_epoch(), Ordering::Relaxed);
            self.fs.take_notifications();
        }
    }

    /// Whether the host call before the running one read the kernel's
    /// change notifications itself, and at most [`SECOND_HALF_WITHIN`]
    /// ago: it looked at the tree, and was not itself answered as of the
    /// call before it ([`Self::answer_as_of_last_call`]).
    ///
    /// The time bound is for guests that are not wasi-libc: its two halves
    /// of one `stat` are back to back (microseconds apart), so a call made
    /// later — a guest that waited, say spinning on shared memory for
    /// another thread — is never answered as of a moment long gone.
    pub(crate) fn last_call_read_notifications(&self) -> bool {
        self.read_in.load(Ordering::Relaxed) == self.calls.wrapping_sub(1)
            && since_epoch().saturating_sub(self.read_at.load(Ordering::Relaxed))
                <= SECOND_HALF_WITHIN.as_nanos() as u64
    }

    /// The running host call is the second half of the one before (wasi-libc
    /// makes one `stat` of two host calls): it answers as of that call's
    /// moment, reading no notifications. A chain of such calls cannot
    /// form: the call after this one reads them again, since this one did
    /// not ([`Self::last_call_read_notifications`]).
    ///
    /// # Preconditions
    /// [`Self::last_call_read_notifications`], and this call is the second
    /// half of that one's libc call.
    pub(crate) fn answer_as_of_last_call(&self) {
        self.unread.store(false, Ordering::Relaxed);
    }

    /// The tree, locked; the syscalls made while it is held count towards
    /// this context.
    pub(crate) fn tree(&self) -> TreeGuard<'_> {
        self.read_notifications();
        self.fs.write_counted(&self.counts)
    }

    /// Runs `op` on the write-locked tree, with the lookups it misses made
    /// with the tree unlocked: [`Filesystem::deferring`], counted towards
    /// this context.
    ///
    /// # Preconditions
    /// As [`Filesystem::deferring`]'s.
    pub(crate) fn deferring<R>(&self, op: impl FnMut(&mut Tree) -> R) -> R {
        self.deferring_with(None, op)
    }

    /// [`Self::deferring`], `op`'s first run given `answer`: the lookup a
    /// call made under the read lock ([`ReadLocked::Looked`]), which it
    /// takes instead of asking the host again.
    ///
    /// # Preconditions
    /// As [`Filesystem::deferring`]'s.
    pub(crate) fn deferring_with<R>(
        &self,
        answer: Option<Answer>,
        op: impl FnMut(&mut Tree) -> R,
    ) -> R {
        let mut hand_out = self.hand_out.take();
        self.read_notifications();
        let result = self
            .fs
            .deferring(Some(&self.counts), hand_out.as_mut(), answer, op);
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
        self.read_notifications();
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
        self.read_notifications();
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
        // Taking the tree drains the kernel's notifications first (coherent
        // mounts); `changes`, read after, counts them. Read before the stat,
        // as in `stat`.
        self.read_notifications();
        let tree = self.fs.read_counted(Some(&self.counts));
        let changes = sys::changes();
        let walk = LastWalk::walk(&mut self.last_walk, &tree, start, path, follow_final)?;
        let id = walk.found;
        let stat = match &self.last_dentry_stat {
            Some(last) if last.id == id && last.changes == changes => {
                self.fs.watcher.memo_answered();
                Ok(last.stat)
            }
            _ => match tree.stat_known(id) {
                ReadLocked::Done(stat) => stat,
                ReadLocked::Unnumbered(_) | ReadLocked::Full | ReadLocked::Looked(_) => {
                    return None;
                }
            },
        };
        tree.count_walk(walk);
        if let Ok(stat) = stat
            && tree.stat_memo(id).holds(&stat)
        {
            self.last_dentry_stat = Some(LastDentryStat { id, changes, stat });
        }
        Some(stat)
    }

    /// Drops one guest reference on `id`: under the read lock where that
    /// changes nothing else ([`Tree::release_cached`]), else under the
    /// write lock.
    ///
    /// A release answers nothing from the cache: it reads no notifications.
    pub(crate) fn release(&self, id: DentryId) {
        let done = self.fs.read_counted(Some(&self.counts)).release_cached(id);
        if !done {
            self.fs.write_counted(&self.counts).release(id);
        }
    }

    /// The stat of dentry `id` ([`Tree::stat`]), under the read lock where
    /// that is enough; in an exclusive mount, the last one this context
    /// took of `id` while no file changed since (see [`LastDentryStat`]).
    pub(crate) fn stat(&mut self, id: DentryId) -> Result<Stat, ErrorCode> {
        // What the kernel told of counts as a change (coherent mounts).
        self.read_notifications();
        let changes = sys::changes();
        if let Some(last) = &self.last_dentry_stat
            && last.id == id
            && last.changes == changes
        {
            self.fs.watcher.memo_answered();
            return Ok(last.stat);
        }
        let (fast, memo) = {
            let tree = self.tree_read();
            (tree.stat_known(id), tree.stat_memo(id))
        };
        let stat = self.finish_stat(fast, |tree| tree.stat(id))?;
        self.last_dentry_stat = memo
            .holds(&stat)
            .then_some(LastDentryStat { id, changes, stat });
        Ok(stat)
    }

    /// The guest's `(dev, ino)` of dentry `id` ([`Tree::identity`]), under
    /// the read lock where that is enough. Reads no notifications: a
    /// dentry's file never changes, nor its numbers while the tree lives
    /// (wasi-libc asks them after every `fstat`).
    pub(crate) fn identity(&self, id: DentryId) -> Result<(u64, u64), ErrorCode> {
        let known = self.tree_read_fixed().identity_known(id);
        known.unwrap_or_else(|| self.fs.write_counted(&self.counts).identity(id))
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
            ReadLocked::Full | ReadLocked::Looked(_) => full(&mut self.tree()),
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

    /// The context's allowance of lock records ([`Limits::max_locks`]).
    pub(crate) fn lock_budget(&self) -> crate::lock::LockBudget<'_> {
        crate::lock::LockBudget {
            held: &self.locks,
            max: self.limits.max_locks,
        }
    }

    /// Fails with `read-only` unless this context may change dentry `id`:
    /// its mount and this context's preopen of it are both read-write.
    pub(crate) fn check_writable_locked(&self, tree: &Tree, id: DentryId) -> Result<(), ErrorCode> {
        tree.check_writable(id)?;
        let root = tree.root_of(id)?;
        match self.preopens.iter().find(|p| p.root == root) {
            Some(Preopen {
                perms: Perms::ReadWrite,
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

/// The resource accounting every frontend shares: what the guest holds
/// counts towards [`Limits::max_open`], and each resource that owns a dentry
/// reference releases it when deleted.
impl DirectfsCtxView<'_> {
    /// Fails with `too-many-open` unless the guest may hold `n` more
    /// resources ([`crate::Limits::max_open`]). Checked before the syscalls of
    /// an operation, so none takes effect on the host only to fail here.
    pub(crate) fn room_for(&self, n: usize) -> Result<(), Error> {
        match self.ctx.resources() + n <= self.ctx.limits.max_open {
            true => Ok(()),
            false => Err(ErrorCode::TooManyOpen.into()),
        }
    }

    /// Gives the guest `resource`, which owns one (already taken) reference
    /// on dentry `id`, and counts it towards [`crate::Limits::max_open`]. If
    /// the table is full, the reference is released and the guest traps.
    pub(crate) fn push_holding<R: Send + 'static>(
        &mut self,
        id: DentryId,
        resource: R,
    ) -> Result<Resource<R>, Error> {
        let pushed = self.table.push(resource).map_err(|err| {
            self.ctx.tree().release(id);
            Error::trap(err)
        })?;
        self.ctx.note_held(id);
        self.ctx.open_resources += 1;
        Ok(pushed)
    }

    /// Deletes a resource made by [`Self::push_holding`] and releases the
    /// reference it owned on the dentry `dentry_of` names.
    pub(crate) fn drop_holding<R: 'static>(
        &mut self,
        resource: Resource<R>,
        dentry_of: impl FnOnce(&R) -> DentryId,
    ) -> wasmtime::Result<()> {
        let resource = self.table.delete(resource)?;
        let id = dentry_of(&resource);
        self.ctx.open_resources = self.ctx.open_resources.saturating_sub(1);
        self.ctx.note_released(id);
        self.ctx.release(id);
        // After the dentry: a file's private dentry shares the handle's FD
        // (`Tree::create_private`), which then closes with the handle, as
        // its charge is refunded: never an FD open past the budget.
        drop(resource);
        Ok(())
    }

    /// The preopens as new guest resources, each made by `make` from the
    /// root dentry (on which it owns a new reference) and whether the
    /// preopen is writable, with its guest name.
    pub(crate) fn preopen_resources<R: Send + 'static>(
        &mut self,
        make: impl Fn(DentryId, bool) -> R,
    ) -> wasmtime::Result<Vec<(Resource<R>, String)>> {
        self.room_for(self.ctx.preopens.len()).map_err(trap)?;
        let mut dirs = Vec::with_capacity(self.ctx.preopens.len());
        for preopen in self.ctx.preopens.clone() {
            let writable = {
                let mut tree = self.ctx.tree();
                tree.acquire(preopen.root)
                    .map_err(|code| trap(code.into()))?;
                self.ctx.check_writable_locked(&tree, preopen.root).is_ok()
            };
            let resource = make(preopen.root, writable);
            dirs.push((
                self.push_holding(preopen.root, resource).map_err(trap)?,
                preopen.name,
            ));
        }
        Ok(dirs)
    }
}
