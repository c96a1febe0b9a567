//! The cucumber conformance suite: the feature files in `features/` run against an
//! adapter under test (the reference adapter in-process, or any command speaking
//! protocol v1) and a shared in-process simulator.
//!
//! Every scenario gets its own [`LeadimWorld`], built by an init that creates a
//! fresh account on the run's simulator. Accounts are isolated and faults are
//! scoped to one account, so every scenario runs concurrently: nothing in the suite
//! touches global state, and no scenario needs `@serial`.
//!
//! Each scenario is tagged with its flow (`@lookup`, `@display`, `@open_ticket`,
//! `@create_lead`, `@update_lead`, `@get_transformer`, `@resilience`) and its level:
//! `@must` for what the seed documents, `@should` for robustness. A failed MUST
//! fails the run; a failed SHOULD does too with [`SuiteOptions::strict`].
//!
//! # Layout
//!
//! - [`LeadimWorld`] (this module): one scenario's account, crmConfig, chat, adapter
//!   calls, flow run and injected faults; [`LeadimWorld::report`] says what happened.
//! - [`run`] (`run.rs`): [`SuiteOptions`], [`run()`], [`SuiteReport`].
//! - [`report`]: the writer that records each scenario, the summary by flow and
//!   level, the failure reports and the last line.
//! - `features`: the feature files and seed flows embedded in the binary, and the
//!   cucumber parser that yields them (or a directory's).
//! - `steps`: the step definitions, one module per domain concept — `chat`,
//!   `adapter`, `lookup`, `display`, `open_ticket`, `flows`, `journal`, `faults`.

mod features;
pub mod report;
mod run;
mod steps;

pub use run::{AdapterChoice, SuiteError, SuiteOptions, SuiteReport, run};

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use leadim_simulator::{JournalEntry, LeadView, SimulatorHandle};
use serde_json::{Map, Value};

use crate::adapter::AdapterUnderTest;
use crate::flow::{FlowContext, FlowEnd, FlowOutcome, FlowRunner};
use crate::protocol::{AdapterRequest, AdapterResponse, Chat, CrmConfig, Endpoints, Function};

/// What every scenario of one run shares: the simulator, the adapter under test and
/// the flow runner over it. Scenarios reach it through a task-local, set by [`run()`]
/// around the cucumber run, so several runs in one process stay apart.
#[derive(Debug)]
pub(crate) struct RunContext {
    /// The in-process simulator every scenario makes its account on.
    pub sim: SimulatorHandle,
    /// The adapter under test.
    pub adapter: AdapterUnderTest,
    /// Runs bot flows whose `crm` nodes call [`RunContext::adapter`].
    pub runner: FlowRunner,
    /// The adapter's deadline for a whole call (in-process, or told through
    /// `LEADIM_ADAPTER_TIMEOUT_MS`).
    pub adapter_timeout: Duration,
    /// The seed's flow snippets by name (`create_lead`, `update_lead`, …).
    pub flows: BTreeMap<String, String>,
}

impl RunContext {
    /// How long an adapter call may take and still count as "within its timeout"
    /// (docs/adapter-protocol.md, "Deadline"): the timeout is the budget of the
    /// whole call, however many phone formats a lookup tries, plus
    /// [`ANSWER_MARGIN`] for an external adapter's start-up on a busy machine.
    pub fn answer_limit(&self) -> Duration {
        self.adapter_timeout + ANSWER_MARGIN
    }
}

/// What an adapter may take beyond its timeout and still answer in time: its
/// process start-up and the answer's way back (a SHOULD of the protocol).
pub const ANSWER_MARGIN: Duration = Duration::from_secs(1);

tokio::task_local! {
    pub(crate) static CONTEXT: Arc<RunContext>;
}

/// Why a scenario's world could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// The world was built outside [`run()`].
    #[error("the suite's worlds are built by leadim_conformance::suite::run, not directly")]
    NoRun,
}

