//! The seed's placeholder credentials and hosts, replaced with a scenario's values
//! before a flow's YAML is parsed.

/// Replaces the seed's placeholder credentials and hosts (`YOUR_LM_FORM`,
/// `YOUR_TOKEN`, `https://api.lead.im`, …) with a scenario's values, in one pass:
/// text that a replacement inserts is never replaced again, and where two
/// placeholders start at the same place the longer wins.
///
/// ```
/// use leadim_conformance::flow::substitute_placeholders;
///
/// let yaml = r#"url: "https://api.lead.im/v2/submit""#;
/// let local = substitute_placeholders(yaml, &[("https://api.lead.im", "http://127.0.0.1:41234")]);
/// assert_eq!(local, r#"url: "http://127.0.0.1:41234/v2/submit""#);
/// ```
pub fn substitute_placeholders(yaml: &str, subs: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(yaml.len());
    let mut rest = yaml;
    while !rest.is_empty() {
        let hit = subs
            .iter()
            .filter(|(from, _)| !from.is_empty() && rest.starts_with(from))
            .max_by_key(|(from, _)| from.len());
        match hit {
            Some((from, to)) => {
                out.push_str(to);
                rest = &rest[from.len()..];
            }
            None => {
                let mut chars = rest.chars();
                out.extend(chars.next());
                rest = chars.as_str();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_is_single_pass() {
        let subs = [
            ("YOUR_TOKEN", "tok-YOUR_LM_KEY"),
            ("YOUR_LM_KEY", "k"),
            ("https://api.lead.im", "http://127.0.0.1:9"),
        ];
        let out = substitute_placeholders(
            "a: YOUR_TOKEN\nb: YOUR_LM_KEY\nurl: \"https://api.lead.im/v2/submit\" # שלום",
            &subs,
        );
        assert_eq!(
            out,
            "a: tok-YOUR_LM_KEY\nb: k\nurl: \"http://127.0.0.1:9/v2/submit\" # שלום"
        );
    }
}
