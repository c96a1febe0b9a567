//! The suite's mutation score, measured on itself: `leadim-conformance mutants` runs
//! the whole suite, strictly, against every broken adapter of
//! `examples/python/broken/` (each gets one realistic thing wrong and says which in
//! its opening comment) and fails below a 100 % kill rate, naming every survivor. A
//! survivor is a gap in the suite: it gets a new scenario, never an exclusion.
//!
//! Python starts once per adapter call, about two thousand times here, so the run
//! names the interpreter itself rather than a version manager's `python3` shim (a
//! shell script that doubles the cost of a start), starts it with `-S` (the adapters
//! use the standard library only; `site` costs a third of Python's start-up) and
//! `exec`s it, so `sh -c` does not fork once more. The scenarios that caught adapters
//! in the last run (kept under the target directory) run first. Fails when `python3`
//! is missing, unless `LEADIM_SKIP_PYTHON=1`.

mod cli;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Instant;

use cli::{python3, run_conformance};

/// The corpus the issue asks for: at least this many broken adapters.
const MIN_CORPUS: usize = 40;

/// What a broken adapter's own mistake (not its deliberate bug) looks like in a
/// report: a kill for one of these would prove nothing about the suite.
const OWN_ERRORS: &[&str] = &[
    "SyntaxError",
    "IndentationError",
    "ImportError",
    "ModuleNotFoundError",
    "NameError",
    "AttributeError",
];

#[test]
fn the_suite_kills_every_broken_adapter_of_the_corpus() {
    let Some(python) = python3() else { return };
    let interpreter = executable(python);
    let corpus = cli::example("broken");
    let files = every_adapter_runs(&interpreter, &corpus);
    assert!(
        files >= MIN_CORPUS,
        "the corpus holds {files} broken adapters, fewer than {MIN_CORPUS}"
    );
    let ranking = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutants-ranking.tsv");
    let started = Instant::now();
    let run = run_conformance(&[
        "mutants",
        "--corpus",
        corpus.to_str().expect("a UTF-8 path"),
        "--baseline",
        cli::example("leadim_adapter.py")
            .to_str()
            .expect("a UTF-8 path"),
        "--adapter-template",
        &format!("exec '{interpreter}' -S {{file}}"),
        // The last run's kills, to try first: an order, not a verdict.
        "--ranking-file",
        ranking.to_str().expect("a UTF-8 path"),
    ]);
    let elapsed = started.elapsed();
    let last = run
        .stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("mutants: "))
        .unwrap_or_default();
    assert!(
        run.success,
        "the suite lets broken adapters through ({last}):\n{}",
        run.stdout
    );
    assert!(
        last.starts_with(&format!("mutants: {files} of {files} killed (100.0 %)")),
        "{last}\n{}",
        run.stdout
    );
    for error in OWN_ERRORS {
        assert!(
            !run.stdout.contains(error),
            "a broken adapter was killed by its own {error}, not by its bug:\n{}",
            run.stdout
        );
    }
    println!("{last}, in {elapsed:.1?}");
}

/// A baseline that fails a scenario, and fails it again on its own, stops the
/// measurement: kills counted against an adapter that is not sound would prove
/// nothing.
#[test]
fn a_baseline_that_fails_stops_the_run() {
    if python3().is_none() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutants-baseline");
    let (features, corpus) = (dir.join("features"), dir.join("corpus"));
    for made in [&features, &corpus] {
        std::fs::create_dir_all(made).expect("a scratch directory");
    }
    std::fs::write(
        features.join("display.feature"),
        "@display\nFeature: getCustomerDetails, display mode\n\n  @must\n  Scenario: An empty crmData is present\n    Given the chat's crmData is empty\n    When getCustomerDetails runs\n    Then the adapter answers complete\n",
    )
    .expect("the feature is written");
    std::fs::write(
        corpus.join("always_fails.py"),
        "# Bug: answers failure to every call.\nimport json, sys\njson.load(sys.stdin)\nprint(json.dumps({\"outcome\": \"failure\"}))\n",
    )
    .expect("the adapter is written");
    let baseline = cli::example("broken/display_empty_crmdata_fails.py");
    let run = run_conformance(&[
        "mutants",
        "--corpus",
        corpus.to_str().expect("a UTF-8 path"),
        "--features",
        features.to_str().expect("a UTF-8 path"),
        "--baseline",
        baseline.to_str().expect("a UTF-8 path"),
    ]);
    assert!(!run.success, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("fails the suite, so no kill would mean anything")
            && run.stdout.contains("An empty crmData is present"),
        "{}",
        run.stdout
    );
}

/// `sys.executable` of `python`.
fn executable(python: &str) -> String {
    let output = Command::new(python)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Every file of the corpus runs and answers a display-mode request (which needs no
/// HTTP) with a protocol response and exit status 0: a broken adapter must be killed
/// by its bug, not because it cannot start. Answers how many there are.
fn every_adapter_runs(interpreter: &str, corpus: &std::path::Path) -> usize {
    const REQUEST: &str = r#"{"protocol": 1, "function": "getCustomerDetails",
        "crmConfig": {"onlyDisplayData": true},
        "chat": {"phone": "972528841350", "crmData": {"aid": "3305", "lid": "100231", "שם": "מוחמד ח'טיב"}},
        "endpoints": {"submit": "http://127.0.0.1:9/v2/submit", "ui": "http://localhost:9"}}"#;
    let mut files: Vec<_> = std::fs::read_dir(corpus)
        .expect("the corpus is readable")
        .map(|e| e.expect("a corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    for file in &files {
        let mut child = Command::new(interpreter)
            .arg("-S")
            .arg(file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python starts");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(REQUEST.as_bytes())
            .expect("the request is written");
        let output = child.wait_with_output().expect("the adapter ends");
        let answer: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
        assert!(
            output.status.success() && answer["outcome"].is_string(),
            "{} does not run: {}\nstdout: {}\nstderr: {}",
            file.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    files.len()
}
