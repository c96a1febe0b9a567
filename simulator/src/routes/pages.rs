//! The simulator's own pages in the route table: `/` and what it links to, and the
//! dashboard's pages and actions under `/__admin/ui`.

use super::{GET, GET_POST, Methods, POST};

/// A page of the simulator's own outside `/__admin/`: nothing secret in it once an
/// admin token is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PublicPage<'a> {
    /// `/`: what this is, a crmConfig to copy, links to the dashboard and the docs.
    Index,
    /// `/assets/{name}`: the dashboard's style sheet and script.
    Asset(&'a str),
    /// `/docs/{name}`: the contract and the adapter protocol, as text.
    Doc(&'a str),
    /// `/favicon.ico`, which browsers ask for by themselves: no icon, and no
    /// journal entry.
    Favicon,
}

/// A page or an action of the dashboard, `/__admin/ui/…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UiRoute<'a> {
    /// `/__admin/ui` and `/__admin/ui/accounts`: the accounts (POST creates one).
    Accounts,
    /// `/__admin/ui/accounts/{aid}`: an account's leads.
    Leads(&'a str),
    /// `/__admin/ui/journal`: the live journal.
    Journal,
    /// `/__admin/ui/faults`: the faults (POST adds one).
    Faults,
    /// `/__admin/ui/faults/clear`: clears one fault (`id`) or all.
    ClearFaults,
    /// `/__admin/ui/login`: the admin token, given once, becomes a cookie.
    Login,
    /// `/__admin/ui/logout`: forgets the cookie.
    Logout,
}

impl UiRoute<'_> {
    /// The methods this page takes.
    pub fn methods(&self) -> Methods {
        match self {
            UiRoute::Accounts | UiRoute::Faults | UiRoute::Login => GET_POST,
            UiRoute::Leads(_) | UiRoute::Journal => GET,
            UiRoute::ClearFaults | UiRoute::Logout => POST,
        }
    }
}

/// The dashboard page of the segments after `/__admin/ui`.
pub(super) fn ui<'a>(rest: &[&'a str]) -> Option<UiRoute<'a>> {
    Some(match rest {
        [] | ["accounts"] => UiRoute::Accounts,
        ["accounts", aid] => UiRoute::Leads(aid),
        ["journal"] => UiRoute::Journal,
        ["faults"] => UiRoute::Faults,
        ["faults", "clear"] => UiRoute::ClearFaults,
        ["login"] => UiRoute::Login,
        ["logout"] => UiRoute::Logout,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{AdminRoute, Route, route};
    use super::*;

    #[test]
    fn pages_and_the_dashboard() {
        assert_eq!(route("/"), Route::Page(PublicPage::Index));
        assert_eq!(
            route("/assets/dashboard.css"),
            Route::Page(PublicPage::Asset("dashboard.css"))
        );
        assert_eq!(route("/favicon.ico"), Route::Page(PublicPage::Favicon));
        assert!(!route("/").is_api());
        let ui = |page| Route::Admin(AdminRoute::Ui(page));
        assert_eq!(route("/__admin/ui"), ui(UiRoute::Accounts));
        assert_eq!(route("/__admin/ui/"), ui(UiRoute::Accounts));
        assert_eq!(
            route("/__admin/ui/accounts/3305"),
            ui(UiRoute::Leads("3305"))
        );
        assert_eq!(route("/__admin/ui/faults/clear"), ui(UiRoute::ClearFaults));
        for other in [
            "//",
            "/assets",
            "/assets/a/b",
            "/__admin/ui/nope",
            "/__admin/ui/accounts/1/x",
        ] {
            assert_eq!(route(other), Route::NotFound, "{other}");
        }
    }
}
