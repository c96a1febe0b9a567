//! The property mode (`leadim-conformance properties`) against adapters: the
//! reference adapter in-process and as the `leadim-reference-adapter` command, the
//! Python example (fails when `python3` is missing, unless `LEADIM_SKIP_PYTHON=1`),
//! and broken adapters it must catch, with the shrunk case, the rule's level, the
//! seed and a replay command that finds the same case again.

mod cli;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use cli::{python3, run_conformance};
use leadim_conformance::properties::{self, PropertyOptions};
use leadim_conformance::suite::AdapterChoice;

/// One seed for every test here, so a failure replays from the test's own output.
const SEED: u64 = 20_260_301;

const REFERENCE_BIN: &str = env!("CARGO_BIN_EXE_leadim-reference-adapter");
const CONFORMANCE_BIN: &str = env!("CARGO_BIN_EXE_leadim-conformance");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_adapter_in_process_keeps_every_rule() {
    // In-process calls are cheap, so this run plays four times the default cases.
    let options = PropertyOptions {
        seed: SEED,
        cases: 4 * properties::DEFAULT_CASES,
        strict: true,
        ..PropertyOptions::new(AdapterChoice::Reference)
    };
    let report = properties::run(options)
        .await
        .expect("the property mode runs");
    assert!(report.success(), "{}", report.render());
    assert_eq!((report.passed(), report.failed()), (3, 0));
}

#[test]
fn the_reference_adapter_as_a_command_keeps_every_rule() {
    let adapter = format!("'{REFERENCE_BIN}'");
    let seed = SEED.to_string();
    let run = run_conformance(&[
        "properties",
        "--adapter",
        &adapter,
        "--seed",
        &seed,
        "--strict",
    ]);
    assert!(run.success, "{}", run.stdout);
    let last = run.stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!("properties: 3 passed, 0 failed (seed {SEED})")
    );
}

#[test]
fn the_python_example_keeps_every_rule_at_the_default_case_count() {
    let Some(python) = python3() else { return };
    let adapter = format!("{python} '{}'", cli::example("leadim_adapter.py").display());
    let started = Instant::now();
    let seed = SEED.to_string();
    let run = run_conformance(&[
        "properties",
        "--adapter",
        &adapter,
        "--seed",
        &seed,
        "--strict",
    ]);
    // The time is printed, not asserted: it says more about the machine's load than
    // about the mode (docs/adapter-protocol.md gives a measured figure).
    eprintln!(
        "property mode, {} cases per property, against the Python example: {:.1?}",
        properties::DEFAULT_CASES,
        started.elapsed()
    );
    assert!(run.success, "{}", run.stdout);
    assert!(
        run.stdout.contains("properties: 3 passed, 0 failed"),
        "{}",
        run.stdout
    );
}

/// `--properties` runs the property mode after the suite, in one command whose exit
/// status is both verdicts'.
#[test]
fn the_main_run_takes_the_properties_flag() {
    let seed = SEED.to_string();
    let args = [
        "--tags",
        "@display and @must",
        "--properties",
        "--cases",
        "8",
        "--seed",
        &seed,
    ];
    let run = run_conformance(&args);
    assert!(run.success, "{}", run.stdout);
    let suite = run
        .stdout
        .find("conformance: ")
        .expect("the suite ran first");
    let properties = run
        .stdout
        .find("properties: 3 passed, 0 failed")
        .expect("then the properties");
    assert!(suite < properties, "{}", run.stdout);
}

