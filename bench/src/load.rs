//! The closed-loop load generator.
//!
//! `connections` tasks, each with one keep-alive HTTP/1.1 connection, send one request
//! after the other: a new request leaves as soon as the previous answer is read. They
//! run for a warm-up, then for a measured window (or until a request count is
//! reached). A request counts when it started inside the window and its answer was
//! read inside it; its latency (send to last body byte) goes into a histogram.
//!
//! An answer counts as a success when its status is 200 and its body starts with
//! `{"status":"success"` — true of the simulator's answers and of the baseline's
//! fixed body alike; anything else is an error, and the first one is kept to show.

use crate::client::{Connection, Req};
use crate::servers::{MachineCpu, cpu_time};
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Builds the request with sequence number `seq` (0, 1, 2, … across all connections).
pub type MakeRequest = Arc<dyn Fn(u64) -> Req + Send + Sync>;

/// What an answer must start with to count as a success.
const SUCCESS: &[u8] = br#"{"status":"success""#;

/// The slowest latency the histogram holds (slower ones are recorded as this).
const MAX_LATENCY_NS: u64 = 60_000_000_000;

/// When a run stops.
#[derive(Debug, Clone)]
pub enum Stop {
    /// After this long, counted from the end of the warm-up.
    After(Duration),
    /// Once this many requests were sent (warm-up included).
    Count(u64),
    /// Once the flag is set: for a window that lasts as long as something else
    /// takes (the stall phase's operations).
    Flag(Arc<AtomicBool>),
}

/// One run's shape.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Keep-alive connections, each with one request in flight.
    pub connections: usize,
    /// Requests sent before the measured window, not counted.
    pub warmup: Duration,
    /// When to stop.
    pub stop: Stop,
}

/// One run's result.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Successful requests in the measured window.
    pub requests: u64,
    /// Failed requests (bad status, failure envelope, broken connection) in it.
    pub errors: u64,
    /// The first failure, as seen.
    pub first_error: Option<String>,
    /// The measured window, in seconds.
    pub seconds: f64,
    /// Successful requests per second.
    pub rps: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// 99.9th percentile latency, microseconds.
    pub p999_us: f64,
    /// Slowest request, microseconds.
    pub max_us: f64,
    /// The server's CPU time (all threads) per answered request, microseconds.
    pub server_cpu_us_per_request: Option<f64>,
    /// The load generator's CPU time per answered request, microseconds.
    pub client_cpu_us_per_request: Option<f64>,
    /// Cores the whole machine kept busy on average during the window.
    pub machine_busy_cores: Option<f64>,
    /// Of those, cores busy with neither the server nor the load generator: other
    /// work on the machine.
    pub other_busy_cores: Option<f64>,
}

struct Shared {
    make: MakeRequest,
    seq: AtomicU64,
    limit: Option<u64>,
    measure_from: Instant,
    end: Option<Instant>,
    flag: Option<Arc<AtomicBool>>,
}

struct Tally {
    histogram: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
    /// Answers read after the window opened, whether or not before it closed: the
    /// denominator of CPU per request.
    answered_since_start: u64,
}

/// CPU counters at one instant, for CPU time per request and how busy the machine was.
struct CpuReading {
    at: Instant,
    /// The server's, all threads.
    server: Option<Duration>,
    /// This process's: the load generator's.
    client: Option<Duration>,
    machine: Option<MachineCpu>,
}

impl CpuReading {
    fn now(server_pid: Option<u32>) -> CpuReading {
        CpuReading {
            at: Instant::now(),
            server: server_pid.and_then(cpu_time),
            client: cpu_time(std::process::id()),
            machine: MachineCpu::now(),
        }
    }
}

/// Drives `addr` with the requests `make` builds, as `plan` says. `server_pid` is
/// for CPU accounting; `progress`, when given, is advanced by requests sent.
pub async fn drive(
    addr: SocketAddr,
    plan: Plan,
    make: MakeRequest,
    server_pid: Option<u32>,
    progress: Option<ProgressBar>,
) -> anyhow::Result<Outcome> {
    let mut connections = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        connections.push(Connection::open(addr).await?);
    }
    let started = Instant::now();
    let measure_from = started + plan.warmup;
    let (end, limit, flag) = match plan.stop {
        Stop::After(window) => (Some(measure_from + window), None, None),
        Stop::Count(n) => (None, Some(n), None),
        Stop::Flag(flag) => (None, None, Some(flag)),
    };
    let shared = Arc::new(Shared {
        make,
        seq: AtomicU64::new(0),
        limit,
        measure_from,
        end,
        flag,
    });

    // Counters at the window's opening, read by a task that sleeps until then.
    let opening = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from.into()).await;
        CpuReading::now(server_pid)
    });
    let ticker = progress.map(|bar| {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                bar.set_position(shared.seq.load(Ordering::Relaxed));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    });
    let tally = run_workers(addr, connections, &shared).await?;
    let closing = CpuReading::now(server_pid);
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    let opening = opening.await?;
    let seconds = match end {
        Some(end) => (end - measure_from).as_secs_f64(),
        None => (closing.at - measure_from).as_secs_f64(),
    };
    Ok(outcome(&tally, seconds, &opening, &closing))
}

/// One worker per connection until the run stops; their tallies, merged.
async fn run_workers(
    addr: SocketAddr,
    connections: Vec<Connection>,
    shared: &Arc<Shared>,
) -> anyhow::Result<Tally> {
    let mut tasks = tokio::task::JoinSet::new();
    for conn in connections {
        tasks.spawn(worker(addr, conn, shared.clone()));
    }
    let mut total = Tally::new();
    while let Some(tally) = tasks.join_next().await {
        let tally = tally?;
        total.histogram.add(&tally.histogram)?;
        total.errors += tally.errors;
        total.answered_since_start += tally.answered_since_start;
        total.first_error = total.first_error.or(tally.first_error);
    }
    Ok(total)
}

