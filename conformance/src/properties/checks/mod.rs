//! What each case must lead to, worked out from the protocol's rules (not from the
//! reference adapter's code), and the rules an exchange breaks.
//!
//! # Layout
//!
//! - this module: [`Exchange`], [`Violation`], and the checks every property shares
//!   (kept crmData keys, ids, one key's value).
//! - `open_ticket.rs`: [`open_ticket`], the submit's fields and the result.
//! - `lookup.rs`: [`lookup`], the requests, the newest lead and its fields.
//! - `display.rs`: [`display`], the pushed id pair and the keys it sets.

mod display;
mod lookup;
mod open_ticket;

use leadim_simulator::{Endpoint, JournalEntry, LeadView};
use serde_json::{Map, Value};

use super::rules::{self, Rule};
use crate::protocol::{AdapterRequest, AdapterResponse};

pub use display::display;
pub use lookup::lookup;
pub use open_ticket::open_ticket;

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
