//! The tree's own changes of names: their events expected
//! ([`Watcher::expect`]) and skipped by the drain that reads them
//! ([`take_own`]). See the parent module.

use std::ops::Range;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use crate::sys::{ReadFlags, WatchDescriptor};

use super::{Queue, Watcher};

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

/// How many of the tree's own events a watch tells of (each read and
/// skipped by a drain: [`Watcher::expect`]) before its directories are
/// better revalidated than watched ([`super::Change::Churned`]). Each such
/// event costs the change that queues it as much again in the kernel (the
/// event made, queued, woken on, read: a `directfs:fs` rename loop on
/// tmpfs, 4.9 µs a rename unwatched, 7.8 µs watched), and buys nothing
/// the tree did not know; a revalidated directory costs instead an
/// `fstatat` a lookup of a name cached in it, as in a shared mount,
/// until its lookups outnumber its changes (the tree watches it again
/// then: see `Tree::watch_later`).
pub(crate) const CHURN_AFTER: u32 = 256;

/// An event the tree's own change queued, which the tree took in as it
/// made the change: the drain that reads it skips it (no `fstatat` of the
/// name, no new tree generation, no end of the stat memos).
#[derive(Debug)]
pub(super) struct Own {
    pub(super) wd: WatchDescriptor,
    pub(super) event: OwnEvent,
    /// The name's bytes in [`Queue::names`].
    pub(super) name: Range<usize>,
}

/// Which of the tree's own events (`own`, their names in `names`:
/// [`Watcher::expect`]) an event with `wd`, `mask` and `name` is, if any;
/// that one is expected no more.
pub(super) fn take_own(
    own: &mut Vec<Own>,
    names: &str,
    wd: WatchDescriptor,
    mask: ReadFlags,
    name: Option<&[u8]>,
) -> Option<OwnEvent> {
    if own.is_empty() {
        return None;
    }
    let name = name?;
    let found = own.iter().position(|o| {
        o.wd == wd
            && mask.contains(o.event.flag())
            && names.as_bytes().get(o.name.clone()) == Some(name)
    });
    found.map(|index| own.remove(index).event)
}

impl Watcher {
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
}
