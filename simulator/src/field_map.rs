//! [`FieldMap`]: names to text values, in order — a lead's fields, a form's
//! parameter keys. Lead.IM's `fields` is an ordered map (the form's field order), so
//! the order is part of the data: it is kept here, by the type, rather than by a
//! serde_json feature that would be forced on every user's build.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Names to text values, in order: a lead's fields (field name → value, in its
/// form's field order), or a form's fields (parameter key → field name, in display
/// order).
///
/// It serializes as a JSON object in this order, and deserializes keeping the
/// order of the text. A name given twice keeps its first place and takes the last
/// value, as it does in a JSON object; [`FieldMap::insert`] does the same.
///
/// ```
/// use leadim_simulator::FieldMap;
///
/// let mut fields: FieldMap = [("שם", "דנה כהן"), ("טלפון", "0521234567")].into_iter().collect();
/// fields.insert("עיר", "חיפה");
/// fields.insert("שם", "דנה לוי");
/// assert_eq!(fields.get("שם"), Some("דנה לוי"));
/// assert_eq!(fields["עיר"], "חיפה");
/// assert_eq!(fields.keys().collect::<Vec<_>>(), ["שם", "טלפון", "עיר"]);
/// assert_eq!(
///     serde_json::to_string(&fields).unwrap(),
///     r#"{"שם":"דנה לוי","טלפון":"0521234567","עיר":"חיפה"}"#
/// );
/// assert_eq!(fields.to_string(), r#"{"שם":"דנה לוי","טלפון":"0521234567","עיר":"חיפה"}"#);
/// let back: FieldMap = serde_json::from_str(r#"{"עיר":"חיפה","שם":"דנה"}"#).unwrap();
/// assert_eq!(back.keys().collect::<Vec<_>>(), ["עיר", "שם"]);
/// ```
// A list, not a hash map: a lead has a handful of fields, a lookup by name scans
// them, and a million leads load without hashing a name. Parsing a million
// leads.jsonl lines took 0.9 s this way against 1.6 s into an IndexMap (with
// foldhash), on one machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMap(Vec<(String, String)>);

impl FieldMap {
    /// An empty map.
    pub fn new() -> FieldMap {
        FieldMap(Vec::new())
    }

    /// An empty map with room for `n` names.
    pub fn with_capacity(n: usize) -> FieldMap {
        FieldMap(Vec::with_capacity(n))
    }

    /// How many names it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether it holds `name`.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` to `value`: in its place when it is there (answering the value
    /// it had), else last.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> Option<String> {
        let name = name.into();
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, old)) => Some(std::mem::replace(old, value)),
            None => {
                self.0.push((name, value));
                None
            }
        }
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    /// The values, in order.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, v)| v.as_str())
    }

    /// `(name, value)`, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.0.iter())
    }
}

/// `(name, value)` of a [`FieldMap`], in order.
#[derive(Debug, Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (String, String)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        self.0.next().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<'a> IntoIterator for &'a FieldMap {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl std::ops::Index<&str> for FieldMap {
    type Output = String;

    /// The value of `name`.
    ///
    /// # Panics
    ///
    /// When it does not hold `name`.
    fn index(&self, name: &str) -> &String {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no field named {name:?}"))
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for FieldMap {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        let mut map = FieldMap::new();
        map.extend(iter);
        map
    }
}

impl<N: Into<String>, V: Into<String>> Extend<(N, V)> for FieldMap {
    fn extend<I: IntoIterator<Item = (N, V)>>(&mut self, iter: I) {
        for (name, value) in iter {
            self.insert(name, value);
        }
    }
}

impl IntoIterator for FieldMap {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The JSON object, in order: for messages that show a lead's fields.
impl fmt::Display for FieldMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&json)
    }
}

impl Serialize for FieldMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for FieldMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = FieldMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of names to text")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<FieldMap, A::Error> {
                let mut fields = FieldMap::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((name, value)) = map.next_entry::<String, String>()? {
                    fields.insert(name, value);
                }
                Ok(fields)
            }
        }
        d.deserialize_map(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::FieldMap;

    #[test]
    fn a_repeated_name_keeps_its_first_place_and_its_last_value() {
        let fields: FieldMap =
            serde_json::from_str(r#"{"שם":"דנה","עיר":"חיפה","שם":"דנה כהן"}"#).unwrap();
        assert_eq!(
            fields.iter().collect::<Vec<_>>(),
            [("שם", "דנה כהן"), ("עיר", "חיפה")]
        );
    }

    #[test]
    fn a_value_that_is_not_text_is_refused() {
        let err = serde_json::from_str::<FieldMap>(r#"{"שם":5}"#).unwrap_err();
        assert!(err.to_string().contains("expected a string"), "{err}");
    }
}
