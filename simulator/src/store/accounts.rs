//! Accounts, their tokens and forms: the unit of isolation, and what a submit or a
//! token is checked against.

use super::{Map, State};
use crate::fixtures::{AdvertiserSpec, PhoneFormat, Scope};
use crate::model::{AccountView, FormView, NewAccount, TokenView, fields};
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

/// The field set of a created account's form: parameter key → field name.
pub const STANDARD_FIELDS: &[(&str, &str)] = &[
    ("name", fields::NAME),
    ("fld_name", fields::NAME),
    ("phone", fields::PHONE),
    ("fld_phone", fields::PHONE),
    ("email", fields::EMAIL),
    ("fld_email", fields::EMAIL),
    ("msg", fields::MESSAGE),
    ("fld_message", fields::MESSAGE),
    ("chat_url", fields::CHAT_URL),
    ("fld_city", fields::CITY),
    ("fld_handler", fields::HANDLER),
    ("fld_status", fields::STATUS),
];

/// The keys every form knows even when its definition omits them (the v2 submit
/// API's documented fields), mapped to the standard Hebrew names.
const IMPLIED_KEYS: &[(&str, &str)] = &[
    ("name", fields::NAME),
    ("phone", fields::PHONE),
    ("email", fields::EMAIL),
    ("msg", fields::MESSAGE),
];

/// Most field keys a form may define (field indexes must stay below
/// [`super::lead::UTM_BASE`]).
pub(crate) const MAX_FIELDS: usize = 1000;

/// What a token may do.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Scopes {
    pub read: bool,
    pub write: bool,
}

impl Scopes {
    pub const READ_WRITE: Scopes = Scopes {
        read: true,
        write: true,
    };

    pub fn from_list(list: &[Scope]) -> Scopes {
        Scopes {
            read: list.contains(&Scope::Read),
            write: list.contains(&Scope::Write),
        }
    }

    pub fn to_list(self) -> Vec<Scope> {
        let mut v = Vec::with_capacity(2);
        if self.read {
            v.push(Scope::Read);
        }
        if self.write {
            v.push(Scope::Write);
        }
        v
    }

