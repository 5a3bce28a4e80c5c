//! EPMD on the wire for `snow epmd`: a `u16 length, body` request read in whatever pieces arrive, parsed, and the replies encoded.

use super::table::Node;
use crate::dist::epmd::{ALIVE2_REQ, ALIVE2_RESP, ALIVE2_X_RESP, MAX_NAME_LEN, NAMES_REQ, PORT2_RESP, PORT_PLEASE2_REQ};
use std::io::{self, Read};

/// Longest request body accepted (ALIVE2 with a 255-byte name and extra is 525).
pub(super) const MAX_REQUEST: usize = 2048;
/// Longest ALIVE2 extra field kept (epmd's MAXSYMLEN); a longer one closes the connection.
const MAX_EXTRA: usize = 255;

/// How far a request has been read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Got {
    /// Waiting for more bytes.
    Pending,
    /// `buf` holds the whole request, length included.
    Done,
    /// Closed early, bad length, or a read error.
    Bad,
}

/// Reads `u16 len, body` into `buf` (what has arrived so far) as far as
/// `s` allows without blocking; never reads past the request's end, nor
/// more than [`MAX_REQUEST`].
pub(super) fn read_request(s: &mut impl Read, buf: &mut Vec<u8>) -> Got {
    loop {
        let need = match buf.as_slice() {
            [a, b, ..] => {
                let len = usize::from(u16::from_be_bytes([*a, *b]));
                if len == 0 || len > MAX_REQUEST {
                    return Got::Bad;
                }
                if buf.len() == 2 + len {
                    return Got::Done;
                }
                2 + len
            }
            _ => 2,
        };
        let have = buf.len();
        buf.resize(need, 0);
        match s.read(&mut buf[have..]) {
            Ok(0) => return Got::Bad,
            Ok(n) => buf.truncate(have + n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                buf.truncate(have);
                return Got::Pending;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(have),
            Err(_) => return Got::Bad,
        }
    }
}

/// A request this server answers.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Request<'a> {
    Alive2(Node),
    PortPlease2(&'a [u8]),
    Names,
}

/// Parses a request body (after its length); `None` for anything malformed or unknown.
pub(super) fn parse(body: &[u8]) -> Option<Request<'_>> {
    match body.split_first()? {
        (&ALIVE2_REQ, rest) => parse_alive2(rest).map(Request::Alive2),
        (&PORT_PLEASE2_REQ, name) if !name.is_empty() => Some(Request::PortPlease2(name)),
        (&NAMES_REQ, _) => Some(Request::Names),
        _ => None,
    }
}

/// `port:16 type:8 protocol:8 highest:16 lowest:16 nlen:16 name elen:16 extra`.
fn parse_alive2(b: &[u8]) -> Option<Node> {
    let u16_at = |i: usize| Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
    let nlen = usize::from(u16_at(8)?);
    let name = b.get(10..10 + nlen)?;
    let elen = usize::from(u16_at(10 + nlen)?);
    let extra = b.get(12 + nlen..12 + nlen + elen)?;
    if name.is_empty()
        || name.len() > MAX_NAME_LEN
        || name.contains(&b'@')
        || extra.len() > MAX_EXTRA
        || 12 + nlen + elen != b.len()
    {
        return None;
    }
    Some(Node {
        name: name.to_vec(),
        port: u16_at(0)?,
        node_type: *b.get(2)?,
        protocol: *b.get(3)?,
        highest: u16_at(4)?,
        lowest: u16_at(6)?,
        extra: extra.to_vec(),
    })
}

/// The ALIVE2 reply: the OTP 23+ form (tag 118, 32-bit creation) unless the
/// node speaks only versions below 6 (tag 121, creation 1..=3 as the old
/// epmd gave out). `result` is the creation or the refusal's result code.
pub(super) fn alive2_reply(highest: u16, result: Result<u32, u8>) -> Vec<u8> {
    match (result, highest >= 6) {
        (Ok(c), true) => [&[ALIVE2_X_RESP, 0][..], &c.to_be_bytes()].concat(),
        (Ok(c), false) => vec![ALIVE2_RESP, 0, 0, (c % 3 + 1) as u8],
        (Err(code), true) => vec![ALIVE2_X_RESP, code, 0, 0, 0, 0],
        (Err(code), false) => vec![ALIVE2_RESP, code, 0, 0],
    }
}

