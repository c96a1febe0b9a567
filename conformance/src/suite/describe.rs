//! What a scenario did, in words: the failure report of a [`LeadimWorld`], and the
//! journal entries, flow ends and protocol names it is made of.

use std::fmt::Write as _;

use serde_json::Value;

use super::LeadimWorld;
use crate::flow::FlowEnd;

impl LeadimWorld {
    /// What happened in this scenario, for a failure report: the adapter calls, the
    /// flow run, and what the simulator received for the scenario's account.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for call in &self.calls {
            let _ = writeln!(
                out,
                "adapter: {} after {:.1?}",
                wire_name(&call.request.function),
                call.elapsed
            );
            // The token is a credential: the report shows it masked, as the
            // journal does.
            let mut crm_config = call.request.crm_config.clone();
            crm_config.token = crm_config
                .token
                .as_deref()
                .map(leadim_simulator::journal::mask_token);
            let _ = writeln!(
                out,
                "  sent: crmConfig {} chat {}",
                compact(&crm_config),
                compact(&call.request.chat)
            );
            match &call.answer {
                Ok(r) => {
                    let _ = writeln!(
                        out,
                        "  returned: {}, crmData {}{}",
                        wire_name(&r.outcome),
                        compact(&r.crm_data),
                        r.error
                            .as_deref()
                            .map(|e| format!(", error: {e}"))
                            .unwrap_or_default()
                    );
                }
                Err(e) => {
                    let _ = writeln!(out, "  broke the protocol: {}", e.trim_end());
                }
            }
            // A protocol error already carries the stderr.
            let stderr = call.answer.as_ref().ok().and(call.stderr.as_deref());
            if let Some(stderr) = stderr.filter(|s| !s.trim().is_empty()) {
                let _ = writeln!(out, "  stderr: {}", clip(stderr.trim(), 600));
            }
        }
        if let Some(run) = &self.flow_run {
            let trace: Vec<String> = run
                .outcome
                .trace
                .iter()
                .map(|s| {
                    let error = s.error.as_deref().map(|e| format!(" ({e})"));
                    let outcome = wire_name(&s.outcome);
                    format!("{} → {outcome}{}", s.node, error.unwrap_or_default())
                })
                .collect();
            let end = describe_end(&run.outcome.end);
            let _ = writeln!(out, "flow: {}; {end}", trace.join(", "));
            let _ = writeln!(out, "  crmData after: {}", compact(&run.ctx.chat.crm_data));
        }
        let journal = self.journal();
        let _ = writeln!(
            out,
            "simulator received (account {}): {} request(s)",
            self.account.aid,
            journal.len()
        );
        for entry in &journal {
            out.push_str(&entry.summary());
        }
        for fault in &self.faults {
            let _ = writeln!(out, "injected: {}", fault.described);
        }
        out
    }
}

/// How the protocol spells an enum value (`getCustomerDetails`, `failure`).
pub(crate) fn wire_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        other => format!("{other:?}"),
    }
}

/// How a flow run ended, in words.
pub(crate) fn describe_end(end: &FlowEnd) -> String {
    match end {
        FlowEnd::Reached(node) => format!("reached {node}"),
        FlowEnd::NoTransition { node, outcome } => {
            format!("stopped at {node}: no exit for {}", wire_name(outcome))
        }
        FlowEnd::StepLimit => format!("stopped after {} steps (a loop?)", crate::flow::MAX_STEPS),
        FlowEnd::Aborted { node, error } => format!("aborted at {node}: {error}"),
    }
}

/// Compact JSON of anything serializable.
pub(crate) fn compact(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("(unprintable: {e})"))
}

/// At most `max` characters of `text`, with an ellipsis when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
