//! The verdicts, the kill rate and how a run is printed.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use super::Mutant;
use crate::suite::clip;
use crate::suite::report::ScenarioResult;

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
    /// A scenario failed, but passed when run again on its own, and so in every
    /// attempt (each without the scenarios that did so before): failures the
    /// machine's load may have caused. Not counted as killed.
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
pub(super) fn result_line(result: &MutantResult) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::report::Level;

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
            duration: None,
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
