//! What a Rust test writer relies on beyond the endpoints: expectations checked on
//! drop and by `verify`, requests that match no route filed where the author looks,
//! stubbed answers, a simulator shared by tests on different runtimes, and the
//! handle's accessors.

mod common;

use common::{client, lookup, submit_lid};
use leadim_simulator::{AnswerFault, Endpoint, FaultSpec, Simulator, SimulatorHandle};

/// Submits דנה כהן's lead to `account`'s form; its id.
async fn submit_dana(account: &leadim_simulator::AccountConfig) -> u64 {
    submit_lid(
        &client(),
        account,
        &[
            ("fld_name", "דנה כהן"),
            ("fld_phone", "052-123-4567"),
            ("fld_city", "חיפה"),
        ],
    )
    .await
}

#[tokio::test]
async fn an_expectation_met_passes_on_drop_and_on_verify() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let one_submit = sim
        .expect(Endpoint::Submit)
        .for_account(account.aid)
        .times(1);
    let no_update = sim
        .expect(Endpoint::Update)
        .for_account(account.aid)
        .times(0);
    let lookups = sim
        .expect(Endpoint::Lookup)
        .for_account(account.aid)
        .times(2..=3);
    submit_dana(&account).await;
    lookup(&client(), &account, "0521234567").await;
    lookup(&client(), &account, "972521234567").await;
    sim.verify();
    assert_eq!(one_submit.check(), Ok(()));
    drop((one_submit, no_update, lookups));
}

#[tokio::test]
async fn an_expectation_counts_only_its_account_and_what_came_after_it() {
    let sim = Simulator::start().await.unwrap();
    let mine = sim.create_account();
    let theirs = sim.create_account();
    submit_dana(&mine).await; // before the expectation: not counted
    let expectation = sim.expect(Endpoint::Submit).for_account(mine.aid).times(1);
    submit_dana(&theirs).await; // another account: not counted
    let message = expectation.check().unwrap_err();
    assert!(
        message.starts_with(&format!(
            "expectation not met: exactly 1 submit request(s) from account {}, received 0",
            mine.aid
        )),
        "{message}"
    );
    submit_dana(&mine).await;
    assert_eq!(expectation.check(), Ok(()));
}

#[tokio::test]
#[should_panic(expected = "expectation not met: exactly 1 update request(s) from account")]
async fn an_expectation_not_met_fails_the_test_when_it_drops() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let _update = sim
        .expect(Endpoint::Update)
        .for_account(account.aid)
        .times(1);
    // The adapter looked the customer up, then never updated the lead.
    lookup(&client(), &account, "0521234567").await;
}

#[tokio::test]
async fn a_failed_expectation_prints_the_accounts_journal_in_plain_words() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let expectation = sim
        .expect(Endpoint::Update)
        .for_account(account.aid)
        .times(1);
    // A misspelt update path: no update arrives, but the journal says what did.
    let resp = client()
        .post(
            account
                .update_url
                .replace("lead_update.ashx", "lead_update.asx"),
        )
        .header(leadim_simulator::AUTH_HEADER, &account.token)
        .form(&[("lead_id", "117000001"), ("שם", "דנה לוי")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let message = expectation.check().unwrap_err();
    assert!(message.contains("received 0"), "{message}");
    assert!(message.contains("POST /apiproxy/"), "{message}");
    assert!(
        message.contains(
            "diagnostic: error: no such endpoint: lead_update.asx; did you mean lead_update.ashx?"
        ),
        "{message}"
    );
    assert!(message.contains("שם=\"דנה לוי\""), "{message}");
    std::mem::forget(expectation); // checked above; not again on drop
}

#[tokio::test]
#[should_panic(expected = "at least 1 lookup request(s) from any account, received 0")]
async fn verify_checks_every_expectation_still_held() {
    let sim = Simulator::start().await.unwrap();
    let _lookup = sim.expect(Endpoint::Lookup);
    sim.verify();
}

#[tokio::test]
async fn a_wrong_method_or_path_lands_in_the_accounts_journal_with_a_diagnostic() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let http = client();
    // GET on the update endpoint, and a misspelt lookup.
    http.get(&account.update_url).send().await.unwrap();
    http.get(
        account
            .get_customer_details_url
            .replace("leads_get.ashx", "leads_get.asp"),
    )
    .query(&[("by_phone", "0521234567")])
    .send()
    .await
    .unwrap();
    let journal = sim.journal_for(account.aid);
    let texts: Vec<String> = journal
        .iter()
        .flat_map(|e| e.diagnostics.iter().map(|d| d.text.clone()))
        .collect();
    assert_eq!(
        texts,
        [
            "GET is not allowed on lead_update.ashx; use POST, OPTIONS",
            "no such endpoint: leads_get.asp; did you mean leads_get.ashx?",
        ]
    );
    assert!(journal.iter().all(|e| e.has_errors()));
    // Both named the account, so neither is unmatched.
    assert!(sim.unmatched().is_empty(), "{:?}", sim.unmatched());
}

