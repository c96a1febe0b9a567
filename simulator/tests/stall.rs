//! A snapshot and a reset while requests go on: neither holds the store for long
//! (measured in `leadim-bench --phase stall`, not here), and neither gives up
//! correctness for it — a snapshot is the state as it was when it began, whatever
//! the updates and submits meanwhile, and a reset never hands out an id that a
//! request got while the fixtures were being rebuilt.

mod common;

use common::{client, submit_lid};
use leadim_simulator::generate;
use leadim_simulator::{AccountConfig, Dataset, JournalFilter, Simulator, SimulatorHandle};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Leads of the generated dataset.
const LEADS: u64 = 20_000;

/// A simulator on a generated dataset of `leads` leads in one account (kept in `dir`).
async fn on_generated(dir: &tempfile::TempDir, leads: u64) -> SimulatorHandle {
    generate::write(dir.path(), leads, 1, |_| {}).unwrap();
    Simulator::builder()
        .dataset(Dataset::load_dir(dir.path()).unwrap())
        .start()
        .await
        .unwrap()
}

/// Half the generated leads.
const HALF: u64 = LEADS / 2;

/// The index of the lead update number `k` changes: turn about in each half.
fn target(k: u64) -> u64 {
    (k % 2) * HALF + (k / 2) % HALF
}

/// The last update at or before `last` to the lead of index `i`, if any.
fn last_update_of(i: u64, last: u64) -> Option<u64> {
    let (parity, offset) = (i / HALF, i % HALF);
    // Updates to `i` are 2 * (offset + m * HALF) + parity, for m = 0, 1, …
    let first = 2 * offset + parity;
    (first <= last).then(|| first + (last - first) / (2 * HALF) * (2 * HALF))
}

/// How many exchanges the journal has recorded so far.
fn recorded(sim: &SimulatorHandle) -> u64 {
    let page = sim.requests(&JournalFilter {
        limit: Some(0),
        ..JournalFilter::default()
    });
    page.held as u64 + page.dropped
}

/// Waits until the journal has recorded `n` exchanges; a liveness bound, not a
/// timing assertion.
async fn recorded_at_least(sim: &SimulatorHandle, n: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while recorded(sim) < n {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} requests in a minute",
            recorded(sim)
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// The generated account's crmConfig on `sim`.
fn generated_account(sim: &SimulatorHandle) -> AccountConfig {
    let a = generate::account(0);
    let base = sim.base_url();
    AccountConfig {
        aid: a.aid,
        lm_form: a.lm_form.to_string(),
        lm_key: a.lm_key.clone(),
        token: a.token.clone(),
        read_token: a.token.clone(),
        write_token: a.token.clone(),
        get_customer_details_url: format!("{base}/apiproxy/{}/api/leads_get.ashx", a.aid),
        lead_get_url: format!("{base}/apiproxy/{}/api/lead_get.ashx", a.aid),
        update_url: format!("{base}/apiproxy/{}/api/lead_update.ashx", a.aid),
        submit_url: format!("{base}/v2/submit"),
        ui_url: base.to_owned(),
        name_field: leadim_simulator::fields::NAME.into(),
        only_display_data: false,
    }
}

#[tokio::test]
async fn a_snapshot_is_the_state_when_it_began_whatever_changes_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let sim = on_generated(&dir, LEADS).await;
    let account = generated_account(&sim);
    let first = sim.store().export().leads[0].lid.unwrap();
    // Update number k sets the handler of lead `first + target(k)` to "k", turn about
    // in the lower and the upper half: while the snapshot copies from the lowest id
    // up, an update in the lower half lands where it has copied already, and the next
    // one where it has not. A snapshot that copied the leads as it went would show
    // the second without the first.
    let stop = Arc::new(AtomicBool::new(false));
    let updater = {
        let (stop, url, token) = (
            stop.clone(),
            account.update_url.clone(),
            account.token.clone(),
        );
        tokio::spawn(async move {
            let mut k = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let lid = first + target(k);
                let answer = common::update_form(
                    &url,
                    &token,
                    &[("by_id", &lid.to_string()), ("מטפל", &k.to_string())],
                )
                .await;
                assert_eq!(answer["status"], "success", "{answer}");
                k += 1;
            }
            k
        })
    };
    // Let some updates land, then snapshot while they go on, and submit meanwhile.
    recorded_at_least(&sim, 50).await;
    let store = sim.store().clone();
    let snapshot = tokio::task::spawn_blocking(move || store.export());
    let submitted = submit_lid(
        &client(),
        &account,
        &[("name", "x"), ("phone", "0551112233")],
    )
    .await;
    let snapshot = snapshot.await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let updates = updater.await.unwrap();

    // A snapshot of a moment: the updates in it are exactly those up to some K.
    let handler = |lead: &leadim_simulator::LeadSpec| lead.fields.get("מטפל").map(str::to_owned);
    let value = |lead: &leadim_simulator::LeadSpec| handler(lead)?.parse::<u64>().ok();
    let seen: Vec<Option<u64>> = snapshot.leads.iter().map(value).collect();
    let Some(last) = seen.iter().flatten().max().copied() else {
        panic!("the snapshot holds none of the {updates} updates");
    };
    let generated = |lid: u64| lid < first + LEADS;
    for (lead, seen) in snapshot.leads.iter().zip(&seen) {
        let lid = lead.lid.unwrap();
        if !generated(lid) {
            continue;
        }
        // The last update to this lead at or before `last`, if any.
        if let Some(k) = last_update_of(lid - first, last) {
            assert_eq!(
                *seen,
                Some(k),
                "lead {lid} in a snapshot with updates up to {last}"
            );
        } else {
            let handler_then = generate::handler(lid - first).map(str::to_owned);
            assert_eq!(handler(lead), handler_then, "lead {lid}");
        }
    }
    assert!(updates > last, "updates went on after the snapshot began");
    // The lead submitted meanwhile is in it exactly when it was stored before the
    // snapshot began.
    let lids: Vec<u64> = snapshot.leads.iter().map(|l| l.lid.unwrap()).collect();
    assert!(lids.iter().all(|lid| *lid < snapshot.next_lid));
    assert_eq!(lids.contains(&submitted), submitted < snapshot.next_lid);
    assert_eq!(
        lids.iter().filter(|lid| generated(**lid)).count() as u64,
        LEADS
    );
}

