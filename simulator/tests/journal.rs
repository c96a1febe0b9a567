//! The journal names each request's endpoint by the route table's name, whatever
//! the method, and names none for a path that is not the API's; it is read a page at
//! a time (after a cursor, oldest first, 100 by default and at most 1,000), also
//! while the API is busy; and no credential a request carried shows in it.

mod common;

use common::{AID, DANA_PHONE, RW, client, dana_lid, lookup_at, shamir, submit_lid};
use leadim_simulator::{Endpoint, JournalFilter, Simulator, SimulatorHandle};
use serde_json::Value;

#[tokio::test]
async fn every_entry_names_the_endpoint_its_path_names() {
    let sim = Simulator::start().await.unwrap();
    let http = client();
    let account = shamir(&sim);
    let base = sim.base_url();
    let lid = submit_lid(
        &http,
        &account,
        &[("name", "נועה לוי"), ("phone", "0527654321")],
    )
    .await;
    let dana = dana_lid(&sim).await;
    let setup_done = sim.journal().last().map(|e| e.id);
    let token = account.token.as_str();
    let calls = [
        (
            "GET",
            format!("{}?by_phone=0527654321", account.get_customer_details_url),
        ),
        ("GET", format!("{}?by_id={dana}", account.lead_get_url)),
        (
            "POST",
            format!("{}?by_id={lid}&מטפל=יוסי", account.update_url),
        ),
        ("GET", format!("{base}/a/{AID}/leads/{lid}")),
        // A method the endpoint does not take is still filed under it.
        ("GET", account.update_url.clone()),
        ("GET", format!("{base}/apiproxy/{AID}/api/lead_update.asx")),
    ];
    for (method, url) in &calls {
        http.request(method.parse().unwrap(), url)
            .header(leadim_simulator::AUTH_HEADER, token)
            .send()
            .await
            .unwrap();
    }
    let named: Vec<Option<Endpoint>> = sim
        .requests(&JournalFilter {
            since: setup_done,
            ..JournalFilter::default()
        })
        .entries
        .iter()
        .map(|e| e.endpoint)
        .collect();
    assert_eq!(
        named,
        [
            Some(Endpoint::Lookup),
            Some(Endpoint::Get),
            Some(Endpoint::Update),
            Some(Endpoint::LeadPage),
            Some(Endpoint::Update),
            None,
        ]
    );
    let first = sim.journal().into_iter().next().unwrap();
    assert_eq!(first.endpoint, Some(Endpoint::Submit));
    let json = serde_json::to_value(&first).unwrap();
    assert_eq!(
        json["endpoint"], "submit",
        "the journal's JSON uses the same names"
    );
    let json = serde_json::to_value(sim.journal().last().unwrap()).unwrap();
    assert!(json["endpoint"].is_null(), "{json}");
}

/// `GET /__admin/{path}`: the status and the JSON answer.
async fn admin_get(sim: &SimulatorHandle, path: &str) -> (u16, Value) {
    let resp = client()
        .get(format!("{}/__admin/{path}", sim.base_url()))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, common::json(resp).await)
}

/// `GET /__admin/requests?{query}`: the page as JSON.
async fn page(sim: &SimulatorHandle, query: &str) -> Value {
    let (status, page) = admin_get(sim, &format!("requests?{query}")).await;
    assert_eq!(status, 200, "{page}");
    page
}

