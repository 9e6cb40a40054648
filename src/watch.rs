//! Kernel change notifications for [`Revalidation::Coherent`] mounts: what
//! lets the cache be trusted while anyone else changes the directory.
//!
//! Each directory dentry of a coherent mount on a local filesystem is
//! watched with inotify (one watch per host directory, whatever number of
//! dentries — overlapping preopens — it has). The kernel queues an event
//! *before* the changing syscall returns: the directory itself removed or
//! moved, a name removed or moved in it (once a name is to be cached there:
//! [`Watcher::watch_names`]; made, too, once a `no-entry` is to be
//! remembered there: [`Watcher::watch_creates`]), or a file in it written,
//! truncated or given
//! new attributes (while a stat there may be remembered: [`Watcher::widen`]),
//! by any process, any thread, any stream (stdio), any other preopen or
//! filesystem. Every call that would trust the cache first
//! drains the queue ([`Watcher::drain`]: first a look at whether anything
//! changed — see "The look" — and a `read` only where it finds events
//! queued or the tree's own are expected; done by [`crate::Filesystem`] as
//! it takes the tree lock); so a change finished before the call began is
//! seen by it:
//!
//! - a name event makes the tree check that name's cached child (one
//!   `fstatat`: dropped if the host file there is another now) and forget a
//!   remembered `no-entry` for it ([`crate::dentry`]'s `apply_changes`,
//!   under the write lock, which also starts a new tree generation: every
//!   memo of a walk ends);
//! - any event counts as a change for the stat memos
//!   ([`sys::note_notified_change`]); a directory's watch tells of its
//!   files' data and attributes only while a stat there may be remembered
//!   ([`Watcher::widen`]): the kernel's event on every write into a
//!   directory whose stats nobody remembers would cost that write a fifth
//!   to a half more, for nothing;
//! - a queue overflow (or a read error) makes every watched directory's
//!   children be checked, and its `no-entry`s forgotten; a watch the kernel
//!   dropped (`IN_IGNORED`) leaves its directories unwatched;
//! - a change of the process's mount table, which no inotify event tells
//!   of (a mount attached on a cached directory makes its name the mounted
//!   directory; one detached, the one under it again), is taken as lost
//!   events: the drain asks for it too, through the same epoll instance
//!   (`/proc/self/mountinfo` is ready with `EPOLLPRI` once the table
//!   changed; the kernel makes it so before `mount` returns).
//!
//! The tree's own changes of names (creates, removes, renames made through
//! it, which it took in as it made them) queue events too: each is
//! expected ([`Watcher::expect`]) and skipped by the drain that reads it,
//! instead of costing an `fstatat`, a new tree generation and the stat
//! memos. Only events the kernel surely queues are expected (a rename onto
//! another hard link of the same file queues none: a rename is expected
//! only where it surely moved a file), only where no drain read the queue
//! while the change was made, and a drain forgets every expectation it did
//! not meet (taking it as a change of that name): so an expectation never
//! stands for someone else's later event.
//!
//! A directory that is not watched — on a filesystem whose changes made
//! elsewhere the kernel is not told of ([`notifies_every_change`]: NFS,
//! CIFS, 9p, every FUSE filesystem, overlayfs, …), or one inotify refused
//! (`max_user_watches`, no read permission, no `/proc`) — is revalidated as
//! [`Revalidation::Shared`] does: never a stale answer, at `shared`'s cost.
//!
//! # The look
//! Most drains find nothing changed; what they cost is the look. The
//! kernel is asked in one of two ways ([`Look`]):
//!
//! - **A ring** ([`sys::Ring`]): an io_uring with multishot polls of the
//!   inotify instance and of the mount table, armed by the thread of the
//!   first drain. The kernel sets a word of the ring's shared memory as it
//!   wakes either poll, in the changing syscall, and clears it only while
//!   that thread runs its task work, which first posts the completion
//!   (read by the next drain). So on that thread a drain that finds the
//!   word clear and no completion queued, after a drain that left the
//!   kernel's queue read dry ([`Queue::settled`]), knows nothing changed
//!   since: no syscall at all, as `exclusive` makes none. On any other
//!   thread, and wherever the ring is not quiet, the drain asks as below.
//!   A poll that ended (its thread exited, completions left untaken past
//!   the ring's size) makes the next settled drain make a new ring.
//! - **`epoll_wait`** with a timeout of 0, of an epoll instance holding the
//!   inotify FD and `/proc/self/mountinfo` (one syscall): where io_uring is
//!   missing or refused (`kernel.io_uring_disabled`, a seccomp filter,
//!   Linux before 5.19), or kept out (`DIRECTFS_IO_URING=0` in the
//!   environment), and on threads that did not arm the ring.
//!
//! What it costs: one inotify instance, one epoll instance and
//! `/proc/self/mountinfo` open, and the ring with its own open of
//! `/proc/self/mountinfo` (five host FDs, not in the budget, and the ring's
//! few pages) per [`crate::Filesystem`] with a coherent mount; one watch (about 1 KiB of
//! kernel memory, one of the user's `max_user_watches`) per cached or held
//! directory; one `inotify_add_watch` per directory dentry made (one made
//! by the tree's own `mkdir`: when first looked into, so a directory made
//! and removed costs none), one per widening and narrowing, and one
//! `inotify_rm_watch` per one freed; per call that takes the tree lock,
//! the look (none on the ring's thread where nothing changed, else one
//! `epoll_wait`), and a `read` where events are queued (not a read or
//! write through a file's own FD: see
//! [`crate::ctx::DirectfsCtx::tree_read_fixed`]).
//!
//! # Locking
//! `queue` is a mutex of its own, held while the inotify FD is read, while
//! a watch is widened or narrowed (so a watch's mask in the kernel and
//! [`Queue::wide`] change together), and while the tree (under its write
//! lock) takes the changes: tree lock, then `queue`, never the other way
//! (a drain holds no tree lock).

use std::collections::{HashMap, HashSet};
use std::mem::MaybeUninit;
use std::ops::Range;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use nix::errno::Errno;
use nix::sys::statfs::Statfs;

use crate::sys::{self, ReadFlags, WatchDescriptor, WatchFlags};

mod look;
#[cfg(doc)]
use crate::types::Revalidation;
use look::Look;
#[cfg(test)]
use look::MOVE_AFTER;

