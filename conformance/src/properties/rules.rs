//! The rules the property mode checks, each with its level. The same ids and words
//! are in `docs/adapter-protocol.md`, "Properties" (a test keeps the two together).

use crate::suite::report::Level;

/// One rule of protocol v1 that a generated case can break.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, as in `docs/adapter-protocol.md`.
    pub id: &'static str,
    /// MUST (what the seed or the protocol states) or SHOULD (robustness).
    pub level: Level,
    /// The rule in one sentence.
    pub text: &'static str,
}

const fn must(id: &'static str, text: &'static str) -> Rule {
    Rule {
        id,
        level: Level::Must,
        text,
    }
}

const fn should(id: &'static str, text: &'static str) -> Rule {
    Rule {
        id,
        level: Level::Should,
        text,
    }
}

/// Every call is answered with a protocol-v1 response.
pub static ANSWER: Rule = must(
    "answer",
    "every call is answered: exit status 0 and one JSON response on stdout",
);
/// Keys a function does not set stay as the chat had them.
pub static KEEPS_CRM_DATA: Rule = must(
    "keeps-crmdata",
    "every key of the chat's crmData that the function does not set is returned as it was",
);
/// `crmData.id` is text.
pub static ID_IS_TEXT: Rule = must(
    "id-is-text",
    "crmData.id is a JSON string, whether the lead id came as a number or as text",
);

/// openTicket sends exactly one submit.
pub static OPEN_ONE_SUBMIT: Rule = must(
    "open-one-submit",
    "openTicket sends exactly one request to endpoints.submit",
);
/// The form's own keys.
pub static OPEN_FORM_KEYS: Rule = must(
    "open-form-keys",
    "the submit carries lm_form (as text; a number as its digits), lm_key and lm_redirect=no",
);
/// `fld_name`.
pub static OPEN_FLD_NAME: Rule = must(
    "open-fld_name",
    "fld_name is the lead_get_name answer exactly as typed; an absent, empty or blank answer falls back to the chat title (empty without one)",
);
/// `fld_phone`.
pub static OPEN_FLD_PHONE: Rule = must(
    "open-fld_phone",
    "fld_phone is the chat phone as Israelis write it: 05X-XXX-XXXX, 07X-XXX-XXXX, 0X-XXX-XXXX for 02/03/04/08/09",
);
/// `fld_email`.
pub static OPEN_FLD_EMAIL: Rule = must(
    "open-fld_email",
    "fld_email is the lead_get_email answer exactly as typed; an absent, empty or blank answer sends it empty",
);
/// `fld_message`.
pub static OPEN_FLD_MESSAGE: Rule = must(
    "open-fld_message",
    "fld_message is the text of every outgoing message that has one, in order, joined by \\n: untrimmed, and whole at any length (Lead.IM, not the adapter, caps it at 3,500 characters)",
);
/// `chat_url`.
pub static OPEN_CHAT_URL: Rule = must("open-chat_url", "chat_url is chat.url exactly");
/// The new lead's id on crmData.
pub static OPEN_RESULT: Rule = must(
    "open-result",
    "on Lead.IM's success answer, openTicket completes with crmData.result = the new lead's id",
);
/// `crmData.result` is a number.
pub static OPEN_RESULT_IS_NUMBER: Rule = must(
    "open-result-is-number",
    "crmData.result is a JSON number, as Lead.IM sends it",
);

/// The lookup requests.
pub static LOOKUP_REQUEST: Rule = must(
    "lookup-request",
    "a lookup sends only GETs of getCustomerDetailsUrl with by_phone and the X-LEAD-IM-AUTH token, the first with the chat phone exactly",
);
/// The phone formats a lookup tries.
pub static LOOKUP_FORMATS: Rule = should(
    "lookup-formats",
    "after the chat phone, a lookup tries 0… and then 0XX-XXX-XXXX, and stops at the first that finds a lead (other formats only after these three)",
);
/// A lead in an answer is taken.
pub static LOOKUP_FOUND: Rule = must(
    "lookup-found",
    "when an answer lists a lead, the lookup completes with it",
);
/// No lead, no completion.
pub static LOOKUP_NO_MATCH: Rule = must(
    "lookup-no-match",
    "when no answer lists a lead, the lookup fails and returns crmData as it was",
);
/// The newest lead.
pub static LOOKUP_NEWEST: Rule = must(
    "lookup-newest",
    "the lead taken is the first of the answer's data: the newest by created_at, then updated_at, then lead id",
);
/// Every field of the lead.
pub static LOOKUP_FIELDS: Rule = must(
    "lookup-fields",
    "every field of the lead is on crmData under its Lead.IM (Hebrew) name, with its value as Lead.IM sent it",
);
/// `id`.
pub static LOOKUP_ID: Rule = must("lookup-id", "crmData.id is the lead's lid");
/// `name`.
pub static LOOKUP_NAME: Rule = must(
    "lookup-name",
    "crmData.name is the lead's nameField field (שם when nameField is absent or empty); without that field, name stays as the chat had it",
);
/// `phone`.
pub static LOOKUP_PHONE: Rule = must(
    "lookup-phone",
    "crmData.phone is the lead's phone as Lead.IM stored it",
);
/// `deepLink`.
pub static LOOKUP_DEEP_LINK: Rule = must(
    "lookup-deeplink",
    "crmData.deepLink is {ui}/a/{aid}/leads/{lid}",
);

