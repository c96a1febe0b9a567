//! The transformers a placeholder's value passes through: `get`, `formatPhone`,
//! `replace`, `trim`, `toLowerCase`, `toUpperCase`, `length`.

use serde_json::Value;

use super::parse::Call;
use super::path::get_path;
use super::to_text;
use crate::phone::{DEFAULT_REGION, PhoneStyle, format_phone};

/// Why a transformer did not apply; the caller names the placeholder, which this
/// does not see.
pub(super) enum CallError {
    Unknown,
    Arguments(String),
}

impl Call<'_> {
    pub(super) fn apply(&self, value: Option<Value>) -> Result<Option<Value>, CallError> {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let arity = |range: std::ops::RangeInclusive<usize>| {
            if range.contains(&args.len()) {
                Ok(())
            } else {
                let (min, max) = (range.start(), range.end());
                let expected = if min == max {
                    format!("{min}")
                } else {
                    format!("{min} to {max}")
                };
                Err(CallError::Arguments(format!(
                    "expects {expected} arguments, got {}",
                    args.len()
                )))
            }
        };
        let text = |value: Option<Value>| value.filter(|v| !v.is_null()).map(|v| to_text(Some(v)));
        Ok(match self.name {
            "get" => {
                arity(1..=1)?;
                value.and_then(|v| get_path(&v, args[0]).cloned())
            }
            "formatPhone" => {
                arity(0..=2)?;
                let style = match args.first() {
                    Some(name) => name.parse().map_err(|e: crate::phone::UnknownPhoneStyle| {
                        CallError::Arguments(e.to_string())
                    })?,
                    None => PhoneStyle::Smart,
                };
                let region = args.get(1).copied().unwrap_or(DEFAULT_REGION);
                text(value).map(|t| Value::String(format_phone(&t, style, region).unwrap_or(t)))
            }
            "replace" => {
                arity(2..=3)?;
                let global = match args.get(2).copied() {
                    None | Some("") => false,
                    Some("g") => true,
                    Some(flags) => {
                        return Err(CallError::Arguments(format!("unsupported flags {flags:?}")));
                    }
                };
                text(value).map(|t| {
                    Value::String(if global {
                        t.replace(args[0], args[1])
                    } else {
                        t.replacen(args[0], args[1], 1)
                    })
                })
            }
            "trim" | "toLowerCase" | "toUpperCase" | "length" => {
                arity(0..=0)?;
                match self.name {
                    "trim" => text(value).map(|t| {
                        t.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                            .into()
                    }),
                    "toLowerCase" => text(value).map(|t| Value::String(t.to_lowercase())),
                    "toUpperCase" => text(value).map(|t| Value::String(t.to_uppercase())),
                    _ => match value {
                        Some(Value::Array(items)) => Some(items.len().into()),
                        Some(Value::Object(map)) => Some(map.len().into()),
                        other => text(other).map(|t| t.encode_utf16().count().into()),
                    },
                }
            }
            _ => return Err(CallError::Unknown),
        })
    }
}
