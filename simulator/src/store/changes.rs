//! Each change to the state as its result, for the `--state` log: a mutation
//! describes what it did as a [`Change`] under the store's lock (so the log's order is
//! the order the changes were applied in), and after a crash each [`Logged`] change
//! is applied again, in that order, on top of the last snapshot.
//!
//! A record is the change's *result*, never the request that caused it: the lead as
//! it was stored (its id, values already capped, its time), the values an update
//! set, the tokens a created account got. Replaying it needs no rule of any endpoint,
//! so a rule changed between two runs cannot change what was acknowledged.

use super::lead::{LM_SOURCE, Lead, LeadHead, UTM_BASE};
use super::{LeadUpdate, State, Store};
use crate::background::{self, Lane};
use crate::fixtures::Dataset;
use crate::model::NewAccount;
use crate::state_file::wal::{Log, LogFailure};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A change as a mutation logs it, borrowed from the state it was made to.
#[derive(Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Change<'a> {
    /// A submission stored this lead.
    Created {
        /// The lead as stored.
        lead: LeadRecord<'a>,
    },
    /// The admin API or the handle seeded these leads, all at once.
    Seeded {
        /// The leads as stored.
        leads: LeadsRecord<'a>,
    },
    /// An update set these values (capped, by field index; a later value of a field
    /// wins) and this status in a lead, and dated it `at`.
    Updated {
        lid: u64,
        values: &'a [(u16, &'a str)],
        status_id: Option<u32>,
        /// Routed to the account's advertisers (`route_adv=true`).
        routed: bool,
        at: i64,
    },
    /// An account was created, with these ids and secrets.
    AccountCreated {
        aid: u64,
        name: &'a str,
        lm_form: u64,
        lm_key: &'a str,
        token: &'a str,
        read_token: &'a str,
        write_token: &'a str,
    },
    /// An account was enabled or disabled.
    AccountEnabled { aid: u64, enabled: bool },
    /// A form was enabled or disabled.
    FormEnabled {
        aid: u64,
        lm_form: u64,
        enabled: bool,
    },
    /// A form's settings as they now are.
    FormConfigured {
        aid: u64,
        lm_form: u64,
        enabled: bool,
        reject_duplicates_secs: Option<u64>,
        phone_format: crate::fixtures::PhoneFormat,
    },
    /// The advertiser users a lead is now routed to.
    Routed { lid: u64, advertisers: &'a [u64] },
    /// The state went back to the dataset, its leads numbered from `lid_floor`, and
    /// the id counters at least these.
    Reset {
        lid_floor: u64,
        /// Where the lead ids went on: past ids taken while the reset was built
        /// outside the lock, and set aside for its leads.
        next_lid: u64,
        next_aid: u64,
        next_form: u64,
    },
}

impl<'a> Change<'a> {
    /// The record of a created account.
    pub fn account_created(new: &'a NewAccount, name: &'a str) -> Change<'a> {
        Change::AccountCreated {
            aid: new.aid,
            name,
            lm_form: new.lm_form,
            lm_key: &new.lm_key,
            token: &new.token,
            read_token: &new.read_token,
            write_token: &new.write_token,
        }
    }
}

/// A stored lead, written from the packed lead itself (no copy of its values).
pub(crate) struct LeadRecord<'a>(pub &'a Lead);

/// Several stored leads.
pub(crate) struct LeadsRecord<'a>(pub &'a [Lead]);

impl Serialize for LeadRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let lead = self.0;
        let mut out = s.serialize_struct("Lead", 8)?;
        out.serialize_field("lid", &lead.lid)?;
        out.serialize_field("aid", &lead.aid)?;
        out.serialize_field("form_id", &lead.form_id)?;
        out.serialize_field("created_at", &lead.created_at)?;
        out.serialize_field("updated_at", &lead.updated_at)?;
        out.serialize_field("status_id", &lead.status_id)?;
        out.serialize_field("values", &Values(lead))?;
        out.end()
    }
}

impl Serialize for LeadsRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(LeadRecord))
    }
}

/// A lead's `(field index, value)` pairs, as `[[0,"דנה"],[1,"052…"]]`.
struct Values<'a>(&'a Lead);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.pairs())
    }
}

