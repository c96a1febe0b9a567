//! Adapter protocol v1 (`shared/spec/adapter-protocol.md`): the JSON that the suite
//! writes to an adapter's stdin and reads back from its stdout.
//!
//! The types mirror the wire format one to one so that the in-process reference
//! adapter and an external adapter in any language see exactly the same request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The only protocol version this crate speaks; a request carrying another is refused.
pub const PROTOCOL_VERSION: u32 = 1;

/// Default of `crmConfig.nameField`, as the seed documents it.
pub const DEFAULT_NAME_FIELD: &str = "שם";

/// One adapter call, as written to the adapter's standard input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdapterRequest {
    /// Protocol version; [`PROTOCOL_VERSION`] for every request the suite sends.
    pub protocol: u32,
    /// Which adapter function the flow's `crm` node asked for.
    pub function: Function,
    /// The customer's crmConfig, exactly as configured (optional keys may be absent).
    #[serde(rename = "crmConfig", default)]
    pub crm_config: CrmConfig,
    /// The chat the flow runs on.
    #[serde(default)]
    pub chat: Chat,
    /// Where the production hosts live in this run (the simulator).
    pub endpoints: Endpoints,
}

impl AdapterRequest {
    /// Builds a request of the current protocol version, so callers never spell the
    /// version out.
    pub fn new(
        function: Function,
        crm_config: CrmConfig,
        chat: Chat,
        endpoints: Endpoints,
    ) -> Self {
        Self {
            protocol: PROTOCOL_VERSION,
            function,
            crm_config,
            chat,
            endpoints,
        }
    }
}

/// The adapter functions a Texter `crm` node can call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Function {
    /// Identify the contact: lookup by phone, or display-only from aid/lid.
    GetCustomerDetails,
    /// Create a lead from the chat.
    OpenTicket,
}

impl Function {
    /// Parses a flow's `func_id`; `None` for functions the Lead.IM adapter lacks.
    pub fn from_func_id(func_id: &str) -> Option<Self> {
        match func_id {
            "getCustomerDetails" => Some(Self::GetCustomerDetails),
            "openTicket" => Some(Self::OpenTicket),
            _ => None,
        }
    }
}

/// The customer's Lead.IM crmConfig. Every key is optional on the wire because the
/// adapter must answer `failure` (not crash) when a required one is missing.
///
/// Customers type crmConfig values into a UI, so `lm_form` arrives as text or as a
/// number and `onlyDisplayData` as a boolean or as the text `"true"`/`"false"`. The
/// types keep the shape a value was sent in, so that the suite can send each shape;
/// [`CrmConfig::lm_form`] and [`CrmConfig::only_display_data`] read them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrmConfig {
    /// Form id, as text (`"90001"`) or as a number (`90001`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lm_form: Option<TextOrNumber>,
    /// Form API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lm_key: Option<String>,
    /// `X-LEAD-IM-AUTH` token for lookups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Lead lookup endpoint (`…/leads_get.ashx`).
    #[serde(
        rename = "getCustomerDetailsUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub get_customer_details_url: Option<String>,
    /// Lead.IM field holding the display name; see [`CrmConfig::name_field`].
    #[serde(rename = "nameField", default, skip_serializing_if = "Option::is_none")]
    pub name_field: Option<String>,
    /// Display-only mode switch; see [`CrmConfig::only_display_data`].
    #[serde(
        rename = "onlyDisplayData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub only_display_data: Option<Flag>,
}

impl CrmConfig {
    /// The crmConfig a customer of this simulator account types into Texter: the
    /// form, its key, the read+write token and the lookup URL; `nameField` and
    /// `onlyDisplayData` left at their defaults.
    pub fn for_account(account: &leadim_simulator::AccountConfig) -> Self {
        Self {
            lm_form: Some(account.lm_form.clone().into()),
            lm_key: Some(account.lm_key.clone()),
            token: Some(account.token.clone()),
            get_customer_details_url: Some(account.get_customer_details_url.clone()),
            name_field: None,
            only_display_data: None,
        }
    }

