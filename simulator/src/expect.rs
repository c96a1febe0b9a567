//! Expectations, as wiremock has them: "this account's adapter sends exactly one
//! submit", checked when the guard drops or on [`SimulatorHandle::verify`].
//!
//! An expectation counts the journal's entries that arrived after it was set, so
//! it costs nothing on the request path and sees what the journal sees, diagnostics
//! included, which is what its failure message prints.

use crate::journal::{JournalEntry, JournalFilter};
use crate::routes::Endpoint;
use crate::server::Services;
use std::fmt::{self, Write as _};
use std::ops::{Range, RangeFrom, RangeInclusive, RangeTo, RangeToInclusive};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// How many matching requests an [`Expectation`] accepts: an exact number (`1`), or
/// a range (`1..=3`, `2..`, `..4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    min: u64,
    /// Inclusive; `None` is no upper bound.
    max: Option<u64>,
}

impl Times {
    fn contains(self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(max) if max == self.min => write!(f, "exactly {max}"),
            Some(max) if self.min == 0 => write!(f, "at most {max}"),
            Some(max) => write!(f, "between {} and {max}", self.min),
            None => write!(f, "at least {}", self.min),
        }
    }
}

impl From<u64> for Times {
    fn from(n: u64) -> Times {
        Times {
            min: n,
            max: Some(n),
        }
    }
}

impl From<RangeInclusive<u64>> for Times {
    fn from(r: RangeInclusive<u64>) -> Times {
        Times {
            min: *r.start(),
            max: Some(*r.end()),
        }
    }
}

impl From<Range<u64>> for Times {
    fn from(r: Range<u64>) -> Times {
        Times {
            min: r.start,
            max: Some(r.end.saturating_sub(1)),
        }
    }
}

impl From<RangeFrom<u64>> for Times {
    fn from(r: RangeFrom<u64>) -> Times {
        Times {
            min: r.start,
            max: None,
        }
    }
}

impl From<RangeTo<u64>> for Times {
    fn from(r: RangeTo<u64>) -> Times {
        Times {
            min: 0,
            max: Some(r.end.saturating_sub(1)),
        }
    }
}

impl From<RangeToInclusive<u64>> for Times {
    fn from(r: RangeToInclusive<u64>) -> Times {
        Times {
            min: 0,
            max: Some(r.end),
        }
    }
}

/// What an expectation counts, and from where.
#[derive(Debug)]
struct Expected {
    endpoint: Endpoint,
    account: Mutex<Option<u64>>,
    times: Mutex<Times>,
    /// The journal's last id when the expectation was set: it counts what follows.
    since: u64,
}

/// The expectations of one simulator that have not been dropped yet, for
/// [`SimulatorHandle::verify`]. Weak, so that a dropped guard leaves no trace.
///
/// [`SimulatorHandle::verify`]: crate::SimulatorHandle::verify
#[derive(Debug, Default)]
pub(crate) struct Expectations(Mutex<Vec<Weak<Expected>>>);

impl Expectations {
    /// A new expectation of `endpoint` requests, counted from now on.
    pub fn expect(&self, app: &Arc<Services>, endpoint: Endpoint) -> Expectation {
        let expected = Arc::new(Expected {
            endpoint,
            account: Mutex::new(None),
            times: Mutex::new(Times::from(1..)),
            since: app.journal.last_id(),
        });
        let mut list = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        list.retain(|e| e.strong_count() > 0);
        list.push(Arc::downgrade(&expected));
        Expectation {
            app: Arc::clone(app),
            expected,
        }
    }

    /// Every expectation still held, checked: the messages of those not met.
    pub fn check_all(&self, app: &Services) -> Vec<String> {
        let held: Vec<Arc<Expected>> = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        held.iter().filter_map(|e| check(app, e).err()).collect()
    }
}

