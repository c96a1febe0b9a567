//! The live journal's page. The page itself holds no entry: its script reads them
//! from `GET /__admin/requests` with the journal's cursor (rendered off the
//! runtime, like every journal read), a page after the newest it has, twice a
//! second, and adds them on top.

use super::{Nav, query, render};
use crate::reply::Reply;
use crate::request::Request;
use crate::routes::Endpoint;
use crate::server::Services;
use askama::Template;
use hyper::StatusCode;

/// How many of the entries before the page opened it shows.
const BACKLOG: u64 = 500;

#[derive(Template)]
#[template(path = "dashboard/journal.html")]
struct JournalPage<'a> {
    nav: Nav,
    /// The cursor the script starts from.
    start: u64,
    /// Each endpoint's name, and whether the filter has it.
    endpoints: Vec<(&'static str, bool)>,
    account: &'a str,
    with_diagnostics: bool,
}

/// `GET /__admin/ui/journal`, its filters prefilled from the query (`account`,
/// `endpoint`, `with_diagnostics`).
pub(super) fn page(app: &Services, req: &Request) -> Reply {
    let params = query(req);
    let account = params
        .get("account")
        .filter(|a| a.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_default();
    let endpoint = params.get("endpoint").unwrap_or_default();
    let page = JournalPage {
        nav: Nav::new(app, "journal"),
        start: app.journal.last_id().saturating_sub(BACKLOG),
        endpoints: Endpoint::ALL
            .iter()
            .map(|e| (e.name(), e.name() == endpoint))
            .collect(),
        account,
        with_diagnostics: params.get("with_diagnostics") == Some("true"),
    };
    render(StatusCode::OK, &page)
}