    /// The form id as text (a number as its decimal digits), however it was typed.
    pub fn lm_form(&self) -> Option<String> {
        self.lm_form.as_ref().map(TextOrNumber::text)
    }

    /// The name field with the seed's default (`שם`) applied; an empty value counts
    /// as unset, since no Lead.IM field has an empty name.
    pub fn name_field(&self) -> &str {
        self.name_field
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_NAME_FIELD)
    }

    /// Display-only mode with the seed's default (`false`) applied; see [`Flag::is_on`].
    pub fn only_display_data(&self) -> bool {
        self.only_display_data.as_ref().is_some_and(Flag::is_on)
    }
}

/// A crmConfig value that is an id in spirit (`lm_form`): customers paste it as text
/// or type it as a number. Kept as sent; [`TextOrNumber::text`] reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TextOrNumber {
    /// `"90001"`.
    Text(String),
    /// `90001`.
    Number(serde_json::Number),
}

impl TextOrNumber {
    /// The value as text: a string as it is, a number as its decimal digits.
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Number(number) => number.to_string(),
        }
    }
}

impl From<&str> for TextOrNumber {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for TextOrNumber {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<u64> for TextOrNumber {
    fn from(number: u64) -> Self {
        Self::Number(number.into())
    }
}

/// A crmConfig switch (`onlyDisplayData`): a JSON boolean, or the text a customer
/// typed into a UI field (`"true"`, `"false"`). Kept as sent; [`Flag::is_on`] reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Flag {
    /// `true` or `false`.
    Bool(bool),
    /// `"true"`, `"false"`, or anything else typed.
    Text(String),
}

impl Flag {
    /// On for `true` and for the text `true` in any case, surrounding whitespace
    /// ignored (`"true"`, `"True"`); off for everything else, `"false"` included —
    /// a non-empty string must not count as "truthy" here, as it would in
    /// JavaScript or Python.
    pub fn is_on(&self) -> bool {
        match self {
            Self::Bool(on) => *on,
            Self::Text(text) => text.trim().eq_ignore_ascii_case("true"),
        }
    }
}

impl From<bool> for Flag {
    fn from(on: bool) -> Self {
        Self::Bool(on)
    }
}

/// The chat as Texter hands it to an adapter. Everything is optional so that the
/// suite can send deliberately thin chats.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Chat {
    /// Texter's chat id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Digits only, country code first (`972521234567`), as Texter stores it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The contact's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Link back to the chat, sent to Lead.IM as `chat_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What crm funcs left on the chat. `None` and an empty map differ: display mode
    /// fails on the first and completes on the second.
    #[serde(rename = "crmData", skip_serializing_if = "Option::is_none")]
    pub crm_data: Option<Map<String, Value>>,
    /// The conversation so far, oldest first.
    pub messages: Vec<Message>,
    /// What prompt nodes collected, by node name (`lead_get_name`, `lead_get_email`).
    /// Left out of the request when no prompt collected anything, as Texter sends a
    /// chat that met no prompt.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub nodes: BTreeMap<String, NodeState>,
}

impl Chat {
    /// The text a prompt node collected, treating an empty answer as none (Texter's
    /// adapters fall back to defaults on an empty string as well).
    pub fn node_text(&self, node: &str) -> Option<&str> {
        self.nodes
            .get(node)?
            .text
            .as_deref()
            .filter(|t| !t.trim().is_empty())
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who sent it, from the business's point of view.
    pub direction: Direction,
    /// The message text; absent for a message without one (a picture, a voice note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Message {
    /// A text message.
    pub fn text(direction: Direction, text: impl Into<String>) -> Self {
        Self {
            direction,
            text: Some(text.into()),
        }
    }

    /// What openTicket sends of it: `None` for a message without text (absent or
    /// empty), which adds nothing to `fld_message`, not even an empty line.
    pub fn sent_text(&self) -> Option<&str> {
        self.text.as_deref().filter(|t| !t.is_empty())
    }
}

/// Message direction; openTicket sends only the outgoing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the contact.
    Incoming,
    /// From the bot or an agent.
    Outgoing,
}

