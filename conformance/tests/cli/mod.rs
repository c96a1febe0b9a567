//! Running the `leadim-conformance` binary from tests, and finding `python3` and the
//! Python examples.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// What a run of the binary printed and how it exited.
pub struct Run {
    /// Exit status 0.
    pub success: bool,
    /// Standard output (stderr appended, so a failure message shows both).
    pub stdout: String,
}

/// Runs `leadim-conformance` with `args`.
pub fn run_conformance(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_leadim-conformance"))
        .args(args)
        .output()
        .expect("leadim-conformance starts");
    let mut stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.trim().is_empty() {
        stdout = format!("{stdout}\n--- stderr ---\n{stderr}");
    }
    Run {
        success: output.status.success(),
        stdout,
    }
}

/// `python3` when it runs; `None` (after saying the test is skipped) when it does not.
pub fn python3() -> Option<&'static str> {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED: python3 is not installed; the Python adapter examples need it");
    }
    found.then_some("python3")
}

/// A file under `examples/python/`.
pub fn example(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/python")
        .join(file)
}
