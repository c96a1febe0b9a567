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
mod lead;
mod load;
mod manage;
mod phone_index;
mod snapshot;
mod table;

pub(crate) use accounts::Form;
pub use accounts::STANDARD_FIELDS;
pub use browse::{AccountsPage, LeadsPage, MAX_ACCOUNTS_PAGE, MAX_LEADS_PAGE};
pub(crate) use lead::{LM_SOURCE, Lead, UTM_BASE, UTM_KEYS, format_time, is_plain};
pub use load::{SNAPSHOT_VERSION, Snapshot};
pub use manage::{Counts, DefaultAccount, SeedError, SeedLead};

use crate::error::ApiError;
use crate::fixtures::{Dataset, FixtureError, LeadsSource, Scope};
use crate::holds::{Lock, Timed};
use crate::phone::PhoneMatch;
use crate::request::TokenHeader;
use accounts::{Account, Scopes};
use lead::LeadHead;
use phone_index::PhoneIndex;
use std::collections::{BTreeMap, HashMap};
use std::hash::RandomState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use table::LeadTable;

/// Every map of the store: foldhash, several times faster than SipHash on these
/// short keys; the keys are ours or already checked, so flooding is not a concern.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

const FIRST_LID: u64 = 100_001;
const FIRST_CREATED_AID: u64 = 9_001;
const FIRST_CREATED_FORM: u64 = 90_001;

#[derive(Debug, Clone)]
struct State {
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
}

/// The store. Cloning it is cheap and shares the state.
#[derive(Debug, Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    generation: AtomicU64,
    state: Mutex<State>,
    dataset: Dataset,
    phone_match: PhoneMatch,
    /// Hashes a created account's ids into its key and tokens.
    keys: RandomState,
}

/// An authorized account's leads, seen under the store's lock by an endpoint's rules.
#[derive(Clone, Copy)]
pub(crate) struct AccountLeads<'s> {
    state: &'s State,
    aid: u64,
}

impl<'s> AccountLeads<'s> {
    /// The account.
    pub fn aid(&self) -> u64 {
        self.aid
    }

    /// The account's leads whose phone matches `phone`, at most `cap` of them: the
    /// ones filed under the phone last (a lead is filed when it is stored, and again
    /// when an update gives it this phone), in no particular order; and how many are
    /// filed under it in all. Bounded work however many leads share the phone.
    pub fn by_phone_latest(&self, phone: &str, cap: usize) -> (Vec<&'s Lead>, usize) {
        let state = self.state;
        let key = state.phone_match.key(phone);
        let lids = state.by_phone.get(phone_index::hash(self.aid, &key));
        let found = lids
            .iter()
            .rev()
            .filter_map(|lid| state.leads.get(*lid))
            .filter(|l| l.aid == self.aid && state.phone_match.key(self.phone_of(l)) == key)
            .take(cap)
            .collect();
        (found, lids.len())
    }

    /// A lead of this account (a lead of another account is not found).
    pub fn lead(&self, lid: u64) -> Option<&'s Lead> {
        self.state.leads.get(lid).filter(|l| l.aid == self.aid)
    }

    /// The form a lead came through.
    pub fn form_of(&self, lead: &Lead) -> &'s Form {
        &self.state.forms[&lead.form_id]
    }

    fn phone_of(&self, lead: &'s Lead) -> &'s str {
        lead.phone(self.form_of(lead))
    }
}

/// The form a submission names, as its rules see it.
pub(crate) struct SubmitTarget<'s> {
    pub form: &'s Form,
    pub account_enabled: bool,
}

/// A lead the submit rules decided to create: its account and thank-you URL (the
/// form's), its values by field index.
pub(crate) struct NewLead<'p> {
    pub aid: u64,
    pub thank_you_url: Arc<str>,
    pub values: Vec<(u16, &'p str)>,
    pub status_id: u32,
    pub is_disrupted: bool,
}

/// A lead the store created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreatedLead {
    pub lid: u64,
    pub aid: u64,
    /// The form's thank-you URL, shared, for the default redirect.
    pub thank_you_url: Arc<str>,
}

