//! `MapObj`: a map's entries in insertion order, with its canonical (key)
//! order computed once, when the map is first compared.
//!
//! Comparing two maps walks their entries in key order, and finding that
//! order compares keys, which may be maps themselves. Were the order found
//! on demand, maps used as keys of maps used as keys... would recurse once
//! per level. Instead, before a map's order is computed, every map inside
//! it that has none yet gets its own, innermost first, in a loop
//! (`order_all_within`). Invariant: a map has its order only once every
//! map inside it (keys and values, at any depth) has one; so sorting a
//! map's keys never needs to sort anything else.

use super::Term;
use rustc_hash::FxHashSet;
use std::sync::{Arc, OnceLock};

/// A map that remembers insertion order (so `inspect` shows keys as written)
/// and compares as a set of pairs.
#[derive(Clone, Default)]
pub struct MapObj {
    pub(super) entries: Vec<(Term, Term)>,
    /// Indices of `entries` in the strict term order of their keys; set
    /// once, under the invariant above, and forgotten by any change.
    order: OnceLock<Box<[u32]>>,
}

impl MapObj {
    pub fn new() -> Self {
        MapObj::default()
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn get(&self, key: &Term) -> Option<&Term> {
        self.entries.iter().find(|(k, _)| k.strict_eq(key)).map(|(_, v)| v)
    }
    /// Inserts or replaces `key`; a replaced key keeps its position.
    pub fn insert(&mut self, key: Term, value: Term) {
        self.order = OnceLock::new();
        match self.entries.iter_mut().find(|(k, _)| k.strict_eq(&key)) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }
    pub fn remove(&mut self, key: &Term) -> Option<Term> {
        let i = self.entries.iter().position(|(k, _)| k.strict_eq(key))?;
        self.order = OnceLock::new();
        Some(self.entries.remove(i).1)
    }
    pub fn iter(&self) -> impl Iterator<Item = &(Term, Term)> {
        self.entries.iter()
    }

    /// The map of `pairs`, as inserting them one by one would build it (a
    /// repeated key keeps its first position and its last value), but in
    /// n log n: one stable sort of the keys puts equal keys side by side and
    /// gives the map's order too. Inserting one by one compares every key
    /// with every other.
    pub fn from_pairs(pairs: Vec<(Term, Term)>) -> MapObj {
        if pairs.len() <= 8 {
            return pairs.into_iter().collect();
        }
        let all = MapObj { entries: pairs, order: OnceLock::new() };
        let sorted = all.sort_keys_after_inner();
        let key = |i: u32| &all.entries[i as usize].0;
        // For each run of equal keys: the first position, the last value.
        let mut keep: Vec<(u32, u32)> = Vec::with_capacity(sorted.len());
        for &i in sorted.iter() {
            match keep.last_mut() {
                Some((first, last)) if key(*first).strict_eq(key(i)) => *last = (*last).max(i),
                _ => keep.push((i, i)),
            }
        }
        if keep.len() == all.entries.len() {
            all.order.get_or_init(|| sorted);
            return all;
        }
        // Rebuild in first-position order; the order maps through.
        let mut by_position: Vec<(u32, u32, u32)> =
            keep.iter().enumerate().map(|(rank, &(first, last))| (first, last, rank as u32)).collect();
        by_position.sort_unstable_by_key(|&(first, _, _)| first);
        let mut slots: Vec<Option<(Term, Term)>> = all.entries.into_iter().map(Some).collect();
        let mut entries = Vec::with_capacity(by_position.len());
        let mut order = vec![0u32; by_position.len()];
        for (new_index, &(first, last, rank)) in by_position.iter().enumerate() {
            // Each run has its own first position, so the slot is full.
            let Some((k, mut v)) = slots[first as usize].take() else { continue };
            if last != first {
                if let Some((_, later)) = slots[last as usize].take() {
                    v = later;
                }
            }
            entries.push((k, v));
            order[rank as usize] = new_index as u32;
        }
        let m = MapObj { entries, order: OnceLock::new() };
        m.order.get_or_init(|| order.into_boxed_slice());
        m
    }

    /// A map of `entries` in that order, if no two keys are (strictly)
    /// equal; `None` otherwise.
    pub fn from_distinct(entries: Vec<(Term, Term)>) -> Option<MapObj> {
        let n = entries.len();
        let m = MapObj::from_pairs(entries);
        (m.len() == n).then_some(m)
    }

    fn in_key_order_indices(&self) -> &[u32] {
        match self.order.get() {
            Some(o) => o,
            None => {
                let sorted = self.sort_keys_after_inner();
                self.order.get_or_init(|| sorted)
            }
        }
    }

    /// The order, once every map inside has its own (see the module docs).
    fn sort_keys_after_inner(&self) -> Box<[u32]> {
        order_all_within(self);
        self.sort_keys()
    }

    /// Entries in the strict term order of their keys: the canonical form
    /// in which two maps compare.
    pub(super) fn in_key_order(&self) -> impl DoubleEndedIterator<Item = &(Term, Term)> + ExactSizeIterator + '_ {
        self.in_key_order_indices().iter().map(move |&i| &self.entries[i as usize])
    }

