//! `--state FILE`: the simulator's state on disk, so that a developer's leads survive
//! a restart and every acknowledged change survives a crash.
//!
//! Beside each other in the state file's folder:
//!
//! - `FILE`, the snapshot: the whole state in one JSON document (the dataset format,
//!   with lead ids), written atomically (a temporary file beside it, fsync, rename,
//!   fsync of the folder) on shutdown, and every few seconds when something changed.
//! - `FILE.wal.N`, the write-ahead log ([`wal`]): every change since the snapshot, one
//!   line each, written before the change is acknowledged. The snapshot says up to
//!   which record it holds the changes; the log's older segments are then removed.
//! - `FILE.lock`: locked while a simulator uses the state, so a second one on the same
//!   file is refused. It is never removed: a lock file removed while another process
//!   waits to lock it would let two processes in.
//!
//! On start, the snapshot is loaded and the log's later records applied on top. A
//! record torn by a crash at the very end of the log is dropped with a message;
//! damage anywhere else refuses the start with the place and the reason, and leaves
//! the files as they are. Temporary files of an interrupted snapshot are removed.

mod record;
mod replay;
pub(crate) mod wal;
mod write;

pub use replay::Torn;

use crate::background::{self, Lane};
use crate::fixtures::FixtureError;
use crate::store::{Snapshot, Store};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Handle;
use wal::{Log, Segments};

/// Default time between snapshots.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What an acknowledged change survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Each change is written to the operating system before it is acknowledged: a
    /// crash of the process (SIGKILL, a panic, running out of memory) loses nothing
    /// acknowledged; a power loss or a crash of the machine may lose the last
    /// changes.
    #[default]
    Process,
    /// Each change is also on disk (`fdatasync`, one for all the changes written
    /// together) before it is acknowledged: a power loss loses nothing acknowledged
    /// either (`--fsync`).
    PowerLoss,
}

/// Why the state file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The folder the state file would be in is missing, or is not a folder.
    #[error("the state file's folder {} {why}", dir.display())]
    NoFolder {
        /// The folder.
        dir: PathBuf,
        /// `does not exist`, or what it is instead.
        why: String,
    },
    /// The path names a folder, not a file.
    #[error("{} is a folder: --state takes a file, such as {}", path.display(), path.join("state.json").display())]
    NotAFile {
        /// The path given.
        path: PathBuf,
    },
    /// Files cannot be created in the state file's folder.
    #[error("cannot write in the state file's folder {}: {error}", dir.display())]
    Unwritable {
        /// The folder.
        dir: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// Another simulator uses this state file.
    #[error(
        "{} is in use by another simulator (it holds {}): stop that one, or give this one another --state file",
        path.display(),
        lock.display()
    )]
    InUse {
        /// The state file.
        path: PathBuf,
        /// The lock file the other process holds.
        lock: PathBuf,
    },
    /// Reading or writing a file of the state failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// The snapshot or the log is corrupt: the file, the place and the reason.
    #[error("{0}")]
    Refused(FixtureError),
    /// [`StateFile::keep`] was called before [`StateFile::load_into`]: it would
    /// overwrite a state it never read.
    #[error("{}: the state file must be loaded before it is kept", path.display())]
    NotLoaded {
        /// The state file.
        path: PathBuf,
    },
}

/// What loading the state file found.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// A snapshot was there and is now the state (otherwise the state is the
    /// dataset's, and the file is written from it).
    pub snapshot: bool,
    /// Changes of the log applied on top of the snapshot.
    pub replayed: u64,
    /// A record torn by a crash at the end of the log, dropped.
    pub torn: Option<Torn>,
}

/// A state file in use: its lock is held until this is dropped.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    dir: PathBuf,
    name: String,
    durability: Durability,
    /// Held locked for as long as the state file is in use.
    _lock: File,
    log: Option<Arc<Log>>,
}

