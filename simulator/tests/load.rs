//! Load without loss: 8 concurrent clients doing 20,000 mixed creates, lookups and
//! updates against one account; every created lead exists once, with its last
//! update, lead ids follow the order in which submits were answered, and the journal
//! stays within its bound.

mod common;

use common::ordering::{
    Submitted, Ticks, assert_listed_by_created_at_then_id, check_ids_follow_answers,
    created_seconds,
};
use common::{client, lookup, submit, success_lid, update};
use leadim_simulator::{AccountConfig, JournalFilter, LeadView, Simulator, SimulatorHandle};
use reqwest::Client;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

const CLIENTS: usize = 8;
const OPERATIONS: usize = 20_000;
const JOURNAL_ENTRIES: usize = 500;
const JOURNAL_BYTES: usize = 256 * 1024;
const HANDLERS: [&str; 5] = [
    "יוסי לוי",
    "מירב כהן",
    "עומר חדד",
    "רונית אזולאי",
    "סאמי עודה",
];

/// A lead one client created.
struct Created {
    lid: u64,
    /// The phone it was created with.
    phone: String,
    /// The last handler the client wrote, if any.
    handler: Option<String>,
}

/// What one client did.
#[derive(Default)]
struct ClientRun {
    created: Vec<Created>,
    /// Its submits, stamped with the shared ticks.
    submits: Vec<Submitted>,
    /// How many creates, lookups and updates.
    counts: [usize; 3],
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_mixed_load_loses_nothing() {
    let sim = Simulator::builder()
        .journal_limits(JOURNAL_ENTRIES, JOURNAL_BYTES)
        .start()
        .await
        .unwrap();
    let account = Arc::new(sim.create_account());
    let ticks = Arc::new(Ticks::default());
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (account, ticks) = (account.clone(), ticks.clone());
            tokio::spawn(async move { run_client(c, &account, &ticks).await })
        })
        .collect();
    let mut runs = Vec::with_capacity(CLIENTS);
    for task in tasks {
        runs.push(task.await.unwrap());
    }
    let mut totals = [0usize; 3];
    for run in &runs {
        for (t, c) in totals.iter_mut().zip(run.counts) {
            *t += c;
        }
    }
    assert_eq!(totals.iter().sum::<usize>(), OPERATIONS);
    assert!(
        totals.iter().all(|&n| n > 5_000),
        "a mixed load: {totals:?}"
    );

    let stored = sim.store().account_leads(account.aid).unwrap();
    assert_every_lead_is_stored_once_with_its_last_update(&runs, &stored);
    assert_ids_follow_the_order_of_answers(&runs, &stored);
    assert_the_journal_kept_its_bound(&sim);
}

/// Client `c`'s share of the operations: a create first, then creates, lookups of
/// its own leads and updates of their handler in turn.
async fn run_client(c: usize, account: &AccountConfig, ticks: &Ticks) -> ClientRun {
    let http = client();
    let mut run = ClientRun::default();
    for i in 0..OPERATIONS / CLIENTS {
        let op = if run.created.is_empty() { 0 } else { i % 3 };
        run.counts[op] += 1;
        match op {
            0 => {
                let (created, submitted) = create(&http, account, ticks, c, i).await;
                run.created.push(created);
                run.submits.push(submitted);
            }
            1 => {
                let lead = &run.created[i % run.created.len()];
                let answer = lookup(&http, account, &lead.phone).await;
                assert_eq!(
                    answer["data"][0]["lid"].as_u64(),
                    Some(lead.lid),
                    "{answer}"
                );
            }
            _ => {
                let slot = i % run.created.len();
                let handler = format!("{} #{i}", HANDLERS[i % HANDLERS.len()]);
                let lid = run.created[slot].lid;
                let answer = update(&http, account, lid, &[("מטפל", &handler)]).await;
                assert_eq!(answer["status"], "success", "{answer}");
                run.created[slot].handler = Some(handler);
            }
        }
    }
    run
}

