//! Fault injection, as data: the real Lead.IM is slow at times, answers 5xx, answers
//! 200 with failure bodies, and drops connections. A [`FaultSpec`] says which requests
//! (account, endpoint, which ones) get which fault, and whether it strikes before the
//! handler (nothing stored) or after it (stored, but the answer is lost).
//!
//! Faults live under their own small lock, separate from the store's; a delay is a
//! `tokio::time::sleep` outside every lock.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which endpoint a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// `/v2/submit`.
    Submit,
    /// `leads_get.ashx`.
    Lookup,
    /// `lead_get.ashx`.
    Get,
    /// `lead_update.ashx`.
    Update,
    /// Every one of them.
    #[default]
    All,
}

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// The answer comes, `ms` milliseconds late.
    Latency {
        /// Added delay.
        ms: u64,
    },
    /// An HTTP error status (500, 502, 503, 429…) with a short JSON body.
    Status {
        /// 400–599.
        status: u16,
        /// Seconds for a `Retry-After` header (typical with 429 and 503).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// HTTP 200 with Lead.IM's failure envelope.
    Envelope {
        /// The envelope's `error`.
        message: String,
    },
    /// HTTP 200, `application/json`, a body that is not JSON.
    MalformedJson,
    /// The answer's headers promise the whole body; half of it comes, then the
    /// connection drops.
    Truncated,
    /// HTTP 500 with the HTML error page IIS serves.
    HtmlError,
    /// The connection is closed before any answer.
    Close,
    /// The connection is reset (TCP RST) before any answer.
    Reset,
    /// No answer ever comes; the client must give up.
    Hang,
}

/// When the fault strikes relative to the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum When {
    /// Instead of the handler: nothing is stored or changed.
    #[default]
    Before,
    /// After the handler: the lead is stored or updated, the answer is lost.
    After,
}

/// A fault to inject. At most one of `next`, `nth` and `probability`; with none,
/// every matching request gets it until it is cleared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Only this account's requests (default: every account's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<u64>,
    /// Only this endpoint (default: all).
    #[serde(default)]
    pub endpoint: Endpoint,
    /// What goes wrong.
    pub fault: FaultKind,
    /// Before or after the handler (default: before).
    #[serde(default)]
    pub when: When,
    /// The next N matching requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
    /// Only the K-th matching request (1 = the first after the fault is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// Each matching request with this probability (0–1)…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// …drawn from this seed, so a run can be reproduced (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl FaultSpec {
    /// A fault on every matching request of `endpoint`, before the handler.
    pub fn new(endpoint: Endpoint, fault: FaultKind) -> FaultSpec {
        FaultSpec {
            account: None,
            endpoint,
            fault,
            when: When::Before,
            next: None,
            nth: None,
            probability: None,
            seed: None,
        }
    }

    /// Only for this account.
    pub fn for_account(mut self, aid: u64) -> FaultSpec {
        self.account = Some(aid);
        self
    }

    /// After the handler instead of before.
    pub fn after_handler(mut self) -> FaultSpec {
        self.when = When::After;
        self
    }

    /// Only for the next `n` matching requests.
    pub fn times(mut self, n: u64) -> FaultSpec {
        self.next = Some(n);
        self
    }

    /// Checks the spec, saying what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let triggers = [
            self.next.is_some(),
            self.nth.is_some(),
            self.probability.is_some(),
        ];
        if triggers.iter().filter(|t| **t).count() > 1 {
            return Err("give at most one of next, nth and probability".into());
        }
        if self.seed.is_some() && self.probability.is_none() {
            return Err("seed goes with probability".into());
        }
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(format!("probability {p} is not between 0 and 1"));
        }
        if self.nth == Some(0) {
            return Err("nth counts from 1".into());
        }
        if let FaultKind::Status { status, .. } = self.fault
            && !(400..=599).contains(&status)
        {
            return Err(format!("status {status} is not an error status (400–599)"));
        }
        Ok(())
    }

    fn matches(&self, endpoint: Endpoint, account: Option<u64>) -> bool {
        (self.endpoint == Endpoint::All || self.endpoint == endpoint)
            && self.account.is_none_or(|a| account == Some(a))
    }
}

