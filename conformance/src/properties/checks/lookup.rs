//! Lookup mode: the requests (formats and their order), the lead taken, and what is
//! copied from it onto crmData.

use std::fmt::Write as _;

use leadim_simulator::journal::mask_token;
use leadim_simulator::{Endpoint, LeadView};
use serde_json::{Map, Value};

use super::{
    Exchange, Findings, Violation, check_id, check_kept, check_key, response, same_scalar, shown,
};
use crate::properties::cases::LookupCase;
use crate::properties::rules;
use crate::properties::strategies::StoredFormat;
use crate::protocol::Outcome;

/// The newest of `leads` as Lead.IM orders them (`M9-newest-first`): by created_at,
/// then updated_at, then lead id. RFC 3339 times of one format compare as text.
fn newest<'a>(leads: impl IntoIterator<Item = &'a LeadView>) -> Option<&'a LeadView> {
    leads.into_iter().max_by(|a, b| {
        (&a.created_at, &a.updated_at, a.lid).cmp(&(&b.created_at, &b.updated_at, b.lid))
    })
}

/// The lookup's requests: the MUST rules on each, and the SHOULD rule on the order
/// of the phone formats. Returns the `by_phone` values tried, in order.
fn check_lookup_requests(
    findings: &mut Findings,
    case: &LookupCase,
    exchange: &Exchange,
) -> Vec<String> {
    let config = &exchange.request.crm_config;
    let token = mask_token(config.token.as_deref().unwrap_or_default());
    let url = config
        .get_customer_details_url
        .as_deref()
        .unwrap_or_default();
    let path = reqwest::Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.path().to_owned());
    let mut tried = Vec::new();
    for entry in &exchange.journal {
        let carried_token = entry
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(leadim_simulator::AUTH_HEADER))
            .map(|(_, v)| v.as_str());
        let as_expected = entry.endpoint == Some(Endpoint::Lookup)
            && entry.method == "GET"
            && entry.path == path
            && carried_token == Some(token.as_str())
            && entry.param("by_phone").is_some();
        findings.unless(as_expected, &rules::LOOKUP_REQUEST, || {
            format!(
                "request #{} is {} {} with by_phone {:?} and token {carried_token:?}",
                entry.id,
                entry.method,
                entry.path,
                entry.param("by_phone")
            )
        });
        tried.extend(entry.param("by_phone").map(str::to_owned));
    }
    let chat_phone = case.number.chat_phone();
    let first = tried.first().map(String::as_str);
    findings.unless(first == Some(chat_phone.as_str()), &rules::LOOKUP_REQUEST, || {
        format!(
            "the first by_phone is {first:?}, expected the chat phone {chat_phone:?} (onlyDisplayData is {})",
            shown(serde_json::to_value(&config.only_display_data).ok().as_ref())
        )
    });
    let formats: Vec<String> = [
        StoredFormat::International,
        StoredFormat::National,
        StoredFormat::Dashed,
    ]
    .iter()
    .map(|f| f.write(&case.number))
    .collect();
    let finds = |phone: &str| exchange.seeded.iter().any(|l| l.phone == phone);
    let expected: Vec<&String> = match formats.iter().position(|f| finds(f)) {
        Some(k) => formats[..=k].iter().collect(),
        None => formats.iter().collect(),
    };
    let stops = formats.iter().any(|f| finds(f));
    let in_order = tried.len() >= expected.len()
        && tried.iter().zip(&expected).all(|(t, e)| t == *e)
        && (!stops || tried.len() == expected.len());
    findings.unless(in_order, &rules::LOOKUP_FORMATS, || {
        format!(
            "tried by_phone {tried:?}, expected {expected:?}{}",
            if stops { "" } else { " (then any others)" }
        )
    });
    tried
}

