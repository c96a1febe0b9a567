//! The simulator's state: accounts, forms, tokens and leads, with the indexes every
//! endpoint looks through.
//!
//! One `std::sync::Mutex` guards it all. Every operation is synchronous and short,
//! so the lock is never held across an `.await`, and a read-modify-write (an update,
//! a submit that takes the next id) happens under the one lock: no lost updates.

use crate::error::{ApiError, SubmitError};
use crate::fixtures::{
    AccountSpec, Dataset, FixtureError, FormSpec, LeadSpec, LeadsSource, Scope, TokenSpec,
};
use crate::model::{AccountView, FormView, LeadView, NewAccount, TokenView};
use crate::phone::PhoneMatch;
use crate::request::Params;
use jiff::Timestamp;
use phone_index::PhoneIndex;
use smallvec::SmallVec;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Every map of the store: foldhash, several times faster than SipHash on these
/// short keys; the keys are ours or already checked, so flooding is not a concern.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

mod phone_index;

/// Cap of `msg`, `lm_source` and the form's message field, in characters.
pub const LONG_CAP: usize = 3500;
/// Cap of every other field, in characters.
pub const SHORT_CAP: usize = 300;

const FIRST_LID: u64 = 100_001;
const FIRST_CREATED_AID: u64 = 9_001;
const FIRST_CREATED_FORM: u64 = 90_001;

/// The field set of a created account's form: parameter key → field name.
pub const STANDARD_FIELDS: &[(&str, &str)] = &[
    ("name", "שם"),
    ("fld_name", "שם"),
    ("phone", "טלפון"),
    ("fld_phone", "טלפון"),
    ("email", "דוא\"ל"),
    ("fld_email", "דוא\"ל"),
    ("msg", "הודעה"),
    ("fld_message", "הודעה"),
    ("chat_url", "קישור לצ'אט"),
    ("fld_city", "עיר"),
    ("fld_handler", "מטפל"),
    ("fld_status", "סטטוס"),
];

/// The keys every form knows even when its definition omits them (the v2 submit
/// API's documented fields), mapped to the standard Hebrew names.
const IMPLIED_KEYS: &[(&str, &str)] = &[
    ("name", "שם"),
    ("phone", "טלפון"),
    ("email", "דוא\"ל"),
    ("msg", "הודעה"),
];

const UTM_KEYS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
];

/// Submit parameters that steer the call rather than carry lead data.
const CONTROL_KEYS: [&str; 4] = ["lm_form", "lm_key", "lm_redirect", "lm_format"];

#[derive(Debug, Clone, Copy, Default)]
struct Scopes {
    read: bool,
    write: bool,
}

impl Scopes {
    fn from_list(list: &[Scope]) -> Scopes {
        Scopes {
            read: list.contains(&Scope::Read),
            write: list.contains(&Scope::Write),
        }
    }
    fn to_list(self) -> Vec<Scope> {
        let mut v = Vec::with_capacity(2);
        if self.read {
            v.push(Scope::Read);
        }
        if self.write {
            v.push(Scope::Write);
        }
        v
    }
}

#[derive(Debug, Clone)]
struct Account {
    aid: u64,
    name: String,
    enabled: bool,
    tokens: Vec<(Box<str>, Scopes)>,
    forms: Vec<u64>,
    leads: Vec<u64>,
}

#[derive(Debug, Clone)]
struct Form {
    lm_form: u64,
    aid: u64,
    lm_key: String,
    name: String,
    enabled: bool,
    /// Shared with each submit's answer, which redirects to it: no copy per lead.
    thank_you_url: Arc<str>,
    /// Parameter key → field name, as defined (for listing).
    definition: Vec<(String, String)>,
    /// Distinct field names in definition order; leads refer to them by index.
    field_names: Vec<Box<str>>,
    /// Each of `field_names` as a JSON object key, `"name":`, written once here
    /// rather than escaped again in every lookup answer.
    json_keys: Vec<Box<[u8]>>,
    by_key: Map<Box<str>, u16>,
    by_name: Map<Box<str>, u16>,
    phone_field: u16,
    message_field: u16,
}

impl Form {
    fn build(
        lm_form: u64,
        aid: u64,
        lm_key: String,
        name: String,
        enabled: bool,
        thank_you_url: String,
        definition: Vec<(String, String)>,
    ) -> Form {
        let mut form = Form {
            lm_form,
            aid,
            lm_key,
            name,
            enabled,
            thank_you_url: thank_you_url.into(),
            definition: Vec::new(),
            field_names: Vec::new(),
            json_keys: Vec::new(),
            by_key: Map::default(),
            by_name: Map::default(),
            phone_field: 0,
            message_field: 0,
        };
        for (key, field) in definition {
            form.define(key, field);
        }
        for (key, field) in IMPLIED_KEYS {
            if !form.by_key.contains_key(*key) {
                let idx = form.field_index_or_add(field);
                form.by_key.insert((*key).into(), idx);
            }
        }
        form.phone_field = form.by_key["phone"];
        form.message_field = form.by_key["msg"];
        form
    }

    fn define(&mut self, key: String, field: String) {
        let idx = self.field_index_or_add(&field);
        self.by_key.insert(key.as_str().into(), idx);
        self.definition.push((key, field));
    }

    fn field_index_or_add(&mut self, field: &str) -> u16 {
        if let Some(&idx) = self.by_name.get(field) {
            return idx;
        }
        let idx = self.field_names.len() as u16;
        self.field_names.push(field.into());
        let mut key = serde_json::to_vec(field).expect("a string always encodes");
        key.push(b':');
        self.json_keys.push(key.into_boxed_slice());
        self.by_name.insert(field.into(), idx);
        idx
    }

    fn cap_of(&self, key: &str, field: u16) -> usize {
        if key == "msg" || key == "lm_source" || field == self.message_field {
            LONG_CAP
        } else {
            SHORT_CAP
        }
    }

    fn view(&self) -> FormView {
        FormView {
            lm_form: self.lm_form,
            lm_key: self.lm_key.clone(),
            name: self.name.clone(),
            enabled: self.enabled,
            thank_you_url: self.thank_you_url.to_string(),
            fields: self
                .definition
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        }
    }
}

/// A lead's values packed by [`Lead::pack`].
struct Packed {
    text: Box<str>,
    fields: Ends,
    plain: bool,
}

/// A lead's field ends, inline for up to eight fields (a typical lead has six to
/// eight): a lookup of one lead among a million then reads its ends from the lead
/// itself rather than from an allocation of their own, one cache miss fewer, and the
/// lead takes no more memory than with that allocation (136 bytes against 80 + 64).
type Ends = SmallVec<[(u16, u32); 8]>;