    /// Sorts the keys. Called only once every map inside has its order,
    /// so comparing the keys reads those orders and sorts nothing else.
    fn sort_keys(&self) -> Box<[u32]> {
        let mut idx: Vec<u32> = (0..self.entries.len() as u32).collect();
        idx.sort_by(|&a, &b| self.entries[a as usize].0.cmp(&self.entries[b as usize].0));
        idx.into_boxed_slice()
    }
}

/// Gives every map inside `m` that has no order yet its order, innermost
/// first: a depth-first walk with an explicit stack, where a map is sorted
/// after everything inside it. A map that has its order is not entered
/// (by the invariant, everything inside it has one too); anything shared,
/// reached twice, is entered once, so a term that shares its parts costs
/// its distinct parts, not its unfolded size.
fn order_all_within(m: &MapObj) {
    enum Step<'a> {
        Enter(&'a Term),
        Sort(&'a MapObj),
    }
    let mut entered: FxHashSet<usize> = FxHashSet::default();
    // First visit of a shared allocation (an unshared one is reached once).
    let mut first = |ptr: *const (), shared: bool| !shared || entered.insert(ptr as usize);
    let mut work: Vec<Step<'_>> = Vec::new();
    for (k, v) in &m.entries {
        work.push(Step::Enter(k));
        work.push(Step::Enter(v));
    }
    while let Some(step) = work.pop() {
        match step {
            Step::Sort(inner) => {
                inner.order.get_or_init(|| inner.sort_keys());
            }
            Step::Enter(t) => match t {
                Term::Map(inner) if inner.order.get().is_none() && first(Arc::as_ptr(inner).cast(), Arc::strong_count(inner) > 1) => {
                    work.push(Step::Sort(inner));
                    for (k, v) in &inner.entries {
                        work.push(Step::Enter(k));
                        work.push(Step::Enter(v));
                    }
                }
                Term::Tuple(items) if first(Arc::as_ptr(items).cast(), Arc::strong_count(items) > 1) => {
                    work.extend(items.iter().map(Step::Enter));
                }
                Term::Cons(c) if first(Arc::as_ptr(c).cast(), Arc::strong_count(c) > 1) => {
                    work.push(Step::Enter(&c.tail));
                    work.push(Step::Enter(&c.head));
                }
                Term::Fun(f) if first(Arc::as_ptr(f).cast(), Arc::strong_count(f) > 1) => {
                    work.extend(f.env.iter().map(Step::Enter));
                }
                _ => {}
            },
        }
    }
}

impl FromIterator<(Term, Term)> for MapObj {
    /// Inserts one by one: for the few pairs of a literal. `from_pairs` is
    /// the way for many.
    fn from_iter<I: IntoIterator<Item = (Term, Term)>>(iter: I) -> Self {
        let mut m = MapObj::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(keys: &[i64]) -> Vec<(Term, Term)> {
        keys.iter().enumerate().map(|(i, &k)| (Term::Int(k), Term::Int(i as i64))).collect()
    }

    #[test]
    fn from_pairs_builds_what_inserting_one_by_one_builds() {
        let mut rng = 0x2545F4914F6CDD1Du64;
        for len in [0usize, 1, 5, 9, 20, 200] {
            for _ in 0..20 {
                let keys: Vec<i64> = (0..len)
                    .map(|_| {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        (rng % (len as u64 / 2 + 1)) as i64
                    })
                    .collect();
                let one_by_one: MapObj = pairs(&keys).into_iter().collect();
                let sorted = MapObj::from_pairs(pairs(&keys));
                let as_vec = |m: &MapObj| m.iter().cloned().collect::<Vec<_>>();
                assert!(as_vec(&one_by_one).iter().zip(as_vec(&sorted).iter()).all(|(a, b)| a.0.strict_eq(&b.0) && a.1.strict_eq(&b.1)));
                assert_eq!(one_by_one.len(), sorted.len());
                let in_order = |m: &MapObj| m.in_key_order().map(|(k, _)| k.clone()).collect::<Vec<_>>();
                assert_eq!(in_order(&one_by_one), in_order(&sorted));
            }
        }
    }

    #[test]
    fn from_distinct_refuses_a_repeated_key() {
        assert!(MapObj::from_distinct(pairs(&(0..100).collect::<Vec<_>>())).is_some());
        assert!(MapObj::from_distinct(pairs(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3])).is_none());
        assert!(MapObj::from_distinct(pairs(&[1, 1])).is_none());
    }
}
