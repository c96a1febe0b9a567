//! What goes wrong: a [`FaultKind`] is a delay, or an [`AnswerFault`] that
//! replaces, cuts or withholds the answer. The two are apart in the types so that
//! the server's code for the answer-replacing faults never meets a delay, which it
//! answers elsewhere (the handler still runs, late).
//!
//! On the wire a kind is one flat object tagged by `kind` (`{"kind":"latency",
//! "ms":800}`, `{"kind":"status","status":503}`), as it was when the kinds were one
//! enum; [`FaultKind`] reads that shape by hand, with the same refusals.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What goes wrong: the answer comes late, or an [`AnswerFault`] takes its place.
///
/// A new kind is one variant of [`AnswerFault`] and its arm where the server
/// answers it; besides, its name goes in the list an unknown kind is refused with,
/// and its words in the journal's name for it (its `Display` arm).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// The answer comes, `ms` milliseconds late; the handler runs as usual.
    Latency {
        /// Added delay.
        ms: u64,
    },
    /// The answer is replaced, cut or withheld.
    #[serde(untagged)]
    Answer(AnswerFault),
}

/// A fault that takes the answer's place: a wrong answer, half of one, or none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AnswerFault {
    /// An HTTP error status (500, 502, 503, 429…) with a short JSON body.
    Status {
        /// 400–599.
        status: u16,
        /// Seconds for a `Retry-After` header (typical with 429 and 503).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// HTTP 200 with Lead.IM's failure envelope.
    Envelope {
        /// The envelope's `error`.
        message: String,
    },
    /// One of Lead.IM's error codes (`-6` unknown mode, `-7` wrong account, `-10`
    /// blocked IP, `-999` internal error, …), answered in the endpoint's own shape:
    /// the bare code as text on `/v1/submit`, a failure envelope with `code`
    /// elsewhere.
    Code {
        /// The code.
        code: i32,
    },
    /// HTTP 200, `application/json`, a body that is not JSON.
    MalformedJson,
    /// The answer's headers promise the whole body; half of it comes, then the
    /// connection drops.
    Truncated,
    /// HTTP 500 with the HTML error page IIS serves.
    HtmlError,
    /// The connection is closed before any answer.
    Close,
    /// The connection is reset (TCP RST) before any answer.
    Reset,
    /// No answer ever comes; the client must give up.
    Hang,
    /// Any answer you write: this status, these headers and this body, in place of
    /// the endpoint's own (a stub, as wiremock's `respond_with`). `Content-Type` is
    /// `application/json` unless the headers say otherwise.
    Respond {
        /// 100–599.
        status: u16,
        /// Header name → value.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
        /// The body, as sent.
        #[serde(default)]
        body: String,
    },
}

impl AnswerFault {
    /// A [`AnswerFault::Respond`] with this status and body and no extra header.
    ///
    /// ```
    /// use leadim_simulator::{AnswerFault, Endpoint, FaultSpec};
    ///
    /// // The next lookup of account 3305 answers as a proxy in trouble would.
    /// let stub = FaultSpec::new(
    ///     Endpoint::Lookup,
    ///     AnswerFault::respond(200, r#"{"status":"success","data":null}"#),
    /// )
    /// .for_account(3305)
    /// .times(1);
    /// assert!(stub.validate().is_ok());
    /// ```
    pub fn respond(status: u16, body: impl Into<String>) -> AnswerFault {
        AnswerFault::Respond {
            status,
            headers: BTreeMap::new(),
            body: body.into(),
        }
    }
}

impl From<AnswerFault> for FaultKind {
    fn from(fault: AnswerFault) -> FaultKind {
        FaultKind::Answer(fault)
    }
}

/// How the journal names the fault.
impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::Latency { ms } => write!(f, "latency {ms} ms"),
            FaultKind::Answer(fault) => fault.fmt(f),
        }
    }
}

