//! Requests shaped as the production clients of the real Lead.IM send them (the
//! spec's "More of the real surface"): the browser's create path, CORS, the token
//! in the body, the short update path, v1, and tracking keys on a valid lead.

mod common;

use common::{
    AID, FORM, KEY, RW, W, client, json_200, last_entry, multipart, post_multipart, stored_lead,
};
use leadim_simulator::{Door, Endpoint, Simulator, SimulatorHandle};
use reqwest::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
};

/// Where a page on another site lives: browsers send it as `Origin`.
const PAGE: &str = "https://www.bituah-yashir-example.co.il";

/// The newest journal entry (every path contains "").
fn last(sim: &SimulatorHandle) -> leadim_simulator::JournalEntry {
    last_entry(sim, "")
}

#[tokio::test]
async fn the_browser_create_path_takes_a_multipart_body_and_answers_json() {
    let sim = Simulator::start().await.unwrap();
    // As assets/cross-sell.js posts it: FormData, the form and key in the body.
    let url = format!("{}/APIProxy/global/submit.cors.v2.ashx", sim.base_url());
    let parts = [
        ("lm_form", FORM),
        ("lm_key", KEY),
        ("name", "נועם ברק"),
        ("phone", "054-771-2093"),
        ("fld_city", "רעננה"),
    ];
    let resp = post_multipart(&client(), &url, None, "----cross-sell", &parts).await;
    assert_eq!(
        resp.headers()[ACCESS_CONTROL_ALLOW_ORIGIN],
        "*",
        "a page on another origin reads the answer"
    );
    let answer = json_200(resp).await;
    assert_eq!(answer["status"], "success", "{answer}");
    let lid = answer["result"].as_u64().expect("the lead id, a number");
    let lead = stored_lead(&sim, AID, lid).unwrap();
    assert_eq!(lead.field("שם"), Some("נועם ברק"));
    assert_eq!(lead.field("עיר"), Some("רעננה"));
    let entry = last(&sim);
    assert_eq!(
        (entry.endpoint, entry.door, entry.account),
        (Some(Endpoint::Submit), Some(Door::Cors), Some(AID))
    );
}

#[tokio::test]
async fn the_browser_create_path_takes_the_query_string_and_tracking_keys() {
    let sim = Simulator::start().await.unwrap();
    // As lib/leadim.js calls it: everything in the query, an empty body.
    let resp = client()
        .post(format!(
            "{}/apiproxy/global/submit.cors.v2.ashx",
            sim.base_url()
        ))
        .query(&[
            ("lm_form", FORM),
            ("lm_key", KEY),
            ("name", "שירה גולן"),
            ("phone", "0526410987"),
            ("form_fields[insurance_type]", "רכב"),
            ("ssn", "0"),
        ])
        .send()
        .await
        .unwrap();
    let answer = json_200(resp).await;
    let lid = answer["result"].as_u64().expect("JSON, never a redirect");
    assert_eq!(stored_lead(&sim, AID, lid).unwrap().status_id, 1);
    let entry = last(&sim);
    assert!(entry.has_diagnostic("form_fields[insurance_type] is not a field of form 5001"));
    assert!(!entry.has_errors(), "{:?}", entry.diagnostics);

    // The same validation and codes as /v2/submit.
    let resp = client()
        .post(format!(
            "{}/apiproxy/global/submit.cors.v2.ashx",
            sim.base_url()
        ))
        .query(&[("lm_form", FORM), ("lm_key", "06424014f5")])
        .send()
        .await
        .unwrap();
    let answer = json_200(resp).await;
    assert_eq!(
        (answer["status"].as_str(), answer["code"].as_i64()),
        (Some("failure"), Some(-1))
    );
}

