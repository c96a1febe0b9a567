use super::*;
use crate::request::Request;
use bytes::Bytes;
use hyper::{HeaderMap, Method};

/// A record of a GET of `path` with an answer of `answer_len` bytes.
pub(super) fn entry(path: &str, account: Option<u64>, answer_len: usize) -> Record {
    entry_with(path, account, answer_len, HeaderMap::new())
}

fn entry_with(path: &str, account: Option<u64>, answer_len: usize, headers: HeaderMap) -> Record {
    Record {
        at: jiff::Timestamp::UNIX_EPOCH,
        request: ExchangeCopy::new(
            &Request {
                method: Method::GET,
                uri: path.parse().unwrap(),
                headers,
                body: Bytes::new(),
                received: jiff::Timestamp::UNIX_EPOCH,
            },
            "x".repeat(answer_len).as_bytes(),
        ),
        endpoint: None,
        door: None,
        account,
        params: ParamsUsed::None,
        status: 200,
        answer: Answer::Body,
        diagnostics: vec![],
        fault: None,
        micros: 0,
    }
}

#[test]
fn count_bound_drops_the_oldest() {
    let j = Journal::new(3, usize::MAX);
    for i in 0..5 {
        j.record(entry(&format!("/p{i}"), None, 1));
    }
    let page = j.read(&JournalFilter::default());
    assert_eq!(page.dropped, 2);
    let paths: Vec<_> = page.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/p2", "/p3", "/p4"]);
    assert_eq!(page.entries[0].id, 3);
}

#[test]
fn byte_bound_holds() {
    let j = Journal::new(usize::MAX, 10_000);
    for _ in 0..100 {
        j.record(entry("/v2/submit", None, 3000));
    }
    let (n, bytes) = j.usage();
    assert!(bytes <= 10_000, "{bytes}");
    assert!((2..100).contains(&n));
}

#[test]
fn a_huge_answer_is_kept_only_as_far_as_it_is_shown() {
    let j = Journal::new(10, usize::MAX);
    j.record(entry("/apiproxy/3305/api/leads_get.ashx", None, 5_000_000));
    let (_, bytes) = j.usage();
    assert!(
        bytes < MAX_ANSWER_BYTES + 1024,
        "{bytes} bytes held for one entry"
    );
    let shown = &j.read(&JournalFilter::default()).entries[0].answer;
    assert_eq!(
        shown.chars().count(),
        MAX_ANSWER_CHARS + 1,
        "4096 characters and '…'"
    );
}

#[test]
fn filters_by_account_and_path() {
    let j = Journal::new(100, usize::MAX);
    j.record(entry("/v2/submit", Some(1), 1));
    j.record(entry("/apiproxy/2/api/leads_get.ashx", Some(2), 1));
    j.record(entry("/APIProxy/1/api/Leads_Get.ashx", Some(1), 1));
    let f = JournalFilter {
        account: Some(1),
        path: Some("leads_get".into()),
        ..Default::default()
    };
    let page = j.read(&f);
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].id, 3);
}

#[test]
fn tokens_are_masked_when_read() {
    let j = Journal::new(10, usize::MAX);
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-lead-im-auth",
        "U-d5f9403e30b5281d.6484eb0eaa3c4f85".parse().unwrap(),
    );
    j.record(entry_with(
        "/apiproxy/3305/api/leads_get.ashx",
        Some(3305),
        1,
        headers,
    ));
    let e = &j.read(&JournalFilter::default()).entries[0];
    assert_eq!(
        e.headers,
        [("x-lead-im-auth".into(), "U-d5… (35 chars)".into())]
    );
}

#[test]
fn mask_shows_four_characters_and_the_length() {
    assert_eq!(
        mask_token("U-d5f9403e30b5281d.6484eb0eaa3c4f85"),
        "U-d5… (35 chars)"
    );
}
