//! Texter's placeholders: `%provider:path|transformer(args)|…%`
//! (`shared/spec/texter-flows.md`).
//!
//! - Providers: `chat` (`phone`, `title`, `id`, `url`, `crmData.<dot path>`) and
//!   `state` (`node.<name>.text`, `.statusCode`, `.response.<path>`; array indices
//!   as `.0` or `[0]`). Others (`messages`, `time`) are reported as unknown.
//! - Transformers: `get("path")`, `formatPhone("smart"|"e164", "IL")`,
//!   `replace("from", "to"[, "g"])`, `trim`, `toLowerCase`, `toUpperCase`, `length`.
//!
//! Decisions where the documentation is silent (\[modeled\]): anything unresolved
//! renders as the empty string and passes through transformers as unresolved;
//! `replace` is literal (no regular expressions) and without `"g"` replaces the first
//! occurrence, like JavaScript's `String.replace` with a string; `length` counts
//! UTF-16 code units, as JavaScript does; `formatPhone` leaves a value that is not a
//! phone number unchanged; objects and arrays render as compact JSON; a path is
//! first tried as one whole key (lodash does the same, which makes keys containing
//! dots reachable); a `%` that does not open a well-formed placeholder is literal text,
//! and a placeholder's path may not contain whitespace (use `get` for such keys).

mod parse;
mod path;
mod transform;

pub use path::get_path;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use self::parse::Placeholder;
use self::transform::CallError;
use super::{FlowContext, NodeResult};
use crate::protocol::Chat;

/// A placeholder that is well-formed but names something this runner does not know.
/// Rendering stops: the flow is wrong, and silently sending an empty value would
/// hide that.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The provider before `:` is not `chat` or `state`.
    #[error("unknown placeholder provider {name:?} in {placeholder}")]
    UnknownProvider {
        /// The provider name.
        name: String,
        /// The whole placeholder, for the report.
        placeholder: String,
    },
    /// A transformer name that Texter does not have (or this runner does not support).
    #[error("unknown transformer {name:?} in {placeholder}")]
    UnknownTransformer {
        /// The transformer name.
        name: String,
        /// The whole placeholder.
        placeholder: String,
    },
    /// A known transformer with the wrong number or kind of arguments.
    #[error("bad arguments to {name}: {reason} in {placeholder}")]
    BadArguments {
        /// The transformer name.
        name: String,
        /// What is wrong.
        reason: String,
        /// The whole placeholder.
        placeholder: String,
    },
}

/// The values placeholders read, as JSON, built once per node so every param of a
/// request renders against the same snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    chat: Value,
    state: Value,
}

impl Scope {
    /// A scope over a chat and the nodes' state.
    pub fn new(chat: &Chat, state: &BTreeMap<String, NodeResult>) -> Self {
        let nodes: Map<String, Value> = state
            .iter()
            .map(|(name, result)| {
                (
                    name.clone(),
                    serde_json::to_value(result).unwrap_or_default(),
                )
            })
            .collect();
        let mut state_root = Map::new();
        state_root.insert("node".into(), Value::Object(nodes));
        Self {
            chat: serde_json::to_value(chat).unwrap_or_default(),
            state: Value::Object(state_root),
        }
    }

    /// The scope of a flow context.
    pub fn from_context(ctx: &FlowContext) -> Self {
        Self::new(&ctx.chat, &ctx.state)
    }

