//! Property mode: field mapping checked on generated chats, for any adapter.
//!
//! `leadim-conformance properties --adapter "<cmd>"` generates chats, crmConfigs and
//! Lead.IM leads with proptest, calls the adapter through protocol v1 for each, and
//! checks the answer and what the simulator's journal received against the rules of
//! `docs/adapter-protocol.md`, "Properties". Three properties, each on its own
//! seeded RNG: `open-ticket`, `lookup` and `display`. A case that breaks a rule is
//! shrunk by proptest to a minimal one that breaks the same rule, and the report
//! prints it with the request the simulator received, the rule's level, the seed and
//! the one command that replays it. A run is deterministic for a given seed.
//!
//! # Layout
//!
//! - this module: [`PropertyOptions`], [`run`], [`PropertyReport`], [`PropertyId`].
//! - [`strategies`]: the generators (phones, stored formats, hostile text).
//! - [`cases`]: the three kinds of case, and the request each becomes.
//! - [`checks`]: what a case must lead to, and the rules an exchange breaks.
//! - [`rules`]: the rules, with their levels.
//! - `search.rs`: one property's search and shrinking on proptest's runner.
//! - `report.rs`: how a run and a shrunk failure are printed.

pub mod cases;
pub mod checks;
mod report;
pub mod rules;
mod search;
pub mod strategies;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use leadim_simulator::Simulator;

pub use report::PropertyReport;
pub use search::{Found, Verdict};

use crate::suite::{ANSWER_MARGIN, AdapterChoice};
use search::{Bench, Display, Lookup, OpenTicket, search};

/// Cases per property by default: the three properties together run in well
/// under a minute against the Python example on two cores (measured: see
/// `docs/adapter-protocol.md`, "Properties").
pub const DEFAULT_CASES: u32 = 64;

/// The adapter's deadline in the property mode unless told otherwise: no case
/// injects a fault, so a generous deadline costs nothing, and keeps a busy machine
/// from failing a case that only waited for the CPU.
pub const DEFAULT_ADAPTER_TIMEOUT: Duration = Duration::from_secs(10);

/// One of the properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropertyId {
    /// openTicket maps any chat onto the submit's fields.
    OpenTicket,
    /// getCustomerDetails finds and copies the newest lead, in any stored format.
    Lookup,
    /// getCustomerDetails in display mode builds the display keys from crmData.
    Display,
}

impl PropertyId {
    /// Every property, in the order a run reports them.
    pub const ALL: [Self; 3] = [Self::OpenTicket, Self::Lookup, Self::Display];

    /// Its name on the command line (`--property open-ticket`).
    pub fn name(self) -> &'static str {
        match self {
            Self::OpenTicket => "open-ticket",
            Self::Lookup => "lookup",
            Self::Display => "display",
        }
    }

    /// What it checks, in a line.
    pub fn title(self) -> &'static str {
        match self {
            Self::OpenTicket => "openTicket sends every chat as the protocol maps it",
            Self::Lookup => {
                "getCustomerDetails finds the newest lead in any stored format and copies it"
            }
            Self::Display => "getCustomerDetails in display mode builds id, name, phone, deepLink",
        }
    }

    /// Its index in [`PropertyId::ALL`]: part of its RNG's seed.
    fn index(self) -> u64 {
        match self {
            Self::OpenTicket => 0,
            Self::Lookup => 1,
            Self::Display => 2,
        }
    }
}

impl FromStr for PropertyId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown property {s:?} (open-ticket, lookup or display)"))
    }
}

/// How to run the property mode.
#[derive(Debug, Clone)]
pub struct PropertyOptions {
    /// The adapter under test.
    pub adapter: AdapterChoice,
    /// Cases per property (shrinking comes on top, on a failure).
    pub cases: u32,
    /// The seed every property's RNG derives from.
    pub seed: u64,
    /// Only these properties; all when empty.
    pub only: Vec<PropertyId>,
    /// The adapter's deadline (`LEADIM_ADAPTER_TIMEOUT_MS`);
    /// [`DEFAULT_ADAPTER_TIMEOUT`] by default.
    pub adapter_timeout: Duration,
    /// SHOULD failures fail the run too.
    pub strict: bool,
}

impl PropertyOptions {
    /// The defaults for `adapter`, with a fresh random seed.
    pub fn new(adapter: AdapterChoice) -> Self {
        Self {
            adapter,
            cases: DEFAULT_CASES,
            seed: random_seed(),
            only: Vec::new(),
            adapter_timeout: DEFAULT_ADAPTER_TIMEOUT,
            strict: false,
        }
    }

    /// The properties this run checks, in report order.
    pub fn properties(&self) -> Vec<PropertyId> {
        PropertyId::ALL
            .into_iter()
            .filter(|p| self.only.is_empty() || self.only.contains(p))
            .collect()
    }
}

/// A seed nobody chose, for a run without `--seed` (it is printed, so any run
/// replays).
pub fn random_seed() -> u64 {
    use std::hash::BuildHasher as _;
    std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now())
}

/// Why the property mode could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum PropertyError {
    /// The simulator did not start.
    #[error("the simulator did not start: {0}")]
    Simulator(#[from] leadim_simulator::StartError),
    /// The in-process adapter's HTTP client could not be built.
    #[error("the reference adapter could not be built: {0}")]
    Adapter(#[from] reqwest::Error),
    /// A search's thread failed.
    #[error("a property search stopped: {0}")]
    Search(#[from] tokio::task::JoinError),
}

/// Runs the properties, each on a blocking thread of its own (they share the
/// simulator and the adapter), and returns their verdicts in report order.
///
/// Needs a tokio runtime whose other threads keep serving the simulator while the
/// searches block: the multi-threaded one (`#[tokio::main]`).
///
/// ```no_run
/// # #[tokio::main] async fn main() {
/// use leadim_conformance::properties::{PropertyOptions, run};
/// use leadim_conformance::suite::AdapterChoice;
///
/// let options = PropertyOptions::new(AdapterChoice::Command("python3 my_adapter.py".into()));
/// let report = run(options).await.expect("the property mode runs");
/// println!("{}", report.render());
/// assert!(report.success());
/// # }
/// ```
pub async fn run(options: PropertyOptions) -> Result<PropertyReport, PropertyError> {
    let adapter = options.adapter.build(options.adapter_timeout)?;
    let sim = Simulator::builder()
        // Long generated messages make large requests; keep every case's in view.
        .journal_limits(20_000, 256 << 20)
        .start()
        .await?;
    let bench = Arc::new(Bench {
        sim,
        adapter,
        give_up: options.adapter_timeout + ANSWER_MARGIN + Duration::from_secs(10),
    });
    let handle = tokio::runtime::Handle::current();
    let searches: Vec<_> = options
        .properties()
        .into_iter()
        .map(|id| {
            let (bench, handle) = (Arc::clone(&bench), handle.clone());
            let knobs = (options.seed, id.index(), options.cases);
            let started = std::time::Instant::now();
            let task = tokio::task::spawn_blocking(move || match id {
                PropertyId::OpenTicket => search(&OpenTicket, &bench, &handle, knobs),
                PropertyId::Lookup => search(&Lookup, &bench, &handle, knobs),
                PropertyId::Display => search(&Display, &bench, &handle, knobs),
            });
            (id, started, task)
        })
        .collect();
    let mut verdicts = Vec::new();
    for (id, started, task) in searches {
        verdicts.push((id, task.await?, started.elapsed()));
    }
    if let Ok(bench) = Arc::try_unwrap(bench) {
        bench.sim.shutdown().await;
    }
    Ok(PropertyReport { options, verdicts })
}
