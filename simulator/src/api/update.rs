//! `POST /apiproxy/{aid}/api/lead_update.ashx`: sets fields and status of a lead.

use super::{api_failure, token};
use crate::error::ApiError;
use crate::reply::{Exchange, Reply};
use crate::request::{BodyKinds, ParamsUsed, Request};
use crate::store::Store;

/// Handles one update.
pub async fn handle(store: &Store, req: &Request, aid: &str, ex: &mut Exchange) -> Reply {
    ex.account = aid.parse().ok();
    let params = match req.merged_params(BodyKinds::FormOrJson).await {
        Ok(p) => p,
        Err(e) => return api_failure(ex, ApiError::Decode(e)),
    };
    let outcome = store.update(aid, token(req), &params, req.received);
    ex.params = ParamsUsed::Merged(BodyKinds::FormOrJson);
    match outcome {
        Err(e) => api_failure(ex, e),
        Ok((_, diagnostics)) => {
            ex.diagnostics.extend(diagnostics);
            Reply::success()
        }
    }
}
