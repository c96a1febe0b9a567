//! `/v2/submit`: creating leads by GET and POST, the JSON and redirect answers, every
//! error code, the length caps, unknown parameters, UTM values, and Hebrew through
//! every encoding a form or a bot sends.

mod common;

use common::*;
use leadim_simulator::{AccountConfig, JournalEntry, LeadView, Simulator, SimulatorHandle};
use reqwest::header::LOCATION;

#[tokio::test]
async fn a_get_submission_creates_the_lead_and_answers_its_id() {
    let sim = Simulator::start().await.unwrap();
    let resp = submit_get(
        &client(),
        &shamir(&sim),
        &[
            ("lm_redirect", "no"),
            ("name", "דנה כהן"),
            ("phone", "0507654321"),
            ("email", "dana.k@walla.co.il"),
            ("fld_city", "באר שבע"),
        ],
    )
    .await;
    let answer = json_200(resp).await;
    assert_eq!(answer["status"], "success");
    let lid = answer["result"].as_u64().expect("result is the lead id");
    assert_eq!(answer.as_object().unwrap().len(), 2, "{answer}");

    let lead = stored_lead(&sim, AID, lid).expect("the lead is stored in 3305");
    assert_eq!(lead.form_id, 5001);
    assert_eq!(lead.status_id, 1);
    assert_eq!(lead.phone, "0507654321");
    assert_eq!(lead.field("שם"), Some("דנה כהן"));
    assert_eq!(lead.field("טלפון"), Some("0507654321"));
    assert_eq!(lead.field("דוא\"ל"), Some("dana.k@walla.co.il"));
    assert_eq!(lead.field("עיר"), Some("באר שבע"));
    // Control parameters are not lead data.
    assert_eq!(lead.fields.len(), 4, "{:?}", lead.fields);

    let entry = last_entry(&sim, "/v2/submit");
    assert_eq!(entry.method, "GET");
    assert_eq!(entry.status, 200);
    assert_eq!(entry.account, Some(AID));
    assert_eq!(entry.param("name"), Some("דנה כהן"));
    assert_eq!(entry.param("fld_city"), Some("באר שבע"));
    assert!(entry.answer.contains(&lid.to_string()), "{}", entry.answer);
    assert_dated_by_arrival(&lead, &entry);
    assert!(entry.diagnostics.is_empty(), "{:?}", entry.diagnostics);
}

#[tokio::test]
async fn a_form_post_with_lm_format_json_answers_the_lead_id() {
    let sim = Simulator::start().await.unwrap();
    let resp = submit_post(
        &client(),
        &shamir(&sim),
        &[
            ("lm_format", "json"),
            ("fld_name", "יוסי מזרחי"),
            ("fld_phone", "972541112233"),
            ("fld_message", "מבקש הצעה לביטוח רכב מקיף"),
        ],
    )
    .await;
    let answer = json_200(resp).await;
    assert_eq!(answer["status"], "success", "{answer}");
    let lid = answer["result"].as_u64().unwrap();

    let found = lookup_at(&leads_get_url(&sim, AID), RW, "972541112233").await;
    assert_eq!(lids(&found), vec![lid]);
    let lead = &found["data"][0];
    assert_eq!(lead["fields"]["שם"], "יוסי מזרחי");
    assert_eq!(lead["fields"]["הודעה"], "מבקש הצעה לביטוח רכב מקיף");
    assert_eq!(lead["phone"], "972541112233");
    assert_eq!(last_entry(&sim, "/v2/submit").method, "POST");
}

