//! `leads_get.ashx?by_phone=` and `lead_get.ashx?by_id=`: exact and normalized phone
//! matching, newest first, at most the lookup's cap, token scopes and ownership,
//! case-insensitive paths and account isolation.

mod common;

use common::*;
use leadim_simulator::{LeadView, PhoneMatch, Simulator, SimulatorHandle};
use serde_json::json;

#[tokio::test]
async fn a_lead_is_found_by_its_phone_exactly_as_submitted() {
    let sim = Simulator::start().await.unwrap();
    let url = leads_get_url(&sim, AID);
    let answer = lookup_at(&url, RW, DANA_PHONE).await;
    assert_eq!(answer.as_object().unwrap().len(), 2, "{answer}");
    assert_eq!(lids(&answer).len(), 1);
    let lead = &answer["data"][0];
    assert_eq!(lead["aid"], 3305);
    assert_eq!(lead["form_id"], 5001);
    assert_eq!(lead["status_id"], 1);
    assert!(lead.get("is_disrupted").is_none(), "{lead}");
    assert_eq!(lead["phone"], DANA_PHONE);
    assert_eq!(lead["created_at"], "2026-03-02T09:15:00Z");
    assert_eq!(lead["updated_at"], "2026-03-04T11:00:00Z");
    assert_eq!(lead["utm_source"], "facebook");
    assert_eq!(lead["utm_campaign"], "car-2026");
    assert_eq!(
        lead["fields"],
        json!({
            "שם": "דנה כהן",
            "טלפון": "0521234567",
            "דוא\"ל": "dana.cohen@gmail.com",
            "הודעה": "מעוניינת בהצעה לביטוח רכב",
            "עיר": "תל אביב-יפו",
            "מטפל": "יוסי לוי",
            "סטטוס": "חדש"
        })
    );
    // The fields come in the form's order. Read into the library's ordered type: a
    // serde_json::Value sorts an object's keys.
    #[derive(serde::Deserialize)]
    struct Answer {
        data: Vec<LeadView>,
    }
    let text = lookup_response(&client(), &url, RW, DANA_PHONE)
        .await
        .text()
        .await
        .unwrap();
    let answer: Answer = serde_json::from_str(&text).unwrap();
    assert_eq!(
        answer.data[0].fields.keys().collect::<Vec<_>>(),
        ["שם", "טלפון", "דוא\"ל", "הודעה", "עיר", "מטפל", "סטטוס"],
        "form order: {text}"
    );

    // Other formats of the same number are other strings: no match, empty data.
    for other in [
        "972521234567",
        "052-123-4567",
        "+972521234567",
        "052 123 4567",
    ] {
        let answer = lookup_at(&url, RW, other).await;
        assert_eq!(answer, json!({"status": "success", "data": []}), "{other}");
        let entry = last_entry(&sim, "leads_get");
        assert!(
            entry.has_diagnostic(&format!(
                "no lead of account 3305 has phone '{other}' (exact match"
            )),
            "{:?}",
            entry.diagnostics
        );
        assert_eq!(
            entry.param("by_phone"),
            Some(other),
            "decoded in the journal"
        );
    }
}