#[tokio::test]
async fn a_reset_never_hands_out_an_id_given_while_it_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let sim = on_generated(&dir, 5_000).await;
    let account = generated_account(&sim);
    let before: HashSet<u64> = sim
        .store()
        .export()
        .leads
        .iter()
        .map(|l| l.lid.unwrap())
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let mut submitters = Vec::new();
    for t in 0..4 {
        let (stop, account) = (stop.clone(), account.clone());
        submitters.push(tokio::spawn(async move {
            let http = client();
            let mut lids = Vec::new();
            for i in 0u64.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let phone = format!("055{t}{i:06}");
                let answer = common::submit(&http, &account, &[("phone", &phone)]).await;
                // Once the reset has swapped the state in, the account is new: its
                // form is the same, so submits go on succeeding.
                lids.push(common::success_lid(&answer));
            }
            lids
        }));
    }
    recorded_at_least(&sim, 20).await;
    let store = sim.store().clone();
    tokio::task::spawn_blocking(move || store.reset().unwrap())
        .await
        .unwrap();
    // Let more submits land on the fresh state.
    recorded_at_least(&sim, recorded(&sim) + 20).await;
    stop.store(true, Ordering::Relaxed);
    let mut submitted = HashSet::new();
    for task in submitters {
        for lid in task.await.unwrap() {
            assert!(submitted.insert(lid), "lead id {lid} given to two submits");
        }
    }
    // The fixture leads after the reset are those with a generated phone (the
    // submits' phones start with 055, which the generator never uses).
    let fixtures_after: Vec<u64> = sim
        .store()
        .export()
        .leads
        .iter()
        .filter(|l| !l.phone.starts_with("055"))
        .map(|l| l.lid.unwrap())
        .collect();
    assert_eq!(fixtures_after.len(), 5_000, "the fixtures are back");
    for lid in &fixtures_after {
        assert!(
            !before.contains(lid),
            "fixture lead id {lid} given before the reset too"
        );
        assert!(
            !submitted.contains(lid),
            "lead id {lid} given to a submit and to a fixture lead"
        );
    }
    assert!(submitted.iter().all(|lid| !before.contains(lid)));
}