#[tokio::test]
async fn an_absolute_lm_redirect_gets_a_302_there_and_the_lead_is_created() {
    let sim = Simulator::start().await.unwrap();
    let (http, account) = (client(), shamir(&sim));
    let before = lead_count(&sim, AID);
    // Hebrew in the target is sent percent-encoded: a Location header is ASCII.
    for (target, location) in [
        (
            "https://www.example.co.il/תודה?src=bot",
            "https://www.example.co.il/%D7%AA%D7%95%D7%93%D7%94?src=bot",
        ),
        (
            "http://localhost:8080/thanks",
            "http://localhost:8080/thanks",
        ),
    ] {
        let resp = submit_post(
            &http,
            &account,
            &[
                ("lm_redirect", target),
                ("name", "מיכל לוי"),
                ("phone", "052-765-4321"),
            ],
        )
        .await;
        assert_eq!(resp.status(), 302);
        assert_eq!(resp.headers()[LOCATION], location, "{target}");
    }
    assert_eq!(lead_count(&sim, AID), before + 2);
    let found = lookup_at(&leads_get_url(&sim, AID), RW, "052-765-4321").await;
    assert_eq!(lids(&found).len(), 2);
}

#[tokio::test]
async fn without_a_usable_lm_redirect_the_302_goes_to_the_forms_thank_you_page() {
    let sim = Simulator::start().await.unwrap();
    let (http, account) = (client(), shamir(&sim));
    let before = lead_count(&sim, AID);

    let plain = submit_get(
        &http,
        &account,
        &[("name", "אורי שלום"), ("phone", "0531112222")],
    )
    .await;
    assert_eq!(plain.status(), 302);
    assert_eq!(plain.headers()[LOCATION], THANK_YOU_5001);
    let entry = last_entry(&sim, "/v2/submit");
    assert_diagnostic(&entry, "send lm_redirect=no for JSON");

    for not_absolute in ["/todah", "javascript:alert(1)", "yes", "https://"] {
        let resp = submit_get(
            &http,
            &account,
            &[("lm_redirect", not_absolute), ("phone", "0531112222")],
        )
        .await;
        assert_eq!(resp.status(), 302, "{not_absolute}");
        assert_eq!(resp.headers()[LOCATION], THANK_YOU_5001, "{not_absolute}");
        let entry = last_entry(&sim, "/v2/submit");
        assert!(
            entry.has_diagnostic(&format!(
                "lm_redirect '{not_absolute}' is neither 'no' nor an absolute http(s) URL"
            )),
            "{:?}",
            entry.diagnostics
        );
    }
    assert_eq!(lead_count(&sim, AID), before + 5);
}

/// Parameters sent, the expected code, a part of the expected error and the account
/// the journal files it under.
type Refusal = (
    &'static [(&'static str, &'static str)],
    i64,
    &'static str,
    Option<u64>,
);

/// Every refusal of a submit, each by one reason.
const REFUSALS: &[Refusal] = &[
    (&[("lm_key", KEY)], -3, "lm_form is missing", None),
    (
        &[("lm_form", ""), ("lm_key", KEY)],
        -3,
        "lm_form is missing",
        None,
    ),
    (
        &[("lm_form", "5001א"), ("lm_key", KEY)],
        -3,
        "lm_form '5001א' is malformed",
        None,
    ),
    (
        &[("lm_form", "-5001"), ("lm_key", KEY)],
        -3,
        "is malformed",
        None,
    ),
    (&[("lm_form", FORM)], -1, "lm_key is missing", Some(AID)),
    (
        &[("lm_form", FORM), ("lm_key", "06424014f5")],
        -1,
        "wrong lm_key for form 5001",
        Some(AID),
    ),
    // The key of another form is a wrong key too.
    (
        &[("lm_form", FORM), ("lm_key", "55563e8333")],
        -1,
        "wrong lm_key for form 5001",
        Some(AID),
    ),
    (
        &[("lm_form", "9999"), ("lm_key", KEY)],
        -4,
        "form 9999 not found",
        None,
    ),
    (
        &[("lm_form", DISABLED_FORM), ("lm_key", DISABLED_FORM_KEY)],
        -5,
        "form 5002 is disabled",
        Some(AID),
    ),
    (
        &[("lm_form", "8001"), ("lm_key", "27642ec489")],
        -8,
        "account 7720 is disabled",
        Some(7720),
    ),
];

