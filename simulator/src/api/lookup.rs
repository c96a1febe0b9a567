//! `GET /apiproxy/{aid}/api/leads_get.ashx?by_phone=` — `docs/contract.md`, "Look
//! leads up": a read token of the account, `by_phone` required, the account's leads
//! with that phone, newest first, at most [`DEFAULT_LOOKUP_CAP`] of them
//! (`M20-lookup-cap`).

use super::{api_failure, lead_json, read_query, required, token};
use crate::error::ApiError;
use crate::fixtures::Scope;
use crate::reply::{JournalNotes, Reply};
use crate::request::{Request, TokenHeader};
use crate::store::{Lead, Store};
use std::cmp::Reverse;

/// The scope a token needs here.
const SCOPE: Scope = Scope::Read;

/// Most leads a lookup answers with (`M20-lookup-cap`): the newest, when a phone has
/// more — a CI run that submits one test phone again and again would otherwise get
/// an answer that grows without bound, built under the store's lock.
pub const DEFAULT_LOOKUP_CAP: usize = 500;

/// What a lookup found, rendered.
pub(crate) struct Found {
    pub aid: u64,
    /// Leads in the answer.
    pub count: usize,
    /// Leads filed under the phone: more than `count` when the cap cut the answer.
    pub total: usize,
    /// The success envelope.
    pub body: Vec<u8>,
}

/// Looks leads up by phone, answering with at most `cap` leads.
pub(crate) fn handle(
    store: &Store,
    req: &Request,
    aid: &str,
    cap: usize,
    notes: &mut JournalNotes,
) -> Reply {
    let params = match read_query(req, aid, notes) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let phone = params.get("by_phone");
    let outcome = find(store, aid, token(req, &params), phone, cap);
    match outcome {
        Err(e) => api_failure(notes, &e),
        Ok(found) => {
            if found.count == 0 {
                notes.note(format!(
                    "no lead of account {} has phone '{}' ({} match: Lead.IM compares the phone as the form stored it)",
                    found.aid,
                    phone.unwrap_or_default(),
                    store.phone_match()
                ));
            }
            if found.total > found.count {
                notes.note(format!(
                    "{} leads of account {} have phone '{}': the answer holds the newest {} (the lookup's cap, M20-lookup-cap)",
                    found.total,
                    found.aid,
                    phone.unwrap_or_default(),
                    found.count
                ));
            }
            Reply::json_body(found.body)
        }
    }
}

/// The leads of account `aid` with this phone, newest first, as the answer's JSON:
/// at most `cap`, the ones stored under the phone last. The token is checked first,
/// then `by_phone`.
pub(crate) fn find(
    store: &Store,
    aid: &str,
    token: TokenHeader<'_>,
    phone: Option<&str>,
    cap: usize,
) -> Result<Found, ApiError> {
    store.read_account(aid, token, SCOPE, |account| {
        let phone = required(phone, "by_phone")?;
        let (mut found, total) = account.by_phone_latest(phone, cap);
        newest_first(&mut found);
        Ok(Found {
            aid: account.aid(),
            count: found.len(),
            total,
            body: lead_json::envelope(account, &found),
        })
    })
}

/// The answer's order (`M9-newest-first`): newest first, by creation time; among
/// leads created in the same second, the one updated last first (a seeded or
/// restored lead may carry any id, so the id alone says nothing about age); the
/// higher id first when both times are equal.
pub(crate) fn newest_first(leads: &mut [&Lead]) {
    leads.sort_by_key(|l| Reverse((l.created_at, l.updated_at, l.lid)));
}
