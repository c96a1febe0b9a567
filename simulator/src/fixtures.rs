//! The dataset the simulator starts from: accounts (with their tokens and forms) in
//! `accounts.json`, leads in `leads.jsonl`, one JSON object a line so that a large
//! dataset streams and every error has a line number.
//!
//! The default Hebrew dataset in the repository's `fixtures/` folder is embedded in
//! the binary, so `leadim-sim` runs from any directory with no arguments.

pub use crate::field_map::FieldMap;
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

impl Scope {
    /// `read` or `write`, as the dataset and the answers spell it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
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
    /// Its advertiser users: where `route_adv=true` routes a lead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advertisers: Vec<AdvertiserSpec>,
}

/// An advertiser user of an account (`adv_users[]` of a routed lead).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdvertiserSpec {
    /// The user's id, a number as Lead.IM's clients read it.
    pub id: u64,
    /// The user's name.
    pub name: String,
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
    pub fields: FieldMap,
    /// Refuse (`-50`) a submission whose parameters equal one this form accepted
    /// within this many seconds; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_duplicates_secs: Option<u64>,
    /// How the form stores the phone: as sent (the default), or normalised to `0…`
    /// or to `972…`, as some real forms do.
    #[serde(default, skip_serializing_if = "PhoneFormat::is_as_sent")]
    pub phone_format: PhoneFormat,
}

/// How a form stores the phone it is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneFormat {
    /// Exactly as sent (Lead.IM's default).
    #[default]
    AsSent,
    /// The national form, `0521234567`.
    Local,
    /// The international form without `+`, `972521234567`.
    International,
}

impl PhoneFormat {
    /// Whether it is the default.
    pub fn is_as_sent(&self) -> bool {
        *self == PhoneFormat::AsSent
    }

    /// `phone` as a form of this format stores it. A phone without digits is kept
    /// as sent: there is nothing to normalise.
    pub fn apply<'p>(self, phone: &'p str) -> std::borrow::Cow<'p, str> {
        let local = crate::phone::normalize(phone);
        match self {
            PhoneFormat::AsSent => phone.into(),
            _ if local.is_empty() => phone.into(),
            PhoneFormat::Local => local.into(),
            PhoneFormat::International => match local.strip_prefix('0') {
                Some(national) => format!("972{national}").into(),
                None => local.into(),
            },
        }
    }
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
    /// The advertiser users the lead is routed to (`route_adv=true`), by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes_to_advertisers: Vec<u64>,
    /// Ignored. Files written by earlier releases carry it; they still load, with a
    /// warning, and it is not written back.
    #[serde(default, skip_serializing)]
    pub is_disrupted: Option<bool>,
    /// The phone exactly as the form stored it (also settable as the phone field).
    #[serde(default)]
    pub phone: String,
    /// Field name → value, in order.
    #[serde(default)]
    pub fields: FieldMap,
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

/// A dataset. Accounts are parsed when it is loaded; leads are streamed from their
/// source each time a store is built from it (at start and at every reset), so a
/// million-lead dataset is never held twice in memory.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Where it came from, for error messages (`embedded` or a folder).
    pub origin: String,
    /// The accounts.
    pub accounts: Vec<AccountSpec>,
    /// Where the leads come from.
    pub leads: LeadsSource,
}

