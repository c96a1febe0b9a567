//! The write-ahead log of `--state FILE`: every change, one line each, written before
//! the change is acknowledged. Its segment files are `FILE.wal.N`, where `N` is the
//! number of the segment's first record; the line format is in [`super::record`].
//!
//! # Group commit
//!
//! A mutation appends its record to a buffer in memory, under the store's lock, so
//! sequence numbers follow the order in which changes were applied. A writer thread
//! takes everything buffered at once, writes it with one `write` (and one `fdatasync`
//! with `--fsync`), then publishes how far the log is durable. A request that changed
//! something answers only once the log is durable past its record; the lock is never
//! held for disk I/O, and requests arriving while one batch is written share the next
//! write (and fsync). Under load, the writer waits a moment for a small batch to
//! grow (not with `--fsync`, where the fsync's own time does that), and a task on the
//! runtime passes its progress on to the waiting requests: both make the cost of a
//! wake-up and a system call once per batch rather than once per change.

use super::record::encode;
use crate::store::Change;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long the writer waits before it tries a failed write again.
const RETRY: Duration = Duration::from_millis(500);

/// Under load, how long the writer waits for more records before it writes a small
/// batch. Writing each record as it comes costs a wake-up of the writer, a `write`
/// and a wake-up of the runtime per record, which doubled a submit's CPU time; a
/// short wait makes that once per batch. Without `--fsync` only: there, the fsync's
/// own time gathers the next batch.
const LINGER: Duration = Duration::from_micros(200);
/// A batch of fewer records than this is small.
const SMALL_BATCH: u64 = 16;
/// The writer is under load when its last write ended this recently; otherwise it
/// writes at once, and a lone change waits for no one.
const BUSY: Duration = Duration::from_millis(2);

/// Why a change is not (yet) in the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogFailure {
    /// Writing the log failed; the writer keeps trying.
    #[error("the state file's log cannot be written ({0})")]
    Write(Arc<str>),
    /// The log was closed: the simulator is stopping.
    #[error("the state file's log is closed: the simulator is stopping")]
    Closed,
}

/// The log's segment files: `{state file name}.wal.{first record}` beside the state
/// file.
#[derive(Debug, Clone)]
pub(crate) struct Segments {
    dir: PathBuf,
    prefix: String,
}

impl Segments {
    pub fn new(dir: &Path, state_name: &str) -> Segments {
        Segments {
            dir: dir.to_path_buf(),
            prefix: format!("{state_name}.wal."),
        }
    }

    /// The segment whose first record is `first`.
    pub fn path(&self, first: u64) -> PathBuf {
        self.dir.join(format!("{}{first}", self.prefix))
    }

    /// Every segment, by first record.
    pub fn list(&self) -> io::Result<Vec<(u64, PathBuf)>> {
        let mut found = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let first = name
                .to_str()
                .and_then(|n| n.strip_prefix(&self.prefix))
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(first) = first {
                found.push((first, entry.path()));
            }
        }
        found.sort();
        Ok(found)
    }
}

