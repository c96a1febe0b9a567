//! `application/x-www-form-urlencoded` decoding, strict: `+` is a space, every `%`
//! must start a valid escape, and the result must be UTF-8. Used for query strings
//! and form bodies alike.
//!
//! No crate decodes this format strictly (the `form_urlencoded` crate replaces
//! invalid UTF-8), so that one small decoder is written here.

use super::{DecodeError, Params, Part};
use std::borrow::Cow;
use std::ops::Range;

/// Decodes `application/x-www-form-urlencoded` strictly: `+` is a space, every `%`
/// must start a valid escape, and the result must be UTF-8. What needs no decoding
/// is borrowed from `input`.
pub fn parse_urlencoded(input: &[u8], part: Part) -> Result<Params<'_>, DecodeError> {
    // One check of the whole input (ASCII in practice, which is fast to check) lets
    // every unescaped name and value be borrowed as it is, without a check of its own.
    parse_form(input, std::str::from_utf8(input).ok(), part)
}

/// [`parse_urlencoded`] of `input`, which is `text` when that is known to be UTF-8.
pub(super) fn parse_form<'a>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::MAX_PARAMS;

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
}
