//! What a filesystem and its contexts count (host syscalls, lookup hits,
//! lookup misses): per thread, around each tree lock, into striped
//! counters that threads add to without sharing a cache line.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;

use crate::sys;

use super::LockedMark;

/// Where [`Tally`] keeps the syscalls.
pub(crate) const SYSCALLS: usize = 0;
/// Where [`Tally`] keeps the lookups answered from the cache.
pub(crate) const HITS: usize = 1;
/// Where [`Tally`] keeps the lookups that went to the host.
pub(crate) const MISSES: usize = 2;

/// Counts of what a context did: syscalls, lookup hits, lookup misses.
pub(crate) type Tally = [AtomicU64; 3];

/// This thread's running counts, in [`Tally`]'s order.
pub(crate) fn thread_counts() -> [u64; 3] {
    let (hits, misses) = crate::dentry::thread_lookups();
    [sys::thread_syscalls(), hits, misses]
}

/// What a guard counts: this thread's syscalls and lookups from its start
/// to its drop, added to a filesystem's counts and a context's (None: the
/// embedder's own calls, mounting and stats, count nowhere).
pub(crate) struct Counts<'a> {
    to: Option<(&'a StripedCounter, &'a Tally)>,
    start: [u64; 3],
    _locked: LockedMark,
}

impl<'a> Counts<'a> {
    pub(crate) fn start(to: Option<(&'a StripedCounter, &'a Tally)>, locked: LockedMark) -> Self {
        Self {
            to,
            start: thread_counts(),
            _locked: locked,
        }
    }
}

impl Drop for Counts<'_> {
    fn drop(&mut self) {
        if let Some((fs, ctx)) = self.to {
            add_since(self.start, fs, ctx);
        }
    }
}

/// Adds this thread's counts since `start` to `fs` and `ctx`.
pub(crate) fn add_since(start: [u64; 3], fs: &StripedCounter, ctx: &Tally) {
    add_delta(since(start), fs, ctx);
}

/// This thread's counts since `start`.
pub(crate) fn since(start: [u64; 3]) -> [u64; 3] {
    let now = thread_counts();
    let mut delta = [0; 3];
    for ((d, now), start) in delta.iter_mut().zip(now).zip(start) {
        *d = now - start;
    }
    delta
}

/// Adds `delta` to `fs` and `ctx`.
pub(crate) fn add_delta(delta: [u64; 3], fs: &StripedCounter, ctx: &Tally) {
    if delta != [0; 3] {
        fs.add(delta);
        for (cell, n) in ctx.iter().zip(delta) {
            cell.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// How many stripes a [`StripedCounter`] has.
pub(crate) const STRIPES: usize = 8;

/// A [`Tally`] that threads add to at once without sharing a cache line:
/// a padded tally per stripe (threads are given stripes in turn), summed
/// when read. One tally that every call of every thread adds to costs a
/// cache-line transfer per call between cores.
#[derive(Debug, Default)]
pub(crate) struct StripedCounter([CachePadded<Tally>; STRIPES]);

impl StripedCounter {
    pub(crate) fn add(&self, delta: [u64; 3]) {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
        }
        let stripe = STRIPE.with(|s| *s);
        if let Some(tally) = self.0.get(stripe) {
            for (cell, n) in tally.iter().zip(delta) {
                cell.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn sum(&self) -> [u64; 3] {
        let mut sum = [0; 3];
        for tally in &self.0 {
            for (total, cell) in sum.iter_mut().zip(tally.iter()) {
                *total += cell.load(Ordering::Relaxed);
            }
        }
        sum
    }
}
