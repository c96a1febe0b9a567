//! The seed document's four YAML snippets, kept verbatim in `features/flows/`, load
//! through the flow parser into the nodes the seed describes.

use std::path::PathBuf;

use leadim_conformance::flow::request::ParseMode;
use leadim_conformance::flow::{Flow, NodeAction, substitute_placeholders};
use leadim_conformance::protocol::{Function, Outcome};

fn flows_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../features/flows")
}

fn load(name: &str) -> Flow {
    let text = std::fs::read_to_string(flows_dir().join(name)).unwrap();
    Flow::from_yaml(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn crm_snippets() {
    let flow = load("leadim_lookup.yaml");
    let node = &flow.nodes["leadim_lookup"];
    assert_eq!(node.action(), NodeAction::Crm(Function::GetCustomerDetails));
    assert_eq!(node.next(Outcome::Complete), Some("known_lead"));
    assert_eq!(node.next(Outcome::Failure), Some("unknown_lead"));

    let flow = load("leadim_open.yaml");
    let node = &flow.nodes["leadim_open"];
    assert_eq!(node.action(), NodeAction::Crm(Function::OpenTicket));
    assert_eq!(
        (node.on_complete.as_deref(), node.on_failure.as_deref()),
        (Some("lead_created"), Some("lead_failed"))
    );
}

#[test]
fn create_lead_snippet() {
    let flow = load("create_lead.yaml");
    let node = &flow.nodes["create_lead"];
    assert_eq!(node.action(), NodeAction::Request);
    let params = node.request_params("create_lead").unwrap();
    assert_eq!(params.url, "https://api.lead.im/v2/submit");
    assert_eq!(params.method, "get");
    assert!(params.keep_response && !params.json);
    assert_eq!(params.parse, ParseMode::Lenient);
    let keys: Vec<&str> = params.query.keys().map(String::as_str).collect();
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
    assert_eq!(params.query["lm_redirect"], "no");
    assert_eq!(
        params.query["phone"],
        r#"%chat:phone|formatPhone("smart","IL")%"#
    );
    assert_eq!(
        (node.on_complete.as_deref(), node.on_failure.as_deref()),
        (Some("update_lead"), Some("lead_failed"))
    );
}

#[test]
fn update_lead_snippet() {
    let flow = load("update_lead.yaml");
    let params = flow.nodes["update_lead"]
        .request_params("update_lead")
        .unwrap();
    assert_eq!(params.method, "post");
    assert_eq!(
        params.url,
        "https://proxy.leadim.xyz/apiproxy/YOUR_ACCOUNT_ID/api/lead_update.ashx"
    );
    assert_eq!(params.headers["X-LEAD-IM-AUTH"], "YOUR_TOKEN");
    assert_eq!(
        params.data["by_id"],
        "%state:node.create_lead.response.result%"
    );
    assert_eq!(params.data["some_field"], "some_value");
}

#[test]
fn substituted_snippets_still_parse() {
    let subs = [
        ("YOUR_LM_FORM", "5001"),
        ("YOUR_LM_KEY", "k-5001"),
        ("YOUR_ACCOUNT_ID", "3305"),
        ("YOUR_TOKEN", "U-d5f9403e30b5281d.6484eb0eaa3c4f85"),
        ("https://api.lead.im", "http://127.0.0.1:41234"),
        ("https://proxy.leadim.xyz", "http://127.0.0.1:41234"),
    ];
    let mut flow = Flow::default();
    for name in ["create_lead.yaml", "update_lead.yaml"] {
        let text = std::fs::read_to_string(flows_dir().join(name)).unwrap();
        flow.extend(Flow::from_yaml(&substitute_placeholders(&text, &subs)).unwrap());
    }
    let create = flow.nodes["create_lead"]
        .request_params("create_lead")
        .unwrap();
    assert_eq!(create.url, "http://127.0.0.1:41234/v2/submit");
    assert_eq!(create.query["lm_form"], "5001");
    let update = flow.nodes["update_lead"]
        .request_params("update_lead")
        .unwrap();
    assert_eq!(
        update.url,
        "http://127.0.0.1:41234/apiproxy/3305/api/lead_update.ashx"
    );
    assert_eq!(
        update.headers["X-LEAD-IM-AUTH"],
        "U-d5f9403e30b5281d.6484eb0eaa3c4f85"
    );
}

/// The snippets must stay byte-identical to the seed's code blocks. The seed lives in
/// `shared/` beside the repository; where that is absent the check has nothing to
/// compare with and says so.
#[test]
fn snippets_are_verbatim_copies_of_the_seed() {
    let seed_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/seed/texter-leadim-adapter.md");
    let Ok(seed) = std::fs::read_to_string(&seed_path) else {
        eprintln!(
            "seed not found at {}; verbatim check skipped",
            seed_path.display()
        );
        return;
    };
    let blocks: Vec<&str> = seed
        .split("```yaml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect();
    assert_eq!(blocks.len(), 4);
    for (block, file) in blocks.iter().zip([
        "leadim_lookup.yaml",
        "leadim_open.yaml",
        "create_lead.yaml",
        "update_lead.yaml",
    ]) {
        let copy = std::fs::read_to_string(flows_dir().join(file)).unwrap();
        assert_eq!(&copy, block, "{file} differs from the seed");
    }
}
