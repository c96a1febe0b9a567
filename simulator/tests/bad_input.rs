//! Bad input is a normal answer: oversized bodies, invalid UTF-8, broken
//! percent-encoding, wrong content types, duplicate and empty parameter names, wrong
//! methods, unknown paths and unsafe redirect targets each get a clear answer and a
//! journal entry, store nothing, and leave the server answering normally.

mod common;

use common::*;
use leadim_simulator::{Simulator, SimulatorHandle};
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: usize = 1024 * 1024;
const FORM_TYPE: &str = "application/x-www-form-urlencoded";

fn submit_prefix() -> String {
    format!(
        "lm_form={FORM}&lm_key={KEY}&lm_redirect=no&phone=0541119999&name=%D7%91%D7%93%D7%99%D7%A7%D7%94"
    )
}

/// Sends raw bytes as a POST body with `content_type`.
async fn post_raw(
    url: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
    token: Option<&str>,
) -> reqwest::Response {
    let mut req = client()
        .post(url)
        .header(CONTENT_TYPE, content_type)
        .body(body);
    if let Some(t) = token {
        req = req.header(AUTH, t);
    }
    req.send().await.unwrap()
}

/// The answer of a decode failure: HTTP 200, the failure envelope without a code.
async fn decode_failure(resp: reqwest::Response, needle: &str) -> Value {
    let answer = json_200(resp).await;
    assert_failure(&answer, needle);
    assert!(
        answer.get("code").is_none(),
        "a decode failure has no code: {answer}"
    );
    answer
}

/// Asserts the newest entry for `path` was journaled with a diagnostic containing
/// `needle`.
fn journaled(sim: &SimulatorHandle, path: &str, needle: &str) {
    let entry = last_entry(sim, path);
    assert!(
        entry.has_diagnostic(needle),
        "{path}: {:?}",
        entry.diagnostics
    );
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused_with_413() {
    let sim = Simulator::start().await.unwrap();
    let counts = sim.store().counts();
    let mut body = submit_prefix();
    body.push_str("&msg=");
    body.push_str(&"א".repeat((MIB - body.len()) / 2));
    while body.len() < MIB {
        body.push('a');
    }
    assert_eq!(body.len(), MIB);

    // Exactly the limit is accepted (and the message cut to its cap).
    let answer = json_200(post_raw(&submit_url(&sim), FORM_TYPE, body.clone(), None).await).await;
    let lid = success_lid(&answer);
    assert_eq!(
        stored_lead(&sim, AID, lid)
            .unwrap()
            .field("הודעה")
            .unwrap()
            .chars()
            .count(),
        3500
    );

    // One byte more is not.
    body.push('a');
    let resp = post_raw(&submit_url(&sim), FORM_TYPE, body.clone(), None).await;
    assert_eq!(resp.status(), 413);
    assert_failure(&json(resp).await, "the limit is 1048576 bytes (1 MiB)");
    let entry = last_entry(&sim, "/v2/submit");
    assert_eq!(entry.status, 413);
    assert_diagnostic(&entry, "the limit is 1048576 bytes (1 MiB)");

    let resp = post_raw(&update_url(&sim, AID), FORM_TYPE, body, Some(RW)).await;
    assert_eq!(resp.status(), 413);

    // Without a Content-Length (chunked), the limit holds while reading.
    let chunk = vec![b'a'; 64 * 1024];
    let mut request = format!(
        "POST /v2/submit HTTP/1.1\r\nHost: {}\r\nContent-Type: {FORM_TYPE}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        sim.addr()
    )
    .into_bytes();
    for _ in 0..(MIB / chunk.len() + 1) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_exchange(&sim, &request).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("the limit is 1048576 bytes (1 MiB)"),
        "{answer}"
    );

    assert_eq!(
        sim.store().counts(),
        leadim_simulator::Counts {
            leads: counts.leads + 1,
            ..counts
        },
        "only the lead at the limit"
    );
    still_serving(&sim).await;
}

/// A lookup in 3305 with 3305's read+write token and `query` as written (raw, not
/// encoded by the client).
async fn lookup_raw_query(sim: &SimulatorHandle, query: &str) -> reqwest::Response {
    client()
        .get(format!("{}?{query}", leads_get_url(sim, AID)))
        .header(AUTH, RW)
        .send()
        .await
        .unwrap()
}

