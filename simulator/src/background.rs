//! Heavy work that is not answering a request — building a large state from the
//! fixtures, rendering a snapshot of a million leads, freeing a state a reset
//! replaced — runs on one of two long-lived threads, never on the serving thread.
//! Work on a state of at most `SMALL` leads runs where it is asked for
//! ([`Lane::Here`]): a test's simulator or reset of a small dataset neither queues
//! behind another's nor waits for a busy machine to go idle.
//!
//! - [`Lane::Start`], at normal priority: a large state at start (and a state file
//!   read back then), when nothing is served yet, or built under the store's lock
//!   (a restore, a reset that could not be built outside it).
//! - [`Lane::Low`], at the lowest CPU priority (`SCHED_IDLE`, see
//!   `lower_priority`): resets and snapshots of a large state, done while requests
//!   are served. On two cores shared with the tests that drive the simulator, such
//!   work at normal priority took the serving thread's CPU for seconds (measured:
//!   the lookups' p99.9 went from 7 to 21–31 ms). Under a load that keeps every
//!   core busy, it takes longer instead: a reset to a million leads 14–25 s rather
//!   than 3–5 s.
//!
//! Whatever a lane builds, that lane frees ([`drop_later`]), at its own priority,
//! and the threads never end. With mimalloc, the program's allocator, a block freed
//! by another thread than the one that allocated it is handed back to the
//! allocating thread's heap; once that thread has ended, its memory is "abandoned",
//! and whichever thread allocates next collects those frees — the serving thread,
//! which spent 40 ms in one `malloc` collecting the frees of a million-lead snapshot
//! rendered on a thread that had ended (`perf record` on the benchmark's stall
//! phase: the worker's samples in `_mi_abandoned_collect` for 40 ms). Building and
//! freeing on the same living thread keeps all of that off the serving thread,
//! whatever the allocator.
//!
//! Only work done without the store's lock goes to the low lane: a thread of the
//! lowest priority preempted while holding a lock the serving thread needs would
//! hold up every request behind it (priority inversion).
//!
//! [`rayon_core`] runs the work: [`run`] borrows the caller's data and waits, which
//! a thread of our own could only do with `unsafe` code.

use rayon_core::{ThreadPool, ThreadPoolBuilder};
use std::sync::OnceLock;

/// Where work runs: the caller's thread, or one of the two background threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    /// The caller's thread, for work on a small state: what it allocates is too
    /// little to matter wherever it is freed.
    Here,
    /// Normal priority: a large state built at start, or under the store's lock.
    Start,
    /// The lowest priority: resets and snapshots of a large state while requests
    /// are served.
    Low,
}

/// A state of more leads than this is built, rebuilt or rendered on a background
/// thread. Below, the work takes less than about 15 ms of CPU (a million leads take
/// 3–4 s).
const SMALL: usize = 5_000;

impl Lane {
    /// Where work on a state of `leads` leads runs while requests are served and
    /// nobody holds the store's lock for it: a reset's build, a snapshot's rendering.
    pub(crate) fn while_serving(leads: usize) -> Lane {
        if leads > SMALL { Lane::Low } else { Lane::Here }
    }

    /// Where a state of `leads` leads (`None`: not known before it is read) is
    /// built at normal priority: at start, when nothing is served yet (the
    /// fixtures, a state file read back, its log replayed), or under the store's
    /// lock, which the lowest priority would hold for too long.
    pub(crate) fn normal_priority(leads: Option<usize>) -> Lane {
        match leads {
            Some(n) if n <= SMALL => Lane::Here,
            _ => Lane::Start,
        }
    }

