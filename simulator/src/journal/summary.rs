//! A journal entry in a few plain lines, for a failure message: what came, what
//! was answered, the decoded parameters, the token, the diagnostics and the fault.
//! Expectations print it, and so do the conformance suite's failure reports.

use super::JournalEntry;
use std::fmt::Write as _;

/// The longest answer shown, in characters.
const ANSWER_SHOWN: usize = 200;
/// The longest parameter value shown, in characters.
const VALUE_SHOWN: usize = 120;

impl JournalEntry {
    /// The entry in a few lines, each indented, ending with a line break:
    ///
    /// ```text
    ///   #3 POST /v2/submit → 200 {"status":"success","lead_id":117000049}
    ///       params: lm_form=5001 lm_key=77bc0ec981 fld_name=דנה כהן
    ///       diagnostic: error: …
    /// ```
    pub fn summary(&self) -> String {
        let mut out = format!(
            "  #{} {} {} → {} {}\n",
            self.id,
            self.method,
            self.path,
            self.status,
            clip(&self.answer, ANSWER_SHOWN)
        );
        if !self.params.is_empty() {
            let params: Vec<String> = self
                .params
                .iter()
                .map(|(k, v)| format!("{k}={}", escaped(&clip(v, VALUE_SHOWN))))
                .collect();
            let _ = writeln!(out, "      params: {}", params.join(" "));
        }
        if let Some((_, token)) = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(crate::AUTH_HEADER))
        {
            let _ = writeln!(out, "      {}: {token}", crate::AUTH_HEADER);
        }
        for note in &self.diagnostics {
            let _ = writeln!(out, "      diagnostic: {note}");
        }
        if let Some(fault) = &self.fault {
            let _ = writeln!(out, "      {fault}");
        }
        out
    }
}

/// A value as a JSON string shows it: line breaks and quotes visible.
fn escaped(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| value.to_owned())
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
