//! Request bodies by content type: which decoder a body's `Content-Type` picks,
//! and the JSON and `multipart/form-data` decoders (a form body goes to
//! [`parse_urlencoded`]).

use super::{BodyKinds, DecodeError, MAX_PARAMS, Params, Part, Request, parse_urlencoded};
use bytes::Bytes;
use hyper::header;
use std::fmt;

/// A body's encoding, from its content type.
enum Encoding {
    None,
    Form,
    Json,
    /// With the whole content type, which names the boundary.
    Multipart(String),
}

impl Request {
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
}

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

    #[test]
    fn json_scalars_become_text_and_nesting_is_refused() {
        let p =
            parse_json(br#"{"by_id": 117000017, "ok": true, "n": null, "s": "\u05e9"}"#).unwrap();
        assert_eq!(p.get("by_id"), Some("117000017"));
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
}
