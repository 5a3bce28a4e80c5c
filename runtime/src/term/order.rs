//! The total order and equality of terms, as loops over a worklist: no
//! comparison recurses on the native stack with a term's depth.

use super::{Fun, Term};
use std::cmp::Ordering;
use std::sync::Arc;

impl Term {
    /// `===`: equal and of the same numeric kind.
    pub fn strict_eq(&self, other: &Term) -> bool {
        self.equal(other, true)
    }

    /// `==`: structural equality where `1 == 1.0`.
    pub fn loose_eq(&self, other: &Term) -> bool {
        self.equal(other, false)
    }

    /// Equality without the order: atoms are equal by identity, so a
    /// pattern test against an atom never looks up a name (the order of
    /// two atoms is their names' order, which `compare` must read). A loop
    /// over the pairs still to compare, not recursion: equality of terms
    /// nested millions deep needs no native stack.
    fn equal(&self, other: &Term, strict: bool) -> bool {
        use Term::*;
        // Pairs still to compare, each with its strictness: map keys are
        // always compared strictly.
        let mut work: Vec<(&Term, &Term, bool)> = Vec::new();
        let (mut a, mut b, mut s) = (self, other, strict);
        loop {
            let same = match (a, b) {
                (Atom(x), Atom(y)) => x == y,
                (Int(x), Int(y)) => x == y,
                (Str(x), Str(y)) => x == y,
                (Pid(x), Pid(y)) => (x.node, x.serial, x.id) == (y.node, y.serial, y.id),
                (Tuple(x), Tuple(y)) => {
                    if !Arc::ptr_eq(x, y) {
                        if x.len() != y.len() {
                            return false;
                        }
                        work.extend(x.iter().zip(y.iter()).map(|(p, q)| (p, q, s)));
                    }
                    true
                }
                (Nil, Nil) => true,
                (Cons(x), Cons(y)) => {
                    if !Arc::ptr_eq(x, y) {
                        work.push((&x.tail, &y.tail, s));
                        work.push((&x.head, &y.head, s));
                    }
                    true
                }
                (Map(x), Map(y)) => {
                    if !Arc::ptr_eq(x, y) {
                        if x.len() != y.len() {
                            return false;
                        }
                        // The same keys, pairwise in key order, and their values.
                        for (p, q) in x.in_key_order().zip(y.in_key_order()) {
                            work.push((&p.1, &q.1, s));
                            work.push((&p.0, &q.0, true));
                        }
                    }
                    true
                }
                (Fun(x), Fun(y)) => {
                    if !Arc::ptr_eq(x, y) {
                        if !same_code(x, y) || x.env.len() != y.env.len() {
                            return false;
                        }
                        work.extend(x.env.iter().zip(y.env.iter()).map(|(p, q)| (p, q, s)));
                    }
                    true
                }
                // Numbers of both kinds and references: by the order (exact
                // for them); different kinds: never.
                _ => a.rank() == b.rank() && a.compare(b, s) == Ordering::Equal,
            };
            if !same {
                return false;
            }
            match work.pop() {
                Some(next) => (a, b, s) = next,
                None => return true,
            }
        }
    }

    /// The order of `<`, `>`: numbers compare by value (`1` and `1.0` are
    /// neither less nor greater).
    pub fn loose_cmp(&self, other: &Term) -> Ordering {
        self.compare(other, false)
    }

