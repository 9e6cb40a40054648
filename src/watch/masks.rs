//! What each watch tells of: the masks a directory's watch is widened to
//! as the tree caches more in it ([`NAMES`], [`CREATES`], [`CHILD`]), and
//! narrowed back from ([`NARROW_AFTER`]), with the bookkeeping of each
//! watch's mask ([`Told`], [`Wide`]). See the parent module.

use std::collections::HashSet;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, PoisonError};

use crate::sys::{self, ReadFlags, WatchDescriptor, WatchFlags};

use super::{Instance, OwnEvent, Watcher};

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
pub(super) const NARROW: WatchFlags = WatchFlags::DELETE_SELF
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
pub(super) const NAMES: WatchFlags = WatchFlags::DELETE
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
pub(super) const CREATES: WatchFlags = WatchFlags::CREATE;

/// The events a directory is watched for only while a stat of it or of a
/// file named in it may be remembered ([`Watcher::widen`]): a file in it
/// written or truncated, it or a file in it given new attributes. Each
/// costs the kernel an event made and queued on every `write` into the
/// directory's files, by anyone (measured at +10% on 4 KiB writes on a
/// Xeon, +60% on an AMD EPYC VM): a directory whose files are written
/// while no stat there is remembered is spared that.
pub(super) const CHILD: WatchFlags = WatchFlags::MODIFY.union(WatchFlags::ATTRIB);

/// [`CHILD`] as an event's mask tells of it.
pub(super) const CHILD_EVENTS: ReadFlags = ReadFlags::MODIFY.union(ReadFlags::ATTRIB);

/// The events that change which file a name in the directory is.
pub(super) const NAME_EVENTS: ReadFlags = ReadFlags::CREATE
    .union(ReadFlags::DELETE)
    .union(ReadFlags::MOVED_FROM)
    .union(ReadFlags::MOVED_TO);

/// The watches told of names removed and moved, and of names made: each in
/// the kernel from before the watch is put here until the watch goes.
#[derive(Debug, Default)]
pub(super) struct Told {
    /// Told of [`NAMES`] ([`Watcher::watch_names`], and with each of the
    /// others).
    pub(super) names: HashSet<WatchDescriptor>,
    /// Told of [`CREATES`] and [`NAMES`] ([`Watcher::watch_creates`]).
    pub(super) creates: HashSet<WatchDescriptor>,
}

impl Told {
    /// The mask watch `wd` keeps when it is narrowed (its [`CHILD`] taken
    /// away).
    pub(super) fn narrowed(&self, wd: WatchDescriptor) -> WatchFlags {
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
    pub(super) fn queues(&self, wd: WatchDescriptor, event: OwnEvent) -> bool {
        match event {
            OwnEvent::Create => self.creates.contains(&wd),
            OwnEvent::Delete | OwnEvent::MovedFrom | OwnEvent::MovedTo => self.names.contains(&wd),
        }
    }

    /// Watch `wd` is gone.
    pub(super) fn forget(&mut self, wd: WatchDescriptor) {
        self.names.remove(&wd);
        self.creates.remove(&wd);
    }
}

/// A watch widened to [`CHILD`] ([`super::Queue::wide`]).
#[derive(Debug)]
pub(super) struct Wide {
    /// The FD of one of its directory's dentries, to narrow it by (inotify
    /// changes a watch's mask only through a file's name).
    pub(super) fd: Arc<OwnedFd>,
    /// How many drains read a [`CHILD`] event of it since a stat there was
    /// last judged fit to remember ([`Watcher::widen`] sets it to 0).
    /// At [`NARROW_AFTER`] it is narrowed.
    pub(super) strikes: u8,
}

/// How many drains must read a data or attribute event of a widened
/// watch, with no stat there judged fit to remember between them,
/// before it is narrowed: not the first, so that a guest that writes a file
/// and stats it, again and again, keeps its watch widened (narrowing and
/// widening it on each turn would cost two syscalls a turn), while one that
/// writes files it no longer stats has its watch narrowed by the second
/// drain that reads such an event.
pub(super) const NARROW_AFTER: u8 = 2;

/// Narrows the watches `narrowing` to what `told` says each keeps
/// ([`Told::narrowed`], replacing each one's mask): struck out ([`NARROW_AFTER`]), or the dentry whose FD widened it
/// freed. Counts a change ([`sys::note_notified_change`]) first, where
/// there is any: no stat judged fit to remember before the count is used
/// after it, and every one judged after it finds the watch not widened.
///
/// # Preconditions
/// Called under [`Watcher::queue`], with each watch taken off
/// [`super::Queue::wide`] under it.
pub(super) fn narrow_locked(
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

impl Watcher {
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
}