/// Writes `request` on a fresh connection and reads until the server closes it.
async fn raw_exchange(sim: &SimulatorHandle, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let (mut read, mut write) = stream.split();
    let writing = async {
        // The server may answer and close before reading everything.
        let _ = write.write_all(request).await;
    };
    let mut answer = Vec::new();
    let reading = read.read_to_end(&mut answer);
    let ((), read_result) = tokio::join!(writing, reading);
    if answer.is_empty() {
        read_result.expect("the server answered");
    }
    String::from_utf8_lossy(&answer).into_owned()
}

async fn still_serving(sim: &SimulatorHandle) {
    let found = lookup_at(&leads_get_url(sim, AID), RW, DANA_PHONE).await;
    assert_eq!(found["data"][0]["fields"]["שם"], "דנה כהן");
}

#[tokio::test]
async fn invalid_utf8_is_refused_by_name_and_stores_nothing() {
    let sim = Simulator::start().await.unwrap();
    let counts = sim.store().counts();
    invalid_utf8_in_the_query_string(&sim).await;
    invalid_utf8_in_a_form_body(&sim).await;
    invalid_utf8_on_the_lookup_and_the_update(&sim).await;
    assert_eq!(sim.store().counts(), counts);
    assert!(
        sim.store()
            .account_leads(AID)
            .unwrap()
            .iter()
            .all(|l| l.fields.values().all(|v| !v.contains('\u{FFFD}'))),
        "no replacement characters anywhere"
    );
    still_serving(&sim).await;
}

/// In the query string, percent-encoded: the error names the parameter and the
/// journal keeps the raw query.
async fn invalid_utf8_in_the_query_string(sim: &SimulatorHandle) {
    let url = format!("{}?{}&fld_city=%FF%FE", submit_url(sim), submit_prefix());
    let answer = decode_failure(client().get(&url).send().await.unwrap(), "invalid UTF-8").await;
    assert_eq!(
        answer["error"],
        "invalid UTF-8 in the query string (parameter fld_city): Lead.IM expects UTF-8"
    );
    let entry = last_entry(sim, "/v2/submit");
    assert_eq!(entry.status, 200);
    assert_diagnostic(
        &entry,
        "invalid UTF-8 in the query string (parameter fld_city)",
    );
    assert_eq!(
        entry.query.as_deref(),
        Some(url.split_once('?').unwrap().1),
        "the raw query is kept"
    );

    // Windows-1255 Hebrew (what an old system might send): דנה is E3 F0 E4.
    let url = format!(
        "{}?{}&fld_handler=%E3%F0%E4",
        submit_url(sim),
        submit_prefix()
    );
    decode_failure(
        client().get(&url).send().await.unwrap(),
        "invalid UTF-8 in the query string (parameter fld_handler)",
    )
    .await;
}

/// In a form body: percent-encoded and raw, and in a parameter's name.
async fn invalid_utf8_in_a_form_body(sim: &SimulatorHandle) {
    let mut raw = submit_prefix().into_bytes();
    raw.extend_from_slice(b"&msg=\xd7\xa9\xff");
    decode_failure(
        post_raw(&submit_url(sim), FORM_TYPE, raw, None).await,
        "invalid UTF-8 in the body (parameter msg)",
    )
    .await;
    journaled(sim, "/v2/submit", "invalid UTF-8 in the body");
    let body = format!("{}&msg=%D7%A9%FF", submit_prefix());
    decode_failure(
        post_raw(&submit_url(sim), FORM_TYPE, body, None).await,
        "invalid UTF-8 in the body (parameter msg)",
    )
    .await;
    // In a parameter's name.
    let body = format!("{}&%FF=1", submit_prefix());
    decode_failure(
        post_raw(&submit_url(sim), FORM_TYPE, body, None).await,
        "invalid UTF-8 in the body",
    )
    .await;
}

