//! The one route table: every path the simulator serves, the methods each takes,
//! and whether faults can strike it. Dispatch, the 405 answer and its `Allow`
//! header, and the fault layer's endpoint all read it; nothing else names a path or
//! a method.

mod unmatched;

pub(crate) use unmatched::unmatched;

use hyper::Method;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A Lead.IM endpoint the simulator serves. One name each — `submit`, `lookup`,
/// `get`, `update`, `lead_page` — in types, the journal, faults, the suite and the
/// docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Create a lead: `/v2/submit`.
    Submit,
    /// Look leads up by phone: `leads_get.ashx`.
    Lookup,
    /// One lead by id: `lead_get.ashx`.
    Get,
    /// Update a lead: `lead_update.ashx`.
    Update,
    /// The lead's page in the UI: `/a/{aid}/leads/{lid}`.
    LeadPage,
}

impl Endpoint {
    /// Every endpoint, in the contract's order.
    pub const ALL: [Endpoint; 5] = [
        Endpoint::Submit,
        Endpoint::Lookup,
        Endpoint::Get,
        Endpoint::Update,
        Endpoint::LeadPage,
    ];

    /// Its name: `submit`, `lookup`, `get`, `update`, `lead_page`.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Submit => "submit",
            Endpoint::Lookup => "lookup",
            Endpoint::Get => "get",
            Endpoint::Update => "update",
            Endpoint::LeadPage => "lead_page",
        }
    }

    /// Whether injected faults can strike it (the lead page stands for the UI, not
    /// the API, so it is never faulted).
    pub fn faultable(self) -> bool {
        self != Endpoint::LeadPage
    }
}

/// Which door of an endpoint a request came through, when it has several: the
/// `submit` endpoint is `/v2/submit`, the browser's `submit.cors.v2.ashx`, and the
/// legacy `/v1/submit`; `update` is `…/api/lead_update.ashx` and the short
/// `…/lead_update.ashx` PHP forms post to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Door {
    /// `/v2/submit`: JSON or a redirect.
    V2,
    /// `/apiproxy/global/submit.cors.v2.ashx`: always JSON, CORS.
    Cors,
    /// `/v1/submit`: the lead id or a negative code, as text.
    V1,
    /// `/apiproxy/{aid}/api/…`.
    Api,
    /// `/apiproxy/{aid}/lead_update.ashx`, without `/api/`.
    Short,
    /// `/a/{aid}/leads/{lid}`.
    Ui,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The methods a route takes, and the `Allow` header that lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Methods {
    list: &'static [&'static str],
    allow: &'static str,
}

impl Methods {
    const fn of(list: &'static [&'static str], allow: &'static str) -> Methods {
        Methods { list, allow }
    }

    pub fn allows(&self, method: &Method) -> bool {
        self.list.contains(&method.as_str())
    }

    /// The `Allow` header's value.
    pub fn allow(&self) -> &'static str {
        self.allow
    }
}

const GET: Methods = Methods::of(&["GET"], "GET");
/// The proxy's GET endpoints, with the browser's CORS preflight.
const GET_PREFLIGHT: Methods = Methods::of(&["GET", "OPTIONS"], "GET, OPTIONS");
/// The proxy's POST endpoints, with the browser's CORS preflight.
const POST_PREFLIGHT: Methods = Methods::of(&["POST", "OPTIONS"], "POST, OPTIONS");
const POST: Methods = Methods::of(&["POST"], "POST");
const PATCH: Methods = Methods::of(&["PATCH"], "PATCH");
const DELETE: Methods = Methods::of(&["DELETE"], "DELETE");
const GET_POST: Methods = Methods::of(&["GET", "POST"], "GET, POST");
const GET_PATCH: Methods = Methods::of(&["GET", "PATCH"], "GET, PATCH");
const GET_DELETE: Methods = Methods::of(&["GET", "DELETE"], "GET, DELETE");
const GET_POST_DELETE: Methods = Methods::of(&["GET", "POST", "DELETE"], "GET, POST, DELETE");

/// One segment of a path pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    /// This text.
    Is(&'static str),
    /// The account id, as sent (the handler answers a malformed one).
    Aid,
    /// The lead id, as sent.
    Lid,
}

use Segment::{Aid, Is, Lid};

