//! No credential leaves the journal in the clear: a token, an API key, a password or
//! a cookie a request carried is shown masked — its first characters and its length,
//! enough to tell two apart, not enough to use one — wherever the journal shows the
//! request: its headers, its decoded parameters, and its raw query string. Reports
//! built from the journal (the conformance suite's) inherit the masking.

use std::borrow::Cow;

/// Headers whose whole value is a credential.
const SECRET_HEADERS: &[&str] = &[
    crate::api::AUTH_HEADER,
    "x-admin-token",
    "x-api-key",
    "apikey",
];

/// Headers of the form `scheme credentials` (RFC 9110, 11.4): the scheme is shown,
/// the credentials masked.
const AUTHORIZATION_HEADERS: &[&str] = &["authorization", "proxy-authorization"];

/// Parameter names (of the query or the body, compared without regard to case) whose
/// value is a credential: Lead.IM's `APIKEY`, its usual spellings, and the token
/// headers sent as parameters.
const SECRET_PARAMS: &[&str] = &[
    "apikey",
    "api_key",
    "api-key",
    "access_token",
    "auth_token",
    crate::api::AUTH_HEADER,
    "x-admin-token",
];

/// Masks a credential: at most its first four characters, and never more than a
/// third of it (a short secret must not show whole), then its length.
pub fn mask_token(token: &str) -> String {
    let count = token.chars().count();
    let shown: String = token.chars().take((count / 3).min(4)).collect();
    format!("{shown}… ({count} chars)")
}

/// A header's value as the journal shows it.
pub(super) fn header(name: &str, value: &str) -> String {
    let named = |list: &[&str]| list.iter().any(|h| h.eq_ignore_ascii_case(name));
    if named(SECRET_HEADERS) {
        mask_token(value)
    } else if named(AUTHORIZATION_HEADERS) {
        match value.trim().split_once(' ') {
            Some((scheme, credentials)) => format!("{scheme} {}", mask_token(credentials.trim())),
            None => mask_token(value),
        }
    } else if name.eq_ignore_ascii_case("cookie") {
        // Which cookie holds the session is the site's choice: every value is masked.
        value
            .split(';')
            .map(|pair| match pair.trim().split_once('=') {
                Some((cookie, v)) => format!("{cookie}={}", mask_token(v)),
                None => mask_token(pair.trim()),
            })
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        value.to_owned()
    }
}

/// Whether a parameter named `name` carries a credential.
pub(super) fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name.trim()))
}

/// Decoded parameters as the journal shows them.
pub(super) fn params(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    for (name, value) in &mut pairs {
        if is_secret_param(name) {
            *value = mask_token(value);
        }
    }
    pairs
}

/// The raw query string as the journal shows it: each credential parameter's value
/// replaced by its mask, percent-encoded, so that the query still decodes to what
/// the decoded parameters show. A name is compared decoded (`AP%49KEY` is `APIKEY`),
/// however broken the rest of the query is.
pub(super) fn query(raw: &str) -> Cow<'_, str> {
    let secret = |segment: &str| {
        let name = segment.split_once('=').map_or(segment, |(n, _)| n);
        is_secret_param(&decode_leniently(name))
    };
    if !raw.split('&').any(secret) {
        return Cow::Borrowed(raw);
    }
    let masked: Vec<Cow<'_, str>> = raw
        .split('&')
        .map(|segment| match segment.split_once('=') {
            Some((name, value)) if secret(segment) => {
                let value = mask_token(&decode_leniently(value));
                Cow::Owned(format!("{name}={}", encode(&value)))
            }
            _ => Cow::Borrowed(segment),
        })
        .collect();
    Cow::Owned(masked.join("&"))
}

/// `+` as a space and `%XX` as its byte; anything malformed kept as it is.
fn decode_leniently(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mask_shows_at_most_four_characters_and_never_a_third_of_the_secret() {
        assert_eq!(mask_token("t-3305-rw"), "t-3… (9 chars)");
        assert_eq!(mask_token("0123456789abcdef"), "0123… (16 chars)");
        assert_eq!(mask_token("abc"), "a… (3 chars)");
        assert_eq!(mask_token("ab"), "… (2 chars)");
        assert_eq!(mask_token(""), "… (0 chars)");
    }

    #[test]
    fn each_credential_header_is_masked_and_others_are_not() {
        assert_eq!(header("x-lead-im-auth", "t-3305-rw"), "t-3… (9 chars)");
        assert_eq!(header("x-admin-token", "s3cret-admin"), "s3cr… (12 chars)");
        assert_eq!(
            header("authorization", "Bearer s3cret-admin"),
            "Bearer s3cr… (12 chars)"
        );
        assert_eq!(header("authorization", "s3cret"), "s3… (6 chars)");
        assert_eq!(
            header("cookie", "session=abcdefghijkl; theme=dark"),
            "session=abcd… (12 chars); theme=d… (4 chars)"
        );
        assert_eq!(header("content-type", "text/plain"), "text/plain");
    }

    #[test]
    fn credential_parameters_are_masked_in_any_case() {
        let shown = params(vec![
            ("APIKEY".into(), "k-0123456789".into()),
            ("by_phone".into(), "0521234567".into()),
            ("Api_Key".into(), "abcdefghijkl".into()),
        ]);
        assert_eq!(shown[0].1, "k-01… (12 chars)");
        assert_eq!(shown[1].1, "0521234567");
        assert_eq!(shown[2].1, "abcd… (12 chars)");
    }

    #[test]
    fn the_raw_query_keeps_its_shape_and_loses_its_secrets() {
        assert_eq!(query("by_phone=052&name=x"), "by_phone=052&name=x");
        assert!(matches!(query("by_phone=052"), Cow::Borrowed(_)));
        let masked = query("by_phone=052&AP%49KEY=k-0123456789&apikey&x=%zz");
        assert_eq!(
            masked,
            "by_phone=052&AP%49KEY=k-01%E2%80%A6%20%2812%20chars%29&apikey&x=%zz"
        );
        assert!(!masked.contains("0123456789"));
        assert_eq!(query("apikey=a%2Bb"), "apikey=a%E2%80%A6%20%283%20chars%29");
    }
}
