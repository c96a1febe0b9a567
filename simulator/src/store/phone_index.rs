//! Leads by phone key: one array of `(key, lead id)` entries, open addressing with
//! linear probing.
//!
//! Why not a `HashMap<u64, Vec<u64>>`: at a million leads the phone lookup is bound by
//! memory, not work (`bench/README.md`, "Scale"). A SwissTable reads a group of
//! control bytes and then the bucket, two dependent cache misses. Here a lookup
//! reads the entries from the key's home on, nearly always one cache line. A key
//! nearly always has one lead, held in its entry; the few with several (the same
//! number submitted twice) name a list kept aside.

use crate::phone::PhoneMatch;
use std::hash::BuildHasher;

/// The smallest array the index allocates.
const MIN_SIZE: usize = 16;

/// Marks an entry's `val` as naming a list of lead ids in [`PhoneIndex::many`]. Lead
/// ids stay far below it (`store::load::MAX_LID` is 2^53 - 1).
const MANY: u64 = 1 << 63;

/// An entry: `val == 0` marks it empty (lead ids start at 1); otherwise `val` is the
/// key's one lead id, or `MANY | i` for the list `many[i]`.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    key: u64,
    val: u64,
}

/// A multi-map from phone key to lead ids, oldest first. Keys are hashes already (see
/// [`key`]); lids must not be 0.
#[derive(Debug, Clone, Default)]
pub(super) struct PhoneIndex {
    /// A power of two long, or empty; at most half full, so probe runs stay short.
    entries: Vec<Entry>,
    /// Entries in use: one per key.
    keys: usize,
    /// The lead ids of keys that have more than one.
    many: Vec<Vec<u64>>,
    /// Places in `many` free for the next list.
    free: Vec<usize>,
}

impl PhoneIndex {
    /// How many (key, lid) pairs it holds.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        let e = &self.entries;
        e.iter()
            .filter(|e| e.val != 0)
            .map(|e| self.lids(e).len())
            .sum()
    }

    /// Makes room for `more` keys, so that loading a dataset sizes the array once.
    pub(super) fn reserve(&mut self, more: usize) {
        let needed = (self.keys + more).saturating_mul(2).next_power_of_two();
        if more > 0 && needed > self.entries.len() {
            self.rebuild(needed);
        }
    }

    /// Files `lid` under `key`, after the lids already there.
    pub(super) fn insert(&mut self, key: u64, lid: u64) {
        debug_assert!(lid != 0 && lid & MANY == 0, "lead id {lid} out of range");
        if (self.keys + 1) * 2 > self.entries.len() {
            self.rebuild((self.entries.len() * 2).max(MIN_SIZE));
        }
        let at = self.probe(key);
        let val = self.entries[at].val;
        if val == 0 {
            self.entries[at] = Entry { key, val: lid };
            self.keys += 1;
        } else if val & MANY != 0 {
            self.many[(val & !MANY) as usize].push(lid);
        } else {
            let list = vec![val, lid];
            let i = match self.free.pop() {
                Some(i) => {
                    self.many[i] = list;
                    i
                }
                None => {
                    self.many.push(list);
                    self.many.len() - 1
                }
            };
            self.entries[at].val = MANY | i as u64;
        }
    }

    /// The lids filed under `key`, oldest first. Keys are full 64-bit hashes, so two
    /// phones share one only by a true collision; the caller checks each lead's own
    /// phone.
    pub(super) fn get(&self, key: u64) -> &[u64] {
        if self.entries.is_empty() {
            return &[];
        }
        let e = &self.entries[self.probe(key)];
        if e.val == 0 { &[] } else { self.lids(e) }
    }

    /// Takes `lid` out from under `key`; false when it was not there.
    pub(super) fn remove(&mut self, key: u64, lid: u64) -> bool {
        if self.entries.is_empty() {
            return false;
        }
        let at = self.probe(key);
        let val = self.entries[at].val;
        if val & MANY != 0 {
            let i = (val & !MANY) as usize;
            let list = &mut self.many[i];
            let Some(pos) = list.iter().position(|l| *l == lid) else {
                return false;
            };
            list.remove(pos);
            if let [last] = list[..] {
                self.entries[at].val = last;
                self.many[i] = Vec::new();
                self.free.push(i);
            }
            return true;
        }
        // Empty, or another lead's entry (lids are never 0).
        if val != lid {
            return false;
        }
        self.vacate(at);
        true
    }

    fn lids<'a>(&'a self, e: &'a Entry) -> &'a [u64] {
        if e.val & MANY != 0 {
            &self.many[(e.val & !MANY) as usize]
        } else {
            std::slice::from_ref(&e.val)
        }
    }

    /// Where `key`'s entry is, or the empty entry where it would go. The array must
    /// not be empty.
    fn probe(&self, key: u64) -> usize {
        let mask = self.entries.len() - 1;
        let mut at = self.home(key);
        // Never more than half full: a run always ends at an empty entry.
        loop {
            let e = &self.entries[at];
            if e.val == 0 || e.key == key {
                return at;
            }
            at = (at + 1) & mask;
        }
    }

    /// Empties the entry at `at` by backward-shift deletion (Knuth, vol. 3, 6.4,
    /// algorithm R): no tombstones, so runs stay as short as if the key had never
    /// been there.
    fn vacate(&mut self, at: usize) {
        let mask = self.entries.len() - 1;
        let mut hole = at;
        let mut next = (hole + 1) & mask;
        loop {
            let e = self.entries[next];
            if e.val == 0 {
                break;
            }
            let home = self.home(e.key);
            // `e` may fill the hole unless its home lies cyclically in (hole, next].
            let stays = if hole <= next {
                hole < home && home <= next
            } else {
                hole < home || home <= next
            };
            if !stays {
                self.entries[hole] = e;
                hole = next;
            }
            next = (next + 1) & mask;
        }
        self.entries[hole] = Entry::default();
        self.keys -= 1;
    }

    fn home(&self, key: u64) -> usize {
        // Fibonacci hashing: the top bits of the product, well spread even if the
        // key's low bits were not.
        let bits = self.entries.len().trailing_zeros();
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize
    }

    fn rebuild(&mut self, size: usize) {
        // Never under two entries: `home` shifts by 64 minus the size's bits.
        let size = size.max(MIN_SIZE);
        let old = std::mem::replace(&mut self.entries, vec![Entry::default(); size]);
        for e in old.into_iter().filter(|e| e.val != 0) {
            let at = self.probe(e.key);
            self.entries[at] = e;
        }
    }
}

