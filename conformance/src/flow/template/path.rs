//! Lodash-style paths into JSON values, as placeholders and `get` read them.

use serde_json::Value;

/// Lodash-style `get`: the whole path as one key first, then dot/bracket segments
/// (`a.b.0`, `a[0]["b"]`). An empty path is the value itself.
pub fn get_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if path.is_empty() {
        return Some(value);
    }
    if let Some(whole) = value.as_object().and_then(|map| map.get(path)) {
        return Some(whole);
    }
    path_segments(path)
        .iter()
        .try_fold(value, |current, key| match current {
            Value::Object(map) => map.get(key.as_str()),
            Value::Array(items) => items.get(key.parse::<usize>().ok()?),
            _ => None,
        })
}

fn path_segments(path: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => segments.push(std::mem::take(&mut current)),
            '[' => {
                if !current.is_empty() {
                    segments.push(std::mem::take(&mut current));
                }
                let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
                segments.push(inner.trim_matches(|c| c == '"' || c == '\'').to_owned());
                // A `.` right after `]` separates nothing new.
                let rest = chars.as_str();
                if let Some(stripped) = rest.strip_prefix('.') {
                    chars = stripped.chars();
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments
}
