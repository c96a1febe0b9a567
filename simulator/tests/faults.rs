//! Fault injection: each kind, before and after the handler, scoped by account and
//! endpoint, counted, journaled, and set through both doors (handle and admin API).

mod common;

use common::{client, lead_count, lookup_request, lookup_response, submit_get_request};
use leadim_simulator::faults::{AnswerFault, Endpoint, FaultError, FaultKind, FaultSpec, When};
use leadim_simulator::{AccountConfig, Simulator, SimulatorHandle};
use std::time::{Duration, Instant};

/// Submits a lead by GET with `lm_redirect=no`, giving up after two seconds: a fault
/// may leave it without an answer.
async fn submit(
    account: &AccountConfig,
    name: &str,
    phone: &str,
) -> reqwest::Result<reqwest::Response> {
    let params = [("lm_redirect", "no"), ("name", name), ("phone", phone)];
    submit_get_request(&client(), account, &params)
        .timeout(Duration::from_secs(2))
        .send()
        .await
}

/// Cuts the body of the next answer to a submit of `account`, after its handler.
fn truncate_the_next_submit_answer(sim: &SimulatorHandle, account: &AccountConfig) {
    sim.inject(
        FaultSpec::new(Endpoint::Submit, AnswerFault::Truncated)
            .for_account(account.aid)
            .after_handler()
            .times(1),
    )
    .unwrap();
}

#[tokio::test]
async fn status_faults_answer_their_status_and_retry_after() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    sim.inject(
        FaultSpec::new(
            Endpoint::Submit,
            AnswerFault::Status {
                status: 429,
                retry_after: Some(7),
            },
        )
        .for_account(account.aid)
        .times(1),
    )
    .unwrap();
    let resp = submit(&account, "נועה ברק", "0527001122").await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_eq!(
        lead_count(&sim, account.aid),
        0,
        "before the handler: nothing stored"
    );

    // Used up after one: the next request goes through.
    let resp = submit(&account, "נועה ברק", "0527001122").await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(lead_count(&sim, account.aid), 1);

    let journal = sim.journal_for(account.aid);
    assert_eq!(journal.len(), 2);
    let fault = journal[0].fault.as_deref().unwrap();
    assert!(fault.contains("status 429 with Retry-After 7"), "{fault}");
    assert!(fault.contains("nothing stored"), "{fault}");
    assert_eq!(journal[0].status, 429);
    assert_eq!(
        journal[0].param("name"),
        Some("נועה ברק"),
        "parameters are journaled"
    );
    assert!(journal[1].fault.is_none());
    let listed = sim.faults();
    assert_eq!(
        (listed[0].matched, listed[0].fired, listed[0].exhausted),
        (1, 1, true)
    );
}

#[tokio::test]
async fn after_the_handler_the_lead_is_stored_but_the_answer_lost() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    for (kind, check) in [
        (
            AnswerFault::Status {
                status: 502,
                retry_after: None,
            },
            "502",
        ),
        (AnswerFault::HtmlError, "html"),
        (AnswerFault::MalformedJson, "json"),
        (
            AnswerFault::Envelope {
                message: "שגיאה זמנית".into(),
            },
            "envelope",
        ),
    ] {
        let id = sim
            .inject(
                FaultSpec::new(Endpoint::Submit, kind)
                    .for_account(account.aid)
                    .after_handler()
                    .times(1),
            )
            .unwrap();
        let before = lead_count(&sim, account.aid);
        let resp = submit(&account, "אבי גולן", "054-700-3344").await.unwrap();
        let status = resp.status().as_u16();
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
        let body = resp.text().await.unwrap();
        match check {
            "502" => assert_eq!(status, 502),
            "html" => {
                assert_eq!(status, 500);
                assert!(content_type.starts_with("text/html"));
                assert!(body.contains("500 - Internal server error."));
            }
            "json" => {
                assert_eq!(status, 200);
                assert!(
                    serde_json::from_str::<serde_json::Value>(&body).is_err(),
                    "{body}"
                );
            }
            _ => {
                assert_eq!(status, 200);
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert_eq!(v["status"], "failure");
                assert_eq!(v["error"], "שגיאה זמנית");
            }
        }
        assert_eq!(
            lead_count(&sim, account.aid),
            before + 1,
            "{check}: stored anyway"
        );
        let last = sim.journal_for(account.aid).pop().unwrap();
        assert!(
            last.fault
                .as_deref()
                .unwrap()
                .contains(&format!("fault #{id}")),
            "{check}"
        );
        assert!(last.fault.as_deref().unwrap().contains("the answer lost"));
    }
}