impl StateFile {
    /// Takes the state file at `path` (it need not exist yet): its folder must exist
    /// and be writable, and no other simulator may be using it. Temporary files left
    /// by an interrupted snapshot are removed.
    pub fn open(path: impl Into<PathBuf>, durability: Durability) -> Result<StateFile, StateError> {
        let path = path.into();
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let no_folder = |why: &str| StateError::NoFolder {
            dir: dir.clone(),
            why: why.into(),
        };
        match fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(no_folder("is not a folder")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(no_folder("does not exist"));
            }
            Err(error) => return Err(StateError::Unwritable { dir, error }),
        }
        let name = match path.file_name() {
            Some(name) if !path.is_dir() => name.to_string_lossy().into_owned(),
            _ => return Err(StateError::NotAFile { path }),
        };
        let lock_path = dir.join(format!("{name}.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|error| StateError::Unwritable {
                dir: dir.clone(),
                error,
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(StateError::InUse {
                    path,
                    lock: lock_path,
                });
            }
            Err(fs::TryLockError::Error(error)) => {
                return Err(StateError::Io {
                    path: lock_path,
                    error,
                });
            }
        }
        let file = StateFile {
            path,
            dir,
            name,
            durability,
            _lock: lock,
            log: None,
        };
        file.remove_stale_temporaries()?;
        file.check_writable()?;
        Ok(file)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What it promises.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    fn temporary(&self, pid: u32) -> PathBuf {
        self.dir.join(format!(".{}.tmp-{pid}", self.name))
    }

