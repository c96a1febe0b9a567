//! How a property run is printed: a line per property, then for each failure the
//! minimal case, what the adapter answered, what the simulator received, the seed
//! and the command that replays it, and last `properties: N passed, N failed`.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use super::checks::Exchange;
use super::search::{Found, Verdict};
use super::{DEFAULT_ADAPTER_TIMEOUT, DEFAULT_CASES, PropertyId, PropertyOptions};
use crate::suite::report::Level;
use crate::suite::{AdapterChoice, wire_name};

/// What a property run found.
#[derive(Debug, Clone)]
pub struct PropertyReport {
    /// How it ran (the seed included).
    pub options: PropertyOptions,
    /// Each property's verdict and how long its search took, in report order.
    pub verdicts: Vec<(PropertyId, Verdict, Duration)>,
}

impl PropertyReport {
    /// Properties whose cases all kept every rule.
    pub fn passed(&self) -> usize {
        self.verdicts
            .iter()
            .filter(|(_, v, _)| matches!(v, Verdict::Passed))
            .count()
    }

    /// Properties that found a broken rule, or could not finish.
    pub fn failed(&self) -> usize {
        self.verdicts.len() - self.passed()
    }

    /// The level of each failure (`None` for a search that could not finish).
    fn failure_levels(&self) -> impl Iterator<Item = Option<Level>> + '_ {
        self.verdicts
            .iter()
            .filter_map(|(_, verdict, _)| match verdict {
                Verdict::Passed => None,
                Verdict::Failed(found) => Some(Some(found.violation.rule.level)),
                Verdict::Aborted(_) => Some(None),
            })
    }

    /// True when no MUST rule broke (nor a SHOULD one, when strict) and every
    /// search finished.
    pub fn success(&self) -> bool {
        let strict = self.options.strict;
        self.failure_levels()
            .all(|level| level == Some(Level::Should) && !strict)
    }

    /// The command that replays `property` of this run, alone.
    pub fn replay_command(&self, property: PropertyId) -> String {
        let options = &self.options;
        let mut command = String::from("leadim-conformance properties");
        if let AdapterChoice::Command(adapter) = &options.adapter {
            let _ = write!(command, " --adapter {}", shell_quote(adapter));
        }
        let _ = write!(command, " --seed {}", options.seed);
        if options.cases != DEFAULT_CASES {
            let _ = write!(command, " --cases {}", options.cases);
        }
        let _ = write!(command, " --property {}", property.name());
        if options.adapter_timeout != DEFAULT_ADAPTER_TIMEOUT {
            let _ = write!(
                command,
                " --adapter-timeout-ms {}",
                options.adapter_timeout.as_millis()
            );
        }
        command
    }

    /// The whole report; its last line is `properties: N passed, N failed (seed S)`.
    pub fn render(&self) -> String {
        let options = &self.options;
        let adapter = match &options.adapter {
            AdapterChoice::Reference => "the reference adapter (in-process)".to_owned(),
            AdapterChoice::Command(command) => format!("`{command}`"),
        };
        let mut out = format!(
            "properties of {adapter}: seed {}, {} cases per property\n",
            options.seed, options.cases
        );
        for (id, verdict, took) in &self.verdicts {
            let _ = match verdict {
                Verdict::Passed => writeln!(out, "✔ {} — {} ({took:.1?})", id.name(), id.title()),
                Verdict::Failed(found) => {
                    let rule = found.violation.rule;
                    writeln!(
                        out,
                        "✘ {} — {} [{} {}]",
                        id.name(),
                        id.title(),
                        rule.level,
                        rule.id
                    )
                }
                Verdict::Aborted(why) => writeln!(out, "✘ {} — could not finish: {why}", id.name()),
            };
        }
        for (id, verdict, _) in &self.verdicts {
            if let Verdict::Failed(found) = verdict {
                out.push('\n');
                out.push_str(&self.render_failure(*id, found));
            }
        }
        let _ = write!(
            out,
            "\nproperties: {} passed, {} failed (seed {})",
            self.passed(),
            self.failed(),
            options.seed
        );
        out
    }

    /// One failure: the rule, the minimal case, the exchange, and how to replay it.
    fn render_failure(&self, id: PropertyId, found: &Found) -> String {
        let rule = found.violation.rule;
        let exchange = &found.exchange;
        let mut out = format!(
            "✘ {} broke {} rule {}: {}\n  {}\n",
            id.name(),
            rule.level,
            rule.id,
            rule.text,
            found.violation.detail
        );
        let _ = writeln!(
            out,
            "  found by case {}, shrunk in {} more to this case:",
            found.found_after, found.shrink_steps
        );
        let request = &exchange.request;
        let _ = writeln!(out, "  function: {}", wire_name(&request.function));
        let _ = writeln!(
            out,
            "  crmConfig: {}",
            indent(&visible_json(&request.crm_config))
        );
        let _ = writeln!(out, "  chat: {}", indent(&visible_json(&request.chat)));
        if !exchange.seeded.is_empty() {
            out.push_str("  leads in Lead.IM, in the order they were stored:\n");
            for lead in &exchange.seeded {
                let _ = writeln!(
                    out,
                    "    lid {} phone {:?} created {} updated {} fields {}",
                    lead.lid,
                    lead.phone,
                    lead.created_at,
                    lead.updated_at,
                    visible(&lead.fields.to_string())
                );
            }
        }
        render_answer(&mut out, exchange);
        let _ = writeln!(
            out,
            "  seed {}; replay: {}",
            self.options.seed,
            self.replay_command(id)
        );
        out
    }
}

