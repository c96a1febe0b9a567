//! The simulator's pages outside `/__admin/`, open to all: the index page at `/`,
//! the dashboard's style sheet and script, and the docs the index links to. With
//! `--admin-token` set, none of them shows a token or a crmConfig.

use super::{Nav, config, render, secure};
use crate::reply::Reply;
use crate::request::Request;
use crate::routes::PublicPage;
use crate::server::Services;
use askama::Template;
use bytes::Bytes;
use hyper::{Method, StatusCode};

const STYLE: &str = include_str!("../../templates/dashboard/dashboard.css");
const SCRIPT: &str = include_str!("../../templates/dashboard/dashboard.js");
const CONTRACT: &str = include_str!("../../../docs/contract.md");
const ADAPTER_PROTOCOL: &str = include_str!("../../../docs/adapter-protocol.md");

/// The default account's crmConfig, as the index page shows it.
struct DefaultConfig {
    aid: u64,
    name: String,
    json: String,
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct IndexPage {
    nav: Nav,
    base: String,
    accounts: usize,
    leads: usize,
    config: Option<DefaultConfig>,
}

/// Serves `page` (GET only).
pub(crate) fn public(app: &Services, page: PublicPage<'_>, req: &Request) -> Reply {
    if req.method != Method::GET {
        return Reply::method_not_allowed(&req.method, req.path(), "GET");
    }
    match page {
        PublicPage::Index => index(app, req),
        PublicPage::Favicon => Reply::html(StatusCode::NO_CONTENT, String::new()),
        PublicPage::Asset("dashboard.css") => file("text/css; charset=utf-8", STYLE),
        PublicPage::Asset("dashboard.js") => file("text/javascript; charset=utf-8", SCRIPT),
        PublicPage::Doc("contract.md") => file("text/plain; charset=utf-8", CONTRACT),
        PublicPage::Doc("adapter-protocol.md") => {
            file("text/plain; charset=utf-8", ADAPTER_PROTOCOL)
        }
        PublicPage::Asset(_) | PublicPage::Doc(_) => Reply::error(
            StatusCode::NOT_FOUND,
            &format!("no such file: {}", req.path()),
        ),
    }
}

/// `/`: what this is, links, and — only when no admin token guards the accounts —
/// the default account's crmConfig.
fn index(app: &Services, req: &Request) -> Reply {
    let base = app.base_url_for(req);
    let config = match app.admin_token {
        Some(_) => None,
        None => app.store.default_account().map(|d| DefaultConfig {
            aid: d.aid,
            name: app.store.account(d.aid).map(|a| a.name).unwrap_or_default(),
            json: config::crm_config(&base, d.aid, d.lm_form, &d.lm_key, &d.token),
        }),
    };
    let counts = app.store.counts();
    let page = IndexPage {
        nav: Nav {
            logout: false,
            ..Nav::new(app, "")
        },
        base,
        accounts: counts.accounts,
        leads: counts.leads,
        config,
    };
    render(StatusCode::OK, &page)
}

/// An embedded file.
fn file(content_type: &'static str, text: &'static str) -> Reply {
    let mut reply = secure(Reply::html(StatusCode::OK, String::new()));
    reply.content_type = content_type;
    reply.body = Bytes::from_static(text.as_bytes());
    reply
}
