//! The request journal: every exchange with the simulated API, with the decoded
//! parameters, the answer and diagnostics in plain words.
//!
//! Recording happens on every request, so a [`Record`] is cheap to build: one
//! compact copy of the request and of the answer's head ([`KeptRequest`]), and a note
//! of which parameters were decoded ([`ParamsUsed`]). The readable [`JournalEntry`]
//! — parameters decoded again, masked token, answer as text — is made only when the
//! journal is read. Bounded by entry count and by bytes: the oldest entries go
//! first, and the count of dropped entries is kept so a reader knows the history is
//! partial. It has its own lock (separate from the store's: no operation needs both
//! at once).

use crate::request::{ParamsUsed, Request};
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{HeaderMap, Method};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Default maximum number of entries.
pub const DEFAULT_MAX_ENTRIES: usize = 2_000;
/// Default maximum of the entries' estimated size.
pub const DEFAULT_MAX_BYTES: usize = 8 * 1024 * 1024;
/// Answers longer than this are cut in the journal (not on the wire).
const MAX_ANSWER_CHARS: usize = 4096;

/// One request and its answer, as read from the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Sequence number, increasing from 1.
    pub id: u64,
    /// When it arrived, RFC 3339.
    pub at: String,
    /// HTTP method.
    pub method: String,
    /// Path as sent.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// The account it concerned, when known.
    pub account: Option<u64>,
    /// The decoded parameters (query and body), in order.
    pub params: Vec<(String, String)>,
    /// Request headers, with `X-LEAD-IM-AUTH` masked.
    pub headers: Vec<(String, String)>,
    /// The answer's HTTP status (0 when no answer was sent).
    pub status: u16,
    /// The answer's body (cut at 4096 characters).
    pub answer: String,
    /// What was wrong, cut, ignored or unknown, in plain words.
    pub diagnostics: Vec<String>,
    /// The fault injected into this exchange, if any.
    pub fault: Option<String>,
    /// Time spent answering, in microseconds.
    pub micros: u64,
}

impl JournalEntry {
    /// True when any diagnostic contains `needle`.
    pub fn has_diagnostic(&self, needle: &str) -> bool {
        self.diagnostics.iter().any(|d| d.contains(needle))
    }

    /// A parameter's decoded value.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What the client got back. The bytes the journal shows of it are kept with the
/// request ([`KeptRequest::answer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A whole body.
    Body,
    /// A body of which only the first half was sent.
    Cut {
        /// Bytes sent.
        sent: usize,
        /// Bytes the headers promised.
        total: usize,
    },
    /// No answer at all; the text says why.
    None(&'static str),
}

/// Most bytes of an answer the journal keeps: enough for the 4096 characters it
/// shows, so that the journal's byte bound bounds its memory too.
pub const KEEP: usize = 4 * MAX_ANSWER_CHARS;

/// One exchange as the server records it: cheap to build, rendered on reading.
#[derive(Debug, Clone)]
pub struct Record {
    /// When it arrived.
    pub at: jiff::Timestamp,
    /// The request as it came (headers unmasked: masked when rendered).
    pub request: KeptRequest,
    /// The account, when known.
    pub account: Option<u64>,
    /// Which parameters the exchange decoded; decoded again when rendered.
    pub params: ParamsUsed,
    /// Status sent (0 for none).
    pub status: u16,
    /// What kind of answer it was.
    pub answer: Answer,
    /// Diagnostics.
    pub diagnostics: Vec<String>,
    /// Injected fault.
    pub fault: Option<String>,
    /// Time spent, in microseconds.
    pub micros: u64,
}

impl Record {
    /// Estimated bytes held, for the journal's byte bound.
    fn weight(&self) -> usize {
        320 + self.request.data.len()
            + self.diagnostics.iter().map(|d| d.len() + 24).sum::<usize>()
            + self.fault.as_ref().map_or(0, String::len)
    }

