//! What each case must lead to, worked out from the protocol's rules (not from the
//! reference adapter's code), and the rules an exchange breaks.

use std::fmt::Write as _;

use leadim_simulator::journal::mask_token;
use leadim_simulator::{Endpoint, JournalEntry, LeadView};
use serde_json::{Map, Value};

use super::cases::{DisplayCase, LookupCase, OpenTicketCase};
use super::rules::{self, Rule};
use crate::protocol::{AdapterRequest, AdapterResponse, Direction, Message, Outcome};

/// What one case did: the request, the adapter's answer, and what the simulator
/// received for the case's account.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request the adapter was given.
    pub request: AdapterRequest,
    /// Its response, or how it broke the protocol.
    pub answer: Result<AdapterResponse, String>,
    /// An external adapter's stderr.
    pub stderr: Option<String>,
    /// The journal of the case's account, oldest first.
    pub journal: Vec<JournalEntry>,
    /// The leads seeded for the case, in seeding order.
    pub seeded: Vec<LeadView>,
}

/// A rule a case broke, and how.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The rule.
    pub rule: &'static Rule,
    /// What was expected and what was found.
    pub detail: String,
}

/// Collects violations, and sorts them by rule (MUST first) at the end.
#[derive(Debug, Default)]
struct Findings(Vec<Violation>);

impl Findings {
    fn add(&mut self, rule: &'static Rule, detail: impl Into<String>) {
        self.0.push(Violation {
            rule,
            detail: detail.into(),
        });
    }

    fn unless(&mut self, holds: bool, rule: &'static Rule, detail: impl FnOnce() -> String) {
        if !holds {
            self.add(rule, detail());
        }
    }

    fn done(mut self) -> Vec<Violation> {
        self.0.sort_by_key(|v| rules::rank(v.rule));
        self.0
    }
}

/// The response, or the `answer` violation.
fn response(exchange: &Exchange) -> Result<&AdapterResponse, Vec<Violation>> {
    exchange.answer.as_ref().map_err(|error| {
        vec![Violation {
            rule: &rules::ANSWER,
            detail: format!("the adapter broke protocol v1: {error}"),
        }]
    })
}

/// The journal entries of one endpoint.
fn requests_to(exchange: &Exchange, endpoint: Endpoint) -> Vec<&JournalEntry> {
    exchange
        .journal
        .iter()
        .filter(|e| e.endpoint == Some(endpoint))
        .collect()
}

/// Ids may come as text or as numbers: a number equals its decimal text.
fn same_scalar(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            n.to_string() == *s
        }
        _ => actual == expected,
    }
}

/// A key's value for a message: `absent` or its JSON.
fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_owned(), Value::to_string)
}

/// Where two texts part, for texts too long to print whole: their lengths in
/// characters and the first differing character, with some context.
pub fn text_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<char>, Vec<char>) = (expected.chars().collect(), actual.chars().collect());
    let at = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let window = |chars: &[char]| -> String {
        let from = at.saturating_sub(20);
        let to = (at + 20).min(chars.len());
        chars[from..to].iter().collect()
    };
    if e.len() + a.len() <= 240 {
        return format!("expected {expected:?}, sent {actual:?}");
    }
    format!(
        "expected {} characters, sent {}; they part at character {at}: expected …{:?}…, sent …{:?}…",
        e.len(),
        a.len(),
        window(&e),
        window(&a)
    )
}

/// Checks that every key of `before` that the call does not set is in `after`
/// unchanged.
fn check_kept(
    findings: &mut Findings,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    set: impl Fn(&str) -> bool,
) {
    for (key, value) in before.iter().filter(|(k, _)| !set(k)) {
        findings.unless(
            after.get(key) == Some(value),
            &rules::KEEPS_CRM_DATA,
            || {
                format!(
                    "crmData[{key:?}] was {value} before the call and is {} after it",
                    shown(after.get(key))
                )
            },
        );
    }
}

/// Checks `crmData.id` against the expected lead id: its value, then its type.
fn check_id(findings: &mut Findings, rule: &'static Rule, after: &Map<String, Value>, lid: &str) {
    let id = after.get("id");
    let expected = Value::String(lid.to_owned());
    if id.is_some_and(|id| same_scalar(id, &expected)) {
        findings.unless(id.is_some_and(Value::is_string), &rules::ID_IS_TEXT, || {
            format!("crmData.id is {}, expected the text {expected}", shown(id))
        });
    } else {
        findings.add(
            rule,
            format!("crmData.id is {}, expected {expected}", shown(id)),
        );
    }
}

/// Checks that `crmData[key]` is `expected` (absent for `None`); `note` ends the
/// message.
fn check_key(
    findings: &mut Findings,
    rule: &'static Rule,
    after: &Map<String, Value>,
    key: &str,
    expected: Option<&Value>,
    note: &str,
) {
    findings.unless(after.get(key) == expected, rule, || {
        format!(
            "crmData.{key} is {}, expected {}{note}",
            shown(after.get(key)),
            shown(expected)
        )
    });
}

