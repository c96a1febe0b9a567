//! `GET /apiproxy/{aid}/api/lead_get.ashx?by_id=` — `docs/contract.md`, "One lead"
//! (under "Look leads up"): a read token of the account, `by_id` required, the one
//! lead in `data`; a lead of another account is not found.

use super::{api_failure, lead_id, lead_json, read_query, token};
use crate::error::ApiError;
use crate::fixtures::Scope;
use crate::reply::{JournalNotes, Reply};
use crate::request::Request;
use crate::store::Store;

/// The scope a token needs here.
const SCOPE: Scope = Scope::Read;

/// Gets one lead by id. The token is checked first, then `by_id`.
pub(crate) fn handle(store: &Store, req: &Request, aid: &str, notes: &mut JournalNotes) -> Reply {
    let params = match read_query(req, aid, notes) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let by_id = params.get("by_id");
    let outcome = store.read_account(aid, token(req, &params), SCOPE, |account| {
        let lid = lead_id(by_id)?;
        let lead = account.lead(lid).ok_or(ApiError::LeadNotFound(lid))?;
        Ok(lead_json::envelope(account, &[lead]))
    });
    match outcome {
        Err(e) => api_failure(notes, &e),
        Ok(body) => Reply::json_body(body),
    }
}
