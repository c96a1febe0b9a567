//! The simulator's own admin surface under `/__admin/`. It calls the same store and
//! journal functions as the in-process handle: one behaviour, two doors. Being ours,
//! it answers with real HTTP statuses.

use crate::contract::MODELED;
use crate::dashboard::{self, guard};
use crate::journal::JournalFilter;
use crate::reply::Reply;
use crate::request::Request;
use crate::routes::AdminRoute;
use crate::server::Services;
use crate::store::SeedLead;
use hyper::{Method, StatusCode, header};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NewAccountBody {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnabledBody {
    enabled: bool,
}

/// A form's settings to change; each one left out stays as it is.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormBody {
    enabled: Option<bool>,
    /// `null` stops refusing repeats.
    #[serde(default, deserialize_with = "present")]
    reject_duplicates_secs: Option<Option<u64>>,
    phone_format: Option<crate::fixtures::PhoneFormat>,
}

/// A key that is present, `null` included: `Some(None)` for `null`, `None` (by
/// `default`) when the key is left out.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

/// Handles one admin request: a change asked by a page of another origin is
/// refused, then the token (the dashboard asks for it with a page of its own), the
/// method (405 with the route's `Allow`), and the resource's handler. A
/// handler whose work grows with the data (a journal page, a reset) does it off the
/// runtime's worker threads, so the API keeps answering meanwhile.
pub(crate) async fn handle(app: &Services, route: AdminRoute<'_>, req: &Request) -> Reply {
    if let Some(refused) = guard::cross_origin(app, req) {
        return refused;
    }
    let authorized = app
        .admin_token
        .as_deref()
        .is_none_or(|expected| presents(req, expected));
    if !authorized && !matches!(route, AdminRoute::Ui(_)) {
        return Reply::error(
            StatusCode::UNAUTHORIZED,
            "this simulator's admin API needs its token: send X-Admin-Token (or Authorization: Bearer)",
        )
        .with_header(header::WWW_AUTHENTICATE, "Bearer");
    }
    let methods = route.methods();
    if !methods.allows(&req.method) {
        return Reply::method_not_allowed(&req.method, req.path(), methods.allow());
    }
    let (get, post) = (req.method == Method::GET, req.method == Method::POST);
    match route {
        AdminRoute::Health => health(app),
        AdminRoute::Accounts if get => Reply::json(StatusCode::OK, &app.store.accounts()),
        AdminRoute::Accounts => create_account(app, req),
        AdminRoute::Account(aid) if get => show_account(app, aid),
        AdminRoute::Account(aid) => set_account_enabled(app, aid, req),
        AdminRoute::AccountForm(aid, form) => set_form_enabled(app, aid, form, req),
        AdminRoute::AccountLeads(aid) if get => list_leads(app, aid),
        AdminRoute::AccountLeads(aid) => seed_leads(app, aid, req),
        AdminRoute::Requests if get => read_journal(app, req).await,
        AdminRoute::Requests => {
            app.journal.clear();
            Reply::json(StatusCode::OK, &json!({"status": "cleared"}))
        }
        AdminRoute::Faults if get => {
            Reply::json(StatusCode::OK, &json!({"faults": app.faults.list()}))
        }
        AdminRoute::Faults if post => add_fault(app, req),
        AdminRoute::Faults => {
            app.faults.clear();
            Reply::json(StatusCode::OK, &json!({"status": "cleared"}))
        }
        AdminRoute::Fault(id) => clear_fault(app, id),
        AdminRoute::Reset => reset(app).await,
        AdminRoute::Divergences => Reply::json(StatusCode::OK, &json!({"modeled": MODELED})),
        AdminRoute::Ui(page) => dashboard::handle(app, page, req, authorized),
    }
}

fn health(app: &Services) -> Reply {
    let counts = app.store.counts();
    Reply::json(
        StatusCode::OK,
        &json!({"status": "ready", "accounts": counts.accounts, "leads": counts.leads, "phone_match": app.store.phone_match()}),
    )
}

fn show_account(app: &Services, aid: &str) -> Reply {
    match parse_id(aid) {
        Ok(aid) => match app.store.account(aid) {
            Some(a) => Reply::json(StatusCode::OK, &a),
            None => not_found(&format!("account {aid} not found")),
        },
        Err(r) => r,
    }
}

