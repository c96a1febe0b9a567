//! Building the state from a dataset (fixtures, a generated file, a `--state`
//! snapshot), and the state back into the snapshot format. Every error names the
//! file, the place and the reason.

use super::accounts::{Account, Form, FormDefinition, MAX_FIELDS, Scopes};
use super::lead::{LM_SOURCE, Lead, LeadHead, UTM_BASE};
use super::table::LeadTable;
use super::{FIRST_CREATED_AID, FIRST_CREATED_FORM, FIRST_LID, Map, State};
use crate::background::{self, Lane};
use crate::fixtures::{AccountSpec, Dataset, FixtureError, FormSpec, LeadSpec, TokenSpec};
use crate::phone::PhoneMatch;
use jiff::Timestamp;
use std::collections::BTreeMap;

/// The highest lead id a dataset or snapshot may carry: the largest integer a
/// JavaScript client reads exactly, and far from overflow.
pub(crate) const MAX_LID: u64 = (1 << 53) - 1;

/// The widest gap between lead ids a dataset or snapshot may have.
pub(crate) const MAX_ID_GAP: u64 = 1_000_000;

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
    /// The last record of the `--state` log whose change this snapshot holds: on
    /// start, only later records are applied on top of it. 0 when written without
    /// a log.
    #[serde(default)]
    pub log_seq: u64,
}

/// The snapshot format's version.
pub const SNAPSHOT_VERSION: u32 = 1;

impl State {
    /// A state holding `dataset`, handing out lead ids from `lid_floor` on (or past
    /// the dataset's own), built on `lane`'s thread, which frees it too (see
    /// `background`).
    pub(super) fn build(
        lane: Lane,
        dataset: &Dataset,
        phone_match: PhoneMatch,
        lid_floor: u64,
    ) -> Result<State, FixtureError> {
        background::run(lane, || {
            State::from_dataset(lane, dataset, phone_match, lid_floor)
        })
    }

    fn from_dataset(
        home: Lane,
        dataset: &Dataset,
        phone_match: PhoneMatch,
        lid_floor: u64,
    ) -> Result<State, FixtureError> {
        let mut state = State {
            home,
            accounts: BTreeMap::new(),
            forms: Map::default(),
            tokens: Map::default(),
            leads: LeadTable::default(),
            by_phone: super::phone_index::PhoneIndex::default(),
            next_lid: lid_floor.max(FIRST_LID),
            next_aid: FIRST_CREATED_AID,
            next_form: FIRST_CREATED_FORM,
            phone_match,
            routes: Map::default(),
            recent: Map::default(),
        };
        let accounts_file = dataset.accounts_file();
        for (i, spec) in dataset.accounts.iter().enumerate() {
            state
                .load_account(spec, &format!("accounts[{i}]"))
                .map_err(|(place, reason)| FixtureError {
                    file: accounts_file.clone(),
                    place,
                    reason,
                })?;
        }
        state.next_form = state
            .forms
            .keys()
            .map(|f| f.saturating_add(1))
            .max()
            .unwrap_or(0)
            .max(FIRST_CREATED_FORM);
        let mut built = Vec::new();
        let mut outdated = 0usize;
        let mut routes = Vec::new();
        dataset.for_each_lead(|_, spec| {
            outdated += usize::from(spec.is_disrupted.is_some());
            if !spec.routes_to_advertisers.is_empty() {
                // Only a lead with its id can be routed: ids of the others are
                // handed out below, in an order of their own.
                let lid = spec
                    .lid
                    .ok_or("routes_to_advertisers needs the lead's lid (as a --state file has)")?;
                routes.push((lid, spec.routes_to_advertisers.clone()));
            }
            built.push(state.build_lead(&spec, spec.lid.unwrap_or(0), i64::MIN)?);
            Ok(())
        })?;
        state.routes.extend(routes);
        if outdated > 0 {
            tracing::warn!(
                file = %dataset.leads_file(),
                leads = outdated,
                "is_disrupted is no longer part of a lead (Lead.IM's clients show no such key): ignored"
            );
        }
        state.load_leads(built, &dataset.leads_file())?;
        Ok(state)
    }

