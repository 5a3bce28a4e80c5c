//! The connection handshake, protocol version 6 (OTP 23+), both sides
//! (reference §2): `'N'` send_name, status, `'N'` challenge, `'r'` reply
//! with the cookie digest, `'a'` ack. Every message is `u16 length + body`;
//! each step has its own timeout, and nothing a peer sends is trusted for
//! more than a bounded read.
//!
//! We never offer DIST_HDR_ATOM_CACHE or FRAGMENTS, so after the handshake
//! both sides speak pass-through packets only (`frame.rs`).

use md5::{Digest, Md5};
use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Distribution flags (reference §2.5) that we use by name.
pub mod flags {
    pub const PUBLISHED: u64 = 0x1;
    pub const DIST_MONITOR: u64 = 0x8;
    pub const DIST_MONITOR_NAME: u64 = 0x20;
    pub const DIST_HDR_ATOM_CACHE: u64 = 0x2000;
    pub const SEND_SENDER: u64 = 0x80000;
    pub const EXIT_PAYLOAD: u64 = 0x40_0000;
    pub const FRAGMENTS: u64 = 0x80_0000;
    pub const HANDSHAKE_23: u64 = 0x100_0000;
    pub const UNLINK_ID: u64 = 0x200_0000;
    pub const MANDATORY_25_DIGEST: u64 = 0x400_0000;
    pub const SPAWN: u64 = 1 << 32;
    pub const V4_NC: u64 = 1 << 34;
    /// What OTP 25 requires of every peer (the M25 set).
    pub const MANDATORY_25: u64 = 0x0107_0F94;
    /// What we require: the M25 set, and 32-bit pid ids (our pids use them).
    pub const REQUIRED: u64 = MANDATORY_25 | V4_NC;
    /// What we offer: the reference's recommended set without PUBLISHED,
    /// i.e. a hidden node (ARCHITECTURE.md says why). No atom cache, no
    /// fragments: pass-through packets in both directions.
    pub const OFFERED: u64 = 0x0000_000D_075F_5FBC;
}

/// One side's view of a finished handshake: who the peer is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub name: String,
    pub creation: u32,
    /// The negotiated flags (ours AND theirs).
    pub flags: u64,
}

/// Our side of a handshake.
#[derive(Clone)]
pub struct Local<'a> {
    pub name: &'a str,
    pub creation: u32,
    pub cookie: &'a str,
    pub flags: u64,
    /// Each step's timeout (erl's `net_setuptime`, 7 s by default).
    pub step: Duration,
}

/// What an acceptor answers after the peer's send_name (reference §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// We dropped our own attempt to connect to this peer.
    OkSimultaneous,
    /// We keep our own attempt: the peer gives this one up.
    Nok,
    NotAllowed,
    /// We still hold a connection to a node of this name: ask the peer
    /// whether to replace it.
    Alive,
}

#[derive(Debug)]
pub enum HandshakeError {
    Io(io::Error),
    /// The peer broke the protocol (with what).
    Protocol(String),
    /// The peer lacks flags we need.
    MissingFlags(u64),
    /// The digest did not match: different cookies.
    WrongCookie,
    /// The peer answered `nok` (it keeps its own attempt) or refused.
    Refused(String),
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Io(e) => write!(f, "{e}"),
            HandshakeError::Protocol(what) => write!(f, "protocol error: {what}"),
            HandshakeError::MissingFlags(m) => write!(f, "the peer lacks required distribution flags {m:#x}"),
            HandshakeError::WrongCookie => write!(f, "wrong cookie (the challenge digest did not match)"),
            HandshakeError::Refused(status) => write!(f, "refused by the peer ({status})"),
        }
    }
}

impl From<io::Error> for HandshakeError {
    fn from(e: io::Error) -> Self {
        HandshakeError::Io(e)
    }
}

type Result<T> = std::result::Result<T, HandshakeError>;

/// `MD5(cookie ++ decimal(challenge))` (reference §2.4).
pub fn digest(challenge: u32, cookie: &str) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(cookie.as_bytes());
    h.update(challenge.to_string().as_bytes());
    h.finalize().into()
}

/// A random challenge (a CSPRNG, as the reference asks).
fn challenge() -> u32 {
    getrandom::u32().unwrap_or_else(|_| {
        // No OS randomness: fall back on the clock, still never constant.
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        (t.as_nanos() as u32) ^ std::process::id().rotate_left(16)
    })
}