#[tokio::test]
async fn every_refusal_is_http_200_with_the_failure_envelope_and_its_code() {
    let sim = Simulator::start().await.unwrap();
    let counts_before = sim.store().counts();
    for refusal in REFUSALS {
        for post in [false, true] {
            assert_refused(&sim, refusal, post).await;
        }
    }
    // Without lm_redirect=no a refusal is still the JSON envelope, not a redirect.
    let disabled_form = AccountConfig {
        lm_form: DISABLED_FORM.to_owned(),
        lm_key: DISABLED_FORM_KEY.to_owned(),
        ..shamir(&sim)
    };
    let resp = submit_get(&client(), &disabled_form, &[("phone", "0549998877")]).await;
    let answer = json_200(resp).await;
    assert_eq!(answer["code"], -5);
    assert_eq!(
        sim.store().counts(),
        counts_before,
        "no refusal stores a lead"
    );
}

/// Sends a refused submit, by form POST or by GET, with `lm_redirect=no` and a lead's
/// name and phone; asserts the failure envelope with its code and error, and the
/// journal entry.
async fn assert_refused(sim: &SimulatorHandle, refusal: &Refusal, post: bool) {
    let (params, code, message, account) = *refusal;
    let mut all = params.to_vec();
    all.extend([
        ("lm_redirect", "no"),
        ("name", "רונית אלמוג"),
        ("phone", "0549998877"),
    ]);
    let req = if post {
        client().post(submit_url(sim)).form(&all)
    } else {
        client().get(submit_url(sim)).query(&all)
    };
    let answer = json_200(req.send().await.unwrap()).await;
    let context = format!("{params:?} post={post}: {answer}");
    assert_eq!(answer["status"], "failure", "{context}");
    assert_eq!(answer["code"].as_i64(), Some(code), "{context}");
    assert!(
        answer["error"].as_str().unwrap().contains(message),
        "{context}"
    );
    assert_eq!(answer.as_object().unwrap().len(), 3, "{context}");

    let entry = last_entry(sim, "/v2/submit");
    assert_eq!(entry.status, 200);
    assert_eq!(entry.account, account, "{context}");
    assert_diagnostic(&entry, &format!("refused with code {code}: "));
}

#[tokio::test]
async fn values_over_the_cap_are_cut_by_characters_not_bytes() {
    let sim = Simulator::start().await.unwrap();
    msg_and_name_are_cut_to_their_caps(&sim).await;
    the_forms_message_field_takes_msgs_cap(&sim).await;
    lm_source_takes_msgs_cap(&sim).await;
}

/// `msg` is cut to 3500 characters (more bytes: Hebrew), `name` to 300, and a value
/// of exactly 300 is not cut; each cut is journaled, the journal keeps what was sent,
/// and the lead stays valid.
async fn msg_and_name_are_cut_to_their_caps(sim: &SimulatorHandle) {
    let sentence = "שלום, אני מעוניין בביטוח מקיף לרכב משפחתי חדש. ";
    let msg: String = sentence.chars().cycle().take(3612).collect();
    assert!(msg.len() > 6000, "most Hebrew letters are two bytes");
    let name: String = "אבגדהוזחטיכלמנסעפצקרשת".chars().cycle().take(400).collect();
    let exactly_300: String = "ירושלים ".chars().cycle().take(300).collect();

    let lid = submit_ok(
        sim,
        FORM,
        KEY,
        &[
            ("name", &name),
            ("phone", "0541230000"),
            ("msg", &msg),
            ("fld_city", &exactly_300),
        ],
    )
    .await;
    let lead = stored_lead(sim, AID, lid).unwrap();
    let stored_msg = lead.field("הודעה").unwrap();
    assert_eq!(stored_msg.chars().count(), 3500);
    assert!(
        stored_msg.len() > 3500,
        "the cap counts characters, not bytes"
    );
    assert!(msg.starts_with(stored_msg), "the cut keeps the beginning");
    let stored_name = lead.field("שם").unwrap();
    assert_eq!(stored_name.chars().count(), 300);
    assert!(name.starts_with(stored_name));
    assert_eq!(
        lead.field("עיר"),
        Some(exactly_300.as_str()),
        "300 characters are not cut"
    );

    let entry = last_entry(sim, "/v2/submit");
    assert_diagnostic(&entry, "msg cut from 3612 to 3500 characters");
    assert_diagnostic(&entry, "name cut from 400 to 300 characters");
    assert!(!entry.has_diagnostic("fld_city"), "{:?}", entry.diagnostics);
    assert_eq!(
        entry.param("msg"),
        Some(msg.as_str()),
        "the journal keeps what was sent"
    );
    assert_eq!(lead.status_id, 1, "a cut does not make the lead invalid");
}

