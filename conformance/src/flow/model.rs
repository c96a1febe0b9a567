//! A flow as its YAML reads: nodes by name, and what running each one means.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FlowError;
use super::request::RequestParams;
use crate::protocol::{Function, Outcome};

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
    pub params: Param,
    /// Next node on success.
    #[serde(default)]
    pub on_complete: Option<String>,
    /// Next node on failure.
    #[serde(default)]
    pub on_failure: Option<String>,
}

/// A param as the YAML writes it. Its maps keep their order, which serde_json's
/// `Value` does not (without its `preserve_order` feature, which would be forced on
/// every build that links this crate): a `request` sends its query, data and
/// headers in the order the flow lists them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Param {
    /// A map, in the order written.
    Map(IndexMap<String, Param>),
    /// A list.
    List(Vec<Param>),
    /// A scalar, or null.
    Scalar(Value),
}

impl Default for Param {
    fn default() -> Self {
        Param::Scalar(Value::Null)
    }
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
        // Through JSON text, which keeps the params' order into RequestParams' maps
        // (a serde_json::Value would sort them); a flow's params are a few lines.
        let text =
            serde_json::to_string(&self.params).map_err(|source| FlowError::InvalidParams {
                node: node.into(),
                source,
            })?;
        serde_json::from_str(&text).map_err(|source| FlowError::InvalidParams {
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

#[cfg(test)]
mod tests {
    use super::*;

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
