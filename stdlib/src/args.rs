//! Argument checking shared by the built-ins: each returns `badarg` when the
//! value is not of the expected kind.

use snow_lang::vm::Exception;
use snow_runtime::{Atom, Pid, Ref, Term};
use std::sync::Arc;

pub type R = Result<Term, Exception>;

pub fn int(t: &Term) -> Result<i64, Exception> {
    match t {
        Term::Int(i) => Ok(*i),
        _ => Err(Exception::badarg()),
    }
}

pub fn non_neg(t: &Term) -> Result<u64, Exception> {
    match t {
        Term::Int(i) if *i >= 0 => Ok(*i as u64),
        _ => Err(Exception::badarg()),
    }
}

pub fn string(t: &Term) -> Result<&Arc<str>, Exception> {
    match t {
        Term::Str(s) => Ok(s),
        _ => Err(Exception::badarg()),
    }
}

pub fn atom(t: &Term) -> Result<Atom, Exception> {
    t.as_atom().ok_or_else(Exception::badarg)
}

/// A name given as an atom or a string (processes.md: names may be either).
pub fn name(t: &Term) -> Result<Atom, Exception> {
    match t {
        Term::Atom(a) if *a != Atom::NIL && *a != Atom::TRUE && *a != Atom::FALSE => Ok(*a),
        Term::Str(s) if !s.is_empty() => Ok(Atom::new(s)),
        _ => Err(Exception::badarg()),
    }
}

pub fn pid(t: &Term) -> Result<Pid, Exception> {
    match t {
        Term::Pid(p) => Ok(*p),
        _ => Err(Exception::badarg()),
    }
}

pub fn reference(t: &Term) -> Result<Ref, Exception> {
    match t {
        Term::Ref(r) => Ok(*r),
        _ => Err(Exception::badarg()),
    }
}

pub fn boolean(t: &Term) -> Result<bool, Exception> {
    match t.as_atom() {
        Some(Atom::TRUE) => Ok(true),
        Some(Atom::FALSE) => Ok(false),
        _ => Err(Exception::badarg()),
    }
}

pub fn list(t: &Term) -> Result<Vec<Term>, Exception> {
    t.list_to_vec().ok_or_else(Exception::badarg)
}

pub fn fun(t: &Term) -> Result<&Term, Exception> {
    match t {
        Term::Fun(_) => Ok(t),
        _ => Err(Exception::tagged(Atom::BADFUN, t.clone())),
    }
}

pub fn ok() -> R {
    Ok(Term::OK)
}
