//! What each watch tells of: the masks a directory's watch is widened to
//! as the tree caches more in it ([`NAMES`], [`CREATES`], [`CHILD`]), and
//! narrowed back from ([`NARROW_AFTER`]), with the bookkeeping of each
//! watch's mask ([`Told`], [`Wide`]), and what a new watch is made with:
//! the widenings the watches before it came to need ([`Profile`]). See the
//! parent module.

use std::collections::{HashMap, HashSet};
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
    /// How many drains read a [`CHILD`] event of it since it was last seen
    /// to pay: a stat there judged fit to remember with a memo's answer
    /// since the one judged before it ([`Watcher::widen`] sets it to 0
    /// then). At [`NARROW_AFTER`] it is narrowed.
    pub(super) strikes: u8,
    /// How many stats the memos had answered when a stat there was last
    /// judged ([`Watcher::memo_answered`]).
    pub(super) answered: u64,
}

impl Wide {
    /// Widened by the FD of one of its directory's dentries, with the
    /// memos at `answered`.
    pub(super) fn by(fd: Arc<OwnedFd>, answered: u64) -> Self {
        Self {
            fd,
            strikes: 0,
            answered,
        }
    }
}

/// How many stats judged fit to remember in a directory whose watch was
/// narrowed by strikes ([`NARROW_AFTER`]) go before it is widened again:
/// `2^level`, the level one more at each such narrowing, up to
/// [`BACKOFF_MAX`], and forgotten once the widening is seen to pay (see
/// [`Watcher::widen`]). So
/// a guest that writes a file and stats it, turn after turn — a log and
/// its size — has the watch narrowed (its writes queue nothing, each stat
/// is an `fstatat`, as in an exclusive mount), widened again only after
/// 2, 4, … 256 stats, to see whether remembering pays now.
#[derive(Debug, Default)]
pub(super) struct Backoff {
    /// How many narrowings by strikes in a row.
    level: u8,
    /// How many judged stats are left to go before the next widening.
    wait: u16,
}

/// The most [`Backoff::level`]: at most 256 stats between tries (a guest
/// that writes and stats a log pays for the watches' events on 4 of every
/// 260 writes).
pub(super) const BACKOFF_MAX: u8 = 8;

impl Backoff {
    /// The watch was narrowed by strikes (again).
    pub(super) fn struck_out(&mut self) {
        self.level = self.level.saturating_add(1).min(BACKOFF_MAX);
        self.wait = 1 << self.level;
    }
}

