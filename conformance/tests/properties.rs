//! Property tests of the library's own pieces: phone formats agree for every
//! Israeli number in every way forms write it (the generators are the property
//! mode's, `leadim_conformance::properties::strategies`), and nothing a user or a
//! CRM can type makes the template engine (or the phone parser) panic. The property
//! mode itself, against adapters, is `property_mode.rs`.

use std::collections::BTreeMap;

use leadim_conformance::flow::NodeResult;
use leadim_conformance::flow::template::Scope;
use leadim_conformance::phone::{PhoneStyle, format_phone, lookup_candidates};
use leadim_conformance::properties::strategies::{
    IsraeliNumber, NumberKind, israeli_number, landline, mobile, written_forms,
};
use leadim_conformance::protocol::{Chat, NodeState};
use proptest::prelude::*;
use serde_json::{Map, Value};

proptest! {
    #[test]
    fn every_form_of_a_mobile_agrees(n in mobile()) {
        let number = IsraeliNumber { kind: NumberKind::Mobile, national: n.clone() };
        let smart = format!("0{}-{}-{}", &n[..2], &n[2..5], &n[5..]);
        prop_assert_eq!(&number.display(), &smart);
        let e164 = format!("+972{n}");
        for form in written_forms(&number) {
            prop_assert_eq!(format_phone(&form, PhoneStyle::Smart, "IL"), Some(smart.clone()), "{}", form);
            prop_assert_eq!(format_phone(&form, PhoneStyle::E164, "IL"), Some(e164.clone()), "{}", form);
            let candidates = lookup_candidates(&form);
            prop_assert_eq!(&candidates[0], &form);
            for expected in [format!("972{n}"), format!("0{n}"), smart.clone()] {
                prop_assert!(candidates.contains(&expected), "{:?} lacks {}", candidates, expected);
            }
        }
    }

    #[test]
    fn every_form_of_a_landline_agrees(n in landline()) {
        let number = IsraeliNumber { kind: NumberKind::Landline, national: n.clone() };
        let smart = format!("0{}-{}-{}", &n[..1], &n[1..4], &n[4..]);
        prop_assert_eq!(&number.display(), &smart);
        for form in written_forms(&number) {
            prop_assert_eq!(format_phone(&form, PhoneStyle::Smart, "IL"), Some(smart.clone()), "{}", form);
            prop_assert_eq!(format_phone(&form, PhoneStyle::E164, "IL"), Some(format!("+972{n}")), "{}", form);
        }
    }

    /// The property mode's oracle for `fld_phone` (`IsraeliNumber::display`) and the
    /// phone module agree on every kind of number, 07X included, and a lookup's
    /// candidates are the three formats the protocol names, in its order.
    #[test]
    fn the_display_format_agrees_with_the_phone_module(number in israeli_number()) {
        let chat_phone = number.chat_phone();
        prop_assert_eq!(format_phone(&chat_phone, PhoneStyle::Smart, "IL"), Some(number.display()));
        let candidates = lookup_candidates(&chat_phone);
        prop_assert_eq!(candidates, written_forms(&number)[..3].to_vec());
    }

    #[test]
    fn phone_parsing_never_panics(input in prop_oneof![any::<String>(), "[0-9 +()#.x:-]{0,30}"], region in "[A-Za-z]{0,3}") {
        let _ = format_phone(&input, PhoneStyle::Smart, &region);
        let _ = format_phone(&input, PhoneStyle::E164, "IL");
        let candidates = lookup_candidates(&input);
        prop_assert!(candidates.is_empty() || candidates[0] == input);
    }

    #[test]
    fn templates_never_panic(template in template_text(), crm in crm_data(), phone in any::<String>(), text in any::<String>()) {
        let mut chat = Chat { phone: Some(phone), crm_data: Some(crm), ..Chat::default() };
        chat.nodes.insert("ask".into(), NodeState { text: Some(text.clone()) });
        let mut state = BTreeMap::new();
        state.insert("ask".into(), NodeResult { text: Some(text), ..NodeResult::default() });
        let scope = Scope::new(&chat, &state);
        let rendered = scope.render(&template);
        if !template.contains('%') {
            prop_assert_eq!(rendered, Ok(template));
        }
    }
}

/// Arbitrary text, and text built from the template syntax's own pieces so that
/// near-valid placeholders come up often.
fn template_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("%"),
        Just("|"),
        Just("("),
        Just(")"),
        Just("\""),
        Just("\\"),
        Just(":"),
        Just("."),
        Just(","),
        Just(" "),
        Just("chat"),
        Just("state"),
        Just("crmData"),
        Just("node.ask.text"),
        Just("phone"),
        Just("get"),
        Just("formatPhone"),
        Just("replace"),
        Just("trim"),
        Just("length"),
        Just("toUpperCase"),
        Just("\"smart\""),
        Just("\"IL\""),
        Just("\"g\""),
        Just("[0]"),
        Just("0"),
        Just("מטפל"),
        Just("\"מטפל\""),
        Just("😀"),
        Just("\u{200B}"),
        Just("\u{200D}"),
        Just("\u{FEFF}"),
        Just("\u{202E}"),
        Just("e\u{301}"),
    ];
    prop_oneof![
        any::<String>(),
        prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat()),
    ]
}

fn crm_data() -> impl Strategy<Value = Map<String, Value>> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop_oneof![
            Just("מטפל"),
            Just("052-123-4567"),
            Just("%chat:phone%"),
            Just("a.b")
        ]
        .prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map(key(), value, 0..6).prop_map(|m| m.into_iter().collect())
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        Just("מטפל".to_owned()),
        Just("a.b".to_owned()),
        Just("0".to_owned())
    ]
}
