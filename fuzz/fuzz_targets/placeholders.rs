//! The Texter placeholder engine: arbitrary templates over arbitrary crmData never
//! panic; text without `%` comes back unchanged.
#![no_main]

use leadim_conformance::flow::template::Scope;
use leadim_conformance::protocol::Chat;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|input: (&str, &str, &str)| {
    let (template, crm_json, phone) = input;
    let chat = Chat {
        phone: Some(phone.to_owned()),
        title: Some("דנה כהן".into()),
        crm_data: serde_json::from_str(crm_json).ok(),
        ..Chat::default()
    };
    let scope = Scope::new(&chat, &BTreeMap::new());
    let rendered = scope.render(template);
    if !template.contains('%') {
        assert_eq!(rendered.as_deref().ok(), Some(template));
    }
});
