//! Tests that change global state (this node's name, the fun codec), kept in
#![allow(clippy::unwrap_used)]
//! their own binary and run one at a time.

use snow_runtime::dist::etf::{self, DecodeError, EncodeError, FunCodec};
use snow_runtime::dist::frame::{self, Frame, FrameError, FrameReader};
use snow_runtime::dist::nodes;
use snow_runtime::{Atom, Fun, FunCode, Pid, Term};
use std::sync::{Arc, Mutex};

static SERIAL: Mutex<()> = Mutex::new(());

/// §3.3: a REG_SEND of `{Pid, hi}` from `<snow@127.0.0.1.101.0>` (creation
/// 0x6b033c05) to `echo`, byte for byte as verified against OTP 25.
#[test]
fn reg_send_packet_exact() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    nodes::set_this_node(Atom::new("snow@127.0.0.1"), 0x6b033c05);
    let me = Term::Pid(Pid::local(101, 0));
    let control = Term::tuple(vec![Term::Int(6), me.clone(), Term::atom(""), Term::atom("echo")]);
    let payload = Term::tuple(vec![me.clone(), Term::atom("hi")]);
    let pid = b"\x58\x77\x0esnow@127.0.0.1\x00\x00\x00\x65\x00\x00\x00\x00\x6b\x03\x3c\x05";
    let mut want = vec![0, 0, 0, 0x4f, 0x70, 0x83, 0x68, 0x04, 0x61, 0x06];
    want.extend_from_slice(pid);
    want.extend_from_slice(b"\x77\x00\x77\x04echo\x83\x68\x02");
    want.extend_from_slice(pid);
    want.extend_from_slice(b"\x77\x02hi");
    assert_eq!(frame::encode_pass_through(&control, Some(&payload)).unwrap(), want);

    let mut r = FrameReader::default();
    r.push(&want);
    let Some(Frame::Data(body)) = r.next_frame().unwrap() else { panic!("a data frame") };
    let (c, p) = frame::parse_body(&body).unwrap();
    assert_eq!((c, p), (control, Some(payload)), "our own pid comes back local");
    // an earlier incarnation of this node is another node
    let mut stale = pid.to_vec();
    if let Some(b) = stale.last_mut() {
        *b = 0x04;
    }
    let Term::Pid(old) = etf::decode_body(&stale).unwrap().0 else { panic!() };
    assert_ne!(old.node, 0);

    // headers we never negotiate
    assert!(matches!(frame::parse_body(&[131, 68, 0, 104, 0]), Err(FrameError::Unsupported(_))));
    assert!(matches!(frame::parse_body(&[131, 69, 0]), Err(FrameError::Unsupported(_))));
    assert!(matches!(frame::parse_body(&[1, 2]), Err(FrameError::BadBody(1))));
    let mut trailing = body.clone();
    trailing.push(0);
    assert!(frame::parse_body(&trailing).is_err());
    nodes::set_this_node(Atom::NONODE, 0);
}

#[test]
fn node_table() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(nodes::node_of(0), Some((Atom::NONODE, 0)));
    assert_eq!(nodes::index_of(Atom::NONODE, 0), 0);
    let i = nodes::index_of(Atom::new("a@h"), 1);
    assert_ne!(i, 0);
    assert_eq!(nodes::index_of(Atom::new("a@h"), 1), i);
    assert_ne!(nodes::index_of(Atom::new("a@h"), 2), i);
    assert_eq!(nodes::node_of(i), Some((Atom::new("a@h"), 1)));
    assert_eq!(nodes::node_of(u32::MAX), None);
    assert_eq!(etf::encode(&Term::Pid(Pid { node: u32::MAX, id: 0, serial: 0, creation: 0 })), Err(EncodeError::UnknownNode(u32::MAX)));
}

struct Code;
impl FunCode for Code {
    fn arity(&self) -> usize {
        2
    }
    fn describe(&self) -> String {
        "add/2".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A toy codec: sends every fun as `fun snow:add/2`, decodes exports as
/// `{module, function, arity}`.
struct Toy;
impl FunCodec for Toy {
    fn encode(&self, _fun: &Fun, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(b"\x71\x77\x04snow\x77\x03add\x61\x02");
        Ok(())
    }
    fn decode_export(&self, m: &str, f: &str, arity: u8) -> Result<Term, DecodeError> {
        Ok(Term::tuple(vec![Term::atom(m), Term::atom(f), Term::Int(arity.into())]))
    }
    fn decode_new_fun(&self, bytes: &[u8]) -> Result<Term, DecodeError> {
        Ok(Term::Int(bytes.len() as i64))
    }
}

#[test]
fn fun_codec_hook() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let f = Term::Fun(Arc::new(Fun { code: Arc::new(Code), env: Box::new([]) }));
    assert!(matches!(etf::encode(&f), Err(EncodeError::Fun(_))));
    etf::set_fun_codec(Some(Arc::new(Toy)));
    let bytes = etf::encode(&Term::list(vec![f])).unwrap();
    let (t, _) = etf::decode(&bytes).unwrap();
    assert_eq!(t, Term::list(vec![Term::tuple(vec![Term::atom("snow"), Term::atom("add"), Term::Int(2)])]));
    // NEW_FUN_EXT: handed over whole, Size checked against the input
    assert_eq!(etf::decode(&[131, 112, 0, 0, 0, 6, 1, 2, 106]).unwrap(), (Term::Int(7), 8));
    assert_eq!(etf::decode(&[131, 112, 0, 0, 0, 9, 1]), Err(DecodeError::Truncated));
    etf::set_fun_codec(None);
    assert!(matches!(etf::decode(&bytes), Err(DecodeError::Unsupported(_))));
}
