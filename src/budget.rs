//! The host-FD budget: how many host FDs a tree may hold at once, counted
//! where they are made, so the bound holds whatever shape the guest gives
//! the tree.
//!
//! Every FD a tree keeps is charged here: each dentry's (roots, held ones,
//! the ancestors a held dentry keeps alive, cached ones) and each open
//! handle's (until the last stream sharing it is dropped too). Before an
//! operation makes a new FD it asks for room ([`FdBudget::has_room`]); the
//! tree first evicts cached dentries to make it, and where none can go the
//! guest gets `too-many-open` — before any side effect on the host. So at
//! every moment, for one context:
//!
//! ```text
//! host FDs held  ≤  max-open + max-cached-dentries + preopens
//! ```
//!
//! plus at most two transient FDs inside one call (a re-open of an `O_PATH`
//! directory for `read-dir`, the write FD of one `set-stat`, the read FD of
//! an extended-attribute call on an `O_PATH` file), and the
//! directory FD of a lookup running with the tree unlocked if its dentry is
//! evicted meanwhile (kept open by the lookup until it returns; see
//! `dentry/deferred.rs`). The FD a lookup opens is charged before it runs.
//!
//! The counters are atomics, so one budget can be shared by several trees.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A count of host FDs held against a limit, with its peak.
#[derive(Debug)]
pub(crate) struct FdBudget {
    /// FDs charged now.
    used: AtomicUsize,
    /// The most ever charged at once.
    peak: AtomicUsize,
    /// The most that may be charged ([`FdBudget::has_room`]).
    limit: AtomicUsize,
}

impl Default for FdBudget {
    fn default() -> Self {
        Self {
            used: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            limit: AtomicUsize::new(usize::MAX),
        }
    }
}

impl FdBudget {
    /// Sets the limit.
    pub(crate) fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Relaxed);
    }

    /// The limit.
    pub(crate) fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// FDs charged now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// The most FDs ever charged at once.
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Whether `n` more FDs fit under the limit.
    pub(crate) fn has_room(&self, n: usize) -> bool {
        self.used().saturating_add(n) <= self.limit()
    }

    /// Charges one FD (the caller checked [`FdBudget::has_room`], or the FD
    /// is one the embedder made, such as a preopen root).
    pub(crate) fn charge(&self) {
        let now = self.used.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    /// Returns one FD charged by [`FdBudget::charge`].
    pub(crate) fn refund(&self) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Charges one FD and returns a token that refunds it when dropped.
    pub(crate) fn charge_token(self: &Arc<Self>) -> FdCharge {
        self.charge();
        FdCharge {
            budget: Arc::clone(self),
        }
    }
}

/// One FD charged to an [`FdBudget`], refunded on drop. Kept beside the FD
/// it stands for, so both go together.
#[derive(Debug)]
pub(crate) struct FdCharge {
    budget: Arc<FdBudget>,
}

impl Drop for FdCharge {
    fn drop(&mut self) {
        self.budget.refund();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_refunds_and_keeps_the_peak() {
        let budget = Arc::new(FdBudget::default());
        budget.set_limit(2);
        assert!(budget.has_room(2) && !budget.has_room(3));
        let a = budget.charge_token();
        budget.charge();
        assert_eq!((budget.used(), budget.peak()), (2, 2));
        assert!(!budget.has_room(1));
        drop(a);
        budget.refund();
        assert_eq!((budget.used(), budget.peak()), (0, 2));
        budget.refund();
        assert_eq!(budget.used(), 0, "never below zero");
    }
}