/// The form's own message field has the long cap too; other fld_ keys the short one.
async fn the_forms_message_field_takes_msgs_cap(sim: &SimulatorHandle) {
    let long: String = "הודעה ארוכה מאוד ".chars().cycle().take(3600).collect();
    let city: String = "קריית שמונה ".chars().cycle().take(301).collect();
    let lid = submit_ok(
        sim,
        FORM,
        KEY,
        &[
            ("fld_message", &long),
            ("fld_city", &city),
            ("fld_phone", "0541230001"),
        ],
    )
    .await;
    let lead = stored_lead(sim, AID, lid).unwrap();
    assert_eq!(lead.field("הודעה").unwrap().chars().count(), 3500);
    assert_eq!(lead.field("עיר").unwrap().chars().count(), 300);
    let entry = last_entry(sim, "/v2/submit");
    assert_diagnostic(&entry, "fld_message cut from 3600 to 3500 characters");
    assert_diagnostic(&entry, "fld_city cut from 301 to 300 characters");
}

/// lm_source has the long cap as well.
async fn lm_source_takes_msgs_cap(sim: &SimulatorHandle) {
    let source: String = "בוט ווטסאפ ".chars().cycle().take(3501).collect();
    let lid = submit_ok(
        sim,
        FORM,
        KEY,
        &[("lm_source", &source), ("phone", "0541230002")],
    )
    .await;
    assert_eq!(
        stored_lead(sim, AID, lid)
            .unwrap()
            .lm_source
            .unwrap()
            .chars()
            .count(),
        3500
    );
    assert!(
        last_entry(sim, "/v2/submit").has_diagnostic("lm_source cut from 3501 to 3500 characters")
    );
}

#[tokio::test]
async fn an_unknown_parameter_is_dropped_with_a_note_and_the_lead_stays_valid() {
    let sim = Simulator::start().await.unwrap();
    let lid = submit_ok(
        &sim,
        FORM,
        KEY,
        &[
            ("fld_nmae", "שרה לוי"),
            ("fld_phone", "0584445566"),
            ("fld_city", "חיפה"),
        ],
    )
    .await;
    let lead = stored_lead(&sim, AID, lid).expect("the lead is created");
    assert_eq!(lead.status_id, 1, "a phone makes it a valid lead");
    assert_eq!(lead.field("עיר"), Some("חיפה"), "known fields are kept");
    assert_eq!(lead.field("שם"), None, "the misspelt key sets nothing");
    let entry = last_entry(&sim, "/v2/submit");
    assert_diagnostic(
        &entry,
        "fld_nmae is not a field of form 5001: Lead.IM drops it [modeled]",
    );
    assert!(
        !entry.has_errors(),
        "a dropped key is a note: {:?}",
        entry.diagnostics
    );

    // The lookup shows it the same way, and no key of the lead says otherwise.
    let found = lookup_at(&leads_get_url(&sim, AID), RW, "0584445566").await;
    assert_eq!(found["data"][0]["status_id"], 1);
    assert!(found["data"][0].get("is_disrupted").is_none(), "{found}");

    // Form 6001 names its city field fld_179817: fld_city is unknown there.
    let lid = submit_ok(
        &sim,
        "6001",
        "55563e8333",
        &[
            ("fld_city", "חולון"),
            ("fld_179817", "בת ים"),
            ("phone", "0584445567"),
        ],
    )
    .await;
    let lead = stored_lead(&sim, AID_4410, lid).unwrap();
    assert_eq!(lead.status_id, 1);
    assert_eq!(lead.field("עיר"), Some("בת ים"));
}

