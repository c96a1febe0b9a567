//! What keeps the admin surface safe in a browser — `docs/contract.md`, "Admin
//! surface": a change asked by a page of another origin is refused, token or not
//! (cookies do not tell two ports of 127.0.0.1 apart, and without `--admin-token`
//! the admin API is open to any page the developer's browser shows); and the admin
//! token, given once in the dashboard, travels in an HttpOnly, SameSite=Strict
//! cookie sent to `/__admin` only, never in a URL.

use crate::reply::Reply;
use crate::request::Request;
use crate::server::Services;
use hyper::{Method, StatusCode, header};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The cookie that carries the admin token.
pub(crate) const COOKIE: &str = "leadim_admin";

/// Where the cookie is sent: the admin surface only, never the Lead.IM API.
const COOKIE_PATH: &str = "/__admin";

/// The refusal of a change (any method but GET, HEAD and OPTIONS) whose `Origin` is
/// not this simulator's; `None` when it may go on. A request without `Origin` is not
/// a page's (browsers send it with every cross-origin change): curl, a test, the
/// conformance suite.
pub(crate) fn cross_origin(app: &Services, req: &Request) -> Option<Reply> {
    if matches!(req.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let origin = req.headers.get(header::ORIGIN)?;
    let origin = String::from_utf8_lossy(origin.as_bytes());
    let own = app.base_url_for(req);
    if authority(&origin)
        .is_some_and(|given| authority(&own).is_some_and(|o| o.eq_ignore_ascii_case(given)))
    {
        return None;
    }
    Some(Reply::error(
        StatusCode::FORBIDDEN,
        &format!(
            "a change asked by a page of another origin is refused: Origin '{origin}' is not this simulator ({own}); the admin API takes changes from its own dashboard and from clients that send no Origin"
        ),
    ))
}

/// The `host[:port]` of an `http(s)://` origin or base URL. The scheme is not
/// compared: behind a TLS terminator the page is `https` and the simulator `http`.
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    Some(rest.trim_end_matches('/'))
}

/// The token the dashboard's cookie carries, if any.
pub(crate) fn cookie_token(req: &Request) -> Option<String> {
    req.headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| percent_decode_str(value).decode_utf8().ok())
        .map(|token| token.into_owned())
}

/// The `Set-Cookie` value that keeps `token` for this browser session. Percent-encoded:
/// a token may hold characters a cookie value may not (`;`, `,`, spaces, quotes).
pub(crate) fn keep_token(token: &str) -> String {
    let value = utf8_percent_encode(token, NON_ALPHANUMERIC);
    format!("{COOKIE}={value}; Path={COOKIE_PATH}; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that forgets the token.
pub(crate) fn forget_token() -> String {
    format!("{COOKIE}=; Path={COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use hyper::HeaderMap;

    fn request(method: Method, headers: &[(&str, &str)]) -> Request {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        Request {
            method,
            uri: "/__admin/reset".parse().unwrap(),
            headers: map,
            body: Bytes::new(),
            received: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_token_with_separators_goes_through_the_cookie_unchanged() {
        let token = "s3cr;et, \"טוקן\"";
        let set = keep_token(token);
        assert!(
            set.ends_with("; Path=/__admin; HttpOnly; SameSite=Strict"),
            "{set}"
        );
        let value = set.split(';').next().unwrap();
        let req = request(Method::GET, &[("cookie", &format!("other=1; {value}"))]);
        assert_eq!(cookie_token(&req).as_deref(), Some(token));
        assert_eq!(
            cookie_token(&request(Method::GET, &[("cookie", "other=1")])),
            None
        );
    }

    #[test]
    fn the_scheme_is_not_compared() {
        assert_eq!(
            authority("https://sim.example:8443"),
            Some("sim.example:8443")
        );
        assert_eq!(authority("http://127.0.0.1:7010/"), Some("127.0.0.1:7010"));
        assert_eq!(authority("null"), None);
    }
}