    fn render(&self, id: u64) -> JournalEntry {
        let text = |b: &[u8]| {
            let t = String::from_utf8_lossy(b);
            match t.char_indices().nth(MAX_ANSWER_CHARS) {
                Some((cut, _)) => format!("{}…", &t[..cut]),
                None => t.into_owned(),
            }
        };
        let shown = self.request.answer();
        let answer = match &self.answer {
            Answer::Body => text(shown),
            Answer::Cut { sent, total } => {
                format!("{}… (cut: {sent} of {total} bytes sent)", text(shown))
            }
            Answer::None(why) => format!("(no answer: {why})"),
        };
        JournalEntry {
            id,
            at: self.at.to_string(),
            method: self.request.method().to_string(),
            path: self.request.path().to_owned(),
            query: self.request.query().map(str::to_owned),
            account: self.account,
            params: self.request.to_request(self.at).decode_again(self.params),
            headers: self
                .request
                .headers()
                .map(|(name, value)| {
                    let text = String::from_utf8_lossy(value);
                    let shown = if name.eq_ignore_ascii_case(crate::api::AUTH_HEADER) {
                        mask_token(&text)
                    } else {
                        text.into_owned()
                    };
                    (name.to_ascii_lowercase(), shown)
                })
                .collect(),
            status: self.status,
            answer,
            diagnostics: self.diagnostics.clone(),
            fault: self.fault.clone(),
            micros: self.micros,
        }
    }
}

/// What the journal keeps of an exchange's bytes: the request's target, headers and
/// body, and the part of the answer it shows, copied into one allocation of its own.
/// Holding the request's own parts would hold views into the connection's read
/// buffer, so hyper could not reuse it: every request would then get a fresh buffer,
/// and the journal's thousands of entries would pin megabytes the CPU caches cannot
/// hold (measured: a quarter of a lookup's CPU time). One allocation also makes the
/// entry cheap to drop when it leaves the journal, long after it was last touched.
#[derive(Debug, Clone)]
pub struct KeptRequest {
    method: Method,
    /// A count `n` (u32, little-endian), then `n` piece ends (u32 each, relative
    /// to what follows), then the pieces: the target, each header's name and value,
    /// the body, the answer.
    data: Box<[u8]>,
}

const WORD: usize = 4;

impl KeptRequest {
    /// A copy of `req`, and of as much of `answer` as the journal shows (at most
    /// [`KEEP`] bytes).
    pub fn new(req: &Request, answer: &[u8]) -> KeptRequest {
        let answer = &answer[..answer.len().min(KEEP)];
        let target = req.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let count = 1 + 2 * req.headers.len() + 2;
        let size = target.len()
            + req
                .headers
                .iter()
                .map(|(k, v)| k.as_str().len() + v.len())
                .sum::<usize>()
            + req.body.len()
            + answer.len();
        let mut data = Vec::with_capacity(WORD * (1 + count) + size);
        data.extend_from_slice(&(count as u32).to_le_bytes());
        data.resize(WORD * (1 + count), 0);
        let mut end = 0;
        let mut next = WORD;
        let mut piece = |data: &mut Vec<u8>, bytes: &[u8]| {
            data.extend_from_slice(bytes);
            end += bytes.len();
            data[next..next + WORD].copy_from_slice(&(end as u32).to_le_bytes());
            next += WORD;
        };
        piece(&mut data, target.as_bytes());
        for (name, value) in &req.headers {
            piece(&mut data, name.as_str().as_bytes());
            piece(&mut data, value.as_bytes());
        }
        piece(&mut data, &req.body);
        piece(&mut data, answer);
        KeptRequest {
            method: req.method.clone(),
            data: data.into_boxed_slice(),
        }
    }

    fn word(&self, i: usize) -> usize {
        let bytes = &self.data[WORD * i..WORD * (i + 1)];
        u32::from_le_bytes(bytes.try_into().expect("four bytes")) as usize
    }

    fn count(&self) -> usize {
        self.word(0)
    }

    fn piece(&self, i: usize) -> &[u8] {
        let payload = &self.data[WORD * (1 + self.count())..];
        let start = if i == 0 { 0 } else { self.word(i) };
        &payload[start..self.word(i + 1)]
    }

