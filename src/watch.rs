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
//! Those events cost the change that queued them about as much again in
//! the kernel and tell the tree nothing: a watch that told of
//! [`CHURN_AFTER`] of them ([`Change::Churned`]) is removed, and its
//! directories revalidated as below, until their lookups outnumber their
//! changes (the tree watches them again then: `Watch::Churned` in
//! [`crate::dentry`]).
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
//! directory, fewer than [`PARK_BATCH`] more of directories let go, and
//! at most [`files::FILE_WATCHES`] of files whose stats are remembered
//! (see [`Watcher::vouch_file`]);
//! one `inotify_add_watch` per directory dentry made (one made by the
//! tree's own `mkdir`: when first looked into, so a directory made and
//! removed costs none) with the widenings the watches before it came to
//! need ([`masks::Profile`]), one per other widening and per narrowing,
//! and one `inotify_rm_watch` per one freed, in batches
//! ([`Unwatch::Parked`]); per call that takes the tree lock,
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

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use nix::errno::Errno;
use nix::sys::statfs::Statfs;

use crate::sys::{self, ReadFlags, WatchDescriptor, WatchFlags};

mod files;
mod look;
mod masks;
mod own;
#[cfg(doc)]
use crate::types::Revalidation;
use look::Look;
#[cfg(test)]
use look::MOVE_AFTER;
pub(crate) use masks::Widening;
use masks::{
    Backoff, CHILD, CHILD_EVENTS, NAME_EVENTS, NAMES, NARROW, NARROW_AFTER, Need, Profile, Told,
    Wide, narrow_locked,
};
pub(crate) use own::CHURN_AFTER;
pub(crate) use own::OwnEvent;
use own::{Own, take_own};

/// How many bytes a drain reads at most at once.
const READ_BUFFER: usize = 4096;

/// The largest event: the header, and a name of `NAME_MAX` bytes with its
/// NUL, padded (as the kernel pads every name) to a multiple of the
/// header's size.
const LARGEST_EVENT: usize = sys::INOTIFY_EVENT_HEADER + 256;

/// How many watches whose directories the tree no longer caches are kept
/// in the kernel ([`Unwatch::Parked`]) before they are removed together.
///
/// Each `inotify_rm_watch` costs little itself, but the kernel frees the
/// watch later, after an SRCU grace period, in work its workers run on the
/// caller's CPU: removed one at a time as the cache lets directories go
/// (ripgrep over 3,100 directories with the default cache: 2,093
/// removals), each one is a grace period, a worker preempting the guest,
/// and an `IN_IGNORED` read by a drain of its own; removed back to back,
/// a batch shares one of each. A parked watch costs what a watch does (about
/// 1 KiB of kernel memory, one of `max_user_watches`), and its events,
/// if any, are read and change nothing (no dentry has its watch); a lookup
/// that makes a dentry of its directory again is given it back
/// ([`Watcher::watch`]).
const PARK_BATCH: usize = 64;

