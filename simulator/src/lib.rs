//! A faithful, fast fake of the Lead.IM CRM HTTP API.
//!
//! It serves, on one port, every endpoint a Lead.IM adapter talks to — `submit`
//! (`/v2/submit`), `lookup` (`leads_get.ashx`), `get` (`lead_get.ashx`), `update`
//! (`lead_update.ashx`) under `/apiproxy/{aid}/api/`, and the `lead_page`
//! (`/a/{aid}/leads/{lid}`) — with token scopes, Hebrew fixture data, per-account
//! isolation and a journal that says, in plain words, what each request did wrong.
//! The rules it follows are in `docs/contract.md`; the ones that are our guesses are
//! listed by [`contract::MODELED`].
//!
//! In a Rust test, start it in-process:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use leadim_simulator::{AUTH_HEADER, Simulator};
//!
//! let sim = Simulator::start().await.expect("simulator starts");
//! let account = sim.create_account();
//! let answer: serde_json::Value = reqwest::Client::new()
//!     .get(&account.get_customer_details_url)
//!     .query(&[("by_phone", "0521234567")])
//!     .header(AUTH_HEADER, &account.token)
//!     .send()
//!     .await
//!     .unwrap()
//!     .json()
//!     .await
//!     .unwrap();
//! assert_eq!(answer["data"].as_array().unwrap().len(), 0); // a fresh account is empty
//! sim.shutdown().await;
//! # }
//! ```
//!
//! # Layout
//!
//! - `simulator` — [`Simulator`], [`SimulatorBuilder`], [`SimulatorHandle`]: start,
//!   use, stop; `shared` — a simulator on a thread of its own
//!   ([`SimulatorBuilder::spawn`], [`Simulator::shared`]) that outlives a test's
//!   runtime; `expect` — [`Expectation`]s checked on drop and by
//!   [`SimulatorHandle::verify`].
//! - `server` — accept, dispatch and journaling (`mod.rs`); `conn` (the connection's
//!   idle clock and socket), `body` (the body read once, within the limit), `faulted`
//!   (faults that take an answer's place).
//! - `routes` — the one route table: paths, methods, [`Endpoint`]s, fault targets
//!   (`mod.rs`); `unmatched` (the account and the likely endpoint of a path that
//!   matches none), `pages` (`/`, its assets, and the dashboard's pages), and
//!   `tests`.
//! - `request` — our request type (`mod.rs`), strict urlencoded decoding (`form`),
//!   multipart and JSON bodies (`body`).
//! - `api` — the Lead.IM endpoints, one file each with its rules: `submit`,
//!   `lookup`, `get`, `update`, `lead_page`, `cors` (the browser proxy's CORS
//!   answers), and `lead_json` (the lead object they answer with).
//! - `admin` — `/__admin/…` (the handle calls the same store functions).
//! - `dashboard` — the browser's view (`mod.rs`): `public` (the index page at `/`,
//!   the embedded style sheet and script, the docs), `accounts` (accounts with their
//!   crmConfig, an account's leads a page at a time), `journal` (the live journal's
//!   page), `faults`, `login` (the admin token as a cookie), `guard` (changes from
//!   another origin refused; the cookie), `config` (the crmConfig shown). Templates in
//!   `templates/dashboard/`.
//! - `store` — accounts, forms, tokens and leads under one lock (`mod.rs`):
//!   `endpoints` (what submit, lookup, get, update and the lead page do under the
//!   lock), `accounts`, `auth`, `lead` (the packed lead), `table` (leads by id, frozen
//!   for a snapshot), `phone_index`, `load` (datasets and snapshots), `snapshot` (a
//!   snapshot and a reset that do not stall the requests), `manage` (what the admin
//!   API does), `browse` (pages of accounts and of an account's leads), `changes` (each change as the `--state` log records and replays it),
//!   `tests`.
//! - [`journal`] — the bounded request journal (`mod.rs`), `copy` (the bytes it
//!   keeps of an exchange), `page` (reading it a page at a time after a cursor,
//!   rendered outside its lock), `mask` (no credential shown), `summary` (an entry
//!   in plain lines, for failures) and `tests`.
//! - [`faults`] — fault injection (`mod.rs`): `spec` ([`FaultSpec`], its
//!   [`Trigger`] and the admin API's JSON), `kind` ([`FaultKind`], [`AnswerFault`]).
//! - [`fixtures`] — the dataset format (`mod.rs`) and `read` (the embedded Hebrew
//!   default, a folder, leads streamed line by line);
//!   [`generate`] — large realistic datasets.
//! - `runtime` — the tokio runtime the program serves on (half the cores).
//! - `holds` — the longest holds of the store's and the journal's locks, timed only
//!   for the benchmark's stall phase; `background` — heavy work on a large state
//!   off the serving thread, on two long-lived threads (the state at start; a
//!   snapshot's rendering and a reset's rebuild at the lowest priority), each
//!   freeing what it built.
//! - [`state_file`] — `--state FILE` (`mod.rs`: the lock, start, the periodic
//!   snapshot and shutdown): `write` (a snapshot written atomically, a batch at a
//!   time, and when one is due), `wal` (the write-ahead log: group commit on a
//!   writer thread, segments), `record` (its line format), `replay` (reading it back
//!   at start), `tests`.
//! - `error` — typed errors of the endpoints; `reply` — answers and the notes a
//!   handler leaves for the journal.
//! - [`model`] — public views: leads, accounts, the account config, field names;
//!   `field_map` — [`FieldMap`], names to values in order (a lead's fields).
//! - [`phone`] — the lookup index's phone keys; [`contract`] — the modeled rules.
//! - [`internals`] — hidden: what the fuzz targets, the benchmark and the
//!   `leadim-sim` program reach that is not the API.
//!
//! The `leadim-sim` program is a crate of its own (`sim-cli/`, package `leadim-sim`),
//! so that depending on this library builds none of the program's dependencies.

