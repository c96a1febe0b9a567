//! The benchmark, phase by phase. Progress goes to standard error; the table to
//! standard output; the JSON to a file.

use crate::client;
use crate::dataset;
use crate::load::{self, Outcome, Plan, Stop};
use crate::report::{
    AfterRequests, Comparison, Loaded, MAX_STARTUP_BIG, MAX_STARTUP_DEFAULT, Meta, Report, Scale,
    Startup, thousands,
};
use crate::servers::{self, Launch, Launcher, Server};
use crate::workload::{Account, Known, Scenario, Workload, mix};
use anyhow::Context;
use clap::ValueEnum;
use hyper::{Method, StatusCode};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Leads seeded into the created account of the throughput and memory phases.
const SEEDED: u64 = 1_000;
/// Leads of the large dataset whose ids the scale phase updates.
const SAMPLED_LIDS: u64 = 1_024;

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
    /// Phases to run, comma-separated [default: all].
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
struct Settings {
    quick: bool,
    window: Duration,
    warmup: Duration,
    connections: usize,
    rounds: usize,
    big_leads: u64,
    small_leads: u64,
    memory_requests: u64,
    startup_runs: usize,
    phases: Vec<Phase>,
    json: PathBuf,
    launcher: Launcher,
}

impl Settings {
    fn from(o: Options) -> anyhow::Result<Settings> {
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

    fn runs(&self, phase: Phase) -> bool {
        self.phases.contains(&phase)
    }

    fn window(&self) -> Plan {
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

/// Runs the benchmark: every phase `options` selects, then the table on standard
/// output and the JSON file.
pub fn run(options: Options) -> anyhow::Result<Report> {
    let settings = Settings::from(options)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(bench(&settings))?;
    println!("{}", report.table());
    if let Some(dir) = settings.json.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&settings.json, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("cannot write {}", settings.json.display()))?;
    println!("results written to {}", settings.json.display());
    Ok(report)
}

fn note(message: impl AsRef<str>) {
    eprintln!("[leadim-bench] {}", message.as_ref());
}

async fn bench(s: &Settings) -> anyhow::Result<Report> {
    let mut report = Report::new(Meta {
        started_at: jiff::Timestamp::now().to_string(),
        quick: s.quick,
        connections: s.connections,
        warmup_seconds: s.warmup.as_secs_f64(),
        window_seconds: s.window.as_secs_f64(),
        rounds: s.rounds,
        simulator: s.launcher.describe(),
        cores: servers::cores(),
        load_average_before: servers::load_average(),
        load_average_after: None,
    });
    if s.runs(Phase::Throughput) {
        report.throughput = throughput(s).await?;
    }
    if s.runs(Phase::Startup) {
        note(format!(
            "startup: {} runs with the default fixtures",
            s.startup_runs
        ));
        let runs = startups(s, &Launch::Simulator { fixtures: None }).await?;
        let leads = fixture_leads(s).await?;
        report.startup.push(Startup::new(
            "default fixtures".into(),
            leads,
            &runs,
            MAX_STARTUP_DEFAULT,
        ));
    }
    if s.runs(Phase::Memory) {
        report.after_requests = Some(after_requests(s).await?);
    }
    if s.runs(Phase::Startup) || s.runs(Phase::Memory) || s.runs(Phase::Scale) {
        let small = generate(s.small_leads)?;
        let big = generate(s.big_leads)?;
        if s.runs(Phase::Startup) {
            note(format!(
                "startup: {} runs with {} leads",
                s.startup_runs,
                thousands(s.big_leads as f64)
            ));
            let launch = Launch::Simulator {
                fixtures: Some(big.path().to_path_buf()),
            };
            let runs = startups(s, &launch).await?;
            report.startup.push(Startup::new(
                format!("{} leads", thousands(s.big_leads as f64)),
                s.big_leads,
                &runs,
                MAX_STARTUP_BIG,
            ));
        }
        if s.runs(Phase::Memory) || s.runs(Phase::Scale) {
            let (loaded, scale) = datasets(s, small.path(), big.path()).await?;
            if s.runs(Phase::Memory) {
                report.loaded = loaded;
            }
            report.scale = scale;
        }
    }
    report.meta.load_average_after = servers::load_average();
    report.judge();
    Ok(report)
}

/// Phase 1: both servers up at once, each scenario on the baseline then on the
/// simulator, with the same requests.
async fn throughput(s: &Settings) -> anyhow::Result<Vec<Comparison>> {
    note("throughput: starting raw hyper and the simulator");
    let raw = ready(s, &Launch::Raw).await?;
    let sim = ready(s, &Launch::Simulator { fixtures: None }).await?;
    let (account, known) = created_account(sim.addr, SEEDED).await?;
    let on_raw = Arc::new(Workload::new(raw.addr, &account, known.clone()));
    let on_sim = Arc::new(Workload::new(sim.addr, &account, known));
    let mut comparisons = Vec::new();
    for scenario in Scenario::COMPARED {
        let (mut on_raw_rounds, mut on_sim_rounds) = (Vec::new(), Vec::new());
        for _ in 0..s.rounds {
            on_raw_rounds.push(window(s, &raw, &on_raw, scenario, "raw hyper").await?);
            on_sim_rounds.push(window(s, &sim, &on_sim, scenario, "simulator").await?);
        }
        comparisons.push(Comparison::new(scenario, on_raw_rounds, on_sim_rounds));
    }
    raw.stop().await;
    sim.stop().await;
    Ok(comparisons)
}

async fn window(
    s: &Settings,
    server: &Server,
    workload: &Arc<Workload>,
    scenario: Scenario,
    who: &str,
) -> anyhow::Result<Outcome> {
    note(format!(
        "{scenario} on {who}: {:.1} s warm-up + {:.1} s",
        s.warmup.as_secs_f64(),
        s.window.as_secs_f64()
    ));
    let outcome = load::drive(
        server.addr,
        s.window(),
        workload.maker(scenario),
        Some(server.pid),
        None,
    )
    .await?;
    note(format!(
        "  {} req/s, p50 {:.3} ms, p99 {:.3} ms, {} errors",
        thousands(outcome.rps),
        outcome.p50_us / 1e3,
        outcome.p99_us / 1e3,
        outcome.errors
    ));
    Ok(outcome)
}

/// Spawns a server and waits until it answers.
async fn ready(s: &Settings, launch: &Launch) -> anyhow::Result<Server> {
    let server = s.launcher.spawn(launch).await?;
    server.wait_ready().await?;
    Ok(server)
}

/// Creates an account through the admin API and seeds it with `seeded` leads.
async fn created_account(
    addr: std::net::SocketAddr,
    seeded: u64,
) -> anyhow::Result<(Account, Known)> {
    let config = client::call(
        addr,
        Method::POST,
        "/__admin/accounts",
        None,
        StatusCode::CREATED,
    )
    .await?;
    let text = |key: &str| -> anyhow::Result<String> {
        config[key]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("the crmConfig has no {key}: {config}"))
    };
    let account = Account {
        aid: config["aid"].as_u64().context("the crmConfig has no aid")?,
        lm_form: text("lm_form")?,
        lm_key: text("lm_key")?,
        token: text("token")?,
    };
    let seeded_answer = client::call(
        addr,
        Method::POST,
        &format!("/__admin/accounts/{}/leads", account.aid),
        Some(&dataset::seed_body(seeded)),
        StatusCode::CREATED,
    )
    .await?;
    let lids: Vec<u64> = seeded_answer["lids"]
        .as_array()
        .context("the seeding answer has no lids")?
        .iter()
        .filter_map(serde_json::Value::as_u64)
        .collect();
    anyhow::ensure!(lids.len() as u64 == seeded, "seeded {} leads", lids.len());
    Ok((
        account,
        Known {
            phones: seeded,
            lids: Arc::new(lids),
        },
    ))
}

/// Phase 2: `startup_runs` fresh processes, each timed from spawn to its first
/// answered health check.
async fn startups(s: &Settings, launch: &Launch) -> anyhow::Result<Vec<Duration>> {
    let mut runs = Vec::with_capacity(s.startup_runs);
    for _ in 0..s.startup_runs {
        let server = s.launcher.spawn(launch).await?;
        runs.push(server.wait_ready().await?);
        server.stop().await;
    }
    Ok(runs)
}

async fn fixture_leads(s: &Settings) -> anyhow::Result<u64> {
    let server = ready(s, &Launch::Simulator { fixtures: None }).await?;
    let leads = servers::lead_count(server.addr).await?;
    server.stop().await;
    Ok(leads)
}

/// Phase 3: a simulator on the default fixtures, `memory_requests` mixed requests
/// (submit, lookup, update in turn) on a created account, then its peak RSS.
async fn after_requests(s: &Settings) -> anyhow::Result<AfterRequests> {
    note(format!(
        "memory: {} mixed requests on the default fixtures",
        thousands(s.memory_requests as f64)
    ));
    let sim = ready(s, &Launch::Simulator { fixtures: None }).await?;
    let idle = sim.memory()?;
    let (account, known) = created_account(sim.addr, SEEDED).await?;
    let leads_before = servers::lead_count(sim.addr).await?;
    let workload = Arc::new(Workload::new(sim.addr, &account, known));
    let bar = progress(s.memory_requests, "requests");
    let outcome = load::drive(
        sim.addr,
        Plan {
            connections: s.connections,
            warmup: Duration::ZERO,
            stop: Stop::Count(s.memory_requests),
        },
        workload.maker(Scenario::Mixed),
        Some(sim.pid),
        Some(bar.clone()),
    )
    .await?;
    bar.finish_and_clear();
    let after = sim.memory()?;
    let leads_after = servers::lead_count(sim.addr).await?;
    let journal = client::call(
        sim.addr,
        Method::GET,
        "/__admin/requests?limit=1",
        None,
        StatusCode::OK,
    )
    .await?;
    sim.stop().await;
    note(format!(
        "  peak RSS {:.1} MB, {} req/s",
        after.peak as f64 / 1e6,
        thousands(outcome.rps)
    ));
    Ok(AfterRequests {
        requests: s.memory_requests,
        outcome,
        idle,
        after,
        leads_created: leads_after.saturating_sub(leads_before),
        journal_bytes: journal["bytes"].as_u64().unwrap_or(0),
        journal_max_bytes: journal["max_bytes"].as_u64().unwrap_or(0),
        journal_dropped: journal["dropped"].as_u64().unwrap_or(0),
    })
}

/// A generated dataset in a temporary folder (removed when dropped).
fn generate(leads: u64) -> anyhow::Result<tempfile::TempDir> {
    note(format!(
        "generating a dataset of {} leads",
        thousands(leads as f64)
    ));
    let dir = tempfile::Builder::new().prefix("leadim-bench-").tempdir()?;
    let bar = progress(leads, "leads");
    dataset::write(dir.path(), leads, |n| bar.set_position(n))?;
    bar.finish_and_clear();
    Ok(dir)
}

/// Phases 3 and 4 on the generated datasets: a simulator on each, both up at once;
/// each one's memory once ready, then (when the scale phase runs) lookup and update
/// windows, alternating between the two.
async fn datasets(
    s: &Settings,
    small_dir: &Path,
    big_dir: &Path,
) -> anyhow::Result<(Vec<Loaded>, Option<Scale>)> {
    let mut servers = Vec::new();
    for (dir, leads) in [(small_dir, s.small_leads), (big_dir, s.big_leads)] {
        note(format!("loading {} leads", thousands(leads as f64)));
        let sim = ready(
            s,
            &Launch::Simulator {
                fixtures: Some(dir.to_path_buf()),
            },
        )
        .await?;
        let memory = sim.memory()?;
        let count = servers::lead_count(sim.addr).await?;
        anyhow::ensure!(
            count == leads,
            "the simulator loaded {count} of {leads} leads"
        );
        servers.push((sim, Loaded { leads, memory }));
    }
    let mut scale = None;
    if s.runs(Phase::Scale) {
        let account = dataset::account();
        let mut workloads = Vec::new();
        for (sim, loaded) in &servers {
            let lids = sample_lids(sim.addr, &account, loaded.leads).await?;
            let known = Known {
                phones: loaded.leads,
                lids: Arc::new(lids),
            };
            workloads.push(Arc::new(Workload::new(sim.addr, &account, known)));
        }
        let mut rounds: [Vec<Outcome>; 4] = Default::default();
        for _ in 0..s.rounds {
            for (i, scenario) in [Scenario::Lookup, Scenario::Update].into_iter().enumerate() {
                for (j, ((sim, loaded), workload)) in servers.iter().zip(&workloads).enumerate() {
                    let who = format!("{} leads", thousands(loaded.leads as f64));
                    rounds[i * 2 + j].push(window(s, sim, workload, scenario, &who).await?);
                }
            }
        }
        let [lookup_small, lookup_big, update_small, update_big] =
            rounds.map(|r| Outcome::median(&r));
        scale = Some(Scale {
            small_leads: s.small_leads,
            big_leads: s.big_leads,
            lookup_small,
            lookup_big,
            update_small,
            update_big,
        });
    }
    let mut loaded = Vec::new();
    for (sim, memory) in servers {
        sim.stop().await;
        loaded.push(memory);
    }
    Ok((loaded, scale))
}

/// Ids of leads spread over the whole dataset, found by looking their phones up (so
/// the benchmark does not depend on how the simulator numbers leads).
async fn sample_lids(
    addr: std::net::SocketAddr,
    account: &Account,
    leads: u64,
) -> anyhow::Result<Vec<u64>> {
    let workload = Workload::new(
        addr,
        account,
        Known {
            phones: leads,
            lids: Arc::new(Vec::new()),
        },
    );
    let mut conn = client::Connection::open(addr).await?;
    let mut lids = Vec::new();
    for k in 0..SAMPLED_LIDS.min(leads) {
        let i = mix(k ^ 0x11d5) % leads;
        let (_, body) = conn.send(workload.lookup_of(i)).await?;
        let answer: serde_json::Value = serde_json::from_slice(&body)?;
        let lid = answer["data"][0]["lid"]
            .as_u64()
            .with_context(|| format!("no lead with phone {}: {answer}", dataset::phone(i)))?;
        lids.push(lid);
    }
    Ok(lids)
}

/// What `leadim-bench drive` does: one scenario against a simulator that is already
/// running (under a profiler, say).
#[derive(Debug, Clone, clap::Args)]
pub struct DriveOptions {
    /// The simulator's address, e.g. `127.0.0.1:7010`.
    #[arg(long)]
    pub addr: std::net::SocketAddr,
    /// The scenario.
    #[arg(long, value_enum, default_value_t = Scenario::Mixed)]
    pub scenario: Scenario,
    /// Requests to send.
    #[arg(long, default_value_t = 100_000)]
    pub requests: u64,
    /// Keep-alive connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Leads to seed the created account with.
    #[arg(long, value_name = "N", default_value_t = SEEDED)]
    pub seed: u64,
    /// The server is the raw hyper baseline (`leadim-bench serve-raw`): no account to
    /// create, the same requests sent all the same.
    #[arg(long)]
    pub raw: bool,
    /// The simulator runs on a dataset of N leads from `leadim-sim fixtures generate`
    /// (one account): drive that account's leads instead of creating an account, to
    /// profile the scale phase's requests.
    #[arg(long, value_name = "N", conflicts_with_all = ["raw", "seed"])]
    pub dataset_leads: Option<u64>,
}

/// Drives a running simulator with one scenario: creates an account, seeds it with
/// `--seed` leads (or takes the generated dataset's account), sends the requests, and
/// prints how it went.
pub fn drive(options: DriveOptions) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let addr = options.addr;
        let seed = options.seed.max(1);
        let (account, known) = if let Some(leads) = options.dataset_leads {
            let account = dataset::account();
            let lids = sample_lids(addr, &account, leads).await?;
            let known = Known {
                phones: leads,
                lids: Arc::new(lids),
            };
            (account, known)
        } else if options.raw {
            let lids = (0..seed).map(|i| 100_001 + i).collect();
            let known = Known {
                phones: seed,
                lids: Arc::new(lids),
            };
            (dataset::account(), known)
        } else {
            created_account(addr, seed).await?
        };
        let workload = Arc::new(Workload::new(addr, &account, known));
        let bar = progress(options.requests, "requests");
        let outcome = load::drive(
            addr,
            Plan {
                connections: options.connections.max(1),
                warmup: Duration::ZERO,
                stop: Stop::Count(options.requests),
            },
            workload.maker(options.scenario),
            None,
            Some(bar.clone()),
        )
        .await?;
        bar.finish_and_clear();
        println!(
            "{} {}: {} req/s, p50 {:.3} ms, p99 {:.3} ms, {} errors{}",
            thousands(outcome.requests as f64),
            options.scenario,
            thousands(outcome.rps),
            outcome.p50_us / 1e3,
            outcome.p99_us / 1e3,
            outcome.errors,
            outcome
                .first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        );
        Ok(outcome)
    })
}

fn progress(len: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "[leadim-bench] {{bar:40}} {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, {{eta}} left)"
        ))
        .expect("a valid template"),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadim_simulator::{Dataset, Simulator};

    /// `drive --dataset-leads` addresses a generated dataset's own account: its phones
    /// are found and its leads updated, with no failure envelope among the answers.
    #[test]
    fn drive_takes_a_generated_datasets_account() {
        let dir = tempfile::tempdir().unwrap();
        dataset::write(dir.path(), 300, |_| {}).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let sim = runtime
            .block_on(
                Simulator::builder()
                    .dataset(Dataset::load_dir(dir.path()).unwrap())
                    .start(),
            )
            .unwrap();
        for scenario in [Scenario::Lookup, Scenario::Update] {
            let outcome = drive(DriveOptions {
                addr: sim.addr(),
                scenario,
                requests: 200,
                connections: 4,
                seed: SEEDED,
                raw: false,
                dataset_leads: Some(300),
            })
            .unwrap();
            assert_eq!(outcome.errors, 0, "{scenario}: {:?}", outcome.first_error);
            assert_eq!(outcome.requests, 200, "{scenario}");
        }
        assert_eq!(sim.store().accounts().len(), 1, "no account was created");
    }
}