/// How many bytes a drain reads at most at once.
const READ_BUFFER: usize = 4096;

/// The largest event: the header, and a name of `NAME_MAX` bytes with its
/// NUL, padded (as the kernel pads every name) to a multiple of the
/// header's size.
const LARGEST_EVENT: usize = sys::INOTIFY_EVENT_HEADER + 256;

/// The events a directory is always watched for: itself removed or moved
/// (and, added with `IN_MASK_ADD`, never taking [`NAMES`], [`CREATES`] or
/// [`CHILD`] away from a watch another dentry of the directory widened).
/// Not names removed or moved: see [`NAMES`]; not names made: see
/// [`CREATES`]. Not `IN_ACCESS`:
/// every read of a file in a watched directory would queue one (the
/// kernel's cost on each read, measured at +50% on 4 KiB reads), to tell
/// of an access time that `relatime` moves at most once a day or once
/// after a change; a remembered stat may show the
/// access time before another process's read.
const NARROW: WatchFlags = WatchFlags::DELETE_SELF
    .union(WatchFlags::MOVE_SELF)
    .union(WatchFlags::ONLYDIR);

/// Names removed and moved in a directory (`IN_DELETE`, `IN_MOVED_FROM`,
/// `IN_MOVED_TO`), which only what the tree caches *in* the directory rests
/// on: a child dentry (looked up, made or moved there), a remembered
/// `no-entry` (with [`CREATES`]), a remembered stat of a name there (with
/// [`CHILD`]). So a directory's watch tells of them from before the first
/// of those is cached there on ([`Watcher::watch_names`]: before the
/// lookup's syscall), for the watch's life; until then the tree's own
/// removes and renames there — a guest making, writing and removing files
/// it never looks up again, through WASI, which caches no name for them —
/// queue no event (each one queued, woken on and read costs about as much
/// as the `unlinkat` itself).
const NAMES: WatchFlags = WatchFlags::DELETE
    .union(WatchFlags::MOVED_FROM)
    .union(WatchFlags::MOVED_TO);

/// Names made in a directory (`IN_CREATE`: `O_CREAT`, `mkdirat`,
/// `mknodat`, `symlinkat`, `linkat`), which only a remembered `no-entry`
/// rests on (widened with [`NAMES`]: a name moved there ends one too): a name that exists, cached or not, is made again only after an
/// `IN_DELETE` or `IN_MOVED_FROM` of it, and replaced only with an
/// `IN_MOVED_TO`. So a directory's watch tells of them from the first
/// `no-entry` to be remembered there on ([`Watcher::watch_creates`]), for
/// the watch's life; until then the tree's own creates there queue no event
/// (each one made, queued, woken on and read costs the kernel about as much
/// as the create's own `openat`).
const CREATES: WatchFlags = WatchFlags::CREATE;

/// The events a directory is watched for only while a stat of it or of a
/// file named in it may be remembered ([`Watcher::widen`]): a file in it
/// written or truncated, it or a file in it given new attributes. Each
/// costs the kernel an event made and queued on every `write` into the
/// directory's files, by anyone (measured at +10% on 4 KiB writes on a
/// Xeon, +60% on an AMD EPYC VM): a directory whose files are written
/// while no stat there is remembered is spared that.
const CHILD: WatchFlags = WatchFlags::MODIFY.union(WatchFlags::ATTRIB);

/// [`CHILD`] as an event's mask tells of it.
const CHILD_EVENTS: ReadFlags = ReadFlags::MODIFY.union(ReadFlags::ATTRIB);

/// The events that change which file a name in the directory is.
const NAME_EVENTS: ReadFlags = ReadFlags::CREATE
    .union(ReadFlags::DELETE)
    .union(ReadFlags::MOVED_FROM)
    .union(ReadFlags::MOVED_TO);

/// A change the tree must take in under its write lock.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// `name` in the directories watched by `wd` may be another file now
    /// (or none, or one where there was none).
    Name {
        /// The watch.
        wd: WatchDescriptor,
        /// The name, as the guest spells it (names that are not UTF-8 are
        /// never in the tree and are not queued).
        name: Box<str>,
    },
    /// The kernel dropped the watch `wd` (its directory was removed, or
    /// the watch was): its directories are no longer watched.
    Gone(WatchDescriptor),
    /// Events were lost (the kernel's queue overflowed, or a read failed),
    /// or the mount table changed: anything may have changed in any
    /// watched directory.
    Lost,
}

/// The kind of name event a change through the tree itself queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnEvent {
    /// `IN_CREATE`: a name made (`O_CREAT | O_EXCL`, `mkdirat`, `mknodat`,
    /// `symlinkat`, `linkat`).
    Create,
    /// `IN_DELETE`: a name removed (`unlinkat`).
    Delete,
    /// `IN_MOVED_FROM`: a name moved away (`renameat2`).
    MovedFrom,
    /// `IN_MOVED_TO`: a name moved here (`renameat2`).
    MovedTo,
}

impl OwnEvent {
    /// The event's flag in an `inotify_event`'s mask.
    fn flag(self) -> ReadFlags {
        match self {
            Self::Create => ReadFlags::CREATE,
            Self::Delete => ReadFlags::DELETE,
            Self::MovedFrom => ReadFlags::MOVED_FROM,
            Self::MovedTo => ReadFlags::MOVED_TO,
        }
    }
}

/// An event the tree's own change queued, which the tree took in as it
/// made the change: the drain that reads it skips it (no `fstatat` of the
/// name, no new tree generation, no end of the stat memos).
#[derive(Debug)]
struct Own {
    wd: WatchDescriptor,
    event: OwnEvent,
    /// The name's bytes in [`Queue::names`].
    name: Range<usize>,
}