#[tokio::test]
async fn the_normalized_option_finds_every_israeli_format_of_a_number() {
    let sim = Simulator::builder()
        .phone_match(PhoneMatch::Normalized)
        .start()
        .await
        .unwrap();
    let url = leads_get_url(&sim, AID);
    for format in [
        "0521234567",
        "972521234567",
        "+972-52-123-4567",
        "052-123-4567",
        "052 123 4567",
    ] {
        let answer = lookup_at(&url, R, format).await;
        assert_eq!(lids(&answer).len(), 1, "{format}: {answer}");
        assert_eq!(answer["data"][0]["fields"]["שם"], "דנה כהן");
        assert_eq!(
            answer["data"][0]["phone"], DANA_PHONE,
            "the stored phone is unchanged"
        );
    }
    // ולדימיר פטרובסקי submitted as 0546677889 and later as 972546677889.
    let both = lookup_at(&url, RW, "054-667-7889").await;
    let phones: Vec<&str> = both["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["phone"].as_str().unwrap())
        .collect();
    assert_eq!(phones, ["972546677889", "0546677889"], "both, newest first");

    // A submitted lead is indexed the same way.
    let lid = submit_ok(
        &sim,
        FORM,
        KEY,
        &[("name", "אסף רביב"), ("phone", "972-50-999-1234")],
    )
    .await;
    assert_eq!(lids(&lookup_at(&url, RW, "0509991234").await), vec![lid]);

    let health = json_200(
        client()
            .get(format!("{}/__admin/health", sim.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(health["phone_match"], "normalized");
    assert!(
        last_entry(&sim, "leads_get").diagnostics.is_empty(),
        "a match leaves no diagnostic"
    );
}

#[tokio::test]
async fn leads_with_one_phone_come_newest_first() {
    let sim = Simulator::start().await.unwrap();
    // שלמה אזולאי, a returning customer of 3305 (fixture lines 12 and 30).
    let answer = lookup_at(&leads_get_url(&sim, AID), RW, "0506124478").await;
    let data = answer["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{answer}");
    assert!(data[0]["created_at"].as_str() > data[1]["created_at"].as_str());
    assert!(data[0]["lid"].as_u64() > data[1]["lid"].as_u64());

    let account = sim.create_account();
    let first = submit_lid(
        &client(),
        &account,
        &[("name", "רחל אברהם"), ("phone", "0541111111")],
    )
    .await;
    let second = submit_lid(
        &client(),
        &account,
        &[
            ("name", "רחל אברהם"),
            ("phone", "0541111111"),
            ("msg", "שוב אני"),
        ],
    )
    .await;
    assert!(second > first);
    assert_eq!(
        lookup_lids(&account, "0541111111").await,
        vec![second, first]
    );

    // Newest means created_at: a lead seeded with an old date comes last although its
    // id is the highest.
    let seeded = sim
        .store()
        .seed_leads(
            account.aid,
            vec![
                serde_json::from_value(json!({
                    "created_at": "2025-01-15T08:00:00Z",
                    "phone": "0541111111",
                    "fields": {"שם": "רחל אברהם"}
                }))
                .unwrap(),
            ],
        )
        .unwrap();
    assert!(seeded[0] > second);
    assert_eq!(
        lookup_lids(&account, "0541111111").await,
        vec![second, first, seeded[0]]
    );
}

/// `M9-newest-first`: leads created in the same second come by `updated_at`, so the
/// lead updated last is the newest even when its id is the lower one.
#[tokio::test]
async fn leads_created_in_the_same_second_come_by_updated_at() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let lead = |updated_at: &str, city: &str| {
        serde_json::from_value(json!({
            "phone": "0527001122",
            "created_at": "2026-03-01T08:00:00Z",
            "updated_at": updated_at,
            "fields": {"שם": "נועה ברק", "עיר": city}
        }))
        .unwrap()
    };
    let lids = sim
        .store()
        .seed_leads(
            account.aid,
            vec![
                lead("2026-03-04T16:30:00Z", "כפר סבא"),
                lead("2026-03-01T08:00:00Z", "רעננה"),
            ],
        )
        .unwrap();
    assert!(lids[0] < lids[1]);
    let answer = lookup(&client(), &account, "0527001122").await;
    assert_eq!(common::lids(&answer), [lids[0], lids[1]], "{answer}");
    assert_eq!(answer["data"][0]["fields"]["עיר"], "כפר סבא");
    assert_eq!(answer["data"][0]["updated_at"], "2026-03-04T16:30:00Z");

    // With both times equal, the higher id comes first.
    let same = sim
        .store()
        .seed_leads(account.aid, vec![lead("2026-03-04T16:30:00Z", "הרצליה")])
        .unwrap();
    assert_eq!(
        lookup_lids(&account, "0527001122").await,
        [same[0], lids[0], lids[1]]
    );
}

#[tokio::test]
async fn the_token_must_belong_to_the_account_and_carry_the_read_scope() {
    let sim = Simulator::start().await.unwrap();
    let url = leads_get_url(&sim, AID);
    for token in [RW, R] {
        assert_eq!(
            lids(&lookup_at(&url, token, DANA_PHONE).await).len(),
            1,
            "{token}"
        );
    }

    let write_only = lookup_at(&url, W, DANA_PHONE).await;
    assert_eq!(
        write_only,
        json!({"status": "failure", "error": "token lacks the read scope"})
    );

    let unknown = lookup_at(&url, "t-3305-rx", DANA_PHONE).await;
    assert_eq!(
        unknown,
        json!({"status": "failure", "error": "invalid token"})
    );
    assert!(
        last_entry(&sim, "leads_get").has_diagnostic("invalid token: no account has this token")
    );

    let other = lookup_at(&url, RW_4410, DANA_PHONE).await;
    assert_eq!(
        other,
        json!({"status": "failure", "error": "invalid token"}),
        "the answer names no account"
    );
    let entry = last_entry(&sim, "leads_get");
    assert_diagnostic(
        &entry,
        "invalid token: it belongs to account 4410, not 3305",
    );
    assert_eq!(entry.account, Some(AID));

    for missing in [None, Some(""), Some("   ")] {
        let mut req = client().get(&url).query(&[("by_phone", DANA_PHONE)]);
        if let Some(value) = missing {
            req = req.header(AUTH, value);
        }
        let answer = json_200(req.send().await.unwrap()).await;
        assert_eq!(
            answer,
            json!({"status": "failure", "error": "missing X-LEAD-IM-AUTH header (or APIKEY field)"}),
            "{missing:?}"
        );
    }

    // The header name is case-insensitive, as in HTTP.
    let resp = client()
        .get(&url)
        .query(&[("by_phone", DANA_PHONE)])
        .header("x-lead-im-auth", R)
        .send()
        .await
        .unwrap();
    assert_eq!(lids(&json_200(resp).await).len(), 1);
}

#[tokio::test]
async fn the_journal_masks_the_token() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    lookup_at(&leads_get_url(&sim, AID), RW, DANA_PHONE).await;
    let entry = last_entry(&sim, "leads_get");
    let auth: Vec<&(String, String)> = entry
        .headers
        .iter()
        .filter(|(k, _)| k == "x-lead-im-auth")
        .collect();
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0].1, "U-d5… (35 chars)");

    lookup_lids(&account, "0520000000").await;
    let entry = last_entry(&sim, "leads_get");
    let serialized = serde_json::to_string(&entry).unwrap();
    assert!(!serialized.contains(&account.token), "{serialized}");
    assert!(serialized.contains(&format!("({} chars)", account.token.len())));
}