/// A Python adapter that trims the texts of the messages it sends: a bug no
/// hand-picked scenario of the suite had, which the mode must find, shrink and print.
#[test]
fn an_adapter_that_trims_messages_is_caught_with_a_shrunk_chat() {
    let Some(python) = python3() else { return };
    let examples = cli::example("");
    let script = temp_file(
        "trims_messages.py",
        &format!(
            "import sys\nsys.path.insert(0, {examples:?})\nfrom leadim_adapter import Adapter, main\n\n\
             class TrimsMessages(Adapter):\n    def outgoing_texts(self, messages):\n        \
             return [t.strip() for t in Adapter.outgoing_texts(self, messages)]\n\n\
             sys.exit(main(TrimsMessages))\n",
            examples = examples.display().to_string()
        ),
    );
    let adapter = format!("{python} '{}'", script.display());
    let seed = SEED.to_string();
    let args = [
        "properties",
        "--adapter",
        &adapter,
        "--seed",
        &seed,
        "--property",
        "open-ticket",
        "--cases",
        "32",
    ];
    let run = run_conformance(&args);
    let _ = std::fs::remove_file(&script);
    assert!(!run.success, "a broken adapter passed:\n{}", run.stdout);
    let out = &run.stdout;
    assert!(
        out.contains("✘ open-ticket broke MUST rule open-fld_message"),
        "{out}"
    );
    assert!(out.contains("fld_message: expected"), "{out}");
    // The shrunk chat: one outgoing message is all it takes.
    let chat = chat_block(out);
    assert_eq!(
        chat.matches("\"direction\"").count(),
        1,
        "not shrunk:\n{chat}"
    );
    assert!(chat.contains("\"direction\": \"outgoing\""), "{chat}");
    assert!(
        out.contains("the simulator received 1 request(s):"),
        "{out}"
    );
    assert!(out.contains("POST /v2/submit"), "{out}");
    let quoted = adapter.replace('\'', r"'\''");
    let replay = format!(
        "seed {SEED}; replay: leadim-conformance properties --adapter '{quoted}' --seed {SEED} --cases 32 --property open-ticket"
    );
    assert!(out.contains(&replay), "no {replay:?} in:\n{out}");
    assert!(
        out.ends_with(&format!("properties: 0 passed, 1 failed (seed {SEED})\n")),
        "{out}"
    );
}

/// A Python adapter that sends every phone format before it reads the answers
/// (`examples/python/broken/lookup_tries_every_format.py`): it breaks the SHOULD rule
/// `lookup-formats` only, which fails the run only when strict. The printed replay
/// command finds the same minimal case.
#[test]
fn a_should_failure_is_shrunk_and_replays_to_the_same_case() {
    let Some(python) = python3() else { return };
    let adapter = format!(
        "{python} '{}'",
        cli::example("broken/lookup_tries_every_format.py").display()
    );
    let seed = SEED.to_string();
    // Nearly every case breaks the rule, so a few cases are enough to find it.
    let args = [
        "properties",
        "--adapter",
        &adapter,
        "--seed",
        &seed,
        "--property",
        "lookup",
        "--cases",
        "8",
    ];
    let run = run_conformance(&args);
    assert!(
        run.success,
        "a SHOULD failure fails only a strict run:\n{}",
        run.stdout
    );
    let out = &run.stdout;
    assert!(out.contains("[SHOULD lookup-formats]"), "{out}");
    assert!(
        out.contains("✘ lookup broke SHOULD rule lookup-formats"),
        "{out}"
    );
    assert!(out.contains("properties: 0 passed, 1 failed"), "{out}");

    let strict = run_conformance(&[&args[..], &["--strict"]].concat());
    assert!(!strict.success, "{}", strict.stdout);

    let replay = out
        .lines()
        .find_map(|l| {
            l.split_once("replay: leadim-conformance ")
                .map(|(_, rest)| rest)
        })
        .unwrap_or_else(|| panic!("no replay command in:\n{out}"));
    let again = Command::new("sh")
        .arg("-c")
        .arg(format!("'{CONFORMANCE_BIN}' {replay}"))
        .output()
        .expect("sh runs the replay command");
    let again = String::from_utf8_lossy(&again.stdout);
    assert_eq!(
        chat_block(&again),
        chat_block(out),
        "the replay shrank to another case"
    );
    assert!(!chat_block(out).is_empty(), "{out}");
}

/// The `chat: {…}` block of a failure report.
fn chat_block(report: &str) -> String {
    let mut lines = report.lines().skip_while(|l| !l.starts_with("  chat: {"));
    let mut block: Vec<&str> = lines.next().into_iter().collect();
    block.extend(lines.take_while(|l| l.starts_with("   ") || *l == "  }"));
    block.join("\n")
}

/// A file in the temp directory, named for this test process.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("leadim-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("the temp directory is writable");
    path
}
