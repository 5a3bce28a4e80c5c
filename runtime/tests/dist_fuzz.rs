//! Hostile input (reference §5.4): ≥ 100,000 malformed inputs through the ETF
#![allow(clippy::unwrap_used)]
//! decoder and the frame reader, on a 2 MiB thread: no panic, no stack
//! overflow, no allocation a length field can inflate.

use snow_runtime::dist::etf::{self, DecodeError};
use snow_runtime::dist::frame::{self, Frame, FrameError, FrameReader};
use snow_runtime::{MapObj, Pid, Ref, Term};
use std::time::{Duration, Instant};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

fn on_small_stack<F: FnOnce() + Send + 'static>(f: F) {
    std::thread::Builder::new().stack_size(2 << 20).spawn(f).expect("spawn").join().expect("no panic");
}

fn samples() -> Vec<Vec<u8>> {
    let m: MapObj = [(Term::atom("k"), Term::str("v")), (Term::Int(1), Term::Float(2.5))].into_iter().collect();
    let terms = [
        Term::tuple(vec![Term::Int(6), Term::Pid(Pid::local(101, 0)), Term::atom(""), Term::atom("echo")]),
        Term::list(vec![Term::Int(1), Term::Int(-70000), Term::Int(1 << 40), Term::Nil, Term::str("héllo")]),
        Term::map(m),
        Term::cons(Term::tuple(vec![Term::Ref(Ref { node: 0, words: [1, 2, 3] })]), Term::atom("tail")),
        Term::tuple(vec![Term::list(vec![Term::tuple(vec![Term::map(MapObj::new())])]), Term::Float(-0.0)]),
    ];
    let mut out: Vec<Vec<u8>> = terms.iter().map(|t| etf::encode(t).expect("encodes")).collect();
    out.push(b"\x83\x6b\x00\x03abc".to_vec());
    out.push(vec![131, 100, 0, 2, b'o', b'k']);
    out
}

fn check(bytes: &[u8]) {
    // must return, Ok or Err; if Ok the term must re-encode
    if let Ok((t, used)) = etf::decode(bytes) {
        assert!(used <= bytes.len());
        let _ = etf::encode(&t);
        // and as a control message (what a peer's packet becomes)
        let _ = snow_runtime::dist::control::Control::read(&t, Some(t.clone()));
    }
    // the same bytes as a whole packet body: pass-through control + payload
    let mut body = vec![snow_runtime::dist::frame::PASS_THROUGH];
    body.extend_from_slice(bytes);
    if let Ok((c, p)) = snow_runtime::dist::frame::parse_body(&body) {
        let _ = snow_runtime::dist::control::Control::read(&c, p);
    }
}

#[test]
fn hostile_inputs() {
    on_small_stack(|| {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let mut count = 0usize;
        // 1. random bytes, half with a valid version byte and a plausible tag
        for i in 0..40_000 {
            let len = rng.below(48);
            let mut b: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            if i % 2 == 0 {
                b.insert(0, 131);
                if i % 4 == 0 && b.len() > 1 {
                    b[1] = [70, 88, 90, 97, 98, 100, 104, 105, 106, 107, 108, 109, 110, 111, 116, 118, 119][rng.below(17)];
                }
            }
            check(&b);
            count += 1;
        }
        // 2. mutated valid encodings
        let samples = samples();
        for _ in 0..50_000 {
            let mut b = samples[rng.below(samples.len())].clone();
            for _ in 0..1 + rng.below(4) {
                match rng.below(4) {
                    0 => {
                        let i = rng.below(b.len());
                        b[i] = rng.byte();
                    }
                    1 => b.insert(rng.below(b.len() + 1), rng.byte()),
                    2 if b.len() > 1 => {
                        b.remove(rng.below(b.len()));
                    }
                    _ => {
                        let i = rng.below(b.len());
                        b[i] = [0, 1, 0x7f, 0x80, 0xff][rng.below(5)];
                    }
                }
            }
            check(&b);
            count += 1;
        }
        // 3. every strict prefix of a valid encoding is Truncated
        for s in &samples {
            for n in 0..s.len() {
                assert_eq!(etf::decode(&s[..n]).map(|_| ()), Err(DecodeError::Truncated), "{s:?}[..{n}]");
                count += 1;
            }
            assert!(etf::decode(s).is_ok());
        }
        // 4. frames: random byte streams through the reader and the body parser
        for _ in 0..12_000 {
            let mut r = FrameReader::new(1 << 10);
            let len = rng.below(64);
            let mut stream: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            if rng.below(2) == 0 {
                let body_len = rng.below(40) as u32;
                let mut f = body_len.to_be_bytes().to_vec();
                f.push(112);
                f.push(131);
                f.extend(stream);
                stream = f;
            }
            r.push(&stream);
            while let Ok(Some(f)) = r.next_frame() {
                if let Frame::Data(body) = f {
                    let _ = frame::parse_body(&body);
                }
            }
            count += 1;
        }
        assert!(count >= 100_000, "{count}");
        eprintln!("hostile inputs: {count}");
    });
}