/// The PORT2 reply for `name`: its node, or result 1 when not registered.
pub(super) fn port2_reply(node: Option<&Node>) -> Vec<u8> {
    let Some(n) = node else { return vec![PORT2_RESP, 1] };
    let mut r = vec![PORT2_RESP, 0];
    r.extend_from_slice(&n.port.to_be_bytes());
    r.extend_from_slice(&[n.node_type, n.protocol]);
    r.extend_from_slice(&n.highest.to_be_bytes());
    r.extend_from_slice(&n.lowest.to_be_bytes());
    // Both fit: the parser takes at most 255 bytes of each.
    r.extend_from_slice(&(n.name.len() as u16).to_be_bytes());
    r.extend_from_slice(&n.name);
    r.extend_from_slice(&(n.extra.len() as u16).to_be_bytes());
    r.extend_from_slice(&n.extra);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out `chunks` one read at a time, with a WouldBlock between each.
    struct Trickle(Vec<Vec<u8>>, bool);
    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.1 = !self.1;
            if self.1 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let Some(chunk) = self.0.first_mut() else { return Ok(0) };
            let n = chunk.len().min(out.len());
            out[..n].copy_from_slice(&chunk[..n]);
            chunk.drain(..n);
            if chunk.is_empty() {
                self.0.remove(0);
            }
            Ok(n)
        }
    }

    const ALIVE2: &[u8] = b"\x00\x15\x78\xb2\x6e\x4d\x00\x00\x06\x00\x05\x00\x08snowtest\x00\x00";

    #[test]
    fn requests_arrive_in_pieces() {
        // One byte at a time, and two requests back to back: only the first is taken.
        let bytes = [ALIVE2, &[0, 1, NAMES_REQ]].concat();
        let mut s = Trickle(bytes.iter().map(|&b| vec![b]).collect(), false);
        let mut buf = Vec::new();
        let mut turns = 0;
        while read_request(&mut s, &mut buf) == Got::Pending {
            turns += 1;
        }
        assert_eq!(turns, ALIVE2.len());
        assert_eq!(buf, ALIVE2);
        let Some(Request::Alive2(n)) = parse(&buf[2..]) else { panic!("not ALIVE2") };
        assert_eq!((n.name.as_slice(), n.port, n.node_type, n.highest, n.lowest), (&b"snowtest"[..], 0xb26e, 77, 6, 5));
        assert_eq!(read_request(&mut s, &mut Vec::new()), Got::Pending);
    }

    #[test]
    fn bad_lengths_and_early_close() {
        for bytes in [&b"\x00\x00"[..], b"\xff\xff\x78", b"\x00", b"\x00\x05\x78"] {
            assert_eq!(read_request(&mut &bytes[..], &mut Vec::new()), Got::Bad, "{bytes:?}");
        }
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in [
            &b""[..],
            b"\x01\x02",
            b"\x7a",
            b"\x78\x00\x01\x4d",
            b"\x78\x00\x01\x4d\x00\x00\x06\x00\x06\xff\xff\x00\x00",
            b"\x78\x00\x01\x4d\x00\x00\x06\x00\x06\x00\x00\x00\x00",
            b"\x78\x00\x01\x4d\x00\x00\x06\x00\x06\x00\x03a@b\x00\x00",
            b"\x78\x00\x01\x4d\x00\x00\x06\x00\x06\x00\x01a\x00\x00junk",
        ] {
            assert_eq!(parse(body), None, "{body:?}");
        }
        assert_eq!(parse(b"\x7afoo"), Some(Request::PortPlease2(b"foo")));
        assert_eq!(parse(b"\x6e"), Some(Request::Names));
    }

    #[test]
    fn replies() {
        assert_eq!(alive2_reply(6, Ok(0x01020304)), [118, 0, 1, 2, 3, 4]);
        assert_eq!(alive2_reply(5, Ok(5)), [121, 0, 0, 3]);
        assert_eq!(alive2_reply(6, Err(2)), [118, 2, 0, 0, 0, 0]);
        assert_eq!(alive2_reply(5, Err(1)), [121, 1, 0, 0]);
        assert_eq!(port2_reply(None), [119, 1]);
    }
}
