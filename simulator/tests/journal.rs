//! The journal names each request's endpoint by the route table's name, whatever
//! the method, and names none for a path that is not the API's.

mod common;

use common::{AID, client, dana_lid, shamir, submit_lid};
use leadim_simulator::{Endpoint, JournalFilter, Simulator};

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
