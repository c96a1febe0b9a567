//! The modeled rules: what the simulator decides where the real service's behaviour
//! is not known. `GET /__admin/divergences` and `leadim-sim --divergences` list
//! them, and `docs/contract.md` explains each under the same id (a test checks that
//! every id here appears there).

use serde::Serialize;

/// One modeled rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable id, also the anchor in `docs/contract.md`.
    pub id: &'static str,
    /// The endpoint or area it concerns.
    pub area: &'static str,
    /// What the simulator does.
    pub rule: &'static str,
}

/// Every modeled rule in force.
pub const MODELED: &[Rule] = &[
    Rule {
        id: "M1-data-model",
        area: "all",
        rule: "Accounts, forms, tokens and the lead object's keys beyond status_id and fields (aid, lid, form_id, created_at, updated_at, phone, utm_*, lm_source) are the simulator's model.",
    },
    Rule {
        id: "M2-cut-diagnostic",
        area: "/v2/submit",
        rule: "Values over the cap are cut to the cap in characters (msg, lm_source and the form's message field such as fld_message: 3500; everything else: 300) and the cut is journaled.",
    },
    Rule {
        id: "M3-redirect",
        area: "/v2/submit",
        rule: "Without lm_redirect=no or lm_format=json the answer is 302 to lm_redirect when it is an absolute http(s) URL, else to the form's thank-you URL; the lead is created either way.",
    },
    Rule {
        id: "M4-decode-failure",
        area: "all",
        rule: "Undecodable input (invalid UTF-8, broken percent-encoding, duplicate parameters, empty names, unsupported content types) gets the endpoint's failure envelope with HTTP 200 and a message naming the problem; on /v2/submit that envelope has no code.",
    },
    Rule {
        id: "M5-lookup-failures",
        area: "leads_get.ashx, lead_get.ashx",
        rule: "Missing or wrong token, another account's token, a write-only token, a missing by_phone/by_id answer HTTP 200 with the failure envelope, as the update endpoint is observed to do.",
    },
    Rule {
        id: "M6-update-json",
        area: "lead_update.ashx",
        rule: "A JSON object body is accepted besides form-encoded and multipart; numbers and booleans become text.",
    },
    Rule {
        id: "M7-update-unknown-keys",
        area: "lead_update.ashx",
        rule: "A key that is neither a form field key nor a field name is ignored and journaled; a non-numeric status_id/state_id refuses the whole update; caps apply as on submit.",
    },
    Rule {
        id: "M8-lead-page",
        area: "/a/{aid}/leads/{lid}",
        rule: "The lead page is a right-to-left HTML page of the lead's fields, served without login; an unknown lead is a 404 page.",
    },
    Rule {
        id: "M9-newest-first",
        area: "leads_get.ashx",
        rule: "Newest first means by created_at, then updated_at, then lead id, descending.",
    },
    Rule {
        id: "M10-implied-keys",
        area: "/v2/submit",
        rule: "Every form knows name, phone, email and msg (the v2 API's documented fields) even when its definition omits them, mapped to שם, טלפון, דוא\"ל and הודעה; utm_*, lm_source, lm_redirect and lm_format are never unknown.",
    },
    Rule {
        id: "M11-submit-body",
        area: "/v2/submit",
        rule: "A POST takes form-encoded or multipart bodies (not JSON); body values win over query values; a GET's body is ignored.",
    },
    Rule {
        id: "M12-disabled-account-api",
        area: "leads_get.ashx, lead_get.ashx, lead_update.ashx",
        rule: "A disabled account's tokens are refused with 'account N is disabled'.",
    },
    Rule {
        id: "M13-phone-match-option",
        area: "leads_get.ashx",
        rule: "Exact phone matching is the default, as observed; --phone-match normalized (a simulator convenience) matches every Israeli format of one number.",
    },
    Rule {
        id: "M15-cors-values",
        area: "/apiproxy/ (CORS)",
        rule: "The proxy allows any origin (*), GET, POST and OPTIONS, the headers x-lead-im-auth and content-type, for 600 s; that browsers call it is observed, the values are ours.",
    },
    Rule {
        id: "M16-routing",
        area: "lead_update.ashx route_adv",
        rule: "route_adv=true routes the lead to every advertiser user of its account; another value leaves the routing alone.",
    },
    Rule {
        id: "M17-duplicates",
        area: "/v2/submit, v1, cors",
        rule: "A form with reject_duplicates_secs answers -50 to a submission equal (in any order) to one it accepted within that window; the real window is unknown.",
    },
    Rule {
        id: "M18-v1-undecodable",
        area: "/v1/submit",
        rule: "Parameters that cannot be decoded answer -999 as text.",
    },
    Rule {
        id: "M19-phone-format",
        area: "forms",
        rule: "A form stores the phone as sent (default), as 0… or as 972…, set per form.",
    },
    Rule {
        id: "M14-unknown-key-dropped",
        area: "/v2/submit",
        rule: "A parameter the form does not know is dropped with a journal note; the lead stays valid (observed). Whether Lead.IM keeps it anywhere is unknown.",
    },
    Rule {
        id: "M20-lookup-cap",
        area: "leads_get.ashx",
        rule: "A lookup answers with at most 500 leads: when more have the phone, the 500 stored under it last (a lead counts as stored under a phone when it is created, seeded, or updated to that phone), newest first; the journal says how many there were.",
    },
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_modeled_rule_is_explained_in_the_contract_doc() {
        let doc = include_str!("../../docs/contract.md");
        for rule in super::MODELED {
            assert!(
                doc.contains(rule.id),
                "docs/contract.md does not explain {}",
                rule.id
            );
        }
    }
}
