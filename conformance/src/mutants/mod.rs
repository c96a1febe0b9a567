//! The suite's mutation score: how many deliberately broken adapters it catches.
//!
//! A corpus is a directory of adapters that each get one realistic thing wrong (the
//! Python ones in `examples/python/broken/` are small subclasses of the example
//! adapter). Every file starts with a comment naming its bug. [`run`] runs the
//! suite, strictly (a failed SHOULD scenario counts), against each of them and
//! stops each run at its first failing scenario: one failure is enough to call a
//! broken adapter *killed*. One that passes every scenario *survived*, and a
//! survivor is a gap in the suite — it gets a new scenario, never an exclusion.
//!
//! A baseline (the unbroken adapter the corpus derives from) can run first, under
//! the same options: if it fails, a kill proves nothing, so the run stops there.
//!
//! # Layout
//!
//! - this module: [`MutantsOptions`], [`MutantsError`], [`run`] (one suite run per
//!   adapter, its kill confirmed on its own).
//! - `corpus.rs`: [`Mutant`], [`read_corpus`], the bug a file names and the command
//!   that runs it.
//! - `report.rs`: [`Verdict`], [`MutantResult`], [`MutantsReport`] and its rendering.
//! - `ranking.rs`: which scenarios caught adapters, kept for the next run's order.

mod corpus;
mod ranking;
mod report;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

pub use corpus::{Mutant, bug_comment, command_for, default_template, read_corpus};
pub use report::{MutantResult, MutantsReport, Verdict};

use crate::suite::report::Summary;
use crate::suite::{self, AdapterChoice, Schedule, SuiteError, SuiteOptions};
use ranking::Kills;
use report::result_line;

/// How to run a corpus.
#[derive(Debug, Clone)]
pub struct MutantsOptions {
    /// The directory of broken adapters.
    pub corpus: PathBuf,
    /// The command that runs one adapter file, with `{file}` where its (quoted) path
    /// goes, e.g. `python3 {file}`. Without it, the command follows the file's
    /// extension: see [`default_template`].
    pub template: Option<String>,
    /// The unbroken adapter, run first under the same options; it must pass.
    pub baseline: Option<PathBuf>,
    /// Broken adapters tested at once.
    pub jobs: usize,
    /// Scenarios at once within one adapter's run.
    pub concurrency: usize,
    /// Feature files to run instead of the embedded ones.
    pub features: Option<PathBuf>,
    /// The deadline each adapter is told for a whole call (`LEADIM_ADAPTER_TIMEOUT_MS`).
    pub adapter_timeout: Duration,
    /// Print a line per adapter as its run ends.
    pub progress: bool,
    /// Where the kills of the last run are kept (`count<TAB>ms<TAB>file:line` lines): read at
    /// the start so the scenarios that caught adapters before run first, written at
    /// the end. Only an order: a missing, stale or unreadable file makes a run slower,
    /// never different.
    pub ranking_file: Option<PathBuf>,
}

impl Default for MutantsOptions {
    fn default() -> Self {
        Self {
            corpus: PathBuf::from("examples/python/broken"),
            template: None,
            baseline: None,
            jobs: 4,
            concurrency: 4,
            features: None,
            adapter_timeout: Duration::from_secs(2),
            progress: true,
            ranking_file: None,
        }
    }
}