    /// Replaces every placeholder of `template`; text around them is kept verbatim.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use leadim_conformance::flow::template::Scope;
    /// use leadim_conformance::protocol::Chat;
    ///
    /// let chat = Chat {
    ///     phone: Some("972521234567".into()),
    ///     crm_data: serde_json::json!({"מטפל": "יוסי"}).as_object().cloned(),
    ///     ..Chat::default()
    /// };
    /// let scope = Scope::new(&chat, &BTreeMap::new());
    /// let text = scope.render(r#"%chat:phone|formatPhone("smart","IL")% / %chat:crmData|get("מטפל")% / 100%"#);
    /// assert_eq!(text.unwrap(), "052-123-4567 / יוסי / 100%");
    /// ```
    pub fn render(&self, template: &str) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(template.len());
        let (mut copied, mut search) = (0, 0);
        while let Some(offset) = template[search..].find('%') {
            let start = search + offset;
            match Placeholder::parse(template, start) {
                Some((placeholder, end)) => {
                    out.push_str(&template[copied..start]);
                    out.push_str(&to_text(
                        self.evaluate(&placeholder, &template[start..end])?,
                    ));
                    (copied, search) = (end, end);
                }
                None => search = start + 1,
            }
        }
        out.push_str(&template[copied..]);
        Ok(out)
    }

    fn evaluate(
        &self,
        placeholder: &Placeholder<'_>,
        source: &str,
    ) -> Result<Option<Value>, TemplateError> {
        let root = match placeholder.provider {
            "chat" => &self.chat,
            "state" => &self.state,
            name => {
                return Err(TemplateError::UnknownProvider {
                    name: name.into(),
                    placeholder: source.into(),
                });
            }
        };
        let mut value = get_path(root, placeholder.path).cloned();
        for call in &placeholder.transformers {
            value = call.apply(value).map_err(|reason| match reason {
                CallError::Unknown => TemplateError::UnknownTransformer {
                    name: call.name.into(),
                    placeholder: source.into(),
                },
                CallError::Arguments(reason) => TemplateError::BadArguments {
                    name: call.name.into(),
                    reason,
                    placeholder: source.into(),
                },
            })?;
        }
        Ok(value)
    }
}

/// Renders `template` against a flow context.
pub fn render(template: &str, ctx: &FlowContext) -> Result<String, TemplateError> {
    Scope::from_context(ctx).render(template)
}

