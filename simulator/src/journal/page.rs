//! Reading the journal a page at a time: the entries after a cursor (`since`),
//! oldest first, at most `limit` of them, and the cursor for the next page.
//!
//! Under the journal's lock a read only picks its records — an `Arc` each, at most
//! [`MAX_PAGE`] of them — and the page is rendered after the lock is released: a
//! full journal (8 MiB) renders to megabytes of JSON, and rendering it under the
//! lock held up every request for more than a second.

use super::{JournalEntry, Record};
use crate::routes::Endpoint;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Entries in a page when the reader gives no `limit`.
pub const DEFAULT_PAGE: usize = 100;
/// Most entries in a page: a larger `limit` is cut to it.
pub const MAX_PAGE: usize = 1_000;

/// Which entries to read: the same filters as `GET /__admin/requests`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use leadim_simulator::{AUTH_HEADER, Endpoint, JournalFilter, Simulator};
///
/// let sim = Simulator::start().await.unwrap();
/// let account = sim.create_account();
/// reqwest::Client::new()
///     .get(&account.get_customer_details_url)
///     .query(&[("by_phone", "054-318-2290")])
///     .header(AUTH_HEADER, &account.read_token)
///     .send()
///     .await
///     .unwrap();
/// let page = sim.requests(&JournalFilter {
///     account: Some(account.aid),
///     path: Some("leads_get".into()),
///     ..JournalFilter::default()
/// });
/// let entry = &page.entries[0];
/// assert_eq!(entry.endpoint, Some(Endpoint::Lookup));
/// assert_eq!(entry.param("by_phone"), Some("054-318-2290"));
/// // Nothing matched: the journal says why, in plain words.
/// assert!(entry.has_diagnostic("no lead of account"));
/// // The next page starts after this one: nothing new yet.
/// let next = sim.requests(&JournalFilter {
///     since: Some(page.next_since),
///     ..JournalFilter::default()
/// });
/// assert!(next.entries.is_empty() && !next.more);
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct JournalFilter {
    /// Only this account's.
    pub account: Option<u64>,
    /// Only paths containing this text (case-insensitive), e.g. `leads_get`.
    pub path: Option<String>,
    /// Only this endpoint's (whatever the method, as [`JournalEntry::endpoint`]).
    pub endpoint: Option<Endpoint>,
    /// Only entries with at least one diagnostic.
    #[serde(default)]
    pub with_diagnostics: bool,
    /// Only entries after this id: the `next_since` of the page before.
    pub since: Option<u64>,
    /// At most this many, the oldest after `since` ([`DEFAULT_PAGE`] when not
    /// given, at most [`MAX_PAGE`]).
    pub limit: Option<usize>,
}

impl JournalFilter {
    /// The page's size: the limit asked for, within [`MAX_PAGE`].
    pub fn page_limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE)
    }

    /// Whether the record `r` is one this filter asks for (`since` apart, which the
    /// read applies by position). `path` is the filter's path in lower case.
    pub(super) fn matches(&self, path: Option<&str>, r: &Record) -> bool {
        self.account.is_none_or(|a| r.account == Some(a))
            && self.endpoint.is_none_or(|e| r.endpoint == Some(e))
            && (!self.with_diagnostics || !r.diagnostics.is_empty())
            && path.is_none_or(|p| contains_ignore_case(r.request.path(), p))
    }
}

/// `haystack` contains `needle` (lower case) in any case, without a copy.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    needle.is_empty()
        || haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A page of the journal, what [`crate::SimulatorHandle::requests`] and
/// `GET /__admin/requests` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalPage {
    /// Matching entries after `since`, oldest first, at most `limit`.
    pub entries: Vec<JournalEntry>,
    /// The cursor: read the next page with `since` set to it. After a full page it
    /// is the last entry's id; otherwise the newest id the journal has given, so the
    /// next read skips what this one looked at.
    pub next_since: u64,
    /// True when the page stopped at its limit with more matching entries after it.
    pub more: bool,
    /// Entries after `since` that the journal no longer holds (dropped to keep its
    /// bound, or cleared): a reader that fell that far behind missed them.
    pub missed: u64,
    /// The page size in force (the `limit` asked for, within 1,000).
    pub limit: usize,
    /// Entries held now.
    pub held: usize,
    /// Entries dropped so far to keep the bound.
    pub dropped: u64,
    /// The bound on entries.
    pub max_entries: usize,
    /// The bound on bytes.
    pub max_bytes: usize,
    /// Bytes held now (estimated).
    pub bytes: usize,
}

/// A page as picked under the journal's lock, to be rendered after it.
#[derive(Debug)]
pub(crate) struct Picked {
    pub(super) records: Vec<(u64, Arc<Record>)>,
    pub(super) next_since: u64,
    pub(super) more: bool,
    pub(super) missed: u64,
    pub(super) limit: usize,
    pub(super) held: usize,
    pub(super) dropped: u64,
    pub(super) max_entries: usize,
    pub(super) max_bytes: usize,
    pub(super) bytes: usize,
}

