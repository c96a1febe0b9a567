//! Pages of the state, for the dashboard: a page of accounts, a page of an
//! account's leads. Each takes the lock for one page's worth of work (a million
//! leads in one account cost no more than ten), and never copies a whole account.

use super::Store;
use crate::model::{AccountView, LeadView};
use serde::Serialize;
use std::ops::Bound;

/// Most leads in a page of [`Store::leads_page`].
pub const MAX_LEADS_PAGE: usize = 200;
/// Most accounts in a page of [`Store::accounts_page`].
pub const MAX_ACCOUNTS_PAGE: usize = 200;

/// A page of an account's leads, the last stored first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeadsPage {
    /// The account.
    pub aid: u64,
    /// Its name.
    pub name: String,
    /// How many leads it has in all.
    pub total: usize,
    /// This page's leads, the last stored first.
    pub leads: Vec<LeadView>,
    /// Where this page starts, counted from the account's first lead: the leads
    /// before it are older.
    pub start: usize,
}

impl LeadsPage {
    /// The `before` of the next, older page; `None` on the last page.
    pub fn older(&self) -> Option<usize> {
        (self.start > 0).then_some(self.start)
    }
}

/// A page of accounts, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountsPage {
    /// The accounts, lowest id first.
    pub accounts: Vec<AccountView>,
    /// The `after` of the next page; `None` on the last page.
    pub next: Option<u64>,
}

impl Store {
    /// A page of account `aid`'s leads, the last stored first: at most `limit` of
    /// them (within 1 and [`MAX_LEADS_PAGE`]), of those stored before the `before`-th
    /// (counted from the account's first lead; `None`: from the newest). `None` for
    /// an unknown account.
    ///
    /// An account's leads are kept in the order they were stored, and only ever
    /// added to, so a position is a cursor that stays right while new leads come.
    ///
    /// ```
    /// use leadim_simulator::Simulator;
    ///
    /// let sim = Simulator::builder().build().unwrap();
    /// let first = sim.store().leads_page(3305, None, 10).unwrap();
    /// assert_eq!(first.leads.len(), 10);
    /// let older = sim.store().leads_page(3305, first.older(), 10).unwrap();
    /// assert!(older.leads[0].lid < first.leads[9].lid);
    /// ```
    pub fn leads_page(&self, aid: u64, before: Option<usize>, limit: usize) -> Option<LeadsPage> {
        let limit = limit.clamp(1, MAX_LEADS_PAGE);
        let state = self.lock();
        let account = state.accounts.get(&aid)?;
        let lids = &account.leads;
        let end = before.map_or(lids.len(), |b| b.min(lids.len()));
        let start = end.saturating_sub(limit);
        let leads = lids[start..end]
            .iter()
            .rev()
            .filter_map(|lid| state.leads.get(*lid))
            .map(|lead| lead.view(&state.forms[&lead.form_id]))
            .collect();
        Some(LeadsPage {
            aid,
            name: account.name.clone(),
            total: lids.len(),
            leads,
            start,
        })
    }

    /// A page of accounts by id: at most `limit` (within 1 and
    /// [`MAX_ACCOUNTS_PAGE`]) of those whose id is above `after`.
    pub fn accounts_page(&self, after: Option<u64>, limit: usize) -> AccountsPage {
        let limit = limit.clamp(1, MAX_ACCOUNTS_PAGE);
        let state = self.lock();
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut range = state.accounts.range((from, Bound::Unbounded));
        let accounts: Vec<AccountView> = range
            .by_ref()
            .take(limit)
            .map(|(_, a)| state.account_view(a))
            .collect();
        let next = range.next().and(accounts.last().map(|a| a.aid));
        AccountsPage { accounts, next }
    }
}
