//! Taking the state whole — a `--state` snapshot — and putting it back to the
//! fixtures — a reset — without stalling the requests: with a million leads, either
//! one done under the store's lock held every request for seconds.
//!
//! A snapshot copies the leads a chunk at a time from a table frozen for it (see
//! `table`), taking the lock for each chunk only, and renders them outside it. It
//! freezes the table, takes the accounts and cuts the `--state` log in one hold of
//! the lock, so it is exactly the state after the log's record `log_seq`: every
//! later change goes to the log after that record, and the snapshot and the log's
//! later records replay to the acknowledged state, each change once.
//!
//! A reset builds the fresh state outside the lock and swaps it in under it, taking
//! care that no lead id handed out meanwhile is handed out again, and logs itself in
//! that same hold, so the log has it after every change made to the old state and
//! before every change made to the new. The heavy part of either, done without the
//! lock, runs on a background thread, at the lowest CPU priority for a large state
//! (`background`); a snapshot's chunks are copied by the runtime that serves the
//! requests when there is one ([`Export::copying_on`]).

use super::accounts::Form;
use super::changes::Change;
use super::load::{SNAPSHOT_VERSION, Snapshot, lead_spec};
use super::table::Copied;
use super::{Map, State, Store};
use crate::background::{self, Lane};
use crate::fixtures::{AccountSpec, Dataset, FixtureError, LeadSpec};
use crate::holds::Timed;
use std::sync::MutexGuard;
use std::sync::atomic::{AtomicU64, Ordering};

/// Leads copied under one hold of the lock: about 0.1 ms of work (2,048 took 0.3 ms
/// on average and up to 5 ms when their memory was first touched, sampled with
/// `perf` during a snapshot of a million leads).
const CHUNK: u64 = 512;

/// Leads copied (chunk by chunk) before they are rendered in one go, on a background
/// thread for a large snapshot: a bound on the copies held at once.
const BATCH: usize = if cfg!(test) {
    2 * CHUNK as usize
} else {
    65_536
};

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

/// A snapshot being taken: begun in one hold of the lock, then copied a chunk at a
/// time ([`Export::copy_chunk`]) while requests go on, and rendered a batch at a
/// time ([`Export::next_batch`]).
pub(crate) struct Export<'s> {
    thaw: Thaw<'s>,
    accounts: Vec<AccountSpec>,
    next_lid: u64,
    log_seq: u64,
    /// The leads the snapshot holds.
    count: usize,
    /// The next lead id to copy.
    from: u64,
    /// A form never changes the names its leads' fields are shown under: copied
    /// once, when its first lead is, it renders all of them outside the lock.
    forms: Map<u64, Form>,
    /// The chunks copied and not rendered yet, each as its copier made it (see
    /// [`Export::free`]), and how many leads they hold.
    copies: Vec<Vec<Copied>>,
    held: usize,
    /// Where the chunks are copied: on the caller's thread, or as tasks of the
    /// runtime that serves the requests ([`Export::copying_on`]).
    runtime: Option<tokio::runtime::Handle>,
    runtime_gone: bool,
}

/// A chunk of leads copied, with the forms they were made with.
type Chunk = (Vec<Copied>, Vec<(u64, Form)>);

/// A reset or a restore replaced the state before a snapshot of it was done.
#[derive(Debug)]
pub(crate) struct Replaced;

impl Store {
    /// Everything, in the dataset format with lead ids: what `--state` writes. It is
    /// the state as it was when the call began, taken without holding the lock for
    /// more than a chunk of leads at a time; rendering it takes a while with many
    /// leads, so call it off the runtime's worker threads.
    ///
    /// With a log attached, the snapshot says up to which record it holds the
    /// changes (`log_seq`), and the log starts a new segment after that record, so
    /// the older segments can go once the snapshot is written.
    pub fn export(&self) -> Snapshot {
        'again: loop {
            let mut export = self.begin_export();
            let mut leads = Vec::with_capacity(export.count);
            loop {
                match export.next_batch(|batch| leads.extend(batch)) {
                    Ok(Some(())) => {}
                    Ok(None) => return export.into_snapshot(leads),
                    // Begin again on the new state.
                    Err(Replaced) => continue 'again,
                }
            }
        }
    }

    /// Begins a snapshot of the state as it is now.
    pub(crate) fn begin_export(&self) -> Export<'_> {
        let id = SNAPSHOTS.fetch_add(1, Ordering::Relaxed);
        let mut state = self.lock();
        let next_lid = state.next_lid;
        state.leads.freeze(id, next_lid);
        // In the same hold: the snapshot holds the changes of exactly the records up
        // to this one.
        let log_seq = self.shared.log.get().map_or(0, |log| log.cut());
        let from = state.leads.first_lid();
        let count = state.leads.len();
        let accounts = state.account_specs();
        drop(state);
        Export {
            thaw: Thaw { store: self, id },
            accounts,
            next_lid,
            log_seq,
            count,
            from,
            forms: Map::default(),
            copies: Vec::new(),
            held: 0,
            runtime: None,
            runtime_gone: false,
        }
    }

    /// Copies the leads `[from, to)` of the table frozen as snapshot `id` under one
    /// hold of the lock, with the forms they were made with.
    fn copy_frozen_chunk(&self, id: u64, from: u64, to: u64) -> Result<Chunk, Replaced> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let chunk = state
            .leads
            .copy_frozen(id, from, to, &state.routes)
            .ok_or(Replaced)?;
        let mut forms: Vec<(u64, Form)> = Vec::new();
        for (lead, _) in &chunk {
            if !forms.iter().any(|(id, _)| *id == lead.form_id) {
                forms.push((lead.form_id, state.forms[&lead.form_id].clone()));
            }
        }
        Ok((chunk, forms))
    }
}

