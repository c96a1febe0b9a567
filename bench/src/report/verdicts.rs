//! The targets each measurement is held to: one [`Verdict`] per target, PASS or MISS
//! with what was measured.

use super::numbers::{mb, ms, opt1, thousands};
use super::{
    AfterRequests, Comparison, Loaded, MAX_BYTES_PER_LEAD, MAX_P99_RATIO, MAX_P999_ADDED_US,
    MAX_RSS_AFTER_REQUESTS, MAX_SCALE_SLOWDOWN, MAX_STALL_US, MIN_RPS_RATIO, MIN_STATE_RPS_RATIO,
    Report, Scale, Stall, Startup, StateThroughput, Verdict,
};
use crate::load::Outcome;

impl Report {
    /// Holds every measurement present to its target.
    pub fn judge(&mut self) {
        let mut v = Vec::new();
        for c in &self.throughput {
            v.extend(throughput(c));
        }
        v.extend(self.startup.iter().map(startup));
        v.extend(self.after_requests.as_ref().map(after_requests));
        v.extend(loaded(&self.loaded));
        if let Some(s) = &self.scale {
            v.extend(scale(s));
        }
        if let Some(s) = &self.stall {
            v.extend(stall(s));
        }
        v.extend(self.state.as_ref().map(state));
        self.verdicts = v;
    }
}

/// Req/s and p99 of one scenario, each against the baseline's.
fn throughput(c: &Comparison) -> [Verdict; 2] {
    [
        Verdict {
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
        },
        Verdict {
            target: format!("{}: p99 ≤ {MAX_P99_RATIO:.1} × raw hyper", c.scenario),
            measured: format!(
                "{:.2} × ({} vs {})",
                c.p99_ratio,
                ms(c.simulator.p99_us),
                ms(c.raw.p99_us)
            ),
            pass: c.p99_ratio <= MAX_P99_RATIO,
        },
    ]
}

fn startup(s: &Startup) -> Verdict {
    Verdict {
        target: format!("startup, {}: ≤ {} ms", s.label, s.target_ms),
        measured: format!("{:.1} ms (median of {})", s.median_ms, s.runs_ms.len()),
        pass: s.median_ms <= s.target_ms,
    }
}

/// Peak RSS after the memory phase's requests, allowing for the leads they created.
fn after_requests(a: &AfterRequests) -> Verdict {
    let allowance = MAX_RSS_AFTER_REQUESTS + MAX_BYTES_PER_LEAD * a.leads_created;
    Verdict {
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
    }
}

/// Peak RSS with the largest dataset loaded; the cost per lead over the smallest is
/// shown beside it, since the fixed part of the allowance hides it.
fn loaded(loaded: &[Loaded]) -> Option<Verdict> {
    let big = loaded.iter().max_by_key(|l| l.leads)?;
    let allowance = MAX_RSS_AFTER_REQUESTS + MAX_BYTES_PER_LEAD * big.leads;
    let marginal = loaded
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
    Some(Verdict {
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
    })
}

/// Lookup and update each: the large dataset's cost against the small one's.
fn scale(s: &Scale) -> [Verdict; 2] {
    [
        ("lookup", &s.lookup_small, &s.lookup_big),
        ("update", &s.update_small, &s.update_big),
    ]
    .map(|(what, small, big)| slowdown(s, what, small, big))
}

fn slowdown(s: &Scale, what: &str, small: &Outcome, big: &Outcome) -> Verdict {
    // Cost is CPU time per request: on a shared machine req/s follows
    // whatever else runs, CPU per request much less. Without CPU
    // readings, req/s stands in.
    let rps_ratio = small.rps / big.rps;
    let cpu_ratio = big
        .server_cpu_us_per_request
        .zip(small.server_cpu_us_per_request)
        .map(|(b, s)| b / s);
    let cost = cpu_ratio.unwrap_or(rps_ratio);
    Verdict {
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
    }
}

/// Each operation of the stall phase: the longest hold of the store's lock or stall
/// of the worker thread, and what it added to the lookups' p99.9 over the baseline.
fn stall(s: &Stall) -> Vec<Verdict> {
    let Some((baseline, operations)) = s.windows.split_first() else {
        return Vec::new();
    };
    let mut verdicts = Vec::new();
    // An operation that could not be done (a snapshot of a `--sim-bin` binary) is
    // held to nothing.
    for w in operations.iter().filter(|w| w.operation_ms.is_some()) {
        if let Some(holds) = w.holds {
            verdicts.push(Verdict {
                target: format!(
                    "stall, {}: store lock and worker held ≤ {} ms",
                    w.during,
                    MAX_STALL_US / 1000
                ),
                measured: match w.worst {
                    Some(worst) if w.rounds > 1 => {
                        format!(
                            "median of {} rounds: {holds}; the worst round: {worst}",
                            w.rounds
                        )
                    }
                    _ => holds.to_string(),
                },
                pass: holds.gate_us() <= MAX_STALL_US,
            });
        }
        let added = w.outcome.p999_us - baseline.outcome.p999_us;
        verdicts.push(Verdict {
            target: format!(
                "stall, {}: lookup p99.9 ≤ baseline + {} ms",
                w.during,
                MAX_P999_ADDED_US / 1000.0
            ),
            measured: format!(
                "{} (baseline {}; max {})",
                ms(w.outcome.p999_us),
                ms(baseline.outcome.p999_us),
                ms(w.outcome.max_us)
            ),
            pass: added <= MAX_P999_ADDED_US && w.outcome.errors == 0,
        });
    }
    verdicts
}

/// Submit with `--state` against submit without; the `--fsync` figure is shown
/// beside it (it has no target: it is what the disk's fsync allows).
fn state(s: &StateThroughput) -> Verdict {
    Verdict {
        target: format!("submit with --state: req/s ≥ {MIN_STATE_RPS_RATIO:.2} × without"),
        measured: format!(
            "{:.2} × ({} vs {}); with --fsync {:.2} × ({})",
            s.logged_ratio,
            thousands(s.logged.rps),
            thousands(s.without.rps),
            s.fsynced_ratio,
            thousands(s.fsynced.rps)
        ),
        pass: s.logged_ratio >= MIN_STATE_RPS_RATIO && s.logged.errors == 0,
    }
}
