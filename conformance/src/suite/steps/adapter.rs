//! The adapter under test: its crmConfig, calling a function, and what it answered
//! (outcome, timing, crmData).

#![expect(
    clippy::needless_pass_by_value,
    reason = "cucumber parses each captured step argument with `FromStr` into an owned value, so a step function cannot borrow it"
)]

use std::time::Duration;

use cucumber::{given, then, when};
use serde_json::Value;

use super::{
    FunctionParam, OutcomeParam, StepResult, TokenChoice, ensure, literal, same_scalar,
    string_literal,
};
use crate::protocol::{Flag, Outcome, TextOrNumber};
use crate::suite::{LeadimWorld, wire_name};

#[given(regex = r"^the crmConfig has no (lm_form|lm_key|token|getCustomerDetailsUrl|nameField)$")]
fn config_without(w: &mut LeadimWorld, key: String) {
    let config = &mut w.crm_config;
    match key.as_str() {
        "lm_form" => config.lm_form = None,
        "lm_key" => config.lm_key = None,
        "token" => config.token = None,
        "getCustomerDetailsUrl" => config.get_customer_details_url = None,
        _ => config.name_field = None,
    }
}

#[given(regex = r#"^the crmConfig's (lm_form|lm_key|nameField) is (".*")$"#)]
fn config_value(w: &mut LeadimWorld, key: String, value: String) -> StepResult {
    let value = Some(w.expand(&string_literal(&value)?)?);
    let config = &mut w.crm_config;
    match key.as_str() {
        "lm_form" => config.lm_form = value.map(Into::into),
        "lm_key" => config.lm_key = value,
        _ => config.name_field = value,
    }
    Ok(())
}

#[given(regex = r"^the crmConfig's onlyDisplayData is (true|false)$")]
fn display_only(w: &mut LeadimWorld, on: bool) {
    w.crm_config.only_display_data = Some(on.into());
}

/// onlyDisplayData as a customer typed it into a UI field: text, not a boolean.
#[given(regex = r#"^the crmConfig's onlyDisplayData is the text (".*")$"#)]
fn display_only_text(w: &mut LeadimWorld, text: String) -> StepResult {
    w.crm_config.only_display_data = Some(Flag::Text(string_literal(&text)?));
    Ok(())
}

/// lm_form as a customer typed it into a UI field: the account's form id as a JSON
/// number rather than text.
#[given("the crmConfig's lm_form is the form's id as a number")]
fn lm_form_number(w: &mut LeadimWorld) -> StepResult {
    let form: u64 = w
        .account
        .lm_form
        .parse()
        .map_err(|e| format!("lm_form {:?}: {e}", w.account.lm_form))?;
    w.crm_config.lm_form = Some(TextOrNumber::from(form));
    Ok(())
}

#[given(expr = "the crmConfig's token is {token}")]
fn config_token(w: &mut LeadimWorld, token: TokenChoice) {
    w.crm_config.token = Some(w.token(token));
}

#[when(expr = "{function} runs")]
async fn call(w: &mut LeadimWorld, function: FunctionParam) {
    w.call_adapter(function.0).await;
}

#[then(expr = "the adapter answers {outcome}")]
fn answers(w: &mut LeadimWorld, outcome: OutcomeParam) -> StepResult {
    outcome_is(w, outcome.0)
}

/// The time is counted from the adapter's first request to Lead.IM (its arrival in
/// the journal) to its answer, not from the adapter's start: the suite runs many
/// adapters at once, often on two cores, so an external adapter's start-up says more
/// about the machine than about the adapter. A call that sent nothing counts from
/// its start.
#[then(expr = "the adapter answers {outcome} within its timeout")]
async fn answers_in_time(w: &mut LeadimWorld, outcome: OutcomeParam) -> StepResult {
    outcome_is(w, outcome.0)?;
    let call = w.calls.last().ok_or("no adapter function was called")?;
    let (started_at, answered_at, total) = (call.started_at, call.answered_at, call.elapsed);
    let from = w
        .first_request_since(started_at)
        .await
        .map_or(started_at, |first| first.max(started_at));
    let elapsed = Duration::try_from(answered_at.duration_since(from)).unwrap_or_default();
    let limit = w.ctx().answer_limit();
    ensure(elapsed <= limit, || {
        format!(
            "the adapter answered {elapsed:.1?} after its first request to Lead.IM ({total:.1?} after it started); with a {:?} timeout it must answer within {limit:?}",
            w.ctx().adapter_timeout
        )
    })
}

fn outcome_is(w: &LeadimWorld, expected: Outcome) -> StepResult {
    let response = w.last_response()?;
    ensure(response.outcome == expected, || {
        format!(
            "the adapter answered {} (error: {}), expected {}; crmData {}",
            wire_name(&response.outcome),
            response.error.as_deref().unwrap_or("none"),
            wire_name(&expected),
            Value::Object(response.crm_data_or_empty())
        )
    })
}

