//! `GET /apiproxy/{aid}/api/leads_get.ashx?by_phone=` and `lead_get.ashx?by_id=`.

use super::{api_failure, token};
use crate::error::ApiError;
use crate::reply::{Exchange, Reply};
use crate::request::{ParamsUsed, Request};
use crate::store::Store;

/// Looks leads up by phone.
pub fn by_phone(store: &Store, req: &Request, aid: &str, ex: &mut Exchange) -> Reply {
    ex.account = aid.parse().ok();
    let params = match req.query_params() {
        Ok(p) => p,
        Err(e) => return api_failure(ex, ApiError::Decode(e)),
    };
    let outcome = store.leads_by_phone_json(aid, token(req), params.get("by_phone"));
    match outcome {
        Err(e) => {
            ex.params = ParamsUsed::Query;
            api_failure(ex, e)
        }
        Ok((aid, found, body)) => {
            if found == 0 {
                ex.note(format!(
                    "no lead of account {aid} has phone '{}' ({} match: Lead.IM compares the phone as the form stored it)",
                    params.get("by_phone").unwrap_or_default(),
                    store.phone_match()
                ));
            }
            ex.params = ParamsUsed::Query;
            Reply::json_body(body)
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
    let outcome = store.lead_by_id_json(aid, token(req), params.get("by_id"));
    ex.params = ParamsUsed::Query;
    match outcome {
        Err(e) => api_failure(ex, e),
        Ok((_, body)) => Reply::json_body(body),
    }
}
