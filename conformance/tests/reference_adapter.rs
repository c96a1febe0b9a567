//! The reference adapter against a canned HTTP server: what it sends, and that every
//! bad answer becomes a `failure` rather than a crash or a hang.

mod common;

use std::time::Duration;

use common::{Canned, FakeServer, ok};
use leadim_conformance::ReferenceAdapter;
use leadim_conformance::protocol::{
    AdapterRequest, Chat, CrmConfig, Direction, Endpoints, Function, Message, NodeState, Outcome,
};
use serde_json::{Value, json};

fn lead() -> Value {
    json!({"aid": 3305, "lid": 117000017, "form_id": 5001, "status_id": 1,
           "created_at": "2025-01-01T10:00:00Z", "updated_at": "2025-01-01T10:00:00Z",
           "phone": "0521234567", "fields": {"שם": "דנה כהן", "מטפל": "יוסי"}, "utm_source": null})
}

fn lookup_request(server: &FakeServer) -> AdapterRequest {
    let config = CrmConfig {
        token: Some("U-d5f9403e30b5281d.6484eb0eaa3c4f85".into()),
        get_customer_details_url: Some(format!("{}/apiproxy/3305/api/leads_get.ashx", server.url)),
        ..CrmConfig::default()
    };
    let chat = Chat {
        phone: Some("972521234567".into()),
        crm_data: json!({"previous": "kept"}).as_object().cloned(),
        ..Chat::default()
    };
    let endpoints = Endpoints {
        submit: format!("{}/v2/submit", server.url),
        ui: server.url.clone(),
    };
    AdapterRequest::new(Function::GetCustomerDetails, config, chat, endpoints)
}

fn adapter() -> ReferenceAdapter {
    ReferenceAdapter::with_timeout(Duration::from_millis(500)).unwrap()
}

#[tokio::test]
async fn lookup_tries_the_stored_formats_in_order() {
    let empty = ok(&json!({"status": "success", "data": []}));
    let server = FakeServer::start(vec![
        empty.clone(),
        empty,
        ok(&json!({"status": "success", "data": [lead()]})),
    ])
    .await;
    let response = adapter().call(&lookup_request(&server)).await;
    assert_eq!(response.outcome, Outcome::Complete, "{:?}", response.error);
    let sent = server.requests();
    let phones: Vec<_> = sent.iter().map(|r| r.query()[0].1.clone()).collect();
    assert_eq!(phones, ["972521234567", "0521234567", "052-123-4567"]);
    assert!(sent.iter().all(|r| r.method == "GET"
        && r.header("X-LEAD-IM-AUTH") == Some("U-d5f9403e30b5281d.6484eb0eaa3c4f85")));
    assert_eq!(
        Value::Object(response.crm_data_or_empty()),
        json!({"previous": "kept", "שם": "דנה כהן", "מטפל": "יוסי", "id": "117000017", "name": "דנה כהן",
               "phone": "0521234567", "deepLink": format!("{}/a/3305/leads/117000017", server.url)})
    );
}

#[tokio::test]
async fn lookup_encodes_a_plus_phone() {
    let server = FakeServer::start(vec![ok(&json!({"status": "success", "data": [lead()]}))]).await;
    let mut req = lookup_request(&server);
    req.chat.phone = Some("+972521234567".into());
    assert_eq!(adapter().call(&req).await.outcome, Outcome::Complete);
    let sent = &server.requests()[0];
    assert!(
        sent.target.contains("by_phone=%2B972521234567"),
        "{}",
        sent.target
    );
}

#[tokio::test]
async fn lookup_failures_keep_crm_data() {
    let cases = [
        ("no match", ok(&json!({"status": "success", "data": []}))),
        (
            "envelope",
            ok(&json!({"status": "failure", "error": "bad token"})),
        ),
        ("status", Canned::Answer(500, "{}".into())),
        ("not JSON", Canned::Answer(200, "<html>".into())),
        ("no status", ok(&json!({"data": [lead()]}))),
        (
            "lead without lid",
            ok(&json!({"status": "success", "data": [{"aid": 1}]})),
        ),
        ("timeout", Canned::Hang),
    ];
    for (case, answer) in cases {
        let server = FakeServer::start(vec![answer]).await;
        let response = adapter().call(&lookup_request(&server)).await;
        assert_eq!(response.outcome, Outcome::Failure, "{case}");
        assert!(response.error.is_some(), "{case}");
        assert_eq!(
            Value::Object(response.crm_data_or_empty()),
            json!({"previous": "kept"}),
            "{case}"
        );
    }
}

