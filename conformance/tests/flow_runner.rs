//! The flow runner end to end against a canned server: the seed's create → update
//! chain, a crm node through the reference adapter, and the runner's guards.

mod common;

use common::{Canned, FakeServer, ok};
use leadim_conformance::flow::{Flow, FlowContext, FlowEnd, FlowRunner, substitute_placeholders};
use leadim_conformance::protocol::{Chat, CrmConfig, Endpoints, Outcome};
use leadim_conformance::{AdapterUnderTest, CommandAdapter, ReferenceAdapter};
use serde_json::json;

fn seed(name: &str, server: &FakeServer) -> Flow {
    let path = format!("{}/../features/flows/{name}", env!("CARGO_MANIFEST_DIR"));
    let subs = [
        ("YOUR_LM_FORM", "5001"),
        ("YOUR_LM_KEY", "k-5001"),
        ("YOUR_ACCOUNT_ID", "3305"),
        ("YOUR_TOKEN", "U-d5f9403e30b5281d.6484eb0eaa3c4f85"),
        ("https://api.lead.im", server.url.as_str()),
        ("https://proxy.leadim.xyz", server.url.as_str()),
    ];
    Flow::from_yaml(&substitute_placeholders(
        &std::fs::read_to_string(path).unwrap(),
        &subs,
    ))
    .unwrap()
}

fn context(server: &FakeServer) -> FlowContext {
    let chat = Chat {
        phone: Some("972521234567".into()),
        title: Some("דנה כהן".into()),
        ..Chat::default()
    };
    let config = CrmConfig {
        token: Some("U-d5f9403e30b5281d.6484eb0eaa3c4f85".into()),
        get_customer_details_url: Some(format!("{}/apiproxy/3305/api/leads_get.ashx", server.url)),
        ..CrmConfig::default()
    };
    let endpoints = Endpoints {
        submit: format!("{}/v2/submit", server.url),
        ui: server.url.clone(),
    };
    FlowContext::new(chat, config, endpoints)
}

fn runner() -> FlowRunner {
    FlowRunner::new(AdapterUnderTest::Reference(
        ReferenceAdapter::new().unwrap(),
    ))
    .unwrap()
}

#[tokio::test]
async fn create_then_update_as_the_seed_chains_them() {
    let server = FakeServer::start(vec![
        ok(&json!({"status": "success", "result": 117000018})),
        ok(&json!({"status": "success"})),
    ])
    .await;
    let mut flow = seed("create_lead.yaml", &server);
    flow.extend(seed("update_lead.yaml", &server));
    let mut ctx = context(&server);
    ctx.set_text("ask_email", "dana@example.co.il");
    ctx.set_text("ask_message", "אשמח לפרטים + מחיר");

    let outcome = runner().run(&flow, "create_lead", &mut ctx).await;
    assert_eq!(outcome.reached(), Some("done"), "{:?}", outcome.end);
    let visited: Vec<_> = outcome
        .trace
        .iter()
        .map(|s| (s.node.as_str(), s.outcome))
        .collect();
    assert_eq!(
        visited,
        [
            ("create_lead", Outcome::Complete),
            ("update_lead", Outcome::Complete)
        ]
    );
    assert_eq!(ctx.state["create_lead"].status_code, Some(200));
    assert_eq!(ctx.state["create_lead"].response["result"], 117000018);

    let sent = server.requests();
    assert_eq!(sent[0].method, "GET");
    let query = sent[0].query();
    let get = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("name"), Some("דנה כהן"));
    assert_eq!(get("phone"), Some("052-123-4567"));
    assert_eq!(get("msg"), Some("אשמח לפרטים + מחיר"));
    assert_eq!(get("lm_form"), Some("5001"));
    // Sent in the order the flow lists its query, not sorted.
    let keys: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "lm_form",
            "lm_key",
            "lm_redirect",
            "name",
            "phone",
            "email",
            "msg",
            "utm_source"
        ]
    );
    let record = outcome.trace[0].request.as_ref().unwrap();
    assert_eq!((record.method.as_str(), record.status), ("GET", Some(200)));
    assert!(record.url.starts_with(&format!(
        "{}/v2/submit?lm_form=5001&lm_key=k-5001",
        server.url
    )));

    assert_eq!(
        (sent[1].method.as_str(), sent[1].target.as_str()),
        ("POST", "/apiproxy/3305/api/lead_update.ashx")
    );
    assert_eq!(
        sent[1].header("X-LEAD-IM-AUTH"),
        Some("U-d5f9403e30b5281d.6484eb0eaa3c4f85")
    );
    assert_eq!(
        sent[1].form(),
        [
            ("by_id".into(), "117000018".into()),
            ("some_field".into(), "some_value".into())
        ]
    );
}

#[tokio::test]
async fn a_json_body_and_headers_keep_the_flows_order() {
    let server = FakeServer::start(vec![ok(&json!({"status": "success"}))]).await;
    let yaml = format!(
        r#"
update_lead:
  type: func
  func_type: system
  func_id: request
  params:
    url: "{}/apiproxy/3305/api/lead_update.ashx"
    method: post
    json: true
    headers:
      X-Request-Source: "texter"
      X-LEAD-IM-AUTH: "U-d5f9403e30b5281d.6484eb0eaa3c4f85"
    data:
      by_id: "117000018"
      מטפל: "יוסי לוי"
      עיר: "חיפה"
      fld_status: "בטיפול"
      ביטוח: "רכב"
  on_complete: done
"#,
        server.url
    );
    let flow = Flow::from_yaml(&yaml).unwrap();
    let outcome = runner()
        .run(&flow, "update_lead", &mut context(&server))
        .await;
    assert_eq!(outcome.reached(), Some("done"), "{:?}", outcome.end);
    let sent = &server.requests()[0];
    assert_eq!(
        sent.body,
        r#"{"by_id":"117000018","מטפל":"יוסי לוי","עיר":"חיפה","fld_status":"בטיפול","ביטוח":"רכב"}"#
    );
    let names: Vec<&str> = sent
        .headers
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.to_ascii_lowercase().starts_with("x-"))
        .collect();
    assert_eq!(names, ["x-request-source", "x-lead-im-auth"]);
}