/// True when `s` goes into a JSON string as it is: no quote, backslash or control
/// character. Checked a word at a time: this runs over every value stored.
fn is_plain(s: &str) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Bytewise "x < n" for every byte of x below 0x80 (the high bytes of UTF-8 are
    // never special), after Hacker's Delight / Mycroft's haszero.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let has = |x: u64, b: u8| below(x ^ (ONES * u64::from(b)), 1);
    let bytes = s.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_ne_bytes(chunk.try_into().expect("chunks of 8"));
        if below(x, 0x20) | has(x, b'"') | has(x, b'\\') != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Field indexes past every form's own hold the lead's UTM values and `lm_source`,
/// so they share the lead's one text allocation.
const UTM_BASE: u16 = u16::MAX - 8;
const LM_SOURCE: u16 = UTM_BASE + 5;

/// A lead, compact: a million of them must fit in a few hundred MB. Every field value
/// sits in one string; `fields` says which field ends where.
#[derive(Debug, Clone)]
struct Lead {
    lid: u64,
    aid: u64,
    form_id: u64,
    created_at: i64,
    updated_at: i64,
    status_id: u32,
    is_disrupted: bool,
    /// The values, back to back.
    text: Box<str>,
    /// (field index into the form's names, end of its value in `text`), by field
    /// index: the order the answers list them in.
    fields: Ends,
    /// No value needs escaping in JSON (true of nearly every real lead), so answers
    /// copy the values as they are.
    plain: bool,
}

impl Lead {
    /// Packs `(field index, value)` pairs, ordered by field; a later value of the
    /// same field wins. Also says whether every value is plain JSON string content.
    fn pack<S: AsRef<str>>(mut pairs: Vec<(u16, S)>) -> Packed {
        // A stable sort keeps a field's values in the order they came.
        pairs.sort_by_key(|(idx, _)| *idx);
        let last = |i: usize| pairs.get(i + 1).is_none_or(|(next, _)| *next != pairs[i].0);
        Lead::pack_sorted(
            pairs
                .iter()
                .enumerate()
                .filter(|(i, _)| last(*i))
                .map(|(_, (idx, value))| (*idx, value.as_ref())),
        )
    }

    /// Packs pairs already in field order, each field once. The text is allocated at
    /// its exact size, so boxing it does not reallocate.
    fn pack_sorted<'v>(pairs: impl Iterator<Item = (u16, &'v str)> + Clone) -> Packed {
        let (count, len) = pairs
            .clone()
            .fold((0, 0), |(n, len), (_, v)| (n + 1, len + v.len()));
        let mut text = String::with_capacity(len);
        let mut ends = Ends::with_capacity(count);
        let mut plain = true;
        for (idx, value) in pairs {
            plain &= is_plain(value);
            text.push_str(value);
            ends.push((idx, text.len() as u32));
        }
        Packed {
            text: text.into_boxed_str(),
            fields: ends,
            plain,
        }
    }

    fn pairs(&self) -> impl Iterator<Item = (u16, &str)> {
        let mut start = 0;
        self.fields.iter().map(move |&(idx, end)| {
            let value = &self.text[start..end as usize];
            start = end as usize;
            (idx, value)
        })
    }

    fn field(&self, idx: u16) -> Option<&str> {
        self.pairs().find(|(i, _)| *i == idx).map(|(_, v)| v)
    }

    /// Sets fields (rare: updates only), repacking; true when something changed.
    fn set_fields(&mut self, changes: &[(u16, &str)]) -> bool {
        // Where two keys set one field, the later value is the one that counts.
        let last = |i: usize, idx: u16| !changes[i + 1..].iter().any(|(later, _)| *later == idx);
        let changed = changes
            .iter()
            .enumerate()
            .any(|(i, (idx, v))| last(i, *idx) && self.field(*idx) != Some(*v));
        if changed {
            // The lead's pairs are in field order already: each change replaces its
            // field's value or goes in at its place, and the result is packed as is.
            let mut pairs: Vec<(u16, &str)> = Vec::with_capacity(self.fields.len() + changes.len());
            pairs.extend(self.pairs());
            for (i, &(idx, value)) in changes.iter().enumerate() {
                if !last(i, idx) {
                    continue;
                }
                match pairs.binary_search_by_key(&idx, |(at, _)| *at) {
                    Ok(at) => pairs[at].1 = value,
                    Err(at) => pairs.insert(at, (idx, value)),
                }
            }
            let packed = Lead::pack_sorted(pairs.iter().copied());
            (self.text, self.fields, self.plain) = (packed.text, packed.fields, packed.plain);
        }
        changed
    }

    fn phone<'a>(&'a self, form: &Form) -> &'a str {
        self.field(form.phone_field).unwrap_or("")
    }

    fn view(&self, form: &Form) -> LeadView {
        let fields = self
            .pairs()
            .take_while(|(i, _)| *i < UTM_BASE)
            .map(|(idx, value)| {
                (
                    form.field_names[idx as usize].to_string(),
                    serde_json::Value::String(value.to_owned()),
                )
            })
            .collect();
        let extra = |idx: u16| self.field(idx).map(str::to_owned);
        LeadView {
            aid: self.aid,
            lid: self.lid,
            form_id: self.form_id,
            status_id: self.status_id,
            is_disrupted: self.is_disrupted,
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
            phone: self.phone(form).to_owned(),
            fields,
            utm_source: extra(UTM_BASE),
            utm_medium: extra(UTM_BASE + 1),
            utm_campaign: extra(UTM_BASE + 2),
            utm_content: extra(UTM_BASE + 3),
            utm_term: extra(UTM_BASE + 4),
            lm_source: extra(LM_SOURCE),
        }
    }
}

/// Most field keys a form may define (field indexes must stay below [`UTM_BASE`]).
const MAX_FIELDS: usize = 1000;

/// The highest lead id a dataset or snapshot may carry: the largest integer a
/// JavaScript client reads exactly, and far from overflow.
const MAX_LID: u64 = (1 << 53) - 1;

/// The widest gap between lead ids a dataset or snapshot may have.
const MAX_ID_GAP: u64 = 1_000_000;

/// Leads by id. Ids are handed out densely from a base, so a vector indexed by
/// `lid - base` is the index: no hashing, no per-entry overhead.
// A lead's boxes give `Option<Lead>` a niche: the table's slots cost no more than
// the leads, and a `Vec<Lead>` becomes the table in place.
const _: () = assert!(size_of::<Option<Lead>>() == size_of::<Lead>());
// A million leads: each byte here is a megabyte.
const _: () = assert!(size_of::<Lead>() <= 136);

#[derive(Debug, Clone, Default)]
struct LeadTable {
    base: u64,
    slots: Vec<Option<Lead>>,
    count: usize,
}

impl LeadTable {
    fn slot(&self, lid: u64) -> Option<usize> {
        lid.checked_sub(self.base)
            .and_then(|i| usize::try_from(i).ok())
    }
    fn get(&self, lid: &u64) -> Option<&Lead> {
        self.slots.get(self.slot(*lid)?)?.as_ref()
    }
    fn get_mut(&mut self, lid: &u64) -> Option<&mut Lead> {
        let i = self.slot(*lid)?;
        self.slots.get_mut(i)?.as_mut()
    }
    fn contains_key(&self, lid: &u64) -> bool {
        self.get(lid).is_some()
    }

    fn len(&self) -> usize {
        self.count
    }
    fn insert(&mut self, lead: Lead) {
        if self.slots.is_empty() && self.count == 0 {
            self.base = lead.lid;
        }
        let Some(i) = self.slot(lead.lid) else {
            // An id below the base (only from a hand-made snapshot): shift once.
            let shift = (self.base - lead.lid) as usize;
            self.slots
                .splice(0..0, std::iter::repeat_with(|| None).take(shift));
            self.base = lead.lid;
            return self.insert(lead);
        };
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        if self.slots[i].replace(lead).is_none() {
            self.count += 1;
        }
    }
    fn iter(&self) -> impl Iterator<Item = &Lead> {
        self.slots.iter().flatten()
    }
}

impl std::ops::Index<&u64> for LeadTable {
    type Output = Lead;
    fn index(&self, lid: &u64) -> &Lead {
        self.get(lid)
            .expect("a lead id taken from the state itself")
    }
}

fn format_time(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

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
}

/// What a successful submit produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The new lead's id.
    pub lid: u64,
    /// Its account.
    pub aid: u64,
    /// The form's thank-you URL, for the default redirect.
    pub thank_you_url: Arc<str>,
    /// What was cut, ignored or unknown, in plain words.
    pub diagnostics: Vec<String>,
}

/// A lead to seed through the admin API or the handle: a [`LeadSpec`] whose `aid`
/// comes from the URL, whose `form_id` may be 0 (the account's first form) and whose
/// `created_at` may be empty (now).
pub type SeedLead = LeadSpec;

/// The store. Cloning it is cheap and shares the state.
#[derive(Debug, Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