/// The outcome of a run whose measured window lasted `seconds`, from its tally and
/// the CPU readings at the window's opening and closing.
fn outcome(tally: &Tally, seconds: f64, opening: &CpuReading, closing: &CpuReading) -> Outcome {
    let histogram = &tally.histogram;
    let answered = tally.answered_since_start;
    let requests = histogram.len();
    let per_request = |before: Option<Duration>, after: Option<Duration>| {
        let used = after?.checked_sub(before?)?;
        (answered > 0).then(|| used.as_secs_f64() * 1e6 / answered as f64)
    };
    let cpu_seconds = (closing.at - opening.at).as_secs_f64();
    let machine_busy_cores = opening
        .machine
        .as_ref()
        .zip(closing.machine.as_ref())
        .map(|(b, a)| b.busy_cores_until(a));
    let ours = |before: Option<Duration>, after: Option<Duration>| {
        after
            .zip(before)
            .map(|(a, b)| a.saturating_sub(b).as_secs_f64())
    };
    let other_busy_cores = machine_busy_cores.map(|busy| {
        let used = ours(opening.server, closing.server).unwrap_or(0.0)
            + ours(opening.client, closing.client).unwrap_or(0.0);
        (busy - used / cpu_seconds.max(1e-9)).max(0.0)
    });
    let us = |ns: u64| ns as f64 / 1000.0;
    Outcome {
        requests,
        errors: tally.errors,
        first_error: tally.first_error.clone(),
        seconds,
        rps: requests as f64 / seconds.max(1e-9),
        p50_us: us(histogram.value_at_quantile(0.50)),
        p99_us: us(histogram.value_at_quantile(0.99)),
        p999_us: us(histogram.value_at_quantile(0.999)),
        max_us: us(histogram.max()),
        server_cpu_us_per_request: per_request(opening.server, closing.server),
        client_cpu_us_per_request: per_request(opening.client, closing.client),
        machine_busy_cores,
        other_busy_cores,
    }
}

impl Outcome {
    /// The field-by-field median of several runs of the same load (counts are
    /// summed, the first error kept): one number per field that a single disturbed
    /// run cannot swing.
    pub fn median(runs: &[Outcome]) -> Outcome {
        assert!(!runs.is_empty(), "the median of no runs");
        let mid = |f: fn(&Outcome) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let mid_opt = |f: fn(&Outcome) -> Option<f64>| {
            let mut v: Vec<f64> = runs.iter().filter_map(f).collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied()
        };
        Outcome {
            requests: runs.iter().map(|r| r.requests).sum(),
            errors: runs.iter().map(|r| r.errors).sum(),
            first_error: runs.iter().find_map(|r| r.first_error.clone()),
            seconds: runs.iter().map(|r| r.seconds).sum(),
            rps: mid(|r| r.rps),
            p50_us: mid(|r| r.p50_us),
            p99_us: mid(|r| r.p99_us),
            p999_us: mid(|r| r.p999_us),
            max_us: runs.iter().map(|r| r.max_us).fold(0.0, f64::max),
            server_cpu_us_per_request: mid_opt(|r| r.server_cpu_us_per_request),
            client_cpu_us_per_request: mid_opt(|r| r.client_cpu_us_per_request),
            machine_busy_cores: mid_opt(|r| r.machine_busy_cores),
            other_busy_cores: mid_opt(|r| r.other_busy_cores),
        }
    }
}

impl Tally {
    fn new() -> Tally {
        Tally {
            histogram: Histogram::new_with_bounds(1_000, MAX_LATENCY_NS, 3)
                .expect("valid histogram bounds"),
            errors: 0,
            first_error: None,
            answered_since_start: 0,
        }
    }
}

/// One connection's loop.
async fn worker(addr: SocketAddr, mut conn: Connection, shared: Arc<Shared>) -> Tally {
    let mut tally = Tally::new();
    loop {
        let sent = Instant::now();
        if shared.end.is_some_and(|end| sent >= end)
            || shared
                .flag
                .as_ref()
                .is_some_and(|f| f.load(Ordering::Relaxed))
        {
            break;
        }
        let seq = shared.seq.fetch_add(1, Ordering::Relaxed);
        if shared.limit.is_some_and(|limit| seq >= limit) {
            break;
        }
        let outcome = conn.send((shared.make)(seq)).await;
        let done = Instant::now();
        let failure = match &outcome {
            Ok((status, body)) if *status == 200 && body.starts_with(SUCCESS) => None,
            Ok((status, body)) => Some(format!(
                "{status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )),
            Err(e) => Some(format!("{e:#}")),
        };
        if done >= shared.measure_from {
            tally.answered_since_start += 1;
        }
        let in_window = sent >= shared.measure_from && shared.end.is_none_or(|end| done <= end);
        match failure {
            None if in_window => {
                let ns = (done - sent).as_nanos() as u64;
                tally.histogram.saturating_record(ns.min(MAX_LATENCY_NS));
            }
            None => {}
            Some(message) => {
                if in_window {
                    tally.errors += 1;
                }
                tally.first_error.get_or_insert(message);
                if outcome.is_err() {
                    // The connection is gone: open another, or give up on this one.
                    match Connection::open(addr).await {
                        Ok(fresh) => conn = fresh,
                        Err(_) => break,
                    }
                }
            }
        }
    }
    tally
}