/// A change read back from the log: [`Change`], owned.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Logged {
    Created {
        lead: LoggedLead,
    },
    Seeded {
        leads: Vec<LoggedLead>,
    },
    Updated {
        lid: u64,
        values: Vec<(u16, String)>,
        status_id: Option<u32>,
        #[serde(default)]
        routed: bool,
        at: i64,
    },
    AccountCreated {
        aid: u64,
        name: String,
        lm_form: u64,
        lm_key: String,
        token: String,
        read_token: String,
        write_token: String,
    },
    AccountEnabled {
        aid: u64,
        enabled: bool,
    },
    FormEnabled {
        aid: u64,
        lm_form: u64,
        enabled: bool,
    },
    FormConfigured {
        aid: u64,
        lm_form: u64,
        enabled: bool,
        reject_duplicates_secs: Option<u64>,
        phone_format: crate::fixtures::PhoneFormat,
    },
    Routed {
        lid: u64,
        advertisers: Vec<u64>,
    },
    Reset {
        lid_floor: u64,
        /// Missing in a record of the release before this one, which reset under
        /// the lock: its leads were numbered from the counter as it was.
        #[serde(default)]
        next_lid: Option<u64>,
        next_aid: u64,
        next_form: u64,
    },
}

/// A lead read back from the log.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoggedLead {
    lid: u64,
    aid: u64,
    form_id: u64,
    created_at: i64,
    updated_at: i64,
    status_id: u32,
    /// Written by the release before this one; ignored.
    #[serde(default, rename = "is_disrupted")]
    _is_disrupted: Option<bool>,
    values: Vec<(u16, String)>,
}

impl Store {
    /// Writes every change from now on to `log`, before it is acknowledged; false
    /// when a log is attached already.
    pub(crate) fn attach_log(&self, log: Arc<Log>) -> bool {
        self.shared.log.set(log).is_ok()
    }

    /// Logs a change. Called with the lock held, so the log's order is the order the
    /// changes were applied in.
    pub(super) fn log(&self, change: &Change<'_>) {
        if let Some(log) = self.shared.log.get() {
            log.append(change);
        }
    }

    /// The last change logged so far (0 without a log): a request that changed
    /// something waits until the log holds this far before it answers.
    pub(crate) fn logged(&self) -> u64 {
        self.shared.log.get().map_or(0, |log| log.appended())
    }

    /// Waits until the log holds every change up to `seq` (written to the operating
    /// system, or on disk with `--fsync`); at once without a log.
    pub(crate) async fn durable(&self, seq: u64) -> Result<(), LogFailure> {
        match self.shared.log.get() {
            Some(log) => log.wait(seq).await,
            None => Ok(()),
        }
    }

    /// Applies a change read back from the log, as the mutation that logged it did;
    /// what does not fit the state (a lead of an unknown form, an id handed out
    /// before) is refused with the reason, and the state is then as it was.
    pub(crate) fn replay(&self, change: Logged) -> Result<(), String> {
        let mut state = self.lock();
        state.replay(change, &self.shared.dataset)?;
        self.changed();
        Ok(())
    }
}

impl State {
    /// Applies a logged update again.
    fn replay_update(
        &mut self,
        lid: u64,
        values: &[(u16, String)],
        status_id: Option<u32>,
        routed: bool,
        at: i64,
    ) -> Result<(), String> {
        let lead = self
            .leads
            .get(lid)
            .ok_or_else(|| format!("an update of lead {lid}, which does not exist"))?;
        self.check_fields(lead.form_id, values.iter().map(|(i, _)| *i))?;
        let update = LeadUpdate {
            lid,
            values: values.iter().map(|(i, v)| (*i, v.as_str())).collect(),
            status_id,
            route_to_advertisers: routed,
        };
        self.apply(&update, at);
        Ok(())
    }

    /// Changes form `lm_form` of account `aid` as a logged change says.
    fn replay_form(
        &mut self,
        aid: u64,
        lm_form: u64,
        change: impl FnOnce(&mut super::Form),
    ) -> Result<(), String> {
        let form = self
            .forms
            .get_mut(&lm_form)
            .filter(|f| f.aid == aid)
            .ok_or_else(|| format!("account {aid} has no form {lm_form}"))?;
        change(form);
        Ok(())
    }

    fn replay(&mut self, change: Logged, dataset: &Dataset) -> Result<(), String> {
        match change {
            Logged::Created { lead } => self.replay_leads(vec![lead]),
            Logged::Seeded { leads } => self.replay_leads(leads),
            Logged::Updated {
                lid,
                values,
                status_id,
                routed,
                at,
            } => self.replay_update(lid, &values, status_id, routed, at),
            Logged::AccountCreated {
                aid,
                name,
                lm_form,
                lm_key,
                token,
                read_token,
                write_token,
            } => {
                let new = NewAccount {
                    aid,
                    lm_form,
                    lm_key,
                    token,
                    read_token,
                    write_token,
                };
                self.replay_account(&new, &name)
            }
            Logged::AccountEnabled { aid, enabled } => {
                let account = self
                    .accounts
                    .get_mut(&aid)
                    .ok_or_else(|| format!("account {aid} does not exist"))?;
                account.enabled = enabled;
                Ok(())
            }
            Logged::FormEnabled {
                aid,
                lm_form,
                enabled,
            } => self.replay_form(aid, lm_form, |form| form.enabled = enabled),
            Logged::FormConfigured {
                aid,
                lm_form,
                enabled,
                reject_duplicates_secs,
                phone_format,
            } => self.replay_form(aid, lm_form, |form| {
                form.enabled = enabled;
                form.reject_duplicates_secs = reject_duplicates_secs;
                form.phone_format = phone_format;
            }),
            Logged::Routed { lid, advertisers } => {
                self.set_routes(lid, advertisers);
                Ok(())
            }
            Logged::Reset {
                lid_floor,
                next_lid,
                next_aid,
                next_form,
            } => self.replay_reset(dataset, lid_floor, next_lid, [next_aid, next_form]),
        }
    }

