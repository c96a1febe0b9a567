//! The packed lead: every field value of a lead in one string, with the ends of the
//! values beside it, so that a million leads fit in a few hundred megabytes.

use super::accounts::Form;
use crate::model::LeadView;
use smallvec::SmallVec;

/// Field indexes past every form's own hold the lead's UTM values and `lm_source`,
/// so they share the lead's one text allocation.
pub(crate) const UTM_BASE: u16 = u16::MAX - 8;
/// The field index of `lm_source`, right after the five UTM values.
pub(crate) const LM_SOURCE: u16 = UTM_BASE + 5;

/// The UTM parameters, in the order of their field indexes from [`UTM_BASE`].
pub(crate) const UTM_KEYS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
];

/// A lead's field ends, inline for up to eight fields (a typical lead has six to
/// eight): a lookup of one lead among a million then reads its ends from the lead
/// itself rather than from an allocation of their own, one cache miss fewer, and the
/// lead takes no more memory than with that allocation (136 bytes against 80 + 64).
pub(crate) type FieldEnds = SmallVec<[(u16, u32); 8]>;

/// A lead's values packed by [`Lead::pack`]: the text, where each field ends in it,
/// and whether any value needs escaping in JSON.
pub(crate) struct PackedValues {
    pub text: Box<str>,
    pub ends: FieldEnds,
    pub plain: bool,
}

/// A lead, compact: a million of them must fit in a few hundred MB. Every field value
/// sits in one string; `ends` says which field ends where.
#[derive(Debug, Clone)]
pub(crate) struct Lead {
    pub lid: u64,
    pub aid: u64,
    pub form_id: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub status_id: u32,
    /// The values, back to back.
    text: Box<str>,
    /// (field index into the form's names, end of its value in `text`), by field
    /// index: the order the answers list them in.
    ends: FieldEnds,
    /// No value needs escaping in JSON (true of nearly every real lead), so answers
    /// copy the values as they are.
    plain: bool,
}

/// The identity and dates of a lead, for [`Lead::new`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeadHead {
    pub lid: u64,
    pub aid: u64,
    pub form_id: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub status_id: u32,
}

impl Lead {
    /// A lead of `head` holding `values`.
    pub fn new(head: LeadHead, values: PackedValues) -> Lead {
        Lead {
            lid: head.lid,
            aid: head.aid,
            form_id: head.form_id,
            created_at: head.created_at,
            updated_at: head.updated_at,
            status_id: head.status_id,
            text: values.text,
            ends: values.ends,
            plain: values.plain,
        }
    }

    /// Packs `(field index, value)` pairs, ordered by field; a later value of the
    /// same field wins. Also says whether every value is plain JSON string content.
    pub fn pack<S: AsRef<str>>(mut pairs: Vec<(u16, S)>) -> PackedValues {
        // A stable sort keeps a field's values in the order they came.
        pairs.sort_by_key(|(idx, _)| *idx);
        let last = |i: usize| pairs.get(i + 1).is_none_or(|(next, _)| *next != pairs[i].0);
        Lead::pack_sorted(
            pairs
                .iter()
                .enumerate()
                .filter(|(i, _)| last(*i))
                .map(|(_, (idx, value))| (*idx, value.as_ref())),
        )
    }

