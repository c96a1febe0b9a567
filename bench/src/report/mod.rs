//! Results, the targets they are held to, the printed table and the JSON file.
//!
//! Targets are reported, never asserted: a MISS is a finding, not a failure of the
//! benchmark. Sizes are in MB of 10^6 bytes.

mod numbers;
mod table;
mod verdicts;

pub use numbers::thousands;

use crate::load::Outcome;
use crate::servers::Memory;
use crate::workload::Scenario;
use serde::Serialize;
use std::time::Duration;

/// Least simulator req/s, as a share of the baseline's.
pub const MIN_RPS_RATIO: f64 = 0.8;
/// Most simulator p99, as a multiple of the baseline's.
pub const MAX_P99_RATIO: f64 = 1.5;
/// Slowest startup with the default fixtures.
pub const MAX_STARTUP_DEFAULT: Duration = Duration::from_millis(10);
/// Slowest startup with the large dataset.
pub const MAX_STARTUP_BIG: Duration = Duration::from_secs(2);
/// Most peak RSS after the memory phase's requests, on the default fixtures.
pub const MAX_RSS_AFTER_REQUESTS: u64 = 30_000_000;
/// Most peak RSS per lead beyond [`MAX_RSS_AFTER_REQUESTS`].
pub const MAX_BYTES_PER_LEAD: u64 = 600;
/// Most slowdown of lookup (and update) from the small to the large dataset.
pub const MAX_SCALE_SLOWDOWN: f64 = 0.10;
/// Least submit req/s with `--state` (without `--fsync`), as a share of the req/s
/// without a state file.
pub const MIN_STATE_RPS_RATIO: f64 = 0.7;

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// How it ran, on what.
    pub meta: Meta,
    /// Phase 1: simulator against the baseline, per scenario.
    pub throughput: Vec<Comparison>,
    /// Phase 2: startup times.
    pub startup: Vec<Startup>,
    /// Phase 3: memory after many requests.
    pub after_requests: Option<AfterRequests>,
    /// Phase 3: memory with datasets loaded (the scale phase's servers).
    pub loaded: Vec<Loaded>,
    /// Phase 4: lookup and update at two dataset sizes.
    pub scale: Option<Scale>,
    /// Phase 5: submit without and with a state file.
    pub state: Option<StateThroughput>,
    /// Each target with its measurement and verdict.
    pub verdicts: Vec<Verdict>,
}

/// How the run was set up, and how busy the machine was.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// When it started, RFC 3339.
    pub started_at: String,
    /// A `--quick` smoke run.
    pub quick: bool,
    /// Keep-alive connections of the closed loop.
    pub connections: usize,
    /// Warm-up before each window, seconds.
    pub warmup_seconds: f64,
    /// Measured window, seconds.
    pub window_seconds: f64,
    /// Windows per server and scenario (alternating); results are their median.
    pub rounds: usize,
    /// How the simulator was started.
    pub simulator: String,
    /// Cores available.
    pub cores: usize,
    /// Load average when the run started.
    pub load_average_before: Option<String>,
    /// Load average when it ended.
    pub load_average_after: Option<String>,
}

/// One scenario, simulator against baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Which.
    pub scenario: Scenario,
    /// The raw hyper server's result.
    pub raw: Outcome,
    /// The simulator's result.
    pub simulator: Outcome,
    /// Simulator req/s over raw req/s.
    pub rps_ratio: f64,
    /// Simulator p50 over raw p50.
    pub p50_ratio: f64,
    /// Simulator p99 over raw p99.
    pub p99_ratio: f64,
    /// Simulator CPU time per request over raw's.
    pub cpu_ratio: Option<f64>,
    /// The req/s ratio to expect when the machine is saturated by these two
    /// processes alone: (raw server + load generator CPU per request) over (simulator
    /// + load generator CPU per request). Steadier than `rps_ratio` on a busy machine.
    pub cpu_bound_rps_ratio: Option<f64>,
    /// Each round's raw result, when there were several (`raw` is their median).
    pub raw_rounds: Vec<Outcome>,
    /// Each round's simulator result, when there were several.
    pub simulator_rounds: Vec<Outcome>,
}

impl Comparison {
    /// Pairs the medians of the rounds of both servers.
    pub fn new(
        scenario: Scenario,
        raw_rounds: Vec<Outcome>,
        sim_rounds: Vec<Outcome>,
    ) -> Comparison {
        let raw = Outcome::median(&raw_rounds);
        let simulator = Outcome::median(&sim_rounds);
        let several = |rounds: Vec<Outcome>| if rounds.len() > 1 { rounds } else { Vec::new() };
        Comparison {
            scenario,
            rps_ratio: simulator.rps / raw.rps,
            p50_ratio: simulator.p50_us / raw.p50_us,
            p99_ratio: simulator.p99_us / raw.p99_us,
            cpu_ratio: simulator
                .server_cpu_us_per_request
                .zip(raw.server_cpu_us_per_request)
                .map(|(s, r)| s / r),
            cpu_bound_rps_ratio: cpu_per_request(&raw)
                .zip(cpu_per_request(&simulator))
                .map(|(r, s)| r / s),
            raw,
            simulator,
            raw_rounds: several(raw_rounds),
            simulator_rounds: several(sim_rounds),
        }
    }
}

