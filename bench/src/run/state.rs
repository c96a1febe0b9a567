//! Phase 6: `/v2/submit` on the simulator without a state file, with `--state` (every
//! change logged before it is answered) and with `--state --fsync`, the three up at
//! once and their windows alternating, so that the machine's load falls alike on
//! each.

use super::accounts::created_account;
use super::settings::Settings;
use super::{SEEDED, note, ready, window};
use crate::load::Outcome;
use crate::report::StateThroughput;
use crate::servers::Launch;
use crate::workload::{Scenario, Workload};
use std::sync::Arc;

/// Runs the phase: the state files live in a temporary folder, removed afterwards.
pub(super) async fn with_state(s: &Settings) -> anyhow::Result<StateThroughput> {
    let dir = tempfile::Builder::new()
        .prefix("leadim-bench-state-")
        .tempdir()?;
    note(format!(
        "state: submit without a state file, with --state and with --state --fsync (files in {})",
        dir.path().display()
    ));
    let launches = [
        ("no state", Launch::Simulator { fixtures: None }),
        (
            "--state",
            Launch::SimulatorWithState {
                state: dir.path().join("logged.json"),
                fsync: false,
            },
        ),
        (
            "--fsync",
            Launch::SimulatorWithState {
                state: dir.path().join("fsynced.json"),
                fsync: true,
            },
        ),
    ];
    let mut servers = Vec::new();
    for (who, launch) in launches {
        let server = ready(s, &launch).await?;
        let (account, known) = created_account(server.addr, SEEDED).await?;
        let workload = Arc::new(Workload::new(server.addr, &account, known));
        servers.push((who, server, workload));
    }
    let mut rounds: [Vec<Outcome>; 3] = Default::default();
    for _ in 0..s.rounds {
        for (i, (who, server, workload)) in servers.iter().enumerate() {
            rounds[i].push(window(s, server, workload, Scenario::Submit, who).await?);
        }
    }
    for (_, server, _) in servers {
        server.stop().await;
    }
    let [without, logged, fsynced] = rounds;
    Ok(StateThroughput::new(&without, &logged, &fsynced))
}
