//! CORS on the proxy — `docs/contract.md`, "CORS on the proxy": browser pages call
//! `/apiproxy/` directly (`lead_update.ashx` with `X-LEAD-IM-AUTH`, and
//! `submit.cors.v2.ashx`), so the proxy answers the preflight and lets any origin
//! read its answers. `/v2/submit` is called with `mode: 'no-cors'` and sends none.

use crate::reply::Reply;
use hyper::StatusCode;
use hyper::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE,
};

/// Any origin may call the proxy [modeled]: its tokens travel in a header or a
/// field, never in a cookie, so no credentials are involved.
const ANY_ORIGIN: &str = "*";

/// The methods the proxy's doors take, preflight included.
const METHODS: &str = "GET, POST, OPTIONS";

/// The request headers a page may send: the token's and the body's type.
const HEADERS: &str = "x-lead-im-auth, content-type";

/// How long a browser may keep the preflight's answer.
const MAX_AGE_SECS: &str = "600";

/// The answer to a browser's `OPTIONS` preflight of a proxy door: 204, no body.
pub(crate) fn preflight() -> Reply {
    allow_origin(Reply::empty(StatusCode::NO_CONTENT))
        .with_header(ACCESS_CONTROL_ALLOW_METHODS, METHODS)
        .with_header(ACCESS_CONTROL_ALLOW_HEADERS, HEADERS)
        .with_header(ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECS)
}

/// Lets a browser page read this answer of the proxy.
pub(crate) fn allow_origin(reply: Reply) -> Reply {
    reply.with_header(ACCESS_CONTROL_ALLOW_ORIGIN, ANY_ORIGIN)
}
