//! The simulator itself: configure it ([`SimulatorBuilder`]), serve a listener of
//! your own ([`Simulator::run`]) or start it in the background and drive it from a
//! test ([`SimulatorHandle`]).

use crate::expect::Expectations;
use crate::faults::{self, ActiveFault, FaultSpec};
use crate::fixtures::{Dataset, FixtureError};
use crate::journal::{self, Journal, JournalEntry, JournalFilter, JournalPage};
use crate::model::{AccountConfig, LeadView};
use crate::phone::PhoneMatch;
use crate::server::{self, Services};
use crate::store::Store;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The default of [`SimulatorBuilder::idle_timeout`] and of `leadim-sim --idle-timeout`.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The default of [`SimulatorBuilder::max_connections`] and of
/// `leadim-sim --max-connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// Why the simulator could not start.
///
/// The message says everything (the file, the place, the reason), and no cause is
/// chained behind it: a program that prints an error with its causes
/// (`anyhow`'s `{:#}`) would print it twice.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The dataset is malformed.
    #[error("fixtures refused: {0}")]
    Fixtures(FixtureError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
}

impl From<FixtureError> for StartError {
    fn from(e: FixtureError) -> StartError {
        StartError::Fixtures(e)
    }
}

/// A configured simulator, ready to serve a listener. Build it with
/// [`Simulator::builder`]; start it in the background with
/// [`SimulatorBuilder::start`], or serve a listener of your own with
/// [`Simulator::run`] (what the `leadim-sim` binary does).
#[derive(Debug)]
pub struct Simulator {
    app: Arc<Services>,
}

impl Simulator {
    /// A builder with the defaults: embedded Hebrew fixtures, exact phone matching,
    /// the default journal bounds, `127.0.0.1:0`.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// Starts a simulator with the defaults on `127.0.0.1:0`.
    pub async fn start() -> Result<SimulatorHandle, StartError> {
        Simulator::builder().start().await
    }

    /// The store, for direct use.
    pub fn store(&self) -> &Store {
        &self.app.store
    }

    pub(crate) fn app(&self) -> &Arc<Services> {
        &self.app
    }

    /// Serves `listener` until `shutdown` resolves, then finishes the requests in
    /// flight (up to 10 s).
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        if let Ok(addr) = listener.local_addr() {
            let _ = self.app.base_url.set(format!("http://{addr}"));
        }
        server::serve(listener, self.app, shutdown).await
    }
}

/// Configures a [`Simulator`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use leadim_simulator::{PhoneMatch, Simulator};
/// use std::time::Duration;
///
/// let sim = Simulator::builder()
///     .phone_match(PhoneMatch::Normalized) // 972…, +972… and 05… find one another
///     .journal_limits(500, 1024 * 1024)
///     .idle_timeout(Duration::from_secs(5))
///     .max_connections(64)
///     .start()
///     .await
///     .expect("simulator starts");
/// assert!(sim.base_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(sim.store().phone_match(), PhoneMatch::Normalized);
/// sim.shutdown().await;
/// # }
/// ```
#[derive(Debug)]
pub struct SimulatorBuilder {
    dataset: Option<Dataset>,
    phone_match: PhoneMatch,
    journal_entries: usize,
    journal_bytes: usize,
    addr: SocketAddr,
    admin_token: Option<String>,
    idle_timeout: Duration,
    max_connections: usize,
    lookup_cap: usize,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        SimulatorBuilder {
            dataset: None,
            phone_match: PhoneMatch::Exact,
            journal_entries: journal::DEFAULT_MAX_ENTRIES,
            journal_bytes: journal::DEFAULT_MAX_BYTES,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_token: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            lookup_cap: crate::DEFAULT_LOOKUP_CAP,
        }
    }
}

impl SimulatorBuilder {
    /// Uses this dataset instead of the embedded fixtures.
    pub fn dataset(mut self, dataset: Dataset) -> Self {
        self.dataset = Some(dataset);
        self
    }

    /// How `by_phone` matches stored phones.
    pub fn phone_match(mut self, mode: PhoneMatch) -> Self {
        self.phone_match = mode;
        self
    }

