//! Large, realistic Hebrew datasets in the fixtures format, for load tests and
//! benchmarks (`leadim-sim fixtures generate --leads N --accounts M --out DIR`).
//!
//! Deterministic: lead `i` is always the same, so a benchmark can address a lead by
//! its index without reading the files back. Phones are distinct for every lead
//! below 10,000,000, spread over the three formats real forms store.

use crate::fixtures::{AccountSpec, FormSpec, PhoneFormat, Scope, TokenSpec};
use crate::store::STANDARD_FIELDS;
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The first generated account's id; account `k` is `FIRST_AID + k`.
pub const FIRST_AID: u64 = 5100;
/// The first generated form's id; account `k`'s form is `FIRST_FORM + k`.
pub const FIRST_FORM: u64 = 51_001;

const FIRST_NAMES: [&str; 24] = [
    "דנה",
    "יוסי",
    "מיכל",
    "אבי",
    "נועה",
    "משה",
    "שירה",
    "דוד",
    "רונית",
    "איתי",
    "חנה",
    "עומר",
    "ליאת",
    "אליהו",
    "תמר",
    "ג'ורג'",
    "מוחמד",
    "סמאח",
    "ולדימיר",
    "אולגה",
    "יעקב",
    "אביטל",
    "נאדר",
    "הדס",
];
const LAST_NAMES: [&str; 20] = [
    "כהן",
    "לוי",
    "מזרחי",
    "פרץ",
    "ביטון",
    "אברהם",
    "פרידמן",
    "אזולאי",
    "חדד",
    "גבאי",
    "שפירא",
    "ח'טיב",
    "בן דוד",
    "עודה",
    "קוגן",
    "דהן",
    "אוחיון",
    "וולקוב",
    "נסאר",
    "גולן",
];
const CITIES: [&str; 16] = [
    "תל אביב-יפו",
    "ירושלים",
    "חיפה",
    "באר שבע",
    "ראשון לציון",
    "פתח תקווה",
    "אשדוד",
    "נתניה",
    "רמת גן",
    "נצרת",
    "חולון",
    "בני ברק",
    "אשקלון",
    "רחובות",
    "כפר סבא",
    "אילת",
];
const MESSAGES: [&str; 10] = [
    "מבקש הצעת מחיר לביטוח רכב, רכב פרטי 2021",
    "אפשר לחזור אליי אחרי 17:00? תודה",
    "מעוניינת בדירת 4 חדרים באזור המרכז",
    "רציתי לשאול על הלוואה לרכב חדש",
    "ביטוח דירה + ביטוח משכנתא, מה המחיר?",
    "שלום, ראיתי את המודעה בפייסבוק ואשמח לפרטים",
    "צריך תור לבדיקה וניקוי שיניים",
    "האם יש הנחה ללקוחות קיימים?",
    "מחפשים בית פרטי עם גינה, תקציב עד 3.5 מיליון",
    "התקשרתי ולא ענו, אשמח שיחזרו אליי",
];
const HANDLERS: [&str; 8] = [
    "מיכל אברהם",
    "אורטל ביטון",
    "יוסי לוי",
    "רונן שמעוני",
    "סיגל אוחיון",
    "עדי גולן",
    "נאדר חורי",
    "תומר בן עמי",
];
const STATUSES: [&str; 5] = ["חדש", "בטיפול", "חזר ללקוח", "נסגר", "לא רלוונטי"];
const SOURCES: [&str; 4] = ["facebook", "google", "whatsapp", "instagram"];

fn pick<T: Copy>(list: &[T], i: u64) -> T {
    list[(i % list.len() as u64) as usize]
}

/// The display name of lead `i`.
pub fn name(i: u64) -> String {
    format!("{} {}", pick(&FIRST_NAMES, i), pick(&LAST_NAMES, i / 7))
}

/// The message (`הודעה`) of lead `i`.
pub fn message(i: u64) -> &'static str {
    pick(&MESSAGES, i)
}

