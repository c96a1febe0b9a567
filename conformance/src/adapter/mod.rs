//! The reference Lead.IM adapter, and the door to an adapter under test.
//!
//! [`ReferenceAdapter`] implements `shared/spec/adapter-protocol.md` to the letter,
//! on reqwest. It is what the suite's expectations are checked against, and what
//! the `leadim-reference-adapter` binary wraps, so the suite can run it both
//! in-process and as an external command ([`CommandAdapter`]).
//!
//! Each function lives in its own module and returns `Result<crmData, AdapterFailure>`
//! so that tests can call it directly; [`ReferenceAdapter::call`] turns the error
//! into a protocol `failure`.

pub mod command;
pub mod display;
pub mod lookup;
pub mod open_ticket;

use std::time::Duration;

use serde_json::{Map, Value};

pub use command::{AdapterCallError, CommandAdapter};

use crate::protocol::{AdapterRequest, AdapterResponse, Function, PROTOCOL_VERSION};

/// Why an adapter call answered `failure`. The `Display` text becomes the
/// response's `error`, so it is written for the person reading a report.
#[derive(Debug, thiserror::Error)]
pub enum AdapterFailure {
    /// The request is of a protocol version this adapter does not speak.
    #[error("unsupported protocol version {0} (this adapter speaks {PROTOCOL_VERSION})")]
    Protocol(u32),
    /// A crmConfig key the function needs is absent or empty; no request was sent.
    #[error("crmConfig.{0} is missing")]
    MissingConfig(&'static str),
    /// The chat has no phone to look up; no request was sent.
    #[error("the chat has no phone number")]
    NoPhone,
    /// Display mode needs crmData on the chat.
    #[error("the chat has no crmData")]
    NoCrmData,
    /// The request could not be built (for example an invalid URL) or sent.
    #[error("request failed: {0}")]
    Transport(String),
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Lead.IM answered with a non-2xx status.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The body is not the JSON envelope Lead.IM sends.
    #[error("invalid answer: {0}")]
    InvalidAnswer(String),
    /// Lead.IM's `{"status":"failure","error":…}` envelope.
    #[error("Lead.IM refused: {0}")]
    Refused(String),
    /// No lead has the chat's phone in any of the formats tried.
    #[error("no lead found for phone {phone} (tried {tried:?})")]
    NoMatch {
        /// The chat phone.
        phone: String,
        /// The `by_phone` values sent.
        tried: Vec<String>,
    },
}

impl AdapterFailure {
    /// Classifies a reqwest error; `timeout` is the client's, to word a timeout.
    pub(crate) fn from_reqwest(err: &reqwest::Error, timeout: Duration) -> Self {
        if err.is_timeout() {
            Self::Timeout(timeout)
        } else {
            Self::Transport(crate::error_chain(err))
        }
    }
}

/// The environment variable through which the suite tells an external adapter its
/// deadline, in milliseconds: the budget of the whole call, every HTTP request of it
/// together. The reference adapter binary and the Python example honour it; the
/// resilience scenarios expect an answer within it plus one second.
pub const TIMEOUT_ENV: &str = "LEADIM_ADAPTER_TIMEOUT_MS";

/// The deadline that [`TIMEOUT_ENV`] asks for, or `default` when it is unset or
/// not a positive number of milliseconds.
pub fn timeout_from_env(default: Duration) -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|ms| ms.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map_or(default, Duration::from_millis)
}

/// The reference adapter. Cheap to clone (the HTTP client is shared).
#[derive(Debug, Clone)]
pub struct ReferenceAdapter {
    client: reqwest::Client,
    timeout: Duration,
}

impl ReferenceAdapter {
    /// The budget of one call, all its requests together: short enough that a
    /// hanging server fails a scenario well inside the suite's own 10 s call timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// An adapter with [`Self::DEFAULT_TIMEOUT`].
    pub fn new() -> Result<Self, reqwest::Error> {
        Self::with_timeout(Self::DEFAULT_TIMEOUT)
    }

    /// An adapter whose every call (all its HTTP requests together, connects
    /// included) gives up after `timeout`.
    ///
    /// System proxy settings are ignored: the adapter talks to the URLs of its
    /// request, usually a simulator on 127.0.0.1 that a proxy cannot reach.
    ///
    /// Building it also loads the phone metadata ([`crate::phone::warm_up`]): that
    /// is start-up work, which a call's deadline must not pay for.
    pub fn with_timeout(timeout: Duration) -> Result<Self, reqwest::Error> {
        crate::phone::warm_up();
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .no_proxy()
            .build()?;
        Ok(Self { client, timeout })
    }

