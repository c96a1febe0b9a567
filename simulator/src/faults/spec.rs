//! A fault to inject, [`FaultSpec`]: which requests, what goes wrong, before or
//! after the handler, and its [`Trigger`]; the [`FaultError`]s that refuse one;
//! and its JSON, the flat shape the admin API has always taken (`next`, `nth`,
//! `probability` and `seed` beside the other keys), mapped to the typed spec by
//! hand so that a spec that does not make sense is refused as it is read.

use super::{AnswerFault, Endpoint, FaultKind, Target, When};
use serde::{Deserialize, Serialize};

/// Which of the matching requests a fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Trigger {
    /// Every one, until the fault is cleared (JSON: none of the keys below).
    #[default]
    Always,
    /// The next `n` (JSON `"next": n`); then the fault is used up.
    Next(u64),
    /// Only the `k`-th, counting from 1 (JSON `"nth": k`); then the fault is used up.
    Nth(u64),
    /// Each one with probability `p` (JSON `"probability": p`), drawn from a seeded
    /// generator so that a run can be reproduced.
    Probability {
        /// 0–1.
        p: f64,
        /// The generator's seed (JSON `"seed"`); without one it draws as with 0.
        seed: Option<u64>,
    },
}

/// Why a fault spec is refused. Each message is what the admin API answers, with
/// 422: the spec reads, but is not one the simulator takes. (A body that does not
/// read as a fault spec at all — not JSON, an unknown key, kind or endpoint, a value
/// of the wrong type — is answered 400 before these checks.)
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultError {
    /// More than one of `next`, `nth` and `probability` in the JSON.
    #[error("give at most one of next, nth and probability")]
    ManyTriggers,
    /// A `seed` in the JSON without `probability`.
    #[error("seed goes with probability")]
    SeedWithoutProbability,
    /// A probability outside 0–1.
    #[error("probability {0} is not between 0 and 1")]
    ProbabilityOutOfRange(f64),
    /// `nth` 0: the first matching request is the 1st.
    #[error("nth counts from 1")]
    NthZero,
    /// A `status` fault whose status is not 400–599.
    #[error("status {0} is not an error status (400–599)")]
    NotAnErrorStatus(u16),
    /// A `code` that is not one of Lead.IM's.
    #[error("code {0} is not one of Lead.IM's: -1, -3, -4, -5, -6, -7, -8, -10, -50, -999")]
    UnknownCode(i32),
    /// A `respond` fault whose status is not 100–599.
    #[error("status {0} is not an HTTP status (100–599)")]
    NotAStatus(u16),
    /// A `respond` fault header that HTTP cannot carry.
    #[error("header {0:?} is not a valid HTTP header name and value")]
    BadHeader(String),
    /// An endpoint faults never strike (the lead page stands for the UI).
    #[error("faults strike the Lead.IM API; {0} is not faulted")]
    NotFaultable(Endpoint),
    /// A `latency` longer than [`MAX_LATENCY_MS`].
    #[error(
        "latency {0} ms is too long: at most {MAX_LATENCY_MS} ms (10 minutes); for no answer at all, use the hang fault"
    )]
    LatencyTooLong(u64),
    /// A fault for an account the simulator does not have: it would never strike.
    #[error(
        "account {0} does not exist, so a fault for it would never strike: create the account first (POST /__admin/accounts), or leave account out to strike every account"
    )]
    UnknownAccount(u64),
}

/// The longest `latency` a fault may add, in milliseconds: 10 minutes, as long as a
/// `hang` fault holds a request. (Every client gives up long before.)
pub const MAX_LATENCY_MS: u64 = 600_000;

