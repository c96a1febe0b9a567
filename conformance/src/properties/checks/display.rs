//! Display mode: no request, the pushed id pair, and the keys it sets and keeps.

use serde_json::{Map, Value};

use super::{Exchange, Findings, Violation, check_id, check_kept, check_key, response, shown};
use crate::properties::cases::DisplayCase;
use crate::properties::rules;
use crate::protocol::Outcome;

/// An id of a pushed pair: non-empty text or a number.
fn pushed_id(crm: &Map<String, Value>, key: &str) -> Option<String> {
    match crm.get(key)? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// The rules a display-mode exchange breaks.
pub fn display(case: &DisplayCase, exchange: &Exchange) -> Vec<Violation> {
    let response = match response(exchange) {
        Ok(response) => response,
        Err(violations) => return violations,
    };
    let mut findings = Findings::default();
    findings.unless(
        exchange.journal.is_empty(),
        &rules::DISPLAY_NO_REQUEST,
        || {
            format!(
                "onlyDisplayData is {}, and the simulator received {} request(s), the first {} {}",
                shown(serde_json::to_value(&case.only_display_data).ok().as_ref()),
                exchange.journal.len(),
                exchange.journal[0].method,
                exchange.journal[0].path
            )
        },
    );
    let Some(before) = &case.crm_data else {
        findings.unless(
            response.outcome == Outcome::Failure,
            &rules::DISPLAY_NO_CRM_DATA,
            || "the chat has no crmData, and the adapter answered complete".to_owned(),
        );
        return findings.done();
    };
    if response.outcome != Outcome::Complete {
        findings.add(
            &rules::DISPLAY_COMPLETE,
            format!(
                "the chat has crmData, and the adapter answered failure ({})",
                response.error.as_deref().unwrap_or("no error given")
            ),
        );
        return findings.done();
    }
    display_keys(
        &mut findings,
        case,
        exchange,
        before,
        &response.crm_data_or_empty(),
    );
    findings.done()
}

/// The keys display mode sets, and the ones it keeps.
fn display_keys(
    findings: &mut Findings,
    case: &DisplayCase,
    exchange: &Exchange,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) {
    let pair = |aid, lid| Some((pushed_id(before, aid)?, pushed_id(before, lid)?));
    let pair = pair("aid", "lid").or_else(|| pair("pp_aid", "pp_lid"));
    let endpoints = &exchange.request.endpoints;
    let link = match &pair {
        Some((aid, lid)) => endpoints.lead_link(aid, lid),
        None => endpoints.account_link(),
    };
    match &pair {
        Some((_, lid)) => check_id(findings, &rules::DISPLAY_ID, after, lid),
        None => check_key(
            findings,
            &rules::DISPLAY_ID,
            after,
            "id",
            before.get("id"),
            " (no aid+lid or pp_aid+pp_lid pair: as the chat had it)",
        ),
    }
    let link = Value::String(link);
    check_key(
        findings,
        &rules::DISPLAY_DEEP_LINK,
        after,
        "deepLink",
        Some(&link),
        "",
    );
    let name_field = exchange.request.crm_config.name_field();
    let name = before
        .get(name_field)
        .filter(|v| !v.is_null())
        .or_else(|| before.get("name"));
    let note = format!(" (nameField {name_field:?})");
    check_key(findings, &rules::DISPLAY_NAME, after, "name", name, &note);
    let phone = Value::String(case.number.chat_phone());
    check_key(
        findings,
        &rules::DISPLAY_PHONE,
        after,
        "phone",
        Some(&phone),
        "",
    );
    check_kept(findings, before, after, |k| {
        ["id", "name", "phone", "deepLink"].contains(&k)
    });
}
