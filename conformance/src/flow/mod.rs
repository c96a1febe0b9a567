//! A Texter bot-flow runner, enough for the seed's flows
//! (`shared/spec/texter-flows.md`): `crm` funcs call the adapter under test,
//! `system`/`request` funcs make HTTP calls, and `on_complete`/`on_failure` lead on
//! until the flow names a node it does not define — the flow's end result
//! (`known_lead`, `lead_failed`, `done`, …).
//!
//! Other node types (prompts, switches) parse as generic nodes. The runner passes
//! through one that has an `on_complete`, since a scenario supplies prompt answers up
//! front as `state.node.<name>.text`; it stops at one that has none.

pub mod request;
pub mod template;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use self::request::RequestParams;
use self::template::{Scope, TemplateError};
use crate::adapter::{AdapterCallError, AdapterUnderTest};
use crate::protocol::{AdapterRequest, Chat, CrmConfig, Endpoints, Function, NodeState, Outcome};

/// Steps after which a run is stopped as a loop.
pub const MAX_STEPS: usize = 100;

/// Why a flow could not be loaded or run to a result.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The YAML does not parse as a map of nodes.
    #[error("invalid flow YAML: {0}")]
    Yaml(#[from] serde_saphyr::Error),
    /// A `request` node's params do not fit the request func.
    #[error("node {node}: invalid request params: {source}")]
    InvalidParams {
        /// The node.
        node: String,
        /// What did not fit.
        #[source]
        source: serde_json::Error,
    },
    /// The run was asked to start at a node the flow lacks.
    #[error("the flow has no node {0:?} to start at")]
    UnknownStart(String),
    /// A func this runner does not implement.
    #[error("node {node}: unsupported func {func_type}/{func_id}")]
    UnsupportedFunc {
        /// The node.
        node: String,
        /// Its `func_type`.
        func_type: String,
        /// Its `func_id`.
        func_id: String,
    },
    /// A request node's `method` is not an HTTP method.
    #[error("invalid HTTP method {0:?}")]
    InvalidMethod(String),
    /// A placeholder names an unknown provider or transformer.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The adapter under test broke the protocol.
    #[error("adapter call failed: {0}")]
    Adapter(#[from] AdapterCallError),
}

/// A flow: node name → node, as in a Texter bot YAML.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Flow {
    /// The nodes by name.
    pub nodes: BTreeMap<String, Node>,
}

impl Flow {
    /// Parses a flow and checks every `request` node's params, so a malformed flow
    /// fails when loaded rather than halfway through a run.
    pub fn from_yaml(yaml: &str) -> Result<Self, FlowError> {
        let flow: Self = serde_saphyr::from_str(yaml)?;
        for (name, node) in &flow.nodes {
            if node.action() == NodeAction::Request {
                node.request_params(name)?;
            }
        }
        Ok(flow)
    }

    /// Merges another flow's nodes in (later definitions win), for scenarios that
    /// chain snippets such as `create_lead` → `update_lead`.
    pub fn extend(&mut self, other: Flow) {
        self.nodes.extend(other.nodes);
    }
}

/// One node. Only what the runner uses is typed; other keys are ignored, so any
/// node type parses.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Node {
    /// `func` for the nodes the runner executes; anything else is passed through.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `crm` or `system`.
    #[serde(default)]
    pub func_type: Option<String>,
    /// The function: `getCustomerDetails`, `openTicket`, `request`, …
    #[serde(default)]
    pub func_id: Option<String>,
    /// Func params, untyped until the func is known.
    #[serde(default)]
    pub params: Value,
    /// Next node on success.
    #[serde(default)]
    pub on_complete: Option<String>,
    /// Next node on failure.
    #[serde(default)]
    pub on_failure: Option<String>,
}

/// What running a node means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeAction {
    /// A `crm` func: one adapter call.
    Crm(Function),
    /// The `system`/`request` func.
    Request,
    /// A func the runner cannot run.
    UnsupportedFunc,
    /// Not a func: a prompt or other node whose answer the scenario supplies.
    PassThrough,
}