fn ids(page: &Value) -> Vec<u64> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_journal_is_read_a_page_at_a_time_after_a_cursor() {
    let sim = Simulator::builder()
        .journal_limits(5_000, 64 << 20)
        .start()
        .await
        .unwrap();
    let url = common::leads_get_url(&sim, AID);
    for _ in 0..1_050 {
        lookup_at(&url, RW, DANA_PHONE).await;
    }

    // No cursor, no limit: the oldest 100, and where to go on from.
    let first = page(&sim, "").await;
    assert_eq!(ids(&first), (1..=100).collect::<Vec<_>>());
    assert_eq!(first["next_since"], 100);
    assert_eq!(first["more"], true);
    assert_eq!(first["limit"], 100);
    assert_eq!(first["held"], 1_050);
    // A request for more than 1,000 gets 1,000.
    let second = page(&sim, "since=100&limit=5000").await;
    assert_eq!(
        ids(&second),
        (101..=1_100)
            .filter(|i| *i <= 1_050)
            .take(1_000)
            .collect::<Vec<_>>()
    );
    assert_eq!(second["limit"], 1_000);
    assert_eq!(
        (second["next_since"].as_u64(), second["more"].as_bool()),
        (Some(1_050), Some(false))
    );
    let third = page(&sim, "since=1050").await;
    assert!(ids(&third).is_empty());
    assert_eq!(
        (third["next_since"].as_u64(), third["more"].as_bool()),
        (Some(1_050), Some(false))
    );
    let (status, answer) = admin_get(&sim, "requests?since=x").await;
    assert_eq!(status, 400, "{answer}");

    // The handle's door pages the same way, and reads everything when asked to.
    let handle = sim.requests(&JournalFilter {
        since: Some(1_000),
        limit: Some(20),
        ..JournalFilter::default()
    });
    assert_eq!(
        handle.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        (1_001..=1_020).collect::<Vec<_>>()
    );
    assert_eq!((handle.next_since, handle.more), (1_020, true));
    assert_eq!(sim.journal().len(), 1_050);
    assert_eq!(sim.journal_for(AID).len(), 1_050);
}

#[tokio::test]
async fn the_journal_is_read_whole_while_lookups_keep_coming() {
    let sim = Simulator::start().await.unwrap();
    let url = common::leads_get_url(&sim, AID);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (url, stop) = (url.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut answered = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let answer = lookup_at(&url, RW, DANA_PHONE).await;
                assert_eq!(answer["status"], "success");
                answered += 1;
            }
            answered
        }));
    }
    // Page through, twice over, while the lookups go on: ids only ever increase,
    // and each page starts after the one before.
    let mut since = 0;
    let mut read = 0;
    while read < 2_000 {
        let page = page(&sim, &format!("since={since}&limit=250")).await;
        let ids = ids(&page);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert!(ids.first().is_none_or(|first| *first > since));
        read += ids.len();
        since = page["next_since"].as_u64().unwrap();
        tokio::task::yield_now().await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in load {
        assert!(task.await.unwrap() > 0);
    }
}

/// Each credential a request can carry, and how it is sent.
const SECRETS: [&str; 9] = [
    "SECRET-lead-im-auth-7f3a9c",
    "SECRET-bearer-9d2e41",
    "SECRET-admin-token-55ab",
    "SECRET-cookie-session-0c7d",
    "SECRET-query-apikey-31f0",
    "SECRET-encoded-apikey-88e1",
    "SECRET-form-apikey-4c2a",
    "SECRET-json-apikey-6b93",
    "SECRET-multipart-apikey-a17e",
];