/// A fault to inject: which requests (account, endpoint, [`Trigger`]) get which
/// fault, before the handler (nothing stored) or after it (stored, the answer lost).
///
/// Built in code, with the builder:
///
/// ```
/// use leadim_simulator::faults::{AnswerFault, Endpoint, FaultKind, FaultSpec, Target, Trigger, When};
///
/// // The next two submissions of account 9001 get a 503 with `Retry-After: 5`.
/// let spec = FaultSpec::new(
///     Endpoint::Submit,
///     AnswerFault::Status { status: 503, retry_after: Some(5) },
/// )
/// .for_account(9001)
/// .times(2);
/// assert_eq!(spec.trigger, Trigger::Next(2));
/// assert!(spec.validate().is_ok());
///
/// // Every third lookup answers 800 ms late, after the handler ran.
/// let slow = FaultSpec::new(Endpoint::Lookup, FaultKind::Latency { ms: 800 })
///     .after_handler()
///     .nth(3);
/// assert_eq!((slow.when, slow.trigger), (When::After, Trigger::Nth(3)));
///
/// // A tenth of all requests, reproducibly, lose their connection.
/// let flaky = FaultSpec::new(Target::All, AnswerFault::Reset).probability(0.1, 2026);
/// assert_eq!(flaky.trigger, Trigger::Probability { p: 0.1, seed: Some(2026) });
/// ```
///
/// Read from the JSON that `POST /__admin/faults` takes, and written back the way
/// `GET /__admin/faults` lists it:
///
/// ```
/// use leadim_simulator::faults::{AnswerFault, Endpoint, FaultSpec};
///
/// let json = r#"{"account":9001,"endpoint":"submit","fault":{"kind":"status","status":503,"retry_after":5},"next":2}"#;
/// let spec: FaultSpec = serde_json::from_str(json).unwrap();
/// let built = FaultSpec::new(
///     Endpoint::Submit,
///     AnswerFault::Status { status: 503, retry_after: Some(5) },
/// )
/// .for_account(9001)
/// .times(2);
/// assert_eq!(spec, built);
/// assert_eq!(
///     serde_json::to_string(&spec).unwrap(),
///     r#"{"account":9001,"endpoint":"submit","fault":{"kind":"status","status":503,"retry_after":5},"when":"before","next":2}"#,
/// );
///
/// // A spec that does not make sense is refused as it is read.
/// let err = serde_json::from_str::<FaultSpec>(r#"{"fault":{"kind":"close"},"next":1,"nth":2}"#)
///     .unwrap_err();
/// assert!(err.to_string().starts_with("give at most one of next, nth and probability"));
/// ```
///
/// And injected into a running simulator (errors are [`FaultError`]s, so `?` takes
/// them):
///
/// ```
/// use leadim_simulator::Simulator;
/// use leadim_simulator::faults::{AnswerFault, Endpoint, FaultSpec};
///
/// #[tokio::main]
/// async fn main() -> anyhow::Result<()> {
///     let sim = Simulator::start().await?;
///     let id = sim.inject(FaultSpec::new(Endpoint::Submit, AnswerFault::Close).times(1))?;
///     assert_eq!(sim.faults()[0].id, id);
///     let refused = sim.inject(FaultSpec::new(Endpoint::Get, AnswerFault::Hang).nth(0));
///     assert_eq!(refused.unwrap_err().to_string(), "nth counts from 1");
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "WireSpec", into = "WireSpec")]
pub struct FaultSpec {
    /// Only this account's requests (default: every account's).
    pub account: Option<u64>,
    /// Only this endpoint's requests (default: every faultable endpoint's).
    pub endpoint: Target,
    /// What goes wrong.
    pub fault: FaultKind,
    /// Before or after the handler (default: before).
    pub when: When,
    /// Which matching requests it strikes (default: all of them).
    pub trigger: Trigger,
}

impl FaultSpec {
    /// A fault on every matching request of `endpoint`, before the handler.
    pub fn new(endpoint: impl Into<Target>, fault: impl Into<FaultKind>) -> FaultSpec {
        FaultSpec {
            account: None,
            endpoint: endpoint.into(),
            fault: fault.into(),
            when: When::Before,
            trigger: Trigger::Always,
        }
    }

    /// Only for this account.
    #[must_use]
    pub fn for_account(mut self, aid: u64) -> FaultSpec {
        self.account = Some(aid);
        self
    }

    /// After the handler instead of before.
    #[must_use]
    pub fn after_handler(mut self) -> FaultSpec {
        self.when = When::After;
        self
    }

