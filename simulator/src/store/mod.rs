//! The simulator's state: accounts, forms, tokens and leads, with the indexes every
//! endpoint looks through.
//!
//! One `std::sync::Mutex` guards it all. Every operation is synchronous and short,
//! so the lock is never held across an `.await`, and a read-modify-write (an update,
//! a submit that takes the next id) happens under the one lock: no lost updates.
//!
//! The store decides nothing about what a request means: each endpoint's rules live
//! in its file under `api/`, and the store runs them under its lock
//! ([`Store::read_account`], [`Store::create_lead`], [`Store::update_lead`]) and
//! applies what they decided.

mod accounts;
mod auth;
mod browse;
mod changes;
mod endpoints;
mod lead;
mod load;
mod manage;
mod phone_index;
mod snapshot;
mod table;

pub(crate) use accounts::Form;
pub use accounts::STANDARD_FIELDS;
pub use browse::{AccountsPage, LeadsPage, MAX_ACCOUNTS_PAGE, MAX_LEADS_PAGE};
pub(crate) use changes::{Change, Logged};
pub(crate) use endpoints::{AccountLeads, CreatedLead, LeadUpdate, NewLead, SubmitTarget};
pub(crate) use lead::{LM_SOURCE, Lead, UTM_BASE, UTM_KEYS, format_time, is_plain};
pub use load::{SNAPSHOT_VERSION, Snapshot};
pub use manage::{Counts, DefaultAccount, FormSettings, SeedError, SeedLead};
pub(crate) use snapshot::Replaced;
#[cfg(test)]
pub(crate) use snapshot::{BATCH_LEADS, CHUNK_LEADS};

use crate::background::Lane;
use crate::fixtures::{Dataset, FixtureError, LeadsSource};
use crate::holds::{Lock, Timed};
use crate::phone::PhoneMatch;
use accounts::{Account, Scopes};
use lead::LeadHead;
use phone_index::PhoneIndex;
use std::collections::{BTreeMap, HashMap};
use std::hash::RandomState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use table::LeadTable;

/// Every map of the store: foldhash, several times faster than SipHash on these
/// short keys; the keys are ours or already checked, so flooding is not a concern.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Real lead ids are about nine digits (117,263,104 is one seen in production):
/// ids start there and still increase by one, so the dense lead table works.
const FIRST_LID: u64 = 117_000_001;
const FIRST_CREATED_AID: u64 = 9_001;
const FIRST_CREATED_FORM: u64 = 90_001;

#[derive(Debug, Clone)]
struct State {
    /// Where it was built (`background`), and so where it is freed once replaced.
    home: Lane,
    accounts: BTreeMap<u64, Account>,
    forms: Map<u64, Form>,
    tokens: Map<Box<str>, (u64, Scopes)>,
    leads: LeadTable,
    /// Hash of (account, phone key) → lead ids. Keyed by the hash alone to spare a
    /// string per lead; a lookup checks each lead's own phone, so a collision costs
    /// nothing but a comparison.
    by_phone: PhoneIndex,
    next_lid: u64,
    next_aid: u64,
    next_form: u64,
    phone_match: PhoneMatch,
    /// Lead id → the advertiser users it is routed to: beside the packed leads, as
    /// few leads are ever routed.
    routes: Map<u64, Vec<u64>>,
    /// Form → the submissions it accepted lately (fingerprint, time), oldest first:
    /// only for forms that refuse repeats, and only within their window.
    recent: Map<u64, std::collections::VecDeque<(u64, i64)>>,
}

/// The store. Cloning it is cheap and shares the state.
#[derive(Debug, Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    generation: AtomicU64,
    /// Resets so far: a snapshot after one is due whatever its size (see
    /// `state_file`).
    resets: AtomicU64,
    state: Mutex<State>,
    dataset: Dataset,
    phone_match: PhoneMatch,
    /// Hashes a created account's ids into its key and tokens.
    keys: RandomState,
    /// With `--state`: the log every change is written to, under the lock.
    log: OnceLock<Arc<crate::state_file::wal::Log>>,
}

impl Store {
    /// Builds the state from a dataset, checking it: every error names the file,
    /// the place and the reason.
    pub fn new(dataset: Dataset, phone_match: PhoneMatch) -> Result<Store, FixtureError> {
        let lane = Lane::normal_priority(dataset.leads_known());
        let state = State::build(lane, &dataset, phone_match, FIRST_LID)?;
        Ok(Store {
            shared: Arc::new(Shared {
                generation: AtomicU64::new(0),
                resets: AtomicU64::new(0),
                state: Mutex::new(state),
                dataset,
                phone_match,
                keys: RandomState::new(),
                log: OnceLock::new(),
            }),
        })
    }

    /// Where the dataset the store started from came from: `embedded`, or the
    /// fixtures folder.
    pub fn origin(&self) -> &str {
        &self.shared.dataset.origin
    }

    /// The phone matching mode in force.
    pub fn phone_match(&self) -> PhoneMatch {
        self.shared.phone_match
    }

