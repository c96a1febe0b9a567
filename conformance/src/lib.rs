//! The conformance suite's library: what it takes to check that a Lead.IM adapter
//! for the Texter chatbot platform does what the seed document says, against the
//! `leadim-sim` simulator.
//!
//! # Layout
//!
//! - [`protocol`]: adapter protocol v1, the JSON an adapter under test reads and writes.
//! - [`phone`]: Israeli phone formats (display, E.164, the variants a lookup tries).
//! - [`adapter`]: the reference adapter (`lookup`, `display`, `open_ticket`), external
//!   adapters run as commands, and [`adapter::AdapterUnderTest`] over both.
//! - [`flow`]: a Texter bot-flow runner: YAML model, placeholder templates, the
//!   `request` func.
//! - [`suite`]: the cucumber suite — World, steps, runner, report — that the
//!   `leadim-conformance` binary and the `cucumber` test run.

pub mod adapter;
pub mod flow;
pub mod phone;
pub mod protocol;
pub mod suite;

pub use adapter::{AdapterCallError, AdapterUnderTest, CommandAdapter, ReferenceAdapter};
pub use flow::{Flow, FlowContext, FlowOutcome, FlowRunner};
pub use protocol::{AdapterRequest, AdapterResponse};

/// An error with its whole source chain: reqwest's own message ("error sending
/// request") alone does not say what went wrong.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
