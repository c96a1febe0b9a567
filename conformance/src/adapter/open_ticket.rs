//! `openTicket`: create a lead in Lead.IM from the chat, with one form-encoded POST
//! to `/v2/submit` (the contract accepts GET or POST; a body keeps long messages out
//! of URLs and logs).

use std::time::Duration;

use serde_json::{Map, Number, Value};

use super::{AdapterFailure, read_json, required, success_envelope};
use crate::phone::{DEFAULT_REGION, PhoneStyle, format_phone};
use crate::protocol::{AdapterRequest, Direction, Message};

/// Prompt node whose answer overrides the chat title as `fld_name`.
pub const NAME_NODE: &str = "lead_get_name";
/// Prompt node whose answer is sent as `fld_email`.
pub const EMAIL_NODE: &str = "lead_get_email";

/// The form fields openTicket sends, in order, as the protocol lists them. Public
/// so tests can compare them with what the simulator received.
pub fn submit_fields(req: &AdapterRequest) -> Result<Vec<(&'static str, String)>, AdapterFailure> {
    let config = &req.crm_config;
    let lm_form = config.lm_form();
    let lm_form = required(lm_form.as_deref(), "lm_form")?;
    let lm_key = required(config.lm_key.as_deref(), "lm_key")?;
    let chat = &req.chat;
    let name = chat
        .node_text(NAME_NODE)
        .or(chat.title.as_deref())
        .unwrap_or_default();
    let raw_phone = chat.phone.as_deref().unwrap_or_default();
    let phone = format_phone(raw_phone, PhoneStyle::Smart, DEFAULT_REGION)
        .unwrap_or_else(|| raw_phone.to_owned());
    let message: Vec<&str> = chat
        .messages
        .iter()
        .filter(|m| m.direction == Direction::Outgoing)
        .filter_map(Message::sent_text)
        .collect();
    Ok(vec![
        ("lm_form", lm_form.to_owned()),
        ("lm_key", lm_key.to_owned()),
        ("lm_redirect", "no".to_owned()),
        ("fld_name", name.to_owned()),
        ("fld_phone", phone),
        (
            "fld_email",
            chat.node_text(EMAIL_NODE).unwrap_or_default().to_owned(),
        ),
        ("fld_message", message.join("\n")),
        ("chat_url", chat.url.clone().unwrap_or_default()),
    ])
}

/// Submits the lead and returns the chat's crmData with `result` = the new lead id.
/// `timeout` is only used to word a timeout failure; the client enforces it.
pub async fn open_ticket(
    client: &reqwest::Client,
    timeout: Duration,
    req: &AdapterRequest,
) -> Result<Map<String, Value>, AdapterFailure> {
    let fields = submit_fields(req)?;
    let sent = client
        .post(&req.endpoints.submit)
        .form(&fields)
        .send()
        .await;
    let envelope = success_envelope(read_json(sent, timeout).await?)?;
    let result = match envelope.get("result") {
        Some(Value::Number(n)) => Value::Number(n.clone()),
        Some(Value::String(s)) => s.trim().parse::<u64>().map_or_else(
            |_| Value::String(s.clone()),
            |n| Value::Number(Number::from(n)),
        ),
        _ => {
            return Err(AdapterFailure::InvalidAnswer(
                "success without a \"result\" lead id".into(),
            ));
        }
    };
    let mut crm = super::previous_crm_data(req);
    crm.insert("result".into(), result);
    Ok(crm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Chat, CrmConfig, Endpoints, Function, NodeState};

    fn request(chat: Chat) -> AdapterRequest {
        let config = CrmConfig {
            lm_form: Some("5001".into()),
            lm_key: Some("k".into()),
            ..CrmConfig::default()
        };
        AdapterRequest::new(Function::OpenTicket, config, chat, Endpoints::default())
    }

    #[test]
    fn fields_follow_the_protocol() {
        let mut chat = Chat {
            phone: Some("972521234567".into()),
            title: Some("כותרת".into()),
            url: Some("https://texter.example/chats/c-17".into()),
            messages: vec![
                Message::text(Direction::Incoming, "שלום"),
                Message::text(Direction::Outgoing, "היי"),
                // A picture: no text, so no empty line either.
                Message {
                    direction: Direction::Outgoing,
                    text: None,
                },
                Message::text(Direction::Outgoing, "איך אפשר לעזור?"),
            ],
            ..Chat::default()
        };
        chat.nodes.insert(
            NAME_NODE.into(),
            NodeState {
                text: Some("דנה כהן".into()),
            },
        );
        let fields = submit_fields(&request(chat)).unwrap();
        let get = |k| {
            fields
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("fld_name"), Some("דנה כהן"));
        assert_eq!(get("fld_phone"), Some("052-123-4567"));
        assert_eq!(get("fld_email"), Some(""));
        assert_eq!(get("fld_message"), Some("היי\nאיך אפשר לעזור?"));
        assert_eq!(get("chat_url"), Some("https://texter.example/chats/c-17"));
        assert_eq!(get("lm_redirect"), Some("no"));
    }

    #[test]
    fn title_is_the_fallback_and_odd_phones_go_raw() {
        let chat = Chat {
            phone: Some("abc".into()),
            title: Some("Dana".into()),
            ..Chat::default()
        };
        let fields = submit_fields(&request(chat)).unwrap();
        assert!(fields.contains(&("fld_name", "Dana".into())));
        assert!(fields.contains(&("fld_phone", "abc".into())));
    }

    #[test]
    fn missing_form_config_fails() {
        let mut req = request(Chat::default());
        req.crm_config.lm_key = Some(" ".into());
        assert!(matches!(
            submit_fields(&req),
            Err(AdapterFailure::MissingConfig("lm_key"))
        ));
    }
}
