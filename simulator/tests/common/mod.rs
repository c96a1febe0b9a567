//! Shared helpers of the integration tests: an HTTP client that shows redirects, the
//! default fixtures' ids and secrets, and small wrappers around the endpoints.
//!
//! The request helpers come in layers, one per endpoint: `*_request` builds the
//! request (for a test that sets a timeout or expects no answer at all), the plain
//! name sends it and returns the raw [`Response`] or, where the name says so, the
//! checked JSON answer. Each takes the [`Client`] to send with, so a test that sends
//! many requests keeps its connections.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

pub mod ordering;
pub mod stalled;

use leadim_simulator::{AccountConfig, JournalEntry, JournalFilter, LeadView, SimulatorHandle};
use reqwest::{Client, RequestBuilder, Response, header};
use serde_json::Value;

/// Account 3305 (insurance agency, enabled) of the default fixtures.
pub const AID: u64 = 3305;
/// Its enabled form and key.
pub const FORM: &str = "5001";
/// The key of form 5001.
pub const KEY: &str = "77bc0ec981";
/// Its disabled form and key.
pub const DISABLED_FORM: &str = "5002";
/// The key of form 5002.
pub const DISABLED_FORM_KEY: &str = "9505e17dc8";
/// The thank-you page of form 5001.
pub const THANK_YOU_5001: &str = "https://www.shamir-bituach.co.il/todah";
/// Read+write token of 3305.
pub const RW: &str = "U-d5f9403e30b5281d.6484eb0eaa3c4f85";
/// Read-only token of 3305.
pub const R: &str = "U-dea50575670d43f1.14b495e59157e708";
/// Write-only token of 3305.
pub const W: &str = "U-c1d6452b6f5a0cfb.1f2e00d9e5381855";
/// Account 4410 (real estate) and its read+write token.
pub const AID_4410: u64 = 4410;
/// Read+write token of 4410.
pub const RW_4410: &str = "U-469b746ec85079b2.6a06dc098e7343dd";
/// The phone of דנה כהן (3305), stored as `0521234567`.
pub const DANA_PHONE: &str = "0521234567";
/// The auth header.
pub const AUTH: &str = leadim_simulator::AUTH_HEADER;
/// The fixtures' lead count.
pub const FIXTURE_LEADS: usize = 48;

/// A client that does not follow redirects (so 302s are visible) and ignores any
/// proxy configured in the environment (the simulator is on 127.0.0.1).
pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client builds")
}

/// The lookup URL of an account on this simulator.
pub fn leads_get_url(sim: &SimulatorHandle, aid: u64) -> String {
    format!("{}/apiproxy/{aid}/api/leads_get.ashx", sim.base_url())
}

/// The one-lead URL of an account on this simulator.
pub fn lead_get_url(sim: &SimulatorHandle, aid: u64) -> String {
    format!("{}/apiproxy/{aid}/api/lead_get.ashx", sim.base_url())
}

/// The update URL of an account on this simulator.
pub fn update_url(sim: &SimulatorHandle, aid: u64) -> String {
    format!("{}/apiproxy/{aid}/api/lead_update.ashx", sim.base_url())
}

/// The submit URL.
pub fn submit_url(sim: &SimulatorHandle) -> String {
    format!("{}/v2/submit", sim.base_url())
}

/// Reads a JSON answer, checking that it is one with an explicit UTF-8 charset.
pub async fn json(resp: Response) -> Value {
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(ct, "application/json; charset=utf-8", "content type");
    let text = resp.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts HTTP 200 and returns the JSON answer.
pub async fn json_200(resp: Response) -> Value {
    assert_eq!(resp.status(), 200, "status of {}", resp.url());
    json(resp).await
}

/// Fixture account 3305 (form 5001) as a crmConfig on this simulator: its read+write,
/// read-only and write-only tokens and its URLs.
pub fn shamir(sim: &SimulatorHandle) -> AccountConfig {
    shamir_at(sim.base_url())
}

/// [`shamir`] on the simulator at `base` (such as a `leadim-sim` process).
pub fn shamir_at(base: &str) -> AccountConfig {
    let api = format!("{base}/apiproxy/{AID}/api");
    AccountConfig {
        aid: AID,
        lm_form: FORM.to_owned(),
        lm_key: KEY.to_owned(),
        token: RW.to_owned(),
        read_token: R.to_owned(),
        write_token: W.to_owned(),
        get_customer_details_url: format!("{api}/leads_get.ashx"),
        lead_get_url: format!("{api}/lead_get.ashx"),
        update_url: format!("{api}/lead_update.ashx"),
        submit_url: format!("{base}/v2/submit"),
        ui_url: base.to_owned(),
        name_field: "שם".to_owned(),
        only_display_data: false,
    }
}

/// The id of דנה כהן's fixture lead in 3305, looked up by her phone.
pub async fn dana_lid(sim: &SimulatorHandle) -> u64 {
    lids(&lookup_at(&leads_get_url(sim, AID), RW, DANA_PHONE).await)[0]
}

/// `account`'s `lm_form` and `lm_key` followed by `params`.
fn with_form<'a>(
    account: &'a AccountConfig,
    params: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![
        ("lm_form", account.lm_form.as_str()),
        ("lm_key", account.lm_key.as_str()),
    ];
    all.extend_from_slice(params);
    all
}

