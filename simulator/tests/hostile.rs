//! The hostile-input corpus: malformed and abusive requests, sent as raw bytes so
//! nothing on the client side tidies them up. For each one: a clear answer, a journal
//! diagnostic (for everything that reaches the simulator), an unchanged store, and a
//! server that answers the next normal request.

mod common;

use common::{AID, KEY, RW, client, json_200, lead_get_request, shamir, stored_lead, submit_get};
use leadim_simulator::{Simulator, SimulatorHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a case expects back.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// HTTP 200 with the failure envelope, whose error contains the text.
    Envelope(&'static str),
    /// This HTTP status, answered by the simulator (so journaled).
    Status(u16),
    /// This HTTP status from the HTTP layer, before the simulator sees the request
    /// (so no journal entry).
    Transport(u16),
}

struct Case {
    name: &'static str,
    raw: Vec<u8>,
    expect: Expect,
}

fn get(name: &'static str, target: &str, headers: &[(&str, &str)], expect: Expect) -> Case {
    get_bytes(name, target.as_bytes(), headers, expect)
}

fn get_bytes(name: &'static str, target: &[u8], headers: &[(&str, &str)], expect: Expect) -> Case {
    let mut raw = b"GET ".to_vec();
    raw.extend_from_slice(target);
    raw.extend_from_slice(b" HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n");
    for (k, v) in headers {
        raw.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    Case { name, raw, expect }
}

fn with_body(
    name: &'static str,
    method: &str,
    target: &str,
    content_type: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
    expect: Expect,
) -> Case {
    let mut raw = format!(
        "{method} {target} HTTP/1.1\r\nHost: sim\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    )
    .into_bytes();
    if let Some(ct) = content_type {
        raw.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
    }
    for (k, v) in headers {
        raw.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(body);
    Case { name, raw, expect }
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";
const LOOKUP: &str = "/apiproxy/3305/api/leads_get.ashx";
const GET_ONE: &str = "/apiproxy/3305/api/lead_get.ashx";
const UPDATE: &str = "/apiproxy/3305/api/lead_update.ashx";

/// Every case, by group.
fn corpus(lid: u64) -> Vec<Case> {
    [
        invalid_utf8(lid),
        broken_percent_encoding(lid),
        oversized(),
        wrong_content_types(lid),
        duplicates_and_empty_names(lid),
        crlf_in_values(),
        paths(),
        wrong_methods(lid),
        tokens(lid),
        ids(lid),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The token header with 3305's read+write token.
const AUTH: [(&str, &str); 1] = [("X-LEAD-IM-AUTH", RW)];
/// A multipart content type whose boundary is `XyZ`.
const MULTIPART_XYZ: &str = "multipart/form-data; boundary=XyZ";

/// A submit to form 5001 with `lm_redirect=no` and then `query`.
fn sub(query: &str) -> String {
    format!("/v2/submit?lm_form=5001&lm_key={KEY}&lm_redirect=no&{query}")
}

/// An update body of lead `lid`: its `by_id` and then `rest`.
fn update_body(lid: u64, rest: &str) -> String {
    format!("by_id={lid}&{rest}")
}

/// A multipart body written with `\n` line ends, sent with `\r\n`.
fn crlf_multipart(parts: &str) -> Vec<u8> {
    parts.replace('\n', "\r\n").into_bytes()
}

/// 1500 parameters.
fn many_params() -> String {
    (0..1500).map(|i| format!("p{i}=1&")).collect()
}

/// Invalid UTF-8, in every place a parameter can come from.
#[rustfmt::skip]
fn invalid_utf8(lid: u64) -> Vec<Case> {
    use Expect::*;
    vec![
        get("utf8 in submit query", &sub("name=%FF%FE"), &[], Envelope("invalid UTF-8")),
        get("utf8 in lookup query", &format!("{LOOKUP}?by_phone=%C3%28"), &AUTH, Envelope("invalid UTF-8")),
        get("utf8 in by_id", &format!("{GET_ONE}?by_id=%80"), &AUTH, Envelope("invalid UTF-8")),
        get("utf8 overlong encoding", &sub("name=%C0%AF"), &[], Envelope("invalid UTF-8")),
        get("utf8 surrogate half", &sub("name=%ED%A0%80"), &[], Envelope("invalid UTF-8")),
        get("utf8 in parameter name", &sub("%FF=1"), &[], Envelope("invalid UTF-8")),
        with_body("utf8 percent-encoded in form body", "POST", "/v2/submit", Some(FORM), &[], format!("lm_form=5001&lm_key={KEY}&name=%FF").as_bytes(), Envelope("invalid UTF-8")),
        with_body("utf8 raw bytes in form body", "POST", "/v2/submit", Some(FORM), &[], &[b"lm_form=5001&name=".as_slice(), &[0xFF, 0xFE]].concat(), Envelope("invalid UTF-8")),
        with_body("utf8 in update form body", "POST", UPDATE, Some(FORM), &AUTH, update_body(lid, "%D7%9E%D7%98%D7%A4%D7%9C=%FF").as_bytes(), Envelope("invalid UTF-8")),
        with_body("utf8 raw bytes in JSON", "POST", UPDATE, Some(JSON), &AUTH, &[format!("{{\"by_id\":{lid},\"x\":\"").as_bytes(), &[0xFF], b"\"}"].concat(), Envelope("invalid JSON")),
        with_body("lone surrogate escape in JSON", "POST", UPDATE, Some(JSON), &AUTH, format!("{{\"by_id\":{lid},\"x\":\"\\ud800\"}}").as_bytes(), Envelope("JSON")),
        with_body("utf8 in multipart value", "POST", UPDATE, Some(MULTIPART_XYZ), &AUTH, &[crlf_multipart(&format!("--XyZ\nContent-Disposition: form-data; name=\"by_id\"\n\n{lid}\n--XyZ\nContent-Disposition: form-data; name=\"x\"\n\n")), vec![0xFF], crlf_multipart("\n--XyZ--\n")].concat(), Envelope("invalid UTF-8")),
    ]
}

/// Broken and double percent-encoding.
#[rustfmt::skip]
fn broken_percent_encoding(lid: u64) -> Vec<Case> {
    use Expect::*;
    vec![
        get("percent not hex", &sub("name=%zz"), &[], Envelope("broken percent-encoding")),
        get("percent cut at the end", &sub("name=%4"), &[], Envelope("broken percent-encoding")),
        get("percent alone", &sub("name=%"), &[], Envelope("broken percent-encoding")),
        get("percent percent", &sub("name=%%41"), &[], Envelope("broken percent-encoding")),
        get("percent with sign", &sub("name=%+1"), &[], Envelope("broken percent-encoding")),
        with_body("percent broken in form body", "POST", UPDATE, Some(FORM), &AUTH, update_body(lid, "x=%G1").as_bytes(), Envelope("broken percent-encoding")),
        get("double-encoded phone finds nothing", &format!("{LOOKUP}?by_phone=%25D7%2593"), &AUTH, Status(200)),
    ]
}

/// Oversized bodies, parameter counts, values.
#[rustfmt::skip]
fn oversized() -> Vec<Case> {
    use Expect::*;
    let big = vec![b'a'; 1024 * 1024 + 1];
    vec![
        with_body("body over 1 MiB", "POST", "/v2/submit", Some(FORM), &[], &big, Status(413)),
        with_body_declared("declared length over 1 MiB"),
        get("1500 query parameters", &format!("/v2/submit?{}", many_params()), &[], Envelope("too many parameters")),
        with_body("1500 body parameters", "POST", UPDATE, Some(FORM), &AUTH, many_params().as_bytes(), Envelope("too many parameters")),
        get_huge_header("header of 500 KB"),
        get("10,000-character lm_key", &format!("/v2/submit?lm_form=5001&lm_key={}", "k".repeat(10_000)), &[], Envelope("wrong lm_key")),
    ]
}

/// Wrong and missing content types, broken multipart.
#[rustfmt::skip]
fn wrong_content_types(lid: u64) -> Vec<Case> {
    use Expect::*;
    vec![
        with_body("JSON on submit", "POST", "/v2/submit", Some(JSON), &[], br#"{"lm_form":"5001"}"#, Envelope("unsupported content type")),
        with_body("text/plain on update", "POST", UPDATE, Some("text/plain"), &AUTH, update_body(lid, "x=1").as_bytes(), Envelope("unsupported content type")),
        with_body("no content type on update", "POST", UPDATE, None, &AUTH, update_body(lid, "x=1").as_bytes(), Envelope("unsupported content type")),
        with_body("XML on update", "POST", UPDATE, Some("application/xml"), &AUTH, b"<by_id>1</by_id>", Envelope("unsupported content type")),
        with_body("multipart without boundary", "POST", UPDATE, Some("multipart/form-data"), &AUTH, b"--x--", Envelope("multipart")),
        with_body("truncated multipart", "POST", UPDATE, Some(MULTIPART_XYZ), &AUTH, &crlf_multipart(&format!("--XyZ\nContent-Disposition: form-data; name=\"by_id\"\n\n{lid}\n--XyZ\nContent-Disposition: form-data; name=\"x\"\n\nhalf")), Envelope("multipart")),
        with_body("multipart part without a name", "POST", UPDATE, Some(MULTIPART_XYZ), &AUTH, &crlf_multipart("--XyZ\nContent-Disposition: form-data\n\nv\n--XyZ--\n"), Envelope("multipart")),
        with_body("JSON nested", "POST", UPDATE, Some(JSON), &AUTH, format!("{{\"by_id\":{lid},\"מטפל\":{{\"a\":1}}}}").as_bytes(), Envelope("nested")),
        with_body("JSON array", "POST", UPDATE, Some(JSON), &AUTH, b"[1,2]", Envelope("JSON body must be an object")),
        with_body("JSON string", "POST", UPDATE, Some(JSON), &AUTH, b"\"hello\"", Envelope("JSON body must be an object")),
        with_body("JSON cut off", "POST", UPDATE, Some(JSON), &AUTH, b"{\"by_id\":", Envelope("invalid JSON")),
        with_body("JSON duplicate key", "POST", UPDATE, Some(JSON), &AUTH, format!("{{\"by_id\":{lid},\"by_id\":1}}").as_bytes(), Envelope("duplicate parameter by_id")),
    ]
}

/// Duplicates and empty names.
#[rustfmt::skip]
fn duplicates_and_empty_names(lid: u64) -> Vec<Case> {
    use Expect::*;
    vec![
        get("duplicate name", &sub("name=a&name=b"), &[], Envelope("duplicate parameter name")),
        get("duplicate by_phone", &format!("{LOOKUP}?by_phone=1&by_phone=2"), &AUTH, Envelope("duplicate parameter by_phone")),
        get("empty parameter name", &sub("=x"), &[], Envelope("empty name")),
        with_body("empty name in body", "POST", UPDATE, Some(FORM), &AUTH, update_body(lid, "=x").as_bytes(), Envelope("empty name")),
        get("only separators", "/v2/submit?&&&&", &[], Envelope("lm_form is missing")),
    ]
}

/// CRLF in values: refused requests stay refused, and nothing reaches a header.
#[rustfmt::skip]
fn crlf_in_values() -> Vec<Case> {
    use Expect::*;
    vec![
        get("CRLF in by_phone", &format!("{LOOKUP}?by_phone=05%0D%0AX-Evil:%201"), &AUTH, Status(200)),
        get("CRLF in lm_key", "/v2/submit?lm_form=5001&lm_key=a%0D%0ASet-Cookie:%20x=1", &[], Envelope("wrong lm_key")),
        with_body("CRLF in update of unknown lead", "POST", UPDATE, Some(FORM), &AUTH, b"by_id=1&x=a%0D%0Ab", Envelope("lead 1 not found")),
    ]
}

/// Path traversal and unknown paths.
#[rustfmt::skip]
fn paths() -> Vec<Case> {
    use Expect::*;
    vec![
        get("dot-dot to passwd", "/../../etc/passwd", &[], Status(404)),
        get("dot-dot into admin", "/apiproxy/3305/api/../../__admin/reset", &[], Status(404)),
        get("encoded dot-dot", "/%2e%2e/%2e%2e/etc/passwd", &[], Status(404)),
        get("encoded slash in lead page", "/a/3305/leads/..%2F..%2Fetc", &[], Status(404)),
        get("double slash", "//v2/submit", &[], Status(404)),
        get("NUL in file name", "/apiproxy/3305/api/leads_get.ashx%00", &AUTH, Status(404)),
        get("unknown ashx", "/apiproxy/3305/api/leads_delete.ashx", &AUTH, Status(404)),
        get("raw UTF-8 path", "/apiproxy/3305/api/לידים.ashx", &AUTH, Status(404)),
    ]
}

/// Wrong methods.
#[rustfmt::skip]
fn wrong_methods(lid: u64) -> Vec<Case> {
    use Expect::*;
    vec![
        with_body("DELETE submit", "DELETE", "/v2/submit", None, &[], b"", Status(405)),
        with_body("PUT update", "PUT", UPDATE, Some(FORM), &AUTH, update_body(lid, "x=1").as_bytes(), Status(405)),
        get("GET update", &format!("{UPDATE}?by_id={lid}&fld_handler=x"), &AUTH, Status(405)),
        with_body("POST lookup", "POST", LOOKUP, Some(FORM), &AUTH, b"by_phone=1", Status(405)),
    ]
}

/// Tokens: other accounts', empty, non-ASCII.
#[rustfmt::skip]
fn tokens(lid: u64) -> Vec<Case> {
    use Expect::*;
    vec![
        get("lookup with 4410's token", &format!("{LOOKUP}?by_phone=0521234567"), &[("X-LEAD-IM-AUTH", "U-469b746ec85079b2.6a06dc098e7343dd")], Envelope("invalid token")),
        get("get with 4410's token", &format!("{GET_ONE}?by_id={lid}"), &[("X-LEAD-IM-AUTH", "U-12d58ac578fac205.d5aaf06cfd5303d9")], Envelope("invalid token")),
        with_body("update with 4410's token", "POST", UPDATE, Some(FORM), &[("X-LEAD-IM-AUTH", "U-469b746ec85079b2.6a06dc098e7343dd")], update_body(lid, "x=1").as_bytes(), Envelope("invalid token")),
        get("empty token", &format!("{LOOKUP}?by_phone=1"), &[("X-LEAD-IM-AUTH", "")], Envelope("missing X-LEAD-IM-AUTH")),
        get("token of a disabled account", "/apiproxy/7720/api/leads_get.ashx?by_phone=1", &[("X-LEAD-IM-AUTH", "U-42cff4a860b55031.634823d2b0a43fb7")], Envelope("account 7720 is disabled")),
        get_bytes("non-ASCII token", format!("{LOOKUP}?by_phone=1").as_bytes(), &[("X-LEAD-IM-AUTH", "\u{5d8}\u{5d5}\u{5e7}\u{5df}")], Envelope("not ASCII")),
        get("write-only token reads", &format!("{LOOKUP}?by_phone=1"), &[("X-LEAD-IM-AUTH", "U-c1d6452b6f5a0cfb.1f2e00d9e5381855")], Envelope("lacks the read scope")),
        with_body("read-only token writes", "POST", UPDATE, Some(FORM), &[("X-LEAD-IM-AUTH", "U-dea50575670d43f1.14b495e59157e708")], update_body(lid, "x=1").as_bytes(), Envelope("lacks the write scope")),
    ]
}

/// Ids that overflow or are not ids.
#[rustfmt::skip]
fn ids(lid: u64) -> Vec<Case> {
    use Expect::*;
    vec![
        get("by_id overflows", &format!("{GET_ONE}?by_id=99999999999999999999999"), &AUTH, Envelope("malformed")),
        get("by_id negative", &format!("{GET_ONE}?by_id=-1"), &AUTH, Envelope("malformed")),
        get("by_id exponent", &format!("{GET_ONE}?by_id=1e5"), &AUTH, Envelope("malformed")),
        get("lm_form overflows", "/v2/submit?lm_form=184467440737095516160&lm_key=x", &[], Envelope("lm_form")),
        get("aid overflows", "/apiproxy/99999999999999999999999/api/leads_get.ashx?by_phone=1", &AUTH, Envelope("malformed")),
        get("lead page id overflows", "/a/3305/leads/99999999999999999999999", &[], Status(404)),
        with_body("status_id overflows", "POST", UPDATE, Some(FORM), &AUTH, update_body(lid, "status_id=99999999999").as_bytes(), Envelope("status_id")),
        with_body("by_id missing on update", "POST", UPDATE, Some(FORM), &AUTH, b"fld_handler=x", Envelope("by_id is required")),
    ]
}

fn with_body_declared(name: &'static str) -> Case {
    let raw = b"POST /v2/submit HTTP/1.1\r\nHost: sim\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000000\r\n\r\nlm_form=5001".to_vec();
    Case {
        name,
        raw,
        expect: Expect::Status(413),
    }
}

fn get_huge_header(name: &'static str) -> Case {
    let value = "x".repeat(500 * 1024);
    get(
        name,
        "/v2/submit",
        &[("X-Padding", &value)],
        Expect::Transport(431),
    )
}

/// Sends raw bytes, returns the status and the body.
async fn send_raw(sim: &SimulatorHandle, raw: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
    // A server may answer (413, 431) and close before reading everything.
    let _ = stream.write_all(raw).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Everything a request could change: accounts (forms, tokens, lead counts) and
/// every lead with every field.
fn fingerprint(sim: &SimulatorHandle) -> String {
    let snapshot = sim.store().export();
    serde_json::to_string(&(&sim.store().accounts(), snapshot.next_lid, &snapshot.leads)).unwrap()
}

#[tokio::test]
async fn every_hostile_request_gets_a_clear_answer_and_changes_nothing() {
    let sim = Simulator::start().await.unwrap();
    let lid = sim.store().account_leads(3305).unwrap()[0].lid;
    let cases = corpus(lid);
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let before = fingerprint(&sim);
    let http = client();
    let lead_get_url = shamir(&sim).lead_get_url;
    for case in &cases {
        let journaled_before = sim.journal().last().map(|e| e.id).unwrap_or(0);
        let (status, body) = send_raw(&sim, &case.raw).await;
        match case.expect {
            Expect::Envelope(text) => {
                assert_eq!(status, 200, "{}: {body}", case.name);
                let v: serde_json::Value = serde_json::from_str(&body)
                    .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {body}", case.name));
                assert_eq!(v["status"], "failure", "{}: {body}", case.name);
                let error = v["error"].as_str().unwrap();
                assert!(
                    error.contains(text),
                    "{}: error {error:?} lacks {text:?}",
                    case.name
                );
            }
            Expect::Status(expected) | Expect::Transport(expected) => {
                assert_eq!(status, expected, "{}: {body}", case.name)
            }
        }
        let entry = sim.journal().into_iter().find(|e| e.id > journaled_before);
        match case.expect {
            Expect::Transport(_) => assert!(entry.is_none(), "{}", case.name),
            _ => {
                let entry = entry.unwrap_or_else(|| panic!("{}: not journaled", case.name));
                assert!(
                    !entry.diagnostics.is_empty(),
                    "{}: journaled without a diagnostic: {entry:?}",
                    case.name
                );
            }
        }
        assert_eq!(
            fingerprint(&sim),
            before,
            "{}: the store changed",
            case.name
        );
        // The next normal request is answered.
        let ok = lead_get_request(&http, &lead_get_url, RW, &lid.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("after {}: {e}", case.name));
        let v = json_200(ok).await;
        assert_eq!(v["status"], "success", "after {}", case.name);
    }
}

#[tokio::test]
async fn markup_in_fields_is_stored_as_text_and_escaped_on_the_lead_page() {
    let sim = Simulator::start().await.unwrap();
    let http = client();
    let name = "<script>alert('שלום')</script>";
    let resp = submit_get(
        &http,
        &shamir(&sim),
        &[
            ("lm_redirect", "no"),
            ("name", name),
            ("phone", "0541239876"),
            (
                "msg",
                "שורה 1\r\nX-Injected: 1\n<img src=x onerror=alert(1)>",
            ),
        ],
    )
    .await;
    let answer = json_200(resp).await;
    let lid = answer["result"].as_u64().unwrap();
    let lead = stored_lead(&sim, AID, lid).unwrap();
    assert_eq!(lead.field("שם"), Some(name), "stored exactly as sent");
    let page = http
        .get(format!("{}/a/3305/leads/{lid}", sim.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<script>"), "unescaped script on the page");
    assert!(!page.contains("<img"), "unescaped img on the page");
    assert!(
        page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"),
        "the name is not shown escaped: {page}"
    );
}

#[tokio::test]
async fn a_redirect_never_carries_crlf_into_the_location_header() {
    let sim = Simulator::start().await.unwrap();
    let resp = submit_get(
        &client(),
        &shamir(&sim),
        &[
            ("name", "טל"),
            ("lm_redirect", "https://example.co.il/x\r\nSet-Cookie: a=b"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 302);
    assert!(resp.headers().get("set-cookie").is_none());
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("https://example.co.il/"), "{location}");
}
