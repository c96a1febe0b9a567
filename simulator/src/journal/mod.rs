//! The request journal: every exchange with the simulated API, with the decoded
//! parameters, the answer and diagnostics in plain words.
//!
//! Recording happens on every request, so a [`Record`] is cheap to build: one
//! compact copy of the request and of the answer's head ([`ExchangeCopy`]), and a note
//! of which parameters were decoded ([`ParamsUsed`]). The readable [`JournalEntry`]
//! — parameters decoded again, masked token, answer as text — is made only when the
//! journal is read, a page at a time (`page`), outside the journal's lock, with every
//! credential masked (`mask`). Bounded by entry count and by bytes: the oldest
//! entries go first, and the count of dropped entries is kept so a reader knows the
//! history is partial. It has its own lock (separate from the store's: no operation
//! needs both at once).

mod answer;
mod copy;
mod mask;
mod page;
mod summary;

pub use copy::{ExchangeCopy, MAX_ANSWER_BYTES};
pub use mask::mask_token;
pub(crate) use page::Picked;
pub use page::{DEFAULT_PAGE, JournalFilter, JournalPage, MAX_PAGE};

use crate::holds::{Lock, Timed};
use crate::request::ParamsUsed;
use crate::routes::{Door, Endpoint};
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
    /// Raw query string, if any, with credentials masked.
    pub query: Option<String>,
    /// The Lead.IM endpoint its path names (whatever the method), if any.
    pub endpoint: Option<Endpoint>,
    /// Which door of the endpoint: `v2`, `cors` or `v1` for `submit`; `api` or
    /// `short` for `update`.
    pub door: Option<Door>,
    /// The account it concerned, when known.
    pub account: Option<u64>,
    /// The decoded parameters (query and body), in order, with credentials
    /// (`APIKEY` and the like) masked.
    pub params: Vec<(String, String)>,
    /// Request headers, with credentials (`X-LEAD-IM-AUTH`, `Authorization`,
    /// `X-Admin-Token`, cookies) masked.
    pub headers: Vec<(String, String)>,
    /// The answer's HTTP status (0 when no answer was sent).
    pub status: u16,
    /// The answer's body (cut at 4096 characters). Over the admin API a JSON body
    /// is JSON, anything else a string.
    #[serde(with = "answer")]
    pub answer: String,
    /// What was wrong (errors), or cut, ignored or unknown (notes), in plain words.
    pub diagnostics: Vec<Diagnostic>,
    /// The fault injected into this exchange, if any.
    pub fault: Option<String>,
    /// Time spent answering, in microseconds.
    pub micros: u64,
}

/// How much a diagnostic matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The request was wrong: refused, no such endpoint, a bad token. An adapter
    /// that talks to Lead.IM correctly causes none.
    Error,
    /// The request was taken, but something was ignored, cut or unknown.
    Note,
}

/// One thing the simulator has to say about a request, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Error or note.
    pub level: Level,
    /// What happened.
    pub text: String,
}

impl Diagnostic {
    /// A note.
    pub fn note(text: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Note,
            text: text.into(),
        }
    }

    /// An error.
    pub fn error(text: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Error,
            text: text.into(),
        }
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Note => "note",
        };
        write!(f, "{level}: {}", self.text)
    }
}

impl JournalEntry {
    /// True when any diagnostic contains `needle`.
    pub fn has_diagnostic(&self, needle: &str) -> bool {
        self.diagnostics.iter().any(|d| d.text.contains(needle))
    }

