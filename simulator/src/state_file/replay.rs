//! Reading the log back at start: every record after the snapshot's last, applied in
//! order. A record torn by a crash at the very end of the log is dropped (and cut off
//! the file); damage anywhere else, a gap in the records, or a record that does not
//! fit the state refuses the start with the file, the line and the reason.

use super::record::{LineError, decode};
use super::wal::Segments;
use crate::fixtures::FixtureError;
use crate::store::Store;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

/// A record torn by a crash at the end of the log, dropped at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    /// The segment file it was in.
    pub file: PathBuf,
    /// Its line.
    pub line: usize,
    /// How many bytes of it there were.
    pub bytes: u64,
    /// What was wrong with it.
    pub reason: String,
}

/// What reading the log back did.
#[derive(Debug, Clone, Default)]
pub(super) struct Replayed {
    /// Records applied on top of the snapshot.
    pub records: u64,
    /// The last record in the log or the snapshot: the next one is numbered after it.
    pub last_seq: u64,
    /// A torn last record, dropped.
    pub torn: Option<Torn>,
}

/// Where the reading is: the records must follow one another from the snapshot's
/// last on.
struct Reader<'s> {
    store: &'s Store,
    /// The snapshot holds every record up to this one.
    covered: u64,
    /// The last record read, if any.
    previous: Option<u64>,
    replayed: Replayed,
}

/// Applies every record of the log after `covered` (the snapshot's last) to `store`.
pub(super) fn replay(
    segments: &Segments,
    store: &Store,
    covered: u64,
) -> Result<Replayed, FixtureError> {
    let list = segments.list().map_err(|e| FixtureError {
        file: segments.path(0).display().to_string(),
        place: "folder".into(),
        reason: format!("cannot list the log's segments: {e}"),
    })?;
    let mut reader = Reader {
        store,
        covered,
        previous: None,
        replayed: Replayed {
            last_seq: covered,
            ..Replayed::default()
        },
    };
    for (k, (_, path)) in list.iter().enumerate() {
        let is_last = k + 1 == list.len();
        reader.segment(path, is_last)?;
    }
    Ok(reader.replayed)
}

impl Reader<'_> {
    fn segment(&mut self, path: &Path, is_last: bool) -> Result<(), FixtureError> {
        let file = path.display().to_string();
        let refuse = |line: usize, reason: String| FixtureError {
            file: file.clone(),
            place: format!("line {line}"),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| FixtureError {
            file: file.clone(),
            place: "whole file".into(),
            reason: e.to_string(),
        })?;
        let mut offset = 0;
        let mut line = 0;
        while offset < bytes.len() {
            line += 1;
            let rest = &bytes[offset..];
            let (text, next) = match memchr::memchr(b'\n', rest) {
                Some(end) => (Some(&rest[..end]), offset + end + 1),
                None => (None, bytes.len()),
            };
            let decoded = text.map_or(Err(LineError::Incomplete), decode);
            match decoded {
                Ok(record) => {
                    self.apply(record.seq, record.change)
                        .map_err(|reason| refuse(line, reason))?;
                }
                Err(error) if error.may_be_torn() && is_last && next == bytes.len() => {
                    self.replayed.torn = Some(cut_off(path, offset, line, &error.to_string())?);
                }
                Err(error) => {
                    return Err(refuse(
                        line,
                        format!(
                            "{error}; this is not the end of the log, so it is damaged, not \
                             torn by a crash: the state file and its log are left as they are \
                             (move them away to start afresh)"
                        ),
                    ));
                }
            }
            offset = next;
        }
        Ok(())
    }

    /// Applies record `seq` if the snapshot does not hold it already.
    fn apply(&mut self, seq: u64, change: crate::store::Logged) -> Result<(), String> {
        if let Some(previous) = self.previous
            && seq <= previous
        {
            return Err(format!("record {seq} comes after record {previous}"));
        }
        self.previous = Some(seq);
        if seq <= self.covered {
            return Ok(());
        }
        let expected = self.replayed.last_seq + 1;
        if seq != expected {
            return Err(format!(
                "record {seq} comes where record {expected} was expected: records \
                 {expected} to {} are missing",
                seq - 1
            ));
        }
        self.store
            .replay(change)
            .map_err(|reason| format!("record {seq}: {reason}"))?;
        self.replayed.last_seq = seq;
        self.replayed.records += 1;
        Ok(())
    }
}

/// Cuts a torn record off the end of its segment, so that the next record starts on
/// a line of its own.
fn cut_off(path: &Path, offset: usize, line: usize, reason: &str) -> Result<Torn, FixtureError> {
    let refuse = |e: std::io::Error| FixtureError {
        file: path.display().to_string(),
        place: format!("line {line}"),
        reason: format!("cannot cut off the torn last record: {e}"),
    };
    let file = OpenOptions::new().write(true).open(path).map_err(refuse)?;
    let len = file.metadata().map_err(refuse)?.len();
    file.set_len(offset as u64).map_err(refuse)?;
    file.sync_all().map_err(refuse)?;
    Ok(Torn {
        file: path.to_path_buf(),
        line,
        bytes: len - offset as u64,
        reason: reason.to_owned(),
    })
}