/// One scenario's state. Every scenario has its own Lead.IM account on the shared
/// simulator; the crmConfig starts as that account's, complete and valid, and the
/// chat starts without phone, title or crmData.
#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct LeadimWorld {
    ctx: Arc<RunContext>,
    /// The scenario's own account: ids, key, tokens and URLs.
    pub account: leadim_simulator::AccountConfig,
    /// The crmConfig given to the adapter.
    pub crm_config: CrmConfig,
    /// The chat the adapter and the flows run on.
    pub chat: Chat,
    /// Leads the scenario seeded, in table order.
    pub seeded: Vec<LeadView>,
    /// Every adapter call, in order.
    pub calls: Vec<AdapterCall>,
    /// The bot flow the scenario assembles.
    pub flow: FlowPlan,
    /// The flow's run, once it ran.
    pub flow_run: Option<FlowRun>,
    /// Faults injected for this account (cleared when the world is dropped).
    pub faults: Vec<InjectedFault>,
    /// A second account's token, made on first use.
    other_token: OnceLock<String>,
}

/// One adapter call: what was sent and what came back.
#[derive(Debug)]
pub struct AdapterCall {
    /// The protocol request.
    pub request: AdapterRequest,
    /// The response, or how the adapter broke the protocol.
    pub answer: Result<AdapterResponse, String>,
    /// An external adapter's stderr.
    pub stderr: Option<String>,
    /// Start to answer.
    pub elapsed: Duration,
    /// When the call started, on the clock the simulator's journal uses.
    pub started_at: jiff::Timestamp,
    /// When the answer came back, on the same clock.
    pub answered_at: jiff::Timestamp,
}

impl AdapterCall {
    /// The chat's crmData before the call (absent counts as empty).
    pub fn crm_before(&self) -> Map<String, Value> {
        self.request.chat.crm_data.clone().unwrap_or_default()
    }
}

/// A flow being assembled: seed snippets and inline YAML, the placeholder values
/// that differ from the account's, and edits to apply once parsed.
#[derive(Debug, Default)]
pub struct FlowPlan {
    /// YAML sources, merged in order (later nodes win).
    pub sources: Vec<String>,
    /// Placeholder → value, over the account's defaults.
    pub placeholders: BTreeMap<String, String>,
    /// Changes to nodes after parsing.
    pub edits: Vec<FlowEdit>,
}

/// A change a scenario makes to a parsed flow node.
#[derive(Debug, Clone)]
pub enum FlowEdit {
    /// Sets where a node goes on success.
    OnComplete {
        /// The node.
        node: String,
        /// The next node.
        next: String,
    },
    /// Sets one `data` param of a request node.
    Data {
        /// The node.
        node: String,
        /// The param.
        key: String,
        /// Its (template) value.
        value: String,
    },
}

/// A flow run and the context it ended with.
#[derive(Debug)]
pub struct FlowRun {
    /// How it ended, with the trace.
    pub outcome: FlowOutcome,
    /// The chat and node state after the run.
    pub ctx: FlowContext,
}

/// A fault injected into this scenario's account.
#[derive(Debug, Clone)]
pub struct InjectedFault {
    /// The simulator's id for it.
    pub id: u64,
    /// How the journal describes it.
    pub described: String,
}

impl LeadimWorld {
    /// Builds a world with a fresh account on the run's simulator.
    pub fn new() -> Result<Self, WorldError> {
        let ctx = CONTEXT
            .try_with(Arc::clone)
            .map_err(|_| WorldError::NoRun)?;
        let account = ctx.sim.create_account();
        let crm_config = CrmConfig {
            lm_form: Some(account.lm_form.clone().into()),
            lm_key: Some(account.lm_key.clone()),
            token: Some(account.token.clone()),
            get_customer_details_url: Some(account.get_customer_details_url.clone()),
            name_field: None,
            only_display_data: None,
        };
        let chat = Chat {
            id: Some(format!("c-{}", account.aid)),
            url: Some(format!(
                "https://app.texter.example/chats/c-{}",
                account.aid
            )),
            ..Chat::default()
        };
        Ok(Self {
            ctx,
            account,
            crm_config,
            chat,
            seeded: Vec::new(),
            calls: Vec::new(),
            flow: FlowPlan::default(),
            flow_run: None,
            faults: Vec::new(),
            other_token: OnceLock::new(),
        })
    }

    pub(crate) fn ctx(&self) -> &RunContext {
        &self.ctx
    }