/// Why the corpus could not be run at all.
#[derive(Debug, thiserror::Error)]
pub enum MutantsError {
    /// The corpus directory could not be read.
    #[error("cannot read the corpus {dir}: {source}")]
    Corpus {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The corpus holds no adapter.
    #[error("the corpus {0} holds no adapter file")]
    Empty(PathBuf),
    /// A file does not open with a comment naming its bug.
    #[error("{0} does not start with a comment naming its bug (`# …` or `// …`)")]
    NoBug(PathBuf),
    /// No command is known for a file's extension.
    #[error("no command for {0}: give --adapter-template, e.g. \"python3 {{file}}\"")]
    NoCommand(PathBuf),
    /// The suite itself could not run (bad features directory, simulator).
    #[error(transparent)]
    Suite(#[from] SuiteError),
    /// The unbroken adapter failed, so kills would prove nothing.
    #[error("the baseline {file} fails the suite, so no kill would mean anything:\n{report}")]
    Baseline {
        /// The baseline adapter.
        file: PathBuf,
        /// Its failure report.
        report: String,
    },
}

/// Runs the suite against every adapter of the corpus, [`MutantsOptions::jobs`] at a
/// time, each stopped at its first failure, and against the baseline (when given),
/// which must pass for the report to count.
///
/// Each run starts with the scenarios that killed the most adapters so far, then
/// takes the others across files (see [`Schedule::Prioritized`]): most broken
/// adapters then fail in their first few scenarios, which is what keeps a corpus of
/// dozens of adapters, each started once per call, within minutes on two cores. A
/// kill is confirmed by running the failed scenario again on its own, so a failure
/// that only a loaded machine caused cannot pass for a caught bug; the adapter's
/// run is then repeated without that scenario.
pub async fn run(options: &MutantsOptions) -> Result<MutantsReport, MutantsError> {
    let started = Instant::now();
    let mutants = read_corpus(&options.corpus)?;
    let commands = mutants
        .iter()
        .map(|m| command(options, &m.file))
        .collect::<Result<Vec<_>, _>>()?;
    let kills = options
        .ranking_file
        .as_deref()
        .map(Kills::read)
        .unwrap_or_default();
    // The baseline runs alongside the corpus rather than before it (its hang and
    // latency scenarios would hold the whole run up); its verdict is checked first.
    let baseline = async {
        match &options.baseline {
            Some(file) => check_baseline(options, file).await,
            None => Ok(()),
        }
    };
    let runs = mutants
        .into_iter()
        .zip(commands)
        .map(|(mutant, command)| run_one(options, &kills, mutant, command));
    let corpus = futures_util::stream::iter(runs)
        .buffer_unordered(options.jobs.max(1))
        .inspect(|result| {
            if options.progress {
                print!("{}", result_line(result));
            }
        })
        .collect::<Vec<MutantResult>>();
    let (baseline, mut results) = futures_util::future::join(baseline, corpus).await;
    baseline?;
    results.sort_by(|a, b| a.mutant.file.cmp(&b.mutant.file));
    if let Some(file) = &options.ranking_file {
        // A cache: failing to write it costs the next run time, not correctness.
        let _ = std::fs::write(file, kills.to_text());
    }
    Ok(MutantsReport {
        corpus: options.corpus.clone(),
        results,
        elapsed: started.elapsed(),
    })
}

fn command(options: &MutantsOptions, file: &Path) -> Result<String, MutantsError> {
    let template = options
        .template
        .as_deref()
        .or_else(|| default_template(file))
        .ok_or_else(|| MutantsError::NoCommand(file.to_path_buf()))?;
    Ok(command_for(template, file))
}

/// The suite's options for one run against one adapter: strict, since a SHOULD
/// failure catches a bug as well as a MUST one, and quiet.
fn suite_options(options: &MutantsOptions, command: String, schedule: Schedule) -> SuiteOptions {
    SuiteOptions {
        adapter: AdapterChoice::Command(command),
        features: options.features.clone(),
        strict: true,
        concurrency: options.concurrency,
        adapter_timeout: options.adapter_timeout,
        progress: false,
        schedule,
        ..SuiteOptions::default()
    }
}

/// Runs the suite against the unbroken adapter, which must pass. A scenario it
/// fails among all the others gets a second run on its own before the baseline is
/// refused, as a broken adapter's kill is confirmed: on a loaded machine a timing
/// scenario can fail an adapter that is not broken, and that would stop the whole
/// measurement.
async fn check_baseline(options: &MutantsOptions, file: &Path) -> Result<(), MutantsError> {
    let command = command(options, file)?;
    let report = suite::run(suite_options(options, command.clone(), Schedule::Files)).await?;
    let refused = |report: &suite::SuiteReport| MutantsError::Baseline {
        file: file.to_path_buf(),
        report: report.render(),
    };
    let mut again = 0;
    if !report.success() {
        let failed: Vec<String> = report
            .summary
            .results
            .iter()
            .filter(|r| r.failure.is_some())
            .map(|r| r.location.clone())
            .collect();
        if !report.summary.parse_errors.is_empty() || failed.is_empty() {
            return Err(refused(&report));
        }
        let mut alone = suite_options(options, command, Schedule::Only(failed.clone()));
        alone.concurrency = 1;
        let rerun = suite::run(alone).await?;
        if !rerun.success() || rerun.passed() != failed.len() {
            return Err(refused(&rerun));
        }
        again = failed.len();
    }
    if options.progress {
        let alone = if again > 0 {
            format!(" ({again} of them on a second run, alone)")
        } else {
            String::new()
        };
        println!(
            "baseline {}: {} scenarios passed{alone}",
            file.display(),
            report.summary.results.len(),
        );
    }
    Ok(())
}

/// How many runs a broken adapter gets in all: a run whose first failure does not
/// repeat on its own is followed by one without that scenario.
const ATTEMPTS: usize = 3;

async fn run_one(
    options: &MutantsOptions,
    kills: &Kills,
    mutant: Mutant,
    command: String,
) -> MutantResult {
    let started = Instant::now();
    let mut verdict = Verdict::Error("not run".into());
    let mut scenarios = 0;
    // Scenarios that failed and then passed on their own: a timing scenario on a
    // loaded machine, most likely. Left out of the next run, which would otherwise
    // start them early again (they lead the ranking) and stop at them again.
    let mut unconfirmed = Vec::new();
    for _ in 0..ATTEMPTS {
        let schedule = Schedule::Prioritized {
            first: kills.ranking(),
            skip: unconfirmed.clone(),
        };
        let mut options = suite_options(options, command.clone(), schedule);
        options.fail_fast = true;
        verdict = match suite::run(options.clone()).await {
            Err(error) => Verdict::Error(error.to_string()),
            Ok(report) => {
                scenarios += report.summary.results.len();
                verdict_of(report.summary)
            }
        };
        let Verdict::Killed(scenario) = &verdict else {
            break;
        };
        options.schedule = Schedule::Only(vec![scenario.location.clone()]);
        options.concurrency = 1;
        let alone = Instant::now();
        let again = suite::run(options).await.map(|r| r.summary.failed() > 0);
        scenarios += 1;
        if matches!(again, Ok(true)) {
            kills.record(&scenario.location, alone.elapsed());
            break;
        }
        unconfirmed.push(scenario.location.clone());
        verdict = Verdict::Unconfirmed(scenario.clone());
    }
    MutantResult {
        mutant,
        verdict,
        scenarios,
        elapsed: started.elapsed(),
    }
}

/// Killed by the first failed scenario; a feature file that did not parse, or a run
/// where nothing ran, is an error rather than a survival.
fn verdict_of(summary: Summary) -> Verdict {
    let passed = summary.passed();
    let first_failure = summary.results.into_iter().find(|r| r.failure.is_some());
    match (first_failure, summary.parse_errors.into_iter().next()) {
        (Some(scenario), _) => Verdict::Killed(Box::new(scenario)),
        (None, Some(error)) => Verdict::Error(error),
        (None, None) if passed == 0 => Verdict::Error("no scenario ran".into()),
        (None, None) => Verdict::Survived { passed },
    }
}
