//! State that survives a restart (`--state FILE`), including a SIGKILL between
//! snapshots.

mod common;

use common::{client, lids, lookup, shamir_at, submit_lid};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `leadim-sim`, killed when dropped.
struct Sim {
    child: Child,
    base: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(state: &Path, extra: &[&str]) -> Sim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadim-sim"))
        .args(["--port", "0", "--snapshot-interval", "0.2", "--state"])
        .arg(state)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // Keep draining: a closed pipe would fail the simulator's next print.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let base = first
        .trim()
        .strip_prefix("leadim-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    Sim { child, base }
}

/// Submits a lead of 3305 to the program at `base`; its id.
async fn submit(base: &str, name: &str, phone: &str) -> u64 {
    submit_lid(
        &client(),
        &shamir_at(base),
        &[("name", name), ("phone", phone)],
    )
    .await
}

/// The ids of 3305's leads with `phone` at the program at `base`.
async fn lookup_ids(base: &str, phone: &str) -> Vec<u64> {
    lids(&lookup(&client(), &shamir_at(base), phone).await)
}

#[tokio::test]
async fn leads_survive_sigkill_after_a_snapshot_and_sigterm_writes_the_last_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");

    let sim = start(&state, &[]);
    let first = submit(&sim.base, "אורית שלום", "0547770001").await;
    // A snapshot (every 0.2 s) soon holds the lead; on a loaded machine, give it time.
    let mut waited = Duration::ZERO;
    while !std::fs::read_to_string(&state).is_ok_and(|s| s.contains("0547770001")) {
        assert!(
            waited < Duration::from_secs(20),
            "no snapshot holds the lead"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    drop(sim); // SIGKILL

    let sim = start(&state, &[]);
    assert_eq!(lookup_ids(&sim.base, "0547770001").await, [first]);
    let second = submit(&sim.base, "אורית שלום", "0547770001").await;
    assert!(second > first, "ids keep increasing across restarts");
    // A graceful stop writes the last state, however recent.
    let status = Command::new("kill")
        .args(["-TERM", &sim.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut sim = sim;
    let exit = sim.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");

    let sim = start(&state, &[]);
    assert_eq!(lookup_ids(&sim.base, "0547770001").await, [second, first]);
    // No temporary files are left behind: the snapshot, its lock, and the log's
    // segment this program appends to.
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert_eq!(files[..2], ["state.json", "state.json.lock"]);
    assert!(files[2].starts_with("state.json.wal."), "{files:?}");
}

#[test]
fn a_corrupt_state_file_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let partial = r#"{"version":1,"next_lid":117000050,"accounts":[{"aid":3305,"na"#;
    std::fs::write(&state, partial).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_leadim-sim"))
        .args(["--port", "0", "--state"])
        .arg(&state)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("state.json"), "{stderr}");
    assert!(stderr.contains("line 1, column"), "{stderr}");
    assert!(stderr.contains("corrupt or partial"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), partial);
}
