//! The log against the store: every kind of change, replayed on a fresh store,
//! gives back the very state that logged it. A change the log misses (a new kind of
//! mutation, a new part of a lead) shows here as two snapshots that differ.

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
    file.snapshot(&live, false).unwrap();
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
