//! What to measure and for how long: the command-line [`Options`], and the
//! [`Settings`] they come to once every default is applied.

use crate::load::{Plan, Stop};
use crate::servers::Launcher;
use anyhow::Context;
use clap::ValueEnum;
use std::path::PathBuf;
use std::time::Duration;

/// A part of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    /// The simulator against raw hyper: submit, lookup, update.
    Throughput,
    /// Time to the first answered health check.
    Startup,
    /// Peak RSS after many requests and with a large dataset loaded.
    Memory,
    /// Lookup and update at a small and a large dataset.
    Scale,
    /// Lookups on the large dataset during a journal read, a snapshot and a reset.
    Stall,
    /// Submit without and with `--state` (and `--fsync`).
    State,
}

/// What to measure and for how long. Defaults marked "quick" apply with `--quick`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Measured seconds per window [default: 5; quick: 2].
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Warm-up seconds before each window [default: 1; quick: 0.5].
    #[arg(long)]
    pub warmup: Option<f64>,
    /// Keep-alive connections of the closed loop.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Windows per server and scenario, alternating between the servers compared;
    /// the results are their median (more rounds: steadier on a busy machine).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub rounds: usize,
    /// A short smoke run: 2 s windows, a 100,000-lead dataset, 100,000 requests in
    /// the memory phase, 3 startups per median.
    #[arg(long)]
    pub quick: bool,
    /// Leads of the large dataset [default: 1,000,000; quick: 100,000].
    #[arg(long, value_name = "N")]
    pub big_leads: Option<u64>,
    /// Leads of the small dataset of the scale phase.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    pub small_leads: u64,
    /// Requests of the memory phase [default: 1,000,000; quick: 100,000].
    #[arg(long, value_name = "N")]
    pub memory_requests: Option<u64>,
    /// Startups per median [default: 7; quick: 3].
    #[arg(long, value_name = "N")]
    pub startup_runs: Option<usize>,
    /// Phases to run, comma-separated: throughput, startup, memory, scale, state
    /// [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub phase: Vec<Phase>,
    /// Where to write the JSON results [default: leadim-bench.json in cargo's target
    /// folder].
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Run this `leadim-sim` binary as the simulator, instead of this benchmark's
    /// own `serve-sim` (the same library in a process of its own).
    #[arg(long, value_name = "PATH")]
    pub sim_bin: Option<PathBuf>,
}

/// [`Options`] with every default applied.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) quick: bool,
    pub(super) window: Duration,
    pub(super) warmup: Duration,
    pub(super) connections: usize,
    pub(super) rounds: usize,
    pub(super) big_leads: u64,
    pub(super) small_leads: u64,
    pub(super) memory_requests: u64,
    pub(super) startup_runs: usize,
    pub(super) phases: Vec<Phase>,
    pub(super) json: PathBuf,
    pub(super) launcher: Launcher,
}

impl Settings {
    pub(super) fn from(o: Options) -> anyhow::Result<Settings> {
        let q = o.quick;
        let secs = |v: Option<f64>, normal: f64, quick: f64| {
            Duration::try_from_secs_f64(v.unwrap_or(if q { quick } else { normal }))
                .context("durations must be positive numbers of seconds")
        };
        anyhow::ensure!(o.connections > 0, "--connections must be at least 1");
        let json = match o.json {
            Some(path) => path,
            None => default_json_path(),
        };
        Ok(Settings {
            quick: q,
            window: secs(o.seconds, 5.0, 2.0)?,
            warmup: secs(o.warmup, 1.0, 0.5)?,
            connections: o.connections,
            rounds: o.rounds.max(1),
            big_leads: o.big_leads.unwrap_or(if q { 100_000 } else { 1_000_000 }),
            small_leads: o.small_leads,
            memory_requests: o
                .memory_requests
                .unwrap_or(if q { 100_000 } else { 1_000_000 }),
            startup_runs: o.startup_runs.unwrap_or(if q { 3 } else { 7 }).max(1),
            phases: if o.phase.is_empty() {
                Phase::value_variants().to_vec()
            } else {
                o.phase
            },
            json,
            launcher: Launcher { sim_bin: o.sim_bin },
        })
    }

    pub(super) fn runs(&self, phase: Phase) -> bool {
        self.phases.contains(&phase)
    }

    pub(super) fn window(&self) -> Plan {
        Plan {
            connections: self.connections,
            warmup: self.warmup,
            stop: Stop::After(self.window),
        }
    }
}

/// `target/leadim-bench.json`: beside the folder cargo put this binary in
/// (`target/release/`), or in `./target` when run from elsewhere.
fn default_json_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .filter(|dir| dir.file_name().is_some_and(|n| n == "target"))
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("leadim-bench.json")
}