    /// The target as sent: a valid URI's path and query, so ASCII.
    fn target(&self) -> &str {
        std::str::from_utf8(self.piece(0)).unwrap_or("/")
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path as sent.
    pub fn path(&self) -> &str {
        let target = self.target();
        target.split_once('?').map_or(target, |(path, _)| path)
    }

    /// The raw query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.target().split_once('?').map(|(_, query)| query)
    }

    /// The headers, names in lower case as hyper gives them.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        (1..self.count() - 2).step_by(2).map(|i| {
            let name = std::str::from_utf8(self.piece(i)).unwrap_or_default();
            (name, self.piece(i + 1))
        })
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        self.piece(self.count() - 2)
    }

    /// What the journal shows of the answer: at most [`KEEP`] bytes of it.
    pub fn answer(&self) -> &[u8] {
        self.piece(self.count() - 1)
    }

    /// The request again, received at `received`, to decode its parameters when the
    /// journal is read.
    pub fn to_request(&self, received: jiff::Timestamp) -> Request {
        let mut headers = HeaderMap::with_capacity(self.count() / 2);
        for (name, value) in self.headers() {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value),
            ) {
                headers.append(name, value);
            }
        }
        Request {
            method: self.method.clone(),
            uri: self.target().parse().unwrap_or_default(),
            headers,
            body: Bytes::copy_from_slice(self.body()),
            received,
        }
    }
}

/// Which entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct JournalFilter {
    /// Only this account's.
    pub account: Option<u64>,
    /// Only paths containing this text (case-insensitive), e.g. `leads_get`.
    pub path: Option<String>,
    /// Only entries after this id.
    pub since: Option<u64>,
    /// At most this many, the newest.
    pub limit: Option<usize>,
}

impl JournalFilter {
    fn matches(&self, id: u64, r: &Record) -> bool {
        self.account.is_none_or(|a| r.account == Some(a))
            && self.since.is_none_or(|s| id > s)
            && self.path.as_ref().is_none_or(|p| {
                r.request
                    .path()
                    .to_ascii_lowercase()
                    .contains(&p.to_ascii_lowercase())
            })
    }
}

/// What [`Journal::read`] returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalPage {
    /// Matching entries, oldest first.
    pub entries: Vec<JournalEntry>,
    /// Entries dropped so far to keep the bound.
    pub dropped: u64,
    /// The bound on entries.
    pub max_entries: usize,
    /// The bound on bytes.
    pub max_bytes: usize,
    /// Bytes held now (estimated).
    pub bytes: usize,
}

#[derive(Debug)]
struct Inner {
    entries: VecDeque<(u64, Record, usize)>,
    bytes: usize,
    next_id: u64,
    dropped: u64,
}

/// The bounded journal. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
    max_entries: usize,
    max_bytes: usize,
}

