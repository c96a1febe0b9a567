//! The JUnit XML report, written from the suite's own records so that a CI page
//! reads like the console: one test suite per flow, each scenario a test case with
//! the flow as its class, a failure message that says what was expected and what
//! was found, and the adapter's answer and what the simulator received as the
//! case's output.
//!
//! A SHOULD failure does not fail the run unless `--strict`; so that the CI page
//! agrees with the exit status, it is reported as skipped, with the reason, unless
//! strict.

use junit_report::{Duration, Report, TestCase, TestCaseBuilder, TestSuiteBuilder};
use std::io::Write;

use super::report::{FLOWS, Level, ScenarioResult, Summary};

/// Writes the report of `summary` to `sink`.
///
/// # Errors
///
/// When the sink cannot be written.
pub fn write(summary: &Summary, strict: bool, sink: impl Write) -> Result<(), junit_report::Error> {
    let mut report = Report::new();
    for flow in flows(summary) {
        let cases: Vec<TestCase> = summary
            .results
            .iter()
            .filter(|r| r.flow == flow)
            .map(|r| case(r, strict))
            .collect();
        report.add_testsuite(TestSuiteBuilder::new(&flow).add_testcases(cases).build());
    }
    if !summary.parse_errors.is_empty() {
        let cases = summary.parse_errors.iter().map(|error| {
            let mut case = TestCaseBuilder::failure(
                "the feature files parse",
                Duration::ZERO,
                "parse error",
                error,
            );
            case.set_classname("features");
            case.build()
        });
        report.add_testsuite(
            TestSuiteBuilder::new("features")
                .add_testcases(cases)
                .build(),
        );
    }
    report.write_xml(sink)
}

/// The flows that ran, in the order the console's table lists them.
fn flows(summary: &Summary) -> Vec<String> {
    let mut flows: Vec<String> = FLOWS
        .iter()
        .filter(|f| summary.results.iter().any(|r| r.flow == **f))
        .map(|f| (*f).to_owned())
        .collect();
    for r in &summary.results {
        if !flows.contains(&r.flow) {
            flows.push(r.flow.clone());
        }
    }
    flows
}

fn case(result: &ScenarioResult, strict: bool) -> TestCase {
    let time = result
        .duration
        .and_then(|d| Duration::try_from(d).ok())
        .unwrap_or_default();
    let mut case = match &result.failure {
        None => TestCaseBuilder::success(&result.name, time),
        Some(failure) => {
            let message = format!(
                "expected: {}; found: {}",
                failure.step,
                failure.message.lines().next().unwrap_or_default()
            );
            let mut case = if result.level == Level::Should && !strict {
                TestCaseBuilder::skipped_with_cause(
                    &result.name,
                    "SHOULD",
                    &format!("a SHOULD rule not met (fails the run only with --strict): {message}"),
                )
            } else {
                TestCaseBuilder::failure(&result.name, time, &result.level.to_string(), &message)
            };
            let mut out = format!("expected: {}\n", failure.step);
            for line in failure.message.lines() {
                out.push_str(&format!("found:    {line}\n"));
            }
            if let Some(details) = &failure.details {
                out.push_str(details);
            }
            case.set_system_out(&out);
            case
        }
    };
    case.set_classname(&result.flow);
    case.set_filepath(&result.location);
    case.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::report::Failure;

    fn scenario(name: &str, flow: &str, level: Level, failed: bool) -> ScenarioResult {
        ScenarioResult {
            location: format!("{flow}.feature:12"),
            name: name.into(),
            flow: flow.into(),
            level,
            duration: Some(std::time::Duration::from_millis(250)),
            failure: failed.then(|| Failure {
                step: "Then the lead's שם is \"דנה כהן\"".into(),
                message: "the lead's שם is \"דנה\"\nthe adapter trimmed the name".into(),
                details: Some(
                    "adapter: openTicket → complete\nsimulator received (account 9001): 1 request(s)\n"
                        .into(),
                ),
            }),
        }
    }

    fn summary() -> Summary {
        Summary {
            results: vec![
                scenario("a lead is created", "open_ticket", Level::Must, false),
                scenario("the name is kept whole", "open_ticket", Level::Must, true),
                scenario("a 503 is retried", "resilience", Level::Should, true),
            ],
            parse_errors: vec![],
        }
    }

    fn xml(strict: bool) -> String {
        let mut out = Vec::new();
        write(&summary(), strict, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_flow_is_a_suite_and_each_scenario_a_case_of_its_flow() {
        let xml = xml(false);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suites: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .map(|n| n.attribute("name").unwrap())
            .collect();
        assert_eq!(suites, ["open_ticket", "resilience"]);
        let cases: Vec<(&str, &str)> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .map(|n| {
                (
                    n.attribute("classname").unwrap(),
                    n.attribute("name").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            cases,
            [
                ("open_ticket", "a lead is created"),
                ("open_ticket", "the name is kept whole"),
                ("resilience", "a 503 is retried"),
            ]
        );
    }

    #[test]
    fn a_must_failure_says_what_was_expected_and_found_and_carries_the_details() {
        let xml = xml(false);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let failure = doc
            .descendants()
            .find(|n| n.has_tag_name("failure"))
            .expect("one failure");
        assert_eq!(failure.attribute("type"), Some("MUST"));
        assert_eq!(
            failure.attribute("message"),
            Some("expected: Then the lead's שם is \"דנה כהן\"; found: the lead's שם is \"דנה\"")
        );
        let out = failure
            .parent()
            .unwrap()
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text())
            .unwrap();
        assert!(
            out.contains("found:    the adapter trimmed the name"),
            "{out}"
        );
        assert!(out.contains("simulator received (account 9001)"), "{out}");
        assert!(!xml.contains(".rs:"), "no source paths: {xml}");
    }

    #[test]
    fn a_should_failure_is_skipped_with_its_reason_unless_strict() {
        let lenient = xml(false);
        let doc = roxmltree::Document::parse(&lenient).unwrap();
        let skipped = doc
            .descendants()
            .find(|n| n.has_tag_name("skipped"))
            .expect("the SHOULD failure is skipped");
        assert_eq!(
            skipped.parent().unwrap().attribute("name"),
            Some("a 503 is retried")
        );
        assert!(
            skipped
                .attribute("message")
                .unwrap()
                .starts_with("a SHOULD rule not met (fails the run only with --strict)")
        );
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("failure"))
                .count(),
            1
        );

        let strict = xml(true);
        let doc = roxmltree::Document::parse(&strict).unwrap();
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("skipped"))
                .count(),
            0
        );
        let types: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .map(|n| n.attribute("type").unwrap())
            .collect();
        assert_eq!(types, ["MUST", "SHOULD"]);
    }
}
