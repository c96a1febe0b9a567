//! `leadim-conformance`: runs the conformance suite against a Lead.IM adapter — the
//! reference adapter in-process, or any command speaking adapter protocol v1 — and
//! a simulator it starts on 127.0.0.1. Prints a line per scenario, a report for each
//! failure, a table by flow and level, and last `conformance: N passed, N failed`.
//!
//! `leadim-conformance mutants --corpus DIR` measures the suite instead: it runs it
//! against every broken adapter of a corpus and prints the kill rate and the
//! survivors (see `leadim_conformance::mutants`).
//!
//! Exit status: 0 when every MUST scenario passed (and every SHOULD one, with
//! `--strict`) — for `mutants`, when every broken adapter was caught; 1 when one
//! failed (one survived); 2 when the suite could not run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use leadim_conformance::mutants::{self, MutantsOptions};
use leadim_conformance::suite::{self, AdapterChoice, SuiteOptions};

/// Conformance suite for Lead.IM adapters (Texter's crm functions getCustomerDetails
/// and openTicket, and the seed's request-func flows).
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// The adapter command, run once per call by `sh -c` (protocol v1: a JSON
    /// request on stdin, a JSON response on stdout), e.g. "python3 my_adapter.py".
    /// Without it, the suite runs the in-process reference adapter.
    #[arg(long, value_name = "COMMAND")]
    adapter: Option<String>,
    /// Write a JUnit XML report to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Only scenarios matching this cucumber tag expression, e.g. "@lookup and @must".
    #[arg(long, value_name = "EXPR")]
    tags: Option<String>,
    /// SHOULD failures fail the run too.
    #[arg(long)]
    strict: bool,
    /// Stop starting scenarios after the first failure.
    #[arg(long)]
    fail_fast: bool,
    /// A directory of .feature files (and flows/*.yaml) to run instead of the
    /// embedded ones.
    #[arg(long, value_name = "DIR")]
    features: Option<PathBuf>,
    /// Scenarios run at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    concurrency: usize,
    /// The adapter's HTTP timeout in milliseconds; an external adapter gets it as
    /// LEADIM_ADAPTER_TIMEOUT_MS. Hang and latency scenarios last about this long.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    adapter_timeout_ms: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The suite's mutation score: run it (strictly, stopping at the first failure)
    /// against every broken adapter in a corpus, and print the kill rate and every
    /// survivor.
    Mutants(MutantsArgs),
}

#[derive(Debug, clap::Args)]
struct MutantsArgs {
    /// The directory of broken adapters; each file opens with a comment naming its bug.
    #[arg(long, value_name = "DIR")]
    corpus: PathBuf,
    /// How to run one file, `{file}` standing for its path, e.g. "python3 {file}".
    /// Default: python3 for .py, node for .js/.mjs/.cjs.
    #[arg(long, value_name = "COMMAND")]
    adapter_template: Option<String>,
    /// The unbroken adapter, run first with the same options; it must pass.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Broken adapters tested at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    jobs: usize,
    /// Scenarios at once within each adapter's run.
    #[arg(long, value_name = "N", default_value_t = 4)]
    concurrency: usize,
    /// A directory of .feature files to run instead of the embedded ones.
    #[arg(long, value_name = "DIR")]
    features: Option<PathBuf>,
    /// The HTTP timeout each adapter is told, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    adapter_timeout_ms: u64,
    /// Keep which scenarios caught adapters in this file, and run them first next
    /// time (an order only: the verdicts do not depend on it).
    #[arg(long, value_name = "FILE")]
    ranking_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(Command::Mutants(mutants)) => run_mutants(mutants).await,
        None => run_suite(args).await,
    }
}

async fn run_suite(args: Args) -> ExitCode {
    let options = SuiteOptions {
        adapter: args
            .adapter
            .map_or(AdapterChoice::Reference, AdapterChoice::Command),
        features: args.features,
        junit: args.junit,
        tags: args.tags,
        strict: args.strict,
        concurrency: args.concurrency,
        adapter_timeout: Duration::from_millis(args.adapter_timeout_ms),
        fail_fast: args.fail_fast,
        ..SuiteOptions::default()
    };
    match suite::run(options).await {
        Ok(report) => {
            println!("{}", report.render());
            if report.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("leadim-conformance: {error}");
            ExitCode::from(2)
        }
    }
}

async fn run_mutants(args: MutantsArgs) -> ExitCode {
    let options = MutantsOptions {
        corpus: args.corpus,
        template: args.adapter_template,
        baseline: args.baseline,
        jobs: args.jobs,
        concurrency: args.concurrency,
        features: args.features,
        adapter_timeout: Duration::from_millis(args.adapter_timeout_ms),
        progress: true,
        ranking_file: args.ranking_file,
    };
    match mutants::run(&options).await {
        Ok(report) => {
            println!("{}", report.render());
            if report.all_killed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("leadim-conformance mutants: {error}");
            ExitCode::from(2)
        }
    }
}
