//! Terms: the immutable values that Snow programs compute and processes send.
//!
//! A term is 24 bytes. Scalars (integers, floats, atoms, pids, references)
//! are stored inline; everything else sits behind an `Arc`, so copying a term
//! — into a register, into a message, across threads — never deep-copies.
//!
//! Architecture invariant: terms are immutable. A "change" (`Map.put`, a cons)
//! builds a new term that shares what it can with the old one.

use crate::atom::Atom;
use std::any::Any;
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

#[derive(Clone)]
pub enum Term {
    Int(i64),
    Float(f64),
    Atom(Atom),
    /// UTF-8 text.
    Str(Arc<str>),
    /// The empty list `[]`.
    Nil,
    /// A non-empty list cell `[head | tail]`.
    Cons(Arc<Cons>),
    Tuple(Arc<[Term]>),
    Map(Arc<MapObj>),
    Pid(Pid),
    Ref(Ref),
    Fun(Arc<Fun>),
}

/// A list cell. Long lists are chains of cells; `Drop` unlinks them in a loop
/// so that freeing a million-element list does not recurse a million times.
pub struct Cons {
    pub head: Term,
    pub tail: Term,
}

impl Drop for Cons {
    fn drop(&mut self) {
        let mut next = std::mem::replace(&mut self.tail, Term::Nil);
        while let Term::Cons(cell) = next {
            match Arc::try_unwrap(cell) {
                Ok(mut owned) => next = std::mem::replace(&mut owned.tail, Term::Nil),
                Err(_) => break,
            }
        }
    }
}

/// A process identifier. `node == 0` is this node, whatever its name;
/// other values index the runtime's table of known nodes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Pid {
    pub node: u32,
    pub id: u32,
    pub serial: u32,
    pub creation: u32,
}

impl Pid {
    pub const fn local(id: u32, serial: u32) -> Pid {
        Pid { node: 0, id, serial, creation: 0 }
    }
    pub fn is_local(&self) -> bool {
        self.node == 0
    }
}

/// A unique reference (`make_ref`, monitors, timers). Like a pid, `node == 0`
/// means this node.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Ref {
    pub node: u32,
    pub words: [u32; 3],
}

/// Compiled code that a function value points at. The runtime knows nothing
/// of it beyond these facts; the VM downcasts it to its own type.
pub trait FunCode: Send + Sync + 'static {
    fn arity(&self) -> usize;
    /// A short human name, `name/arity`, for `inspect` and crash reports.
    fn describe(&self) -> String;
    fn as_any(&self) -> &dyn Any;
}

/// A function value: code plus the values it captured.
pub struct Fun {
    pub code: Arc<dyn FunCode>,
    pub env: Box<[Term]>,
}

/// A map that remembers insertion order (so `inspect` shows keys as written)
/// and compares as a set of pairs.
#[derive(Clone, Default)]
pub struct MapObj {
    entries: Vec<(Term, Term)>,
}