/// A fault in force, with its counters, as `GET /__admin/faults` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveFault {
    /// Its id, for clearing it alone.
    pub id: u64,
    /// What was asked.
    pub spec: FaultSpec,
    /// Matching requests seen since it was set.
    pub matched: u64,
    /// Times it struck.
    pub fired: u64,
    /// True once `next` or `nth` is used up.
    pub exhausted: bool,
    #[serde(skip)]
    rng: u64,
}

/// A fault that strikes one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Strike {
    /// The fault's id.
    pub id: u64,
    /// What goes wrong.
    pub kind: FaultKind,
    /// Before or after the handler.
    pub when: When,
}

impl Strike {
    /// How the journal names it.
    pub fn describe(&self) -> String {
        let what = match &self.kind {
            FaultKind::Latency { ms } => format!("latency {ms} ms"),
            FaultKind::Status {
                status,
                retry_after: Some(s),
            } => format!("status {status} with Retry-After {s}"),
            FaultKind::Status { status, .. } => format!("status {status}"),
            FaultKind::Envelope { message } => format!("failure envelope '{message}'"),
            FaultKind::MalformedJson => "malformed JSON body".into(),
            FaultKind::Truncated => "body cut mid-way".into(),
            FaultKind::HtmlError => "IIS HTML error page".into(),
            FaultKind::Close => "connection closed before any answer".into(),
            FaultKind::Reset => "connection reset before any answer".into(),
            FaultKind::Hang => "no answer (hangs until the client gives up)".into(),
        };
        let when = match self.when {
            When::Before => "before the handler: nothing stored",
            When::After => "after the handler: the change is stored, the answer lost",
        };
        format!("fault #{}: {what}, {when}", self.id)
    }
}

/// The faults in force.
#[derive(Debug, Default)]
pub struct Faults {
    // Checked on every request without taking the lock: most runs have no faults.
    any: AtomicBool,
    inner: Mutex<FaultList>,
}

#[derive(Debug, Default)]
struct FaultList {
    next_id: u64,
    active: Vec<ActiveFault>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, FaultList> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a fault; returns its id.
    pub fn add(&self, spec: FaultSpec) -> Result<u64, String> {
        spec.validate()?;
        let mut list = self.lock();
        list.next_id += 1;
        let id = list.next_id;
        let rng = spec.seed.unwrap_or(0) ^ 0x9E37_79B9_7F4A_7C15;
        list.active.push(ActiveFault {
            id,
            spec,
            matched: 0,
            fired: 0,
            exhausted: false,
            rng,
        });
        self.any.store(true, Ordering::Release);
        Ok(id)
    }

    /// Every fault set, with counters.
    pub fn list(&self) -> Vec<ActiveFault> {
        self.lock().active.clone()
    }

    /// Clears one fault; false if there is none with that id.
    pub fn remove(&self, id: u64) -> bool {
        let mut list = self.lock();
        let before = list.active.len();
        list.active.retain(|f| f.id != id);
        self.any.store(!list.active.is_empty(), Ordering::Release);
        list.active.len() != before
    }

    /// Clears every fault.
    pub fn clear(&self) {
        let mut list = self.lock();
        list.active.clear();
        self.any.store(false, Ordering::Release);
    }

