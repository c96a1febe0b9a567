//! Heavy work that is not answering a request — rendering a snapshot of a million
//! leads, building the fixtures again for a reset, freeing the state a reset
//! replaced — runs on a thread of its own at the lowest CPU priority. On a machine
//! with two cores, shared with the tests that drive the simulator, it would
//! otherwise take the serving thread's CPU for seconds: measured, the lookups' p99.9
//! went from 7 to 21–31 ms during a snapshot or a reset at a million leads.
//!
//! Only work done without the store's lock goes there, and work that allocates
//! rather than frees: a low-priority thread that held a lock the serving thread
//! needs — the store's, or the allocator's — while preempted would hold up every
//! request behind it (priority inversion). The priority is the thread's own (`nice`
//! 19), so the thread is started for the work and ends with it, and no caller's
//! thread is changed.

use std::sync::{Mutex, PoisonError};
use std::thread;

/// Runs `work` on a thread of its own at the lowest priority, and waits for it. A
/// panic in `work` is resumed on the caller's thread. When no thread can be started
/// (the process is at its limit), `work` runs on the caller's thread instead.
pub(crate) fn run<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let work = Mutex::new(Some(work));
    let take = || work.lock().unwrap_or_else(PoisonError::into_inner).take();
    thread::scope(|scope| {
        let worker = thread::Builder::new()
            .name("leadim-background".into())
            .spawn_scoped(scope, || {
                lower_priority();
                take().map(|work| work())
            });
        let done = match worker {
            Ok(worker) => worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => take().map(|work| work()),
        };
        done.expect("the work runs exactly once")
    })
}

/// Drops `value` on a thread of its own, without waiting: a state of a million
/// leads takes a while to free. At normal priority: freeing takes the allocator's
/// locks, which the serving thread takes too, and a thread of the lowest priority
/// preempted while holding one stalls the server behind it (measured, a reset's
/// longest stall of the serving thread went from 96 to 33 ms with this at normal
/// priority).
pub(crate) fn drop_later<T: Send + 'static>(value: T) {
    let spawned = thread::Builder::new()
        .name("leadim-free".into())
        .spawn(move || drop(value));
    // No thread to be had: dropped here, by the failed spawn's closure.
    drop(spawned);
}

/// Lowers the calling thread's CPU priority to the lowest (`nice` 19). On Linux the
/// nice value is per thread; elsewhere `setpriority` would lower the whole process,
/// so it is not called.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // Not being able to lower it changes nothing but the priority.
        let _ = rustix::process::setpriority_process(None, 19);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_work_runs_once_and_its_result_comes_back() {
        let borrowed = [1, 2, 3];
        assert_eq!(super::run(|| borrowed.iter().sum::<i32>()), 6);
    }

    #[test]
    #[should_panic(expected = "in the background")]
    fn a_panic_comes_back_to_the_caller() {
        super::run(|| panic!("in the background"));
    }
}
