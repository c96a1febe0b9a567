//! The ordering rule of lead ids (docs/contract.md, "Create a lead"), checked against
//! what concurrent clients saw.
//!
//! Ids increase in the order leads are stored, under the store's lock, while
//! `created_at` is the request's arrival, to the second. So among concurrent submits
//! neither order says anything about the other. What does hold: a submit *sent* after
//! another submit's answer *came back* arrived after that lead was stored, so it gets
//! a higher id and a `created_at` no earlier. The clients stamp each submit with ticks
//! of one shared [`Ticks`] counter, before sending and after the answer, and
//! [`check_ids_follow_answers`] checks every such pair.

use leadim_simulator::LeadView;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// A counter shared by concurrent clients: a tick taken after another (in any task)
/// is greater.
#[derive(Debug, Default)]
pub struct Ticks(AtomicU64);

impl Ticks {
    /// The next tick.
    pub fn tick(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
}

/// One submit as a client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    /// A tick taken before the request was sent.
    pub sent: u64,
    /// A tick taken after its answer was read.
    pub answered: u64,
    /// The id the answer gave.
    pub lid: u64,
}

/// Checks that every lead whose submit was sent after another submit was answered
/// has a higher id than that one and a `created_at` (Unix seconds, by lead id in
/// `created_at`) no earlier. Leads whose submits overlapped may be in either order.
/// Answers how many leads followed at least one answered submit (and so were
/// checked); the error names the first lead that breaks the rule and the one it
/// should follow.
pub fn check_ids_follow_answers(
    submits: &[Submitted],
    created_at: &HashMap<u64, i64>,
) -> Result<usize, String> {
    let created = |lid: u64| {
        *created_at
            .get(&lid)
            .unwrap_or_else(|| panic!("no created_at for lead {lid}"))
    };
    let mut by_answer = submits.to_vec();
    by_answer.sort_by_key(|s| s.answered);
    // Among the first i + 1 submits answered: the one with the highest id, and the
    // one created last.
    let mut highest_lid: Vec<Submitted> = Vec::with_capacity(by_answer.len());
    let mut created_last: Vec<Submitted> = Vec::with_capacity(by_answer.len());
    for s in &by_answer {
        highest_lid.push(match highest_lid.last() {
            Some(best) if best.lid >= s.lid => *best,
            _ => *s,
        });
        created_last.push(match created_last.last() {
            Some(best) if created(best.lid) >= created(s.lid) => *best,
            _ => *s,
        });
    }
    let mut checked = 0;
    for later in submits {
        let answered_before = by_answer.partition_point(|s| s.answered < later.sent);
        let Some(last) = answered_before.checked_sub(1) else {
            continue;
        };
        checked += 1;
        let earlier = highest_lid[last];
        if later.lid <= earlier.lid {
            return Err(format!(
                "lead {} was sent (tick {}) after lead {} was answered (tick {}), \
                 but its id is not higher",
                later.lid, later.sent, earlier.lid, earlier.answered
            ));
        }
        let earlier = created_last[last];
        if created(later.lid) < created(earlier.lid) {
            return Err(format!(
                "lead {} was sent (tick {}) after lead {} was answered (tick {}), \
                 but was created earlier ({} < {})",
                later.lid,
                later.sent,
                earlier.lid,
                earlier.answered,
                created(later.lid),
                created(earlier.lid)
            ));
        }
    }
    Ok(checked)
}

/// The `created_at` of each lead, in Unix seconds, by id.
pub fn created_seconds(leads: &[LeadView]) -> HashMap<u64, i64> {
    leads
        .iter()
        .map(|l| {
            let at: jiff::Timestamp = l
                .created_at
                .parse()
                .unwrap_or_else(|e| panic!("lead {}: created_at {:?}: {e}", l.lid, l.created_at));
            (l.lid, at.as_second())
        })
        .collect()
}

/// Asserts the store lists leads oldest first by (`created_at`, id), the reverse of
/// the lookup's newest first, each id once.
pub fn assert_listed_by_created_at_then_id(leads: &[LeadView]) {
    let created = created_seconds(leads);
    let keys: Vec<(i64, u64)> = leads.iter().map(|l| (created[&l.lid], l.lid)).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "listed by (created_at, lid): {keys:?}"
    );
}
