//! What the property mode generates: Israeli phone numbers and the ways forms write
//! them, and text that breaks naive adapters — Hebrew with niqqud, Arabic, emoji,
//! direction and zero-width marks, quotes, `&`, `+`, `%`, `=`, `#`, kept spaces and
//! line breaks, and messages of any length around Lead.IM's 3,500 characters.
//!
//! Each strategy shrinks towards the plainest value: fewer pieces, shorter texts,
//! the first alternative of each choice.

use proptest::prelude::*;

/// How a national number splits into area code and subscriber number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    /// `05X-XXX-XXXX`: nine national digits, a two-digit prefix.
    Mobile,
    /// `0X-XXX-XXXX` (02, 03, 04, 08, 09): eight national digits, a one-digit area code.
    Landline,
    /// `07X-XXX-XXXX`: nine national digits, a two-digit prefix.
    Voip,
}

impl NumberKind {
    /// Digits of the area code or prefix, without the trunk 0.
    pub fn area_digits(self) -> usize {
        match self {
            Self::Landline => 1,
            Self::Mobile | Self::Voip => 2,
        }
    }
}

/// An Israeli number: its kind and national digits without the trunk 0
/// (`521234567` for `052-123-4567`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsraeliNumber {
    /// Mobile, landline or 07X.
    pub kind: NumberKind,
    /// The national digits, without the leading 0.
    pub national: String,
}

impl IsraeliNumber {
    /// As Texter stores a chat phone: digits only, country code first (`972521234567`).
    pub fn chat_phone(&self) -> String {
        StoredFormat::International.write(self)
    }

    /// As Israelis write it, which is openTicket's `fld_phone`: `052-123-4567`,
    /// `03-612-3456`, `072-123-4567`.
    pub fn display(&self) -> String {
        StoredFormat::Dashed.write(self)
    }

    /// The area code (without the 0), the next three digits, and the rest.
    fn parts(&self) -> (&str, &str, &str) {
        let (area, rest) = self.national.split_at(self.kind.area_digits());
        let (mid, last) = rest.split_at(3);
        (area, mid, last)
    }
}

/// A way a Lead.IM form stores a phone: forms keep what the visitor typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredFormat {
    /// `972521234567`: Texter's own format, and the first a lookup tries.
    International,
    /// `0521234567`.
    National,
    /// `052-123-4567`.
    Dashed,
    /// `+972521234567`.
    Plus,
    /// `00972521234567`.
    DoubleZero,
    /// `052 123 4567`.
    Spaced,
    /// `+972 52-123-4567`.
    PlusDashed,
    /// `+972-52-1234567`.
    PlusHyphen,
    /// ` (052) 123-4567 `, spaces around it included.
    Parenthesized,
}

impl StoredFormat {
    /// Every format, the three a lookup tries (protocol v1) first.
    pub const ALL: [Self; 9] = [
        Self::International,
        Self::National,
        Self::Dashed,
        Self::Plus,
        Self::DoubleZero,
        Self::Spaced,
        Self::PlusDashed,
        Self::PlusHyphen,
        Self::Parenthesized,
    ];

    /// The number written this way.
    pub fn write(self, number: &IsraeliNumber) -> String {
        let n = &number.national;
        let (area, mid, last) = number.parts();
        match self {
            Self::International => format!("972{n}"),
            Self::National => format!("0{n}"),
            Self::Dashed => format!("0{area}-{mid}-{last}"),
            Self::Plus => format!("+972{n}"),
            Self::DoubleZero => format!("00972{n}"),
            Self::Spaced => format!("0{area} {mid} {last}"),
            Self::PlusDashed => format!("+972 {area}-{mid}-{last}"),
            Self::PlusHyphen => format!("+972-{area}-{mid}{last}"),
            Self::Parenthesized => format!(" (0{area}) {mid}-{last} "),
        }
    }
}

/// Every way forms write `number`, in [`StoredFormat::ALL`]'s order.
pub fn written_forms(number: &IsraeliNumber) -> Vec<String> {
    StoredFormat::ALL.iter().map(|f| f.write(number)).collect()
}

/// Nine national digits of an Israeli mobile: `5` then eight digits.
pub fn mobile() -> impl Strategy<Value = String> {
    "5[0-9]{8}"
}

/// Eight national digits of a landline with a one-digit area code (02, 03, 04, 08,
/// 09).
pub fn landline() -> impl Strategy<Value = String> {
    "[23489][0-9]{7}"
}

