//! What the admin API and the in-process handle do to the state besides the Lead.IM
//! endpoints: create and list accounts, seed leads, enable and disable.

use super::changes::{Change, LeadsRecord};
use super::{Store, lead::Lead};
use crate::fixtures::LeadSpec;
use crate::model::{AccountView, LeadView, NewAccount};

/// A lead to seed through the admin API or the handle: a [`LeadSpec`] whose `aid`
/// comes from the URL, whose `form_id` may be 0 (the account's first form) and whose
/// `created_at` may be empty (now).
pub type SeedLead = LeadSpec;

/// Why [`Store::seed_leads`] refused a batch (nothing of it was added).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// No account with that id.
    #[error("account {0} not found")]
    AccountNotFound(u64),
    /// A lead names no form and the account has none.
    #[error("account {0} has no form")]
    NoForm(u64),
    /// A lead does not fit its account's form.
    #[error("leads[{index}]: {reason}")]
    BadLead {
        /// Its place in the batch.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// Settings of a form to change through [`Store::configure_form`]; `None` leaves
/// one as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FormSettings {
    /// Takes submissions or not.
    pub enabled: Option<bool>,
    /// Refuse repeats within this many seconds (`Some(None)`: stop refusing).
    pub reject_duplicates_secs: Option<Option<u64>>,
    /// How the phone is stored.
    pub phone_format: Option<crate::fixtures::PhoneFormat>,
}

/// How many accounts and leads the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Accounts.
    pub accounts: usize,
    /// Leads, over every account.
    pub leads: usize,
}

/// The account the start-up banner offers: the first enabled account with an
/// enabled form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultAccount {
    /// Account id.
    pub aid: u64,
    /// Its first enabled form.
    pub lm_form: u64,
    /// That form's key.
    pub lm_key: String,
    /// A read+write token (or the account's first).
    pub token: String,
}

impl Store {
    /// Creates an isolated account with one enabled form of the standard fields and
    /// three tokens (read+write, read-only, write-only).
    pub fn create_account(&self, name: Option<&str>) -> NewAccount {
        let mut state = self.lock();
        let new = state.create_account(name, &self.shared.keys);
        self.log(&Change::account_created(
            &new,
            &state.accounts[&new.aid].name,
        ));
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
            .filter_map(|lid| state.leads.get(*lid))
            .collect();
        // Seeded leads may carry an older created_at than the leads before them.
        leads.sort_by_key(|l| (l.created_at, l.lid));
        Some(leads.into_iter().map(|l| state.view(l)).collect())
    }

    /// One lead of an account; `None` when the account has no lead with that id.
    pub fn lead(&self, aid: u64, lid: u64) -> Option<LeadView> {
        let state = self.lock();
        let lead = state.leads.get(lid).filter(|l| l.aid == aid)?;
        Some(state.view(lead))
    }

    /// Adds leads to an account as they are (no caps, no diagnostics), for tests
    /// that need a lead in a given shape. All or nothing: the first bad lead refuses
    /// the whole batch, naming it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use leadim_simulator::{SeedLead, Simulator};
    ///
    /// let sim = Simulator::start().await.unwrap();
    /// let account = sim.create_account();
    /// // The admin API's body format: field names are the form's Hebrew names.
    /// let leads: Vec<SeedLead> = serde_json::from_value(serde_json::json!([
    ///     {"phone": "972541112233", "created_at": "2026-03-01T08:00:00Z",
    ///      "fields": {"שם": "אורי שמש", "עיר": "באר שבע", "מטפל": "רונית"}},
    ///     {"phone": "052-765-4321", "status_id": 2, "fields": {"שם": "מאיה דהן"}},
    /// ]))
    /// .unwrap();
    /// let lids = sim.store().seed_leads(account.aid, leads).unwrap();
    /// let stored = sim.store().lead(account.aid, lids[0]).unwrap();
    /// assert_eq!(stored.field("מטפל"), Some("רונית"));
    /// assert_eq!(stored.phone, "972541112233");
    /// # }
    /// ```
    pub fn seed_leads(&self, aid: u64, leads: Vec<SeedLead>) -> Result<Vec<u64>, SeedError> {
        let now = jiff::Timestamp::now().as_second();
        let mut state = self.lock();
        let account = state
            .accounts
            .get(&aid)
            .ok_or(SeedError::AccountNotFound(aid))?;
        let default_form = account.forms.first().copied();
        let mut built = Vec::with_capacity(leads.len());
        let mut routes = Vec::with_capacity(leads.len());
        for (index, mut spec) in leads.into_iter().enumerate() {
            spec.aid = aid;
            if spec.form_id == 0 {
                spec.form_id = default_form.ok_or(SeedError::NoForm(aid))?;
            }
            let lead = state
                .build_lead(&spec, 0, now)
                .map_err(|reason| SeedError::BadLead { index, reason })?;
            built.push(lead);
            routes.push(std::mem::take(&mut spec.routes_to_advertisers));
        }
        for lead in &mut built {
            lead.lid = state.next_lid;
            state.next_lid += 1;
        }
        if !built.is_empty() {
            self.log(&Change::Seeded {
                leads: LeadsRecord(&built),
            });
        }
        let lids: Vec<u64> = built.iter().map(|l| l.lid).collect();
        for (lid, routed) in lids.iter().zip(routes) {
            if !routed.is_empty() {
                self.log(&Change::Routed {
                    lid: *lid,
                    advertisers: &routed,
                });
                state.set_routes(*lid, routed);
            }
        }
        for lead in built {
            state.insert_lead(lead);
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
                self.log(&Change::FormEnabled {
                    aid,
                    lm_form,
                    enabled,
                });
                self.changed();
                true
            }
            None => false,
        }
    }

    /// Changes a form's settings (each `None` left as it is); the form as it is now,
    /// or `None` if the account has no such form.
    pub fn configure_form(
        &self,
        aid: u64,
        lm_form: u64,
        settings: FormSettings,
    ) -> Option<crate::model::FormView> {
        let mut state = self.lock();
        let form = state.forms.get_mut(&lm_form).filter(|f| f.aid == aid)?;
        if let Some(enabled) = settings.enabled {
            form.enabled = enabled;
        }
        if let Some(secs) = settings.reject_duplicates_secs {
            form.reject_duplicates_secs = secs;
        }
        if let Some(format) = settings.phone_format {
            form.phone_format = format;
        }
        let view = form.view();
        self.log(&Change::FormConfigured {
            aid,
            lm_form,
            enabled: view.enabled,
            reject_duplicates_secs: view.reject_duplicates_secs,
            phone_format: view.phone_format,
        });
        self.changed();
        Some(view)
    }

    /// Enables or disables an account; false if there is no such account.
    pub fn set_account_enabled(&self, aid: u64, enabled: bool) -> bool {
        let mut state = self.lock();
        match state.accounts.get_mut(&aid) {
            Some(account) => {
                account.enabled = enabled;
                self.log(&Change::AccountEnabled { aid, enabled });
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

    /// How many accounts and leads there are, for health and start-up messages.
    pub fn counts(&self) -> Counts {
        let state = self.lock();
        Counts {
            accounts: state.accounts.len(),
            leads: state.leads.len(),
        }
    }

    /// The first enabled account with an enabled form, for the start-up banner.
    pub fn default_account(&self) -> Option<DefaultAccount> {
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
            Some(DefaultAccount {
                aid: a.aid,
                lm_form: form.lm_form,
                lm_key: form.lm_key.clone(),
                token: token.0.to_string(),
            })
        })
    }
}