    /// Performs one adapter call. Never fails and never panics: every problem is a
    /// `failure` response with `error` set and crmData as the chat had it.
    pub async fn call(&self, req: &AdapterRequest) -> AdapterResponse {
        let work = async {
            if req.protocol != PROTOCOL_VERSION {
                return Err(AdapterFailure::Protocol(req.protocol));
            }
            match req.function {
                Function::GetCustomerDetails if req.crm_config.only_display_data() => {
                    display::display(req)
                }
                Function::GetCustomerDetails => {
                    lookup::lookup(&self.client, self.timeout, req).await
                }
                Function::OpenTicket => {
                    open_ticket::open_ticket(&self.client, self.timeout, req).await
                }
            }
        };
        // The timeout bounds the whole call, not each request: a lookup that tries
        // three phone formats against a slow Lead.IM must still answer within it
        // (docs/adapter-protocol.md, "Deadline").
        let result = tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or(Err(AdapterFailure::Timeout(self.timeout)));
        match result {
            Ok(crm_data) => AdapterResponse::complete(crm_data),
            Err(failure) => AdapterResponse::failure(previous_crm_data(req), failure.to_string()),
        }
    }
}

/// The chat's crmData as it was, or an empty map: what every answer starts from.
pub(crate) fn previous_crm_data(req: &AdapterRequest) -> Map<String, Value> {
    req.chat.crm_data.clone().unwrap_or_default()
}

/// A config value, with an empty or blank one counting as absent (sending an empty
/// token or form key can only fail, so it is treated like a missing one).
pub(crate) fn required<'a>(
    value: Option<&'a str>,
    key: &'static str,
) -> Result<&'a str, AdapterFailure> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or(AdapterFailure::MissingConfig(key))
}

/// Reads a JSON body, mapping non-2xx statuses and transport errors to failures.
pub(crate) async fn read_json(
    sent: Result<reqwest::Response, reqwest::Error>,
    timeout: Duration,
) -> Result<Value, AdapterFailure> {
    let response = sent.map_err(|e| AdapterFailure::from_reqwest(&e, timeout))?;
    let status = response.status();
    if !status.is_success() {
        return Err(AdapterFailure::Status(status.as_u16()));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| AdapterFailure::from_reqwest(&e, timeout))?;
    serde_json::from_slice(&body)
        .map_err(|e| AdapterFailure::InvalidAnswer(format!("not JSON ({e})")))
}

/// Checks Lead.IM's envelope: `Ok(body)` on `"status":"success"`, the envelope's
/// error text on `"failure"`.
pub(crate) fn success_envelope(body: Value) -> Result<Map<String, Value>, AdapterFailure> {
    let Value::Object(map) = body else {
        return Err(AdapterFailure::InvalidAnswer(
            "the answer is not a JSON object".into(),
        ));
    };
    match map.get("status").and_then(Value::as_str) {
        Some("success") => Ok(map),
        Some("failure") => Err(AdapterFailure::Refused(
            map.get("error")
                .map_or_else(|| "(no error message)".into(), scalar_text),
        )),
        _ => Err(AdapterFailure::InvalidAnswer(
            "no \"status\" of success or failure".into(),
        )),
    }
}

/// A JSON value as text, strings without quotes (ids arrive as either).
pub(crate) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The adapter a scenario runs against: the reference one in-process, or any
/// command speaking protocol v1.
#[derive(Debug, Clone)]
pub enum AdapterUnderTest {
    /// In-process; cannot fail at the protocol level.
    Reference(ReferenceAdapter),
    /// An external command; can crash, hang or print garbage.
    Command(CommandAdapter),
}

impl AdapterUnderTest {
    /// Performs one call. `Err` means the adapter broke the protocol (which fails the
    /// scenario), as opposed to a `failure` outcome (which the flow follows).
    pub async fn call(&self, req: &AdapterRequest) -> Result<AdapterResponse, AdapterCallError> {
        self.call_with_stderr(req).await.0
    }

    /// Like [`AdapterUnderTest::call`], with an external adapter's stderr when it ran.
    pub async fn call_with_stderr(
        &self,
        req: &AdapterRequest,
    ) -> (Result<AdapterResponse, AdapterCallError>, Option<String>) {
        match self {
            Self::Reference(adapter) => (Ok(adapter.call(req).await), None),
            Self::Command(adapter) => adapter.call_with_stderr(req).await,
        }
    }
}
