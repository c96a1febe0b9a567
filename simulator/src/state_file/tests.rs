//! The log against the store: every kind of change, replayed on a fresh store,
//! gives back the very state that logged it. A change the log misses (a new kind of
//! mutation, a new part of a lead) shows here as two snapshots that differ.

use super::write::{SMALL_SNAPSHOT, snapshot_due};
use super::*;
use crate::api::{submit, update};
use crate::fixtures::{Dataset, LeadSpec};
use crate::phone::PhoneMatch;
use crate::request::{Part, TokenHeader, parse_urlencoded};

fn store() -> Store {
    Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap()
}

fn submit(store: &Store, query: &str, now: i64) -> u64 {
    let params = parse_urlencoded(query.as_bytes(), Part::Query).unwrap();
    submit::create(store, &params, now, &mut Vec::new())
        .unwrap()
        .lid
}

fn update(store: &Store, aid: &str, token: &str, body: &str, now: i64) {
    let params = parse_urlencoded(body.as_bytes(), Part::Body).unwrap();
    update::change(
        store,
        aid,
        TokenHeader::Value(token),
        &params,
        now,
        &mut Vec::new(),
    )
    .unwrap();
}

/// Every mutation the store has, in an order that makes each matter: leads before
/// and after a reset, an account created and used, a disabled form and account.
fn every_kind_of_change(store: &Store) {
    let first = submit(
        store,
        "lm_form=5001&lm_key=77bc0ec981&name=%D7%93%D7%A0%D7%94&phone=0547770001&utm_source=fb&lm_source=bot&nope=1",
        1_772_000_000,
    );
    update(
        store,
        "3305",
        "U-d5f9403e30b5281d.6484eb0eaa3c4f85",
        &format!("by_id={first}&fld_handler=%D7%99%D7%95%D7%A1%D7%99&status_id=7&phone=0547770002"),
        1_772_000_100,
    );
    let created = store.create_account(Some("חשבון \"בדיקה\""));
    let leads: Vec<LeadSpec> = serde_json::from_value(serde_json::json!([
        {"phone": "0541112233", "created_at": "2026-03-01T08:00:00Z", "fields": {"שם": "אורי"}},
        {"phone": "0547654321", "status_id": 2, "fields": {"שם": "מאיה\nדהן"}},
    ]))
    .unwrap();
    store.seed_leads(created.aid, leads).unwrap();
    let query = format!(
        "lm_form={}&lm_key={}&name=%D7%A0%D7%95%D7%A2%D7%94&phone=0501111111",
        created.lm_form, created.lm_key
    );
    let theirs = submit(store, &query, 1_772_000_200);
    update(
        store,
        &created.aid.to_string(),
        &created.token,
        &format!("by_id={theirs}&msg=%22hi%22"),
        1_772_000_300,
    );
    assert!(store.set_form_enabled(3305, 5001, false));
    assert!(store.set_account_enabled(4410, false));
    store.reset().unwrap();
    store.create_account(None);
    submit(
        store,
        "lm_form=5001&lm_key=77bc0ec981&name=x",
        1_772_000_400,
    );
    assert!(store.set_account_enabled(3305, false));
}

/// The snapshot of a store as JSON, to compare two stores whole.
fn snapshot(store: &Store) -> serde_json::Value {
    serde_json::to_value(store.export()).unwrap()
}

#[test]
fn replaying_the_log_gives_back_the_state_that_logged_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let live = store();
    let mut file = StateFile::open(&path, Durability::Process).unwrap();
    file.load_into(&live).unwrap();
    every_kind_of_change(&live);
    file.log.as_ref().unwrap().close();
    let expected = snapshot(&live);
    drop(file);

    let replayed = store();
    let mut file = StateFile::open(&path, Durability::Process).unwrap();
    let loaded = file.load_into(&replayed).unwrap();
    assert!(!loaded.snapshot);
    assert_eq!(loaded.replayed, 12);
    assert_eq!(snapshot(&replayed), expected);
}

