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
//! - `describe`: a scenario's failure report ([`LeadimWorld::report`]) and the
//!   words it is made of (journal entries, flow ends, protocol names).
//! - [`report`]: the writer that records each scenario, the summary by flow and
//!   level, the failure reports and the last line.
//! - [`junit`]: the JUnit XML report, written from the same records.
//! - `features`: the feature files and seed flows embedded in the binary, and the
//!   cucumber parser that yields them (or a directory's) in the order of a
//!   [`Schedule`].
//! - `steps`: the step definitions, one module per domain concept — `chat`,
//!   `adapter`, `lookup`, `display`, `open_ticket`, `flows`, `journal`, `faults`.

mod describe;
mod features;
pub mod junit;
pub mod report;
mod run;
mod steps;

pub(crate) use describe::{clip, describe_end, wire_name};
pub use features::Schedule;
pub use run::{AdapterChoice, SuiteError, SuiteOptions, SuiteReport, run};

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use leadim_simulator::{JournalEntry, LeadView, SimulatorHandle};
use serde_json::{Map, Value};

use crate::adapter::AdapterUnderTest;
use crate::flow::{FlowContext, FlowOutcome, FlowRunner};
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
    /// Where Lead.IM's UI is served: the account's UI on another origin than its API
    /// (see [`ui_origin`]).
    pub ui: String,
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
        let crm_config = CrmConfig::for_account(&account);
        let chat = Chat {
            id: Some(format!("c-{}", account.aid)),
            url: Some(format!(
                "https://app.texter.example/chats/c-{}",
                account.aid
            )),
            ..Chat::default()
        };
        Ok(Self {
            ui: ui_origin(&account.ui_url),
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
            ui: self.ui.clone(),
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
            .replace("{ui}", &self.ui)
            .replace("{chat_url}", self.chat.url.as_deref().unwrap_or_default());
        if out.contains("{new_lid}") {
            out = out.replace("{new_lid}", &self.newest_lead()?.lid.to_string());
        }
        Ok(out)
    }
}

impl Drop for LeadimWorld {
    fn drop(&mut self) {
        for fault in &self.faults {
            self.ctx.sim.clear_fault(fault.id);
        }
    }
}

/// Lead.IM's UI (`https://sys.lead.im`) and its API (`https://api.lead.im`,
/// `https://proxy.leadim.xyz`) are different hosts, so the suite serves the UI on
/// another origin than the API: the same simulator, named `localhost` where the API
/// URLs say `127.0.0.1` (and the other way round). An adapter that builds deep links
/// on the API's origin instead of `endpoints.ui` then gets them wrong.
pub fn ui_origin(api_base: &str) -> String {
    if let Some(rest) = api_base.strip_prefix("http://127.0.0.1") {
        format!("http://localhost{rest}")
    } else if let Some(rest) = api_base.strip_prefix("http://localhost") {
        format!("http://127.0.0.1{rest}")
    } else {
        api_base.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ui_is_another_origin_of_the_same_simulator() {
        assert_eq!(ui_origin("http://127.0.0.1:7010"), "http://localhost:7010");
        assert_eq!(ui_origin("http://localhost:7010"), "http://127.0.0.1:7010");
        assert_eq!(ui_origin("https://sys.lead.im"), "https://sys.lead.im");
    }
}
