//! The `leadim-sim` program itself: it starts on a free port and says where, serves
//! the fixtures over HTTP, refuses malformed fixtures naming file, line and reason,
//! prints the divergence report, and closes idle connections after --idle-timeout.

mod common;

use common::*;
use leadim_simulator::contract;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

/// A guard against a hung process, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(60);

fn program() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadim-sim"));
    for var in [
        "LEADIM_SIM_HOST",
        "LEADIM_SIM_PORT",
        "LEADIM_SIM_FIXTURES",
        "LEADIM_SIM_PHONE_MATCH",
        "LEADIM_SIM_LOG_FORMAT",
        "LEADIM_SIM_JOURNAL_ENTRIES",
        "LEADIM_SIM_JOURNAL_BYTES",
        "LEADIM_SIM_STATE",
        "LEADIM_SIM_ADMIN_TOKEN",
        "LEADIM_SIM_SNAPSHOT_INTERVAL",
        "LEADIM_SIM_IDLE_TIMEOUT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "warn").kill_on_drop(true);
    cmd
}

/// Starts the program with `args`; returns it, the base URL it announced, and the
/// task that keeps draining its standard output (so it never blocks on a full pipe).
async fn start(args: &[&str]) -> (tokio::process::Child, String, tokio::task::JoinHandle<()>) {
    let mut child = program()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("leadim-sim starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = tokio::time::timeout(PATIENCE, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some((_, url)) = line.split_once("listening on ") {
                return url.trim().to_owned();
            }
        }
        panic!("stdout ended without a 'listening on' line");
    })
    .await
    .expect("the program announces its address");
    let drain = tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base, drain)
}

/// Runs the program with `args`, which it must refuse, naming `needle` on stderr.
async fn assert_refused(args: &[&str], needle: &str) {
    let out = tokio::time::timeout(PATIENCE, program().args(args).output())
        .await
        .expect("the program exits")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} accepted: {stderr}");
    assert!(stderr.contains(needle), "{stderr}");
}