#[test]
fn a_snapshot_holds_the_log_it_cut_and_later_records_go_on_top() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let live = store();
    let mut file = StateFile::open(&path, Durability::PowerLoss).unwrap();
    file.load_into(&live).unwrap();
    submit(&live, "lm_form=5001&lm_key=77bc0ec981&name=a", 1);
    file.snapshot(&live, false, None).unwrap();
    every_kind_of_change(&live);
    file.log.as_ref().unwrap().close();
    let expected = snapshot(&live);
    drop(file);

    let replayed = store();
    let mut file = StateFile::open(&path, Durability::Process).unwrap();
    let loaded = file.load_into(&replayed).unwrap();
    assert!(loaded.snapshot);
    assert_eq!(loaded.replayed, 12, "only the records after the snapshot");
    assert_eq!(snapshot(&replayed), expected);
    // The segment the snapshot holds whole is gone.
    let segments = file.segments().list().unwrap();
    assert!(segments.iter().all(|(first, _)| *first > 1), "{segments:?}");
}

/// A live store with its log, and more leads than a snapshot copies in one hold of
/// the lock: an account of its own with `3 × CHUNK` seeded leads, the last ones
/// routed.
struct Busy {
    dir: tempfile::TempDir,
    file: StateFile,
    live: Store,
    account: crate::model::NewAccount,
    lids: Vec<u64>,
}

fn busy() -> Busy {
    let dir = tempfile::tempdir().unwrap();
    let live = store();
    let mut file = StateFile::open(dir.path().join("state.json"), Durability::Process).unwrap();
    file.load_into(&live).unwrap();
    let account = live.create_account(Some("סוכנות דירות"));
    let adviser = account.aid * 100 + 1;
    let count = 3 * crate::store::CHUNK_LEADS;
    let leads: Vec<LeadSpec> = (0..count)
        .map(|i| {
            let routed = if i + 10 >= count {
                vec![adviser]
            } else {
                vec![]
            };
            serde_json::from_value(serde_json::json!({
                "phone": format!("052{i:07}"),
                "fields": {"שם": format!("דנה כהן {i}"), "עיר": "חיפה"},
                "routes_to_advertisers": routed,
            }))
            .unwrap()
        })
        .collect();
    let lids = live.seed_leads(account.aid, leads).unwrap();
    Busy {
        dir,
        file,
        live,
        account,
        lids,
    }
}

impl Busy {
    /// The state file as written, checked to hold `leads` leads, more than a batch
    /// renders at once, and to be the live state whole.
    fn written_whole(&self, leads: usize) -> Snapshot {
        let written: Snapshot =
            serde_json::from_slice(&fs::read(&self.file.path).unwrap()).unwrap();
        assert!(
            leads > crate::store::BATCH_LEADS,
            "{leads} leads: two batches or more"
        );
        assert_eq!(written.leads.len(), leads);
        assert_eq!(
            serde_json::to_value(&written).unwrap(),
            snapshot(&self.live)
        );
        written
    }

    fn update(&self, lid: u64, body: &str, now: i64) {
        let body = format!("by_id={lid}&{body}");
        let aid = self.account.aid.to_string();
        update(&self.live, &aid, &self.account.token, &body, now);
    }

    /// A lead of the account created at `now` (a phone of its own, so that a form
    /// refusing repeats takes it).
    fn submit(&self, name: &str, now: i64) -> u64 {
        let query = format!(
            "lm_form={}&lm_key={}&name={name}&phone=054{:07}",
            self.account.lm_form,
            self.account.lm_key,
            now % 10_000_000
        );
        submit(&self.live, &query, now)
    }

    /// Closes the log, then loads the state file into a fresh store: it must be the
    /// live store's state, whole; the records applied on top of the snapshot.
    fn replays_to_the_live_state(self) -> u64 {
        self.file.log.as_ref().unwrap().close();
        let expected = snapshot(&self.live);
        drop(self.file);
        let replayed = store();
        let mut file =
            StateFile::open(self.dir.path().join("state.json"), Durability::Process).unwrap();
        let loaded = file.load_into(&replayed).unwrap();
        assert_eq!(snapshot(&replayed), expected);
        loaded.replayed
    }
}

