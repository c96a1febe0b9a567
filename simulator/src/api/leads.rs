//! `GET /apiproxy/{aid}/api/leads_get.ashx?by_phone=` and `lead_get.ashx?by_id=`.

use super::{api_failure, token};
use crate::error::ApiError;
use crate::reply::{Exchange, Reply};
use crate::request::Request;
use crate::store::Store;

/// Looks leads up by phone.
pub fn by_phone(store: &Store, req: &Request, aid: &str, ex: &mut Exchange) -> Reply {
    ex.account = aid.parse().ok();
    let params = match req.query_params() {
        Ok(p) => p,
        Err(e) => return api_failure(ex, ApiError::Decode(e)),
    };
    let phone = params.get("by_phone").map(str::to_owned);
    let outcome = store.leads_by_phone(aid, token(req), phone.as_deref());
    ex.params = params.into_pairs();
    match outcome {
        Err(e) => api_failure(ex, e),
        Ok((aid, leads)) => {
            if leads.is_empty() {
                ex.note(format!(
                    "no lead of account {aid} has phone '{}' ({} match: Lead.IM compares the phone as the form stored it)",
                    phone.unwrap_or_default(),
                    store.phone_match()
                ));
            }
            Reply::success_data(&leads)
        }
    }
}

/// Gets one lead by id.
pub fn by_id(store: &Store, req: &Request, aid: &str, ex: &mut Exchange) -> Reply {
    ex.account = aid.parse().ok();
    let params = match req.query_params() {
        Ok(p) => p,
        Err(e) => return api_failure(ex, ApiError::Decode(e)),
    };
    let outcome = store.lead_by_id(aid, token(req), params.get("by_id"));
    ex.params = params.into_pairs();
    match outcome {
        Err(e) => api_failure(ex, e),
        Ok((_, lead)) => Reply::success_data(std::slice::from_ref(&lead)),
    }
}
