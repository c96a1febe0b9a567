//! Running the `leadim-conformance` binary from tests, and finding `python3` and the
//! Python examples.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// What a run of the binary printed and how it exited.
#[allow(
    dead_code,
    reason = "each test binary reads a different subset of a run"
)]
pub struct Run {
    /// Exit status 0.
    pub success: bool,
    /// The exit status (`None` when killed by a signal).
    pub code: Option<i32>,
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
        code: output.status.code(),
        stdout,
    }
}

/// Set to `1`, the Python tests are skipped, with a line saying so; without it a
/// missing `python3` fails them, so a machine without Python cannot pass the suite
/// by silently running less of it.
pub const SKIP_PYTHON: &str = "LEADIM_SKIP_PYTHON";

/// `python3`, for the tests that run the Python examples; `None` (after saying the
/// test is skipped) when [`SKIP_PYTHON`] is `1`.
///
/// # Panics
///
/// When `python3` does not run and [`SKIP_PYTHON`] is not `1`.
pub fn python3() -> Option<&'static str> {
    if std::env::var_os(SKIP_PYTHON).is_some_and(|v| v == "1") {
        // Past the test harness's output capture, so the skip shows in a plain
        // `cargo test` run and not only under `--nocapture`.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {SKIP_PYTHON}=1, so the Python adapter examples are not run"
        );
        return None;
    }
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "python3 not found on PATH: install Python 3 (e.g. apt-get install python3), or set {SKIP_PYTHON}=1 to skip these tests explicitly"
    );
    Some("python3")
}

/// A file under `examples/python/`.
pub fn example(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/python")
        .join(file)
}
