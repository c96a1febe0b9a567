//! `--state FILE`: the simulator's state on disk, so a developer's leads survive a
//! restart. The file is written atomically (a temporary file beside it, fsync,
//! rename, fsync of the folder), on shutdown and every few seconds when something
//! changed, so a crash loses at most that interval. A corrupt or partial file is
//! refused with the place and the reason, and never overwritten.

use crate::fixtures::FixtureError;
use crate::store::{Snapshot, Store};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default time between snapshots.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// A state file.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file at `path` (it need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> StateFile {
        StateFile { path: path.into() }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the snapshot; `None` when the file does not exist yet.
    pub fn load(&self) -> Result<Option<Snapshot>, FixtureError> {
        let file = self.path.display().to_string();
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(FixtureError {
                    file,
                    place: "whole file".into(),
                    reason: e.to_string(),
                });
            }
        };
        serde_json::from_str(&text).map(Some).map_err(|e| FixtureError {
            file,
            place: format!("line {}, column {}", e.line(), e.column()),
            reason: format!(
                "{} (the state file is corrupt or partial; it is left as it is: move it away to start afresh)",
                crate::fixtures::json_reason(&e)
            ),
        })
    }

    /// Loads the file into `store`, if it exists. On error the store is untouched.
    pub fn restore_into(&self, store: &Store) -> Result<bool, FixtureError> {
        match self.load()? {
            Some(snapshot) => {
                store.restore(snapshot, &self.path.display().to_string())?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Writes `snapshot` atomically.
    pub fn write(&self, snapshot: &Snapshot) -> io::Result<()> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".into());
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let result = (|| {
            let file = File::create(&tmp)?;
            let mut out = BufWriter::new(file);
            serde_json::to_writer(&mut out, snapshot)?;
            out.write_all(b"\n")?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            // The rename itself must reach the disk too.
            File::open(&dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Writes the store's state every `every` when it changed, and once more when
    /// `stop` resolves. Writing happens on a blocking thread, off the runtime.
    pub async fn keep(self, store: Store, every: Duration, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        // Nothing written yet: the first tick writes, so the file exists from the
        // start (and a change made before this task first ran is not missed).
        let mut written = None;
        let mut ticker = tokio::time::interval(every);
        ticker.tick().await;
        loop {
            let stopping = tokio::select! {
                _ = ticker.tick() => false,
                () = &mut stop => true,
            };
            let now = store.generation();
            if written != Some(now) || stopping {
                let (file, store) = (self.clone(), store.clone());
                let outcome =
                    tokio::task::spawn_blocking(move || file.write(&store.export())).await;
                match outcome {
                    // Only a write that succeeded counts: a failed one is tried again
                    // at the next tick.
                    Ok(Ok(())) => written = Some(now),
                    Ok(Err(e)) => {
                        tracing::error!(path = %self.path.display(), error = %e, "cannot write the state file")
                    }
                    Err(e) => tracing::error!(error = %e, "state writer failed"),
                }
            }
            if stopping {
                return;
            }
        }
    }
}