/// A bot node's state as the adapter sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    /// The answer a prompt node collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Stand-ins for the fixed production hosts, so one simulator serves every URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// Stands for `https://api.lead.im/v2/submit`.
    pub submit: String,
    /// Stands for `https://sys.lead.im` (deep links are built on it).
    pub ui: String,
}

impl Endpoints {
    /// The simulator's stand-ins for the production hosts, for this account.
    pub fn for_account(account: &leadim_simulator::AccountConfig) -> Self {
        Self {
            submit: account.submit_url.clone(),
            ui: account.ui_url.clone(),
        }
    }

    /// The deep link of a lead, `{ui}/a/{aid}/leads/{lid}`; a trailing slash on `ui`
    /// is tolerated so it never doubles.
    pub fn lead_link(&self, aid: &str, lid: &str) -> String {
        format!("{}/a/{aid}/leads/{lid}", self.ui.trim_end_matches('/'))
    }

    /// The deep link when no lead is known, `{ui}/a/`.
    pub fn account_link(&self) -> String {
        format!("{}/a/", self.ui.trim_end_matches('/'))
    }
}

/// The adapter's answer, as read from its standard output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdapterResponse {
    /// Which branch the flow takes next.
    pub outcome: Outcome,
    /// The chat's whole crmData after the call (not a diff). Absent and `null` are
    /// read alike: no crmData.
    #[serde(rename = "crmData", default, skip_serializing_if = "Option::is_none")]
    pub crm_data: Option<Map<String, Value>>,
    /// Human-readable reason, shown in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl AdapterResponse {
    /// A `complete` answer carrying the new crmData.
    pub fn complete(crm_data: Map<String, Value>) -> Self {
        Self {
            outcome: Outcome::Complete,
            crm_data: Some(crm_data),
            error: None,
        }
    }

    /// A `failure` answer; `crm_data` should be the chat's crmData unchanged.
    pub fn failure(crm_data: Map<String, Value>, error: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Failure,
            crm_data: Some(crm_data),
            error: Some(error.into()),
        }
    }

    /// The chat's crmData after this answer to a call on a chat that had `before`:
    /// the answer's, absent and `null` being "no crmData". One exception keeps an
    /// absent crmData absent: a `failure` answering `{}` for it (which is how most
    /// adapters write "as it was"), so that a later display-mode call still sees
    /// "no crmData".
    pub fn crm_data_after(
        &self,
        before: Option<&Map<String, Value>>,
    ) -> Option<Map<String, Value>> {
        match &self.crm_data {
            Some(map) if map.is_empty() && before.is_none() && self.outcome == Outcome::Failure => {
                None
            }
            other => other.clone(),
        }
    }

    /// The crmData as a map, an absent one read as empty: for comparisons that do
    /// not tell the two apart, such as "crmData is as it was".
    pub fn crm_data_or_empty(&self) -> Map<String, Value> {
        self.crm_data.clone().unwrap_or_default()
    }
}