/// What [`Watcher::queue`] protects. Its buffers are kept from drain to
/// drain: a call that reads the kernel's queue or expects its own events
/// allocates nothing once they have grown.
#[derive(Debug, Default)]
struct Queue {
    /// The changes read and not yet taken by the tree.
    changes: Vec<Change>,
    /// The events of the tree's own changes, not read yet, in the order
    /// they were made (see [`Watcher::expect`]).
    own: Vec<Own>,
    /// The names of `own`'s events, one after another; emptied with it.
    names: String,
    /// What the inotify FD is read into.
    buf: ReadBuf,
    /// The watches widened to [`CHILD`] ([`Watcher::widen`]). A watch is
    /// widened in the kernel whenever it is here; one that is not here may
    /// be too (its narrowing failed, or is under way under this lock).
    wide: HashMap<WatchDescriptor, Wide>,
    /// What each watch tells of beyond [`NARROW`], for its life.
    told: Told,
    /// How a drain that expects nothing first asks whether anything
    /// changed.
    look: Look,
    /// Whether the last drain left the kernel's queue read dry and looked
    /// at the mount table after any change it took: a [`Look::Ring`] quiet
    /// since then means nothing changed since.
    settled: bool,
    /// How many drains in a row ran on threads other than the ring's
    /// ([`MOVE_AFTER`]).
    strangers: u8,
}

/// The watches told of names removed and moved, and of names made: each in
/// the kernel from before the watch is put here until the watch goes.
#[derive(Debug, Default)]
struct Told {
    /// Told of [`NAMES`] ([`Watcher::watch_names`], and with each of the
    /// others).
    names: HashSet<WatchDescriptor>,
    /// Told of [`CREATES`] and [`NAMES`] ([`Watcher::watch_creates`]).
    creates: HashSet<WatchDescriptor>,
}

impl Told {
    /// The mask watch `wd` keeps when it is narrowed (its [`CHILD`] taken
    /// away).
    fn narrowed(&self, wd: WatchDescriptor) -> WatchFlags {
        let mut mask = NARROW;
        if self.names.contains(&wd) {
            mask |= NAMES;
        }
        if self.creates.contains(&wd) {
            mask |= CREATES;
        }
        mask
    }

    /// Whether watch `wd` queues an event for a change `event` of a name.
    fn queues(&self, wd: WatchDescriptor, event: OwnEvent) -> bool {
        match event {
            OwnEvent::Create => self.creates.contains(&wd),
            OwnEvent::Delete | OwnEvent::MovedFrom | OwnEvent::MovedTo => self.names.contains(&wd),
        }
    }

    /// Watch `wd` is gone.
    fn forget(&mut self, wd: WatchDescriptor) {
        self.names.remove(&wd);
        self.creates.remove(&wd);
    }
}

/// A watch widened to [`CHILD`] ([`Queue::wide`]).
#[derive(Debug)]
struct Wide {
    /// The FD of one of its directory's dentries, to narrow it by (inotify
    /// changes a watch's mask only through a file's name).
    fd: Arc<OwnedFd>,
    /// How many drains read a [`CHILD`] event of it since a stat there was
    /// last judged fit to remember ([`Watcher::widen`] sets it to 0).
    /// At [`NARROW_AFTER`] it is narrowed.
    strikes: u8,
}

/// How many drains must read a data or attribute event of a widened
/// watch, with no stat there judged fit to remember between them,
/// before it is narrowed: not the first, so that a guest that writes a file
/// and stats it, again and again, keeps its watch widened (narrowing and
/// widening it on each turn would cost two syscalls a turn), while one that
/// writes files it no longer stats has its watch narrowed by the second
/// drain that reads such an event.
const NARROW_AFTER: u8 = 2;

/// [`Queue::buf`]: [`READ_BUFFER`] bytes, never initialized (the kernel
/// writes what is read).
struct ReadBuf(Box<[MaybeUninit<u8>]>);

impl Default for ReadBuf {
    fn default() -> Self {
        Self(Box::new_uninit_slice(READ_BUFFER))
    }
}

impl std::fmt::Debug for ReadBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReadBuf({} bytes)", self.0.len())
    }
}

/// A filesystem's inotify instance and the changes read from it that its
/// tree has not taken in yet.
#[derive(Debug, Default)]
pub(crate) struct Watcher {
    /// Made at the first watch; `None` if it could not be made (then no
    /// directory is watched).
    instance: OnceLock<Option<Instance>>,
    /// The changes read and not yet taken by the tree, and the tree's own
    /// events not yet read. Protected by itself; held while the inotify FD
    /// is read (see "Locking").
    queue: Mutex<Queue>,
    /// How many reads of the inotify FD began (see [`Watcher::reads`]).
    /// Written under `queue`.
    reads: AtomicU64,
}

/// An inotify instance, the process's mount table, and an epoll instance
/// that tells whether either changed (what a drain asks first: see
/// [`sys::epoll_wait`]).
#[derive(Debug)]
struct Instance {
    /// The inotify instance.
    inotify: OwnedFd,
    /// An epoll instance with `inotify` in it (bit [`INOTIFY`]: events
    /// queued) and `mounts` (bit [`MOUNTS`]: the mount table changed).
    ready: OwnedFd,
    /// `/proc/self/mountinfo`, only for `ready` to watch: a mount attached
    /// on a cached directory (or file), or detached from one, changes what
    /// its name is with no inotify event.
    _mounts: OwnedFd,
}

/// [`Instance::ready`]'s bit for the inotify instance.
const INOTIFY: u64 = 1 << 0;

/// [`Instance::ready`]'s bit for the mount table.
const MOUNTS: u64 = 1 << 1;

impl Instance {
    /// Makes them; `None` if any cannot be made (no `/proc`, limits).
    fn new() -> Option<Self> {
        let inotify = sys::inotify_init1().ok()?;
        let mounts = sys::open_mountinfo().ok()?;
        let ready = sys::epoll_create1().ok()?;
        sys::epoll_ctl_add(ready.as_fd(), inotify.as_fd(), sys::EpollFlags::IN, 0).ok()?;
        sys::epoll_ctl_add(ready.as_fd(), mounts.as_fd(), sys::EpollFlags::PRI, 1).ok()?;
        Some(Self {
            inotify,
            ready,
            _mounts: mounts,
        })
    }
}

impl Watcher {
    /// Watches the directory `dir` is open on. `None` where inotify refuses
    /// (no instance, `ENOSPC` past `max_user_watches`, `EACCES`, no
    /// `/proc`): the caller revalidates that directory instead.
    ///
    /// # Preconditions
    /// Called under the tree's write lock, before anything in the directory
    /// is cached: a change after this returns is queued.
    pub(crate) fn watch(&self, dir: BorrowedFd<'_>) -> Option<WatchDescriptor> {
        let instance = self.instance.get_or_init(Instance::new).as_ref()?;
        sys::inotify_add_watch(instance.inotify.as_fd(), dir, NARROW | WatchFlags::MASK_ADD).ok()
    }