    /// Removes the temporary files of snapshots that were interrupted (the lock says
    /// no process is writing one now).
    fn remove_stale_temporaries(&self) -> Result<(), StateError> {
        let prefix = format!(".{}.tmp-", self.name);
        let io_error = |error| StateError::Io {
            path: self.dir.clone(),
            error,
        };
        for entry in fs::read_dir(&self.dir).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let stale = entry.path();
                fs::remove_file(&stale).map_err(|error| StateError::Io {
                    path: stale.clone(),
                    error,
                })?;
                tracing::warn!(path = %stale.display(), "removed the temporary file of an interrupted snapshot");
            }
        }
        Ok(())
    }

    /// The snapshot's temporary file can be created: the folder takes new files.
    fn check_writable(&self) -> Result<(), StateError> {
        let probe = self.temporary(std::process::id());
        File::create(&probe)
            .and_then(|_| fs::remove_file(&probe))
            .map_err(|error| StateError::Unwritable {
                dir: self.dir.clone(),
                error,
            })
    }

    /// Reads the snapshot; `None` when the file does not exist yet. A UTF-8
    /// byte-order mark is skipped; anything that is not the snapshot's JSON (invalid
    /// UTF-8 included) is refused with its line and column.
    pub fn read_snapshot(&self) -> Result<Option<Snapshot>, FixtureError> {
        let file = self.path.display().to_string();
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(FixtureError {
                    file,
                    place: "whole file".into(),
                    reason: e.to_string(),
                });
            }
        };
        serde_json::from_slice(crate::fixtures::without_bom_bytes(&bytes)).map(Some).map_err(|e| FixtureError {
            file,
            place: format!("line {}, column {}", e.line(), e.column()),
            reason: format!(
                "{} (the state file is corrupt or partial; it is left as it is: move it away to start afresh)",
                crate::fixtures::json_reason(&e)
            ),
        })
    }

    /// Loads the snapshot into `store` and applies the log's later changes, then
    /// logs every change `store` makes from now on. On error the files are left as
    /// they are.
    pub fn load_into(&mut self, store: &Store) -> Result<Loaded, StateError> {
        // A large state on the thread that builds the state at start, which frees it
        // too: the snapshot's leads and the log's are then none of the serving
        // thread's memory (see `background`).
        let lane = if write::file_len(&self.path) < write::SMALL_SNAPSHOT {
            Lane::Here
        } else {
            Lane::Start
        };
        let (mut loaded, replayed) =
            background::run(lane, || self.read_back(store)).map_err(StateError::Refused)?;
        if let Some(torn) = &replayed.torn {
            tracing::warn!(
                file = %torn.file.display(),
                line = torn.line,
                bytes = torn.bytes,
                reason = %torn.reason,
                "dropped the last record of the state file's log: a crash tore it while it was written, so it was never acknowledged"
            );
        }
        let (segments, first) = (self.segments(), replayed.last_seq + 1);
        let path = segments.path(first);
        let log = Log::start(segments, first, self.durability == Durability::PowerLoss)
            .map_err(|error| StateError::Io { path, error })?;
        store.attach_log(log.clone());
        self.log = Some(log);
        loaded.replayed = replayed.records;
        loaded.torn = replayed.torn;
        Ok(loaded)
    }

    /// Loads the snapshot into `store` and applies the log's later records.
    fn read_back(&self, store: &Store) -> Result<(Loaded, replay::Replayed), FixtureError> {
        let mut loaded = Loaded::default();
        let mut covered = 0;
        if let Some(snapshot) = self.read_snapshot()? {
            covered = snapshot.log_seq;
            store.restore(snapshot, &self.path.display().to_string())?;
            loaded.snapshot = true;
        }
        let replayed = replay::replay(&self.segments(), store, covered)?;
        Ok((loaded, replayed))
    }

    fn segments(&self) -> Segments {
        Segments::new(&self.dir, &self.name)
    }

    /// Keeps the state file: a snapshot every `every` when the state changed (for a
    /// snapshot of more than a few megabytes, once the log has grown to a quarter of
    /// its size, or after a reset), and,
    /// when `stop` resolves (once the requests in flight are done), the log closed
    /// and the last snapshot written. Disk work runs on blocking threads, off the
    /// runtime. A failed periodic snapshot is reported and tried again at the next
    /// tick; a failed last one is the error returned.
    pub async fn keep(
        self,
        store: Store,
        every: Duration,
        stop: impl Future<Output = ()>,
    ) -> Result<(), StateError> {
        if self.log.is_none() {
            return Err(StateError::NotLoaded {
                path: self.path.clone(),
            });
        }
        tokio::pin!(stop);
        let file = Arc::new(self);
        // Nothing written yet: the first tick writes, so the file exists from the
        // start (and a change made before this task first ran is not missed), unless
        // a large snapshot is there already with little log after it.
        let (mut written, mut written_resets) = (None, store.resets());
        let mut ticker = tokio::time::interval(every);
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = &mut stop => break,
            }
            let (now, resets) = (store.generation(), store.resets());
            if written != Some(now) {
                let serving = Handle::current();
                // After a reset the log is short, but replaying it would build the
                // fixtures again, which may have changed on disk by then: due anyway.
                let reset = written_resets != resets;
                // Whether it is due looks at the files: on the blocking thread too.
                let periodic = move |f: &StateFile, s: &Store| {
                    if !reset && !f.worth_writing_again() {
                        return Ok(false);
                    }
                    f.snapshot(s, false, Some(&serving)).map(|_| true)
                };
                match blocking(&file, &store, periodic).await {
                    Ok(true) => (written, written_resets) = (Some(now), resets),
                    Ok(false) => {}
                    Err(error) => {
                        tracing::error!(%error, "cannot write the state file; trying again at the next snapshot");
                    }
                }
            }
        }
        blocking(&file, &store, |f, _| {
            if let Some(log) = &f.log {
                log.close();
            }
            Ok(())
        })
        .await?;
        let serving = Handle::current();
        blocking(&file, &store, move |f, s| {
            f.snapshot(s, true, Some(&serving)).map(drop)
        })
        .await
    }
}

/// Runs `work` on a blocking thread.
async fn blocking<T: Send + 'static>(
    file: &Arc<StateFile>,
    store: &Store,
    work: impl FnOnce(&StateFile, &Store) -> Result<T, StateError> + Send + 'static,
) -> Result<T, StateError> {
    let (file, store) = (file.clone(), store.clone());
    tokio::task::spawn_blocking(move || work(&file, &store))
        .await
        .unwrap_or_else(|e| {
            Err(StateError::Io {
                path: PathBuf::from("(state file writer)"),
                error: io::Error::other(e.to_string()),
            })
        })
}

impl Drop for StateFile {
    fn drop(&mut self) {
        // Only a signal: the writer finishes what it holds on its own thread.
        if let Some(log) = &self.log {
            log.signal_close();
        }
    }
}

#[cfg(test)]
mod tests;