mod admin;
mod api;
mod background;
pub mod contract;
mod dashboard;
mod error;
mod expect;
pub mod faults;
mod field_map;
pub mod fixtures;
pub mod generate;
mod holds;
pub mod journal;
pub mod model;
pub mod phone;
mod reply;
mod request;
mod routes;
mod runtime;
mod server;
mod shared;
mod simulator;
pub mod state_file;
mod store;

pub use api::AUTH_HEADER;
pub use api::lookup::DEFAULT_LOOKUP_CAP;
pub use expect::{Expectation, Times};
pub use faults::{
    ActiveFault, AnswerFault, FaultError, FaultKind, FaultSpec, Target, Trigger, When,
};
pub use field_map::FieldMap;
pub use fixtures::{Dataset, FixtureError, LeadSpec, Scope};
pub use journal::{Diagnostic, JournalEntry, JournalFilter, JournalPage, Level};
pub use model::{AccountConfig, AccountView, FormView, LeadView, TokenView, fields};
pub use phone::PhoneMatch;
pub use routes::{Door, Endpoint};
pub use simulator::{
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, Simulator, SimulatorBuilder, SimulatorHandle,
    StartError,
};
pub use store::{
    AccountsPage, Counts, DefaultAccount, FormSettings, LeadsPage, MAX_ACCOUNTS_PAGE,
    MAX_LEADS_PAGE, SNAPSHOT_VERSION, STANDARD_FIELDS, SeedError, SeedLead, Snapshot, Store,
};

/// The README's Rust examples, compiled and run as doctests by `cargo test`, so that
/// what a new user copies works.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// What the fuzz targets, the benchmark and the `leadim-sim` program (`sim-cli/`)
/// reach that is not the simulator's API: no stability is promised here.
#[doc(hidden)]
pub mod internals {
    pub use crate::error::{ApiError, SubmitError};
    pub use crate::journal::mask_token;
    pub use crate::request::{
        BodyKinds, DecodeError, MAX_PARAMS, Params, ParamsUsed, Part, Request, TokenHeader,
        parse_urlencoded,
    };

    /// The longest holds of the store's and the journal's locks, for the
    /// benchmark's stall phase.
    pub mod holds {
        pub use crate::holds::{Holds, enable, take};
    }

    /// The tokio runtime `leadim-sim` serves on, for the benchmark's baseline.
    pub mod runtime {
        pub use crate::runtime::{build, default_workers};
    }

    use crate::model::LeadView;
    use crate::store::Store;

    /// Creates the lead `params` describe, as `/v2/submit` does: its id, or why not.
    pub fn submit(store: &Store, params: &Params<'_>, now: i64) -> Result<u64, SubmitError> {
        crate::api::submit::create(store, params, now, &mut Vec::new()).map(|c| c.lid)
    }

    /// Looks `phone` up in account `aid` as `leads_get.ashx` does: the answer's JSON.
    pub fn lookup(
        store: &Store,
        aid: &str,
        token: TokenHeader<'_>,
        phone: Option<&str>,
    ) -> Result<Vec<u8>, ApiError> {
        crate::api::lookup::find(store, aid, token, phone, crate::DEFAULT_LOOKUP_CAP)
            .map(|found| found.body)
    }

    /// The leads of account `aid` with `phone`, newest first, as views: what the
    /// lookup's JSON must say.
    pub fn lookup_views(store: &Store, aid: u64, phone: &str) -> Vec<LeadView> {
        let mut leads: Vec<LeadView> = store
            .account_leads(aid)
            .unwrap_or_default()
            .into_iter()
            .filter(|l| store.phone_match().key(&l.phone) == store.phone_match().key(phone))
            .collect();
        leads.reverse();
        leads
    }
}