    /// Bounds the journal by entries and bytes.
    pub fn journal_limits(mut self, entries: usize, bytes: usize) -> Self {
        self.journal_entries = entries.max(1);
        self.journal_bytes = bytes;
        self
    }

    /// Where [`SimulatorBuilder::start`] listens (default `127.0.0.1:0`).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Closes a connection when nothing arrives on it for this long — no request
    /// head, no piece of a request's body — while no request of its own is being
    /// answered (default [`DEFAULT_IDLE_TIMEOUT`]): a client that opens connections
    /// and stalls, mid-head or mid-body, cannot hold the simulator's connection slots
    /// for longer. A slow answer (a `latency` or `hang` fault) is never cut.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Most connections served at once (default [`DEFAULT_MAX_CONNECTIONS`], at
    /// least 1); more wait in the listen backlog until a slot frees. Tests of slot
    /// exhaustion use a small number.
    pub fn max_connections(mut self, slots: usize) -> Self {
        self.max_connections = slots.max(1);
        self
    }

    /// Most leads a lookup answers with (default [`crate::DEFAULT_LOOKUP_CAP`], at
    /// least 1): when more have the phone, the answer holds the ones stored under it
    /// last, newest first, and the journal says how many there were
    /// (`M20-lookup-cap`).
    pub fn lookup_cap(mut self, leads: usize) -> Self {
        self.lookup_cap = leads.max(1);
        self
    }

    /// Requires this token (header `X-Admin-Token`, or `Authorization: Bearer …`) on
    /// every `/__admin/` route. Without one the admin API is open, which is right on
    /// a loopback address and wrong on any other.
    pub fn admin_token(mut self, token: Option<String>) -> Self {
        self.admin_token = token.filter(|t| !t.is_empty());
        self
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Loads the dataset and builds the simulator, without listening yet.
    pub fn build(self) -> Result<Simulator, StartError> {
        let dataset = self.dataset.unwrap_or_else(Dataset::embedded);
        let store = Store::new(dataset, self.phone_match)?;
        Ok(Simulator {
            app: Arc::new(Services {
                store,
                journal: Journal::new(self.journal_entries, self.journal_bytes),
                faults: faults::Faults::default(),
                admin_token: self.admin_token,
                idle_timeout: self.idle_timeout,
                max_connections: self.max_connections,
                lookup_cap: self.lookup_cap,
                base_url: OnceLock::new(),
                closing: watch::channel(false).0,
            }),
        })
    }

    /// Builds, binds (before spawning, so the handle is ready to use at once) and
    /// serves in the background.
    pub async fn start(self) -> Result<SimulatorHandle, StartError> {
        let addr = self.addr;
        let simulator = self.build()?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|error| StartError::Bind { addr, error })?;
        let local = listener
            .local_addr()
            .map_err(|error| StartError::Bind { addr, error })?;
        let app = simulator.app.clone();
        let (stop, mut stopped) = watch::channel(());
        let task = tokio::spawn(simulator.run(listener, async move {
            // Resolves when the handle sends or is dropped.
            let _ = stopped.changed().await;
        }));
        Ok(SimulatorHandle::new(local, app, stop, Serving::Task(task)))
    }
}

/// Where a started simulator serves, so that [`SimulatorHandle::shutdown`] can wait
/// for it.
#[derive(Debug)]
pub(crate) enum Serving {
    /// A task on the runtime that started it.
    Task(tokio::task::JoinHandle<std::io::Result<()>>),
    /// A thread and runtime of its own, which says when it has stopped.
    Thread(tokio::sync::oneshot::Receiver<()>),
}

/// A running simulator. Dropping it stops the server without blocking; call
/// [`SimulatorHandle::shutdown`] to wait until it has stopped.
#[must_use = "dropping the handle stops the simulator"]
#[derive(Debug)]
pub struct SimulatorHandle {
    addr: SocketAddr,
    base_url: String,
    pub(crate) app: Arc<Services>,
    stop: Option<watch::Sender<()>>,
    serving: Option<Serving>,
    pub(crate) expectations: Expectations,
}

