//! The `leadim-reference-adapter` binary through protocol v1, as the suite runs an
//! external adapter.

use std::io::Write;
use std::process::{Command, Stdio};

use leadim_conformance::CommandAdapter;
use leadim_conformance::protocol::{AdapterRequest, Chat, CrmConfig, Endpoints, Function, Outcome};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_leadim-reference-adapter");

fn display_request(crm_data: Option<serde_json::Value>) -> AdapterRequest {
    let config = CrmConfig {
        only_display_data: Some(true.into()),
        ..CrmConfig::default()
    };
    let chat = Chat {
        phone: Some("972521234567".into()),
        crm_data: crm_data.and_then(|v| v.as_object().cloned()),
        ..Chat::default()
    };
    let endpoints = Endpoints {
        submit: "http://127.0.0.1:9/v2/submit".into(),
        ui: "http://127.0.0.1:9".into(),
    };
    AdapterRequest::new(Function::GetCustomerDetails, config, chat, endpoints)
}

#[tokio::test]
async fn answers_through_stdin_and_stdout() {
    let adapter = CommandAdapter::new(format!("'{BIN}'"));
    let response = adapter
        .call(&display_request(Some(
            json!({"pp_aid": 3305, "pp_lid": 7, "שם": "דנה"}),
        )))
        .await
        .unwrap();
    assert_eq!(response.outcome, Outcome::Complete);
    assert_eq!(
        response.crm_data_or_empty()["deepLink"],
        "http://127.0.0.1:9/a/3305/leads/7"
    );
    assert_eq!(response.crm_data_or_empty()["name"], "דנה");

    let response = adapter.call(&display_request(None)).await.unwrap();
    assert_eq!(
        response.outcome,
        Outcome::Failure,
        "a failure outcome is still exit 0"
    );
    assert!(response.error.is_some());
}

#[test]
fn invalid_request_exits_2() {
    let mut child = Command::new(BIN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"protocol\": 1}")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid adapter request"));
}
