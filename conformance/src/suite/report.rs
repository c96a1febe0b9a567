//! What a run says: one line per scenario as it finishes, then a report for each
//! failed scenario (the step that failed, what it expected, what the adapter
//! returned and what the simulator received), a table of results by flow and level,
//! and, last, `conformance: N passed, N failed`.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use cucumber::event::{self, Cucumber, Feature, Rule, Scenario, StepError};
use cucumber::gherkin;
use cucumber::parser;
use cucumber::{Event, Writer};

use super::LeadimWorld;

/// The flow tags, in the order the summary lists them.
pub const FLOWS: &[&str] = &[
    "lookup",
    "display",
    "open_ticket",
    "create_lead",
    "update_lead",
    "get_transformer",
    "resilience",
];

/// How binding a scenario is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// `@must`: what the seed documents; a failure fails the run. Untagged
    /// scenarios count as MUST.
    Must,
    /// `@should`: robustness; a failure fails the run only when strict.
    Should,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        })
    }
}

/// One finished scenario.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// `file:line` of the scenario (or of its Examples row).
    pub location: String,
    /// Its name, Examples values substituted.
    pub name: String,
    /// Its flow tag (`lookup`, …), or `other`.
    pub flow: String,
    /// Its level.
    pub level: Level,
    /// How long it ran, when known.
    pub duration: Option<Duration>,
    /// Why it failed; `None` when it passed.
    pub failure: Option<Failure>,
}

/// Why a scenario failed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The step that failed, keyword included (`Then the adapter answers failure`).
    pub step: String,
    /// What the step expected and what it found.
    pub message: String,
    /// What the adapter returned and the simulator received, when the world was there.
    pub details: Option<String>,
}

/// The writer of a run: prints a line per scenario and records every result (the
/// JUnit report is written from the records). Wrapped in cucumber's `Normalize`,
/// so it sees each scenario's events together and in file order, each with the
/// time it happened.
#[derive(Debug)]
pub struct SuiteWriter {
    results: Arc<Mutex<Vec<ScenarioResult>>>,
    parse_errors: Arc<Mutex<Vec<String>>>,
    failures: HashMap<(String, usize), Failure>,
    progress: bool,
    started: HashMap<(String, usize), SystemTime>,
}

/// Where a writer leaves what it recorded.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// Finished scenarios.
    pub results: Arc<Mutex<Vec<ScenarioResult>>>,
    /// Feature files that did not parse.
    pub parse_errors: Arc<Mutex<Vec<String>>>,
}

impl SuiteWriter {
    /// A writer recording into `records`.
    pub fn new(records: &Records) -> Self {
        Self {
            results: records.results.clone(),
            parse_errors: records.parse_errors.clone(),
            failures: HashMap::new(),
            progress: true,
            started: HashMap::new(),
        }
    }

    /// Whether to print a line per finished scenario (on by default).
    #[must_use]
    pub fn with_progress(mut self, progress: bool) -> Self {
        self.progress = progress;
        self
    }

    fn scenario(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        ev: &Scenario<LeadimWorld>,
        at: SystemTime,
    ) {
        let key = (feature_file(feature), scenario.position.line);
        match ev {
            Scenario::Started => {
                self.started.insert(key, at);
            }
            Scenario::Step(step, event::Step::Failed(_, _, world, error))
            | Scenario::Background(step, event::Step::Failed(_, _, world, error)) => {
                self.failures.entry(key).or_insert_with(|| Failure {
                    step: format!("{}{}", step.keyword, step.value),
                    message: step_error(error),
                    details: world.as_deref().map(LeadimWorld::report),
                });
            }
            Scenario::Hook(kind, event::Hook::Failed(world, info)) => {
                self.failures.entry(key).or_insert_with(|| Failure {
                    step: format!("{kind:?} hook"),
                    message: panic_text(info),
                    details: world.as_deref().map(LeadimWorld::report),
                });
            }
            Scenario::Finished => {
                let tags = feature
                    .tags
                    .iter()
                    .chain(rule.iter().flat_map(|r| &r.tags))
                    .chain(&scenario.tags);
                let (flow, level) = classify(tags);
                let result = ScenarioResult {
                    location: format!("{}:{}", key.0, key.1),
                    name: scenario.name.clone(),
                    flow,
                    level,
                    duration: self
                        .started
                        .remove(&key)
                        .and_then(|started| at.duration_since(started).ok()),
                    failure: self.failures.remove(&key),
                };
                if self.progress {
                    print_line(&result);
                }
                lock(&self.results).push(result);
            }
            _ => {}
        }
    }
}

