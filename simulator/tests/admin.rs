//! The simulator's own admin surface under `/__admin/`: health, accounts and their
//! crmConfig, seeding and listing leads, enabling and disabling, the journal (filters
//! and bounds), reset and the divergence report.

mod common;

use common::*;
use leadim_simulator::{AccountConfig, JournalFilter, Simulator, SimulatorHandle, contract};
use serde_json::{Value, json};

fn admin(sim: &SimulatorHandle, path: &str) -> String {
    format!("{}/__admin/{path}", sim.base_url())
}

async fn get(url: &str) -> (u16, Value) {
    let resp = client().get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, json(resp).await)
}

async fn send_json(method: reqwest::Method, url: &str, body: &Value) -> (u16, Value) {
    let resp = client()
        .request(method, url)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, json(resp).await)
}

#[tokio::test]
async fn health_is_ready_and_counts_accounts_and_leads() {
    let sim = Simulator::start().await.unwrap();
    let (status, health) = get(&admin(&sim, "health")).await;
    assert_eq!(status, 200);
    assert_eq!(
        health,
        json!({"status": "ready", "accounts": 3, "leads": FIXTURE_LEADS, "phone_match": "exact"})
    );
    let account = sim.create_account();
    submit_lid(
        &client(),
        &account,
        &[("name", "הילה דוד"), ("phone", "0541212123")],
    )
    .await;
    let (_, health) = get(&admin(&sim, "health")).await;
    assert_eq!(health["accounts"], 4);
    assert_eq!(health["leads"], FIXTURE_LEADS + 1);
    assert!(
        sim.journal().iter().all(|e| !e.path.contains("__admin")),
        "admin calls are not journaled"
    );
}

#[tokio::test]
async fn a_created_account_answers_a_crm_config_whose_urls_work() {
    let sim = Simulator::start().await.unwrap();
    let resp = client().post(admin(&sim, "accounts")).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let config = json(resp).await;
    assert_crm_config_keys(&sim, &config);
    let account: AccountConfig = serde_json::from_value(config).unwrap();
    let tokens = [&account.token, &account.read_token, &account.write_token];
    assert!(tokens[0] != tokens[1] && tokens[1] != tokens[2] && tokens[0] != tokens[2]);

    // Submit through submitUrl with the config's form and key.
    let lid = submit_lid(
        &client(),
        &account,
        &[("name", "מיכאל רוזנטל"), ("phone", "0529876543")],
    )
    .await;
    assert_the_tokens_have_their_scopes(&account, lid).await;
    assert_eq!(
        stored_lead(&sim, account.aid, lid).unwrap().field("מטפל"),
        Some("נטע")
    );
    // The deep link.
    let page = client()
        .get(format!("{}/a/{}/leads/{lid}", account.ui_url, account.aid))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_the_standard_field_set(&sim, account.aid).await;
}

/// A crmConfig as JSON: every key, camelCase but for `lm_form` and `lm_key`, and URLs
/// of this simulator.
fn assert_crm_config_keys(sim: &SimulatorHandle, config: &Value) {
    let keys: Vec<&str> = config
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "aid",
        "lm_form",
        "lm_key",
        "token",
        "readToken",
        "writeToken",
        "getCustomerDetailsUrl",
        "leadGetUrl",
        "updateUrl",
        "submitUrl",
        "uiUrl",
        "nameField",
        "onlyDisplayData",
    ] {
        assert!(keys.contains(&key), "crmConfig has {key}: {config}");
    }
    assert!(
        !keys
            .iter()
            .any(|k| k.contains('_') && !k.starts_with("lm_")),
        "camelCase: {keys:?}"
    );
    assert!(
        config["lm_form"].is_string(),
        "lm_form is text, as in Texter's crmConfig"
    );
    assert_eq!(config["nameField"], "שם");
    assert_eq!(config["onlyDisplayData"], false);
    let aid = config["aid"].as_u64().unwrap();
    let s = |k: &str| config[k].as_str().unwrap().to_owned();
    assert_eq!(s("getCustomerDetailsUrl"), leads_get_url(sim, aid));
    assert_eq!(s("updateUrl"), update_url(sim, aid));
    assert_eq!(s("submitUrl"), submit_url(sim));
}