/// `crmData.key is …` or `crmData["מפתח"] is …`, where the value is a JSON literal,
/// `the id of the lead of "שם"`, `the id of the newest lead`, `the new lead's id`
/// or `the link to the lead of "שם"`.
#[then(regex = r#"^crmData(?:\.(\w+)|\[(".*")\]) is (.+)$"#)]
fn crm_value(
    w: &mut LeadimWorld,
    dotted: String,
    bracketed: String,
    expected: String,
) -> StepResult {
    let key = if dotted.is_empty() {
        string_literal(&bracketed)?
    } else {
        dotted
    };
    let expected = expected_value(w, &expected)?;
    let crm = w.chat.crm_data.clone().unwrap_or_default();
    match crm.get(&key) {
        Some(actual) if same_scalar(actual, &expected) => Ok(()),
        Some(actual) => Err(format!("crmData[{key:?}] is {actual}, expected {expected}")),
        None => Err(format!(
            "crmData has no {key:?} (expected {expected}); crmData is {}",
            Value::Object(crm)
        )),
    }
}

fn expected_value(w: &LeadimWorld, text: &str) -> Result<Value, String> {
    let named = |prefix: &str| text.strip_prefix(prefix).map(string_literal).transpose();
    if let Some(name) = named("the id of the lead of ")? {
        return Ok(Value::String(w.seeded_lead(&name)?.lid.to_string()));
    }
    if let Some(name) = named("the link to the lead of ")? {
        let lead = w.seeded_lead(&name)?;
        return Ok(Value::String(
            w.endpoints()
                .lead_link(&lead.aid.to_string(), &lead.lid.to_string()),
        ));
    }
    match text {
        "the id of the newest lead" => Ok(Value::String(w.newest_seeded()?.lid.to_string())),
        "the new lead's id" => Ok(Value::String(w.newest_lead()?.lid.to_string())),
        _ => match literal(text)? {
            Value::String(s) => Ok(Value::String(w.expand(&s)?)),
            other => Ok(other),
        },
    }
}

/// The JSON type of a crmData value: protocol v1's examples give `id` as a string
/// and `result` as a number, and flows compare them as such.
#[then(regex = r#"^crmData(?:\.(\w+)|\[(".*")\]) has JSON type (string|number)$"#)]
fn crm_type(w: &mut LeadimWorld, dotted: String, bracketed: String, kind: String) -> StepResult {
    let key = if dotted.is_empty() {
        string_literal(&bracketed)?
    } else {
        dotted
    };
    let crm = w.chat.crm_data.clone().unwrap_or_default();
    let value = crm.get(&key).ok_or_else(|| {
        format!(
            "crmData has no {key:?}; crmData is {}",
            Value::Object(crm.clone())
        )
    })?;
    let found = match value {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    ensure(found == kind, || {
        format!("crmData[{key:?}] is {value}, a {found}; expected a {kind}")
    })
}

/// The deep link is on `endpoints.ui`, and that origin is not the API's: the suite
/// serves them apart (see [`crate::suite::ui_origin`]), as Lead.IM does.
#[then("the deep link is built on endpoints.ui, not on the API's origin")]
fn deep_link_origin(w: &mut LeadimWorld) -> StepResult {
    let crm = w.chat.crm_data.clone().unwrap_or_default();
    let link = crm
        .get("deepLink")
        .and_then(Value::as_str)
        .ok_or("crmData has no deepLink string")?;
    let ui = format!("{}/", w.ui);
    let api = origin(&w.account.get_customer_details_url);
    ensure(origin(&w.ui) != api, || {
        format!("the suite serves the UI on the API's origin {api}; it must not")
    })?;
    ensure(link.starts_with(&ui), || {
        format!(
            "crmData.deepLink is {link:?}: it must be built on endpoints.ui ({}), not on the API's origin ({api})",
            w.ui
        )
    })
}

/// `scheme://host:port` of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

#[then(regex = r#"^crmData has no key (".*")$"#)]
fn crm_lacks(w: &mut LeadimWorld, key: String) -> StepResult {
    let key = string_literal(&key)?;
    let crm = w.chat.crm_data.clone().unwrap_or_default();
    ensure(!crm.contains_key(&key), || {
        format!("crmData has {key:?} = {}, expected none", crm[&key])
    })
}

#[then("crmData is as it was")]
fn crm_unchanged(w: &mut LeadimWorld) -> StepResult {
    let call = w.calls.last().ok_or("no adapter function was called")?;
    let before = call.crm_before();
    let after = w.last_response()?.crm_data_or_empty();
    ensure(after == before, || {
        format!(
            "crmData changed: it was {}, the adapter returned {}",
            Value::Object(before),
            Value::Object(after)
        )
    })
}

#[then("crmData keeps what the chat had")]
fn crm_kept(w: &mut LeadimWorld) -> StepResult {
    let call = w.calls.last().ok_or("no adapter function was called")?;
    let after = w.last_response()?.crm_data_or_empty();
    for (key, value) in call.crm_before() {
        ensure(after.get(&key) == Some(&value), || {
            format!(
                "crmData[{key:?}] was {value} before the call and is {} after it",
                after.get(&key).map_or("gone".into(), Value::to_string)
            )
        })?;
    }
    Ok(())
}