/// Where a dataset's leads are read from.
#[derive(Debug, Clone)]
pub enum LeadsSource {
    /// `leads.jsonl` text (the embedded fixtures, or text a test made).
    Text(std::sync::Arc<str>),
    /// A `leads.jsonl` file, read line by line.
    File(PathBuf),
    /// Leads already parsed (a state snapshot), numbered from 1.
    Specs(Vec<LeadSpec>),
    /// No leads.
    None,
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
            leads: LeadsSource::None,
        }
    }

    /// Loads `accounts.json` (checked now) and `leads.jsonl` (optional; checked line
    /// by line when a store is built) from a folder.
    pub fn load_dir(dir: &Path) -> Result<Dataset, FixtureError> {
        let accounts_path = dir.join("accounts.json");
        let leads_path = dir.join("leads.jsonl");
        // Read as bytes: text that is not UTF-8 is refused by the JSON parser with
        // its line and column, like any other error.
        let text = std::fs::read(&accounts_path).map_err(|e| FixtureError {
            file: accounts_path.display().to_string(),
            place: "whole file".into(),
            reason: e.to_string(),
        })?;
        Ok(Dataset {
            origin: dir.display().to_string(),
            accounts: parse_accounts(&accounts_path.display().to_string(), &text)?,
            leads: if leads_path.exists() {
                LeadsSource::File(leads_path)
            } else {
                LeadsSource::None
            },
        })
    }

    /// A dataset from the two files' texts.
    pub fn parse(origin: &str, accounts: &str, leads: &str) -> Result<Dataset, FixtureError> {
        let dataset = Dataset {
            origin: origin.into(),
            accounts: parse_accounts(&format!("{origin}/accounts.json"), accounts.as_bytes())?,
            leads: LeadsSource::Text(without_bom(leads).into()),
        };
        Ok(dataset)
    }

    /// The file name used in errors about leads.
    pub(crate) fn leads_file(&self) -> String {
        match &self.leads {
            LeadsSource::File(path) => path.display().to_string(),
            LeadsSource::Specs(_) => self.origin.clone(),
            _ => format!("{}/leads.jsonl", self.origin),
        }
    }

    /// The file name used in errors about accounts.
    pub(crate) fn accounts_file(&self) -> String {
        match &self.leads {
            LeadsSource::Specs(_) => self.origin.clone(),
            _ => format!("{}/accounts.json", self.origin),
        }
    }

    /// Calls `each` with every lead and its line number, stopping at the first error
    /// (a line that does not parse, or what `each` refuses), which names the file,
    /// the line and the reason.
    pub fn for_each_lead(
        &self,
        mut each: impl FnMut(usize, LeadSpec) -> Result<(), String>,
    ) -> Result<(), FixtureError> {
        let file = self.leads_file();
        let fail = |line: usize, column: Option<usize>, reason: String| FixtureError {
            file: file.clone(),
            place: match column {
                Some(c) => format!("line {line}, column {c}"),
                None => format!("line {line}"),
            },
            reason,
        };
        let mut one = |n: usize, text: &str| -> Result<(), FixtureError> {
            if text.trim().is_empty() {
                return Ok(());
            }
            let spec: LeadSpec = serde_json::from_str(text)
                .map_err(|e| fail(n, Some(e.column()), json_reason(&e)))?;
            each(n, spec).map_err(|reason| fail(n, None, reason))
        };
        match &self.leads {
            LeadsSource::None => Ok(()),
            LeadsSource::Text(text) => {
                for (i, line) in text.lines().enumerate() {
                    one(i + 1, line)?;
                }
                Ok(())
            }
            LeadsSource::File(path) => {
                // Parsing is half the work of loading a large dataset: a second thread
                // reads and parses batches of lines while this one builds the leads.
                let reader = std::fs::File::open(path).map_err(|e| fail(0, None, e.to_string()))?;
                std::thread::scope(|scope| {
                    let (tx, rx) = std::sync::mpsc::sync_channel(4);
                    let parse_file = file.clone();
                    scope.spawn(move || parse_lines(reader, &parse_file, &tx));
                    for batch in rx {
                        for (n, spec) in batch? {
                            each(n, spec).map_err(|reason| fail(n, None, reason))?;
                        }
                    }
                    Ok(())
                })
            }
            LeadsSource::Specs(specs) => {
                for (i, spec) in specs.iter().enumerate() {
                    each(i + 1, spec.clone()).map_err(|reason| fail(i + 1, None, reason))?;
                }
                Ok(())
            }
        }
    }
}

/// Lines of `leads.jsonl` parsed in batches and sent to the builder, which stops the
/// reading by hanging up (it drops the receiver at its first error).
fn parse_lines(
    file: std::fs::File,
    name: &str,
    tx: &std::sync::mpsc::SyncSender<Result<Vec<(usize, LeadSpec)>, FixtureError>>,
) {
    use std::io::BufRead;
    const BATCH: usize = 4096;
    let fail = |line: usize, place: String, reason: String| FixtureError {
        file: name.to_owned(),
        place: if place.is_empty() {
            format!("line {line}")
        } else {
            place
        },
        reason,
    };
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(512);
    let mut batch = Vec::with_capacity(BATCH);
    let mut n = 0;
    loop {
        line.clear();
        n += 1;
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) if line.iter().all(u8::is_ascii_whitespace) => continue,
            Ok(_) => match serde_json::from_slice::<LeadSpec>(if n == 1 {
                without_bom_bytes(&line)
            } else {
                &line
            }) {
                Ok(spec) => batch.push((n, spec)),
                Err(e) => {
                    let place = format!("line {n}, column {}", e.column());
                    let _ = tx.send(Err(fail(n, place, json_reason(&e))));
                    return;
                }
            },
            Err(e) => {
                let _ = tx.send(Err(fail(n, String::new(), e.to_string())));
                return;
            }
        }
        if batch.len() == BATCH
            && tx
                .send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))))
                .is_err()
        {
            return;
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(Ok(batch));
    }
}

/// Text without its UTF-8 byte-order mark, which editors on Windows put first.
fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Bytes without a UTF-8 byte-order mark.
pub(crate) fn without_bom_bytes(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn parse_accounts(file: &str, text: &[u8]) -> Result<Vec<AccountSpec>, FixtureError> {
    serde_json::from_slice::<AccountsFile>(without_bom_bytes(text))
        .map(|parsed| parsed.accounts)
        .map_err(|e| FixtureError {
            file: file.into(),
            place: format!("line {}, column {}", e.line(), e.column()),
            reason: json_reason(&e),
        })
}

/// A JSON error's reason without its position, which the error's place gives.
pub(crate) fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((reason, _)) => reason.to_owned(),
        None => text,
    }
}
