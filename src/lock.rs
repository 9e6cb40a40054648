//! Advisory record locks for guests, which WASI lacks: Linux
//! open-file-description locks (`F_OFD_SETLK`, `F_OFD_GETLK`) on a
//! [`Handle`]'s host FD.
//!
//! # Semantics
//! - A lock is owned by the handle's open file (its host open file
//!   description): two handles conflict, even in one store; the streams a
//!   handle made share its locks (they share its open file). Locking again
//!   bytes the handle holds changes their kind (upgrade, downgrade) and
//!   merges ranges, as `fcntl` does; unlocking part of a range splits it.
//! - Locks go when the open file closes: the handle and the streams made
//!   from it dropped, or the store dropped (its resource table with them),
//!   whatever the guest did, trap included.
//! - They are the kernel's record locks, so they conflict with host
//!   processes' `fcntl` locks (`F_SETLK`, `F_OFD_SETLK`, `lockf`) on the same
//!   file, and on Linux with nothing taken by `flock(2)` (a separate kind).
//!   The kernel reports no deadlock for open-file-description locks: two
//!   guests that wait on each other wait until interrupted.
//!
//! # Waiting
//! The kernel's waiting lock (`F_OFD_SETLKW`) holds its thread until the
//! lock comes and cannot be ended from outside. A waiting lock here is a
//! try (`F_OFD_SETLK`) repeated after pauses that double from
//! [`FIRST_PAUSE`] to [`LONGEST_PAUSE`]: on a sync host the pauses sleep on
//! the context's [`Interrupter`] (so `-W timeout` or
//! [`Interrupter::interrupt`] ends them at once, with `interrupted`); on
//! an async host they are tokio timers raced against the interrupter, so no
//! thread waits at all, and dropping the guest's future ends the wait.
//!
//! # Limits
//! The kernel keeps one lock record per range of one kind an open file
//! holds. Each handle keeps the same ranges ([`HeldLocks`], merged and
//! split as the kernel does), so a context knows how many records its guest
//! pins, and a lock or unlock that would take it past
//! [`crate::Limits::max_locks`] fails with `no-lock` before any syscall.
//!
//! # Lock order
//! [`HeldLocks`]' mutex is a leaf: held across one non-blocking `fcntl`, with
//! no other directfs lock taken inside it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use nix::errno::Errno;

use crate::ctx::DirectfsCtx;
use crate::error::ErrorCode;
use crate::handle::Handle;
use crate::interrupt::Interrupter;
use crate::sys;
use crate::types::{LockConflict, LockKind, LockRange};

/// The first pause of a waiting lock between two tries.
pub(crate) const FIRST_PAUSE: Duration = Duration::from_millis(1);

/// The longest pause of a waiting lock between two tries: how late, at
/// most, a waiter notices that the lock came free.
pub(crate) const LONGEST_PAUSE: Duration = Duration::from_millis(16);

/// The end of a range to the end of the file: the kernel's `OFFSET_MAX`
/// (`i64::MAX`) + 1.
const TO_END: u64 = 1 << 63;

/// The pauses of one waiting lock: [`FIRST_PAUSE`], doubling up to
/// [`LONGEST_PAUSE`].
#[derive(Debug)]
pub(crate) struct Pauses(Duration);

impl Default for Pauses {
    fn default() -> Self {
        Self(FIRST_PAUSE)
    }
}

impl Pauses {
    /// The next pause.
    pub(crate) fn next_pause(&mut self) -> Duration {
        let pause = self.0;
        self.0 = (pause * 2).min(LONGEST_PAUSE);
        pause
    }
}

/// A checked [`LockRange`]: bytes `start .. end`, `end` at most
/// [`TO_END`] (which stands for "to the end of the file").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u64,
    end: u64,
}

impl Span {
    /// Checks `range` as the kernel would, before any syscall: a start or
    /// length past `i64::MAX` is `invalid` (`fcntl` would read it as
    /// negative), a last byte past `i64::MAX` is `overflow`.
    fn new(range: LockRange) -> Result<Self, ErrorCode> {
        let max = i64::MAX.unsigned_abs();
        if range.start > max || range.len > max {
            return Err(ErrorCode::Invalid);
        }
        let end = match range.len {
            0 => TO_END,
            len => range.start + len, // both at most i64::MAX: no overflow
        };
        if end > TO_END {
            return Err(ErrorCode::Overflow);
        }
        Ok(Self {
            start: range.start,
            end,
        })
    }