/// The format of a `--state` file: the dataset format, with lead ids.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Format version, [`SNAPSHOT_VERSION`].
    pub version: u32,
    /// The next lead id to hand out, so ids never repeat across restarts.
    pub next_lid: u64,
    /// Every account.
    pub accounts: Vec<AccountSpec>,
    /// Every lead, with its id.
    pub leads: Vec<LeadSpec>,
}

/// The snapshot format's version.
pub const SNAPSHOT_VERSION: u32 = 1;

#[derive(Debug)]
struct Shared {
    generation: AtomicU64,
    state: Mutex<State>,
    dataset: Dataset,
    phone_match: PhoneMatch,
    keys: RandomState,
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

    /// Everything, in the dataset format with lead ids: what `--state` writes.
    /// The state is cloned under the lock and converted outside it.
    pub fn export(&self) -> Snapshot {
        let state = self.lock().clone();
        let accounts = state
            .accounts
            .values()
            .map(|a| AccountSpec {
                aid: a.aid,
                name: a.name.clone(),
                enabled: a.enabled,
                tokens: a
                    .tokens
                    .iter()
                    .map(|(t, s)| TokenSpec {
                        token: t.to_string(),
                        scopes: s.to_list(),
                    })
                    .collect(),
                forms: a
                    .forms
                    .iter()
                    .filter_map(|f| state.forms.get(f))
                    .map(|f| {
                        let view = f.view();
                        FormSpec {
                            lm_form: view.lm_form,
                            lm_key: view.lm_key,
                            name: view.name,
                            enabled: view.enabled,
                            thank_you_url: view.thank_you_url,
                            fields: view.fields,
                        }
                    })
                    .collect(),
            })
            .collect();
        let leads = state
            .leads
            .iter()
            .map(|lead| {
                let v = lead.view(&state.forms[&lead.form_id]);
                LeadSpec {
                    lid: Some(v.lid),
                    aid: v.aid,
                    form_id: v.form_id,
                    created_at: v.created_at,
                    updated_at: Some(v.updated_at),
                    status_id: v.status_id,
                    is_disrupted: v.is_disrupted,
                    phone: v.phone,
                    fields: v
                        .fields
                        .into_iter()
                        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
                        .collect(),
                    utm_source: v.utm_source,
                    utm_medium: v.utm_medium,
                    utm_campaign: v.utm_campaign,
                    utm_content: v.utm_content,
                    utm_term: v.utm_term,
                    lm_source: v.lm_source,
                }
            })
            .collect();
        Snapshot {
            version: SNAPSHOT_VERSION,
            next_lid: state.next_lid,
            accounts,
            leads,
        }
    }

    /// Replaces the state with a snapshot's, checking it as a dataset. On error the
    /// state is untouched.
    pub fn restore(&self, snapshot: Snapshot, origin: &str) -> Result<(), FixtureError> {
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(FixtureError {
                file: origin.into(),
                place: "version".into(),
                reason: format!(
                    "snapshot version {} is not {SNAPSHOT_VERSION}",
                    snapshot.version
                ),
            });
        }
        let dataset = Dataset {
            origin: origin.into(),
            accounts: snapshot.accounts,
            leads: LeadsSource::Specs(snapshot.leads),
        };
        if snapshot.next_lid > MAX_LID {
            return Err(FixtureError {
                file: origin.into(),
                place: "next_lid".into(),
                reason: format!("next_lid {} is out of range", snapshot.next_lid),
            });
        }
        self.replace_with(&dataset, snapshot.next_lid)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written in a way
        // later requests would trip on (every mutation is checked before it starts),
        // so a poisoned lock is still used rather than taking the server down.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Back to the dataset the store started from. Lead, created-account and
    /// created-form ids keep increasing, so an id handed out before the reset is
    /// never reused.
    ///
    /// The dataset is rebuilt under the lock, so that no request can take an id in
    /// between: with a large `--fixtures` dataset (read again from its files) that
    /// holds requests for as long as loading it takes at start. If the files changed
    /// and no longer load, the error says why and the state is left as it was.
    pub fn reset(&self) -> Result<(), FixtureError> {
        self.replace_with(&self.shared.dataset, 0)
    }

    /// Builds a state from `dataset` and swaps it in, all under one lock, keeping
    /// every id counter at least where it was.
    fn replace_with(&self, dataset: &Dataset, lid_floor: u64) -> Result<(), FixtureError> {
        let mut state = self.lock();
        let floor = state.next_lid.max(lid_floor);
        let mut fresh = State::from_dataset(dataset, self.shared.phone_match, floor)?;
        // Created accounts and forms keep increasing too: a crmConfig handed out
        // before (same aid, so the same derived tokens and key) must not reach an
        // account created after.
        fresh.next_aid = fresh.next_aid.max(state.next_aid);
        fresh.next_form = fresh.next_form.max(state.next_form);
        *state = fresh;
        self.changed();
        Ok(())
    }

    /// Creates `/v2/submit`'s lead.
    pub fn submit(&self, params: &Params, now: Timestamp) -> Result<Submitted, SubmitError> {
        let raw_form = params
            .get("lm_form")
            .filter(|v| !v.is_empty())
            .ok_or(SubmitError::MissingForm)?;
        let form_id: u64 = raw_form
            .trim()
            .parse()
            .map_err(|_| SubmitError::MalformedForm(raw_form.into()))?;
        let mut state = self.lock();
        let form = state
            .forms
            .get(&form_id)
            .ok_or(SubmitError::FormNotFound(form_id))?;
        let key = params
            .get("lm_key")
            .filter(|v| !v.is_empty())
            .ok_or(SubmitError::MissingKey)?;
        if form.lm_key != key {
            return Err(SubmitError::WrongKey(form_id));
        }
        if !state.accounts.get(&form.aid).is_some_and(|a| a.enabled) {
            return Err(SubmitError::AccountDisabled(form.aid));
        }
        if !form.enabled {
            return Err(SubmitError::FormDisabled(form_id));
        }

        let mut diagnostics = Vec::new();
        let mut fields: Vec<(u16, &str)> = Vec::with_capacity(params.len());
        let mut unknown = false;
        for (k, v) in params.iter() {
            if CONTROL_KEYS.contains(&k) {
                continue;
            }
            if let Some(i) = UTM_KEYS.iter().position(|u| *u == k) {
                fields.push((UTM_BASE + i as u16, cap(k, v, SHORT_CAP, &mut diagnostics)));
            } else if k == "lm_source" {
                fields.push((LM_SOURCE, cap(k, v, LONG_CAP, &mut diagnostics)));
            } else if let Some(&idx) = form.by_key.get(k) {
                let value = cap(k, v, form.cap_of(k, idx), &mut diagnostics);
                match fields.iter_mut().find(|(i, _)| *i == idx) {
                    Some(slot) => {
                        diagnostics.push(format!(
                            "{k} sets field {} again: the later value is kept",
                            form.field_names[idx as usize]
                        ));
                        slot.1 = value;
                    }
                    None => fields.push((idx, value)),
                }
            } else {
                unknown = true;
                diagnostics.push(format!("unknown parameter {k}: lead marked invalid"));
            }
        }
        let aid = form.aid;
        let thank_you_url = form.thank_you_url.clone();
        let secs = now.as_second();
        let lid = state.next_lid;
        state.next_lid += 1;
        let Packed {
            text,
            fields,
            plain,
        } = Lead::pack(fields);
        let lead = Lead {
            lid,
            aid,
            form_id,
            status_id: if unknown { 2 } else { 1 },
            is_disrupted: unknown,
            created_at: secs,
            updated_at: secs,
            text,
            fields,
            plain,
        };
        state.insert_lead(lead, self.shared.phone_match);
        self.changed();
        Ok(Submitted {
            lid,
            aid,
            thank_you_url,
            diagnostics,
        })
    }

