//! The crmConfig a page offers to copy: the shape Texter's customer database takes
//! (`lm_form`, `lm_key`, `token`, `getCustomerDetailsUrl`, `nameField`,
//! `onlyDisplayData`), the same the start-up banner prints.

use crate::fixtures::Scope;
use crate::model::{AccountView, fields};
use serde_json::json;

/// The crmConfig of form `lm_form` (key `lm_key`) of account `aid`, with `token`, on
/// a simulator at `base`, as pretty JSON.
pub(super) fn crm_config(base: &str, aid: u64, lm_form: u64, lm_key: &str, token: &str) -> String {
    let config = json!({
        "lm_form": lm_form.to_string(),
        "lm_key": lm_key,
        "token": token,
        "getCustomerDetailsUrl": format!("{base}/apiproxy/{aid}/api/leads_get.ashx"),
        "nameField": fields::NAME,
        "onlyDisplayData": false,
    });
    serde_json::to_string_pretty(&config).unwrap_or_default()
}

/// The crmConfig of an account: its first enabled form (or its first), its first
/// read+write token (or its first). `None` for an account without a form or a token.
pub(super) fn of_account(base: &str, account: &AccountView) -> Option<String> {
    let form = account
        .forms
        .iter()
        .find(|f| f.enabled)
        .or_else(|| account.forms.first())?;
    let token = account
        .tokens
        .iter()
        .find(|t| t.scopes.contains(&Scope::Read) && t.scopes.contains(&Scope::Write))
        .or_else(|| account.tokens.first())?;
    Some(crm_config(
        base,
        account.aid,
        form.lm_form,
        &form.lm_key,
        &token.token,
    ))
}