/// Which of a func node's exits the flow follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Follow `on_complete`.
    Complete,
    /// Follow `on_failure`.
    Failure,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_spec_example() {
        let req: AdapterRequest = serde_json::from_value(json!({
          "protocol": 1,
          "function": "getCustomerDetails",
          "crmConfig": {"lm_form": 5001, "lm_key": "k-5001", "token": "t", "nameField": "שם",
                        "getCustomerDetailsUrl": "http://x/leads_get.ashx", "onlyDisplayData": false},
          "chat": {"id": "c-17", "phone": "972521234567", "title": "דנה כהן",
                   "crmData": {"aid": "3305", "lid": 117000017},
                   "messages": [{"direction": "incoming", "text": "שלום"}],
                   "nodes": {"lead_get_name": {"text": "דנה כהן"}}},
          "endpoints": {"submit": "http://s/v2/submit", "ui": "http://s"}
        }))
        .unwrap();
        assert_eq!(req.function, Function::GetCustomerDetails);
        assert_eq!(req.crm_config.lm_form().as_deref(), Some("5001"));
        assert_eq!(req.chat.node_text("lead_get_name"), Some("דנה כהן"));
        let back = serde_json::to_value(&req).unwrap();
        assert_eq!(back["crmConfig"]["lm_form"], json!(5001), "sent as it came");
        assert_eq!(back["function"], json!("getCustomerDetails"));
    }

    #[test]
    fn config_values_typed_in_a_ui_keep_their_shape() {
        let config = |value: Value| -> CrmConfig { serde_json::from_value(value).unwrap() };
        for (flag, on) in [
            (json!(true), true),
            (json!("true"), true),
            (json!(" True "), true),
            (json!(false), false),
            (json!("false"), false),
            (json!(""), false),
            (json!("yes"), false),
            (Value::Null, false),
        ] {
            let typed = config(json!({"onlyDisplayData": flag}));
            assert_eq!(typed.only_display_data(), on, "{flag}");
            let back = serde_json::to_value(&typed).unwrap();
            assert_eq!(back.get("onlyDisplayData").unwrap_or(&Value::Null), &flag);
        }
        let typed = config(json!({"lm_form": "90001"}));
        assert_eq!(typed.lm_form().as_deref(), Some("90001"));
        assert_eq!(
            serde_json::to_value(&typed).unwrap()["lm_form"],
            json!("90001")
        );
    }

    #[test]
    fn a_chat_without_nodes_and_a_message_without_text() {
        let chat: Chat = serde_json::from_value(json!({
            "messages": [{"direction": "outgoing"}, {"direction": "outgoing", "text": ""},
                         {"direction": "outgoing", "text": " שלום "}]
        }))
        .unwrap();
        let sent: Vec<_> = chat.messages.iter().map(Message::sent_text).collect();
        assert_eq!(sent, [None, None, Some(" שלום ")]);
        let back = serde_json::to_value(&chat).unwrap();
        assert!(back.get("nodes").is_none(), "no prompt, no nodes: {back}");
        assert_eq!(back["messages"][0], json!({"direction": "outgoing"}));
    }

    #[test]
    fn thin_request_uses_defaults() {
        let req: AdapterRequest = serde_json::from_value(json!({
            "protocol": 1, "function": "openTicket", "crmConfig": {"lm_form": null},
            "chat": {}, "endpoints": {"submit": "s", "ui": "u"}
        }))
        .unwrap();
        assert_eq!(req.crm_config.name_field(), "שם");
        assert!(!req.crm_config.only_display_data());
        assert!(req.chat.crm_data.is_none() && req.chat.messages.is_empty());
    }

    #[test]
    fn response_omits_absent_error() {
        let text = serde_json::to_string(&AdapterResponse::complete(Map::new())).unwrap();
        assert_eq!(text, r#"{"outcome":"complete","crmData":{}}"#);
        let failed: AdapterResponse =
            serde_json::from_str(r#"{"outcome":"failure","crmData":{},"error":"x"}"#).unwrap();
        assert_eq!(failed.error.as_deref(), Some("x"));
    }

    #[test]
    fn a_null_crm_data_in_a_response_is_read_as_absent() {
        for text in [
            r#"{"outcome":"failure","crmData":null}"#,
            r#"{"outcome":"failure"}"#,
        ] {
            let response: AdapterResponse = serde_json::from_str(text).unwrap();
            assert_eq!(response.crm_data, None, "{text}");
            assert!(response.crm_data_or_empty().is_empty());
        }
    }
}