/// Lead `lid` of `account` is found with the read+write and the read-only tokens, not
/// the write-only one; the write-only token updates it (its handler to נטע) and the
/// read-only one may not.
async fn assert_the_tokens_have_their_scopes(account: &AccountConfig, lid: u64) {
    let url = &account.get_customer_details_url;
    for token in [&account.token, &account.read_token] {
        assert_eq!(lids(&lookup_at(url, token, "0529876543").await), vec![lid]);
    }
    assert_failure(
        &lookup_at(url, &account.write_token, "0529876543").await,
        "token lacks the read scope",
    );
    assert_eq!(
        lead_get_at(&account.lead_get_url, &account.read_token, &lid.to_string()).await["data"][0]
            ["lid"],
        lid
    );
    assert_eq!(
        update_form(
            &account.update_url,
            &account.write_token,
            &[("by_id", &lid.to_string()), ("מטפל", "נטע")]
        )
        .await,
        json!({"status": "success"})
    );
    assert_failure(
        &update_form(
            &account.update_url,
            &account.read_token,
            &[("by_id", &lid.to_string()), ("מטפל", "x")],
        )
        .await,
        "token lacks the write scope",
    );
}

/// A created account has one enabled form with the standard field set, and one lead.
async fn assert_the_standard_field_set(sim: &SimulatorHandle, aid: u64) {
    let (_, listed) = get(&admin(sim, &format!("accounts/{aid}"))).await;
    let fields = &listed["forms"][0]["fields"];
    for (key, name) in [
        ("name", "שם"),
        ("fld_phone", "טלפון"),
        ("fld_email", "דוא\"ל"),
        ("fld_message", "הודעה"),
        ("chat_url", "קישור לצ'אט"),
        ("fld_city", "עיר"),
        ("fld_handler", "מטפל"),
        ("fld_status", "סטטוס"),
    ] {
        assert_eq!(fields[key], name, "{key}");
    }
    assert_eq!(listed["forms"][0]["enabled"], true);
    assert_eq!(listed["leads"], 1);
}