/// On the lookup and the update (form and multipart), which leaves the lead as it
/// was.
async fn invalid_utf8_on_the_lookup_and_the_update(sim: &SimulatorHandle) {
    let resp = lookup_raw_query(sim, "by_phone=%FF").await;
    decode_failure(
        resp,
        "invalid UTF-8 in the query string (parameter by_phone)",
    )
    .await;
    journaled(sim, "leads_get", "invalid UTF-8");
    let dana = dana_lid(sim).await;
    let before = stored_lead(sim, AID, dana).unwrap();
    let body = format!("by_id={dana}&fld_handler=%E9%E5%F1%E9");
    decode_failure(
        post_raw(&update_url(sim, AID), FORM_TYPE, body, Some(RW)).await,
        "invalid UTF-8 in the body (parameter fld_handler)",
    )
    .await;
    // Multipart with a non-UTF-8 part.
    let mut multipart =
        b"--b0undary\r\nContent-Disposition: form-data; name=\"by_id\"\r\n\r\n".to_vec();
    multipart.extend_from_slice(
        format!(
            "{dana}\r\n--b0undary\r\nContent-Disposition: form-data; name=\"fld_handler\"\r\n\r\n"
        )
        .as_bytes(),
    );
    multipart.extend_from_slice(b"\xe9\xe5\xf1\xe9\r\n--b0undary--\r\n");
    decode_failure(
        post_raw(
            &update_url(sim, AID),
            "multipart/form-data; boundary=b0undary",
            multipart,
            Some(RW),
        )
        .await,
        "invalid UTF-8 in the body (parameter fld_handler)",
    )
    .await;
    assert_eq!(
        stored_lead(sim, AID, dana).unwrap(),
        before,
        "nothing was half-applied"
    );
}

#[tokio::test]
async fn broken_percent_encoding_is_refused_with_its_place() {
    let sim = Simulator::start().await.unwrap();
    let counts = sim.store().counts();
    // The tail, and the offset in it of the `%` that is broken.
    for (tail, broken_at) in [
        ("name=%zz", 5),
        ("name=%4", 5),
        ("name=%4g", 5),
        ("fld_city=%%41", 9),
        ("x=%D7%9", 5),
    ] {
        let query = format!("{}&{tail}", submit_prefix());
        let expected = query.len() - tail.len() + broken_at;
        let url = format!("{}?{query}", submit_url(&sim));
        let answer = decode_failure(
            client().get(&url).send().await.unwrap(),
            "broken percent-encoding in the query string",
        )
        .await;
        assert_eq!(
            answer["error"],
            format!(
                "broken percent-encoding in the query string at byte {expected}: '%' must be followed by two hex digits"
            ),
            "{tail}"
        );
        journaled(&sim, "/v2/submit", "broken percent-encoding");

        let body = format!("{}&{tail}", submit_prefix());
        decode_failure(
            post_raw(&submit_url(&sim), FORM_TYPE, body, None).await,
            "broken percent-encoding in the body",
        )
        .await;
    }
    let resp = lookup_raw_query(&sim, "by_phone=05%2").await;
    decode_failure(
        resp,
        "broken percent-encoding in the query string at byte 11",
    )
    .await;
    assert_eq!(sim.store().counts(), counts);
    still_serving(&sim).await;
}