    /// `l_start` and `l_len` of the span (`l_len` 0: to the end).
    fn flock(self) -> (i64, i64) {
        let len = match self.end {
            TO_END => 0,
            end => end - self.start,
        };
        // Both at most i64::MAX (checked in `new`).
        (
            i64::try_from(self.start).unwrap_or(i64::MAX),
            i64::try_from(len).unwrap_or(i64::MAX),
        )
    }
}

/// The lock records one open file holds, as the kernel keeps them: ranges
/// sorted by start, none overlapping, no two of one kind touching (those
/// the kernel merges). Kept by each [`Handle`]'s open file, so that a
/// context knows how many records its guest pins.
#[derive(Debug, Default)]
pub(crate) struct HeldLocks {
    /// `(start, end, kind)` of each record.
    ranges: Vec<(u64, u64, LockKind)>,
    /// The context count the records are charged to (set at the first
    /// lock), given back when the open file closes.
    charged: Option<Arc<AtomicUsize>>,
}

impl HeldLocks {
    /// The records after bytes `span` are set to `kind` (`None`:
    /// unlocked), as the kernel would make them.
    fn with(&self, span: Span, kind: Option<LockKind>) -> Vec<(u64, u64, LockKind)> {
        let mut out = Vec::with_capacity(self.ranges.len() + 2);
        for &(start, end, held) in &self.ranges {
            if end <= span.start || start >= span.end {
                out.push((start, end, held));
                continue;
            }
            if start < span.start {
                out.push((start, span.start, held));
            }
            if end > span.end {
                out.push((span.end, end, held));
            }
        }
        if let Some(kind) = kind {
            out.push((span.start, span.end, kind));
        }
        out.sort_unstable_by_key(|&(start, _, _)| start);
        let mut merged: Vec<(u64, u64, LockKind)> = Vec::with_capacity(out.len());
        for range in out {
            match merged.last_mut() {
                Some(last) if last.1 == range.0 && last.2 == range.2 => last.1 = range.1,
                _ => merged.push(range),
            }
        }
        merged
    }

    /// Replaces the records with `ranges`, moving the difference in their
    /// number onto `held` (the context's count).
    fn set(&mut self, ranges: Vec<(u64, u64, LockKind)>, held: &Arc<AtomicUsize>) {
        let charged = self.charged.get_or_insert_with(|| held.clone());
        charged.fetch_add(ranges.len(), Ordering::Relaxed);
        charged.fetch_sub(self.ranges.len(), Ordering::Relaxed);
        self.ranges = ranges;
    }
}

impl Drop for HeldLocks {
    /// The open file closes, and the kernel drops its records with it.
    fn drop(&mut self) {
        if let Some(charged) = &self.charged {
            charged.fetch_sub(self.ranges.len(), Ordering::Relaxed);
        }
    }
}

/// A context's allowance of lock records: how many its handles hold
/// (`held`, shared with each handle's [`HeldLocks`]) and the most they may
/// ([`crate::Limits::max_locks`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LockBudget<'a> {
    pub(crate) held: &'a Arc<AtomicUsize>,
    pub(crate) max: usize,
}

impl LockBudget<'_> {
    /// Fails with `no-lock` if a handle going from `before` records to
    /// `after` would take the context past its maximum. Fewer records are
    /// always allowed.
    fn check(self, before: usize, after: usize) -> Result<(), ErrorCode> {
        let held = self.held.load(Ordering::Relaxed);
        match after <= before || held.saturating_sub(before) + after <= self.max {
            true => Ok(()),
            false => Err(ErrorCode::NoLock),
        }
    }
}