    /// The simulator's stand-ins for the production hosts.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            submit: self.account.submit_url.clone(),
            ui: self.account.ui_url.clone(),
        }
    }

    /// A valid token of another account (the same one for the whole scenario).
    pub fn other_account_token(&self) -> &str {
        self.other_token
            .get_or_init(|| self.ctx.sim.create_account().token)
    }

    /// Calls the adapter under test with the scenario's crmConfig and chat, and
    /// records the call. A call that takes longer than the run's answer limit (plus
    /// a margin) is abandoned, so a hanging in-process adapter cannot hang the run.
    pub async fn call_adapter(&mut self, function: Function) {
        let request = AdapterRequest::new(
            function,
            self.crm_config.clone(),
            self.chat.clone(),
            self.endpoints(),
        );
        let started = Instant::now();
        let started_at = jiff::Timestamp::now();
        let give_up = self.ctx.answer_limit() + Duration::from_secs(10);
        let call = self.ctx.adapter.call_with_stderr(&request);
        let (answer, stderr) = match tokio::time::timeout(give_up, call).await {
            Ok((answer, stderr)) => (answer.map_err(|e| e.to_string()), stderr),
            Err(_) => (Err(format!("no answer within {give_up:?}")), None),
        };
        if let Ok(response) = &answer {
            self.chat.crm_data = response.crm_data_after(self.chat.crm_data.as_ref());
        }
        self.calls.push(AdapterCall {
            request,
            answer,
            stderr,
            elapsed: started.elapsed(),
            started_at,
            answered_at: jiff::Timestamp::now(),
        });
    }

    /// The last adapter call's response, or why there is none.
    pub fn last_response(&self) -> Result<&AdapterResponse, String> {
        let call = self
            .calls
            .last()
            .ok_or("no adapter function was called in this scenario")?;
        call.answer
            .as_ref()
            .map_err(|e| format!("the adapter broke protocol v1: {e}"))
    }

    /// The journal entries of this scenario's account, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.ctx.sim.journal_for(self.account.aid)
    }

    /// The account's leads, oldest first.
    pub fn leads(&self) -> Vec<LeadView> {
        self.ctx
            .sim
            .store()
            .account_leads(self.account.aid)
            .unwrap_or_default()
    }

    /// The lead with the highest id: the one created last.
    pub fn newest_lead(&self) -> Result<LeadView, String> {
        self.leads()
            .into_iter()
            .max_by_key(|l| l.lid)
            .ok_or_else(|| format!("account {} holds no lead", self.account.aid))
    }

    /// Replaces the tokens `{aid}`, `{lm_form}`, `{lm_key}`, `{ui}`, `{chat_url}` and
    /// `{new_lid}` (the newest lead's id) in an expected value; other text is kept.
    pub fn expand(&self, text: &str) -> Result<String, String> {
        let mut out = text
            .replace("{aid}", &self.account.aid.to_string())
            .replace("{lm_form}", &self.account.lm_form)
            .replace("{lm_key}", &self.account.lm_key)
            .replace("{ui}", &self.account.ui_url)
            .replace("{chat_url}", self.chat.url.as_deref().unwrap_or_default());
        if out.contains("{new_lid}") {
            out = out.replace("{new_lid}", &self.newest_lead()?.lid.to_string());
        }
        Ok(out)
    }

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
            out.push_str(&entry_summary(entry));
        }
        for fault in &self.faults {
            let _ = writeln!(out, "injected: {}", fault.described);
        }
        out
    }
}

impl Drop for LeadimWorld {
    fn drop(&mut self) {
        for fault in &self.faults {
            self.ctx.sim.clear_fault(fault.id);
        }
    }
}

/// One journal entry in a few lines: request, answer, parameters, token, notes.
pub fn entry_summary(entry: &JournalEntry) -> String {
    let mut out = format!(
        "  #{} {} {} → {} {}\n",
        entry.id,
        entry.method,
        entry.path,
        entry.status,
        clip(&entry.answer, 200)
    );
    if !entry.params.is_empty() {
        let params: Vec<String> = entry
            .params
            .iter()
            .map(|(k, v)| format!("{k}={}", compact(&clip(v, 120))))
            .collect();
        let _ = writeln!(out, "      params: {}", params.join(" "));
    }
    if let Some((_, token)) = entry
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(crate::adapter::lookup::AUTH_HEADER))
    {
        let _ = writeln!(out, "      X-LEAD-IM-AUTH: {token}");
    }
    for note in &entry.diagnostics {
        let _ = writeln!(out, "      diagnostic: {note}");
    }
    if let Some(fault) = &entry.fault {
        let _ = writeln!(out, "      {fault}");
    }
    out
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
fn compact(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("(unprintable: {e})"))
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
