//! The simulator's own admin surface under `/__admin/`. It calls the same store and
//! journal functions as the in-process handle: one behaviour, two doors. Being ours,
//! it answers with real HTTP statuses.

use crate::contract::MODELED;
use crate::journal::JournalFilter;
use crate::reply::Reply;
use crate::request::Request;
use crate::routes::AdminRoute;
use crate::server::App;
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

/// Handles one admin request.
pub(crate) async fn handle(app: &App, route: AdminRoute<'_>, req: &Request) -> Reply {
    if let Some(expected) = &app.admin_token
        && !presents(req, expected)
    {
        return Reply::error(
            StatusCode::UNAUTHORIZED,
            "this simulator's admin API needs its token: send X-Admin-Token (or Authorization: Bearer)",
        )
        .with_header(header::WWW_AUTHENTICATE, "Bearer");
    }
    let m = &req.method;
    match route {
        AdminRoute::Health if m == Method::GET => {
            let (accounts, leads) = app.store.counts();
            Reply::json(
                StatusCode::OK,
                &json!({"status": "ready", "accounts": accounts, "leads": leads, "phone_match": app.store.phone_match()}),
            )
        }
        AdminRoute::Accounts if m == Method::GET => {
            Reply::json(StatusCode::OK, &app.store.accounts())
        }
        AdminRoute::Accounts if m == Method::POST => {
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
                &created.crm_config(&app.base_url_for(req)),
            )
        }
        AdminRoute::Account(aid) if m == Method::GET => match parse_id(aid) {
            Ok(aid) => match app.store.account(aid) {
                Some(a) => Reply::json(StatusCode::OK, &a),
                None => not_found(format!("account {aid} not found")),
            },
            Err(r) => r,
        },
        AdminRoute::Account(aid) if m == Method::PATCH => {
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
                not_found(format!("account {aid} not found"))
            }
        }
        AdminRoute::AccountForm(aid, form) if m == Method::PATCH => {
            let (aid, form, body) =
                match (parse_id(aid), parse_id(form), json_body::<EnabledBody>(req)) {
                    (Ok(a), Ok(f), Ok(b)) => (a, f, b),
                    (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
                };
            if app.store.set_form_enabled(aid, form, body.enabled) {
                Reply::json(
                    StatusCode::OK,
                    &json!({"aid": aid, "lm_form": form, "enabled": body.enabled}),
                )
            } else {
                not_found(format!("account {aid} has no form {form}"))
            }
        }
        AdminRoute::AccountLeads(aid) if m == Method::GET => match parse_id(aid) {
            Ok(aid) => match app.store.account_leads(aid) {
                Some(leads) => Reply::json(StatusCode::OK, &leads),
                None => not_found(format!("account {aid} not found")),
            },
            Err(r) => r,
        },
        AdminRoute::AccountLeads(aid) if m == Method::POST => {
            let (aid, leads) = match (parse_id(aid), json_body::<Vec<SeedLead>>(req)) {
                (Ok(a), Ok(l)) => (a, l),
                (Err(r), _) | (_, Err(r)) => return r,
            };
            match app.store.seed_leads(aid, leads) {
                Ok(lids) => Reply::json(StatusCode::CREATED, &json!({"lids": lids})),
                Err(reason) => Reply::error(StatusCode::UNPROCESSABLE_ENTITY, &reason),
            }
        }
        AdminRoute::Requests if m == Method::GET => match journal_filter(req) {
            Ok(filter) => Reply::json(StatusCode::OK, &app.journal.read(&filter)),
            Err(r) => r,
        },
        AdminRoute::Requests if m == Method::DELETE => {
            app.journal.clear();
            Reply::json(StatusCode::OK, &json!({"status": "cleared"}))
        }
        AdminRoute::Faults if m == Method::GET => {
            Reply::json(StatusCode::OK, &json!({"faults": app.faults.list()}))
        }
        AdminRoute::Faults if m == Method::POST => {
            let spec = match json_body::<crate::faults::WireSpec>(req) {
                Ok(s) => s,
                Err(r) => return r,
            };
            match crate::faults::FaultSpec::try_from(spec).and_then(|s| app.faults.add(s)) {
                Ok(id) => Reply::json(StatusCode::CREATED, &json!({"id": id})),
                Err(reason) => Reply::error(StatusCode::UNPROCESSABLE_ENTITY, &reason.to_string()),
            }
        }
        AdminRoute::Faults if m == Method::DELETE => {
            app.faults.clear();
            Reply::json(StatusCode::OK, &json!({"status": "cleared"}))
        }
        AdminRoute::Fault(id) if m == Method::DELETE => match parse_id(id) {
            Ok(id) if app.faults.remove(id) => {
                Reply::json(StatusCode::OK, &json!({"status": "cleared", "id": id}))
            }
            Ok(id) => not_found(format!("no fault {id}")),
            Err(r) => r,
        },
        AdminRoute::Reset if m == Method::POST => {
            if let Err(e) = app.store.reset() {
                return Reply::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("the fixtures no longer load, so nothing was reset: {e}"),
                );
            }
            app.journal.clear();
            app.faults.clear();
            let (accounts, leads) = app.store.counts();
            Reply::json(
                StatusCode::OK,
                &json!({"status": "reset", "accounts": accounts, "leads": leads}),
            )
        }
        AdminRoute::Divergences if m == Method::GET => {
            Reply::json(StatusCode::OK, &json!({"modeled": MODELED}))
        }
        _ => {
            let allow = match route {
                AdminRoute::Accounts => "GET, POST",
                AdminRoute::Account(_) => "GET, PATCH",
                AdminRoute::AccountForm(..) => "PATCH",
                AdminRoute::AccountLeads(_) => "GET, POST",
                AdminRoute::Requests => "GET, DELETE",
                AdminRoute::Faults => "GET, POST, DELETE",
                AdminRoute::Fault(_) => "DELETE",
                AdminRoute::Reset => "POST",
                _ => "GET",
            };
            Reply::method_not_allowed(&req.method, req.path(), allow)
        }
    }
}

/// Whether the request carries the admin token.
fn presents(req: &Request, expected: &str) -> bool {
    let header_value = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let given = header_value("x-admin-token")
        .or_else(|| header_value("authorization").and_then(|v| v.strip_prefix("Bearer ")));
    given.is_some_and(|g| g.trim() == expected)
}

fn parse_id(raw: &str) -> Result<u64, Reply> {
    raw.parse().map_err(|_| {
        Reply::error(
            StatusCode::BAD_REQUEST,
            &format!("'{raw}' is not a numeric id"),
        )
    })
}

fn not_found(message: String) -> Reply {
    Reply::error(StatusCode::NOT_FOUND, &message)
}

fn json_body<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, Reply> {
    serde_json::from_slice(&req.body)
        .map_err(|e| Reply::error(StatusCode::BAD_REQUEST, &format!("invalid JSON body: {e}")))
}

fn journal_filter(req: &Request) -> Result<JournalFilter, Reply> {
    let params = req
        .query_params()
        .map_err(|e| Reply::error(StatusCode::BAD_REQUEST, &e.to_string()))?;
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
    Ok(JournalFilter {
        account: number("account")?,
        path: params.get("path").map(str::to_owned),
        since: number("since")?,
        limit: number("limit")?.map(|n| n as usize),
    })
}
