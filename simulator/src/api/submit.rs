//! `GET|POST /v2/submit` — `docs/contract.md`, "Create a lead": `lm_form` and
//! `lm_key` name an enabled form of an enabled account; the form's keys, the UTM
//! values and `lm_source` become the lead; values are capped; the answer is JSON or
//! a redirect.

use crate::error::SubmitError;
use crate::model::fields::NAME as NAME_FIELD;
use crate::reply::{Failure, JournalNotes, Reply};
use crate::request::{BodyKinds, Params, ParamsUsed, Request};
use crate::routes::Door;
use crate::store::{
    CreatedLead, Form, LM_SOURCE, NewLead, Store, SubmitTarget, UTM_BASE, UTM_KEYS,
};
use hyper::{Method, StatusCode};
use std::borrow::Cow;
use std::hash::BuildHasher;

/// Cap of `msg`, `lm_source` and the form's message field, in characters.
pub const LONG_CAP: usize = 3500;
/// Cap of every other field, in characters.
pub const SHORT_CAP: usize = 300;

/// Submit parameters that steer the call rather than carry lead data.
const CONTROL_KEYS: [&str; 4] = ["lm_form", "lm_key", "lm_redirect", "lm_format"];

/// What `/v1/submit` answers to parameters that cannot be decoded, which have no
/// code of their own: -999, internal error [modeled].
const V1_UNREADABLE: i32 = -999;

/// A lead's status: new.
const NEW: u32 = 1;
/// A lead's status: invalid.
const INVALID: u32 = 2;

/// Handles one submission through `door`: `/v2/submit`, the browser's
/// `submit.cors.v2.ashx` or the legacy `/v1/submit`. All three take the same
/// parameters and check them alike; they differ in their answers.
pub(crate) async fn handle(
    store: &Store,
    req: &Request,
    door: Door,
    notes: &mut JournalNotes,
) -> Reply {
    let (decoded, used) = if req.method == Method::POST {
        let used = ParamsUsed::Merged(BodyKinds::Form);
        (req.merged_params(BodyKinds::Form).await, used)
    } else {
        if !req.body.is_empty() {
            notes.note("body ignored: a GET submission takes its parameters from the query string");
        }
        (req.query_params(), ParamsUsed::Query)
    };
    let params = match decoded {
        Ok(p) => p,
        Err(e) => return failure(store, notes, door, &SubmitError::Decode(e), None),
    };
    notes.params = used;
    let mut diagnostics = Vec::new();
    match create(store, &params, req.received.as_second(), &mut diagnostics) {
        Err(e) => {
            let lm_form = form_id(&params).ok();
            failure(store, notes, door, &e, lm_form)
        }
        Ok(created) => {
            notes.account = Some(created.aid);
            notes.notes(diagnostics);
            match door {
                // The browser's door always answers JSON, never a redirect.
                Door::Cors => Reply::success_result(created.lid),
                Door::V1 => Reply::text(created.lid.to_string()),
                _ => answer(&params, created.lid, &created.thank_you_url, notes),
            }
        }
    }
}

/// Creates the lead `params` describe, dated `now`: the form is named and checked,
/// then the parameters mapped to its fields.
pub(crate) fn create(
    store: &Store,
    params: &Params<'_>,
    now: i64,
    diagnostics: &mut Vec<String>,
) -> Result<CreatedLead, SubmitError> {
    let lm_form = form_id(params)?;
    store.create_lead(lm_form, now, |target| {
        let target = admit(target, lm_form, params.get("lm_key"))?;
        let remember = not_a_repeat(&target, params, now)?;
        Ok(NewLead {
            remember,
            ..map_params(target.form, params, diagnostics)
        })
    })
}

/// The form `lm_form` names: required, a number.
fn form_id(params: &Params<'_>) -> Result<u64, SubmitError> {
    let raw = params
        .get("lm_form")
        .filter(|v| !v.is_empty())
        .ok_or(SubmitError::MissingForm)?;
    raw.trim()
        .parse()
        .map_err(|_| SubmitError::MalformedForm(raw.into()))
}

/// Whether the form takes this submission, checked in this order: the form exists,
/// the key is given and is the form's, its account is enabled, the form is enabled.
fn admit<'s>(
    target: Option<SubmitTarget<'s>>,
    lm_form: u64,
    key: Option<&str>,
) -> Result<SubmitTarget<'s>, SubmitError> {
    let target = target.ok_or(SubmitError::FormNotFound(lm_form))?;
    let key = key
        .filter(|v| !v.is_empty())
        .ok_or(SubmitError::MissingKey)?;
    let form = target.form;
    if form.lm_key != key {
        return Err(SubmitError::WrongKey(lm_form));
    }
    if !target.account_enabled {
        return Err(SubmitError::AccountDisabled(form.aid));
    }
    if !form.enabled {
        return Err(SubmitError::FormDisabled(lm_form));
    }
    Ok(target)
}

