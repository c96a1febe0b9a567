//! `lead_update.ashx`: form-encoded, multipart and JSON bodies; fields by key and by
//! Hebrew name; status; unknown keys; idempotence; refusals that leave the lead as it
//! was; and the phone index following a changed phone.

mod common;

use common::*;
use leadim_simulator::{LeadView, Simulator, SimulatorHandle};
use serde_json::json;

const SUCCESS: &str = r#"{"status":"success"}"#;

/// דנה כהן's lead in 3305.
async fn dana(sim: &SimulatorHandle) -> LeadView {
    stored_lead(sim, AID, dana_lid(sim).await).unwrap()
}

#[tokio::test]
async fn a_form_encoded_update_sets_fields_by_key_and_by_hebrew_name() {
    let sim = Simulator::start().await.unwrap();
    let before = dana(&sim).await;
    let resp = update_response(
        &client(),
        &update_url(&sim, AID),
        RW,
        &[
            ("by_id", before.lid.to_string().as_str()),
            ("fld_handler", "רונית אלמוג"),
            ("סטטוס", "בטיפול"),
            ("fld_city", "רמת השרון"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(resp.text().await.unwrap(), SUCCESS);

    let after = stored_lead(&sim, AID, before.lid).unwrap();
    assert_eq!(after.field("מטפל"), Some("רונית אלמוג"));
    assert_eq!(after.field("סטטוס"), Some("בטיפול"));
    assert_eq!(after.field("עיר"), Some("רמת השרון"));
    assert_eq!(after.field("שם"), Some("דנה כהן"), "other fields stay");
    assert_eq!(after.created_at, before.created_at);
    assert_ne!(
        after.updated_at, before.updated_at,
        "an update moves updated_at"
    );
    assert_eq!(after.status_id, 1);

    // The lookup shows the change.
    let found = lookup_at(&leads_get_url(&sim, AID), R, DANA_PHONE).await;
    assert_eq!(found["data"][0]["fields"]["מטפל"], "רונית אלמוג");

    let entry = last_entry(&sim, "lead_update");
    assert_eq!(entry.account, Some(AID));
    assert_eq!(entry.param("סטטוס"), Some("בטיפול"));
    assert_eq!(entry.param("fld_handler"), Some("רונית אלמוג"));
    assert!(entry.diagnostics.is_empty(), "{:?}", entry.diagnostics);
}

#[tokio::test]
async fn a_multipart_update_with_hebrew_names_and_values_is_applied() {
    let sim = Simulator::start().await.unwrap();
    let lead = dana(&sim).await;
    let boundary = "----WebKitFormBoundaryLeadIm0טפל"
        .replace('ט', "x")
        .replace('פ', "y")
        .replace('ל', "z");
    let resp = post_multipart(
        &client(),
        &update_url(&sim, AID),
        Some(W),
        &boundary,
        &[
            ("by_id", &lead.lid.to_string()),
            ("מטפל", "אורטל ביטון"),
            ("הודעה", "חזרה ללקוחה ב-16:00\nביקשה הצעה גם לביטוח דירה"),
            ("status_id", "3"),
        ],
    )
    .await;
    assert_eq!(resp.text().await.unwrap(), SUCCESS);
    let after = stored_lead(&sim, AID, lead.lid).unwrap();
    assert_eq!(after.field("מטפל"), Some("אורטל ביטון"));
    assert_eq!(
        after.field("הודעה"),
        Some("חזרה ללקוחה ב-16:00\nביקשה הצעה גם לביטוח דירה")
    );
    assert_eq!(after.status_id, 3);
    assert_eq!(
        last_entry(&sim, "lead_update").param("מטפל"),
        Some("אורטל ביטון")
    );
}

#[tokio::test]
async fn a_json_update_is_applied_and_numbers_become_text() {
    let sim = Simulator::start().await.unwrap();
    let lead = dana(&sim).await;
    let resp = client()
        .post(update_url(&sim, AID))
        .header(AUTH, RW)
        .json(&json!({"by_id": lead.lid, "fld_handler": "משה פרץ", "עיר": "הרצליה", "state_id": 4}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), SUCCESS);
    let after = stored_lead(&sim, AID, lead.lid).unwrap();
    assert_eq!(after.field("מטפל"), Some("משה פרץ"));
    assert_eq!(after.field("עיר"), Some("הרצליה"));
    assert_eq!(
        after.status_id, 4,
        "state_id is the older name of status_id"
    );
    assert_eq!(
        last_entry(&sim, "lead_update").param("by_id"),
        Some(lead.lid.to_string().as_str())
    );
}

#[tokio::test]
async fn status_id_and_state_id_set_the_status() {
    let sim = Simulator::start().await.unwrap();
    let lid = dana(&sim).await.lid.to_string();
    let url = update_url(&sim, AID);
    assert_eq!(
        update_form(&url, RW, &[("by_id", &lid), ("status_id", "2")]).await,
        json!({"status": "success"})
    );
    assert_eq!(
        stored_lead(&sim, AID, lid.parse().unwrap())
            .unwrap()
            .status_id,
        2
    );
    assert_eq!(
        update_form(&url, RW, &[("by_id", &lid), ("state_id", "5")]).await,
        json!({"status": "success"})
    );
    assert_eq!(
        stored_lead(&sim, AID, lid.parse().unwrap())
            .unwrap()
            .status_id,
        5
    );

    // A non-numeric status refuses the whole update.
    let before = stored_lead(&sim, AID, lid.parse().unwrap()).unwrap();
    let answer = update_form(
        &url,
        RW,
        &[
            ("by_id", &lid),
            ("fld_handler", "גיל"),
            ("status_id", "חדש"),
        ],
    )
    .await;
    assert_eq!(
        answer,
        json!({"status": "failure", "error": "status_id 'חדש' is malformed: it must be a number"})
    );
    assert_eq!(
        stored_lead(&sim, AID, lid.parse().unwrap()).unwrap(),
        before
    );
}

#[tokio::test]
async fn an_unknown_key_is_ignored_with_a_diagnostic_and_the_rest_applies() {
    let sim = Simulator::start().await.unwrap();
    let lead = dana(&sim).await;
    let answer = update_form(
        &update_url(&sim, AID),
        RW,
        &[
            ("by_id", &lead.lid.to_string()),
            ("fld_budget", "150000"),
            ("תקציב", "150000"),
            ("fld_handler", "שירן כץ"),
        ],
    )
    .await;
    assert_eq!(answer, json!({"status": "success"}));
    let after = stored_lead(&sim, AID, lead.lid).unwrap();
    assert_eq!(after.field("מטפל"), Some("שירן כץ"));
    assert_eq!(after.fields.len(), lead.fields.len(), "no field was added");
    let entry = last_entry(&sim, "lead_update");
    assert!(
        entry.has_diagnostic(
            "unknown field fld_budget: ignored (form 5001 has no such key or field name)"
        ),
        "{:?}",
        entry.diagnostics
    );
    assert_diagnostic(&entry, "unknown field תקציב: ignored");
    assert_eq!(
        after.status_id, 1,
        "an update's unknown key does not make the lead invalid"
    );
}

#[tokio::test]
async fn updating_to_the_values_the_lead_already_has_is_a_success() {
    let sim = Simulator::start().await.unwrap();
    let lead = dana(&sim).await;
    let params = [
        ("by_id", lead.lid.to_string()),
        ("מטפל", "יוסי לוי".to_owned()),
        ("status_id", "1".to_owned()),
    ];
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for _ in 0..2 {
        assert_eq!(
            update_form(&update_url(&sim, AID), RW, &params).await,
            json!({"status": "success"})
        );
    }
    let after = stored_lead(&sim, AID, lead.lid).unwrap();
    assert_eq!(after, lead, "nothing changed, not even updated_at");
}

/// What is tried, the token sent, the parameters and the expected error.
type Refusal = (
    &'static str,
    Option<&'static str>,
    Vec<(String, String)>,
    String,
);

#[tokio::test]
async fn refused_updates_answer_the_failure_envelope_and_leave_the_lead_alone() {
    let sim = Simulator::start().await.unwrap();
    let lead = dana(&sim).await;
    let lead_4410 = sim.store().account_leads(AID_4410).unwrap()[0].clone();
    let url = update_url(&sim, AID);
    for (what, token, params, error) in refusals(lead.lid, lead_4410.lid) {
        let mut req = client().post(&url).form(&params);
        if let Some(t) = token {
            req = req.header(AUTH, t);
        }
        let answer = json_200(req.send().await.unwrap()).await;
        assert_eq!(
            answer,
            json!({"status": "failure", "error": error}),
            "{what}"
        );
        let entry = last_entry(&sim, "lead_update");
        assert_eq!(entry.status, 200);
        assert!(!entry.diagnostics.is_empty(), "{what}");
    }
    a_3305_token_is_refused_on_4410s_url(&sim, lead_4410.lid).await;
    a_disabled_accounts_write_token_is_refused(&sim).await;

    assert_eq!(stored_lead(&sim, AID, lead.lid).unwrap(), lead);
    assert_eq!(
        stored_lead(&sim, AID_4410, lead_4410.lid).unwrap(),
        lead_4410
    );
    assert_ne!(
        sim.store().account_leads(7720).unwrap()[0].field("מטפל"),
        Some("פורץ")
    );
}

/// Updates through 3305's URL that are refused: `lid` is דנה כהן's lead, `lid_4410`
/// a lead of 4410.
fn refusals(lid: u64, lid_4410: u64) -> Vec<Refusal> {
    let (lid, lid_4410) = (lid.to_string(), lid_4410.to_string());
    let change = |id: &str| {
        vec![
            ("by_id".to_owned(), id.to_owned()),
            ("fld_handler".to_owned(), "פורץ".to_owned()),
        ]
    };
    vec![
        (
            "unknown id",
            Some(RW),
            change("999999"),
            "lead 999999 not found".to_owned(),
        ),
        (
            "another account's lead",
            Some(RW),
            change(&lid_4410),
            format!("lead {lid_4410} not found"),
        ),
        (
            "read-only token",
            Some(R),
            change(&lid),
            "token lacks the write scope".to_owned(),
        ),
        (
            "no token",
            None,
            change(&lid),
            "missing X-LEAD-IM-AUTH header (or APIKEY field)".to_owned(),
        ),
        (
            "another account's token",
            Some(RW_4410),
            change(&lid),
            "invalid token".to_owned(),
        ),
        (
            "no by_id",
            Some(RW),
            vec![("fld_handler".into(), "פורץ".into())],
            "by_id is required".to_owned(),
        ),
        (
            "malformed by_id",
            Some(RW),
            change("דנה"),
            "by_id 'דנה' is malformed: it must be a number".to_owned(),
        ),
    ]
}

/// A lead of 4410 through its own URL with a 3305 token.
async fn a_3305_token_is_refused_on_4410s_url(sim: &SimulatorHandle, lid_4410: u64) {
    let answer = update_form(
        &update_url(sim, AID_4410),
        RW,
        &[("by_id", &lid_4410.to_string()), ("מטפל", "פורץ")],
    )
    .await;
    assert_failure(&answer, "invalid token");
    assert!(
        last_entry(sim, "lead_update")
            .has_diagnostic("invalid token: it belongs to account 3305, not 4410")
    );
}

/// A disabled account's write token.
async fn a_disabled_accounts_write_token_is_refused(sim: &SimulatorHandle) {
    let lid_7720 = sim.store().account_leads(7720).unwrap()[0].lid.to_string();
    let answer = update_form(
        &update_url(sim, 7720),
        "U-082ad6528fa1beae.864c55fe688eebd3",
        &[("by_id", &lid_7720), ("מטפל", "פורץ")],
    )
    .await;
    assert_failure(&answer, "account 7720 is disabled");
}

#[tokio::test]
async fn changing_the_phone_moves_the_lead_in_the_phone_index() {
    let sim = Simulator::start().await.unwrap();
    let lead = dana(&sim).await;
    let url = leads_get_url(&sim, AID);
    let answer = update_form(
        &update_url(&sim, AID),
        RW,
        &[
            ("by_id", &lead.lid.to_string()),
            ("fld_phone", "972521234567"),
        ],
    )
    .await;
    assert_eq!(answer, json!({"status": "success"}));
    assert!(
        lids(&lookup_at(&url, RW, DANA_PHONE).await).is_empty(),
        "the old phone no longer finds it"
    );
    let found = lookup_at(&url, RW, "972521234567").await;
    assert_eq!(lids(&found), vec![lead.lid]);
    assert_eq!(found["data"][0]["phone"], "972521234567");
    assert_eq!(found["data"][0]["fields"]["טלפון"], "972521234567");

    // By Hebrew name, onto a number another lead already has: both are found.
    let answer = update_form(
        &update_url(&sim, AID),
        RW,
        &[("by_id", &lead.lid.to_string()), ("טלפון", "0506124478")],
    )
    .await;
    assert_eq!(answer, json!({"status": "success"}));
    assert!(lids(&lookup_at(&url, RW, "972521234567").await).is_empty());
    let shared = lids(&lookup_at(&url, RW, "0506124478").await);
    assert_eq!(shared.len(), 3);
    assert!(shared.contains(&lead.lid));
}

#[tokio::test]
async fn a_lead_submitted_without_a_phone_is_found_once_an_update_gives_it_one() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let lid = submit_lid(
        &client(),
        &account,
        &[("name", "עידו שחר"), ("email", "ido.shahar@gmail.com")],
    )
    .await;
    assert_eq!(stored_lead(&sim, account.aid, lid).unwrap().phone, "");
    let answer = update_form(
        &account.update_url,
        &account.write_token,
        &[("by_id", &lid.to_string()), ("phone", "053-444-5566")],
    )
    .await;
    assert_eq!(answer, json!({"status": "success"}));
    assert_eq!(
        stored_lead(&sim, account.aid, lid).unwrap().phone,
        "053-444-5566"
    );
    assert_eq!(lookup_lids(&account, "053-444-5566").await, vec![lid]);
}

#[tokio::test]
async fn an_update_caps_values_like_a_submission() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let lid = submit_lid(
        &client(),
        &account,
        &[("name", "ליאת מור"), ("phone", "0547778899")],
    )
    .await;
    let handler: String = "רונית ".chars().cycle().take(320).collect();
    let answer = update_form(
        &account.update_url,
        &account.token,
        &[("by_id", &lid.to_string()), ("מטפל", &handler)],
    )
    .await;
    assert_eq!(answer, json!({"status": "success"}));
    assert_eq!(
        stored_lead(&sim, account.aid, lid)
            .unwrap()
            .field("מטפל")
            .unwrap()
            .chars()
            .count(),
        300
    );
    assert!(last_entry(&sim, "lead_update").has_diagnostic("מטפל cut from 320 to 300 characters"));
}