    /// Only for the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u64) -> FaultSpec {
        self.trigger = Trigger::Next(n);
        self
    }

    /// Only for the `k`-th matching request (1 = the first after the fault is set).
    #[must_use]
    pub fn nth(mut self, k: u64) -> FaultSpec {
        self.trigger = Trigger::Nth(k);
        self
    }

    /// Each matching request with probability `p` (0–1), drawn from `seed`.
    #[must_use]
    pub fn probability(mut self, p: f64, seed: u64) -> FaultSpec {
        self.trigger = Trigger::Probability {
            p,
            seed: Some(seed),
        };
        self
    }

    /// Checks what the types leave open: `nth` 0, a probability outside 0–1, a
    /// `status` fault that is not an error status, a latency over
    /// [`MAX_LATENCY_MS`]. (Whether its account exists is the simulator's to check,
    /// when the fault is injected.)
    pub fn validate(&self) -> Result<(), FaultError> {
        match self.trigger {
            Trigger::Probability { p, .. } if !(0.0..=1.0).contains(&p) => {
                return Err(FaultError::ProbabilityOutOfRange(p));
            }
            Trigger::Nth(0) => return Err(FaultError::NthZero),
            _ => {}
        }
        if let FaultKind::Answer(AnswerFault::Code { code }) = self.fault
            && crate::error::code_meaning(code).is_none()
        {
            return Err(FaultError::UnknownCode(code));
        }
        if let Target::Only(endpoint) = self.endpoint
            && !endpoint.faultable()
        {
            return Err(FaultError::NotFaultable(endpoint));
        }
        match &self.fault {
            FaultKind::Answer(AnswerFault::Status { status, .. })
                if !(400..=599).contains(status) =>
            {
                Err(FaultError::NotAnErrorStatus(*status))
            }
            FaultKind::Latency { ms } if *ms > MAX_LATENCY_MS => {
                Err(FaultError::LatencyTooLong(*ms))
            }
            FaultKind::Answer(AnswerFault::Respond {
                status, headers, ..
            }) => respond_is_valid(*status, headers),
            _ => Ok(()),
        }
    }

    /// Whether a request of `endpoint` for `account` is one this fault is for.
    pub(super) fn matches(&self, endpoint: Endpoint, account: Option<u64>) -> bool {
        self.endpoint.covers(endpoint) && self.account.is_none_or(|a| account == Some(a))
    }
}

pub(crate) use wire::FaultSpec as WireSpec;

mod wire {
    use super::{FaultKind, Target, When};
    use serde::{Deserialize, Serialize};

    /// A fault spec as JSON has it: the trigger as three optional keys and a seed.
    /// The admin API reads this first, so that JSON it cannot read (400) is told
    /// apart from a spec it refuses (422). Named like the typed spec, since serde's
    /// messages name the type.
    #[derive(Debug, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct FaultSpec {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) account: Option<u64>,
        #[serde(default)]
        pub(super) endpoint: Target,
        pub(super) fault: FaultKind,
        #[serde(default)]
        pub(super) when: When,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) next: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) nth: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) probability: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) seed: Option<u64>,
    }
}

impl TryFrom<WireSpec> for FaultSpec {
    type Error = FaultError;

    fn try_from(wire: WireSpec) -> Result<FaultSpec, FaultError> {
        let trigger = match (wire.next, wire.nth, wire.probability) {
            (None, None, None) => Trigger::Always,
            (Some(n), None, None) => Trigger::Next(n),
            (None, Some(k), None) => Trigger::Nth(k),
            (None, None, Some(p)) => Trigger::Probability { p, seed: wire.seed },
            _ => return Err(FaultError::ManyTriggers),
        };
        if wire.seed.is_some() && !matches!(trigger, Trigger::Probability { .. }) {
            return Err(FaultError::SeedWithoutProbability);
        }
        let spec = FaultSpec {
            account: wire.account,
            endpoint: wire.endpoint,
            fault: wire.fault,
            when: wire.when,
            trigger,
        };
        spec.validate()?;
        Ok(spec)
    }
}

impl From<FaultSpec> for WireSpec {
    fn from(spec: FaultSpec) -> WireSpec {
        let (mut next, mut nth, mut probability, mut seed) = (None, None, None, None);
        match spec.trigger {
            Trigger::Always => {}
            Trigger::Next(n) => next = Some(n),
            Trigger::Nth(k) => nth = Some(k),
            Trigger::Probability { p, seed: s } => (probability, seed) = (Some(p), s),
        }
        WireSpec {
            account: spec.account,
            endpoint: spec.endpoint,
            fault: spec.fault,
            when: spec.when,
            next,
            nth,
            probability,
            seed,
        }
    }
}

