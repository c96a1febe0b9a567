//! The dashboard in the browser — `docs/dashboard.md`, its rules in
//! `docs/contract.md`, "Admin surface": the index page at `/`, and under
//! `/__admin/ui` the accounts with their crmConfig, an account's leads, the live
//! journal and the faults. Server-rendered with askama (every value
//! escaped), a small plain script and a style sheet embedded in the binary; nothing
//! is fetched from elsewhere, and the pages' `Content-Security-Policy` allows
//! nothing else.
//!
//! The live journal is the script polling `GET /__admin/requests` with the
//! journal's cursor, twice a second: no stream stays open, so shutdown is as prompt
//! as ever, and a read is rendered off the runtime like any other journal read.
//!
//! Pages are rendered from a page of the state at a time ([`crate::Store::leads_page`],
//! [`crate::Store::accounts_page`]), never from a copy of a whole account.

mod accounts;
mod config;
mod faults;
pub(crate) mod guard;
mod journal;
mod login;
mod public;

pub(crate) use public::public;

use crate::reply::Reply;
use crate::request::{Params, Part, Request, parse_urlencoded};
use crate::routes::UiRoute;
use crate::server::Services;
use askama::Template;
use hyper::{Method, StatusCode, header};

/// What the pages may load and where their forms may go: this simulator only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What every dashboard page's frame shows: the current tab (`accounts`,
/// `journal`, `faults`, or none), and a logout button when a token is needed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Nav {
    pub tab: &'static str,
    pub logout: bool,
}

impl Nav {
    fn new(app: &Services, tab: &'static str) -> Nav {
        Nav {
            tab,
            logout: app.admin_token.is_some(),
        }
    }
}

/// Serves a dashboard page or action, once the admin surface has checked its origin
/// and method; `authorized` says whether the request carries the admin token
/// (always true without one). Without it, every page but the login answers with the
/// login form.
pub(crate) fn handle(app: &Services, page: UiRoute<'_>, req: &Request, authorized: bool) -> Reply {
    let post = req.method == Method::POST;
    match page {
        UiRoute::Login if post => return login::login(app, req),
        UiRoute::Login => return login::form(app, "/__admin/ui", None, StatusCode::OK),
        UiRoute::Logout => return login::logout(),
        _ if !authorized => {
            let back = if post { "/__admin/ui" } else { req.path() };
            return login::form(app, back, None, StatusCode::UNAUTHORIZED);
        }
        _ => {}
    }
    match page {
        UiRoute::Accounts if post => accounts::create(app, req),
        UiRoute::Accounts => accounts::list(app, req),
        UiRoute::Leads(aid) => accounts::leads(app, aid, req),
        UiRoute::Journal => journal::page(app, req),
        UiRoute::Faults if post => faults::add(app, req),
        UiRoute::Faults => faults::page(app, req, None),
        UiRoute::ClearFaults => faults::clear(app, req),
        UiRoute::Login | UiRoute::Logout => unreachable!("answered above"),
    }
}

/// A rendered page with the headers every page of the dashboard carries.
fn render(status: StatusCode, page: &impl Template) -> Reply {
    match page.render() {
        Ok(html) => secure(Reply::html(status, html)),
        Err(e) => Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the page could not be rendered: {e}"),
        ),
    }
}

/// Adds the headers that keep a page to itself: nothing loaded from elsewhere, not
/// framed, not cached, no referrer sent elsewhere. (Not `no-referrer`: with it a
/// browser sends its forms' changes with `Origin: null`, which the admin surface
/// refuses as it cannot tell them from another site's.)
fn secure(reply: Reply) -> Reply {
    reply
        .with_header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .with_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .with_header(header::REFERRER_POLICY, "same-origin")
        .with_header(header::CACHE_CONTROL, "no-store")
}

/// After a form's change, back to a page to show (post/redirect/get: a reload does
/// not send the form again).
fn see_other(location: &str) -> Reply {
    let mut reply = Reply::redirect(location);
    reply.status = StatusCode::SEE_OTHER;
    reply
}

/// A form's fields (`application/x-www-form-urlencoded`).
fn form_fields(req: &Request) -> Result<Params<'_>, Reply> {
    parse_urlencoded(&req.body, Part::Body).map_err(|e| {
        Reply::error(
            StatusCode::BAD_REQUEST,
            &format!("the form does not read: {e}"),
        )
    })
}

/// A page's query parameters (none when the query does not read).
fn query(req: &Request) -> Params<'_> {
    req.query_params().unwrap_or_default()
}

#[derive(Template)]
#[template(path = "dashboard/message.html")]
struct MessagePage<'a> {
    nav: Nav,
    heading: &'a str,
    message: &'a str,
}

/// A page that says what went wrong.
fn message(app: &Services, status: StatusCode, heading: &str, message: &str) -> Reply {
    let page = MessagePage {
        nav: Nav::new(app, ""),
        heading,
        message,
    };
    render(status, &page)
}
