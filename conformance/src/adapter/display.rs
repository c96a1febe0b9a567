//! `getCustomerDetails` in display mode (`onlyDisplayData: true`): Lead.IM pushed the
//! lead's `aid`/`lid` onto the chat, and the adapter only builds display fields from
//! them, without any request.
//!
//! Decisions where the protocol is silent: `name` and `phone` are set whether or not
//! an id pair is found (only `id` and the deep link depend on it); the pairs are not
//! mixed (`aid` with `pp_lid` is no pair); an empty crmData map is present, not absent;
//! existing keys other than the ones set here are kept.

use serde_json::{Map, Value};

use super::AdapterFailure;
use crate::protocol::AdapterRequest;

/// Builds the display fields from the chat's crmData. Pure: no I/O.
pub fn display(req: &AdapterRequest) -> Result<Map<String, Value>, AdapterFailure> {
    let Some(previous) = &req.chat.crm_data else {
        return Err(AdapterFailure::NoCrmData);
    };
    let mut crm = previous.clone();
    let pair = id_pair(previous, "aid", "lid").or_else(|| id_pair(previous, "pp_aid", "pp_lid"));
    let deep_link = match &pair {
        Some((aid, lid)) => req.endpoints.lead_link(aid, lid),
        None => req.endpoints.account_link(),
    };
    if let Some((_, lid)) = pair {
        crm.insert("id".into(), Value::String(lid));
    }
    if let Some(name) = previous
        .get(req.crm_config.name_field())
        .filter(|v| !v.is_null())
    {
        crm.insert("name".into(), name.clone());
    }
    if let Some(phone) = &req.chat.phone {
        crm.insert("phone".into(), Value::String(phone.clone()));
    }
    crm.insert("deepLink".into(), Value::String(deep_link));
    Ok(crm)
}

/// Both ids of a pair as text; each may be a string or a number in crmData.
fn id_pair(crm: &Map<String, Value>, aid: &str, lid: &str) -> Option<(String, String)> {
    Some((id_text(crm.get(aid)?)?, id_text(crm.get(lid)?)?))
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::{Chat, CrmConfig, Endpoints, Function};

    fn request(crm_data: Option<Value>, name_field: Option<&str>) -> AdapterRequest {
        let chat = Chat {
            phone: Some("972521234567".into()),
            crm_data: crm_data.map(|v| v.as_object().cloned().unwrap_or_default()),
            ..Chat::default()
        };
        let config = CrmConfig {
            only_display_data: Some(true.into()),
            name_field: name_field.map(String::from),
            ..CrmConfig::default()
        };
        let endpoints = Endpoints {
            submit: "http://sim/v2/submit".into(),
            ui: "http://sim".into(),
        };
        AdapterRequest::new(Function::GetCustomerDetails, config, chat, endpoints)
    }

    #[test]
    fn absent_crm_data_fails() {
        assert!(matches!(
            display(&request(None, None)),
            Err(AdapterFailure::NoCrmData)
        ));
    }

    #[test]
    fn aid_lid_pair_builds_the_link() {
        let crm = display(&request(
            Some(json!({"aid": "3305", "lid": 117000017, "שם": "דנה כהן"})),
            None,
        ))
        .unwrap();
        assert_eq!(crm["id"], "117000017");
        assert_eq!(crm["name"], "דנה כהן");
        assert_eq!(crm["phone"], "972521234567");
        assert_eq!(crm["deepLink"], "http://sim/a/3305/leads/117000017");
        assert_eq!(crm["aid"], "3305", "existing keys kept");
    }

    #[test]
    fn pp_pair_is_the_fallback_and_pairs_do_not_mix() {
        let crm = display(&request(
            Some(json!({"aid": 1, "pp_aid": 3305, "pp_lid": "7"})),
            None,
        ))
        .unwrap();
        assert_eq!(crm["id"], "7");
        assert_eq!(crm["deepLink"], "http://sim/a/3305/leads/7");
    }

    #[test]
    fn no_pair_completes_without_id() {
        let crm = display(&request(Some(json!({"other": "x"})), None)).unwrap();
        assert!(!crm.contains_key("id"));
        assert!(!crm.contains_key("name"));
        assert_eq!(crm["deepLink"], "http://sim/a/");
        let crm = display(&request(Some(json!({})), None)).unwrap();
        assert_eq!(crm["deepLink"], "http://sim/a/");
    }

    #[test]
    fn custom_name_field_and_empty_ids() {
        let crm = display(&request(
            Some(json!({"aid": "", "lid": "5", "Full name": "Dana"})),
            Some("Full name"),
        ));
        let crm = crm.unwrap();
        assert_eq!(crm["name"], "Dana");
        assert!(!crm.contains_key("id"), "an empty aid is no pair");
    }
}
