//! `GET /apiproxy/{aid}/api/leads_get.ashx?by_phone=` — `docs/contract.md`, "Look
//! leads up": a read token of the account, `by_phone` required, the account's leads
//! with that phone, newest first.

use super::{api_failure, lead_json, required, token};
use crate::error::ApiError;
use crate::fixtures::Scope;
use crate::reply::{Exchange, Reply};
use crate::request::{ParamsUsed, Request, TokenHeader};
use crate::store::{Lead, Store};
use std::cmp::Reverse;

/// The scope a token needs here.
const SCOPE: Scope = Scope::Read;

/// What a lookup found, rendered.
pub(crate) struct Found {
    pub aid: u64,
    pub count: usize,
    /// The success envelope.
    pub body: Vec<u8>,
}

/// Looks leads up by phone.
pub(crate) fn handle(store: &Store, req: &Request, aid: &str, ex: &mut Exchange) -> Reply {
    ex.account = aid.parse().ok();
    let params = match req.query_params() {
        Ok(p) => p,
        Err(e) => return api_failure(ex, &ApiError::Decode(e)),
    };
    ex.params = ParamsUsed::Query;
    let phone = params.get("by_phone");
    let outcome = find(store, aid, token(req), phone);
    match outcome {
        Err(e) => api_failure(ex, &e),
        Ok(found) => {
            if found.count == 0 {
                ex.note(format!(
                    "no lead of account {} has phone '{}' ({} match: Lead.IM compares the phone as the form stored it)",
                    found.aid,
                    phone.unwrap_or_default(),
                    store.phone_match()
                ));
            }
            Reply::json_body(found.body)
        }
    }
}

/// The leads of account `aid` with this phone, newest first, as the answer's JSON.
/// The token is checked first, then `by_phone`.
pub(crate) fn find(
    store: &Store,
    aid: &str,
    token: TokenHeader<'_>,
    phone: Option<&str>,
) -> Result<Found, ApiError> {
    store.read_account(aid, token, SCOPE, |account| {
        let phone = required(phone, "by_phone")?;
        let mut found = account.by_phone(phone);
        newest_first(&mut found);
        Ok(Found {
            aid: account.aid(),
            count: found.len(),
            body: lead_json::envelope(account, &found),
        })
    })
}

/// The answer's order: newest first, by creation time, then by the last update
/// among leads created in the same second, then the higher id.
pub(crate) fn newest_first(leads: &mut [&Lead]) {
    leads.sort_by_key(|l| Reverse((l.created_at, l.updated_at, l.lid)));
}
