//! What the `leadim-sim` program says at start and at shutdown is the truth: an empty
//! admin token, a state file in a folder that is missing or read-only, and a last
//! snapshot that cannot be written all fail; the printed URLs can be reached; logs
//! carry no colour codes off a terminal; `--version` names the program; a start from
//! the state file says so. Fixtures and state files may begin with a byte-order
//! mark; a state file that is not UTF-8 is refused with its line and column; a bad
//! `--fixtures` folder is reported once.

mod common;

use common::program::{self, command, refused, start, start_on};
use common::*;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

#[tokio::test]
async fn an_empty_admin_token_is_refused_not_taken_for_none() {
    let stderr = refused(&["--admin-token", ""]).await;
    assert!(stderr.contains("admin token is empty"), "{stderr}");
    let stderr = refused(&["--admin-token", "  "]).await;
    assert!(stderr.contains("admin token is empty"), "{stderr}");
    // An unset CI secret, passed through the environment.
    let out = command()
        .env("LEADIM_SIM_ADMIN_TOKEN", "")
        .args(["--port", "0"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LEADIM_SIM_ADMIN_TOKEN"), "{stderr}");
}

/// A folder this process cannot create files in: a read-only one, or, for root (who
/// writes anywhere), sysfs, which takes no new files from anyone.
fn unwritable_folder() -> (PathBuf, Option<tempfile::TempDir>) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::File::create(dir.path().join("probe")).is_err() {
        return (dir.path().to_path_buf(), Some(dir));
    }
    (PathBuf::from("/sys"), None)
}

#[tokio::test]
async fn a_state_file_in_a_missing_or_unwritable_folder_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder").join("state.json");
    let stderr = refused(&[OsStr::new("--state"), missing.as_os_str()]).await;
    assert!(stderr.contains("no-such-folder does not exist"), "{stderr}");
    let stderr = refused(&[OsStr::new("--state"), dir.path().as_os_str()]).await;
    assert!(
        stderr.contains("is a folder: --state takes a file"),
        "{stderr}"
    );

    let (folder, _keep) = unwritable_folder();
    let state = folder.join("leadim-state.json");
    let stderr = refused(&[OsStr::new("--state"), state.as_os_str()]).await;
    assert!(
        stderr.contains("cannot write in the state file's folder"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_last_snapshot_that_cannot_be_written_makes_the_exit_status_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut program = start_on(&state, &["--snapshot-interval", "3600"]).await;
    submit_lid(&client(), &shamir_at(&program.base), &[("name", "נועה")]).await;
    // A folder where the snapshot's temporary file goes: it cannot be created.
    let pid = program.child.id().unwrap();
    std::fs::create_dir(dir.path().join(format!(".state.json.tmp-{pid}"))).unwrap();
    let status = program.terminate().await;
    assert!(!status.success(), "{status:?}");
    let stderr = program.stderr();
    assert!(
        stderr.contains("cannot write the last snapshot"),
        "{stderr}"
    );
}

#[tokio::test]
async fn on_every_interface_the_urls_name_a_reachable_address_and_logs_have_no_colours() {
    let program = start(&["--host", "0.0.0.0"]).await;
    assert!(
        program.base.starts_with("http://127.0.0.1:"),
        "{}",
        program.base
    );
    let banner = program.banner_text();
    assert!(!banner.contains("http://0.0.0.0"), "{banner}");
    assert!(banner.contains("on every interface (0.0.0.0:"), "{banner}");
    let health = json_200(
        client()
            .get(format!("{}/__admin/health", program.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(health["status"], "ready");
    // The non-loopback warning, logged to a file: words, no escape codes.
    let stderr = program.stderr();
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

#[tokio::test]
async fn the_banners_crm_config_pastes_in_the_readmes_order() {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, BufReader};

    let mut child = command()
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let config = tokio::time::timeout(program::PATIENCE, async {
        let mut config = String::new();
        let mut inside = false;
        while let Some(line) = lines.next_line().await.unwrap() {
            inside |= line == "{";
            if inside {
                config.push_str(&line);
                config.push('\n');
            }
            if line == "}" {
                return config;
            }
        }
        panic!("the banner printed no crmConfig");
    })
    .await
    .expect("the program prints its banner");
    child.kill().await.unwrap();
    // The keys as printed, in order: a person pastes this text.
    let keys: Vec<&str> = config
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"')?.split_once('"'))
        .map(|(key, _)| key)
        .collect();
    assert_eq!(
        keys,
        [
            "lm_form",
            "lm_key",
            "token",
            "getCustomerDetailsUrl",
            "nameField",
            "onlyDisplayData"
        ],
        "{config}"
    );
    let parsed: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(parsed["lm_form"], "5001");
    assert_eq!(parsed["nameField"], "שם");
}

#[tokio::test]
async fn version_names_the_program() {
    let out = command().arg("--version").output().await.unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("leadim-sim "), "{stdout}");
}

#[tokio::test]
async fn a_start_from_the_state_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut program = start_on(&state, &[]).await;
    let banner = program.banner_text();
    assert!(
        banner.contains("fixtures: embedded (3 accounts, 48 leads)"),
        "{banner}"
    );
    assert!(
        banner.contains("new: it starts from the fixtures"),
        "{banner}"
    );
    submit_lid(&client(), &shamir_at(&program.base), &[("name", "נועה")]).await;
    assert!(program.terminate().await.success(), "{}", program.stderr());

    let program = start_on(&state, &[]).await;
    let banner = program.banner_text();
    let path = state.display();
    assert!(
        banner.contains(&format!("state:    {path} (3 accounts, 49 leads: loaded")),
        "{banner}"
    );
    assert!(
        banner.contains("fixtures: embedded (what POST /__admin/reset goes back to)"),
        "{banner}"
    );
}

/// Writes the default fixtures to `dir`, each file starting with a UTF-8
/// byte-order mark.
fn fixtures_with_bom(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    for name in ["accounts.json", "leads.jsonl"] {
        let mut text = b"\xEF\xBB\xBF".to_vec();
        text.extend(std::fs::read(root.join(name)).unwrap());
        std::fs::write(dir.join(name), text).unwrap();
    }
}

#[tokio::test]
async fn fixtures_and_state_files_may_start_with_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    fixtures_with_bom(dir.path());
    let program = start(&[OsStr::new("--fixtures"), dir.path().as_os_str()]).await;
    assert!(
        program.banner_text().contains("(3 accounts, 48 leads)"),
        "{}",
        program.banner_text()
    );
    program.kill().await;

    let state = dir.path().join("state.json");
    let mut program = start_on(&state, &[]).await;
    assert!(program.terminate().await.success(), "{}", program.stderr());
    let mut text = b"\xEF\xBB\xBF".to_vec();
    text.extend(std::fs::read(&state).unwrap());
    std::fs::write(&state, text).unwrap();
    let program = start_on(&state, &[]).await;
    assert!(
        program.banner_text().contains("48 leads: loaded"),
        "{}",
        program.banner_text()
    );
}

#[tokio::test]
async fn a_state_file_that_is_not_utf8_is_refused_with_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    // Latin-1 where UTF-8 belongs, on the second line.
    let mut text =
        b"{\"version\":1,\"next_lid\":117000050,\n\"accounts\":[{\"aid\":3305,\"name\":\"caf"
            .to_vec();
    text.extend(b"\xe9\"}]}");
    std::fs::write(&state, &text).unwrap();
    let stderr = refused(&[OsStr::new("--state"), state.as_os_str()]).await;
    assert!(stderr.contains("state.json: line 2, column"), "{stderr}");
    assert!(stderr.contains("invalid unicode"), "{stderr}");
    assert_eq!(std::fs::read(&state).unwrap(), text, "left as it is");
}

#[tokio::test]
async fn a_fixtures_error_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("accounts.json"),
        r#"{"accounts": [{"aid": 1200, "name": "קפה גינה", "forms": [{"lm_form": 1201, "lm_key": "k", "name": "הזמנות", "thank_you_url": "https://x.co.il", "fields": {"name": "שם"}}]}]}"#,
    )
    .unwrap();
    // Well-formed JSON, refused when the store is built: a lead of another form.
    std::fs::write(
        dir.path().join("leads.jsonl"),
        "{\"aid\":1200,\"form_id\":5001,\"created_at\":\"2026-01-01T08:00:00Z\",\"phone\":\"0541234000\",\"fields\":{}}\n",
    )
    .unwrap();
    let stderr = refused(&[OsStr::new("--fixtures"), dir.path().as_os_str()]).await;
    let reason = "form 5001 is not a form of account 1200";
    assert_eq!(stderr.matches(reason).count(), 1, "{stderr}");
    assert_eq!(stderr.matches("leads.jsonl").count(), 1, "{stderr}");
}