#[tokio::test]
async fn tracking_keys_leave_a_v2_lead_valid() {
    let sim = Simulator::start().await.unwrap();
    let resp = client()
        .post(format!("{}/v2/submit", sim.base_url()))
        .form(&[
            ("lm_form", FORM),
            ("lm_key", KEY),
            ("name", "אורן דוד"),
            ("phone", "972523334455"),
            ("gclid", "Cj0KCQiA1dKe"),
            ("fbclid", "IwAR2xYz"),
            ("lm_format", "json"),
            ("lm_source", "דף נחיתה ביטוח רכב"),
            ("charset", "utf-8"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
        "api.lead.im is called with mode: 'no-cors' and sends no CORS headers"
    );
    let lid = json_200(resp).await["result"].as_u64().unwrap();
    let lead = stored_lead(&sim, AID, lid).unwrap();
    assert_eq!(lead.status_id, 1, "tracking keys never make a lead invalid");
    assert_eq!(lead.lm_source.as_deref(), Some("דף נחיתה ביטוח רכב"));
    let entry = last(&sim);
    for key in ["gclid", "fbclid", "charset"] {
        assert!(entry.has_diagnostic(&format!("{key} is not a field of form 5001")));
    }
}

#[tokio::test]
async fn a_browser_updates_a_lead_after_the_preflight_it_sends() {
    let sim = Simulator::start().await.unwrap();
    let lid = common::dana_lid(&sim).await;
    let url = format!("{}/apiproxy/{AID}/api/lead_update.ashx", sim.base_url());
    // Exactly what a browser sends before a POST with a custom header.
    let preflight = client()
        .request(reqwest::Method::OPTIONS, &url)
        .header(ORIGIN, PAGE)
        .header(ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            ACCESS_CONTROL_REQUEST_HEADERS,
            "content-type,x-lead-im-auth",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let allowed = |name| {
        preflight.headers()[name]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
    };
    assert_eq!(allowed(ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    assert!(allowed(ACCESS_CONTROL_ALLOW_METHODS).contains("post"));
    for header in ["x-lead-im-auth", "content-type"] {
        assert!(
            allowed(ACCESS_CONTROL_ALLOW_HEADERS).contains(header),
            "{header}"
        );
    }
    let resp = client()
        .post(&url)
        .header(ORIGIN, PAGE)
        .header(leadim_simulator::AUTH_HEADER, W)
        .form(&[("by_id", lid.to_string().as_str()), ("מטפל", "עדי")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(json_200(resp).await["status"], "success");
    assert_eq!(
        stored_lead(&sim, AID, lid).unwrap().field("מטפל"),
        Some("עדי")
    );
}

#[tokio::test]
async fn php_forms_post_the_token_as_apikey_to_the_short_update_path() {
    let sim = Simulator::start().await.unwrap();
    let lid = common::dana_lid(&sim).await.to_string();
    // As gemel.php posts it: multipart, no /api/ segment, the token as APIKEY.
    let url = format!("{}/apiproxy/{AID}/lead_update.ashx", sim.base_url());
    let parts = [
        ("APIKEY", W),
        ("by_id", lid.as_str()),
        ("fld_handler", "מאיר"),
    ];
    let resp = post_multipart(&client(), &url, None, "----gemel", &parts).await;
    assert_eq!(json_200(resp).await["status"], "success");
    let lead = stored_lead(&sim, AID, lid.parse().unwrap()).unwrap();
    assert_eq!(lead.field("מטפל"), Some("מאיר"));
    let entry = last(&sim);
    assert_eq!(
        (entry.endpoint, entry.door),
        (Some(Endpoint::Update), Some(Door::Short))
    );
    assert!(
        !entry.has_diagnostic("APIKEY"),
        "APIKEY is a control key: {:?}",
        entry.diagnostics
    );

    // The same scopes: a read-only APIKEY cannot write; in the query it reads.
    let parts = [
        ("APIKEY", common::R),
        ("by_id", lid.as_str()),
        ("fld_handler", "x"),
    ];
    let resp = post_multipart(&client(), &url, None, "----gemel", &parts).await;
    assert_eq!(json_200(resp).await["error"], "token lacks the write scope");
    let resp = client()
        .get(format!(
            "{}/apiproxy/{AID}/api/lead_get.ashx",
            sim.base_url()
        ))
        .query(&[("by_id", lid.as_str()), ("APIKEY", RW)])
        .send()
        .await
        .unwrap();
    assert_eq!(json_200(resp).await["data"][0]["lid"].to_string(), lid);
}

#[tokio::test]
async fn the_header_wins_over_apikey() {
    let sim = Simulator::start().await.unwrap();
    let lid = common::dana_lid(&sim).await.to_string();
    let url = format!("{}/apiproxy/{AID}/lead_update.ashx", sim.base_url());
    // A valid APIKEY does not rescue a read-only header.
    let body = multipart(
        "----b",
        &[("APIKEY", W), ("by_id", &lid), ("fld_handler", "x")],
    );
    let resp = client()
        .post(&url)
        .header(leadim_simulator::AUTH_HEADER, common::R)
        .header("content-type", "multipart/form-data; boundary=----b")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(json_200(resp).await["error"], "token lacks the write scope");
}

#[tokio::test]
async fn v1_answers_the_lead_id_or_the_code_as_text() {
    let sim = Simulator::start().await.unwrap();
    let resp = client()
        .get(format!("{}/v1/submit", sim.base_url()))
        .query(&[
            ("lm_form", FORM),
            ("lm_key", KEY),
            ("name", "יצחק אברג'יל"),
            ("phone", "0507721144"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let lid: u64 = resp
        .text()
        .await
        .unwrap()
        .trim()
        .parse()
        .expect("a bare lead id");
    assert_eq!(
        stored_lead(&sim, AID, lid).unwrap().field("שם"),
        Some("יצחק אברג'יל")
    );
    assert_eq!(last(&sim).door, Some(Door::V1));

    for (params, code) in [
        (vec![("lm_form", FORM), ("lm_key", "nope")], "-1"),
        (vec![("lm_form", "abc"), ("lm_key", KEY)], "-3"),
        (vec![("lm_form", "5999"), ("lm_key", KEY)], "-4"),
        (
            vec![("lm_form", "5002"), ("lm_key", common::DISABLED_FORM_KEY)],
            "-5",
        ),
    ] {
        let resp = client()
            .post(format!("{}/v1/submit", sim.base_url()))
            .form(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), code, "{params:?}");
    }
}

#[tokio::test]
async fn route_adv_routes_the_lead_to_the_accounts_advertisers() {
    let sim = Simulator::start().await.unwrap();
    let lid = common::dana_lid(&sim).await;
    let url = format!("{}/apiproxy/{AID}/api/lead_update.ashx", sim.base_url());
    let before = common::lookup_at(
        &common::leads_get_url(&sim, AID),
        common::R,
        common::DANA_PHONE,
    )
    .await;
    assert_eq!(
        before["data"][0]["routes_to_advertisers"],
        serde_json::json!([])
    );
    assert_eq!(before["data"][0]["adv_users"], serde_json::json!([]));
    // As api/check-pending.js does it: form-encoded, by the write-only token.
    let route = || {
        client()
            .post(&url)
            .header(leadim_simulator::AUTH_HEADER, W)
            .form(&[("by_id", lid.to_string()), ("route_adv", "true".into())])
            .send()
    };
    assert_eq!(json_200(route().await.unwrap()).await["status"], "success");
    let entry = last(&sim);
    assert!(
        !entry.has_diagnostic("route_adv"),
        "a control key, not a field: {:?}",
        entry.diagnostics
    );

    // The read token sees the routing, as the production client reads it.
    let found = common::lookup_at(
        &common::leads_get_url(&sim, AID),
        common::R,
        common::DANA_PHONE,
    )
    .await;
    let lead = &found["data"][0];
    assert_eq!(lead["lid"], lid);
    assert_eq!(
        lead["routes_to_advertisers"],
        serde_json::json!([330501, 330502])
    );
    let ids: Vec<u64> = lead["adv_users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_u64().expect("a numeric id"))
        .collect();
    assert_eq!(ids, [330501, 330502]);
    assert_eq!(lead["adv_users"][0]["name"], "מיכל אברהם");
    assert!(lead["fields"].get("route_adv").is_none());

    // "Lead already in this state" is a success; nothing changes.
    let updated_at = lead["updated_at"].clone();
    assert_eq!(json_200(route().await.unwrap()).await["status"], "success");
    let again = common::lookup_at(
        &common::leads_get_url(&sim, AID),
        common::R,
        common::DANA_PHONE,
    )
    .await;
    assert_eq!(again["data"][0]["updated_at"], updated_at);
    assert_eq!(sim.store().lead(AID, lid).unwrap().adv_users.len(), 2);
}

#[tokio::test]
async fn a_code_fault_answers_in_each_doors_shape() {
    use leadim_simulator::{AnswerFault, FaultSpec};
    let sim = Simulator::start().await.unwrap();
    sim.inject(FaultSpec::new(Endpoint::Submit, AnswerFault::Code { code: -10 }).times(2))
        .unwrap();
    let params = [("lm_form", FORM), ("lm_key", KEY), ("name", "טל")];
    let v1 = client()
        .get(format!("{}/v1/submit", sim.base_url()))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(v1.text().await.unwrap(), "-10");
    let v2 = client()
        .get(format!("{}/v2/submit", sim.base_url()))
        .query(&[("lm_redirect", "no")])
        .query(&params)
        .send()
        .await
        .unwrap();
    let answer = json_200(v2).await;
    assert_eq!(
        (answer["status"].as_str(), answer["code"].as_i64()),
        (Some("failure"), Some(-10))
    );
    let refused = sim.inject(FaultSpec::new(
        Endpoint::Submit,
        AnswerFault::Code { code: -2 },
    ));
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("not one of Lead.IM's")
    );
}

#[tokio::test]
async fn a_form_set_to_refuse_repeats_answers_minus_50_and_stores_the_phone_its_way() {
    let dataset = leadim_simulator::Dataset::embedded();
    let mut dataset = dataset;
    let form = dataset.accounts[0]
        .forms
        .iter_mut()
        .find(|f| f.lm_form == 5001)
        .unwrap();
    form.reject_duplicates_secs = Some(60);
    form.phone_format = leadim_simulator::fixtures::PhoneFormat::International;
    let sim = Simulator::builder().dataset(dataset).start().await.unwrap();
    let submit = |phone: &'static str| {
        client()
            .post(format!("{}/v1/submit", sim.base_url()))
            .form(&[
                ("lm_form", FORM),
                ("lm_key", KEY),
                ("name", "הדר"),
                ("phone", phone),
            ])
            .send()
    };
    let lid: u64 = submit("052-318-7764")
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(stored_lead(&sim, AID, lid).unwrap().phone, "972523187764");
    assert_eq!(
        submit("052-318-7764").await.unwrap().text().await.unwrap(),
        "-50"
    );
    let other: u64 = submit("0547770011")
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(stored_lead(&sim, AID, other).unwrap().phone, "972547770011");
}

#[tokio::test]
async fn the_admin_api_sets_a_form_to_refuse_repeats_and_normalise_phones() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let form_url = format!(
        "{}/__admin/accounts/{}/forms/{}",
        sim.base_url(),
        account.aid,
        account.lm_form
    );
    let patch = client()
        .patch(&form_url)
        .json(&serde_json::json!({"reject_duplicates_secs": 30, "phone_format": "local"}))
        .send()
        .await
        .unwrap();
    let answer = json_200(patch).await;
    assert_eq!(answer["reject_duplicates_secs"], 30);
    assert_eq!(answer["enabled"], true, "left out, left as it was");
    let params = [
        ("lm_form", account.lm_form.as_str()),
        ("lm_key", account.lm_key.as_str()),
        ("lm_redirect", "no"),
        ("name", "ליאת כץ"),
        ("phone", "+972-54-661-2093"),
    ];
    let send = || client().post(&account.submit_url).form(&params).send();
    let lid = json_200(send().await.unwrap()).await["result"]
        .as_u64()
        .unwrap();
    assert_eq!(
        stored_lead(&sim, account.aid, lid).unwrap().phone,
        "0546612093"
    );
    let repeat = json_200(send().await.unwrap()).await;
    assert_eq!(repeat["code"], -50, "{repeat}");
    assert!(last(&sim).has_errors());
}

#[tokio::test]
async fn a_fault_for_an_account_strikes_its_multipart_browser_submits() {
    use leadim_simulator::{AnswerFault, FaultSpec};
    let sim = Simulator::start().await.unwrap();
    sim.inject(
        FaultSpec::new(Endpoint::Submit, AnswerFault::Code { code: -999 })
            .for_account(AID)
            .times(1),
    )
    .unwrap();
    let url = format!("{}/apiproxy/global/submit.cors.v2.ashx", sim.base_url());
    let parts = [
        ("lm_form", FORM),
        ("lm_key", KEY),
        ("name", "אלה"),
        ("phone", "0501112233"),
    ];
    let resp = post_multipart(&client(), &url, None, "----f", &parts).await;
    assert_eq!(
        json_200(resp).await["code"],
        -999,
        "the form in the body names the account"
    );
    let entry = last(&sim);
    assert_eq!(entry.account, Some(AID));
    assert!(entry.fault.is_some());
}