/// The text a value renders as; unresolved and `null` are empty.
fn to_text(value: Option<Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s,
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::NodeState;

    fn scope() -> Scope {
        let mut chat = Chat {
            id: Some("c-17".into()),
            phone: Some("972521234567".into()),
            title: Some("  דנה כהן ".into()),
            url: Some("https://texter.example/chats/c-17".into()),
            crm_data: json!({"מטפל": "יוסי", "result": 117000017, "a.b": "dotted", "list": [1, 2]})
                .as_object()
                .cloned(),
            ..Chat::default()
        };
        chat.nodes.insert(
            "ask".into(),
            NodeState {
                text: Some("x".into()),
            },
        );
        let mut state = BTreeMap::new();
        state.insert(
            "ask_email".into(),
            NodeResult {
                text: Some("Dana@Example.co.il".into()),
                ..NodeResult::default()
            },
        );
        state.insert(
            "create_lead".into(),
            NodeResult {
                text: None,
                status_code: Some(200),
                response: json!({"status": "success", "result": 117000018, "data": [{"firstName": "דנה"}]}),
            },
        );
        Scope::new(&chat, &state)
    }

    fn ok(template: &str) -> String {
        scope()
            .render(template)
            .unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    #[test]
    fn chat_provider() {
        assert_eq!(ok("%chat:phone%"), "972521234567");
        assert_eq!(ok("%chat:title%"), "  דנה כהן ");
        assert_eq!(
            ok("%chat:id%|%chat:url%"),
            "c-17|https://texter.example/chats/c-17"
        );
        assert_eq!(ok("%chat:crmData.result%"), "117000017");
        assert_eq!(ok("%chat:crmData.list.1%"), "2");
        assert_eq!(ok("%chat:crmData.list[0]%"), "1");
        assert_eq!(
            ok("%chat:crmData.a.b%"),
            "",
            "path segments, not the whole key, below the root"
        );
        assert_eq!(
            ok("%chat:crmData|get(\"a.b\")%"),
            "dotted",
            "whole key first"
        );
    }

    #[test]
    fn hebrew_keys_through_get() {
        assert_eq!(ok(r#"%chat:crmData|get("מטפל")%"#), "יוסי");
        assert_eq!(
            ok(r#"מטפל: %chat:crmData | get( "מטפל" ) %!"#),
            "מטפל: יוסי!"
        );
        assert_eq!(ok("%chat:crmData.מטפל%"), "יוסי");
    }

    #[test]
    fn state_provider() {
        assert_eq!(ok("%state:node.ask_email.text%"), "Dana@Example.co.il");
        assert_eq!(ok("%state:node.create_lead.statusCode%"), "200");
        assert_eq!(ok("%state:node.create_lead.response.result%"), "117000018");
        assert_eq!(
            ok("%state:node.create_lead.response.data.0.firstName%"),
            "דנה"
        );
        assert_eq!(
            ok("%state:node.create_lead.response|get(\"data[0].firstName\")%"),
            "דנה"
        );
    }

    #[test]
    fn transformers() {
        assert_eq!(
            ok(r#"%chat:phone|formatPhone("smart","IL")%"#),
            "052-123-4567"
        );
        assert_eq!(
            ok(r#"%chat:phone|formatPhone("e164", "IL")%"#),
            "+972521234567"
        );
        assert_eq!(ok("%chat:phone|formatPhone%"), "052-123-4567");
        assert_eq!(
            ok(r#"%chat:title|formatPhone("smart","IL")%"#),
            "  דנה כהן ",
            "not a phone: unchanged"
        );
        assert_eq!(ok(r#"%chat:phone|replace("2","X")%"#), "97X521234567");
        assert_eq!(ok(r#"%chat:phone|replace("2","X","g")%"#), "97X5X1X34567");
        assert_eq!(
            ok(r#"%chat:url|replace("%","\"")%"#),
            "https://texter.example/chats/c-17"
        );
        assert_eq!(ok("[%chat:title|trim%]"), "[דנה כהן]");
        assert_eq!(
            ok("%state:node.ask_email.text|toLowerCase%"),
            "dana@example.co.il"
        );
        assert_eq!(
            ok("%state:node.ask_email.text|toUpperCase()%"),
            "DANA@EXAMPLE.CO.IL"
        );
        assert_eq!(ok("%chat:title|trim|length%"), "7");
        assert_eq!(ok("%chat:crmData.list|length%"), "2");
        assert_eq!(
            ok("%chat:phone|formatPhone(\"smart\",\"IL\")|replace(\"-\",\"\",\"g\")%"),
            "0521234567"
        );
    }

    #[test]
    fn unresolved_is_empty() {
        assert_eq!(ok("[%chat:crmData.nope%]"), "[]");
        assert_eq!(ok("[%state:node.missing.text|trim|toUpperCase%]"), "[]");
        assert_eq!(ok(r#"[%chat:crmData|get("אין")%]"#), "[]");
        let empty = Scope::new(&Chat::default(), &BTreeMap::new());
        assert_eq!(
            empty
                .render("%chat:crmData.x%%chat:phone|formatPhone%")
                .unwrap(),
            ""
        );
    }

    #[test]
    fn errors_name_the_culprit() {
        let err = scope().render("a %chat:phone|shout% b").unwrap_err();
        assert!(
            matches!(&err, TemplateError::UnknownTransformer { name, .. } if name == "shout"),
            "{err}"
        );
        let err = scope().render("%time:now%").unwrap_err();
        assert!(
            matches!(&err, TemplateError::UnknownProvider { name, .. } if name == "time"),
            "{err}"
        );
        let err = scope()
            .render(r#"%chat:phone|formatPhone("national")%"#)
            .unwrap_err();
        assert!(matches!(err, TemplateError::BadArguments { .. }));
        assert!(matches!(
            scope().render("%chat:phone|get%"),
            Err(TemplateError::BadArguments { .. })
        ));
    }

    #[test]
    fn stray_percent_signs_are_text() {
        for text in [
            "100%",
            "50% off, 20% more",
            "%",
            "%%",
            "%E2%80%8B",
            "%chat:phone",
            "%chat:phone|trim(%",
            "שלום %ע%",
        ] {
            assert_eq!(ok(text), text);
        }
        assert_eq!(ok("%%chat:phone%%"), "%972521234567%");
        assert_eq!(ok("100% %chat:id%"), "100% c-17");
    }
}
