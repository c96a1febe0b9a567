//! `leadim-bench`: runs the benchmark (see the library's documentation), or — through
//! the hidden `serve-raw` and `serve-sim` subcommands it runs itself with — one of
//! the servers under test. It only parses arguments and calls the library.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

// The allocator `leadim-sim` links (see its `lib.rs`), so that `serve-sim` allocates,
// frees and stalls as the program does; the baseline and the load generator use it
// too, so the comparison stays one of the work done per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Measures leadim-sim against a raw hyper server: throughput and latency, startup,
/// memory and scale; prints a table with the targets and writes the results as JSON.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    options: leadim_bench::Options,
}

/// Other things than the benchmark.
#[derive(Subcommand, Debug)]
enum Command {
    /// Drive a simulator that is already running with one scenario (to profile it).
    Drive(leadim_bench::DriveOptions),
    /// The raw hyper baseline (the benchmark starts it).
    #[command(hide = true)]
    ServeRaw,
    /// The simulator, as `leadim-sim` runs it (the benchmark starts it).
    #[command(hide = true)]
    ServeSim {
        /// A folder with accounts.json and leads.jsonl.
        #[arg(long, value_name = "DIR")]
        fixtures: Option<PathBuf>,
        /// Time the locks and the worker thread, and answer the stall phase's
        /// commands on standard input.
        #[arg(long)]
        monitor: bool,
        /// Keep the state in this file, as `leadim-sim --state`.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// With --state: fsync the log before answering, as `leadim-sim --fsync`.
        #[arg(long, requires = "state")]
        fsync: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Drive(options)) => leadim_bench::drive(&options).map(drop),
        Some(Command::ServeRaw) => leadim_bench::servers::serve_raw(),
        Some(Command::ServeSim {
            fixtures,
            monitor,
            state,
            fsync,
        }) => {
            leadim_bench::servers::serve_sim(fixtures.as_deref(), monitor, state.as_deref(), fsync)
        }
        None => leadim_bench::run(cli.options).map(drop),
    }
}