    /// `leads_get.ashx?by_phone=`: the account's leads with that phone, newest first.
    pub fn leads_by_phone(
        &self,
        aid: &str,
        token: Option<Result<&str, ()>>,
        phone: Option<&str>,
    ) -> Result<(u64, Vec<LeadView>), ApiError> {
        let state = self.lock();
        let (aid, found) = self.find_by_phone(&state, aid, token, phone)?;
        let views = found
            .into_iter()
            .map(|l| l.view(&state.forms[&l.form_id]))
            .collect();
        Ok((aid, views))
    }

    /// [`Store::leads_by_phone`] as the endpoint answers it: the account, how many
    /// leads matched, and the success envelope's JSON, written straight from the
    /// stored leads (the lookup is the hot path: no intermediate views).
    pub fn leads_by_phone_json(
        &self,
        aid: &str,
        token: Option<Result<&str, ()>>,
        phone: Option<&str>,
    ) -> Result<(u64, usize, Vec<u8>), ApiError> {
        let state = self.lock();
        let (aid, found) = self.find_by_phone(&state, aid, token, phone)?;
        Ok((aid, found.len(), envelope(&state, &found)))
    }

    fn find_by_phone<'s>(
        &self,
        state: &'s State,
        aid: &str,
        token: Option<Result<&str, ()>>,
        phone: Option<&str>,
    ) -> Result<(u64, Vec<&'s Lead>), ApiError> {
        let aid = state.authorize(aid, token, Need::Read)?;
        let phone = phone
            .filter(|p| !p.is_empty())
            .ok_or(ApiError::MissingParam("by_phone"))?;
        let phone_match = self.shared.phone_match;
        let key = phone_match.key(phone);
        let mut found: Vec<&Lead> = state
            .by_phone
            .get(phone_hash(aid, &key))
            .iter()
            .filter_map(|lid| state.leads.get(lid))
            .filter(|l| l.aid == aid && phone_match.key(l.phone(&state.forms[&l.form_id])) == key)
            .collect();
        found.sort_by_key(|l| std::cmp::Reverse((l.created_at, l.lid)));
        Ok((aid, found))
    }

    /// `lead_get.ashx?by_id=`: one lead of the account.
    pub fn lead_by_id(
        &self,
        aid: &str,
        token: Option<Result<&str, ()>>,
        by_id: Option<&str>,
    ) -> Result<(u64, LeadView), ApiError> {
        let state = self.lock();
        let aid = state.authorize(aid, token, Need::Read)?;
        let lead = state.lead_of(aid, by_id)?;
        Ok((aid, lead.view(&state.forms[&lead.form_id])))
    }

    /// [`Store::lead_by_id`] as the endpoint answers it: the account and the success
    /// envelope's JSON.
    pub fn lead_by_id_json(
        &self,
        aid: &str,
        token: Option<Result<&str, ()>>,
        by_id: Option<&str>,
    ) -> Result<(u64, Vec<u8>), ApiError> {
        let state = self.lock();
        let aid = state.authorize(aid, token, Need::Read)?;
        let lead = state.lead_of(aid, by_id)?;
        Ok((aid, envelope(&state, &[lead])))
    }

    /// `lead_update.ashx`: sets fields and status of one lead. Returns the account
    /// and the diagnostics (keys ignored). Nothing changes unless everything checks.
    pub fn update(
        &self,
        aid: &str,
        token: Option<Result<&str, ()>>,
        params: &Params,
        now: Timestamp,
    ) -> Result<(u64, Vec<String>), ApiError> {
        let mut state = self.lock();
        let aid = state.authorize(aid, token, Need::Write)?;
        let lid = state.lead_of(aid, params.get("by_id"))?.lid;
        let form = &state.forms[&state.leads[&lid].form_id];

        let mut diagnostics = Vec::new();
        let mut status = None;
        let mut changes: Vec<(u16, &str)> = Vec::new();
        for (k, v) in params.iter() {
            match k {
                "by_id" => {}
                "status_id" | "state_id" => {
                    let key = if k == "status_id" {
                        "status_id"
                    } else {
                        "state_id"
                    };
                    let value = v
                        .trim()
                        .parse::<u32>()
                        .map_err(|_| ApiError::MalformedStatus {
                            key,
                            value: v.into(),
                        })?;
                    status = Some(value);
                }
                _ => match form.by_key.get(k).or_else(|| form.by_name.get(k)) {
                    Some(&idx) => {
                        let value = cap(k, v, form.cap_of(k, idx), &mut diagnostics);
                        changes.push((idx, value));
                    }
                    None => diagnostics.push(format!(
                        "unknown field {k}: ignored (form {} has no such key or field name)",
                        form.lm_form
                    )),
                },
            }
        }
        let phone_field = form.phone_field;
        let phone_match = self.shared.phone_match;
        let phone_key =
            |lead: &Lead| index_key(aid, lead.field(phone_field).unwrap_or(""), phone_match);
        // `Some(old)` when the update sets the phone; `old` is `None` for a lead that
        // had no phone (or none with a key), which is filed under its new one all the
        // same.
        let old_key = changes
            .iter()
            .any(|(i, _)| *i == phone_field)
            .then(|| phone_key(&state.leads[&lid]));
        let lead = state.leads.get_mut(&lid).expect("checked above");
        let mut changed = lead.set_fields(&changes);
        if let Some(s) = status {
            changed |= lead.status_id != s;
            lead.status_id = s;
        }
        if changed {
            lead.updated_at = now.as_second();
            self.changed();
        }
        if let Some(old_key) = old_key {
            let new_key = phone_key(lead);
            if old_key != new_key {
                if let Some(key) = old_key {
                    state.by_phone.remove(key, lid);
                }
                if let Some(key) = new_key {
                    state.by_phone.insert(key, lid);
                }
            }
        }
        Ok((aid, diagnostics))
    }

    /// A lead of an account, for its page. No token: the page stands for the UI, where
    /// the user is logged in.
    pub fn lead_page(&self, aid: u64, lid: u64) -> Option<(String, String, LeadView)> {
        let state = self.lock();
        let lead = state.leads.get(&lid).filter(|l| l.aid == aid)?;
        let form = &state.forms[&lead.form_id];
        let account = state.accounts.get(&aid)?;
        Some((account.name.clone(), form.name.clone(), lead.view(form)))
    }

    /// Creates an isolated account with one enabled form of the standard fields and
    /// three tokens (read+write, read-only, write-only).
    pub fn create_account(&self, name: Option<&str>) -> NewAccount {
        let mut state = self.lock();
        let aid = state.next_aid;
        state.next_aid += 1;
        let lm_form = state.next_form;
        state.next_form += 1;
        let tag = self.shared.keys.hash_one((aid, lm_form));
        let new = NewAccount {
            aid,
            lm_form,
            lm_key: format!("k-{lm_form}-{:08x}", tag as u32),
            token: format!("t-{aid}-rw-{:08x}", (tag >> 32) as u32),
            read_token: format!("t-{aid}-r-{:08x}", (tag >> 16) as u32),
            write_token: format!("t-{aid}-w-{:08x}", (tag >> 8) as u32),
        };
        let definition = STANDARD_FIELDS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let form = Form::build(
            lm_form,
            aid,
            new.lm_key.clone(),
            "טופס בדיקה".into(),
            true,
            format!("https://example.co.il/thanks/{lm_form}"),
            definition,
        );
        state.forms.insert(lm_form, form);
        let read_write = Scopes {
            read: true,
            write: true,
        };
        let tokens = vec![
            (new.token.as_str().into(), read_write),
            (
                new.read_token.as_str().into(),
                Scopes {
                    read: true,
                    write: false,
                },
            ),
            (
                new.write_token.as_str().into(),
                Scopes {
                    read: false,
                    write: true,
                },
            ),
        ];
        for (t, s) in &tokens {
            state.tokens.insert(Box::clone(t), (aid, *s));
        }
        state.accounts.insert(
            aid,
            Account {
                aid,
                name: name.unwrap_or("חשבון בדיקה").to_owned(),
                enabled: true,
                tokens,
                forms: vec![lm_form],
                leads: Vec::new(),
            },
        );
        self.changed();
        new
    }

    /// Every account, with forms and tokens.
    pub fn accounts(&self) -> Vec<AccountView> {
        let state = self.lock();
        state
            .accounts
            .values()
            .map(|a| state.account_view(a))
            .collect()
    }

    /// One account.
    pub fn account(&self, aid: u64) -> Option<AccountView> {
        let state = self.lock();
        state.accounts.get(&aid).map(|a| state.account_view(a))
    }

    /// The account's leads, oldest first; `None` for an unknown account.
    pub fn account_leads(&self, aid: u64) -> Option<Vec<LeadView>> {
        let state = self.lock();
        let account = state.accounts.get(&aid)?;
        let mut leads: Vec<&Lead> = account
            .leads
            .iter()
            .filter_map(|lid| state.leads.get(lid))
            .collect();
        // Seeded leads may carry an older created_at than the leads before them.
        leads.sort_by_key(|l| (l.created_at, l.lid));
        Some(
            leads
                .into_iter()
                .map(|l| l.view(&state.forms[&l.form_id]))
                .collect(),
        )
    }

    /// Adds leads to an account as they are (no caps, no diagnostics), for tests
    /// that need a lead in a given shape. All or nothing: the first bad lead refuses
    /// the whole batch, naming it.
    pub fn seed_leads(&self, aid: u64, leads: Vec<SeedLead>) -> Result<Vec<u64>, String> {
        let now = Timestamp::now().as_second();
        let mut state = self.lock();
        let account = state
            .accounts
            .get(&aid)
            .ok_or_else(|| format!("account {aid} not found"))?;
        let default_form = account.forms.first().copied();
        let mut built = Vec::with_capacity(leads.len());
        for (i, mut spec) in leads.into_iter().enumerate() {
            spec.aid = aid;
            if spec.form_id == 0 {
                spec.form_id = default_form.ok_or_else(|| format!("account {aid} has no form"))?;
            }
            let lead = state
                .build_lead(&spec, 0, now)
                .map_err(|reason| format!("leads[{i}]: {reason}"))?;
            built.push(lead);
        }
        let mut lids = Vec::with_capacity(built.len());
        for mut lead in built {
            lead.lid = state.next_lid;
            state.next_lid += 1;
            lids.push(lead.lid);
            state.insert_lead(lead, self.shared.phone_match);
        }
        self.changed();
        Ok(lids)
    }

    /// Enables or disables a form; false if there is no such form in the account.
    pub fn set_form_enabled(&self, aid: u64, lm_form: u64, enabled: bool) -> bool {
        let mut state = self.lock();
        match state.forms.get_mut(&lm_form).filter(|f| f.aid == aid) {
            Some(form) => {
                form.enabled = enabled;
                self.changed();
                true
            }
            None => false,
        }
    }

    /// Enables or disables an account; false if there is no such account.
    pub fn set_account_enabled(&self, aid: u64, enabled: bool) -> bool {
        let mut state = self.lock();
        match state.accounts.get_mut(&aid) {
            Some(account) => {
                account.enabled = enabled;
                self.changed();
                true
            }
            None => false,
        }
    }

    /// The account a form belongs to.
    pub fn account_of_form(&self, lm_form: u64) -> Option<u64> {
        self.lock().forms.get(&lm_form).map(|f| f.aid)
    }

    /// Counts of accounts and leads, for health and start-up messages.
    pub fn counts(&self) -> (usize, usize) {
        let state = self.lock();
        (state.accounts.len(), state.leads.len())
    }

    /// The first enabled account with an enabled form, for the start-up banner:
    /// `(aid, lm_form, lm_key, read+write token)`.
    pub fn default_account(&self) -> Option<(u64, u64, String, String)> {
        let state = self.lock();
        state.accounts.values().filter(|a| a.enabled).find_map(|a| {
            let form = a
                .forms
                .iter()
                .filter_map(|f| state.forms.get(f))
                .find(|f| f.enabled)?;
            let token = a
                .tokens
                .iter()
                .find(|(_, s)| s.read && s.write)
                .or_else(|| a.tokens.first())?;
            Some((
                a.aid,
                form.lm_form,
                form.lm_key.clone(),
                token.0.to_string(),
            ))
        })
    }
}