/// A short input that claims a huge element count must fail fast, without
/// reserving memory for the claim (an abort would kill the test process).
#[test]
fn huge_length_fields() {
    on_small_stack(|| {
        let cases: &[&[u8]] = &[
            &[131, 108, 255, 255, 255, 255],
            &[131, 108, 255, 255, 255, 255, 106, 106, 106, 106],
            &[131, 105, 255, 255, 255, 255, 97, 1, 97, 1],
            &[131, 116, 255, 255, 255, 255, 97, 1],
            &[131, 116, 0, 0, 64, 0, 97, 1, 97, 1],
            &[131, 109, 255, 255, 255, 255, 0],
            &[131, 111, 255, 255, 255, 255, 0, 1],
            &[131, 107, 255, 255, 1],
            &[131, 118, 255, 255, b'a'],
            &[131, 90, 255, 255, 119, 1, b'n', 0, 0, 0, 1],
            &[131, 112, 255, 255, 255, 255, 1],
            &[131, 112, 0, 0, 0, 1, 1],
        ];
        for c in cases {
            let t0 = Instant::now();
            assert!(etf::decode(c).is_err(), "{c:?}");
            assert!(t0.elapsed() < Duration::from_millis(50), "{c:?} took {:?}", t0.elapsed());
        }
        // A 4 GiB length prefix allocates nothing: the reader waits for the bytes.
        let mut r = FrameReader::default();
        r.push(&[0xff, 0xff, 0xff, 0xff, 112]);
        assert!(matches!(r.next_frame(), Ok(None)));
        assert_eq!(r.buffered(), 5);
        // A reader given a cap refuses past it, and stays failed.
        let mut r = FrameReader::new(1 << 20);
        r.push(&[0xff, 0xff, 0xff, 0xff, 112]);
        assert!(matches!(r.next_frame(), Err(FrameError::TooLarge { .. })));
        assert!(r.next_frame().is_err(), "stays failed");
    });
}

fn nested(open: &[u8], depth: usize, close: &[u8]) -> Vec<u8> {
    let mut b = vec![131];
    for _ in 0..depth {
        b.extend_from_slice(open);
    }
    b.push(106);
    for _ in 0..depth {
        b.extend_from_slice(close);
    }
    b
}

#[test]
fn deep_nesting() {
    on_small_stack(|| {
        let deep = 100_000;
        // 1-tuples, list heads, map values, a million deep: decode, re-encode,
        // compare, print and drop on a 2 MiB stack, as the BEAM carries them
        let deep_containers = 1_000_000;
        for (open, close) in [(&[104u8, 1][..], &[][..]), (&[108, 0, 0, 0, 1][..], &[106][..]), (&[116, 0, 0, 0, 1, 97, 1][..], &[][..])] {
            let b = nested(open, deep_containers, close);
            let (t, used) = etf::decode(&b).expect("any depth decodes");
            assert_eq!(used, b.len());
            assert_eq!(etf::encode(&t).expect("encodes"), b);
            assert!(t == t.clone());
            assert!(t == etf::decode(&b).expect("decodes").0);
            assert!(snow_runtime::inspect::inspect(&t).len() > deep_containers);
        }
        // a 100k-long chain of improper tails [1 | [1 | …]] is just a list: no depth
        let mut b = vec![131];
        for _ in 0..deep {
            b.extend_from_slice(&[108, 0, 0, 0, 1, 97, 1]);
        }
        b.push(106);
        let (t, used) = etf::decode(&b).expect("a long list");
        assert_eq!(used, b.len());
        assert_eq!(t.list_iter().count(), deep);
        let enc = etf::encode(&t).expect("encodes");
        assert_eq!(&enc[..6], &[131, 108, 0, 1, 0x86, 0xa0]);
        // a map of 200k entries builds in n log n; a duplicate key is refused
        let m: Vec<(Term, Term)> = (0..200_000).map(|i| (Term::Int(i), Term::Int(i))).collect();
        let mut b = vec![131, 116, 0, 3, 0x0d, 0x40];
        for (k, v) in &m {
            b.extend_from_slice(&etf::encode(k).expect("encodes")[1..]);
            b.extend_from_slice(&etf::encode(v).expect("encodes")[1..]);
        }
        let (t, _) = etf::decode(&b).expect("a big map decodes");
        assert!(matches!(t, Term::Map(ref m) if m.len() == 200_000));
        let mut dup = vec![131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2];
        assert_eq!(etf::decode(&dup).map(|_| ()), Err(DecodeError::Invalid("duplicate map key")));
        dup[11] = 2;
        assert!(etf::decode(&dup).is_ok());
        // long flat list/tuple
        let big = Term::list((0..200_000).map(Term::Int).collect());
        assert_eq!(etf::decode(&etf::encode(&big).expect("encodes")).expect("decodes").0, big);
    });
}

/// Frames split at every possible point, several per read.
#[test]
fn frame_reader_reassembles() {
    let mut stream = Vec::new();
    let mut want = Vec::new();
    for i in 0..20 {
        if i % 3 == 0 {
            stream.extend_from_slice(&frame::TICK);
            want.push((None, None));
        } else {
            let control = Term::tuple(vec![Term::Int(6), Term::Pid(Pid::local(i, 0)), Term::atom(""), Term::atom("echo")]);
            let payload = Term::list((0..i as i64).map(Term::Int).collect());
            let p = (i % 2 == 0).then_some(&payload);
            stream.extend(frame::encode_pass_through(&control, p).expect("encodes"));
            want.push((Some(control.clone()), p.cloned()));
        }
    }
    let mut rng = Rng(42);
    for _ in 0..300 {
        let mut r = FrameReader::default();
        let mut got = Vec::new();
        let mut pos = 0;
        while pos < stream.len() {
            let n = 1 + rng.below(40);
            let end = (pos + n).min(stream.len());
            r.push(&stream[pos..end]);
            pos = end;
            while let Some(f) = r.next_frame().expect("valid stream") {
                got.push(match f {
                    Frame::Tick => (None, None),
                    Frame::Data(b) => {
                        let (c, p) = frame::parse_body(&b).expect("parses");
                        (Some(c), p)
                    }
                });
            }
        }
        assert_eq!(got, want);
        assert_eq!(r.buffered(), 0);
    }
}