/// Display mode sends nothing.
pub static DISPLAY_NO_REQUEST: Rule = must(
    "display-no-request",
    "with onlyDisplayData true (or the text \"true\", any case), getCustomerDetails sends no request",
);
/// No crmData, failure.
pub static DISPLAY_NO_CRM_DATA: Rule = must(
    "display-no-crmdata",
    "display mode on a chat without crmData fails",
);
/// crmData, complete.
pub static DISPLAY_COMPLETE: Rule = must(
    "display-complete",
    "display mode on a chat with crmData ({} included) completes",
);
/// `id`.
pub static DISPLAY_ID: Rule = must(
    "display-id",
    "crmData.id is lid of the aid+lid pair, else pp_lid of the pp_aid+pp_lid pair (an empty or null id is no id, and pairs do not mix); without a pair, id stays as the chat had it",
);
/// `deepLink`.
pub static DISPLAY_DEEP_LINK: Rule = must(
    "display-deeplink",
    "crmData.deepLink is {ui}/a/{aid}/leads/{lid} of that pair, {ui}/a/ without one",
);
/// `name`.
pub static DISPLAY_NAME: Rule = must(
    "display-name",
    "crmData.name is crmData's nameField value when there is one (not null); otherwise name stays as the chat had it",
);
/// `phone`.
pub static DISPLAY_PHONE: Rule = must("display-phone", "crmData.phone is the chat phone");

/// Every rule, in the order a case's violations are reported: MUST before SHOULD.
pub static RULES: &[&Rule] = &[
    &ANSWER,
    &OPEN_ONE_SUBMIT,
    &OPEN_FORM_KEYS,
    &OPEN_FLD_NAME,
    &OPEN_FLD_PHONE,
    &OPEN_FLD_EMAIL,
    &OPEN_FLD_MESSAGE,
    &OPEN_CHAT_URL,
    &OPEN_RESULT,
    &LOOKUP_REQUEST,
    &LOOKUP_FOUND,
    &LOOKUP_NO_MATCH,
    &LOOKUP_NEWEST,
    &LOOKUP_FIELDS,
    &LOOKUP_ID,
    &LOOKUP_NAME,
    &LOOKUP_PHONE,
    &LOOKUP_DEEP_LINK,
    &DISPLAY_NO_REQUEST,
    &DISPLAY_NO_CRM_DATA,
    &DISPLAY_COMPLETE,
    &DISPLAY_ID,
    &DISPLAY_DEEP_LINK,
    &DISPLAY_NAME,
    &DISPLAY_PHONE,
    &KEEPS_CRM_DATA,
    &OPEN_RESULT_IS_NUMBER,
    &ID_IS_TEXT,
    &LOOKUP_FORMATS,
];

/// A rule's place in [`RULES`], for ordering violations.
pub fn rank(rule: &Rule) -> usize {
    RULES
        .iter()
        .position(|r| r.id == rule.id)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_must_comes_first() {
        for (i, rule) in RULES.iter().enumerate() {
            assert_eq!(rank(rule), i, "{} appears twice", rule.id);
        }
        let first_should = RULES.iter().position(|r| r.level == Level::Should);
        let last_must = RULES.iter().rposition(|r| r.level == Level::Must);
        assert!(
            first_should > last_must,
            "every MUST rule before the SHOULD ones"
        );
    }

    #[test]
    fn every_rule_is_stated_in_the_protocol_doc() {
        let doc = include_str!("../../../docs/adapter-protocol.md");
        for rule in RULES {
            // A row of the "Properties" table: | `id` | LEVEL | text |
            let row = format!("| `{}` | {} |", rule.id, rule.level);
            assert!(
                doc.lines().any(|l| l.starts_with(&row)),
                "docs/adapter-protocol.md has no row starting {row:?}"
            );
        }
    }
}
