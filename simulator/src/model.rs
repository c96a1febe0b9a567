//! The public, owned views of the simulator's state: what the admin API answers,
//! what the lookup endpoints put in `data`, and what the in-process handle returns.

use crate::FieldMap;
use serde::{Deserialize, Serialize};

/// The Hebrew field names of a standard Lead.IM form, as leads carry them (and as a
/// created account's form names its fields).
pub mod fields {
    /// The name: `שם`.
    pub const NAME: &str = "שם";
    /// The phone: `טלפון`.
    pub const PHONE: &str = "טלפון";
    /// The e-mail: `דוא"ל`.
    pub const EMAIL: &str = "דוא\"ל";
    /// The message: `הודעה`.
    pub const MESSAGE: &str = "הודעה";
    /// The link to the chat: `קישור לצ'אט`.
    pub const CHAT_URL: &str = "קישור לצ'אט";
    /// The city: `עיר`.
    pub const CITY: &str = "עיר";
    /// The handler (the person handling the lead): `מטפל`.
    pub const HANDLER: &str = "מטפל";
    /// The status as text: `סטטוס`.
    pub const STATUS: &str = "סטטוס";
}

/// A token shaped as Lead.IM's: `U-` + 16 hex + `.` + 16 hex, so that clients
/// which check the shape accept it.
pub fn token_shape(a: u64, b: u64) -> String {
    format!("U-{a:016x}.{b:016x}")
}

/// An `lm_key` shaped as Lead.IM's: 10 hex characters.
pub fn lm_key_shape(a: u64) -> String {
    format!("{:010x}", a & 0xff_ffff_ffff)
}

/// A lead as the lookup endpoints and the admin API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadView {
    /// Account id.
    pub aid: u64,
    /// Lead id, unique across the simulator and increasing.
    pub lid: u64,
    /// The form it came through (`lm_form`).
    pub form_id: u64,
    /// 1 = new, 2 = invalid (it arrived with neither a name nor a phone).
    pub status_id: u32,
    /// RFC 3339, UTC, to the second.
    pub created_at: String,
    /// RFC 3339, UTC, to the second.
    pub updated_at: String,
    /// The phone exactly as submitted.
    pub phone: String,
    /// Field name → value, in the order the form defines its fields.
    pub fields: FieldMap,
    /// UTM source.
    pub utm_source: Option<String>,
    /// UTM medium.
    pub utm_medium: Option<String>,
    /// UTM campaign.
    pub utm_campaign: Option<String>,
    /// UTM content.
    pub utm_content: Option<String>,
    /// UTM term.
    pub utm_term: Option<String>,
    /// `lm_source`, when one was sent.
    pub lm_source: Option<String>,
    /// The ids of the advertiser users the lead is routed to (`route_adv=true`);
    /// empty until it is routed.
    pub routes_to_advertisers: Vec<u64>,
    /// Those advertiser users, with their names.
    pub adv_users: Vec<AdvUser>,
}

/// An advertiser user a lead is routed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvUser {
    /// The user's id.
    pub id: u64,
    /// The user's name.
    pub name: String,
}

impl LeadView {
    /// The value of a field by its (Hebrew) name.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name)
    }
}

/// A token with its scopes, as the admin API lists it (in the clear: simulator
/// tokens are test values that a user needs to configure a client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    /// The `X-LEAD-IM-AUTH` value.
    pub token: String,
    /// `read`, `write`, or both.
    pub scopes: Vec<crate::fixtures::Scope>,
}

/// A form as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormView {
    /// `lm_form`.
    pub lm_form: u64,
    /// `lm_key`.
    pub lm_key: String,
    /// Display name.
    pub name: String,
    /// Whether it takes submissions.
    pub enabled: bool,
    /// Where a submission redirects by default.
    pub thank_you_url: String,
    /// Parameter key → field name, in display order.
    pub fields: FieldMap,
    /// Refuses (`-50`) a repeated submission within this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_duplicates_secs: Option<u64>,
    /// How it stores the phone.
    #[serde(default)]
    pub phone_format: crate::fixtures::PhoneFormat,
}

/// An account as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// Account id.
    pub aid: u64,
    /// Business name.
    pub name: String,
    /// Whether it takes leads and API calls.
    pub enabled: bool,
    /// Its tokens.
    pub tokens: Vec<TokenView>,
    /// Its forms.
    pub forms: Vec<FormView>,
    /// How many leads it holds.
    pub leads: usize,
}

/// A freshly created account, with everything a client needs to talk to it: the
/// `crmConfig` of a Texter customer plus the update URL and the narrower tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountConfig {
    /// Account id.
    pub aid: u64,
    /// Form id.
    #[serde(rename = "lm_form")]
    pub lm_form: String,
    /// Form key.
    #[serde(rename = "lm_key")]
    pub lm_key: String,
    /// A read+write `X-LEAD-IM-AUTH` token.
    pub token: String,
    /// A read-only token.
    pub read_token: String,
    /// A write-only token.
    pub write_token: String,
    /// The lookup endpoint (`leads_get.ashx`).
    pub get_customer_details_url: String,
    /// The one-lead endpoint (`lead_get.ashx`).
    pub lead_get_url: String,
    /// The update endpoint (`lead_update.ashx`).
    pub update_url: String,
    /// The submit endpoint (`/v2/submit`), standing for `https://api.lead.im/v2/submit`.
    pub submit_url: String,
    /// The UI base, standing for `https://sys.lead.im`.
    pub ui_url: String,
    /// Display-name field.
    pub name_field: String,
    /// Display-only mode; false for a lookup-capable config.
    pub only_display_data: bool,
}

/// What the store hands back when it creates an account; [`NewAccount::account_config`]
/// turns it into URLs for a given server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Account id.
    pub aid: u64,
    /// Its one form.
    pub lm_form: u64,
    /// The form's key.
    pub lm_key: String,
    /// Read+write token.
    pub token: String,
    /// Read-only token.
    pub read_token: String,
    /// Write-only token.
    pub write_token: String,
}

impl NewAccount {
    /// The ready crmConfig for a simulator listening at `base_url` (no trailing `/`).
    pub fn account_config(&self, base_url: &str) -> AccountConfig {
        let aid = self.aid;
        AccountConfig {
            aid,
            lm_form: self.lm_form.to_string(),
            lm_key: self.lm_key.clone(),
            token: self.token.clone(),
            read_token: self.read_token.clone(),
            write_token: self.write_token.clone(),
            get_customer_details_url: format!("{base_url}/apiproxy/{aid}/api/leads_get.ashx"),
            lead_get_url: format!("{base_url}/apiproxy/{aid}/api/lead_get.ashx"),
            update_url: format!("{base_url}/apiproxy/{aid}/api/lead_update.ashx"),
            submit_url: format!("{base_url}/v2/submit"),
            ui_url: base_url.to_owned(),
            name_field: fields::NAME.into(),
            only_display_data: false,
        }
    }
}
