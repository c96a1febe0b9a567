//! `POST /apiproxy/{aid}/api/lead_update.ashx` — `docs/contract.md`, "Update a
//! lead": a write token of the account, `by_id` names the lead, every other key a
//! form field key or a field name, `status_id`/`state_id` the status.

use super::submit::{cap, cap_of};
use super::{APIKEY, api_failure, lead_id, token};
use crate::error::ApiError;
use crate::fixtures::Scope;
use crate::reply::{JournalNotes, Reply};
use crate::request::{BodyKinds, Params, ParamsUsed, Request, TokenHeader};
use crate::store::{Form, LeadUpdate, Store};

/// The scope a token needs here.
const SCOPE: Scope = Scope::Write;

/// The body encodings an update takes: forms, and JSON since flow tools send it.
const BODY: BodyKinds = BodyKinds::FormOrJson;

/// Handles one update; nothing changes unless everything checks.
pub(crate) async fn handle(
    store: &Store,
    req: &Request,
    aid: &str,
    notes: &mut JournalNotes,
) -> Reply {
    notes.account = aid.parse().ok();
    let params = match req.merged_params(BODY).await {
        Ok(p) => p,
        Err(e) => return api_failure(notes, &ApiError::Decode(e)),
    };
    let mut diagnostics = Vec::new();
    let outcome = change(
        store,
        aid,
        token(req, &params),
        &params,
        req.received.as_second(),
        &mut diagnostics,
    );
    notes.params = ParamsUsed::Merged(BODY);
    match outcome {
        Err(e) => api_failure(notes, &e),
        Ok(_) => {
            notes.notes(diagnostics);
            Reply::success()
        }
    }
}

/// Applies the update `params` describe to a lead of account `aid`, dated `now`:
/// the token is checked first, then `by_id`, then the values. Returns the account.
pub(crate) fn change(
    store: &Store,
    aid: &str,
    token: TokenHeader<'_>,
    params: &Params<'_>,
    now: i64,
    diagnostics: &mut Vec<String>,
) -> Result<u64, ApiError> {
    store.update_lead(aid, token, SCOPE, now, |account| {
        let lid = lead_id(params.get("by_id"))?;
        let lead = account.lead(lid).ok_or(ApiError::LeadNotFound(lid))?;
        plan(account.form_of(lead), lid, params, diagnostics)
    })
}

/// What an update's parameters change in lead `lid` of `form`: values capped as a
/// submit caps them; an unknown key is ignored with a diagnostic. The control keys
/// set no field: `by_id` names the lead, `APIKEY` carries the token, `status_id`
/// (or `state_id`) sets the status, `route_adv=true` routes the lead to the
/// account's advertiser users.
fn plan<'p>(
    form: &Form,
    lid: u64,
    params: &'p Params<'_>,
    diagnostics: &mut Vec<String>,
) -> Result<LeadUpdate<'p>, ApiError> {
    let mut status_id = None;
    let mut route_to_advertisers = false;
    let mut values: Vec<(u16, &str)> = Vec::new();
    for (k, v) in params.iter() {
        match k {
            "by_id" | APIKEY => {}
            "status_id" | "state_id" => status_id = Some(status(k, v)?),
            "route_adv" => route_to_advertisers = routes(v, diagnostics),
            _ => match form.field_of_key(k).or_else(|| form.field_named(k)) {
                Some(idx) => values.push((idx, cap(k, v, cap_of(form, k, idx), diagnostics))),
                None => diagnostics.push(format!(
                    "unknown field {k}: ignored (form {} has no such key or field name)",
                    form.lm_form
                )),
            },
        }
    }
    Ok(LeadUpdate {
        lid,
        values,
        status_id,
        route_to_advertisers,
    })
}

/// `route_adv`: `true` (or `1`) routes; anything else leaves the routing as it is,
/// with a note.
fn routes(value: &str, diagnostics: &mut Vec<String>) -> bool {
    let value = value.trim();
    let route = value.eq_ignore_ascii_case("true") || value == "1";
    if !route {
        diagnostics.push(format!(
            "route_adv '{value}' is not true: the lead's routing is left as it is"
        ));
    }
    route
}

/// A `status_id` (or the older `state_id`): a number.
fn status(key: &str, value: &str) -> Result<u32, ApiError> {
    let key = if key == "status_id" {
        "status_id"
    } else {
        "state_id"
    };
    value
        .trim()
        .parse::<u32>()
        .map_err(|_| ApiError::MalformedStatus {
            key,
            value: value.into(),
        })
}
