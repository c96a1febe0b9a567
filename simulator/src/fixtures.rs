//! The dataset the simulator starts from: accounts (with their tokens and forms) in
//! `accounts.json`, leads in `leads.jsonl`, one JSON object a line so that a large
//! dataset streams and every error has a line number.
//!
//! The default Hebrew dataset in the repository's `fixtures/` folder is embedded in
//! the binary, so `leadim-sim` runs from any directory with no arguments.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

const EMBEDDED_ACCOUNTS: &str = include_str!("../../fixtures/accounts.json");
const EMBEDDED_LEADS: &str = include_str!("../../fixtures/leads.jsonl");

/// A token's permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// May look leads up (`leads_get.ashx`, `lead_get.ashx`).
    Read,
    /// May update leads (`lead_update.ashx`).
    Write,
}

/// One account of the dataset.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    /// Account id, the `{aid}` of the URLs.
    pub aid: u64,
    /// Business name.
    pub name: String,
    /// A disabled account accepts no leads (`/v2/submit` code -8) and no API calls.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Its `X-LEAD-IM-AUTH` tokens.
    #[serde(default)]
    pub tokens: Vec<TokenSpec>,
    /// Its forms.
    #[serde(default)]
    pub forms: Vec<FormSpec>,
}

/// One token of an account.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    /// The value sent as `X-LEAD-IM-AUTH`.
    pub token: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
}

/// One form of an account.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormSpec {
    /// The form id, `lm_form`.
    pub lm_form: u64,
    /// The form key, `lm_key`.
    pub lm_key: String,
    /// Display name.
    pub name: String,
    /// A disabled form refuses submissions (`/v2/submit` code -5).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Where `/v2/submit` redirects when no `lm_redirect` is given.
    pub thank_you_url: String,
    /// Parameter key → field name, in display order; several keys may share a field.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// One lead of the dataset.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LeadSpec {
    /// The lead id; absent in hand-written datasets (ids are then given in
    /// `created_at` order), present in state snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lid: Option<u64>,
    /// The account it belongs to (taken from the URL when seeding through the admin API).
    #[serde(default)]
    pub aid: u64,
    /// The form it came through (0 when seeding: the account's first form).
    #[serde(default)]
    pub form_id: u64,
    /// RFC 3339, e.g. `2026-03-02T09:15:00Z` (empty when seeding: now).
    #[serde(default)]
    pub created_at: String,
    /// RFC 3339; defaults to `created_at`.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// 1 = new, 2 = invalid.
    #[serde(default = "one")]
    pub status_id: u32,
    /// Set on leads that arrived with unknown parameters.
    #[serde(default)]
    pub is_disrupted: bool,
    /// The phone exactly as the form stored it (also settable as the phone field).
    #[serde(default)]
    pub phone: String,
    /// Field name → value.
    #[serde(default)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// UTM source.
    #[serde(default)]
    pub utm_source: Option<String>,
    /// UTM medium.
    #[serde(default)]
    pub utm_medium: Option<String>,
    /// UTM campaign.
    #[serde(default)]
    pub utm_campaign: Option<String>,
    /// UTM content.
    #[serde(default)]
    pub utm_content: Option<String>,
    /// UTM term.
    #[serde(default)]
    pub utm_term: Option<String>,
    /// Lead source (`lm_source`).
    #[serde(default)]
    pub lm_source: Option<String>,
}

fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    accounts: Vec<AccountSpec>,
}

/// A dataset, parsed but not yet checked for consistency (the store checks that
/// when it loads it, with [`FixtureError`]s naming the place).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Where it came from, for error messages (`embedded` or a folder).
    pub origin: String,
    /// The accounts.
    pub accounts: Vec<AccountSpec>,
    /// The leads, each with its line number in `leads.jsonl`.
    pub leads: Vec<(usize, LeadSpec)>,
}

/// A dataset that cannot be loaded: which file, where in it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureError {
    /// The file.
    pub file: String,
    /// Where in it: `line 17, column 5`, or a path such as `accounts[2].forms[0]`.
    pub place: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.place, self.reason)
    }
}

impl std::error::Error for FixtureError {}

impl Dataset {
    /// The default Hebrew dataset, compiled into the binary.
    pub fn embedded() -> Dataset {
        Dataset::parse("embedded", EMBEDDED_ACCOUNTS, EMBEDDED_LEADS)
            .expect("the embedded fixtures are checked by the test suite")
    }

    /// An empty dataset: no accounts, no leads.
    pub fn empty() -> Dataset {
        Dataset {
            origin: "empty".into(),
            accounts: Vec::new(),
            leads: Vec::new(),
        }
    }

    /// Loads `accounts.json` and `leads.jsonl` (optional) from a folder.
    pub fn load_dir(dir: &Path) -> Result<Dataset, FixtureError> {
        let accounts_path = dir.join("accounts.json");
        let leads_path = dir.join("leads.jsonl");
        let read = |p: &PathBuf| {
            std::fs::read_to_string(p).map_err(|e| FixtureError {
                file: p.display().to_string(),
                place: "whole file".into(),
                reason: e.to_string(),
            })
        };
        let accounts = read(&accounts_path)?;
        let leads = if leads_path.exists() {
            read(&leads_path)?
        } else {
            String::new()
        };
        let mut dataset = Dataset::parse_named(
            &accounts_path.display().to_string(),
            &leads_path.display().to_string(),
            &accounts,
            &leads,
        )?;
        dataset.origin = dir.display().to_string();
        Ok(dataset)
    }

    /// Parses a dataset from the two files' texts.
    pub fn parse(origin: &str, accounts: &str, leads: &str) -> Result<Dataset, FixtureError> {
        let mut d = Dataset::parse_named(
            &format!("{origin}/accounts.json"),
            &format!("{origin}/leads.jsonl"),
            accounts,
            leads,
        )?;
        d.origin = origin.into();
        Ok(d)
    }

    fn parse_named(
        accounts_file: &str,
        leads_file: &str,
        accounts: &str,
        leads: &str,
    ) -> Result<Dataset, FixtureError> {
        let parsed: AccountsFile = serde_json::from_str(accounts).map_err(|e| FixtureError {
            file: accounts_file.into(),
            place: format!("line {}, column {}", e.line(), e.column()),
            reason: e.to_string(),
        })?;
        let mut lead_specs = Vec::new();
        for (i, line) in leads.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let spec: LeadSpec = serde_json::from_str(line).map_err(|e| FixtureError {
                file: leads_file.into(),
                place: format!("line {}, column {}", i + 1, e.column()),
                reason: e.to_string(),
            })?;
            lead_specs.push((i + 1, spec));
        }
        Ok(Dataset {
            origin: String::new(),
            accounts: parsed.accounts,
            leads: lead_specs,
        })
    }

    /// The file name used in errors about leads.
    pub(crate) fn leads_file(&self) -> String {
        format!("{}/leads.jsonl", self.origin)
    }

    /// The file name used in errors about accounts.
    pub(crate) fn accounts_file(&self) -> String {
        format!("{}/accounts.json", self.origin)
    }
}