impl Node {
    /// Classifies the node.
    pub fn action(&self) -> NodeAction {
        if self.kind != "func" {
            return NodeAction::PassThrough;
        }
        match (self.func_type.as_deref(), self.func_id.as_deref()) {
            (Some("crm"), Some(id)) => {
                Function::from_func_id(id).map_or(NodeAction::UnsupportedFunc, NodeAction::Crm)
            }
            (Some("system"), Some("request")) => NodeAction::Request,
            _ => NodeAction::UnsupportedFunc,
        }
    }

    /// The params as a `request` func's; `node` names the node in the error.
    pub fn request_params(&self, node: &str) -> Result<RequestParams, FlowError> {
        serde_json::from_value(self.params.clone()).map_err(|source| FlowError::InvalidParams {
            node: node.into(),
            source,
        })
    }

    /// The node a given outcome leads to.
    pub fn next(&self, outcome: Outcome) -> Option<&str> {
        match outcome {
            Outcome::Complete => self.on_complete.as_deref(),
            Outcome::Failure => self.on_failure.as_deref(),
        }
    }
}

/// What a node left behind, read by `%state:node.<name>.…%`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NodeResult {
    /// A prompt node's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A request node's HTTP status.
    #[serde(rename = "statusCode", skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// A request node's body, with `keepResponse`.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub response: Value,
}

/// Everything a run reads and changes: the chat (crm funcs update its crmData), the
/// customer's crmConfig, the simulator's endpoints and the nodes' state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowContext {
    /// The chat; `nodes` texts are mirrored from `state` when the adapter is called.
    pub chat: Chat,
    /// The customer's crmConfig, given to every adapter call.
    pub crm_config: CrmConfig,
    /// Stand-ins for the production hosts.
    pub endpoints: Endpoints,
    /// Per node name.
    pub state: BTreeMap<String, NodeResult>,
}

impl FlowContext {
    /// A context whose state starts with the texts the chat's nodes already hold.
    pub fn new(chat: Chat, crm_config: CrmConfig, endpoints: Endpoints) -> Self {
        let state = chat
            .nodes
            .iter()
            .filter_map(|(name, node)| {
                let text = node.text.clone()?;
                Some((
                    name.clone(),
                    NodeResult {
                        text: Some(text),
                        ..NodeResult::default()
                    },
                ))
            })
            .collect();
        Self {
            chat,
            crm_config,
            endpoints,
            state,
        }
    }

    /// Records a prompt node's answer, as if the contact had typed it.
    pub fn set_text(&mut self, node: impl Into<String>, text: impl Into<String>) {
        self.state.entry(node.into()).or_default().text = Some(text.into());
    }

    /// The adapter request for `function`: the chat with every collected text in
    /// `nodes`, so prompts answered in the flow reach `openTicket`.
    pub fn adapter_request(&self, function: Function) -> AdapterRequest {
        let mut chat = self.chat.clone();
        for (name, result) in &self.state {
            if let Some(text) = &result.text {
                chat.nodes.insert(
                    name.clone(),
                    NodeState {
                        text: Some(text.clone()),
                    },
                );
            }
        }
        AdapterRequest::new(
            function,
            self.crm_config.clone(),
            chat,
            self.endpoints.clone(),
        )
    }
}

/// One visited node, for reports and assertions.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The node's name.
    pub node: String,
    /// The exit it took.
    pub outcome: Outcome,
    /// Why it failed, when the adapter or request said.
    pub error: Option<String>,
    /// The HTTP call of a `request` node.
    pub request: Option<RequestRecord>,
}

/// A `request` node's call as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// Upper-case method.
    pub method: String,
    /// Final URL with query.
    pub url: String,
    /// Status, when an answer came.
    pub status: Option<u16>,
}