/// A shared lock of [`Mutex`]`<HeldLocks>`, whatever a panic left.
fn locked(locks: &Mutex<HeldLocks>) -> std::sync::MutexGuard<'_, HeldLocks> {
    locks.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Handle {
    /// Takes a lock of `kind` on `range` now, or fails with `would-block`
    /// if another owner holds a conflicting one (see the module docs).
    pub(crate) fn try_lock(
        &self,
        range: LockRange,
        kind: LockKind,
        budget: LockBudget<'_>,
    ) -> Result<(), ErrorCode> {
        self.set_lock(range, Some(kind), budget)
    }

    /// Takes a lock of `kind` on `range`, waiting for it: tries again after
    /// [`Pauses`] slept on `interrupter`, which ends the wait with
    /// `interrupted`. For sync hosts (async ones pause on a timer:
    /// [`pause`]).
    pub(crate) fn lock_waiting(
        &self,
        range: LockRange,
        kind: LockKind,
        budget: LockBudget<'_>,
        interrupter: &Interrupter,
    ) -> Result<(), ErrorCode> {
        let mut pauses = Pauses::default();
        loop {
            match self.try_lock(range, kind, budget) {
                Err(ErrorCode::WouldBlock) => interrupter.sleep(pauses.next_pause())?,
                done => return done,
            }
        }
    }

    /// Releases the handle's locks on `range` (splitting a range that
    /// reaches past it). Releasing bytes the handle does not hold is not an
    /// error.
    pub(crate) fn unlock(&self, range: LockRange, budget: LockBudget<'_>) -> Result<(), ErrorCode> {
        self.set_lock(range, None, budget)
    }

    /// A lock of another owner that keeps a lock of `kind` on `range` from
    /// being taken now, if any (the handle's own locks never do).
    pub(crate) fn test_lock(
        &self,
        range: LockRange,
        kind: LockKind,
    ) -> Result<Option<LockConflict>, ErrorCode> {
        let (start, len) = Span::new(range)?.flock();
        let found = sys::fcntl_ofd_getlk(self.fd(), kind, start, len)?;
        Ok(found.map(|(kind, start, len)| LockConflict {
            kind,
            range: LockRange {
                start: start.unsigned_abs(),
                len: len.unsigned_abs(),
            },
        }))
    }

    /// Sets bytes `range` to `kind` (`None`: unlocked) for this handle's
    /// open file: one `F_OFD_SETLK`, with the records it leaves checked
    /// against `budget` before and kept after.
    fn set_lock(
        &self,
        range: LockRange,
        kind: Option<LockKind>,
        budget: LockBudget<'_>,
    ) -> Result<(), ErrorCode> {
        let span = Span::new(range)?;
        let (start, len) = span.flock();
        let mut held = locked(self.held_locks());
        let after = held.with(span, kind);
        budget.check(held.ranges.len(), after.len())?;
        sys::fcntl_ofd_setlk(self.fd(), kind, start, len).map_err(|errno| match errno {
            // POSIX lets a conflict be either.
            Errno::EACCES => ErrorCode::WouldBlock,
            errno => errno.into(),
        })?;
        held.set(after, budget.held);
        Ok(())
    }
}

impl DirectfsCtx {
    /// `lock` on `handle` for any frontend: a try, or with `wait` a
    /// waiting lock that pauses on the context's interrupter (sync hosts;
    /// async ones wait with [`crate::DirectfsCtxView::wait_for_lock`]).
    pub(crate) fn lock(
        &self,
        handle: &Handle,
        range: LockRange,
        kind: LockKind,
        wait: bool,
    ) -> Result<(), ErrorCode> {
        let budget = self.lock_budget();
        self.counting(|| match wait {
            true => handle.lock_waiting(range, kind, budget, &self.interrupter),
            false => handle.try_lock(range, kind, budget),
        })
    }

    /// `unlock` on `handle` for any frontend.
    pub(crate) fn unlock(&self, handle: &Handle, range: LockRange) -> Result<(), ErrorCode> {
        self.counting(|| handle.unlock(range, self.lock_budget()))
    }

    /// `test-lock` on `handle` for any frontend.
    pub(crate) fn test_lock(
        &self,
        handle: &Handle,
        range: LockRange,
        kind: LockKind,
    ) -> Result<Option<LockConflict>, ErrorCode> {
        self.counting(|| handle.test_lock(range, kind))
    }
}

