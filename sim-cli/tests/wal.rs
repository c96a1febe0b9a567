//! The `--state` log, black-box against the `leadim-sim` program: every acknowledged
//! change survives a SIGKILL, those made while a snapshot was being copied too, and
//! no lead id is handed out twice; a record torn at the
//! end of the log is dropped with a message; damage in the middle is refused with its
//! place; temporary files of interrupted snapshots are removed; a second program on
//! the same state file is refused.

mod common;

use common::program::{Program, refused, start_on};
use common::*;
use reqwest::Client;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Start, load, SIGKILL: how many times.
const ROUNDS: usize = 5;
/// Writers sending at once.
const WRITERS: usize = 4;
/// Acknowledged submits and updates per round before the SIGKILL (the writers keep
/// sending while it lands).
const ACKS_PER_ROUND: usize = 300;

/// An account created through the admin API, as the writers address it.
#[derive(Debug, Clone)]
struct Account {
    aid: u64,
    lm_form: String,
    lm_key: String,
    token: String,
}

/// What a lead must hold after a restart.
#[derive(Debug, Clone)]
struct Expected {
    name: String,
    phone: String,
    /// The handler of the last acknowledged update, if any.
    handler: Option<String>,
    /// An update sent but not acknowledged when the program was killed: it may or
    /// may not have been applied.
    maybe: Option<String>,
}

/// Every acknowledged lead, by id.
type Ledger = Arc<Mutex<BTreeMap<u64, Expected>>>;