/// What [`Watcher::widen`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Widening {
    /// Widened already: a stat taken in this call may be remembered.
    Already,
    /// Widened now (or the widening failed): the next stat may be.
    Now,
    /// Not widened, as it was narrowed by strikes lately ([`Backoff`]): no
    /// stat there is remembered for a while.
    Later,
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
            queue.profile.needed(wd, Need::Creates);
            return true;
        }
        if widen {
            queue.profile.needed(wd, Need::Creates);
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
        queue.profile.needed(wd, Need::Names);
        if queue.told.names.contains(&wd) {
            return Some(true);
        }
        let widened = sys::inotify_add_watch(inotify.as_fd(), dir, NAMES | WatchFlags::MASK_ADD);
        (widened == Ok(wd)).then(|| {
            queue.told.names.insert(wd);
            false
        })
    }

    /// Whether a stat of directory `dir` (watched by `wd`) itself
    /// (`itself`), or of a file named in it, may be remembered now:
    /// [`Widening::Already`] where the watch is widened to [`CHILD`]
    /// already (its strikes cleared where the widening pays — a memo
    /// answered a stat since the one judged before: see [`NARROW_AFTER`])
    /// and, for the directory's own
    /// stat, tells of names made ([`CREATES`]: its link count, size and
    /// times change with every name made, removed or moved in it). Else,
    /// unless it was narrowed by strikes lately ([`Backoff`]:
    /// [`Widening::Later`]), it is widened now (one `inotify_add_watch`),
    /// [`sys::changes`] counts a change (a stat taken before the widening,
    /// and found fit to remember after it, is not kept), and the answer is
    /// [`Widening::Now`]: the next stat there may be remembered.
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
    pub(crate) fn widen(&self, wd: WatchDescriptor, dir: &Arc<OwnedFd>, itself: bool) -> Widening {
        let Some(Some(Instance { inotify, .. })) = self.instance.get() else {
            return Widening::Now;
        };
        let mut guard = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = &mut *guard;
        queue.profile.needed(wd, Need::Child);
        if itself {
            queue.profile.needed(wd, Need::Creates);
        }
        let told = !itself || queue.told.creates.contains(&wd);
        let answered = self.answered();
        if let Some(wide) = queue.wide.get_mut(&wd)
            && told
        {
            // The widening pays: a memo answered a stat since the one
            // judged before.
            if wide.answered != answered {
                wide.strikes = 0;
                wide.answered = answered;
                queue.backoff.remove(&wd);
            }
            return Widening::Already;
        }
        if let Some(backoff) = queue.backoff.get_mut(&wd)
            && backoff.wait > 0
        {
            backoff.wait -= 1;
            return Widening::Later;
        }
        // A remembered stat of a name rests on the name too ([`NAMES`]);
        // the directory's own, on every name made there too.
        let mut mask = CHILD | NAMES | WatchFlags::MASK_ADD;
        if itself {
            mask |= CREATES;
        }
        if sys::inotify_add_watch(inotify.as_fd(), dir.as_fd(), mask) == Ok(wd) {
            let fd = Arc::clone(dir);
            let wide = queue
                .wide
                .entry(wd)
                .or_insert_with(|| Wide::by(fd, answered));
            wide.strikes = 0;
            wide.answered = answered;
            queue.told.names.insert(wd);
            if itself {
                queue.told.creates.insert(wd);
            }
        }
        // After the kernel queues what `CHILD` tells of: a stat taken
        // before now, and judged after, is not kept.
        sys::note_notified_change();
        Widening::Now
    }
}

/// One of the widenings a watch may come to need beyond [`NARROW`]: what
/// [`Profile`] keeps score of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    /// [`NAMES`] ([`Watcher::watch_names`]: a name to be cached there).
    Names,
    /// [`CREATES`] ([`Watcher::watch_creates`]: a `no-entry` to be
    /// remembered there).
    Creates,
    /// [`CHILD`] ([`Watcher::widen`]: a stat there to be remembered).
    Child,
}

impl Need {
    /// Every need.
    const ALL: [Self; 3] = [Self::Names, Self::Creates, Self::Child];

    /// Its bit in a [`Life`]'s sets.
    fn bit(self) -> u8 {
        1 << self as u8
    }

    /// What the kernel's mask takes for it (each with [`NAMES`]: what a
    /// remembered `no-entry` or stat of a name rests on too).
    fn mask(self) -> WatchFlags {
        match self {
            Self::Names => NAMES,
            Self::Creates => CREATES.union(NAMES),
            Self::Child => CHILD.union(NAMES),
        }
    }

    /// The need whose mask makes the kernel queue an event of the tree's
    /// own change `event`.
    pub(super) fn of_own(event: OwnEvent) -> Self {
        match event {
            OwnEvent::Create => Self::Creates,
            OwnEvent::Delete | OwnEvent::MovedFrom | OwnEvent::MovedTo => Self::Names,
        }
    }
}

/// A score at or above which a new watch is made with the need
/// ([`Profile::predicted`]).
pub(super) const PREDICT_AT: u8 = 4;

/// The highest score: how many watches in a row must go without a need
/// before new watches stop being made with it (fewer where a prediction
/// told of an event before it was needed: see [`Profile::told`]).
const SCORE_MAX: u8 = 8;

