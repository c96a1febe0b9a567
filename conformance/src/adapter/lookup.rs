//! `getCustomerDetails` in lookup mode: find the chat's contact in Lead.IM by phone.
//!
//! Lead.IM matches `by_phone` exactly and forms store phones as typed, so the lookup
//! tries [`lookup_candidates`] in order — the chat phone as is (MUST), then `972…`,
//! `0…` and `0XX-XXX-XXXX` (SHOULD) — and stops at the first that finds a lead.
//! The API lists leads newest first, so the lead taken is `data[0]`.
//!
//! Any error answer (transport, status, envelope, JSON) stops the search at once:
//! it would repeat for every candidate.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{AdapterFailure, read_json, required, scalar_text, success_envelope};
use crate::phone::lookup_candidates;
use crate::protocol::AdapterRequest;

/// The header that carries the token: the simulator's one constant for it.
pub use leadim_simulator::AUTH_HEADER;

/// Looks the chat's phone up and returns the new crmData: the previous crmData plus
/// every field of the lead under its Lead.IM name, `id`, `name`, `phone`, `deepLink`.
/// `timeout` is only used to word a timeout failure; the client enforces it.
pub async fn lookup(
    client: &reqwest::Client,
    timeout: Duration,
    req: &AdapterRequest,
) -> Result<Map<String, Value>, AdapterFailure> {
    let config = &req.crm_config;
    let token = required(config.token.as_deref(), "token")?;
    let url = required(
        config.get_customer_details_url.as_deref(),
        "getCustomerDetailsUrl",
    )?;
    let phone = req.chat.phone.as_deref().unwrap_or_default();
    let candidates = lookup_candidates(phone);
    if candidates.is_empty() {
        return Err(AdapterFailure::NoPhone);
    }
    for candidate in &candidates {
        let sent = client
            .get(url)
            .query(&[("by_phone", candidate)])
            .header(AUTH_HEADER, token)
            .send()
            .await;
        let mut envelope = success_envelope(read_json(sent, timeout).await?)?;
        let data = match envelope.remove("data") {
            Some(Value::Array(data)) => data,
            Some(Value::Null) | None => Vec::new(),
            Some(_) => {
                return Err(AdapterFailure::InvalidAnswer(
                    "\"data\" is not an array".into(),
                ));
            }
        };
        if let Some(lead) = data.into_iter().next() {
            return merge_lead(req, lead);
        }
    }
    Err(AdapterFailure::NoMatch {
        phone: phone.to_owned(),
        tried: candidates,
    })
}

/// Adds a lead object of the lookup answer to the chat's crmData.
pub fn merge_lead(req: &AdapterRequest, lead: Value) -> Result<Map<String, Value>, AdapterFailure> {
    let Value::Object(lead) = lead else {
        return Err(AdapterFailure::InvalidAnswer(
            "a lead in \"data\" is not an object".into(),
        ));
    };
    let id = |key: &str| {
        lead.get(key)
            .filter(|v| v.is_string() || v.is_number())
            .map(scalar_text)
            .ok_or_else(|| AdapterFailure::InvalidAnswer(format!("the lead has no \"{key}\"")))
    };
    let (aid, lid) = (id("aid")?, id("lid")?);
    let mut crm = super::previous_crm_data(req);
    let fields = match lead.get("fields") {
        Some(Value::Object(fields)) => Some(fields),
        Some(Value::Null) | None => None,
        Some(_) => {
            return Err(AdapterFailure::InvalidAnswer(
                "the lead's \"fields\" is not an object".into(),
            ));
        }
    };
    for (name, value) in fields.into_iter().flatten() {
        crm.insert(name.clone(), value.clone());
    }
    crm.insert("id".into(), Value::String(lid.clone()));
    if let Some(name) = fields
        .and_then(|f| f.get(req.crm_config.name_field()))
        .filter(|v| !v.is_null())
    {
        crm.insert("name".into(), name.clone());
    }
    if let Some(phone) = lead.get("phone").filter(|v| !v.is_null()) {
        crm.insert("phone".into(), phone.clone());
    }
    crm.insert(
        "deepLink".into(),
        Value::String(req.endpoints.lead_link(&aid, &lid)),
    );
    Ok(crm)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::{Chat, CrmConfig, Endpoints, Function};

    #[test]
    fn lead_fields_and_display_keys_are_merged() {
        let chat = Chat {
            crm_data: Some(json!({"keep": 1}).as_object().cloned().unwrap()),
            ..Chat::default()
        };
        let endpoints = Endpoints {
            submit: String::new(),
            ui: "http://sim/".into(),
        };
        let req = AdapterRequest::new(
            Function::GetCustomerDetails,
            CrmConfig::default(),
            chat,
            endpoints,
        );
        let lead = json!({"aid": 3305, "lid": 117000017, "phone": "0521234567",
                          "fields": {"שם": "דנה כהן", "מטפל": "יוסי"}});
        let crm = merge_lead(&req, lead).unwrap();
        assert_eq!(
            Value::Object(crm),
            json!({"keep": 1, "שם": "דנה כהן", "מטפל": "יוסי", "id": "117000017", "name": "דנה כהן",
                   "phone": "0521234567", "deepLink": "http://sim/a/3305/leads/117000017"})
        );
    }

    #[test]
    fn lead_without_ids_is_invalid() {
        let req = AdapterRequest::new(
            Function::GetCustomerDetails,
            CrmConfig::default(),
            Chat::default(),
            Endpoints::default(),
        );
        assert!(merge_lead(&req, json!({"lid": 1})).is_err());
        assert!(merge_lead(&req, json!([1])).is_err());
    }
}