impl Journal {
    /// A journal holding at most `max_entries` entries and about `max_bytes` bytes.
    pub fn new(max_entries: usize, max_bytes: usize) -> Journal {
        Journal {
            inner: Arc::new(Mutex::new(Inner {
                entries: VecDeque::new(),
                bytes: 0,
                next_id: 1,
                dropped: 0,
            })),
            max_entries,
            max_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a record, giving it the next id; drops the oldest to stay in bounds.
    pub fn record(&self, record: Record) {
        let weight = record.weight();
        // Evicted records are freed after the lock is released, not under it. In the
        // steady state one goes for each one that comes: no allocation for that.
        let mut evicted_one = None;
        let mut evicted = Vec::new();
        let mut inner = self.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        inner.bytes += weight;
        inner.entries.push_back((id, record, weight));
        while inner.entries.len() > self.max_entries
            || (inner.bytes > self.max_bytes && inner.entries.len() > 1)
        {
            if let Some(old) = inner.entries.pop_front() {
                inner.bytes -= old.2;
                inner.dropped += 1;
                match evicted_one {
                    None => evicted_one = Some(old),
                    Some(_) => evicted.push(old),
                }
            }
        }
        drop(inner);
        drop((evicted_one, evicted));
    }

    /// The entries matching `filter`, oldest first.
    pub fn read(&self, filter: &JournalFilter) -> JournalPage {
        let inner = self.lock();
        let mut matching: Vec<&(u64, Record, usize)> = inner
            .entries
            .iter()
            .filter(|(id, r, _)| filter.matches(*id, r))
            .collect();
        if let Some(limit) = filter.limit
            && matching.len() > limit
        {
            matching.drain(..matching.len() - limit);
        }
        JournalPage {
            entries: matching
                .into_iter()
                .map(|(id, r, _)| r.render(*id))
                .collect(),
            dropped: inner.dropped,
            max_entries: self.max_entries,
            max_bytes: self.max_bytes,
            bytes: inner.bytes,
        }
    }

    /// Forgets every entry (ids keep increasing).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.bytes = 0;
    }

    /// `(entries, bytes)` held now.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

/// Masks a token for the journal: enough to tell tokens apart, not enough to use one.
pub fn mask_token(token: &str) -> String {
    let shown: String = token.chars().take(4).collect();
    format!("{shown}… ({} chars)", token.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, account: Option<u64>, answer_len: usize) -> Record {
        entry_with(path, account, answer_len, HeaderMap::new())
    }

    fn entry_with(
        path: &str,
        account: Option<u64>,
        answer_len: usize,
        headers: HeaderMap,
    ) -> Record {
        Record {
            at: jiff::Timestamp::UNIX_EPOCH,
            request: KeptRequest::new(
                &Request {
                    method: Method::GET,
                    uri: path.parse().unwrap(),
                    headers,
                    body: Bytes::new(),
                    received: jiff::Timestamp::UNIX_EPOCH,
                },
                "x".repeat(answer_len).as_bytes(),
            ),
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
        assert!(bytes < KEEP + 1024, "{bytes} bytes held for one entry");
        let shown = &j.read(&JournalFilter::default()).entries[0].answer;
        assert_eq!(
            shown.chars().count(),
            MAX_ANSWER_CHARS + 1,
            "4096 characters and '…'"
        );
    }

    #[test]
    fn a_kept_request_gives_back_what_came() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        headers.append("x-tag", "a".parse().unwrap());
        headers.append("x-tag", "b".parse().unwrap());
        let req = Request {
            method: Method::POST,
            uri: "/apiproxy/3305/api/lead_update.ashx?by_id=100001"
                .parse()
                .unwrap(),
            headers,
            body: Bytes::from("%D7%9E%D7%98%D7%A4%D7%9C=%D7%A8%D7%95%D7%A0%D7%99%D7%AA"),
            received: jiff::Timestamp::UNIX_EPOCH,
        };
        let kept = KeptRequest::new(&req, br#"{"status":"success"}"#);
        assert_eq!(kept.method(), Method::POST);
        assert_eq!(kept.path(), "/apiproxy/3305/api/lead_update.ashx");
        assert_eq!(kept.query(), Some("by_id=100001"));
        let headers: Vec<(&str, &[u8])> = kept.headers().collect();
        assert_eq!(
            headers,
            [
                ("content-type", &b"application/x-www-form-urlencoded"[..]),
                ("x-tag", b"a"),
                ("x-tag", b"b")
            ]
        );
        assert_eq!(kept.body(), &req.body[..]);
        assert_eq!(kept.answer(), br#"{"status":"success"}"#);
        let used = ParamsUsed::Merged(crate::request::BodyKinds::FormOrJson);
        assert_eq!(
            kept.to_request(jiff::Timestamp::UNIX_EPOCH)
                .decode_again(used),
            [
                ("by_id".to_owned(), "100001".to_owned()),
                ("מטפל".to_owned(), "רונית".to_owned())
            ]
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
        headers.insert("x-lead-im-auth", "t-3305-rw".parse().unwrap());
        j.record(entry_with(
            "/apiproxy/3305/api/leads_get.ashx",
            Some(3305),
            1,
            headers,
        ));
        let e = &j.read(&JournalFilter::default()).entries[0];
        assert_eq!(
            e.headers,
            [("x-lead-im-auth".into(), "t-33… (9 chars)".into())]
        );
    }

    #[test]
    fn mask_shows_four_characters_and_the_length() {
        assert_eq!(mask_token("t-3305-rw"), "t-33… (9 chars)");
    }
}
