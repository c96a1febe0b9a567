//! The `leadim-conformance` program's command line, as a function ([`main`]) that
//! the workspace's binary and the wheel's (`dist/`) both call.
//!
//! `leadim-conformance` runs the conformance suite against a Lead.IM adapter — the
//! reference adapter in-process, or any command speaking adapter protocol v1 — and
//! a simulator it starts on 127.0.0.1. Prints a line per scenario, a report for each
//! failure, a table by flow and level, and last `conformance: N passed, N failed`.
//!
//! `leadim-conformance properties` (or `--properties` after the suite) checks the
//! adapter's field mapping on generated chats instead; see
//! `leadim_conformance::properties`.
//!
//! Exit status: 0 when every MUST scenario and property passed (and every SHOULD
//! one, with `--strict`); 1 when one failed; 2 when the suite could not run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::properties::{self, PropertyId, PropertyOptions};
use crate::suite::{self, AdapterChoice, SuiteOptions};
use clap::{Args, Parser, Subcommand};

/// Conformance suite for Lead.IM adapters (Texter's crm functions getCustomerDetails
/// and openTicket, and the seed's request-func flows).
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    suite: SuiteArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Property-based field mapping: generated chats, crmConfigs and leads, checked
    /// through protocol v1 and the simulator's journal; a failure is shrunk to a
    /// minimal chat and printed with the command that replays it.
    Properties {
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        knobs: PropertyArgs,
        /// Only this property (open-ticket, lookup or display); may be repeated.
        #[arg(long = "property", value_name = "NAME")]
        only: Vec<PropertyId>,
    },
}

/// What the suite and the property mode share.
#[derive(Debug, Args)]
struct CommonArgs {
    /// The adapter command, run once per call by `sh -c` (protocol v1: a JSON
    /// request on stdin, a JSON response on stdout), e.g. "python3 my_adapter.py".
    /// Without it, the in-process reference adapter is tested.
    #[arg(long, value_name = "COMMAND")]
    adapter: Option<String>,
    /// SHOULD failures fail the run too.
    #[arg(long)]
    strict: bool,
    /// The adapter's deadline for a whole call, in milliseconds; an external adapter
    /// gets it as LEADIM_ADAPTER_TIMEOUT_MS. Hang and latency scenarios last about
    /// this long. Default: 2000 for the suite, 10000 for the property mode (which
    /// injects no fault, so only a busy machine could make an adapter wait).
    #[arg(long, value_name = "MS")]
    adapter_timeout_ms: Option<u64>,
}

impl CommonArgs {
    fn adapter(&self) -> AdapterChoice {
        self.adapter
            .clone()
            .map_or(AdapterChoice::Reference, AdapterChoice::Command)
    }

    /// The deadline given, or `default`.
    fn timeout(&self, default: Duration) -> Duration {
        self.adapter_timeout_ms
            .map_or(default, Duration::from_millis)
    }
}

/// The property mode's knobs.
#[derive(Debug, Args)]
struct PropertyArgs {
    /// Generated cases per property.
    #[arg(long, value_name = "N", default_value_t = properties::DEFAULT_CASES)]
    cases: u32,
    /// The seed of the generated cases (printed by every run; random without it).
    #[arg(long, value_name = "SEED")]
    seed: Option<u64>,
}

/// The suite's own options.
#[derive(Debug, Args)]
struct SuiteArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Write a JUnit XML report to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Only scenarios matching this cucumber tag expression, e.g. "@lookup and @must".
    #[arg(long, value_name = "EXPR")]
    tags: Option<String>,
    /// A directory of .feature files (and flows/*.yaml) to run instead of the
    /// embedded ones.
    #[arg(long, value_name = "DIR")]
    features: Option<PathBuf>,
    /// Scenarios run at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    concurrency: usize,
    /// After the suite, run the property mode too (see `properties --help`).
    #[arg(long)]
    properties: bool,
    #[command(flatten)]
    knobs: PropertyArgs,
}

/// The `leadim-conformance` program: parses the process's arguments, runs the suite
/// (or the property mode) and answers the exit status described above.
#[tokio::main]
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Properties {
            common,
            knobs,
            only,
        }) => match run_properties(&common, &knobs, only).await {
            Some(passed) => exit(passed),
            None => ExitCode::from(2),
        },
        None => run_suite(cli.suite).await,
    }
}

async fn run_suite(args: SuiteArgs) -> ExitCode {
    let options = SuiteOptions {
        adapter: args.common.adapter(),
        features: args.features,
        junit: args.junit,
        tags: args.tags,
        strict: args.common.strict,
        concurrency: args.concurrency,
        adapter_timeout: args.common.timeout(SuiteOptions::default().adapter_timeout),
    };
    let suite_passed = match suite::run(options).await {
        Ok(report) => {
            println!("{}", report.render());
            report.success()
        }
        Err(error) => {
            eprintln!("leadim-conformance: {error}");
            return ExitCode::from(2);
        }
    };
    if !args.properties {
        return exit(suite_passed);
    }
    println!();
    match run_properties(&args.common, &args.knobs, Vec::new()).await {
        Some(passed) => exit(suite_passed && passed),
        None => ExitCode::from(2),
    }
}

/// Runs the property mode and prints its report: whether it passed, `None` when it
/// could not run.
async fn run_properties(
    common: &CommonArgs,
    knobs: &PropertyArgs,
    only: Vec<PropertyId>,
) -> Option<bool> {
    let options = PropertyOptions {
        cases: knobs.cases,
        seed: knobs.seed.unwrap_or_else(properties::random_seed),
        only,
        adapter_timeout: common.timeout(properties::DEFAULT_ADAPTER_TIMEOUT),
        strict: common.strict,
        ..PropertyOptions::new(common.adapter())
    };
    match properties::run(options).await {
        Ok(report) => {
            println!("{}", report.render());
            Some(report.success())
        }
        Err(error) => {
            eprintln!("leadim-conformance properties: {error}");
            None
        }
    }
}

fn exit(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
