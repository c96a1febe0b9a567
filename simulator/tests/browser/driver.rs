//! Headless Chromium driven through WebDriver: chromedriver started on a free port,
//! one browser session shared by the checks, both ended when the tests are done.

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// What to do when Chromium or its driver is missing.
pub const INSTALL: &str = "the browser tests need Chromium and its WebDriver: install them with `apt-get install -y chromium chromium-driver` (Debian; .ci/run does this), or put `chromium` and `chromedriver` on PATH";

/// How long chromedriver may take to say it listens: a guard against a driver that
/// hangs, not a measure of speed.
const DRIVER_START: Duration = Duration::from_secs(60);

/// A running chromedriver and a browser session on it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// The browser's profile, removed when the browser is done.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and headless Chromium, or says what is missing.
    pub async fn start() -> Result<Browser, String> {
        let chromedriver =
            find("chromedriver").ok_or_else(|| format!("no chromedriver: {INSTALL}"))?;
        let chromium = ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find_map(find)
            .ok_or_else(|| format!("no chromium: {INSTALL}"))?;
        let (driver, port) = start_driver(&chromedriver).await?;
        let profile = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
        let client = session(port, &chromium, profile.path()).await?;
        Ok(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Ends the session (Chromium quits), then chromedriver.
    pub async fn stop(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
    }
}

/// A program on PATH.
fn find(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// Starts chromedriver on a port it picks itself: `--port=0` binds port 0, and the
/// driver says which port it got ("ChromeDriver was started successfully on port
/// N."), so there is no window between choosing a port and binding it.
async fn start_driver(chromedriver: &Path) -> Result<(Child, u16), String> {
    let mut driver = Command::new(chromedriver)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("chromedriver does not start ({e}): {INSTALL}"))?;
    let stdout = driver.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let port = tokio::time::timeout(DRIVER_START, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(port) = reported_port(&line) {
                return Some(port);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or("chromedriver did not say which port it listens on")?;
    // The driver goes on writing to its standard output: keep reading it, so that it
    // never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((driver, port))
}

/// The port in chromedriver's "… started successfully on port 33409." line.
fn reported_port(line: &str) -> Option<u16> {
    let (_, rest) = line.split_once("started successfully on port ")?;
    rest.trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()
}

/// A session of headless Chromium, run as root (no sandbox), that talks to nothing
/// but the simulator.
async fn session(port: u16, chromium: &Path, profile: &Path) -> Result<Client, String> {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1100,800",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("an object");
    };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .map_err(|e| format!("no browser session ({e}): {INSTALL}"))
}
