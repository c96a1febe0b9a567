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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

use crate::suite::report::{ScenarioResult, Summary};
use crate::suite::{self, AdapterChoice, Schedule, SuiteError, SuiteOptions};

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
    /// The HTTP timeout each adapter is told (`LEADIM_ADAPTER_TIMEOUT_MS`).
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

/// One broken adapter of the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// Its file.
    pub file: PathBuf,
    /// The bug its opening comment names.
    pub bug: String,
}

impl Mutant {
    /// The file name, as reports show it.
    pub fn name(&self) -> String {
        self.file.file_name().map_or_else(
            || self.file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

/// What the suite did to one broken adapter.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// A scenario failed: the suite caught the bug.
    Killed(Box<ScenarioResult>),
    /// Every scenario passed: the suite missed the bug.
    Survived {
        /// How many scenarios it passed.
        passed: usize,
    },
    /// A scenario failed, but passed when run again on its own, in every attempt:
    /// a failure the machine's load may have caused. Not counted as killed.
    Unconfirmed(Box<ScenarioResult>),
    /// The suite could not run against it (which counts as not killed).
    Error(String),
}

/// One broken adapter and its verdict.
#[derive(Debug, Clone)]
pub struct MutantResult {
    /// The adapter.
    pub mutant: Mutant,
    /// What happened.
    pub verdict: Verdict,
    /// How many scenarios ran against it, confirmations included.
    pub scenarios: usize,
    /// How long its run took.
    pub elapsed: Duration,
}

impl MutantResult {
    /// Whether a scenario caught it.
    pub fn killed(&self) -> bool {
        matches!(self.verdict, Verdict::Killed(_))
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

/// Every broken adapter's verdict, in file-name order.
#[derive(Debug, Clone)]
pub struct MutantsReport {
    /// The corpus directory.
    pub corpus: PathBuf,
    /// One result per adapter.
    pub results: Vec<MutantResult>,
    /// The whole run.
    pub elapsed: Duration,
}

impl MutantsReport {
    /// Adapters a scenario caught.
    pub fn killed(&self) -> usize {
        self.results.iter().filter(|r| r.killed()).count()
    }

    /// Adapters no scenario caught (errors included).
    pub fn survivors(&self) -> Vec<&MutantResult> {
        self.results.iter().filter(|r| !r.killed()).collect()
    }

    /// Killed adapters in percent of the corpus.
    pub fn kill_rate(&self) -> f64 {
        if self.results.is_empty() {
            return 0.0;
        }
        self.killed() as f64 * 100.0 / self.results.len() as f64
    }

    /// True when every broken adapter was caught.
    pub fn all_killed(&self) -> bool {
        !self.results.is_empty() && self.survivors().is_empty()
    }

    /// A line per adapter (which scenario caught it, or that none did), every
    /// survivor with its bug, and last `mutants: K of N killed (R %)`.
    pub fn render(&self) -> String {
        let mut out = format!(
            "\nMutation score: the suite against the {} broken adapters in {}\n\n",
            self.results.len(),
            self.corpus.display()
        );
        for result in &self.results {
            out.push_str(&result_line(result));
        }
        let survivors = self.survivors();
        if !survivors.is_empty() {
            let _ = writeln!(out, "\nSurvivors (each needs a scenario that catches it)\n");
            for result in &survivors {
                let _ = writeln!(out, "  {}: {}", result.mutant.name(), result.mutant.bug);
            }
        }
        let _ = write!(
            out,
            "\nran in {:.1?}\nmutants: {} of {} killed ({:.1} %)",
            self.elapsed,
            self.killed(),
            self.results.len(),
            self.kill_rate()
        );
        if !survivors.is_empty() {
            let names: Vec<String> = survivors.iter().map(|r| r.mutant.name()).collect();
            let _ = write!(out, "; survivors: {}", names.join(", "));
        }
        out
    }
}

/// One adapter's lines in the report.
fn result_line(result: &MutantResult) -> String {
    let name = result.mutant.name();
    let secs = format!(
        "{:.1} s, {} scenarios",
        result.elapsed.as_secs_f64(),
        result.scenarios
    );
    match &result.verdict {
        Verdict::Killed(scenario) => {
            let why = scenario.failure.as_ref().map_or(String::new(), |f| {
                let first = f.message.lines().next().unwrap_or_default();
                format!("\n            {}: {}", f.step, clip(first, 160))
            });
            format!(
                "killed    {name} ({secs}) by {} {} [{} {}]{why}\n",
                scenario.location, scenario.name, scenario.flow, scenario.level
            )
        }
        Verdict::Survived { passed } => {
            format!("SURVIVED  {name} ({secs}): passed all {passed} scenarios\n")
        }
        Verdict::Unconfirmed(scenario) => format!(
            "UNSURE    {name} ({secs}): {} {} failed, then passed on its own\n",
            scenario.location, scenario.name
        ),
        Verdict::Error(error) => format!("ERROR     {name} ({secs}): {error}\n"),
    }
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The command for a file when no template is given: `python3 {file}` for `.py`,
/// `node {file}` for `.js`, `.mjs` and `.cjs`.
pub fn default_template(file: &Path) -> Option<&'static str> {
    match file.extension()?.to_str()? {
        "py" => Some("python3 {file}"),
        "js" | "mjs" | "cjs" => Some("node {file}"),
        _ => None,
    }
}

/// The command line for one adapter file: the template with `{file}` replaced by
/// the path in single quotes (for `sh -c`).
pub fn command_for(template: &str, file: &Path) -> String {
    let quoted = format!("'{}'", file.display().to_string().replace('\'', r"'\''"));
    template.replace("{file}", &quoted)
}

/// The bug a file's opening comment names: the comment lines (`#` or `//`) at its
/// top, after a `#!` line, joined; `None` when it opens with anything else.
pub fn bug_comment(source: &str) -> Option<String> {
    let mut lines = source.lines().peekable();
    if lines.peek().is_some_and(|l| l.starts_with("#!")) {
        lines.next();
    }
    let words: Vec<&str> = lines
        .map(str::trim)
        .map_while(|l| l.strip_prefix("//").or_else(|| l.strip_prefix('#')))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let bug = words.join(" ");
    (!bug.is_empty()).then_some(bug)
}

/// The adapters of a corpus directory, by file name: every file but hidden ones,
/// notes (`.md`, `.txt`) and directories (`__pycache__`).
pub fn read_corpus(dir: &Path) -> Result<Vec<Mutant>, MutantsError> {
    let io = |source| MutantsError::Corpus {
        dir: dir.to_path_buf(),
        source,
    };
    let mut mutants = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let note = path.extension().is_some_and(|e| e == "md" || e == "txt");
        if !path.is_file() || note || name.is_none_or(|n| n.starts_with('.')) {
            continue;
        }
        let source = std::fs::read_to_string(&path).map_err(io)?;
        let bug = bug_comment(&source).ok_or_else(|| MutantsError::NoBug(path.clone()))?;
        mutants.push(Mutant { file: path, bug });
    }
    if mutants.is_empty() {
        return Err(MutantsError::Empty(dir.to_path_buf()));
    }
    mutants.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(mutants)
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
/// that only a loaded machine caused cannot pass for a caught bug.
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

/// What each scenario (`file:line`) that caught a broken adapter has done so far.
#[derive(Debug, Default)]
struct Kills(Mutex<HashMap<String, Kill>>);

/// One scenario's kills.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Kill {
    /// How many broken adapters it caught.
    count: usize,
    /// How long it took on its own, the last time it confirmed a kill.
    took: Duration,
}

impl Kill {
    /// Kills per second of running it (half a second added for the run's own
    /// start-up): a run waits for the scenarios it started before its first failure,
    /// so a quick killer is worth more than a slow one (a hang, a late answer) that
    /// caught as many.
    fn worth(self) -> f64 {
        self.count as f64 / (self.took.as_secs_f64() + 0.5)
    }
}

impl Kills {
    /// The scenarios that caught something, the most worth first.
    fn ranking(&self) -> Vec<String> {
        self.ranked().into_iter().map(|(place, _)| place).collect()
    }

    fn ranked(&self) -> Vec<(String, Kill)> {
        let kills = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut ranked: Vec<(String, Kill)> = kills
            .iter()
            .map(|(place, kill)| (place.clone(), *kill))
            .collect();
        ranked.sort_by(|a, b| {
            b.1.worth()
                .total_cmp(&a.1.worth())
                .then_with(|| a.0.cmp(&b.0))
        });
        ranked
    }

    /// The kills a ranking file kept; nothing when it is missing, and no line that
    /// does not read as `count<TAB>milliseconds<TAB>file:line`.
    fn read(file: &Path) -> Self {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let kills = text
            .lines()
            .filter_map(|line| {
                let mut cells = line.splitn(3, '\t');
                let count = cells.next()?.parse().ok()?;
                let took = Duration::from_millis(cells.next()?.parse().ok()?);
                Some((cells.next()?.to_owned(), Kill { count, took }))
            })
            .collect();
        Self(Mutex::new(kills))
    }

    /// `count<TAB>milliseconds<TAB>file:line` lines, the most worth first.
    fn to_text(&self) -> String {
        self.ranked()
            .into_iter()
            .map(|(place, kill)| format!("{}\t{}\t{place}\n", kill.count, kill.took.as_millis()))
            .collect()
    }

    fn record(&self, place: &str, took: Duration) {
        let mut kills = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let kill = kills.entry(place.to_owned()).or_default();
        kill.count += 1;
        kill.took = took;
    }
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

async fn check_baseline(options: &MutantsOptions, file: &Path) -> Result<(), MutantsError> {
    let report = suite::run(suite_options(
        options,
        command(options, file)?,
        Schedule::Files,
    ))
    .await?;
    if !report.success() {
        return Err(MutantsError::Baseline {
            file: file.to_path_buf(),
            report: report.render(),
        });
    }
    if options.progress {
        println!(
            "baseline {}: {} scenarios passed",
            file.display(),
            report.passed()
        );
    }
    Ok(())
}

/// How many times a broken adapter's run is repeated when its first failure does
/// not repeat on its own.
const ATTEMPTS: usize = 2;

async fn run_one(
    options: &MutantsOptions,
    kills: &Kills,
    mutant: Mutant,
    command: String,
) -> MutantResult {
    let started = Instant::now();
    let mut verdict = Verdict::Error("not run".into());
    let mut scenarios = 0;
    for _ in 0..ATTEMPTS {
        let schedule = Schedule::Prioritized(kills.ranking());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::report::Level;

    #[test]
    fn the_bug_is_the_opening_comment() {
        let py = "#!/usr/bin/env python3\n# Bug: sends the chat title as fld_name.\n# Always.\n\nimport os\n";
        assert_eq!(
            bug_comment(py).as_deref(),
            Some("Bug: sends the chat title as fld_name. Always.")
        );
        assert_eq!(
            bug_comment("// Bug: no timeout\nconst x = 1;\n").as_deref(),
            Some("Bug: no timeout")
        );
        assert_eq!(bug_comment("#!/bin/sh\nexit 1\n"), None);
        assert_eq!(bug_comment("\"\"\"docstring\"\"\"\n"), None);
    }

    #[test]
    fn commands_quote_the_path_for_sh() {
        let file = Path::new("/tmp/it's broken.py");
        assert_eq!(
            command_for("python3 {file}", file),
            r"python3 '/tmp/it'\''s broken.py'"
        );
        assert_eq!(default_template(Path::new("a.mjs")), Some("node {file}"));
        assert_eq!(default_template(Path::new("a.rb")), None);
    }

    #[test]
    fn quick_killers_rank_first_and_the_file_round_trips() {
        let kills = Kills::default();
        let quick = Duration::from_millis(300);
        kills.record("resilience.feature:98", Duration::from_millis(3600));
        kills.record("resilience.feature:98", Duration::from_millis(3600));
        kills.record("display.feature:127", quick);
        kills.record("open_ticket.feature:19", quick);
        kills.record("open_ticket.feature:19", quick);
        let text = kills.to_text();
        assert_eq!(
            text,
            "2\t300\topen_ticket.feature:19\n1\t300\tdisplay.feature:127\n2\t3600\tresilience.feature:98\n"
        );
        let file = std::env::temp_dir().join(format!("leadim-ranking-{}", std::process::id()));
        std::fs::write(&file, format!("{text}junk\n1\tx\tlookup.feature:1\n")).unwrap();
        let read = Kills::read(&file);
        let _ = std::fs::remove_file(&file);
        assert_eq!(read.ranking(), kills.ranking());
        assert!(
            Kills::read(Path::new("/nonexistent/ranking"))
                .ranking()
                .is_empty()
        );
    }

    #[test]
    fn the_rate_counts_errors_as_survivors() {
        let mutant = |name: &str| Mutant {
            file: PathBuf::from(name),
            bug: "Bug: x".into(),
        };
        let result = |name: &str, verdict| MutantResult {
            mutant: mutant(name),
            verdict,
            scenarios: 3,
            elapsed: Duration::from_millis(10),
        };
        let scenario = ScenarioResult {
            location: "lookup.feature:9".into(),
            name: "שם".into(),
            flow: "lookup".into(),
            level: Level::Must,
            failure: None,
        };
        let report = MutantsReport {
            corpus: PathBuf::from("broken"),
            results: vec![
                result("a.py", Verdict::Killed(Box::new(scenario))),
                result("b.py", Verdict::Survived { passed: 90 }),
                result("c.py", Verdict::Error("no scenario ran".into())),
            ],
            elapsed: Duration::from_secs(1),
        };
        assert_eq!(report.killed(), 1);
        assert!(!report.all_killed());
        let text = report.render();
        assert!(
            text.ends_with("mutants: 1 of 3 killed (33.3 %); survivors: b.py, c.py"),
            "{text}"
        );
        assert!(text.contains("SURVIVED  b.py"), "{text}");
    }
}
