//! The servers under test, each in a process of its own, and what `/proc` says about
//! them.
//!
//! By default both are this very binary, re-run with a hidden subcommand
//! (`serve-raw`, `serve-sim`), so that `cargo run --release -p leadim-bench` needs no
//! other binary built first (cargo does not build a dependency's binaries). The
//! simulator side calls the same library entry point as `leadim-sim`
//! (`Simulator::builder().dataset(..).build()?.run(listener, shutdown)`) on the same
//! runtime ([`leadim_simulator::internals::runtime`], half the cores); `--sim-bin` runs a
//! `leadim-sim` binary instead. The raw hyper baseline runs on that runtime too, so
//! the comparison is of the work per request, not of two runtime setups.
//!
//! A child prints `... listening on http://ADDR` on its standard output once its
//! listener is bound, and stops when its standard input closes, so it never outlives
//! the benchmark, even a killed one. A monitored simulator (`serve-sim --monitor`,
//! for the stall phase) also answers commands on its standard input, one a line:
//! `holds` (the longest lock holds and worker-thread stall since the last `holds`)
//! and `snapshot` (the `--state` snapshot and the log's compaction, taken and written
//! as the program takes them).
//!
//! This file is the benchmark's side (start, watch, stop); `child` is the children's
//! (`serve-raw`, `serve-sim`).

mod child;

pub use child::{serve_raw, serve_sim};

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, StatusCode};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// What a server prints before its address once it listens.
pub const LISTENING: &str = "listening on http://";

/// The raw baseline's whole answer: a fixed, small JSON body.
pub const RAW_BODY: &[u8] = br#"{"status":"success","data":"raw hyper"}"#;

/// The `Content-Type` of both servers' JSON answers.
pub const JSON: &str = "application/json; charset=utf-8";

/// How long a server may take to become ready before the benchmark gives up.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Which server a child process runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// The raw hyper baseline.
    Raw,
    /// The simulator, with the embedded fixtures or with the dataset in a folder.
    Simulator {
        /// A folder with `accounts.json` and `leads.jsonl`; `None` for the embedded
        /// default fixtures.
        fixtures: Option<PathBuf>,
    },
    /// The simulator with a dataset and a `--state` file, answering the stall
    /// phase's commands (not when it is a `--sim-bin` binary, which only serves,
    /// without the state file).
    Monitored {
        /// A folder with `accounts.json` and `leads.jsonl`.
        fixtures: PathBuf,
        /// The state file (its folder must exist): a snapshot writes it, compacting
        /// the log.
        state: PathBuf,
    },
    /// The simulator on the embedded fixtures, keeping its state in `state`
    /// (`leadim-sim --state`): every change logged before it is answered.
    SimulatorWithState {
        /// The state file (its folder must exist).
        state: PathBuf,
        /// `--fsync`: each batch of the log on disk before the answers.
        fsync: bool,
    },
}

/// Starts servers under test.
#[derive(Debug, Clone, Default)]
pub struct Launcher {
    /// A `leadim-sim` binary to run for the simulator, instead of this binary's
    /// `serve-sim`.
    pub sim_bin: Option<PathBuf>,
}

impl Launcher {
    /// How the simulator is started, for the report.
    pub fn describe(&self) -> String {
        match &self.sim_bin {
            Some(bin) => format!("{} --port 0", bin.display()),
            None => "leadim-bench serve-sim (the simulator library in its own process)".into(),
        }
    }

    /// The command that runs `launch`.
    fn command(&self, launch: &Launch, me: &Path) -> Command {
        // The simulator: this binary's `serve-sim`, or a `leadim-sim` binary.
        let simulator = || match &self.sim_bin {
            Some(bin) => {
                let mut c = Command::new(bin);
                c.args(["--port", "0"]);
                c
            }
            None => {
                let mut c = Command::new(me);
                c.arg("serve-sim");
                c
            }
        };
        match launch {
            Launch::Raw => {
                let mut c = Command::new(me);
                c.arg("serve-raw");
                c
            }
            Launch::Simulator { fixtures } => {
                let mut c = simulator();
                if let Some(dir) = fixtures {
                    c.arg("--fixtures").arg(dir);
                }
                c
            }
            Launch::Monitored { fixtures, state } => {
                let mut c = simulator();
                c.arg("--fixtures").arg(fixtures);
                // A `leadim-sim` binary takes no commands: it serves the dataset alone.
                if self.sim_bin.is_none() {
                    c.arg("--state").arg(state).arg("--monitor");
                }
                c
            }
            Launch::SimulatorWithState { state, fsync } => {
                let mut c = simulator();
                c.arg("--state").arg(state);
                if *fsync {
                    c.arg("--fsync");
                }
                c
            }
        }
    }

    /// Spawns a server and waits until it has printed its address (not until it
    /// answers: see [`Server::wait_ready`]).
    pub async fn spawn(&self, launch: &Launch) -> anyhow::Result<Server> {
        let me = std::env::current_exe().context("cannot find the benchmark's own binary")?;
        let mut command = self.command(launch, &me);
        let monitored = matches!(launch, Launch::Monitored { .. }) && self.sim_bin.is_none();
        command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let spawned_at = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {launch:?}"))?;
        let pid = child.id().context("the child has no pid")?;
        let stdout = child.stdout.take().context("the child has no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(READY_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(at) = line.find(LISTENING) {
                    let rest = &line[at + LISTENING.len()..];
                    let addr = rest.split_whitespace().next().unwrap_or(rest);
                    return addr
                        .parse::<SocketAddr>()
                        .with_context(|| format!("bad address in '{line}'"));
                }
            }
            bail!("{launch:?} exited before it listened")
        })
        .await
        .with_context(|| format!("{launch:?} did not listen within {READY_TIMEOUT:?}"))??;
        // Keep reading what it prints, so that it never blocks on a full pipe; a
        // monitored one's answers to commands are among its lines.
        let (sender, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = sender.send(line);
            }
        });
        Ok(Server {
            child,
            addr,
            pid,
            spawned_at,
            monitored,
            lines: received,
        })
    }
}

