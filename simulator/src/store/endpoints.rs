//! What the endpoints' rules see of the state, and what they hand back: the store
//! runs a rule under its lock (`read_account`, `create_lead`, `update_lead`) and
//! applies its decision. The rules themselves are in `api/`.

use super::changes::{Change, LeadRecord};
use super::{Form, Lead, LeadHead, State, Store, phone_index};
use crate::error::ApiError;
use crate::fixtures::Scope;
use crate::request::TokenHeader;
use std::sync::Arc;

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

    /// The account's leads whose phone matches `phone` in the store's mode, at most
    /// `cap` of them: the ones filed under the phone last (a lead is filed when it is
    /// stored, and again when an update gives it this phone), in no particular order;
    /// and how many are filed under it in all. Bounded work however many leads share
    /// the phone.
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

    /// The advertiser users a lead is routed to, by id; empty until routed.
    pub fn routes_of(&self, lid: u64) -> &'s [u64] {
        self.state.routes_of(lid)
    }

    /// The name of one of the account's advertiser users.
    pub fn advertiser_name(&self, id: u64) -> &'s str {
        self.state.advertiser_name(self.aid, id)
    }

    /// A lead's public view.
    #[cfg(test)]
    pub fn view(&self, lead: &Lead) -> crate::model::LeadView {
        self.state.view(lead)
    }

    fn phone_of(&self, lead: &'s Lead) -> &'s str {
        lead.phone(self.form_of(lead))
    }
}

/// The form a submission names, as its rules see it.
pub(crate) struct SubmitTarget<'s> {
    pub form: &'s Form,
    pub account_enabled: bool,
    recent: Option<&'s std::collections::VecDeque<(u64, i64)>>,
}

impl SubmitTarget<'_> {
    /// Whether the form accepted a submission with this fingerprint at or after
    /// `since`.
    pub fn accepted_since(&self, fingerprint: u64, since: i64) -> bool {
        self.recent
            .is_some_and(|r| r.iter().any(|(f, at)| *f == fingerprint && *at >= since))
    }
}

/// Most submissions a form remembers for refusing repeats: the memory stays bounded
/// however many arrive within the window.
const MAX_RECENT: usize = 10_000;

/// A lead the submit rules decided to create: its account and thank-you URL (the
/// form's), its values by field index.
pub(crate) struct NewLead<'p> {
    pub aid: u64,
    pub thank_you_url: Arc<str>,
    pub values: Vec<(u16, std::borrow::Cow<'p, str>)>,
    pub status_id: u32,
    /// Remember the submission for refusing a repeat, with the form's window.
    pub remember: Option<(u64, u64)>,
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
    /// Route the lead to every advertiser user of its account (`route_adv=true`).
    pub route_to_advertisers: bool,
}

impl Store {
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
            recent: state.recent.get(&lm_form),
        });
        let NewLead {
            aid,
            thank_you_url,
            values,
            status_id,
            remember,
        } = decide(target)?;
        if let Some((fingerprint, window)) = remember {
            let recent = state.recent.entry(lm_form).or_default();
            let since = now.saturating_sub_unsigned(window);
            while recent
                .front()
                .is_some_and(|(_, at)| *at < since || recent.len() >= MAX_RECENT)
            {
                recent.pop_front();
            }
            recent.push_back((fingerprint, now));
        }
        let lid = state.next_lid;
        state.next_lid += 1;
        let head = LeadHead {
            lid,
            aid,
            form_id: lm_form,
            created_at: now,
            updated_at: now,
            status_id,
        };
        let lead = Lead::new(head, Lead::pack(values));
        self.log(&Change::Created {
            lead: LeadRecord(&lead),
        });
        state.insert_lead(lead);
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
            self.log(&Change::Updated {
                lid: update.lid,
                values: &update.values,
                status_id: update.status_id,
                routed: update.route_to_advertisers,
                at: now,
            });
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
            lead: state.view(lead),
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
