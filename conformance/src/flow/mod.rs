//! A Texter bot-flow runner, enough for the seed's flows
//! (`shared/spec/texter-flows.md`): `crm` funcs call the adapter under test,
//! `system`/`request` funcs make HTTP calls, and `on_complete`/`on_failure` lead on
//! until the flow names a node it does not define — the flow's end result
//! (`known_lead`, `lead_failed`, `done`, …).
//!
//! Other node types (prompts, switches) parse as generic nodes. The runner passes
//! through one that has an `on_complete`, since a scenario supplies prompt answers up
//! front as `state.node.<name>.text`; it stops at one that has none.

mod context;
mod model;
mod placeholders;
pub mod request;
mod runner;
pub mod template;

pub use context::{FlowContext, NodeResult};
pub use model::{Flow, Node, NodeAction, Param};
pub use placeholders::substitute_placeholders;
pub use runner::{FlowEnd, FlowOutcome, FlowRunner, MAX_STEPS, RequestRecord, Step};

use self::template::TemplateError;
use crate::adapter::AdapterCallError;

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