    /// The total order. What is still to compare waits on a worklist in the
    /// order it decides (left to right, depth first), so the first pair
    /// that differs decides, as the recursive definition says, with no
    /// recursion on the native stack.
    fn compare(&self, other: &Term, strict: bool) -> Ordering {
        use Term::*;
        let mut work: Vec<Cmp<'_>> = Vec::new();
        let (mut a, mut b, mut s) = (self, other, strict);
        loop {
            let o = match (a, b) {
                (Int(x), Int(y)) => x.cmp(y),
                (Float(x), Float(y)) => x.total_cmp(y),
                (Int(x), Float(y)) => cmp_int_float(*x, *y, s),
                (Float(x), Int(y)) => cmp_int_float(*y, *x, s).reverse(),
                (Atom(x), Atom(y)) => {
                    if x == y {
                        Ordering::Equal
                    } else {
                        x.as_str().cmp(y.as_str())
                    }
                }
                (Str(x), Str(y)) => x.as_bytes().cmp(y.as_bytes()),
                (Pid(x), Pid(y)) => (x.node, x.serial, x.id).cmp(&(y.node, y.serial, y.id)),
                (Ref(x), Ref(y)) => (x.node, x.words).cmp(&(y.node, y.words)),
                (Fun(x), Fun(y)) if Arc::ptr_eq(x, y) => Ordering::Equal,
                (Fun(x), Fun(y)) => {
                    let (cx, cy) = (code_address(x), code_address(y));
                    // The code, then the captured values, then how many.
                    cx.cmp(&cy).then_with(|| {
                        work.push(Cmp::Then(x.env.len().cmp(&y.env.len())));
                        for (p, q) in x.env.iter().zip(y.env.iter()).rev() {
                            work.push(Cmp::Pair(p, q, s));
                        }
                        Ordering::Equal
                    })
                }
                (Tuple(x), Tuple(y)) => x.len().cmp(&y.len()).then_with(|| {
                    if !Arc::ptr_eq(x, y) {
                        for (p, q) in x.iter().zip(y.iter()).rev() {
                            work.push(Cmp::Pair(p, q, s));
                        }
                    }
                    Ordering::Equal
                }),
                (Map(x), Map(y)) => x.len().cmp(&y.len()).then_with(|| {
                    if !Arc::ptr_eq(x, y) {
                        // Entries in key order: key (strictly), then value.
                        for (p, q) in x.in_key_order().zip(y.in_key_order()).rev() {
                            work.push(Cmp::Pair(&p.1, &q.1, s));
                            work.push(Cmp::Pair(&p.0, &q.0, true));
                        }
                    }
                    Ordering::Equal
                }),
                (Nil, Nil) => Ordering::Equal,
                (Nil, Cons(_)) => Ordering::Less,
                (Cons(_), Nil) => Ordering::Greater,
                (Cons(x), Cons(y)) => {
                    if !Arc::ptr_eq(x, y) {
                        work.push(Cmp::Pair(&x.tail, &y.tail, s));
                        work.push(Cmp::Pair(&x.head, &y.head, s));
                    }
                    Ordering::Equal
                }
                _ => a.rank().cmp(&b.rank()),
            };
            if o != Ordering::Equal {
                return o;
            }
            loop {
                match work.pop() {
                    Some(Cmp::Pair(x, y, st)) => {
                        (a, b, s) = (x, y, st);
                        break;
                    }
                    Some(Cmp::Then(o)) if o != Ordering::Equal => return o,
                    Some(Cmp::Then(_)) => {}
                    None => return Ordering::Equal,
                }
            }
        }
    }
}

/// Functions are ordered by where their code lives (the data pointer only:
/// the same code may be reached through different vtables).
fn code_address(f: &Fun) -> usize {
    Arc::as_ptr(&f.code) as *const () as usize
}

fn same_code(x: &Fun, y: &Fun) -> bool {
    code_address(x) == code_address(y)
}

fn cmp_int_float(i: i64, f: f64, strict: bool) -> Ordering {
    match (i as f64).partial_cmp(&f) {
        Some(Ordering::Equal) if strict => Ordering::Less, // ints before equal floats
        Some(o) => o,
        None => Ordering::Less, // NaN cannot be made by Snow code
    }
}

/// What `compare` has still to look at.
enum Cmp<'a> {
    /// Two terms, compared strictly or not.
    Pair(&'a Term, &'a Term, bool),
    /// An ordering decided once everything before it is equal.
    Then(Ordering),
}

impl PartialEq for Term {
    /// Strict equality (`===`), so that `Term` can key hash maps and sets.
    fn eq(&self, other: &Term) -> bool {
        self.strict_eq(other)
    }
}
impl Eq for Term {}

