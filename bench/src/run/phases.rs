//! The phases: throughput against the baseline, startup, memory after many requests,
//! and the generated datasets that the memory and scale phases load.

use super::accounts::{created_account, sample_lids};
use super::settings::{Phase, Settings};
use super::{SEEDED, note, progress, ready, window};
use crate::client;
use crate::dataset;
use crate::load::{self, Outcome, Plan, Stop};
use crate::report::{AfterRequests, Comparison, Loaded, Scale, thousands};
use crate::servers::{self, Launch};
use crate::workload::{Known, Scenario, Workload};
use hyper::{Method, StatusCode};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Phase 1: both servers up at once, each scenario on the baseline then on the
/// simulator, with the same requests.
pub(super) async fn throughput(s: &Settings) -> anyhow::Result<Vec<Comparison>> {
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

/// Phase 2: `startup_runs` fresh processes, each timed from spawn to its first
/// answered health check.
pub(super) async fn startups(s: &Settings, launch: &Launch) -> anyhow::Result<Vec<Duration>> {
    let mut runs = Vec::with_capacity(s.startup_runs);
    for _ in 0..s.startup_runs {
        let server = s.launcher.spawn(launch).await?;
        runs.push(server.wait_ready().await?);
        server.stop().await;
    }
    Ok(runs)
}

pub(super) async fn fixture_leads(s: &Settings) -> anyhow::Result<u64> {
    let server = ready(s, &Launch::Simulator { fixtures: None }).await?;
    let leads = servers::lead_count(server.addr).await?;
    server.stop().await;
    Ok(leads)
}

/// Phase 3: a simulator on the default fixtures, `memory_requests` mixed requests
/// (submit, lookup, update in turn) on a created account, then its peak RSS.
pub(super) async fn after_requests(s: &Settings) -> anyhow::Result<AfterRequests> {
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
pub(super) fn generate(leads: u64) -> anyhow::Result<tempfile::TempDir> {
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
pub(super) async fn datasets(
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
