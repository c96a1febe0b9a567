//! A simulator on a thread and runtime of its own, so that it outlives the runtime
//! of the test that started it: `#[tokio::test]` gives each test its own runtime,
//! and a simulator spawned on one dies with it, leaving the next test with
//! "connection refused".

use crate::runtime;
use crate::simulator::{Serving, Simulator, SimulatorBuilder, SimulatorHandle, StartError};
use std::sync::OnceLock;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

impl SimulatorBuilder {
    /// Builds, binds and serves on a new thread with a single-threaded runtime of
    /// its own. Unlike [`SimulatorBuilder::start`] it needs no runtime and is not
    /// tied to the caller's: tests that each run on their own runtime can share it.
    /// Dropping the handle stops it.
    ///
    /// ```
    /// use leadim_simulator::Simulator;
    ///
    /// let sim = Simulator::builder().spawn().expect("simulator starts");
    /// assert!(sim.base_url().starts_with("http://127.0.0.1:"));
    /// ```
    pub fn spawn(self) -> Result<SimulatorHandle, StartError> {
        let addr = self.addr();
        let bind = |error| StartError::Bind { addr, error };
        let simulator = self.build()?;
        let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let local = listener.local_addr().map_err(bind)?;
        let runtime = runtime::build(1).map_err(bind)?;
        let app = simulator.app().clone();
        let (stop, mut stopped) = watch::channel(());
        let (done, serving) = oneshot::channel();
        std::thread::Builder::new()
            .name(format!("leadim-sim {local}"))
            .spawn(move || {
                let served = runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener)?;
                    simulator
                        .run(listener, async move {
                            let _ = stopped.changed().await;
                        })
                        .await
                });
                if let Err(error) = served {
                    tracing::error!("the simulator on {local} stopped: {error}");
                }
                let _ = done.send(());
            })
            .map_err(bind)?;
        Ok(SimulatorHandle::new(
            local,
            app,
            stop,
            Serving::Thread(serving),
        ))
    }
}

impl Simulator {
    /// One simulator for the whole test binary, with the defaults, started on first
    /// use on a thread of its own ([`SimulatorBuilder::spawn`]) and never stopped:
    /// every test in the binary can use it, whatever runtime it runs on. Each test
    /// creates its own account ([`SimulatorHandle::create_account`]), so tests stay
    /// apart; expectations made `for_account` are each test's own.
    ///
    /// ```
    /// use leadim_simulator::Simulator;
    ///
    /// #[tokio::test]
    /// async fn looks_up_a_customer() {
    ///     let sim = Simulator::shared();
    ///     let account = sim.create_account();
    ///     // … drive your adapter against account.get_customer_details_url …
    /// }
    /// # fn main() {}
    /// ```
    ///
    /// # Panics
    ///
    /// When the simulator cannot start (no loopback address to bind).
    pub fn shared() -> &'static SimulatorHandle {
        static SHARED: OnceLock<SimulatorHandle> = OnceLock::new();
        SHARED.get_or_init(|| {
            Simulator::builder()
                .spawn()
                .unwrap_or_else(|e| panic!("the shared simulator cannot start: {e}"))
        })
    }
}