/// The handler (`מטפל`) of lead `i`, if it has one yet.
pub fn handler(i: u64) -> Option<&'static str> {
    (!i.is_multiple_of(5)).then(|| pick(&HANDLERS, i / 5))
}

/// The phone of lead `i`, in one of the three stored formats: local (`0521234567`),
/// dashed (`052-123-4567`) or international without `+` (`972521234567`).
pub fn phone(i: u64) -> String {
    let prefix = pick(&[0, 2, 3, 4, 8], i);
    let n = i % 10_000_000;
    let (a, b) = (n / 10_000, n % 10_000);
    match i % 3 {
        0 => format!("05{prefix}{n:07}"),
        1 => format!("05{prefix}-{a:03}-{b:04}"),
        _ => format!("9725{prefix}{n:07}"),
    }
}

/// The account id of lead `i` in a dataset of `accounts` accounts.
pub fn aid_of(i: u64, accounts: u64) -> u64 {
    FIRST_AID + i % accounts.max(1)
}

/// The credentials of generated account `k`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedAccount {
    /// Account id.
    pub aid: u64,
    /// Its one form.
    pub lm_form: u64,
    /// The form's key.
    pub lm_key: String,
    /// Read+write token.
    pub token: String,
}

/// Token `n` of a generated account: Lead.IM's shape, the same in every run.
fn token_of(aid: u64, n: u64) -> String {
    let mix = |x: u64| x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    crate::model::token_shape(mix(aid * 4 + n), mix(mix(aid * 4 + n)))
}

/// Account `k` of a generated dataset.
pub fn account(k: u64) -> GeneratedAccount {
    let aid = FIRST_AID + k;
    GeneratedAccount {
        aid,
        lm_form: FIRST_FORM + k,
        lm_key: crate::model::lm_key_shape(aid.wrapping_mul(2_654_435_761)),
        token: token_of(aid, 1),
    }
}

#[derive(Serialize)]
struct Fields<'a> {
    #[serde(rename = "שם")]
    name: &'a str,
    #[serde(rename = "טלפון")]
    phone: &'a str,
    #[serde(rename = "דוא\"ל")]
    email: &'a str,
    #[serde(rename = "הודעה")]
    message: &'a str,
    #[serde(rename = "עיר")]
    city: &'a str,
    #[serde(rename = "מטפל", skip_serializing_if = "Option::is_none")]
    handler: Option<&'a str>,
    #[serde(rename = "סטטוס")]
    status: &'a str,
}

#[derive(Serialize)]
struct Line<'a> {
    aid: u64,
    form_id: u64,
    created_at: &'a str,
    phone: &'a str,
    fields: Fields<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    utm_source: Option<&'a str>,
}