/// Nine national digits of a 07X number (VoIP and new operators: 072 to 079).
pub fn voip() -> impl Strategy<Value = String> {
    "7[2-9][2-9][0-9]{6}"
}

/// Any Israeli number: mobiles most often, as in Texter's chats.
pub fn israeli_number() -> impl Strategy<Value = IsraeliNumber> {
    let of = |kind| move |national| IsraeliNumber { kind, national };
    prop_oneof![
        3 => mobile().prop_map(of(NumberKind::Mobile)),
        1 => landline().prop_map(of(NumberKind::Landline)),
        1 => voip().prop_map(of(NumberKind::Voip)),
    ]
}

/// A stored format, the three a lookup tries (protocol v1) most often.
pub fn stored_format() -> impl Strategy<Value = StoredFormat> {
    prop_oneof![
        6 => (0..3usize).prop_map(|i| StoredFormat::ALL[i]),
        2 => (3..StoredFormat::ALL.len()).prop_map(|i| StoredFormat::ALL[i]),
    ]
}

/// Pieces of text that break naive adapters and naive encoders.
const PIECES: &[&str] = &[
    // Hebrew, and Hebrew with niqqud (combining marks).
    "שלום",
    "דנה כהן",
    "אבי מזרחי",
    "תל אביב-יפו",
    "ביטוח רכב",
    "שָׁלוֹם",
    "דָּנָה כֹּהֵן",
    "מוחמד ח'טיב",
    // Arabic.
    "مرحبا",
    "محمد",
    "شكرا جزيلا",
    // Emoji: plain, with a skin tone, a ZWJ family, a flag, with a variation selector.
    "😀",
    "👍🏽",
    "👨‍👩‍👧",
    "🇮🇱",
    "❤️",
    // Direction and zero-width marks.
    "\u{200F}",
    "\u{200E}",
    "\u{202B}",
    "\u{202C}",
    "\u{2067}",
    "\u{2069}",
    "\u{200B}",
    "\u{200C}",
    "\u{200D}",
    "\u{FEFF}",
    "\u{061C}",
    // Quotes, Hebrew geresh and gershayim included.
    "\"",
    "'",
    "״",
    "׳",
    "“",
    "”",
    "`",
    // What URL and form encoding must escape.
    "&",
    "+",
    "%",
    "=",
    "#",
    "?",
    "/",
    "%20",
    "a=b&c=d",
    "%E2%82%AC",
    "+972",
    "<b>",
    "\\",
    // Whitespace that must be kept.
    " ",
    "  ",
    "\n",
    "\t",
    "\r\n",
    "\u{00A0}",
    "\u{2003}",
    // Plain text.
    "Dana",
    "avi+leads@gmail.com",
    "100%",
    "1+1=2",
    "052-123-4567",
];

/// One piece: mostly from [`PIECES`], sometimes any character at all.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(PIECES).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ]
}

/// Short text: a name, an e-mail, a title, a field value. May be empty.
pub fn short_text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..6).prop_map(|pieces| pieces.concat())
}

/// A phrase repeated into long Hebrew text.
const LONG_PHRASE: &str = "שלום, אני מעוניין בהצעת מחיר לביטוח רכב ודירה. ";

/// Exactly `chars` characters of Hebrew text (characters, not bytes).
pub fn hebrew_of_length(chars: usize) -> String {
    LONG_PHRASE.chars().cycle().take(chars).collect()
}

/// A message's text: usually short, sometimes thousands of characters, so that
/// `fld_message` crosses Lead.IM's 3,500 (a long run shrinks by halving its length).
pub fn message_text() -> impl Strategy<Value = String> {
    let chunk = prop_oneof![
        12 => piece(),
        1 => (1usize..=4_200).prop_map(hebrew_of_length),
    ];
    prop::collection::vec(chunk, 0..6).prop_map(|chunks| chunks.concat())
}

/// What a prompt node collected: no node, a node without text, or a text — empty,
/// blank, or anything else (kept exactly as typed).
pub fn prompt_answer() -> impl Strategy<Value = Option<Option<String>>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(None)),
        1 => prop::sample::select(&["", " ", "  \n", "\t"][..]).prop_map(|t| Some(Some(t.to_owned()))),
        5 => short_text().prop_map(|t| Some(Some(t))),
    ]
}
