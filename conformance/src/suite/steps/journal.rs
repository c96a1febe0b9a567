//! What the simulator received from the adapter or the flow: the journal entries of
//! the scenario's account, with their decoded parameters, the (masked) token, the
//! answer and the diagnostics.

#![expect(
    clippy::needless_pass_by_value,
    reason = "cucumber parses each captured step argument with `FromStr` into an owned value, so a step function cannot borrow it"
)]

use std::time::{Duration, Instant};

use cucumber::gherkin::Step;
use cucumber::then;
use leadim_simulator::JournalEntry;
use leadim_simulator::journal::mask_token;
use serde_json::Value;

use super::{Endpoint, StepResult, TokenChoice, docstring, ensure, pairs, string_literal};
use crate::suite::LeadimWorld;

impl LeadimWorld {
    /// The journal entries of one endpoint, oldest first.
    pub(crate) fn requests(&self, endpoint: Endpoint) -> Vec<JournalEntry> {
        self.journal()
            .into_iter()
            .filter(|e| endpoint.matches(e))
            .collect()
    }

    /// When the first request at or after `since` arrived for this account. A
    /// request held by a `latency` fault is journaled only once answered, so this
    /// waits for one to show up, up to the run's answer limit plus 5 s; `None` when
    /// none did.
    pub(crate) async fn first_request_since(
        &self,
        since: jiff::Timestamp,
    ) -> Option<jiff::Timestamp> {
        let deadline = Instant::now() + self.ctx().answer_limit() + Duration::from_secs(5);
        loop {
            let first = self
                .journal()
                .iter()
                .filter_map(|e| e.at.parse::<jiff::Timestamp>().ok())
                .filter(|at| *at >= since)
                .min();
            if first.is_some() || Instant::now() >= deadline {
                return first;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The last entry of one endpoint ("the submit request").
    fn last_request(&self, endpoint: Endpoint) -> Result<JournalEntry, String> {
        self.requests(endpoint).pop().ok_or_else(|| {
            format!(
                "the simulator received no {endpoint} request for account {}",
                self.account.aid
            )
        })
    }
}

/// Whether an entry carried `key` = `expected`; an absent parameter counts as empty.
fn carried(entry: &JournalEntry, key: &str, expected: &str) -> StepResult {
    let actual = entry.param(key);
    ensure(actual.unwrap_or_default() == expected, || match actual {
        Some(actual) => format!(
            "request #{} carried {key} = {}, expected {}",
            entry.id,
            Value::from(actual),
            Value::from(expected)
        ),
        None => format!(
            "request #{} carried no {key} (expected {}); it carried {:?}",
            entry.id,
            Value::from(expected),
            entry.params
        ),
    })
}

#[then("the simulator received no request")]
fn no_request(w: &mut LeadimWorld) -> StepResult {
    let journal = w.journal();
    ensure(journal.is_empty(), || {
        let entries: String = journal.iter().map(JournalEntry::summary).collect();
        format!("expected no request, the simulator received:\n{entries}")
    })
}

#[then(regex = r"^the simulator received (\d+) (lookup|submit|update) requests?$")]
fn received(w: &mut LeadimWorld, count: usize, endpoint: Endpoint) -> StepResult {
    let n = w.requests(endpoint).len();
    ensure(n == count, || {
        format!("the simulator received {n} {endpoint} request(s), expected {count}")
    })
}

#[then(regex = r"^the simulator received at least (\d+) (lookup|submit|update) requests?$")]
fn received_at_least(w: &mut LeadimWorld, count: usize, endpoint: Endpoint) -> StepResult {
    let n = w.requests(endpoint).len();
    ensure(n >= count, || {
        format!("the simulator received {n} {endpoint} request(s), expected at least {count}")
    })
}

#[then(regex = r#"^an? (lookup|submit|update) request carried (\S+) = (".*")$"#)]
fn some_carried(w: &mut LeadimWorld, endpoint: Endpoint, key: String, value: String) -> StepResult {
    let expected = w.expand(&string_literal(&value)?)?;
    let entries = w.requests(endpoint);
    ensure(
        entries
            .iter()
            .any(|e| e.param(&key) == Some(expected.as_str())),
        || {
            let sent: Vec<_> = entries.iter().map(|e| e.param(&key)).collect();
            format!("no {endpoint} request carried {key} = {expected:?}; they carried {sent:?}")
        },
    )
}

#[then(regex = r#"^the (lookup|submit|update) request carried (\S+) = (".*")$"#)]
fn last_carried(w: &mut LeadimWorld, endpoint: Endpoint, key: String, value: String) -> StepResult {
    let expected = w.expand(&string_literal(&value)?)?;
    carried(&w.last_request(endpoint)?, &key, &expected)
}

/// `| parameter | value |` rows; values may use `{lm_form}` and the other tokens.
#[then(regex = r"^the (lookup|submit|update) request carried:$")]
fn last_carried_table(w: &mut LeadimWorld, endpoint: Endpoint, step: &Step) -> StepResult {
    let entry = w.last_request(endpoint)?;
    for (key, value) in pairs(step)? {
        carried(&entry, &key, &w.expand(&value)?)?;
    }
    Ok(())
}

#[then(regex = r"^the (lookup|submit|update) request carried (\S+) as:$")]
fn last_carried_text(
    w: &mut LeadimWorld,
    endpoint: Endpoint,
    key: String,
    step: &Step,
) -> StepResult {
    let expected = w.expand(docstring(step)?)?;
    carried(&w.last_request(endpoint)?, &key, &expected)
}

/// A one-column table: the value each request of the endpoint carried, oldest first,
/// and no more requests than rows.
#[then(regex = r"^the (lookup|submit|update) requests carried (\S+), in order:$")]
fn carried_in_order(
    w: &mut LeadimWorld,
    endpoint: Endpoint,
    key: String,
    step: &Step,
) -> StepResult {
    let table = step.table.as_ref().ok_or("a table of one value per row")?;
    let expected = table
        .rows
        .iter()
        .map(|row| match row.as_slice() {
            [value] => w.expand(value),
            other => Err(format!("a row needs one cell, got {other:?}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sent: Vec<String> = w
        .requests(endpoint)
        .iter()
        .map(|e| e.param(&key).unwrap_or_default().to_owned())
        .collect();
    ensure(sent == expected, || {
        format!(
            "the {endpoint} requests carried {key} = {sent:?}, in this order; expected {expected:?}"
        )
    })
}

/// Nothing but the named parameter in any request of the endpoint: the token, in
/// particular, belongs in its header, not in a URL every proxy and access log keeps.
#[then(regex = r"^every (lookup|submit|update) request carried no parameter but (\S+)$")]
fn only_param(w: &mut LeadimWorld, endpoint: Endpoint, key: String) -> StepResult {
    let entries = w.requests(endpoint);
    ensure(!entries.is_empty(), || {
        format!("no {endpoint} request was received")
    })?;
    for entry in entries {
        let others: Vec<&str> = entry
            .params
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| *k != key)
            .collect();
        ensure(others.is_empty(), || {
            format!(
                "request #{} ({} {}) carried {others:?} besides {key}",
                entry.id, entry.method, entry.path
            )
        })?;
    }
    Ok(())
}

#[then(regex = r"^the (lookup|submit|update) request carried (\S+) of (\d+) characters$")]
fn carried_length(
    w: &mut LeadimWorld,
    endpoint: Endpoint,
    key: String,
    chars: usize,
) -> StepResult {
    let entry = w.last_request(endpoint)?;
    let length = entry.param(&key).map(|v| v.chars().count());
    ensure(length == Some(chars), || {
        format!(
            "request #{} carried {key} of {length:?} characters, expected {chars}",
            entry.id
        )
    })
}

/// The protocol's rule for `fld_message`, applied to the chat the scenario built:
/// the outgoing texts only, in order, joined by newlines, each exactly as written
/// (a message without text adds nothing, not even an empty line).
#[then("the submit request carried fld_message = the outgoing texts, joined by newlines")]
fn carried_outgoing(w: &mut LeadimWorld) -> StepResult {
    let expected: Vec<&str> = w
        .chat
        .messages
        .iter()
        .filter(|m| m.direction == crate::protocol::Direction::Outgoing)
        .filter_map(crate::protocol::Message::sent_text)
        .collect();
    carried(
        &w.last_request(Endpoint::Submit)?,
        "fld_message",
        &expected.join("\n"),
    )
}

#[then(expr = "every {endpoint} request carried {token} in X-LEAD-IM-AUTH")]
fn every_token(w: &mut LeadimWorld, endpoint: Endpoint, token: TokenChoice) -> StepResult {
    let masked = mask_token(&w.token(token));
    let entries = w.requests(endpoint);
    ensure(!entries.is_empty(), || {
        format!("no {endpoint} request was received")
    })?;
    for entry in entries {
        let header = entry
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(leadim_simulator::AUTH_HEADER))
            .map(|(_, v)| v.as_str());
        ensure(header == Some(masked.as_str()), || {
            format!(
                "request #{} carried X-LEAD-IM-AUTH {header:?}, expected the token shown as {masked:?}",
                entry.id
            )
        })?;
    }
    Ok(())
}

/// The answer's envelope: `success`, or `failure` with its `error` when given.
fn answered(entry: &JournalEntry, status: &str, error: Option<&str>) -> StepResult {
    let body: Value = serde_json::from_str(&entry.answer).unwrap_or(Value::Null);
    let ok =
        entry.status == 200 && body["status"] == status && error.is_none_or(|e| body["error"] == e);
    ensure(ok, || {
        let wanted = error.map_or(String::new(), |e| format!(" {e:?}"));
        format!(
            "request #{} was answered HTTP {} {}, expected {status}{wanted}",
            entry.id, entry.status, entry.answer
        )
    })
}

#[then(
    regex = r#"^the (lookup|submit|update) request was answered (success|failure)(?: (".*"))?$"#
)]
fn last_answered(
    w: &mut LeadimWorld,
    endpoint: Endpoint,
    status: String,
    error: String,
) -> StepResult {
    let error = match error.as_str() {
        "" => None,
        text => Some(w.expand(&string_literal(text)?)?),
    };
    answered(&w.last_request(endpoint)?, &status, error.as_deref())
}

#[then(regex = r"^every (lookup|submit|update) request was answered (success|failure)$")]
fn every_answered(w: &mut LeadimWorld, endpoint: Endpoint, status: String) -> StepResult {
    let entries = w.requests(endpoint);
    ensure(!entries.is_empty(), || {
        format!("no {endpoint} request was received")
    })?;
    entries.iter().try_for_each(|e| answered(e, &status, None))
}

#[then(regex = r#"^the (lookup|submit|update) request has the diagnostic (".*")$"#)]
fn diagnostic(w: &mut LeadimWorld, endpoint: Endpoint, text: String) -> StepResult {
    let needle = w.expand(&string_literal(&text)?)?;
    let entry = w.last_request(endpoint)?;
    ensure(entry.has_diagnostic(&needle), || {
        format!(
            "request #{} has no diagnostic containing {needle:?}; it has {:?}",
            entry.id, entry.diagnostics
        )
    })
}