#[tokio::test]
async fn a_content_type_the_endpoint_does_not_take_is_named() {
    let sim = Simulator::start().await.unwrap();
    let counts = sim.store().counts();
    let dana = dana_lid(&sim).await;
    let before = stored_lead(&sim, AID, dana).unwrap();

    let resp = post_raw(
        &update_url(&sim, AID),
        "text/plain; charset=utf-8",
        format!("by_id={dana}&מטפל=גל"),
        Some(RW),
    )
    .await;
    decode_failure(resp, "unsupported content type text/plain; charset=utf-8: this endpoint takes application/x-www-form-urlencoded, multipart/form-data or application/json").await;
    journaled(&sim, "lead_update", "unsupported content type text/plain");

    // Submit takes forms, not JSON.
    let resp = client()
        .post(submit_url(&sim))
        .json(&json!({"lm_form": FORM, "lm_key": KEY, "lm_redirect": "no", "name": "דנה", "phone": "0541119999"}))
        .send()
        .await
        .unwrap();
    decode_failure(resp, "unsupported content type application/json: this endpoint takes application/x-www-form-urlencoded or multipart/form-data").await;

    // A body without any content type.
    let resp = client()
        .post(update_url(&sim, AID))
        .header(AUTH, RW)
        .body(format!("by_id={dana}"))
        .send()
        .await
        .unwrap();
    decode_failure(resp, "unsupported content type none").await;

    // JSON that is not a flat object.
    for (body, needle) in [
        ("{\"by_id\": ", "invalid JSON body"),
        ("[1, 2]", "JSON body must be an object"),
        (
            r#"{"by_id": 1, "מטפל": {"שם": "גל"}}"#,
            "מטפל is a nested value",
        ),
        (r#"{"": "x"}"#, "parameter with an empty name in the body"),
    ] {
        let resp = post_raw(&update_url(&sim, AID), "application/json", body, Some(RW)).await;
        decode_failure(resp, needle).await;
    }
    // A multipart body that does not parse.
    let resp = post_raw(
        &update_url(&sim, AID),
        "multipart/form-data; boundary=xyz",
        "--xyz\r\nContent-Disposition: form-data; name=\"by_id\"\r\n\r\n1",
        Some(RW),
    )
    .await;
    decode_failure(resp, "invalid multipart body").await;
    let resp = post_raw(
        &update_url(&sim, AID),
        "multipart/form-data",
        "--xyz--",
        Some(RW),
    )
    .await;
    decode_failure(resp, "invalid multipart body").await;

    assert_eq!(stored_lead(&sim, AID, dana).unwrap(), before);
    assert_eq!(sim.store().counts(), counts);
    still_serving(&sim).await;
}

#[tokio::test]
async fn duplicate_and_empty_parameter_names_are_refused() {
    let sim = Simulator::start().await.unwrap();
    let counts = sim.store().counts();
    let cases = [
        (
            "&name=a&name=b",
            "duplicate parameter name: send each parameter once",
        ),
        ("&phone=0541119998", "duplicate parameter phone"),
        ("&=x", "parameter with an empty name in the query string"),
        ("&=", "parameter with an empty name"),
    ];
    for (tail, message) in cases {
        let url = format!("{}?{}{tail}", submit_url(&sim), submit_prefix());
        decode_failure(client().get(&url).send().await.unwrap(), message).await;
        journaled(&sim, "/v2/submit", message);
    }
    // In a body, and the same name in query and body is not a duplicate (body wins).
    let body = format!("{}&fld_city=a&fld_city=b", submit_prefix());
    decode_failure(
        post_raw(&submit_url(&sim), FORM_TYPE, body, None).await,
        "duplicate parameter fld_city",
    )
    .await;
    let body = format!("{}&=x", submit_prefix());
    decode_failure(
        post_raw(&submit_url(&sim), FORM_TYPE, body, None).await,
        "parameter with an empty name in the body",
    )
    .await;
    let resp = lookup_raw_query(&sim, "by_phone=1&by_phone=2").await;
    decode_failure(resp, "duplicate parameter by_phone").await;
    assert_eq!(sim.store().counts(), counts);

    // Empty segments (`&&`) are harmless.
    let url = format!(
        "{}?{}&&fld_city=%D7%90%D7%99%D7%9C%D7%AA&",
        submit_url(&sim),
        submit_prefix()
    );
    let answer = json_200(client().get(&url).send().await.unwrap()).await;
    assert_eq!(answer["status"], "success", "{answer}");
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow_and_an_unknown_path_404() {
    let sim = Simulator::start().await.unwrap();
    let counts = sim.store().counts();
    let base = sim.base_url();
    for (method, path, allow) in [
        (
            reqwest::Method::DELETE,
            "/v2/submit".to_owned(),
            "GET, POST",
        ),
        (reqwest::Method::PUT, "/v2/submit".to_owned(), "GET, POST"),
        (
            reqwest::Method::GET,
            "/apiproxy/3305/api/lead_update.ashx".to_owned(),
            // The proxy answers browsers' CORS preflight too.
            "POST, OPTIONS",
        ),
        (
            reqwest::Method::POST,
            "/apiproxy/3305/api/leads_get.ashx".to_owned(),
            "GET, OPTIONS",
        ),
        (
            reqwest::Method::DELETE,
            "/APIProxy/3305/api/Lead_Get.ashx".to_owned(),
            "GET, OPTIONS",
        ),
        (
            reqwest::Method::POST,
            format!("/a/{AID}/leads/117000001"),
            "GET",
        ),
    ] {
        let resp = client()
            .request(method.clone(), format!("{base}{path}"))
            .header(AUTH, RW)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405, "{method} {path}");
        assert_eq!(resp.headers()["allow"], allow, "{method} {path}");
        assert_failure(
            &json(resp).await,
            &format!("method {method} not allowed on {path}; use {allow}"),
        );
        let file = path.rsplit('/').next().unwrap();
        journaled(
            &sim,
            &path,
            &format!("{method} is not allowed on {file}; use {allow}"),
        );
    }
    for path in [
        "/v3/submit",
        "/apiproxy/3305/api/leads_delete.ashx",
        "/v2/submit/extra",
        "/apiproxy/3305/leads_get.ashx",
    ] {
        let resp = client().get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        assert_failure(&json(resp).await, &format!("no such endpoint: GET {path}"));
    }
    // The short path has no lookup door: the answer says which path was meant.
    journaled(
        &sim,
        "/apiproxy/3305/leads_get.ashx",
        "did you mean /apiproxy/3305/api/leads_get.ashx?",
    );
    assert_eq!(sim.store().counts(), counts);
    still_serving(&sim).await;
}

#[tokio::test]
async fn a_token_that_is_not_ascii_text_is_refused() {
    let sim = Simulator::start().await.unwrap();
    let resp = client()
        .get(leads_get_url(&sim, AID))
        .query(&[("by_phone", DANA_PHONE)])
        .header(
            AUTH,
            reqwest::header::HeaderValue::from_bytes("טוקן".as_bytes()).unwrap(),
        )
        .send()
        .await
        .unwrap();
    let answer = json_200(resp).await;
    assert_eq!(
        answer,
        json!({"status": "failure", "error": "invalid X-LEAD-IM-AUTH header: not ASCII text"})
    );
}

#[tokio::test]
async fn an_lm_redirect_with_control_characters_cannot_inject_headers() {
    let sim = Simulator::start().await.unwrap();
    let (http, account) = (client(), shamir(&sim));
    let before = lead_count(&sim, AID);
    for target in [
        "https://www.example.co.il/todah\r\nSet-Cookie: session=stolen",
        "https://www.example.co.il/\ttab\r\nLocation: https://evil.example",
        "https://www.example.co.il/a\u{0}b",
    ] {
        let resp = submit_get(
            &http,
            &account,
            &[
                ("name", "ניסיון"),
                ("phone", "0541119997"),
                ("lm_redirect", target),
            ],
        )
        .await;
        assert_eq!(resp.status(), 302, "{target:?}");
        assert!(resp.headers().get("set-cookie").is_none(), "{target:?}");
        let locations: Vec<_> = resp.headers().get_all(LOCATION).iter().collect();
        assert_eq!(locations.len(), 1, "{target:?}");
        let location = locations[0].to_str().expect("visible ASCII");
        assert!(
            location.starts_with("https://www.example.co.il/"),
            "{target:?} -> {location}"
        );
        assert!(
            !location.chars().any(|c| c.is_control() || c == ' '),
            "{location:?}"
        );
        assert_eq!(last_entry(&sim, "/v2/submit").status, 302);
    }
    assert_eq!(
        lead_count(&sim, AID),
        before + 3,
        "the leads are created all the same"
    );
}

#[tokio::test]
async fn after_every_kind_of_bad_input_the_counts_are_unchanged_and_the_server_answers() {
    let sim = Simulator::start().await.unwrap();
    let counts = sim.store().counts();
    let base = sim.base_url().to_owned();
    let prefix = submit_prefix();
    let bad_queries = [
        format!("{base}/v2/submit?{prefix}&name=%FF"),
        format!("{base}/v2/submit?{prefix}&msg=%zz"),
        format!("{base}/v2/submit?{prefix}&msg=%4"),
        format!("{base}/v2/submit?{prefix}&name=a&name=b"),
        format!("{base}/v2/submit?{prefix}&=x"),
    ];
    for url in &bad_queries {
        let resp = client().get(url).send().await.unwrap();
        assert_eq!(json_200(resp).await["status"], "failure", "{url}");
    }
    let big = vec![b'a'; MIB + 10];
    assert_eq!(
        post_raw(&submit_url(&sim), FORM_TYPE, big, None)
            .await
            .status(),
        413
    );
    let resp = post_raw(&submit_url(&sim), "text/plain", prefix.clone(), None).await;
    assert_eq!(json_200(resp).await["status"], "failure");
    let resp = client().delete(submit_url(&sim)).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    let resp = client()
        .get(format!("{base}/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    assert_eq!(sim.store().counts(), counts);
    assert_eq!(
        sim.journal().len(),
        bad_queries.len() + 4,
        "every one was journaled"
    );
    let lid = submit_ok(
        &sim,
        FORM,
        KEY,
        &[("name", "סוף טוב"), ("phone", "0541119996")],
    )
    .await;
    assert_eq!(
        lids(&lookup_at(&leads_get_url(&sim, AID), RW, "0541119996").await),
        vec![lid]
    );
}
