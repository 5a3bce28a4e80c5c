//! ETF codec: round-trip properties and byte-exact examples (reference §5).
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use snow_runtime::dist::etf::{self, DecodeError, EncodeError};
use snow_runtime::dist::nodes;
use snow_runtime::{Atom, MapObj, Pid, Ref, Term};

fn dec(bytes: &[u8]) -> Result<Term, DecodeError> {
    let (t, used) = etf::decode(bytes)?;
    assert_eq!(used, bytes.len(), "decode used {used} of {} bytes", bytes.len());
    Ok(t)
}

fn enc(t: &Term) -> Vec<u8> {
    etf::encode(t).expect("encodes")
}

fn a(s: &str) -> Term {
    Term::atom(s)
}

// ---- byte-exact -----------------------------------------------------------

#[test]
fn atoms_exact() {
    assert_eq!(enc(&Term::OK), [131, 119, 2, b'o', b'k']);
    assert_eq!(enc(&Term::TRUE), b"\x83\x77\x04true");
    assert_eq!(enc(&Term::NIL_ATOM), b"\x83\x77\x03nil");
    // old latin-1 ATOM_EXT / SMALL_ATOM_EXT, as OTP ≤ 25 term_to_binary writes
    assert_eq!(dec(&[131, 100, 0, 2, b'o', b'k']).unwrap(), Term::OK);
    assert_eq!(dec(&[131, 115, 1, 0xE9]).unwrap(), a("é"));
    assert_eq!(enc(&a("é")), [131, 119, 2, 0xC3, 0xA9]);
    let long = "é".repeat(200); // 400 bytes, 200 chars → ATOM_UTF8_EXT
    let mut want = vec![131, 118, 1, 144];
    want.extend_from_slice(long.as_bytes());
    assert_eq!(enc(&a(&long)), want);
    assert_eq!(dec(&want).unwrap(), a(&long));
}

#[test]
fn atom_rules() {
    assert_eq!(etf::encode(&a(&"x".repeat(256))), Err(EncodeError::AtomTooLong));
    let mut too_long = vec![131, 118, 1, 0];
    too_long.extend(std::iter::repeat_n(b'x', 256));
    assert!(matches!(dec(&too_long), Err(DecodeError::Invalid(_))));
    assert!(matches!(dec(&[131, 119, 1, 0xff]), Err(DecodeError::Invalid(_))));
}