/// A token's needed scope.
#[derive(Clone, Copy)]
enum Need {
    Read,
    Write,
}

impl State {
    fn from_dataset(
        dataset: &Dataset,
        phone_match: PhoneMatch,
        lid_floor: u64,
    ) -> Result<State, FixtureError> {
        let accounts_file = dataset.accounts_file();
        let err = |place: String, reason: String| FixtureError {
            file: accounts_file.clone(),
            place,
            reason,
        };
        let mut state = State {
            accounts: BTreeMap::new(),
            forms: Map::default(),
            tokens: Map::default(),
            leads: LeadTable::default(),
            by_phone: PhoneIndex::default(),
            next_lid: lid_floor.max(FIRST_LID),
            next_aid: FIRST_CREATED_AID,
            next_form: FIRST_CREATED_FORM,
        };
        for (i, spec) in dataset.accounts.iter().enumerate() {
            let place = format!("accounts[{i}]");
            if state.accounts.contains_key(&spec.aid) {
                return Err(err(
                    format!("{place}.aid"),
                    format!("account {} is defined twice", spec.aid),
                ));
            }
            let mut tokens = Vec::new();
            for (j, t) in spec.tokens.iter().enumerate() {
                if t.token.is_empty() || state.tokens.contains_key(t.token.as_str()) {
                    return Err(err(
                        format!("{place}.tokens[{j}]"),
                        format!("token '{}' is empty or used twice", t.token),
                    ));
                }
                let scopes = Scopes::from_list(&t.scopes);
                state
                    .tokens
                    .insert(t.token.as_str().into(), (spec.aid, scopes));
                tokens.push((t.token.as_str().into(), scopes));
            }
            let mut forms = Vec::new();
            for (j, f) in spec.forms.iter().enumerate() {
                let fplace = format!("{place}.forms[{j}]");
                if state.forms.contains_key(&f.lm_form) {
                    return Err(err(
                        format!("{fplace}.lm_form"),
                        format!("form {} is defined twice", f.lm_form),
                    ));
                }
                if f.fields.len() > MAX_FIELDS {
                    return Err(err(
                        format!("{fplace}.fields"),
                        format!(
                            "{} fields; a form may have at most {MAX_FIELDS}",
                            f.fields.len()
                        ),
                    ));
                }
                let mut definition = Vec::new();
                for (k, v) in &f.fields {
                    match v.as_str() {
                        Some(name) if !k.is_empty() && !name.is_empty() => {
                            definition.push((k.clone(), name.to_owned()))
                        }
                        _ => {
                            return Err(err(
                                format!("{fplace}.fields.{k}"),
                                "a field key must map to a non-empty field name (a string)".into(),
                            ));
                        }
                    }
                }
                let form = Form::build(
                    f.lm_form,
                    spec.aid,
                    f.lm_key.clone(),
                    f.name.clone(),
                    f.enabled,
                    f.thank_you_url.clone(),
                    definition,
                );
                state.forms.insert(f.lm_form, form);
                forms.push(f.lm_form);
            }
            state.accounts.insert(
                spec.aid,
                Account {
                    aid: spec.aid,
                    name: spec.name.clone(),
                    enabled: spec.enabled,
                    tokens,
                    forms,
                    leads: Vec::new(),
                },
            );
            state.next_aid = state.next_aid.max(spec.aid.saturating_add(1));
        }
        state.next_form = state
            .forms
            .keys()
            .map(|f| f.saturating_add(1))
            .max()
            .unwrap_or(0)
            .max(FIRST_CREATED_FORM);

        let leads_file = dataset.leads_file();
        let mut built = Vec::new();
        dataset.for_each_lead(|_, spec| {
            built.push(state.build_lead(&spec, spec.lid.unwrap_or(0), i64::MIN)?);
            Ok(())
        })?;
        // Leads with an id (from a snapshot) keep it; the others get ids in creation
        // order, so "newest first" and "highest id first" agree. Generated and
        // snapshot files are already in order, so this sort is usually a check.
        // Given ids must be in range and close together: the table holds a slot for
        // every id between the lowest and the highest.
        let given = built.iter().filter(|l| l.lid != 0).map(|l| l.lid);
        let (lowest, highest) = given.fold((u64::MAX, 0), |(lo, hi), l| (lo.min(l), hi.max(l)));
        let span_limit = built.len() as u64 + MAX_ID_GAP;
        if highest > MAX_LID || (highest > 0 && highest - lowest > span_limit) {
            return Err(FixtureError {
                file: leads_file,
                place: format!("lead {highest}"),
                reason: format!(
                    "lead ids run from {lowest} to {highest}: ids must be at most {MAX_LID} \
                     and within {span_limit} of each other (they are handed out one after \
                     another, so anything else is a damaged file)"
                ),
            });
        }
        state.next_lid = state.next_lid.max(highest + 1);
        if !built.is_sorted_by_key(|l| (l.lid != 0, l.lid, l.created_at)) {
            built.sort_by_key(|l| (l.lid != 0, l.lid, l.created_at));
        }
        state.by_phone.reserve(built.len());
        for lead in built.iter_mut().filter(|l| l.lid == 0) {
            lead.lid = state.next_lid;
            state.next_lid += 1;
        }
        if built.windows(2).all(|w| w[1].lid == w[0].lid + 1) {
            // Ids one after another (a generated dataset, or a snapshot without gaps):
            // the built leads become the table where they lie. Collecting `Some` of
            // each reuses their allocation, as `Option<Lead>` is the size of a lead,
            // so a million leads are not copied (136 MB) into memory touched afresh.
            for lead in &built {
                state.index_lead(lead, phone_match);
            }
            state.leads = LeadTable {
                base: built.first().map_or(0, |l| l.lid),
                count: built.len(),
                slots: built.into_iter().map(Some).collect(),
            };
            return Ok(state);
        }
        state.leads.slots.reserve(built.len());
        for lead in built {
            if state.leads.contains_key(&lead.lid) {
                return Err(FixtureError {
                    file: leads_file,
                    place: format!("lead {}", lead.lid),
                    reason: "lead id used twice".into(),
                });
            }
            state.insert_lead(lead, phone_match);
        }
        Ok(state)
    }