#[tokio::test]
async fn missing_config_sends_nothing() {
    let server = FakeServer::start(vec![ok(&json!({"status": "success", "data": [lead()]}))]).await;
    for strip in [
        |c: &mut CrmConfig| c.token = None,
        |c: &mut CrmConfig| c.get_customer_details_url = Some(String::new()),
    ] {
        let mut req = lookup_request(&server);
        strip(&mut req.crm_config);
        let response = adapter().call(&req).await;
        assert_eq!(response.outcome, Outcome::Failure);
        assert!(response.error.unwrap().contains("missing"));
    }
    let mut open = lookup_request(&server);
    open.function = Function::OpenTicket;
    assert_eq!(
        adapter().call(&open).await.outcome,
        Outcome::Failure,
        "no lm_form/lm_key"
    );
    let mut display = lookup_request(&server);
    display.crm_config.only_display_data = Some(true.into());
    assert_eq!(adapter().call(&display).await.outcome, Outcome::Complete);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn other_protocol_versions_are_refused() {
    let server = FakeServer::start(vec![]).await;
    let mut req = lookup_request(&server);
    req.protocol = 2;
    let response = adapter().call(&req).await;
    assert_eq!(response.outcome, Outcome::Failure);
    assert!(server.requests().is_empty());
}

fn open_request(server: &FakeServer) -> AdapterRequest {
    let mut req = lookup_request(server);
    req.function = Function::OpenTicket;
    req.crm_config.lm_form = Some("5001".into());
    req.crm_config.lm_key = Some("k-5001".into());
    req.chat.title = Some("דנה כהן".into());
    req.chat.url = Some("https://texter.example/chats/c-17?x=1&y=2".into());
    req.chat.messages = vec![
        Message {
            direction: Direction::Incoming,
            text: Some("שלום".into()),
        },
        Message {
            direction: Direction::Outgoing,
            text: Some("היי + ברוכה הבאה".into()),
        },
        Message {
            direction: Direction::Outgoing,
            text: Some("100% & more".into()),
        },
    ];
    req.chat.nodes.insert(
        "lead_get_email".into(),
        NodeState {
            text: Some("dana@example.co.il".into()),
        },
    );
    req
}

#[tokio::test]
async fn open_ticket_posts_the_form() {
    let server =
        FakeServer::start(vec![ok(&json!({"status": "success", "result": 117000018}))]).await;
    let response = adapter().call(&open_request(&server)).await;
    assert_eq!(response.outcome, Outcome::Complete, "{:?}", response.error);
    assert_eq!(
        Value::Object(response.crm_data_or_empty()),
        json!({"previous": "kept", "result": 117000018})
    );
    let sent = &server.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("POST", "/v2/submit")
    );
    assert!(
        sent.header("content-type")
            .unwrap()
            .starts_with("application/x-www-form-urlencoded")
    );
    let expected = [
        ("lm_form", "5001"),
        ("lm_key", "k-5001"),
        ("lm_redirect", "no"),
        ("fld_name", "דנה כהן"),
        ("fld_phone", "052-123-4567"),
        ("fld_email", "dana@example.co.il"),
        ("fld_message", "היי + ברוכה הבאה\n100% & more"),
        ("chat_url", "https://texter.example/chats/c-17?x=1&y=2"),
    ];
    let form = sent.form();
    assert_eq!(form, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
}

#[tokio::test]
async fn open_ticket_result_as_string_becomes_a_number() {
    let server = FakeServer::start(vec![ok(
        &json!({"status": "success", "result": "117000019"}),
    )])
    .await;
    let response = adapter().call(&open_request(&server)).await;
    assert_eq!(response.crm_data_or_empty()["result"], json!(117000019));
}

#[tokio::test]
async fn open_ticket_failures() {
    for answer in [
        ok(&json!({"status": "failure", "error": "wrong lm_key", "code": -1})),
        ok(&json!({"status": "success"})),
        Canned::Answer(302, String::new()),
        Canned::Answer(200, "thanks".into()),
        Canned::Hang,
    ] {
        let server = FakeServer::start(vec![answer.clone()]).await;
        let response = adapter().call(&open_request(&server)).await;
        assert_eq!(response.outcome, Outcome::Failure, "{answer:?}");
        assert_eq!(
            Value::Object(response.crm_data_or_empty()),
            json!({"previous": "kept"})
        );
    }
}

#[tokio::test]
async fn an_unreachable_host_is_a_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let server = FakeServer::start(vec![]).await;
    let mut req = lookup_request(&server);
    req.crm_config.get_customer_details_url = Some(format!("{url}/x"));
    let response = adapter().call(&req).await;
    assert_eq!(response.outcome, Outcome::Failure);
    req.crm_config.get_customer_details_url = Some("not a url".into());
    assert_eq!(adapter().call(&req).await.outcome, Outcome::Failure);
}