#[tokio::test]
async fn by_phone_is_required() {
    let sim = Simulator::start().await.unwrap();
    let url = leads_get_url(&sim, AID);
    let none = json_200(client().get(&url).header(AUTH, RW).send().await.unwrap()).await;
    assert_eq!(
        none,
        json!({"status": "failure", "error": "by_phone is required"})
    );
    let empty = lookup_at(&url, RW, "").await;
    assert_eq!(
        empty,
        json!({"status": "failure", "error": "by_phone is required"})
    );
    assert!(last_entry(&sim, "leads_get").has_diagnostic("by_phone is required"));
}

#[tokio::test]
async fn apiproxy_paths_match_case_insensitively() {
    let sim = Simulator::start().await.unwrap();
    for path in [
        "/APIProxy/3305/api/Leads_Get.ashx",
        "/apiproxy/3305/API/LEADS_GET.ASHX",
        "/ApiProxy/3305/Api/leads_get.ashx",
    ] {
        let answer = lookup_at(&format!("{}{path}", sim.base_url()), RW, DANA_PHONE).await;
        assert_eq!(answer["data"][0]["fields"]["שם"], "דנה כהן", "{path}");
        assert_eq!(
            last_entry(&sim, "leads_get").path,
            path,
            "the journal keeps the path as sent"
        );
    }
    let one = lead_get_at(
        &format!("{}/APIProxy/3305/API/Lead_Get.ashx", sim.base_url()),
        R,
        &dana_lid(&sim).await.to_string(),
    )
    .await;
    assert_eq!(one["data"][0]["fields"]["שם"], "דנה כהן");
}

