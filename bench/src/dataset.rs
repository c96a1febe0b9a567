//! Large datasets in the simulator's fixture format (see `fixtures/README.md`): one
//! account with one enabled form of the standard fields and a read+write token in
//! `accounts.json`, and N leads in `leads.jsonl`, sorted by `created_at`, with
//! realistic Hebrew names, cities, messages and handlers, and distinct phones in the
//! three formats real forms send.
//!
//! The simulator crate has no generator of its own yet; this one lives here until
//! it does.

use crate::workload::Account;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// The generated account's id.
pub const AID: u64 = 5100;
/// Its form.
pub const LM_FORM: u64 = 51_001;
/// The form's key.
pub const LM_KEY: &str = "k-51001-0bad5eed";
/// Its read+write token.
pub const TOKEN: &str = "t-5100-rw";

const FIRST_NAMES: [&str; 16] = [
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
];
const LAST_NAMES: [&str; 13] = [
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
];
const CITIES: [&str; 10] = [
    "תל אביב",
    "ירושלים",
    "חיפה",
    "באר שבע",
    "ראשון לציון",
    "פתח תקווה",
    "אשדוד",
    "נתניה",
    "רמת גן",
    "נצרת",
];
const MESSAGES: [&str; 8] = [
    "מבקש הצעת מחיר לביטוח רכב, רכב פרטי 2021",
    "אפשר לחזור אליי אחרי 17:00? תודה",
    "מעוניינת בדירת 4 חדרים באזור המרכז",
    "רציתי לשאול על הלוואה לרכב חדש",
    "ביטוח דירה + ביטוח משכנתא, מה המחיר?",
    "שלום, ראיתי את המודעה בפייסבוק ואשמח לפרטים",
    "צריך תור לבדיקה וניקוי שיניים",
    "האם יש הנחה ללקוחות קיימים?",
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

/// A made-up Hebrew full name.
pub fn name(i: u64) -> String {
    let first = FIRST_NAMES[(i % FIRST_NAMES.len() as u64) as usize];
    let last = LAST_NAMES[(i / 7 % LAST_NAMES.len() as u64) as usize];
    format!("{first} {last}")
}

/// A made-up Hebrew message.
pub fn message(i: u64) -> &'static str {
    MESSAGES[(i % MESSAGES.len() as u64) as usize]
}

/// A made-up handler (`מטפל`).
pub fn handler(i: u64) -> &'static str {
    HANDLERS[(i % HANDLERS.len() as u64) as usize]
}

fn city(i: u64) -> &'static str {
    CITIES[(i / 3 % CITIES.len() as u64) as usize]
}

/// The phone of lead `i`: distinct for every `i` below 10,000,000, in the three
/// formats real forms store — local (`0521234567`), dashed (`052-123-4567`) and
/// international without `+` (`972521234567`).
pub fn phone(i: u64) -> String {
    let prefix = [0, 2, 3, 4, 8][(i % 5) as usize];
    let n = i % 10_000_000;
    let (a, b) = (n / 10_000, n % 10_000);
    match i % 3 {
        0 => format!("05{prefix}{n:07}"),
        1 => format!("05{prefix}-{a:03}-{b:04}"),
        _ => format!("9725{prefix}{n:07}"),
    }
}

/// The phone of submission `seq`: prefix `055`, which [`phone`] never uses, so a
/// submission never joins a generated lead's phone.
pub fn submit_phone(seq: u64) -> String {
    format!("055{:07}", seq % 10_000_000)
}

/// The generated account, as the workloads address it.
pub fn account() -> Account {
    Account {
        aid: AID,
        lm_form: LM_FORM.to_string(),
        lm_key: LM_KEY.into(),
        token: TOKEN.into(),
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
}

#[derive(Serialize)]
struct Line<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    aid: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    form_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<&'a str>,
    phone: &'a str,
    fields: Fields<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    utm_source: Option<&'a str>,
}

