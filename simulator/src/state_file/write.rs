//! Writing the snapshot: atomically (a temporary file, fsync, rename, fsync of the
//! folder), a batch of leads at a time as they are rendered, then compacting the
//! log it holds; and when a periodic one is worth writing again.

use super::{StateError, StateFile, wal};
use crate::fixtures::LeadSpec;
use crate::store::{Replaced, SNAPSHOT_VERSION, Snapshot, Store};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use tokio::runtime::Handle;

/// A snapshot smaller than this is written at every interval when something
/// changed: a few megabytes take tens of milliseconds, on a background thread.
pub(super) const SMALL_SNAPSHOT: u64 = 4 << 20;

/// A larger one is written again only once the log since it holds at least this
/// share of its size: every byte logged then pays for at most this many bytes of
/// snapshot, whatever the state's size. At every interval, a state of a million
/// leads written again while changes came in took a core's idle time for good.
const LOG_SHARE: u64 = 4;

/// Whether a snapshot of `snapshot_bytes` with `log_bytes` of log after it is
/// worth writing again (see [`SMALL_SNAPSHOT`], [`LOG_SHARE`]).
pub(super) fn snapshot_due(snapshot_bytes: u64, log_bytes: u64) -> bool {
    snapshot_bytes < SMALL_SNAPSHOT || log_bytes >= snapshot_bytes / LOG_SHARE
}

/// The length of the file at `path`; 0 when there is none.
pub(super) fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map_or(0, |m| m.len())
}

impl StateFile {
    /// Writes `snapshot` atomically: a temporary file, fsync, rename over the state
    /// file, fsync of the folder.
    pub fn write(&self, snapshot: &Snapshot) -> io::Result<()> {
        self.write_atomically(|out| Ok(Some(serde_json::to_writer(out, snapshot)?)))
            .map(drop)
    }

    /// Writes what `body` writes, and a new line, atomically: a temporary file,
    /// fsync, rename over the state file, fsync of the folder. When `body` gives up
    /// (`None`), or fails, the state file is left as it was.
    fn write_atomically<T>(
        &self,
        body: impl FnOnce(&mut BufWriter<File>) -> io::Result<Option<T>>,
    ) -> io::Result<Option<T>> {
        let tmp = self.temporary(std::process::id());
        let result = (|| {
            let mut out = BufWriter::new(File::create(&tmp)?);
            let Some(done) = body(&mut out)? else {
                return Ok(None);
            };
            out.write_all(b"\n")?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            // The rename itself must reach the disk too.
            wal::sync_dir(&self.dir)?;
            Ok(Some(done))
        })();
        if !matches!(result, Ok(Some(_))) {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Writes a snapshot of `store` atomically, a batch of leads at a time as they
    /// are rendered, so that a million leads are never all rendered at once; the
    /// number of leads it holds and the log's last record it holds. A reset during
    /// the writing makes it begin again, on the new state.
    pub(super) fn write_store(
        &self,
        store: &Store,
        serving: Option<&Handle>,
    ) -> io::Result<(usize, u64)> {
        self.write_store_between(store, serving, || {})
    }

    /// [`StateFile::write_store`], running `meanwhile` after each batch of leads is
    /// written: a test's changes made while a snapshot is written.
    pub(super) fn write_store_between(
        &self,
        store: &Store,
        mut serving: Option<&Handle>,
        mut meanwhile: impl FnMut(),
    ) -> io::Result<(usize, u64)> {
        loop {
            let mut runtime_gone = false;
            let written = self.write_atomically(|out| {
                let mut export = store.begin_export().copying_on(serving.cloned());
                write!(
                    out,
                    "{{\"version\":{SNAPSHOT_VERSION},\"next_lid\":{},\"log_seq\":{},\"accounts\":",
                    export.next_lid(),
                    export.log_seq()
                )?;
                serde_json::to_writer(&mut *out, export.accounts())?;
                out.write_all(b",\"leads\":[")?;
                let mut leads = 0;
                loop {
                    match export.next_batch(|batch| write_leads(out, &batch, &mut leads)) {
                        Ok(Some(written)) => {
                            written?;
                            meanwhile();
                        }
                        Ok(None) => break,
                        Err(Replaced) => {
                            runtime_gone = export.runtime_gone();
                            return Ok(None);
                        }
                    }
                }
                out.write_all(b"]}")?;
                Ok(Some((leads, export.log_seq())))
            })?;
            if let Some(written) = written {
                return Ok(written);
            }
            // Begun again: on the new state after a reset, or here once the serving
            // runtime is gone (shutting down).
            if runtime_gone {
                serving = None;
            }
        }
    }

    /// Writes a snapshot of `store` now, then removes the log's segments it holds
    /// all the records of, as the periodic snapshot does; the number of leads it
    /// holds. Takes a while with many leads (without stalling the requests): call it
    /// off the runtime's worker threads.
    pub fn snapshot_now(&self, store: &Store) -> Result<usize, StateError> {
        self.snapshot(store, false, None)
    }

    /// [`StateFile::snapshot_now`] for a store that `serving` answers requests of,
    /// called from one of its blocking threads (`spawn_blocking`): the leads are
    /// copied by tasks on `serving`'s workers, so that no other thread holds the
    /// store's lock and stalls the requests when it is preempted. As the periodic
    /// snapshot does.
    pub fn snapshot_now_on(&self, store: &Store, serving: &Handle) -> Result<usize, StateError> {
        self.snapshot(store, false, Some(serving))
    }

    /// Writes a snapshot of `store`, then removes the log's segments it holds all
    /// the records of (every segment, once the log is `closed`); the number of
    /// leads it holds.
    pub(super) fn snapshot(
        &self,
        store: &Store,
        closed: bool,
        serving: Option<&Handle>,
    ) -> Result<usize, StateError> {
        let (leads, log_seq) =
            self.write_store(store, serving)
                .map_err(|error| StateError::Io {
                    path: self.path.clone(),
                    error,
                })?;
        self.compact(log_seq, closed)?;
        Ok(leads)
    }

    /// Removes the log's segments a snapshot written up to record `log_seq` holds
    /// (every segment, once the log is `closed`).
    pub(super) fn compact(&self, log_seq: u64, closed: bool) -> Result<(), StateError> {
        let segments = self.segments().list().map_err(|error| StateError::Io {
            path: self.dir.clone(),
            error,
        })?;
        for (first, path) in segments {
            // A segment starting at or before the snapshot's last record holds no
            // later one: the snapshot cut the log there.
            if closed || first <= log_seq {
                fs::remove_file(&path).map_err(|error| StateError::Io { path, error })?;
            }
        }
        Ok(())
    }

    /// Whether the snapshot on disk is worth writing again ([`snapshot_due`]), from
    /// its size and that of the log's segments after it.
    pub(super) fn worth_writing_again(&self) -> bool {
        let log = self
            .segments()
            .list()
            .map_or(0, |list| list.iter().map(|(_, path)| file_len(path)).sum());
        snapshot_due(file_len(&self.path), log)
    }
}

/// Writes `batch` into a snapshot's array of leads, `written` of which are in it
/// already.
fn write_leads(out: &mut impl Write, batch: &[LeadSpec], written: &mut usize) -> io::Result<()> {
    for lead in batch {
        if *written > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, lead)?;
        *written += 1;
    }
    Ok(())
}
