//! ETF encoder: Snow `Term` → bytes. Iterative (an explicit work stack), so
//! that deep or long terms cannot overflow the thread's stack.

use super::{fun_codec, tag, EncodeError, VERSION};
use crate::atom::Atom;
use crate::dist::nodes;
use crate::term::{Pid, Ref, Term};

/// `term_to_binary`: 131 followed by the tagged term.
pub fn encode(term: &Term) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_into(term, &mut out)?;
    Ok(out)
}

/// Appends 131 and the tagged term to `out`. On error `out` may hold a
/// partial encoding.
pub fn encode_into(term: &Term, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.push(VERSION);
    encode_body_into(term, out)
}

enum Work<'a> {
    Term(&'a Term),
    /// The rest of a list: the cells' heads, then the tail.
    ListRest(&'a Term),
    Items(std::slice::Iter<'a, Term>),
    Entries(Box<dyn Iterator<Item = &'a (Term, Term)> + 'a>),
}

/// Appends the tagged term, without the version byte, to `out`.
pub fn encode_body_into(term: &Term, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let mut stack = vec![Work::Term(term)];
    while let Some(work) = stack.pop() {
        match work {
            Work::Term(t) => encode_one(t, out, &mut stack)?,
            Work::ListRest(Term::Cons(c)) => {
                stack.push(Work::ListRest(&c.tail));
                stack.push(Work::Term(&c.head));
            }
            Work::ListRest(Term::Nil) => out.push(tag::NIL),
            Work::ListRest(improper_tail) => stack.push(Work::Term(improper_tail)),
            Work::Items(mut it) => {
                if let Some(t) = it.next() {
                    stack.push(Work::Items(it));
                    stack.push(Work::Term(t));
                }
            }
            Work::Entries(mut it) => {
                if let Some((k, v)) = it.next() {
                    stack.push(Work::Entries(it));
                    stack.push(Work::Term(v));
                    stack.push(Work::Term(k));
                }
            }
        }
    }
    Ok(())
}

fn encode_one<'a>(t: &'a Term, out: &mut Vec<u8>, stack: &mut Vec<Work<'a>>) -> Result<(), EncodeError> {
    match t {
        Term::Int(i) => encode_int(*i, out),
        Term::Float(f) => {
            if !f.is_finite() {
                return Err(EncodeError::NonFiniteFloat);
            }
            out.push(tag::NEW_FLOAT);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Term::Atom(a) => encode_atom(*a, out)?,
        Term::Str(s) => {
            out.push(tag::BINARY);
            out.extend_from_slice(&len_u32(s.len())?.to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        Term::Nil => out.push(tag::NIL),
        Term::Cons(_) => {
            let n = t.list_iter().count();
            out.push(tag::LIST);
            out.extend_from_slice(&len_u32(n)?.to_be_bytes());
            stack.push(Work::ListRest(t));
        }
        Term::Tuple(items) => {
            if items.len() <= 255 {
                out.extend_from_slice(&[tag::SMALL_TUPLE, items.len() as u8]);
            } else {
                out.push(tag::LARGE_TUPLE);
                out.extend_from_slice(&len_u32(items.len())?.to_be_bytes());
            }
            stack.push(Work::Items(items.iter()));
        }
        Term::Map(m) => {
            out.push(tag::MAP);
            out.extend_from_slice(&len_u32(m.len())?.to_be_bytes());
            stack.push(Work::Entries(Box::new(m.iter())));
        }
        Term::Pid(p) => encode_pid(p, out)?,
        Term::Ref(r) => encode_ref(r, out)?,
        Term::Fun(f) => match fun_codec() {
            Some(codec) => codec.encode(f, out)?,
            None => return Err(EncodeError::Fun(format!("no FunCodec registered for {}", f.code.describe()))),
        },
    }
    Ok(())
}

fn len_u32(n: usize) -> Result<u32, EncodeError> {
    u32::try_from(n).map_err(|_| EncodeError::TooLarge)
}

/// Canonical: the smallest tag that holds the value, as erl writes it.
fn encode_int(i: i64, out: &mut Vec<u8>) {
    if (0..=255).contains(&i) {
        out.extend_from_slice(&[tag::SMALL_INTEGER, i as u8]);
    } else if let Ok(small) = i32::try_from(i) {
        out.push(tag::INTEGER);
        out.extend_from_slice(&small.to_be_bytes());
    } else {
        let mag = i.unsigned_abs().to_le_bytes();
        let n = 8 - mag.iter().rev().take_while(|&&b| b == 0).count();
        out.extend_from_slice(&[tag::SMALL_BIG, n as u8, u8::from(i < 0)]);
        out.extend_from_slice(&mag[..n]);
    }
}

fn encode_atom(a: Atom, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let s = a.as_str();
    if s.chars().count() > 255 {
        return Err(EncodeError::AtomTooLong);
    }
    if s.len() <= 255 {
        out.extend_from_slice(&[tag::SMALL_ATOM_UTF8, s.len() as u8]);
    } else {
        out.push(tag::ATOM_UTF8);
        out.extend_from_slice(&(s.len() as u16).to_be_bytes()); // ≤ 255 chars × 4 bytes
    }
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn node(index: u32) -> Result<(Atom, u32), EncodeError> {
    nodes::node_of(index).ok_or(EncodeError::UnknownNode(index))
}

fn encode_pid(p: &Pid, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let (name, creation) = node(p.node)?;
    out.push(tag::NEW_PID);
    encode_atom(name, out)?;
    for w in [p.id, p.serial, creation] {
        out.extend_from_slice(&w.to_be_bytes());
    }
    Ok(())
}

fn encode_ref(r: &Ref, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let (index, words) = crate::dist::long_refs::expand(r);
    let (name, creation) = node(index)?;
    out.push(tag::NEWER_REFERENCE);
    out.extend_from_slice(&(words.len() as u16).to_be_bytes());
    encode_atom(name, out)?;
    out.extend_from_slice(&creation.to_be_bytes());
    for w in words {
        out.extend_from_slice(&w.to_be_bytes());
    }
    Ok(())
}
