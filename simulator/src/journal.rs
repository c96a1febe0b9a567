//! The request journal: every exchange with the simulated API, with the decoded
//! parameters, the answer and diagnostics in plain words.
//!
//! Bounded by entry count and by bytes: the oldest entries go first, and the count
//! of dropped entries is kept so a reader knows the history is partial. It has its
//! own lock (separate from the store's: no operation needs both at once).

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Default maximum number of entries.
pub const DEFAULT_MAX_ENTRIES: usize = 2_000;
/// Default maximum of the entries' estimated size.
pub const DEFAULT_MAX_BYTES: usize = 8 * 1024 * 1024;
/// Answers longer than this are cut in the journal (not on the wire).
const MAX_ANSWER_CHARS: usize = 4096;

/// One request and its answer.
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
    /// The answer's HTTP status.
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
    fn weight(&self) -> usize {
        let pairs = |v: &Vec<(String, String)>| {
            v.iter().map(|(a, b)| a.len() + b.len() + 48).sum::<usize>()
        };
        256 + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + pairs(&self.params)
            + pairs(&self.headers)
            + self.answer.len()
            + self.diagnostics.iter().map(|d| d.len() + 24).sum::<usize>()
            + self.fault.as_ref().map_or(0, String::len)
    }

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
    fn matches(&self, e: &JournalEntry) -> bool {
        self.account.is_none_or(|a| e.account == Some(a))
            && self.since.is_none_or(|s| e.id > s)
            && self.path.as_ref().is_none_or(|p| {
                e.path
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
    entries: VecDeque<Arc<JournalEntry>>,
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

    /// Adds an entry, giving it its id; drops the oldest to stay in bounds.
    pub fn record(&self, mut entry: JournalEntry) {
        if let Some((cut, _)) = entry.answer.char_indices().nth(MAX_ANSWER_CHARS) {
            entry.answer.truncate(cut);
            entry.answer.push('…');
        }
        let weight = entry.weight();
        let mut inner = self.lock();
        entry.id = inner.next_id;
        inner.next_id += 1;
        inner.bytes += weight;
        inner.entries.push_back(Arc::new(entry));
        while inner.entries.len() > self.max_entries
            || (inner.bytes > self.max_bytes && inner.entries.len() > 1)
        {
            if let Some(old) = inner.entries.pop_front() {
                inner.bytes -= old.weight();
                inner.dropped += 1;
            }
        }
    }

    /// The entries matching `filter`, oldest first.
    pub fn read(&self, filter: &JournalFilter) -> JournalPage {
        let inner = self.lock();
        let mut entries: Vec<JournalEntry> = inner
            .entries
            .iter()
            .filter(|e| filter.matches(e))
            .map(|e| JournalEntry::clone(e))
            .collect();
        if let Some(limit) = filter.limit
            && entries.len() > limit
        {
            entries.drain(..entries.len() - limit);
        }
        JournalPage {
            entries,
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

    fn entry(path: &str, account: Option<u64>, answer_len: usize) -> JournalEntry {
        JournalEntry {
            id: 0,
            at: String::new(),
            method: "GET".into(),
            path: path.into(),
            query: None,
            account,
            params: vec![],
            headers: vec![],
            status: 200,
            answer: "x".repeat(answer_len),
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
    fn tokens_are_masked() {
        assert_eq!(mask_token("t-3305-rw"), "t-33… (9 chars)");
    }
}
