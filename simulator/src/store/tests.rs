//! The store's own tests: snapshots, resets, the generation, the phone index
//! after a change, and what a token of another account may learn.

use super::*;
use crate::api::{lookup, submit, update};
use crate::fixtures::Scope;
use crate::request::{Part, TokenHeader, parse_urlencoded};

fn embedded() -> Store {
    Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap()
}

#[test]
fn a_snapshot_with_ids_far_apart_is_refused_not_allocated() {
    let mut snapshot = embedded().export();
    snapshot.leads[1].lid = Some(u64::MAX / 2);
    let store = embedded();
    let err = store.restore(snapshot, "state.json").unwrap_err();
    assert!(err.reason.contains("within"), "{err}");
    assert_eq!(store.counts().leads, 48, "the state is untouched");

    // The first lead alone out of range, and ids spaced just under the gap.
    let base = embedded().export();
    let mut alone = base.clone();
    alone.leads.truncate(1);
    alone.leads[0].lid = Some(u64::MAX);
    let mut spaced = base.clone();
    for (i, lead) in spaced.leads.iter_mut().enumerate() {
        lead.lid = Some(117_000_001 + i as u64 * (load::MAX_ID_GAP - 1));
    }
    for bad in [alone, spaced] {
        assert!(store.restore(bad, "state.json").is_err());
    }
}

#[test]
fn a_reset_whose_files_no_longer_load_fails_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    crate::generate::write(dir.path(), 20, 1, |_| {}).unwrap();
    let store = Store::new(Dataset::load_dir(dir.path()).unwrap(), PhoneMatch::Exact).unwrap();
    let created = store.create_account(None);
    std::fs::write(dir.path().join("leads.jsonl"), "{\"aid\": 5100, broken\n").unwrap();
    let err = store.reset().unwrap_err();
    assert_eq!(err.place, "line 1, column 15", "{err}");
    let counts = store.counts();
    assert_eq!((counts.accounts, counts.leads), (2, 20), "nothing changed");
    assert!(store.account(created.aid).is_some());
}

#[test]
fn only_a_change_moves_the_generation() {
    let store = embedded();
    let before = store.generation();
    let wrong = parse_urlencoded(b"lm_form=5001&lm_key=nope", Part::Query).unwrap();
    assert!(submit::create(&store, &wrong, 0, &mut Vec::new()).is_err());
    let other = TokenHeader::Value("U-469b746ec85079b2.6a06dc098e7343dd");
    assert!(update::change(&store, "3305", other, &wrong, 0, &mut Vec::new()).is_err());
    assert_eq!(store.generation(), before, "refused calls change nothing");
    let ok = parse_urlencoded(b"lm_form=5001&lm_key=77bc0ec981&name=x", Part::Query).unwrap();
    submit::create(&store, &ok, 0, &mut Vec::new()).unwrap();
    assert_ne!(store.generation(), before);
}

#[test]
fn a_changed_phone_leaves_no_entry_under_the_old_one() {
    // Lookups check each lead's own phone, so a stale entry would not show in an
    // answer: it would only make the index grow with every phone change.
    let store = embedded();
    let token = TokenHeader::Value("U-d5f9403e30b5281d.6484eb0eaa3c4f85");
    let lid = store
        .read_account("3305", token, Scope::Read, |account| {
            Ok(account.by_phone_latest("0521234567", usize::MAX).0[0].lid)
        })
        .unwrap();
    let by_id = format!("by_id={lid}&phone=054-318-2290");
    let change = parse_urlencoded(by_id.as_bytes(), Part::Body).unwrap();
    update::change(&store, "3305", token, &change, 0, &mut Vec::new()).unwrap();
    let state = store.lock();
    let filed = |phone| {
        let key = phone_index::key(3305, phone, PhoneMatch::Exact).unwrap();
        state.by_phone.get(key).contains(&lid)
    };
    assert!(!filed("0521234567"), "still filed under the old phone");
    assert!(filed("054-318-2290"), "not filed under the new phone");
}

#[test]
fn another_accounts_token_never_tells_which_account_ids_exist() {
    let store = embedded();
    let token = TokenHeader::Value("U-469b746ec85079b2.6a06dc098e7343dd");
    let existing = lookup::find(&store, "3305", token, Some("1"), usize::MAX)
        .err()
        .unwrap();
    let missing = lookup::find(&store, "999999", token, Some("1"), usize::MAX)
        .err()
        .unwrap();
    assert_eq!(existing.to_string(), "invalid token");
    assert_eq!(missing.to_string(), existing.to_string());
}
