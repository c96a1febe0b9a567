//! Phase 5, stalls: lookups on the large dataset, measured while the simulator does
//! something heavy besides — nothing (the baseline), a read of the whole journal
//! (paged, as a client pages it), a `--state` snapshot, a reset — with the longest
//! hold of the store's and the journal's locks and the longest stall of the worker
//! thread during each (from a monitored `serve-sim`).
//!
//! Each lookup carries a note of Hebrew text in its query (about 7 KB
//! percent-encoded), which the lookup ignores and the journal keeps and decodes again
//! when read, so that the journal stays at its byte bound (8 MiB by default) while
//! they run, and reading it is the work a journal of Hebrew submissions takes: the
//! read is of a full journal, rendering to about 10 MB of JSON.

use super::settings::Settings;
use super::{note, ready};
use crate::client::{self, Connection};
use crate::dataset;
use crate::load::{self, MakeRequest, Plan, Stop};
use crate::report::{Holds, Stall, StallWindow, thousands};
use crate::servers::{Launch, Server};
use crate::workload::{Known, Scenario, Workload};
use anyhow::Context;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::HOST;
use hyper::{Method, Request, StatusCode};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Characters of the Hebrew note each lookup carries for the journal to keep.
const NOTE_CHARS: usize = 1_200;
/// Lookups before and after the operation, inside the measured window.
const MARGIN: Duration = Duration::from_millis(300);
/// How long the baseline's "operation" (nothing) lasts: about as long as a snapshot
/// or a reset of a million leads takes, since the longest stall of a window grows
/// with its length (the machine's own hiccups).
const IDLE: Duration = Duration::from_secs(10);

/// What the simulator does during a window.
#[derive(Debug, Clone, Copy)]
enum Operation {
    Nothing,
    JournalRead,
    Snapshot,
    Reset,
}

impl Operation {
    fn describe(self, leads: u64) -> String {
        match self {
            Operation::Nothing => "nothing (baseline)".into(),
            Operation::JournalRead => "a read of the whole journal, paged".into(),
            Operation::Snapshot => {
                format!(
                    "a --state snapshot of {} leads, compacting the log",
                    thousands(leads as f64)
                )
            }
            Operation::Reset => format!("a reset to {} leads", thousands(leads as f64)),
        }
    }
}

/// Runs the phase on a monitored simulator serving the dataset in `big_dir`.
pub(super) async fn stall(s: &Settings, big_dir: &Path) -> anyhow::Result<Stall> {
    note(format!(
        "stall: loading {} leads",
        thousands(s.big_leads as f64)
    ));
    let scratch = tempfile::Builder::new()
        .prefix("leadim-bench-state-")
        .tempdir()?;
    let launch = Launch::Monitored {
        fixtures: big_dir.to_path_buf(),
        state: scratch.path().join("state.json"),
    };
    let mut sim = ready(s, &launch).await?;
    let known = Known {
        phones: s.big_leads,
        lids: Arc::new(Vec::new()),
    };
    let workload = Arc::new(Workload::new(sim.addr, &dataset::account(), known));
    let lookups = padded(workload.maker(Scenario::Lookup));
    let operations = [
        Operation::Nothing,
        Operation::JournalRead,
        Operation::Snapshot,
        Operation::Reset,
    ];
    // Round after round of every operation, so that whatever else the machine does
    // meanwhile falls on all of them alike; each figure is then the median.
    let mut rounds: Vec<Vec<StallWindow>> = operations.iter().map(|_| Vec::new()).collect();
    for round in 1..=s.rounds {
        if s.rounds > 1 {
            note(format!("stall: round {round} of {}", s.rounds));
        }
        for (operation, windows) in operations.iter().zip(&mut rounds) {
            windows.push(window(s, &mut sim, &lookups, *operation).await?);
        }
    }
    sim.stop().await;
    Ok(Stall {
        leads: s.big_leads,
        windows: rounds.into_iter().map(StallWindow::median).collect(),
    })
}

/// Lookups with a Hebrew `note` in the query, which the lookup ignores and the
/// journal keeps.
fn padded(make: MakeRequest) -> MakeRequest {
    let text: String = "שלום, זו הערה ארוכה של ליד מבחן. "
        .chars()
        .cycle()
        .take(NOTE_CHARS)
        .collect();
    let note: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
    Arc::new(move |seq| {
        let mut req = make(seq);
        let uri = format!("{}&note={note}", req.uri());
        *req.uri_mut() = uri.parse().expect("a lookup with a note is a valid URI");
        req
    })
}

