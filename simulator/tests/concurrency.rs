//! Many clients at once: concurrent submissions get distinct ids, increasing in the
//! order they are stored, and are all stored and indexed; concurrent updates of one lead lose nothing; accounts stay
//! isolated under load.

mod common;

use common::ordering::{
    Submitted, Ticks, assert_listed_by_created_at_then_id, check_ids_follow_answers,
    created_seconds,
};
use common::*;
use leadim_simulator::{Dataset, Simulator};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_submissions_get_distinct_ids_in_the_order_they_are_stored() {
    let sim = Simulator::start().await.unwrap();
    let account = Arc::new(sim.create_account());
    let ticks = Arc::new(Ticks::default());
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (account, ticks) = (account.clone(), ticks.clone());
            tokio::spawn(async move {
                let phone = format!("05{:08}", 40_000_000 + i);
                let name = format!("לקוח מספר {i}");
                let sent = ticks.tick();
                let lid = submit_lid(
                    &client(),
                    &account,
                    &[("name", &name), ("phone", &phone), ("fld_city", "מודיעין")],
                )
                .await;
                let answered = ticks.tick();
                (
                    Submitted {
                        sent,
                        answered,
                        lid,
                    },
                    phone,
                    name,
                )
            })
        })
        .collect();
    let mut results = Vec::with_capacity(64);
    for task in tasks {
        results.push(task.await.unwrap());
    }

    let distinct: HashSet<u64> = results.iter().map(|r| r.0.lid).collect();
    assert_eq!(distinct.len(), 64, "every submission got its own id");
    let listed: Vec<_> = sim.store().account_leads(account.aid).unwrap();
    assert_eq!(listed.len(), 64);
    let listed_lids: Vec<u64> = listed.iter().map(|l| l.lid).collect();
    assert_eq!(
        listed_lids.iter().copied().collect::<HashSet<_>>(),
        distinct
    );
    // Concurrent submits may take ids in either order of their created_at; the store
    // lists by both, and any submit sent after another's answer has the higher id.
    assert_listed_by_created_at_then_id(&listed);
    let submits: Vec<Submitted> = results.iter().map(|r| r.0).collect();
    check_ids_follow_answers(&submits, &created_seconds(&listed))
        .unwrap_or_else(|broken| panic!("{broken}"));
    let fixture_max = sim
        .store()
        .account_leads(AID)
        .unwrap()
        .iter()
        .map(|l| l.lid)
        .max()
        .unwrap();
    assert!(listed_lids.iter().all(|&lid| lid > fixture_max));

    // Each id holds what its own request sent, and the phone index finds it.
    for (submitted, phone, name) in &results {
        let lead = listed.iter().find(|l| l.lid == submitted.lid).unwrap();
        assert_eq!(lead.phone, *phone);
        assert_eq!(lead.field("שם"), Some(name.as_str()));
        assert_eq!(lookup_lids(&account, phone).await, vec![submitted.lid]);
    }
    assert_eq!(sim.journal_for(account.aid).len(), 64 * 2);
}

/// One account whose form has 16 fields besides name and phone.
fn sixteen_field_dataset() -> (Dataset, Vec<(String, String)>) {
    let names = [
        "עיר",
        "מטפל",
        "סטטוס",
        "תקציב",
        "אזור",
        "סוג נכס",
        "מספר חדרים",
        "קומה",
        "חניה",
        "מעלית",
        "מרפסת",
        "תאריך כניסה",
        "מקור",
        "הערות",
        "שעה נוחה",
        "שפה",
    ];
    let fields: Vec<(String, String)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("fld_{}", 179_817 + i), (*n).to_owned()))
        .collect();
    let mut map = serde_json::Map::new();
    map.insert("name".into(), json!("שם"));
    map.insert("phone".into(), json!("טלפון"));
    for (k, n) in &fields {
        map.insert(k.clone(), json!(n));
    }
    let accounts = json!({"accounts": [{
        "aid": 5150,
        "name": "נדל\"ן השרון",
        "enabled": true,
        "tokens": [{"token": "t-5150-rw", "scopes": ["read", "write"]}],
        "forms": [{
            "lm_form": 7001,
            "lm_key": "k-7001-0a1b2c3d",
            "name": "פניות מהאתר",
            "enabled": true,
            "thank_you_url": "https://www.sharon-nadlan.co.il/todah",
            "fields": map
        }]
    }]});
    let leads = json!({
        "aid": 5150, "form_id": 7001, "created_at": "2026-02-01T10:00:00Z",
        "phone": "054-700-1234", "fields": {"שם": "יונתן אשכנזי", "טלפון": "054-700-1234"}
    });
    let dataset = Dataset::parse("memory", &accounts.to_string(), &leads.to_string()).unwrap();
    (dataset, fields)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_of_different_fields_of_one_lead_are_all_applied() {
    let (dataset, fields) = sixteen_field_dataset();
    let sim = Arc::new(Simulator::builder().dataset(dataset).start().await.unwrap());
    let lid = sim.store().account_leads(5150).unwrap()[0].lid;
    let url = Arc::new(update_url(&sim, 5150));
    let tasks: Vec<_> = fields
        .iter()
        .enumerate()
        .map(|(i, (key, name))| {
            let url = url.clone();
            let (key, name) = (key.clone(), name.clone());
            tokio::spawn(async move {
                // Each task writes its field a few times, alternating key and name.
                let mut last = String::new();
                for round in 0..5 {
                    last = format!("ערך {i} סבב {round}");
                    let by = if round % 2 == 0 {
                        key.as_str()
                    } else {
                        name.as_str()
                    };
                    let answer = update_form(
                        &url,
                        "t-5150-rw",
                        &[("by_id", &lid.to_string()), (by, &last)],
                    )
                    .await;
                    assert_eq!(answer, json!({"status": "success"}));
                }
                (name, last)
            })
        })
        .collect();
    let mut expected = Vec::new();
    for task in tasks {
        expected.push(task.await.unwrap());
    }
    let lead = stored_lead(&sim, 5150, lid).unwrap();
    for (name, value) in &expected {
        assert_eq!(lead.field(name), Some(value.as_str()), "{name}");
    }
    assert_eq!(lead.field("שם"), Some("יונתן אשכנזי"));
    assert_eq!(lead.fields.len(), 2 + 16);
    assert_eq!(sim.journal().len(), 16 * 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accounts_stay_isolated_under_concurrent_load() {
    let sim = Simulator::start().await.unwrap();
    let accounts: Vec<_> = (0..8).map(|_| Arc::new(sim.create_account())).collect();
    let mut tasks = Vec::new();
    for (a, account) in accounts.iter().enumerate() {
        for j in 0..8 {
            let account = account.clone();
            tasks.push(tokio::spawn(async move {
                // The same phone in every account.
                let phone = format!("052-000-00{j:02}");
                let lid = submit_lid(
                    &client(),
                    &account,
                    &[("name", &format!("חשבון {a} ליד {j}")), ("phone", &phone)],
                )
                .await;
                let found = lookup_lids(&account, &phone).await;
                assert_eq!(found, vec![lid], "account {a} sees only its own lead");
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    for (a, account) in accounts.iter().enumerate() {
        let leads = sim.store().account_leads(account.aid).unwrap();
        assert_eq!(leads.len(), 8);
        assert!(
            leads
                .iter()
                .all(|l| l.field("שם").unwrap().starts_with(&format!("חשבון {a} ")))
        );
    }
}