    /// Removes watch `wd` (its last dentry was freed). A watch the kernel
    /// already dropped is no error.
    pub(crate) fn unwatch(&self, wd: WatchDescriptor) {
        if let Some(Some(Instance { inotify, .. })) = self.instance.get() {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.wide.remove(&wd);
            queue.told.forget(wd);
            let _ = sys::inotify_rm_watch(inotify.as_fd(), wd);
        }
    }

    /// A dentry of watch `wd`'s directory, open on `fd`, is freed while the
    /// watch stays (another dentry of the directory has it): if the watch
    /// was widened by `fd`, it is narrowed now (so that no FD outlives its
    /// dentry), to be widened again by the next stat that would be
    /// remembered there.
    pub(crate) fn release(&self, wd: WatchDescriptor, fd: &Arc<OwnedFd>) {
        let Some(Some(Instance { inotify, .. })) = self.instance.get() else {
            return;
        };
        let mut guard = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = &mut *guard;
        if queue
            .wide
            .get(&wd)
            .is_some_and(|by| Arc::ptr_eq(&by.fd, fd))
        {
            let narrowing = queue.wide.remove(&wd).map(|wide| (wd, wide));
            narrow_locked(inotify.as_fd(), &queue.told, narrowing);
        }
    }

    /// Whether a `no-entry` of a name in directory `dir` (watched by `wd`),
    /// found before this call, may be remembered now: yes where the watch
    /// tells of names made ([`CREATES`]) already. Else, if `widen`, it is
    /// widened to now (one `inotify_add_watch`); the answer is no either
    /// way: a name made before the widening is not told of.
    ///
    /// # Preconditions
    /// Called under the tree's write lock (as every change of names whose
    /// events [`Watcher::expect`] expects): whether a watch tells of names
    /// made does not change during a change of names. `wd` is the watch
    /// `dir` was given ([`Watcher::watch`]).
    pub(crate) fn watch_creates(
        &self,
        wd: WatchDescriptor,
        dir: BorrowedFd<'_>,
        widen: bool,
    ) -> bool {
        let Some(Some(Instance { inotify, .. })) = self.instance.get() else {
            return false;
        };
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.told.creates.contains(&wd) {
            return true;
        }
        let mask = CREATES | NAMES | WatchFlags::MASK_ADD;
        if widen && sys::inotify_add_watch(inotify.as_fd(), dir, mask) == Ok(wd) {
            queue.told.creates.insert(wd);
            queue.told.names.insert(wd);
        }
        false
    }

    /// Whether watch `wd` of directory `dir` tells of names removed and
    /// moved ([`NAMES`]): `Some(true)` where it did already; else it is
    /// widened to them now (one `inotify_add_watch`) and `Some(false)`
    /// returned: a lookup in `dir` answered before now may predate a change
    /// the kernel did not tell of. `None` where inotify refused: nothing
    /// cached in `dir` can be trusted.
    ///
    /// # Preconditions
    /// Called under the tree's write lock, before the syscalls of whatever
    /// caches a name in `dir` (see [`NAMES`]). `wd` is the watch `dir` was
    /// given ([`Watcher::watch`]).
    pub(crate) fn watch_names(&self, wd: WatchDescriptor, dir: BorrowedFd<'_>) -> Option<bool> {
        let Instance { inotify, .. } = self.instance.get()?.as_ref()?;
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.told.names.contains(&wd) {
            return Some(true);
        }
        let widened = sys::inotify_add_watch(inotify.as_fd(), dir, NAMES | WatchFlags::MASK_ADD);
        (widened == Ok(wd)).then(|| {
            queue.told.names.insert(wd);
            false
        })
    }

    /// Whether a stat of directory `dir` (watched by `wd`) or of a file
    /// named in it may be remembered now: yes where the watch is widened
    /// to [`CHILD`] already (its strikes cleared: see [`NARROW_AFTER`]).
    /// Else it is widened now (one
    /// `inotify_add_watch`), [`sys::changes`] counts a change (a stat
    /// taken before the widening, and found fit to remember after it, is
    /// not kept), and the answer is no: the next stat there may be.
    ///
    /// Every stat remembered in a coherent mount rests on this: while a
    /// watch stays widened, a change to any file named in its directory,
    /// or to the directory, queues an event, which the next drain reads and
    /// counts ([`sys::note_notified_change`]); and the drain that narrows
    /// the watch again counts a change *before* the kernel stops queueing
    /// (see [`narrow_locked`]), so no remembered stat outlives the widening.
    ///
    /// # Preconditions
    /// `wd` is the watch `dir` was given ([`Watcher::watch`]).
    pub(crate) fn widen(&self, wd: WatchDescriptor, dir: &Arc<OwnedFd>) -> bool {
        let Some(Some(Instance { inotify, .. })) = self.instance.get() else {
            return false;
        };
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(wide) = queue.wide.get_mut(&wd) {
            wide.strikes = 0;
            return true;
        }
        // A remembered stat of a name rests on the name too ([`NAMES`]).
        let mask = CHILD | NAMES | WatchFlags::MASK_ADD;
        if sys::inotify_add_watch(inotify.as_fd(), dir.as_fd(), mask) == Ok(wd) {
            let fd = Arc::clone(dir);
            queue.wide.insert(wd, Wide { fd, strikes: 0 });
            queue.told.names.insert(wd);
        }
        // After the kernel queues what `CHILD` tells of: a stat taken
        // before now, and judged after, is not kept.
        sys::note_notified_change();
        false
    }