impl Export<'_> {
    /// The next lead id to hand out, as the snapshot holds it.
    pub(crate) fn next_lid(&self) -> u64 {
        self.next_lid
    }

    /// The last record of the log whose change the snapshot holds.
    pub(crate) fn log_seq(&self) -> u64 {
        self.log_seq
    }

    /// Every account, as the snapshot holds them.
    pub(crate) fn accounts(&self) -> &[AccountSpec] {
        &self.accounts
    }

    /// Copies each chunk as a task of `runtime`, the one that serves the requests,
    /// and waits for it: the caller must be a thread that may block, not one of
    /// `runtime`'s workers. The caller then takes the store's lock only to begin and
    /// to end, and the chunks' holds are a worker's, each about as long as a
    /// request's: a thread copying under the lock that another program's thread
    /// preempted held every request up for as long (seen at 8–20 ms in `perf sched`
    /// traces of the stall phase).
    pub(crate) fn copying_on(mut self, runtime: Option<tokio::runtime::Handle>) -> Self {
        self.runtime = runtime;
        self
    }

    /// Whether the runtime it copied on went away (it is shutting down): a snapshot
    /// begun again should copy on the caller's thread.
    pub(crate) fn runtime_gone(&self) -> bool {
        self.runtime_gone
    }

    /// Copies the next chunk of leads under the lock; false once every lead is
    /// copied. If the runtime copying it is gone, the chunk may be lost: the
    /// snapshot must begin again ([`Replaced`], and [`Export::runtime_gone`]).
    pub(crate) fn copy_chunk(&mut self) -> Result<bool, Replaced> {
        if self.from >= self.next_lid {
            return Ok(false);
        }
        let (id, from, to) = (
            self.thaw.id,
            self.from,
            self.from.saturating_add(CHUNK).min(self.next_lid),
        );
        let (chunk, forms) = match &self.runtime {
            Some(runtime) => {
                let store = self.thaw.store.clone();
                let (done, copied) = tokio::sync::oneshot::channel();
                runtime.spawn(async move {
                    let _ = done.send(store.copy_frozen_chunk(id, from, to));
                });
                // No answer: the runtime is shutting down, or the task failed after
                // it may have taken the chunk from the freeze.
                let Ok(copied) = copied.blocking_recv() else {
                    self.runtime_gone = true;
                    return Err(Replaced);
                };
                copied?
            }
            None => self.thaw.store.copy_frozen_chunk(id, from, to)?,
        };
        for (form_id, form) in forms {
            self.forms.entry(form_id).or_insert(form);
        }
        self.held += chunk.len();
        self.copies.push(chunk);
        self.from = to;
        Ok(true)
    }

    /// Copies chunks until a batch of leads is held (or every lead is), then renders
    /// them — on the low-priority background thread for a large snapshot — and gives
    /// them to `sink` there, which frees them once `sink` returns (see
    /// `background`): `sink`'s answer, or `None` once every lead was given.
    pub(crate) fn next_batch<R: Send>(
        &mut self,
        sink: impl FnOnce(Vec<LeadSpec>) -> R + Send,
    ) -> Result<Option<R>, Replaced> {
        while self.held < BATCH && self.copy_chunk()? {}
        if self.held == 0 {
            return Ok(None);
        }
        let copies = std::mem::take(&mut self.copies);
        self.held = 0;
        let forms = &self.forms;
        let answer = background::run(Lane::while_serving(self.count), || {
            sink(
                copies
                    .iter()
                    .flatten()
                    .map(|(lead, routes)| lead_spec(lead, &forms[&lead.form_id], routes.clone()))
                    .collect(),
            )
        });
        self.free(copies);
        Ok(Some(answer))
    }

    /// Frees copies by the thread that made them: each chunk, as it came, by a task
    /// of the runtime that copied it, or here.
    fn free(&self, copies: Vec<Vec<Copied>>) {
        let Some(runtime) = &self.runtime else {
            return drop(copies);
        };
        for chunk in copies {
            runtime.spawn(async move { drop(chunk) });
        }
    }

    /// The snapshot, once every lead is copied.
    #[cfg(test)]
    pub(crate) fn finish(mut self) -> Snapshot {
        debug_assert!(self.from >= self.next_lid, "a snapshot copied whole");
        let mut leads = Vec::with_capacity(self.count);
        while let Ok(Some(())) = self.next_batch(|batch| leads.extend(batch)) {}
        self.into_snapshot(leads)
    }

    fn into_snapshot(mut self, leads: Vec<LeadSpec>) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            next_lid: self.next_lid,
            accounts: std::mem::take(&mut self.accounts),
            leads,
            log_seq: self.log_seq,
        }
    }
}

