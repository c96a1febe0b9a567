//! `leadim-bench drive`: one scenario against a simulator that is already running,
//! to profile it.

use super::accounts::{created_account, sample_lids};
use super::{SEEDED, progress};
use crate::dataset;
use crate::load::{self, Outcome, Plan, Stop};
use crate::report::thousands;
use crate::workload::{Known, Scenario, Workload};
use std::sync::Arc;
use std::time::Duration;

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
pub fn drive(options: &DriveOptions) -> anyhow::Result<Outcome> {
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
            let lids = (0..seed).map(|i| 117_000_001 + i).collect();
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
            let outcome = drive(&DriveOptions {
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