    /// Reads every event the kernel queued when it began, and whether the
    /// mount table changed (none: no syscall on the ring's thread, one
    /// `epoll_wait` that finds nothing ready on another — see "The look";
    /// events: that and one `read`, or a few; no instance: no syscall). Returns whether the tree has changes to take in
    /// ([`Watcher::take`]) before it answers from its cache. Any event, and
    /// a change of the mount table, counts as a change for the stat memos.
    ///
    /// The queue's lock is held across the read, so that a drain that finds
    /// the kernel's queue empty because another thread just read it still
    /// finds what that thread read.
    pub(crate) fn drain(&self) -> bool {
        let Some(Some(Instance { inotify, ready, .. })) = self.instance.get() else {
            return false;
        };
        let mut guard = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let Queue {
            changes: queue,
            own,
            names,
            buf,
            wide,
            told,
            look,
            settled,
            strangers,
        } = &mut *guard;
        let expecting = !own.is_empty();
        *strangers = match look.owned_here() {
            true => 0,
            false => strangers.saturating_add(1),
        };
        // Nothing woken since the last drain, which left nothing unread: no
        // syscall at all (see "The look").
        if !expecting && *settled && look.quiet() {
            return !queue.is_empty();
        }
        *settled = false;
        // Taken before the kernel's queue is read: a wake after this is
        // one of a change this drain may not read, and leaves a completion
        // (or the flag) for the next drain.
        if look.take() {
            mounts_changed_locked(queue);
        }
        // The widened watches this drain read a data or attribute event of
        // (few: a drain reads at most a buffer's worth at a time).
        let mut struck: Vec<WatchDescriptor> = Vec::new();
        // Every own event expected now was queued by the kernel before this
        // drain began ([`Watcher::expect`]): this drain reads each of them,
        // and asks whether the mount table changed after (below). Else it
        // asks first whether events are queued (most drains find none: the
        // look costs half what a `read` that finds none does,
        // [`sys::epoll_wait`]) and whether the mount table changed (which
        // no inotify event tells of: a mount attached on a cached directory
        // makes its name another directory). A look takes no event: not
        // counted in `reads`. An error is taken as both.
        let now = if expecting {
            INOTIFY
        } else {
            sys::epoll_wait(ready.as_fd()).unwrap_or(INOTIFY | MOUNTS)
        };
        if now & MOUNTS != 0 {
            mounts_changed_locked(queue);
        }
        if now & INOTIFY == 0 {
            *settled = look.ready(inotify.as_fd(), strangers);
            return !queue.is_empty();
        }
        // Whether the reads below leave the kernel's queue read dry.
        let mut dry = false;
        loop {
            let read = sys::read_inotify(inotify.as_fd(), &mut buf.0);
            // After the read: a change whose `reads` mark is older may have
            // had its events read as anyone's ([`Watcher::expect`]).
            self.reads.fetch_add(1, Ordering::SeqCst);
            match read {
                Ok(mut events) => {
                    // Whether the read may have left events behind: it
                    // filled the buffer but for less than a largest event.
                    // Else it took all there were when it began (any later
                    // ones are of changes made during the call: no need).
                    let more = events.len + LARGEST_EVENT > READ_BUFFER;
                    for event in events.by_ref() {
                        if take_own(own, names, event.wd, event.mask, event.name) {
                            continue;
                        }
                        // A widened watch told of a file's data or
                        // attributes: every stat remembered there ends
                        // (counted just below); a strike for it (below).
                        if event.mask.contains(ReadFlags::IGNORED) {
                            wide.remove(&event.wd);
                            told.forget(event.wd);
                        } else if event.mask.intersects(CHILD_EVENTS)
                            && wide.contains_key(&event.wd)
                            && !struck.contains(&event.wd)
                        {
                            struck.push(event.wd);
                        }
                        sys::note_notified_change();
                        if let Some(change) = change_of(event.wd, event.mask, event.name) {
                            queue.push(change);
                        }
                    }
                    if events.torn() {
                        sys::note_notified_change();
                        queue.push(Change::Lost);
                        break;
                    }
                    if !more {
                        dry = true;
                        break;
                    }
                }
                Err(Errno::EAGAIN) => {
                    dry = true;
                    break;
                }
                Err(Errno::EINTR) => {}
                Err(_) => {
                    sys::note_notified_change();
                    queue.push(Change::Lost);
                    break;
                }
            }
        }
        // An own event expected and not read: the kernel did not queue
        // what the tree believed it would (never seen; or the read failed):
        // the tree checks that name as after anyone's change. So no
        // expectation outlives the drain after it, and none can stand for
        // a later event of someone else's.
        for Own { wd, name, .. } in own.drain(..) {
            sys::note_notified_change();
            queue.push(Change::Name {
                wd,
                name: names.get(name).unwrap_or_default().into(),
            });
        }
        names.clear();
        // A watch struck out is taken off `wide`, a change counted, and
        // then narrowed in the kernel: a stat judged fit to remember
        // before the count is not used after it, and one judged after it
        // finds the watch narrowed.
        let mut narrowing = Vec::new();
        for wd in struck {
            if let Some(w) = wide.get_mut(&wd) {
                w.strikes = w.strikes.saturating_add(1);
                if w.strikes >= NARROW_AFTER {
                    narrowing.extend(wide.remove(&wd).map(|wide| (wd, wide)));
                }
            }
        }
        narrow_locked(inotify.as_fd(), told, narrowing);
        // Asked after the read where it was not before it (the read left
        // the look nothing to say of events that matter: any queued since
        // are of changes made during the call).
        if expecting {
            let (mounts, woken) = look.after_syscall().unwrap_or_else(|| {
                let mounts = sys::epoll_wait(ready.as_fd()).map_or(true, |now| now & MOUNTS != 0);
                (mounts, false)
            });
            if mounts {
                mounts_changed_locked(queue);
            }
            // The completion that told of an event queued during the read
            // is taken: only a drain that reads again may settle.
            if woken {
                dry = false;
            }
        }
        if dry {
            *settled = look.ready(inotify.as_fd(), strangers);
        }
        // A long run of changes is as good as a loss: check everything once.
        if queue.len() > 4096 {
            queue.clear();
            own.clear();
            queue.push(Change::Lost);
        }
        !queue.is_empty()
    }

    /// A mark for [`Watcher::expect`], taken before a change's syscall:
    /// how many reads of the kernel's queue have ended.
    pub(crate) fn reads(&self) -> u64 {
        self.reads.load(Ordering::SeqCst)
    }

