//! The chat a scenario runs on: the contact's phone and title, the conversation,
//! and what prompt nodes collected.

#![expect(
    clippy::needless_pass_by_value,
    reason = "cucumber parses each captured step argument with `FromStr` into an owned value, so a step function cannot borrow it"
)]

use cucumber::gherkin::Step;
use cucumber::given;

use super::{StepResult, docstring, string_literal};
use crate::protocol::{Direction, Message, NodeState};
use crate::suite::LeadimWorld;

#[given(regex = r#"^a chat with phone "([^"]*)" titled "([^"]*)"$"#)]
fn chat(w: &mut LeadimWorld, phone: String, title: String) {
    w.chat.phone = Some(phone);
    w.chat.title = Some(title);
}

#[given(regex = r#"^the chat's phone is "([^"]*)"$"#)]
fn chat_phone(w: &mut LeadimWorld, phone: String) {
    w.chat.phone = Some(phone);
}

/// `| direction | text |` rows, the header row first.
#[given("the chat's messages:")]
fn messages(w: &mut LeadimWorld, step: &Step) -> StepResult {
    let table = step.table.as_ref().ok_or("a | direction | text | table")?;
    for row in table.rows.iter().skip(1) {
        let [direction, text] = row.as_slice() else {
            return Err(format!("a message row needs two cells, got {row:?}"));
        };
        w.chat.messages.push(message(direction, text.clone())?);
    }
    Ok(())
}

/// The conversation as a JSON array of `{"direction": …, "text": …}`, for texts with
/// line breaks.
#[given("the chat's messages, as JSON:")]
fn messages_json(w: &mut LeadimWorld, step: &Step) -> StepResult {
    let messages: Vec<Message> =
        serde_json::from_str(docstring(step)?).map_err(|e| format!("messages: {e}"))?;
    w.chat.messages.extend(messages);
    Ok(())
}

fn message(direction: &str, text: String) -> Result<Message, String> {
    let direction = match direction.trim() {
        "incoming" => Direction::Incoming,
        "outgoing" => Direction::Outgoing,
        other => {
            return Err(format!(
                "direction {other:?} is neither incoming nor outgoing"
            ));
        }
    };
    Ok(Message::text(direction, text))
}

#[given(regex = r#"^the contact answered (\w+) with (".*")$"#)]
fn answered(w: &mut LeadimWorld, node: String, text: String) -> StepResult {
    let text = string_literal(&text)?;
    w.chat.nodes.insert(node, NodeState { text: Some(text) });
    Ok(())
}

/// A long Hebrew message of exactly `chars` characters (not bytes).
#[given(regex = r"^the contact answered (\w+) with a text of (\d+) characters$")]
fn answered_long(w: &mut LeadimWorld, node: String, chars: usize) {
    w.chat.nodes.insert(
        node,
        NodeState {
            text: Some(hebrew_text(chars)),
        },
    );
}

/// The conversation becomes one long outgoing Hebrew text (two bytes a letter in
/// UTF-8, so its bytes are about twice its characters).
#[given(regex = r"^the chat's only message is an outgoing text of (\d+) characters$")]
fn long_outgoing(w: &mut LeadimWorld, chars: usize) {
    w.chat.messages = vec![Message::text(Direction::Outgoing, hebrew_text(chars))];
}

/// Exactly `chars` characters of a Hebrew insurance quote, repeated.
fn hebrew_text(chars: usize) -> String {
    const PHRASE: &str = "שלום, אני מעוניין בהצעת מחיר לביטוח רכב ודירה. ";
    PHRASE.chars().cycle().take(chars).collect()
}