/// What the adapter answered, and what the simulator received.
fn render_answer(out: &mut String, exchange: &Exchange) {
    match &exchange.answer {
        Ok(response) => {
            let _ = writeln!(
                out,
                "  the adapter answered {}{}, crmData {}",
                wire_name(&response.outcome),
                response
                    .error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default(),
                indent(&visible_json(&response.crm_data))
            );
        }
        Err(error) => {
            let _ = writeln!(out, "  the adapter broke protocol v1: {}", error.trim_end());
        }
    }
    let stderr = exchange
        .answer
        .as_ref()
        .ok()
        .and(exchange.stderr.as_deref());
    if let Some(stderr) = stderr.filter(|s| !s.trim().is_empty()) {
        let _ = writeln!(out, "  stderr: {}", stderr.trim());
    }
    let _ = writeln!(
        out,
        "  the simulator received {} request(s):",
        exchange.journal.len()
    );
    for entry in &exchange.journal {
        out.push_str(&visible(&entry.summary()));
    }
}

/// Characters a terminal shows as nothing, or as a plain space: direction and
/// zero-width marks, odd spaces, controls. In a shrunk case they are the point.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{7F}'..='\u{A0}' | '\u{AD}' | '\u{61C}' | '\u{180E}' | '\u{2000}'..='\u{200F}'
        | '\u{2028}'..='\u{202F}' | '\u{205F}'..='\u{206F}' | '\u{3000}' | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}')
}

/// `text` with each invisible character as a `\uXXXX` escape (valid inside JSON
/// strings too, where these characters only ever appear).
fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if invisible(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Pretty JSON with the invisible characters escaped.
fn visible_json(value: &impl Serialize) -> String {
    visible(&serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("(unprintable: {e})")))
}

/// Continuation lines indented under the report's two-space margin.
fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

/// `text` as one shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_marks_are_shown_and_hebrew_is_kept() {
        let text = visible("\u{200F}דנה\u{200B} כהן\u{00A0}😀");
        assert_eq!(text, "\\u200fדנה\\u200b כהן\\u00a0😀");
        let json: serde_json::Value = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(json, "\u{200F}דנה\u{200B} כהן\u{00A0}😀", "still JSON");
    }

    #[test]
    fn commands_quote_for_the_shell() {
        assert_eq!(
            shell_quote("python3 'my adapter.py'"),
            r"'python3 '\''my adapter.py'\'''"
        );
    }
}