/// Digests compared without an early exit.
fn same_digest(a: &[u8; 16], b: &[u8]) -> bool {
    b.len() == 16 && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn write_msg(s: &mut TcpStream, body: &[u8]) -> Result<()> {
    let len = u16::try_from(body.len()).map_err(|_| HandshakeError::Protocol("message too long".into()))?;
    let mut out = Vec::with_capacity(2 + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    s.write_all(&out)?;
    Ok(())
}

fn read_msg(s: &mut TcpStream) -> Result<Vec<u8>> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len)?;
    let mut body = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut body)?;
    Ok(body)
}

/// A cursor over one handshake message.
struct Fields<'a>(&'a [u8]);
impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(HandshakeError::Protocol("message too short".into()));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok((self.u32()? as u64) << 32 | self.u32()? as u64)
    }
    /// `Nlen:u16, Name`; bytes after it are ignored (reference §2.2).
    fn name(&mut self) -> Result<String> {
        let n = self.u16()? as usize;
        let raw = self.take(n)?;
        String::from_utf8(raw.to_vec()).map_err(|_| HandshakeError::Protocol("node name is not UTF-8".into()))
    }
}

/// The peer's flags with the M25 digest bit expanded.
fn expand(flags: u64) -> u64 {
    if flags & flags::MANDATORY_25_DIGEST != 0 {
        flags | flags::MANDATORY_25
    } else {
        flags
    }
}

fn check_flags(theirs: u64) -> Result<()> {
    let missing = flags::REQUIRED & !expand(theirs);
    if missing != 0 {
        return Err(HandshakeError::MissingFlags(missing));
    }
    Ok(())
}

fn timeouts(s: &TcpStream, step: Duration) -> Result<()> {
    s.set_read_timeout(Some(step))?;
    s.set_write_timeout(Some(step))?;
    Ok(())
}

/// The initiator's side: we dialled `peer_name` (the exact text we dialled:
/// the acceptor must answer with the same name).
pub fn initiate(s: &mut TcpStream, me: &Local<'_>, peer_name: &str) -> Result<Peer> {
    timeouts(s, me.step)?;
    let mut m = vec![b'N'];
    m.extend_from_slice(&me.flags.to_be_bytes());
    m.extend_from_slice(&me.creation.to_be_bytes());
    m.extend_from_slice(&(me.name.len() as u16).to_be_bytes());
    m.extend_from_slice(me.name.as_bytes());
    write_msg(s, &m)?;

    let status = read_msg(s)?;
    let status = match status.split_first() {
        Some((b's', text)) => String::from_utf8_lossy(text).into_owned(),
        _ => return Err(HandshakeError::Protocol("expected a status message".into())),
    };
    match status.as_str() {
        "ok" | "ok_simultaneous" => {}
        // We dialled because we have no live connection to it; the peer's
        // old one is stale (it may not have seen it close yet): replace it.
        "alive" => write_msg(s, b"strue")?,
        other => return Err(HandshakeError::Refused(other.to_string())),
    }

    let ch = read_msg(s)?;
    let mut f = Fields(&ch);
    if f.u8()? != b'N' {
        return Err(HandshakeError::Protocol("expected the 'N' challenge".into()));
    }
    let their_flags = f.u64()?;
    let their_challenge = f.u32()?;
    let creation = f.u32()?;
    let name = f.name()?;
    check_flags(their_flags)?;
    if name != peer_name {
        return Err(HandshakeError::Protocol(format!("dialled {peer_name} but {name} answered")));
    }

    let mine = challenge();
    let mut r = vec![b'r'];
    r.extend_from_slice(&mine.to_be_bytes());
    r.extend_from_slice(&digest(their_challenge, me.cookie));
    write_msg(s, &r)?;

    let ack = match read_msg(s) {
        Ok(a) => a,
        // The acceptor closes without a word when our digest is wrong.
        Err(HandshakeError::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(HandshakeError::WrongCookie)
        }
        Err(e) => return Err(e),
    };
    match ack.split_first() {
        Some((b'a', d)) if same_digest(&digest(mine, me.cookie), d) => {}
        Some((b'a', _)) => return Err(HandshakeError::WrongCookie),
        _ => return Err(HandshakeError::Protocol("expected the 'a' ack".into())),
    }
    Ok(Peer { name, creation, flags: me.flags & expand(their_flags) })
}

