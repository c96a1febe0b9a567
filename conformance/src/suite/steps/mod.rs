//! Step definitions, one module per domain concept, and the [`cucumber::Parameter`]
//! types for the domain's words. Every step returns `Result<(), String>`: the error
//! says what was expected and what was found, and becomes the scenario's failure.
//!
//! Values in steps are JSON string literals (`"דוא\"ל"`, `"שורה\nשורה"`), and
//! expected values may use the tokens of [`super::LeadimWorld::expand`] (`{aid}`,
//! `{ui}`, `{new_lid}`, …).
//!
//! # Layout
//!
//! - this module: the parameters (`{function}`, `{outcome}`, `{endpoint}`,
//!   `{token}`) and helpers shared by the steps.
//! - `chat`: the contact's phone and title, the conversation, prompt answers.
//! - `adapter`: the crmConfig, calling a function, the outcome, the timing, crmData.
//! - `lookup`: leads seeded for a lookup to find, and naming them in expectations.
//! - `display`: the crmData Lead.IM pushed onto the chat.
//! - `open_ticket`: the form's state, and the leads the store holds afterwards.
//! - `flows`: the seed's YAML flows, their placeholders, runs and templates.
//! - `journal`: what the simulator received: parameters, token, answers, notes.
//! - `faults`: faults injected into the account, and how the journal names them.

mod adapter;
mod chat;
mod display;
mod faults;
mod flows;
mod journal;
mod lookup;
mod open_ticket;

use std::str::FromStr;

use cucumber::gherkin::Step;
use serde_json::Value;

use crate::protocol::{Function, Outcome};

/// What a step returns.
type StepResult = Result<(), String>;

/// Fails with `message` unless `condition` holds.
fn ensure(condition: bool, message: impl FnOnce() -> String) -> StepResult {
    if condition { Ok(()) } else { Err(message()) }
}

/// A JSON literal from a step (`"דנה כהן"`, `"a\nb"`, `100231`).
fn literal(text: &str) -> Result<Value, String> {
    serde_json::from_str(text.trim()).map_err(|e| format!("{text} is not a JSON literal: {e}"))
}

/// A JSON string literal from a step.
fn string_literal(text: &str) -> Result<String, String> {
    match literal(text)? {
        Value::String(s) => Ok(s),
        other => Err(format!("expected a quoted string, got {other}")),
    }
}

/// Whether `actual` is the expected scalar. Ids may come as strings or numbers,
/// depending on the adapter's language, so a number equals its decimal text.
fn same_scalar(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            n.to_string() == *s
        }
        _ => actual == expected,
    }
}

/// The rows of a step's two-column table (`| key | value |`).
fn pairs(step: &Step) -> Result<Vec<(String, String)>, String> {
    let table = step
        .table
        .as_ref()
        .ok_or("this step needs a table of | key | value | rows")?;
    table
        .rows
        .iter()
        .map(|row| match row.as_slice() {
            [key, value] => Ok((key.clone(), value.clone())),
            other => Err(format!("a row needs two cells, got {other:?}")),
        })
        .collect()
}

/// The step's doc string, without the newlines the parser leaves around it.
fn docstring(step: &Step) -> Result<&str, String> {
    let text = step
        .docstring
        .as_deref()
        .ok_or("this step needs a doc string")?;
    let text = text.strip_prefix('\n').unwrap_or(text);
    Ok(text.strip_suffix('\n').unwrap_or(text))
}

/// An adapter function, as the seed names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "function", regex = "getCustomerDetails|openTicket")]
pub struct FunctionParam(pub Function);

impl FromStr for FunctionParam {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Function::from_func_id(s)
            .map(Self)
            .ok_or_else(|| format!("unknown adapter function {s}"))
    }
}

/// `complete` or `failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "outcome", regex = "complete|failure")]
pub struct OutcomeParam(pub Outcome);

impl FromStr for OutcomeParam {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "complete" => Ok(Self(Outcome::Complete)),
            "failure" => Ok(Self(Outcome::Failure)),
            other => Err(format!("unknown outcome {other}")),
        }
    }
}

/// A Lead.IM endpoint a step names, by the simulator's name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "endpoint", regex = "lookup|submit|update")]
pub enum Endpoint {
    /// `leads_get.ashx` (getCustomerDetails).
    Lookup,
    /// `/v2/submit` (openTicket, create lead).
    Submit,
    /// `lead_update.ashx`.
    Update,
}

impl Endpoint {
    /// The simulator's endpoint: the journal files each request under it.
    pub fn simulator(self) -> leadim_simulator::Endpoint {
        match self {
            Self::Lookup => leadim_simulator::Endpoint::Lookup,
            Self::Submit => leadim_simulator::Endpoint::Submit,
            Self::Update => leadim_simulator::Endpoint::Update,
        }
    }

    /// Whether a journal entry is a request for this endpoint.
    fn matches(self, entry: &leadim_simulator::JournalEntry) -> bool {
        entry.endpoint == Some(self.simulator())
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.simulator().name())
    }
}

impl FromStr for Endpoint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Lookup, Self::Submit, Self::Update]
            .into_iter()
            .find(|e| e.simulator().name() == s)
            .ok_or_else(|| format!("unknown endpoint {s}"))
    }
}

/// Which token a crmConfig or a flow carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, cucumber::Parameter)]
#[param(
    name = "token",
    regex = "the account's read-write token|the account's read-only token|the account's write-only token|another account's token|an unknown token"
)]
pub enum TokenChoice {
    /// Scopes read and write.
    ReadWrite,
    /// Scope read.
    ReadOnly,
    /// Scope write.
    WriteOnly,
    /// A valid token of a second account.
    OtherAccount,
    /// A token no account has.
    Unknown,
}

impl FromStr for TokenChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "the account's read-write token" => Self::ReadWrite,
            "the account's read-only token" => Self::ReadOnly,
            "the account's write-only token" => Self::WriteOnly,
            "another account's token" => Self::OtherAccount,
            "an unknown token" => Self::Unknown,
            other => return Err(format!("unknown token choice {other}")),
        })
    }
}

impl super::LeadimWorld {
    /// The token value a [`TokenChoice`] stands for in this scenario.
    fn token(&self, choice: TokenChoice) -> String {
        match choice {
            TokenChoice::ReadWrite => self.account.token.clone(),
            TokenChoice::ReadOnly => self.account.read_token.clone(),
            TokenChoice::WriteOnly => self.account.write_token.clone(),
            TokenChoice::OtherAccount => self.other_account_token().to_owned(),
            TokenChoice::Unknown => format!("t-{}-rw-0badc0de", self.account.aid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_compare_as_text() {
        assert!(same_scalar(&json!(100231), &json!("100231")));
        assert!(same_scalar(&json!("א"), &json!("א")));
        assert!(!same_scalar(&json!(1), &json!("01")));
    }

    #[test]
    fn literals_keep_hebrew_and_escapes() {
        assert_eq!(string_literal(r#""דוא\"ל""#).unwrap(), "דוא\"ל");
        assert_eq!(string_literal(r#""a\nb""#).unwrap(), "a\nb");
        assert!(string_literal("7").is_err());
    }

    #[test]
    fn endpoints_are_named_as_the_simulator_names_them() {
        for name in ["lookup", "submit", "update"] {
            let endpoint: Endpoint = name.parse().unwrap();
            assert_eq!(endpoint.to_string(), name);
            assert_eq!(endpoint.simulator().name(), name);
        }
        assert!("get".parse::<Endpoint>().is_err());
    }
}
