//! Our own request type: the body is read once (with a size limit) by the server,
//! and parameters are decoded strictly from it on demand.
//!
//! Decoding is strict on purpose: the real service's clients send UTF-8, and a
//! client that sends anything else must learn it from the answer, not from a lead
//! full of `?` or U+FFFD. No crate decodes `application/x-www-form-urlencoded`
//! strictly (the `form_urlencoded` crate replaces invalid UTF-8), so that one
//! small decoder is written here.

use bytes::Bytes;
use hyper::{HeaderMap, Method, header};
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

/// Decoded parameters, in the order they came, with unique names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every `(name, value)` pair, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs, for the journal.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }

    fn push_unique(&mut self, key: String, value: String, part: Part) -> Result<(), DecodeError> {
        if self.0.len() >= MAX_PARAMS {
            return Err(DecodeError::TooMany(part));
        }
        if self.get(&key).is_some() {
            return Err(DecodeError::Duplicate(key));
        }
        self.0.push((key, value));
        Ok(())
    }

    /// Merges `over` into `self`: a key in both takes `over`'s value. This is how a
    /// body's values win over the query string's.
    pub fn overlay(&mut self, over: Params) {
        for (k, v) in over.0 {
            match self.0.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => self.0.push((k, v)),
            }
        }
    }
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
    /// The path, as sent (still percent-encoded).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Request {
    /// Parameters of the query string.
    pub fn query_params(&self) -> Result<Params, DecodeError> {
        match &self.query {
            Some(q) => parse_urlencoded(q.as_bytes(), Part::Query),
            None => Ok(Params::default()),
        }
    }

    /// Parameters of the body, by its content type. An empty body without a content
    /// type has none.
    pub async fn body_params(&self, kinds: BodyKinds) -> Result<Params, DecodeError> {
        let Some(content_type) = self.headers.get(header::CONTENT_TYPE) else {
            if self.body.is_empty() {
                return Ok(Params::default());
            }
            return Err(DecodeError::UnsupportedContentType {
                found: "none".into(),
                expected: kinds.expected(),
            });
        };
        let content_type = String::from_utf8_lossy(content_type.as_bytes());
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let is = |name: &str| essence.eq_ignore_ascii_case(name);
        if is("application/x-www-form-urlencoded") {
            parse_urlencoded(&self.body, Part::Body)
        } else if is("multipart/form-data") {
            parse_multipart(&content_type, self.body.clone()).await
        } else if is("application/json") && kinds == BodyKinds::FormOrJson {
            parse_json(&self.body)
        } else {
            Err(DecodeError::UnsupportedContentType {
                found: content_type.into_owned(),
                expected: kinds.expected(),
            })
        }
    }

    /// The query's parameters with the body's laid over them: the body wins.
    pub async fn merged_params(&self, kinds: BodyKinds) -> Result<Params, DecodeError> {
        let mut params = self.query_params()?;
        if !self.body.is_empty() || self.headers.contains_key(header::CONTENT_TYPE) {
            params.overlay(self.body_params(kinds).await?);
        }
        Ok(params)
    }

    /// A header's value as text, if present and visible ASCII.
    pub fn header_str(&self, name: &str) -> Option<Result<&str, ()>> {
        self.headers.get(name).map(|v| v.to_str().map_err(|_| ()))
    }
}

/// Decodes `application/x-www-form-urlencoded` strictly: `+` is a space, every `%`
/// must start a valid escape, and the result must be UTF-8.
pub fn parse_urlencoded(input: &[u8], part: Part) -> Result<Params, DecodeError> {
    let mut params = Params::default();
    let mut offset = 0;
    for segment in input.split(|&b| b == b'&') {
        let start = offset;
        offset += segment.len() + 1;
        if segment.is_empty() {
            // `a=1&&b=2` is what browsers and string-joining clients produce; harmless.
            continue;
        }
        let (raw_key, raw_value) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, &[][..]),
        };
        let key = decode_component(raw_key, part, start, None)?;
        if key.is_empty() {
            return Err(DecodeError::EmptyName(part));
        }
        let value_start = start + raw_key.len() + 1;
        let value = decode_component(raw_value, part, value_start, Some(&key))?;
        params.push_unique(key, value, part)?;
    }
    Ok(params)
}

fn decode_component(
    raw: &[u8],
    part: Part,
    base: usize,
    key: Option<&str>,
) -> Result<String, DecodeError> {
    let utf8_error = || DecodeError::InvalidUtf8 {
        part,
        key: key.map(str::to_owned),
    };
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| utf8_error());
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (raw.get(i + 1).and_then(hex), raw.get(i + 2).and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                _ => {
                    return Err(DecodeError::BadPercent {
                        part,
                        offset: base + i,
                    });
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| utf8_error())
}

/// A hex digit's value.
fn hex(b: &u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn parse_json(body: &[u8]) -> Result<Params, DecodeError> {
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
        params.push_unique(k, text, Part::Body)?;
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

async fn parse_multipart(content_type: &str, body: Bytes) -> Result<Params, DecodeError> {
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
        params.push_unique(name, value, Part::Body)?;
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Params, DecodeError> {
        parse_urlencoded(s.as_bytes(), Part::Query)
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