    /// Expects `events` (watch, kind, name), queued by the kernel for a
    /// change the tree made and has taken in itself: the drain that reads
    /// them skips them. Unless a read of the queue ended since `since`
    /// (that read may have taken them already, as anyone's change: then
    /// they are not expected, and a later event of someone else's is not
    /// mistaken for them).
    ///
    /// An event of someone else's that looks the same (watch, kind, name)
    /// may be skipped instead of the tree's own: then the tree's own is
    /// taken as a change and the name checked. Two such events cannot be
    /// one (the kernel merges an event only into an identical one just
    /// before it, and a name cannot be made twice, or removed twice, with
    /// no event between; moves carry a cookie each).
    ///
    /// # Preconditions
    /// `since` is [`Watcher::reads`] taken before the change's first
    /// syscall; each event is one the kernel queues for that change
    /// whenever it succeeds, on a watch that was on before it began.
    pub(crate) fn expect<'a>(
        &self,
        since: u64,
        events: impl IntoIterator<Item = (WatchDescriptor, OwnEvent, &'a str)>,
    ) {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        // Bounded, whoever makes changes without a drain between (each call
        // drains first): past that, events are taken as anyone's.
        if self.reads.load(Ordering::SeqCst) != since || queue.own.len() >= 4096 {
            return;
        }
        let Queue {
            own, names, told, ..
        } = &mut *queue;
        for (wd, event, name) in events {
            // A watch not told of names made (or removed and moved) queues
            // nothing for the change.
            if !told.queues(wd, event) {
                continue;
            }
            let start = names.len();
            names.push_str(name);
            own.push(Own {
                wd,
                event,
                name: start..names.len(),
            });
        }
    }

    /// How many syscalls a drain that finds nothing changed makes on this
    /// thread: none where the ring looks ([`Look::Ring`], armed by this
    /// thread), one `epoll_wait` else.
    #[cfg(test)]
    pub(crate) fn look_syscalls(&self) -> u64 {
        match &self
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .look
        {
            Look::Ring { ring, .. } if ring.owned_here() => 0,
            Look::Ring { .. } | Look::Untried | Look::Epoll => 1,
        }
    }