    /// The error-level diagnostics: what the request did wrong.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// Whether the request did something wrong.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
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
/// request ([`ExchangeCopy::answer`]).
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

/// One exchange as the server records it: cheap to build, rendered on reading.
#[derive(Debug, Clone)]
pub struct Record {
    /// When it arrived.
    pub at: jiff::Timestamp,
    /// The request as it came (headers unmasked: masked when rendered).
    pub request: ExchangeCopy,
    /// The endpoint its path names.
    pub endpoint: Option<Endpoint>,
    /// Which of its doors.
    pub door: Option<Door>,
    /// The account, when known.
    pub account: Option<u64>,
    /// Which parameters the exchange decoded; decoded again when rendered.
    pub params: ParamsUsed,
    /// Status sent (0 for none).
    pub status: u16,
    /// What kind of answer it was.
    pub answer: Answer,
    /// Diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// Injected fault.
    pub fault: Option<String>,
    /// Time spent, in microseconds.
    pub micros: u64,
}

impl Record {
    /// Estimated bytes held, for the journal's byte bound.
    fn weight(&self) -> usize {
        320 + self.request.size()
            + self
                .diagnostics
                .iter()
                .map(|d| d.text.len() + 24)
                .sum::<usize>()
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
            query: self.request.query().map(|q| mask::query(q).into_owned()),
            endpoint: self.endpoint,
            door: self.door,
            account: self.account,
            params: mask::params(self.request.to_request(self.at).decode_again(self.params)),
            headers: self
                .request
                .headers()
                .map(|(name, value)| {
                    let name = name.to_ascii_lowercase();
                    let shown = mask::header(&name, &String::from_utf8_lossy(value));
                    (name, shown)
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

#[derive(Debug)]
struct Inner {
    /// `(id, record, weight)`, oldest first; the ids one after another.
    entries: VecDeque<(u64, Arc<Record>, usize)>,
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

    fn lock(&self) -> Timed<std::sync::MutexGuard<'_, Inner>> {
        let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        Timed::new(guard, Lock::Journal)
    }

    /// Adds a record, giving it the next id; drops the oldest to stay in bounds.
    pub fn record(&self, record: Record) {
        let weight = record.weight();
        // Shared, so that a read takes its records under the lock without copying
        // them and renders them after.
        let record = Arc::new(record);
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

    /// A page of the entries matching `filter`: after `since`, oldest first, at most
    /// its limit, rendered. Rendering happens after the lock is released; for a
    /// large page, [`Journal::pick`] on the runtime and [`Picked::render`] off it.
    pub fn read(&self, filter: &JournalFilter) -> JournalPage {
        self.pick(filter).render()
    }

    /// Every entry matching `filter` after its `since`, oldest first, read a page at
    /// a time (its `limit` is the page size, at most [`MAX_PAGE`]), so that the lock
    /// is never held for the whole journal.
    pub fn read_all(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        let mut filter = JournalFilter {
            limit: Some(MAX_PAGE),
            ..filter.clone()
        };
        let mut entries = Vec::new();
        loop {
            let page = self.read(&filter);
            entries.extend(page.entries);
            if !page.more {
                return entries;
            }
            filter.since = Some(page.next_since);
        }
    }

    /// Picks the page `filter` asks for, under the lock: its records (shared, not
    /// copied) and its cursor; rendering it is the caller's, after.
    pub(crate) fn pick(&self, filter: &JournalFilter) -> Picked {
        let limit = filter.page_limit();
        let path = filter.path.as_deref().map(str::to_ascii_lowercase);
        let since = filter.since.unwrap_or(0);
        let inner = self.lock();
        let newest = inner.next_id - 1;
        let oldest = inner.entries.front().map_or(inner.next_id, |e| e.0);
        // Ids run one after another, so `since` is a position: no scan to find it.
        let start = usize::try_from((since + 1).saturating_sub(oldest))
            .unwrap_or(usize::MAX)
            .min(inner.entries.len());
        let mut records = Vec::with_capacity(limit.min(inner.entries.len() - start));
        let mut more = false;
        for (id, record, _) in inner.entries.range(start..) {
            if !filter.matches(path.as_deref(), record) {
                continue;
            }
            if records.len() == limit {
                more = true;
                break;
            }
            records.push((*id, record.clone()));
        }
        let next_since = match records.last() {
            Some((last, _)) if more => *last,
            _ if more => since,
            _ => newest.max(since),
        };
        Picked {
            records,
            next_since,
            more,
            missed: oldest.saturating_sub(since + 1),
            limit,
            held: inner.entries.len(),
            dropped: inner.dropped,
            max_entries: self.max_entries,
            max_bytes: self.max_bytes,
            bytes: inner.bytes,
        }
    }

    /// The id of the last entry recorded (0 before the first): what comes next has
    /// a higher one, even after [`Journal::clear`].
    pub fn last_id(&self) -> u64 {
        self.lock().next_id - 1
    }

    /// Forgets every entry (ids keep increasing).
    pub fn clear(&self) {
        let mut inner = self.lock();
        let gone = std::mem::take(&mut inner.entries);
        inner.bytes = 0;
        drop(inner);
        // Thousands of records are freed after the lock is released, not under it.
        drop(gone);
    }

    /// `(entries, bytes)` held now.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests;
