//! How long the store's and the journal's locks are held, at most, for the
//! benchmark's stall phase (`leadim-bench --phase stall`): while one of them is held,
//! every request that needs it waits, so the longest hold is the longest stall a
//! reader, a snapshot or a reset can cause.
//!
//! Off unless [`enable`]d, since reading the clock twice per lock would be a
//! measurable part of a lookup; off, a lock costs one relaxed load more.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

static ENABLED: AtomicBool = AtomicBool::new(false);
static LONGEST_STORE: AtomicU64 = AtomicU64::new(0);
static LONGEST_JOURNAL: AtomicU64 = AtomicU64::new(0);

/// Which lock a hold is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    /// The store's: accounts, forms, tokens, leads.
    Store,
    /// The journal's.
    Journal,
}

impl Lock {
    fn longest(self) -> &'static AtomicU64 {
        match self {
            Lock::Store => &LONGEST_STORE,
            Lock::Journal => &LONGEST_JOURNAL,
        }
    }
}

/// The longest holds since the last [`take`], in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Holds {
    /// Of the store's lock.
    pub store_us: u64,
    /// Of the journal's lock.
    pub journal_us: u64,
}

/// Starts timing every hold of the two locks, for the rest of the process.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// The longest holds since the last call (or since [`enable`]), and starts afresh.
pub fn take() -> Holds {
    Holds {
        store_us: LONGEST_STORE.swap(0, Ordering::Relaxed),
        journal_us: LONGEST_JOURNAL.swap(0, Ordering::Relaxed),
    }
}

/// A lock's guard that, when timing is on, records how long it was held.
pub(crate) struct Timed<G> {
    guard: G,
    since: Option<Instant>,
    lock: Lock,
}

impl<G> Timed<G> {
    /// Times `guard`, just acquired, as a hold of `lock`.
    pub fn new(guard: G, lock: Lock) -> Timed<G> {
        let since = ENABLED.load(Ordering::Relaxed).then(Instant::now);
        Timed { guard, since, lock }
    }
}

impl<G: Deref> Deref for Timed<G> {
    type Target = G::Target;

    fn deref(&self) -> &G::Target {
        &self.guard
    }
}

impl<G: DerefMut> DerefMut for Timed<G> {
    fn deref_mut(&mut self) -> &mut G::Target {
        &mut self.guard
    }
}

impl<G> Drop for Timed<G> {
    fn drop(&mut self) {
        if let Some(since) = self.since {
            let micros = u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX);
            self.lock.longest().fetch_max(micros, Ordering::Relaxed);
        }
    }
}