/// Writes lead `i` as JSON: a `leads.jsonl` line when `created_at` is given, or a
/// lead to seed through `POST /__admin/accounts/{aid}/leads` when it is not.
fn write_lead(out: &mut impl Write, i: u64, created_at: Option<&str>) -> std::io::Result<()> {
    let (name, phone) = (name(i), phone(i));
    let email = if i % 4 == 3 {
        String::new()
    } else {
        format!("lead{i}@example.co.il")
    };
    let line = Line {
        aid: created_at.map(|_| AID),
        form_id: created_at.map(|_| LM_FORM),
        created_at,
        phone: &phone,
        fields: Fields {
            name: &name,
            phone: &phone,
            email: &email,
            message: message(i / 2),
            city: city(i),
            handler: (!i.is_multiple_of(5)).then(|| handler(i / 5)),
        },
        utm_source: i.is_multiple_of(2).then_some("facebook"),
    };
    serde_json::to_writer(&mut *out, &line)?;
    Ok(())
}

/// Writes `accounts.json` and `leads.jsonl` with `leads` leads into `dir`, calling
/// `progress` with the count written every 65,536 leads.
pub fn write(dir: &Path, leads: u64, progress: impl Fn(u64)) -> std::io::Result<()> {
    let fields: serde_json::Map<String, serde_json::Value> =
        leadim_simulator::store::STANDARD_FIELDS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect();
    let accounts = serde_json::json!({
        "accounts": [{
            "aid": AID,
            "name": "סוכנות הבנצ'מרק בע\"מ",
            "enabled": true,
            "tokens": [{"token": TOKEN, "scopes": ["read", "write"]}],
            "forms": [{
                "lm_form": LM_FORM,
                "lm_key": LM_KEY,
                "name": "טופס עומס",
                "enabled": true,
                "thank_you_url": "https://example.co.il/todah",
                "fields": fields,
            }],
        }]
    });
    std::fs::write(
        dir.join("accounts.json"),
        serde_json::to_vec_pretty(&accounts)?,
    )?;

    let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join("leads.jsonl"))?);
    // One lead every 20 seconds from 2025-01-01: a million leads span 231 days.
    let start = jiff::Timestamp::from_second(1_735_689_600).expect("a valid time");
    for i in 0..leads {
        let at = start
            .checked_add(jiff::SignedDuration::from_secs(i as i64 * 20))
            .expect("in range")
            .to_string();
        write_lead(&mut out, i, Some(&at))?;
        out.write_all(b"\n")?;
        if i.is_multiple_of(65_536) {
            progress(i);
        }
    }
    out.flush()?;
    progress(leads);
    Ok(())
}

/// The body of `POST /__admin/accounts/{aid}/leads` that seeds leads `0..count`
/// (phones [`phone`]`(0..count)`) into a created account.
pub fn seed_body(count: u64) -> serde_json::Value {
    let mut buf = Vec::with_capacity(count as usize * 300 + 2);
    buf.push(b'[');
    for i in 0..count {
        if i > 0 {
            buf.push(b',');
        }
        write_lead(&mut buf, i, None).expect("writing to a Vec cannot fail");
    }
    buf.push(b']');
    serde_json::from_slice(&buf).expect("the seed body is valid JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn phones_are_distinct_and_never_a_submit_phone() {
        let phones: HashSet<String> = (0..200_000).map(phone).collect();
        assert_eq!(phones.len(), 200_000);
        assert!(!phones.contains(&submit_phone(0)));
        assert_eq!(phone(0), "0500000000");
        assert_eq!(phone(1), "052-000-0001");
        assert_eq!(phone(2), "972530000002");
    }

    #[test]
    fn a_generated_dataset_loads_in_the_simulator() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 500, |_| {}).unwrap();
        let dataset = leadim_simulator::Dataset::load_dir(dir.path()).unwrap();
        let store =
            leadim_simulator::Store::new(dataset, leadim_simulator::PhoneMatch::Exact).unwrap();
        assert_eq!(store.counts(), (1, 500));
        let (_, found) = store
            .leads_by_phone("5100", Some(Ok(TOKEN)), Some(&phone(123)))
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field("שם"), Some(name(123).as_str()));
    }

    #[test]
    fn the_seed_body_seeds() {
        let body = seed_body(3);
        assert_eq!(body.as_array().unwrap().len(), 3);
        assert_eq!(body[1]["phone"], "052-000-0001");
        assert!(body[1].get("aid").is_none());
    }
}
