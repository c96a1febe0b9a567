//! The children's side: `serve-raw` and `serve-sim` print their address, serve until
//! their standard input closes, and (`serve-sim --monitor`) answer the stall phase's
//! commands.

use super::{JSON, LISTENING, RAW_BODY};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use leadim_simulator::internals::runtime;
use leadim_simulator::state_file::{self, Durability, StateFile};
use leadim_simulator::{Dataset, Simulator};
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpListener;
/// `serve-raw`: the baseline. The simulator's runtime ([`runtime::build`] with
/// [`runtime::default_workers`]); one hyper HTTP/1.1 connection task per connection
/// (`TCP_NODELAY`, keep-alive); every request's body is read, and every answer is
/// [`RAW_BODY`] with [`JSON`].
pub fn serve_raw() -> anyhow::Result<()> {
    runtime::build(runtime::default_workers())?.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        println!("raw-hyper {LISTENING}{}", listener.local_addr()?);
        let accept = async {
            loop {
                let (stream, _) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = service_fn(|req: Request<Incoming>| async move {
                        let _ = req.into_body().collect().await;
                        let mut answer = Response::new(Full::new(Bytes::from_static(RAW_BODY)));
                        answer
                            .headers_mut()
                            .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
                        Ok::<_, Infallible>(answer)
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        };
        tokio::select! {
            () = accept => {},
            () = stdin_closed() => {},
        }
        Ok(())
    })
}

/// `serve-sim`: the simulator, as `leadim-sim` runs it — its runtime, the builder
/// with the embedded fixtures (or `fixtures`), default journal bounds,
/// `Simulator::run` on a listener bound to `127.0.0.1:0`; with `state`, the state
/// file loaded and kept as `leadim-sim --state` (`--fsync`) keeps it. With
/// `monitor`, it times its locks and its worker thread and answers the stall phase's
/// commands (see the module's documentation), and the state file is snapshotted on
/// command only.
pub fn serve_sim(
    fixtures: Option<&Path>,
    monitor: bool,
    state: Option<&Path>,
    fsync: bool,
) -> anyhow::Result<()> {
    runtime::build(runtime::default_workers())?.block_on(async {
        let dataset = match fixtures {
            Some(dir) => Dataset::load_dir(dir)?,
            None => Dataset::embedded(),
        };
        let simulator = Simulator::builder().dataset(dataset).build()?;
        let kept = match state {
            Some(path) => {
                let durability = if fsync {
                    Durability::PowerLoss
                } else {
                    Durability::Process
                };
                let mut file = StateFile::open(path, durability)?;
                file.load_into(simulator.store())?;
                Some(file)
            }
            None => None,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        println!("leadim-sim {LISTENING}{}", listener.local_addr()?);
        if monitor {
            leadim_simulator::internals::holds::enable();
            let worker = Arc::new(Canary::default());
            tokio::spawn(canary(worker.clone()));
            let store = simulator.store().clone();
            let commands = commands(store, worker, kept.map(Arc::new));
            simulator.run(listener, commands).await?;
            return Ok(());
        }
        let Some(file) = kept else {
            simulator.run(listener, stdin_closed()).await?;
            return Ok(());
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let store = simulator.store().clone();
        let keeper = tokio::spawn(file.keep(store, state_file::DEFAULT_INTERVAL, async {
            let _ = stopped.await;
        }));
        simulator.run(listener, stdin_closed()).await?;
        let _ = stop.send(());
        keeper.await??;
        Ok(())
    })
}

/// What the canary saw since the last `holds` command.
#[derive(Default)]
struct Canary {
    /// The most it woke late, microseconds.
    longest_us: AtomicU64,
    /// How many times it woke late by the stall target (10 ms) or more: the longest
    /// alone is one event, and a long window (a reset) has more chances of one than
    /// a short one.
    over_10ms: AtomicU64,
}

/// Wakes every millisecond and records how late it woke: how long the worker thread
/// it shares with the requests was kept from it.
async fn canary(seen: Arc<Canary>) {
    const PERIOD: Duration = Duration::from_millis(1);
    let mut due = tokio::time::Instant::now() + PERIOD;
    loop {
        tokio::time::sleep_until(due).await;
        let now = tokio::time::Instant::now();
        let late = now.saturating_duration_since(due).as_micros();
        let late = u64::try_from(late).unwrap_or(u64::MAX);
        seen.longest_us.fetch_max(late, Ordering::Relaxed);
        if late >= crate::report::MAX_STALL_US {
            seen.over_10ms.fetch_add(1, Ordering::Relaxed);
        }
        due = now + PERIOD;
    }
}

/// Answers the stall phase's commands until standard input closes.
async fn commands(
    store: leadim_simulator::Store,
    worker: Arc<Canary>,
    file: Option<Arc<StateFile>>,
) {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        match (line.trim(), &file) {
            ("holds", _) => {
                let holds = leadim_simulator::internals::holds::take();
                println!(
                    "holds store_us={} journal_us={} worker_us={} worker_over_10ms={}",
                    holds.store_us,
                    holds.journal_us,
                    worker.longest_us.swap(0, Ordering::Relaxed),
                    worker.over_10ms.swap(0, Ordering::Relaxed)
                );
            }
            ("snapshot", Some(file)) => println!("{}", snapshot(&store, file).await),
            _ => println!("unknown command: {line}"),
        }
    }
}

/// Takes the `--state` snapshot, writes it and compacts the log, off the runtime as
/// `leadim-sim` does; the answer line says how many leads and how long.
async fn snapshot(store: &leadim_simulator::Store, file: &Arc<StateFile>) -> String {
    let (store, file) = (store.clone(), file.clone());
    let serving = tokio::runtime::Handle::current();
    let taken = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        file.snapshot_now_on(&store, &serving)
            .map(|leads| (leads, started.elapsed()))
    })
    .await;
    match taken {
        Ok(Ok((leads, total))) => format!(
            "snapshot leads={leads} total_ms={:.1}",
            total.as_secs_f64() * 1e3
        ),
        Ok(Err(e)) => format!("snapshot failed: {e}"),
        Err(e) => format!("snapshot failed: {e}"),
    }
}

/// Resolves when standard input reaches its end: the benchmark closed the pipe, or
/// died.
async fn stdin_closed() {
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 64];
    while let Ok(n) = stdin.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}