/// Server plus load generator CPU time per request, microseconds.
fn cpu_per_request(o: &Outcome) -> Option<f64> {
    Some(o.server_cpu_us_per_request? + o.client_cpu_us_per_request?)
}

/// Startup times of one configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Startup {
    /// Leads loaded (the embedded fixtures' count, or the dataset's).
    pub leads: u64,
    /// `default fixtures`, or the dataset's size.
    pub label: String,
    /// Each run, milliseconds, in order.
    pub runs_ms: Vec<f64>,
    /// Their median, milliseconds.
    pub median_ms: f64,
    /// The slowest median allowed, milliseconds.
    pub target_ms: f64,
}

impl Startup {
    /// From the runs' durations, held to `target`.
    pub fn new(label: String, leads: u64, runs: &[Duration], target: Duration) -> Startup {
        let runs_ms: Vec<f64> = runs.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        let mut sorted = runs_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let median_ms = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
        Startup {
            leads,
            label,
            runs_ms,
            median_ms,
            target_ms: target.as_secs_f64() * 1e3,
        }
    }
}

/// Memory of a simulator on the default fixtures, before and after many requests.
#[derive(Debug, Clone, Serialize)]
pub struct AfterRequests {
    /// Requests sent (submit, lookup and update in turn).
    pub requests: u64,
    /// How they went.
    pub outcome: Outcome,
    /// Memory once ready, before any request.
    pub idle: Memory,
    /// Memory after the requests.
    pub after: Memory,
    /// Leads the submissions created (each is kept: they are data, not a leak).
    pub leads_created: u64,
    /// The journal's estimated bytes after the run.
    pub journal_bytes: u64,
    /// The journal's byte bound.
    pub journal_max_bytes: u64,
    /// Journal entries dropped to keep the bound.
    pub journal_dropped: u64,
}

/// Memory of a simulator with a generated dataset loaded, once ready.
#[derive(Debug, Clone, Serialize)]
pub struct Loaded {
    /// Leads in the dataset.
    pub leads: u64,
    /// Memory once ready, before any request.
    pub memory: Memory,
}

/// Lookup and update at a small and a large dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Scale {
    /// Leads of the small dataset.
    pub small_leads: u64,
    /// Leads of the large dataset.
    pub big_leads: u64,
    /// Lookup, small dataset.
    pub lookup_small: Outcome,
    /// Lookup, large dataset.
    pub lookup_big: Outcome,
    /// Update, small dataset.
    pub update_small: Outcome,
    /// Update, large dataset.
    pub update_big: Outcome,
}

/// Submit on the simulator without a state file, with `--state` and with
/// `--state --fsync`: the medians of their rounds.
#[derive(Debug, Clone, Serialize)]
pub struct StateThroughput {
    /// Without a state file.
    pub without: Outcome,
    /// With `--state`: each change written to the log before it is answered.
    pub logged: Outcome,
    /// With `--state --fsync`: each batch of the log also on disk.
    pub fsynced: Outcome,
    /// `--state` req/s over the req/s without.
    pub logged_ratio: f64,
    /// `--fsync` req/s over the req/s without.
    pub fsynced_ratio: f64,
    /// Each round's results, when there were several: without, `--state`, `--fsync`.
    pub rounds: Vec<[Outcome; 3]>,
}

impl StateThroughput {
    /// The medians of each configuration's rounds (given in the same order).
    pub fn new(without: &[Outcome], logged: &[Outcome], fsynced: &[Outcome]) -> StateThroughput {
        let (w, l, f) = (
            Outcome::median(without),
            Outcome::median(logged),
            Outcome::median(fsynced),
        );
        let rounds = if without.len() > 1 {
            without
                .iter()
                .zip(logged)
                .zip(fsynced)
                .map(|((w, l), f)| [w.clone(), l.clone(), f.clone()])
                .collect()
        } else {
            Vec::new()
        };
        StateThroughput {
            logged_ratio: l.rps / w.rps,
            fsynced_ratio: f.rps / w.rps,
            without: w,
            logged: l,
            fsynced: f,
            rounds,
        }
    }
}

/// One target and how the run did against it.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The target, in words.
    pub target: String,
    /// What was measured, in words.
    pub measured: String,
    /// Met or not.
    pub pass: bool,
}

impl Report {
    /// An empty report for a run set up as `meta` says.
    pub fn new(meta: Meta) -> Report {
        Report {
            meta,
            throughput: Vec::new(),
            startup: Vec::new(),
            after_requests: None,
            loaded: Vec::new(),
            scale: None,
            state: None,
            verdicts: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_run() {
        let runs = [5, 1, 9, 3, 7].map(Duration::from_millis);
        assert_eq!(
            Startup::new("x".into(), 0, &runs, Duration::ZERO).median_ms,
            5.0
        );
    }
}