/// A row of the API's route table.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ApiRow {
    endpoint: Endpoint,
    door: Door,
    path: &'static [Segment],
    /// `/apiproxy/` paths match case-insensitively (real clients spell them both
    /// `apiproxy` and `APIProxy`), and answer browsers: the CORS preflight, and
    /// `Access-Control-Allow-Origin` on every answer.
    proxy: bool,
    methods: Methods,
}

/// The simulated Lead.IM API, in the order of `docs/contract.md`.
const API_ROUTES: &[ApiRow] = &[
    ApiRow {
        endpoint: Endpoint::Submit,
        door: Door::V2,
        path: &[Is("v2"), Is("submit")],
        proxy: false,
        methods: GET_POST,
    },
    ApiRow {
        endpoint: Endpoint::Submit,
        door: Door::Cors,
        path: &[Is("apiproxy"), Is("global"), Is("submit.cors.v2.ashx")],
        proxy: true,
        methods: POST_PREFLIGHT,
    },
    ApiRow {
        endpoint: Endpoint::Submit,
        door: Door::V1,
        path: &[Is("v1"), Is("submit")],
        proxy: false,
        methods: GET_POST,
    },
    ApiRow {
        endpoint: Endpoint::Lookup,
        door: Door::Api,
        path: &[Is("apiproxy"), Aid, Is("api"), Is("leads_get.ashx")],
        proxy: true,
        methods: GET_PREFLIGHT,
    },
    ApiRow {
        endpoint: Endpoint::Get,
        door: Door::Api,
        path: &[Is("apiproxy"), Aid, Is("api"), Is("lead_get.ashx")],
        proxy: true,
        methods: GET_PREFLIGHT,
    },
    ApiRow {
        endpoint: Endpoint::Update,
        door: Door::Api,
        path: &[Is("apiproxy"), Aid, Is("api"), Is("lead_update.ashx")],
        proxy: true,
        methods: POST_PREFLIGHT,
    },
    ApiRow {
        endpoint: Endpoint::Update,
        door: Door::Short,
        path: &[Is("apiproxy"), Aid, Is("lead_update.ashx")],
        proxy: true,
        methods: POST_PREFLIGHT,
    },
    ApiRow {
        endpoint: Endpoint::LeadPage,
        door: Door::Ui,
        path: &[Is("a"), Aid, Is("leads"), Lid],
        proxy: false,
        methods: GET,
    },
];

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// A Lead.IM endpoint.
    Api(ApiRoute<'a>),
    /// `/__admin/...`.
    Admin(AdminRoute<'a>),
    /// Anything else.
    NotFound,
}

/// A request for a Lead.IM endpoint. Path segments stay borrowed and unparsed: a
/// malformed id is the handler's to answer, with the envelope the endpoint uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ApiRoute<'a> {
    pub endpoint: Endpoint,
    pub door: Door,
    row: &'static ApiRow,
    /// The `{aid}` segment (empty for `/v2/submit`).
    pub aid: &'a str,
    /// The `{lid}` segment (the lead page's only).
    pub lid: &'a str,
}

impl<'a> ApiRoute<'a> {
    fn of(row: &'static ApiRow) -> ApiRoute<'a> {
        ApiRoute {
            endpoint: row.endpoint,
            door: row.door,
            row,
            aid: "",
            lid: "",
        }
    }

    /// Whether this door takes `method` (a proxy door takes the CORS preflight).
    pub fn allows(&self, method: &Method) -> bool {
        self.row.methods.allows(method)
    }

    /// The methods this door takes, as an `Allow` header lists them.
    pub fn allow(&self) -> &'static str {
        self.row.methods.allow()
    }

    /// Whether it is the proxy's (`/apiproxy/`): it answers browsers' CORS.
    pub fn is_proxy(&self) -> bool {
        self.row.proxy
    }

    /// A browser's CORS preflight of a proxy door.
    pub fn is_preflight(&self, method: &Method) -> bool {
        self.row.proxy && method == Method::OPTIONS
    }
}

