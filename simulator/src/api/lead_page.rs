//! `GET /a/{aid}/leads/{lid}` — `docs/contract.md`, "The lead page": the target of
//! `crmData.deepLink`. Right-to-left, UTF-8, every value escaped by askama (field
//! values come from anyone who can submit a form). No token: the page stands for
//! the UI, where the user is logged in.

use crate::model::LeadView;
use crate::model::fields::NAME as NAME_FIELD;
use crate::reply::{JournalNotes, Reply};
use crate::store::Store;
use askama::Template;
use hyper::StatusCode;

#[derive(Template)]
#[template(path = "lead.html")]
struct LeadPage<'a> {
    title: &'a str,
    account: &'a str,
    form: &'a str,
    lead: &'a LeadView,
    fields: Vec<(&'a str, &'a str)>,
    utm: Vec<(&'static str, &'a str)>,
}

/// Renders the page, or a 404 page naming what was not found.
pub(crate) fn handle(store: &Store, aid: &str, lid: &str, notes: &mut JournalNotes) -> Reply {
    let (Ok(aid_n), Ok(lid_n)) = (aid.parse::<u64>(), lid.parse::<u64>()) else {
        notes.error(format!(
            "lead page: '{aid}/{lid}' is not a numeric account and lead id"
        ));
        return not_found("כתובת ליד לא תקינה");
    };
    notes.account = Some(aid_n);
    let Some(shown) = store.lead_page(aid_n, lid_n) else {
        notes.error(format!("lead page: account {aid_n} has no lead {lid_n}"));
        return not_found("הליד לא נמצא");
    };
    let lead = &shown.lead;
    let fields: Vec<(&str, &str)> = lead.fields.iter().collect();
    let title = lead
        .field(NAME_FIELD)
        .filter(|n| !n.is_empty())
        .unwrap_or("ליד ללא שם");
    let utm = [
        ("utm_source", &lead.utm_source),
        ("utm_medium", &lead.utm_medium),
        ("utm_campaign", &lead.utm_campaign),
        ("utm_content", &lead.utm_content),
        ("utm_term", &lead.utm_term),
        ("lm_source", &lead.lm_source),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    .collect();
    let page = LeadPage {
        title,
        account: &shown.account_name,
        form: &shown.form_name,
        lead,
        fields,
        utm,
    };
    match page.render() {
        Ok(html) => Reply::html(StatusCode::OK, html),
        Err(e) => {
            notes.error(format!("lead page could not be rendered: {e}"));
            Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "lead page could not be rendered",
            )
        }
    }
}

fn not_found(message: &'static str) -> Reply {
    Reply::html(
        StatusCode::NOT_FOUND,
        format!(
            "<!DOCTYPE html><html lang=\"he\" dir=\"rtl\"><meta charset=\"utf-8\"><title>404</title><p>{message}</p></html>"
        ),
    )
}