/// One window: lookups from before `operation` starts until after it ends.
async fn window(
    s: &Settings,
    sim: &mut Server,
    lookups: &MakeRequest,
    operation: Operation,
) -> anyhow::Result<StallWindow> {
    let during = operation.describe(s.big_leads);
    note(format!("stall: lookups during {during}"));
    let stop = Arc::new(AtomicBool::new(false));
    let plan = Plan {
        connections: s.connections,
        warmup: s.warmup,
        stop: Stop::Flag(stop.clone()),
    };
    let load = tokio::spawn(load::drive(
        sim.addr,
        plan,
        lookups.clone(),
        Some(sim.pid),
        None,
    ));
    tokio::time::sleep(s.warmup + MARGIN).await;
    // Starts the holds afresh: what the next answer says is of this operation.
    sim.ask("holds").await?;
    let started = Instant::now();
    let detail = run(sim, operation).await?;
    let took = started.elapsed();
    tokio::time::sleep(MARGIN).await;
    let holds = sim
        .ask("holds")
        .await?
        .map(|line| Holds::parse(&line))
        .transpose()?;
    stop.store(true, Ordering::Relaxed);
    let outcome = load.await??;
    note(format!(
        "  {} took {:.1} ms ({}); lookups p99.9 {:.3} ms, max {:.3} ms{}",
        during,
        took.as_secs_f64() * 1e3,
        detail.as_deref().unwrap_or("not measured"),
        outcome.p999_us / 1e3,
        outcome.max_us / 1e3,
        holds.map(|h| format!("; {h}")).unwrap_or_default()
    ));
    Ok(StallWindow {
        during,
        operation_ms: detail.is_some().then_some(took.as_secs_f64() * 1e3),
        detail,
        outcome,
        holds,
        worst: holds,
        rounds: 1,
    })
}

/// Does `operation`; says what it did, or `None` when this simulator cannot be asked
/// to (a snapshot of a `--sim-bin` binary).
async fn run(sim: &mut Server, operation: Operation) -> anyhow::Result<Option<String>> {
    match operation {
        Operation::Nothing => {
            tokio::time::sleep(IDLE).await;
            Ok(Some("idle".into()))
        }
        Operation::JournalRead => {
            // A client of its own, as a journal reader is: on the load generator's
            // thread, receiving 18 MB would delay the very lookups it times.
            let addr = sim.addr;
            let (done, read) = tokio::sync::oneshot::channel();
            std::thread::Builder::new()
                .name("journal-reader".into())
                .spawn(move || {
                    let read = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(anyhow::Error::from)
                        .and_then(|runtime| runtime.block_on(read_journal(addr)));
                    let _ = done.send(read);
                })?;
            read.await?.map(Some)
        }
        Operation::Snapshot => {
            let answer = sim.ask("snapshot").await?;
            if let Some(line) = &answer {
                anyhow::ensure!(!line.contains("failed"), "{line}");
            }
            Ok(answer.map(|line| line.trim_start_matches("snapshot ").to_owned()))
        }
        Operation::Reset => {
            let answer = client::call(
                sim.addr,
                Method::POST,
                "/__admin/reset",
                None,
                StatusCode::OK,
            )
            .await?;
            Ok(Some(format!("{} leads after", answer["leads"])))
        }
    }
}

/// What the stall phase reads of a journal page.
#[derive(Deserialize)]
struct Page {
    entries: Vec<IgnoredAny>,
    bytes: Option<u64>,
    held: Option<usize>,
    next_since: Option<u64>,
    more: Option<bool>,
}

/// Reads the whole journal as a client pages through it: the first page, then
/// `since` the cursor each page gives, 1,000 at a time, until it has read as many
/// entries as the journal held at the start (the lookups keep adding more). A
/// simulator that does not page answers everything at once.
async fn read_journal(addr: std::net::SocketAddr) -> anyhow::Result<String> {
    let mut conn = Connection::open(addr).await?;
    let (mut pages, mut entries, mut json) = (0, 0, 0);
    let mut path = "/__admin/requests".to_owned();
    let (mut held, mut target) = (None, None);
    loop {
        let req = Request::builder()
            .uri(path.as_str())
            .header(HOST, client::host(addr))
            .body(Full::new(Bytes::new()))?;
        let (status, body) = conn.send(req).await?;
        anyhow::ensure!(status == StatusCode::OK, "the journal answered {status}");
        json += body.len();
        // Off the load generator's thread: a page of a full journal is megabytes.
        let page: Page = tokio::task::spawn_blocking(move || serde_json::from_slice(&body))
            .await?
            .context("a journal page that is not the journal's JSON")?;
        pages += 1;
        entries += page.entries.len();
        held = held.or(page.bytes);
        target = target.or(page.held);
        match (page.next_since, page.more) {
            (Some(next), Some(true)) if target.is_some_and(|t| entries < t) => {
                path = format!("/__admin/requests?since={next}&limit=1000");
            }
            _ => break,
        }
    }
    Ok(format!(
        "{entries} entries, {:.1} MB held, {pages} page(s), {:.1} MB of JSON",
        held.unwrap_or(0) as f64 / 1e6,
        json as f64 / 1e6
    ))
}
