//! Where a term's parts lie in memory, for code that reads and writes terms
//! as bytes: the native code compiled for hot functions (`snow_lang::jit`)
//! tests and stores integer registers without calling back into Rust.
//! `Term` is `repr(u32)`, so these follow from its declaration; the tests
//! below pin them, so a reordering of the variants fails here first.

/// Size of a term in bytes (a register's stride).
pub const SIZE: usize = 24;
/// Offset of the 32-bit tag.
pub const TAG_OFFSET: i32 = 0;
/// Offset of an integer's (or a float's, an atom's) value.
pub const VALUE_OFFSET: i32 = 8;

/// The tags of the variants native code tells apart.
pub const INT: u32 = 0;
pub const FLOAT: u32 = 1;
pub const ATOM: u32 = 2;
pub const NIL: u32 = 4;
pub const PID: u32 = 8;
pub const REF: u32 = 9;

/// Whether a term with this tag owns nothing (no `Arc`): overwriting it
/// needs no destructor.
pub const fn owns_nothing(tag: u32) -> bool {
    matches!(tag, INT | FLOAT | ATOM | NIL | PID | REF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atom::Atom;
    use crate::term::{Pid, Ref, Term};
    use std::sync::Arc;

    fn tag_of(t: &Term) -> u32 {
        // SAFETY: a term is at least 4 bytes and aligned to 8; its first
        // four bytes are the tag (`repr(u32)`).
        unsafe { *(t as *const Term as *const u32).byte_offset(TAG_OFFSET as isize) }
    }

    #[test]
    fn a_term_is_a_tag_then_its_value() {
        assert_eq!(std::mem::size_of::<Term>(), SIZE);
        let t = Term::Int(-1234567890123);
        assert_eq!(tag_of(&t), INT);
        // SAFETY: as above; an integer's value is at VALUE_OFFSET.
        let v = unsafe { *(&t as *const Term as *const i64).byte_offset(VALUE_OFFSET as isize) };
        assert_eq!(v, -1234567890123);
    }

    #[test]
    fn tags_follow_the_declaration() {
        assert_eq!(tag_of(&Term::Float(1.5)), FLOAT);
        assert_eq!(tag_of(&Term::Atom(Atom::TRUE)), ATOM);
        assert_eq!(tag_of(&Term::Nil), NIL);
        assert_eq!(tag_of(&Term::Pid(Pid { node: 0, id: 1, serial: 0, creation: 0 })), PID);
        assert_eq!(tag_of(&Term::Ref(Ref { node: 0, words: [1, 2, 3] })), REF);
        let owning = [Term::Str(Arc::from("s")), Term::Tuple(Arc::from(vec![Term::Int(1)]))];
        for t in &owning {
            assert!(!owns_nothing(tag_of(t)), "a term behind an Arc owns something");
        }
        for t in [Term::Int(1), Term::Float(1.0), Term::Atom(Atom::NIL), Term::Nil] {
            assert!(owns_nothing(tag_of(&t)));
        }
    }

    #[test]
    fn an_optional_term_is_no_bigger() {
        // The explicit tag still leaves unused values for `Option`'s `None`.
        assert_eq!(std::mem::size_of::<Option<Term>>(), SIZE);
    }
}