/// The rules a lookup-mode exchange breaks.
pub fn lookup(case: &LookupCase, exchange: &Exchange) -> Vec<Violation> {
    let response = match response(exchange) {
        Ok(response) => response,
        Err(violations) => return violations,
    };
    let mut findings = Findings::default();
    let tried = check_lookup_requests(&mut findings, case, exchange);
    let before = exchange.request.chat.crm_data.clone().unwrap_or_default();
    let after = response.crm_data_or_empty();
    // The adapter takes data[0] of the first answer that lists a lead.
    let matching = tried.iter().find_map(|phone| {
        let leads: Vec<&LeadView> = exchange
            .seeded
            .iter()
            .filter(|l| l.phone == *phone)
            .collect();
        (!leads.is_empty()).then_some((phone, leads))
    });
    let Some((phone, leads)) = matching else {
        findings.unless(
            response.outcome == Outcome::Failure && after == before,
            &rules::LOOKUP_NO_MATCH,
            || {
                format!(
                    "no answer listed a lead, and the adapter answered {} with crmData {}",
                    crate::suite::wire_name(&response.outcome),
                    Value::Object(after.clone())
                )
            },
        );
        return findings.done();
    };
    if response.outcome != Outcome::Complete {
        findings.add(
            &rules::LOOKUP_FOUND,
            format!(
                "the answer for by_phone {phone:?} listed {} lead(s), and the adapter answered failure ({})",
                leads.len(),
                response.error.as_deref().unwrap_or("no error given")
            ),
        );
        return findings.done();
    }
    let Some(lead) = newest(leads.iter().copied()) else {
        return findings.done();
    };
    let taken = leads.iter().find(|l| {
        l.lid != lead.lid
            && after
                .get("id")
                .is_some_and(|id| same_scalar(id, &Value::String(l.lid.to_string())))
    });
    if let Some(taken) = taken {
        findings.add(
            &rules::LOOKUP_NEWEST,
            format!(
                "took lead {} (created {}, updated {}), not the newest, lead {} (created {}, updated {})",
                taken.lid, taken.created_at, taken.updated_at, lead.lid, lead.created_at, lead.updated_at
            ),
        );
        return findings.done();
    }
    check_merged_lead(&mut findings, exchange, lead, &before, &after);
    findings.done()
}

/// The crmData of a lookup that took `lead`.
fn check_merged_lead(
    findings: &mut Findings,
    exchange: &Exchange,
    lead: &LeadView,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) {
    let mut wrong = String::new();
    for (field, value) in &lead.fields {
        let value = Value::from(value);
        if after.get(field) != Some(&value) {
            let _ = write!(
                wrong,
                "{field:?}: {} (expected {value}); ",
                shown(after.get(field))
            );
        }
    }
    findings.unless(wrong.is_empty(), &rules::LOOKUP_FIELDS, || {
        format!(
            "lead {}'s fields on crmData: {}",
            lead.lid,
            wrong.trim_end_matches("; ")
        )
    });
    check_id(findings, &rules::LOOKUP_ID, after, &lead.lid.to_string());
    let name_field = exchange.request.crm_config.name_field();
    let name = lead.fields.get(name_field).map(Value::from);
    let name = name.as_ref().or_else(|| before.get("name"));
    let note = format!(" (nameField {name_field:?})");
    check_key(findings, &rules::LOOKUP_NAME, after, "name", name, &note);
    let phone = Value::String(lead.phone.clone());
    check_key(
        findings,
        &rules::LOOKUP_PHONE,
        after,
        "phone",
        Some(&phone),
        "",
    );
    let (aid, lid) = (lead.aid.to_string(), lead.lid.to_string());
    let link = Value::String(exchange.request.endpoints.lead_link(&aid, &lid));
    check_key(
        findings,
        &rules::LOOKUP_DEEP_LINK,
        after,
        "deepLink",
        Some(&link),
        "",
    );
    let set = |key: &str| {
        lead.fields.contains_key(key) || ["id", "name", "phone", "deepLink"].contains(&key)
    };
    check_kept(findings, before, after, set);
}
