//! Leads by id. Ids are handed out densely from a base, so a vector indexed by
//! `lid - base` is the index: no hashing, no per-entry overhead.

use super::lead::Lead;

// A lead's boxes give `Option<Lead>` a niche: the table's slots cost no more than
// the leads, and a `Vec<Lead>` becomes the table in place.
const _: () = assert!(size_of::<Option<Lead>>() == size_of::<Lead>());
// A million leads: each byte here is a megabyte.
const _: () = assert!(size_of::<Lead>() <= 136);

/// The lead table: a slot per id from `base`.
#[derive(Debug, Clone, Default)]
pub(crate) struct LeadTable {
    base: u64,
    slots: Vec<Option<Lead>>,
    count: usize,
}

impl LeadTable {
    /// A table of leads whose ids run one after another: the vector becomes the
    /// table where it lies (`Option<Lead>` is a lead's size, so nothing is copied).
    pub fn from_consecutive(leads: Vec<Lead>) -> LeadTable {
        debug_assert!(leads.windows(2).all(|w| w[1].lid == w[0].lid + 1));
        LeadTable {
            base: leads.first().map_or(0, |l| l.lid),
            count: leads.len(),
            slots: leads.into_iter().map(Some).collect(),
        }
    }

    fn slot(&self, lid: u64) -> Option<usize> {
        lid.checked_sub(self.base)
            .and_then(|i| usize::try_from(i).ok())
    }

    pub fn get(&self, lid: u64) -> Option<&Lead> {
        self.slots.get(self.slot(lid)?)?.as_ref()
    }

    pub fn get_mut(&mut self, lid: u64) -> Option<&mut Lead> {
        let i = self.slot(lid)?;
        self.slots.get_mut(i)?.as_mut()
    }

    pub fn contains(&self, lid: u64) -> bool {
        self.get(lid).is_some()
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// Room for `more` leads after the last slot.
    pub fn reserve(&mut self, more: usize) {
        self.slots.reserve(more);
    }

    pub fn insert(&mut self, lead: Lead) {
        if self.slots.is_empty() && self.count == 0 {
            self.base = lead.lid;
        }
        let Some(i) = self.slot(lead.lid) else {
            // An id below the base (only from a hand-made snapshot): shift once.
            let shift = (self.base - lead.lid) as usize;
            self.slots
                .splice(0..0, std::iter::repeat_with(|| None).take(shift));
            self.base = lead.lid;
            return self.insert(lead);
        };
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        if self.slots[i].replace(lead).is_none() {
            self.count += 1;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Lead> {
        self.slots.iter().flatten()
    }
}
