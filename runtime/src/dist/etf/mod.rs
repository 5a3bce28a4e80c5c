//! External Term Format (ETF): Snow `Term` ↔ the bytes of `term_to_binary`.
//!
//! Mapping: integers ↔ SMALL_INTEGER/INTEGER/SMALL_BIG (i64 range only),
//! floats ↔ NEW_FLOAT, atoms ↔ (SMALL_)ATOM_UTF8, strings ↔ BINARY_EXT (valid
//! UTF-8 only), lists ↔ LIST_EXT/NIL_EXT (STRING_EXT decodes to a list of
//! integers), tuples, maps, pids ↔ NEW_PID_EXT and references ↔
//! NEWER_REFERENCE_EXT, with node names resolved through `dist::nodes`.
//! Funs go through a [`FunCodec`] that the language registers; without one
//! they are unsupported. The decoder is iterative, depth-capped and never
//! allocates more than the remaining input could fill (see `decode.rs`).

mod decode;
mod encode;

pub use decode::{decode, decode_body};
pub use encode::{encode, encode_body_into, encode_into};

use crate::term::{Fun, Term};
use parking_lot::RwLock;
use std::fmt;
use std::sync::Arc;

/// The version byte that starts every standalone term.
pub const VERSION: u8 = 131;

/// Tag bytes (erts `external.h`).
pub mod tag {
    pub const NEW_FLOAT: u8 = 70;
    pub const BIT_BINARY: u8 = 77;
    pub const COMPRESSED: u8 = 80;
    pub const ATOM_CACHE_REF: u8 = 82;
    pub const NEW_PID: u8 = 88;
    pub const NEW_PORT: u8 = 89;
    pub const NEWER_REFERENCE: u8 = 90;
    pub const SMALL_INTEGER: u8 = 97;
    pub const INTEGER: u8 = 98;
    pub const FLOAT: u8 = 99;
    pub const ATOM: u8 = 100;
    pub const REFERENCE: u8 = 101;
    pub const PORT: u8 = 102;
    pub const PID: u8 = 103;
    pub const SMALL_TUPLE: u8 = 104;
    pub const LARGE_TUPLE: u8 = 105;
    pub const NIL: u8 = 106;
    pub const STRING: u8 = 107;
    pub const LIST: u8 = 108;
    pub const BINARY: u8 = 109;
    pub const SMALL_BIG: u8 = 110;
    pub const LARGE_BIG: u8 = 111;
    pub const NEW_FUN: u8 = 112;
    pub const EXPORT: u8 = 113;
    pub const NEW_REFERENCE: u8 = 114;
    pub const SMALL_ATOM: u8 = 115;
    pub const MAP: u8 = 116;
    pub const FUN: u8 = 117;
    pub const ATOM_UTF8: u8 = 118;
    pub const SMALL_ATOM_UTF8: u8 = 119;
    pub const V4_PORT: u8 = 120;
    pub const LOCAL: u8 = 121;
}

/// Why bytes could not be decoded. Every malformed or hostile input ends in
/// one of these; the decoder never panics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended inside a term.
    Truncated,
    /// The first byte was not 131.
    BadVersion(u8),
    /// A tag byte that ETF does not define.
    UnknownTag(u8),
    /// Well-formed ETF that Snow cannot represent (yet): bignums outside i64,
    /// non-UTF-8 binaries, bitstrings, ports, funs without a codec, …
    Unsupported(&'static str),
    /// Malformed ETF (bad UTF-8 in an atom, a duplicate map key, …).
    Invalid(&'static str),
    /// Snow functions nested inside each other's captured values deeper
    /// than the function codec allows (each level recurses once).
    TooDeep,
    /// The atom table is full ([`crate::atom::MAX_ATOMS`]).
    AtomLimit,
    /// The peer made more new atoms than one connection may
    /// ([`crate::atom::PEER_NEW_ATOMS`]), or all peers together than the
    /// network may ([`crate::atom::NETWORK_NEW_ATOMS`]).
    PeerAtomLimit,
    /// The node table is full ([`crate::dist::nodes::MAX_NODES`]).
    NodeLimit,
    /// Bytes were left over where the input should have ended.
    TrailingBytes(usize),
}

/// Why a term could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// A function value and no [`FunCodec`] registered (or it refused).
    Fun(String),
    /// NaN or an infinity: Erlang has neither.
    NonFiniteFloat,
    /// An atom longer than 255 characters.
    AtomTooLong,
    /// A pid or reference whose node index is not in the node table.
    UnknownNode(u32),
    /// A string, tuple, list or map with more than u32::MAX bytes/elements.
    TooLarge,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::AtomLimit => write!(f, "the atom table is full ({} atoms)", crate::atom::MAX_ATOMS),
            DecodeError::PeerAtomLimit => write!(
                f,
                "it sent more new atoms than a peer may create ({} per connection, {} for all peers)",
                crate::atom::PEER_NEW_ATOMS,
                crate::atom::NETWORK_NEW_ATOMS
            ),
            _ => write!(f, "ETF decode error: {self:?}"),
        }
    }
}

impl From<crate::atom::AtomRefused> for DecodeError {
    fn from(r: crate::atom::AtomRefused) -> Self {
        match r {
            crate::atom::AtomRefused::TableFull => DecodeError::AtomLimit,
            crate::atom::AtomRefused::PeerAllowance | crate::atom::AtomRefused::NetworkAllowance => DecodeError::PeerAtomLimit,
        }
    }
}
impl std::error::Error for DecodeError {}
impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ETF encode error: {self:?}")
    }
}
impl std::error::Error for EncodeError {}

/// The hook through which the language sends and receives function values.
/// The runtime knows nothing of compiled code, so it hands funs to this.
pub trait FunCodec: Send + Sync + 'static {
    /// Appends the tagged encoding of `fun` (EXPORT_EXT or NEW_FUN_EXT, no
    /// version byte) to `out`. Captured terms can be written with
    /// [`encode_body_into`].
    fn encode(&self, fun: &Fun, out: &mut Vec<u8>) -> Result<(), EncodeError>;
    /// `fun Module:Function/Arity` (EXPORT_EXT).
    fn decode_export(&self, module: &str, function: &str, arity: u8) -> Result<Term, DecodeError>;
    /// The same, with the whole EXPORT_EXT (tag byte included) for codecs
    /// that keep a foreign fun's exact bytes (atoms may have been written as
    /// ATOM_EXT or as ATOM_UTF8_EXT). By default, [`FunCodec::decode_export`].
    fn decode_export_ext(&self, bytes: &[u8], module: &str, function: &str, arity: u8) -> Result<Term, DecodeError> {
        let _ = bytes;
        self.decode_export(module, function, arity)
    }
    /// A whole NEW_FUN_EXT, tag byte included, its `Size` already checked
    /// against the input. Free variables can be read with [`decode_body`].
    fn decode_new_fun(&self, bytes: &[u8]) -> Result<Term, DecodeError>;
}

static FUN_CODEC: RwLock<Option<Arc<dyn FunCodec>>> = RwLock::new(None);

/// Installs (or with `None`, removes) the codec for function values.
pub fn set_fun_codec(codec: Option<Arc<dyn FunCodec>>) {
    *FUN_CODEC.write() = codec;
}

pub(crate) fn fun_codec() -> Option<Arc<dyn FunCodec>> {
    FUN_CODEC.read().clone()
}
