//! Texter bot flows: the seed's YAML snippets run verbatim through the flow runner,
//! with only the seed's placeholders (`YOUR_LM_FORM`, `YOUR_TOKEN`,
//! `https://api.lead.im`, …) replaced by the scenario's account and simulator.

#![expect(
    clippy::needless_pass_by_value,
    reason = "cucumber parses each captured step argument with `FromStr` into an owned value, so a step function cannot borrow it"
)]

use std::collections::BTreeMap;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::Value;

use super::{StepResult, TokenChoice, docstring, ensure, pairs, string_literal};
use crate::flow::template::Scope;
use crate::flow::{Flow, FlowContext, FlowEnd, Param, substitute_placeholders};
use crate::suite::{FlowEdit, FlowRun, LeadimWorld, describe_end};

impl LeadimWorld {
    fn seed_flow(&mut self, name: &str) -> StepResult {
        let yaml = self
            .ctx()
            .flows
            .get(name)
            .cloned()
            .ok_or_else(|| format!("the seed has no flow {name:?}"))?;
        self.flow.sources.push(yaml);
        Ok(())
    }

    /// The seed's placeholders and the values they stand for in this scenario.
    fn placeholders(&self) -> BTreeMap<String, String> {
        let base = self.ctx().sim.base_url().to_owned();
        let mut subs: BTreeMap<String, String> = [
            ("YOUR_LM_FORM", self.account.lm_form.clone()),
            ("YOUR_LM_KEY", self.account.lm_key.clone()),
            ("YOUR_TOKEN", self.account.token.clone()),
            ("YOUR_ACCOUNT_ID", self.account.aid.to_string()),
            ("https://api.lead.im", base.clone()),
            ("https://proxy.leadim.xyz", base),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        subs.extend(self.flow.placeholders.clone());
        subs
    }

    /// Substitutes, parses and merges the flow's sources, then applies the edits.
    fn build_flow(&self) -> Result<Flow, String> {
        let subs = self.placeholders();
        let pairs: Vec<(&str, &str)> = subs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut flow = Flow::default();
        for yaml in &self.flow.sources {
            let local = substitute_placeholders(yaml, &pairs);
            flow.extend(Flow::from_yaml(&local).map_err(|e| e.to_string())?);
        }
        for edit in &self.flow.edits {
            let (FlowEdit::OnComplete { node, .. } | FlowEdit::Data { node, .. }) = edit;
            let target = flow
                .nodes
                .get_mut(node)
                .ok_or_else(|| format!("the flow has no node {node:?}"))?;
            match edit {
                FlowEdit::OnComplete { next, .. } => target.on_complete = Some(next.clone()),
                FlowEdit::Data { key, value, .. } => {
                    let Param::Map(params) = &mut target.params else {
                        return Err(format!("node {node:?} has no params"));
                    };
                    let data = params
                        .entry("data".into())
                        .or_insert_with(|| Param::Map(Default::default()));
                    let Param::Map(data) = data else {
                        return Err(format!("node {node:?}'s data is not a map"));
                    };
                    data.insert(key.clone(), Param::Scalar(Value::String(value.clone())));
                }
            }
        }
        Ok(flow)
    }

    fn flow_run(&self) -> Result<&FlowRun, String> {
        self.flow_run
            .as_ref()
            .ok_or_else(|| "no flow ran in this scenario".into())
    }
}

#[given(regex = r#"^the seed's flow "(\w+)"$"#)]
fn seed_flow(w: &mut LeadimWorld, name: String) -> StepResult {
    w.seed_flow(&name)
}

#[given(regex = r#"^the seed's flows "(\w+)" and "(\w+)"$"#)]
fn seed_flows(w: &mut LeadimWorld, first: String, second: String) -> StepResult {
    w.seed_flow(&first)?;
    w.seed_flow(&second)
}

/// More nodes, in the seed's YAML form (placeholders are replaced the same way).
#[given("the flow also has these nodes:")]
fn inline_nodes(w: &mut LeadimWorld, step: &Step) -> StepResult {
    w.flow.sources.push(docstring(step)?.to_owned());
    Ok(())
}

#[given(regex = r#"^the flow's placeholder (\w+) stands for (".*")$"#)]
fn placeholder(w: &mut LeadimWorld, name: String, value: String) -> StepResult {
    let value = w.expand(&string_literal(&value)?)?;
    w.flow.placeholders.insert(name, value);
    Ok(())
}

#[given(expr = "the flow's YOUR_TOKEN is {token}")]
fn flow_token(w: &mut LeadimWorld, token: TokenChoice) {
    let token = w.token(token);
    w.flow.placeholders.insert("YOUR_TOKEN".into(), token);
}

#[given(regex = r#"^node "(\w+)" continues on_complete to "(\w+)"$"#)]
fn on_complete(w: &mut LeadimWorld, node: String, next: String) {
    w.flow.edits.push(FlowEdit::OnComplete { node, next });
}

#[given(regex = r#"^node "(\w+)" sends (\S+) = (".*")$"#)]
fn sends(w: &mut LeadimWorld, node: String, key: String, value: String) -> StepResult {
    let value = string_literal(&value)?;
    w.flow.edits.push(FlowEdit::Data { node, key, value });
    Ok(())
}

/// `| parameter | value |` rows added to the node's `data`.
#[given(regex = r#"^node "(\w+)" also sends:$"#)]
fn also_sends(w: &mut LeadimWorld, node: String, step: &Step) -> StepResult {
    for (key, value) in pairs(step)? {
        w.flow.edits.push(FlowEdit::Data {
            node: node.clone(),
            key,
            value,
        });
    }
    Ok(())
}

#[when(regex = r#"^the flow runs from "(\w+)"$"#)]
async fn run_flow(w: &mut LeadimWorld, start: String) -> StepResult {
    let flow = w.build_flow()?;
    let mut ctx = FlowContext::new(w.chat.clone(), w.crm_config.clone(), w.endpoints());
    let outcome = w.ctx().runner.run(&flow, &start, &mut ctx).await;
    w.chat = ctx.chat.clone();
    w.flow_run = Some(FlowRun { outcome, ctx });
    Ok(())
}

#[then(regex = r#"^the flow reaches "(\w+)"$"#)]
fn reaches(w: &mut LeadimWorld, node: String) -> StepResult {
    let run = w.flow_run()?;
    match &run.outcome.end {
        FlowEnd::Reached(reached) if *reached == node => Ok(()),
        FlowEnd::Reached(reached) => {
            Err(format!("the flow reached {reached:?}, expected {node:?}"))
        }
        other => Err(format!(
            "the flow did not reach {node:?}: it {}",
            describe_end(other)
        )),
    }
}

/// `create_lead → update_lead → done`: the nodes run, then the end reached.
#[then(regex = r"^the flow went (.+)$")]
fn went(w: &mut LeadimWorld, path: String) -> StepResult {
    let run = w.flow_run()?;
    let mut actual: Vec<String> = run.outcome.trace.iter().map(|s| s.node.clone()).collect();
    actual.extend(run.outcome.reached().map(str::to_owned));
    let expected: Vec<String> = path.split('→').map(|s| s.trim().to_owned()).collect();
    ensure(actual == expected, || {
        format!(
            "the flow went {}, expected {}",
            actual.join(" → "),
            expected.join(" → ")
        )
    })
}

#[then(regex = r#"^node "(\w+)" got HTTP status (\d+)$"#)]
fn node_status(w: &mut LeadimWorld, node: String, status: u16) -> StepResult {
    let run = w.flow_run()?;
    let got = run.ctx.state.get(&node).and_then(|s| s.status_code);
    ensure(got == Some(status), || {
        format!("node {node:?} got status {got:?}, expected {status}")
    })
}

/// A placeholder template rendered against the chat and node state after the flow
/// (or against the chat alone when no flow ran).
#[then(regex = r#"^'(.*)' renders as (".*")$"#)]
fn renders(w: &mut LeadimWorld, template: String, expected: String) -> StepResult {
    let expected = w.expand(&string_literal(&expected)?)?;
    let scope = match &w.flow_run {
        Some(run) => Scope::from_context(&run.ctx),
        None => Scope::new(&w.chat, &BTreeMap::new()),
    };
    let text = scope.render(&template).map_err(|e| e.to_string())?;
    ensure(text == expected, || {
        format!("{template} renders as {text:?}, expected {expected:?}")
    })
}