/// Creates client `c`'s lead number `i`, taking a tick before sending and one after
/// the answer.
async fn create(
    http: &Client,
    account: &AccountConfig,
    ticks: &Ticks,
    c: usize,
    i: usize,
) -> (Created, Submitted) {
    let phone = format!("05{c}-{:03}-{:04}", i % 1000, i);
    let name = format!("לקוח {c}-{i}");
    let sent = ticks.tick();
    let answer = submit(http, account, &[("fld_name", &name), ("fld_phone", &phone)]).await;
    let answered = ticks.tick();
    let lid = success_lid(&answer);
    let created = Created {
        lid,
        phone,
        handler: None,
    };
    let submitted = Submitted {
        sent,
        answered,
        lid,
    };
    (created, submitted)
}

/// Every id handed out is stored, each once, and holds the handler its client wrote
/// last.
fn assert_every_lead_is_stored_once_with_its_last_update(runs: &[ClientRun], stored: &[LeadView]) {
    let mut expected: HashMap<u64, Option<&str>> = HashMap::new();
    for created in runs.iter().flat_map(|r| &r.created) {
        assert!(
            expected
                .insert(created.lid, created.handler.as_deref())
                .is_none(),
            "lead id {} handed out twice",
            created.lid
        );
    }
    assert_eq!(stored.len(), expected.len(), "every created lead, once");
    let stored_lids: HashSet<u64> = stored.iter().map(|l| l.lid).collect();
    assert_eq!(stored_lids.len(), stored.len(), "each id stored once");
    assert_eq!(
        stored_lids,
        expected.keys().copied().collect(),
        "every id handed out is stored"
    );
    let mut lost_updates = 0;
    for lead in stored {
        let want = expected.get(&lead.lid).expect("a lead nobody created");
        if lead.field("מטפל") != *want {
            lost_updates += 1;
        }
    }
    assert_eq!(lost_updates, 0);
}

/// The ordering rule of docs/contract.md: a lead whose submit was sent after another
/// submit was answered has a higher id and a `created_at` no earlier; concurrent ones
/// may be in either order. The store lists leads by (`created_at`, id).
fn assert_ids_follow_the_order_of_answers(runs: &[ClientRun], stored: &[LeadView]) {
    assert_listed_by_created_at_then_id(stored);
    let submits: Vec<Submitted> = runs.iter().flat_map(|r| r.submits.clone()).collect();
    let checked = check_ids_follow_answers(&submits, &created_seconds(stored))
        .unwrap_or_else(|broken| panic!("{broken}"));
    // At the least, each client's every submit but its first followed its previous one.
    assert!(
        checked >= submits.len() - CLIENTS,
        "only {checked} of {} leads followed an answered submit",
        submits.len()
    );
}

/// The journal holds at most its entries and bytes, and counts every other request as
/// dropped.
fn assert_the_journal_kept_its_bound(sim: &SimulatorHandle) {
    let page = sim.requests(&JournalFilter::default());
    assert!(page.held <= JOURNAL_ENTRIES);
    assert_eq!(sim.journal().len(), page.held);
    assert!(
        page.bytes <= JOURNAL_BYTES,
        "journal holds {} bytes",
        page.bytes
    );
    assert_eq!(page.dropped + page.held as u64, OPERATIONS as u64);
}

/// The check itself: overlapping submits may take ids in either order, but one sent
/// after another's answer must get a higher id and a `created_at` no earlier.
#[test]
fn the_order_check_refuses_an_id_or_a_date_out_of_order() {
    let s = |sent, answered, lid| Submitted {
        sent,
        answered,
        lid,
    };
    let same_second = HashMap::from([(100_101, 1_772_000_000), (100_102, 1_772_000_000)]);
    let overlapping = [s(0, 3, 100_102), s(1, 2, 100_101)];
    assert_eq!(check_ids_follow_answers(&overlapping, &same_second), Ok(0));
    let in_turn = [s(0, 1, 100_101), s(2, 3, 100_102)];
    assert_eq!(check_ids_follow_answers(&in_turn, &same_second), Ok(1));

    let lower_id_later = [s(0, 1, 100_102), s(2, 3, 100_101)];
    let broken = check_ids_follow_answers(&lower_id_later, &same_second).unwrap_err();
    assert!(broken.contains("its id is not higher"), "{broken}");

    let created_before = HashMap::from([(100_101, 1_772_000_001), (100_102, 1_772_000_000)]);
    let broken = check_ids_follow_answers(&in_turn, &created_before).unwrap_err();
    assert!(broken.contains("was created earlier"), "{broken}");
}
