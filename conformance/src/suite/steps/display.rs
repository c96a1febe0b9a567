//! What Lead.IM pushed onto the chat before display mode reads it: the chat's
//! crmData (`aid`/`lid`, `pp_aid`/`pp_lid`, a name), or none at all.

use cucumber::gherkin::Step;
use cucumber::given;
use serde_json::{Map, Value};

use super::{StepResult, docstring, pairs};
use crate::suite::LeadimWorld;

/// `| key | value |` rows; values may use `{aid}` and the other tokens.
#[given("the chat's crmData is:")]
fn crm_data(w: &mut LeadimWorld, step: &Step) -> StepResult {
    let mut crm = Map::new();
    for (key, value) in pairs(step)? {
        crm.insert(key, Value::String(w.expand(&value)?));
    }
    w.chat.crm_data = Some(crm);
    Ok(())
}

#[given("the chat has no crmData")]
fn no_crm_data(w: &mut LeadimWorld) {
    w.chat.crm_data = None;
}

#[given("the chat's crmData is empty")]
fn empty_crm_data(w: &mut LeadimWorld) {
    w.chat.crm_data = Some(Map::new());
}

/// crmData as a JSON object, for values that are not text (numeric ids).
#[given("the chat's crmData, as JSON:")]
fn crm_data_json(w: &mut LeadimWorld, step: &Step) -> StepResult {
    let crm: Map<String, Value> =
        serde_json::from_str(&w.expand(docstring(step)?)?).map_err(|e| format!("crmData: {e}"))?;
    w.chat.crm_data = Some(crm);
    Ok(())
}
