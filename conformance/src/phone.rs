//! Israeli phone numbers, through the `phonenumber` crate (libphonenumber's data).
//!
//! Texter stores `972521234567`; Lead.IM forms store whatever the visitor typed
//! (`0521234567`, `052-123-4567`, …) and match phones exactly. This module turns one
//! into the others: for display (`formatPhone`, `fld_phone`) and for lookups.
//!
//! libphonenumber's *national* format for Israel is already the dashed form people
//! write — `052-123-4567` for mobiles, `03-612-3456` for landlines — so
//! [`PhoneStyle::Smart`] is that format, not a hand-made one.
//!
//! Validity is deliberately not required: libphonenumber's mobile ranges do not
//! include every prefix in use (`0521…` — the documents' own example — is outside
//! them), so a number is accepted when it parses and fits the general shape of its
//! country's numbers.

use std::fmt::Write as _;
use std::str::FromStr;

use phonenumber::{Mode, PhoneNumber, country, metadata::DATABASE};

/// Region used when the caller names none (the adapter serves Israeli customers).
pub const DEFAULT_REGION: &str = "IL";

/// Inputs longer than this are not phone numbers; refusing them early bounds the
/// work the parser does on hostile input.
const MAX_INPUT_LEN: usize = 40;

/// How to print a number, as named by Texter's `formatPhone` transformer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneStyle {
    /// National format for numbers of the region (`052-123-4567`), international
    /// format (`+1 212-555-1234`) for others.
    Smart,
    /// `+972521234567`.
    E164,
}

/// The style name was neither `smart` nor `e164`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown phone style {0:?} (expected \"smart\" or \"e164\")")]
pub struct UnknownPhoneStyle(pub String);

impl FromStr for PhoneStyle {
    type Err = UnknownPhoneStyle;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "smart" => Ok(Self::Smart),
            "e164" => Ok(Self::E164),
            _ => Err(UnknownPhoneStyle(s.to_owned())),
        }
    }
}

/// Formats `input` (any common way of writing the number) in `style`, reading
/// numbers without a country code as numbers of `region` (`"IL"`).
///
/// `None` for anything that is not a plausible phone number, or an unknown region;
/// never panics.
///
/// ```
/// use leadim_conformance::phone::{PhoneStyle, format_phone};
///
/// assert_eq!(format_phone("972521234567", PhoneStyle::Smart, "IL").as_deref(), Some("052-123-4567"));
/// assert_eq!(format_phone("03-612-3456", PhoneStyle::E164, "IL").as_deref(), Some("+97236123456"));
/// assert_eq!(format_phone("דנה", PhoneStyle::Smart, "IL"), None);
/// ```
pub fn format_phone(input: &str, style: PhoneStyle, region: &str) -> Option<String> {
    let region_id = country::Id::from_str(&region.trim().to_ascii_uppercase()).ok()?;
    let number = parse(input, region_id)?;
    let region_code = DATABASE.by_id(region_id.as_ref())?.country_code();
    let mode = match style {
        PhoneStyle::E164 => Mode::E164,
        PhoneStyle::Smart if number.code().value() == region_code => Mode::National,
        PhoneStyle::Smart => Mode::International,
    };
    render(&number, mode)
}