/// A promise about the requests an endpoint receives from now on, made by
/// [`SimulatorHandle::expect`]: by default at least one, from any account.
///
/// It is checked when it drops (unless the thread is already panicking) and by
/// [`SimulatorHandle::verify`]; a failure panics with what was expected, what came,
/// and the journal of the account in plain words. Keep it in a variable (`let
/// _submit = …`) for as long as the requests it is about may come: `let _ = …`
/// drops it at once.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use leadim_simulator::{Endpoint, Simulator};
///
/// let sim = Simulator::start().await.unwrap();
/// let account = sim.create_account();
/// let _one_lookup = sim.expect(Endpoint::Lookup).for_account(account.aid).times(1);
/// reqwest::Client::new()
///     .get(&account.get_customer_details_url)
///     .query(&[("by_phone", "0521234567")])
///     .header(leadim_simulator::AUTH_HEADER, &account.token)
///     .send()
///     .await
///     .unwrap();
/// sim.verify(); // and again when `_one_lookup` drops
/// # }
/// ```
///
/// [`SimulatorHandle::expect`]: crate::SimulatorHandle::expect
/// [`SimulatorHandle::verify`]: crate::SimulatorHandle::verify
#[must_use = "an expectation is checked when it drops: keep it in a variable"]
#[derive(Debug)]
pub struct Expectation {
    app: Arc<Services>,
    expected: Arc<Expected>,
}

impl Expectation {
    /// Counts only this account's requests (on a shared simulator, each test's own).
    pub fn for_account(self, aid: u64) -> Expectation {
        *lock(&self.expected.account) = Some(aid);
        self
    }

    /// How many requests it accepts: `times(1)`, `times(2..=3)`, `times(0)` for none.
    pub fn times(self, times: impl Into<Times>) -> Expectation {
        *lock(&self.expected.times) = times.into();
        self
    }

    /// Checks it now; `Err` holds the message a failure panics with.
    pub fn check(&self) -> Result<(), String> {
        check(&self.app, &self.expected)
    }
}

impl Drop for Expectation {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Err(message) = self.check() {
            panic!("{message}");
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn check(app: &Services, expected: &Expected) -> Result<(), String> {
    let account = *lock(&expected.account);
    let times = *lock(&expected.times);
    let since = app.journal.read_all(&JournalFilter {
        account,
        since: Some(expected.since),
        ..JournalFilter::default()
    });
    let received = since
        .iter()
        .filter(|e| counts(e, expected.endpoint))
        .count() as u64;
    if times.contains(received) {
        return Ok(());
    }
    Err(failure(expected.endpoint, account, times, received, &since))
}

/// A request the endpoint received: its path names it, not a CORS preflight.
fn counts(entry: &JournalEntry, endpoint: Endpoint) -> bool {
    entry.endpoint == Some(endpoint) && entry.method != "OPTIONS"
}

fn failure(
    endpoint: Endpoint,
    account: Option<u64>,
    times: Times,
    received: u64,
    since: &[JournalEntry],
) -> String {
    let whose = account.map_or_else(|| "any account".to_owned(), |a| format!("account {a}"));
    let mut out = format!(
        "expectation not met: {times} {endpoint} request(s) from {whose}, received {received}\n"
    );
    if since.is_empty() {
        let _ = writeln!(
            out,
            "the simulator received no request from {whose} since the expectation was set"
        );
        return out;
    }
    let _ = writeln!(
        out,
        "what the simulator received from {whose} since the expectation was set:"
    );
    for entry in since {
        let _ = writeln!(out, "  {}", entry.summary());
    }
    out
}

impl crate::SimulatorHandle {
    /// Expects requests to `endpoint` from now on: at least one unless
    /// [`Expectation::times`] says otherwise, from any account unless
    /// [`Expectation::for_account`] names one. Checked when the returned guard drops
    /// and by [`verify`](Self::verify).
    pub fn expect(&self, endpoint: Endpoint) -> Expectation {
        self.expectations.expect(&self.app, endpoint)
    }

    /// Checks every expectation still held.
    ///
    /// # Panics
    ///
    /// When one is not met, with what was expected, what came and the journal of
    /// the account concerned.
    pub fn verify(&self) {
        let failures = self.expectations.check_all(&self.app);
        if !failures.is_empty() {
            panic!("{}", failures.join("\n"));
        }
    }
}