/// For a form set to refuse repeats: `-50` when it accepted these very parameters
/// (in any order) within its window; else the fingerprint to remember.
fn not_a_repeat(
    target: &SubmitTarget<'_>,
    params: &Params<'_>,
    now: i64,
) -> Result<Option<(u64, u64)>, SubmitError> {
    let Some(secs) = target.form.reject_duplicates_secs else {
        return Ok(None);
    };
    let mut pairs: Vec<(&str, &str)> = params.iter().collect();
    pairs.sort_unstable();
    let fingerprint = foldhash::fast::FixedState::with_seed(0x50).hash_one(&pairs);
    if target.accepted_since(fingerprint, now.saturating_sub_unsigned(secs)) {
        return Err(SubmitError::Duplicate {
            form: target.form.lm_form,
            secs,
        });
    }
    Ok(Some((fingerprint, secs)))
}

/// The lead a form makes of the parameters: each of its keys sets its field (a
/// later key of the same field wins, with a diagnostic), UTM values and `lm_source`
/// are kept beside the fields, control keys steer and are not kept, every value is
/// capped. A key the form does not know (`gclid`, `fbclid`, `form_fields[…]`) is
/// dropped with a note: production forms send such keys and their leads arrive as
/// new leads. A lead with neither a name nor a phone is invalid.
pub(crate) fn map_params<'p>(
    form: &Form,
    params: &'p Params<'_>,
    diagnostics: &mut Vec<String>,
) -> NewLead<'p> {
    let mut values: Vec<(u16, Cow<'p, str>)> = Vec::with_capacity(params.len());
    for (k, v) in params.iter() {
        if CONTROL_KEYS.contains(&k) {
            continue;
        }
        if let Some(i) = UTM_KEYS.iter().position(|u| *u == k) {
            values.push((
                UTM_BASE + i as u16,
                cap(k, v, SHORT_CAP, diagnostics).into(),
            ));
        } else if k == "lm_source" {
            values.push((LM_SOURCE, cap(k, v, LONG_CAP, diagnostics).into()));
        } else if let Some(idx) = form.field_of_key(k) {
            let mut value = Cow::Borrowed(cap(k, v, cap_of(form, k, idx), diagnostics));
            if idx == form.phone_field {
                value = form.phone_format.apply(v);
            }
            match values.iter_mut().find(|(i, _)| *i == idx) {
                Some(slot) => {
                    diagnostics.push(format!(
                        "{k} sets field {} again: the later value is kept",
                        form.field_name(idx)
                    ));
                    slot.1 = value;
                }
                None => values.push((idx, value)),
            }
        } else {
            diagnostics.push(format!(
                "{k} is not a field of form {}: Lead.IM drops it [modeled]",
                form.lm_form
            ));
        }
    }
    let status_id = if is_invalid(form, &values) {
        INVALID
    } else {
        NEW
    };
    NewLead {
        aid: form.aid,
        thank_you_url: form.thank_you_url.clone(),
        values,
        status_id,
        remember: None,
    }
}

/// Invalid: the form's name field (`שם`) and its phone field are both blank once the
/// parameters are mapped.
fn is_invalid(form: &Form, values: &[(u16, Cow<'_, str>)]) -> bool {
    let filled = |field: Option<u16>| {
        field.is_some_and(|idx| {
            values
                .iter()
                .any(|(i, v)| *i == idx && !v.trim().is_empty())
        })
    };
    !filled(form.field_named(NAME_FIELD)) && !filled(Some(form.phone_field))
}

/// The cap of the value `key` sets in field `field` of `form`.
pub(crate) fn cap_of(form: &Form, key: &str, field: u16) -> usize {
    if key == "msg" || key == "lm_source" || field == form.message_field {
        LONG_CAP
    } else {
        SHORT_CAP
    }
}

/// Cuts `value` to `limit` characters (not bytes), saying so in `diagnostics`.
pub(crate) fn cap<'v>(
    key: &str,
    value: &'v str,
    limit: usize,
    diagnostics: &mut Vec<String>,
) -> &'v str {
    // A string has no more characters than bytes: most values need no counting.
    if value.len() <= limit {
        return value;
    }
    match value.char_indices().nth(limit) {
        None => value,
        Some((cut_at, _)) => {
            let total = value.chars().count();
            diagnostics.push(format!("{key} cut from {total} to {limit} characters"));
            &value[..cut_at]
        }
    }
}