#[test]
fn a_snapshot_taken_while_changes_go_on_holds_exactly_the_log_before_it() {
    let busy = busy();
    let (first, last) = (busy.lids[0], *busy.lids.last().unwrap());
    // With nothing changed between, a snapshot taken whole under the lock is what
    // the one taken a chunk at a time must be.
    let at_start = busy.live.export();
    let mut export = busy.live.begin_export();
    let mut changes = 0;
    while export.copy_chunk().unwrap() {
        // Between two chunks: a lead copied already and one not yet (twice, routed
        // the second time), a new lead, a form's settings, an account disabled.
        let now = 1_772_100_000 + changes;
        busy.update(first, &format!("fld_handler=מטפל {changes}"), now);
        busy.update(last, &format!("status_id={}", 4 + changes), now);
        busy.update(
            last,
            &format!("fld_handler=יוסי {changes}&route_adv=true"),
            now,
        );
        busy.submit("נועה", now);
        let settings = crate::store::FormSettings {
            reject_duplicates_secs: Some(Some(60)),
            ..Default::default()
        };
        busy.live
            .configure_form(busy.account.aid, busy.account.lm_form, settings)
            .unwrap();
        assert!(busy.live.set_account_enabled(4410, changes % 2 == 1));
        changes += 1;
    }
    let taken = export.finish();
    assert!(
        changes >= 3,
        "the snapshot took {changes} holds of the lock"
    );
    assert_eq!(
        serde_json::to_value(&taken).unwrap(),
        serde_json::to_value(&at_start).unwrap(),
        "the snapshot is the state as it was when it began"
    );
    busy.file.write(&taken).unwrap();
    busy.file.compact(taken.log_seq, false).unwrap();
    let after = busy.submit("אורי", 1_772_200_000);
    busy.update(after, "fld_handler=שירה", 1_772_200_001);
    // Six records per change between two chunks, two after the snapshot.
    assert_eq!(busy.replays_to_the_live_state(), changes as u64 * 6 + 2);
}

#[test]
fn a_snapshot_written_a_batch_at_a_time_is_the_whole_state() {
    let busy = busy();
    let (leads, log_seq) = busy.file.write_store(&busy.live, None).unwrap();
    let written = busy.written_whole(leads);
    assert_eq!(written.log_seq, log_seq);
}

#[test]
fn a_snapshot_copied_by_the_serving_runtime_is_the_whole_state() {
    let busy = busy();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let serving = runtime.handle().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let leads = std::thread::scope(|scope| {
        // The runtime's thread runs the copying tasks while it waits.
        scope.spawn(move || runtime.block_on(stopped));
        let leads = busy.file.snapshot_now_on(&busy.live, &serving).unwrap();
        stop.send(()).unwrap();
        leads
    });
    busy.written_whole(leads);
}

#[test]
fn a_reset_while_a_snapshot_is_written_makes_it_begin_again_on_the_new_state() {
    let busy = busy();
    let mut resets = 0;
    let (leads, _) = busy
        .file
        .write_store_between(&busy.live, None, || {
            if resets == 0 {
                busy.live.reset().unwrap();
            }
            resets += 1;
        })
        .unwrap();
    assert!(resets > 1, "the snapshot was written again");
    assert_eq!(
        leads,
        busy.live.counts().leads,
        "the snapshot holds the reset state"
    );
    let written: Snapshot = serde_json::from_slice(&fs::read(&busy.file.path).unwrap()).unwrap();
    assert_eq!(
        serde_json::to_value(&written).unwrap(),
        snapshot(&busy.live)
    );
    assert!(
        fs::read_dir(busy.dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".tmp")),
        "the snapshot given up left no temporary file"
    );
}

#[test]
fn a_reset_replaces_a_snapshot_in_progress_which_begins_again() {
    let busy = busy();
    let mut export = busy.live.begin_export();
    assert!(export.copy_chunk().unwrap());
    busy.live.reset().unwrap();
    assert!(export.copy_chunk().is_err(), "the state it froze is gone");
    drop(export);
    busy.file.snapshot_now(&busy.live).unwrap();
    submit(
        &busy.live,
        "lm_form=5001&lm_key=77bc0ec981&name=מאיה",
        1_772_300_000,
    );
    assert_eq!(busy.replays_to_the_live_state(), 1);
}

