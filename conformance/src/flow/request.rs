//! Texter's `request` func (`func_type: system`, `func_id: request`) on reqwest.
//!
//! Decisions where the documentation is silent (\[modeled\]): `data` is the body for
//! every method (form-encoded, or JSON with `json: true`); header names and map keys
//! are sent as written, only values are rendered; `statusCode`, when given, is the
//! one status that counts as success instead of any 2xx; `parse: xml` keeps the body
//! as text (no XML parser); reqwest has no per-request connect timeout, so
//! `open_timeout` and `response_timeout` add up to the request's deadline.

use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::FlowError;
use super::template::Scope;
use crate::error_chain;
use crate::protocol::Outcome;

/// Deadline of a request whose node sets no `response_timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A `request` node's `params`. Maps keep their YAML order, so requests are sent
/// with parameters in the order the flow lists them (values that are maps
/// themselves, in a JSON body, are sent with their keys sorted).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RequestParams {
    /// Target URL (rendered).
    pub url: String,
    /// HTTP method, any case; `get` by default.
    #[serde(default = "default_method")]
    pub method: String,
    /// Query parameters (values rendered).
    #[serde(default)]
    pub query: IndexMap<String, Value>,
    /// Body parameters (values rendered).
    #[serde(default)]
    pub data: IndexMap<String, Value>,
    /// Send `data` as a JSON object instead of a form.
    #[serde(default)]
    pub json: bool,
    /// Extra headers (values rendered).
    #[serde(default)]
    pub headers: IndexMap<String, Value>,
    /// Keep the body at `%state:node.<name>.response%`.
    #[serde(rename = "keepResponse", default)]
    pub keep_response: bool,
    /// The only status that counts as success, when set.
    #[serde(rename = "statusCode", default)]
    pub status_code: Option<u16>,
    /// How the body must parse.
    #[serde(default)]
    pub parse: ParseMode,
    /// Connect allowance in milliseconds.
    #[serde(default)]
    pub open_timeout: Option<u64>,
    /// Response allowance in milliseconds.
    #[serde(default)]
    pub response_timeout: Option<u64>,
}

fn default_method() -> String {
    "get".into()
}

/// The `parse` param: `json`, `xml`, `true` (= json) or `false`/absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ParseMode {
    /// No requirement: the kept body is JSON when it parses, else text.
    #[default]
    Lenient,
    /// The body must be JSON, or the node fails.
    Json,
    /// Kept as text; XML is not parsed.
    Xml,
}

impl<'de> Deserialize<'de> for ParseMode {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Name(String),
        }
        match Option::<Raw>::deserialize(de)? {
            None | Some(Raw::Flag(false)) => Ok(Self::Lenient),
            Some(Raw::Flag(true)) => Ok(Self::Json),
            Some(Raw::Name(name)) => match name.to_ascii_lowercase().as_str() {
                "json" | "true" => Ok(Self::Json),
                "xml" => Ok(Self::Xml),
                "false" | "" => Ok(Self::Lenient),
                other => Err(serde::de::Error::custom(format!(
                    "unknown parse mode {other:?}"
                ))),
            },
        }
    }
}

impl RequestParams {
    /// The request's deadline.
    pub fn timeout(&self) -> Duration {
        let response = self
            .response_timeout
            .map_or(DEFAULT_TIMEOUT, Duration::from_millis);
        response
            + self
                .open_timeout
                .map_or(Duration::ZERO, Duration::from_millis)
    }
}

/// What one request did, for the node's state and the trace.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestOutcome {
    /// Which exit the node takes.
    pub outcome: Outcome,
    /// Upper-case method sent.
    pub method: String,
    /// Final URL, query included (rendered and percent-encoded).
    pub url: String,
    /// HTTP status, when an answer came.
    pub status_code: Option<u16>,
    /// The body (JSON when it parses, else text) when `keepResponse`; `Null` otherwise.
    pub response: Value,
    /// Why the node failed.
    pub error: Option<String>,
}