    /// Checks a lead spec against the accounts and forms; `now` stands in for a
    /// missing `created_at` (`i64::MIN` makes it required).
    fn build_lead(&self, spec: &LeadSpec, lid: u64, now: i64) -> Result<Lead, String> {
        let account = self
            .accounts
            .get(&spec.aid)
            .ok_or_else(|| format!("account {} not found", spec.aid))?;
        let form = self
            .forms
            .get(&spec.form_id)
            .filter(|f| f.aid == account.aid)
            .ok_or_else(|| {
                format!(
                    "form {} is not a form of account {}",
                    spec.form_id, spec.aid
                )
            })?;
        let parse_time = |name: &str, value: &str| -> Result<i64, String> {
            value
                .parse::<Timestamp>()
                .map(|t| t.as_second())
                .map_err(|e| format!("{name} '{value}' is not an RFC 3339 time: {e}"))
        };
        let created_at = match spec.created_at.as_str() {
            "" if now != i64::MIN => now,
            value => parse_time("created_at", value)?,
        };
        let updated_at = match spec.updated_at.as_deref() {
            Some(value) => parse_time("updated_at", value)?,
            None => created_at,
        };
        let mut fields = Vec::with_capacity(spec.fields.0.len() + 1);
        for (name, value) in &spec.fields.0 {
            let idx = *form
                .by_name
                .get(name.as_str())
                .ok_or_else(|| format!("'{name}' is not a field of form {}", form.lm_form))?;
            fields.push((idx, Box::<str>::from(value.as_str())));
        }
        let phone_name = &form.field_names[form.phone_field as usize];
        match fields.iter().find(|(i, _)| *i == form.phone_field) {
            Some((_, v)) if **v != *spec.phone && !spec.phone.is_empty() => {
                return Err(format!(
                    "phone '{}' differs from field {phone_name} '{v}'",
                    spec.phone
                ));
            }
            Some(_) => {}
            None if spec.phone.is_empty() => {}
            None => fields.push((form.phone_field, spec.phone.as_str().into())),
        }
        let extras = [
            &spec.utm_source,
            &spec.utm_medium,
            &spec.utm_campaign,
            &spec.utm_content,
            &spec.utm_term,
            &spec.lm_source,
        ];
        for (i, value) in extras.into_iter().enumerate() {
            if let Some(v) = value {
                fields.push((UTM_BASE + i as u16, v.as_str().into()));
            }
        }
        let Packed {
            text,
            fields,
            plain,
        } = Lead::pack(fields);
        Ok(Lead {
            lid,
            aid: spec.aid,
            form_id: spec.form_id,
            status_id: spec.status_id,
            is_disrupted: spec.is_disrupted,
            created_at,
            updated_at,
            text,
            fields,
            plain,
        })
    }

    fn insert_lead(&mut self, lead: Lead, phone_match: PhoneMatch) {
        self.index_lead(&lead, phone_match);
        self.leads.insert(lead);
    }

    /// Files `lead` under its phone and in its account's list; putting it in the
    /// table is the caller's part.
    fn index_lead(&mut self, lead: &Lead, phone_match: PhoneMatch) {
        // The index key is worked out from the borrowed phone: no copy per lead.
        let key = index_key(
            lead.aid,
            lead.phone(&self.forms[&lead.form_id]),
            phone_match,
        );
        if let Some(key) = key {
            self.by_phone.insert(key, lead.lid);
        }
        if let Some(account) = self.accounts.get_mut(&lead.aid) {
            account.leads.push(lead.lid);
        }
    }

    fn authorize(
        &self,
        aid: &str,
        token: Option<Result<&str, ()>>,
        need: Need,
    ) -> Result<u64, ApiError> {
        let aid: u64 = aid
            .parse()
            .map_err(|_| ApiError::MalformedAccount(aid.into()))?;
        let token = match token {
            None => return Err(ApiError::MissingToken),
            Some(Err(())) => return Err(ApiError::TokenNotAscii),
            Some(Ok(t)) if t.trim().is_empty() => return Err(ApiError::MissingToken),
            Some(Ok(t)) => t.trim(),
        };
        let &(owner, scopes) = self.tokens.get(token).ok_or(ApiError::UnknownToken)?;
        // Before looking the account up: a valid token must not tell which other
        // account ids exist.
        if owner != aid {
            return Err(ApiError::TokenOfOtherAccount { owner, aid });
        }
        let account = self
            .accounts
            .get(&aid)
            .ok_or(ApiError::UnknownAccount(aid))?;
        match need {
            Need::Read if !scopes.read => return Err(ApiError::MissingScope("read")),
            Need::Write if !scopes.write => return Err(ApiError::MissingScope("write")),
            _ => {}
        }
        if !account.enabled {
            return Err(ApiError::AccountDisabled(aid));
        }
        Ok(aid)
    }

