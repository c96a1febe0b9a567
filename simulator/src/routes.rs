//! The one route table: a path becomes a [`Route`]; methods are checked by the
//! dispatcher, so a known path with the wrong method gets 405 rather than 404.

/// Where a request goes. Path segments stay borrowed and unparsed: a malformed id
/// is the handler's to answer, with the envelope the endpoint uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `/v2/submit`.
    Submit,
    /// `/apiproxy/{aid}/api/leads_get.ashx`.
    LeadsGet(&'a str),
    /// `/apiproxy/{aid}/api/lead_get.ashx`.
    LeadGet(&'a str),
    /// `/apiproxy/{aid}/api/lead_update.ashx`.
    LeadUpdate(&'a str),
    /// `/a/{aid}/leads/{lid}`.
    LeadPage {
        /// Account id segment.
        aid: &'a str,
        /// Lead id segment.
        lid: &'a str,
    },
    /// `/__admin/...`.
    Admin(AdminRoute<'a>),
    /// Anything else.
    NotFound,
}

/// The simulator's own admin surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRoute<'a> {
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

impl Route<'_> {
    /// Whether this route is part of the simulated Lead.IM API (journaled), rather
    /// than the admin surface.
    pub fn is_api(&self) -> bool {
        !matches!(self, Route::Admin(_))
    }
}

/// Maps a path to its route. `/apiproxy/` paths match case-insensitively, as real
/// clients spell them both `apiproxy` and `APIProxy`.
pub fn route(path: &str) -> Route<'_> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    // The API's own paths first: they are nearly every request.
    if trimmed == "/v2/submit" {
        return Route::Submit;
    }
    proxy_route(trimmed).unwrap_or_else(|| split_route(trimmed))
}

/// Any path, split into segments and matched whole.
fn split_route(trimmed: &str) -> Route<'_> {
    let Some(mut rest) = trimmed.strip_prefix('/') else {
        return Route::NotFound;
    };
    // Up to six segments, split by a byte scan: this runs on every request, and the
    // generic `str::split` costs several times more here.
    let mut parts: [Option<&str>; 6] = [None; 6];
    let mut ended = false;
    for slot in &mut parts {
        match rest.bytes().position(|b| b == b'/') {
            Some(i) => {
                *slot = Some(&rest[..i]);
                rest = &rest[i + 1..];
            }
            None => {
                *slot = Some(rest);
                ended = true;
                break;
            }
        }
    }
    if !ended {
        return Route::NotFound;
    }
    let eq = |a: Option<&str>, b: &str| a.is_some_and(|a| a.eq_ignore_ascii_case(b));
    match parts {
        [Some("v2"), Some("submit"), None, ..] => Route::Submit,
        [p, Some(aid), api, Some(file), None, _] if eq(p, "apiproxy") && eq(api, "api") => {
            if file.eq_ignore_ascii_case("leads_get.ashx") {
                Route::LeadsGet(aid)
            } else if file.eq_ignore_ascii_case("lead_get.ashx") {
                Route::LeadGet(aid)
            } else if file.eq_ignore_ascii_case("lead_update.ashx") {
                Route::LeadUpdate(aid)
            } else {
                Route::NotFound
            }
        }
        [Some("a"), Some(aid), Some("leads"), Some(lid), None, _] => Route::LeadPage { aid, lid },
        [Some("__admin"), Some(rest), a, b, c, d] => admin(rest, [a, b, c, d]),
        _ => Route::NotFound,
    }
}

/// `/apiproxy/{aid}/api/{file}`, matched by prefix; `None` leaves any other path
/// (a wrong file included) to the general splitter.
fn proxy_route(path: &str) -> Option<Route<'_>> {
    let starts = |s: &str, prefix: &str| {
        s.len() >= prefix.len()
            && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    const PROXY: &str = "/apiproxy/";
    const API: &str = "api/";
    if !starts(path, PROXY) {
        return None;
    }
    let rest = &path[PROXY.len()..];
    let (aid, tail) = rest.split_at(rest.find('/')?);
    let tail = &tail[1..];
    if !starts(tail, API) {
        return None;
    }
    let file = &tail[API.len()..];
    if file.eq_ignore_ascii_case("leads_get.ashx") {
        Some(Route::LeadsGet(aid))
    } else if file.eq_ignore_ascii_case("lead_update.ashx") {
        Some(Route::LeadUpdate(aid))
    } else if file.eq_ignore_ascii_case("lead_get.ashx") {
        Some(Route::LeadGet(aid))
    } else {
        None
    }
}

