//! Leads by id. Ids are handed out densely from a base, so a vector indexed by
//! `lid - base` is the index: no hashing, no per-entry overhead.
//!
//! A snapshot of a million leads cannot copy them all under the store's lock (that
//! held every request for over a second), so it copies them a chunk at a time,
//! releasing the lock in between, from a table [frozen](LeadTable::freeze) for it: a
//! lead changed before the snapshot has copied it first leaves a copy of its former
//! self with the freeze, and the snapshot takes that copy. So the snapshot is of the
//! table as it was when the freeze began, whatever happens meanwhile. A lead's
//! routing lives beside the table (few leads are routed), and its change is kept the
//! same way: the store tells the table before it changes one
//! ([`LeadTable::keep_routes_before`]).

use super::Map;
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
    /// Snapshots being taken of the table: nearly always none.
    frozen: Vec<Frozen>,
}

/// A snapshot in progress: of the leads with ids below `upto`, as they were when it
/// began. Those below `copied_below` it has copied; a later one that changes first
/// leaves its former self (or its absence) in `before`, and its former routing in
/// `routes_before`.
#[derive(Debug, Clone)]
struct Frozen {
    id: u64,
    upto: u64,
    copied_below: u64,
    before: Map<u64, Option<Lead>>,
    routes_before: Map<u64, Vec<u64>>,
}

impl Frozen {
    /// Whether the snapshot still has to copy lead `lid`.
    fn pending(&self, lid: u64) -> bool {
        (self.copied_below..self.upto).contains(&lid)
    }
}

/// A lead as a snapshot copied it, with the advertiser users it was routed to.
pub(crate) type Copied = (Lead, Vec<u64>);