    /// Marks the state changed, so a snapshot knows there is something new to write.
    /// Called, with the lock held, by an operation that did change something; a
    /// refused one (a wrong key, say) leaves the generation alone.
    fn changed(&self) {
        self.shared.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// A number that changes whenever the state changes.
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Relaxed)
    }

    /// How many resets the store has had.
    pub(crate) fn resets(&self) -> u64 {
        self.shared.resets.load(Ordering::Relaxed)
    }

    fn lock(&self) -> Timed<MutexGuard<'_, State>> {
        // A panic while holding the lock cannot leave the state half-written in a way
        // later requests would trip on (every mutation is checked before it starts),
        // so a poisoned lock is still used rather than taking the server down.
        let guard = self
            .shared
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        Timed::new(guard, Lock::Store)
    }

    /// Replaces the state with a snapshot's, checking it as a dataset. On error the
    /// state is untouched.
    pub fn restore(&self, snapshot: Snapshot, origin: &str) -> Result<(), FixtureError> {
        let refuse = |place: &str, reason: String| FixtureError {
            file: origin.into(),
            place: place.into(),
            reason,
        };
        if snapshot.version != SNAPSHOT_VERSION {
            let reason = format!(
                "snapshot version {} is not {SNAPSHOT_VERSION}",
                snapshot.version
            );
            return Err(refuse("version", reason));
        }
        if snapshot.next_lid > load::MAX_LID {
            let reason = format!("next_lid {} is out of range", snapshot.next_lid);
            return Err(refuse("next_lid", reason));
        }
        let dataset = Dataset {
            origin: origin.into(),
            accounts: snapshot.accounts,
            leads: LeadsSource::Specs(snapshot.leads),
        };
        self.replace_with(&dataset, snapshot.next_lid, false)
    }
}

impl State {
    /// The advertiser users a lead is routed to, by id.
    fn routes_of(&self, lid: u64) -> &[u64] {
        self.routes.get(&lid).map_or(&[], Vec::as_slice)
    }

    /// The name of an advertiser user of account `aid` (empty for one since removed
    /// from the account's fixtures).
    fn advertiser_name(&self, aid: u64, id: u64) -> &str {
        self.accounts
            .get(&aid)
            .and_then(|a| a.advertisers.iter().find(|adv| adv.id == id))
            .map_or("", |adv| adv.name.as_str())
    }

    /// Routes a lead to every advertiser user of its account; true when that
    /// changed its routing.
    fn route(&mut self, aid: u64, lid: u64) -> bool {
        let all: Vec<u64> = self
            .accounts
            .get(&aid)
            .map(|a| a.advertisers.iter().map(|adv| adv.id).collect())
            .unwrap_or_default();
        if self.routes_of(lid) == all.as_slice() {
            return false;
        }
        self.set_routes(lid, all);
        true
    }

    /// Routes lead `lid` to `advertisers`, leaving its former routing to a snapshot
    /// that has not copied it yet.
    fn set_routes(&mut self, lid: u64, advertisers: Vec<u64>) {
        let now = self.routes.get(&lid).map_or(&[][..], Vec::as_slice);
        self.leads.keep_routes_before(lid, now);
        self.routes.insert(lid, advertisers);
    }

    /// A lead's public view, with its routing.
    fn view(&self, lead: &Lead) -> crate::model::LeadView {
        let mut view = lead.view(&self.forms[&lead.form_id]);
        let routes = self.routes_of(lead.lid);
        view.adv_users = routes
            .iter()
            .map(|&id| crate::model::AdvUser {
                id,
                name: self.advertiser_name(lead.aid, id).to_owned(),
            })
            .collect();
        view.routes_to_advertisers = routes.to_vec();
        view
    }

    fn insert_lead(&mut self, lead: Lead) {
        self.index_lead(&lead);
        self.leads.insert(lead);
    }

    /// Files `lead` under its phone and in its account's list; putting it in the
    /// table is the caller's part.
    fn index_lead(&mut self, lead: &Lead) {
        // The index key is worked out from the borrowed phone: no copy per lead.
        let phone = lead.phone(&self.forms[&lead.form_id]);
        if let Some(key) = phone_index::key(lead.aid, phone, self.phone_match) {
            self.by_phone.insert(key, lead.lid);
        }
        if let Some(account) = self.accounts.get_mut(&lead.aid) {
            account.leads.push(lead.lid);
        }
    }

    /// Applies an update to its lead, refiling it when its phone changed; true when
    /// something changed.
    fn apply(&mut self, update: &LeadUpdate<'_>, now: i64) -> bool {
        let lid = update.lid;
        let (aid, phone_field, phone_match) = {
            let lead = &self.leads.get(lid).expect("the plan names a lead it found");
            (
                lead.aid,
                self.forms[&lead.form_id].phone_field,
                self.phone_match,
            )
        };
        let phone_key =
            |lead: &Lead| phone_index::key(aid, lead.field(phone_field).unwrap_or(""), phone_match);
        // `Some(old)` when the update sets the phone; `old` is `None` for a lead that
        // had no phone (or none with a key), which is filed under its new one all the
        // same.
        let old_key = update
            .values
            .iter()
            .any(|(i, _)| *i == phone_field)
            .then(|| phone_key(self.leads.get(lid).expect("checked above")));
        let lead = self.leads.get_mut(lid).expect("checked above");
        let mut changed = lead.set_fields(&update.values);
        if let Some(s) = update.status_id {
            changed |= lead.status_id != s;
            lead.status_id = s;
        }
        let aid = lead.aid;
        if update.route_to_advertisers {
            changed |= self.route(aid, lid);
        }
        let lead = self.leads.get_mut(lid).expect("checked above");
        if changed {
            lead.updated_at = now;
        }
        if let Some(old_key) = old_key {
            let new_key = phone_key(lead);
            if old_key != new_key {
                if let Some(key) = old_key {
                    self.by_phone.remove(key, lid);
                }
                if let Some(key) = new_key {
                    self.by_phone.insert(key, lid);
                }
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests;