/// A `respond` fault's answer is one HTTP can carry: a status, and headers with
/// valid names and values.
fn respond_is_valid(
    status: u16,
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<(), FaultError> {
    if !(100..=599).contains(&status) {
        return Err(FaultError::NotAStatus(status));
    }
    match headers.iter().find(|(name, value)| {
        hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err()
            || hyper::header::HeaderValue::from_str(value).is_err()
    }) {
        Some((name, _)) => Err(FaultError::BadHeader(name.clone())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The refusal of the admin API's JSON, as the admin API meets it (read as a
    /// [`WireSpec`], then mapped); read straight as a [`FaultSpec`], the JSON is
    /// refused with the same message.
    fn refusal(json: &str) -> FaultError {
        let wire: WireSpec = serde_json::from_str(json).expect("JSON of the right shape");
        let err = FaultSpec::try_from(wire).expect_err("refused");
        let direct = serde_json::from_str::<FaultSpec>(json).unwrap_err();
        assert_eq!(direct.to_string(), err.to_string());
        err
    }

    #[test]
    fn the_lead_page_is_not_faulted_and_all_reads_back_as_all() {
        let err = refusal(r#"{"endpoint":"lead_page","fault":{"kind":"close"}}"#);
        assert_eq!(err, FaultError::NotFaultable(Endpoint::LeadPage));
        assert_eq!(
            err.to_string(),
            "faults strike the Lead.IM API; lead_page is not faulted"
        );
        let all: FaultSpec =
            serde_json::from_str(r#"{"endpoint":"all","fault":{"kind":"close"}}"#).unwrap();
        assert_eq!(all.endpoint, Target::All);
        let json = serde_json::to_value(&all).unwrap();
        assert_eq!(json["endpoint"], "all");
        let update: FaultSpec =
            serde_json::from_str(r#"{"endpoint":"update","fault":{"kind":"hang"}}"#).unwrap();
        assert_eq!(update.endpoint, Target::Only(Endpoint::Update));
        let unknown =
            serde_json::from_str::<FaultSpec>(r#"{"endpoint":"leads","fault":{"kind":"hang"}}"#);
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("unknown endpoint `leads`")
        );
    }

    #[test]
    fn two_triggers_are_refused() {
        let err = refusal(r#"{"fault":{"kind":"close"},"next":1,"nth":2}"#);
        assert_eq!(err, FaultError::ManyTriggers);
        assert_eq!(
            err.to_string(),
            "give at most one of next, nth and probability"
        );
        assert_eq!(
            refusal(r#"{"fault":{"kind":"close"},"nth":1,"probability":0.5,"seed":1}"#),
            FaultError::ManyTriggers
        );
    }

    #[test]
    fn a_seed_without_probability_is_refused() {
        let err = refusal(r#"{"fault":{"kind":"close"},"next":2,"seed":3}"#);
        assert_eq!(err, FaultError::SeedWithoutProbability);
        assert_eq!(err.to_string(), "seed goes with probability");
        assert_eq!(
            refusal(r#"{"fault":{"kind":"close"},"seed":3}"#),
            FaultError::SeedWithoutProbability
        );
    }

    #[test]
    fn nth_zero_is_refused() {
        let err = refusal(r#"{"fault":{"kind":"close"},"nth":0}"#);
        assert_eq!(err, FaultError::NthZero);
        assert_eq!(err.to_string(), "nth counts from 1");
    }

    #[test]
    fn a_probability_above_one_is_refused() {
        let err = refusal(r#"{"fault":{"kind":"close"},"probability":1.5}"#);
        assert_eq!(err, FaultError::ProbabilityOutOfRange(1.5));
        assert_eq!(err.to_string(), "probability 1.5 is not between 0 and 1");
    }

    #[test]
    fn a_latency_over_ten_minutes_is_refused() {
        let err = refusal(r#"{"fault":{"kind":"latency","ms":600001}}"#);
        assert_eq!(err, FaultError::LatencyTooLong(600_001));
        assert!(
            err.to_string()
                .starts_with("latency 600001 ms is too long: at most 600000 ms")
        );
        let longest: FaultSpec =
            serde_json::from_str(r#"{"fault":{"kind":"latency","ms":600000}}"#).unwrap();
        assert_eq!(longest.fault, FaultKind::Latency { ms: MAX_LATENCY_MS });
    }

    #[test]
    fn a_status_that_is_not_an_error_is_refused() {
        let err = refusal(r#"{"fault":{"kind":"status","status":200}}"#);
        assert_eq!(err, FaultError::NotAnErrorStatus(200));
        assert_eq!(
            err.to_string(),
            "status 200 is not an error status (400–599)"
        );
    }

    #[test]
    fn each_trigger_reads_from_its_key_and_writes_back_the_same_json() {
        let close = r#""endpoint":"all","fault":{"kind":"close"},"when":"before""#;
        for (keys, trigger) in [
            ("", Trigger::Always),
            (r#","next":0"#, Trigger::Next(0)),
            (r#","nth":3"#, Trigger::Nth(3)),
            (
                r#","probability":0.25"#,
                Trigger::Probability {
                    p: 0.25,
                    seed: None,
                },
            ),
            (
                r#","probability":1.0,"seed":0"#,
                Trigger::Probability {
                    p: 1.0,
                    seed: Some(0),
                },
            ),
        ] {
            let json = format!("{{{close}{keys}}}");
            let spec: FaultSpec = serde_json::from_str(&json).unwrap();
            assert_eq!(spec.trigger, trigger, "{json}");
            assert_eq!(serde_json::to_string(&spec).unwrap(), json);
        }
    }
}