/// One pause of a waiting lock on an async host: a tokio timer raced
/// against `interrupter` (`interrupted` if it wins). Outside a tokio
/// runtime, a sleep on `interrupter` as on sync hosts.
///
/// # Preconditions
/// A tokio runtime, if present, has its time driver (as wasmtime-wasi's
/// clocks need too).
pub(crate) async fn pause(interrupter: &Interrupter, pause: Duration) -> Result<(), ErrorCode> {
    if tokio::runtime::Handle::try_current().is_err() {
        return interrupter.sleep(pause);
    }
    let mut sleep = std::pin::pin!(tokio::time::sleep(pause));
    let mut interrupted = std::pin::pin!(interrupter.interrupted());
    std::future::poll_fn(|cx| {
        if interrupted.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(Err(ErrorCode::Interrupted));
        }
        sleep.as_mut().poll(cx).map(Ok)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u64, len: u64) -> Span {
        Span::new(LockRange { start, len }).unwrap()
    }

    fn set(held: &mut HeldLocks, count: &Arc<AtomicUsize>, s: Span, kind: Option<LockKind>) {
        let after = held.with(s, kind);
        held.set(after, count);
    }

    #[test]
    fn ranges_split_and_merge_as_the_kernel_keeps_them() {
        use LockKind::{Exclusive as X, Shared as S};
        let count = Arc::new(AtomicUsize::new(0));
        let mut held = HeldLocks::default();
        set(&mut held, &count, span(0, 10), Some(S));
        set(&mut held, &count, span(10, 10), Some(S));
        assert_eq!(
            held.ranges,
            [(0, 20, S)],
            "touching ranges of one kind merge"
        );
        set(&mut held, &count, span(5, 5), Some(X));
        assert_eq!(held.ranges, [(0, 5, S), (5, 10, X), (10, 20, S)]);
        assert_eq!(count.load(Ordering::Relaxed), 3);
        set(&mut held, &count, span(5, 5), Some(S));
        assert_eq!(held.ranges, [(0, 20, S)], "a downgrade merges back");
        set(&mut held, &count, span(8, 4), None);
        assert_eq!(held.ranges, [(0, 8, S), (12, 20, S)], "an unlock splits");
        set(&mut held, &count, span(15, 0), Some(X));
        assert_eq!(held.ranges, [(0, 8, S), (12, 15, S), (15, TO_END, X)]);
        set(&mut held, &count, span(0, 0), None);
        assert!(held.ranges.is_empty());
        assert_eq!(count.load(Ordering::Relaxed), 0);
        set(&mut held, &count, span(1, 1), Some(X));
        drop(held);
        assert_eq!(
            count.load(Ordering::Relaxed),
            0,
            "closing gives the records back"
        );
    }

    #[test]
    fn ranges_are_checked_as_the_kernel_would() {
        let max = i64::MAX as u64;
        let check = |start, len| Span::new(LockRange { start, len });
        assert_eq!(check(max + 1, 1), Err(ErrorCode::Invalid));
        assert_eq!(check(0, max + 1), Err(ErrorCode::Invalid));
        assert_eq!(check(max, 2), Err(ErrorCode::Overflow));
        assert_eq!(
            check(max, 1).unwrap().flock(),
            (i64::MAX, 0),
            "the last byte: to the end"
        );
        assert_eq!(check(3, 0).unwrap().flock(), (3, 0));
        assert_eq!(check(3, 4).unwrap().flock(), (3, 4));
    }

    #[test]
    fn the_budget_refuses_more_records_and_allows_fewer() {
        let held = Arc::new(AtomicUsize::new(4));
        let budget = LockBudget {
            held: &held,
            max: 4,
        };
        assert_eq!(budget.check(1, 2), Err(ErrorCode::NoLock));
        assert_eq!(budget.check(1, 1), Ok(()));
        assert_eq!(budget.check(2, 0), Ok(()));
        held.store(3, Ordering::Relaxed);
        assert_eq!(budget.check(1, 2), Ok(()));
    }

    #[test]
    fn pauses_double_up_to_the_longest() {
        let mut pauses = Pauses::default();
        let pauses: Vec<_> = (0..7).map(|_| pauses.next_pause().as_millis()).collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 16, 16]);
    }
}