#[tokio::test]
async fn a_lead_with_neither_a_name_nor_a_phone_is_invalid() {
    let sim = Simulator::start().await.unwrap();
    // Tracking keys as production forms send them, a message, and no name or phone
    // (a blank name counts as none).
    let lid = submit_ok(
        &sim,
        FORM,
        KEY,
        &[
            ("name", "  "),
            ("msg", "מעוניין בהצעה לביטוח דירה"),
            ("gclid", "Cj0KCQjw"),
            ("form_fields[email]", "roni@walla.co.il"),
        ],
    )
    .await;
    assert_eq!(stored_lead(&sim, AID, lid).unwrap().status_id, 2);
    // A name alone, or a phone alone, makes it valid.
    let named = submit_ok(&sim, FORM, KEY, &[("name", "רוני אלון")]).await;
    assert_eq!(stored_lead(&sim, AID, named).unwrap().status_id, 1);
    let phoned = submit_ok(&sim, FORM, KEY, &[("fld_phone", "052-318-7764")]).await;
    assert_eq!(stored_lead(&sim, AID, phoned).unwrap().status_id, 1);
}

#[tokio::test]
async fn utm_values_and_lm_source_are_stored_and_never_unknown() {
    let sim = Simulator::start().await.unwrap();
    let lid = submit_ok(
        &sim,
        FORM,
        KEY,
        &[
            ("name", "נועה ברק"),
            ("phone", "0523344556"),
            ("utm_source", "facebook"),
            ("utm_medium", "cpc"),
            ("utm_campaign", "ביטוח-רכב-2026"),
            ("utm_content", "banner_a+b&v=2"),
            ("utm_term", "ביטוח מקיף"),
            ("lm_source", "טקסטר"),
        ],
    )
    .await;
    let lead = stored_lead(&sim, AID, lid).unwrap();
    assert_eq!(lead.status_id, 1);
    assert_eq!(lead.utm_source.as_deref(), Some("facebook"));
    assert_eq!(lead.utm_medium.as_deref(), Some("cpc"));
    assert_eq!(lead.utm_campaign.as_deref(), Some("ביטוח-רכב-2026"));
    assert_eq!(lead.utm_content.as_deref(), Some("banner_a+b&v=2"));
    assert_eq!(lead.utm_term.as_deref(), Some("ביטוח מקיף"));
    assert_eq!(lead.lm_source.as_deref(), Some("טקסטר"));
    assert!(
        !lead.fields.contains_key("utm_source"),
        "UTM values are not fields"
    );

    let found = lookup_at(&leads_get_url(&sim, AID), R, "0523344556").await;
    assert_eq!(found["data"][0]["utm_campaign"], "ביטוח-רכב-2026");
    assert_eq!(found["data"][0]["utm_content"], "banner_a+b&v=2");
}

