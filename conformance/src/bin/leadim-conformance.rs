//! `leadim-conformance`: runs the conformance suite against a Lead.IM adapter — the
//! reference adapter in-process, or any command speaking adapter protocol v1 — and
//! a simulator it starts on 127.0.0.1. Prints a line per scenario, a report for each
//! failure, a table by flow and level, and last `conformance: N passed, N failed`.
//!
//! Exit status: 0 when every MUST scenario passed (and every SHOULD one, with
//! `--strict`); 1 when one failed; 2 when the suite could not run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use leadim_conformance::suite::{self, AdapterChoice, SuiteOptions};

/// Conformance suite for Lead.IM adapters (Texter's crm functions getCustomerDetails
/// and openTicket, and the seed's request-func flows).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
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

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
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