    /// One account of the dataset with its tokens and forms; an error is
    /// `(place, reason)`.
    fn load_account(&mut self, spec: &AccountSpec, place: &str) -> Result<(), (String, String)> {
        if self.accounts.contains_key(&spec.aid) {
            return Err((
                format!("{place}.aid"),
                format!("account {} is defined twice", spec.aid),
            ));
        }
        let mut tokens = Vec::new();
        for (j, t) in spec.tokens.iter().enumerate() {
            if t.token.is_empty() || self.tokens.contains_key(t.token.as_str()) {
                return Err((
                    format!("{place}.tokens[{j}]"),
                    format!("token '{}' is empty or used twice", t.token),
                ));
            }
            let scopes = Scopes::from_list(&t.scopes);
            self.tokens
                .insert(t.token.as_str().into(), (spec.aid, scopes));
            tokens.push((t.token.as_str().into(), scopes));
        }
        let mut forms = Vec::new();
        for (j, f) in spec.forms.iter().enumerate() {
            if self.forms.contains_key(&f.lm_form) {
                return Err((
                    format!("{place}.forms[{j}].lm_form"),
                    format!("form {} is defined twice", f.lm_form),
                ));
            }
            let form = form_of_spec(spec.aid, f, &format!("{place}.forms[{j}]"))?;
            self.forms.insert(f.lm_form, form);
            forms.push(f.lm_form);
        }
        self.accounts.insert(
            spec.aid,
            Account {
                aid: spec.aid,
                name: spec.name.clone(),
                enabled: spec.enabled,
                tokens,
                forms,
                leads: Vec::new(),
                advertisers: spec.advertisers.clone(),
            },
        );
        self.next_aid = self.next_aid.max(spec.aid.saturating_add(1));
        Ok(())
    }

    /// Gives ids to the built leads that have none and files them all. Leads with an
    /// id (from a snapshot) keep it; the others get ids in creation order, so "newest
    /// first" and "highest id first" agree. Generated and snapshot files are already
    /// in order, so the sort is usually a check.
    fn load_leads(&mut self, mut built: Vec<Lead>, leads_file: &str) -> Result<(), FixtureError> {
        check_id_span(&built, leads_file)?;
        let highest = built.iter().map(|l| l.lid).max().unwrap_or(0);
        self.next_lid = self.next_lid.max(highest + 1);
        if !built.is_sorted_by_key(|l| (l.lid != 0, l.lid, l.created_at)) {
            built.sort_by_key(|l| (l.lid != 0, l.lid, l.created_at));
        }
        self.by_phone.reserve(built.len());
        for lead in built.iter_mut().filter(|l| l.lid == 0) {
            lead.lid = self.next_lid;
            self.next_lid += 1;
        }
        if built.windows(2).all(|w| w[1].lid == w[0].lid + 1) {
            // Ids one after another (a generated dataset, or a snapshot without gaps):
            // the built leads become the table where they lie, so a million leads
            // are not copied (136 MB) into memory touched afresh.
            for lead in &built {
                self.index_lead(lead);
            }
            self.leads = LeadTable::from_consecutive(built);
            return Ok(());
        }
        self.leads.reserve(built.len());
        for lead in built {
            if self.leads.contains(lead.lid) {
                return Err(FixtureError {
                    file: leads_file.into(),
                    place: format!("lead {}", lead.lid),
                    reason: "lead id used twice".into(),
                });
            }
            self.insert_lead(lead);
        }
        Ok(())
    }

    /// Checks a lead spec against the accounts and forms; `now` stands in for a
    /// missing `created_at` (`i64::MIN` makes it required).
    pub(super) fn build_lead(&self, spec: &LeadSpec, lid: u64, now: i64) -> Result<Lead, String> {
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
        let created_at = match spec.created_at.as_str() {
            "" if now != i64::MIN => now,
            value => parse_time("created_at", value)?,
        };
        let updated_at = match spec.updated_at.as_deref() {
            Some(value) => parse_time("updated_at", value)?,
            None => created_at,
        };
        let head = LeadHead {
            lid,
            aid: spec.aid,
            form_id: spec.form_id,
            created_at,
            updated_at,
            status_id: spec.status_id,
        };
        Ok(Lead::new(head, Lead::pack(spec_values(spec, form)?)))
    }

    /// Every account in the dataset format, with its tokens and forms: the part of
    /// a snapshot taken in one go (it grows with the accounts, not the leads).
    pub(super) fn account_specs(&self) -> Vec<AccountSpec> {
        self.accounts
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
                    .filter_map(|f| self.forms.get(f))
                    .map(form_spec)
                    .collect(),
                advertisers: a.advertisers.clone(),
            })
            .collect()
    }
}

