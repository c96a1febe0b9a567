//! One property's search for a broken rule, on proptest's [`TestRunner`]: generate
//! cases from a seeded RNG, play each against the adapter and the simulator, and,
//! when one breaks a rule, let proptest shrink it to a minimal case that breaks the
//! same rule.
//!
//! proptest's runner is synchronous and a case is an async exchange, so the search
//! runs on a blocking thread and plays each case with [`Handle::block_on`].

use std::cell::{Cell, RefCell};
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use leadim_simulator::{AccountConfig, SeedLead, SimulatorHandle};
use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use tokio::runtime::Handle;

use super::cases::{DisplayCase, LookupCase, OpenTicketCase};
use super::checks::{self, Exchange, Violation};
use crate::adapter::AdapterUnderTest;
use crate::protocol::AdapterRequest;
use crate::suite::report::Level;

/// Shrinking steps at most, each one adapter call: enough to strip a generated
/// chat to the piece that matters, short enough for a slow adapter.
const MAX_SHRINK_ITERS: u32 = 256;

/// What every search of a run shares: the simulator and the adapter under test.
#[derive(Debug)]
pub(crate) struct Bench {
    pub sim: SimulatorHandle,
    pub adapter: AdapterUnderTest,
    /// How long one call may take before the search gives up on it.
    pub give_up: Duration,
}

impl Bench {
    /// Plays a case on a fresh account: seeds its leads, calls the adapter, and
    /// reads what the simulator received. `Err` when the leads cannot be seeded (a
    /// case the store refuses, which the search skips).
    pub async fn play(
        &self,
        leads: Vec<SeedLead>,
        request: impl FnOnce(&AccountConfig) -> AdapterRequest,
    ) -> Result<Exchange, String> {
        let account = self.sim.create_account();
        let store = self.sim.store();
        let lids = store
            .seed_leads(account.aid, leads)
            .map_err(|e| e.to_string())?;
        let seeded = lids
            .iter()
            .filter_map(|lid| store.lead(account.aid, *lid))
            .collect();
        let request = request(&account);
        let call = self.adapter.call_with_stderr(&request);
        let (answer, stderr) = match tokio::time::timeout(self.give_up, call).await {
            Ok((answer, stderr)) => (answer.map_err(|e| e.to_string()), stderr),
            Err(_) => (Err(format!("no answer within {:?}", self.give_up)), None),
        };
        Ok(Exchange {
            request,
            answer,
            stderr,
            journal: self.sim.journal_for(account.aid),
            seeded,
        })
    }
}

/// A property: its cases, how one is played, and the rules it checks.
pub(crate) trait Property: Send + Sync + 'static {
    /// One generated case.
    type Case: Debug + Clone + Send + 'static;

    /// The cases, shrinking towards the plainest.
    fn strategy(&self) -> BoxedStrategy<Self::Case>;

    /// The leads Lead.IM holds for the case.
    fn leads(&self, _case: &Self::Case) -> Result<Vec<SeedLead>, String> {
        Ok(Vec::new())
    }

    /// The request the adapter gets for the case, on `account`.
    fn request(&self, case: &Self::Case, account: &AccountConfig) -> AdapterRequest;

    /// The rules the exchange breaks, MUST first.
    fn check(&self, case: &Self::Case, exchange: &Exchange) -> Vec<Violation>;
}

/// openTicket.
pub(crate) struct OpenTicket;
/// getCustomerDetails, lookup mode.
pub(crate) struct Lookup;
/// getCustomerDetails, display mode.
pub(crate) struct Display;

impl Property for OpenTicket {
    type Case = OpenTicketCase;

    fn strategy(&self) -> BoxedStrategy<Self::Case> {
        OpenTicketCase::strategy().boxed()
    }

    fn request(&self, case: &Self::Case, account: &AccountConfig) -> AdapterRequest {
        case.request(account)
    }

    fn check(&self, case: &Self::Case, exchange: &Exchange) -> Vec<Violation> {
        checks::open_ticket(case, exchange)
    }
}

impl Property for Lookup {
    type Case = LookupCase;

    fn strategy(&self) -> BoxedStrategy<Self::Case> {
        LookupCase::strategy().boxed()
    }

    fn leads(&self, case: &Self::Case) -> Result<Vec<SeedLead>, String> {
        case.leads
            .iter()
            .map(|lead| lead.seed(&case.number).map_err(|e| e.to_string()))
            .collect()
    }

    fn request(&self, case: &Self::Case, account: &AccountConfig) -> AdapterRequest {
        case.request(account)
    }

    fn check(&self, case: &Self::Case, exchange: &Exchange) -> Vec<Violation> {
        checks::lookup(case, exchange)
    }
}

impl Property for Display {
    type Case = DisplayCase;

    fn strategy(&self) -> BoxedStrategy<Self::Case> {
        DisplayCase::strategy().boxed()
    }

    fn request(&self, case: &Self::Case, account: &AccountConfig) -> AdapterRequest {
        case.request(account)
    }

    fn check(&self, case: &Self::Case, exchange: &Exchange) -> Vec<Violation> {
        checks::display(case, exchange)
    }
}