/// The answer to a created lead: JSON when `lm_redirect=no` or `lm_format=json`,
/// else a redirect to `lm_redirect` when it is an absolute http(s) URL, else to the
/// form's thank-you page.
fn answer(params: &Params<'_>, lid: u64, thank_you_url: &str, notes: &mut JournalNotes) -> Reply {
    let redirect = params.get("lm_redirect");
    let wants_json = redirect.is_some_and(|v| v.eq_ignore_ascii_case("no"))
        || params
            .get("lm_format")
            .is_some_and(|v| v.eq_ignore_ascii_case("json"));
    if wants_json {
        return Reply::success_result(lid);
    }
    let checked = redirect.map(|r| (r, absolute_http(r)));
    let target = match &checked {
        Some((_, Some(url))) => url.as_str(),
        Some((other, None)) => {
            notes.note(format!(
                "lm_redirect '{other}' is neither 'no' nor an absolute http(s) URL: redirected to the form's thank-you page"
            ));
            thank_you_url
        }
        None => thank_you_url,
    };
    notes.note(format!(
        "lead {lid} created; answered with a redirect to {target} (send lm_redirect=no for JSON)"
    ));
    Reply::redirect(target)
}

/// A refusal: the envelope with the v1 code, and the account in the journal when the
/// form names one.
fn failure(
    store: &Store,
    notes: &mut JournalNotes,
    door: Door,
    error: &SubmitError,
    form_id: Option<u64>,
) -> Reply {
    notes.account = notes
        .account
        .or_else(|| form_id.and_then(|f| store.account_of_form(f)));
    let message = error.to_string();
    match error.code() {
        Some(code) => notes.error(format!("refused with code {code}: {message}")),
        None => notes.error(format!("refused: {message}")),
    }
    match door {
        Door::V1 => Reply::text(error.code().unwrap_or(V1_UNREADABLE).to_string()),
        _ => Reply::json(StatusCode::OK, &Failure::new(&message, error.code())),
    }
}

fn absolute_http(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    (matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some()).then(|| parsed.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Dataset;
    use crate::phone::PhoneMatch;
    use crate::request::{Part, parse_urlencoded};

    #[test]
    fn only_absolute_http_urls_redirect_and_without_control_characters() {
        assert_eq!(
            absolute_http("https://example.co.il/תודה").as_deref(),
            Some("https://example.co.il/%D7%AA%D7%95%D7%93%D7%94")
        );
        assert_eq!(absolute_http("HTTP://x").as_deref(), Some("http://x/"));
        assert!(
            !absolute_http("https://x/a\r\nSet-Cookie: a=b")
                .unwrap()
                .contains('\n')
        );
        assert!(absolute_http("/thanks").is_none());
        assert!(absolute_http("https://").is_none());
        assert!(absolute_http("javascript:alert(1)").is_none());
        assert!(absolute_http("yes").is_none());
    }

    #[test]
    fn the_form_is_checked_before_the_key() {
        let store = Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap();
        let params = parse_urlencoded(b"lm_form=5999", Part::Query).unwrap();
        let err = create(&store, &params, 0, &mut Vec::new()).unwrap_err();
        assert_eq!(err, SubmitError::FormNotFound(5999));
        assert_eq!(err.code(), Some(-4));
    }

    #[test]
    fn fields_come_in_the_forms_order_and_the_last_repeat_wins() {
        let store = Store::new(Dataset::embedded(), PhoneMatch::Exact).unwrap();
        // The message before the name, and given twice (`msg` and `fld_message`).
        let params = parse_urlencoded(
            "lm_form=5001&lm_key=77bc0ec981&msg=%D7%A9%D7%9C%D7%95%D7%9D&fld_city=%D7%97%D7%99%D7%A4%D7%94&name=%D7%93%D7%A0%D7%94&phone=0547770001&fld_message=%D7%AA%D7%95%D7%93%D7%94"
                .as_bytes(),
            Part::Query,
        )
        .unwrap();
        let mut diagnostics = Vec::new();
        let created = create(&store, &params, 0, &mut diagnostics).unwrap();
        let lead = store.lead(created.aid, created.lid).unwrap();
        let names: Vec<&str> = lead.fields.keys().collect();
        assert_eq!(names, ["שם", "טלפון", "הודעה", "עיר"]);
        assert_eq!(lead.fields["הודעה"], "תודה");
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    }
}
