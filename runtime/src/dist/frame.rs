//! Connection packets after the handshake (reference §3): `u32` big-endian
//! length + body, length 0 = tick; and the pass-through body
//! `112, 131 Control, [131 Payload]`.
//!
//! We never offer DFLAG_DIST_HDR_ATOM_CACHE or DFLAG_FRAGMENTS, and with
//! neither negotiated OTP sends (and accepts) only pass-through packets, so a
//! body that starts `131 68/69/70` (distribution header / fragment) is
//! reported as unsupported rather than parsed.

use super::etf::{self, DecodeError, EncodeError};
use crate::term::Term;
use std::fmt;

/// The default cap on one packet's length: none but the protocol's own
/// (a `u32` length), as on the BEAM. The reader buffers only bytes that
/// actually arrived, so a length prefix alone allocates nothing.
pub const DEFAULT_MAX_FRAME: usize = u32::MAX as usize;
/// First byte of a pass-through body.
pub const PASS_THROUGH: u8 = 112;

/// One packet read off a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A zero-length packet: a sign of life, never answered.
    Tick,
    /// A packet body (length prefix removed).
    Data(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A length prefix beyond the reader's maximum. The stream cannot be
    /// resynchronised, so the reader stays in this error.
    TooLarge { len: u64, max: usize },
    /// An empty body, or one that starts with neither 112 nor 131.
    BadBody(u8),
    /// A distribution header (`131 68`) or fragment (`131 69`/`131 70`): only
    /// sent when DIST_HDR_ATOM_CACHE or FRAGMENTS was negotiated.
    Unsupported(&'static str),
    /// The control message or payload did not decode.
    Term(DecodeError),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Term(e @ (DecodeError::AtomLimit | DecodeError::PeerAtomLimit)) => write!(f, "{e}"),
            _ => write!(f, "distribution frame error: {self:?}"),
        }
    }
}
impl std::error::Error for FrameError {}

impl From<DecodeError> for FrameError {
    fn from(e: DecodeError) -> Self {
        FrameError::Term(e)
    }
}

/// Splits an incoming byte stream into packets. Feed it whatever each read
/// returned (partial packets, several packets); take packets out with
/// [`FrameReader::next_frame`]. It buffers only bytes actually received,
/// whatever a length prefix claims.
pub struct FrameReader {
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`.
    start: usize,
    max: usize,
    failed: Option<FrameError>,
}

impl Default for FrameReader {
    fn default() -> Self {
        FrameReader::new(DEFAULT_MAX_FRAME)
    }
}

impl FrameReader {
    pub fn new(max_frame: usize) -> Self {
        FrameReader { buf: Vec::new(), start: 0, max: max_frame, failed: None }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as a packet.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete packet, `Ok(None)` if more input is needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let avail = self.buf.get(self.start..).unwrap_or_default();
        let Some(prefix) = avail.get(..4) else { return Ok(None) };
        let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
        if len > self.max {
            let e = FrameError::TooLarge { len: len as u64, max: self.max };
            self.failed = Some(e.clone());
            return Err(e);
        }
        let Some(body) = avail.get(4..4 + len) else { return Ok(None) };
        let frame = if len == 0 { Frame::Tick } else { Frame::Data(body.to_vec()) };
        self.start += 4 + len;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Ok(Some(frame))
    }

    /// Reads once from `r` into the buffer; returns the byte count (0 = EOF).
    pub fn read_from(&mut self, r: &mut impl std::io::Read) -> std::io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = r.read(&mut chunk)?;
        self.push(chunk.get(..n).unwrap_or_default());
        Ok(n)
    }
}

/// Splits a packet body into its control message and optional payload.
pub fn parse_body(body: &[u8]) -> Result<(Term, Option<Term>), FrameError> {
    match body {
        [PASS_THROUGH, rest @ ..] => {
            let (control, used) = etf::decode(rest)?;
            let rest = rest.get(used..).unwrap_or_default();
            if rest.is_empty() {
                return Ok((control, None));
            }
            let (payload, used) = etf::decode(rest)?;
            if used != rest.len() {
                return Err(DecodeError::TrailingBytes(rest.len() - used).into());
            }
            Ok((control, Some(payload)))
        }
        [131, 68, ..] => Err(FrameError::Unsupported("distribution header (DIST_HDR_ATOM_CACHE/FRAGMENTS not offered)")),
        [131, 69 | 70, ..] => Err(FrameError::Unsupported("fragmented message (FRAGMENTS not offered)")),
        [b, ..] => Err(FrameError::BadBody(*b)),
        [] => Err(FrameError::BadBody(0)),
    }
}

/// A whole pass-through packet, length prefix included.
pub fn encode_pass_through(control: &Term, payload: Option<&Term>) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![0, 0, 0, 0, PASS_THROUGH];
    etf::encode_into(control, &mut out)?;
    if let Some(p) = payload {
        etf::encode_into(p, &mut out)?;
    }
    let len = u32::try_from(out.len() - 4).map_err(|_| EncodeError::TooLarge)?;
    out[..4].copy_from_slice(&len.to_be_bytes());
    Ok(out)
}

/// The 4 zero bytes of a tick.
pub const TICK: [u8; 4] = [0; 4];