/// The index's key for `phone` in account `aid`: a fixed hash, so the index holds
/// no strings. None for a phone without one.
pub(super) fn key(aid: u64, phone: &str, phone_match: PhoneMatch) -> Option<u64> {
    // An empty key (no phone, or in normalized mode one without digits) would make
    // every such lead match every other digitless `by_phone`.
    let key = phone_match.key(phone);
    (!key.is_empty()).then(|| hash(aid, &key))
}

/// The hash of a phone key already worked out by [`PhoneMatch::key`].
pub(super) fn hash(aid: u64, key: &str) -> u64 {
    // A fixed seed: the same phone hashes the same across resets and snapshots.
    foldhash::fast::FixedState::with_seed(0x1ead_1e55).hash_one((aid, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64, u64),
        Remove(u64, u64),
    }

    /// Few distinct keys, and keys that share their home, so that runs form, cross
    /// the array's end and get shifted back by removals.
    fn op() -> impl Strategy<Value = Op> {
        let key = prop_oneof![0u64..6, any::<u64>(), (0u64..4).prop_map(|k| k << 60)];
        prop_oneof![
            3 => (key.clone(), 1u64..40).prop_map(|(k, l)| Op::Insert(k, l)),
            2 => (key, 1u64..40).prop_map(|(k, l)| Op::Remove(k, l)),
        ]
    }

    proptest! {
        /// The index answers as a map from key to a list of lids would (oldest
        /// first), whatever the order of insertions and removals.
        #[test]
        fn it_is_a_multimap(ops in proptest::collection::vec(op(), 0..300)) {
            let mut index = PhoneIndex::default();
            let mut model: HashMap<u64, Vec<u64>> = HashMap::new();
            for op in &ops {
                match *op {
                    Op::Insert(k, l) => {
                        index.insert(k, l);
                        model.entry(k).or_default().push(l);
                    }
                    Op::Remove(k, l) => {
                        let lids = model.entry(k).or_default();
                        let was = lids.iter().position(|x| *x == l).map(|i| lids.remove(i));
                        prop_assert_eq!(index.remove(k, l), was.is_some());
                    }
                }
                prop_assert_eq!(index.len(), model.values().map(Vec::len).sum::<usize>());
            }
            for (k, lids) in &model {
                prop_assert_eq!(index.get(*k), &lids[..]);
            }
            prop_assert_eq!(index.get(u64::MAX - 7).len(), model.get(&(u64::MAX - 7)).map_or(0, Vec::len));
        }
    }

    #[test]
    fn an_empty_index_finds_and_removes_nothing() {
        let mut index = PhoneIndex::default();
        assert!(index.get(42).is_empty());
        assert!(!index.remove(42, 1));
        index.reserve(0);
        assert!(index.get(42).is_empty());
    }

    #[test]
    fn reserving_keeps_what_is_there_and_sizes_once() {
        let mut index = PhoneIndex::default();
        index.insert(7, 100_001);
        index.reserve(1_000);
        let size = index.entries.len();
        assert!(size >= 2 * 1_001, "{size} entries for 1,001 keys");
        for lid in 2..=1_000 {
            index.insert(lid * 31, lid);
        }
        assert_eq!(index.entries.len(), size, "grew after reserving");
        assert_eq!(index.get(7), [100_001]);
    }
}