/// The acceptor's side. `decide` sees the peer's name and says what status
/// to answer; on `Alive` the peer's `true` continues, `false` refuses.
pub fn accept(s: &mut TcpStream, me: &Local<'_>, decide: impl FnOnce(&str) -> Status) -> Result<Peer> {
    timeouts(s, me.step)?;
    let first = read_msg(s)?;
    let mut f = Fields(&first);
    let (their_flags, creation, name) = match f.u8()? {
        b'N' => {
            let fl = f.u64()?;
            let cr = f.u32()?;
            (fl, cr, f.name()?)
        }
        b'n' => return Err(HandshakeError::Protocol("old 'n' send_name (OTP < 23 handshake)".into())),
        _ => return Err(HandshakeError::Protocol("expected send_name".into())),
    };
    if let Err(e) = check_flags(their_flags) {
        let _ = write_msg(s, b"snot_allowed");
        return Err(e);
    }
    if !name.contains('@') {
        let _ = write_msg(s, b"snot_allowed");
        return Err(HandshakeError::Protocol(format!("node name {name:?} has no host part")));
    }
    match decide(&name) {
        Status::Ok => write_msg(s, b"sok")?,
        Status::OkSimultaneous => write_msg(s, b"sok_simultaneous")?,
        Status::Nok => {
            let _ = write_msg(s, b"snok");
            return Err(HandshakeError::Refused("nok: simultaneous connect, ours wins".into()));
        }
        Status::NotAllowed => {
            let _ = write_msg(s, b"snot_allowed");
            return Err(HandshakeError::Refused("not_allowed".into()));
        }
        Status::Alive => {
            write_msg(s, b"salive")?;
            let answer = read_msg(s)?;
            if answer != b"strue" {
                return Err(HandshakeError::Refused("the peer kept its old connection".into()));
            }
        }
    }

    let mine = challenge();
    let mut m = vec![b'N'];
    m.extend_from_slice(&me.flags.to_be_bytes());
    m.extend_from_slice(&mine.to_be_bytes());
    m.extend_from_slice(&me.creation.to_be_bytes());
    m.extend_from_slice(&(me.name.len() as u16).to_be_bytes());
    m.extend_from_slice(me.name.as_bytes());
    write_msg(s, &m)?;

    let reply = read_msg(s)?;
    let mut f = Fields(&reply);
    if f.u8()? != b'r' {
        return Err(HandshakeError::Protocol("expected the 'r' challenge reply".into()));
    }
    let their_challenge = f.u32()?;
    let d = f.take(16)?;
    if !same_digest(&digest(mine, me.cookie), d) {
        return Err(HandshakeError::WrongCookie); // close without a word, as erl does
    }
    let mut a = vec![b'a'];
    a.extend_from_slice(&digest(their_challenge, me.cookie));
    write_msg(s, &a)?;
    Ok(Peer { name, creation, flags: me.flags & expand(their_flags) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_the_reference_example() {
        let d = digest(2882400001, "secretcookie");
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "6b9228bce8be7f9105185e10f4b0b916");
    }

    #[test]
    fn offered_flags_meet_what_we_require() {
        assert_eq!(flags::OFFERED & flags::REQUIRED, flags::REQUIRED);
        assert_eq!(flags::OFFERED & (flags::DIST_HDR_ATOM_CACHE | flags::FRAGMENTS), 0);
        assert_eq!(flags::OFFERED & flags::PUBLISHED, 0);
    }

    #[test]
    fn both_sides_agree_and_a_wrong_cookie_is_refused_on_both() {
        for (c1, c2, ok) in [("c", "c", true), ("c", "d", false)] {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("listens");
            let addr = l.local_addr().expect("has an address");
            let server = std::thread::spawn(move || {
                let (mut s, _) = l.accept().expect("accepts");
                let me = Local { name: "b@127.0.0.1", creation: 7, cookie: c2, flags: flags::OFFERED, step: Duration::from_secs(5) };
                accept(&mut s, &me, |_| Status::Ok).map(|p| p.name)
            });
            let mut s = TcpStream::connect(addr).expect("connects");
            let me = Local { name: "a@127.0.0.1", creation: 9, cookie: c1, flags: flags::OFFERED, step: Duration::from_secs(5) };
            let client = initiate(&mut s, &me, "b@127.0.0.1");
            drop(s);
            let server = server.join().expect("server thread ends");
            if ok {
                let peer = client.expect("client handshake succeeds");
                assert_eq!((peer.name.as_str(), peer.creation), ("b@127.0.0.1", 7));
                assert_eq!(server.expect("server handshake succeeds"), "a@127.0.0.1");
            } else {
                assert!(matches!(client, Err(HandshakeError::WrongCookie)), "{client:?}");
                assert!(matches!(server, Err(HandshakeError::WrongCookie)), "{server:?}");
            }
        }
    }
}
