//! The leads openTicket (and the create-lead flow) leave in the account: the form's
//! state beforehand, and what the store holds afterwards.

#![expect(
    clippy::needless_pass_by_value,
    reason = "cucumber parses each captured step argument with `FromStr` into an owned value, so a step function cannot borrow it"
)]

use cucumber::gherkin::Step;
use cucumber::{given, then};
use leadim_simulator::LeadView;

use super::{StepResult, docstring, ensure, pairs, string_literal};
use crate::suite::LeadimWorld;

#[given("the account's form is disabled")]
fn form_disabled(w: &mut LeadimWorld) -> StepResult {
    let form: u64 = w
        .account
        .lm_form
        .parse()
        .map_err(|e| format!("lm_form: {e}"))?;
    ensure(
        w.ctx()
            .sim
            .store()
            .set_form_enabled(w.account.aid, form, false),
        || format!("form {form} is not a form of account {}", w.account.aid),
    )
}

#[then(regex = r"^the account holds (no|\d+) leads?$")]
fn holds(w: &mut LeadimWorld, count: String) -> StepResult {
    let expected: usize = if count == "no" {
        0
    } else {
        count.parse().map_err(|e| format!("{e}"))?
    };
    let leads = w.leads();
    ensure(leads.len() == expected, || {
        let names: Vec<_> = leads
            .iter()
            .map(|l| format!("{} {:?}", l.lid, l.field("שם").unwrap_or("")))
            .collect();
        format!(
            "the account holds {} lead(s) {names:?}, expected {expected}",
            leads.len()
        )
    })
}

/// `| key | value |` rows: a field name (`שם`, `מטפל`) or one of `phone`,
/// `utm_source`…`utm_term`, `status_id`.
#[then("the new lead has:")]
fn new_lead_has(w: &mut LeadimWorld, step: &Step) -> StepResult {
    let lead = w.newest_lead()?;
    lead_has(w, &lead, step)
}

#[then(regex = r#"^the lead of (".*") still has:$"#)]
fn seeded_lead_has(w: &mut LeadimWorld, name: String, step: &Step) -> StepResult {
    let lid = w.seeded_lead(&string_literal(&name)?)?.lid;
    let lead = w
        .leads()
        .into_iter()
        .find(|l| l.lid == lid)
        .ok_or_else(|| format!("lead {lid} is gone"))?;
    lead_has(w, &lead, step)
}

fn lead_has(w: &LeadimWorld, lead: &LeadView, step: &Step) -> StepResult {
    for (key, expected) in pairs(step)? {
        let expected = w.expand(&expected)?;
        let actual = match key.as_str() {
            "phone" => Some(lead.phone.clone()),
            "status_id" => Some(lead.status_id.to_string()),
            "utm_source" => lead.utm_source.clone(),
            "utm_medium" => lead.utm_medium.clone(),
            "utm_campaign" => lead.utm_campaign.clone(),
            "utm_content" => lead.utm_content.clone(),
            "utm_term" => lead.utm_term.clone(),
            field => lead.field(field).map(str::to_owned),
        };
        ensure(actual.as_deref() == Some(expected.as_str()), || {
            format!(
                "lead {} has {key} = {actual:?}, expected {expected:?}; its fields: {}",
                lead.lid, lead.fields
            )
        })?;
    }
    Ok(())
}

#[then(regex = r#"^the new lead has no field (".*")$"#)]
fn new_lead_lacks(w: &mut LeadimWorld, field: String) -> StepResult {
    let field = string_literal(&field)?;
    let lead = w.newest_lead()?;
    ensure(lead.field(&field).is_none(), || {
        format!(
            "lead {} has {field} = {:?}, expected none",
            lead.lid,
            lead.field(&field)
        )
    })
}

#[then(regex = r#"^the new lead's (".*") is (\d+) characters long$"#)]
fn new_lead_length(w: &mut LeadimWorld, field: String, chars: usize) -> StepResult {
    let field = string_literal(&field)?;
    let lead = w.newest_lead()?;
    let length = lead.field(&field).map(|v| v.chars().count());
    ensure(length == Some(chars), || {
        format!(
            "lead {}'s {field} is {length:?} characters long, expected {chars}",
            lead.lid
        )
    })
}

#[then(regex = r#"^the new lead's (".*") is:$"#)]
fn new_lead_text(w: &mut LeadimWorld, field: String, step: &Step) -> StepResult {
    let field = string_literal(&field)?;
    let expected = w.expand(docstring(step)?)?;
    let lead = w.newest_lead()?;
    ensure(lead.field(&field) == Some(expected.as_str()), || {
        format!(
            "lead {}'s {field} is {:?}, expected {expected:?}",
            lead.lid,
            lead.field(&field)
        )
    })
}
