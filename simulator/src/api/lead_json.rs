//! The lead object of the lookup and get answers (`docs/contract.md`, "Look leads
//! up": "A lead object"), written straight from the stored leads.
//!
//! This is the lookup's hot path, so the JSON is written by hand rather than through
//! serde: field names and most values need no escaping, and checking that is far
//! cheaper than escaping byte by byte. A test holds the output equal, byte for byte,
//! to serde's rendering of [`crate::LeadView`].

use crate::store::{AccountLeads, LM_SOURCE, Lead, UTM_BASE, is_plain};

/// `{"status":"success","data":[…]}` for these leads of `account`, written under the
/// store's lock.
pub(crate) fn envelope(account: AccountLeads<'_>, leads: &[&Lead]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 640 * leads.len());
    out.extend_from_slice(br#"{"status":"success","data":["#);
    for (i, lead) in leads.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_lead(&mut out, lead, account);
    }
    out.extend_from_slice(b"]}");
    out
}

/// The UTM values and `lm_source` as the lead object's top-level keys, in order.
const EXTRA_KEYS: [(&[u8], u16); 6] = [
    (br#","utm_source":"#, UTM_BASE),
    (br#","utm_medium":"#, UTM_BASE + 1),
    (br#","utm_campaign":"#, UTM_BASE + 2),
    (br#","utm_content":"#, UTM_BASE + 3),
    (br#","utm_term":"#, UTM_BASE + 4),
    (br#","lm_source":"#, LM_SOURCE),
];

fn write_lead(out: &mut Vec<u8>, lead: &Lead, account: AccountLeads<'_>) {
    let form = account.form_of(lead);
    let number = |out: &mut Vec<u8>, key: &[u8], n: u64| {
        out.extend_from_slice(key);
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    };
    // Values are copied as they are when the lead holds nothing to escape.
    let value = |out: &mut Vec<u8>, v: &str| {
        if lead.is_plain() {
            out.push(b'"');
            out.extend_from_slice(v.as_bytes());
            out.push(b'"');
        } else {
            write_str(out, v);
        }
    };
    number(out, br#"{"aid":"#, lead.aid);
    number(out, br#","lid":"#, lead.lid);
    number(out, br#","form_id":"#, lead.form_id);
    number(out, br#","status_id":"#, u64::from(lead.status_id));
    out.extend_from_slice(br#","created_at":"#);
    write_time(out, lead.created_at);
    out.extend_from_slice(br#","updated_at":"#);
    write_time(out, lead.updated_at);
    out.extend_from_slice(br#","phone":"#);
    value(out, lead.phone(form));
    out.extend_from_slice(br#","fields":{"#);
    // Pairs come by field index: the form's fields, then the UTM values in order.
    let mut pairs = lead.pairs().peekable();
    let mut first = true;
    while let Some((idx, v)) = pairs.next_if(|(idx, _)| *idx < UTM_BASE) {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(&form.json_keys[idx as usize]);
        value(out, v);
    }
    out.push(b'}');
    for (key, idx) in EXTRA_KEYS {
        out.extend_from_slice(key);
        match pairs.next_if(|(i, _)| *i == idx) {
            Some((_, v)) => value(out, v),
            None => out.extend_from_slice(b"null"),
        }
    }
    write_routing(out, lead, account);
    out.push(b'}');
}

/// `"routes_to_advertisers":[ids],"adv_users":[{"id":…,"name":…}]`: empty arrays
/// for the nearly every lead never routed.
fn write_routing(out: &mut Vec<u8>, lead: &Lead, account: AccountLeads<'_>) {
    let routes = account.routes_of(lead.lid);
    if routes.is_empty() {
        out.extend_from_slice(br#","routes_to_advertisers":[],"adv_users":[]"#);
        return;
    }
    out.extend_from_slice(br#","routes_to_advertisers":["#);
    for (i, id) in routes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(itoa::Buffer::new().format(*id).as_bytes());
    }
    out.extend_from_slice(br#"],"adv_users":["#);
    for (i, id) in routes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"id":"#);
        out.extend_from_slice(itoa::Buffer::new().format(*id).as_bytes());
        out.extend_from_slice(br#","name":"#);
        write_str(out, account.advertiser_name(*id));
        out.push(b'}');
    }
    out.push(b']');
}

/// A JSON string: copied as is when nothing in it needs escaping, else through
/// serde_json's escaping.
fn write_str(out: &mut Vec<u8>, s: &str) {
    if is_plain(s) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// A timestamp as RFC 3339 in UTC to the second (`"2026-03-02T09:15:00Z"`), as
/// jiff prints it, without going through `fmt`.
fn write_time(out: &mut Vec<u8>, secs: i64) {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        // Outside four-digit years jiff's own printing decides the shape.
        return write_str(out, &crate::store::format_time(secs));
    }
    let digit = |n: i64| b'0' + n as u8;
    let (hour, minute, second) = (rest / 3600, rest / 60 % 60, rest % 60);
    out.extend_from_slice(&[
        b'"',
        digit(year / 1000),
        digit(year / 100 % 10),
        digit(year / 10 % 10),
        digit(year % 10),
        b'-',
        digit(month / 10),
        digit(month % 10),
        b'-',
        digit(day / 10),
        digit(day % 10),
        b'T',
        digit(hour / 10),
        digit(hour % 10),
        b':',
        digit(minute / 10),
        digit(minute % 10),
        b':',
        digit(second / 10),
        digit(second % 10),
        b'Z',
        b'"',
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::lookup::newest_first;
    use crate::fixtures::{Dataset, Scope};
    use crate::phone::PhoneMatch;
    use crate::request::{Part, TokenHeader, parse_urlencoded};
    use crate::store::Store;
    use jiff::Timestamp;

    #[test]
    fn the_fast_lead_json_equals_the_view() {
        let store = Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap();
        let params = parse_urlencoded(
            "name=%22%D7%93%D7%A0%D7%94%22+%5C+%01%0A%09%7F&phone=0521234567&utm_source=fb&lm_source=x&fld_city=חיפה&fld_nmae=1".as_bytes(),
            Part::Query,
        )
        .unwrap();
        store
            .create_lead(5001, Timestamp::now().as_second(), |target| {
                let form = target.unwrap().form;
                Ok::<_, ()>(crate::api::submit::map_params(
                    form,
                    &params,
                    &mut Vec::new(),
                ))
            })
            .unwrap();
        let token = TokenHeader::Value("U-d5f9403e30b5281d.6484eb0eaa3c4f85");
        // Routed to the account's advertisers, so the routing is written too.
        let lid = store
            .read_account("3305", token, Scope::Read, |account| {
                Ok(account.by_phone_latest("0521234567", usize::MAX).0[0].lid)
            })
            .unwrap();
        let by_id = format!("by_id={lid}&route_adv=true");
        let routed_update = parse_urlencoded(by_id.as_bytes(), Part::Body).unwrap();
        crate::api::update::change(&store, "3305", token, &routed_update, 0, &mut Vec::new())
            .unwrap();
        let (views, json) = store
            .read_account("3305", token, Scope::Read, |account| {
                let mut found = account.by_phone_latest("0521234567", usize::MAX).0;
                newest_first(&mut found);
                let views: Vec<_> = found.iter().map(|l| account.view(l)).collect();
                Ok((views, envelope(account, &found)))
            })
            .unwrap();
        assert!(views.len() >= 2);
        assert!(
            views.iter().any(|v| v.adv_users.len() == 2),
            "a routed lead is shown"
        );
        // serde's rendering of a typed envelope: a serde_json::Value would sort the
        // keys, and the order is what a client that prints the answer sees.
        #[derive(serde::Serialize)]
        struct Envelope<'a> {
            status: &'a str,
            data: &'a [crate::LeadView],
        }
        let slow = serde_json::to_string(&Envelope {
            status: "success",
            data: &views,
        })
        .unwrap();
        assert_eq!(String::from_utf8(json).unwrap(), slow);
    }

    #[test]
    fn times_print_as_jiff_prints_them() {
        for secs in [
            0,
            -1,
            951_782_400,   // 2000-02-29
            1_735_689_599, // 2024-12-31T23:59:59
            1_772_442_900,
            4_107_542_400,   // 2100-03-01
            253_402_207_200, // the last second jiff holds
            -62_135_596_800, // 0001-01-01
            -62_167_219_200, // 0000-01-01
            -62_167_219_201,
        ] {
            let mut out = Vec::new();
            write_time(&mut out, secs);
            let jiff = format!("\"{}\"", Timestamp::from_second(secs).unwrap());
            assert_eq!(String::from_utf8(out).unwrap(), jiff, "{secs}");
        }
    }
}