#[tokio::test]
async fn requests_that_name_no_account_are_listed_as_unmatched() {
    let sim = Simulator::start().await.unwrap();
    let http = client();
    http.post(format!("{}/v2/submti", sim.base_url()))
        .form(&[("lm_form", "5001"), ("fld_name", "יוסי מזרחי")])
        .send()
        .await
        .unwrap();
    http.get(format!("{}/api/leads_get.ashx", sim.base_url()))
        .send()
        .await
        .unwrap();
    let unmatched = sim.unmatched();
    let paths: Vec<&str> = unmatched.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/v2/submti", "/api/leads_get.ashx"]);
    assert!(
        unmatched[0].has_diagnostic("no such endpoint: submti; did you mean submit?"),
        "{:?}",
        unmatched[0].diagnostics
    );
}

#[tokio::test]
async fn a_stub_answers_the_next_requests_of_its_account_and_is_journaled() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let other = sim.create_account();
    let mut stub = AnswerFault::respond(200, r#"{"status":"success","data":"לא מערך"}"#);
    if let AnswerFault::Respond { headers, .. } = &mut stub {
        headers.insert("x-proxy".into(), "leadim-edge-2".into());
    }
    sim.inject(
        FaultSpec::new(Endpoint::Lookup, stub)
            .for_account(account.aid)
            .times(1),
    )
    .unwrap();
    let stubbed = common::lookup_response(
        &client(),
        &account.get_customer_details_url,
        &account.token,
        "0521234567",
    )
    .await;
    assert_eq!(stubbed.status(), 200);
    assert_eq!(stubbed.headers()["x-proxy"], "leadim-edge-2");
    assert_eq!(
        stubbed.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(
        stubbed.text().await.unwrap(),
        r#"{"status":"success","data":"לא מערך"}"#
    );
    // Another account, and the same account's next lookup, get the real answer.
    assert_eq!(
        lookup(&client(), &other, "0521234567").await["data"],
        serde_json::json!([])
    );
    assert_eq!(
        lookup(&client(), &account, "0521234567").await["data"],
        serde_json::json!([])
    );
    let journal = sim.journal_for(account.aid);
    assert_eq!(
        journal[0].fault.as_deref(),
        Some("fault #1: stubbed answer: status 200, 43 bytes, before the handler: nothing stored")
    );
    assert_eq!(journal[1].fault, None);
}

#[tokio::test]
async fn a_stub_with_a_header_http_cannot_carry_is_refused() {
    let sim = Simulator::start().await.unwrap();
    let mut stub = AnswerFault::respond(200, "");
    if let AnswerFault::Respond { headers, .. } = &mut stub {
        headers.insert("x bad".into(), "1".into());
    }
    let err = sim
        .inject(FaultSpec::new(Endpoint::Submit, stub))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "header \"x bad\" is not a valid HTTP header name and value"
    );
    let err = sim
        .inject(FaultSpec::new(
            Endpoint::Submit,
            AnswerFault::respond(700, ""),
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "status 700 is not an HTTP status (100–599)"
    );
}

#[tokio::test]
async fn the_handle_reads_a_lead_and_an_accounts_leads() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    assert!(sim.leads(account.aid).is_empty());
    let lid = submit_dana(&account).await;
    let lead = sim.lead(account.aid, lid).expect("the lead is stored");
    assert_eq!(lead.field("שם"), Some("דנה כהן"));
    assert_eq!(lead.phone, "052-123-4567");
    assert_eq!(sim.leads(account.aid), [lead]);
    // Another account's lead is not this account's.
    assert_eq!(sim.lead(3305, lid), None);
    assert!(sim.leads(999_999).is_empty());
}

/// Uses the shared simulator from whatever runtime the test runs on.
async fn use_the_shared_simulator(sim: &SimulatorHandle) {
    let account = sim.create_account();
    let _one = sim
        .expect(Endpoint::Submit)
        .for_account(account.aid)
        .times(1);
    let lid = submit_dana(&account).await;
    assert_eq!(common::lookup_lids(&account, "052-123-4567").await, [lid]);
}

#[test]
fn a_shared_simulator_outlives_the_runtime_that_first_used_it() {
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    runtime().block_on(use_the_shared_simulator(Simulator::shared()));
    // That runtime is gone; a task spawned on it would be too.
    runtime().block_on(use_the_shared_simulator(Simulator::shared()));
}

#[tokio::test]
async fn tests_on_their_own_runtimes_share_one_simulator() {
    use_the_shared_simulator(Simulator::shared()).await;
    assert!(std::ptr::eq(Simulator::shared(), Simulator::shared()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_threaded_test_shares_it_too() {
    use_the_shared_simulator(Simulator::shared()).await;
}

#[tokio::test]
async fn a_spawned_simulator_shuts_down_from_any_runtime() {
    let sim = Simulator::builder().spawn().unwrap();
    let base = sim.base_url().to_owned();
    let account = sim.create_account();
    submit_dana(&account).await;
    sim.shutdown().await;
    assert!(
        client()
            .get(format!("{base}/__admin/health"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
#[should_panic(expected = "the adapter under test returned failure")]
async fn an_expectation_does_not_panic_again_while_a_test_already_fails() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let _submit = sim
        .expect(Endpoint::Submit)
        .for_account(account.aid)
        .times(1);
    // The test fails first; a second panic from the guard would abort the process.
    panic!("the adapter under test returned failure");
}
