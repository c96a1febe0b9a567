use super::*;

/// The endpoint, door and path segments a path routes to.
fn api(path: &str) -> (Endpoint, Door, &str, &str) {
    match route(path) {
        Route::Api(a) => (a.endpoint, a.door, a.aid, a.lid),
        other => panic!("{path} routes to {other:?}"),
    }
}

#[test]
fn api_paths() {
    use Endpoint::*;
    assert_eq!(api("/v2/submit"), (Submit, Door::V2, "", ""));
    assert_eq!(api("/v2/submit/"), (Submit, Door::V2, "", ""));
    assert_eq!(api("/v1/submit"), (Submit, Door::V1, "", ""));
    assert_eq!(
        api("/APIProxy/global/Submit.Cors.V2.ashx"),
        (Submit, Door::Cors, "", "")
    );
    assert_eq!(
        api("/apiproxy/3305/api/leads_get.ashx"),
        (Lookup, Door::Api, "3305", "")
    );
    assert_eq!(
        api("/APIProxy/3305/API/Lead_Update.ashx"),
        (Update, Door::Api, "3305", "")
    );
    assert_eq!(
        api("/apiproxy/3305/lead_update.ashx"),
        (Update, Door::Short, "3305", "")
    );
    assert_eq!(
        api("/apiproxy/x/api/lead_get.ashx"),
        (Get, Door::Api, "x", "")
    );
    assert_eq!(
        api("/apiproxy//api/lead_get.ashx"),
        (Get, Door::Api, "", "")
    );
    assert_eq!(
        api("/a/3305/leads/117000017"),
        (LeadPage, Door::Ui, "3305", "117000017")
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
fn everything_else_is_not_found() {
    for p in [
        "",
        "v2/submit",
        "/v2/submit/x",
        "/V2/Submit",
        "/v3/submit",
        "/A/3305/leads/1",
        "/apiproxy/3305/api/other.ashx",
        "/apiproxy/3305/apix/leads_get.ashx",
        "/apiproxy/3305/api/leads_get.ashx/x",
        "/apiproxy/3305/x/api/leads_get.ashx",
        "/apiproxyx/3305/api/leads_get.ashx",
        "/apiproxy/3305/leads_get.ashx",
        "/apiproxy/global/submit.ashx",
        "/apiproxy/3305",
        "/apiproxy/",
        "/../etc/passwd",
        "/a/1/leads/2/3/4/5/6",
        "/apiproxy/3305/api/leads_get.ashx/a/b",
        "/__admin/accounts/1/forms/2/x",
        "/__admin/nope",
    ] {
        assert_eq!(route(p), Route::NotFound, "{p}");
    }
}

#[test]
fn the_allow_header_lists_exactly_the_methods_taken() {
    let all = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"];
    for row in API_ROUTES {
        let door = ApiRoute::of(row);
        let taken: Vec<&str> = all
            .into_iter()
            .filter(|m| door.allows(&Method::from_bytes(m.as_bytes()).unwrap()))
            .collect();
        assert_eq!(door.allow(), taken.join(", "), "{:?}", row.door);
        assert_eq!(
            door.is_proxy(),
            taken.contains(&"OPTIONS"),
            "{:?}",
            row.door
        );
    }
}

#[test]
fn faults_strike_the_api_with_its_methods_only() {
    let lookup = route("/apiproxy/1/api/leads_get.ashx");
    assert_eq!(lookup.fault_endpoint(&Method::GET), Some(Endpoint::Lookup));
    assert_eq!(lookup.fault_endpoint(&Method::POST), None);
    assert_eq!(
        lookup.fault_endpoint(&Method::OPTIONS),
        None,
        "never a preflight"
    );
    let cors = route("/apiproxy/global/submit.cors.v2.ashx");
    assert_eq!(cors.fault_endpoint(&Method::POST), Some(Endpoint::Submit));
    assert_eq!(route("/a/1/leads/2").fault_endpoint(&Method::GET), None);
    assert_eq!(route("/__admin/health").fault_endpoint(&Method::GET), None);
}