impl Picked {
    /// The page: each record rendered (parameters decoded again, credentials
    /// masked). Takes as long as the page is large: call it off the runtime's worker
    /// threads for a large one.
    pub fn render(self) -> JournalPage {
        JournalPage {
            entries: self
                .records
                .iter()
                .map(|(id, record)| record.render(*id))
                .collect(),
            next_since: self.next_since,
            more: self.more,
            missed: self.missed,
            limit: self.limit,
            held: self.held,
            dropped: self.dropped,
            max_entries: self.max_entries,
            max_bytes: self.max_bytes,
            bytes: self.bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Journal;
    use super::super::tests::entry;
    use super::*;

    #[test]
    fn the_limit_defaults_to_100_and_is_cut_at_1000() {
        let with = |limit| JournalFilter {
            limit,
            ..JournalFilter::default()
        };
        assert_eq!(with(None).page_limit(), 100);
        assert_eq!(with(Some(7)).page_limit(), 7);
        assert_eq!(with(Some(5_000)).page_limit(), 1_000);
    }

    #[test]
    fn a_path_matches_in_any_case() {
        assert!(contains_ignore_case(
            "/APIProxy/1/api/Leads_Get.ashx",
            "leads_get"
        ));
        assert!(!contains_ignore_case("/v2/submit", "leads_get"));
        assert!(contains_ignore_case("/v2/submit", ""));
    }

    fn ids(page: &JournalPage) -> Vec<u64> {
        page.entries.iter().map(|e| e.id).collect()
    }

    fn after(since: Option<u64>, limit: Option<usize>) -> JournalFilter {
        JournalFilter {
            since,
            limit,
            ..JournalFilter::default()
        }
    }

    #[test]
    fn pages_go_oldest_first_after_the_cursor() {
        let j = Journal::new(usize::MAX, usize::MAX);
        for i in 0..250 {
            j.record(entry(&format!("/p{i}"), Some(i % 2), 1));
        }
        let first = j.read(&after(None, None));
        assert_eq!(ids(&first), (1..=100).collect::<Vec<_>>(), "100 by default");
        assert_eq!(
            (first.next_since, first.more, first.limit),
            (100, true, 100)
        );
        let second = j.read(&after(Some(first.next_since), Some(120)));
        assert_eq!(ids(&second), (101..=220).collect::<Vec<_>>());
        let last = j.read(&after(Some(second.next_since), Some(5_000)));
        assert_eq!(ids(&last), (221..=250).collect::<Vec<_>>());
        assert_eq!(
            (last.next_since, last.more, last.limit),
            (250, false, 1_000)
        );
        assert_eq!(last.held, 250);
        let none = j.read(&after(Some(last.next_since), None));
        assert!(none.entries.is_empty() && !none.more);
        assert_eq!(none.next_since, 250);
    }

    #[test]
    fn a_filtered_page_skips_what_it_looked_at() {
        let j = Journal::new(usize::MAX, usize::MAX);
        for i in 0..10 {
            j.record(entry(&format!("/p{i}"), Some(u64::from(i == 3)), 1));
        }
        let only = JournalFilter {
            account: Some(1),
            ..JournalFilter::default()
        };
        let page = j.read(&only);
        assert_eq!(ids(&page), [4]);
        assert_eq!(
            (page.next_since, page.more),
            (10, false),
            "past every id seen"
        );
        let counters = j.read(&after(Some(2), Some(0)));
        assert!(counters.entries.is_empty());
        assert_eq!((counters.next_since, counters.more), (2, true));
    }

    #[test]
    fn filters_by_endpoint_and_diagnostics() {
        let j = Journal::new(usize::MAX, usize::MAX);
        for (i, endpoint) in [Endpoint::Submit, Endpoint::Lookup, Endpoint::Submit]
            .into_iter()
            .enumerate()
        {
            let mut record = entry("/v2/submit", Some(3305), 1);
            record.endpoint = Some(endpoint);
            if i > 0 {
                record.diagnostics.push(super::super::Diagnostic::note(
                    "unknown parameter 'fld_x' ignored",
                ));
            }
            j.record(record);
        }
        let submits = JournalFilter {
            endpoint: Some(Endpoint::Submit),
            ..JournalFilter::default()
        };
        assert_eq!(ids(&j.read(&submits)), [1, 3]);
        let diagnosed = JournalFilter {
            with_diagnostics: true,
            ..submits
        };
        assert_eq!(ids(&j.read(&diagnosed)), [3]);
        assert_eq!(j.last_id(), 3);
    }

    #[test]
    fn a_reader_left_behind_is_told_what_it_missed() {
        let j = Journal::new(10, usize::MAX);
        for i in 0..30 {
            j.record(entry(&format!("/p{i}"), None, 1));
        }
        let page = j.read(&after(Some(5), Some(3)));
        assert_eq!(ids(&page), [21, 22, 23]);
        assert_eq!(page.missed, 15, "ids 6 to 20 were dropped");
        assert_eq!(j.read(&after(Some(25), None)).missed, 0);
        j.clear();
        let cleared = j.read(&after(Some(25), None));
        assert_eq!((cleared.missed, cleared.next_since), (5, 30));
    }
}