    pub fn allows(self, scope: Scope) -> bool {
        match scope {
            Scope::Read => self.read,
            Scope::Write => self.write,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub aid: u64,
    pub name: String,
    pub enabled: bool,
    pub tokens: Vec<(Box<str>, Scopes)>,
    pub forms: Vec<u64>,
    pub leads: Vec<u64>,
    /// Where `route_adv=true` routes a lead.
    pub advertisers: Vec<AdvertiserSpec>,
}

/// What a form is made of, for [`Form::build`].
#[derive(Debug, Clone)]
pub(crate) struct FormDefinition {
    pub lm_form: u64,
    pub aid: u64,
    pub lm_key: String,
    pub name: String,
    pub enabled: bool,
    pub thank_you_url: String,
    /// Parameter key → field name.
    pub fields: Vec<(String, String)>,
    pub reject_duplicates_secs: Option<u64>,
    pub phone_format: PhoneFormat,
}

#[derive(Debug, Clone)]
pub(crate) struct Form {
    pub lm_form: u64,
    pub aid: u64,
    pub lm_key: String,
    pub name: String,
    pub enabled: bool,
    /// Refuse a repeated submission within this many seconds (`-50`).
    pub reject_duplicates_secs: Option<u64>,
    /// How the form stores the phone.
    pub phone_format: PhoneFormat,
    /// Shared with each submit's answer, which redirects to it: no copy per lead.
    pub thank_you_url: Arc<str>,
    /// Parameter key → field name, as defined (for listing).
    definition: Vec<(String, String)>,
    /// Distinct field names in definition order; leads refer to them by index.
    pub field_names: Vec<Box<str>>,
    /// Each of `field_names` as a JSON object key, `"name":`, written once here
    /// rather than escaped again in every lookup answer.
    pub json_keys: Vec<Box<[u8]>>,
    by_key: Map<Box<str>, u16>,
    by_name: Map<Box<str>, u16>,
    pub phone_field: u16,
    pub message_field: u16,
}

impl Form {
    pub fn build(definition: FormDefinition) -> Form {
        let mut form = Form {
            lm_form: definition.lm_form,
            aid: definition.aid,
            lm_key: definition.lm_key,
            name: definition.name,
            enabled: definition.enabled,
            reject_duplicates_secs: definition.reject_duplicates_secs,
            phone_format: definition.phone_format,
            thank_you_url: definition.thank_you_url.into(),
            definition: Vec::new(),
            field_names: Vec::new(),
            json_keys: Vec::new(),
            by_key: Map::default(),
            by_name: Map::default(),
            phone_field: 0,
            message_field: 0,
        };
        for (key, field) in definition.fields {
            form.define(key, field);
        }
        for (key, field) in IMPLIED_KEYS {
            if !form.by_key.contains_key(*key) {
                let idx = form.field_index_or_add(field);
                form.by_key.insert((*key).into(), idx);
            }
        }
        form.phone_field = form.by_key["phone"];
        form.message_field = form.by_key["msg"];
        form
    }

    fn define(&mut self, key: String, field: String) {
        let idx = self.field_index_or_add(&field);
        self.by_key.insert(key.as_str().into(), idx);
        self.definition.push((key, field));
    }

    fn field_index_or_add(&mut self, field: &str) -> u16 {
        if let Some(&idx) = self.by_name.get(field) {
            return idx;
        }
        let idx = self.field_names.len() as u16;
        self.field_names.push(field.into());
        let mut key = serde_json::to_vec(field).expect("a string always encodes");
        key.push(b':');
        self.json_keys.push(key.into_boxed_slice());
        self.by_name.insert(field.into(), idx);
        idx
    }

    /// The field a parameter key sets (`fld_179817`, `name`).
    pub fn field_of_key(&self, key: &str) -> Option<u16> {
        self.by_key.get(key).copied()
    }

    /// The field of this name (`עיר`).
    pub fn field_named(&self, name: &str) -> Option<u16> {
        self.by_name.get(name).copied()
    }

    pub fn field_name(&self, idx: u16) -> &str {
        &self.field_names[idx as usize]
    }

    pub fn view(&self) -> FormView {
        FormView {
            reject_duplicates_secs: self.reject_duplicates_secs,
            phone_format: self.phone_format,
            lm_form: self.lm_form,
            lm_key: self.lm_key.clone(),
            name: self.name.clone(),
            enabled: self.enabled,
            thank_you_url: self.thank_you_url.to_string(),
            fields: self
                .definition
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        }
    }
}

/// The advertiser users of a created account: two, with ids of its own.
fn created_advertisers(aid: u64) -> Vec<AdvertiserSpec> {
    [("גל שחר", 1), ("נוי אלמוג", 2)]
        .into_iter()
        .map(|(name, n)| AdvertiserSpec {
            id: aid * 100 + n,
            name: name.into(),
        })
        .collect()
}

impl State {
    /// Creates an isolated account with one enabled form of the standard fields and
    /// three tokens (read+write, read-only, write-only). `keys` makes its secrets
    /// unguessable from its ids.
    pub(super) fn create_account(&mut self, name: Option<&str>, keys: &RandomState) -> NewAccount {
        let aid = self.next_aid;
        self.next_aid += 1;
        let lm_form = self.next_form;
        self.next_form += 1;
        let secret = |n: u64| keys.hash_one((aid, lm_form, n));
        let new = NewAccount {
            aid,
            lm_form,
            lm_key: crate::model::lm_key_shape(secret(0)),
            token: crate::model::token_shape(secret(1), secret(2)),
            read_token: crate::model::token_shape(secret(3), secret(4)),
            write_token: crate::model::token_shape(secret(5), secret(6)),
        };
        self.insert_created_account(&new, name.unwrap_or("חשבון בדיקה"));
        new
    }

    /// Files a created account with the ids and secrets of `new`: what
    /// [`State::create_account`] made them, or what the `--state` log says it did.
    pub(super) fn insert_created_account(&mut self, new: &NewAccount, name: &str) {
        let (aid, lm_form) = (new.aid, new.lm_form);
        let form = Form::build(FormDefinition {
            lm_form,
            aid,
            lm_key: new.lm_key.clone(),
            name: "טופס בדיקה".into(),
            enabled: true,
            thank_you_url: format!("https://example.co.il/thanks/{lm_form}"),
            reject_duplicates_secs: None,
            phone_format: PhoneFormat::AsSent,
            fields: STANDARD_FIELDS
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        });
        self.forms.insert(lm_form, form);
        let only = |read, write| Scopes { read, write };
        let tokens = vec![
            (new.token.as_str().into(), Scopes::READ_WRITE),
            (new.read_token.as_str().into(), only(true, false)),
            (new.write_token.as_str().into(), only(false, true)),
        ];
        for (t, s) in &tokens {
            self.tokens.insert(Box::clone(t), (aid, *s));
        }
        self.accounts.insert(
            aid,
            Account {
                aid,
                name: name.to_owned(),
                enabled: true,
                tokens,
                forms: vec![lm_form],
                leads: Vec::new(),
                advertisers: created_advertisers(aid),
            },
        );
    }

    pub(super) fn account_view(&self, a: &Account) -> AccountView {
        AccountView {
            aid: a.aid,
            name: a.name.clone(),
            enabled: a.enabled,
            tokens: a
                .tokens
                .iter()
                .map(|(t, s)| TokenView {
                    token: t.to_string(),
                    scopes: s.to_list(),
                })
                .collect(),
            forms: a
                .forms
                .iter()
                .filter_map(|f| self.forms.get(f))
                .map(Form::view)
                .collect(),
            leads: a.leads.len(),
        }
    }
}