/// The openTicket fields the protocol maps the case onto, with the rule of each.
fn expected_submit(
    case: &OpenTicketCase,
    request: &AdapterRequest,
) -> Vec<(&'static str, String, &'static Rule)> {
    let answer = |node: &Option<Option<String>>| {
        node.clone()
            .flatten()
            .filter(|text| !text.trim().is_empty())
    };
    let message: Vec<&str> = case
        .messages
        .iter()
        .filter(|m| m.direction == Direction::Outgoing)
        .filter_map(Message::sent_text)
        .collect();
    let config = &request.crm_config;
    vec![
        (
            "lm_form",
            config.lm_form().unwrap_or_default(),
            &rules::OPEN_FORM_KEYS,
        ),
        (
            "lm_key",
            config.lm_key.clone().unwrap_or_default(),
            &rules::OPEN_FORM_KEYS,
        ),
        ("lm_redirect", "no".to_owned(), &rules::OPEN_FORM_KEYS),
        (
            "fld_name",
            answer(&case.name)
                .or_else(|| case.title.clone())
                .unwrap_or_default(),
            &rules::OPEN_FLD_NAME,
        ),
        ("fld_phone", case.number.display(), &rules::OPEN_FLD_PHONE),
        (
            "fld_email",
            answer(&case.email).unwrap_or_default(),
            &rules::OPEN_FLD_EMAIL,
        ),
        ("fld_message", message.join("\n"), &rules::OPEN_FLD_MESSAGE),
        ("chat_url", case.url.clone(), &rules::OPEN_CHAT_URL),
    ]
}

/// The rules an openTicket exchange breaks.
pub fn open_ticket(case: &OpenTicketCase, exchange: &Exchange) -> Vec<Violation> {
    let response = match response(exchange) {
        Ok(response) => response,
        Err(violations) => return violations,
    };
    let mut findings = Findings::default();
    let submits = requests_to(exchange, Endpoint::Submit);
    let [entry] = submits.as_slice() else {
        findings.add(
            &rules::OPEN_ONE_SUBMIT,
            format!("the simulator received {} submit requests", submits.len()),
        );
        return findings.done();
    };
    for (key, expected, rule) in expected_submit(case, &exchange.request) {
        // An absent parameter counts as empty, as Lead.IM stores it.
        let sent = entry.param(key).unwrap_or_default();
        findings.unless(sent == expected, rule, || {
            format!("{key}: {}", text_difference(&expected, sent))
        });
    }
    let lid: Option<Value> = serde_json::from_str::<Value>(&entry.answer)
        .ok()
        .and_then(|answer| answer.get("result").cloned());
    let before = exchange.request.chat.crm_data.clone().unwrap_or_default();
    let after = response.crm_data_or_empty();
    match (response.outcome, lid) {
        (Outcome::Complete, Some(lid)) => {
            let result = after.get("result");
            if result.is_some_and(|r| same_scalar(r, &lid)) {
                findings.unless(
                    result.is_some_and(Value::is_number),
                    &rules::OPEN_RESULT_IS_NUMBER,
                    || {
                        format!(
                            "crmData.result is {}, expected the number {lid}",
                            shown(result)
                        )
                    },
                );
            } else {
                findings.add(
                    &rules::OPEN_RESULT,
                    format!("crmData.result is {}, expected {lid}", shown(result)),
                );
            }
            check_kept(&mut findings, &before, &after, |k| k == "result");
        }
        (Outcome::Failure, Some(lid)) => findings.add(
            &rules::OPEN_RESULT,
            format!(
                "Lead.IM created lead {lid}, and the adapter answered failure ({})",
                response.error.as_deref().unwrap_or("no error given")
            ),
        ),
        // Refused (the form keys' rule says why): failure is the right answer.
        (Outcome::Failure, None) => {}
        (Outcome::Complete, None) => findings.add(
            &rules::OPEN_RESULT,
            format!(
                "Lead.IM refused the submit ({}), and the adapter answered complete",
                entry.answer
            ),
        ),
    }
    findings.done()
}

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
        super::strategies::StoredFormat::International,
        super::strategies::StoredFormat::National,
        super::strategies::StoredFormat::Dashed,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_show_where_they_part() {
        let expected = "א".repeat(3_600);
        let sent = format!("{} ", &expected[..expected.len() - 2]);
        let text = text_difference(&expected, &sent);
        assert!(
            text.contains("expected 3600 characters, sent 3600"),
            "{text}"
        );
        assert!(text.contains("character 3599"), "{text}");
        assert_eq!(text_difference("a ", "a"), r#"expected "a ", sent "a""#);
    }
}