async fn create_account(http: &Client, base: &str) -> Account {
    let config = json(
        http.post(format!("{base}/__admin/accounts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let text = |key: &str| config[key].as_str().unwrap().to_owned();
    Account {
        aid: config["aid"].as_u64().unwrap(),
        lm_form: text("lm_form"),
        lm_key: text("lm_key"),
        token: text("token"),
    }
}

/// Checks that every acknowledged lead is there with its acknowledged values, and that
/// no id appears twice; the highest id the account holds.
async fn check(http: &Client, base: &str, account: &Account, ledger: &Ledger) -> u64 {
    let url = format!("{base}/__admin/accounts/{}/leads", account.aid);
    let leads: Vec<Value> = http.get(url).send().await.unwrap().json().await.unwrap();
    let mut seen = BTreeSet::new();
    for lead in &leads {
        let lid = lead["lid"].as_u64().unwrap();
        assert!(seen.insert(lid), "lead id {lid} is held twice");
    }
    let by_id: BTreeMap<u64, &Value> = leads
        .iter()
        .map(|l| (l["lid"].as_u64().unwrap(), l))
        .collect();
    for (lid, expected) in ledger.lock().unwrap().iter() {
        let lead = by_id
            .get(lid)
            .unwrap_or_else(|| panic!("acknowledged lead {lid} is lost: {expected:?}"));
        assert_eq!(lead["fields"]["שם"], expected.name.as_str(), "lead {lid}");
        assert_eq!(lead["phone"], expected.phone.as_str(), "lead {lid}");
        let handler = lead["fields"]["מטפל"].as_str().map(str::to_owned);
        assert!(
            handler == expected.handler || (expected.maybe.is_some() && handler == expected.maybe),
            "lead {lid}: handler {handler:?}, acknowledged {:?} (maybe {:?})",
            expected.handler,
            expected.maybe
        );
    }
    seen.last().copied().unwrap_or(0)
}

/// One writer: submits leads and updates its own, recording what was acknowledged,
/// until the program is killed under it.
async fn writer(
    base: String,
    account: Account,
    tag: String,
    ledger: Ledger,
    acked: Arc<AtomicUsize>,
) {
    let http = client();
    let mut mine: Vec<u64> = Vec::new();
    for i in 0.. {
        if i % 3 == 2 {
            let lid = mine[i % mine.len()];
            let handler = format!("מטפל {tag}-{i}");
            ledger.lock().unwrap().get_mut(&lid).unwrap().maybe = Some(handler.clone());
            let sent = http
                .post(format!(
                    "{base}/apiproxy/{}/api/lead_update.ashx",
                    account.aid
                ))
                .header(AUTH, &account.token)
                .form(&[("by_id", lid.to_string()), ("fld_handler", handler.clone())])
                .send()
                .await;
            let Ok(answer) = sent else { return };
            let Ok(answer) = answer.json::<Value>().await else {
                return;
            };
            assert_eq!(answer["status"], "success", "{answer}");
            let mut ledger = ledger.lock().unwrap();
            let expected = ledger.get_mut(&lid).unwrap();
            (expected.handler, expected.maybe) = (Some(handler), None);
        } else {
            let (name, phone) = (format!("ליד {tag}-{i}"), format!("05{tag}{i:05}"));
            let sent = http
                .get(format!("{base}/v2/submit"))
                .query(&[
                    ("lm_form", account.lm_form.as_str()),
                    ("lm_key", &account.lm_key),
                    ("lm_redirect", "no"),
                    ("name", &name),
                    ("phone", &phone),
                ])
                .send()
                .await;
            let Ok(answer) = sent else { return };
            let Ok(answer) = answer.json::<Value>().await else {
                return;
            };
            let lid = success_lid(&answer);
            let expected = Expected {
                name,
                phone,
                handler: None,
                maybe: None,
            };
            let before = ledger.lock().unwrap().insert(lid, expected);
            assert!(
                before.is_none(),
                "lead id {lid} was handed out twice: {before:?}"
            );
            mine.push(lid);
        }
        acked.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs the writers until `ACKS_PER_ROUND` changes are acknowledged (and, with
/// `snapshot_under_load`, a snapshot begun after they started is written), then
/// SIGKILLs the program while they are still sending.
async fn load_then_kill(
    program: Program,
    account: &Account,
    round: usize,
    ledger: &Ledger,
    snapshot_under_load: Option<&Path>,
) {
    let written_before = snapshot_under_load.map(snapshot_file);
    let acked = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            tokio::spawn(writer(
                program.base.clone(),
                account.clone(),
                format!("{round}{w}"),
                ledger.clone(),
                acked.clone(),
            ))
        })
        .collect();
    let mut waited = Duration::ZERO;
    while acked.load(Ordering::Relaxed) < ACKS_PER_ROUND {
        assert!(waited < PATIENCE_LOAD, "the load made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
        waited += Duration::from_millis(5);
    }
    if let (Some(state), Some(mut last)) = (snapshot_under_load, written_before) {
        // Each snapshot is a new file renamed over the old: the second one written
        // since the writers started was begun after they started.
        let mut renames = 0;
        while renames < 2 {
            assert!(waited < PATIENCE_LOAD, "no snapshot was written under load");
            tokio::time::sleep(Duration::from_millis(5)).await;
            waited += Duration::from_millis(5);
            let now = snapshot_file(state);
            if now != last {
                (renames, last) = (renames + 1, now);
            }
        }
    }
    program.kill().await;
    for w in writers {
        w.await.expect("a writer's checks held");
    }
}

/// Which file the snapshot at `state` is (its inode), if any.
fn snapshot_file(state: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(state).ok().map(|m| m.ino())
}

/// A guard against a load that hangs, not a timing assertion.
const PATIENCE_LOAD: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_change_survives_sigkill_and_no_id_is_handed_out_twice() {
    let dir = tempfile::tempdir().unwrap();
    // Snapshots every 0.05 s: the kills land before, during and after snapshots and
    // compactions of the log.
    sigkill_rounds(dir.path(), &["--snapshot-interval", "0.05"], false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_copied_while_changes_go_on_loses_none_of_them_to_a_sigkill() {
    // Enough leads that a snapshot copies them in many holds of the lock, while the
    // writers go on: their leads come last, so most of their changes land while a
    // snapshot is copying, before it reaches them, and must be in the log after the
    // point the snapshot stands for.
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir(&fixtures).unwrap();
    leadim_simulator::generate::write(&fixtures, 8_000, 1, |_| {}).unwrap();
    let fixtures = fixtures.to_str().unwrap();
    let args = ["--snapshot-interval", "0.05", "--fixtures", fixtures];
    sigkill_rounds(dir.path(), &args, true).await;
}

/// Rounds of writes, each ended by a SIGKILL (once a snapshot taken while they went
/// on is written, with `snapshot_under_load`), on a state file in `dir`; after each
/// restart, every acknowledged change is there and no id was handed out twice.
async fn sigkill_rounds(dir: &Path, args: &[&str], snapshot_under_load: bool) {
    let state = dir.join("state.json");
    let http = client();
    let ledger: Ledger = Arc::default();
    let mut account = None;
    let mut highest = 0;
    for round in 0..ROUNDS {
        let program = start_on(&state, args).await;
        let account = account.get_or_insert(create_account(&http, &program.base).await);
        if round > 0 {
            assert!(
                program.banner_text().contains("loaded"),
                "{}",
                program.banner_text()
            );
        }
        let now = check(&http, &program.base, account, &ledger).await;
        assert!(
            now >= highest,
            "leads were lost: highest id {now}, was {highest}"
        );
        let before = ledger.lock().unwrap().keys().copied().max().unwrap_or(0);
        let under_load = snapshot_under_load.then_some(state.as_path());
        load_then_kill(program, account, round, &ledger, under_load).await;
        // Every id acknowledged in this round is new: above every id the account
        // held when the round started, acknowledged or not.
        let round_ids: Vec<u64> = ledger
            .lock()
            .unwrap()
            .range(before + 1..)
            .map(|(l, _)| *l)
            .collect();
        assert!(
            round_ids.iter().all(|l| *l > now),
            "an id was reused: {round_ids:?} after {now}"
        );
        highest = now.max(round_ids.last().copied().unwrap_or(0));
    }
    let mut program = start_on(&state, args).await;
    let account = account.unwrap();
    check(&http, &program.base, &account, &ledger).await;
    // Two of a writer's three changes are submits.
    assert!(ledger.lock().unwrap().len() >= ROUNDS * ACKS_PER_ROUND / 2);
    // A graceful stop takes a last snapshot, which holds the whole log.
    assert!(program.terminate().await.success(), "{}", program.stderr());
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "fixtures")
        .collect();
    left.sort();
    assert_eq!(left, ["state.json", "state.json.lock"]);
}

/// Submits a lead of 3305 with `phone` to the program at `base`: its id.
async fn submit_3305(base: &str, phone: &str) -> u64 {
    submit_lid(
        &client(),
        &shamir_at(base),
        &[("name", "אורית שלום"), ("phone", phone)],
    )
    .await
}

/// Whether 3305 holds lead `lid` at the program at `base`.
async fn holds(base: &str, lid: u64) -> bool {
    let answer = lead_get(
        &client(),
        &shamir_at(base).lead_get_url,
        RW,
        &lid.to_string(),
    )
    .await;
    answer["status"] == "success"
}

/// The log's first segment, of a program that never took a snapshot.
fn first_segment(state: &Path) -> PathBuf {
    state.with_file_name("state.json.wal.1")
}

/// A program on a new state file that acknowledged three submits and was killed
/// before any snapshot (every change is in the log only); their ids.
async fn three_leads_then_sigkill(state: &Path) -> [u64; 3] {
    let program = start_on(state, &["--snapshot-interval", "3600"]).await;
    let mut lids = [0; 3];
    for (i, lid) in lids.iter_mut().enumerate() {
        *lid = submit_3305(&program.base, &format!("05477700{i}")).await; // 054777000…2
    }
    program.kill().await;
    assert!(!state.exists(), "no snapshot was taken");
    lids
}

#[tokio::test]
async fn a_torn_last_record_is_dropped_with_a_message_and_only_it_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let [first, second, third] = three_leads_then_sigkill(&state).await;
    let segment = first_segment(&state);
    let log = std::fs::read(&segment).unwrap();
    let second_end = log
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0
        + 1;
    // A crash in the middle of writing the third record.
    std::fs::write(&segment, &log[..log.len() - 20]).unwrap();

    let program = start_on(&state, &[]).await;
    let banner = program.banner_text();
    assert!(banner.contains("dropped a torn last record"), "{banner}");
    assert!(banner.contains("state.json.wal.1 line 3"), "{banner}");
    assert!(banner.contains("2 logged changes replayed"), "{banner}");
    assert!(
        program.stderr().contains("dropped the last record"),
        "{}",
        program.stderr()
    );
    assert!(holds(&program.base, first).await && holds(&program.base, second).await);
    assert!(!holds(&program.base, third).await, "the torn record's lead");
    // The torn bytes are cut off, so the next record starts on a line of its own.
    assert_eq!(
        std::fs::metadata(&segment).unwrap().len(),
        second_end as u64
    );
    let next = submit_3305(&program.base, "0547770009").await;
    program.kill().await;

    let program = start_on(&state, &[]).await;
    for lid in [first, second, next] {
        assert!(holds(&program.base, lid).await, "lead {lid}");
    }
    assert!(
        !program.banner_text().contains("torn"),
        "{}",
        program.banner_text()
    );
}

#[tokio::test]
async fn a_damaged_record_in_the_middle_of_the_log_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    three_leads_then_sigkill(&state).await;
    let segment = first_segment(&state);
    let mut log = std::fs::read(&segment).unwrap();
    // One byte of the second record's phone changes: 054777001 becomes 054777002.
    let at = log.windows(9).position(|w| w == b"054777001").unwrap();
    log[at + 8] = b'2';
    std::fs::write(&segment, &log).unwrap();

    let stderr = refused(&[OsStr::new("--state"), state.as_os_str()]).await;
    assert!(stderr.contains("state.json.wal.1: line 2:"), "{stderr}");
    assert!(stderr.contains("checksum does not match"), "{stderr}");
    assert!(stderr.contains("not the end of the log"), "{stderr}");
    assert_eq!(
        std::fs::read(&segment).unwrap(),
        log,
        "the log is left as it is"
    );
}

#[tokio::test]
async fn stale_temporary_files_of_interrupted_snapshots_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    // What a snapshot killed before its rename leaves: part of a JSON document.
    let stale = dir.path().join(".state.json.tmp-4242");
    std::fs::write(&stale, r#"{"version":1,"next_lid":10"#).unwrap();
    let unrelated = dir.path().join(".other.json.tmp-4242");
    std::fs::write(&unrelated, "kept").unwrap();

    let program = start_on(&state, &[]).await;
    assert!(!stale.exists());
    assert!(
        unrelated.exists(),
        "another state file's temporary file is not ours"
    );
    assert!(
        program.stderr().contains("interrupted snapshot"),
        "{}",
        program.stderr()
    );
}

#[tokio::test]
async fn a_second_program_on_the_same_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let program = start_on(&state, &[]).await;
    let lid = submit_3305(&program.base, "0547770005").await;

    let stderr = refused(&[OsStr::new("--state"), state.as_os_str()]).await;
    assert!(stderr.contains("in use by another simulator"), "{stderr}");
    // The first one is unharmed, and its log still takes changes.
    assert!(holds(&program.base, lid).await);
    submit_3305(&program.base, "0547770006").await;
    program.kill().await;
    // Once it is gone, the state file is free again.
    let program = start_on(&state, &[]).await;
    assert!(holds(&program.base, lid).await);
}