/// Opens (or creates) a segment to append to.
fn open_segment(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Makes the folder's entries (a new file, a rename) survive a power loss.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The log: a buffer the mutations append to, and the writer thread that empties it.
#[derive(Debug)]
pub(crate) struct Log {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// The last record appended.
    appended: AtomicU64,
    /// The last record durable, for a wait that need not subscribe.
    durable: AtomicU64,
    /// How far the log is durable, as the writer thread publishes it.
    status: watch::Sender<Status>,
    /// The same, relayed by a task on the runtime the log was started on, which
    /// the waiting requests watch: a wake-up from another thread costs the runtime
    /// a system call per woken task, the relay's one per batch.
    relayed: Option<watch::Sender<Status>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// What the mutations have appended and the writer has not taken yet.
#[derive(Debug, Default)]
struct Pending {
    bytes: Vec<u8>,
    last_seq: u64,
    /// Where in `bytes` a new segment starts, and its first record: a snapshot holds
    /// every record before it, so the segments before can go.
    cuts: Vec<(usize, u64)>,
    /// The writer sleeps until woken.
    writer_idle: bool,
    closing: bool,
}

/// How far the log is durable, for the requests waiting on it.
#[derive(Debug, Clone, Default)]
struct Status {
    durable: u64,
    failure: Option<Arc<str>>,
    closed: bool,
}

impl Log {
    /// Starts the log's writer on a new segment whose first record is `first`;
    /// `fsync` makes each batch durable on disk, not only written.
    pub fn start(segments: Segments, first: u64, fsync: bool) -> io::Result<Arc<Log>> {
        let path = segments.path(first);
        let file = open_segment(&path)?;
        let len = file.metadata()?.len();
        if fsync {
            sync_dir(&segments.dir)?;
        }
        let last = first - 1;
        let runtime = tokio::runtime::Handle::try_current().ok();
        let initial = Status {
            durable: last,
            ..Status::default()
        };
        let log = Arc::new(Log {
            pending: Mutex::new(Pending {
                last_seq: last,
                ..Pending::default()
            }),
            wake: Condvar::new(),
            appended: AtomicU64::new(last),
            durable: AtomicU64::new(last),
            status: watch::channel(initial.clone()).0,
            relayed: runtime.is_some().then(|| watch::channel(initial).0),
            writer: Mutex::new(None),
        });
        if let Some(runtime) = runtime {
            runtime.spawn(relay(Arc::downgrade(&log), log.status.subscribe()));
        }
        let writer = Writer {
            log: log.clone(),
            segments,
            file,
            first,
            len,
            fsync,
        };
        let handle = std::thread::Builder::new()
            .name("leadim-sim-log".into())
            .spawn(move || writer.run())?;
        *lock(&log.writer) = Some(handle);
        Ok(log)
    }

    /// Appends a change; its record's number. Called under the store's lock.
    pub fn append(&self, change: &Change<'_>) -> u64 {
        let mut pending = lock(&self.pending);
        let seq = pending.last_seq + 1;
        encode(&mut pending.bytes, seq, change);
        pending.last_seq = seq;
        self.appended.store(seq, Ordering::Release);
        self.wake_writer(&mut pending);
        seq
    }

    /// Starts a new segment after the last record appended, and returns that
    /// record's number. Called under the store's lock by a snapshot, which holds
    /// every record up to it.
    pub fn cut(&self) -> u64 {
        let mut pending = lock(&self.pending);
        let seq = pending.last_seq;
        let at = pending.bytes.len();
        pending.cuts.push((at, seq + 1));
        self.wake_writer(&mut pending);
        seq
    }

    /// The last record appended.
    pub fn appended(&self) -> u64 {
        self.appended.load(Ordering::Acquire)
    }

    /// Waits until record `seq` is durable, or the log fails or closes first.
    pub async fn wait(&self, seq: u64) -> Result<(), LogFailure> {
        if self.durable.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        let mut status = self.relayed.as_ref().unwrap_or(&self.status).subscribe();
        let reached = status
            .wait_for(|s| s.durable >= seq || s.failure.is_some() || s.closed)
            .await
            .map_err(|_| LogFailure::Closed)?;
        if reached.durable >= seq {
            Ok(())
        } else if let Some(failure) = &reached.failure {
            Err(LogFailure::Write(failure.clone()))
        } else {
            Err(LogFailure::Closed)
        }
    }

    /// Tells the writer to write what is buffered and stop, without waiting.
    pub fn signal_close(&self) {
        let mut pending = lock(&self.pending);
        pending.closing = true;
        self.wake.notify_one();
    }

    /// Writes what is buffered, stops the writer and waits until it has stopped.
    /// Waits on the writer thread: call it off the runtime.
    pub fn close(&self) {
        self.signal_close();
        if let Some(writer) = lock(&self.writer).take() {
            let _ = writer.join();
        }
        self.status.send_modify(|s| s.closed = true);
    }

    fn wake_writer(&self, pending: &mut Pending) {
        // A wake-up is a system call: only when the writer sleeps. While it writes,
        // records pile up for its next batch.
        if pending.writer_idle {
            pending.writer_idle = false;
            self.wake.notify_one();
        }
    }

    /// The writer's next batch: everything appended, and the cuts among it; `None`
    /// once closing and nothing is left. When `linger`, a batch of fewer than
    /// [`SMALL_BATCH`] records after record `taken` waits [`LINGER`] for more.
    fn take(&self, spare: &mut Vec<u8>, taken: u64, linger: bool) -> Option<Batch> {
        let mut pending = lock(&self.pending);
        let mut linger = linger;
        loop {
            while pending.bytes.is_empty() && pending.cuts.is_empty() {
                if pending.closing {
                    return None;
                }
                pending.writer_idle = true;
                pending = self
                    .wake
                    .wait(pending)
                    .unwrap_or_else(|poison| poison.into_inner());
            }
            pending.writer_idle = false;
            if !linger || pending.closing || pending.last_seq - taken >= SMALL_BATCH {
                break;
            }
            // Not idle meanwhile: the records appended while it sleeps wake nobody.
            drop(pending);
            std::thread::sleep(LINGER);
            linger = false;
            pending = lock(&self.pending);
        }
        Some(Batch {
            bytes: std::mem::replace(&mut pending.bytes, std::mem::take(spare)),
            cuts: std::mem::take(&mut pending.cuts),
            last_seq: pending.last_seq,
            written: 0,
            cuts_done: 0,
        })
    }

    fn closing(&self) -> bool {
        lock(&self.pending).closing
    }

    fn published(&self, seq: u64) {
        self.durable.store(seq, Ordering::Release);
        self.status.send_modify(|s| {
            s.durable = seq;
            s.failure = None;
        });
    }

    fn failed(&self, error: &io::Error) {
        let failure: Arc<str> = error.to_string().into();
        self.status.send_modify(|s| s.failure = Some(failure));
    }
}

/// Passes the writer's status on to the requests waiting on the runtime, until the
/// log is gone.
async fn relay(log: std::sync::Weak<Log>, mut published: watch::Receiver<Status>) {
    while published.changed().await.is_ok() {
        let status = published.borrow_and_update().clone();
        let Some(log) = log.upgrade() else { return };
        if let Some(relayed) = &log.relayed {
            relayed.send_replace(status);
        }
    }
}

/// A poisoned lock still guards consistent data here: every holder only appends or
/// swaps whole buffers.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// What the writer took: records, where segments change, and how far it got.
struct Batch {
    bytes: Vec<u8>,
    cuts: Vec<(usize, u64)>,
    last_seq: u64,
    written: usize,
    cuts_done: usize,
}

/// The writer thread's side: the segment it appends to.
struct Writer {
    log: Arc<Log>,
    segments: Segments,
    file: File,
    /// The current segment's first record.
    first: u64,
    /// Its length after the last whole write.
    len: u64,
    fsync: bool,
}

impl Writer {
    fn run(mut self) {
        let mut spare = Vec::new();
        let mut taken = self.first - 1;
        let mut last_write = None::<Instant>;
        loop {
            let busy = last_write.is_some_and(|at| at.elapsed() < BUSY);
            let Some(mut batch) = self.log.take(&mut spare, taken, busy && !self.fsync) else {
                return;
            };
            self.commit(&mut batch);
            taken = batch.last_seq;
            last_write = Some(Instant::now());
            spare = batch.bytes;
            spare.clear();
        }
    }

    /// Writes a batch, trying again until it is written: the log must have no gap,
    /// and requests get the failure meanwhile. When the log is closing, a failed
    /// batch is left to the final snapshot, which holds every change.
    fn commit(&mut self, batch: &mut Batch) {
        loop {
            match self.write(batch) {
                Ok(()) => {
                    self.log.published(batch.last_seq);
                    return;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot write the state file's log; trying again");
                    self.log.failed(&error);
                    if self.log.closing() {
                        return;
                    }
                    std::thread::sleep(RETRY);
                }
            }
        }
    }

    fn write(&mut self, batch: &mut Batch) -> io::Result<()> {
        while let Some(&(at, first)) = batch.cuts.get(batch.cuts_done) {
            self.append(&batch.bytes[batch.written..at])?;
            batch.written = at;
            self.rotate(first)?;
            batch.cuts_done += 1;
        }
        self.append(&batch.bytes[batch.written..])?;
        batch.written = batch.bytes.len();
        if self.fsync {
            self.file.sync_data()?;
        }
        Ok(())
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if let Err(error) = self.file.write_all(bytes) {
            // A partial write leaves part of a record: cut it off, so that the retry
            // starts on a line of its own.
            let _ = self.file.set_len(self.len);
            return Err(error);
        }
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Goes on in a new segment from record `first`.
    fn rotate(&mut self, first: u64) -> io::Result<()> {
        if first == self.first {
            // Nothing was appended since the last cut: the segment is empty and
            // already starts there.
            return Ok(());
        }
        if self.fsync {
            self.file.sync_data()?;
        }
        let file = open_segment(&self.segments.path(first))?;
        if self.fsync {
            sync_dir(&self.segments.dir)?;
        }
        self.len = file.metadata()?.len();
        self.file = file;
        self.first = first;
        Ok(())
    }
}