fn set_account_enabled(app: &Services, aid: &str, req: &Request) -> Reply {
    let (aid, body) = match (parse_id(aid), json_body::<EnabledBody>(req)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    if app.store.set_account_enabled(aid, body.enabled) {
        Reply::json(
            StatusCode::OK,
            &json!({"aid": aid, "enabled": body.enabled}),
        )
    } else {
        not_found(&format!("account {aid} not found"))
    }
}

fn create_account(app: &Services, req: &Request) -> Reply {
    let body = if req.body.iter().all(u8::is_ascii_whitespace) {
        NewAccountBody::default()
    } else {
        match json_body::<NewAccountBody>(req) {
            Ok(b) => b,
            Err(reply) => return reply,
        }
    };
    let created = app.store.create_account(body.name.as_deref());
    Reply::json(
        StatusCode::CREATED,
        &created.account_config(&app.base_url_for(req)),
    )
}

fn set_form_enabled(app: &Services, aid: &str, form: &str, req: &Request) -> Reply {
    let (aid, form, body) = match (parse_id(aid), parse_id(form), json_body::<FormBody>(req)) {
        (Ok(a), Ok(f), Ok(b)) => (a, f, b),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let settings = crate::store::FormSettings {
        enabled: body.enabled,
        reject_duplicates_secs: body.reject_duplicates_secs,
        phone_format: body.phone_format,
    };
    match app.store.configure_form(aid, form, settings) {
        Some(view) => Reply::json(
            StatusCode::OK,
            &json!({"aid": aid, "lm_form": form, "enabled": view.enabled,
                    "reject_duplicates_secs": view.reject_duplicates_secs,
                    "phone_format": view.phone_format}),
        ),
        None => not_found(&format!("account {aid} has no form {form}")),
    }
}

fn list_leads(app: &Services, aid: &str) -> Reply {
    match parse_id(aid) {
        Ok(aid) => match app.store.account_leads(aid) {
            Some(leads) => Reply::json(StatusCode::OK, &leads),
            None => not_found(&format!("account {aid} not found")),
        },
        Err(r) => r,
    }
}

fn seed_leads(app: &Services, aid: &str, req: &Request) -> Reply {
    let (aid, leads) = match (parse_id(aid), json_body::<Vec<SeedLead>>(req)) {
        (Ok(a), Ok(l)) => (a, l),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    match app.store.seed_leads(aid, leads) {
        Ok(lids) => Reply::json(StatusCode::CREATED, &json!({"lids": lids})),
        Err(refused) => Reply::error(StatusCode::UNPROCESSABLE_ENTITY, &refused.to_string()),
    }
}

/// A page of the journal. The page is picked under the journal's lock (shared
/// records, no copies); rendering and encoding it — megabytes of JSON for a page of
/// a full journal — happen on a blocking thread.
async fn read_journal(app: &Services, req: &Request) -> Reply {
    let (filter, pretty) = match journal_filter(req) {
        Ok(read) => read,
        Err(r) => return r,
    };
    let picked = app.journal.pick(&filter);
    off_the_runtime(move || {
        let page = picked.render();
        let body = match pretty {
            true => serde_json::to_vec_pretty(&page),
            false => serde_json::to_vec(&page),
        };
        match body {
            Ok(body) => Reply::json_body(body),
            Err(e) => Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot encode the journal: {e}"),
            ),
        }
    })
    .await
}

/// The query parameters `GET /__admin/requests` takes. Any other is refused, so
/// that a misspelt filter (`acount=`) is not silently ignored.
const JOURNAL_PARAMS: [&str; 7] = [
    "account",
    "path",
    "endpoint",
    "with_diagnostics",
    "since",
    "limit",
    "pretty",
];

/// The journal's query parameters that it does not take, with the nearest it does.
fn unknown_params<'a>(names: impl Iterator<Item = &'a str>) -> Option<String> {
    let unknown: Vec<String> = names
        .filter(|name| !JOURNAL_PARAMS.contains(name))
        .map(|name| {
            let nearest = JOURNAL_PARAMS
                .iter()
                .min_by_key(|known| strsim::levenshtein(name, known))
                .filter(|known| strsim::levenshtein(name, known) <= 2);
            match nearest {
                Some(known) => format!("'{name}' (did you mean {known}?)"),
                None => format!("'{name}'"),
            }
        })
        .collect();
    (!unknown.is_empty()).then(|| {
        format!(
            "unknown journal filter {}: the journal takes {}",
            unknown.join(", "),
            JOURNAL_PARAMS.join(", ")
        )
    })
}

/// Runs `work` on a blocking thread; a panic in it answers 500.
async fn off_the_runtime(work: impl FnOnce() -> Reply + Send + 'static) -> Reply {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the simulator failed to answer: {e}"),
        )
    })
}