/// A running server under test. Dropping it kills the process.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id, for `/proc`.
    pub pid: u32,
    spawned_at: Instant,
    /// It answers commands on its standard input.
    monitored: bool,
    /// What it printed after its address.
    lines: mpsc::UnboundedReceiver<String>,
}

impl Server {
    /// Polls `GET /__admin/health` until it answers 200, and returns the time from the
    /// spawn to that answer: the startup time.
    pub async fn wait_ready(&self) -> anyhow::Result<Duration> {
        let deadline = self.spawned_at + READY_TIMEOUT;
        loop {
            if let Ok(mut conn) = crate::client::Connection::open(self.addr).await {
                let req = Request::builder()
                    .uri("/__admin/health")
                    .header(hyper::header::HOST, crate::client::host(self.addr))
                    .body(Full::new(Bytes::new()))?;
                if let Ok((StatusCode::OK, _)) = conn.send(req).await {
                    return Ok(self.spawned_at.elapsed());
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "the server at {} never answered its health check",
                    self.addr
                );
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }

    /// Sends a monitored simulator `command` and returns its answer: the first line
    /// it prints that starts with the command's first word. `None` when the server
    /// takes no commands (not monitored, or a `--sim-bin` binary).
    pub async fn ask(&mut self, command: &str) -> anyhow::Result<Option<String>> {
        if !self.monitored {
            return Ok(None);
        }
        let stdin = self
            .child
            .stdin
            .as_mut()
            .context("the server has no stdin")?;
        stdin.write_all(format!("{command}\n").as_bytes()).await?;
        stdin.flush().await?;
        let word = command.split_whitespace().next().unwrap_or_default();
        loop {
            let line = tokio::time::timeout(READY_TIMEOUT, self.lines.recv())
                .await
                .with_context(|| format!("no answer to '{command}' within {READY_TIMEOUT:?}"))?
                .with_context(|| format!("the server exited before answering '{command}'"))?;
            if line.starts_with(word) {
                return Ok(Some(line));
            }
        }
    }

    /// Its memory now.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        Memory::of(self.pid)
    }

    /// Kills it and waits until it is gone.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A process's resident memory, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Memory {
    /// Resident set size now (`VmRSS`), in bytes.
    pub rss: u64,
    /// Peak resident set size (`VmHWM`), in bytes.
    pub peak: u64,
}

impl Memory {
    /// Reads `/proc/PID/status`.
    pub fn of(pid: u32) -> anyhow::Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .with_context(|| format!("cannot read /proc/{pid}/status (Linux only)"))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            let line = status
                .lines()
                .find(|l| l.starts_with(name))
                .with_context(|| format!("/proc/{pid}/status has no {name}"))?;
            let kib: u64 = line[name.len()..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()?;
            Ok(kib * 1024)
        };
        Ok(Memory {
            rss: field("VmRSS:")?,
            peak: field("VmHWM:")?,
        })
    }
}

/// CPU time a process has used so far, all threads, from
/// `/proc/PID/task/*/schedstat` (nanoseconds, unlike the 10 ms ticks of `stat`).
/// Threads that have exited are not counted; the servers' worker threads live as
/// long as the process.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let path = task.ok()?.path().join("schedstat");
        if let Ok(text) = std::fs::read_to_string(path) {
            total += text.split_whitespace().next()?.parse::<u64>().ok()?;
        }
    }
    Some(Duration::from_nanos(total))
}

/// The whole machine's CPU counters (`/proc/stat`), to tell how busy it was.
#[derive(Debug, Clone, Copy)]
pub struct MachineCpu {
    busy: u64,
    total: u64,
}

impl MachineCpu {
    /// Reads the counters now.
    pub fn now() -> Option<MachineCpu> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().next()?.strip_prefix("cpu ")?;
        let v: Vec<u64> = line
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let total: u64 = v.iter().take(8).sum();
        let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
        Some(MachineCpu {
            busy: total - idle,
            total,
        })
    }

    /// Cores busy on average between `self` and `later`.
    pub fn busy_cores_until(&self, later: &MachineCpu) -> f64 {
        let total = later.total.saturating_sub(self.total);
        if total == 0 {
            return 0.0;
        }
        let busy = later.busy.saturating_sub(self.busy);
        busy as f64 / total as f64 * cores() as f64
    }
}

/// The machine's load average (`/proc/loadavg`: 1, 5 and 15 minutes).
pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Cores available to this process.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `GET /__admin/health`'s lead count, to check a dataset was loaded whole.
pub async fn lead_count(addr: SocketAddr) -> anyhow::Result<u64> {
    let health =
        crate::client::call(addr, Method::GET, "/__admin/health", None, StatusCode::OK).await?;
    health["leads"]
        .as_u64()
        .context("the health answer has no lead count")
}