/// What the watches made lately came to need, so that a new watch is
/// made with the mask it will most likely need, in its one
/// `inotify_add_watch`, instead of being widened by one more call for
/// each need as it comes (a walk that looks into each directory, stats
/// its files and probes it for names that are not there — ripgrep's
/// ignore files, a compiler's include path — needs all three in nearly
/// every directory: three calls a directory, each resolving the
/// directory's `/proc/self/fd` name, where one does).
///
/// A need predicted wrongly costs what the narrow mask spares: the
/// kernel's events of the tree's own changes of names, or of writes,
/// there. So a prediction that tells of such an event before the need
/// came ends at once ([`Profile::told`]), and a watch that goes without
/// a need counts against it.
#[derive(Debug, Default)]
pub(super) struct Profile {
    /// Per need, 0 to [`SCORE_MAX`]: up one for each watch that came to
    /// need it, down one for each that went without; 0 where a prediction
    /// of it told of an event unneeded.
    scores: Scores,
    /// Each live watch's needs.
    lives: HashMap<WatchDescriptor, Life>,
}

/// [`Profile::scores`]: one per [`Need`].
#[derive(Debug, Default)]
struct Scores {
    /// [`Need::Names`]'s.
    names: u8,
    /// [`Need::Creates`]'s.
    creates: u8,
    /// [`Need::Child`]'s.
    child: u8,
}

impl Scores {
    /// `need`'s score.
    fn of(&mut self, need: Need) -> &mut u8 {
        match need {
            Need::Names => &mut self.names,
            Need::Creates => &mut self.creates,
            Need::Child => &mut self.child,
        }
    }
}

/// The needs of one watch ([`Need::bit`]s).
#[derive(Debug, Default, Clone, Copy)]
struct Life {
    /// Those it was made with (or given later by another dentry's
    /// [`Watcher::watch`] of its directory).
    predicted: u8,
    /// Those it came to need.
    needed: u8,
}

impl Profile {
    /// The needs a new watch is made with.
    pub(super) fn predicted(&mut self) -> Vec<Need> {
        Need::ALL
            .into_iter()
            .filter(|&need| *self.scores.of(need) >= PREDICT_AT)
            .collect()
    }

    /// The mask of `needs`.
    pub(super) fn mask(needs: impl IntoIterator<Item = Need>) -> WatchFlags {
        needs
            .into_iter()
            .fold(WatchFlags::empty(), |mask, need| mask | need.mask())
    }

    /// Watch `wd` was made (or added to) with `needs`.
    pub(super) fn made(&mut self, wd: WatchDescriptor, needs: impl IntoIterator<Item = Need>) {
        let life = self.lives.entry(wd).or_default();
        for need in needs {
            life.predicted |= need.bit();
        }
    }

    /// Watch `wd` needs `need` (predicted or widened to now): counted once
    /// a watch.
    pub(super) fn needed(&mut self, wd: WatchDescriptor, need: Need) {
        let life = self.lives.entry(wd).or_default();
        if life.needed & need.bit() == 0 {
            life.needed |= need.bit();
            let score = self.scores.of(need);
            *score = score.saturating_add(1).min(SCORE_MAX);
        }
    }

    /// Watch `wd` told of an event `need` makes it tell of: where the need
    /// was predicted and has not come, the prediction cost an event for
    /// nothing, and new watches are made without it from now on.
    pub(super) fn told(&mut self, wd: WatchDescriptor, need: Need) {
        if let Some(life) = self.lives.get(&wd)
            && life.predicted & !life.needed & need.bit() != 0
        {
            *self.scores.of(need) = 0;
        }
    }

    /// Watch `wd` is gone: each need it went without counts against that
    /// need. Nothing where it went already (the `IN_IGNORED` of a watch
    /// the tree removed).
    pub(super) fn gone(&mut self, wd: WatchDescriptor) {
        let Some(life) = self.lives.remove(&wd) else {
            return;
        };
        for need in Need::ALL {
            if life.needed & need.bit() == 0 {
                let score = self.scores.of(need);
                *score = score.saturating_sub(1);
            }
        }
    }
}
