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
//! one stable guest inode number (a keyed permutation of the host's, kept
//! nowhere), and the handles open on it.
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
mod coherent;
mod create;
mod deferred;
pub(crate) use self::deferred::{Answer, Deferred};
#[cfg(test)]
mod differential;
mod inode;
mod lookup;
mod open;
mod read_dir;
mod read_locked;
mod rename;
mod setstat;

pub(crate) use self::setstat::requested;
mod tree;
pub(crate) use self::open::writes;
pub(crate) use self::read_dir::Take;
use self::tree::Children;
mod walk;
pub(crate) use self::walk::{
    Last, MAX_SYMLINK_FOLLOWS, TwoPaths, ends_in_name, parent_of_name, resolve_slashed,
    second_walk_first, slashed_made, walk_beneath, walk_to_last, with_parent, with_walked,
};
mod xattr;

use std::cell::Cell;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicUsize, Ordering};

use foldhash::HashMap;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{FileStat, Mode};

use self::cache::{Cache, Negatives};
use self::inode::{InoKey, Inodes};
use crate::budget::FdBudget;
use crate::error::ErrorCode;
use crate::sys;
use crate::sys::WatchDescriptor;
use crate::types::FileType;
use crate::types::{PreopenOptions, Revalidation};
use crate::watch::Watcher;

/// A guest's reference to a dentry: the Rust type of the WIT `dentry`
/// resource. Creating one takes a reference on the dentry; the host releases
/// it when the guest drops the resource.
#[derive(Debug)]
pub struct DentryRef {
    pub(crate) id: DentryId,
}

/// The bit of [`Dentry::checked_in`] saying that call made the dentry.
const MADE: u32 = 1 << 31;

/// The bit of a call number (see [`deferred`]) saying the call walks
/// afresh: it trusts no live child it did not make or check itself, and no
/// remembered `no-entry` (a call run again after a stale host file handle,
/// `ESTALE`: [`Tree::new_fresh_call`]).
const FRESH: u32 = 1 << 30;

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
    /// Not answerable under the read lock, though its lookup was made
    /// there (a `no-entry`, which only the write lock may remember): take
    /// the full call under the write lock with this answer to it
    /// ([`crate::ctx::DirectfsCtx::deferring_with`]), so that the host is
    /// not asked twice. The answer is dropped, and the host asked again,
    /// if a name in its directory changed in between (see `deferred`).
    Looked(Box<Answer>),
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
    /// Whether every directory on the way (`dir` included) is trusted
    /// (an exclusive mount's, or a watched one of a coherent mount): the
    /// path leads there while the tree's generation stays, and what is
    /// remembered of it holds (see `crate::ctx::LastStat`).
    pub(crate) trusted: bool,
}

/// Where a walk leads through live dentries ([`Tree::cached_walk`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CachedWalk {
    /// The dentry the walk reaches.
    pub(crate) found: DentryId,
    /// The lookups made on the way.
    hits: u64,
    /// Whether every directory on the way is trusted ([`trusts`]): the walk
    /// leads there again while no write lock is taken. An untrusted one was
    /// revalidated name by name, and holds for its call alone.
    pub(crate) trusted: bool,
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
    /// It has no name in the tree: its host file was unlinked (or replaced
    /// by a rename) through directfs, or it is the private dentry of a file
    /// a WASI descriptor made ([`Tree::create_private`]), which no lookup
    /// finds.
    Unlinked,
}

/// How a dentry's FD was opened by [`try_open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FdMode {
    /// `O_RDONLY | O_NONBLOCK`: usable for `fstat`, `*at`, reading, `f*xattr`.
    Read,
    /// `O_PATH`: usable for `fstat`, `*at` and `AT_EMPTY_PATH` calls only.
    Path,
    /// The FD of the WASI handle the dentry was made for
    /// ([`Tree::create_private`]), opened with the guest's flags (perhaps
    /// write-only): used as [`FdMode::Path`] is. Shared with the handle and
    /// charged to the budget by it, not by the dentry.
    Lent,
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
    /// directfs ([`Tree::changing_names`]), at every change the kernel
    /// told of ([`Tree::check_name`], [`Tree::check_dir`]) and as its
    /// watch changes: a lookup made in it with the tree unlocked is used
    /// only if this is unchanged ([`deferred`]), as is an entry a listing
    /// of it showed ([`Tree::listing_mark`]).
    names_gen: u32,
    /// The call (see [`deferred`]) that last found this dentry current: a
    /// shared mount's revalidation is not repeated in a later attempt of
    /// that call. 0: none. Or'ed with [`MADE`] if that call made it: a
    /// later attempt of the call walking through it counts no lookup hit,
    /// since the call counted its miss. (Call numbers wrap after 2³⁰ calls:
    /// a dentry checked exactly that many calls ago and never since would
    /// skip one revalidation.)
    checked_in: u32,
    /// Whether the kernel tells the tree of changes in this directory (a
    /// coherent mount's; see [`crate::watch`]). Changed under the write
    /// lock.
    watch: Watch,
    /// How many of this directory's cached names were revalidated while it
    /// is [`Watch::Churned`], in the window [`rewatch_due`] judges (up to
    /// [`COUNTED`]). Counted atomically under the read lock; cleared with
    /// `changed`, under the write lock. (Two 16-bit counters: they fit
    /// where the slot had room.)
    revalidated: AtomicU16,
    /// How many changes of names were made in this directory through
    /// directfs while it is [`Watch::Churned`], in the same window (below
    /// half a window: [`count_change`]). Changed under the write lock
    /// ([`Tree::changing_names`]).
    changed: u16,
    /// Whether `watch` is known to tell of names removed and moved (see
    /// [`Tree::watch_names`]): the tree's fast path; the
    /// [`crate::watch::Watcher`] knows for every dentry of the directory.
    /// Changed under the write lock, cleared with every new `watch`.
    names_told: bool,
}