#[tokio::test]
async fn a_failing_request_takes_on_failure_and_keeps_status() {
    let server = FakeServer::start(vec![Canned::Answer(500, r#"{"oops":1}"#.into())]).await;
    let flow = seed("create_lead.yaml", &server);
    let mut ctx = context(&server);
    let outcome = runner().run(&flow, "create_lead", &mut ctx).await;
    assert_eq!(outcome.reached(), Some("lead_failed"));
    assert_eq!(ctx.state["create_lead"].status_code, Some(500));
    assert_eq!(ctx.state["create_lead"].response, json!({"oops": 1}));
    assert!(outcome.trace[0].error.as_deref().unwrap().contains("500"));
}

#[tokio::test]
async fn crm_nodes_write_crm_data_back() {
    let lead = json!({"aid": 3305, "lid": 117000017, "phone": "972521234567", "fields": {"שם": "דנה כהן"}});
    let server = FakeServer::start(vec![ok(&json!({"status": "success", "data": [lead]}))]).await;
    let mut ctx = context(&server);
    let outcome = runner()
        .run(
            &seed("leadim_lookup.yaml", &server),
            "leadim_lookup",
            &mut ctx,
        )
        .await;
    assert_eq!(outcome.reached(), Some("known_lead"));
    let crm = ctx.chat.crm_data.as_ref().unwrap();
    assert_eq!(crm["id"], "117000017");
    assert_eq!(crm["שם"], "דנה כהן");
}

#[tokio::test]
async fn collected_texts_reach_open_ticket() {
    let server = FakeServer::start(vec![ok(&json!({"status": "success", "result": 5}))]).await;
    let mut ctx = context(&server);
    ctx.crm_config.lm_form = Some("5001".into());
    ctx.crm_config.lm_key = Some("k".into());
    ctx.set_text("lead_get_name", "שם מהבוט");
    let outcome = runner()
        .run(&seed("leadim_open.yaml", &server), "leadim_open", &mut ctx)
        .await;
    assert_eq!(outcome.reached(), Some("lead_created"));
    assert_eq!(ctx.chat.crm_data.as_ref().unwrap()["result"], 5);
    assert!(
        server.requests()[0]
            .form()
            .contains(&("fld_name".into(), "שם מהבוט".into()))
    );
}

#[tokio::test]
async fn a_failed_display_call_leaves_crm_data_absent() {
    let server = FakeServer::start(vec![]).await;
    let mut ctx = context(&server);
    ctx.crm_config.only_display_data = Some(true.into());
    let outcome = runner()
        .run(
            &seed("leadim_lookup.yaml", &server),
            "leadim_lookup",
            &mut ctx,
        )
        .await;
    assert_eq!(outcome.reached(), Some("unknown_lead"));
    assert!(ctx.chat.crm_data.is_none());
}

#[tokio::test]
async fn guards() {
    let server = FakeServer::start(vec![]).await;
    let looping = Flow::from_yaml(
        "a:\n  type: prompt\n  on_complete: b\nb:\n  type: prompt\n  on_complete: a\n",
    )
    .unwrap();
    let mut ctx = context(&server);
    let outcome = runner().run(&looping, "a", &mut ctx).await;
    assert!(matches!(outcome.end, FlowEnd::StepLimit));
    assert_eq!(outcome.trace.len(), leadim_conformance::flow::MAX_STEPS);

    let outcome = runner().run(&looping, "nowhere", &mut ctx).await;
    assert!(matches!(outcome.end, FlowEnd::Aborted { .. }));

    let stuck = Flow::from_yaml("a:\n  type: prompt\n").unwrap();
    assert!(matches!(
        runner().run(&stuck, "a", &mut ctx).await.end,
        FlowEnd::NoTransition { .. }
    ));

    let bad = Flow::from_yaml(
        "r:\n  type: func\n  func_type: system\n  func_id: request\n  params:\n    url: \"%chat:phone|shout%\"\n  on_complete: done\n",
    )
    .unwrap();
    let outcome = runner().run(&bad, "r", &mut ctx).await;
    let FlowEnd::Aborted { error, .. } = outcome.end else {
        panic!("{:?}", outcome.end)
    };
    assert!(error.to_string().contains("shout"), "{error}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_broken_external_adapter_aborts_the_run() {
    let server = FakeServer::start(vec![]).await;
    let runner = FlowRunner::new(AdapterUnderTest::Command(CommandAdapter::new(
        "echo oops >&2; exit 1",
    )))
    .unwrap();
    let mut ctx = context(&server);
    let outcome = runner
        .run(
            &seed("leadim_lookup.yaml", &server),
            "leadim_lookup",
            &mut ctx,
        )
        .await;
    let FlowEnd::Aborted { node, error } = outcome.end else {
        panic!("{:?}", outcome.end)
    };
    assert_eq!(node, "leadim_lookup");
    assert!(error.to_string().contains("oops"), "{error}");
}