/// How a run ended.
#[derive(Debug)]
pub enum FlowEnd {
    /// The normal end: a transition to a node the flow does not define.
    Reached(String),
    /// A node has no exit for its outcome (or is a non-func node without `on_complete`).
    NoTransition {
        /// The node.
        node: String,
        /// The outcome that had no exit.
        outcome: Outcome,
    },
    /// [`MAX_STEPS`] nodes ran without reaching an end.
    StepLimit,
    /// The run could not go on: a flow-authoring error or a broken adapter.
    Aborted {
        /// The node being run.
        node: String,
        /// What went wrong.
        error: FlowError,
    },
}

/// A run's result and trace.
#[derive(Debug)]
pub struct FlowOutcome {
    /// How it ended.
    pub end: FlowEnd,
    /// Visited nodes, in order.
    pub trace: Vec<Step>,
}

impl FlowOutcome {
    /// The end node's name when the run ended normally.
    pub fn reached(&self) -> Option<&str> {
        match &self.end {
            FlowEnd::Reached(node) => Some(node),
            _ => None,
        }
    }
}

/// Runs flows against one adapter under test.
#[derive(Debug, Clone)]
pub struct FlowRunner {
    adapter: AdapterUnderTest,
    http: reqwest::Client,
}

impl FlowRunner {
    /// A runner with its own HTTP client for `request` nodes (no proxy: flows talk
    /// to the simulator on 127.0.0.1; each request sets its own timeout).
    pub fn new(adapter: AdapterUnderTest) -> Result<Self, reqwest::Error> {
        Ok(Self::with_client(
            adapter,
            reqwest::Client::builder().no_proxy().build()?,
        ))
    }

    /// A runner using a given client for `request` nodes.
    pub fn with_client(adapter: AdapterUnderTest, http: reqwest::Client) -> Self {
        Self { adapter, http }
    }

    /// The adapter the runner calls.
    pub fn adapter(&self) -> &AdapterUnderTest {
        &self.adapter
    }

    /// Runs `flow` from `start` until it leaves the flow, is stuck, loops or aborts.
    pub async fn run(&self, flow: &Flow, start: &str, ctx: &mut FlowContext) -> FlowOutcome {
        let mut trace = Vec::new();
        let mut current = start.to_owned();
        if !flow.nodes.contains_key(start) {
            let error = FlowError::UnknownStart(current.clone());
            return FlowOutcome {
                end: FlowEnd::Aborted {
                    node: current,
                    error,
                },
                trace,
            };
        }
        for _ in 0..MAX_STEPS {
            let Some(node) = flow.nodes.get(&current) else {
                return FlowOutcome {
                    end: FlowEnd::Reached(current),
                    trace,
                };
            };
            let step = match self.step(&current, node, ctx).await {
                Ok(step) => step,
                Err(error) => {
                    return FlowOutcome {
                        end: FlowEnd::Aborted {
                            node: current,
                            error,
                        },
                        trace,
                    };
                }
            };
            let outcome = step.outcome;
            trace.push(step);
            match node.next(outcome) {
                Some(next) => current = next.to_owned(),
                None => {
                    return FlowOutcome {
                        end: FlowEnd::NoTransition {
                            node: current,
                            outcome,
                        },
                        trace,
                    };
                }
            }
        }
        FlowOutcome {
            end: FlowEnd::StepLimit,
            trace,
        }
    }

