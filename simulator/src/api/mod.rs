//! The simulated Lead.IM endpoints, one file each, holding that endpoint's rules:
//! which parameters it takes and requires, in which order it checks them, and the
//! shape of its answer. Each file names the section of `docs/contract.md` it
//! implements. Every handler answers the way the contract says, records what the
//! journal needs in the [`JournalNotes`], and never fails: a problem is an answer.

pub(crate) mod cors;
pub(crate) mod get;
pub(crate) mod lead_json;
pub(crate) mod lead_page;
pub(crate) mod lookup;
pub(crate) mod submit;
pub(crate) mod update;

use crate::error::ApiError;
use crate::reply::{JournalNotes, Reply};
use crate::request::{Params, Request, TokenHeader};

/// The header that carries an `/apiproxy/` token, as Lead.IM names it.
pub const AUTH_HEADER: &str = "X-LEAD-IM-AUTH";

/// The field PHP forms send the token in, in the body or the query, instead of the
/// header (observed).
pub(crate) const APIKEY: &str = "APIKEY";

/// The token of a request, as the store's authorization takes it: the
/// `X-LEAD-IM-AUTH` header, or when there is none an `APIKEY` parameter.
pub(crate) fn token<'r>(req: &'r Request, params: &'r Params<'_>) -> TokenHeader<'r> {
    // A ready `HeaderName`: looking a header up by `&str` parses the name each time.
    const AUTH: hyper::header::HeaderName =
        hyper::header::HeaderName::from_static("x-lead-im-auth");
    match req.token_header(&AUTH) {
        TokenHeader::Missing => params
            .get(APIKEY)
            .map_or(TokenHeader::Missing, TokenHeader::Value),
        header => header,
    }
}

/// A parameter the endpoint requires: present and not empty.
pub(crate) fn required<'p>(
    value: Option<&'p str>,
    name: &'static str,
) -> Result<&'p str, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or(ApiError::MissingParam(name))
}

/// `by_id`, as `lead_get.ashx` and `lead_update.ashx` take it: required, a number.
pub(crate) fn lead_id(by_id: Option<&str>) -> Result<u64, ApiError> {
    let raw = required(by_id, "by_id")?;
    raw.trim()
        .parse()
        .map_err(|_| ApiError::MalformedId(raw.into()))
}

/// The query parameters of a read (`lookup`, `get`) of account `aid`, noted for the
/// journal; a query that does not decode is answered with the failure envelope.
pub(crate) fn read_query<'r>(
    req: &'r Request,
    aid: &str,
    notes: &mut JournalNotes,
) -> Result<Params<'r>, Reply> {
    notes.account = aid.parse().ok();
    let params = req
        .query_params()
        .map_err(|e| api_failure(notes, &ApiError::Decode(e)))?;
    notes.params = crate::request::ParamsUsed::Query;
    Ok(params)
}

/// Answers an `/apiproxy/` failure: the envelope says what the answer may say, the
/// journal says everything.
pub(crate) fn api_failure(notes: &mut JournalNotes, error: &ApiError) -> Reply {
    notes.error(error.diagnostic());
    Reply::failure(&error.to_string())
}
