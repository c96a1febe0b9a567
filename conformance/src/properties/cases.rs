//! The generated cases, one kind per property: a chat and a crmConfig and, for a
//! lookup, the leads Lead.IM holds. Each becomes the protocol request of a fresh
//! account, so cases never see each other's leads or requests.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::strategies::{
    IsraeliNumber, StoredFormat, israeli_number, message_text, prompt_answer, short_text,
    stored_format,
};
use crate::adapter::open_ticket::{EMAIL_NODE, NAME_NODE};
use crate::protocol::{
    AdapterRequest, Chat, CrmConfig, Direction, Endpoints, Flag, Function, Message, NodeState,
    TextOrNumber,
};
use leadim_simulator::{AccountConfig, SeedLead};

/// What a chat's crmData already held before the call: absent, `{}`, or a few keys —
/// some a call sets itself (`name`), some a lookup's lead has too (`מטפל`), values
/// of every JSON type.
fn previous_crm_data() -> impl Strategy<Value = Option<Map<String, Value>>> {
    let key = prop::sample::select(
        &[
            "source",
            "קמפיין",
            "מטפל",
            "result",
            "name",
            "status",
            "דוא\"ל",
        ][..],
    );
    let value = prop_oneof![
        3 => short_text().prop_map(Value::String),
        1 => (1u64..10_000_000).prop_map(Value::from),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => short_text().prop_map(|t| json!({"utm_source": t, "ids": [1, 2]})),
    ];
    prop_oneof![
        1 => Just(None),
        4 => prop::collection::vec((key, value), 0..4)
            .prop_map(|pairs| Some(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
    ]
}

/// The link back to the chat, with the characters a URL carries.
fn chat_url() -> impl Strategy<Value = String> {
    let tail = prop::sample::select(
        &[
            "",
            "?tab=info&lang=he",
            "#msg-17",
            "?q=%D7%A9%D7%9C%D7%95%D7%9D",
            "?name=דנה כהן&x=1+1",
        ][..],
    );
    ("[0-9]{1,6}", tail)
        .prop_map(|(id, tail)| format!("https://app.texter.example/chats/c-{id}{tail}"))
}

/// A message: incoming or outgoing; text, an empty text, or none (a picture).
fn message() -> impl Strategy<Value = Message> {
    let direction = prop_oneof![Just(Direction::Outgoing), Just(Direction::Incoming)];
    let text = prop_oneof![
        6 => message_text().prop_map(Some),
        1 => Just(None),
        1 => Just(Some(String::new())),
    ];
    (direction, text).prop_map(|(direction, text)| Message { direction, text })
}

/// `nameField`: absent, empty (the default then), the default spelled out, another
/// field of the form, or a field the form lacks.
fn name_field() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        1 => prop::sample::select(&["", "שם", "מטפל", "עיר", "שם מלא"][..])
            .prop_map(|f| Some(f.to_owned())),
    ]
}

/// The prompt nodes of a chat from the two answers; a chat that met no prompt has
/// no `nodes` at all.
fn nodes(name: Option<&Option<String>>, email: Option<&Option<String>>) -> Chat {
    let mut chat = Chat::default();
    for (node, answer) in [(NAME_NODE, name), (EMAIL_NODE, email)] {
        if let Some(text) = answer {
            let text = text.clone();
            chat.nodes.insert(node.to_owned(), NodeState { text });
        }
    }
    chat
}

/// The crmConfig of `account` as the customer pasted it, `lm_form` typed as a
/// number when asked.
fn account_config(account: &AccountConfig, lm_form_as_number: bool) -> CrmConfig {
    let config = CrmConfig::for_account(account);
    match account.lm_form.parse::<u64>() {
        Ok(number) if lm_form_as_number => CrmConfig {
            lm_form: Some(TextOrNumber::from(number)),
            ..config
        },
        _ => config,
    }
}

/// An openTicket case.
#[derive(Debug, Clone)]
pub struct OpenTicketCase {
    /// The contact's number; the chat carries it as `972…`.
    pub number: IsraeliNumber,
    /// `lm_form` typed as a number rather than as text.
    pub lm_form_as_number: bool,
    /// The chat title.
    pub title: Option<String>,
    /// The link back to the chat.
    pub url: String,
    /// `lead_get_name`: no node, a node without text, or its text.
    pub name: Option<Option<String>>,
    /// `lead_get_email`, likewise.
    pub email: Option<Option<String>>,
    /// The conversation.
    pub messages: Vec<Message>,
    /// crmData before the call.
    pub crm_data: Option<Map<String, Value>>,
}

impl OpenTicketCase {
    /// Generates cases.
    pub fn strategy() -> impl Strategy<Value = Self> {
        (
            israeli_number(),
            any::<bool>(),
            prop::option::weighted(0.9, short_text()),
            chat_url(),
            prompt_answer(),
            prompt_answer(),
            prop::collection::vec(message(), 0..6),
            previous_crm_data(),
        )
            .prop_map(
                |(number, lm_form_as_number, title, url, name, email, messages, crm_data)| Self {
                    number,
                    lm_form_as_number,
                    title,
                    url,
                    name,
                    email,
                    messages,
                    crm_data,
                },
            )
    }

