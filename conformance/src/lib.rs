//! The conformance suite's library: what it takes to check that a Lead.IM adapter
//! for the Texter chatbot platform does what the seed document says, against the
//! `leadim-sim` simulator.
//!
//! # Layout
//!
//! - [`protocol`]: adapter protocol v1, the JSON an adapter under test reads and writes.
//! - [`phone`]: Israeli phone formats (display, E.164, the variants a lookup tries).
//! - [`adapter/`](adapter): the reference adapter and [`adapter::AdapterUnderTest`]
//!   over it and external adapters:
//!   - `mod.rs`: [`ReferenceAdapter`], [`AdapterUnderTest`];
//!   - `lookup.rs`, `display.rs`, `open_ticket.rs`: the reference adapter's functions;
//!   - `command.rs`: [`CommandAdapter`], an external adapter run as a command.
//! - [`flow/`](flow): a Texter bot-flow runner:
//!   - `mod.rs`: [`flow::FlowError`], and the re-exports below;
//!   - `model.rs`: the YAML model, [`Flow`] and its nodes, whose params keep the
//!     order written ([`flow::Param`]);
//!   - `context.rs`: [`FlowContext`], what a run reads and changes;
//!   - `runner.rs`: [`FlowRunner`], and the [`FlowOutcome`] of a run;
//!   - `request.rs`: [`flow::request`], the `request` func;
//!   - `placeholders.rs`: [`flow::substitute_placeholders`], the seed's credentials
//!     and hosts replaced with a scenario's;
//!   - `template/`: [`flow::template`], Texter's `%provider:path|transformer%`
//!     placeholders — `mod.rs` (rendering), `parse.rs` (the parser), `path.rs`
//!     (lodash-style paths), `transform.rs` (the transformers).
//! - [`suite/`](suite): the cucumber suite that the `leadim-conformance` binary and the
//!   `cucumber` test run — `mod.rs` (the World), `run.rs` (options and the run),
//!   `describe.rs` (a scenario's failure report), `report.rs`, `junit.rs`,
//!   `features.rs`, and `steps/` (one module per domain concept; see [`suite`]'s own
//!   layout).
//! - [`properties/`](properties): the property mode, field mapping checked on
//!   generated cases for any adapter — `mod.rs` (options and the run),
//!   `strategies.rs` (the generators), `cases.rs` (the cases and their requests),
//!   `checks/` (what each must lead to: `mod.rs` the shared checks, then
//!   `open_ticket.rs`, `lookup.rs`, `display.rs`), `rules.rs` (the rules and their
//!   levels), `search.rs` (proptest's runner and shrinking), `report.rs`.
//! - [`mutants/`](mutants): the suite's mutation score, its run against a corpus of
//!   broken adapters (`leadim-conformance mutants`) — `mod.rs` (options and the
//!   run), `corpus.rs` (the adapters and their bugs), `report.rs` (verdicts and the
//!   kill rate), `ranking.rs` (the scenarios that caught adapters, first next time).
//! - [`cli`]: the command line of the suite, of `leadim-conformance properties` and
//!   of `leadim-conformance mutants`, as [`cli::main`]; `main.rs`, the
//!   `leadim-conformance` binary, only calls it (so does the wheel's, in `dist/`).
//! - `bin/leadim-reference-adapter.rs`: the reference adapter as a protocol-v1 command.

pub mod adapter;
pub mod cli;
pub mod flow;
pub mod mutants;
pub mod phone;
pub mod properties;
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