    async fn step(
        &self,
        name: &str,
        node: &Node,
        ctx: &mut FlowContext,
    ) -> Result<Step, FlowError> {
        let mut step = Step {
            node: name.to_owned(),
            outcome: Outcome::Complete,
            error: None,
            request: None,
        };
        match node.action() {
            NodeAction::PassThrough => {}
            NodeAction::UnsupportedFunc => {
                return Err(FlowError::UnsupportedFunc {
                    node: name.to_owned(),
                    func_type: node.func_type.clone().unwrap_or_default(),
                    func_id: node.func_id.clone().unwrap_or_default(),
                });
            }
            NodeAction::Crm(function) => {
                let response = self.adapter.call(&ctx.adapter_request(function)).await?;
                // An absent crmData stays absent when a call leaves nothing behind, so a
                // later display-mode call still sees "no crmData".
                if ctx.chat.crm_data.is_some()
                    || !response.crm_data.is_empty()
                    || response.outcome == Outcome::Complete
                {
                    ctx.chat.crm_data = Some(response.crm_data);
                }
                step.outcome = response.outcome;
                step.error = response.error;
            }
            NodeAction::Request => {
                let params = node.request_params(name)?;
                let sent = request::execute(&self.http, &params, &Scope::from_context(ctx)).await?;
                let state = ctx.state.entry(name.to_owned()).or_default();
                state.status_code = sent.status_code;
                state.response = sent.response;
                step.outcome = sent.outcome;
                step.error = sent.error;
                step.request = Some(RequestRecord {
                    method: sent.method,
                    url: sent.url,
                    status: sent.status_code,
                });
            }
        }
        Ok(step)
    }
}

/// Replaces the seed's placeholder credentials and hosts (`YOUR_LM_FORM`,
/// `YOUR_TOKEN`, `https://api.lead.im`, …) with a scenario's values, in one pass:
/// text that a replacement inserts is never replaced again, and where two
/// placeholders start at the same place the longer wins.
///
/// ```
/// use leadim_conformance::flow::substitute_placeholders;
///
/// let yaml = r#"url: "https://api.lead.im/v2/submit""#;
/// let local = substitute_placeholders(yaml, &[("https://api.lead.im", "http://127.0.0.1:41234")]);
/// assert_eq!(local, r#"url: "http://127.0.0.1:41234/v2/submit""#);
/// ```
pub fn substitute_placeholders(yaml: &str, subs: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(yaml.len());
    let mut rest = yaml;
    while !rest.is_empty() {
        let hit = subs
            .iter()
            .filter(|(from, _)| !from.is_empty() && rest.starts_with(from))
            .max_by_key(|(from, _)| from.len());
        match hit {
            Some((from, to)) => {
                out.push_str(to);
                rest = &rest[from.len()..];
            }
            None => {
                let mut chars = rest.chars();
                out.extend(chars.next());
                rest = chars.as_str();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_is_single_pass() {
        let subs = [
            ("YOUR_TOKEN", "tok-YOUR_LM_KEY"),
            ("YOUR_LM_KEY", "k"),
            ("https://api.lead.im", "http://127.0.0.1:9"),
        ];
        let out = substitute_placeholders(
            "a: YOUR_TOKEN\nb: YOUR_LM_KEY\nurl: \"https://api.lead.im/v2/submit\" # שלום",
            &subs,
        );
        assert_eq!(
            out,
            "a: tok-YOUR_LM_KEY\nb: k\nurl: \"http://127.0.0.1:9/v2/submit\" # שלום"
        );
    }

    #[test]
    fn unknown_node_types_parse_and_pass_through() {
        let flow = Flow::from_yaml(
            "ask_name:\n  type: prompt\n  messages: [\"מה שמך?\"]\n  on_complete: next\nodd:\n  type: func\n  func_type: crm\n  func_id: sendTemplate\n",
        )
        .unwrap();
        assert_eq!(flow.nodes["ask_name"].action(), NodeAction::PassThrough);
        assert_eq!(flow.nodes["odd"].action(), NodeAction::UnsupportedFunc);
    }

    #[test]
    fn request_params_are_checked_on_load() {
        let err = Flow::from_yaml("r:\n  type: func\n  func_type: system\n  func_id: request\n  params:\n    method: get\n")
            .unwrap_err();
        assert!(
            matches!(err, FlowError::InvalidParams { ref node, .. } if node == "r"),
            "{err}"
        );
    }
}
