//! Our own request type: the body is read once (with a size limit) by the server,
//! and parameters are decoded strictly from it on demand.
//!
//! Decoding is strict on purpose: the real service's clients send UTF-8, and a
//! client that sends anything else must learn it from the answer, not from a lead
//! full of `?` or U+FFFD. No crate decodes `application/x-www-form-urlencoded`
//! strictly (the `form_urlencoded` crate replaces invalid UTF-8), so that one
//! small decoder is written here.

use bytes::Bytes;
use futures_util::FutureExt;
use hyper::{HeaderMap, Method, Uri, header};
use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

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

/// A token header as a request carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHeader<'a> {
    /// No such header.
    Missing,
    /// A value that is not visible ASCII.
    NotAscii,
    /// The value, untrimmed.
    Value(&'a str),
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

/// A body's encoding, from its content type.
enum Encoding {
    None,
    Form,
    Json,
    /// With the whole content type, which names the boundary.
    Multipart(String),
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
            Some(q) => parse_form(q.as_bytes(), Some(q), Part::Query),
            None => Ok(Params::default()),
        }
    }

    /// Parameters of the body, by its content type. An empty body without a content
    /// type has none.
    pub async fn body_params(&self, kinds: BodyKinds) -> Result<Params<'_>, DecodeError> {
        match self.body_encoding(kinds)? {
            Encoding::None => Ok(Params::default()),
            Encoding::Form => parse_urlencoded(&self.body, Part::Body),
            Encoding::Json => parse_json(&self.body),
            Encoding::Multipart(content_type) => {
                parse_multipart(&content_type, self.body.clone()).await
            }
        }
    }

    /// How the body is encoded, by its content type, when `kinds` takes it.
    fn body_encoding(&self, kinds: BodyKinds) -> Result<Encoding, DecodeError> {
        let Some(content_type) = self.headers.get(header::CONTENT_TYPE) else {
            if self.body.is_empty() {
                return Ok(Encoding::None);
            }
            return Err(DecodeError::UnsupportedContentType {
                found: "none".into(),
                expected: kinds.expected(),
            });
        };
        // Compared as bytes: only the multipart boundary and errors need the text.
        let raw = content_type.as_bytes();
        let essence = raw.split(|&b| b == b';').next().unwrap_or_default();
        let is = |name: &str| essence.trim_ascii().eq_ignore_ascii_case(name.as_bytes());
        let text = || String::from_utf8_lossy(raw).into_owned();
        if is("application/x-www-form-urlencoded") {
            Ok(Encoding::Form)
        } else if is("multipart/form-data") {
            Ok(Encoding::Multipart(text()))
        } else if is("application/json") && kinds == BodyKinds::FormOrJson {
            Ok(Encoding::Json)
        } else {
            Err(DecodeError::UnsupportedContentType {
                found: text(),
                expected: kinds.expected(),
            })
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

    /// A token header's value as text: missing, not visible ASCII, or the value.
    pub fn token_header(&self, name: &header::HeaderName) -> TokenHeader<'_> {
        match self.headers.get(name).map(|v| v.to_str()) {
            None => TokenHeader::Missing,
            Some(Err(_)) => TokenHeader::NotAscii,
            Some(Ok(value)) => TokenHeader::Value(value),
        }
    }
}

/// Decodes `application/x-www-form-urlencoded` strictly: `+` is a space, every `%`
/// must start a valid escape, and the result must be UTF-8. What needs no decoding
/// is borrowed from `input`.
pub fn parse_urlencoded(input: &[u8], part: Part) -> Result<Params<'_>, DecodeError> {
    // One check of the whole input (ASCII in practice, which is fast to check) lets
    // every unescaped name and value be borrowed as it is, without a check of its own.
    parse_form(input, std::str::from_utf8(input).ok(), part)
}

/// [`parse_urlencoded`] of `input`, which is `text` when that is known to be UTF-8.
fn parse_form<'a>(
    input: &'a [u8],
    text: Option<&'a str>,
    part: Part,
) -> Result<Params<'a>, DecodeError> {
    // Room for a typical submission's parameters, so pushing them does not regrow.
    let mut params = Params(Vec::with_capacity(8));
    // memchr finds each `&`, `=` and escape a vector at a time: a submission's query
    // is hundreds of bytes, and a byte-at-a-time search was a third of its decoding.
    let mut start = 0;
    while start <= input.len() {
        let end = memchr::memchr(b'&', &input[start..]).map_or(input.len(), |n| start + n);
        let range = start..end;
        start = end + 1;
        if range.is_empty() {
            // `a=1&&b=2` is what browsers and string-joining clients produce; harmless.
            continue;
        }
        let (key_range, value_range) = match memchr::memchr(b'=', &input[range.clone()]) {
            Some(eq) => (
                range.start..range.start + eq,
                range.start + eq + 1..range.end,
            ),
            None => (range.clone(), range.end..range.end),
        };
        let component = Component { input, text, part };
        let key = component.decode(key_range, None)?;
        if key.is_empty() {
            return Err(DecodeError::EmptyName(part));
        }
        let value = component.decode(value_range, Some(&key))?;
        params.push_unique(key, value, part)?;
    }
    Ok(params)
}

