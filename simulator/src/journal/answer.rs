//! How an entry's answer goes over the admin API: a JSON body (an object or an
//! array, as Lead.IM answers) as JSON, byte for byte, so that a reader does not
//! unescape a string inside the JSON; anything else (text, an HTML error page, a
//! body cut short, no answer) as a string. Rust callers keep it as text
//! ([`JournalEntry::answer`](super::JournalEntry::answer)).

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use serde_json::value::RawValue;

/// Serializes `answer` as the JSON it is, when it is an object or an array.
pub(super) fn serialize<S: Serializer>(answer: &str, serializer: S) -> Result<S::Ok, S::Error> {
    match as_json(answer) {
        Some(raw) => raw.serialize(serializer),
        None => serializer.serialize_str(answer),
    }
}

/// Reads an answer either way it may have been written: a string as it is, JSON as
/// its text.
/// JSON is kept as it was written, its keys in their order.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    match raw.get().starts_with('"') {
        true => serde_json::from_str(raw.get()).map_err(serde::de::Error::custom),
        false => Ok(raw.get().to_owned()),
    }
}

/// `answer` as raw JSON when it is a whole JSON object or array.
fn as_json(answer: &str) -> Option<&RawValue> {
    let first = answer.trim_start().bytes().next()?;
    if first != b'{' && first != b'[' {
        return None;
    }
    serde_json::from_str::<&RawValue>(answer).ok()
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Entry {
        #[serde(with = "super")]
        answer: String,
    }

    fn wire(answer: &str) -> String {
        serde_json::to_string(&Entry {
            answer: answer.into(),
        })
        .unwrap()
    }

    #[test]
    fn a_json_answer_is_json_with_its_keys_in_their_order() {
        let body = r#"{"status":"success","result":117000049}"#;
        assert_eq!(wire(body), format!(r#"{{"answer":{body}}}"#));
        let back: Entry = serde_json::from_str(&wire(body)).unwrap();
        assert_eq!(back.answer, body);
    }

    #[test]
    fn text_a_cut_body_and_a_bare_json_string_stay_strings() {
        for text in [
            "117000049",
            "<html>שגיאה</html>",
            r#"{"status":"success","data":[{"שם":"דנ"#,
            r#""success""#,
            "",
        ] {
            let json = wire(text);
            assert_eq!(
                json,
                format!(r#"{{"answer":{}}}"#, serde_json::to_string(text).unwrap())
            );
            let back: Entry = serde_json::from_str(&json).unwrap();
            assert_eq!(back.answer, text);
        }
    }
}
