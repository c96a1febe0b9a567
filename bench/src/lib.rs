//! `leadim-bench`: how fast, how small and how quick to start `leadim-sim` is, measured
//! against a raw hyper server in the same run.
//!
//! One command, `cargo run --release -p leadim-bench`, runs five phases:
//!
//! 1. **Throughput** — a raw hyper server answering a fixed ~40-byte JSON body, and the
//!    simulator, each driven in turn with the same closed loop (32 keep-alive
//!    connections, a warm-up, then a measured window) for `/v2/submit` with Hebrew
//!    parameters, `leads_get.ashx?by_phone` with a token, and `lead_update.ashx`.
//! 2. **Startup** — process start to the first answered `/__admin/health`, median of
//!    several runs, with the embedded fixtures and with a generated 1,000,000-lead
//!    dataset.
//! 3. **Memory** — peak RSS after 1,000,000 mixed requests (journal on, default bound),
//!    and with 1,000,000 leads loaded.
//! 4. **Scale** — lookup and update at 1,000 and at 1,000,000 leads in one account.
//! 5. **Stalls** — lookups at 1,000,000 leads during a full journal read, a `--state`
//!    snapshot and a reset: p99.9, maximum, and the longest lock hold and worker-thread
//!    stall each causes.
//! 6. **State** — `/v2/submit` without a state file, with `--state` and with
//!    `--state --fsync`.
//!
//! Every server under test runs in its own process (this binary, re-run with a hidden
//! subcommand), so its RSS and startup are its own and the load generator does not
//! share a runtime with it. The results are printed as a table, with the targets and
//! PASS/MISS per target, and written as JSON.
//!
//! # Layout
//!
//! - `main.rs` — the `leadim-bench` binary: parses arguments and calls this library.
//! - `run/` (private; [`Options`], [`Phase`], [`run`], [`DriveOptions`] and [`drive`]
//!   are re-exported here) — the benchmark, phase by phase:
//!   - `mod.rs`: [`run`], the phases in order, and the helpers they share (starting a
//!     server, one measured window, progress bars);
//!   - `settings.rs`: [`Options`], [`Phase`], and the settings they come to with every
//!     default applied;
//!   - `phases.rs`: throughput, startup, memory after requests, and the generated
//!     datasets the memory and scale phases load;
//!   - `stall.rs`: lookups during a journal read, a snapshot and a reset, on a
//!     monitored simulator;
//!   - `state.rs`: submit with and without a state file;
//!   - `accounts.rs`: the account a workload addresses, created and seeded through the
//!     admin API or a generated dataset's own;
//!   - `drive.rs`: [`drive`] — one scenario against a simulator that is already
//!     running (for profiling).
//! - [`servers`] — the servers under test as child processes (the raw hyper baseline,
//!   the simulator, a monitored simulator that answers the stall phase's commands),
//!   and what `/proc` says about them: RSS, CPU time, machine load (`mod.rs`); `child`
//!   — the children's side, `serve-raw` and `serve-sim`.
//! - [`load`] — the closed-loop load generator: keep-alive connections, warm-up,
//!   measured window or request count, latency histogram.
//! - [`client`] — one HTTP/1.1 keep-alive connection over hyper's `client::conn`, and
//!   one-off calls to the admin API.
//! - [`workload`] — the requests of each scenario: submit, lookup, update, mixed.
//! - [`dataset`] — the data: large datasets from the simulator's own generator
//!   (`leadim_simulator::generate`), Hebrew leads to seed a created account with.
//! - [`report/`](report) — results and the targets they are held to:
//!   - `mod.rs`: the results ([`report::Report`] and its parts) and the targets;
//!   - `verdicts.rs`: each measurement held to its target, PASS or MISS;
//!   - `table.rs`: the table printed at the end of a run;
//!   - `numbers.rs`: how numbers are written ([`report::thousands`], ms, MB).

pub mod client;
pub mod dataset;
pub mod load;
pub mod report;
mod run;
pub mod servers;
pub mod workload;

pub use run::{DriveOptions, Options, Phase, drive, run};