/// How the journal names the fault.
impl fmt::Display for AnswerFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerFault::Status {
                status,
                retry_after: Some(s),
            } => write!(f, "status {status} with Retry-After {s}"),
            AnswerFault::Status { status, .. } => write!(f, "status {status}"),
            AnswerFault::Envelope { message } => write!(f, "failure envelope '{message}'"),
            AnswerFault::Code { code } => write!(f, "Lead.IM code {code}"),
            AnswerFault::MalformedJson => f.write_str("malformed JSON body"),
            AnswerFault::Truncated => f.write_str("body cut mid-way"),
            AnswerFault::HtmlError => f.write_str("IIS HTML error page"),
            AnswerFault::Close => f.write_str("connection closed before any answer"),
            AnswerFault::Reset => f.write_str("connection reset before any answer"),
            AnswerFault::Hang => f.write_str("no answer (hangs until the client gives up)"),
            AnswerFault::Respond { status, body, .. } => {
                write!(f, "stubbed answer: status {status}, {} bytes", body.len())
            }
        }
    }
}

/// Every kind's name on the wire, as the refusal of an unknown one lists them. A
/// kind missing here is refused, so a new one cannot be forgotten for long.
const KINDS: &[&str] = &[
    "latency",
    "status",
    "envelope",
    "code",
    "malformed_json",
    "truncated",
    "html_error",
    "close",
    "reset",
    "hang",
    "respond",
];

/// The fields of `latency`. (Refusing a sequence too short for them, serde names
/// the variant they were read as when the kinds were one enum.)
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant FaultKind::Latency with 1 element"
)]
struct Delay {
    ms: u64,
}

impl<'de> Deserialize<'de> for FaultKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The variant is read once the kind's object is, so that a refusal of its
        // fields is placed where serde places it for a derived internally tagged enum.
        let (tag, rest) = deserializer.deserialize_any(KindVisitor)?;
        let kind = if tag == "latency" {
            rest.read::<Delay>()
                .map(|Delay { ms }| FaultKind::Latency { ms })
        } else {
            rest.tagged(tag).read().map(FaultKind::Answer)
        };
        kind.map_err(de::Error::custom)
    }
}

/// What a kind holds besides its tag, as read: an object's other fields, or the
/// other elements of a sequence (`["status", 503]`, which serde also takes for an
/// internally tagged enum).
enum Rest {
    Fields(Vec<(String, serde_json::Value)>),
    Elements(Vec<serde_json::Value>),
}

impl Rest {
    /// With the tag put back in front, for a derived tagged enum to read.
    fn tagged(self, tag: &'static str) -> Rest {
        match self {
            Rest::Fields(mut fields) => {
                fields.insert(0, ("kind".into(), tag.into()));
                Rest::Fields(fields)
            }
            Rest::Elements(mut elements) => {
                elements.insert(0, tag.into());
                Rest::Elements(elements)
            }
        }
    }

    fn read<T: de::DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        match self {
            Rest::Fields(fields) => {
                T::deserialize(de::value::MapDeserializer::new(fields.into_iter()))
            }
            Rest::Elements(elements) => {
                T::deserialize(de::value::SeqDeserializer::new(elements.into_iter()))
            }
        }
    }
}

/// Reads a kind the way serde reads an internally tagged enum: the tag checked
/// where it stands, the rest kept for the variant it names.
struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = (&'static str, Rest);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("internally tagged enum FaultKind")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut tag = None;
        let mut fields = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key != "kind" {
                fields.push((key, map.next_value()?));
            } else if tag.is_some() {
                return Err(de::Error::duplicate_field("kind"));
            } else {
                tag = Some(map.next_value_seed(Tag)?);
            }
        }
        let tag = tag.ok_or_else(|| de::Error::missing_field("kind"))?;
        Ok((tag, Rest::Fields(fields)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let tag = seq
            .next_element_seed(Tag)?
            .ok_or_else(|| de::Error::missing_field("kind"))?;
        let mut elements = Vec::new();
        while let Some(element) = seq.next_element()? {
            elements.push(element);
        }
        Ok((tag, Rest::Elements(elements)))
    }
}