/// Sends each of [`SECRETS`] the way it is named: five requests.
async fn send_every_credential(sim: &SimulatorHandle) {
    let http = client();
    let account = shamir(sim);
    let [
        auth,
        bearer,
        admin,
        cookie,
        query,
        encoded,
        form,
        json,
        multipart,
    ] = SECRETS;
    http.get(&account.get_customer_details_url)
        .query(&[("by_phone", DANA_PHONE), ("APIKEY", query)])
        .header("X-LEAD-IM-AUTH", auth)
        .header("Authorization", format!("Bearer {bearer}"))
        .header("X-Admin-Token", admin)
        .header("Cookie", format!("theme=dark; session={cookie}"))
        .send()
        .await
        .unwrap();
    http.get(format!(
        "{}?by_id=1&AP%49KEY={encoded}",
        account.lead_get_url
    ))
    .header("X-LEAD-IM-AUTH", RW)
    .send()
    .await
    .unwrap();
    http.post(&account.update_url)
        .header("X-LEAD-IM-AUTH", RW)
        .form(&[("by_id", "1"), ("apikey", form)])
        .send()
        .await
        .unwrap();
    http.post(&account.update_url)
        .header("X-LEAD-IM-AUTH", RW)
        .json(&serde_json::json!({"by_id": "1", "api_key": json}))
        .send()
        .await
        .unwrap();
    let body = common::multipart("xyz", &[("lm_form", "5001"), ("ApiKey", multipart)]);
    http.post(format!("{}?lm_redirect=no", account.submit_url))
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body(body)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn no_credential_shows_in_the_journal() {
    let sim = Simulator::start().await.unwrap();
    send_every_credential(&sim).await;

    let entries = sim.journal();
    assert_eq!(entries.len(), 5);
    let through_the_handle = serde_json::to_string(&entries).unwrap();
    let (_, over_http) = admin_get(&sim, "requests?limit=1000").await;
    let over_http = over_http.to_string();
    for secret in SECRETS {
        for journal in [&through_the_handle, &over_http] {
            assert!(!journal.contains(secret), "{secret} shows: {journal}");
            assert!(
                journal.contains(&format!("({} chars)", secret.len())),
                "{secret}"
            );
        }
    }
    // What is masked stays readable: whose token, which scheme, which parameter.
    let lookup = &entries[0];
    let header = |name: &str| {
        lookup
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap()
    };
    assert_eq!(header("authorization"), "Bearer SECR… (20 chars)");
    assert_eq!(
        header("cookie"),
        "theme=d… (4 chars); session=SECR… (26 chars)"
    );
    assert_eq!(lookup.param("APIKEY"), Some("SECR… (24 chars)"));
    assert_eq!(lookup.param("by_phone"), Some(DANA_PHONE));
    assert!(
        lookup
            .query
            .as_deref()
            .unwrap()
            .starts_with("by_phone=0521234567&APIKEY=SECR%E2%80%A6")
    );
}

#[tokio::test]
async fn a_misspelt_journal_filter_is_refused_with_its_name() {
    let sim = Simulator::start().await.unwrap();
    lookup_at(&common::leads_get_url(&sim, AID), RW, DANA_PHONE).await;
    let (status, answer) = admin_get(&sim, "requests?acount=3305&limt=5&colour=red").await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        answer["error"],
        "unknown journal filter 'acount' (did you mean account?), 'limt' (did you mean limit?), \
         'colour': the journal takes account, path, endpoint, with_diagnostics, since, limit, pretty"
    );
    // Spelt right, the same filter works.
    assert_eq!(ids(&page(&sim, "account=3305&limit=5").await), [1]);
}

#[tokio::test]
async fn a_json_answer_is_json_in_the_journal_and_pretty_on_request() {
    let sim = Simulator::start().await.unwrap();
    lookup_at(&common::leads_get_url(&sim, AID), RW, DANA_PHONE).await;
    let resp = client()
        .get(format!("{}/v1/submit", sim.base_url()))
        .query(&[
            ("lm_form", "5001"),
            ("lm_key", "77bc0ec981"),
            ("fld_name", "משה פרץ"),
        ])
        .send()
        .await
        .unwrap();
    let lid = resp.text().await.unwrap();
    let entries = page(&sim, "").await["entries"].clone();
    // Lead.IM's JSON answer is an object, not a string to unescape.
    let lookup = &entries[0]["answer"];
    assert_eq!(lookup["status"], "success", "{lookup}");
    assert_eq!(lookup["data"][0]["fields"]["שם"], "דנה כהן", "{lookup}");
    // /v1/submit answers the lead id as text: it stays text.
    assert_eq!(entries[1]["answer"], Value::String(lid.clone()));
    // The handle keeps the answer as text either way.
    let journal = sim.journal();
    assert!(journal[0].answer.starts_with(r#"{"status":"success""#));
    assert_eq!(journal[1].answer, lid);

    let resp = client()
        .get(format!("{}/__admin/requests?pretty", sim.base_url()))
        .send()
        .await
        .unwrap();
    let text = resp.text().await.unwrap();
    assert!(text.starts_with("{\n  \"entries\": [\n"), "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["entries"],
        entries
    );
}