    /// The lane's thread; `None` for [`Lane::Here`], or when it could not be
    /// started (the process is at its limit of threads): the work then runs on the
    /// caller's thread.
    fn pool(self) -> Option<&'static ThreadPool> {
        static START: OnceLock<Option<ThreadPool>> = OnceLock::new();
        static LOW: OnceLock<Option<ThreadPool>> = OnceLock::new();
        let (cell, name) = match self {
            Lane::Here => return None,
            Lane::Start => (&START, "leadim-start"),
            Lane::Low => (&LOW, "leadim-background"),
        };
        cell.get_or_init(|| {
            ThreadPoolBuilder::new()
                .num_threads(1)
                .thread_name(move |_| name.to_owned())
                .start_handler(move |_| {
                    if self == Lane::Low {
                        lower_priority();
                    }
                })
                .panic_handler(|_| tracing::error!("freeing a state in the background panicked"))
                .build()
                .ok()
        })
        .as_ref()
    }
}

/// Runs `work` on `lane`'s thread and waits for it. A panic in `work` is resumed on
/// the caller's thread.
pub(crate) fn run<T: Send>(lane: Lane, work: impl FnOnce() -> T + Send) -> T {
    match lane.pool() {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// Drops `value` on `lane`'s thread — the one that built it — without waiting: a
/// state of a million leads takes a while to free.
pub(crate) fn drop_later<T: Send + 'static>(lane: Lane, value: T) {
    match lane.pool() {
        Some(pool) => pool.spawn(move || drop(value)),
        None => drop(value),
    }
}

/// Lowers the calling thread's CPU priority to the lowest: `SCHED_IDLE` on Linux,
/// or `nice` 19 where that is refused. `SCHED_IDLE` rather than `nice` 19 because
/// the kernel counts a core running only such threads as idle when it places a
/// thread that wakes up: the serving thread, waking, takes that core at once.
/// With `nice` 19 it often waited behind the other work on its own core while the
/// background thread kept the other (`perf sched` on the stall phase: the
/// background thread got 0.7 of a core), and the lookups' p99.9 during a snapshot
/// was 8–12 ms instead of 6–7 ms (`leadim-bench --phase stall`). Elsewhere
/// `setpriority` would lower the whole process, so nothing is changed.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        if set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle).is_err() {
            // Not being able to lower it changes nothing but the priority.
            let _ = rustix::process::setpriority_process(None, 19);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lane;

    fn thread_name() -> String {
        std::thread::current().name().unwrap_or("").to_owned()
    }

    #[test]
    fn the_work_runs_on_its_lane_with_borrowed_data_and_its_result_comes_back() {
        let borrowed = [1, 2, 3];
        let (sum, on) = super::run(Lane::Low, || (borrowed.iter().sum::<i32>(), thread_name()));
        assert_eq!(sum, 6);
        assert_eq!(on, "leadim-background");
        assert_eq!(super::run(Lane::Start, thread_name), "leadim-start");
    }

    #[test]
    fn only_work_on_a_large_state_goes_to_a_background_thread() {
        assert_eq!(Lane::while_serving(30), Lane::Here);
        assert_eq!(Lane::while_serving(super::SMALL), Lane::Here);
        assert_eq!(Lane::while_serving(1_000_000), Lane::Low);
        assert_eq!(Lane::normal_priority(Some(48)), Lane::Here);
        assert_eq!(Lane::normal_priority(Some(1_000_000)), Lane::Start);
        assert_eq!(Lane::normal_priority(None), Lane::Start);
        let here = std::thread::current().id();
        assert_eq!(super::run(Lane::Here, || std::thread::current().id()), here);
    }

    #[test]
    fn a_value_is_dropped_on_the_lane_that_built_it() {
        struct Noted(std::sync::mpsc::Sender<String>);
        impl Drop for Noted {
            fn drop(&mut self) {
                let _ = self.0.send(thread_name());
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        super::drop_later(Lane::Start, Noted(tx));
        assert_eq!(rx.recv().unwrap(), "leadim-start");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_low_lane_runs_at_idle_priority_and_the_start_lane_does_not() {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let policy = || thread_priority::thread_schedule_policy().unwrap();
        assert_eq!(super::run(Lane::Low, policy), idle);
        assert_ne!(super::run(Lane::Start, policy), idle);
    }

    #[test]
    #[should_panic(expected = "in the background")]
    fn a_panic_comes_back_to_the_caller() {
        super::run(Lane::Low, || panic!("in the background"));
    }
}
