//! A peer cannot grow the atom table past `MAX_ATOMS` (own binary: it fills
#![allow(clippy::unwrap_used)]
//! the table).

use snow_runtime::atom::MAX_ATOMS;
use snow_runtime::dist::etf::{self, DecodeError};
use snow_runtime::{Atom, Term};

#[test]
fn decoder_stops_at_the_atom_limit() {
    let before = etf::encode(&Term::atom("made_before")).expect("encodes");
    let mut i = 0usize;
    while Atom::try_new(&format!("filler_{i}")).is_some() {
        i += 1;
        assert!(i <= MAX_ATOMS);
    }
    assert_eq!(Atom::try_new("brand_new"), None);
    assert_eq!(Atom::try_new("filler_0"), Some(Atom::new("filler_0")), "existing atoms still resolve");
    assert_eq!(etf::decode(b"\x83\x77\x09brand_new"), Err(DecodeError::AtomLimit));
    assert_eq!(etf::decode(&before).expect("existing atom").0, Term::atom("made_before"));
}