    /// The protocol request for `account`.
    pub fn request(&self, account: &AccountConfig) -> AdapterRequest {
        let chat = Chat {
            id: Some(format!("c-{}", account.aid)),
            phone: Some(self.number.chat_phone()),
            title: self.title.clone(),
            url: Some(self.url.clone()),
            crm_data: self.crm_data.clone(),
            messages: self.messages.clone(),
            ..nodes(self.name.as_ref(), self.email.as_ref())
        };
        let config = account_config(account, self.lm_form_as_number);
        AdapterRequest::new(
            Function::OpenTicket,
            config,
            chat,
            Endpoints::for_account(account),
        )
    }
}

/// A time on the leads' calendar, in hours after 2026-03-01 00:00 UTC.
fn timestamp(hours: u32) -> String {
    format!("2026-03-{:02}T{:02}:00:00Z", 1 + hours / 24, hours % 24)
}

/// A lead Lead.IM holds for a lookup case.
#[derive(Debug, Clone)]
pub struct StoredLead {
    /// How its form stored the phone.
    pub format: StoredFormat,
    /// A lead of another contact (the number's last digit changed).
    pub other_contact: bool,
    /// Created, in hours after 2026-03-01 00:00 UTC: few values, so ties happen.
    pub created: u32,
    /// Hours from creation to the last update.
    pub updated_after: u32,
    /// Its fields, by Hebrew name (the phone field comes from the phone).
    pub fields: Vec<(String, String)>,
}

impl StoredLead {
    fn strategy() -> impl Strategy<Value = Self> {
        let value = |realistic: &'static [&'static str]| {
            prop_oneof![
                2 => prop::sample::select(realistic).prop_map(str::to_owned),
                1 => short_text(),
            ]
        };
        let fields = (
            prop::option::weighted(
                0.8,
                value(&["דנה כהן", "אבי מזרחי", "נועה ברק", "מוחמד ח'טיב"]),
            ),
            prop::option::weighted(0.5, value(&["dana.cohen@gmail.com", "avi+leads@gmail.com"])),
            prop::option::weighted(
                0.5,
                value(&["מעוניינת בהצעה לביטוח רכב", "שלום, אשמח לפרטים"]),
            ),
            prop::option::weighted(0.6, value(&["תל אביב-יפו", "באר שבע", "כפר סבא", "חיפה"])),
            prop::option::weighted(0.6, value(&["יוסי לוי", "רונית אברהם"])),
            prop::option::weighted(0.4, value(&["חדש", "בטיפול"])),
        )
            .prop_map(|(name, email, message, city, handler, status)| {
                let names = ["שם", "דוא\"ל", "הודעה", "עיר", "מטפל", "סטטוס"];
                names
                    .into_iter()
                    .zip([name, email, message, city, handler, status])
                    .filter_map(|(field, value)| Some((field.to_owned(), value?)))
                    .collect::<Vec<_>>()
            });
        (
            stored_format(),
            prop::bool::weighted(0.15),
            prop::sample::select(&[8u32, 9, 32, 33][..]),
            prop::sample::select(&[0u32, 0, 1, 30][..]),
            fields,
        )
            .prop_map(
                |(format, other_contact, created, updated_after, fields)| Self {
                    format,
                    other_contact,
                    created,
                    updated_after,
                    fields,
                },
            )
    }

    /// The phone its form stored, for the case's contact.
    pub fn phone(&self, number: &IsraeliNumber) -> String {
        if !self.other_contact {
            return self.format.write(number);
        }
        let mut other = number.clone();
        let last = other
            .national
            .pop()
            .and_then(|d| d.to_digit(10))
            .unwrap_or(0);
        other.national.push(char::from(
            b'0' + u8::try_from((last + 1) % 10).unwrap_or(0),
        ));
        self.format.write(&other)
    }

    /// The lead in the simulator's seeding format.
    pub fn seed(&self, number: &IsraeliNumber) -> Result<SeedLead, serde_json::Error> {
        let fields: Map<String, Value> = self
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        serde_json::from_value(json!({
            "phone": self.phone(number),
            "created_at": timestamp(self.created),
            "updated_at": timestamp(self.created + self.updated_after),
            "fields": fields,
        }))
    }
}

/// A getCustomerDetails case in lookup mode.
#[derive(Debug, Clone)]
pub struct LookupCase {
    /// The contact's number; the chat carries it as `972…`.
    pub number: IsraeliNumber,
    /// The chat title.
    pub title: Option<String>,
    /// `nameField`.
    pub name_field: Option<String>,
    /// `onlyDisplayData`: absent, `false`, or the text `"false"`.
    pub only_display_data: Option<Flag>,
    /// crmData before the call.
    pub crm_data: Option<Map<String, Value>>,
    /// The leads Lead.IM holds, seeded in this order (so in increasing lid order).
    pub leads: Vec<StoredLead>,
}