#[tokio::test]
async fn the_program_listens_on_a_free_port_and_serves_the_fixtures() {
    let (mut child, base, drain) = start(&["--port", "0"]).await;
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(
        !base.ends_with(":0") && !base.ends_with(":7010"),
        "a port was picked: {base}"
    );

    let health = json_200(
        client()
            .get(format!("{base}/__admin/health"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(health["status"], "ready");
    assert_eq!(health["accounts"], 3);
    assert_eq!(health["leads"], FIXTURE_LEADS);

    let (http, account) = (client(), shamir_at(&base));
    let found = lookup(&http, &account, DANA_PHONE).await;
    assert_eq!(found["data"][0]["fields"]["שם"], "דנה כהן");
    let resp = submit_get(
        &http,
        &account,
        &[
            ("lm_redirect", "no"),
            ("name", "בדיקת תהליך"),
            ("phone", "0500000777"),
        ],
    )
    .await;
    let answer = json_200(resp).await;
    assert_eq!(answer["status"], "success");

    child.kill().await.unwrap();
    drain.await.unwrap();
}

/// Runs the program on the fixtures in `dir`, which it must refuse without starting
/// to listen; its standard error.
async fn refused_fixtures(dir: &std::path::Path) -> String {
    let out = tokio::time::timeout(
        PATIENCE,
        program()
            .args(["--port", "0", "--fixtures"])
            .arg(dir)
            .output(),
    )
    .await
    .expect("the program exits")
    .unwrap();
    assert!(!out.status.success(), "exit status {:?}", out.status);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn malformed_fixtures_stop_the_program_naming_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = dir.path().join("accounts.json");
    // Line 3 lacks a comma after the name.
    std::fs::write(
        &accounts,
        "{\n  \"accounts\": [\n    {\"aid\": 1200, \"name\": \"קפה גינה\" \"enabled\": true}\n  ]\n}\n",
    )
    .unwrap();
    let stderr = refused_fixtures(dir.path()).await;
    assert!(
        stderr.contains(&accounts.display().to_string()),
        "names the file: {stderr}"
    );
    assert!(stderr.contains("line 3"), "names the line: {stderr}");
    assert!(stderr.contains("expected `,` or `}`"), "says why: {stderr}");

    // A field that does not belong, and a bad lead line.
    std::fs::write(
        &accounts,
        "{\"accounts\": [\n{\"aid\": 1200, \"name\": \"קפה גינה\", \"enabled\": true, \"tokens\": [], \"forms\": [{\"lm_form\": 1201, \"lm_key\": \"k\", \"name\": \"הזמנות\", \"thank_you_url\": \"https://x.co.il\", \"fields\": {\"name\": \"שם\"}}]}\n]}\n",
    )
    .unwrap();
    let leads = dir.path().join("leads.jsonl");
    std::fs::write(
        &leads,
        "{\"aid\":1200,\"form_id\":1201,\"created_at\":\"2026-01-01T08:00:00Z\",\"phone\":\"0541234000\",\"fields\":{\"שם\":\"נועם\"}}\n{\"aid\":1200,\"form_id\":1201,\"created_at\":\"2026-01-02T08:00:00Z\",\"phone\":\"0541234001\",\"fields\":{\"שם\":\"רוני\"},\"גיל\":30}\n",
    )
    .unwrap();
    let stderr = refused_fixtures(dir.path()).await;
    assert!(stderr.contains(&leads.display().to_string()), "{stderr}");
    assert!(stderr.contains("line 2"), "{stderr}");
    assert!(stderr.contains("unknown field `גיל`"), "{stderr}");

    // Well-formed JSON that does not hold together: a lead of a form the account lacks.
    std::fs::write(
        &leads,
        "{\"aid\":1200,\"form_id\":5001,\"created_at\":\"2026-01-01T08:00:00Z\",\"phone\":\"0541234000\",\"fields\":{}}\n",
    )
    .unwrap();
    let stderr = refused_fixtures(dir.path()).await;
    assert!(
        stderr.contains("leads.jsonl") && stderr.contains("line 1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("form 5001 is not a form of account 1200"),
        "{stderr}"
    );

    // And a folder without accounts.json.
    std::fs::remove_file(&accounts).unwrap();
    assert!(refused_fixtures(dir.path()).await.contains("accounts.json"));
}

#[tokio::test]
async fn idle_timeout_closes_a_silent_connection_and_zero_is_refused() {
    let (mut child, base, drain) = start(&["--port", "0", "--idle-timeout", "1"]).await;
    let addr = base.trim_start_matches("http://");
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let opened = std::time::Instant::now();
    let mut rest = Vec::new();
    tokio::time::timeout(PATIENCE, silent.read_to_end(&mut rest))
        .await
        .expect("the silent connection is closed")
        .unwrap();
    assert!(rest.is_empty(), "{rest:?}");
    assert!(
        opened.elapsed() >= Duration::from_millis(500),
        "closed after {:?}, before the timeout",
        opened.elapsed()
    );
    child.kill().await.unwrap();
    drain.await.unwrap();

    assert_refused(&["--idle-timeout", "0"], "--idle-timeout").await;
}

#[tokio::test]
async fn divergences_prints_every_modeled_rule_and_exits() {
    let out = tokio::time::timeout(PATIENCE, program().arg("--divergences").output())
        .await
        .expect("the program exits")
        .unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), contract::MODELED.len(), "{stdout}");
    for (line, rule) in stdout.lines().zip(contract::MODELED) {
        assert!(line.starts_with(rule.id), "{line}");
        assert!(line.contains(rule.rule), "{line}");
    }
}

/// On one serving thread or several, a request held up by a `latency` fault does not
/// hold up the others: they are answered while it waits. `--workers 0` is refused.
#[tokio::test]
async fn workers_serve_other_requests_while_one_is_delayed_and_zero_is_refused() {
    for workers in ["1", "3"] {
        let (mut child, base, drain) = start(&["--port", "0", "--workers", workers]).await;
        let fault = json(
            client()
                .post(format!("{base}/__admin/faults"))
                .json(&serde_json::json!({
                    "account": AID, "endpoint": "lookup",
                    "fault": {"kind": "latency", "ms": 1500}, "next": 1
                }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(fault.get("id").is_some(), "{fault}");
        let url = format!("{base}/apiproxy/{AID}/api/leads_get.ashx");
        let delayed = tokio::spawn({
            let url = url.clone();
            async move { lookup_at(&url, RW, DANA_PHONE).await }
        });
        // Let the delayed request reach the simulator first.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = std::time::Instant::now();
        let others =
            futures_util::future::join_all((0..8).map(|_| lookup_at(&url, RW, DANA_PHONE))).await;
        for answer in others {
            assert_eq!(lids(&answer).len(), 1, "--workers {workers}: {answer}");
        }
        assert!(
            started.elapsed() < Duration::from_millis(1000),
            "--workers {workers}: the others waited {:?}",
            started.elapsed()
        );
        let delayed = delayed.await.unwrap();
        assert_eq!(lids(&delayed).len(), 1, "--workers {workers}: {delayed}");
        child.kill().await.unwrap();
        drain.await.unwrap();
    }

    assert_refused(&["--workers", "0"], "--workers").await;
}
