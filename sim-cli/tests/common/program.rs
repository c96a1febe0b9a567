//! The `leadim-sim` program as a child process: started on a free port with its
//! banner read, its standard error kept in a file to read at any time, stopped with
//! SIGKILL or SIGTERM.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A guard against a hung process, not a timing assertion.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The program with none of its environment variables set, logging warnings.
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadim-sim"));
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("LEADIM_SIM_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("RUST_LOG", "warn")
        .env_remove("NO_COLOR")
        .kill_on_drop(true);
    cmd
}

/// A running program, killed when dropped.
pub struct Program {
    pub child: Child,
    /// The base URL its first line announced.
    pub base: String,
    /// The banner's lines, up to the journal's.
    pub banner: Vec<String>,
    stderr: tempfile::NamedTempFile,
}

/// Starts the program with `args` (a free port is added) and reads its banner.
pub async fn start<S: AsRef<OsStr>>(args: &[S]) -> Program {
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let mut child = command()
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(stderr.reopen().unwrap())
        .spawn()
        .expect("leadim-sim starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = tokio::time::timeout(PATIENCE, async {
        let mut banner = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            let journal = line.trim_start().starts_with("journal:");
            banner.push(line);
            if journal {
                return banner;
            }
        }
        let err = std::fs::read_to_string(stderr.path()).unwrap_or_default();
        panic!("the program stopped before its banner ended: {banner:?}; stderr: {err}");
    })
    .await
    .expect("the program prints its banner");
    // Keep draining: a closed pipe would fail the program's next print.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let base = banner[0]
        .strip_prefix("leadim-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {:?}", banner[0]))
        .to_owned();
    Program {
        child,
        base,
        banner,
        stderr,
    }
}

/// Starts the program on the state file `state`, with `args` besides.
pub async fn start_on(state: &Path, args: &[&str]) -> Program {
    let mut all: Vec<&OsStr> = vec![OsStr::new("--state"), state.as_os_str()];
    all.extend(args.iter().map(OsStr::new));
    start(&all).await
}

/// Runs the program with `args`, which it must refuse without listening: its
/// standard error.
pub async fn refused<S: AsRef<OsStr>>(args: &[S]) -> String {
    let out = tokio::time::timeout(
        PATIENCE,
        command().args(["--port", "0"]).args(args).output(),
    )
    .await
    .expect("the program exits")
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "accepted; stderr: {stderr}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening on"),
        "{stderr}"
    );
    stderr
}

impl Program {
    /// What it has written to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap()
    }

    /// The banner as one text.
    pub fn banner_text(&self) -> String {
        self.banner.join("\n")
    }

    /// SIGKILL, then waits until it is gone.
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }

    /// SIGTERM (a graceful stop), then waits: its exit status.
    pub async fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().expect("still running").to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(sent.success());
        tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("the program stops")
            .unwrap()
    }
}
