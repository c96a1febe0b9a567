//! Running the suite: options, the cucumber run, the summary and the verdict.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::{World as _, WriterExt as _};
use leadim_simulator::{Simulator, SimulatorHandle};

use super::features::{self, FeatureText, Schedule, TextParser};
use super::report::{Level, Records, SuiteWriter, Summary};
use super::{CONTEXT, LeadimWorld, RunContext};
use crate::adapter::{
    AdapterCallError, AdapterUnderTest, CommandAdapter, ReferenceAdapter, TIMEOUT_ENV,
};
use crate::flow::FlowRunner;
use crate::protocol::{AdapterRequest, Chat, CrmConfig, Endpoints, Function};

/// Which adapter the suite tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterChoice {
    /// The reference adapter, in-process.
    Reference,
    /// A command speaking protocol v1, run by `sh -c` once per call.
    Command(String),
}

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// The adapter under test.
    pub adapter: AdapterChoice,
    /// A directory of `*.feature` files (and `flows/*.yaml`) instead of the
    /// embedded ones.
    pub features: Option<PathBuf>,
    /// Where to write a JUnit XML report.
    pub junit: Option<PathBuf>,
    /// A cucumber tag expression; only matching scenarios run (`@lookup and @must`).
    pub tags: Option<String>,
    /// SHOULD failures fail the run too.
    pub strict: bool,
    /// Scenarios run at once.
    pub concurrency: usize,
    /// The adapter's deadline for a whole call: the in-process adapter's, and the
    /// one an external adapter is told through `LEADIM_ADAPTER_TIMEOUT_MS`. Hang and
    /// latency scenarios last about this long.
    pub adapter_timeout: Duration,
    /// Stop starting scenarios after the first failure (those already running
    /// finish): the mutation corpus needs one failure per broken adapter, not all.
    pub fail_fast: bool,
    /// Print a line per scenario as it finishes. Off when many runs share one
    /// terminal (the mutation corpus), which report only their outcome.
    pub progress: bool,
    /// The order scenarios start in (file by file unless told otherwise).
    pub schedule: Schedule,
}

impl AdapterChoice {
    /// The adapter to call, with `timeout` as its deadline. An external command's
    /// call timeout is the one `docs/adapter-protocol.md` promises: 10 s, or four
    /// times the deadline it is told if that is longer.
    pub fn build(&self, timeout: Duration) -> Result<AdapterUnderTest, reqwest::Error> {
        Ok(match self {
            Self::Reference => {
                AdapterUnderTest::Reference(ReferenceAdapter::with_timeout(timeout)?)
            }
            Self::Command(command) => AdapterUnderTest::Command(
                CommandAdapter::new(command.clone())
                    .with_timeout(CommandAdapter::DEFAULT_TIMEOUT.max(timeout * 4))
                    .with_env(TIMEOUT_ENV, timeout.as_millis().to_string()),
            ),
        })
    }
}

impl Default for SuiteOptions {
    fn default() -> Self {
        Self {
            adapter: AdapterChoice::Reference,
            features: None,
            junit: None,
            tags: None,
            strict: false,
            concurrency: 16,
            adapter_timeout: Duration::from_secs(2),
            fail_fast: false,
            progress: true,
            schedule: Schedule::Files,
        }
    }
}

/// Why the suite could not run at all (as opposed to scenarios failing).
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// The tag expression does not parse.
    #[error("invalid tag expression {expr:?}: {reason}")]
    Tags {
        /// The expression.
        expr: String,
        /// The parser's complaint.
        reason: String,
    },
    /// The features directory could not be read.
    #[error("cannot read the features in {dir}: {source}")]
    Features {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The JUnit file could not be created.
    #[error("cannot create the JUnit report {path}: {source}")]
    Junit {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The simulator did not start.
    #[error("the simulator did not start: {0}")]
    Simulator(#[from] leadim_simulator::StartError),
    /// The adapter command cannot start: `sh -c` exited 126 (not executable) or
    /// 127 (not found) on the first call.
    #[error(
        "the adapter command cannot start: `sh -c {command:?}` exited {code}{}",
        if stderr.is_empty() { String::new() } else { format!(": {}", stderr.trim_end()) }
    )]
    AdapterCannotStart {
        /// The command.
        command: String,
        /// 126 or 127.
        code: i32,
        /// What the shell said.
        stderr: String,
    },
    /// The in-process adapter's HTTP client could not be built.
    #[error("the reference adapter could not be built: {0}")]
    Adapter(#[from] reqwest::Error),
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// Every scenario's result.
    pub summary: Summary,
    /// Whether SHOULD failures count.
    pub strict: bool,
}

impl SuiteReport {
    /// Scenarios that passed.
    pub fn passed(&self) -> usize {
        self.summary.passed()
    }

    /// Scenarios that failed (and feature files that did not parse).
    pub fn failed(&self) -> usize {
        self.summary.failed()
    }

    /// True when the run passes: no MUST failure, no parse error, at least one
    /// scenario ran, and, when strict, no SHOULD failure either.
    pub fn success(&self) -> bool {
        self.summary.parse_errors.is_empty()
            && !self.summary.results.is_empty()
            && self.summary.failed_at(Level::Must) == 0
            && (!self.strict || self.summary.failed_at(Level::Should) == 0)
    }

    /// The failure reports, the table and the last line,
    /// `conformance: N passed, N failed`.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if self.summary.results.is_empty() && self.summary.parse_errors.is_empty() {
            text.push_str("no scenario ran: check --tags and --features\n");
        }
        text.push_str(&self.summary.render());
        text
    }
}

