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
use std::fmt;
use std::sync::Arc;

mod free;
pub mod layout;
mod map;
mod order;

pub use map::MapObj;

/// `repr(u32)`: the layout is fixed (a 32-bit tag numbered in declaration
/// order at offset 0, an integer's value at offset 8), because native code
/// compiled for hot functions reads and writes integer registers directly
/// (`snow_lang::jit`; `term_layout` below pins what it relies on).
#[derive(Clone)]
#[repr(u32)]
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

/// A list cell. Long lists are chains of cells (freed in a loop: see
/// `Drop for Term`).
pub struct Cons {
    pub head: Term,
    pub tail: Term,
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

impl Term {
    pub const TRUE: Term = Term::Atom(Atom::TRUE);
    pub const FALSE: Term = Term::Atom(Atom::FALSE);
    pub const NIL_ATOM: Term = Term::Atom(Atom::NIL);
    pub const OK: Term = Term::Atom(Atom::OK);

    /// Whether this term owns nothing (no `Arc`): overwriting or forgetting
    /// it needs no destructor (`layout::owns_nothing` for its tag).
    #[inline(always)]
    pub fn owns_nothing(&self) -> bool {
        matches!(self, Term::Int(_) | Term::Float(_) | Term::Atom(_) | Term::Nil | Term::Pid(_) | Term::Ref(_))
    }

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

/// Runs `f` on a thread with a 256 KiB stack: what it does with a term must
/// not recurse with the term's depth.
#[cfg(test)]
pub(crate) fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(256 << 10).spawn(f).expect("thread").join().expect("overflowed or panicked");
}
