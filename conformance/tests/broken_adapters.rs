//! The suite catches broken adapters: the `leadim-conformance` binary, run against
//! small Python adapters that each get one documented behaviour wrong, exits
//! non-zero and names the scenario that caught it. The Python example they derive
//! from passes the whole suite (`python_adapter.rs`). The Python ones fail when
//! `python3` is missing, unless `LEADIM_SKIP_PYTHON=1` skips them.

mod cli;

use cli::{python3, run_conformance};

/// Runs the suite's openTicket scenarios against `examples/python/broken/<file>` and
/// checks that the run fails on `scenario`.
fn assert_caught(file: &str, scenario: &str) {
    let Some(python) = python3() else { return };
    let adapter = cli::example(&format!("broken/{file}"));
    let run = run_conformance(&[
        "--adapter",
        &format!("{python} '{}'", adapter.display()),
        "--tags",
        "@open_ticket",
    ]);
    assert!(
        !run.success,
        "a broken adapter ({file}) passed:\n{}",
        run.stdout
    );
    let failed = run
        .stdout
        .lines()
        .any(|l| l.starts_with('✘') && l.contains(scenario));
    assert!(
        failed,
        "{file}: no failure named {scenario:?}:\n{}",
        run.stdout
    );
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("conformance: ") && !last.ends_with(" 0 failed"),
        "{file}: last line {last:?}"
    );
}

#[test]
fn incoming_messages_in_fld_message_are_caught() {
    assert_caught(
        "incoming_messages.py",
        "Only the outgoing messages go to fld_message, joined by newlines",
    );
}

#[test]
fn ignoring_lead_get_name_is_caught() {
    assert_caught(
        "ignores_lead_get_name.py",
        "lead_get_name overrides the chat title",
    );
}

#[test]
fn complete_on_a_failure_envelope_is_caught() {
    assert_caught(
        "complete_on_failure_envelope.py",
        "A wrong lm_key is refused, the adapter fails, and no lead is stored",
    );
}

#[test]
fn an_adapter_that_crashes_is_caught_with_its_stderr() {
    let run = run_conformance(&[
        "--adapter",
        "echo 'Traceback: KeyError crmConfig' >&2; exit 1",
        "--tags",
        "@display and @must",
    ]);
    assert!(!run.success, "{}", run.stdout);
    assert!(
        run.stdout.contains("Traceback: KeyError crmConfig"),
        "{}",
        run.stdout
    );
    // The failure report shows the scenario's crmConfig and what the simulator
    // received, but no token in the clear (`U-`, 16 hex digits, a dot, 16 more).
    assert!(run.stdout.contains("crmConfig"), "{}", run.stdout);
    let hex16 = |digits: &str| digits.len() == 16 && digits.chars().all(|c| c.is_ascii_hexdigit());
    let leaked: Vec<&str> = run
        .stdout
        .match_indices("U-")
        .filter_map(|(at, _)| run.stdout.get(at..at + 35))
        .filter(|word| {
            word[2..]
                .split_once('.')
                .is_some_and(|(a, b)| hex16(a) && hex16(b))
        })
        .collect();
    assert!(leaked.is_empty(), "tokens in the report: {leaked:?}");
}

#[test]
fn an_adapter_that_cannot_start_is_reported_once_with_status_2() {
    // An adapter file without its executable bit: `sh -c` exits 126.
    let not_executable =
        std::env::temp_dir().join(format!("leadim-adapter-{}.py", std::process::id()));
    std::fs::write(&not_executable, "print('{}')\n").unwrap();
    std::fs::set_permissions(
        &not_executable,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let not_executable = not_executable.to_str().unwrap().to_owned();
    for (command, code) in [
        ("/nonexistent/leadim-adapter --protocol 1", 127),
        (not_executable.as_str(), 126),
    ] {
        let run = run_conformance(&["--adapter", command]);
        assert_eq!(run.code, Some(2), "{command}: {}", run.stdout);
        assert_eq!(
            run.stdout
                .matches("the adapter command cannot start")
                .count(),
            1,
            "{command}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains(&format!("exited {code}")),
            "{command}: {}",
            run.stdout
        );
        assert!(!run.stdout.contains('✘'), "no scenario ran: {}", run.stdout);
    }
    let _ = std::fs::remove_file(&not_executable);
}

#[test]
fn a_junit_report_names_the_flow_the_scenario_and_what_the_simulator_received() {
    let Some(python) = python3() else { return };
    let adapter = cli::example("broken/ignores_lead_get_name.py");
    let junit = std::env::temp_dir().join(format!("leadim-broken-{}.xml", std::process::id()));
    let run = run_conformance(&[
        "--adapter",
        &format!("{python} '{}'", adapter.display()),
        "--tags",
        "@open_ticket",
        "--junit",
        junit.to_str().expect("a UTF-8 temp path"),
    ]);
    assert!(!run.success, "{}", run.stdout);
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    let _ = std::fs::remove_file(&junit);
    let doc = roxmltree::Document::parse(&xml).expect("the report is XML");
    let failed = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .find(|n| {
            n.attribute("name")
                .is_some_and(|name| name.contains("lead_get_name overrides the chat title"))
        })
        .expect("the scenario that caught it is a test case");
    assert_eq!(failed.attribute("classname"), Some("open_ticket"));
    let failure = failed
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("it failed");
    assert_eq!(failure.attribute("type"), Some("MUST"));
    let message = failure.attribute("message").unwrap_or_default();
    assert!(message.starts_with("expected: "), "{message}");
    assert!(message.contains("; found: "), "{message}");
    let out = failed
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .and_then(|n| n.text())
        .unwrap_or_default();
    assert!(out.contains("simulator received (account "), "{out}");
    assert!(
        !xml.contains(".rs:"),
        "no source paths in the report: {xml}"
    );
    assert!(!xml.contains("Step panicked"), "{xml}");
}