    fn lead_of(&self, aid: u64, by_id: Option<&str>) -> Result<&Lead, ApiError> {
        let raw = by_id
            .filter(|v| !v.is_empty())
            .ok_or(ApiError::MissingParam("by_id"))?;
        let lid: u64 = raw
            .trim()
            .parse()
            .map_err(|_| ApiError::MalformedId(raw.into()))?;
        self.leads
            .get(&lid)
            .filter(|l| l.aid == aid)
            .ok_or(ApiError::LeadNotFound(lid))
    }

    fn account_view(&self, a: &Account) -> AccountView {
        AccountView {
            aid: a.aid,
            name: a.name.clone(),
            enabled: a.enabled,
            tokens: a
                .tokens
                .iter()
                .map(|(t, s)| TokenView {
                    token: t.to_string(),
                    scopes: s.to_list(),
                })
                .collect(),
            forms: a
                .forms
                .iter()
                .filter_map(|f| self.forms.get(f))
                .map(Form::view)
                .collect(),
            leads: a.leads.len(),
        }
    }
}

/// `{"status":"success","data":[…]}` for these leads, written under the lock straight
/// from the stored leads. This is the lookup's hot path, so the JSON is written by
/// hand rather than through serde: field names and most values need no escaping, and
/// checking that is far cheaper than escaping byte by byte. A test holds the output
/// equal, byte for byte, to serde's rendering of [`LeadView`].
fn envelope(state: &State, leads: &[&Lead]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 640 * leads.len());
    out.extend_from_slice(br#"{"status":"success","data":["#);
    for (i, lead) in leads.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_lead(&mut out, lead, &state.forms[&lead.form_id]);
    }
    out.extend_from_slice(b"]}");
    out
}