#[tokio::test]
async fn connection_faults_leave_the_client_without_an_answer() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    for kind in [AnswerFault::Close, AnswerFault::Reset] {
        sim.inject(
            FaultSpec::new(Endpoint::Submit, kind.clone())
                .for_account(account.aid)
                .times(1),
        )
        .unwrap();
        let err = submit(&account, "מיכל אברהם", "0501234000")
            .await
            .expect_err("no answer");
        assert!(!err.is_timeout(), "{kind:?}: {err}");
    }
    assert_eq!(lead_count(&sim, account.aid), 0);
    let journal = sim.journal_for(account.aid);
    assert_eq!(journal[0].status, 0);
    assert_eq!(journal[0].answer, "(no answer: connection closed)");
    assert_eq!(journal[1].answer, "(no answer: connection reset)");
    // The server answers the next request normally.
    assert_eq!(
        submit(&account, "מיכל אברהם", "0501234000")
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn a_truncated_body_fails_to_read() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    truncate_the_next_submit_answer(&sim, &account);
    let resp = submit(&account, "יואב מזרחי", "0531112233").await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text().await.is_err(),
        "the body must not read completely"
    );
    assert_eq!(lead_count(&sim, account.aid), 1);
    let entry = sim.journal_for(account.aid).pop().unwrap();
    assert!(entry.answer.contains("(cut:"), "{}", entry.answer);
}

#[tokio::test]
async fn hang_lasts_until_the_client_gives_up_and_latency_delays() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let http = client();
    let lookup = |timeout_ms| {
        lookup_request(
            &http,
            &account.get_customer_details_url,
            &account.token,
            "0529998877",
        )
        .timeout(Duration::from_millis(timeout_ms))
        .send()
    };
    sim.inject(
        FaultSpec::new(Endpoint::Lookup, AnswerFault::Hang)
            .for_account(account.aid)
            .times(1),
    )
    .unwrap();
    let err = lookup(300).await.expect_err("hangs");
    assert!(err.is_timeout(), "{err}");

    sim.inject(
        FaultSpec::new(Endpoint::Lookup, FaultKind::Latency { ms: 250 })
            .for_account(account.aid)
            .times(1),
    )
    .unwrap();
    let started = Instant::now();
    let resp = lookup(5_000).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(resp.status(), 200);
    // Shutdown is not held up by the hanging request.
    let stopping = Instant::now();
    sim.shutdown().await;
    assert!(stopping.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn faults_are_scoped_to_their_account_and_endpoint() {
    let sim = Simulator::start().await.unwrap();
    let (a, b) = (sim.create_account(), sim.create_account());
    sim.inject(
        FaultSpec::new(
            Endpoint::Submit,
            AnswerFault::Status {
                status: 503,
                retry_after: None,
            },
        )
        .for_account(a.aid),
    )
    .unwrap();
    assert_eq!(submit(&a, "שרה", "0501000001").await.unwrap().status(), 503);
    assert_eq!(submit(&b, "שרה", "0501000001").await.unwrap().status(), 200);
    let lookup = lookup_response(
        &client(),
        &a.get_customer_details_url,
        &a.token,
        "0501000001",
    )
    .await;
    assert_eq!(lookup.status(), 200, "the fault is on submit only");
    sim.clear_faults();
    assert_eq!(submit(&a, "שרה", "0501000001").await.unwrap().status(), 200);
}

#[tokio::test]
async fn nth_and_seeded_probability() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let spec = FaultSpec::new(
        Endpoint::Submit,
        AnswerFault::Status {
            status: 500,
            retry_after: None,
        },
    )
    .for_account(account.aid)
    .nth(3);
    sim.inject(spec).unwrap();
    let mut statuses = Vec::new();
    for i in 0..5 {
        let resp = submit(&account, "דוד", &format!("05000000{i:02}"))
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 500, 200, 200]);

    // The same seed fails the same requests in two runs.
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sim = Simulator::start().await.unwrap();
        let account = sim.create_account();
        let spec = FaultSpec::new(
            Endpoint::Submit,
            AnswerFault::Status {
                status: 503,
                retry_after: None,
            },
        )
        .probability(0.5, 2026);
        sim.inject(spec).unwrap();
        let mut run = Vec::new();
        for i in 0..20 {
            run.push(
                submit(&account, "רון", &format!("05200000{i:02}"))
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
            );
        }
        runs.push(run);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&503) && runs[0].contains(&200),
        "{:?}",
        runs[0]
    );
}