    /// Goes back to the dataset as a logged reset did. A reset built outside the
    /// lock numbered its leads from `lid_floor`, below ids requests took meanwhile
    /// (set aside for it, never handed out), and says where the counter went on
    /// (`next_lid`); an older record's reset numbered them from the counter.
    fn replay_reset(
        &mut self,
        dataset: &Dataset,
        lid_floor: u64,
        next_lid: Option<u64>,
        [next_aid, next_form]: [u64; 2],
    ) -> Result<(), String> {
        let floor = match next_lid {
            Some(_) => lid_floor,
            None => lid_floor.max(self.next_lid),
        };
        let lane = Lane::normal_priority(dataset.leads_known());
        let mut fresh = State::build(lane, dataset, self.phone_match, floor)
            .map_err(|e| format!("a reset, and the fixtures no longer load: {e}"))?;
        let next_lid = next_lid.unwrap_or(0).max(self.next_lid);
        fresh.next_lid = fresh.next_lid.max(next_lid);
        fresh.next_aid = fresh.next_aid.max(next_aid).max(self.next_aid);
        fresh.next_form = fresh.next_form.max(next_form).max(self.next_form);
        let old = std::mem::replace(self, fresh);
        background::drop_later(old.home, old);
        Ok(())
    }

    /// Files leads read back from the log. Each id must be one not handed out yet:
    /// ids only grow, so an older one means the log does not belong on this state.
    fn replay_leads(&mut self, leads: Vec<LoggedLead>) -> Result<(), String> {
        let mut built = Vec::with_capacity(leads.len());
        let mut next = self.next_lid;
        for l in leads {
            if l.lid < next || l.lid > super::load::MAX_LID {
                return Err(format!(
                    "lead {} was created, but ids from {next} on were still to be handed out",
                    l.lid
                ));
            }
            next = l.lid + 1;
            self.forms
                .get(&l.form_id)
                .filter(|f| f.aid == l.aid && self.accounts.contains_key(&l.aid))
                .ok_or_else(|| format!("form {} is not a form of account {}", l.form_id, l.aid))?;
            self.check_fields(l.form_id, l.values.iter().map(|(i, _)| *i))?;
            let head = LeadHead {
                lid: l.lid,
                aid: l.aid,
                form_id: l.form_id,
                created_at: l.created_at,
                updated_at: l.updated_at,
                status_id: l.status_id,
            };
            built.push(Lead::new(head, Lead::pack(l.values)));
        }
        self.next_lid = next;
        for lead in built {
            self.insert_lead(lead);
        }
        Ok(())
    }

    /// Every field index is one of the form's fields or a UTM value: the answers
    /// index the form's names with it.
    fn check_fields(
        &self,
        form_id: u64,
        mut fields: impl Iterator<Item = u16>,
    ) -> Result<(), String> {
        let names = self.forms.get(&form_id).map_or(0, |f| f.field_names.len());
        match fields.find(|&i| usize::from(i) >= names && !(UTM_BASE..=LM_SOURCE).contains(&i)) {
            Some(i) => Err(format!("field index {i} is not a field of form {form_id}")),
            None => Ok(()),
        }
    }

    fn replay_account(&mut self, new: &NewAccount, name: &str) -> Result<(), String> {
        let taken = self.accounts.contains_key(&new.aid)
            || self.forms.contains_key(&new.lm_form)
            || [&new.token, &new.read_token, &new.write_token]
                .iter()
                .any(|t| self.tokens.contains_key(t.as_str()));
        if taken {
            return Err(format!(
                "account {} (form {}) was created, but its ids or tokens are taken",
                new.aid, new.lm_form
            ));
        }
        self.insert_created_account(new, name);
        self.next_aid = self.next_aid.max(new.aid + 1);
        self.next_form = self.next_form.max(new.lm_form + 1);
        Ok(())
    }
}
