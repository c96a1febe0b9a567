//! Our own request type: the body is read once (with a size limit) by the server,
//! and parameters are decoded strictly from it on demand.
//!
//! Decoding is strict on purpose: the real service's clients send UTF-8, and a
//! client that sends anything else must learn it from the answer, not from a lead
//! full of `?` or U+FFFD.
//!
//! This module holds the [`Request`] type, the decoded [`Params`] and the
//! [`DecodeError`]s; `form` decodes `application/x-www-form-urlencoded` (query
//! strings and form bodies), `body` picks a body's decoder by its content type and
//! decodes JSON and multipart bodies.

mod body;
mod form;

pub use form::parse_urlencoded;

use bytes::Bytes;
use futures_util::FutureExt;
use hyper::{HeaderMap, Method, Uri, header};
use std::borrow::Cow;
use std::fmt;

/// Which part of the request a parameter or a decoding problem came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The URL's query string.
    Query,
    /// The request body.
    Body,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Query => "query string",
            Part::Body => "body",
        })
    }
}

/// Why a request's parameters could not be decoded. Each message names the problem
/// in words an adapter author can act on; it is both the failure answer and the
/// journal's diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A `%` not followed by two hex digits.
    #[error(
        "broken percent-encoding in the {part} at byte {offset}: '%' must be followed by two hex digits"
    )]
    BadPercent {
        /// Where.
        part: Part,
        /// Byte offset of the `%` within that part.
        offset: usize,
    },
    /// Bytes that are not UTF-8 after percent-decoding.
    #[error("invalid UTF-8 in the {part}{}: Lead.IM expects UTF-8", key_suffix(.key))]
    InvalidUtf8 {
        /// Where.
        part: Part,
        /// The parameter whose name or value was invalid, when its name could be read.
        key: Option<String>,
    },
    /// The same parameter twice in one part of the request.
    #[error("duplicate parameter {0}: send each parameter once")]
    Duplicate(String),
    /// A parameter with an empty name (`=value`).
    #[error("parameter with an empty name in the {0}")]
    EmptyName(Part),
    /// A body whose content type this endpoint does not take.
    #[error("unsupported content type {found}: this endpoint takes {expected}")]
    UnsupportedContentType {
        /// The `Content-Type` sent, or `none`.
        found: String,
        /// What the endpoint accepts, in words.
        expected: &'static str,
    },
    /// A JSON body that does not parse.
    #[error("invalid JSON body: {0}")]
    Json(String),
    /// A JSON body that parses but is not a flat object of scalars.
    #[error("JSON body must be an object of strings, numbers or booleans; {0}")]
    JsonShape(String),
    /// A multipart body that does not parse.
    #[error("invalid multipart body: {0}")]
    Multipart(String),
    /// More parameters than any form has fields.
    #[error("too many parameters in the {0}: the limit is {MAX_PARAMS}")]
    TooMany(Part),
}

/// Most parameters one part of a request may carry; real forms have a few dozen.
pub const MAX_PARAMS: usize = 1000;

fn key_suffix(key: &Option<String>) -> String {
    key.as_ref()
        .map(|k| format!(" (parameter {k})"))
        .unwrap_or_default()
}

/// Decoded parameters, in the order they came, with unique names. Names and values
/// that needed no decoding borrow from the request; only escaped ones are copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Params<'a> {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| &**v)
    }

    /// Every `(name, value)` pair, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs as owned strings, for the journal.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn push_unique(
        &mut self,
        key: Cow<'a, str>,
        value: Cow<'a, str>,
        part: Part,
    ) -> Result<(), DecodeError> {
        if self.0.len() >= MAX_PARAMS {
            return Err(DecodeError::TooMany(part));
        }
        if self.get(&key).is_some() {
            return Err(DecodeError::Duplicate(key.into_owned()));
        }
        self.0.push((key, value));
        Ok(())
    }

    /// Merges `over` into `self`: a key in both takes `over`'s value. This is how a
    /// body's values win over the query string's.
    pub fn overlay(&mut self, over: Params<'a>) {
        if self.0.is_empty() {
            // The usual case (a form post without a query string): no copying over.
            // Taking `over` whole is the same merge, as every decoder refuses a name
            // given twice.
            *self = over;
            return;
        }
        for (k, v) in over.0 {
            match self.0.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => self.0.push((k, v)),
            }
        }
    }
}

