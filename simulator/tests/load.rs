//! Load without loss: 8 concurrent clients doing 20,000 mixed creates, lookups and
//! updates against one account; every created lead exists once, with its last
//! update, and the journal stays within its bound.

mod common;

use common::client;
use leadim_simulator::{JournalFilter, Simulator};
use std::collections::HashMap;

const CLIENTS: usize = 8;
const OPERATIONS: usize = 20_000;
const HANDLERS: [&str; 5] = [
    "יוסי לוי",
    "מירב כהן",
    "עומר חדד",
    "רונית אזולאי",
    "סאמי עודה",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_mixed_load_loses_nothing() {
    let sim = Simulator::builder()
        .journal_limits(500, 256 * 1024)
        .start()
        .await
        .unwrap();
    let account = sim.create_account();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let account = account.clone();
        tasks.push(tokio::spawn(async move {
            let http = client();
            // lid → the phone it was created with and the last handler written.
            let mut mine: Vec<(u64, String, Option<String>)> = Vec::new();
            let mut counts = [0usize; 3];
            for i in 0..OPERATIONS / CLIENTS {
                let op = if mine.is_empty() { 0 } else { i % 3 };
                counts[op] += 1;
                match op {
                    0 => {
                        let phone = format!("05{c}-{:03}-{:04}", i % 1000, i);
                        let v: serde_json::Value = http
                            .post(&account.submit_url)
                            .form(&[
                                ("lm_form", account.lm_form.as_str()),
                                ("lm_key", &account.lm_key),
                                ("lm_redirect", "no"),
                                ("fld_name", &format!("לקוח {c}-{i}")),
                                ("fld_phone", &phone),
                            ])
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        assert_eq!(v["status"], "success", "{v}");
                        mine.push((v["result"].as_u64().unwrap(), phone, None));
                    }
                    1 => {
                        let (lid, phone, _) = &mine[i % mine.len()];
                        let v: serde_json::Value = http
                            .get(&account.get_customer_details_url)
                            .query(&[("by_phone", phone)])
                            .header("X-LEAD-IM-AUTH", &account.token)
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        assert_eq!(v["data"][0]["lid"].as_u64(), Some(*lid), "{v}");
                    }
                    _ => {
                        let slot = i % mine.len();
                        let handler = format!("{} #{i}", HANDLERS[i % HANDLERS.len()]);
                        let v: serde_json::Value = http
                            .post(&account.update_url)
                            .header("X-LEAD-IM-AUTH", &account.token)
                            .form(&[
                                ("by_id", mine[slot].0.to_string().as_str()),
                                ("מטפל", &handler),
                            ])
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        assert_eq!(v["status"], "success", "{v}");
                        mine[slot].2 = Some(handler);
                    }
                }
            }
            (mine, counts)
        }));
    }
    let mut expected: HashMap<u64, Option<String>> = HashMap::new();
    let mut totals = [0usize; 3];
    for task in tasks {
        let (mine, counts) = task.await.unwrap();
        for (lid, _, handler) in mine {
            assert!(
                expected.insert(lid, handler).is_none(),
                "lead id {lid} handed out twice"
            );
        }
        for (t, c) in totals.iter_mut().zip(counts) {
            *t += c;
        }
    }
    assert_eq!(totals.iter().sum::<usize>(), OPERATIONS);
    assert!(
        totals.iter().all(|&n| n > 5_000),
        "a mixed load: {totals:?}"
    );

    let stored = sim.store().account_leads(account.aid).unwrap();
    assert_eq!(stored.len(), expected.len(), "every created lead, once");
    let mut lost_updates = 0;
    for lead in &stored {
        let want = expected.get(&lead.lid).expect("a lead nobody created");
        if lead.field("מטפל") != want.as_deref() {
            lost_updates += 1;
        }
    }
    assert_eq!(lost_updates, 0);
    let lids: Vec<u64> = stored.iter().map(|l| l.lid).collect();
    assert!(lids.windows(2).all(|w| w[0] < w[1]), "ids increase");

    let page = sim.requests(&JournalFilter::default());
    assert!(page.entries.len() <= 500);
    assert!(
        page.bytes <= 256 * 1024,
        "journal holds {} bytes",
        page.bytes
    );
    assert_eq!(page.dropped + page.entries.len() as u64, OPERATIONS as u64);
}