    /// Whether any fault is set (no lock taken).
    pub fn any(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    /// The fault that strikes this request, if any: the first matching fault whose
    /// trigger fires. `account` is asked for only when a fault is scoped to one.
    pub fn strike(
        &self,
        endpoint: Endpoint,
        account: impl FnOnce() -> Option<u64>,
    ) -> Option<Strike> {
        if !self.any() {
            return None;
        }
        let mut list = self.lock();
        let mut account_cache: Option<Option<u64>> = None;
        let mut account = Some(account);
        for fault in list.active.iter_mut().filter(|f| !f.exhausted) {
            let aid = match fault.spec.account {
                None => None,
                Some(_) => *account_cache.get_or_insert_with(|| account.take().and_then(|f| f())),
            };
            if !fault.spec.matches(endpoint, aid) {
                continue;
            }
            fault.matched += 1;
            let fires = if let Some(n) = fault.spec.next {
                fault.exhausted = fault.matched >= n;
                fault.matched <= n
            } else if let Some(k) = fault.spec.nth {
                fault.exhausted = fault.matched >= k;
                fault.matched == k
            } else if let Some(p) = fault.spec.probability {
                unit_interval(&mut fault.rng) < p
            } else {
                true
            };
            if fires {
                fault.fired += 1;
                return Some(Strike {
                    id: fault.id,
                    kind: fault.spec.fault.clone(),
                    when: fault.spec.when,
                });
            }
        }
        None
    }
}

/// SplitMix64, drawn into [0, 1). Written out (rather than taken from `rand`) so a
/// seed gives the same sequence whatever crate versions a build resolves.
fn unit_interval(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The body IIS sends with a 500, as clients of the real service see it.
pub const IIS_ERROR_PAGE: &str = r#"<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<title>500 - Internal server error.</title>
</head>
<body>
<div id="header"><h1>Server Error</h1></div>
<div id="content">
 <div class="content-container"><fieldset>
  <h2>500 - Internal server error.</h2>
  <h3>There is a problem with the resource you are looking for, and it cannot be displayed.</h3>
 </fieldset></div>
</div>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn strikes(faults: &Faults, n: usize, account: Option<u64>) -> Vec<bool> {
        (0..n)
            .map(|_| faults.strike(Endpoint::Submit, || account).is_some())
            .collect()
    }

    #[test]
    fn next_n_then_exhausted() {
        let f = Faults::default();
        f.add(FaultSpec::new(Endpoint::Submit, FaultKind::Close).times(2))
            .unwrap();
        assert_eq!(strikes(&f, 4, None), [true, true, false, false]);
        assert!(f.list()[0].exhausted);
    }

    #[test]
    fn nth_strikes_once() {
        let f = Faults::default();
        let mut spec = FaultSpec::new(Endpoint::All, FaultKind::Hang);
        spec.nth = Some(3);
        f.add(spec).unwrap();
        assert_eq!(strikes(&f, 5, None), [false, false, true, false, false]);
    }

    #[test]
    fn probability_is_reproducible_from_its_seed() {
        let run = || {
            let f = Faults::default();
            let mut spec = FaultSpec::new(Endpoint::Submit, FaultKind::MalformedJson);
            spec.probability = Some(0.3);
            spec.seed = Some(42);
            f.add(spec).unwrap();
            strikes(&f, 200, None)
        };
        let first = run();
        assert_eq!(first, run());
        let hits = first.iter().filter(|h| **h).count();
        assert!((30..=90).contains(&hits), "{hits} of 200 at p=0.3");
    }

    #[test]
    fn scoped_to_account_and_endpoint() {
        let f = Faults::default();
        f.add(FaultSpec::new(Endpoint::Submit, FaultKind::Reset).for_account(9001))
            .unwrap();
        assert!(f.strike(Endpoint::Submit, || Some(9001)).is_some());
        assert!(f.strike(Endpoint::Submit, || Some(9002)).is_none());
        assert!(f.strike(Endpoint::Lookup, || Some(9001)).is_none());
    }

    #[test]
    fn bad_specs_are_refused_with_a_reason() {
        let mut spec = FaultSpec::new(
            Endpoint::All,
            FaultKind::Status {
                status: 200,
                retry_after: None,
            },
        );
        assert!(spec.validate().unwrap_err().contains("not an error status"));
        spec.fault = FaultKind::Close;
        spec.next = Some(1);
        spec.nth = Some(1);
        assert!(spec.validate().unwrap_err().contains("at most one"));
    }

    #[test]
    fn specs_read_from_json() {
        let spec: FaultSpec = serde_json::from_str(
            r#"{"account":9001,"endpoint":"lookup","fault":{"kind":"status","status":429,"retry_after":5},"when":"after","next":2}"#,
        )
        .unwrap();
        assert_eq!(spec.endpoint, Endpoint::Lookup);
        assert_eq!(spec.when, When::After);
        assert_eq!(
            spec.fault,
            FaultKind::Status {
                status: 429,
                retry_after: Some(5)
            }
        );
    }
}