#[test]
fn integers_exact() {
    let cases: &[(i64, &[u8])] = &[
        (0, &[97, 0]),
        (255, &[97, 255]),
        (256, &[98, 0, 0, 1, 0]),
        (-1, &[98, 255, 255, 255, 255]),
        (i32::MAX as i64, &[98, 0x7f, 255, 255, 255]),
        (i32::MIN as i64, &[98, 0x80, 0, 0, 0]),
        (1 << 31, &[110, 4, 0, 0, 0, 0, 0x80]),
        (-(1 << 31) - 1, &[110, 4, 1, 1, 0, 0, 0x80]),
        (1 << 40, &[110, 6, 0, 0, 0, 0, 0, 0, 1]),
        (i64::MAX, &[110, 8, 0, 255, 255, 255, 255, 255, 255, 255, 0x7f]),
        (i64::MIN, &[110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 0x80]),
    ];
    for &(i, body) in cases {
        let mut want = vec![131];
        want.extend_from_slice(body);
        assert_eq!(enc(&Term::Int(i)), want, "{i}");
        assert_eq!(dec(&want).unwrap(), Term::Int(i));
    }
    // LARGE_BIG and non-canonical bignums still decode when they fit
    assert_eq!(dec(&[131, 111, 0, 0, 0, 2, 1, 1, 1]).unwrap(), Term::Int(-257));
    assert_eq!(dec(&[131, 110, 10, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap(), Term::Int(5));
    // beyond i64
    let too_big = [131, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]; // 2^63
    assert!(matches!(dec(&too_big), Err(DecodeError::Unsupported(_))));
    assert!(matches!(dec(&[131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), Err(DecodeError::Unsupported(_))));
    assert!(matches!(dec(&[131, 110, 1, 2, 1]), Err(DecodeError::Invalid(_))));
}

#[test]
fn floats_exact() {
    assert_eq!(enc(&Term::Float(1.5)), [131, 70, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
    let mut old = vec![131, 99];
    let text = b"1.50000000000000000000e+00";
    old.extend_from_slice(text);
    old.extend(std::iter::repeat_n(0, 31 - text.len()));
    assert_eq!(dec(&old).unwrap(), Term::Float(1.5));
    assert_eq!(etf::encode(&Term::Float(f64::NAN)), Err(EncodeError::NonFiniteFloat));
    assert!(dec(&[131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]).is_err()); // +inf
}

#[test]
fn strings_lists_tuples_maps_exact() {
    assert_eq!(enc(&Term::str("hi")), [131, 109, 0, 0, 0, 2, b'h', b'i']);
    assert!(matches!(dec(&[131, 109, 0, 0, 0, 1, 0xff]), Err(DecodeError::Unsupported(_))));
    // erl sends "abc" as STRING_EXT: a list of integers, not a string
    assert_eq!(dec(b"\x83\x6b\x00\x03abc").unwrap(), Term::list(vec![97.into(), 98.into(), 99.into()]));
    assert_eq!(enc(&Term::Nil), [131, 106]);
    let l = Term::list(vec![1.into(), Term::OK]);
    assert_eq!(enc(&l), [131, 108, 0, 0, 0, 2, 97, 1, 119, 2, b'o', b'k', 106]);
    let improper = Term::cons(1.into(), 2.into());
    assert_eq!(enc(&improper), [131, 108, 0, 0, 0, 1, 97, 1, 97, 2]);
    assert_eq!(dec(&enc(&improper)).unwrap(), improper);
    // chained LIST_EXT tails are one list; an empty LIST_EXT is just its tail
    assert_eq!(dec(&[131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106]).unwrap(), Term::list(vec![1.into(), 2.into()]));
    assert_eq!(dec(&[131, 108, 0, 0, 0, 0, 97, 7]).unwrap(), Term::Int(7));
    assert_eq!(enc(&Term::tuple(vec![])), [131, 104, 0]);
    let big: Vec<Term> = (0..256).map(|_| Term::Nil).collect();
    let e = enc(&Term::tuple(big.clone()));
    assert_eq!(&e[..6], &[131, 105, 0, 0, 1, 0]);
    assert_eq!(dec(&e).unwrap(), Term::tuple(big));
    let m: MapObj = [(a("a"), 1.into())].into_iter().collect();
    assert_eq!(enc(&Term::map(m)), [131, 116, 0, 0, 0, 1, 119, 1, b'a', 97, 1]);
    let dup = [131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2];
    assert!(matches!(dec(&dup), Err(DecodeError::Invalid(_))));
    // 1 and 1.0 are different keys
    let two = [131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 70, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 97, 2];
    assert!(matches!(dec(&two).unwrap(), Term::Map(ref m) if m.len() == 2));
}

#[test]
fn remote_pid_and_ref_from_a_real_node() {
    // §5.3: <labdrv@127.0.0.1.9.0>, creation 0x6b033c07
    let mut pid = vec![131, 88, 119, 16];
    pid.extend_from_slice(b"labdrv@127.0.0.1");
    pid.extend_from_slice(&[0, 0, 0, 9, 0, 0, 0, 0, 0x6b, 0x03, 0x3c, 0x07]);
    let t = dec(&pid).unwrap();
    let Term::Pid(p) = t.clone() else { panic!("{t:?}") };
    assert_ne!(p.node, 0);
    assert_eq!((p.id, p.serial, p.creation), (9, 0, 0x6b033c07));
    assert_eq!(nodes::node_of(p.node), Some((Atom::new("labdrv@127.0.0.1"), 0x6b033c07)));
    assert_eq!(enc(&t), pid);
    // old PID_EXT (u8 creation) decodes too
    let mut old = vec![131, 103, 119, 16];
    old.extend_from_slice(b"labdrv@127.0.0.1");
    old.extend_from_slice(&[0, 0, 0, 9, 0, 0, 0, 0, 2]);
    assert!(matches!(dec(&old).unwrap(), Term::Pid(q) if q.creation == 2 && q.node != p.node));

    let mut r = vec![131, 90, 0, 3, 119, 16];
    r.extend_from_slice(b"labdrv@127.0.0.1");
    r.extend_from_slice(&[0x6b, 0x03, 0x3c, 0x07, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
    let t = dec(&r).unwrap();
    assert_eq!(t, Term::Ref(Ref { node: p.node, words: [1, 2, 3] }));
    assert_eq!(enc(&t), r);
    // NEW_REFERENCE_EXT, 1 word: padded
    let mut short = vec![131, 114, 0, 1, 119, 1, b'n', 3, 0, 0, 0, 9];
    assert!(matches!(dec(&short).unwrap(), Term::Ref(Ref { words: [9, 0, 0], .. })));
    short[3] = 0;
    assert!(dec(&short[..short.len() - 4]).is_err());
    // 5 words (V4_NC): interned, re-encoded as received (see below)
    let mut five = vec![131, 90, 0, 5, 119, 1, b'n', 0, 0, 0, 1];
    five.extend(std::iter::repeat_n(1, 20));
    let t = dec(&five).unwrap();
    assert_eq!(enc(&t), five);
}

#[test]
fn unsupported_tags() {
    for bytes in [
        &[131, 77, 0, 0, 0, 1, 3, 0xe0][..],                 // bitstring
        &[131, 113, 119, 1, b'm', 119, 1, b'f', 97, 2][..],  // fun m:f/2 without a codec
        &[131, 112, 0, 0, 0, 4][..],                         // NEW_FUN_EXT without a codec
        &[131, 80, 0, 0, 0, 1, 0x78][..],                    // compressed
        &[131, 82, 0][..],                                   // atom cache ref
        &[131, 89, 119, 1, b'n', 0, 0, 0, 1, 0, 0, 0, 1][..], // port
    ] {
        assert!(matches!(dec(bytes), Err(DecodeError::Unsupported(_))), "{bytes:?}");
    }
    assert_eq!(dec(&[131, 200]), Err(DecodeError::UnknownTag(200)));
    assert_eq!(dec(&[130, 106]), Err(DecodeError::BadVersion(130)));
    assert_eq!(dec(&[]), Err(DecodeError::Truncated));
}

#[test]
fn local_pid_round_trips_as_local() {
    let p = Term::Pid(Pid::local(101, 0));
    let (name, creation) = nodes::this_node();
    let e = enc(&p);
    assert_eq!(e[1], 88);
    assert_eq!(&e[e.len() - 4..], &creation.to_be_bytes());
    assert_eq!(&e[4..4 + name.as_str().len()], name.as_str().as_bytes());
    assert_eq!(dec(&e).unwrap(), p);
}

#[test]
fn decode_reports_bytes_used() {
    let mut two = enc(&Term::OK);
    two.extend(enc(&Term::Int(5)));
    let (t, used) = etf::decode(&two).unwrap();
    assert_eq!((t, used), (Term::OK, 5));
    assert_eq!(etf::decode(&two[used..]).unwrap(), (Term::Int(5), 3));
}

// ---- round-trip property ----------------------------------------------------

fn leaf() -> impl Strategy<Value = Term> {
    let remote = nodes::index_of(Atom::new("peer@host"), 0x6b033c05);
    let remote2 = nodes::index_of(Atom::new("other@host"), 1);
    prop_oneof![
        any::<i64>().prop_map(Term::Int),
        (-300i64..300).prop_map(Term::Int),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Term::Float),
        "[a-z_@.é0-9]{0,12}".prop_map(|s| Term::atom(&s)),
        prop::sample::select(vec!["true", "false", "nil", "ok", "error"]).prop_map(Term::atom),
        ".{0,16}".prop_map(|s| Term::str(&s)),
        Just(Term::Nil),
        (prop::sample::select(vec![0, remote, remote2]), any::<u32>(), any::<u32>()).prop_map(|(node, id, serial)| {
            let creation = if node == 0 { 0 } else { nodes::node_of(node).map_or(0, |n| n.1) };
            Term::Pid(Pid { node, id, serial, creation })
        }),
        (prop::sample::select(vec![0, remote, remote2]), any::<[u32; 3]>())
            .prop_map(|(node, words)| Term::Ref(Ref { node, words })),
    ]
}

fn term() -> impl Strategy<Value = Term> {
    leaf().prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Term::tuple),
            prop::collection::vec(inner.clone(), 0..8).prop_map(Term::list),
            (prop::collection::vec(inner.clone(), 1..4), inner.clone()).prop_map(|(v, t)| Term::list_with_tail(v, t)),
            prop::collection::vec((inner.clone(), inner), 0..6)
                .prop_map(|kv| Term::map(kv.into_iter().collect::<MapObj>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn round_trip(t in term()) {
        let bytes = etf::encode(&t).unwrap();
        let (back, used) = etf::decode(&bytes).unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(&back, &t);
        // canonical: re-encoding gives the same bytes
        prop_assert_eq!(etf::encode(&back).unwrap(), bytes);
    }
}

/// OTP 26+ (V4_NC) may send references of 4 or 5 words: they decode,
/// compare by value and re-encode byte for byte.
#[test]
fn long_references_round_trip() {
    let make = |words: &[u32]| {
        let mut b = vec![131, 90];
        b.extend_from_slice(&(words.len() as u16).to_be_bytes());
        b.extend_from_slice(&[119, 13]);
        b.extend_from_slice(b"x@127.0.0.1:9");
        b.extend_from_slice(&7u32.to_be_bytes());
        for w in words {
            b.extend_from_slice(&w.to_be_bytes());
        }
        b
    };
    let five = make(&[1, 2, 3, 4, 5]);
    let four = make(&[1, 2, 3, 4]);
    let (a, _) = snow_runtime::dist::etf::decode(&five).expect("5 words decode");
    let (b, _) = snow_runtime::dist::etf::decode(&five).expect("again");
    let (c, _) = snow_runtime::dist::etf::decode(&four).expect("4 words decode");
    assert!(a.strict_eq(&b), "the same reference twice is equal");
    assert!(!a.strict_eq(&c), "a different reference is not");
    assert_eq!(snow_runtime::dist::etf::encode(&a).expect("encodes"), five);
    assert_eq!(snow_runtime::dist::etf::encode(&c).expect("encodes"), four);
    let shown = snow_runtime::inspect::inspect(&a);
    assert!(shown.ends_with(".5.4.3.2.1>"), "{shown}");
    let six = make(&[1, 2, 3, 4, 5, 6]);
    assert!(snow_runtime::dist::etf::decode(&six).is_err(), "more than 5 words is refused");
}