fn admin<'a>(first: &'a str, rest: [Option<&'a str>; 4]) -> Route<'a> {
    let r = match (first, rest) {
        ("health", [None, ..]) => AdminRoute::Health,
        ("accounts", [None, ..]) => AdminRoute::Accounts,
        ("accounts", [Some(aid), None, ..]) => AdminRoute::Account(aid),
        ("accounts", [Some(aid), Some("leads"), None, _]) => AdminRoute::AccountLeads(aid),
        ("accounts", [Some(aid), Some("forms"), Some(form), None]) => {
            AdminRoute::AccountForm(aid, form)
        }
        ("requests", [None, ..]) => AdminRoute::Requests,
        ("reset", [None, ..]) => AdminRoute::Reset,
        ("divergences", [None, ..]) => AdminRoute::Divergences,
        ("faults", [None, ..]) => AdminRoute::Faults,
        ("faults", [Some(id), None, ..]) => AdminRoute::Fault(id),
        _ => return Route::NotFound,
    };
    Route::Admin(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths() {
        assert_eq!(route("/v2/submit"), Route::Submit);
        assert_eq!(route("/v2/submit/"), Route::Submit);
        assert_eq!(
            route("/apiproxy/3305/api/leads_get.ashx"),
            Route::LeadsGet("3305")
        );
        assert_eq!(
            route("/APIProxy/3305/API/Lead_Update.ashx"),
            Route::LeadUpdate("3305")
        );
        assert_eq!(route("/apiproxy/x/api/lead_get.ashx"), Route::LeadGet("x"));
        assert_eq!(
            route("/a/3305/leads/100017"),
            Route::LeadPage {
                aid: "3305",
                lid: "100017"
            }
        );
    }

    #[test]
    fn admin_paths() {
        assert_eq!(route("/__admin/health"), Route::Admin(AdminRoute::Health));
        assert_eq!(
            route("/__admin/accounts/9001/leads"),
            Route::Admin(AdminRoute::AccountLeads("9001"))
        );
        assert_eq!(
            route("/__admin/accounts/9001/forms/90001"),
            Route::Admin(AdminRoute::AccountForm("9001", "90001"))
        );
    }

    #[test]
    fn the_fast_paths_agree_with_the_splitter() {
        for p in [
            "/v2/submit",
            "/apiproxy/3305/api/leads_get.ashx",
            "/ApiProxy/3305/Api/LEADS_GET.ASHX",
            "/apiproxy//api/lead_get.ashx",
            "/APIPROXY/3305/API/lead_update.ashx",
            "/apiproxy/3305/api/other.ashx",
            "/apiproxy/3305/apix/leads_get.ashx",
            "/apiproxy/3305/api/leads_get.ashx/x",
            "/apiproxy/3305/x/api/leads_get.ashx",
            "/apiproxy/3305",
            "/apiproxy/",
            "/apiproxyx/3305/api/leads_get.ashx",
        ] {
            assert_eq!(route(p), split_route(p), "{p}");
        }
    }

    #[test]
    fn everything_else_is_not_found() {
        for p in [
            "",
            "/",
            "v2/submit",
            "/v2/submit/x",
            "/apiproxy/3305/api/other.ashx",
            "/apiproxy/3305/api/leads_get.ashx/x",
            "/../etc/passwd",
            "/a/1/leads/2/3/4/5/6",
            "/apiproxy/3305/api/leads_get.ashx/a/b",
            "/__admin/accounts/1/forms/2/x",
            "/__admin/nope",
        ] {
            assert_eq!(route(p), Route::NotFound, "{p}");
        }
    }
}
