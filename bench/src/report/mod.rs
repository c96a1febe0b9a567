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
/// Longest hold of the store's lock, or stall of the worker thread, that a journal
/// read, a snapshot or a reset may cause (microseconds).
pub const MAX_STALL_US: u64 = 10_000;
/// Most that a journal read, a snapshot or a reset may add to the lookups' p99.9
/// (microseconds).
pub const MAX_P999_ADDED_US: f64 = 10_000.0;
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
    /// Phase 5: lookups during a journal read, a snapshot and a reset.
    pub stall: Option<Stall>,
    /// Phase 6: submit without and with a state file.
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

/// Lookups on the large dataset while the simulator does something heavy besides.
#[derive(Debug, Clone, Serialize)]
pub struct Stall {
    /// Leads of the dataset.
    pub leads: u64,
    /// The baseline first, then one window per operation.
    pub windows: Vec<StallWindow>,
}

/// Lookups during one operation.
#[derive(Debug, Clone, Serialize)]
pub struct StallWindow {
    /// What the simulator did besides.
    pub during: String,
    /// How long it took, milliseconds; `None` when it could not be done (a snapshot
    /// of a `--sim-bin` binary).
    pub operation_ms: Option<f64>,
    /// What it did, in words (pages and bytes read, leads written).
    pub detail: Option<String>,
    /// The lookups, from before the operation started until after it ended.
    pub outcome: Outcome,
    /// The longest holds and stall meanwhile (a monitored `serve-sim` only); over
    /// several rounds, the median of each round's longest.
    pub holds: Option<Holds>,
    /// Over several rounds, the longest holds of any round.
    pub worst: Option<Holds>,
    /// How many times the operation was measured.
    pub rounds: usize,
}

impl StallWindow {
    /// Several rounds of one operation as one window: the median of each figure
    /// (the maximum latency is the largest of any round), and the worst holds
    /// beside the median ones. A single round is itself.
    pub fn median(runs: Vec<StallWindow>) -> StallWindow {
        assert!(!runs.is_empty(), "the median of no rounds");
        let rounds = runs.len();
        let outcomes: Vec<Outcome> = runs.iter().map(|w| w.outcome.clone()).collect();
        let mut took: Vec<f64> = runs.iter().filter_map(|w| w.operation_ms).collect();
        took.sort_by(f64::total_cmp);
        let holds: Vec<Holds> = runs.iter().filter_map(|w| w.holds).collect();
        let each =
            |f: fn(&Holds) -> u64, pick: fn(Vec<u64>) -> u64| pick(holds.iter().map(f).collect());
        let median = |mut v: Vec<u64>| {
            v.sort_unstable();
            v[v.len() / 2]
        };
        let largest = |v: Vec<u64>| v.into_iter().max().unwrap_or(0);
        let combine = |pick: fn(Vec<u64>) -> u64| {
            (!holds.is_empty()).then(|| Holds {
                store_us: each(|h| h.store_us, pick),
                journal_us: each(|h| h.journal_us, pick),
                worker_us: each(|h| h.worker_us, pick),
                worker_over_10ms: each(|h| h.worker_over_10ms, pick),
            })
        };
        let (holds, worst) = (combine(median), combine(largest));
        let first = runs.into_iter().next().expect("one round at least");
        StallWindow {
            during: first.during,
            operation_ms: took.get(took.len() / 2).copied(),
            detail: first.detail,
            outcome: Outcome::median(&outcomes),
            holds,
            worst,
            rounds,
        }
    }
}

/// The longest holds of the simulator's locks and stall of its worker thread over
/// a window, microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Holds {
    /// The store's lock.
    pub store_us: u64,
    /// The journal's lock.
    pub journal_us: u64,
    /// The worker thread: the most a timer on it woke late (1 ms resolution).
    pub worker_us: u64,
    /// How many times that timer woke 10 ms late or more.
    pub worker_over_10ms: u64,
}

impl Holds {
    /// From a monitored simulator's answer, `holds store_us=1 journal_us=2 worker_us=3`.
    pub fn parse(line: &str) -> anyhow::Result<Holds> {
        let value = |key: &str| -> anyhow::Result<u64> {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("no {key} in '{line}'"))
        };
        Ok(Holds {
            store_us: value("store_us")?,
            journal_us: value("journal_us")?,
            worker_us: value("worker_us")?,
            worker_over_10ms: value("worker_over_10ms")?,
        })
    }

    /// The longest of the store's lock and the worker thread: the gate.
    pub fn gate_us(&self) -> u64 {
        self.store_us.max(self.worker_us)
    }
}

impl std::fmt::Display for Holds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "store lock {:.1} ms, worker {:.1} ms ({} times ≥ 10 ms), journal lock {:.1} ms",
            self.store_us as f64 / 1e3,
            self.worker_us as f64 / 1e3,
            self.worker_over_10ms,
            self.journal_us as f64 / 1e3
        )
    }
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
            stall: None,
            state: None,
            verdicts: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_read_from_the_answer_line() {
        let holds =
            Holds::parse("holds store_us=12 journal_us=3 worker_us=1500 worker_over_10ms=2")
                .unwrap();
        assert_eq!(
            holds,
            Holds {
                store_us: 12,
                journal_us: 3,
                worker_us: 1500,
                worker_over_10ms: 2,
            }
        );
        assert_eq!(holds.gate_us(), 1500);
        assert!(Holds::parse("holds store_us=12").is_err());
    }

    #[test]
    fn rounds_of_a_stall_window_give_the_median_holds_and_the_worst_beside_them() {
        let round = |worker_ms: u64, p999_ms: f64, max_ms: f64| StallWindow {
            during: "a reset".into(),
            operation_ms: Some(worker_ms as f64 * 100.0),
            detail: None,
            outcome: Outcome {
                requests: 1000,
                errors: 0,
                first_error: None,
                seconds: 1.0,
                rps: 1000.0,
                p50_us: 500.0,
                p99_us: 900.0,
                p999_us: p999_ms * 1e3,
                max_us: max_ms * 1e3,
                server_cpu_us_per_request: None,
                client_cpu_us_per_request: None,
                machine_busy_cores: None,
                other_busy_cores: None,
            },
            holds: Some(Holds {
                store_us: 100 * worker_ms,
                journal_us: 0,
                worker_us: 1000 * worker_ms,
                worker_over_10ms: u64::from(worker_ms >= 10),
            }),
            worst: None,
            rounds: 1,
        };
        let w = StallWindow::median(vec![
            round(30, 9.0, 31.0),
            round(4, 3.0, 5.0),
            round(6, 4.0, 7.0),
        ]);
        assert_eq!(w.rounds, 3);
        assert_eq!(
            w.holds.map(|h| (h.worker_us, h.store_us)),
            Some((6000, 600))
        );
        assert_eq!(w.worst.map(|h| h.worker_us), Some(30_000));
        assert_eq!((w.outcome.p999_us, w.outcome.max_us), (4000.0, 31_000.0));
        assert_eq!(w.operation_ms, Some(600.0));
    }

    #[test]
    fn the_median_is_the_middle_run() {
        let runs = [5, 1, 9, 3, 7].map(Duration::from_millis);
        assert_eq!(
            Startup::new("x".into(), 0, &runs, Duration::ZERO).median_ms,
            5.0
        );
    }
}
