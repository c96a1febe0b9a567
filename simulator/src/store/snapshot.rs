//! Taking the state whole — a `--state` snapshot — and putting it back to the
//! fixtures — a reset — without stalling the requests: with a million leads, either
//! one done under the store's lock held every request for seconds.
//!
//! A snapshot copies the leads a chunk at a time from a table frozen for it (see
//! `table`), taking the lock for each chunk only, and renders them outside it. A
//! reset builds the fresh state outside the lock and swaps it in under it, taking
//! care that no lead id handed out meanwhile is handed out again. The heavy part of
//! either, done without the lock, runs at the lowest CPU priority (`background`).

use super::accounts::Form;
use super::load::{SNAPSHOT_VERSION, Snapshot, lead_spec};
use super::{Map, State, Store};
use crate::background;
use crate::fixtures::FixtureError;
use std::sync::atomic::{AtomicU64, Ordering};

/// Leads copied under one hold of the lock: a fraction of a millisecond's work.
const CHUNK: u64 = 2_048;

/// Leads copied (chunk by chunk) before they are rendered, at low priority, in one
/// go: a bound on the copies held at once.
const BATCH: u64 = 65_536;

/// How many times a reset builds the fixtures outside the lock before it builds them
/// under it (see [`Store::reset`]).
const RESET_ATTEMPTS: usize = 3;

/// Tells snapshots apart, across every store and table of the process.
static SNAPSHOTS: AtomicU64 = AtomicU64::new(1);

/// Ends a snapshot's freeze however the snapshot ends.
struct Thaw<'s> {
    store: &'s Store,
    id: u64,
}

impl Drop for Thaw<'_> {
    fn drop(&mut self) {
        self.store.lock().leads.thaw(self.id);
    }
}

impl Store {
    /// Everything, in the dataset format with lead ids: what `--state` writes. It is
    /// the state as it was when the call began, taken without holding the lock for
    /// more than a chunk of leads at a time; rendering it takes a while with many
    /// leads, so call it off the runtime's worker threads.
    pub fn export(&self) -> Snapshot {
        loop {
            if let Some(snapshot) = self.try_export() {
                return snapshot;
            }
            // A reset or a restore replaced the state mid-way: begin again on the new.
        }
    }

    /// A snapshot, or `None` when the state was replaced before it was done.
    fn try_export(&self) -> Option<Snapshot> {
        let id = SNAPSHOTS.fetch_add(1, Ordering::Relaxed);
        let (accounts, next_lid, mut from, count) = {
            let mut state = self.lock();
            let next_lid = state.next_lid;
            state.leads.freeze(id, next_lid);
            let first = state.leads.first_lid();
            (state.account_specs(), next_lid, first, state.leads.len())
        };
        let _thaw = Thaw { store: self, id };
        // A form never changes the names its leads' fields are shown under: copied
        // once, when its first lead is, it renders all of them outside the lock.
        let mut forms: Map<u64, Form> = Map::default();
        let mut leads = Vec::with_capacity(count);
        while from < next_lid {
            let batch_end = from.saturating_add(BATCH).min(next_lid);
            let mut batch = Vec::new();
            while from < batch_end {
                let to = from.saturating_add(CHUNK).min(batch_end);
                let mut state = self.lock();
                let chunk = state.leads.copy_frozen(id, from, to)?;
                for lead in &chunk {
                    forms
                        .entry(lead.form_id)
                        .or_insert_with(|| state.forms[&lead.form_id].clone());
                }
                drop(state);
                batch.extend(chunk);
                from = to;
            }
            let (forms, copies, rendered) = (&forms, &batch, &mut leads);
            background::run(move || {
                rendered.extend(copies.iter().map(|l| lead_spec(l, &forms[&l.form_id])));
            });
            // Freed here, by the thread that allocated the copies (see `background`).
            drop(batch);
        }
        Some(Snapshot {
            version: SNAPSHOT_VERSION,
            next_lid,
            accounts,
            leads,
        })
    }

    /// Back to the dataset the store started from. Lead, created-account and
    /// created-form ids keep increasing, so an id handed out before the reset is
    /// never reused.
    ///
    /// The dataset is rebuilt outside the lock, at the lowest CPU priority — with a
    /// large `--fixtures` dataset, read again from its files, that takes as long as
    /// loading it took at start — and swapped in under it, so requests go on
    /// meanwhile. The fresh leads take ids from the counter as it was when the build
    /// began; if requests took some of those meanwhile, the build is done again with
    /// a range of ids set aside for it (after a few tries, under the lock). If the
    /// files changed and no longer load, the error says why and the state is left as
    /// it was. The old state is freed after the lock is released, in the background.
    pub fn reset(&self) -> Result<(), FixtureError> {
        let dataset = &self.shared.dataset;
        let floor_now = self.lock().next_lid;
        // The fresh leads' ids start at `floor`; `[floor, reserved)` is set aside for
        // them (empty at first).
        let (mut floor, mut reserved) = (floor_now, floor_now);
        for _ in 0..RESET_ATTEMPTS {
            let phone_match = self.shared.phone_match;
            let mut fresh = background::run(|| State::from_dataset(dataset, phone_match, floor))?;
            let mut state = self.lock();
            // Requests took the ids from `reserved` to `state.next_lid` meanwhile.
            if fresh.next_lid <= reserved || state.next_lid == reserved {
                keep_counters(&mut fresh, &state);
                let old = std::mem::replace(&mut *state, fresh);
                self.changed();
                drop(state);
                background::drop_later(old);
                return Ok(());
            }
            let needed = fresh.next_lid - floor;
            floor = state.next_lid;
            reserved = floor + needed;
            state.next_lid = reserved;
        }
        // The dataset keeps needing more ids than were set aside (its files grow as
        // they are read): build it under the lock.
        self.replace_with(dataset, 0)
    }

    /// Builds a state from `dataset` and swaps it in, all under one lock, keeping
    /// every id counter at least where it was: for a restore, at start, and for a
    /// reset that could not be done outside the lock.
    pub(super) fn replace_with(
        &self,
        dataset: &crate::fixtures::Dataset,
        lid_floor: u64,
    ) -> Result<(), FixtureError> {
        let mut state = self.lock();
        let floor = state.next_lid.max(lid_floor);
        let mut fresh = State::from_dataset(dataset, self.shared.phone_match, floor)?;
        keep_counters(&mut fresh, &state);
        let old = std::mem::replace(&mut *state, fresh);
        self.changed();
        drop(state);
        background::drop_later(old);
        Ok(())
    }
}

/// Keeps every id counter of `fresh` at least where `old`'s is. Created accounts
/// and forms keep increasing too: a crmConfig handed out before (same aid, so the
/// same derived tokens and key) must not reach an account created after.
fn keep_counters(fresh: &mut State, old: &State) {
    fresh.next_lid = fresh.next_lid.max(old.next_lid);
    fresh.next_aid = fresh.next_aid.max(old.next_aid);
    fresh.next_form = fresh.next_form.max(old.next_form);
}
