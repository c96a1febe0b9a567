//! The benchmark, phase by phase. Progress goes to standard error; the table to
//! standard output; the JSON to a file.

mod accounts;
mod drive;
mod phases;
mod settings;
mod stall;
mod state;

pub use drive::{DriveOptions, drive};
pub use settings::{Options, Phase};

use crate::load::{self, Outcome};
use crate::report::{MAX_STARTUP_BIG, MAX_STARTUP_DEFAULT, Meta, Report, Startup, thousands};
use crate::servers::{self, Launch, Server};
use crate::workload::{Scenario, Workload};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use phases::{after_requests, datasets, fixture_leads, generate, startups, throughput};
use settings::Settings;
use std::sync::Arc;

/// Leads seeded into the created account of the throughput and memory phases.
const SEEDED: u64 = 1_000;

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
    let with_datasets = [Phase::Startup, Phase::Memory, Phase::Scale, Phase::Stall];
    if with_datasets.into_iter().any(|p| s.runs(p)) {
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
        if s.runs(Phase::Stall) {
            report.stall = Some(stall::stall(s, big.path()).await?);
        }
    }
    if s.runs(Phase::State) {
        report.state = Some(state::with_state(s).await?);
    }
    report.meta.load_average_after = servers::load_average();
    report.judge();
    Ok(report)
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
