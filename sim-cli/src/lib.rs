//! `leadim-sim`, the simulator as a program: it parses the flags, then calls the
//! `leadim-simulator` library. It is a crate of its own so that the library's users
//! build none of what only the program needs (clap, indicatif, tracing-subscriber,
//! mimalloc, anyhow). Its binary, and the wheel's (`dist/`), are [`main`].
//!
//! Linking this crate makes mimalloc the program's allocator.
//!
//! # Layout
//!
//! - `lib.rs` — the flags, [`main`], and what it runs: the server with its state
//!   file, or `fixtures generate` and `fixtures check`.
//! - `banner.rs` — what the program prints at start.
//! - `main.rs` — the `leadim-sim` binary: calls [`main`].

mod banner;

use anyhow::Context;
use banner::print_banner;
use clap::{Parser, Subcommand, ValueEnum};
use leadim_simulator::state_file::{Durability, Loaded, StateFile};
use leadim_simulator::{Dataset, PhoneMatch, Simulator, contract};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

// A request allocates a few dozen small blocks and frees them at once; mimalloc does
// that markedly cheaper than the system allocator (the benchmark's profile: malloc
// and free were about 15% of a request's instructions).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A fake Lead.IM CRM API for testing adapters and bot flows: no credentials, Hebrew
/// fixtures, a journal of every request at /__admin/requests.
#[derive(Parser, Debug)]
#[command(name = "leadim-sim", version, about, long_about = None)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LEADIM_SIM_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, env = "LEADIM_SIM_PORT", default_value_t = 7010)]
    port: u16,
    /// A folder with accounts.json and leads.jsonl to use instead of the embedded
    /// Hebrew fixtures.
    #[arg(long, env = "LEADIM_SIM_FIXTURES", value_name = "DIR")]
    fixtures: Option<PathBuf>,
    /// How by_phone matches stored phones: exact (as the real service) or normalized
    /// (every Israeli format of one number matches).
    #[arg(long, env = "LEADIM_SIM_PHONE_MATCH", value_enum, default_value_t = MatchArg::Exact)]
    phone_match: MatchArg,
    /// Log format on standard error.
    #[arg(long, env = "LEADIM_SIM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Most requests the journal keeps.
    #[arg(long, env = "LEADIM_SIM_JOURNAL_ENTRIES", default_value_t = leadim_simulator::journal::DEFAULT_MAX_ENTRIES)]
    journal_entries: usize,
    /// Most bytes the journal keeps (estimated).
    #[arg(long, env = "LEADIM_SIM_JOURNAL_BYTES", default_value_t = leadim_simulator::journal::DEFAULT_MAX_BYTES)]
    journal_bytes: usize,
    /// Keep the state in this file: loaded at start; every change is written to its
    /// log (FILE.wal.N) before it is answered, so a crash of the process loses
    /// nothing acknowledged; a snapshot on shutdown and every --snapshot-interval
    /// seconds compacts the log (past 4 MB, once the log is a quarter of its size).
    #[arg(long, env = "LEADIM_SIM_STATE", value_name = "FILE")]
    state: Option<PathBuf>,
    /// With --state: also fsync the log before answering (one fsync for the changes
    /// written together), so a power loss loses nothing acknowledged either.
    #[arg(long, env = "LEADIM_SIM_FSYNC", requires = "state")]
    fsync: bool,
    /// Seconds between state snapshots (with --state).
    #[arg(
        long,
        env = "LEADIM_SIM_SNAPSHOT_INTERVAL",
        default_value_t = 5.0,
        value_name = "SECS"
    )]
    snapshot_interval: f64,
    /// Close a connection after this many seconds with nothing arriving on it (no
    /// request head, no piece of a body) while none of its requests is being answered
    /// (stalled or idle clients).
    #[arg(
        long,
        env = "LEADIM_SIM_IDLE_TIMEOUT",
        default_value_t = leadim_simulator::DEFAULT_IDLE_TIMEOUT.as_secs(),
        value_name = "SECS",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    idle_timeout: u64,
    /// Most connections served at once; more wait in the listen backlog.
    #[arg(
        long,
        env = "LEADIM_SIM_MAX_CONNECTIONS",
        default_value_t = leadim_simulator::DEFAULT_MAX_CONNECTIONS,
        value_name = "N",
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000)
    )]
    max_connections: usize,
    /// Threads serving requests. The default, half the cores, leaves the rest to the
    /// tests that drive the simulator; 1 serves from a single-threaded runtime.
    #[arg(
        long,
        env = "LEADIM_SIM_WORKERS",
        default_value_t = leadim_simulator::internals::runtime::default_workers(),
        value_name = "N",
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024)
    )]
    workers: usize,
    /// Require this token (header X-Admin-Token) on every /__admin/ route.
    #[arg(long, env = "LEADIM_SIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Print the modeled rules (where the simulator guesses) and exit.
    #[arg(long)]
    divergences: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Make or check datasets (the format of --fixtures).
    #[command(subcommand)]
    Fixtures(FixturesCommand),
}