/// Given ids must be in range and close together: the table holds a slot for every
/// id between the lowest and the highest.
fn check_id_span(built: &[Lead], leads_file: &str) -> Result<(), FixtureError> {
    let given = built.iter().filter(|l| l.lid != 0).map(|l| l.lid);
    let (lowest, highest) = given.fold((u64::MAX, 0), |(lo, hi), l| (lo.min(l), hi.max(l)));
    let span_limit = built.len() as u64 + MAX_ID_GAP;
    if highest > MAX_LID || (highest > 0 && highest - lowest > span_limit) {
        return Err(FixtureError {
            file: leads_file.into(),
            place: format!("lead {highest}"),
            reason: format!(
                "lead ids run from {lowest} to {highest}: ids must be at most {MAX_LID} \
                 and within {span_limit} of each other (they are handed out one after \
                 another, so anything else is a damaged file)"
            ),
        });
    }
    Ok(())
}

/// A form of the dataset, its field definitions checked.
fn form_of_spec(aid: u64, f: &FormSpec, place: &str) -> Result<Form, (String, String)> {
    if f.fields.len() > MAX_FIELDS {
        return Err((
            format!("{place}.fields"),
            format!(
                "{} fields; a form may have at most {MAX_FIELDS}",
                f.fields.len()
            ),
        ));
    }
    let mut fields = Vec::with_capacity(f.fields.len());
    for (k, name) in f.fields.iter() {
        if k.is_empty() || name.is_empty() {
            return Err((
                format!("{place}.fields.{k}"),
                "a field key must map to a non-empty field name".into(),
            ));
        }
        fields.push((k.to_owned(), name.to_owned()));
    }
    Ok(Form::build(FormDefinition {
        lm_form: f.lm_form,
        aid,
        lm_key: f.lm_key.clone(),
        name: f.name.clone(),
        enabled: f.enabled,
        thank_you_url: f.thank_you_url.clone(),
        fields,
        reject_duplicates_secs: f.reject_duplicates_secs,
        phone_format: f.phone_format,
    }))
}

/// A lead spec's values by field index: its fields by name, its phone (which must
/// agree with the phone field when both are given), its UTM values.
fn spec_values(spec: &LeadSpec, form: &Form) -> Result<Vec<(u16, Box<str>)>, String> {
    let mut values = Vec::with_capacity(spec.fields.len() + 1);
    for (name, value) in spec.fields.iter() {
        let idx = form
            .field_named(name)
            .ok_or_else(|| format!("'{name}' is not a field of form {}", form.lm_form))?;
        values.push((idx, Box::<str>::from(value)));
    }
    let phone_name = form.field_name(form.phone_field);
    match values.iter().find(|(i, _)| *i == form.phone_field) {
        Some((_, v)) if **v != *spec.phone && !spec.phone.is_empty() => {
            return Err(format!(
                "phone '{}' differs from field {phone_name} '{v}'",
                spec.phone
            ));
        }
        Some(_) => {}
        None if spec.phone.is_empty() => {}
        None => values.push((form.phone_field, spec.phone.as_str().into())),
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
            values.push((UTM_BASE + i as u16, v.as_str().into()));
        }
    }
    debug_assert_eq!(UTM_BASE + 5, LM_SOURCE);
    Ok(values)
}

fn parse_time(name: &str, value: &str) -> Result<i64, String> {
    value
        .parse::<Timestamp>()
        .map(|t| t.as_second())
        .map_err(|e| format!("{name} '{value}' is not an RFC 3339 time: {e}"))
}

fn form_spec(form: &Form) -> FormSpec {
    let view = form.view();
    FormSpec {
        lm_form: view.lm_form,
        lm_key: view.lm_key,
        name: view.name,
        enabled: view.enabled,
        thank_you_url: view.thank_you_url,
        fields: view.fields,
        reject_duplicates_secs: view.reject_duplicates_secs,
        phone_format: view.phone_format,
    }
}

/// A lead in the dataset format, with its id and the advertiser users it is routed
/// to.
pub(super) fn lead_spec(lead: &Lead, form: &Form, routes: Vec<u64>) -> LeadSpec {
    let v = lead.view(form);
    LeadSpec {
        lid: Some(v.lid),
        aid: v.aid,
        form_id: v.form_id,
        created_at: v.created_at,
        updated_at: Some(v.updated_at),
        status_id: v.status_id,
        is_disrupted: None,
        phone: v.phone,
        fields: v.fields,
        utm_source: v.utm_source,
        utm_medium: v.utm_medium,
        utm_campaign: v.utm_campaign,
        utm_content: v.utm_content,
        utm_term: v.utm_term,
        lm_source: v.lm_source,
        routes_to_advertisers: routes,
    }
}