impl LeadTable {
    /// A table of leads whose ids run one after another: the vector becomes the
    /// table where it lies (`Option<Lead>` is a lead's size, so nothing is copied).
    pub fn from_consecutive(leads: Vec<Lead>) -> LeadTable {
        debug_assert!(leads.windows(2).all(|w| w[1].lid == w[0].lid + 1));
        LeadTable {
            base: leads.first().map_or(0, |l| l.lid),
            count: leads.len(),
            slots: leads.into_iter().map(Some).collect(),
            frozen: Vec::new(),
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
        self.keep_before(lid);
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
        self.keep_before(lead.lid);
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        if self.slots[i].replace(lead).is_none() {
            self.count += 1;
        }
    }

    /// The lowest id the table has a slot for.
    pub fn first_lid(&self) -> u64 {
        self.base
    }

    /// Before lead `lid` changes: each snapshot that holds it and has not copied it
    /// yet keeps what it is now (the first time only).
    fn keep_before(&mut self, lid: u64) {
        if self.frozen.is_empty() {
            return;
        }
        let now = self.get(lid).cloned();
        for f in &mut self.frozen {
            if f.pending(lid) && !f.before.contains_key(&lid) {
                f.before.insert(lid, now.clone());
            }
        }
    }

    /// Before lead `lid`'s routing changes from `now`: each snapshot that holds the
    /// lead and has not copied it yet keeps that routing (the first time only).
    pub fn keep_routes_before(&mut self, lid: u64, now: &[u64]) {
        for f in &mut self.frozen {
            if f.pending(lid) && !f.routes_before.contains_key(&lid) {
                f.routes_before.insert(lid, now.to_vec());
            }
        }
    }

    /// Starts snapshot `id` (unique in the process) of the leads with ids below
    /// `upto`.
    pub fn freeze(&mut self, id: u64, upto: u64) {
        self.frozen.push(Frozen {
            id,
            upto,
            copied_below: self.base,
            before: Map::default(),
            routes_before: Map::default(),
        });
    }

    /// Ends snapshot `id`.
    pub fn thaw(&mut self, id: u64) {
        self.frozen.retain(|f| f.id != id);
    }

    /// The leads of snapshot `id` with ids from `from` to `to` (not included), as
    /// they were when it began, copied with their routing (`routes`, the store's
    /// routing now); afterwards they may change freely. The snapshot copies its ids
    /// in increasing order. `None` when the table has no such snapshot: it replaced
    /// the one that had it (a reset), and the snapshot must begin again.
    pub fn copy_frozen(
        &mut self,
        id: u64,
        from: u64,
        to: u64,
        routes: &Map<u64, Vec<u64>>,
    ) -> Option<Vec<Copied>> {
        let (base, slots) = (self.base, &self.slots);
        let f = self.frozen.iter_mut().find(|f| f.id == id)?;
        let to = to.min(f.upto);
        let mut copied = Vec::with_capacity(usize::try_from(to.saturating_sub(from)).unwrap_or(0));
        for lid in from..to {
            let lead = match f.before.remove(&lid) {
                Some(before) => before,
                None => lid
                    .checked_sub(base)
                    .and_then(|i| slots.get(usize::try_from(i).ok()?))
                    .and_then(Clone::clone),
            };
            let routed = f.routes_before.remove(&lid);
            if let Some(lead) = lead {
                let routed =
                    routed.unwrap_or_else(|| routes.get(&lid).cloned().unwrap_or_default());
                copied.push((lead, routed));
            }
        }
        f.copied_below = f.copied_below.max(to);
        Some(copied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::lead::LeadHead;

    fn lead(lid: u64, status_id: u32) -> Lead {
        let head = LeadHead {
            lid,
            aid: 1,
            form_id: 1,
            created_at: 0,
            updated_at: 0,
            status_id,
        };
        Lead::new(head, Lead::pack(vec![(0u16, "x")]))
    }

    fn statuses(leads: &[Copied]) -> Vec<(u64, u32)> {
        leads.iter().map(|(l, _)| (l.lid, l.status_id)).collect()
    }

    #[test]
    fn a_frozen_table_is_copied_as_it_was_when_frozen() {
        let mut table = LeadTable::from_consecutive((10..20).map(|lid| lead(lid, 1)).collect());
        table.freeze(7, 20);
        assert_eq!(
            statuses(&table.copy_frozen(7, 10, 13, &Map::default()).unwrap()),
            [(10, 1), (11, 1), (12, 1)]
        );
        // Changes after the freeze: to a lead copied already, to one not copied yet
        // (twice), a new lead past the snapshot's ids.
        table.get_mut(11).unwrap().status_id = 2;
        table.get_mut(15).unwrap().status_id = 2;
        table.get_mut(15).unwrap().status_id = 3;
        table.insert(lead(20, 2));
        let rest = table.copy_frozen(7, 13, 25, &Map::default()).unwrap();
        assert_eq!(
            statuses(&rest),
            (13..20).map(|lid| (lid, 1)).collect::<Vec<_>>(),
            "the snapshot sees every lead as it was"
        );
        assert_eq!(
            table.get(15).unwrap().status_id,
            3,
            "the table has the change"
        );
        table.thaw(7);
        assert!(table.frozen.is_empty());
        assert!(
            table.copy_frozen(7, 10, 20, &Map::default()).is_none(),
            "no such snapshot any more"
        );
        // Thawed, a change keeps nothing.
        table.get_mut(16).unwrap().status_id = 2;
        assert!(table.frozen.is_empty());
    }

    #[test]
    fn a_frozen_table_is_copied_with_the_routing_it_had_when_frozen() {
        let mut table = LeadTable::from_consecutive((10..14).map(|lid| lead(lid, 1)).collect());
        let mut routes: Map<u64, Vec<u64>> = Map::default();
        routes.insert(12, vec![501]);
        table.freeze(3, 14);
        // Routed after the freeze: a lead that was not, one that was (twice).
        for (lid, to) in [(11, vec![501, 502]), (12, vec![502]), (12, vec![])] {
            let now = routes.get(&lid).cloned().unwrap_or_default();
            table.keep_routes_before(lid, &now);
            routes.insert(lid, to);
        }
        let copied = table.copy_frozen(3, 10, 14, &routes).unwrap();
        let routing: Vec<(u64, Vec<u64>)> = copied.into_iter().map(|(l, r)| (l.lid, r)).collect();
        assert_eq!(
            routing,
            [(10, vec![]), (11, vec![]), (12, vec![501]), (13, vec![])],
            "the snapshot sees every lead routed as it was"
        );
    }
}