fn write_lead(out: &mut Vec<u8>, lead: &Lead, form: &Form) {
    let number = |out: &mut Vec<u8>, key: &[u8], n: u64| {
        out.extend_from_slice(key);
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    };
    // Values are copied as they are when the lead holds nothing to escape.
    let value = |out: &mut Vec<u8>, v: &str| {
        if lead.plain {
            out.push(b'"');
            out.extend_from_slice(v.as_bytes());
            out.push(b'"');
        } else {
            write_str(out, v);
        }
    };
    number(out, br#"{"aid":"#, lead.aid);
    number(out, br#","lid":"#, lead.lid);
    number(out, br#","form_id":"#, lead.form_id);
    number(out, br#","status_id":"#, u64::from(lead.status_id));
    out.extend_from_slice(if lead.is_disrupted {
        br#","is_disrupted":true"#
    } else {
        br#","is_disrupted":false"#
    });
    out.extend_from_slice(br#","created_at":"#);
    write_time(out, lead.created_at);
    out.extend_from_slice(br#","updated_at":"#);
    write_time(out, lead.updated_at);
    out.extend_from_slice(br#","phone":"#);
    value(out, lead.phone(form));
    out.extend_from_slice(br#","fields":{"#);
    // Pairs come by field index: the form's fields, then the UTM values in order.
    let mut pairs = lead.pairs().peekable();
    let mut first = true;
    while let Some((idx, v)) = pairs.next_if(|(idx, _)| *idx < UTM_BASE) {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(&form.json_keys[idx as usize]);
        value(out, v);
    }
    out.push(b'}');
    for (key, idx) in [
        (&br#","utm_source":"#[..], UTM_BASE),
        (br#","utm_medium":"#, UTM_BASE + 1),
        (br#","utm_campaign":"#, UTM_BASE + 2),
        (br#","utm_content":"#, UTM_BASE + 3),
        (br#","utm_term":"#, UTM_BASE + 4),
        (br#","lm_source":"#, LM_SOURCE),
    ] {
        out.extend_from_slice(key);
        match pairs.next_if(|(i, _)| *i == idx) {
            Some((_, v)) => value(out, v),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b'}');
}

/// A JSON string: copied as is when nothing in it needs escaping, else through
/// serde_json's escaping.
fn write_str(out: &mut Vec<u8>, s: &str) {
    if is_plain(s) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// A timestamp as RFC 3339 in UTC to the second (`"2026-03-02T09:15:00Z"`), as
/// jiff prints it, without going through `fmt`.
fn write_time(out: &mut Vec<u8>, secs: i64) {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        // Outside four-digit years jiff's own printing decides the shape.
        let text = Timestamp::from_second(secs)
            .map(|t| t.to_string())
            .unwrap_or_default();
        return write_str(out, &text);
    }
    let digit = |n: i64| b'0' + n as u8;
    let (hour, minute, second) = (rest / 3600, rest / 60 % 60, rest % 60);
    out.extend_from_slice(&[
        b'"',
        digit(year / 1000),
        digit(year / 100 % 10),
        digit(year / 10 % 10),
        digit(year % 10),
        b'-',
        digit(month / 10),
        digit(month % 10),
        b'-',
        digit(day / 10),
        digit(day % 10),
        b'T',
        digit(hour / 10),
        digit(hour % 10),
        b':',
        digit(minute / 10),
        digit(minute % 10),
        b':',
        digit(second / 10),
        digit(second % 10),
        b'Z',
        b'"',
    ]);
}

/// The phone index's key for `phone` in account `aid`: a fixed hash, so the index
/// holds no strings. None for a phone without one.
fn index_key(aid: u64, phone: &str, phone_match: PhoneMatch) -> Option<u64> {
    // An empty key (no phone, or in normalized mode one without digits) would make
    // every such lead match every other digitless `by_phone`.
    let key = phone_match.key(phone);
    (!key.is_empty()).then(|| phone_hash(aid, &key))
}

fn phone_hash(aid: u64, key: &str) -> u64 {
    // A fixed seed: the same phone hashes the same across resets and snapshots.
    foldhash::fast::FixedState::with_seed(0x1ead_1e55).hash_one((aid, key))
}

/// Cuts `value` to `limit` characters (not bytes), saying so in `diagnostics`.
fn cap<'v>(key: &str, value: &'v str, limit: usize, diagnostics: &mut Vec<String>) -> &'v str {
    // A string has no more characters than bytes: most values need no counting.
    if value.len() <= limit {
        return value;
    }
    match value.char_indices().nth(limit) {
        None => value,
        Some((cut_at, _)) => {
            let total = value.chars().count();
            diagnostics.push(format!("{key} cut from {total} to {limit} characters"));
            &value[..cut_at]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Part, parse_urlencoded};

    #[test]
    fn the_fast_lead_json_equals_the_view() {
        let store = Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap();
        let params = parse_urlencoded(
            "lm_form=5001&lm_key=k-5001-3fa9c21e&name=%22%D7%93%D7%A0%D7%94%22+%5C+%01%0A%09%7F&phone=0521234567&utm_source=fb&lm_source=x&fld_city=חיפה&fld_nmae=1".as_bytes(),
            Part::Query,
        )
        .unwrap();
        store.submit(&params, Timestamp::now()).unwrap();
        let token = Some(Ok("t-3305-rw"));
        let (_, views) = store
            .leads_by_phone("3305", token, Some("0521234567"))
            .unwrap();
        let (_, count, json) = store
            .leads_by_phone_json("3305", token, Some("0521234567"))
            .unwrap();
        assert_eq!(count, views.len());
        assert!(count >= 2);
        let fast: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let slow = serde_json::json!({"status": "success", "data": views});
        assert_eq!(fast, slow);
        // Same key order too: what a client that prints the answer sees.
        assert_eq!(
            String::from_utf8(json).unwrap(),
            serde_json::to_string(&slow).unwrap()
        );
    }

    #[test]
    fn fields_come_in_the_forms_order_and_the_last_repeat_wins() {
        let store = Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap();
        // The message before the name, and given twice (`msg` and `fld_message`).
        let params = parse_urlencoded(
            "lm_form=5001&lm_key=k-5001-3fa9c21e&msg=%D7%A9%D7%9C%D7%95%D7%9D&fld_city=%D7%97%D7%99%D7%A4%D7%94&name=%D7%93%D7%A0%D7%94&phone=0547770001&fld_message=%D7%AA%D7%95%D7%93%D7%94"
                .as_bytes(),
            Part::Query,
        )
        .unwrap();
        store.submit(&params, Timestamp::now()).unwrap();
        let (_, views) = store
            .leads_by_phone("3305", Some(Ok("t-3305-rw")), Some("0547770001"))
            .unwrap();
        let names: Vec<&str> = views[0].fields.keys().map(String::as_str).collect();
        assert_eq!(names, ["שם", "טלפון", "הודעה", "עיר"]);
        assert_eq!(views[0].fields["הודעה"], "תודה");
    }

    proptest::proptest! {
        /// An update's changes land as if laid over a map of the lead's fields: each
        /// field once, in field order, the last change of a field winning; "changed"
        /// only when some value differs; plain kept true to the values.
        #[test]
        fn set_fields_is_a_map_overlay(
            before in proptest::collection::btree_map(0u16..12, "[א-ת a\"]{0,6}", 0..8),
            changes in proptest::collection::vec((0u16..12, "[א-ת a\"]{0,6}"), 0..6),
        ) {
            let mut lead = Lead {
                lid: 1, aid: 1, form_id: 1, created_at: 0, updated_at: 0, status_id: 1,
                is_disrupted: false, text: "".into(), fields: Ends::new(), plain: true,
            };
            let packed = Lead::pack(before.iter().map(|(i, v)| (*i, v.as_str())).collect());
            (lead.text, lead.fields, lead.plain) = (packed.text, packed.fields, packed.plain);
            let borrowed: Vec<(u16, &str)> = changes.iter().map(|(i, v)| (*i, v.as_str())).collect();
            let changed = lead.set_fields(&borrowed);

            let mut expected = before.clone();
            expected.extend(changes.iter().cloned());
            let after: Vec<(u16, String)> = lead.pairs().map(|(i, v)| (i, v.to_owned())).collect();
            proptest::prop_assert_eq!(&after, &expected.clone().into_iter().collect::<Vec<_>>());
            proptest::prop_assert_eq!(changed, expected != before);
            proptest::prop_assert_eq!(lead.plain, expected.values().all(|v| !v.contains('"')));
        }
    }

    #[test]
    fn plain_means_nothing_to_escape() {
        let naive = |s: &str| s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
        for b in 0u8..0x80 {
            for at in 0..20 {
                let mut s = "שלום עולם"
                    .repeat(3)
                    .chars()
                    .take(20)
                    .collect::<Vec<char>>();
                s[at] = char::from(b);
                let s: String = s.into_iter().collect();
                assert_eq!(is_plain(&s), naive(&s), "{s:?}");
            }
        }
        assert!(is_plain(""));
        assert!(is_plain("דנה כהן, רמת גן 052-1234567"));
    }

    #[test]
    fn a_snapshot_with_ids_far_apart_is_refused_not_allocated() {
        let mut snapshot = Store::new(Dataset::embedded(), PhoneMatch::Exact)
            .unwrap()
            .export();
        snapshot.leads[1].lid = Some(u64::MAX / 2);
        let store = Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap();
        let err = store.restore(snapshot, "state.json").unwrap_err();
        assert!(err.reason.contains("within"), "{err}");
        assert_eq!(store.counts().1, 48, "the state is untouched");

        // The first lead alone out of range, and ids spaced just under the gap.
        let base = Store::new(Dataset::embedded(), PhoneMatch::Exact)
            .unwrap()
            .export();
        let mut alone = base.clone();
        alone.leads.truncate(1);
        alone.leads[0].lid = Some(u64::MAX);
        let mut spaced = base.clone();
        for (i, lead) in spaced.leads.iter_mut().enumerate() {
            lead.lid = Some(100_001 + i as u64 * (MAX_ID_GAP - 1));
        }
        for bad in [alone, spaced] {
            assert!(store.restore(bad, "state.json").is_err());
        }
    }

    #[test]
    fn a_reset_whose_files_no_longer_load_fails_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        crate::generate::write(dir.path(), 20, 1, |_| {}).unwrap();
        let store = Store::new(Dataset::load_dir(dir.path()).unwrap(), PhoneMatch::Exact).unwrap();
        let created = store.create_account(None);
        std::fs::write(dir.path().join("leads.jsonl"), "{\"aid\": 5100, broken\n").unwrap();
        let err = store.reset().unwrap_err();
        assert_eq!(err.place, "line 1, column 15", "{err}");
        assert_eq!(store.counts(), (2, 20), "nothing changed");
        assert!(store.account(created.aid).is_some());
    }

    #[test]
    fn only_a_change_moves_the_generation() {
        let store = Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap();
        let before = store.generation();
        let wrong = parse_urlencoded(b"lm_form=5001&lm_key=nope", Part::Query).unwrap();
        assert!(store.submit(&wrong, Timestamp::now()).is_err());
        assert!(
            store
                .update("3305", Some(Ok("t-4410-rw")), &wrong, Timestamp::now())
                .is_err()
        );
        assert_eq!(store.generation(), before, "refused calls change nothing");
        let ok =
            parse_urlencoded(b"lm_form=5001&lm_key=k-5001-3fa9c21e&name=x", Part::Query).unwrap();
        store.submit(&ok, Timestamp::now()).unwrap();
        assert_ne!(store.generation(), before);
    }

    #[test]
    fn a_changed_phone_leaves_no_entry_under_the_old_one() {
        // Lookups check each lead's own phone, so a stale entry would not show in an
        // answer: it would only make the index grow with every phone change.
        let store = Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap();
        let token = Some(Ok("t-3305-rw"));
        let (_, found) = store
            .leads_by_phone("3305", token, Some("0521234567"))
            .unwrap();
        let lid = found[0].lid;
        let by_id = format!("by_id={lid}&phone=054-318-2290");
        let change = parse_urlencoded(by_id.as_bytes(), Part::Body).unwrap();
        store
            .update("3305", token, &change, Timestamp::now())
            .unwrap();
        let state = store.lock();
        let filed = |phone| {
            let key = index_key(3305, phone, PhoneMatch::Exact).unwrap();
            state.by_phone.get(key).contains(&lid)
        };
        assert!(!filed("0521234567"), "still filed under the old phone");
        assert!(filed("054-318-2290"), "not filed under the new phone");
    }

    #[test]
    fn submit_checks_the_form_before_the_key() {
        let store = Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap();
        let params = parse_urlencoded(b"lm_form=5999", Part::Query).unwrap();
        let err = store.submit(&params, Timestamp::now()).unwrap_err();
        assert_eq!(err, SubmitError::FormNotFound(5999));
        assert_eq!(err.code(), Some(-4));
    }

    #[test]
    fn another_accounts_token_never_tells_which_account_ids_exist() {
        let store = Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap();
        let token = Some(Ok("t-4410-rw"));
        let existing = store.leads_by_phone("3305", token, Some("1")).unwrap_err();
        let missing = store
            .leads_by_phone("999999", token, Some("1"))
            .unwrap_err();
        assert_eq!(existing.to_string(), "invalid token");
        assert_eq!(missing.to_string(), existing.to_string());
    }

    #[test]
    fn times_print_as_jiff_prints_them() {
        for secs in [
            0,
            -1,
            951_782_400,   // 2000-02-29
            1_735_689_599, // 2024-12-31T23:59:59
            1_772_442_900,
            4_107_542_400,   // 2100-03-01
            253_402_207_200, // the last second jiff holds
            -62_135_596_800, // 0001-01-01
            -62_167_219_200, // 0000-01-01
            -62_167_219_201,
        ] {
            let mut out = Vec::new();
            write_time(&mut out, secs);
            let jiff = format!("\"{}\"", Timestamp::from_second(secs).unwrap());
            assert_eq!(String::from_utf8(out).unwrap(), jiff, "{secs}");
        }
    }
}