#[tokio::test]
async fn an_account_never_sees_another_accounts_leads() {
    let sim = Simulator::start().await.unwrap();
    let a = sim.create_account();
    let b = sim.create_account();
    assert_ne!(a.aid, b.aid);
    let phone = "0527001122";
    let lid = submit_lid(
        &client(),
        &a,
        &[
            ("name", "מאיה פרידמן"),
            ("phone", phone),
            ("fld_city", "כפר סבא"),
        ],
    )
    .await;

    assert_eq!(lookup_lids(&a, phone).await, vec![lid]);
    assert_eq!(lookup_lids(&b, phone).await, Vec::<u64>::new());
    // B's token on A's URL, A's token on B's URL.
    assert_failure(
        &lookup_at(&a.get_customer_details_url, &b.token, phone).await,
        "invalid token",
    );
    assert_failure(
        &lookup_at(&b.get_customer_details_url, &a.token, phone).await,
        "invalid token",
    );
    assert_failure(
        &lookup_at(&b.get_customer_details_url, &a.read_token, phone).await,
        "invalid token",
    );
    // By id, through B.
    let by_id = lead_get_at(&b.lead_get_url, &b.token, &lid.to_string()).await;
    assert_eq!(
        by_id,
        json!({"status": "failure", "error": format!("lead {lid} not found")})
    );
    assert_eq!(
        lead_get_at(&a.lead_get_url, &a.read_token, &lid.to_string()).await["data"][0]["lid"],
        lid
    );
    // Nor through a fixture account.
    assert_failure(
        &lead_get_at(&lead_get_url(&sim, AID), RW, &lid.to_string()).await,
        &format!("lead {lid} not found"),
    );
    assert!(lids(&lookup_at(&leads_get_url(&sim, AID), RW, phone).await).is_empty());

    assert_eq!(sim.store().account_leads(b.aid).unwrap().len(), 0);
    assert!(
        sim.journal_for(b.aid)
            .iter()
            .all(|e| !e.path.contains("submit"))
    );
    assert_eq!(
        sim.journal_for(a.aid)
            .iter()
            .filter(|e| e.path.contains("submit"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_disabled_account_answers_no_lookups() {
    let sim = Simulator::start().await.unwrap();
    // ג'ומאנה חלבי has a lead in 7720 from before the account was disabled.
    for token in [
        "U-42cff4a860b55031.634823d2b0a43fb7",
        "U-80c6935b532db4d6.38d68d99657a684c",
    ] {
        let answer = lookup_at(&leads_get_url(&sim, 7720), token, "0549920314").await;
        assert_eq!(
            answer,
            json!({"status": "failure", "error": "account 7720 is disabled"})
        );
    }
    let lid = sim.store().account_leads(7720).unwrap()[0].lid;
    assert_failure(
        &lead_get_at(
            &lead_get_url(&sim, 7720),
            "U-80c6935b532db4d6.38d68d99657a684c",
            &lid.to_string(),
        )
        .await,
        "account 7720 is disabled",
    );

    // Enabling it again through the store opens it.
    assert!(sim.store().set_account_enabled(7720, true));
    assert_eq!(
        lids(
            &lookup_at(
                &leads_get_url(&sim, 7720),
                "U-80c6935b532db4d6.38d68d99657a684c",
                "0549920314"
            )
            .await
        )
        .len(),
        1
    );
}

#[tokio::test]
async fn lead_get_answers_one_lead_or_says_why_not() {
    let sim = Simulator::start().await.unwrap();
    let url = lead_get_url(&sim, AID);
    let lid = dana_lid(&sim).await;
    let found = lead_get_at(&url, R, &lid.to_string()).await;
    assert_eq!(found["status"], "success");
    let data = found["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["lid"], lid);
    assert_eq!(data[0]["fields"]["מטפל"], "יוסי לוי");
    // The same object as the lookup's.
    assert_eq!(
        data[0],
        lookup_at(&leads_get_url(&sim, AID), RW, DANA_PHONE).await["data"][0]
    );

    let cases = [
        ("999999", "lead 999999 not found"),
        ("abc", "by_id 'abc' is malformed: it must be a number"),
        ("12א", "by_id '12א' is malformed"),
        ("-5", "by_id '-5' is malformed"),
        ("99999999999999999999999", "99999999999999999999999"),
        ("", "by_id is required"),
    ];
    for (by_id, message) in cases {
        let answer = lead_get_at(&url, RW, by_id).await;
        assert_failure(&answer, message);
        assert_eq!(answer.as_object().unwrap().len(), 2, "{answer}");
        let entry = last_entry(&sim, "lead_get");
        assert!(
            entry.has_diagnostic(message),
            "{by_id}: {:?}",
            entry.diagnostics
        );
    }
    let missing = json_200(client().get(&url).header(AUTH, RW).send().await.unwrap()).await;
    assert_failure(&missing, "by_id is required");
    assert_failure(
        &lead_get_at(&url, W, &lid.to_string()).await,
        "token lacks the read scope",
    );
    assert_failure(
        &lead_get_at(&url, RW_4410, &lid.to_string()).await,
        "invalid token",
    );
    // A fixture lead of 4410 is not found through 3305.
    let other = sim.store().account_leads(AID_4410).unwrap()[0].lid;
    assert_failure(
        &lead_get_at(&url, RW, &other.to_string()).await,
        &format!("lead {other} not found"),
    );
}

#[tokio::test]
async fn a_malformed_or_unknown_account_in_the_path_is_a_failure_answer() {
    let sim = Simulator::start().await.unwrap();
    let answer = lookup_at(
        &format!("{}/apiproxy/33o5/api/leads_get.ashx", sim.base_url()),
        RW,
        DANA_PHONE,
    )
    .await;
    assert_failure(&answer, "account id '33o5' is malformed");
    // A valid token of 3305 must not tell whether account 1234 exists.
    let answer = lookup_at(&leads_get_url(&sim, 1234), RW, DANA_PHONE).await;
    assert_failure(&answer, "invalid token");
    let answer = lookup_at(&leads_get_url(&sim, 1234), "t-1234-rw", DANA_PHONE).await;
    assert_failure(&answer, "invalid token");
}

#[tokio::test]
async fn a_phone_without_digits_matches_nothing_in_normalized_mode() {
    let sim = Simulator::builder()
        .phone_match(PhoneMatch::Normalized)
        .start()
        .await
        .unwrap();
    let account = sim.create_account();
    let garbled = submit_lid(
        &client(),
        &account,
        &[("name", "גלית נחום"), ("phone", "לא מסרה")],
    )
    .await;
    let real = submit_lid(
        &client(),
        &account,
        &[("name", "אבי נחום"), ("phone", "054-321-0000")],
    )
    .await;
    for query in ["לא ידוע", "none", "-"] {
        assert!(
            lookup_lids(&account, query).await.is_empty(),
            "{query} matches no lead"
        );
    }
    assert_eq!(lookup_lids(&account, "972543210000").await, vec![real]);
    assert_eq!(
        stored_lead(&sim, account.aid, garbled).unwrap().phone,
        "לא מסרה"
    );
}

/// `count` leads on one phone for `account`, created at `created_at` (empty: now).
fn seed_on_one_phone(sim: &SimulatorHandle, aid: u64, count: usize, created_at: &str) -> Vec<u64> {
    let leads: Vec<leadim_simulator::SeedLead> = serde_json::from_value(json!(
        (0..count)
            .map(|i| json!({"phone": "0549990000", "created_at": created_at, "fields": {"שם": format!("ליד {i}")}}))
            .collect::<Vec<_>>()
    ))
    .unwrap();
    sim.store().seed_leads(aid, leads).unwrap()
}

#[tokio::test]
async fn a_phone_with_more_leads_than_the_cap_answers_the_newest_and_says_so() {
    let sim = Simulator::builder().lookup_cap(50).start().await.unwrap();
    let account = sim.create_account();
    let older = seed_on_one_phone(&sim, account.aid, 1_000, "2026-01-01T08:00:00Z");
    let newer = seed_on_one_phone(&sim, account.aid, 1_000, "");
    let answer = lookup(&client(), &account, "0549990000").await;
    let mut newest: Vec<u64> = newer.iter().rev().take(50).copied().collect();
    assert_eq!(lids(&answer), newest, "the newest 50, newest first");
    let entry = last_entry(&sim, "leads_get");
    assert_diagnostic(
        &entry,
        &format!(
            "2000 leads of account {} have phone '0549990000': the answer holds the newest 50",
            account.aid
        ),
    );
    assert_diagnostic(&entry, "M20-lookup-cap");

    // Under the cap: every lead, and no word about a cap.
    let few = sim.create_account();
    let three = seed_on_one_phone(&sim, few.aid, 3, "");
    let answer = lookup(&client(), &few, "0549990000").await;
    newest = three.iter().rev().copied().collect();
    assert_eq!(lids(&answer), newest);
    assert!(last_entry(&sim, "leads_get").diagnostics.is_empty());
    assert!(!older.is_empty());
}

#[tokio::test]
async fn the_cap_is_500_by_default() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let seeded = seed_on_one_phone(&sim, account.aid, 600, "");
    let answer = lookup(&client(), &account, "0549990000").await;
    assert_eq!(leadim_simulator::DEFAULT_LOOKUP_CAP, 500);
    assert_eq!(
        lids(&answer),
        seeded.iter().rev().take(500).copied().collect::<Vec<_>>()
    );
}