#[tokio::test]
async fn a_post_may_carry_query_and_body_and_the_body_wins() {
    let sim = Simulator::start().await.unwrap();
    let resp = client()
        .post(submit_url(&sim))
        .query(&[
            ("lm_form", FORM),
            ("lm_key", KEY),
            ("name", "שם מהכתובת"),
            ("fld_city", "אילת"),
        ])
        .form(&[
            ("name", "אביגיל רוזן"),
            ("phone", "0547770011"),
            ("lm_redirect", "no"),
        ])
        .send()
        .await
        .unwrap();
    let answer = json_200(resp).await;
    let lid = success_lid(&answer);
    let lead = stored_lead(&sim, AID, lid).unwrap();
    assert_eq!(lead.field("שם"), Some("אביגיל רוזן"));
    assert_eq!(
        lead.field("עיר"),
        Some("אילת"),
        "query-only parameters are kept"
    );
    assert_eq!(
        last_entry(&sim, "/v2/submit").param("name"),
        Some("אביגיל רוזן")
    );

    // The body's lm_key wins as well: a wrong one in the body refuses the lead.
    let resp = client()
        .post(submit_url(&sim))
        .query(&[("lm_form", FORM), ("lm_key", KEY)])
        .form(&[("lm_key", "89534aa474"), ("lm_redirect", "no")])
        .send()
        .await
        .unwrap();
    assert_eq!(json_200(resp).await["code"], -1);
}

#[tokio::test]
async fn hebrew_survives_plus_and_percent_twenty_in_the_query_and_form_bodies() {
    let sim = Simulator::start().await.unwrap();
    let name = "דנה כהן-לוי";
    let city = "תל אביב - יפו";
    let msg = "שלום! מחיר ל-2 רכבים? 100% + הנחה & תודה";
    // Query: name with `+` for spaces, city with `%20`, msg mixed.
    let url = format!(
        "{}?lm_form={FORM}&lm_key={KEY}&lm_redirect=no&name={}&fld_city={}&msg={}&phone=052-123-9876",
        submit_url(&sim),
        form_enc(name),
        pct(city),
        form_enc(msg),
    );
    assert!(url.contains('+') && url.contains("%20"));
    let answer = json_200(client().get(&url).send().await.unwrap()).await;
    let lid = success_lid(&answer);
    let lead = stored_lead(&sim, AID, lid).unwrap();
    assert_eq!(lead.field("שם"), Some(name));
    assert_eq!(lead.field("עיר"), Some(city));
    assert_eq!(lead.field("הודעה"), Some(msg));
    assert_eq!(lead.phone, "052-123-9876");

    // Form body written by hand, `+` for spaces, and raw (unencoded) UTF-8 too.
    let body = format!(
        "lm_form={FORM}&lm_key={KEY}&lm_redirect=no&name={}&fld_city={}&msg={}&phone=0521239877&fld_handler=יוסי לוי",
        form_enc(name),
        pct(city),
        form_enc(msg)
    );
    let resp = client()
        .post(submit_url(&sim))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let lid = json_200(resp).await["result"].as_u64().unwrap();
    let lead = stored_lead(&sim, AID, lid).unwrap();
    assert_eq!(lead.field("שם"), Some(name));
    assert_eq!(lead.field("עיר"), Some(city));
    assert_eq!(lead.field("הודעה"), Some(msg));
    assert_eq!(lead.field("מטפל"), Some("יוסי לוי"));

    // And back out through the lookup, byte for byte.
    let found = lookup_at(&leads_get_url(&sim, AID), RW, "0521239877").await;
    assert_eq!(found["data"][0]["fields"]["הודעה"], msg);
}

#[tokio::test]
async fn a_multipart_post_creates_the_lead() {
    let sim = Simulator::start().await.unwrap();
    let boundary = "----leadimSimBoundary7MA4YWxk";
    let resp = post_multipart(
        &client(),
        &submit_url(&sim),
        None,
        boundary,
        &[
            ("lm_form", FORM),
            ("lm_key", KEY),
            ("lm_redirect", "no"),
            ("fld_name", "עמית בן דוד"),
            ("fld_phone", "0549871234"),
            ("fld_message", "שורה ראשונה\r\nשורה שנייה"),
        ],
    )
    .await;
    let answer = json_200(resp).await;
    let lid = success_lid(&answer);
    let lead = stored_lead(&sim, AID, lid).unwrap();
    assert_eq!(lead.field("שם"), Some("עמית בן דוד"));
    assert_eq!(lead.field("הודעה"), Some("שורה ראשונה\r\nשורה שנייה"));
}

