//! Leads the lookup finds: seeding the scenario's account, and naming a seeded lead
//! in an expectation (`the id of the lead of "דנה כהן"`, `the id of the newest lead`).

use cucumber::gherkin::Step;
use cucumber::given;
use leadim_simulator::LeadView;
use leadim_simulator::fixtures::LeadSpec;
use serde_json::{Map, Value};

use super::StepResult;
use crate::suite::LeadimWorld;

/// Columns that are lead attributes rather than field names.
const ATTRIBUTES: &[&str] = &[
    "created_at",
    "updated_at",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
];

/// The name of the phone field of the simulator's standard form.
const PHONE_FIELD: &str = "טלפון";

/// A header row of field names (Hebrew) or attributes (`created_at`, `updated_at`,
/// `utm_source`), then one row per lead. Ids are given in row order, whatever
/// `created_at` says, so a row above can be the newer lead with the lower id. An
/// empty cell leaves the field out; the phone is the `טלפון` column, stored as
/// written.
#[given("the account has these leads:")]
fn leads(w: &mut LeadimWorld, step: &Step) -> StepResult {
    let table = step.table.as_ref().ok_or("a table of leads")?;
    let (header, rows) = table.rows.split_first().ok_or("an empty table")?;
    let mut specs = Vec::new();
    for row in rows {
        let mut lead = Map::new();
        let mut fields = Map::new();
        for (column, cell) in header.iter().zip(row).filter(|(_, c)| !c.is_empty()) {
            let value = Value::String(w.expand(cell)?);
            if ATTRIBUTES.contains(&column.as_str()) {
                lead.insert(column.clone(), value);
            } else {
                if column == PHONE_FIELD {
                    lead.insert("phone".into(), value.clone());
                }
                fields.insert(column.clone(), value);
            }
        }
        lead.insert("fields".into(), Value::Object(fields));
        let spec: LeadSpec = serde_json::from_value(Value::Object(lead))
            .map_err(|e| format!("lead row {row:?}: {e}"))?;
        specs.push(spec);
    }
    let store = w.ctx().sim.store();
    let lids = store
        .seed_leads(w.account.aid, specs)
        .map_err(|e| e.to_string())?;
    let stored = w.leads();
    w.seeded.extend(
        lids.iter()
            .filter_map(|lid| stored.iter().find(|l| l.lid == *lid).cloned()),
    );
    Ok(())
}

impl LeadimWorld {
    /// The one seeded lead whose `שם` is `name`.
    pub(crate) fn seeded_lead(&self, name: &str) -> Result<&LeadView, String> {
        let mut named = self.seeded.iter().filter(|l| l.field("שם") == Some(name));
        match (named.next(), named.next()) {
            (Some(lead), None) => Ok(lead),
            (None, _) => Err(format!("no lead named {name:?} was seeded")),
            (Some(_), Some(_)) => Err(format!("more than one seeded lead is named {name:?}")),
        }
    }

    /// The newest seeded lead as Lead.IM orders them (`M9-newest-first`): by
    /// `created_at`, then `updated_at`, then id (both times are RFC 3339 in UTC, so
    /// they compare as text).
    pub(crate) fn newest_seeded(&self) -> Result<&LeadView, String> {
        self.seeded
            .iter()
            .max_by(|a, b| {
                (&a.created_at, &a.updated_at, a.lid).cmp(&(&b.created_at, &b.updated_at, b.lid))
            })
            .ok_or_else(|| "no lead was seeded".into())
    }
}