fn add_fault(app: &Services, req: &Request) -> Reply {
    // The wire shape first (JSON that does not parse is a 400), then the typed spec
    // (a spec that parses but is refused is a 422).
    let spec = match json_body::<crate::faults::WireSpec>(req) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let exists = |aid| app.store.account(aid).is_some();
    match crate::faults::FaultSpec::try_from(spec).and_then(|s| app.faults.add(s, exists)) {
        Ok(id) => Reply::json(StatusCode::CREATED, &json!({"id": id})),
        Err(reason) => Reply::error(StatusCode::UNPROCESSABLE_ENTITY, &reason.to_string()),
    }
}

fn clear_fault(app: &Services, id: &str) -> Reply {
    match parse_id(id) {
        Ok(id) if app.faults.remove(id) => {
            Reply::json(StatusCode::OK, &json!({"status": "cleared", "id": id}))
        }
        Ok(id) => not_found(&format!("no fault {id}")),
        Err(r) => r,
    }
}

/// Back to the fixtures. Rebuilding them (read again from their files, with a
/// `--fixtures` dataset) happens on a blocking thread, and outside the store's lock.
async fn reset(app: &Services) -> Reply {
    let store = app.store.clone();
    let outcome = off_the_runtime(move || match store.reset() {
        Ok(()) => Reply::success(),
        Err(e) => Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the fixtures no longer load, so nothing was reset: {e}"),
        ),
    })
    .await;
    if outcome.status != StatusCode::OK {
        return outcome;
    }
    app.journal.clear();
    app.faults.clear();
    let counts = app.store.counts();
    Reply::json(
        StatusCode::OK,
        &json!({"status": "reset", "accounts": counts.accounts, "leads": counts.leads}),
    )
}

/// Whether the request carries the admin token: `X-Admin-Token: T`, or
/// `Authorization: Bearer T` with the scheme in any case (RFC 9110, 11.1), or the
/// dashboard's cookie.
pub(crate) fn presents(req: &Request, expected: &str) -> bool {
    let header_value = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let given = header_value("x-admin-token")
        .or_else(|| header_value("authorization").and_then(bearer_token));
    given.is_some_and(|g| g.trim() == expected)
        || guard::cookie_token(req).is_some_and(|c| c == expected)
}

/// The token of an `Authorization` value of the `Bearer` scheme, named in any case.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once([' ', '\t'])?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

fn parse_id(raw: &str) -> Result<u64, Reply> {
    raw.parse().map_err(|_| {
        Reply::error(
            StatusCode::BAD_REQUEST,
            &format!("'{raw}' is not a numeric id"),
        )
    })
}

fn not_found(message: &str) -> Reply {
    Reply::error(StatusCode::NOT_FOUND, message)
}

fn json_body<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, Reply> {
    serde_json::from_slice(&req.body)
        .map_err(|e| Reply::error(StatusCode::BAD_REQUEST, &format!("invalid JSON body: {e}")))
}

/// The journal filter a request asks for, and whether it asks for `pretty` JSON.
fn journal_filter(req: &Request) -> Result<(JournalFilter, bool), Reply> {
    let params = req
        .query_params()
        .map_err(|e| Reply::error(StatusCode::BAD_REQUEST, &e.to_string()))?;
    if let Some(message) = unknown_params(params.iter().map(|(name, _)| name)) {
        return Err(Reply::error(StatusCode::BAD_REQUEST, &message));
    }
    let number = |key: &str| -> Result<Option<u64>, Reply> {
        params
            .get(key)
            .map(|v| {
                v.parse().map_err(|_| {
                    Reply::error(StatusCode::BAD_REQUEST, &format!("{key} must be a number"))
                })
            })
            .transpose()
    };
    let endpoint = match params.get("endpoint").filter(|e| !e.is_empty()) {
        None => None,
        Some(name) => Some(
            crate::routes::Endpoint::ALL
                .into_iter()
                .find(|e| e.name() == name)
                .ok_or_else(|| {
                    Reply::error(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "unknown endpoint '{name}': submit, lookup, get, update or lead_page"
                        ),
                    )
                })?,
        ),
    };
    let with_diagnostics = match params.get("with_diagnostics") {
        None | Some("" | "0" | "false") => false,
        Some("1" | "true") => true,
        Some(_) => {
            return Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "with_diagnostics must be true or false",
            ));
        }
    };
    let filter = JournalFilter {
        account: number("account")?,
        path: params.get("path").map(str::to_owned),
        endpoint,
        with_diagnostics,
        since: number("since")?,
        limit: number("limit")?.map(|n| n as usize),
    };
    Ok((filter, params.get("pretty").is_some()))
}