/// A `GET /v2/submit` to `account`'s form, `params` after `lm_form` and `lm_key` in
/// the query string.
pub fn submit_get_request(
    http: &Client,
    account: &AccountConfig,
    params: &[(&str, &str)],
) -> RequestBuilder {
    http.get(&account.submit_url)
        .query(&with_form(account, params))
}

/// A form-encoded `POST /v2/submit` to `account`'s form, `params` after `lm_form` and
/// `lm_key` in the body.
pub fn submit_post_request(
    http: &Client,
    account: &AccountConfig,
    params: &[(&str, &str)],
) -> RequestBuilder {
    http.post(&account.submit_url)
        .form(&with_form(account, params))
}

/// Sends [`submit_get_request`]; the raw response (for redirects and statuses).
pub async fn submit_get(
    http: &Client,
    account: &AccountConfig,
    params: &[(&str, &str)],
) -> Response {
    submit_get_request(http, account, params)
        .send()
        .await
        .expect("submit (GET)")
}

/// Sends [`submit_post_request`]; the raw response (for redirects and statuses).
pub async fn submit_post(
    http: &Client,
    account: &AccountConfig,
    params: &[(&str, &str)],
) -> Response {
    submit_post_request(http, account, params)
        .send()
        .await
        .expect("submit (POST)")
}

/// Submits `params` to `account`'s form as a form POST with `lm_redirect=no`; asserts
/// HTTP 200 with JSON and returns the answer, success or failure.
pub async fn submit(http: &Client, account: &AccountConfig, params: &[(&str, &str)]) -> Value {
    let mut all = vec![("lm_redirect", "no")];
    all.extend_from_slice(params);
    json_200(submit_post(http, account, &all).await).await
}

/// [`submit`], asserting success; the new lead id.
pub async fn submit_lid(http: &Client, account: &AccountConfig, params: &[(&str, &str)]) -> u64 {
    success_lid(&submit(http, account, params).await)
}

/// The lead id of a successful submit answer.
pub fn success_lid(answer: &Value) -> u64 {
    assert_eq!(answer["status"], "success", "{answer}");
    answer["result"]
        .as_u64()
        .unwrap_or_else(|| panic!("result is a lead id: {answer}"))
}

/// A fixture form of this simulator, by id and key, as the crmConfig of 3305 with that
/// form: enough to submit to it.
fn form_of(sim: &SimulatorHandle, form: &str, key: &str) -> AccountConfig {
    AccountConfig {
        lm_form: form.to_owned(),
        lm_key: key.to_owned(),
        ..shamir(sim)
    }
}

/// Submits `params` to fixture form `form` with `key` (as [`submit`]); asserts success
/// and returns the new lead id.
pub async fn submit_ok(
    sim: &SimulatorHandle,
    form: &str,
    key: &str,
    params: &[(&str, &str)],
) -> u64 {
    success_lid(&submit_json(sim, form, key, params).await)
}

/// Submits `params` to fixture form `form` with `key` (as [`submit`]); the answer.
pub async fn submit_json(
    sim: &SimulatorHandle,
    form: &str,
    key: &str,
    params: &[(&str, &str)],
) -> Value {
    submit(&client(), &form_of(sim, form, key), params).await
}

/// `leads_get.ashx?by_phone=` at `url` with `token` in `X-LEAD-IM-AUTH`.
pub fn lookup_request(http: &Client, url: &str, token: &str, phone: &str) -> RequestBuilder {
    http.get(url)
        .query(&[("by_phone", phone)])
        .header(AUTH, token)
}

/// Sends [`lookup_request`]; the raw response.
pub async fn lookup_response(http: &Client, url: &str, token: &str, phone: &str) -> Response {
    lookup_request(http, url, token, phone)
        .send()
        .await
        .expect("lookup")
}

/// Looks `phone` up in `account` with its read+write token; asserts HTTP 200 with
/// JSON and returns the answer.
pub async fn lookup(http: &Client, account: &AccountConfig, phone: &str) -> Value {
    json_200(
        lookup_response(
            http,
            &account.get_customer_details_url,
            &account.token,
            phone,
        )
        .await,
    )
    .await
}

/// `leads_get.ashx?by_phone=` at `url` with `token`; returns the answer.
pub async fn lookup_at(url: &str, token: &str, phone: &str) -> Value {
    json_200(lookup_response(&client(), url, token, phone).await).await
}