impl Writer<LeadimWorld> for SuiteWriter {
    type Cli = cucumber::cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<Event<Cucumber<LeadimWorld>>>,
        _: &Self::Cli,
    ) {
        match event {
            Err(error) => {
                println!("✘ {error}");
                lock(&self.parse_errors).push(error.to_string());
            }
            Ok(event) => match event.value {
                Cucumber::Feature(feature, Feature::Scenario(scenario, ev)) => {
                    self.scenario(&feature, None, &scenario, &ev.event, event.at);
                }
                Cucumber::Feature(feature, Feature::Rule(rule, Rule::Scenario(scenario, ev))) => {
                    self.scenario(&feature, Some(&rule), &scenario, &ev.event, event.at);
                }
                _ => {}
            },
        }
    }
}

/// The line a finished scenario gets: its mark, place, name, flow and level, and the
/// failed step with the first line of why.
fn print_line(result: &ScenarioResult) {
    let mark = if result.failure.is_some() {
        "✘"
    } else {
        "✔"
    };
    println!(
        "{mark} {} {} [{} {}]",
        result.location, result.name, result.flow, result.level
    );
    if let Some(failure) = &result.failure {
        println!("    {}: {}", failure.step, first_line(&failure.message));
    }
}

/// The flow and level of a scenario from its (and its feature's) tags.
fn classify<'a>(tags: impl Iterator<Item = &'a String>) -> (String, Level) {
    let mut flow = None;
    let mut level = Level::Must;
    for tag in tags {
        let tag = tag.trim_start_matches('@');
        if let Some(known) = FLOWS.iter().find(|f| **f == tag) {
            flow = Some((*known).to_owned());
        } else if tag == "should" {
            level = Level::Should;
        } else if tag == "must" {
            level = Level::Must;
        }
    }
    (flow.unwrap_or_else(|| "other".into()), level)
}

/// The name reports give a feature's file: its file name (`lookup.feature`).
pub(crate) fn feature_file(feature: &gherkin::Feature) -> String {
    feature
        .path
        .as_ref()
        .and_then(|p| p.file_name())
        .map_or_else(
            || feature.name.clone(),
            |n| n.to_string_lossy().into_owned(),
        )
}

fn step_error(error: &StepError) -> String {
    match error {
        StepError::Panic(info) => panic_text(info),
        other => other.to_string(),
    }
}

fn panic_text(info: &event::Info) -> String {
    info.downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(the step panicked with a value that is not text)".into())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Everything a run found, and how to print it.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Finished scenarios, in the order they finished.
    pub results: Vec<ScenarioResult>,
    /// Feature files that did not parse (each fails the run).
    pub parse_errors: Vec<String>,
}

impl Summary {
    /// Takes what a writer recorded.
    pub fn from_records(records: &Records) -> Self {
        Self {
            results: lock(&records.results).clone(),
            parse_errors: lock(&records.parse_errors).clone(),
        }
    }