/// The input a name or value is decoded from.
#[derive(Clone, Copy)]
struct Component<'a> {
    input: &'a [u8],
    /// The input as text, when all of it is UTF-8.
    text: Option<&'a str>,
    part: Part,
}

impl<'a> Component<'a> {
    fn decode(self, range: Range<usize>, key: Option<&str>) -> Result<Cow<'a, str>, DecodeError> {
        let utf8_error = || DecodeError::InvalidUtf8 {
            part: self.part,
            key: key.map(str::to_owned),
        };
        let raw = &self.input[range.clone()];
        let Some(first) = memchr::memchr2(b'%', b'+', raw) else {
            return match self.text {
                Some(text) => Ok(Cow::Borrowed(&text[range])),
                None => std::str::from_utf8(raw)
                    .map(Cow::Borrowed)
                    .map_err(|_| utf8_error()),
            };
        };
        let mut out = Vec::with_capacity(raw.len());
        out.extend_from_slice(&raw[..first]);
        let mut rest = &raw[first..];
        loop {
            // Hebrew is nearly all escapes (`%D7%A9`): a tight loop over a run of them,
            // slice patterns and a table lookup per hex digit.
            loop {
                rest = match rest {
                    [b'%', hi, lo, after @ ..] => {
                        let (hi, lo) = (HEX[*hi as usize], HEX[*lo as usize]);
                        if hi | lo > 15 {
                            return Err(self.bad_percent(range.end - rest.len()));
                        }
                        out.push(hi << 4 | lo);
                        after
                    }
                    [b'%', ..] => return Err(self.bad_percent(range.end - rest.len())),
                    [b'+', after @ ..] => {
                        out.push(b' ');
                        after
                    }
                    _ => break,
                };
            }
            // Then the plain run up to the next escape, copied whole.
            match memchr::memchr2(b'%', b'+', rest) {
                Some(n) => {
                    out.extend_from_slice(&rest[..n]);
                    rest = &rest[n..];
                }
                None => {
                    out.extend_from_slice(rest);
                    break;
                }
            }
        }
        String::from_utf8(out)
            .map(Cow::Owned)
            .map_err(|_| utf8_error())
    }

    /// A `%` at `offset` that does not start a valid escape.
    fn bad_percent(self, offset: usize) -> DecodeError {
        DecodeError::BadPercent {
            part: self.part,
            offset,
        }
    }
}

/// Each byte's value as a hex digit, or 0xFF.
const HEX: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

fn parse_json(body: &[u8]) -> Result<Params<'static>, DecodeError> {
    let Entries(entries) = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => DecodeError::JsonShape(e.to_string()),
        _ => DecodeError::Json(e.to_string()),
    })?;
    let mut params = Params::default();
    for (k, v) in entries {
        if k.is_empty() {
            return Err(DecodeError::EmptyName(Part::Body));
        }
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Null => String::new(),
            _ => return Err(DecodeError::JsonShape(format!("{k} is a nested value"))),
        };
        params.push_unique(k.into(), text.into(), Part::Body)?;
    }
    Ok(params)
}

/// A JSON object's members in order, duplicates kept, so that a repeated key is
/// refused like a repeated form parameter instead of the last one silently winning.
struct Entries(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    if entries.len() >= MAX_PARAMS {
                        return Err(serde::de::Error::custom(format!(
                            "more than {MAX_PARAMS} members"
                        )));
                    }
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_any(Visit)
    }
}

