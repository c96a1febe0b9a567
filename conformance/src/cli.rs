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
//! `leadim-conformance mutants --corpus DIR` measures the suite itself: it runs it
//! against every broken adapter of a corpus and prints the kill rate and the
//! survivors (see `leadim_conformance::mutants`).
//!
//! Exit status: 0 when every MUST scenario and property passed (and every SHOULD
//! one, with `--strict`) — for `mutants`, when every broken adapter was caught; 1
//! when one failed (one survived); 2 when the suite could not run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::mutants::{self, MutantsOptions};
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
    /// The suite's mutation score: run it (strictly, stopping at the first failure)
    /// against every broken adapter in a corpus, and print the kill rate and every
    /// survivor.
    Mutants(MutantsArgs),
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
    /// After the suite, run the property mode too (see `properties --help`).
    #[arg(long)]
    properties: bool,
    #[command(flatten)]
    knobs: PropertyArgs,
}

/// The mutation score's options.
#[derive(Debug, Args)]
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
    /// The deadline each adapter is told for a whole call, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    adapter_timeout_ms: u64,
    /// Keep which scenarios caught adapters in this file, and run them first next
    /// time (an order only: the verdicts do not depend on it).
    #[arg(long, value_name = "FILE")]
    ranking_file: Option<PathBuf>,
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
        Some(Command::Mutants(mutants)) => run_mutants(mutants).await,
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
        fail_fast: args.fail_fast,
        ..SuiteOptions::default()
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
            exit(report.all_killed())
        }
        Err(error) => {
            eprintln!("leadim-conformance mutants: {error}");
            ExitCode::from(2)
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