    /// Scenarios that passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.failure.is_none()).count()
    }

    /// Scenarios that failed, plus feature files that did not parse.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed() + self.parse_errors.len()
    }

    /// Failed scenarios of one level.
    pub fn failed_at(&self, level: Level) -> usize {
        self.results
            .iter()
            .filter(|r| r.level == level && r.failure.is_some())
            .count()
    }

    /// The failure reports, the table by flow and level, and the last line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let failed: Vec<&ScenarioResult> = self
            .results
            .iter()
            .filter(|r| r.failure.is_some())
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "\nFailed scenarios\n");
        }
        for result in failed {
            let failure = result.failure.as_ref().expect("filtered on failures");
            let _ = writeln!(
                out,
                "✘ {} {} [{} {}]",
                result.location, result.name, result.flow, result.level
            );
            let _ = writeln!(out, "  expected: {}", failure.step);
            for line in failure.message.lines() {
                let _ = writeln!(out, "  found:    {line}");
            }
            if let Some(details) = &failure.details {
                for line in details.lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
            out.push('\n');
        }
        for error in &self.parse_errors {
            let _ = writeln!(out, "✘ {error}");
        }
        out.push_str(&self.table());
        let _ = write!(
            out,
            "conformance: {} passed, {} failed",
            self.passed(),
            self.failed()
        );
        out
    }

    /// Passed and failed scenarios by flow and level.
    pub fn table(&self) -> String {
        let mut flows: Vec<String> = FLOWS.iter().map(|f| (*f).to_owned()).collect();
        for r in &self.results {
            if !flows.contains(&r.flow) {
                flows.push(r.flow.clone());
            }
        }
        let count = |flow: Option<&str>, level: Level, passed: bool| {
            self.results
                .iter()
                .filter(|r| flow.is_none_or(|f| r.flow == f))
                .filter(|r| r.level == level && r.failure.is_none() == passed)
                .count()
        };
        let mut out = format!(
            "\n{:<16} {:>11} {:>11} {:>13} {:>13}\n",
            "flow", "MUST passed", "MUST failed", "SHOULD passed", "SHOULD failed"
        );
        let mut row = |name: &str, flow: Option<&str>| {
            let _ = writeln!(
                out,
                "{name:<16} {:>11} {:>11} {:>13} {:>13}",
                count(flow, Level::Must, true),
                count(flow, Level::Must, false),
                count(flow, Level::Should, true),
                count(flow, Level::Should, false),
            );
        };
        for flow in flows
            .iter()
            .filter(|f| self.results.iter().any(|r| &r.flow == *f))
        {
            row(flow, Some(flow));
        }
        row("all", None);
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(flow: &str, level: Level, failed: bool) -> ScenarioResult {
        ScenarioResult {
            location: "x.feature:3".into(),
            name: "שם".into(),
            flow: flow.into(),
            level,
            duration: None,
            failure: failed.then(|| Failure {
                step: "Then the adapter answers failure".into(),
                message: "the adapter answered complete".into(),
                details: Some("adapter: OpenTicket".into()),
            }),
        }
    }

    #[test]
    fn tags_give_flow_and_level() {
        let tags = ["lookup".to_owned(), "should".to_owned()];
        assert_eq!(classify(tags.iter()), ("lookup".into(), Level::Should));
        let tags = ["@display".to_owned()];
        assert_eq!(classify(tags.iter()), ("display".into(), Level::Must));
    }

    #[test]
    fn render_ends_with_the_counts_and_reports_failures() {
        let summary = Summary {
            results: vec![
                result("lookup", Level::Must, false),
                result("lookup", Level::Should, true),
                result("open_ticket", Level::Must, true),
            ],
            parse_errors: vec![],
        };
        let text = summary.render();
        assert_eq!(text.lines().last(), Some("conformance: 1 passed, 2 failed"));
        assert!(text.contains("expected: Then the adapter answers failure"));
        assert!(text.contains("adapter: OpenTicket"));
        let lookup = text.lines().find(|l| l.starts_with("lookup ")).unwrap();
        let cells: Vec<&str> = lookup.split_whitespace().collect();
        assert_eq!(cells, ["lookup", "1", "0", "0", "1"]);
        assert_eq!(summary.failed_at(Level::Must), 1);
    }
}