    /// Packs pairs already in field order, each field once. The text is allocated at
    /// its exact size, so boxing it does not reallocate.
    fn pack_sorted<'v>(pairs: impl Iterator<Item = (u16, &'v str)> + Clone) -> PackedValues {
        let (count, len) = pairs
            .clone()
            .fold((0, 0), |(n, len), (_, v)| (n + 1, len + v.len()));
        let mut text = String::with_capacity(len);
        let mut ends = FieldEnds::with_capacity(count);
        let mut plain = true;
        for (idx, value) in pairs {
            plain &= is_plain(value);
            text.push_str(value);
            ends.push((idx, text.len() as u32));
        }
        PackedValues {
            text: text.into_boxed_str(),
            ends,
            plain,
        }
    }

    /// `(field index, value)` in field order: the form's fields, then UTM values.
    pub fn pairs(&self) -> impl Iterator<Item = (u16, &str)> {
        let mut start = 0;
        self.ends.iter().map(move |&(idx, end)| {
            let value = &self.text[start..end as usize];
            start = end as usize;
            (idx, value)
        })
    }

    /// No value of this lead needs escaping in a JSON string.
    pub fn is_plain(&self) -> bool {
        self.plain
    }

    pub fn field(&self, idx: u16) -> Option<&str> {
        self.pairs().find(|(i, _)| *i == idx).map(|(_, v)| v)
    }

    /// Sets fields (rare: updates only), repacking; true when something changed.
    pub fn set_fields(&mut self, changes: &[(u16, &str)]) -> bool {
        // Where two keys set one field, the later value is the one that counts.
        let last = |i: usize, idx: u16| !changes[i + 1..].iter().any(|(later, _)| *later == idx);
        let changed = changes
            .iter()
            .enumerate()
            .any(|(i, (idx, v))| last(i, *idx) && self.field(*idx) != Some(*v));
        if changed {
            // The lead's pairs are in field order already: each change replaces its
            // field's value or goes in at its place, and the result is packed as is.
            let mut pairs: Vec<(u16, &str)> = Vec::with_capacity(self.ends.len() + changes.len());
            pairs.extend(self.pairs());
            for (i, &(idx, value)) in changes.iter().enumerate() {
                if !last(i, idx) {
                    continue;
                }
                match pairs.binary_search_by_key(&idx, |(at, _)| *at) {
                    Ok(at) => pairs[at].1 = value,
                    Err(at) => pairs.insert(at, (idx, value)),
                }
            }
            let packed = Lead::pack_sorted(pairs.iter().copied());
            (self.text, self.ends, self.plain) = (packed.text, packed.ends, packed.plain);
        }
        changed
    }

    pub fn phone<'a>(&'a self, form: &Form) -> &'a str {
        self.field(form.phone_field).unwrap_or("")
    }

    /// The owned, public view of this lead, without its routing (the store's side
    /// table holds that: see `State::view`).
    pub fn view(&self, form: &Form) -> LeadView {
        let fields = self
            .pairs()
            .take_while(|(i, _)| *i < UTM_BASE)
            .map(|(idx, value)| (form.field_names[idx as usize].to_string(), value))
            .collect();
        let extra = |idx: u16| self.field(idx).map(str::to_owned);
        LeadView {
            aid: self.aid,
            lid: self.lid,
            form_id: self.form_id,
            status_id: self.status_id,
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
            phone: self.phone(form).to_owned(),
            fields,
            utm_source: extra(UTM_BASE),
            utm_medium: extra(UTM_BASE + 1),
            utm_campaign: extra(UTM_BASE + 2),
            utm_content: extra(UTM_BASE + 3),
            utm_term: extra(UTM_BASE + 4),
            lm_source: extra(LM_SOURCE),
            routes_to_advertisers: Vec::new(),
            adv_users: Vec::new(),
        }
    }
}

/// A time as the answers print it: RFC 3339, UTC, to the second.
pub(crate) fn format_time(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// True when `s` goes into a JSON string as it is: no quote, backslash or control
/// character. Checked a word at a time: this runs over every value stored.
pub(crate) fn is_plain(s: &str) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Bytewise "x < n" for every byte of x below 0x80 (the high bytes of UTF-8 are
    // never special), after Hacker's Delight / Mycroft's haszero.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let has = |x: u64, b: u8| below(x ^ (ONES * u64::from(b)), 1);
    let bytes = s.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_ne_bytes(chunk.try_into().expect("chunks of 8"));
        if below(x, 0x20) | has(x, b'"') | has(x, b'\\') != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead_of(values: PackedValues) -> Lead {
        let head = LeadHead {
            lid: 1,
            aid: 1,
            form_id: 1,
            created_at: 0,
            updated_at: 0,
            status_id: 1,
        };
        Lead::new(head, values)
    }

    proptest::proptest! {
        /// An update's changes land as if laid over a map of the lead's fields: each
        /// field once, in field order, the last change of a field winning; "changed"
        /// only when some value differs; plain kept true to the values.
        #[test]
        fn set_fields_is_a_map_overlay(
            before in proptest::collection::btree_map(0u16..12, "[א-ת a\"]{0,6}", 0..8),
            changes in proptest::collection::vec((0u16..12, "[א-ת a\"]{0,6}"), 0..6),
        ) {
            let mut lead = lead_of(Lead::pack(before.iter().map(|(i, v)| (*i, v.as_str())).collect()));
            let borrowed: Vec<(u16, &str)> = changes.iter().map(|(i, v)| (*i, v.as_str())).collect();
            let changed = lead.set_fields(&borrowed);

            let mut expected = before.clone();
            expected.extend(changes.iter().cloned());
            let after: Vec<(u16, String)> = lead.pairs().map(|(i, v)| (i, v.to_owned())).collect();
            proptest::prop_assert_eq!(&after, &expected.clone().into_iter().collect::<Vec<_>>());
            proptest::prop_assert_eq!(changed, expected != before);
            proptest::prop_assert_eq!(lead.is_plain(), expected.values().all(|v| !v.contains('"')));
        }
    }

    #[test]
    fn plain_means_nothing_to_escape() {
        let naive = |s: &str| s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
        for b in 0u8..0x80 {
            for at in 0..20 {
                let mut s = "שלום עולם"
                    .repeat(3)
                    .chars()
                    .take(20)
                    .collect::<Vec<char>>();
                s[at] = char::from(b);
                let s: String = s.into_iter().collect();
                assert_eq!(is_plain(&s), naive(&s), "{s:?}");
            }
        }
        assert!(is_plain(""));
        assert!(is_plain("דנה כהן, רמת גן 052-1234567"));
    }
}