#[tokio::test]
async fn submissions_to_a_created_account_land_only_there() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let counts = sim.store().counts();
    let lid = submit_lid(
        &client(),
        &account,
        &[("name", "תמר גולן"), ("phone", DANA_PHONE)],
    )
    .await;
    assert_eq!(
        sim.store()
            .account_leads(account.aid)
            .unwrap()
            .iter()
            .map(|l| l.lid)
            .collect::<Vec<_>>(),
        vec![lid]
    );
    assert_eq!(sim.store().counts().leads, counts.leads + 1);
    // 3305 has its own lead with this phone; the new one is not among its results.
    let in_3305 = lids(&lookup_at(&leads_get_url(&sim, AID), RW, DANA_PHONE).await);
    assert!(!in_3305.contains(&lid));
    assert_eq!(in_3305.len(), 1);
    assert_eq!(sim.journal_for(account.aid).len(), 1);
}

/// A body sent in chunks (no `Content-Length`, as streaming clients send it) is read
/// whole, even with a chunk boundary inside a percent-escape and inside a Hebrew
/// letter's two escapes.
#[tokio::test]
async fn a_chunked_body_split_inside_an_escape_is_read_whole() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = Simulator::start().await.unwrap();
    let body = format!(
        "lm_form={FORM}&lm_key={KEY}&lm_redirect=no&phone=052-444-7788&name={}&fld_city={}",
        form_enc("רונית אלמוג"),
        form_enc("קריית שמונה")
    );
    let cuts = [
        body.find("%D7").unwrap() + 2,
        body.find("&fld_city").unwrap() - 4,
    ];
    let mut request = format!(
        "POST /v2/submit HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        sim.addr()
    );
    let mut from = 0;
    for to in cuts.into_iter().chain([body.len()]) {
        request.push_str(&format!("{:x}\r\n{}\r\n", to - from, &body[from..to]));
        from = to;
    }
    request.push_str("0\r\n\r\n");
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let json: serde_json::Value =
        serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let lid = json["result"].as_u64().unwrap_or_else(|| panic!("{json}"));
    let lead = stored_lead(&sim, AID, lid).unwrap();
    assert_eq!(lead.fields["שם"], "רונית אלמוג");
    assert_eq!(lead.fields["עיר"], "קריית שמונה");
    assert_eq!(lead.phone, "052-444-7788");
}

/// A submission held up before its handler (a `latency` fault of more than a second)
/// is dated by its arrival, the journal entry's time, not by when the handler ran.
#[tokio::test]
async fn a_delayed_submission_is_dated_by_its_arrival() {
    use leadim_simulator::faults::{Endpoint, FaultKind, FaultSpec};
    let sim = Simulator::start().await.unwrap();
    sim.inject(FaultSpec::new(Endpoint::Submit, FaultKind::Latency { ms: 1_100 }).times(1))
        .unwrap();
    let lid = submit_ok(
        &sim,
        FORM,
        KEY,
        &[
            ("name", "אביגיל שושן"),
            ("phone", "054-318-2290"),
            ("fld_city", "נהריה"),
        ],
    )
    .await;
    let lead = stored_lead(&sim, AID, lid).unwrap();
    let entry = last_entry(&sim, "/v2/submit");
    // More than a second apart, a clock read in the handler would give another second.
    assert_dated_by_arrival(&lead, &entry);
    assert_eq!(lead.updated_at, lead.created_at);
}

/// The lead is dated (to the second) by its request's arrival, the journal entry's
/// time.
fn assert_dated_by_arrival(lead: &LeadView, entry: &JournalEntry) {
    let arrived: jiff::Timestamp = entry.at.parse().unwrap();
    let created: jiff::Timestamp = lead.created_at.parse().unwrap();
    assert_eq!(
        created.as_second(),
        arrived.as_second(),
        "{} vs {}",
        lead.created_at,
        entry.at
    );
}