impl MapObj {
    pub fn new() -> Self {
        MapObj { entries: Vec::new() }
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
        match self.entries.iter_mut().find(|(k, _)| k.strict_eq(&key)) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }
    pub fn remove(&mut self, key: &Term) -> Option<Term> {
        let i = self.entries.iter().position(|(k, _)| k.strict_eq(key))?;
        Some(self.entries.remove(i).1)
    }
    pub fn iter(&self) -> impl Iterator<Item = &(Term, Term)> {
        self.entries.iter()
    }
    /// Entries in term order of their keys: the canonical form used to
    /// compare two maps.
    fn sorted(&self) -> Vec<&(Term, Term)> {
        let mut v: Vec<_> = self.entries.iter().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

impl FromIterator<(Term, Term)> for MapObj {
    fn from_iter<I: IntoIterator<Item = (Term, Term)>>(iter: I) -> Self {
        let mut m = MapObj::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl Term {
    pub const TRUE: Term = Term::Atom(Atom::TRUE);
    pub const FALSE: Term = Term::Atom(Atom::FALSE);
    pub const NIL_ATOM: Term = Term::Atom(Atom::NIL);
    pub const OK: Term = Term::Atom(Atom::OK);

    pub fn atom(name: &str) -> Term {
        Term::Atom(Atom::new(name))
    }
    pub fn bool(b: bool) -> Term {
        Term::Atom(Atom::from_bool(b))
    }
    pub fn str(s: &str) -> Term {
        Term::Str(Arc::from(s))
    }
    pub fn tuple(items: Vec<Term>) -> Term {
        Term::Tuple(Arc::from(items))
    }
    pub fn cons(head: Term, tail: Term) -> Term {
        Term::Cons(Arc::new(Cons { head, tail }))
    }
    /// A proper list of `items`, in order.
    pub fn list(items: Vec<Term>) -> Term {
        Term::list_with_tail(items, Term::Nil)
    }
    pub fn list_with_tail(items: Vec<Term>, tail: Term) -> Term {
        items.into_iter().rev().fold(tail, |acc, x| Term::cons(x, acc))
    }
    pub fn map(m: MapObj) -> Term {
        Term::Map(Arc::new(m))
    }

    /// Only `false` and `nil` are falsy.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Term::Atom(a) if *a == Atom::FALSE || *a == Atom::NIL)
    }

    pub fn as_atom(&self) -> Option<Atom> {
        match self {
            Term::Atom(a) => Some(*a),
            _ => None,
        }
    }

    /// The elements of a proper list, or `None` for anything else.
    pub fn list_to_vec(&self) -> Option<Vec<Term>> {
        let mut out = Vec::new();
        let mut cur = self;
        loop {
            match cur {
                Term::Nil => return Some(out),
                Term::Cons(c) => {
                    out.push(c.head.clone());
                    cur = &c.tail;
                }
                _ => return None,
            }
        }
    }

    /// Iterates a list's elements; an improper tail ends the iteration.
    pub fn list_iter(&self) -> ListIter<'_> {
        ListIter { cur: self }
    }

    /// Rank in the total order: number < atom < reference < function < pid <
    /// tuple < map < list < string.
    fn rank(&self) -> u8 {
        match self {
            Term::Int(_) | Term::Float(_) => 0,
            Term::Atom(_) => 1,
            Term::Ref(_) => 2,
            Term::Fun(_) => 3,
            Term::Pid(_) => 4,
            Term::Tuple(_) => 5,
            Term::Map(_) => 6,
            Term::Nil | Term::Cons(_) => 7,
            Term::Str(_) => 8,
        }
    }

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
    /// two atoms is their names' order, which `compare` must read).
    fn equal(&self, other: &Term, strict: bool) -> bool {
        use Term::*;
        match (self, other) {
            (Atom(a), Atom(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Str(a), Str(b)) => a == b,
            (Pid(a), Pid(b)) => (a.node, a.serial, a.id) == (b.node, b.serial, b.id),
            (Tuple(a), Tuple(b)) => a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.equal(y, strict)),
            (Nil | Cons(_), Nil | Cons(_)) => equal_lists(self, other, strict),
            // Numbers of both kinds, references, functions, maps: by the
            // order (which is exact for them); different kinds: never.
            _ => self.rank() == other.rank() && self.compare(other, strict) == Ordering::Equal,
        }
    }

    /// The order of `<`, `>`: numbers compare by value (`1` and `1.0` are
    /// neither less nor greater).
    pub fn loose_cmp(&self, other: &Term) -> Ordering {
        self.compare(other, false)
    }

    fn compare(&self, other: &Term, strict: bool) -> Ordering {
        use Term::*;
        match (self, other) {
            (Int(a), Int(b)) => a.cmp(b),
            (Float(a), Float(b)) => a.total_cmp(b),
            (Int(a), Float(b)) => cmp_int_float(*a, *b, strict),
            (Float(a), Int(b)) => cmp_int_float(*b, *a, strict).reverse(),
            (Atom(a), Atom(b)) => {
                if a == b { Ordering::Equal } else { a.as_str().cmp(b.as_str()) }
            }
            (Str(a), Str(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Pid(a), Pid(b)) => (a.node, a.serial, a.id).cmp(&(b.node, b.serial, b.id)),
            (Ref(a), Ref(b)) => (a.node, a.words).cmp(&(b.node, b.words)),
            (Fun(a), Fun(b)) => {
                if Arc::ptr_eq(a, b) {
                    return Ordering::Equal;
                }
                let ca = Arc::as_ptr(&a.code) as *const () as usize;
                let cb = Arc::as_ptr(&b.code) as *const () as usize;
                ca.cmp(&cb).then_with(|| cmp_seq(&a.env, &b.env, strict))
            }
            (Tuple(a), Tuple(b)) => a.len().cmp(&b.len()).then_with(|| cmp_seq(a, b, strict)),
            (Map(a), Map(b)) => {
                if Arc::ptr_eq(a, b) {
                    return Ordering::Equal;
                }
                a.len().cmp(&b.len()).then_with(|| {
                    let (sa, sb) = (a.sorted(), b.sorted());
                    for (x, y) in sa.iter().zip(sb.iter()) {
                        let o = x.0.compare(&y.0, true).then_with(|| x.1.compare(&y.1, strict));
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    Ordering::Equal
                })
            }
            (Nil | Cons(_), Nil | Cons(_)) => cmp_lists(self, other, strict),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

fn cmp_int_float(i: i64, f: f64, strict: bool) -> Ordering {
    match (i as f64).partial_cmp(&f) {
        Some(Ordering::Equal) if strict => Ordering::Less, // ints before equal floats
        Some(o) => o,
        None => Ordering::Less, // NaN cannot be made by Snow code
    }
}

fn cmp_seq(a: &[Term], b: &[Term], strict: bool) -> Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = x.compare(y, strict);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Compares lists in a loop, not by recursion on the tail.
fn cmp_lists(mut a: &Term, mut b: &Term, strict: bool) -> Ordering {
    loop {
        match (a, b) {
            (Term::Nil, Term::Nil) => return Ordering::Equal,
            (Term::Nil, _) => return Ordering::Less,
            (_, Term::Nil) => return Ordering::Greater,
            (Term::Cons(x), Term::Cons(y)) => {
                if Arc::ptr_eq(x, y) {
                    return Ordering::Equal;
                }
                let o = x.head.compare(&y.head, strict);
                if o != Ordering::Equal {
                    return o;
                }
                a = &x.tail;
                b = &y.tail;
            }
            // improper tails
            (x, y) => return x.compare(y, strict),
        }
    }
}

fn equal_lists(mut a: &Term, mut b: &Term, strict: bool) -> bool {
    loop {
        match (a, b) {
            (Term::Nil, Term::Nil) => return true,
            (Term::Cons(x), Term::Cons(y)) => {
                if Arc::ptr_eq(x, y) {
                    return true;
                }
                if !x.head.equal(&y.head, strict) {
                    return false;
                }
                a = &x.tail;
                b = &y.tail;
            }
            // an empty list against a cell, or improper tails
            (x, y) => return !matches!((x, y), (Term::Nil, _) | (_, Term::Nil)) && x.equal(y, strict),
        }
    }
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

pub struct ListIter<'a> {
    cur: &'a Term,
}

impl<'a> Iterator for ListIter<'a> {
    type Item = &'a Term;
    fn next(&mut self) -> Option<&'a Term> {
        match self.cur {
            Term::Cons(c) => {
                self.cur = &c.tail;
                Some(&c.head)
            }
            _ => None,
        }
    }
}

impl From<i64> for Term {
    fn from(i: i64) -> Term {
        Term::Int(i)
    }
}
impl From<Atom> for Term {
    fn from(a: Atom) -> Term {
        Term::Atom(a)
    }
}
impl From<Pid> for Term {
    fn from(p: Pid) -> Term {
        Term::Pid(p)
    }
}
impl From<Ref> for Term {
    fn from(r: Ref) -> Term {
        Term::Ref(r)
    }
}
impl From<&str> for Term {
    fn from(s: &str) -> Term {
        Term::str(s)
    }
}

impl fmt::Debug for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::inspect::inspect(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn dropping_a_long_list_does_not_overflow() {
        let mut l = Term::Nil;
        for i in 0..2_000_000 {
            l = Term::cons(Term::Int(i), l);
        }
        drop(l);
    }
}
