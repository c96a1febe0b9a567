//! Fault injection, as data: the real Lead.IM is slow at times, answers 5xx, answers
//! 200 with failure bodies, and drops connections. A [`FaultSpec`] says which requests
//! (account, endpoint, which ones) get which fault, and whether it strikes before the
//! handler (nothing stored) or after it (stored, but the answer is lost).
//!
//! Faults live under their own small lock, separate from the store's; a delay is a
//! `tokio::time::sleep` outside every lock.
//!
//! This module holds the faults in force ([`Faults`]) and what strikes a request
//! ([`Strike`]); `spec` the [`FaultSpec`], its [`Trigger`] and its refusals
//! ([`FaultError`]); `kind` what goes wrong ([`FaultKind`], [`AnswerFault`]).

mod kind;
mod spec;

pub use kind::{AnswerFault, FaultKind};
pub(crate) use spec::WireSpec;
pub use spec::{FaultError, FaultSpec, MAX_LATENCY_MS, Trigger};

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

pub use crate::routes::Endpoint;

/// Which requests a fault is for: every faultable endpoint's, or one endpoint's.
/// Written `"all"` or the endpoint's name (`"submit"`, `"lookup"`, `"get"`,
/// `"update"`) in the admin API's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// Every endpoint faults can strike.
    #[default]
    All,
    /// This endpoint's requests only.
    Only(Endpoint),
}

impl From<Endpoint> for Target {
    fn from(endpoint: Endpoint) -> Target {
        Target::Only(endpoint)
    }
}

impl Target {
    /// Whether a request of `endpoint` is one of the target's.
    pub fn covers(self, endpoint: Endpoint) -> bool {
        match self {
            Target::All => true,
            Target::Only(only) => only == endpoint,
        }
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Target::All => s.serialize_str("all"),
            Target::Only(endpoint) => s.serialize_str(endpoint.name()),
        }
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Target, D::Error> {
        let name = String::deserialize(d)?;
        if name == "all" {
            return Ok(Target::All);
        }
        Endpoint::ALL
            .into_iter()
            .find(|e| e.name() == name)
            .map(Target::Only)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown endpoint `{name}`, expected one of `all`, `submit`, `lookup`, `get`, `update`"
                ))
            })
    }
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
    /// True once a [`Trigger::Next`] or [`Trigger::Nth`] is used up.
    pub exhausted: bool,
    #[serde(skip)]
    rng: u64,
}

/// A fault that strikes one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Strike {
    /// The fault's id.
    pub id: u64,
    /// What goes wrong: a delay, or a fault that takes the answer's place.
    pub kind: FaultKind,
    /// Before or after the handler.
    pub when: When,
}

