//! The dashboard over HTTP: the index page, the admin token as a cookie, changes
//! from another origin refused, values escaped, leads a page at a time, the
//! journal's filters. (`browser.rs` drives the same pages in a real browser.)

mod common;

use common::*;
use leadim_simulator::{SeedLead, Simulator, SimulatorHandle};
use reqwest::{Response, StatusCode, header};
use serde_json::json;

const TOKEN: &str = "dash-2026-ce1f";

async fn with_token() -> SimulatorHandle {
    Simulator::builder()
        .admin_token(Some(TOKEN.into()))
        .start()
        .await
        .unwrap()
}

fn url(sim: &SimulatorHandle, path: &str) -> String {
    format!("{}{path}", sim.base_url())
}

async fn page(sim: &SimulatorHandle, path: &str) -> (StatusCode, String) {
    let resp = client().get(url(sim, path)).send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

/// A form post to `path` from a page of `origin` (none: not from a page).
async fn post_form(
    sim: &SimulatorHandle,
    path: &str,
    origin: Option<&str>,
    fields: &[(&str, &str)],
) -> Response {
    let mut req = client().post(url(sim, path)).form(fields);
    if let Some(origin) = origin {
        req = req.header(header::ORIGIN, origin);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_change_from_another_origin_is_refused_token_or_not() {
    let sim = Simulator::start().await.unwrap();
    let own = sim.base_url().to_owned();
    for foreign in ["http://127.0.0.1:1", "null", "http://evil.example"] {
        for path in [
            "/__admin/ui/accounts",
            "/__admin/accounts",
            "/__admin/reset",
        ] {
            let resp = post_form(&sim, path, Some(foreign), &[]).await;
            assert_eq!(resp.status(), 403, "{path} from {foreign}");
            let answer = json(resp).await;
            assert_failure(
                &answer,
                "a change asked by a page of another origin is refused",
            );
        }
    }
    assert_eq!(sim.store().counts().accounts, 3, "nothing was created");
    let from_own_page = post_form(&sim, "/__admin/ui/accounts", Some(&own), &[]).await;
    assert_eq!(from_own_page.status(), 303);
    let from_curl = post_form(&sim, "/__admin/accounts", None, &[]).await;
    assert_eq!(from_curl.status(), 201);
    assert_eq!(sim.store().counts().accounts, 5);
    let read = client()
        .get(url(&sim, "/__admin/health"))
        .header(header::ORIGIN, "http://127.0.0.1:1")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200, "a read is not a change");

    let guarded = with_token().await;
    let resp = client()
        .delete(url(&guarded, "/__admin/faults"))
        .header("x-admin-token", TOKEN)
        .header(header::ORIGIN, "http://127.0.0.1:1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        403,
        "the token does not make another origin's change safe"
    );
}

#[tokio::test]
async fn the_index_page_offers_a_crm_config_unless_a_token_guards_the_accounts() {
    let open = Simulator::start().await.unwrap();
    let (status, index) = page(&open, "/").await;
    assert_eq!(status, 200);
    assert!(
        index.contains(KEY) && index.contains(RW),
        "the crmConfig of 3305"
    );
    assert!(index.contains(&format!(
        "{}/apiproxy/{AID}/api/leads_get.ashx",
        open.base_url()
    )));
    assert!(index.contains("href=\"/__admin/ui\"") && index.contains("href=\"/docs/contract.md\""));
    let (status, contract) = page(&open, "/docs/contract.md").await;
    assert_eq!(status, 200);
    assert!(contract.starts_with("# The contract leadim-sim follows"));

    let guarded = with_token().await;
    let (status, index) = page(&guarded, "/").await;
    assert_eq!(status, 200);
    for secret in [KEY, RW, R, W, TOKEN, "lm_key"] {
        assert!(!index.contains(secret), "the index shows {secret}");
    }
    assert!(index.contains("--admin-token"));
    assert!(
        guarded.journal().is_empty(),
        "the index is not a Lead.IM request"
    );
}

#[tokio::test]
async fn the_token_given_once_becomes_an_http_only_cookie_for_the_admin_surface() {
    let sim = with_token().await;
    let (status, refused) = page(&sim, "/__admin/ui/journal").await;
    assert_eq!(status, 401);
    assert!(refused.contains("name=\"token\"") && !refused.contains(RW));
    let wrong = post_form(
        &sim,
        "/__admin/ui/login",
        None,
        &[("token", "guess"), ("next", "/__admin/ui")],
    )
    .await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get(header::SET_COOKIE).is_none());
    let given = post_form(
        &sim,
        "/__admin/ui/login",
        Some(sim.base_url()),
        &[("token", TOKEN), ("next", "https://evil.example/")],
    )
    .await;
    assert_eq!(given.status(), 303);
    assert_eq!(
        given.headers()[header::LOCATION],
        "/__admin/ui",
        "only back to a page of ours"
    );
    let cookie = given.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        cookie,
        format!(
            "leadim_admin={}; Path=/__admin; HttpOnly; SameSite=Strict",
            TOKEN.replace('-', "%2D")
        )
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let with_cookie = |path: &str| client().get(url(&sim, path)).header(header::COOKIE, &pair);
    let accounts = with_cookie("/__admin/ui").send().await.unwrap();
    assert_eq!(accounts.status(), 200);
    assert!(accounts.text().await.unwrap().contains(RW));
    let journal = with_cookie("/__admin/requests?limit=1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        journal.status(),
        200,
        "the page's script reads the journal with the cookie"
    );
    let out = post_form(&sim, "/__admin/ui/logout", None, &[]).await;
    assert_eq!(
        out.headers()[header::SET_COOKIE],
        "leadim_admin=; Path=/__admin; HttpOnly; SameSite=Strict; Max-Age=0"
    );
}

#[tokio::test]
async fn every_value_is_escaped() {
    let sim = Simulator::start().await.unwrap();
    let script = "<script>alert('דנה')</script>";
    let aid = sim
        .store()
        .create_account(Some("<b>חשבון</b> & \"שות'\""))
        .aid;
    let lead: SeedLead = serde_json::from_value(json!({
        "phone": "0521234567",
        "fields": {"שם": script, "עיר": "<i>חיפה</i>", "הודעה": "<img src=x onerror=alert(1)>"}
    }))
    .unwrap();
    sim.store().seed_leads(aid, vec![lead]).unwrap();
    for path in [
        format!("/__admin/ui?after={}", aid - 1),
        format!("/__admin/ui/accounts/{aid}"),
    ] {
        let (status, html) = page(&sim, &path).await;
        assert_eq!(status, 200, "{path}");
        for raw in ["<script>alert", "<img src=x", "<b>חשבון", "<i>חיפה"] {
            assert!(!html.contains(raw), "{path} has {raw} unescaped");
        }
        assert!(
            html.contains("&#60;b&#62;חשבון&#60;/b&#62;") || html.contains("&lt;b&gt;חשבון"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_accounts_leads_come_a_page_at_a_time_the_last_stored_first() {
    let sim = Simulator::start().await.unwrap();
    let aid = sim.create_account().aid;
    let leads: Vec<SeedLead> = (1..=120)
        .map(|i| {
            serde_json::from_value(json!({
                "phone": format!("05212{i:05}"),
                "fields": {"שם": format!("ליד מספר {i}"), "עיר": "חיפה"}
            }))
            .unwrap()
        })
        .collect();
    let lids = sim.store().seed_leads(aid, leads).unwrap();
    let rows = |html: &str| html.matches(&format!("<a href=\"/a/{aid}/leads/")).count();
    let (_, first) = page(&sim, &format!("/__admin/ui/accounts/{aid}")).await;
    assert_eq!(rows(&first), 50);
    let newest = first
        .find("ליד מספר 120")
        .expect("the last stored on the first page");
    assert!(newest < first.find("ליד מספר 71").unwrap());
    assert!(!first.contains("ליד מספר 70<"));
    assert!(first.contains(&format!("href=\"/a/{aid}/leads/{}\"", lids[119])));
    assert!(first.contains("?before=70\">Older leads"));
    let (_, second) = page(&sim, &format!("/__admin/ui/accounts/{aid}?before=70")).await;
    assert_eq!(rows(&second), 50);
    assert!(second.contains("ליד מספר 70<") && second.contains("ליד מספר 21<"));
    let (_, last) = page(&sim, &format!("/__admin/ui/accounts/{aid}?before=20")).await;
    assert_eq!(rows(&last), 20);
    assert!(!last.contains("Older leads"), "the last page");
    let (status, _) = page(&sim, "/__admin/ui/accounts/777").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_journal_filters_by_endpoint_and_by_diagnostics() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let http = client();
    lookup(&http, &account, DANA_PHONE).await;
    submit_lid(
        &http,
        &account,
        &[("name", "דנה כהן"), ("phone", DANA_PHONE)],
    )
    .await;
    submit_lid(
        &http,
        &account,
        &[
            ("name", "יוסי לוי"),
            ("phone", "0547654321"),
            ("fld_pet", "כלב"),
        ],
    )
    .await;
    let (_, favicon) = page(&sim, "/favicon.ico").await;
    assert!(favicon.is_empty());
    let read = |query: &str| {
        let http = http.clone();
        let url = url(&sim, &format!("/__admin/requests?{query}"));
        async move { json(http.get(url).send().await.unwrap()).await }
    };
    let submits = read("endpoint=submit").await;
    assert_eq!(submits["entries"].as_array().unwrap().len(), 2);
    let noted = read("endpoint=submit&with_diagnostics=true").await;
    let noted = noted["entries"].as_array().unwrap();
    assert_eq!(noted.len(), 1);
    let params = noted[0]["params"].as_array().unwrap();
    assert!(params.contains(&json!(["name", "יוסי לוי"])), "{params:?}");
    let all = read("").await;
    assert_eq!(
        all["entries"].as_array().unwrap().len(),
        3,
        "no favicon in the journal"
    );
    let bad = http
        .get(url(&sim, "/__admin/requests?endpoint=leads"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_fault_the_form_cannot_add_is_shown_with_the_reason() {
    let sim = Simulator::start().await.unwrap();
    let resp = post_form(
        &sim,
        "/__admin/ui/faults",
        Some(sim.base_url()),
        &[
            ("endpoint", "submit"),
            ("kind", "status"),
            ("status", "200"),
            ("trigger", "always"),
            ("when", "before"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(html.contains("status 200 is not an error status"), "{html}");
    assert!(sim.faults().is_empty());
    let added = post_form(
        &sim,
        "/__admin/ui/faults",
        None,
        &[
            ("endpoint", "get"),
            ("kind", "close"),
            ("trigger", "next"),
            ("count", "2"),
            ("when", "after"),
            ("account", "4410"),
        ],
    )
    .await;
    assert_eq!(added.status(), 303);
    let faults = sim.faults();
    assert_eq!(faults.len(), 1);
    assert_eq!(
        serde_json::to_value(&faults[0].spec).unwrap(),
        json!({"account": 4410, "endpoint": "get", "fault": {"kind": "close"}, "when": "after", "next": 2})
    );
}
