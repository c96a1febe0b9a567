//! The tokio runtime the `leadim-sim` program serves on. The benchmark's raw hyper
//! baseline runs on the same one, so the two are compared doing the same work.

use std::io;
use tokio::runtime::{Builder, Runtime};

/// How many threads serve requests unless told otherwise: half the cores, at least
/// one.
///
/// The simulator nearly always shares its machine with the tests that drive it, and
/// those need cores too. On the 2-core machine the benchmark runs on, one serving
/// thread answered about 20 % more requests a second than two, for the simulator
/// and for raw hyper alike: two workers spent the difference waking and parking each
/// other (futex calls on about one request in six), and competed with the load
/// generator for the same two cores.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// A runtime with `workers` threads serving requests (at least one). One worker is a
/// current-thread runtime: no work stealing and no wake-ups between workers.
pub fn build(workers: usize) -> io::Result<Runtime> {
    if workers <= 1 {
        Builder::new_current_thread().enable_all().build()
    } else {
        Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    }
}