/// Whether a directory dentry is watched for changes (see
/// [`crate::watch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watch {
    /// Not a directory of a [`Revalidation::Coherent`] mount: its mount's
    /// rule applies.
    None,
    /// Watched by the inotify watch `wd`: its children and remembered
    /// `no-entry`s are trusted, as in an exclusive mount.
    On(WatchDescriptor),
    /// A coherent mount's directory made by the tree (`mkdir` through
    /// `directfs:fs`) whose watch is put off until something is looked up,
    /// made, removed or moved in it ([`Tree::watch_later`]): until then
    /// nothing is cached in it, and it is trusted in nothing (its own stat
    /// is not remembered). A directory made and removed without being
    /// looked into never costs an `inotify_add_watch` and an
    /// `inotify_rm_watch`.
    Later,
    /// A coherent mount's directory whose watch was taken off because what
    /// it told of was nearly all the tree's own changes of names
    /// ([`crate::watch::CHURN_AFTER`]): revalidated as [`Watch::Off`], its
    /// revalidations counted (`revalidated`) until they show it is looked
    /// into more than it is changed ([`rewatch_due`]); then it is watched
    /// again ([`Tree::watch_later`]).
    Churned,
    /// A coherent mount's directory that is not watched: revalidated as in
    /// a shared mount. `remote`: on a filesystem whose changes made
    /// elsewhere the kernel does not hear of (so are its subdirectories on
    /// the same filesystem); else inotify refused.
    Off { remote: bool },
}

/// Whether the cached children and `no-entry`s of directory `d` are used
/// without asking the host: in an exclusive mount, and in a coherent one
/// where the directory is watched.
fn trusts(d: &Dentry) -> bool {
    match d.policy.revalidation {
        Revalidation::Exclusive => true,
        Revalidation::Shared => false,
        Revalidation::Coherent => matches!(d.watch, Watch::On(_)),
    }
}

/// Counts a revalidation of a name cached in directory `d` (an `fstatat`
/// made because it is not trusted), where it is [`Watch::Churned`].
fn count_revalidation(d: &Dentry) {
    // Racing threads may each pass the check: [`COUNTED`] leaves room.
    if d.watch == Watch::Churned && d.revalidated.load(Ordering::Relaxed) < COUNTED {
        d.revalidated.fetch_add(1, Ordering::Relaxed);
    }
}

/// How far `revalidated` counts: past any window ([`rewatch_window`]),
/// short of wrapping.
const COUNTED: u16 = 64_000;

/// Counts a change of names in directory `d` through directfs, where it
/// is [`Watch::Churned`]. Half a window of changes ([`rewatch_window`])
/// before a whole window of revalidations ends the window: the directory
/// is not due ([`rewatch_due`]: the guest changed names there at least half
/// as often as it looked them up), and both counts start again. So a
/// window's changes never outweigh its revalidations for good: once the
/// guest only looks, the directory is due within a window.
fn count_change(d: &mut Dentry) {
    if d.watch != Watch::Churned {
        return;
    }
    d.changed = d.changed.saturating_add(1);
    if usize::from(d.changed) >= rewatch_window(d) / 2 {
        *d.revalidated.get_mut() = 0;
        d.changed = 0;
    }
}

/// How many revalidations [`rewatch_due`] judges a [`Watch::Churned`]
/// directory `d` by: as many as it has cached names, four times over (a
/// new watch checks each once: [`Tree::check_dir`]), and
/// [`crate::watch::CHURN_AFTER`] more; at most 60,000.
fn rewatch_window(d: &Dentry) -> usize {
    (crate::watch::CHURN_AFTER as usize + 4 * d.children.len()).min(60_000)
}