#[derive(Subcommand, Debug)]
enum FixturesCommand {
    /// Write a large, realistic Hebrew dataset: accounts.json and leads.jsonl.
    Generate {
        /// How many leads.
        #[arg(long)]
        leads: u64,
        /// How many accounts share them.
        #[arg(long, default_value_t = 1)]
        accounts: u64,
        /// The folder to write (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Load a dataset as the simulator would, and report its counts or what is wrong.
    Check {
        /// The folder with accounts.json and leads.jsonl.
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MatchArg {
    Exact,
    Normalized,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// The `leadim-sim` program: parses the process's arguments, serves (or runs a
/// `fixtures` command) until Ctrl-C or SIGTERM, and answers the exit status: failure
/// with a one-line reason on standard error when a flag, a file or the port cannot
/// be used.
pub fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match leadim_simulator::internals::runtime::build(args.workers) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("leadim-sim: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the chain of causes on one line, and no backtrace: the
            // message is for a user who gave a bad file or flag.
            eprintln!("leadim-sim: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    init_logging(args.log_format);
    if let Some(Command::Fixtures(command)) = &args.command {
        return fixtures(command);
    }
    if args.divergences {
        for rule in contract::MODELED {
            println!("{:<28} {:<48} {}", rule.id, rule.area, rule.rule);
        }
        return Ok(());
    }
    check(&args)?;
    // The state file first: a folder that is missing or read-only, or a state
    // another simulator uses, is refused before a large dataset is loaded.
    let state = match &args.state {
        Some(path) => {
            let durability = if args.fsync {
                Durability::PowerLoss
            } else {
                Durability::Process
            };
            Some(StateFile::open(path, durability).context("cannot use the state file")?)
        }
        None => None,
    };
    let (simulator, state) = build(&args, state)?;
    let (listener, local) = bind(&args).await?;
    let shutdown = shutdown_signal()?;
    print_banner(&simulator, local, state.as_ref());
    tracing::info!(%local, "ready");
    let state = state.map(|(file, _)| file);
    serve(simulator, listener, shutdown, state, args.snapshot_interval).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Flags that parse but cannot work.
fn check(args: &Args) -> anyhow::Result<()> {
    if !(args.snapshot_interval > 0.0 && args.snapshot_interval.is_finite()) {
        anyhow::bail!("--snapshot-interval must be a positive number of seconds");
    }
    // An unset CI secret arrives as an empty string: taking it for "no token" would
    // open the admin API silently (and, on a public address, hide the warning).
    let empty_env = std::env::var_os("LEADIM_SIM_ADMIN_TOKEN").is_some_and(|v| v.is_empty());
    let empty_flag = args
        .admin_token
        .as_ref()
        .is_some_and(|t| t.trim().is_empty());
    if empty_flag || (args.admin_token.is_none() && empty_env) {
        anyhow::bail!(
            "the admin token is empty (--admin-token '' or an empty LEADIM_SIM_ADMIN_TOKEN, such as an unset CI secret): \
             give a token, or leave the option out to run the admin API without one"
        );
    }
    Ok(())
}

/// The simulator the flags describe, with the state file's state loaded into it.
fn build(
    args: &Args,
    state: Option<StateFile>,
) -> anyhow::Result<(Simulator, Option<(StateFile, Loaded)>)> {
    let dataset = match &args.fixtures {
        Some(dir) => Dataset::load_dir(dir).context("cannot load the fixtures")?,
        None => Dataset::embedded(),
    };
    let phone_match = match args.phone_match {
        MatchArg::Exact => PhoneMatch::Exact,
        MatchArg::Normalized => PhoneMatch::Normalized,
    };
    let simulator = Simulator::builder()
        .dataset(dataset)
        .phone_match(phone_match)
        .journal_limits(args.journal_entries, args.journal_bytes)
        .admin_token(args.admin_token.clone())
        .idle_timeout(std::time::Duration::from_secs(args.idle_timeout))
        .max_connections(args.max_connections)
        .build()?;
    let state = match state {
        Some(mut file) => {
            let loaded = file
                .load_into(simulator.store())
                .context("cannot use the state file")?;
            tracing::info!(path = %file.path().display(), snapshot = loaded.snapshot, replayed = loaded.replayed, "state loaded");
            Some((file, loaded))
        }
        None => None,
    };
    Ok((simulator, state))
}

/// Listens where the flags say, warning loudly when the admin API is open beyond
/// loopback.
async fn bind(args: &Args) -> anyhow::Result<(tokio::net::TcpListener, SocketAddr)> {
    let addr: SocketAddr = format!("{}:{}", bracket(&args.host), args.port)
        .parse()
        .with_context(|| format!("--host {} is not an IP address", args.host))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    if !local.ip().is_loopback() && args.admin_token.is_none() {
        tracing::warn!(
            "listening on {local}, which is not a loopback address, and --admin-token is not set: \
             ANYONE WHO CAN REACH THIS PORT CAN RESET, SEED AND READ EVERY ACCOUNT through /__admin/. \
             Set --admin-token (or LEADIM_SIM_ADMIN_TOKEN)."
        );
        eprintln!(
            "WARNING: the admin API is open on a non-loopback address ({local}); set --admin-token"
        );
    }
    Ok((listener, local))
}

/// Serves until Ctrl-C or SIGTERM, keeping the state file, then takes the final
/// snapshot once the last request in flight has finished. A final snapshot that
/// cannot be written is an error: the exit status says so.
async fn serve(
    simulator: Simulator,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
    state: Option<StateFile>,
    interval: f64,
) -> anyhow::Result<()> {
    let (stop_keeper, keeper_stop) = tokio::sync::oneshot::channel::<()>();
    let keeper = state.map(|file| {
        let store = simulator.store().clone();
        let every = std::time::Duration::from_secs_f64(interval);
        tokio::spawn(file.keep(store, every, async move {
            let _ = keeper_stop.await;
        }))
    });
    let served = simulator.run(listener, shutdown).await;
    let _ = stop_keeper.send(());
    if let Some(keeper) = keeper {
        keeper
            .await
            .context("the state file's keeper failed")?
            .context("cannot write the last snapshot of the state file")?;
    }
    served?;
    Ok(())
}

fn fixtures(command: &FixturesCommand) -> anyhow::Result<()> {
    match command {
        FixturesCommand::Generate {
            leads,
            accounts,
            out,
        } => {
            if *accounts == 0 {
                anyhow::bail!("--accounts must be at least 1");
            }
            let bar = indicatif::ProgressBar::new(*leads);
            if *leads < 10_000 {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{bar:40}] {human_pos}/{human_len} leads, {per_sec}, {eta} left",
                )?
                .progress_chars("=> "),
            );
            leadim_simulator::generate::write(out, *leads, *accounts, |n| bar.set_position(n))
                .with_context(|| format!("cannot write the dataset to {}", out.display()))?;
            bar.finish_and_clear();
            let first = leadim_simulator::generate::account(0);
            println!(
                "wrote {leads} leads in {accounts} accounts to {} (account {}: lm_form {}, lm_key {}, token {})",
                out.display(),
                first.aid,
                first.lm_form,
                first.lm_key,
                first.token
            );
            println!("run it: leadim-sim --fixtures {}", out.display());
        }
        FixturesCommand::Check { dir } => {
            let store = leadim_simulator::Store::new(Dataset::load_dir(dir)?, PhoneMatch::Exact)?;
            let counts = store.counts();
            println!(
                "{}: {} accounts, {} leads: ok",
                dir.display(),
                counts.accounts,
                counts.leads
            );
        }
    }
    Ok(())
}

fn bracket(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal: in a CI log or a file, escape codes
    // are noise (and NO_COLOR turns them off anywhere).
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Resolves at Ctrl-C or SIGTERM. The handlers are installed now, not when the
/// future is first polled: a SIGTERM sent as soon as the banner is out must stop the
/// program gracefully, not kill it.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    let (mut interrupt, mut term) = {
        use tokio::signal::unix::{SignalKind, signal};
        let install = |kind| signal(kind).context("cannot install the signal handlers");
        (
            install(SignalKind::interrupt())?,
            install(SignalKind::terminate())?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = term.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing requests in flight");
    })
}