/// Runs the suite and returns what it found; prints a line per scenario as it goes
/// (the caller prints [`SuiteReport::render`] at the end).
///
/// ```no_run
/// # #[tokio::main] async fn main() {
/// use leadim_conformance::suite::{SuiteOptions, run};
///
/// let report = run(SuiteOptions::default()).await.expect("the suite runs");
/// println!("{}", report.render());
/// assert!(report.success());
/// # }
/// ```
pub async fn run(options: SuiteOptions) -> Result<SuiteReport, SuiteError> {
    let tags = parse_tags(options.tags.as_deref())?;
    let (inputs, flows) = read_features(options.features.as_ref())?;
    // Created before the run, so that an unwritable path fails at once.
    let junit = options
        .junit
        .as_ref()
        .map(|path| {
            std::fs::File::create(path)
                .map(|file| (path, file))
                .map_err(|source| SuiteError::Junit {
                    path: path.clone(),
                    source,
                })
        })
        .transpose()?;

    let timeout = options.adapter_timeout;
    let adapter = options.adapter.build(timeout)?;
    let sim = Simulator::start().await?;
    starts(&adapter, &sim).await?;
    let ctx = Arc::new(RunContext {
        sim,
        runner: FlowRunner::new(adapter.clone())?,
        adapter,
        adapter_timeout: timeout,
        flows,
    });

    let records = Records::default();
    // `&str` is the input type of cucumber's own parser, which `with_parser` replaces.
    let writer = SuiteWriter::new(&records).with_progress(options.progress);
    let mut cucumber = LeadimWorld::cucumber::<&str>()
        .with_parser(TextParser {
            schedule: options.schedule.clone(),
        })
        .with_writer(writer.normalized())
        .with_default_cli()
        .fail_on_skipped()
        .max_concurrent_scenarios(options.concurrency.max(1));
    if options.fail_fast {
        cucumber = cucumber.fail_fast();
    }
    let filter = move |feature: &cucumber::gherkin::Feature,
                       rule: Option<&cucumber::gherkin::Rule>,
                       scenario: &cucumber::gherkin::Scenario| {
        tags.as_ref().is_none_or(|op| {
            op.eval(
                feature
                    .tags
                    .iter()
                    .chain(rule.iter().flat_map(|r| &r.tags))
                    .chain(&scenario.tags),
            )
        })
    };
    CONTEXT
        .scope(ctx.clone(), cucumber.filter_run(inputs, filter))
        .await;
    if let Ok(ctx) = Arc::try_unwrap(ctx) {
        ctx.sim.shutdown().await;
    }
    let summary = Summary::from_records(&records);
    if let Some((path, file)) = junit {
        super::junit::write(&summary, options.strict, std::io::BufWriter::new(file)).map_err(
            |error| SuiteError::Junit {
                path: path.clone(),
                source: std::io::Error::other(error.to_string()),
            },
        )?;
    }
    Ok(SuiteReport {
        summary,
        strict: options.strict,
    })
}

/// Whether the adapter command starts at all, found with one lookup for a fresh
/// account before any scenario runs: a command that cannot start would fail every
/// scenario with the same message, so it is reported once instead.
async fn starts(adapter: &AdapterUnderTest, sim: &SimulatorHandle) -> Result<(), SuiteError> {
    let AdapterUnderTest::Command(command) = adapter else {
        return Ok(());
    };
    let account = sim.create_account();
    let request = AdapterRequest::new(
        Function::GetCustomerDetails,
        CrmConfig::for_account(&account),
        Chat {
            phone: Some("972521234567".into()),
            title: Some("דנה כהן".into()),
            ..Chat::default()
        },
        Endpoints::for_account(&account),
    );
    match command.call(&request).await {
        Err(AdapterCallError::Exit { status, stderr }) => match status.code() {
            Some(code @ (126 | 127)) => Err(SuiteError::AdapterCannotStart {
                command: command.command.clone(),
                code,
                stderr,
            }),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The `--tags` expression, parsed before anything starts so a typo fails at once.
fn parse_tags(expr: Option<&str>) -> Result<Option<TagOperation>, SuiteError> {
    expr.map(|expr| {
        expr.parse::<TagOperation>().map_err(|e| SuiteError::Tags {
            expr: expr.to_owned(),
            reason: e.to_string(),
        })
    })
    .transpose()
}

/// The feature files and seed flows: the embedded ones, or a directory's.
fn read_features(
    dir: Option<&PathBuf>,
) -> Result<(Vec<FeatureText>, BTreeMap<String, String>), SuiteError> {
    let Some(dir) = dir else {
        return Ok((features::embedded_features(), features::embedded_flows()));
    };
    let read = |source| SuiteError::Features {
        dir: dir.clone(),
        source,
    };
    Ok((
        features::features_in(dir).map_err(read)?,
        features::flows_in(dir).map_err(read)?,
    ))
}
