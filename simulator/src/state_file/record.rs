//! The log's line format.
//!
//! The log is a series of segment files beside the state file, `FILE.wal.N`, where `N`
//! is the sequence number of the segment's first record. A record is one line:
//!
//! ```text
//! f01ec376 {"seq":118,"change":{"op":"updated","lid":100049,"values":[[5,"יוסי"]],"status_id":null,"at":1772442000}}
//! ```
//!
//! the CRC-32 of the JSON in eight hex digits, a space, the JSON, a newline. The JSON
//! is the change's result ([`Change`]); `seq` counts records from 1 across segments
//! and restarts. A line without its newline, or whose checksum does not match, is
//! damaged: at the very end of the log it is a record torn by a crash and is dropped;
//! anywhere else the log is refused with its place.

use crate::store::{Change, Logged};
use serde::{Deserialize, Serialize};

/// A record as written: its number and the change.
#[derive(Serialize)]
struct RecordOut<'a> {
    seq: u64,
    change: &'a Change<'a>,
}

/// A record as read back.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Record {
    pub seq: u64,
    pub change: Logged,
}

/// Appends the line of record `seq` to `out`.
pub(super) fn encode(out: &mut Vec<u8>, seq: u64, change: &Change<'_>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let start = out.len();
    out.extend_from_slice(b"00000000 ");
    serde_json::to_writer(&mut *out, &RecordOut { seq, change })
        .expect("a change serializes: string keys only, and a Vec never fails to grow");
    let crc = crc32fast::hash(&out[start + 9..]);
    for (i, digit) in out[start..start + 8].iter_mut().enumerate() {
        *digit = HEX[(crc >> (28 - 4 * i) & 0xf) as usize];
    }
    out.push(b'\n');
}

/// What is wrong with a line of the log.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LineError {
    /// No newline: the last write stopped inside the record.
    #[error("the record is incomplete (no end of line)")]
    Incomplete,
    /// Not `<8 hex digits> <JSON>`.
    #[error("the line is not a record (no checksum before the JSON)")]
    Frame,
    /// The checksum does not match the JSON.
    #[error("the record's checksum does not match its content")]
    Checksum,
    /// A whole record, checksum right, that this version cannot read.
    #[error("the record cannot be read: {0}")]
    Json(serde_json::Error),
}

impl LineError {
    /// Damage a crash can leave at the end of the log; a record with a right
    /// checksum was written whole, so it never is.
    pub fn may_be_torn(&self) -> bool {
        !matches!(self, LineError::Json(_))
    }
}

/// Reads one line of the log (without its newline).
pub(crate) fn decode(line: &[u8]) -> Result<Record, LineError> {
    let (Some(hex), Some(b' '), Some(json)) = (line.get(..8), line.get(8), line.get(9..)) else {
        return Err(LineError::Frame);
    };
    let crc = std::str::from_utf8(hex)
        .ok()
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .ok_or(LineError::Frame)?;
    if crc32fast::hash(json) != crc {
        return Err(LineError::Checksum);
    }
    serde_json::from_slice(json).map_err(LineError::Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_back_and_any_damage_is_caught() {
        let mut out = Vec::new();
        let change = Change::AccountEnabled {
            aid: 3305,
            enabled: false,
        };
        encode(&mut out, 7, &change);
        assert_eq!(out.last(), Some(&b'\n'));
        let line = &out[..out.len() - 1];
        let record = decode(line).unwrap();
        assert_eq!(record.seq, 7);
        assert!(matches!(
            record.change,
            Logged::AccountEnabled {
                aid: 3305,
                enabled: false
            }
        ));
        for at in 0..line.len() {
            let mut damaged = line.to_vec();
            damaged[at] ^= 0x01;
            let error = decode(&damaged).unwrap_err();
            assert!(error.may_be_torn(), "byte {at}: {error}");
        }
        assert!(matches!(decode(&line[..20]), Err(LineError::Checksum)));
        // The example of the module's documentation and of docs/contract.md.
        let documented = r#"f01ec376 {"seq":118,"change":{"op":"updated","lid":100049,"values":[[5,"יוסי"]],"status_id":null,"at":1772442000}}"#;
        assert_eq!(decode(documented.as_bytes()).unwrap().seq, 118);
        assert!(matches!(decode(b"zz"), Err(LineError::Frame)));
    }
}