/// The lead ids of a successful lookup answer, in answer order.
pub fn lids(answer: &Value) -> Vec<u64> {
    assert_eq!(answer["status"], "success", "{answer}");
    answer["data"]
        .as_array()
        .unwrap_or_else(|| panic!("data is an array: {answer}"))
        .iter()
        .map(|l| l["lid"].as_u64().expect("lid"))
        .collect()
}

/// Looks a phone up in a created account with its read+write token; the lead ids.
pub async fn lookup_lids(account: &AccountConfig, phone: &str) -> Vec<u64> {
    lids(&lookup(&client(), account, phone).await)
}

/// `lead_get.ashx?by_id=` at `url` with `token` in `X-LEAD-IM-AUTH`.
pub fn lead_get_request(http: &Client, url: &str, token: &str, by_id: &str) -> RequestBuilder {
    http.get(url).query(&[("by_id", by_id)]).header(AUTH, token)
}

/// `lead_get.ashx?by_id=` at `url` with `token`; asserts HTTP 200 with JSON and
/// returns the answer.
pub async fn lead_get(http: &Client, url: &str, token: &str, by_id: &str) -> Value {
    let resp = lead_get_request(http, url, token, by_id)
        .send()
        .await
        .expect("lead_get");
    json_200(resp).await
}

/// [`lead_get`] with a client of its own.
pub async fn lead_get_at(url: &str, token: &str, by_id: &str) -> Value {
    lead_get(&client(), url, token, by_id).await
}

/// A form-encoded `lead_update.ashx` POST of `params` at `url` with `token` in
/// `X-LEAD-IM-AUTH`; the raw response.
pub async fn update_response(
    http: &Client,
    url: &str,
    token: &str,
    params: &[(&str, &str)],
) -> Response {
    http.post(url)
        .header(AUTH, token)
        .form(params)
        .send()
        .await
        .expect("update")
}

/// Updates lead `lid` of `account` with `params`, form-encoded, with its read+write
/// token; asserts HTTP 200 with JSON and returns the answer.
pub async fn update(
    http: &Client,
    account: &AccountConfig,
    lid: u64,
    params: &[(&str, &str)],
) -> Value {
    let lid = lid.to_string();
    let mut all = vec![("by_id", lid.as_str())];
    all.extend_from_slice(params);
    json_200(update_response(http, &account.update_url, &account.token, &all).await).await
}

/// A form-encoded update at `url` with `token`; returns the answer.
pub async fn update_form(url: &str, token: &str, params: &[(&str, &str)]) -> Value {
    json_200(update_response(&client(), url, token, params).await).await
}

/// One lead of the store, by id.
pub fn stored_lead(sim: &SimulatorHandle, aid: u64, lid: u64) -> Option<LeadView> {
    assert!(sim.store().account(aid).is_some(), "account {aid} exists");
    sim.lead(aid, lid)
}

/// How many leads an account holds.
pub fn lead_count(sim: &SimulatorHandle, aid: u64) -> usize {
    sim.store()
        .account_leads(aid)
        .expect("account exists")
        .len()
}

/// The newest journal entry whose path contains `path` (case-insensitive).
pub fn last_entry(sim: &SimulatorHandle, path: &str) -> JournalEntry {
    sim.journal_matching(&JournalFilter {
        path: Some(path.to_owned()),
        ..Default::default()
    })
    .pop()
    .unwrap_or_else(|| panic!("no journal entry for {path}"))
}

/// Asserts a journal entry has a diagnostic containing `needle`.
pub fn assert_diagnostic(entry: &JournalEntry, needle: &str) {
    assert!(
        entry.has_diagnostic(needle),
        "no diagnostic with {needle:?}: {:?}",
        entry.diagnostics
    );
}

/// Asserts a failure envelope (`{"status":"failure","error":…}`) whose error
/// contains `needle`.
pub fn assert_failure(answer: &Value, needle: &str) {
    assert_eq!(answer["status"], "failure", "{answer}");
    let error = answer["error"]
        .as_str()
        .unwrap_or_else(|| panic!("error is text: {answer}"));
    assert!(
        error.contains(needle),
        "error {error:?} should contain {needle:?}"
    );
}

/// A `multipart/form-data` POST of text `parts` (name, value) with `boundary` to
/// `url`, with `token` in `X-LEAD-IM-AUTH` if given; the raw response.
pub async fn post_multipart(
    http: &Client,
    url: &str,
    token: Option<&str>,
    boundary: &str,
    parts: &[(&str, &str)],
) -> Response {
    let mut req = http
        .post(url)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(multipart(boundary, parts));
    if let Some(token) = token {
        req = req.header(AUTH, token);
    }
    req.send().await.expect("multipart POST")
}

/// A `multipart/form-data` body of text `parts` (name, value) with `boundary`.
pub fn multipart(boundary: &str, parts: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in parts {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    body
}

/// Percent-encodes every byte that is not unreserved, spaces as `%20`.
pub fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes like a form does: spaces as `+`.
pub fn form_enc(s: &str) -> String {
    pct(s).replace("%20", "+")
}