impl SimulatorHandle {
    pub(crate) fn new(
        addr: SocketAddr,
        app: Arc<Services>,
        stop: watch::Sender<()>,
        serving: Serving,
    ) -> SimulatorHandle {
        SimulatorHandle {
            addr,
            base_url: format!("http://{addr}"),
            app,
            stop: Some(stop),
            serving: Some(serving),
            expectations: Expectations::default(),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Creates a fresh, isolated account with one form and three tokens, and returns
    /// its ready crmConfig (the same as `POST /__admin/accounts`).
    pub fn create_account(&self) -> AccountConfig {
        self.app
            .store
            .create_account(None)
            .account_config(&self.base_url)
    }

    /// The whole journal, oldest first (read page by page).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.journal_matching(&JournalFilter::default())
    }

    /// One page of the journal entries matching `filter`: after `filter.since`,
    /// oldest first, at most `filter.limit` (100 when not given, at most 1,000), with
    /// the cursor for the next page — the same as `GET /__admin/requests`.
    pub fn requests(&self, filter: &JournalFilter) -> JournalPage {
        self.app.journal.read(filter)
    }

    /// Every journal entry matching `filter`'s account and path after its `since`,
    /// oldest first, read page by page (its `limit` is ignored).
    pub fn journal_matching(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        self.app.journal.read_all(filter)
    }

    /// One account's journal entries, oldest first (read page by page).
    pub fn journal_for(&self, aid: u64) -> Vec<JournalEntry> {
        self.journal_matching(&JournalFilter {
            account: Some(aid),
            ..Default::default()
        })
    }

    /// The store: accounts, leads, seeding, enabling and disabling.
    pub fn store(&self) -> &Store {
        &self.app.store
    }

    /// Back to the fixtures, journal and faults cleared (the same as
    /// `POST /__admin/reset`). Fails only when a `--fixtures` dataset's files
    /// changed since start and no longer load; then nothing is cleared.
    pub fn reset(&self) -> Result<(), FixtureError> {
        self.app.store.reset()?;
        self.app.journal.clear();
        self.app.faults.clear();
        Ok(())
    }

    /// Injects a fault (the same as `POST /__admin/faults`); returns its id, or why
    /// the spec is refused.
    pub fn inject(&self, spec: FaultSpec) -> Result<u64, faults::FaultError> {
        let store = &self.app.store;
        self.app
            .faults
            .add(spec, |aid| store.account(aid).is_some())
    }

    /// The faults set, with their counters.
    pub fn faults(&self) -> Vec<ActiveFault> {
        self.app.faults.list()
    }

    /// Clears one fault; false if there was none with that id.
    pub fn clear_fault(&self, id: u64) -> bool {
        self.app.faults.remove(id)
    }

    /// Clears every fault.
    pub fn clear_faults(&self) {
        self.app.faults.clear();
    }

    /// A lead by its id, as the admin API shows it; `None` when the account has no
    /// such lead.
    pub fn lead(&self, aid: u64, lid: u64) -> Option<LeadView> {
        self.app.store.lead(aid, lid)
    }

    /// An account's leads, oldest first by creation time (empty for an account
    /// that does not exist).
    pub fn leads(&self, aid: u64) -> Vec<LeadView> {
        self.app.store.account_leads(aid).unwrap_or_default()
    }

    /// The requests that matched no endpoint and named no account (a misspelt
    /// `/v2/submti`, a path without `/apiproxy/{aid}/`), oldest first. Those whose
    /// path names an account are in that account's journal instead, with a
    /// diagnostic saying what was probably meant.
    pub fn unmatched(&self) -> Vec<JournalEntry> {
        self.journal()
            .into_iter()
            .filter(|e| e.endpoint.is_none() && e.account.is_none())
            .collect()
    }

    /// Stops the server and waits until requests in flight have finished.
    pub async fn shutdown(mut self) {
        self.stop.take();
        match self.serving.take() {
            Some(Serving::Task(task)) => {
                let _ = task.await;
            }
            Some(Serving::Thread(stopped)) => {
                let _ = stopped.await;
            }
            None => {}
        }
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        // Dropping the sender wakes the server's shutdown future; nothing blocks here.
        self.stop.take();
    }
}