/// The `by_phone` values to try for a chat phone, most exact first: the chat phone
/// as given, then the other ways Lead.IM forms store the same Israeli number —
/// `972…` digits, `0…` digits, dashed `0XX-XXX-XXXX` — without duplicates.
///
/// A phone that does not parse as a number yields only itself; an empty one nothing.
///
/// ```
/// use leadim_conformance::phone::lookup_candidates;
///
/// assert_eq!(lookup_candidates("972521234567"), ["972521234567", "0521234567", "052-123-4567"]);
/// ```
pub fn lookup_candidates(chat_phone: &str) -> Vec<String> {
    let mut out = Vec::new();
    if chat_phone.trim().is_empty() {
        return out;
    }
    out.push(chat_phone.to_owned());
    let Some(number) = parse(chat_phone, country::Id::IL) else {
        return out;
    };
    // Only Israeli numbers have other formats worth trying: Lead.IM's Israeli forms
    // store them three ways. And only the same digits are tried, written another way:
    // the chat must hold `972`, `00972` or `0` followed by a whole subscriber number (8 digits
    // for a landline, 9 for a mobile). Anything the parser had to repair — a foreign
    // number, an assumed trunk 0, stray zeros — is looked up as the chat has it, so a
    // misread number is never sent as someone else's. (Each rule is a fuzz finding.)
    let national = number.national().to_string();
    let digits: String = chat_phone.chars().filter(char::is_ascii_digit).collect();
    let same_digits = ["00972", "972", "0"]
        .iter()
        .find_map(|prefix| digits.strip_prefix(prefix))
        == Some(national.as_str());
    if number.code().value() != 972 || !same_digits || !(8..=9).contains(&national.len()) {
        return out;
    }
    let mut others = vec![format!("972{national}"), format!("0{national}")];
    others.extend(render(&number, Mode::National).filter(|dashed| dashed.starts_with('0')));
    for candidate in others {
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

/// Loads libphonenumber's metadata and compiles Israel's patterns now, rather than
/// on the first number parsed. That costs tens of milliseconds of CPU, and seconds
/// on a busy machine: a command adapter does it at start-up, so that it is not
/// spent inside a call's deadline.
pub fn warm_up() {
    let _ = lookup_candidates("972521234567");
    let _ = format_phone("97236123456", PhoneStyle::Smart, DEFAULT_REGION);
}

/// Parses leniently but safely: only characters that appear in written phone numbers
/// reach the parser (it has panicked on odd input in the past), and the national
/// number must match its country's general pattern (shape and length, not the
/// allocated ranges that validity checks).
fn parse(input: &str, region: country::Id) -> Option<PhoneNumber> {
    let input = input.trim();
    let plausible_chars = input.char_indices().all(|(i, c)| {
        c.is_ascii_digit() || matches!(c, '-' | ' ' | '.' | '(' | ')') || (c == '+' && i == 0)
    });
    let digits = input.bytes().filter(u8::is_ascii_digit).count();
    if input.len() > MAX_INPUT_LEN || !plausible_chars || !(4..=17).contains(&digits) {
        return None;
    }
    // Texter's own format: country code first, no `+`. Read that way first, so that
    // `12125551234` is a US number rather than an odd Israeli one.
    let country_code_first = !input.starts_with('+')
        && digits >= 10
        && input.bytes().find(u8::is_ascii_digit) != Some(b'0');
    country_code_first
        .then(|| parse_whole(&format!("+{input}"), region))
        .flatten()
        .or_else(|| parse_whole(input, region))
}

/// Parses and keeps the number only if its national part fits its country's general
/// pattern as a whole.
fn parse_whole(input: &str, region: country::Id) -> Option<PhoneNumber> {
    let number = phonenumber::parse(Some(region), input).ok()?;
    let national = number.national().to_string();
    let whole = |meta: &&phonenumber::Metadata| {
        let found = meta
            .descriptors()
            .general()
            .national_number()
            .find(&national);
        found.is_some_and(|m| m.start() == 0 && m.end() == national.len())
    };
    DATABASE
        .by_code(&number.code().value())?
        .iter()
        .any(whole)
        .then_some(number)
}

/// Formats through `write!` rather than `to_string`: the crate's `Display` returns
/// an error for unknown country codes, which `to_string` would turn into a panic.
fn render(number: &PhoneNumber, mode: Mode) -> Option<String> {
    let mut out = String::new();
    write!(out, "{}", number.format().mode(mode)).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORMS: [&str; 7] = [
        "972521234567",
        "+972521234567",
        "0521234567",
        "052-123-4567",
        "052 123 4567",
        "+972 52-123-4567",
        "00972521234567",
    ];

    #[test]
    fn every_form_of_a_mobile_gives_one_smart_and_one_e164() {
        for form in FORMS {
            assert_eq!(
                format_phone(form, PhoneStyle::Smart, "IL").as_deref(),
                Some("052-123-4567"),
                "{form}"
            );
            assert_eq!(
                format_phone(form, PhoneStyle::E164, "IL").as_deref(),
                Some("+972521234567"),
                "{form}"
            );
        }
    }

    #[test]
    fn landline_uses_the_one_digit_area_code() {
        for form in ["036123456", "03-612-3456", "97236123456", "+972 3 612 3456"] {
            assert_eq!(
                format_phone(form, PhoneStyle::Smart, "IL").as_deref(),
                Some("03-612-3456"),
                "{form}"
            );
            assert_eq!(
                format_phone(form, PhoneStyle::E164, "il").as_deref(),
                Some("+97236123456"),
                "{form}"
            );
        }
    }

    #[test]
    fn foreign_numbers_stay_international_in_smart_style() {
        assert_eq!(
            format_phone("+12125551234", PhoneStyle::Smart, "IL").as_deref(),
            Some("+1 212-555-1234")
        );
        assert_eq!(
            format_phone("+12125551234", PhoneStyle::E164, "IL").as_deref(),
            Some("+12125551234")
        );
        // Country code first, as Texter stores phones: not read as an Israeli number.
        let us = format_phone("12125551234", PhoneStyle::Smart, "IL");
        assert_eq!(us.as_deref(), Some("+1 212-555-1234"));
        assert_eq!(lookup_candidates("12125551234"), ["12125551234"]);
        // Found by fuzzing: a foreign number with a stray trunk 0 was also tried as
        // the number without it, which is a different subscriber.
        assert_eq!(lookup_candidates("88008800005"), ["88008800005"]);
        // Also found by fuzzing: no country code fits, and only an assumed trunk 0
        // would make it Israeli.
        assert_eq!(lookup_candidates("10110114004"), ["10110114004"]);
        // And: too long for an Israeli number, though it starts with 0.
        assert_eq!(lookup_candidates("0101020010209"), ["0101020010209"]);
        // And: stray zeros after the country code.
        assert_eq!(lookup_candidates("9720081080092"), ["9720081080092"]);
        // Israeli service numbers are written without a leading 0.
        let service = format_phone("1800123456", PhoneStyle::Smart, "IL");
        assert_eq!(service.as_deref(), Some("1-800-123-456"));
    }

    #[test]
    fn non_numbers_are_none() {
        for bad in [
            "",
            "abc",
            "דנה",
            "12",
            "052-123-4567x",
            "++972521234567",
            "0",
            "1".repeat(60).as_str(),
            "  2 22#:",
        ] {
            assert_eq!(format_phone(bad, PhoneStyle::Smart, "IL"), None, "{bad:?}");
        }
        assert_eq!(format_phone("0521234567", PhoneStyle::Smart, "XX"), None);
    }

    #[test]
    fn style_names_parse() {
        assert_eq!("smart".parse(), Ok(PhoneStyle::Smart));
        assert_eq!("E164".parse(), Ok(PhoneStyle::E164));
        assert!("national".parse::<PhoneStyle>().is_err());
    }

    #[test]
    fn candidates_in_documented_order() {
        let expected = ["972521234567", "0521234567", "052-123-4567"];
        assert_eq!(lookup_candidates("972521234567"), expected);
        assert_eq!(
            lookup_candidates("052-123-4567"),
            ["052-123-4567", "972521234567", "0521234567"]
        );
        assert_eq!(lookup_candidates("+972521234567")[0], "+972521234567");
        assert_eq!(lookup_candidates("+972521234567")[1..], expected);
        assert_eq!(
            lookup_candidates("97236123456"),
            ["97236123456", "036123456", "03-612-3456"]
        );
        assert_eq!(lookup_candidates("not a phone"), ["not a phone"]);
        assert!(lookup_candidates("  ").is_empty());
    }
}
