//! Phone keys for the lookup index.
//!
//! The real service matches `by_phone` exactly against the phone as the form stored
//! it, so `0521234567` does not find a lead stored as `972521234567`. That is the
//! default here too. `--phone-match normalized` is the simulator's own convenience:
//! every Israeli format of one number maps to one key. This runs on every lookup and
//! every insert, so it is a few byte operations rather than a full phone library.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// How `by_phone` is compared with stored phones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhoneMatch {
    /// Byte-for-byte, as the real service does.
    #[default]
    Exact,
    /// Digits only, with `972` and `0` prefixes taken as the same number.
    Normalized,
}

impl PhoneMatch {
    /// The index key of `phone` under this mode.
    pub fn key(self, phone: &str) -> Cow<'_, str> {
        match self {
            PhoneMatch::Exact => Cow::Borrowed(phone),
            PhoneMatch::Normalized => Cow::Owned(normalize(phone)),
        }
    }
}

impl fmt::Display for PhoneMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PhoneMatch::Exact => "exact",
            PhoneMatch::Normalized => "normalized",
        })
    }
}

impl FromStr for PhoneMatch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "exact" => Ok(PhoneMatch::Exact),
            "normalized" => Ok(PhoneMatch::Normalized),
            other => Err(format!(
                "unknown phone match '{other}': use exact or normalized"
            )),
        }
    }
}

/// The national form of an Israeli number, digits only: `972521234567`,
/// `+972-52-123-4567`, `00972521234567`, `052-123-4567` and `0521234567` all give
/// `0521234567`.
/// Anything else keeps just its digits.
pub fn normalize(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    // `00` is how Israelis dial out: `00972…` is `+972…` written with digits only.
    if let Some(rest) = digits
        .strip_prefix("00972")
        .or_else(|| digits.strip_prefix("972"))
    {
        let rest = rest.strip_prefix('0').unwrap_or(rest);
        format!("0{rest}")
    } else {
        digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_israeli_format_of_one_number_has_one_key() {
        for p in [
            "972521234567",
            "+972 52-123-4567",
            "052-123-4567",
            "0521234567",
            "9720521234567",
            "00972521234567",
        ] {
            assert_eq!(normalize(p), "0521234567", "{p}");
        }
        assert_eq!(normalize("03-6123456"), "036123456");
    }

    #[test]
    fn exact_mode_keeps_the_phone_as_is() {
        assert_eq!(PhoneMatch::Exact.key("052-123-4567"), "052-123-4567");
        assert_eq!(PhoneMatch::Normalized.key("052-123-4567"), "0521234567");
    }
}
