//! openTicket: the form fields the protocol maps a case onto, and the result.

use leadim_simulator::Endpoint;
use serde_json::Value;

use super::{
    Exchange, Findings, Violation, check_kept, requests_to, response, same_scalar, shown,
    text_difference,
};
use crate::properties::cases::OpenTicketCase;
use crate::properties::rules::{self, Rule};
use crate::protocol::{AdapterRequest, Direction, Message, Outcome};

/// The openTicket fields the protocol maps the case onto, with the rule of each.
fn expected_submit(
    case: &OpenTicketCase,
    request: &AdapterRequest,
) -> Vec<(&'static str, String, &'static Rule)> {
    let answer = |node: &Option<Option<String>>| {
        node.clone()
            .flatten()
            .filter(|text| !text.trim().is_empty())
    };
    let message: Vec<&str> = case
        .messages
        .iter()
        .filter(|m| m.direction == Direction::Outgoing)
        .filter_map(Message::sent_text)
        .collect();
    let config = &request.crm_config;
    vec![
        (
            "lm_form",
            config.lm_form().unwrap_or_default(),
            &rules::OPEN_FORM_KEYS,
        ),
        (
            "lm_key",
            config.lm_key.clone().unwrap_or_default(),
            &rules::OPEN_FORM_KEYS,
        ),
        ("lm_redirect", "no".to_owned(), &rules::OPEN_FORM_KEYS),
        (
            "fld_name",
            answer(&case.name)
                .or_else(|| case.title.clone())
                .unwrap_or_default(),
            &rules::OPEN_FLD_NAME,
        ),
        ("fld_phone", case.number.display(), &rules::OPEN_FLD_PHONE),
        (
            "fld_email",
            answer(&case.email).unwrap_or_default(),
            &rules::OPEN_FLD_EMAIL,
        ),
        ("fld_message", message.join("\n"), &rules::OPEN_FLD_MESSAGE),
        ("chat_url", case.url.clone(), &rules::OPEN_CHAT_URL),
    ]
}

/// The rules an openTicket exchange breaks.
pub fn open_ticket(case: &OpenTicketCase, exchange: &Exchange) -> Vec<Violation> {
    let response = match response(exchange) {
        Ok(response) => response,
        Err(violations) => return violations,
    };
    let mut findings = Findings::default();
    let submits = requests_to(exchange, Endpoint::Submit);
    let [entry] = submits.as_slice() else {
        findings.add(
            &rules::OPEN_ONE_SUBMIT,
            format!("the simulator received {} submit requests", submits.len()),
        );
        return findings.done();
    };
    for (key, expected, rule) in expected_submit(case, &exchange.request) {
        // An absent parameter counts as empty, as Lead.IM stores it.
        let sent = entry.param(key).unwrap_or_default();
        findings.unless(sent == expected, rule, || {
            format!("{key}: {}", text_difference(&expected, sent))
        });
    }
    let lid: Option<Value> = serde_json::from_str::<Value>(&entry.answer)
        .ok()
        .and_then(|answer| answer.get("result").cloned());
    let before = exchange.request.chat.crm_data.clone().unwrap_or_default();
    let after = response.crm_data_or_empty();
    match (response.outcome, lid) {
        (Outcome::Complete, Some(lid)) => {
            let result = after.get("result");
            if result.is_some_and(|r| same_scalar(r, &lid)) {
                findings.unless(
                    result.is_some_and(Value::is_number),
                    &rules::OPEN_RESULT_IS_NUMBER,
                    || {
                        format!(
                            "crmData.result is {}, expected the number {lid}",
                            shown(result)
                        )
                    },
                );
            } else {
                findings.add(
                    &rules::OPEN_RESULT,
                    format!("crmData.result is {}, expected {lid}", shown(result)),
                );
            }
            check_kept(&mut findings, &before, &after, |k| k == "result");
        }
        (Outcome::Failure, Some(lid)) => findings.add(
            &rules::OPEN_RESULT,
            format!(
                "Lead.IM created lead {lid}, and the adapter answered failure ({})",
                response.error.as_deref().unwrap_or("no error given")
            ),
        ),
        // Refused (the form keys' rule says why): failure is the right answer.
        (Outcome::Failure, None) => {}
        (Outcome::Complete, None) => findings.add(
            &rules::OPEN_RESULT,
            format!(
                "Lead.IM refused the submit ({}), and the adapter answered complete",
                entry.answer
            ),
        ),
    }
    findings.done()
}