impl Strike {
    /// How the journal names it, saying whether the request's change was stored: a
    /// delay still runs the handler (before or after it waits), so whatever the
    /// request changes is stored; a fault that takes the answer's place before the
    /// handler stores nothing.
    pub fn describe(&self) -> String {
        let when = match (&self.kind, self.when) {
            (FaultKind::Latency { .. }, When::Before) => {
                "before the handler: the request is handled after the delay, and what it changes is stored"
            }
            (FaultKind::Latency { .. }, When::After) => {
                "after the handler: what the request changes is stored, then the answer waits"
            }
            (FaultKind::Answer(_), When::Before) => "before the handler: nothing stored",
            (FaultKind::Answer(_), When::After) => {
                "after the handler: the change is stored, the answer lost"
            }
        };
        format!("fault #{}: {}, {when}", self.id, self.kind)
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

    /// Adds a fault; returns its id, or why the spec is refused. `account_exists`
    /// says whether the simulator has an account, for a fault scoped to one.
    pub fn add(
        &self,
        spec: FaultSpec,
        account_exists: impl FnOnce(u64) -> bool,
    ) -> Result<u64, FaultError> {
        spec.validate()?;
        if let Some(aid) = spec.account
            && !account_exists(aid)
        {
            return Err(FaultError::UnknownAccount(aid));
        }
        let mut list = self.lock();
        list.next_id += 1;
        let id = list.next_id;
        let seed = match spec.trigger {
            Trigger::Probability { seed, .. } => seed.unwrap_or(0),
            _ => 0,
        };
        let rng = seed ^ 0x9E37_79B9_7F4A_7C15;
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
            let fires = match fault.spec.trigger {
                Trigger::Always => true,
                Trigger::Next(n) => {
                    fault.exhausted = fault.matched >= n;
                    fault.matched <= n
                }
                Trigger::Nth(k) => {
                    fault.exhausted = fault.matched >= k;
                    fault.matched == k
                }
                Trigger::Probability { p, .. } => unit_interval(&mut fault.rng) < p,
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

    /// Adds a fault to a simulator that has every account.
    fn add(faults: &Faults, spec: FaultSpec) -> Result<u64, FaultError> {
        faults.add(spec, |_| true)
    }

    fn strikes(faults: &Faults, n: usize, account: Option<u64>) -> Vec<bool> {
        (0..n)
            .map(|_| faults.strike(Endpoint::Submit, || account).is_some())
            .collect()
    }

    #[test]
    fn next_n_then_exhausted() {
        let f = Faults::default();
        add(
            &f,
            FaultSpec::new(Endpoint::Submit, AnswerFault::Close).times(2),
        )
        .unwrap();
        assert_eq!(strikes(&f, 4, None), [true, true, false, false]);
        assert!(f.list()[0].exhausted);
    }

    #[test]
    fn nth_strikes_once() {
        let f = Faults::default();
        add(&f, FaultSpec::new(Target::All, AnswerFault::Hang).nth(3)).unwrap();
        assert_eq!(strikes(&f, 5, None), [false, false, true, false, false]);
    }

    #[test]
    fn probability_is_reproducible_from_its_seed() {
        let run = || {
            let f = Faults::default();
            add(
                &f,
                FaultSpec::new(Endpoint::Submit, AnswerFault::MalformedJson).probability(0.3, 42),
            )
            .unwrap();
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
        add(
            &f,
            FaultSpec::new(Endpoint::Submit, AnswerFault::Reset).for_account(9001),
        )
        .unwrap();
        assert!(f.strike(Endpoint::Submit, || Some(9001)).is_some());
        assert!(f.strike(Endpoint::Submit, || Some(9002)).is_none());
        assert!(f.strike(Endpoint::Lookup, || Some(9001)).is_none());
    }

    #[test]
    fn what_the_types_leave_open_is_refused_when_added() {
        let f = Faults::default();
        let status = |status| AnswerFault::Status {
            status,
            retry_after: None,
        };
        assert_eq!(
            add(&f, FaultSpec::new(Target::All, status(200))),
            Err(FaultError::NotAnErrorStatus(200))
        );
        assert_eq!(
            add(&f, FaultSpec::new(Target::All, AnswerFault::Close).nth(0)),
            Err(FaultError::NthZero)
        );
        assert_eq!(
            add(
                &f,
                FaultSpec::new(Target::All, AnswerFault::Close).probability(-0.5, 1)
            ),
            Err(FaultError::ProbabilityOutOfRange(-0.5))
        );
        assert!(f.list().is_empty());
        assert_eq!(add(&f, FaultSpec::new(Target::All, status(599))), Ok(1));
    }

    #[test]
    fn a_fault_for_an_account_that_does_not_exist_is_refused() {
        let f = Faults::default();
        let spec = FaultSpec::new(Endpoint::Submit, AnswerFault::Close).for_account(4242);
        let refused = f.add(spec.clone(), |aid| aid == 9001).unwrap_err();
        assert_eq!(refused, FaultError::UnknownAccount(4242));
        assert!(
            refused
                .to_string()
                .starts_with("account 4242 does not exist")
        );
        assert!(f.list().is_empty());
        assert_eq!(f.add(spec.for_account(9001), |aid| aid == 9001), Ok(1));
        let everyone = FaultSpec::new(Endpoint::Submit, AnswerFault::Close);
        assert_eq!(f.add(everyone, |_| false), Ok(2), "no account: no check");
    }

    #[test]
    fn the_journal_says_whether_the_change_was_stored() {
        let strike = |kind: FaultKind, when| Strike { id: 3, kind, when }.describe();
        let latency = FaultKind::Latency { ms: 800 };
        assert_eq!(
            strike(latency.clone(), When::Before),
            "fault #3: latency 800 ms, before the handler: the request is handled after the delay, and what it changes is stored"
        );
        assert!(
            strike(latency, When::After)
                .ends_with("what the request changes is stored, then the answer waits")
        );
        assert!(strike(AnswerFault::Close.into(), When::Before).ends_with("nothing stored"));
        assert!(strike(AnswerFault::Close.into(), When::After).ends_with("the answer lost"));
    }

    #[test]
    fn specs_read_from_json() {
        let spec: FaultSpec = serde_json::from_str(
            r#"{"account":9001,"endpoint":"lookup","fault":{"kind":"status","status":429,"retry_after":5},"when":"after","next":2}"#,
        )
        .unwrap();
        assert_eq!(spec.endpoint, Target::Only(Endpoint::Lookup));
        assert_eq!(spec.when, When::After);
        assert_eq!(
            spec.fault,
            FaultKind::Answer(AnswerFault::Status {
                status: 429,
                retry_after: Some(5)
            })
        );
        assert_eq!(spec.trigger, Trigger::Next(2));
    }
}