impl Store {
    /// Back to the dataset the store started from. Lead, created-account and
    /// created-form ids keep increasing, so an id handed out before the reset is
    /// never reused.
    ///
    /// The dataset is rebuilt outside the lock (at the lowest CPU priority when it is
    /// large) — with a large `--fixtures` dataset, read again from its files, that
    /// takes as long as loading it took at start — and swapped in under it, so
    /// requests go on meanwhile. The fresh leads take ids from the counter as it was when the build
    /// began; if requests took some of those meanwhile, the build is done again with
    /// a range of ids set aside for it (after a few tries, under the lock). If the
    /// files changed and no longer load, the error says why and the state is left as
    /// it was. The old state is freed after the lock is released, in the background.
    pub fn reset(&self) -> Result<(), FixtureError> {
        self.reset_between(|| {})
    }

    /// [`Store::reset`], running `meanwhile` after each build, before its swap: a
    /// test's requests made while a reset is built.
    pub(crate) fn reset_between(&self, mut meanwhile: impl FnMut()) -> Result<(), FixtureError> {
        let dataset = &self.shared.dataset;
        let floor_now = self.lock().next_lid;
        // The fresh leads' ids start at `floor`; `[floor, reserved)` is set aside for
        // them (empty at first).
        let (mut floor, mut reserved) = (floor_now, floor_now);
        for _ in 0..RESET_ATTEMPTS {
            // As large as the state it replaces, give or take the changes since.
            let lane = Lane::while_serving(self.lock().leads.len());
            let fresh = State::build(lane, dataset, self.shared.phone_match, floor)?;
            meanwhile();
            let mut state = self.lock();
            // Requests took the ids from `reserved` to `state.next_lid` meanwhile.
            if fresh.next_lid <= reserved || state.next_lid == reserved {
                self.swap_in(state, fresh, floor, true);
                return Ok(());
            }
            let needed = fresh.next_lid - floor;
            floor = state.next_lid;
            reserved = floor + needed;
            state.next_lid = reserved;
        }
        // The dataset keeps needing more ids than were set aside (its files grow as
        // they are read): build it under the lock.
        self.replace_with(dataset, 0, true)
    }

    /// Builds a state from `dataset` and swaps it in, all under one lock, keeping
    /// every id counter at least where it was: for a restore, at start (the log's
    /// base, not a change in it), and for a reset that could not be done outside the
    /// lock (`logged`).
    pub(super) fn replace_with(
        &self,
        dataset: &Dataset,
        lid_floor: u64,
        logged: bool,
    ) -> Result<(), FixtureError> {
        let state = self.lock();
        let floor = state.next_lid.max(lid_floor);
        // Under the lock, so at normal priority. A large one may wait for the start
        // lane's work queued before it (freeing a state): this path is a restore at
        // start, or a reset that could not be built outside the lock.
        let lane = Lane::normal_priority(dataset.leads_known());
        let fresh = State::build(lane, dataset, self.shared.phone_match, floor)?;
        self.swap_in(state, fresh, floor, logged);
        Ok(())
    }

    /// Swaps `fresh`, whose leads are numbered from `floor`, in for the state
    /// `state` guards, keeping every id counter at least where it was, and logs it
    /// as a reset when `logged`. The old state is freed in the background.
    fn swap_in(
        &self,
        mut state: Timed<MutexGuard<'_, State>>,
        mut fresh: State,
        floor: u64,
        logged: bool,
    ) {
        keep_counters(&mut fresh, &state);
        if logged {
            self.log(&Change::Reset {
                lid_floor: floor,
                next_lid: fresh.next_lid,
                next_aid: fresh.next_aid,
                next_form: fresh.next_form,
            });
        }
        let old = std::mem::replace(&mut *state, fresh);
        self.changed();
        if logged {
            self.shared.resets.fetch_add(1, Ordering::Relaxed);
        }
        drop(state);
        background::drop_later(old.home, old);
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

/// Leads a chunk copies, for the tests that interleave changes with one.
#[cfg(test)]
pub(crate) const CHUNK_LEADS: u64 = CHUNK;

/// Leads rendered at once, for the tests of a snapshot written a batch at a time.
#[cfg(test)]
pub(crate) const BATCH_LEADS: usize = BATCH;