#[tokio::test]
async fn an_account_may_be_created_with_a_hebrew_name_and_bad_bodies_are_refused() {
    let sim = Simulator::start().await.unwrap();
    let (status, config) = send_json(
        reqwest::Method::POST,
        &admin(&sim, "accounts"),
        &json!({"name": "מספרת רותי"}),
    )
    .await;
    assert_eq!(status, 201);
    let (_, account) = get(&admin(&sim, &format!("accounts/{}", config["aid"]))).await;
    assert_eq!(account["name"], "מספרת רותי");
    assert_eq!(account["enabled"], true);

    let (status, answer) = send_json(
        reqwest::Method::POST,
        &admin(&sim, "accounts"),
        &json!({"nmae": "x"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_failure(&answer, "invalid JSON body");
    assert_eq!(
        sim.store().counts().accounts,
        4,
        "a refused body creates nothing"
    );
}

#[tokio::test]
async fn the_account_list_shows_forms_and_tokens_in_the_clear() {
    let sim = Simulator::start().await.unwrap();
    let created = sim.create_account();
    let (status, list) = get(&admin(&sim, "accounts")).await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap();
    let aids: Vec<u64> = list.iter().map(|a| a["aid"].as_u64().unwrap()).collect();
    assert_eq!(aids, vec![3305, 4410, 7720, created.aid]);

    let shamir = &list[0];
    assert_eq!(shamir["name"], "שמיר סוכנות לביטוח בע\"מ");
    assert_eq!(shamir["enabled"], true);
    assert_eq!(shamir["leads"], 30);
    assert_eq!(
        shamir["tokens"],
        json!([
            {"token": "U-d5f9403e30b5281d.6484eb0eaa3c4f85", "scopes": ["read", "write"]},
            {"token": "U-dea50575670d43f1.14b495e59157e708", "scopes": ["read"]},
            {"token": "U-c1d6452b6f5a0cfb.1f2e00d9e5381855", "scopes": ["write"]}
        ])
    );
    let forms = shamir["forms"].as_array().unwrap();
    assert_eq!(forms[0]["lm_form"], 5001);
    assert_eq!(forms[0]["lm_key"], KEY);
    assert_eq!(forms[0]["enabled"], true);
    assert_eq!(forms[0]["thank_you_url"], THANK_YOU_5001);
    assert_eq!(forms[1]["lm_form"], 5002);
    assert_eq!(forms[1]["enabled"], false);
    assert_eq!(list[1]["forms"][0]["fields"]["fld_179820"], "תקציב");
    assert_eq!(list[2]["enabled"], false, "7720 is disabled");
    let mine = &list[3];
    let tokens: Vec<&str> = mine["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["token"].as_str().unwrap())
        .collect();
    assert_eq!(
        tokens,
        [
            created.token.as_str(),
            &created.read_token,
            &created.write_token
        ]
    );

    let (status, answer) = get(&admin(&sim, "accounts/1234")).await;
    assert_eq!(status, 404);
    assert_failure(&answer, "account 1234 not found");
    let (status, _) = get(&admin(&sim, "accounts/abc")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn leads_can_be_seeded_and_listed() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let url = admin(&sim, &format!("accounts/{}/leads", account.aid));
    let (status, seeded) = send_json(
        reqwest::Method::POST,
        &url,
        &json!([
            {
                "created_at": "2026-01-10T10:00:00Z",
                "phone": "972501234000",
                "fields": {"שם": "אלון מזרחי", "עיר": "נתניה", "מטפל": "דורית"},
                "utm_source": "google"
            },
            {
                "status_id": 2,
                "is_disrupted": true,
                "fields": {"שם": "ענבל קליין", "טלפון": "050-123-4001", "הודעה": "מחפשת דירת 3 חדרים\nבמרכז"}
            }
        ]),
    )
    .await;
    assert_eq!(status, 201, "{seeded}");
    let new: Vec<u64> = seeded["lids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_u64().unwrap())
        .collect();
    assert_eq!(new.len(), 2);
    assert!(new[1] > new[0]);

    let (status, listed) = get(&url).await;
    assert_eq!(status, 200);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["lid"], new[0]);
    assert_eq!(listed[0]["created_at"], "2026-01-10T10:00:00Z");
    assert_eq!(
        listed[0]["fields"]["טלפון"], "972501234000",
        "the phone is a field too"
    );
    assert_eq!(listed[0]["utm_source"], "google");
    assert_eq!(listed[1]["phone"], "050-123-4001");
    assert_eq!(listed[1]["status_id"], 2);
    assert_eq!(listed[1]["fields"]["הודעה"], "מחפשת דירת 3 חדרים\nבמרכז");
    // Seeded leads are found like submitted ones.
    assert_eq!(lookup_lids(&account, "050-123-4001").await, vec![new[1]]);

    // A field the form does not have: 422 naming it, and nothing of the batch stored.
    let (status, answer) = send_json(
        reqwest::Method::POST,
        &url,
        &json!([
            {"fields": {"שם": "תקין", "טלפון": "0500000001"}},
            {"fields": {"שם": "גדי", "גיל": "42"}}
        ]),
    )
    .await;
    assert_eq!(status, 422);
    assert_failure(&answer, "leads[1]");
    assert_failure(&answer, "'גיל' is not a field of form");
    assert_eq!(lead_count(&sim, account.aid), 2);
    assert!(lookup_lids(&account, "0500000001").await.is_empty());

    let (status, answer) = send_json(
        reqwest::Method::POST,
        &url,
        &json!([{"phone": "1", "fields": {"טלפון": "2"}}]),
    )
    .await;
    assert_eq!(status, 422);
    assert_failure(&answer, "differs");
    let (status, _) = send_json(reqwest::Method::POST, &url, &json!({"not": "a list"})).await;
    assert_eq!(status, 400);
    let (status, answer) = get(&admin(&sim, "accounts/1234/leads")).await;
    assert_eq!(status, 404, "{answer}");
}

#[tokio::test]
async fn disabling_a_form_or_an_account_through_the_admin_api_takes_effect_at_once() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let form_url = admin(
        &sim,
        &format!("accounts/{}/forms/{}", account.aid, account.lm_form),
    );
    let (status, answer) = send_json(
        reqwest::Method::PATCH,
        &form_url,
        &json!({"enabled": false}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["enabled"], false);
    let refused = submit_json(
        &sim,
        &account.lm_form,
        &account.lm_key,
        &[("name", "טל"), ("phone", "0523456789")],
    )
    .await;
    assert_eq!(refused["code"], -5);
    assert_failure(&refused, &format!("form {} is disabled", account.lm_form));

    send_json(reqwest::Method::PATCH, &form_url, &json!({"enabled": true})).await;
    submit_lid(
        &client(),
        &account,
        &[("name", "טל"), ("phone", "0523456789")],
    )
    .await;

    // Another account's form through this account's URL is not found.
    let (status, _) = send_json(
        reqwest::Method::PATCH,
        &admin(&sim, &format!("accounts/{}/forms/5001", account.aid)),
        &json!({"enabled": false}),
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        submit_ok(&sim, FORM, KEY, &[("phone", "0500000000")]).await > 0,
        "5001 untouched"
    );
    let (status, _) = send_json(reqwest::Method::PATCH, &form_url, &json!({"enabled": "no"})).await;
    assert_eq!(status, 400);

    // The whole account.
    let (status, _) = send_json(
        reqwest::Method::PATCH,
        &admin(&sim, &format!("accounts/{}", account.aid)),
        &json!({"enabled": false}),
    )
    .await;
    assert_eq!(status, 200);
    let refused = submit_json(
        &sim,
        &account.lm_form,
        &account.lm_key,
        &[("phone", "0523456789")],
    )
    .await;
    assert_eq!(refused["code"], -8);
    assert_failure(
        &lookup_at(
            &account.get_customer_details_url,
            &account.token,
            "0523456789",
        )
        .await,
        &format!("account {} is disabled", account.aid),
    );
    assert_eq!(lead_count(&sim, account.aid), 1);
}

#[tokio::test]
async fn the_journal_is_filtered_by_account_and_path() {
    let sim = Simulator::start().await.unwrap();
    let a = sim.create_account();
    let b = sim.create_account();
    submit_lid(&client(), &a, &[("name", "רון"), ("phone", "0501110001")]).await;
    lookup_lids(&a, "0501110001").await;
    lookup_lids(&a, "0501110002").await;
    submit_lid(&client(), &b, &[("name", "גלי"), ("phone", "0501110003")]).await;
    lookup_lids(&b, "0501110003").await;

    let (status, page) = get(&format!("{}?account={}", admin(&sim, "requests"), a.aid)).await;
    assert_eq!(status, 200);
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e["account"] == a.aid));
    assert!(entries[0]["path"] == "/v2/submit");
    assert_eq!(entries[1]["params"], json!([["by_phone", "0501110001"]]));

    let (_, page) = get(&format!(
        "{}?account={}&path=LEADS_GET",
        admin(&sim, "requests"),
        a.aid
    ))
    .await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    let (_, page) = get(&format!("{}?path=submit", admin(&sim, "requests"))).await;
    let accounts: Vec<&Value> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["account"])
        .collect();
    assert_eq!(accounts, [&json!(a.aid), &json!(b.aid)]);
    let (_, page) = get(&format!("{}?limit=2", admin(&sim, "requests"))).await;
    let ids: Vec<u64> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2], "the oldest two, oldest first");
    assert_eq!(
        (page["next_since"].as_u64(), page["more"].as_bool()),
        (Some(2), Some(true))
    );
    let (_, page) = get(&format!("{}?since=3", admin(&sim, "requests"))).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    let (status, answer) = get(&format!("{}?account=abc", admin(&sim, "requests"))).await;
    assert_eq!(status, 400);
    assert_failure(&answer, "account must be a number");

    // The handle's door gives the same.
    let filtered = sim.requests(&JournalFilter {
        account: Some(b.aid),
        path: Some("leads_get".into()),
        ..Default::default()
    });
    assert_eq!(filtered.entries.len(), 1);
    assert_eq!(filtered.entries[0].param("by_phone"), Some("0501110003"));
    assert_eq!(sim.journal_for(b.aid).len(), 2);

    let resp = client()
        .delete(admin(&sim, "requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(sim.journal().is_empty());
}

#[tokio::test]
async fn the_journal_keeps_its_bound_and_counts_what_it_dropped() {
    let sim = Simulator::builder()
        .journal_limits(10, 1 << 20)
        .start()
        .await
        .unwrap();
    for i in 0..25 {
        lookup_at(&leads_get_url(&sim, AID), R, &format!("05000000{i:02}")).await;
    }
    let page = sim.requests(&JournalFilter::default());
    assert_eq!(page.entries.len(), 10);
    assert_eq!(page.dropped, 15);
    assert_eq!(page.max_entries, 10);
    let ids: Vec<u64> = page.entries.iter().map(|e| e.id).collect();
    assert_eq!(ids, (16..=25).collect::<Vec<_>>(), "the oldest went first");
    assert_eq!(page.entries[9].param("by_phone"), Some("0500000024"));
    let (_, over_http) = get(&admin(&sim, "requests")).await;
    assert_eq!(over_http["dropped"], 15);
    assert_eq!(over_http["entries"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn reset_brings_the_fixtures_back_and_lead_ids_keep_increasing() {
    let sim = Simulator::start().await.unwrap();
    let before = submit_ok(
        &sim,
        FORM,
        KEY,
        &[("name", "זמני"), ("phone", "0509990001")],
    )
    .await;
    let created = sim.create_account();
    submit_lid(&client(), &created, &[("phone", "0509990002")]).await;
    send_json(
        reqwest::Method::PATCH,
        &admin(&sim, "accounts/3305/forms/5001"),
        &json!({"enabled": false}),
    )
    .await;

    let resp = client().post(admin(&sim, "reset")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        json(resp).await,
        json!({"status": "reset", "accounts": 3, "leads": FIXTURE_LEADS})
    );
    assert!(sim.journal().is_empty(), "the journal is cleared");

    assert!(lids(&lookup_at(&leads_get_url(&sim, AID), RW, "0509990001").await).is_empty());
    assert_eq!(lead_count(&sim, AID), 30);
    assert!(
        sim.store().account(created.aid).is_none(),
        "created accounts are gone"
    );
    assert_failure(
        &lookup_at(
            &created.get_customer_details_url,
            &created.token,
            "0509990002",
        )
        .await,
        "invalid token",
    );
    assert_eq!(
        lids(&lookup_at(&leads_get_url(&sim, AID), RW, DANA_PHONE).await).len(),
        1,
        "fixtures are back"
    );

    let after = submit_ok(
        &sim,
        FORM,
        KEY,
        &[("name", "אחרי"), ("phone", "0509990003")],
    )
    .await;
    assert!(
        after > before,
        "5001 is enabled again and ids keep increasing: {after} > {before}"
    );

    // The handle's door.
    sim.reset().unwrap();
    assert!(stored_lead(&sim, AID, after).is_none());
    assert!(sim.journal().is_empty());
    assert!(submit_ok(&sim, FORM, KEY, &[("phone", "0509990004")]).await > after);
}

#[tokio::test]
async fn a_crm_config_from_before_a_reset_never_reaches_an_account_created_after_it() {
    let sim = Simulator::start().await.unwrap();
    let old = sim.create_account();
    sim.reset().unwrap();
    let new = sim.create_account();
    assert_ne!(new.aid, old.aid);
    assert_ne!(new.token, old.token);
    let lid = submit_lid(
        &client(),
        &new,
        &[("name", "לקוח חדש"), ("phone", "0521110000")],
    )
    .await;
    assert_failure(
        &lookup_at(&old.get_customer_details_url, &old.token, "0521110000").await,
        "invalid token",
    );
    assert_failure(
        &lead_get_at(&new.lead_get_url, &old.token, &lid.to_string()).await,
        "invalid token",
    );
    let refused = submit_json(&sim, &old.lm_form, &old.lm_key, &[("phone", "0521110001")]).await;
    assert_eq!(refused["status"], "failure", "{refused}");
    assert_eq!(lead_count(&sim, new.aid), 1);
}

#[tokio::test]
async fn the_divergence_report_lists_every_modeled_rule() {
    let sim = Simulator::start().await.unwrap();
    let (status, report) = get(&admin(&sim, "divergences")).await;
    assert_eq!(status, 200);
    let rules = report["modeled"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = contract::MODELED.iter().map(|r| r.id).collect();
    assert_eq!(ids, expected);
    for id in [
        "M2-cut-diagnostic",
        "M3-redirect",
        "M4-decode-failure",
        "M5-lookup-failures",
        "M6-update-json",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    for rule in rules {
        assert!(!rule["area"].as_str().unwrap().is_empty());
        assert!(rule["rule"].as_str().unwrap().len() > 20);
    }
}

#[tokio::test]
async fn admin_routes_answer_405_with_allow_and_404_for_unknown_ones() {
    let sim = Simulator::start().await.unwrap();
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "accounts", "GET, POST"),
        (reqwest::Method::GET, "reset", "POST"),
        (reqwest::Method::POST, "health", "GET"),
        (reqwest::Method::PUT, "requests", "GET, DELETE"),
    ] {
        let resp = client()
            .request(method.clone(), admin(&sim, path))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405, "{method} {path}");
        assert_eq!(resp.headers()["allow"], allow, "{method} {path}");
        assert_failure(&json(resp).await, "not allowed");
    }
    let (status, _) = get(&admin(&sim, "nothing-here")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_admin_token_guards_every_admin_route() {
    let sim = Simulator::builder()
        .admin_token(Some("s3cret-2026".into()))
        .start()
        .await
        .unwrap();
    let http = client();
    let admin = |path: &str| format!("{}/__admin/{path}", sim.base_url());
    for path in ["health", "accounts", "requests", "divergences", "faults"] {
        let resp = http.get(admin(path)).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        assert!(resp.text().await.unwrap().contains("X-Admin-Token"));
    }
    let wrong = http
        .get(admin("health"))
        .header("X-Admin-Token", "s3cret-2025")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let reset = http.post(admin("reset")).send().await.unwrap();
    assert_eq!(reset.status(), 401);

    let ok = http
        .get(admin("health"))
        .bearer_auth("s3cret-2026")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // The scheme's name is case-insensitive (RFC 9110); another scheme is not a
    // bearer token.
    for (authorization, status) in [
        ("bearer s3cret-2026", 200),
        ("BEARER   s3cret-2026", 200),
        ("Basic s3cret-2026", 401),
        ("Bearers3cret-2026", 401),
    ] {
        let resp = http
            .get(admin("health"))
            .header("Authorization", authorization)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{authorization}");
    }
    let ok = http
        .get(admin("accounts"))
        .header("X-Admin-Token", "s3cret-2026")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // The Lead.IM API itself is not behind the admin token.
    let lookup = lookup_response(
        &http,
        &shamir_at(sim.base_url()).get_customer_details_url,
        RW,
        DANA_PHONE,
    )
    .await;
    assert_eq!(lookup.status(), 200);
}
