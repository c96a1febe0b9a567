//! The simulated Lead.IM endpoints, one module each. Every handler answers the way
//! the contract says, records what the journal needs in the [`Exchange`], and never
//! fails: a problem is an answer.

pub mod leads;
pub mod submit;
pub mod update;

use crate::error::ApiError;
use crate::reply::{Exchange, Reply};
use crate::request::Request;

/// The header that carries the token.
pub const AUTH_HEADER: &str = "x-lead-im-auth";

/// The token of a request, as the store's authorization takes it.
pub(crate) fn token(req: &Request) -> Option<Result<&str, ()>> {
    // A ready `HeaderName`: looking a header up by `&str` parses the name each time.
    const AUTH: hyper::header::HeaderName = hyper::header::HeaderName::from_static(AUTH_HEADER);
    req.header_str(&AUTH)
}

/// Answers an `/apiproxy/` failure: the envelope says what the answer may say, the
/// journal says everything.
pub(crate) fn api_failure(ex: &mut Exchange, error: ApiError) -> Reply {
    ex.note(error.diagnostic());
    Reply::failure(&error.to_string())
}
