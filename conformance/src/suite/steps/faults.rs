//! Lead.IM misbehaving: faults injected into the scenario's account only (so other
//! scenarios run on), before the handler (nothing stored) or after it (stored, the
//! answer lost), and what the journal says about them.

#![expect(
    clippy::needless_pass_by_value,
    reason = "cucumber parses each captured step argument with `FromStr` into an owned value, so a step function cannot borrow it"
)]

use std::str::FromStr;
use std::time::{Duration, Instant};

use cucumber::{given, then};
use leadim_simulator::faults::{AnswerFault, FaultKind, FaultSpec, Strike, When};

use super::{Endpoint, StepResult, ensure};
use crate::suite::{InjectedFault, LeadimWorld};

/// A fault, in the words of the feature files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// An HTTP error status (429 comes with `Retry-After: 1`).
    Status(u16),
    /// HTTP 200 with `{"status":"failure",…}`.
    Envelope,
    /// HTTP 200 with a body that is not JSON.
    MalformedJson,
    /// Half the body, then the connection drops.
    Truncated,
    /// HTTP 500 with IIS's HTML page.
    HtmlError,
    /// Closed before any answer.
    Close,
    /// Reset before any answer.
    Reset,
    /// No answer ever.
    Hang,
    /// An answer that comes after the adapter's timeout.
    Latency,
    /// An answer that comes just before the adapter's timeout: each request alone
    /// is in time, two of them together are not.
    LatencyUnder,
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(code) = s.strip_prefix("status ") {
            return code
                .parse()
                .map(Self::Status)
                .map_err(|e| format!("status {code:?}: {e}"));
        }
        Ok(match s {
            "a failure envelope" => Self::Envelope,
            "malformed JSON" => Self::MalformedJson,
            "a truncated body" => Self::Truncated,
            "an IIS error page" => Self::HtmlError,
            "a closed connection" => Self::Close,
            "a reset connection" => Self::Reset,
            "a hang" => Self::Hang,
            "latency beyond the adapter's timeout" => Self::Latency,
            "latency just under the adapter's timeout" => Self::LatencyUnder,
            other => return Err(format!("unknown fault {other:?}")),
        })
    }
}

impl Fault {
    fn kind(&self, adapter_timeout: Duration) -> FaultKind {
        match self {
            Self::Status(status) => AnswerFault::Status {
                status: *status,
                retry_after: (*status == 429).then_some(1),
            }
            .into(),
            Self::Envelope => AnswerFault::Envelope {
                message: "temporary failure, please try again later".into(),
            }
            .into(),
            Self::MalformedJson => AnswerFault::MalformedJson.into(),
            Self::Truncated => AnswerFault::Truncated.into(),
            Self::HtmlError => AnswerFault::HtmlError.into(),
            Self::Close => AnswerFault::Close.into(),
            Self::Reset => AnswerFault::Reset.into(),
            Self::Hang => AnswerFault::Hang.into(),
            Self::Latency => FaultKind::Latency {
                ms: millis(adapter_timeout + Duration::from_millis(1500)),
            },
            // Nine tenths: far enough under the timeout that one request is surely in
            // time on a busy machine, close enough that the three formats of a lookup
            // that finds nothing take 2.7 times the timeout, far past the deadline and
            // its one-second margin (5.4 s against 3 s at the default 2 s).
            Self::LatencyUnder => FaultKind::Latency {
                ms: millis(adapter_timeout * 9 / 10),
            },
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[given(
    regex = r"^the simulator injects (.+) into every (lookup|submit|update) request(, after the handler)?$"
)]
fn inject(w: &mut LeadimWorld, fault: Fault, endpoint: Endpoint, after: String) -> StepResult {
    let kind = fault.kind(w.ctx().adapter_timeout);
    let when = if after.is_empty() {
        When::Before
    } else {
        When::After
    };
    let mut spec = FaultSpec::new(endpoint.simulator(), kind.clone()).for_account(w.account.aid);
    spec.when = when;
    let id = w.ctx().sim.inject(spec).map_err(|e| e.to_string())?;
    let described = Strike { id, kind, when }.describe();
    w.faults.push(InjectedFault { id, described });
    Ok(())
}

/// Waits for the requests still held by a latency fault to be journaled, then
/// checks that each request of the endpoint names the fault.
#[then(regex = r"^every (lookup|submit|update) request was journaled with the fault$")]
async fn journaled(w: &mut LeadimWorld, endpoint: Endpoint) -> StepResult {
    let fault = w
        .faults
        .last()
        .ok_or("no fault was injected")?
        .described
        .clone();
    let deadline = Instant::now() + w.ctx().answer_limit() + Duration::from_secs(5);
    let mut entries = w.requests(endpoint);
    while entries.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        entries = w.requests(endpoint);
    }
    ensure(!entries.is_empty(), || {
        format!("the simulator journaled no {endpoint} request")
    })?;
    for entry in entries {
        ensure(entry.fault.as_deref() == Some(fault.as_str()), || {
            format!(
                "request #{} was journaled with fault {:?}, expected {fault:?}",
                entry.id, entry.fault
            )
        })?;
    }
    Ok(())
}