/// Which of a request's parameters an exchange used. The journal decodes them again
/// from the request it keeps when it is read, instead of keeping a copy of each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ParamsUsed {
    /// None were decoded (the request failed before, or had none).
    #[default]
    None,
    /// The query string's.
    Query,
    /// The query string's with the body's laid over them.
    Merged(BodyKinds),
}

/// Which body encodings an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKinds {
    /// `application/x-www-form-urlencoded` and `multipart/form-data`.
    Form,
    /// Those two and a JSON object.
    FormOrJson,
}

impl BodyKinds {
    fn expected(self) -> &'static str {
        match self {
            BodyKinds::Form => "application/x-www-form-urlencoded or multipart/form-data",
            BodyKinds::FormOrJson => {
                "application/x-www-form-urlencoded, multipart/form-data or application/json"
            }
        }
    }
}

/// One HTTP request, its body already read.
#[derive(Debug)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// The request target as sent (path and query still percent-encoded).
    pub uri: Uri,
    /// The request headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// When its head arrived: the time of the journal entry, and of a lead it
    /// creates or changes.
    pub received: jiff::Timestamp,
}
impl Request {
    /// The path, as sent.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The raw query string, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    /// Parameters of the query string.
    pub fn query_params(&self) -> Result<Params<'_>, DecodeError> {
        match self.query() {
            // Already text: no second UTF-8 check of the whole.
            Some(q) => form::parse_form(q.as_bytes(), Some(q), Part::Query),
            None => Ok(Params::default()),
        }
    }

    /// The query's parameters with the body's laid over them: the body wins.
    pub async fn merged_params(&self, kinds: BodyKinds) -> Result<Params<'_>, DecodeError> {
        let mut params = self.query_params()?;
        if !self.body.is_empty() || self.headers.contains_key(header::CONTENT_TYPE) {
            params.overlay(self.body_params(kinds).await?);
        }
        Ok(params)
    }

    /// The parameters an exchange used, decoded again for the journal's reader, by
    /// the same code the handler ran; none when they do not decode.
    pub fn decode_again(&self, used: ParamsUsed) -> Vec<(String, String)> {
        let decoded = match used {
            ParamsUsed::None => return Vec::new(),
            ParamsUsed::Query => self.query_params(),
            // Nothing here waits: the body is in memory, so even the multipart
            // decoder finishes at its first poll.
            ParamsUsed::Merged(kinds) => self
                .merged_params(kinds)
                .now_or_never()
                .expect("decoding a body in memory never waits"),
        };
        decoded.map(|p| p.to_pairs()).unwrap_or_default()
    }

    /// The header that carries a token, as sent: missing, not text, or its value
    /// (untrimmed; whether a blank one counts as missing is the caller's rule).
    pub fn token_header(&self, name: &header::HeaderName) -> TokenHeader<'_> {
        match self.headers.get(name).map(header::HeaderValue::to_str) {
            None => TokenHeader::Missing,
            Some(Err(_)) => TokenHeader::NotAscii,
            Some(Ok(value)) => TokenHeader::Value(value),
        }
    }
}

/// A token header as a request carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHeader<'a> {
    /// The request has no such header.
    Missing,
    /// The header's value is not visible ASCII (a token never is anything else).
    NotAscii,
    /// The header's value, as sent: possibly blank, and not trimmed.
    Value(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Params<'_>, DecodeError> {
        parse_urlencoded(s.as_bytes(), Part::Query)
    }

    fn with_header(value: &[u8]) -> Request {
        let mut headers = HeaderMap::new();
        headers.insert(AUTH, header::HeaderValue::from_bytes(value).unwrap());
        Request {
            method: Method::GET,
            uri: Uri::from_static("/"),
            headers,
            body: Bytes::new(),
            received: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    const AUTH: header::HeaderName = header::HeaderName::from_static("x-lead-im-auth");

    #[test]
    fn token_header_tells_missing_from_not_ascii_and_keeps_the_value_as_sent() {
        let mut req = with_header(b" tok ");
        assert_eq!(req.token_header(&AUTH), TokenHeader::Value(" tok "));
        req = with_header(b"\xD7\xA9");
        assert_eq!(req.token_header(&AUTH), TokenHeader::NotAscii);
        req.headers.clear();
        assert_eq!(req.token_header(&AUTH), TokenHeader::Missing);
    }

    #[test]
    fn overlay_lets_the_body_win() {
        let mut q = parse("a=1&b=2").unwrap();
        q.overlay(parse("b=3&c=4").unwrap());
        assert_eq!(
            q.iter().collect::<Vec<_>>(),
            vec![("a", "1"), ("b", "3"), ("c", "4")]
        );
    }
}
