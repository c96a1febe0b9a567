//! The accounts, with their crmConfig to copy and a button that creates one; and an
//! account's leads, the last stored first, a page at a time.

use super::{Nav, config, form_fields, query, render, see_other};
use crate::model::{AccountView, LeadView};
use crate::reply::Reply;
use crate::request::Request;
use crate::server::Services;
use askama::Template;
use hyper::StatusCode;

/// Accounts in a page.
const ACCOUNTS_PER_PAGE: usize = 50;
/// Leads in a page.
const LEADS_PER_PAGE: usize = 50;

/// An account as its section shows it.
struct AccountRow {
    aid: u64,
    name: String,
    enabled: bool,
    leads: usize,
    forms: Vec<crate::model::FormView>,
    /// `(token, scopes)`.
    tokens: Vec<(String, String)>,
    config: Option<String>,
}

impl AccountRow {
    fn new(base: &str, account: AccountView) -> AccountRow {
        let config = config::of_account(base, &account);
        let tokens = account
            .tokens
            .into_iter()
            .map(|t| {
                let scopes: Vec<&str> = t.scopes.iter().map(|s| s.name()).collect();
                (t.token, scopes.join(" + "))
            })
            .collect();
        AccountRow {
            aid: account.aid,
            name: account.name,
            enabled: account.enabled,
            leads: account.leads,
            forms: account.forms,
            tokens,
            config,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/accounts.html")]
struct AccountsPage {
    nav: Nav,
    accounts: Vec<AccountRow>,
    next: Option<u64>,
    first_page: bool,
    created: Option<u64>,
}

/// `GET /__admin/ui`: a page of accounts (`after`: the id before the page's first).
pub(super) fn list(app: &Services, req: &Request) -> Reply {
    let params = query(req);
    let number = |key| params.get(key).and_then(|v| v.parse::<u64>().ok());
    let after = number("after");
    let page = app.store.accounts_page(after, ACCOUNTS_PER_PAGE);
    let base = app.base_url_for(req);
    let view = AccountsPage {
        nav: Nav::new(app, "accounts"),
        accounts: page
            .accounts
            .into_iter()
            .map(|a| AccountRow::new(&base, a))
            .collect(),
        next: page.next,
        first_page: after.is_none(),
        created: number("created"),
    };
    render(StatusCode::OK, &view)
}

/// `POST /__admin/ui/accounts`: creates an account (field `name`, optional), then
/// shows it.
pub(super) fn create(app: &Services, req: &Request) -> Reply {
    let fields = match form_fields(req) {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let name = fields.get("name").map(str::trim).filter(|n| !n.is_empty());
    let aid = app.store.create_account(name).aid;
    see_other(&format!(
        "/__admin/ui?after={}&created={aid}#account-{aid}",
        aid - 1
    ))
}

/// A lead as its row shows it: a value for each column head (and whether it is one
/// long word, a URL or an address), its times as (date, time).
struct LeadRow {
    lid: u64,
    values: Vec<(String, bool)>,
    status: String,
    created_at: (String, String),
    updated_at: (String, String),
}

#[derive(Template)]
#[template(path = "dashboard/leads.html")]
struct LeadsView {
    nav: Nav,
    aid: u64,
    name: String,
    total: usize,
    /// The 1-based places of the page's newest and oldest lead, counted from the
    /// newest.
    from: usize,
    to: usize,
    heads: Vec<String>,
    rows: Vec<LeadRow>,
    first_page: bool,
    older: Option<usize>,
}

/// `GET /__admin/ui/accounts/{aid}`: a page of the account's leads (`before`: the
/// cursor of the page before).
pub(super) fn leads(app: &Services, aid: &str, req: &Request) -> Reply {
    let before = query(req)
        .get("before")
        .and_then(|b| b.parse::<usize>().ok());
    let page = aid
        .parse::<u64>()
        .ok()
        .and_then(|aid| app.store.leads_page(aid, before, LEADS_PER_PAGE));
    let Some(page) = page else {
        return super::message(
            app,
            StatusCode::NOT_FOUND,
            "No such account",
            &format!("This simulator has no account '{aid}'."),
        );
    };
    let heads = column_heads(&page.leads);
    let end = before.map_or(page.total, |b| b.min(page.total));
    let view = LeadsView {
        nav: Nav::new(app, "accounts"),
        aid: page.aid,
        from: page.total - end + 1,
        to: page.total - page.start,
        first_page: end == page.total,
        older: page.older(),
        rows: page.leads.iter().map(|lead| row(lead, &heads)).collect(),
        heads,
        name: page.name,
        total: page.total,
    };
    render(StatusCode::OK, &view)
}

/// The field names of a page's leads, in the order they first come.
fn column_heads(leads: &[LeadView]) -> Vec<String> {
    let mut heads: Vec<String> = Vec::new();
    for name in leads.iter().flat_map(|l| l.fields.keys()) {
        if !heads.iter().any(|h| h == name) {
            heads.push(name.to_owned());
        }
    }
    heads
}

/// `2026-03-09T10:11:00Z` as (`2026-03-09`, `10:11:00`), UTC as the heads say.
fn readable_time(rfc3339: &str) -> (String, String) {
    let (date, time) = rfc3339.split_once('T').unwrap_or((rfc3339, ""));
    (date.to_owned(), time.trim_end_matches('Z').to_owned())
}

/// A word longer than this (a URL, an e-mail address) may be broken anywhere.
const LONG_WORD: usize = 12;

fn row(lead: &LeadView, heads: &[String]) -> LeadRow {
    let status = match lead.status_id {
        1 => "חדש (1)".to_owned(),
        2 => "לא תקין (2)".to_owned(),
        other => other.to_string(),
    };
    LeadRow {
        lid: lead.lid,
        values: heads
            .iter()
            .map(|h| {
                let value = lead.field(h).unwrap_or_default();
                let long = value
                    .split_whitespace()
                    .any(|w| w.chars().count() > LONG_WORD);
                (value.to_owned(), long)
            })
            .collect(),
        status,
        created_at: readable_time(&lead.created_at),
        updated_at: readable_time(&lead.updated_at),
    }
}