#[test]
fn a_reset_built_while_leads_are_created_is_logged_where_it_took_effect() {
    let busy = busy();
    let mut made = Vec::new();
    // A lead created while each build is made: the first build's ids are taken by
    // then, so it is made again with ids set aside, which the second lead cannot
    // take.
    let mut builds = 0;
    busy.live
        .reset_between(|| {
            made.push(busy.submit("בזמן האיפוס", 1_772_400_000 + builds));
            builds += 1;
        })
        .unwrap();
    assert_eq!(builds, 2, "the first build lost its ids to a request");
    // The created account went with the reset: a lead of the fixtures'.
    let after = submit(
        &busy.live,
        "lm_form=5001&lm_key=77bc0ec981&name=אחרי",
        1_772_400_100,
    );
    assert!(
        made.iter().all(|&lid| after > lid),
        "no id is handed out twice: {after} after {made:?}"
    );
    busy.replays_to_the_live_state();
}

#[test]
fn a_reset_record_of_the_release_before_replays_from_the_counter() {
    // Written before resets were built outside the lock: no next_lid, the fixtures'
    // leads numbered from the counter as it was.
    let line = r#"{"op":"reset","lid_floor":117000001,"next_aid":9001,"next_form":90001}"#;
    let store = store();
    submit(
        &store,
        "lm_form=5001&lm_key=77bc0ec981&name=דנה",
        1_772_500_000,
    );
    let before = snapshot(&store)["next_lid"].as_u64().unwrap();
    store.replay(serde_json::from_str(line).unwrap()).unwrap();
    let after = snapshot(&store);
    let lowest = after["leads"].as_array().unwrap()[0]["lid"].as_u64();
    assert_eq!(
        lowest,
        Some(before),
        "the fixtures numbered from the counter"
    );
}

#[test]
fn a_large_snapshot_is_written_again_only_once_the_log_is_a_quarter_of_it() {
    // Small: at every interval that saw a change.
    assert!(snapshot_due(20_000, 300));
    // A million leads, about 350 MB: not for a few changes, but for a log of 90 MB.
    assert!(!snapshot_due(350 << 20, 10 << 20));
    assert!(snapshot_due(350 << 20, 90 << 20));
}

/// The leads in the state file now, or `None` while it is missing or being replaced.
fn leads_in(path: &Path) -> Option<usize> {
    let text = fs::read(path).ok()?;
    serde_json::from_slice::<Snapshot>(&text)
        .ok()
        .map(|s| s.leads.len())
}

#[tokio::test(flavor = "current_thread")]
async fn after_a_reset_a_large_snapshot_is_written_again_at_the_next_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let live = store();
    let account = live.create_account(Some("סוכנות נדל\"ן"));
    // Over SMALL_SNAPSHOT once written: about 300 bytes a lead.
    let many = 20_000;
    let leads: Vec<LeadSpec> = (0..many)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "phone": format!("053-{:03}-{:04}", i / 10_000, i % 10_000),
                "fields": {"שם": format!("יעל לוי {i}"), "עיר": "באר שבע", "מטפל": "משה"},
            }))
            .unwrap()
        })
        .collect();
    live.seed_leads(account.aid, leads).unwrap();
    let mut file = StateFile::open(&path, Durability::Process).unwrap();
    file.load_into(&live).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let keeper = tokio::spawn(file.keep(live.clone(), Duration::from_millis(50), async {
        let _ = stopped.await;
    }));
    let until = |want: usize| {
        let path = path.clone();
        async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while std::time::Instant::now() < deadline {
                if leads_in(&path) == Some(want) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        }
    };
    let before = live.counts().leads;
    assert!(until(before).await, "the first snapshot holds every lead");
    assert!(fs::metadata(&path).unwrap().len() > SMALL_SNAPSHOT);
    let resetting = live.clone();
    tokio::task::spawn_blocking(move || resetting.reset().unwrap())
        .await
        .unwrap();
    let after = live.counts().leads;
    assert!(after < before);
    assert!(
        until(after).await,
        "after the reset, the snapshot holds the reset state, not the {before} leads of before"
    );
    stop.send(()).unwrap();
    keeper.await.unwrap().unwrap();
}