/// Writes `accounts.json` and `leads.jsonl` into `dir`: `accounts` accounts (each
/// with one form of the standard fields and read+write, read and write tokens) and
/// `leads` leads spread over them, one every 20 seconds from 2025-01-01. Calls
/// `progress` with the number of leads written, every 16,384 leads and at the end.
pub fn write(
    dir: &Path,
    leads: u64,
    accounts: u64,
    mut progress: impl FnMut(u64),
) -> io::Result<()> {
    let accounts = accounts.max(1);
    std::fs::create_dir_all(dir)?;
    // Typed, not a serde_json::Value: the form's fields must keep their order.
    let list: Vec<AccountSpec> = (0..accounts)
        .map(|k| {
            let a = account(k);
            let token = |token: String, scopes: &[Scope]| TokenSpec {
                token,
                scopes: scopes.to_vec(),
            };
            AccountSpec {
                aid: a.aid,
                name: format!("סוכנות {} בע\"מ", pick(&LAST_NAMES, k)),
                enabled: true,
                tokens: vec![
                    token(a.token, &[Scope::Read, Scope::Write]),
                    token(token_of(a.aid, 2), &[Scope::Read]),
                    token(token_of(a.aid, 3), &[Scope::Write]),
                ],
                forms: vec![FormSpec {
                    lm_form: a.lm_form,
                    lm_key: a.lm_key,
                    name: "טופס צור קשר".into(),
                    enabled: true,
                    thank_you_url: "https://example.co.il/todah".into(),
                    fields: STANDARD_FIELDS.iter().copied().collect(),
                    reject_duplicates_secs: None,
                    phone_format: PhoneFormat::AsSent,
                }],
                advertisers: Vec::new(),
            }
        })
        .collect();
    #[derive(Serialize)]
    struct AccountsFile<'a> {
        accounts: &'a [AccountSpec],
    }
    std::fs::write(
        dir.join("accounts.json"),
        serde_json::to_vec_pretty(&AccountsFile { accounts: &list })?,
    )?;

    let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join("leads.jsonl"))?);
    let start = jiff::Timestamp::from_second(1_735_689_600).expect("2025-01-01 is a valid time");
    let mut email = String::new();
    for i in 0..leads {
        let created_at = start
            .checked_add(jiff::SignedDuration::from_secs(i as i64 * 20))
            .map_err(io::Error::other)?
            .to_string();
        let (name, phone) = (name(i), phone(i));
        email.clear();
        if !i.is_multiple_of(4) {
            use std::fmt::Write as _;
            let _ = write!(email, "lead{i}@example.co.il");
        }
        let k = i % accounts;
        let line = Line {
            aid: FIRST_AID + k,
            form_id: FIRST_FORM + k,
            created_at: &created_at,
            phone: &phone,
            fields: Fields {
                name: &name,
                phone: &phone,
                email: &email,
                message: message(i / 2),
                city: pick(&CITIES, i / 3),
                handler: handler(i),
                status: pick(&STATUSES, i / 11),
            },
            utm_source: i.is_multiple_of(2).then(|| pick(&SOURCES, i / 2)),
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
        if i % 16_384 == 16_383 {
            progress(i + 1);
        }
    }
    out.flush()?;
    progress(leads);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dataset, PhoneMatch, Store};
    use std::collections::HashSet;

    #[test]
    fn phones_are_distinct_in_three_formats() {
        let phones: HashSet<String> = (0..300_000).map(phone).collect();
        assert_eq!(phones.len(), 300_000);
        assert_eq!(phone(0), "0500000000");
        assert_eq!(phone(1), "052-000-0001");
        assert_eq!(phone(2), "972530000002");
    }

    use crate::model::fields;
    use crate::request::TokenHeader;

    #[test]
    fn a_generated_dataset_loads_and_every_lead_is_found_by_its_phone() {
        let dir = tempfile::tempdir().unwrap();
        let mut reported = Vec::new();
        write(dir.path(), 40_000, 3, |n| reported.push(n)).unwrap();
        assert_eq!(reported.last(), Some(&40_000));
        assert!(reported.windows(2).all(|w| w[0] < w[1]));
        let dataset = Dataset::load_dir(dir.path()).unwrap();
        // The form's fields in the standard order: the order leads show them in.
        let keys: Vec<&str> = dataset.accounts[0].forms[0].fields.keys().collect();
        let standard: Vec<&str> = STANDARD_FIELDS.iter().map(|(key, _)| *key).collect();
        assert_eq!(keys, standard);
        let store = Store::new(dataset, PhoneMatch::Exact).unwrap();
        let counts = store.counts();
        assert_eq!((counts.accounts, counts.leads), (3, 40_000));
        for i in [0, 1, 2, 12_345, 39_999] {
            let a = account(i % 3);
            let token = TokenHeader::Value(&a.token);
            let json = crate::api::lookup::find(
                &store,
                &a.aid.to_string(),
                token,
                Some(&phone(i)),
                usize::MAX,
            )
            .map(|found| found.body)
            .unwrap();
            let answer: serde_json::Value = serde_json::from_slice(&json).unwrap();
            let found = answer["data"].as_array().unwrap();
            assert_eq!(found.len(), 1, "lead {i}");
            assert_eq!(found[0]["fields"][fields::NAME], name(i).as_str());
            assert_eq!(found[0]["fields"][fields::HANDLER].as_str(), handler(i));
        }
    }
}