/// A kind's name, one of [`KINDS`].
struct Tag;

impl<'de> DeserializeSeed<'de> for Tag {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Tag {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("variant identifier")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        KINDS
            .iter()
            .find(|k| **k == name)
            .copied()
            .ok_or_else(|| E::unknown_variant(name, KINDS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_into_its_side_and_writes_back_the_same_json() {
        let delay = r#"{"kind":"latency","ms":800}"#;
        assert_eq!(
            serde_json::from_str::<FaultKind>(delay).unwrap(),
            FaultKind::Latency { ms: 800 }
        );
        for json in [
            r#"{"kind":"status","status":503,"retry_after":5}"#,
            r#"{"kind":"status","status":500}"#,
            r#"{"kind":"envelope","message":"שגיאה"}"#,
            r#"{"kind":"malformed_json"}"#,
            r#"{"kind":"truncated"}"#,
            r#"{"kind":"html_error"}"#,
            r#"{"kind":"close"}"#,
            r#"{"kind":"reset"}"#,
            r#"{"kind":"hang"}"#,
            r#"{"kind":"respond","status":200,"headers":{"x-stub":"כן"},"body":"{}"}"#,
            r#"{"kind":"respond","status":404,"body":""}"#,
        ] {
            let kind: FaultKind = serde_json::from_str(json).unwrap();
            assert!(matches!(kind, FaultKind::Answer(_)), "{json}");
            assert_eq!(serde_json::to_string(&kind).unwrap(), json);
        }
        let kind: FaultKind = serde_json::from_str(delay).unwrap();
        assert_eq!(serde_json::to_string(&kind).unwrap(), delay);
    }

    #[test]
    fn every_listed_name_is_a_kind_and_an_unknown_one_is_refused_with_the_list() {
        for name in KINDS {
            let err = serde_json::from_str::<FaultKind>(&format!(r#"{{"kind":"{name}"}}"#))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(!err.contains("unknown variant"), "{name}: {err}");
        }
        let err = serde_json::from_str::<FaultKind>(r#"{"kind":"latncy","ms":5}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown variant `latncy`, expected one of `latency`, `status`, `envelope`, `code`, \
             `malformed_json`, `truncated`, `html_error`, `close`, `reset`, `hang`, `respond` \
             at line 1 column 16"
        );
    }

    #[test]
    fn fields_are_refused_as_for_a_derived_enum() {
        // A refusal raised once the kind's object is read has no place of its own:
        // serde_json gives it the place in the document around the kind (the admin
        // API's messages, places and all, are what they were before the split).
        let err = |json| {
            serde_json::from_str::<FaultKind>(json)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(r#"{"ms":5}"#),
            "missing field `kind` at line 1 column 8"
        );
        assert_eq!(
            err(r#"{"kind":"latency","ms":5,"x":1}"#),
            "unknown field `x`, expected `ms`"
        );
        assert_eq!(err(r#"{"kind":"status"}"#), "missing field `status`");
        assert_eq!(
            err(r#"{"kind":"close","kind":"hang"}"#),
            "duplicate field `kind` at line 1 column 22"
        );
        assert_eq!(
            serde_json::from_str::<FaultKind>(r#"["status",503,7]"#).unwrap(),
            FaultKind::Answer(AnswerFault::Status {
                status: 503,
                retry_after: Some(7)
            })
        );
    }

    #[test]
    fn the_journal_names_each_kind() {
        let named = |kind: FaultKind| kind.to_string();
        assert_eq!(named(FaultKind::Latency { ms: 250 }), "latency 250 ms");
        assert_eq!(
            named(
                AnswerFault::Status {
                    status: 429,
                    retry_after: Some(7)
                }
                .into()
            ),
            "status 429 with Retry-After 7"
        );
        assert_eq!(
            named(AnswerFault::Hang.into()),
            "no answer (hangs until the client gives up)"
        );
    }
}
