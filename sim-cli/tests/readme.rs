//! The README's shell commands work as written. Each command of each ```sh block is
//! run (the simulator's port 7010 swapped for a free one): the `curl` lines against a
//! `leadim-sim` started for them, the `leadim-sim` and `leadim-conformance` runs as
//! the built programs. The few that cannot run inside the test command are listed
//! in [`NOT_RUN_HERE`] with where they are checked instead; a new command that is
//! neither run nor listed fails this test. (The README's Rust blocks are doctests of
//! `leadim-simulator`.) Needs `curl` and, unless `LEADIM_SKIP_PYTHON=1`, `python3`.

mod common;

use common::program;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Commands that do not run here, by how they begin, and why.
const NOT_RUN_HERE: &[(&str, &str)] = &[
    ("cargo test", "the test command itself"),
    (
        "cargo run --release -p leadim-conformance -- mutants",
        "conformance/tests/mutants.rs runs the same corpus",
    ),
    (
        "cargo run --release -p leadim-bench",
        "the benchmark takes minutes of exclusive cores",
    ),
    (
        "cargo install cargo-fuzz",
        "fuzzing needs cargo-fuzz; .ci/run checks the fuzz targets compile",
    ),
    ("cd fuzz", "fuzzing, as above"),
    ("RUSTC_BOOTSTRAP=1 cargo fuzz", "fuzzing, as above"),
    (
        "python3 -m venv",
        "the wheel's build and install: .ci/run runs these steps",
    ),
    ("PATH=", "the wheel's build: .ci/run runs it"),
    ("pip install", "the wheel's install: .ci/run runs it"),
    (
        "leadim-conformance ",
        "the installed wheel's program: .ci/run runs it",
    ),
    (
        "leadim-sim --port",
        "the installed wheel's program, as above",
    ),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The commands of the README's `sh` blocks: comments dropped, continued lines
/// joined.
fn commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh || line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        // A comment after the command is set off by two spaces or more.
        let line = line.split_once("  #").map_or(line, |(command, _)| command);
        match line.trim_end().strip_suffix('\\') {
            Some(part) => pending.push_str(part),
            None => {
                pending.push_str(line.trim_end());
                commands.push(std::mem::take(&mut pending).trim().to_owned());
            }
        }
    }
    commands
}

/// The built `leadim-conformance`, beside `leadim-sim` in the target folder.
fn conformance_bin() -> PathBuf {
    let sim = Path::new(env!("CARGO_BIN_EXE_leadim-sim"));
    let bin = sim.with_file_name("leadim-conformance");
    assert!(
        bin.exists(),
        "{} is not built: run the workspace's tests (cargo test --workspace), or cargo build -p leadim-conformance",
        bin.display()
    );
    bin
}

fn python_skipped() -> bool {
    let skip = std::env::var_os("LEADIM_SKIP_PYTHON").is_some_and(|v| v == "1");
    if !skip {
        let found = Command::new("python3").arg("--version").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "python3 not found on PATH: install it (apt-get install python3), or set LEADIM_SKIP_PYTHON=1"
        );
    }
    skip
}

/// Runs `args` as `sh -c` would split them: through `sh`, after `exec`.
fn sh(program: &Path, args: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("exec '{}' {args}", program.display()))
        .current_dir(repo())
        .output()
        .expect("sh runs")
}

#[tokio::test]
async fn every_readme_command_works_as_written() {
    let found = Command::new("curl").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "curl not found on PATH: install it (apt-get install curl)"
    );
    let sim = program::start::<&str>(&[]).await;
    let base = sim.base.trim_start_matches("http://").to_owned();
    let mut ran = 0;
    for command in commands() {
        if let Some((_, why)) = NOT_RUN_HERE.iter().find(|(p, _)| command.starts_with(p)) {
            println!("not run here ({why}): {command}");
            continue;
        }
        if command.starts_with("curl ") {
            let command = command.replace("127.0.0.1:7010", &base);
            let out = Command::new("sh").arg("-c").arg(&command).output().unwrap();
            let body = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{command}: {out:?}");
            let answer: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{command}: not JSON ({e}): {body}"));
            assert_ne!(answer["status"], "failure", "{command}: {body}");
        } else if command == "cargo run --release --bin leadim-sim" {
            // The same program the test started, with its defaults but the port.
            assert!(sim.banner[0].starts_with("leadim-sim listening on http://"));
        } else if let Some(args) =
            command.strip_prefix("cargo run --release -p leadim-conformance -- ")
        {
            if python_skipped() && args.contains("python3") {
                println!("SKIPPED (LEADIM_SKIP_PYTHON=1): {command}");
                continue;
            }
            let out = sh(&conformance_bin(), args);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{command} failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let _ = std::fs::remove_file(repo().join("report.xml"));
        } else {
            panic!(
                "the README's command {command:?} is neither run by this test nor listed in NOT_RUN_HERE"
            );
        }
        ran += 1;
    }
    assert!(
        ran >= 10,
        "only {ran} commands ran: did the README's blocks move?"
    );
    sim.kill().await;
}

#[test]
fn commands_are_read_whole_and_without_comments() {
    let commands = commands();
    assert!(commands.contains(&"cargo run --release --bin leadim-sim".to_owned()));
    let fault = commands
        .iter()
        .find(|c| c.contains(r#""retry_after":5"#))
        .expect("the fault example");
    assert!(
        fault.starts_with("curl -s -X POST http://127.0.0.1:7010/__admin/faults"),
        "{fault}"
    );
    assert!(
        commands
            .iter()
            .all(|c| !c.contains("  #") && !c.ends_with('\\'))
    );
}