impl LookupCase {
    /// Generates cases.
    pub fn strategy() -> impl Strategy<Value = Self> {
        let off = prop_oneof![
            2 => Just(None),
            1 => Just(Some(Flag::Bool(false))),
            1 => prop::sample::select(&["false", "False"][..]).prop_map(|t| Some(Flag::Text(t.to_owned()))),
        ];
        (
            israeli_number(),
            prop::option::weighted(0.9, short_text()),
            name_field(),
            off,
            previous_crm_data(),
            prop::collection::vec(StoredLead::strategy(), 0..4),
        )
            .prop_map(
                |(number, title, name_field, only_display_data, crm_data, leads)| Self {
                    number,
                    title,
                    name_field,
                    only_display_data,
                    crm_data,
                    leads,
                },
            )
    }

    /// The protocol request for `account`.
    pub fn request(&self, account: &AccountConfig) -> AdapterRequest {
        let chat = Chat {
            id: Some(format!("c-{}", account.aid)),
            phone: Some(self.number.chat_phone()),
            title: self.title.clone(),
            url: Some(format!(
                "https://app.texter.example/chats/c-{}",
                account.aid
            )),
            crm_data: self.crm_data.clone(),
            ..Chat::default()
        };
        let config = CrmConfig {
            name_field: self.name_field.clone(),
            only_display_data: self.only_display_data.clone(),
            ..account_config(account, false)
        };
        AdapterRequest::new(
            Function::GetCustomerDetails,
            config,
            chat,
            Endpoints::for_account(account),
        )
    }
}

/// An id in a pushed crmData: absent, text, a number, empty or null.
fn pushed_id() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        3 => "[1-9][0-9]{3,6}".prop_map(|id| Some(Value::String(id))),
        2 => (1u64..10_000_000).prop_map(|id| Some(Value::from(id))),
        1 => Just(Some(Value::String(String::new()))),
        1 => Just(Some(Value::Null)),
    ]
}

/// A getCustomerDetails case in display mode (`onlyDisplayData` on).
#[derive(Debug, Clone)]
pub struct DisplayCase {
    /// The contact's number; the chat carries it as `972…`.
    pub number: IsraeliNumber,
    /// `onlyDisplayData`: `true`, or the text `"true"` as a UI sends it.
    pub only_display_data: Flag,
    /// `nameField`.
    pub name_field: Option<String>,
    /// What Lead.IM pushed onto the chat: absent, or ids, names and other keys.
    pub crm_data: Option<Map<String, Value>>,
}

impl DisplayCase {
    /// Generates cases.
    pub fn strategy() -> impl Strategy<Value = Self> {
        let on = prop_oneof![
            2 => Just(Flag::Bool(true)),
            1 => prop::sample::select(&["true", "True"][..]).prop_map(|t| Flag::Text(t.to_owned())),
        ];
        let name = prop_oneof![
            2 => Just(None),
            3 => short_text().prop_map(|t| Some(Value::String(t))),
            1 => (1u64..1000).prop_map(|n| Some(Value::from(n))),
            1 => Just(Some(Value::Null)),
        ];
        let pushed = (
            [pushed_id(), pushed_id(), pushed_id(), pushed_id()],
            [name.clone(), name],
            previous_crm_data(),
        )
            .prop_map(|(ids, names, others)| {
                let mut crm = others?;
                let keys = ["aid", "lid", "pp_aid", "pp_lid", "שם", "שם מלא"];
                for (key, value) in keys.into_iter().zip(ids.into_iter().chain(names)) {
                    if let Some(value) = value {
                        crm.insert(key.to_owned(), value);
                    }
                }
                Some(crm)
            });
        (israeli_number(), on, name_field(), pushed).prop_map(
            |(number, only_display_data, name_field, crm_data)| Self {
                number,
                only_display_data,
                name_field,
                crm_data,
            },
        )
    }

    /// The protocol request for `account`. The crmConfig keeps a valid token and
    /// lookup URL, so that "no request" means the adapter chose not to send one.
    pub fn request(&self, account: &AccountConfig) -> AdapterRequest {
        let chat = Chat {
            id: Some(format!("c-{}", account.aid)),
            phone: Some(self.number.chat_phone()),
            url: Some(format!(
                "https://app.texter.example/chats/c-{}",
                account.aid
            )),
            crm_data: self.crm_data.clone(),
            ..Chat::default()
        };
        let config = CrmConfig {
            name_field: self.name_field.clone(),
            only_display_data: Some(self.only_display_data.clone()),
            ..account_config(account, false)
        };
        AdapterRequest::new(
            Function::GetCustomerDetails,
            config,
            chat,
            Endpoints::for_account(account),
        )
    }
}
