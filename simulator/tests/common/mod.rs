//! Shared helpers of the integration tests: an HTTP client that shows redirects, the
//! default fixtures' ids and secrets, and small wrappers around the endpoints.
//!
//! Each test binary uses a different subset, hence the `dead_code` allowance.

#![allow(dead_code)]

use leadim_simulator::{AccountConfig, JournalEntry, JournalFilter, LeadView, SimulatorHandle};
use reqwest::{Client, Response, header};
use serde_json::Value;

/// Account 3305 (insurance agency, enabled) of the default fixtures.
pub const AID: u64 = 3305;
/// Its enabled form and key.
pub const FORM: &str = "5001";
/// The key of form 5001.
pub const KEY: &str = "k-5001-3fa9c21e";
/// Its disabled form and key.
pub const DISABLED_FORM: &str = "5002";
/// The key of form 5002.
pub const DISABLED_FORM_KEY: &str = "k-5002-b70d4e58";
/// The thank-you page of form 5001.
pub const THANK_YOU_5001: &str = "https://www.shamir-bituach.co.il/todah";
/// Read+write token of 3305.
pub const RW: &str = "t-3305-rw";
/// Read-only token of 3305.
pub const R: &str = "t-3305-r";
/// Write-only token of 3305.
pub const W: &str = "t-3305-w";
/// Account 4410 (real estate) and its read+write token.
pub const AID_4410: u64 = 4410;
/// Read+write token of 4410.
pub const RW_4410: &str = "t-4410-rw";
/// The phone of דנה כהן (3305), stored as `0521234567`.
pub const DANA_PHONE: &str = "0521234567";
/// The auth header.
pub const AUTH: &str = "X-LEAD-IM-AUTH";
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

/// Submits `params` to `/v2/submit` as a form POST with `lm_redirect=no`, asserts
/// success and returns the new lead id.
pub async fn submit_ok(
    sim: &SimulatorHandle,
    form: &str,
    key: &str,
    params: &[(&str, &str)],
) -> u64 {
    let answer = submit_json(sim, form, key, params).await;
    assert_eq!(answer["status"], "success", "{answer}");
    answer["result"]
        .as_u64()
        .unwrap_or_else(|| panic!("result is a lead id: {answer}"))
}

/// Submits `params` as a form POST with `lm_redirect=no` and returns the answer.
pub async fn submit_json(
    sim: &SimulatorHandle,
    form: &str,
    key: &str,
    params: &[(&str, &str)],
) -> Value {
    let mut all = vec![("lm_form", form), ("lm_key", key), ("lm_redirect", "no")];
    all.extend_from_slice(params);
    let resp = client()
        .post(submit_url(sim))
        .form(&all)
        .send()
        .await
        .expect("submit");
    json_200(resp).await
}

/// Submits to a created account's form.
pub async fn submit_to(
    sim: &SimulatorHandle,
    account: &AccountConfig,
    params: &[(&str, &str)],
) -> u64 {
    submit_ok(sim, &account.lm_form, &account.lm_key, params).await
}

/// `leads_get.ashx?by_phone=` at `url` with `token`; returns the answer.
pub async fn lookup_at(url: &str, token: &str, phone: &str) -> Value {
    let resp = client()
        .get(url)
        .query(&[("by_phone", phone)])
        .header(AUTH, token)
        .send()
        .await
        .expect("lookup");
    json_200(resp).await
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
    lids(&lookup_at(&account.get_customer_details_url, &account.token, phone).await)
}

/// `lead_get.ashx?by_id=` at `url` with `token`; returns the answer.
pub async fn lead_get_at(url: &str, token: &str, by_id: &str) -> Value {
    let resp = client()
        .get(url)
        .query(&[("by_id", by_id)])
        .header(AUTH, token)
        .send()
        .await
        .expect("lead_get");
    json_200(resp).await
}

/// A form-encoded update; returns the answer.
pub async fn update_form(url: &str, token: &str, params: &[(&str, &str)]) -> Value {
    let resp = client()
        .post(url)
        .header(AUTH, token)
        .form(params)
        .send()
        .await
        .expect("update");
    json_200(resp).await
}

/// One lead of the store, by id.
pub fn stored_lead(sim: &SimulatorHandle, aid: u64, lid: u64) -> Option<LeadView> {
    sim.store()
        .account_leads(aid)
        .expect("account exists")
        .into_iter()
        .find(|l| l.lid == lid)
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
    sim.requests(&JournalFilter {
        path: Some(path.to_owned()),
        ..Default::default()
    })
    .entries
    .pop()
    .unwrap_or_else(|| panic!("no journal entry for {path}"))
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
