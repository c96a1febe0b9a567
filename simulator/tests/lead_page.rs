//! The lead page `/a/{aid}/leads/{lid}` (the target of `crmData.deepLink`): a
//! right-to-left UTF-8 HTML page of the lead's fields, escaped, and 404 for anything
//! that is not a lead of that account.

mod common;

use common::*;
use leadim_simulator::Simulator;

async fn page(url: &str) -> (u16, String, String) {
    let resp = client().get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    (status, ct, resp.text().await.unwrap())
}

#[tokio::test]
async fn the_page_shows_the_leads_hebrew_fields_right_to_left() {
    let sim = Simulator::start().await.unwrap();
    let lid = dana_lid(&sim).await;
    let (status, ct, html) = page(&format!("{}/a/{AID}/leads/{lid}", sim.base_url())).await;
    assert_eq!(status, 200);
    assert_eq!(ct, "text/html; charset=utf-8");
    assert!(html.contains(r#"dir="rtl""#), "{html}");
    assert!(html.contains(r#"lang="he""#));
    assert!(html.contains(r#"<meta charset="utf-8">"#));
    for shown in [
        "דנה כהן",
        "0521234567",
        "dana.cohen@gmail.com",
        "מעוניינת בהצעה לביטוח רכב",
        "תל אביב-יפו",
        "יוסי לוי",
        "ביטוח רכב — דף נחיתה",
        "facebook",
        &lid.to_string(),
    ] {
        assert!(html.contains(shown), "the page shows {shown}");
    }
    assert!(
        !html.contains("ליד לא תקין"),
        "a valid lead is not marked invalid"
    );
    assert_eq!(last_entry(&sim, "/a/").account, Some(AID));
}

#[tokio::test]
async fn the_deep_link_of_a_created_account_works_and_marks_an_invalid_lead() {
    let sim = Simulator::start().await.unwrap();
    let account = sim.create_account();
    let lid = submit_lid(
        &client(),
        &account,
        // Neither a name nor a phone: Lead.IM marks such a lead invalid.
        &[
            ("email", "adi.landau@gmail.com"),
            ("msg", "אשמח שתחזרו אליי בערב"),
        ],
    )
    .await;
    let (status, _, html) =
        page(&format!("{}/a/{}/leads/{lid}", account.ui_url, account.aid)).await;
    assert_eq!(status, 200);
    assert!(html.contains("adi.landau@gmail.com"));
    assert!(html.contains("ליד לא תקין"), "status 2 is shown");
}

#[tokio::test]
async fn submitted_markup_is_escaped() {
    let sim = Simulator::start().await.unwrap();
    let lid = submit_ok(
        &sim,
        FORM,
        KEY,
        &[
            ("name", "<script>alert(1)</script>"),
            ("phone", "0541231231"),
            (
                "msg",
                "שלום \"חברים\" <img src=x onerror=alert(2)> & 'תודה'",
            ),
            ("utm_campaign", "</td><script>alert(3)</script>"),
        ],
    )
    .await;
    let (status, _, html) = page(&format!("{}/a/{AID}/leads/{lid}", sim.base_url())).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("</td><script>"), "{html}");
    // Escaped, not dropped: decoding the entities gives back what was sent.
    let shown = unescape(&html);
    assert!(
        shown.contains("<h1><script>alert(1)</script></h1>"),
        "{html}"
    );
    assert!(
        shown.contains("שלום \"חברים\" <img src=x onerror=alert(2)> & 'תודה'"),
        "{html}"
    );
    assert!(shown.contains("</td><script>alert(3)</script>"), "{html}");
}

fn unescape(html: &str) -> String {
    [
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(html.to_owned(), |text, (entity, c)| text.replace(entity, c))
}

#[tokio::test]
async fn anything_but_a_lead_of_that_account_is_a_404_page() {
    let sim = Simulator::start().await.unwrap();
    let a = sim.create_account();
    let b = sim.create_account();
    let lid = submit_lid(
        &client(),
        &a,
        &[("name", "שני אור"), ("phone", "0501212121")],
    )
    .await;
    let base = sim.base_url();
    assert_eq!(
        page(&format!("{base}/a/{}/leads/{lid}", a.aid)).await.0,
        200
    );
    for url in [
        format!("{base}/a/{}/leads/{lid}", b.aid),
        format!("{base}/a/{AID}/leads/{lid}"),
        format!("{base}/a/{}/leads/999999", a.aid),
        format!("{base}/a/{}/leads/abc", a.aid),
        format!("{base}/a/x/leads/{lid}"),
        format!("{base}/a/424242/leads/{lid}"),
    ] {
        let (status, ct, html) = page(&url).await;
        assert_eq!(status, 404, "{url}");
        assert_eq!(ct, "text/html; charset=utf-8", "{url}");
        assert!(html.contains(r#"dir="rtl""#), "{url}");
        assert!(!html.contains("שני אור"), "{url} shows nothing of the lead");
    }
    let entry = last_entry(&sim, "/a/");
    assert_eq!(entry.status, 404);
    assert_diagnostic(&entry, "account 424242 has no lead");
}
