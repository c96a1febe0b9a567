//! Running a flow node by node against the adapter under test, and what the run
//! leaves: its end and its trace.

use super::request;
use super::template::Scope;
use super::{Flow, FlowContext, FlowError, Node, NodeAction};
use crate::adapter::AdapterUnderTest;
use crate::protocol::Outcome;

/// Steps after which a run is stopped as a loop.
pub const MAX_STEPS: usize = 100;

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
                ctx.chat.crm_data = response.crm_data_after(ctx.chat.crm_data.as_ref());
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
