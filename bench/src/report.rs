//! Results, the targets they are held to, the printed table and the JSON file.
//!
//! Targets are reported, never asserted: a MISS is a finding, not a failure of the
//! benchmark. Sizes are in MB of 10^6 bytes.

use crate::load::Outcome;
use crate::servers::Memory;
use crate::workload::Scenario;
use serde::Serialize;
use std::fmt::Write as _;
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
            verdicts: Vec::new(),
        }
    }

    /// Holds every measurement present to its target.
    pub fn judge(&mut self) {
        let mut v = Vec::new();
        for c in &self.throughput {
            v.push(Verdict {
                target: format!("{}: req/s ≥ {MIN_RPS_RATIO:.2} × raw hyper", c.scenario),
                measured: format!(
                    "{:.2} × ({} vs {}){}",
                    c.rps_ratio,
                    thousands(c.simulator.rps),
                    thousands(c.raw.rps),
                    c.cpu_ratio
                        .zip(c.cpu_bound_rps_ratio)
                        .map(|(r, e)| format!("; CPU/request {r:.2} ×, so {e:.2} × when CPU-bound"))
                        .unwrap_or_default()
                ),
                pass: c.rps_ratio >= MIN_RPS_RATIO && c.simulator.errors == 0,
            });
            v.push(Verdict {
                target: format!("{}: p99 ≤ {MAX_P99_RATIO:.1} × raw hyper", c.scenario),
                measured: format!(
                    "{:.2} × ({} vs {})",
                    c.p99_ratio,
                    ms(c.simulator.p99_us),
                    ms(c.raw.p99_us)
                ),
                pass: c.p99_ratio <= MAX_P99_RATIO,
            });
        }
        for s in &self.startup {
            v.push(Verdict {
                target: format!("startup, {}: ≤ {} ms", s.label, s.target_ms),
                measured: format!("{:.1} ms (median of {})", s.median_ms, s.runs_ms.len()),
                pass: s.median_ms <= s.target_ms,
            });
        }
        if let Some(a) = &self.after_requests {
            let allowance = MAX_RSS_AFTER_REQUESTS + MAX_BYTES_PER_LEAD * a.leads_created;
            v.push(Verdict {
                target: format!(
                    "peak RSS after {} requests ≤ 30 MB + {MAX_BYTES_PER_LEAD} B × {} leads they created = {}",
                    thousands(a.requests as f64),
                    thousands(a.leads_created as f64),
                    mb(allowance)
                ),
                measured: format!(
                    "{} (idle {}; journal {} of {})",
                    mb(a.after.peak),
                    mb(a.idle.peak),
                    mb(a.journal_bytes),
                    mb(a.journal_max_bytes)
                ),
                pass: a.after.peak <= allowance && a.outcome.errors == 0,
            });
        }
        if let Some(big) = self.loaded.iter().max_by_key(|l| l.leads) {
            let allowance = MAX_RSS_AFTER_REQUESTS + MAX_BYTES_PER_LEAD * big.leads;
            let marginal = self
                .loaded
                .iter()
                .min_by_key(|l| l.leads)
                .filter(|small| small.leads < big.leads)
                .map(|small| {
                    format!(
                        "; {:.0} B per lead over the {}-lead dataset",
                        big.memory.peak.saturating_sub(small.memory.peak) as f64
                            / (big.leads - small.leads) as f64,
                        thousands(small.leads as f64)
                    )
                })
                .unwrap_or_default();
            v.push(Verdict {
                target: format!(
                    "peak RSS with {} leads ≤ 30 MB + {MAX_BYTES_PER_LEAD} B per lead = {}",
                    thousands(big.leads as f64),
                    mb(allowance)
                ),
                measured: format!(
                    "{} (RSS now {}){marginal}",
                    mb(big.memory.peak),
                    mb(big.memory.rss)
                ),
                pass: big.memory.peak <= allowance,
            });
        }
        if let Some(s) = &self.scale {
            for (what, small, big) in [
                ("lookup", &s.lookup_small, &s.lookup_big),
                ("update", &s.update_small, &s.update_big),
            ] {
                // Cost is CPU time per request: on a shared machine req/s follows
                // whatever else runs, CPU per request much less. Without CPU
                // readings, req/s stands in.
                let rps_ratio = small.rps / big.rps;
                let cpu_ratio = big
                    .server_cpu_us_per_request
                    .zip(small.server_cpu_us_per_request)
                    .map(|(b, s)| b / s);
                let cost = cpu_ratio.unwrap_or(rps_ratio);
                v.push(Verdict {
                    target: format!(
                        "{what} cost at {} leads within {:.0} % of {} leads",
                        thousands(s.big_leads as f64),
                        MAX_SCALE_SLOWDOWN * 100.0,
                        thousands(s.small_leads as f64)
                    ),
                    measured: format!(
                        "CPU/request {} ({} vs {} µs); req/s {:.2} × ({} vs {}); p50 {} vs {}",
                        cpu_ratio.map_or("?".into(), |r| format!("{r:.2} ×")),
                        opt1(big.server_cpu_us_per_request),
                        opt1(small.server_cpu_us_per_request),
                        big.rps / small.rps,
                        thousands(big.rps),
                        thousands(small.rps),
                        ms(big.p50_us),
                        ms(small.p50_us)
                    ),
                    pass: cost <= 1.0 + MAX_SCALE_SLOWDOWN && big.errors == 0,
                });
            }
        }
        self.verdicts = v;
    }

    /// The report as the table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let m = &self.meta;
        let _ = writeln!(
            out,
            "\nleadim-bench{} — {} connections, {:.1} s warm-up + {:.1} s per window{}; {} cores, load average {} before, {} after",
            if m.quick { " (quick)" } else { "" },
            m.connections,
            m.warmup_seconds,
            m.window_seconds,
            if m.rounds > 1 {
                format!(", median of {} alternating rounds", m.rounds)
            } else {
                String::new()
            },
            m.cores,
            m.load_average_before.as_deref().unwrap_or("?"),
            m.load_average_after.as_deref().unwrap_or("?"),
        );
        let _ = writeln!(out, "simulator: {}", m.simulator);

        if !self.throughput.is_empty() {
            let _ = writeln!(
                out,
                "\n1. Throughput and latency (simulator on its default fixtures, journal on; ratio = simulator / raw hyper)"
            );
            let _ = writeln!(
                out,
                "{:<8} {:<10} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6} {:>9} {:>9} {:>7} {:>6}",
                "scenario",
                "server",
                "req/s",
                "ratio",
                "p50 ms",
                "ratio",
                "p99 ms",
                "ratio",
                "p99.9 ms",
                "srv µs/rq",
                "errors",
                "other"
            );
            for c in &self.throughput {
                for (server, o, ratios) in [
                    ("raw hyper", &c.raw, None),
                    (
                        "simulator",
                        &c.simulator,
                        Some((c.rps_ratio, c.p50_ratio, c.p99_ratio)),
                    ),
                ] {
                    let r = |f: fn(&(f64, f64, f64)) -> f64| {
                        ratios
                            .as_ref()
                            .map_or(String::new(), |x| format!("{:.2}", f(x)))
                    };
                    let _ = writeln!(
                        out,
                        "{:<8} {:<10} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6} {:>9} {:>9} {:>7} {:>6}",
                        c.scenario.to_string(),
                        server,
                        thousands(o.rps),
                        r(|x| x.0),
                        ms_bare(o.p50_us),
                        r(|x| x.1),
                        ms_bare(o.p99_us),
                        r(|x| x.2),
                        ms_bare(o.p999_us),
                        opt1(o.server_cpu_us_per_request),
                        o.errors,
                        opt2(o.other_busy_cores),
                    );
                }
            }
            let _ = writeln!(
                out,
                "(srv µs/rq: the server's CPU time per request, all threads; other: cores busy with neither server nor load generator)"
            );
            for c in &self.throughput {
                for (who, o) in [("raw hyper", &c.raw), ("simulator", &c.simulator)] {
                    if let Some(e) = &o.first_error {
                        let _ = writeln!(out, "  {} {who}: first error: {e}", c.scenario);
                    }
                }
            }
        }

        if !self.startup.is_empty() {
            let _ = writeln!(
                out,
                "\n2. Startup: process start to the first answered /__admin/health"
            );
            for s in &self.startup {
                let runs: Vec<String> = s.runs_ms.iter().map(|r| format!("{r:.1}")).collect();
                let _ = writeln!(
                    out,
                    "{:<26} median {:>9.1} ms   runs: {}",
                    s.label,
                    s.median_ms,
                    runs.join(", ")
                );
            }
        }

        if self.after_requests.is_some() || !self.loaded.is_empty() {
            let _ = writeln!(out, "\n3. Memory (MB = 10^6 bytes)");
        }
        if let Some(a) = &self.after_requests {
            let o = &a.outcome;
            let _ = writeln!(
                out,
                "default fixtures, idle:    RSS {}  peak {}",
                mb(a.idle.rss),
                mb(a.idle.peak)
            );
            let _ = writeln!(
                out,
                "after {} mixed requests: RSS {}  peak {}  ({} leads created; journal {} of {}, {} entries dropped; {} req/s, p99 {}, {} errors)",
                thousands(a.requests as f64),
                mb(a.after.rss),
                mb(a.after.peak),
                thousands(a.leads_created as f64),
                mb(a.journal_bytes),
                mb(a.journal_max_bytes),
                thousands(a.journal_dropped as f64),
                thousands(o.rps),
                ms(o.p99_us),
                o.errors
            );
        }
        for l in &self.loaded {
            let _ = writeln!(
                out,
                "{:>9} leads loaded, idle: RSS {}  peak {}",
                thousands(l.leads as f64),
                mb(l.memory.rss),
                mb(l.memory.peak)
            );
        }

        if let Some(s) = &self.scale {
            let _ = writeln!(
                out,
                "\n4. Scale: one account with {} and with {} leads",
                thousands(s.small_leads as f64),
                thousands(s.big_leads as f64)
            );
            let _ = writeln!(
                out,
                "{:<8} {:>10} {:>9} {:>9} {:>9} {:>9} {:>7}",
                "scenario", "leads", "req/s", "p50 ms", "p99 ms", "srv µs/rq", "errors"
            );
            for (what, leads, o) in [
                ("lookup", s.small_leads, &s.lookup_small),
                ("lookup", s.big_leads, &s.lookup_big),
                ("update", s.small_leads, &s.update_small),
                ("update", s.big_leads, &s.update_big),
            ] {
                let _ = writeln!(
                    out,
                    "{:<8} {:>10} {:>9} {:>9} {:>9} {:>9} {:>7}",
                    what,
                    thousands(leads as f64),
                    thousands(o.rps),
                    ms_bare(o.p50_us),
                    ms_bare(o.p99_us),
                    opt1(o.server_cpu_us_per_request),
                    o.errors
                );
            }
        }

        if !self.verdicts.is_empty() {
            let _ = writeln!(out, "\nTargets");
            for v in &self.verdicts {
                let _ = writeln!(
                    out,
                    "{}  {:<80} {}",
                    if v.pass { "PASS" } else { "MISS" },
                    v.target,
                    v.measured
                );
            }
            let missed = self.verdicts.iter().filter(|v| !v.pass).count();
            let _ = writeln!(
                out,
                "{} of {} targets met",
                self.verdicts.len() - missed,
                self.verdicts.len()
            );
        }
        out
    }
}

/// `12,345`.
pub fn thousands(x: f64) -> String {
    let n = x.round() as u64;
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ms_bare(us: f64) -> String {
    format!("{:.3}", us / 1000.0)
}

fn ms(us: f64) -> String {
    format!("{:.3} ms", us / 1000.0)
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn opt1(x: Option<f64>) -> String {
    x.map_or("?".into(), |x| format!("{x:.1}"))
}

fn opt2(x: Option<f64>) -> String {
    x.map_or("?".into(), |x| format!("{x:.2}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
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
