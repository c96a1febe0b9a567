//! The admin token, given once: the login form, and the cookie it becomes.

use super::{Nav, form_fields, guard, render, see_other};
use crate::reply::Reply;
use crate::request::Request;
use crate::server::Services;
use askama::Template;
use hyper::{StatusCode, header};

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage<'a> {
    nav: Nav,
    /// The page to go back to once the token is given.
    next: &'a str,
    problem: Option<&'a str>,
}

/// The login form, answered with `status` (401 in place of a page that needs the
/// token).
pub(super) fn form(app: &Services, next: &str, problem: Option<&str>, status: StatusCode) -> Reply {
    let page = LoginPage {
        nav: Nav {
            logout: false,
            ..Nav::new(app, "")
        },
        next: back_to(Some(next)),
        problem,
    };
    render(status, &page)
}

/// Checks the token the form gives; the right one becomes the cookie, and the
/// browser goes back to the page it asked for.
pub(super) fn login(app: &Services, req: &Request) -> Reply {
    let fields = match form_fields(req) {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let next = back_to(fields.get("next"));
    let Some(expected) = app.admin_token.as_deref() else {
        return see_other(next);
    };
    match fields.get("token").map(str::trim) {
        Some(given) if given == expected => {
            see_other(next).with_header(header::SET_COOKIE, guard::keep_token(expected))
        }
        _ => form(
            app,
            next,
            Some("That is not this simulator's admin token."),
            StatusCode::UNAUTHORIZED,
        ),
    }
}

/// Forgets the cookie.
pub(super) fn logout() -> Reply {
    see_other("/").with_header(header::SET_COOKIE, guard::forget_token())
}

/// A dashboard page to go back to: only one of ours, so the form cannot send the
/// browser elsewhere.
fn back_to(next: Option<&str>) -> &str {
    next.filter(|n| {
        n.starts_with("/__admin/ui")
            && !n.contains("//")
            && !n.contains('\\')
            && n.bytes().all(|b| b.is_ascii_graphic())
    })
    .unwrap_or("/__admin/ui")
}
