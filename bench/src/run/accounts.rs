//! The accounts a workload addresses: one created through the admin API and seeded,
//! or a generated dataset's own, whose lead ids are found by looking phones up.

use crate::client;
use crate::dataset;
use crate::workload::{Account, Known, Workload, mix};
use anyhow::Context;
use hyper::{Method, StatusCode};
use std::sync::Arc;

/// Leads of the large dataset whose ids the scale phase updates.
const SAMPLED_LIDS: u64 = 1_024;

/// Creates an account through the admin API and seeds it with `seeded` leads.
pub(super) async fn created_account(
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

/// Ids of leads spread over the whole dataset, found by looking their phones up (so
/// the benchmark does not depend on how the simulator numbers leads).
pub(super) async fn sample_lids(
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