async fn parse_multipart(content_type: &str, body: Bytes) -> Result<Params<'static>, DecodeError> {
    let boundary =
        multer::parse_boundary(content_type).map_err(|e| DecodeError::Multipart(e.to_string()))?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut params = Params::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(DecodeError::Multipart(e.to_string())),
        };
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(DecodeError::Multipart(
                "a part has no name in its Content-Disposition".into(),
            ));
        };
        if name.is_empty() {
            return Err(DecodeError::EmptyName(Part::Body));
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| DecodeError::Multipart(e.to_string()))?;
        let value = String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::InvalidUtf8 {
            part: Part::Body,
            key: Some(name.clone()),
        })?;
        params.push_unique(name.into(), value.into(), Part::Body)?;
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Params<'_>, DecodeError> {
        parse_urlencoded(s.as_bytes(), Part::Query)
    }

    proptest::proptest! {
        /// Whatever a browser's form encoder writes — Hebrew, emoji, `+`, `%`, `&`,
        /// `=` in names and values — decodes back to the same pairs, in order, and a
        /// value without escapes is borrowed, not copied.
        #[test]
        fn what_a_form_encoder_writes_decodes_back(
            pairs in proptest::collection::btree_map(
                "[a-z_א-ת]{1,8}",
                "([a-zA-Z0-9 א-ת.,:!?+%&=@-]|\\PC){0,24}",
                0..8,
            )
        ) {
            let encoded = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            let params = parse(&encoded).unwrap();
            let decoded: Vec<(&str, &str)> = params.iter().collect();
            let expected: Vec<(&str, &str)> =
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            proptest::prop_assert_eq!(decoded, expected);
            for (k, v) in &params.0 {
                let plain = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b"*-._".contains(&b));
                proptest::prop_assert_eq!(matches!(v, Cow::Borrowed(_)), plain(v), "{}={}", k, v);
            }
        }
    }

    #[test]
    fn plus_and_percent_twenty_are_spaces_and_hebrew_decodes() {
        let p = parse("name=%D7%93%D7%A0%D7%94+%D7%9B%D7%94%D7%9F&city=%D7%AA%D7%9C%20%D7%90%D7%91%D7%99%D7%91&x=a%2Bb").unwrap();
        assert_eq!(p.get("name"), Some("דנה כהן"));
        assert_eq!(p.get("city"), Some("תל אביב"));
        assert_eq!(p.get("x"), Some("a+b"));
    }

    #[test]
    fn raw_utf8_is_accepted_and_empty_values_kept() {
        let p = parse("שם=דנה&email=&flag").unwrap();
        assert_eq!(p.get("שם"), Some("דנה"));
        assert_eq!(p.get("email"), Some(""));
        assert_eq!(p.get("flag"), Some(""));
    }

    #[test]
    fn broken_percent_encoding_names_its_offset() {
        assert_eq!(
            parse("a=1&b=%zz").unwrap_err(),
            DecodeError::BadPercent {
                part: Part::Query,
                offset: 6
            }
        );
        assert!(matches!(
            parse("a=%4").unwrap_err(),
            DecodeError::BadPercent { .. }
        ));
        assert!(matches!(
            parse("a=%+1").unwrap_err(),
            DecodeError::BadPercent { .. }
        ));
    }

    #[test]
    fn invalid_utf8_is_refused_with_the_key() {
        let err = parse("name=%FF%FE").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid UTF-8 in the query string (parameter name): Lead.IM expects UTF-8"
        );
    }

    #[test]
    fn raw_invalid_utf8_is_refused_with_the_key_and_plain_text_is_borrowed() {
        let err = parse_urlencoded(b"phone=0521234567&name=\xD7\xD7", Part::Body).unwrap_err();
        assert_eq!(
            err,
            DecodeError::InvalidUtf8 {
                part: Part::Body,
                key: Some("name".into())
            }
        );
        let p = parse("phone=052-1234567&name=%D7%93%D7%A0%D7%94&שם=דנה").unwrap();
        let borrowed: Vec<bool> =
            p.0.iter()
                .map(|(k, v)| matches!((k, v), (Cow::Borrowed(_), Cow::Borrowed(_))))
                .collect();
        assert_eq!(borrowed, [true, false, true]);
        assert_eq!(p.get("name"), Some("דנה"));
        assert_eq!(p.get("שם"), Some("דנה"));
    }

    #[test]
    fn duplicates_and_empty_names_are_refused() {
        assert_eq!(
            parse("a=1&a=2").unwrap_err(),
            DecodeError::Duplicate("a".into())
        );
        assert_eq!(
            parse("=x").unwrap_err(),
            DecodeError::EmptyName(Part::Query)
        );
        assert_eq!(parse("a=1&&b=2").unwrap().len(), 2);
    }

    #[test]
    fn parameter_count_is_bounded() {
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert_eq!(
            parse(&many.join("&")).unwrap_err(),
            DecodeError::TooMany(Part::Query)
        );
        assert!(parse(&many[..MAX_PARAMS].join("&")).is_ok());
    }

    #[test]
    fn json_scalars_become_text_and_nesting_is_refused() {
        let p = parse_json(br#"{"by_id": 100017, "ok": true, "n": null, "s": "\u05e9"}"#).unwrap();
        assert_eq!(p.get("by_id"), Some("100017"));
        assert_eq!(p.get("ok"), Some("true"));
        assert_eq!(p.get("n"), Some(""));
        assert_eq!(p.get("s"), Some("ש"));
        assert!(matches!(
            parse_json(br#"{"a": [1]}"#),
            Err(DecodeError::JsonShape(_))
        ));
        assert!(matches!(parse_json(b"[1]"), Err(DecodeError::JsonShape(_))));
        assert_eq!(
            parse_json(br#"{"by_id": 1, "by_id": 2}"#).unwrap_err(),
            DecodeError::Duplicate("by_id".into())
        );
        assert!(matches!(parse_json(b"{"), Err(DecodeError::Json(_))));
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
