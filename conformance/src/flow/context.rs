//! What a run reads and changes: the chat, the crmConfig, the endpoints and what each
//! node left behind.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::protocol::{AdapterRequest, Chat, CrmConfig, Endpoints, Function, NodeState};

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