    /// How many bytes of events the kernel has queued (not read: nothing
    /// drained).
    #[cfg(test)]
    pub(crate) fn queued_bytes(&self) -> u64 {
        match self.instance.get() {
            Some(Some(Instance { inotify, .. })) => {
                sys::inotify_queued_bytes(inotify.as_fd()).unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// The changes read so far, for the tree to take in.
    ///
    /// # Preconditions
    /// Called under the tree's write lock.
    pub(crate) fn take(&self) -> Vec<Change> {
        std::mem::take(
            &mut self
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .changes,
        )
    }
}

/// The mount table changed: any cached name may be another file now (a
/// mount attached on it, or detached from it), and each is checked, as
/// after lost events.
///
/// # Preconditions
/// Called under [`Watcher::queue`] (`queue` is its changes).
fn mounts_changed_locked(queue: &mut Vec<Change>) {
    sys::note_notified_change();
    // Told by the ring's poll and by the epoll instance alike: one loss.
    if queue.last() != Some(&Change::Lost) {
        queue.push(Change::Lost);
    }
}

/// Narrows the watches `narrowing` to what `told` says each keeps
/// ([`Told::narrowed`], replacing each one's mask): struck out ([`NARROW_AFTER`]), or the dentry whose FD widened it
/// freed. Counts a change ([`sys::note_notified_change`]) first, where
/// there is any: no stat judged fit to remember before the count is used
/// after it, and every one judged after it finds the watch not widened.
///
/// # Preconditions
/// Called under [`Watcher::queue`], with each watch taken off
/// [`Queue::wide`] under it.
fn narrow_locked(
    inotify: BorrowedFd<'_>,
    told: &Told,
    narrowing: impl IntoIterator<Item = (WatchDescriptor, Wide)>,
) {
    let mut narrowing = narrowing.into_iter().peekable();
    if narrowing.peek().is_some() {
        sys::note_notified_change();
    }
    for (wd, Wide { fd, .. }) in narrowing {
        // Names made, removed and moved stay told of.
        let _ = sys::inotify_add_watch(inotify, fd.as_fd(), told.narrowed(wd));
    }
}

/// Whether an event with `wd`, `mask` and `name` is one of the tree's own
/// (`own`, their names in `names`: [`Watcher::expect`]); if so, it is
/// expected no more.
fn take_own(
    own: &mut Vec<Own>,
    names: &str,
    wd: WatchDescriptor,
    mask: ReadFlags,
    name: Option<&[u8]>,
) -> bool {
    if own.is_empty() {
        return false;
    }
    let Some(name) = name else {
        return false;
    };
    let found = own.iter().position(|o| {
        o.wd == wd
            && mask.contains(o.event.flag())
            && names.as_bytes().get(o.name.clone()) == Some(name)
    });
    found.map(|index| own.remove(index)).is_some()
}

/// What an event asks of the tree: `None` for one that changes no name
/// (data, attributes, access: counted as a change for the stat memos only).
fn change_of(wd: WatchDescriptor, mask: ReadFlags, name: Option<&[u8]>) -> Option<Change> {
    if mask.contains(ReadFlags::QUEUE_OVERFLOW) {
        return Some(Change::Lost);
    }
    if mask.contains(ReadFlags::IGNORED) {
        return Some(Change::Gone(wd));
    }
    if !mask.intersects(NAME_EVENTS) {
        return None;
    }
    let name = std::str::from_utf8(name?).ok()?;
    Some(Change::Name {
        wd,
        name: name.into(),
    })
}

/// Whether the kernel hears of every change to the filesystem `st`
/// describes, wherever it is made: a local disk or memory filesystem
/// (ext2/3/4, XFS, Btrfs, tmpfs, F2FS, ZFS, bcachefs, …). Not network,
/// cluster and FUSE filesystems (another host's change is not notified
/// here), nor overlayfs (a change to a lower or upper layer made beside
/// the overlay is not), nor anything unknown.
pub(crate) fn notifies_every_change(st: &Statfs) -> bool {
    // `statfs(2)`'s magic numbers.
    const LOCAL: &[i64] = &[
        0xEF53,      // ext2, ext3, ext4
        0x5846_5342, // XFS
        0x9123_683E, // Btrfs
        0x0102_1994, // tmpfs
        0x8584_58F6, // ramfs
        0xF2F5_2010, // F2FS
        0x2FC1_2FC1, // ZFS
        0xCA45_1A4E, // bcachefs
        0x3153_464A, // JFS
        0x5265_4973, // ReiserFS
        0x4D44,      // FAT
        0x2011_BAB0, // exFAT
        0x7366_746E, // ntfs3
        0x5346_544E, // NTFS
        0x482B,      // HFS+
        0x3434,      // NILFS
        0x7371_7368, // SquashFS
        0x9660,      // ISO 9660
        0xE0F5_E1E2, // EROFS
        0x1501_3346, // UDF
    ];
    #[expect(
        clippy::useless_conversion,
        reason = "f_type is i64 on some targets, i32 or u32 on others"
    )]
    let magic = i64::from(st.filesystem_type().0);
    LOCAL.contains(&magic)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A watched temporary directory, its watch told of names made too
    /// ([`Watcher::watch_creates`]).
    fn watched() -> (tempfile::TempDir, Watcher, WatchDescriptor) {
        let (dir, watcher, wd, fd) = watched_narrow();
        assert!(!watcher.watch_creates(wd, fd.as_fd(), true));
        assert!(watcher.watch_creates(wd, fd.as_fd(), false));
        (dir, watcher, wd)
    }

    /// A watched temporary directory, as [`Watcher::watch`] leaves it, and
    /// an FD of it.
    fn watched_narrow() -> (tempfile::TempDir, Watcher, WatchDescriptor, std::fs::File) {
        let dir = tempfile::tempdir().unwrap();
        let watcher = Watcher::default();
        let fd = std::fs::File::open(dir.path()).unwrap();
        let wd = watcher.watch(fd.as_fd()).unwrap();
        (dir, watcher, wd, fd)
    }

    /// A watch tells of names removed and moved only once widened to them
    /// ([`Watcher::watch_names`]), and of names made only once widened to
    /// those ([`Watcher::watch_creates`]): before, the change queues
    /// nothing (no read, and the tree's own change expects nothing).
    #[test]
    fn a_watch_tells_of_names_removed_and_made_once_widened_to_them() {
        let (dir, watcher, wd, fd) = watched_narrow();
        watcher.drain();
        let since = watcher.reads();
        std::fs::write(dir.path().join("x"), b"").unwrap();
        std::fs::rename(dir.path().join("x"), dir.path().join("x2")).unwrap();
        std::fs::remove_file(dir.path().join("x2")).unwrap();
        watcher.expect(since, [(wd, OwnEvent::Delete, "x2")]);
        assert!(!watcher.drain(), "a change told before the widening");
        assert_eq!(watcher.reads(), since, "a read for nothing");
        assert_eq!(watcher.watch_names(wd, fd.as_fd()), Some(false));
        assert_eq!(watcher.watch_names(wd, fd.as_fd()), Some(true));
        std::fs::write(dir.path().join("y"), b"").unwrap();
        assert!(!watcher.drain(), "a create told before the widening");
        std::fs::rename(dir.path().join("y"), dir.path().join("y2")).unwrap();
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [name(wd, "y"), name(wd, "y2")]);
        std::fs::remove_file(dir.path().join("y2")).unwrap();
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [name(wd, "y2")]);
        assert!(!watcher.watch_creates(wd, fd.as_fd(), true));
        std::fs::write(dir.path().join("z"), b"").unwrap();
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [name(wd, "z")]);
        assert!(watcher.watch_creates(wd, fd.as_fd(), false));
    }

    /// The ring answers with no syscall only on the thread that armed it;
    /// once the drains run on another thread (that one exited), the ring
    /// moves there after [`MOVE_AFTER`] of them, and sees the next change.
    #[test]
    fn the_ring_moves_to_the_thread_that_drains() {
        let (dir, watcher, wd) = watched();
        let on_its_thread = std::thread::scope(|s| {
            s.spawn(|| {
                watcher.drain();
                watcher.look_syscalls()
            })
            .join()
            .unwrap()
        });
        if on_its_thread != 0 {
            eprintln!("skipped: no io_uring here");
            return;
        }
        assert_eq!(watcher.look_syscalls(), 1, "another thread's ring");
        let mut drains = 0;
        while watcher.look_syscalls() != 0 {
            assert!(!watcher.drain());
            drains += 1;
            assert!(drains <= MOVE_AFTER, "the ring never moved here");
        }
        std::fs::write(dir.path().join("x"), b"x").unwrap();
        assert!(watcher.drain(), "seen by the new ring's look");
        assert_eq!(watcher.take(), [name(wd, "x")]);
        assert!(!watcher.drain());
        assert_eq!(watcher.look_syscalls(), 0);
    }

    /// Someone else's change racing a drain that reads the tree's own
    /// events (the ring's completion of it posted as that `read` returns)
    /// is seen by that drain or the next, never left for a quiet ring to
    /// hide.
    #[test]
    fn a_change_racing_the_read_of_the_trees_own_is_not_lost() {
        use std::sync::atomic::AtomicU32;
        let (dir, watcher, wd) = watched();
        let p = dir.path().to_owned();
        let (go, done) = (AtomicU32::new(0), AtomicU32::new(0));
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 1..=3000u32 {
                    while go.load(Ordering::Acquire) != i {
                        std::hint::spin_loop();
                    }
                    for k in 0..4 {
                        std::fs::write(p.join(format!("theirs{i}-{k}")), b"").unwrap();
                    }
                    done.store(i, Ordering::Release);
                }
            });
            for i in 1..=3000u32 {
                let since = watcher.reads();
                std::fs::write(p.join(format!("own{i}")), b"").unwrap();
                watcher.expect(since, [(wd, OwnEvent::Create, format!("own{i}").as_str())]);
                go.store(i, Ordering::Release);
                watcher.drain();
                let mut seen = watcher.take();
                while done.load(Ordering::Acquire) != i {
                    std::hint::spin_loop();
                }
                watcher.drain();
                seen.extend(watcher.take());
                for k in 0..4 {
                    assert!(
                        seen.contains(&name(wd, &format!("theirs{i}-{k}"))),
                        "round {i}: their change {k} lost: {seen:?}"
                    );
                }
            }
        });
    }

    fn name(wd: WatchDescriptor, name: &str) -> Change {
        Change::Name {
            wd,
            name: name.into(),
        }
    }

    #[test]
    fn the_trees_own_events_are_skipped_and_only_they() {
        let (dir, watcher, wd) = watched();
        let p = dir.path();
        // The tree's own create of `x`, and someone else's of `y` after it.
        let since = watcher.reads();
        std::fs::write(p.join("x"), b"x").unwrap();
        watcher.expect(since, [(wd, OwnEvent::Create, "x")]);
        std::fs::write(p.join("y"), b"y").unwrap();
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [name(wd, "y")]);
        // Only its own: nothing else drained.
        assert!(!watcher.drain());
        std::fs::write(p.join("z"), b"z").unwrap();
        let since = watcher.reads();
        std::fs::rename(p.join("x"), p.join("w")).unwrap();
        watcher.expect(
            since,
            [(wd, OwnEvent::MovedFrom, "x"), (wd, OwnEvent::MovedTo, "w")],
        );
        assert!(watcher.drain(), "z is someone else's");
        assert_eq!(watcher.take(), [name(wd, "z")]);
        // An event of the same kind in the same directory is not taken for
        // the tree's own unless it names the same name; and an expected
        // event that never came is a change of its name (never kept to be
        // mistaken for a later one).
        watcher.expect(watcher.reads(), [(wd, OwnEvent::Delete, "gone")]);
        std::fs::remove_file(p.join("y")).unwrap();
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [name(wd, "y"), name(wd, "gone")]);
        std::fs::remove_file(p.join("z")).unwrap();
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [name(wd, "z")]);
    }

    /// `mount --bind source target`, then `umount target`: `false` where
    /// this machine does not let the test mount (not root).
    fn mount_and_unmount(source: &std::path::Path, target: &std::path::Path) -> bool {
        use std::process::Command;
        let mounted = Command::new("mount")
            .arg("--bind")
            .arg(source)
            .arg(target)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        mounted
            && Command::new("umount")
                .arg(target)
                .status()
                .unwrap()
                .success()
    }

    /// A change of the process's mount table (no inotify event tells of
    /// it) is a loss of events: every cached name is checked. Seen by the
    /// drain after it, whether that drain looked first (nothing expected)
    /// or read the tree's own events first; and once.
    #[test]
    fn a_mount_or_unmount_is_a_loss() {
        let _changing = sys::test_hook::mount_table_changing();
        let (dir, watcher, wd) = watched();
        let p = dir.path();
        std::fs::create_dir(p.join("on")).unwrap();
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [name(wd, "on")]);
        if !mount_and_unmount(p, &p.join("on")) {
            eprintln!("skipped: this machine does not let the test bind-mount (needs root)");
            return;
        }
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [Change::Lost]);
        assert!(!watcher.drain(), "told once");
        // With the tree's own event expected: read first, then the look.
        let since = watcher.reads();
        std::fs::write(p.join("x"), b"x").unwrap();
        watcher.expect(since, [(wd, OwnEvent::Create, "x")]);
        assert!(mount_and_unmount(p, &p.join("on")));
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [Change::Lost]);
        assert!(!watcher.drain(), "told once");
    }

    /// Names of every padding (the kernel pads each to a multiple of 16
    /// bytes with NULs), the longest, and more events than one read
    /// takes: one drain reads them all, each name exactly.
    #[test]
    fn a_drain_reads_every_event_whole_past_one_buffer() {
        let (dir, watcher, wd) = watched();
        let mut names: Vec<String> = [1, 14, 15, 16, 17, 31, 32, 255]
            .iter()
            .map(|&n| "n".repeat(n))
            .collect();
        // 40 events of 224 bytes: more than a read's 4,096.
        names.extend((0..40).map(|i| format!("{i:0200}")));
        for n in &names {
            std::fs::write(dir.path().join(n), b"").unwrap();
        }
        let reads = watcher.reads();
        assert!(watcher.drain());
        assert!(
            watcher.reads() - reads >= 3,
            "the events took more than two reads"
        );
        let expected: Vec<Change> = names.iter().map(|n| name(wd, n)).collect();
        assert_eq!(watcher.take(), expected);
        assert!(!watcher.drain(), "nothing left behind");
    }

    #[test]
    fn an_event_that_a_read_may_have_taken_is_not_expected() {
        let (dir, watcher, wd) = watched();
        let p = dir.path();
        let since = watcher.reads();
        std::fs::write(p.join("x"), b"x").unwrap();
        // Another thread's drain reads the event before the tree says it
        // is its own: taken as anyone's change.
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [name(wd, "x")]);
        watcher.expect(since, [(wd, OwnEvent::Create, "x")]);
        // So it is not expected: someone else's re-creation of `x` is seen.
        std::fs::remove_file(p.join("x")).unwrap();
        std::fs::write(p.join("x"), b"new").unwrap();
        assert!(watcher.drain());
        assert_eq!(watcher.take(), [name(wd, "x"), name(wd, "x")]);
    }

    #[test]
    fn events_that_change_names_are_queued_others_only_counted() {
        let dir = tempfile::tempdir().unwrap();
        let dir = std::fs::File::open(dir.path()).unwrap();
        let watcher = Watcher::default();
        let wd = watcher.watch(std::os::fd::AsFd::as_fd(&dir)).unwrap();
        let name = || Some(&b"f"[..]);
        for mask in [
            ReadFlags::CREATE,
            ReadFlags::DELETE,
            ReadFlags::MOVED_FROM,
            ReadFlags::MOVED_TO,
            ReadFlags::CREATE | ReadFlags::ISDIR,
        ] {
            assert_eq!(
                change_of(wd, mask, name()),
                Some(Change::Name {
                    wd,
                    name: "f".into()
                }),
                "{mask:?}"
            );
        }
        for mask in [
            ReadFlags::MODIFY,
            ReadFlags::ATTRIB,
            ReadFlags::ACCESS,
            ReadFlags::DELETE_SELF,
        ] {
            assert_eq!(change_of(wd, mask, name()), None, "{mask:?}");
        }
        assert_eq!(
            change_of(wd, ReadFlags::QUEUE_OVERFLOW, None),
            Some(Change::Lost)
        );
        assert_eq!(
            change_of(wd, ReadFlags::IGNORED, None),
            Some(Change::Gone(wd))
        );
    }
}