/// What the update rules decided to change in one lead.
pub(crate) struct LeadUpdate<'p> {
    pub lid: u64,
    pub values: Vec<(u16, &'p str)>,
    pub status_id: Option<u32>,
}

impl Store {
    /// Builds the state from a dataset, checking it: every error names the file,
    /// the place and the reason.
    pub fn new(dataset: Dataset, phone_match: PhoneMatch) -> Result<Store, FixtureError> {
        let state = State::from_dataset(&dataset, phone_match, FIRST_LID)?;
        Ok(Store {
            shared: Arc::new(Shared {
                generation: AtomicU64::new(0),
                state: Mutex::new(state),
                dataset,
                phone_match,
                keys: RandomState::new(),
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
        self.replace_with(&dataset, snapshot.next_lid)
    }

    /// Runs an endpoint's `read` over account `aid`'s leads once `token` may act on
    /// it with `scope`, all under the lock.
    pub(crate) fn read_account<T>(
        &self,
        aid: &str,
        token: TokenHeader<'_>,
        scope: Scope,
        read: impl FnOnce(AccountLeads<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let state = self.lock();
        let aid = state.authorize(aid, token, scope)?;
        read(AccountLeads { state: &state, aid })
    }

    /// Creates the lead the submit rules `decide` on, given the form `lm_form` names
    /// (`None`: no such form, which the rules refuse). The new lead's id is the next one, taken under the
    /// lock; it is dated `now`, the request's arrival.
    pub(crate) fn create_lead<'p, E>(
        &self,
        lm_form: u64,
        now: i64,
        decide: impl FnOnce(Option<SubmitTarget<'_>>) -> Result<NewLead<'p>, E>,
    ) -> Result<CreatedLead, E> {
        let mut state = self.lock();
        let target = state.forms.get(&lm_form).map(|form| SubmitTarget {
            form,
            account_enabled: state.accounts.get(&form.aid).is_some_and(|a| a.enabled),
        });
        let NewLead {
            aid,
            thank_you_url,
            values,
            status_id,
            is_disrupted,
        } = decide(target)?;
        let lid = state.next_lid;
        state.next_lid += 1;
        let head = LeadHead {
            lid,
            aid,
            form_id: lm_form,
            created_at: now,
            updated_at: now,
            status_id,
            is_disrupted,
        };
        state.insert_lead(Lead::new(head, Lead::pack(values)));
        self.changed();
        Ok(CreatedLead {
            lid,
            aid,
            thank_you_url,
        })
    }

    /// Applies the change the update rules `plan` for a lead of account `aid`, once
    /// `token` may act on it with `scope`. Nothing changes unless the plan is made;
    /// the lead is dated `now` only when a value really changes. Returns the account.
    pub(crate) fn update_lead<'p>(
        &self,
        aid: &str,
        token: TokenHeader<'_>,
        scope: Scope,
        now: i64,
        plan: impl FnOnce(AccountLeads<'_>) -> Result<LeadUpdate<'p>, ApiError>,
    ) -> Result<u64, ApiError> {
        let mut state = self.lock();
        let aid = state.authorize(aid, token, scope)?;
        let update = plan(AccountLeads { state: &state, aid })?;
        if state.apply(&update, now) {
            self.changed();
        }
        Ok(aid)
    }

    /// A lead of an account with the names its page shows. No token: the page stands
    /// for the UI, where the user is logged in.
    pub(crate) fn lead_page(&self, aid: u64, lid: u64) -> Option<LeadPageData> {
        let state = self.lock();
        let lead = state.leads.get(lid).filter(|l| l.aid == aid)?;
        let form = &state.forms[&lead.form_id];
        let account = state.accounts.get(&aid)?;
        Some(LeadPageData {
            account_name: account.name.clone(),
            form_name: form.name.clone(),
            lead: lead.view(form),
        })
    }
}

/// What a lead's page shows.
#[derive(Debug, Clone)]
pub(crate) struct LeadPageData {
    pub account_name: String,
    pub form_name: String,
    pub lead: crate::model::LeadView,
}

impl State {
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
