//! The table printed at the end of a run: a heading with how the run was set up, one
//! section per phase that ran, then the targets.
//!
//! Each section writes into a `String`, which cannot fail, so the `fmt::Result`s of
//! `writeln!` are dropped.

use std::fmt::Write as _;

use super::numbers::{mb, ms, ms_bare, opt1, opt2, thousands};
use super::{
    AfterRequests, Comparison, Loaded, Meta, Report, Scale, Stall, Startup, StateThroughput,
    Verdict,
};
use crate::load::Outcome;

impl Report {
    /// The report as the table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut out = String::new();
        heading(&mut out, &self.meta);
        throughput(&mut out, &self.throughput);
        startup(&mut out, &self.startup);
        memory(&mut out, self.after_requests.as_ref(), &self.loaded);
        if let Some(s) = &self.scale {
            scale(&mut out, s);
        }
        if let Some(s) = &self.stall {
            stall(&mut out, s);
        }
        if let Some(s) = &self.state {
            state(&mut out, s);
        }
        targets(&mut out, &self.verdicts);
        out
    }
}

fn heading(out: &mut String, m: &Meta) {
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
}

/// Phase 1: a row per server and scenario, the simulator's with its ratios to the
/// baseline, then the first error of any window that had one.
fn throughput(out: &mut String, comparisons: &[Comparison]) {
    if comparisons.is_empty() {
        return;
    }
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
    for c in comparisons {
        throughput_row(out, c, "raw hyper", &c.raw, None);
        let ratios = (c.rps_ratio, c.p50_ratio, c.p99_ratio);
        throughput_row(out, c, "simulator", &c.simulator, Some(ratios));
    }
    let _ = writeln!(
        out,
        "(srv µs/rq: the server's CPU time per request, all threads; other: cores busy with neither server nor load generator)"
    );
    for c in comparisons {
        for (who, o) in [("raw hyper", &c.raw), ("simulator", &c.simulator)] {
            if let Some(e) = &o.first_error {
                let _ = writeln!(out, "  {} {who}: first error: {e}", c.scenario);
            }
        }
    }
}

/// One server's row; `ratios` (req/s, p50, p99 against the baseline) are blank on the
/// baseline's own row.
fn throughput_row(
    out: &mut String,
    c: &Comparison,
    server: &str,
    o: &Outcome,
    ratios: Option<(f64, f64, f64)>,
) {
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

fn startup(out: &mut String, startups: &[Startup]) {
    if startups.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n2. Startup: process start to the first answered /__admin/health"
    );
    for s in startups {
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

/// Phase 3: the fixtures' memory before and after the requests, then each loaded
/// dataset's.
fn memory(out: &mut String, after_requests: Option<&AfterRequests>, loaded: &[Loaded]) {
    if after_requests.is_some() || !loaded.is_empty() {
        let _ = writeln!(out, "\n3. Memory (MB = 10^6 bytes)");
    }
    if let Some(a) = after_requests {
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
    for l in loaded {
        let _ = writeln!(
            out,
            "{:>9} leads loaded, idle: RSS {}  peak {}",
            thousands(l.leads as f64),
            mb(l.memory.rss),
            mb(l.memory.peak)
        );
    }
}

fn scale(out: &mut String, s: &Scale) {
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

/// Phase 5: a row per operation, with the longest holds when the simulator was
/// monitored.
fn stall(out: &mut String, s: &Stall) {
    let _ = writeln!(
        out,
        "\n5. Stalls: lookups on {} leads during each operation (holds: the longest, ms){}",
        thousands(s.leads as f64),
        match s.windows.first().map_or(1, |w| w.rounds) {
            1 => String::new(),
            n => format!("; medians of {n} rounds"),
        }
    );
    let _ = writeln!(
        out,
        "{:<44} {:>9} {:>9} {:>9} {:>9} {:>6} {:>6} {:>5} {:>6} {:>7}",
        "during",
        "op ms",
        "req/s",
        "p99.9 ms",
        "max ms",
        "store",
        "worker",
        "≥10",
        "jrnl",
        "errors"
    );
    for w in &s.windows {
        let hold = |f: fn(&super::Holds) -> u64| {
            w.holds
                .as_ref()
                .map_or("?".into(), |h| format!("{:.1}", f(h) as f64 / 1e3))
        };
        let _ = writeln!(
            out,
            "{:<44} {:>9} {:>9} {:>9} {:>9} {:>6} {:>6} {:>5} {:>6} {:>7}",
            w.during,
            w.operation_ms.map_or("?".into(), |m| format!("{m:.1}")),
            thousands(w.outcome.rps),
            ms_bare(w.outcome.p999_us),
            ms_bare(w.outcome.max_us),
            hold(|h| h.store_us),
            hold(|h| h.worker_us),
            w.holds
                .as_ref()
                .map_or("?".into(), |h| h.worker_over_10ms.to_string()),
            hold(|h| h.journal_us),
            w.outcome.errors
        );
        if let Some(detail) = &w.detail {
            let _ = writeln!(out, "  {detail}");
        }
    }
}

/// Phase 6: submit without a state file, with `--state` and with `--fsync`.
fn state(out: &mut String, s: &StateThroughput) {
    let _ = writeln!(
        out,
        "\n6. Submit with a state file (ratio = this / without; each change logged before its answer)"
    );
    let _ = writeln!(
        out,
        "{:<22} {:>9} {:>6} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "simulator", "req/s", "ratio", "p50 ms", "p99 ms", "p99.9 ms", "srv µs/rq", "errors"
    );
    for (who, o, ratio) in [
        ("without a state file", &s.without, None),
        ("--state", &s.logged, Some(s.logged_ratio)),
        ("--state --fsync", &s.fsynced, Some(s.fsynced_ratio)),
    ] {
        let _ = writeln!(
            out,
            "{:<22} {:>9} {:>6} {:>9} {:>9} {:>9} {:>9} {:>7}",
            who,
            thousands(o.rps),
            ratio.map_or(String::new(), |r| format!("{r:.2}")),
            ms_bare(o.p50_us),
            ms_bare(o.p99_us),
            ms_bare(o.p999_us),
            opt1(o.server_cpu_us_per_request),
            o.errors
        );
        if let Some(e) = &o.first_error {
            let _ = writeln!(out, "  {who}: first error: {e}");
        }
    }
}

fn targets(out: &mut String, verdicts: &[Verdict]) {
    if verdicts.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nTargets");
    for v in verdicts {
        let _ = writeln!(
            out,
            "{}  {:<80} {}",
            if v.pass { "PASS" } else { "MISS" },
            v.target,
            v.measured
        );
    }
    let missed = verdicts.iter().filter(|v| !v.pass).count();
    let _ = writeln!(
        out,
        "{} of {} targets met",
        verdicts.len() - missed,
        verdicts.len()
    );
}