/// How [`Watcher::unwatch`] removes a watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unwatch {
    /// With the next [`PARK_BATCH`] (the cache let the directory go).
    Parked,
    /// Now: its events cost more than they tell ([`Change::Churned`]), or
    /// the watch could not be widened.
    Now,
}

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
    /// Watch `wd` told of [`CHURN_AFTER`] of the tree's own changes of
    /// names (skipped) since it was made or last counted out: its
    /// directories would do better revalidated than watched (see
    /// [`CHURN_AFTER`]).
    Churned(WatchDescriptor),
    /// Events were lost (the kernel's queue overflowed, or a read failed),
    /// or the mount table changed: anything may have changed in any
    /// watched directory.
    Lost,
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
    /// The watches widened to [`masks::CHILD`] ([`Watcher::widen`]). A watch is
    /// widened in the kernel whenever it is here; one that is not here may
    /// be too (its narrowing failed, or is under way under this lock).
    wide: HashMap<WatchDescriptor, Wide>,
    /// The watches narrowed by strikes lately, not to be widened again for
    /// a while ([`Backoff`]); one a watch at most, for its life.
    backoff: HashMap<WatchDescriptor, Backoff>,
    /// What each watch tells of beyond [`NARROW`], for its life.
    told: Told,
    /// What the watches made lately came to need: what a new one is made
    /// with.
    profile: Profile,
    /// How many of the tree's own events each watch told of, skipped, since
    /// it was made or last counted out ([`CHURN_AFTER`]).
    churn: HashMap<WatchDescriptor, u32>,
    /// The watches no dentry has, still in the kernel ([`Unwatch::Parked`]):
    /// fewer than [`PARK_BATCH`].
    parked: Vec<WatchDescriptor>,
    /// The files watched for the stats remembered of them
    /// ([`Watcher::vouch_file`]).
    files: files::Files,
    /// How a drain that expects nothing first asks whether anything
    /// changed.
    look: Look,
    /// Whether the last drain left the kernel's queue read dry and looked
    /// at the mount table after any change it took: a [`Look::Ring`] quiet
    /// since then means nothing changed since.
    settled: bool,
    /// How many drains in a row ran on threads other than the ring's
    /// ([`look::MOVE_AFTER`]).
    strangers: u8,
}

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
    /// How many stats the memos answered without a syscall
    /// ([`Watcher::memo_answered`]): what tells a widening that pays (see
    /// [`Watcher::widen`]) from one whose every remembered stat is
    /// forgotten unused.
    answered: AtomicU64,
    /// How many drains began ([`Watcher::drain`]; about one a host call):
    /// what tells two stats of one guest operation (in back-to-back calls)
    /// from a stat asked again ([`Watcher::vouch_file`]).
    drains: AtomicU64,
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
    /// A stat was answered from a memo that rests on the watches (no
    /// syscall): the widenings pay (see [`Watcher::widen`]).
    pub(crate) fn memo_answered(&self) {
        self.answered.fetch_add(1, Ordering::Relaxed);
    }

    /// How many stats the memos answered so far ([`Watcher::memo_answered`]).
    pub(super) fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// Watches the directory `dir` is open on, with the widenings the
    /// watches made lately came to need ([`Profile`]: one
    /// `inotify_add_watch` where widening it need by need would take up to
    /// four). `None` where inotify refuses (no instance, `ENOSPC` past
    /// `max_user_watches`, `EACCES`, no `/proc`): the caller revalidates
    /// that directory instead.
    ///
    /// # Preconditions
    /// Called under the tree's write lock, before anything in the directory
    /// is cached: a change after this returns is queued.
    pub(crate) fn watch(&self, dir: &Arc<OwnedFd>) -> Option<WatchDescriptor> {
        let instance = self.instance.get_or_init(Instance::new).as_ref()?;
        let mut guard = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = &mut *guard;
        let needs = queue.profile.predicted();
        let mask = NARROW | Profile::mask(needs.iter().copied()) | WatchFlags::MASK_ADD;
        let wd = sys::inotify_add_watch(instance.inotify.as_fd(), dir.as_fd(), mask).ok()?;
        // A parked watch of the directory is given back: kept from now on.
        if let Some(at) = queue.parked.iter().position(|&parked| parked == wd) {
            queue.parked.swap_remove(at);
        }
        queue.profile.made(wd, needs.iter().copied());
        // As the widenings do, once the kernel queues what each tells of.
        if mask.intersects(NAMES) {
            queue.told.names.insert(wd);
        }
        if needs.contains(&Need::Creates) {
            queue.told.creates.insert(wd);
        }
        if mask.contains(CHILD) && !queue.wide.contains_key(&wd) {
            let fd = Arc::clone(dir);
            queue.wide.insert(wd, Wide::by(fd, self.answered()));
            // A stat taken before now, and judged after, is not kept (see
            // [`Watcher::widen`]).
            sys::note_notified_change();
        }
        Some(wd)
    }

    /// Watch `wd`'s last dentry went: the watch is removed `how` says. A
    /// watch the kernel already dropped is no error.
    pub(crate) fn unwatch(&self, wd: WatchDescriptor, how: Unwatch) {
        if let Some(Some(Instance { inotify, .. })) = self.instance.get() {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.wide.remove(&wd);
            queue.backoff.remove(&wd);
            queue.told.forget(wd);
            queue.profile.gone(wd);
            queue.churn.remove(&wd);
            match how {
                Unwatch::Now => {
                    let _ = sys::inotify_rm_watch(inotify.as_fd(), wd);
                }
                Unwatch::Parked => {
                    queue.parked.push(wd);
                    if queue.parked.len() >= PARK_BATCH {
                        for wd in queue.parked.drain(..) {
                            let _ = sys::inotify_rm_watch(inotify.as_fd(), wd);
                        }
                    }
                }
            }
        }
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
        self.drains.fetch_add(1, Ordering::Relaxed);
        let mut guard = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let Queue {
            changes: queue,
            own,
            names,
            buf,
            wide,
            backoff,
            told,
            profile,
            churn,
            parked,
            files,
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
            files.forget_all();
        }
        // The widened watches this drain read a data or attribute event of
        // (few: a drain reads at most a buffer's worth at a time).
        let mut struck: Vec<WatchDescriptor> = Vec::new();
        // The file watches it read such an event of.
        let mut struck_files: Vec<WatchDescriptor> = Vec::new();
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
            files.forget_all();
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
                        // A name that changed: a file watch no longer
                        // vouches for it.
                        if event.mask.intersects(NAME_EVENTS)
                            && let Some(name) = event.name
                        {
                            files.forget_name(event.wd, name);
                        }
                        if let Some(kind) = take_own(own, names, event.wd, event.mask, event.name) {
                            profile.told(event.wd, Need::of_own(kind));
                            let count = churn.entry(event.wd).or_default();
                            *count += 1;
                            if *count >= CHURN_AFTER {
                                churn.remove(&event.wd);
                                queue.push(Change::Churned(event.wd));
                            }
                            continue;
                        }
                        // A widened watch told of a file's data or
                        // attributes: every stat remembered there ends
                        // (counted just below); a strike for it (below).
                        if event.mask.contains(ReadFlags::IGNORED) {
                            wide.remove(&event.wd);
                            backoff.remove(&event.wd);
                            told.forget(event.wd);
                            profile.gone(event.wd);
                            churn.remove(&event.wd);
                            parked.retain(|&p| p != event.wd);
                            files.forget(event.wd);
                        } else if event.mask.intersects(CHILD_EVENTS)
                            && wide.contains_key(&event.wd)
                            && !struck.contains(&event.wd)
                        {
                            profile.told(event.wd, Need::Child);
                            struck.push(event.wd);
                        }
                        if event.mask.intersects(CHILD_EVENTS)
                            && !struck_files.contains(&event.wd)
                            && files.is_file(event.wd)
                        {
                            struck_files.push(event.wd);
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
                    backoff.entry(wd).or_default().struck_out();
                }
            }
        }
        narrow_locked(inotify.as_fd(), told, narrowing);
        // A file watch struck out no longer vouches for a stat (its events
        // read here counted a change first), and goes.
        for wd in files.strike(&struck_files) {
            let _ = sys::inotify_rm_watch(inotify.as_fd(), wd);
        }
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
        // After a loss (or a change of the mount table) any name may be
        // another file: no file watch vouches for one.
        if queue.contains(&Change::Lost) {
            files.forget_all();
        }
        !queue.is_empty()
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
mod tests;