#[tokio::test]
async fn the_admin_api_sets_lists_and_clears_faults() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let http = client();
    let url = format!("{}/__admin/faults", sim.base_url());
    let created: serde_json::Value = http
        .post(&url)
        .json(&serde_json::json!({
            "account": account.aid, "endpoint": "update",
            "fault": {"kind": "status", "status": 503, "retry_after": 3},
            "when": "before", "next": 2
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_u64().unwrap();
    let listed: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["faults"][0]["id"], id);
    assert_eq!(listed["faults"][0]["spec"]["endpoint"], "update");
    assert_eq!(sim.faults()[0].spec.when, When::Before);

    let refused = http
        .post(&url)
        .json(&serde_json::json!({"fault": {"kind": "status", "status": 200}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("not an error status")
    );
    let unknown_kind = http
        .post(&url)
        .json(&serde_json::json!({"fault": {"kind": "explode"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_kind.status(), 400);

    let deleted = http.delete(format!("{url}/{id}")).send().await.unwrap();
    assert_eq!(deleted.status(), 200);
    assert!(sim.faults().is_empty());
    assert_eq!(
        http.delete(format!("{url}/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_truncated_redirect_drops_the_connection_rather_than_losing_its_location() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    truncate_the_next_submit_answer(&sim, &account);
    let err = submit_get_request(&client(), &account, &[("name", "אלון")])
        .send()
        .await
        .expect_err("a 302 has no body to cut: no answer at all");
    assert!(!err.is_timeout(), "{err}");
    assert_eq!(
        lead_count(&sim, account.aid),
        1,
        "the lead is stored all the same"
    );
}

#[tokio::test]
async fn bad_fault_specs_are_refused_with_their_status_and_reason() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let http = client();
    let url = format!("{}/__admin/faults", sim.base_url());
    let post = |body: String| {
        let request = http
            .post(&url)
            .header("content-type", "application/json")
            .body(body);
        async move {
            let resp = request.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let refusals = [
        // Not a fault spec at all: 400.
        (r#"{"fault":"#.to_owned(), 400, "invalid JSON body"),
        (
            r#"{"fault":{"kind":"explode"}}"#.to_owned(),
            400,
            "unknown variant `explode`",
        ),
        (
            r#"{"fault":{"kind":"close"},"every":2}"#.to_owned(),
            400,
            "unknown field `every`",
        ),
        // A spec that reads but is refused: 422, with the reason.
        (
            r#"{"fault":{"kind":"close"},"next":1,"nth":2}"#.to_owned(),
            422,
            "give at most one of next, nth and probability",
        ),
        (
            r#"{"fault":{"kind":"status","status":200}}"#.to_owned(),
            422,
            "status 200 is not an error status",
        ),
        (
            r#"{"endpoint":"lead_page","fault":{"kind":"close"}}"#.to_owned(),
            422,
            "lead_page is not faulted",
        ),
        (
            r#"{"fault":{"kind":"latency","ms":600001}}"#.to_owned(),
            422,
            "latency 600001 ms is too long: at most 600000 ms (10 minutes)",
        ),
        (
            r#"{"account":4242,"fault":{"kind":"close"}}"#.to_owned(),
            422,
            "account 4242 does not exist, so a fault for it would never strike",
        ),
    ];
    for (body, status, reason) in refusals {
        let (got, answer) = post(body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer.contains(reason), "{body}: {answer}");
    }
    assert!(sim.faults().is_empty(), "nothing refused was set");
    let longest = format!(
        r#"{{"account":{},"fault":{{"kind":"latency","ms":600000}}}}"#,
        account.aid
    );
    assert_eq!(post(longest).await.0, 201);
    // The handle's door refuses the same.
    let refused =
        sim.inject(FaultSpec::new(Endpoint::Submit, AnswerFault::Close).for_account(4242));
    assert_eq!(refused, Err(FaultError::UnknownAccount(4242)));
}

#[tokio::test]
async fn a_latency_fault_stores_the_change_and_its_journal_line_says_so() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    for when in [When::Before, When::After] {
        let mut spec = FaultSpec::new(Endpoint::Submit, FaultKind::Latency { ms: 50 })
            .for_account(account.aid)
            .times(1);
        spec.when = when;
        sim.inject(spec).unwrap();
        let resp = submit(&account, "ליאור כץ", "0541112299").await.unwrap();
        assert_eq!(resp.status(), 200);
        let fault = sim.journal_for(account.aid).pop().unwrap().fault.unwrap();
        assert!(fault.contains("latency 50 ms"), "{fault}");
        assert!(!fault.contains("nothing stored"), "{fault}");
        assert!(fault.contains("changes is stored"), "{fault}");
    }
    assert_eq!(lead_count(&sim, account.aid), 2, "both leads are stored");
}