/// Renders and sends one request. `Err` only for flow-authoring problems (bad
/// placeholder, bad method); everything that can go wrong on the wire is a
/// `failure` outcome.
pub async fn execute(
    client: &reqwest::Client,
    params: &RequestParams,
    scope: &Scope,
) -> Result<RequestOutcome, FlowError> {
    let method = reqwest::Method::from_bytes(params.method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| FlowError::InvalidMethod(params.method.clone()))?;
    let url = scope.render(&params.url)?;
    let query = render_pairs(&params.query, scope)?;
    let mut builder = client
        .request(method.clone(), url.as_str())
        .timeout(params.timeout());
    if !query.is_empty() {
        builder = builder.query(&query);
    }
    for (name, value) in render_pairs(&params.headers, scope)? {
        builder = builder.header(name, value);
    }
    if params.json {
        builder = builder.json(&render_object(&params.data, scope)?);
    } else if !params.data.is_empty() {
        builder = builder.form(&render_pairs(&params.data, scope)?);
    }

    let mut outcome = RequestOutcome {
        outcome: Outcome::Failure,
        method: method.to_string(),
        url,
        status_code: None,
        response: Value::Null,
        error: None,
    };
    let request = match builder.build() {
        Ok(request) => request,
        Err(err) => {
            outcome.error = Some(format!("invalid request: {}", error_chain(&err)));
            return Ok(outcome);
        }
    };
    outcome.url = request.url().to_string();
    let answer = match client.execute(request).await {
        Ok(response) => {
            let status = response.status();
            outcome.status_code = Some(status.as_u16());
            response.bytes().await.map(|body| (status, body))
        }
        Err(err) => Err(err),
    };
    let (status, body) = match answer {
        Ok(answer) => answer,
        Err(err) if err.is_timeout() => {
            outcome.error = Some(format!("no answer within {:?}", params.timeout()));
            return Ok(outcome);
        }
        Err(err) => {
            outcome.error = Some(error_chain(&err));
            return Ok(outcome);
        }
    };

    let parsed = serde_json::from_slice::<Value>(&body);
    if params.keep_response {
        outcome.response = match (&parsed, params.parse) {
            (Ok(json), ParseMode::Lenient | ParseMode::Json) => json.clone(),
            _ => Value::String(String::from_utf8_lossy(&body).into_owned()),
        };
    }
    let status_ok = match params.status_code {
        Some(expected) => status.as_u16() == expected,
        None => status.is_success(),
    };
    outcome.error = if !status_ok {
        Some(format!("HTTP status {}", status.as_u16()))
    } else if let (ParseMode::Json, Err(err)) = (params.parse, &parsed) {
        Some(format!("body is not JSON: {err}"))
    } else {
        None
    };
    if outcome.error.is_none() {
        outcome.outcome = Outcome::Complete;
    }
    Ok(outcome)
}

/// Renders a param map into ordered string pairs; non-string scalars are sent as
/// written (`5001`, `true`), nested values as JSON.
fn render_pairs(
    map: &IndexMap<String, Value>,
    scope: &Scope,
) -> Result<Vec<(String, String)>, FlowError> {
    map.iter()
        .map(|(key, value)| {
            let text = match render_value(value, scope)? {
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            Ok((key.clone(), text))
        })
        .collect()
}

/// Renders a param map as a JSON object, in its order.
fn render_object<'m>(
    map: &'m IndexMap<String, Value>,
    scope: &Scope,
) -> Result<IndexMap<&'m str, Value>, FlowError> {
    map.iter()
        .map(|(key, value)| Ok((key.as_str(), render_value(value, scope)?)))
        .collect()
}

/// Renders every string inside a value, keeping its structure (for JSON bodies).
fn render_value(value: &Value, scope: &Scope) -> Result<Value, FlowError> {
    Ok(match value {
        Value::String(s) => Value::String(scope.render(s)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_value(v, scope))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_value(v, scope)?)))
                .collect::<Result<_, FlowError>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_defaults_and_parse_modes() {
        let params: RequestParams =
            serde_json::from_value(serde_json::json!({"url": "http://x"})).unwrap();
        assert_eq!(params.method, "get");
        assert_eq!(params.parse, ParseMode::Lenient);
        assert!(!params.keep_response && !params.json);
        assert_eq!(params.timeout(), DEFAULT_TIMEOUT);
        for (raw, mode) in [
            ("true", ParseMode::Json),
            ("\"json\"", ParseMode::Json),
            ("\"xml\"", ParseMode::Xml),
            ("false", ParseMode::Lenient),
        ] {
            let text = format!(
                r#"{{"url": "u", "parse": {raw}, "response_timeout": 250, "open_timeout": 50}}"#
            );
            let params: RequestParams = serde_json::from_str(&text).unwrap();
            assert_eq!(params.parse, mode, "{raw}");
            assert_eq!(params.timeout(), Duration::from_millis(300));
        }
    }
}