impl PartialOrd for Term {
    fn partial_cmp(&self, other: &Term) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Term {
    /// The strict total order (ints sort before equal floats).
    fn cmp(&self, other: &Term) -> Ordering {
        self.compare(other, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::on_small_stack;
    use crate::term::{MapObj, Pid, Ref};

    #[test]
    fn equality_kinds() {
        assert!(Term::Int(1).loose_eq(&Term::Float(1.0)));
        assert!(!Term::Int(1).strict_eq(&Term::Float(1.0)));
        assert!(Term::list(vec![1.into(), 2.into()]).strict_eq(&Term::list(vec![1.into(), 2.into()])));
    }

    #[test]
    fn equality_agrees_with_the_order() {
        let m1: MapObj = [(Term::atom("k"), Term::Int(1))].into_iter().collect();
        let m2: MapObj = [(Term::atom("k"), Term::Float(1.0))].into_iter().collect();
        let terms = [
            Term::Int(1),
            Term::Float(1.0),
            Term::atom("a"),
            Term::atom("b"),
            Term::str("a"),
            Term::Nil,
            Term::tuple(vec![Term::Int(1), Term::atom("a")]),
            Term::tuple(vec![Term::Float(1.0), Term::atom("a")]),
            Term::tuple(vec![Term::Int(1)]),
            Term::list(vec![Term::Int(1), Term::atom("a")]),
            Term::list(vec![Term::Float(1.0), Term::atom("a")]),
            Term::list(vec![Term::Int(1)]),
            Term::cons(Term::Int(1), Term::Int(2)),
            Term::cons(Term::Int(1), Term::Float(2.0)),
            Term::cons(Term::Int(1), Term::Nil),
            Term::map(m1),
            Term::map(m2),
            Term::Pid(Pid::local(1, 0)),
            Term::Pid(Pid::local(2, 0)),
            Term::Ref(Ref { node: 0, words: [1, 0, 0] }),
            Term::list(vec![Term::tuple(vec![Term::atom("x"), Term::list(vec![Term::Int(3)])])]),
            Term::list(vec![Term::tuple(vec![Term::atom("x"), Term::list(vec![Term::Float(3.0)])])]),
        ];
        for a in &terms {
            for b in &terms {
                for strict in [true, false] {
                    let by_order = a.compare(b, strict) == Ordering::Equal;
                    assert_eq!(a.equal(b, strict), by_order, "{a:?} vs {b:?}, strict {strict}");
                }
            }
        }
    }

    #[test]
    fn total_order_by_kind() {
        let ordered = [
            Term::Int(5),
            Term::atom("a"),
            Term::Ref(Ref { node: 0, words: [1, 0, 0] }),
            Term::Pid(Pid::local(1, 0)),
            Term::tuple(vec![]),
            Term::map(MapObj::new()),
            Term::Nil,
            Term::str(""),
        ];
        for w in ordered.windows(2) {
            assert_eq!(w[0].cmp(&w[1]), Ordering::Less, "{:?} < {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn maps_compare_as_sets() {
        let a: MapObj = [(Term::atom("a"), 1.into()), (Term::str("k"), 2.into())].into_iter().collect();
        let b: MapObj = [(Term::str("k"), 2.into()), (Term::atom("a"), 1.into())].into_iter().collect();
        assert!(Term::map(a).strict_eq(&Term::map(b)));
    }

    fn nest_tuples(n: usize, inner: i64) -> Term {
        (0..n).fold(Term::Int(inner), |acc, _| Term::tuple(vec![acc]))
    }

    #[test]
    fn deep_terms_compare_in_a_loop() {
        on_small_stack(|| {
            let (a, b, c) = (nest_tuples(1_000_000, 0), nest_tuples(1_000_000, 0), nest_tuples(1_000_000, 1));
            assert!(a.strict_eq(&b));
            assert!(a.loose_eq(&nest_tuples(1_000_000, 0)));
            assert_eq!(a.cmp(&c), Ordering::Less);
            assert_eq!(c.loose_cmp(&a), Ordering::Greater);
            let (l1, l2) = (deep_list(1_000_000), deep_list(1_000_000));
            assert!(l1.strict_eq(&l2));
            assert_eq!(l1.cmp(&l2), Ordering::Equal);
        });
    }

    fn deep_list(n: usize) -> Term {
        (0..n).fold(Term::Nil, |acc, _| Term::list(vec![acc]))
    }

    /// `%{inner => 1, %{:a => i, :b => 1} => 2}`, `n` deep: sorting a map's
    /// keys compares maps whose keys are maps, whose keys are maps...
    fn maps_keyed_by_maps(n: usize) -> Term {
        let mut acc = Term::map([(Term::atom("x"), 1.into()), (Term::atom("y"), 2.into())].into_iter().collect());
        for i in 0..n {
            let side: MapObj = [(Term::atom("a"), Term::Int(i as i64)), (Term::atom("b"), 1.into())].into_iter().collect();
            acc = Term::map([(acc, 1.into()), (Term::map(side), 2.into())].into_iter().collect());
        }
        acc
    }

    #[test]
    fn maps_keyed_by_maps_compare_in_a_loop_and_in_linear_time() {
        on_small_stack(|| {
            let (a, b) = (maps_keyed_by_maps(100_000), maps_keyed_by_maps(100_000));
            assert!(a.strict_eq(&b));
            assert_eq!(a.cmp(&b), Ordering::Equal);
            assert_ne!(a.cmp(&maps_keyed_by_maps(99_999)), Ordering::Equal);
        });
    }

    #[test]
    fn a_map_order_ignores_insertion_order_and_respects_strict_keys() {
        let a: MapObj = [(Term::Int(1), "i".into()), (Term::Float(1.0), "f".into())].into_iter().collect();
        let b: MapObj = [(Term::Float(1.0), "f".into()), (Term::Int(1), "i".into())].into_iter().collect();
        assert!(Term::map(a.clone()).strict_eq(&Term::map(b)));
        let swapped: MapObj = [(Term::Int(1), "f".into()), (Term::Float(1.0), "i".into())].into_iter().collect();
        assert!(!Term::map(a).loose_eq(&Term::map(swapped)));
    }

    #[test]
    fn shared_parts_are_ordered_once() {
        // A key that shares its halves 64 times over: unfolded it would be
        // 2^64 nodes; the walk that orders the maps inside visits 64.
        let mut shared = Term::map([(Term::atom("leaf"), 1.into())].into_iter().collect());
        for _ in 0..64 {
            shared = Term::tuple(vec![shared.clone(), shared]);
        }
        let m: MapObj = [(shared.clone(), 1.into()), (Term::atom("z"), 2.into())].into_iter().collect();
        let n: MapObj = [(Term::atom("z"), 2.into()), (shared, 1.into())].into_iter().collect();
        assert!(Term::map(m).strict_eq(&Term::map(n)));
    }
}