/// A minimal case that breaks a rule, and what it did.
#[derive(Debug, Clone)]
pub struct Found {
    /// The rule, and how the case broke it.
    pub violation: Violation,
    /// The exchange of the minimal case.
    pub exchange: Exchange,
    /// Cases played before the first that broke the rule, that one included.
    pub found_after: u32,
    /// Cases played while shrinking.
    pub shrink_steps: u32,
}

/// How a search ended.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Every case kept every rule.
    Passed,
    /// A case broke a rule (the MUST ones are searched first).
    Failed(Box<Found>),
    /// The search could not run to the end (proptest gave up).
    Aborted(String),
}

/// The RNG of one property of a run: from the run's seed and the property's index,
/// so that a property replays alone (`--property`) exactly as in a full run.
fn rng(seed: u64, property_index: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&property_index.to_le_bytes());
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// proptest's configuration, every knob the environment could change set here, so
/// that a seed replays the same cases anywhere.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: MAX_SHRINK_ITERS,
        max_shrink_time: 0,
        max_local_rejects: 10_000,
        max_global_rejects: 1_000,
        timeout: 0,
        fork: false,
        verbose: 0,
        rng_algorithm: RngAlgorithm::ChaCha,
        source_file: None,
        test_name: None,
        result_cache: proptest::test_runner::noop_result_cache,
        ..Config::default()
    }
}

/// Which violations a pass of the search counts: the first pass every MUST rule,
/// the second only the SHOULD rule the first pass saw broken.
#[derive(Debug, Clone, Copy)]
enum Counted {
    Must,
    Rule(&'static str),
}

/// What one pass of the search saw.
struct Pass<C> {
    verdict: Result<(), TestError<C>>,
    last: Option<(Violation, Exchange)>,
    found_after: u32,
    shrink_steps: u32,
    should_seen: Option<&'static str>,
}

/// Searches one property: MUST rules first; when none breaks but a SHOULD one did,
/// a second pass over the same cases shrinks that one.
pub(crate) fn search<P: Property>(
    property: &P,
    bench: &Arc<Bench>,
    handle: &Handle,
    (seed, index, cases): (u64, u64, u32),
) -> Verdict {
    let first = one_pass(
        property,
        bench,
        handle,
        rng(seed, index),
        cases,
        Counted::Must,
    );
    let pass = match (&first.verdict, first.should_seen) {
        (Ok(()), Some(rule)) => one_pass(
            property,
            bench,
            handle,
            rng(seed, index),
            cases,
            Counted::Rule(rule),
        ),
        _ => first,
    };
    match (pass.verdict, pass.last) {
        (Ok(()), _) => Verdict::Passed,
        (Err(TestError::Fail(_, _)), Some((violation, exchange))) => {
            Verdict::Failed(Box::new(Found {
                violation,
                exchange,
                found_after: pass.found_after,
                shrink_steps: pass.shrink_steps,
            }))
        }
        (Err(TestError::Fail(reason, _)), None) => Verdict::Aborted(reason.to_string()),
        (Err(TestError::Abort(reason)), _) => Verdict::Aborted(reason.to_string()),
    }
}

/// One run of proptest's runner, counting the violations `counted` names.
fn one_pass<P: Property>(
    property: &P,
    bench: &Arc<Bench>,
    handle: &Handle,
    rng: TestRng,
    cases: u32,
    counted: Counted,
) -> Pass<P::Case> {
    let pinned: Cell<Option<&'static str>> = Cell::new(match counted {
        Counted::Must => None,
        Counted::Rule(rule) => Some(rule),
    });
    let last = RefCell::new(None);
    let (played, found_after) = (Cell::new(0u32), Cell::new(None::<u32>));
    let should_seen = Cell::new(None);
    let mut runner = TestRunner::new_with_rng(config(cases), rng);
    let verdict = runner.run(&property.strategy(), |case| {
        let leads = property.leads(&case).map_err(TestCaseError::reject)?;
        let exchange = handle
            .block_on(bench.play(leads, |account| property.request(&case, account)))
            .map_err(TestCaseError::reject)?;
        played.set(played.get() + 1);
        let violations = property.check(&case, &exchange);
        if should_seen.get().is_none() {
            let should = violations.iter().find(|v| v.rule.level == Level::Should);
            should_seen.set(should.map(|v| v.rule.id));
        }
        let broken = violations.into_iter().find(|v| match pinned.get() {
            Some(rule) => v.rule.id == rule,
            None => v.rule.level == Level::Must,
        });
        let Some(violation) = broken else {
            return Ok(());
        };
        pinned.set(Some(violation.rule.id));
        if found_after.get().is_none() {
            found_after.set(Some(played.get()));
        }
        let reason = format!("{}: {}", violation.rule.id, violation.detail);
        *last.borrow_mut() = Some((violation, exchange));
        Err(TestCaseError::fail(reason))
    });
    let found_after = found_after.get().unwrap_or(0);
    Pass {
        verdict,
        last: last.into_inner(),
        found_after,
        shrink_steps: played.get().saturating_sub(found_after),
        should_seen: should_seen.get(),
    }
}