/// The simulator's own admin surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminRoute<'a> {
    /// `/__admin/health`.
    Health,
    /// `/__admin/accounts`.
    Accounts,
    /// `/__admin/accounts/{aid}`.
    Account(&'a str),
    /// `/__admin/accounts/{aid}/leads`.
    AccountLeads(&'a str),
    /// `/__admin/accounts/{aid}/forms/{form}`.
    AccountForm(&'a str, &'a str),
    /// `/__admin/requests`.
    Requests,
    /// `/__admin/reset`.
    Reset,
    /// `/__admin/divergences`.
    Divergences,
    /// `/__admin/faults`.
    Faults,
    /// `/__admin/faults/{id}`.
    Fault(&'a str),
}

impl AdminRoute<'_> {
    /// The methods this admin route takes.
    pub fn methods(&self) -> Methods {
        match self {
            AdminRoute::Health | AdminRoute::Divergences => GET,
            AdminRoute::Accounts | AdminRoute::AccountLeads(_) => GET_POST,
            AdminRoute::Account(_) => GET_PATCH,
            AdminRoute::AccountForm(..) => PATCH,
            AdminRoute::Requests => GET_DELETE,
            AdminRoute::Faults => GET_POST_DELETE,
            AdminRoute::Fault(_) => DELETE,
            AdminRoute::Reset => POST,
        }
    }
}

impl Route<'_> {
    /// Whether this route is part of the simulated Lead.IM API (journaled), rather
    /// than the admin surface.
    pub fn is_api(&self) -> bool {
        !matches!(self, Route::Admin(_))
    }

    /// The endpoint a fault may strike: a faultable endpoint asked with a method it
    /// takes (a request answered 405 does not use up a fault).
    pub fn fault_endpoint(&self, method: &Method) -> Option<Endpoint> {
        match self {
            Route::Api(api)
                if api.endpoint.faultable() && api.allows(method) && !api.is_preflight(method) =>
            {
                Some(api.endpoint)
            }
            _ => None,
        }
    }
}

/// Most segments a served path has (`/__admin/accounts/{aid}/forms/{form}`).
const MAX_SEGMENTS: usize = 5;

/// Maps a path to its route; a trailing `/` is ignored.
pub(crate) fn route(path: &str) -> Route<'_> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let Some(segments) = split(trimmed) else {
        return Route::NotFound;
    };
    let segments = &segments.list[..segments.len];
    if let Some(api) = API_ROUTES.iter().find_map(|row| matches(row, segments)) {
        return Route::Api(api);
    }
    match segments {
        ["__admin", first, rest @ ..] => admin(first, rest),
        _ => Route::NotFound,
    }
}

/// A path's segments.
struct Segments<'a> {
    list: [&'a str; MAX_SEGMENTS],
    len: usize,
}

/// Splits `/a/b/c` by a byte scan (this runs on every request, and the generic
/// `str::split` costs several times more here); `None` for a path that is not
/// absolute or has more segments than any route.
fn split(path: &str) -> Option<Segments<'_>> {
    let mut rest = path.strip_prefix('/')?;
    let mut segments = Segments {
        list: [""; MAX_SEGMENTS],
        len: 0,
    };
    loop {
        if segments.len == MAX_SEGMENTS {
            return None;
        }
        match rest.bytes().position(|b| b == b'/') {
            Some(i) => {
                segments.list[segments.len] = &rest[..i];
                segments.len += 1;
                rest = &rest[i + 1..];
            }
            None => {
                segments.list[segments.len] = rest;
                segments.len += 1;
                return Some(segments);
            }
        }
    }
}

fn matches<'a>(row: &'static ApiRow, segments: &[&'a str]) -> Option<ApiRoute<'a>> {
    if row.path.len() != segments.len() {
        return None;
    }
    let mut found = ApiRoute::of(row);
    for (pattern, segment) in row.path.iter().zip(segments) {
        match pattern {
            Is(text) if row.proxy && text.eq_ignore_ascii_case(segment) => {}
            Is(text) if text == segment => {}
            Is(_) => return None,
            Aid => found.aid = segment,
            Lid => found.lid = segment,
        }
    }
    Some(found)
}

fn admin<'a>(first: &'a str, rest: &[&'a str]) -> Route<'a> {
    let r = match (first, rest) {
        ("health", []) => AdminRoute::Health,
        ("accounts", []) => AdminRoute::Accounts,
        ("accounts", [aid]) => AdminRoute::Account(aid),
        ("accounts", [aid, "leads"]) => AdminRoute::AccountLeads(aid),
        ("accounts", [aid, "forms", form]) => AdminRoute::AccountForm(aid, form),
        ("requests", []) => AdminRoute::Requests,
        ("reset", []) => AdminRoute::Reset,
        ("divergences", []) => AdminRoute::Divergences,
        ("faults", []) => AdminRoute::Faults,
        ("faults", [id]) => AdminRoute::Fault(id),
        _ => return Route::NotFound,
    };
    Route::Admin(r)
}

#[cfg(test)]
mod tests;
