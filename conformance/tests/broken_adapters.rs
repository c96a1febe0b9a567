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