/// Whether [`Watch::Churned`] directory `d` is better watched again: a
/// window's worth of its cached names were revalidated ([`rewatch_window`]),
/// at least twice as many as the changes of names made there meanwhile (a
/// revalidation costs an `fstatat`, about half what a watched change costs
/// in the kernel's events of it). The read-locked paths leave a lookup in
/// it to the write-locked walk then, which watches it again
/// ([`Tree::watch_later`]).
fn rewatch_due(d: &Dentry) -> bool {
    let seen = d.revalidated.load(Ordering::Relaxed) as usize;
    d.watch == Watch::Churned && seen >= rewatch_window(d) && seen >= 2 * usize::from(d.changed)
}

/// Whether a stat may be remembered (by a context's memos) and answered
/// again while no change is counted ([`sys::changes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatMemo {
    /// Yes: an exclusive mount (no one else changes it).
    Always,
    /// Where the file has one name and is not a directory: the kernel
    /// tells of a change to it through the watch on the directory holding
    /// its name and through its own watch (a link made or removed
    /// elsewhere); a change through another hard link, in a directory not
    /// watched, it would not tell the directory's; nor is a directory's
    /// own watch told of a name made or removed in a directory named in
    /// it (which changes that one's link count, size and times).
    SingleLink,
    /// Yes: the stat of a watched directory itself, whose own watch tells
    /// of its attributes and of every name made, removed and moved in it.
    Itself,
    /// No: the next stat asks the host.
    Never,
}

impl StatMemo {
    /// Whether `stat` may be remembered.
    pub(crate) fn holds(self, stat: &crate::types::Stat) -> bool {
        match self {
            Self::Always => true,
            Self::SingleLink => stat.nlink <= 1 && stat.file_type != FileType::Directory,
            Self::Itself => true,
            Self::Never => false,
        }
    }
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
    /// The kernel's change notifications for coherent mounts (shared with
    /// the [`crate::Filesystem`], which drains them before each lock).
    watcher: Arc<Watcher>,
    /// The dentries of each watched directory (more than one where
    /// preopens overlap: the kernel gives one watch per host directory).
    watches: HashMap<WatchDescriptor, Vec<DentryId>>,
    /// Each mount's read-only twin, by the mount's root
    /// ([`Tree::read_only_twin`]).
    twins: HashMap<DentryId, DentryId>,
    /// Each mount's root directory and its ancestors' host identities, by
    /// root (see [`Tree::keep_overlaps_coherent`]).
    lineages: HashMap<DentryId, Vec<InoKey>>,
    /// The last few names a WASI create found already there, in their
    /// directories ([`Tree::found_existing`]), newest last: a hint of which
    /// open to try first, never trusted (an open by name that misses
    /// creates).
    existing: std::collections::VecDeque<(DentryId, Box<str>)>,
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

/// gVisor's `tryOpen`: `openat(dirfd, name, O_RDONLY | O_NONBLOCK | extra)`,
/// then, unless the file does not exist, `openat(dirfd, name, O_PATH | extra)`
/// (both with `O_NOFOLLOW | O_CLOEXEC`, see [`sys::openat`]).
///
/// # Preconditions
/// `name` is a [`crate::name::Name`] or `"."`.
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

/// [`try_open`] of a child of a directory on a filesystem the kernel does
/// not hear every change of (NFS, FUSE: [`Watch::Off`] `{ remote: true }`),
/// and its `fstat`: `openat(dirfd, name, O_PATH)` first, which costs such
/// a filesystem a lookup alone, where an `O_RDONLY` open of a file costs a
/// FUSE client an `OPEN` and a `RELEASE` sent to its server (a round trip
/// each, per file walked). A directory is then opened for reading from
/// that FD (`openat(fd, ".", O_RDONLY | O_NONBLOCK | O_DIRECTORY)`: the
/// same directory, no name resolved again), as its listing needs; anything
/// else keeps its `O_PATH` FD ([`FdMode::Path`]: opened by name for I/O as
/// every file is, and for its extended attributes).
fn try_open_path_first(dirfd: BorrowedFd<'_>, name: &str) -> deferred::Walked {
    let fd = sys::openat(dirfd, name, OFlag::O_PATH, Mode::empty())?;
    let st = sys::fstat(fd.as_fd())?;
    if sys::file_type_of_mode(st.st_mode) == FileType::Directory
        && let Ok(dir) = sys::openat(
            fd.as_fd(),
            ".",
            OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_DIRECTORY,
            Mode::empty(),
        )
    {
        return Ok(((dir, FdMode::Read), st));
    }
    Ok(((fd, FdMode::Path), st))
}

#[cfg(test)]
pub(crate) mod tests;
