//! ETF decoder: bytes → Snow `Term`, safe on hostile input.
//!
//! Rules (reference §5.4): no recursion (an explicit stack of open
//! containers, so any depth decodes, as on the BEAM: each level costs bytes
//! received, never native stack); every length is checked against the
//! remaining input before anything is allocated, and no vector is reserved
//! beyond what the remaining input could fill (each element takes at least
//! one byte); no panics; atoms and nodes from a peer go through the bounded
//! `Atom::try_from_peer` (a table limit, and an allowance per peer) /
//! `nodes::try_index_of`. Chained LIST_EXT tails
//! (`[a | [b | …]]`) are folded into one open list. A map is built by
//! sorting its keys once (duplicates are then neighbours), so a map of a
//! million entries costs n log n, not n².

use super::{fun_codec, tag, DecodeError, VERSION};
use crate::atom::Atom;
use crate::dist::nodes;
use crate::term::{MapObj, Pid, Ref, Term};
use std::sync::Arc;

type Result<T> = std::result::Result<T, DecodeError>;

/// `binary_to_term`: decodes 131 + one term from the start of `bytes`.
/// Returns the term and how many bytes it used (version byte included).
pub fn decode(bytes: &[u8]) -> Result<(Term, usize)> {
    match bytes.first() {
        None => Err(DecodeError::Truncated),
        Some(&VERSION) => {
            let (t, used) = decode_body(&bytes[1..])?;
            Ok((t, used + 1))
        }
        Some(&b) => Err(DecodeError::BadVersion(b)),
    }
}

/// Decodes one tagged term with no version byte (as after a distribution
/// header, or a fun's free variables).
pub fn decode_body(bytes: &[u8]) -> Result<(Term, usize)> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let t = Decoder { r: &mut r, stack: Vec::new() }.run()?;
    Ok((t, r.pos))
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        let s = self.buf.get(self.pos..self.pos + n).ok_or(DecodeError::Truncated)?;
        self.pos += n;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }
}

/// An open container waiting for more elements.
enum Frame {
    Tuple { items: Vec<Term>, left: usize },
    /// `left == 0` is settled at once: NIL closes it, another LIST_EXT
    /// extends it, anything else turns it into `Tail`.
    List { items: Vec<Term>, left: usize },
    Tail { items: Vec<Term> },
    Map { entries: Vec<(Term, Term)>, key: Option<Term>, left: usize },
}

struct Decoder<'r, 'a> {
    r: &'r mut Reader<'a>,
    stack: Vec<Frame>,
}

impl Decoder<'_, '_> {
    fn run(mut self) -> Result<Term> {
        loop {
            let Some(mut value) = self.item()? else { continue };
            // Hand the finished value to the open containers, closing each
            // that it completes.
            loop {
                let Some(top) = self.stack.last_mut() else { return Ok(value) };
                match top {
                    Frame::Tuple { items, left } => {
                        items.push(value);
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                        let items = std::mem::take(items);
                        self.stack.pop();
                        value = Term::Tuple(Arc::from(items));
                    }
                    Frame::List { items, left } => {
                        items.push(value);
                        *left -= 1;
                        match self.settle_list()? {
                            Some(list) => value = list,
                            None => break,
                        }
                    }
                    Frame::Tail { items } => {
                        let items = std::mem::take(items);
                        self.stack.pop();
                        value = Term::list_with_tail(items, value);
                    }
                    Frame::Map { entries, key, left } => {
                        let Some(k) = key.take() else {
                            *key = Some(value);
                            break;
                        };
                        entries.push((k, value));
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                        let entries = std::mem::take(entries);
                        self.stack.pop();
                        value = build_map(entries)?;
                    }
                }
            }
        }
    }

    fn push(&mut self, f: Frame) -> Result<()> {
        self.stack.push(f);
        Ok(())
    }

    /// Capacity for `n` elements of at least `min_bytes` each: never more
    /// than the rest of the input could hold.
    fn cap(&self, n: usize, min_bytes: usize) -> usize {
        n.min(self.r.remaining() / min_bytes)
    }

    /// If the top list frame has no elements left, looks at what follows:
    /// closes it (returning the list), extends it, or awaits a tail.
    fn settle_list(&mut self) -> Result<Option<Term>> {
        let Some(Frame::List { items, left }) = self.stack.last_mut() else {
            return Err(DecodeError::Invalid("internal: no open list"));
        };
        while *left == 0 {
            match self.r.peek() {
                Some(tag::NIL) => {
                    self.r.pos += 1;
                    let items = std::mem::take(items);
                    self.stack.pop();
                    return Ok(Some(Term::list(items)));
                }
                Some(tag::LIST) => {
                    self.r.pos += 1;
                    *left = self.r.u32()? as usize;
                }
                _ => {
                    let items = std::mem::take(items);
                    self.stack.pop();
                    self.push(Frame::Tail { items })?;
                    return Ok(None);
                }
            }
        }
        Ok(None)
    }

    /// Reads one tag: a finished value, or `None` when it opened a container.
    fn item(&mut self) -> Result<Option<Term>> {
        let t = self.r.u8()?;
        let v = match t {
            tag::SMALL_INTEGER => Term::Int(i64::from(self.r.u8()?)),
            tag::INTEGER => Term::Int(i64::from(self.r.u32()? as i32)),
            tag::SMALL_BIG => {
                let n = self.r.u8()? as usize;
                self.big(n)?
            }
            tag::LARGE_BIG => {
                let n = self.r.u32()? as usize;
                self.big(n)?
            }
            tag::NEW_FLOAT => finite(f64::from_bits(u64::from_be_bytes(self.r.array()?)))?,
            tag::FLOAT => finite(old_float(self.r.take(31)?)?)?,
            tag::ATOM_UTF8 | tag::SMALL_ATOM_UTF8 | tag::ATOM | tag::SMALL_ATOM => {
                Term::Atom(self.atom_after(t)?)
            }
            tag::NIL => Term::Nil,
            tag::STRING => {
                let n = self.r.u16()? as usize;
                let bytes = self.r.take(n)?;
                Term::list(bytes.iter().map(|&b| Term::Int(i64::from(b))).collect())
            }
            tag::BINARY => {
                let n = self.r.u32()? as usize;
                let bytes = self.r.take(n)?;
                match std::str::from_utf8(bytes) {
                    Ok(s) => Term::str(s),
                    Err(_) => return Err(DecodeError::Unsupported("binary that is not UTF-8")),
                }
            }
            tag::SMALL_TUPLE | tag::LARGE_TUPLE => {
                let n = if t == tag::SMALL_TUPLE { self.r.u8()? as usize } else { self.r.u32()? as usize };
                if n == 0 {
                    Term::tuple(Vec::new())
                } else {
                    let items = Vec::with_capacity(self.cap(n, 1));
                    self.push(Frame::Tuple { items, left: n })?;
                    return Ok(None);
                }
            }
            tag::LIST => {
                let n = self.r.u32()? as usize;
                let items = Vec::with_capacity(self.cap(n, 1));
                self.push(Frame::List { items, left: n })?;
                return self.settle_list();
            }
            tag::MAP => {
                let n = self.r.u32()? as usize;
                if n == 0 {
                    Term::map(MapObj::new())
                } else {
                    let entries = Vec::with_capacity(self.cap(n, 2));
                    self.push(Frame::Map { entries, key: None, left: n })?;
                    return Ok(None);
                }
            }
            tag::NEW_PID | tag::PID => {
                let node = self.node_atom()?;
                let id = self.r.u32()?;
                let serial = self.r.u32()?;
                let creation = if t == tag::NEW_PID { self.r.u32()? } else { u32::from(self.r.u8()?) };
                let index = node_index(node, creation)?;
                let creation = if index == 0 { 0 } else { creation };
                Term::Pid(Pid { node: index, id, serial, creation })
            }
            tag::NEWER_REFERENCE | tag::NEW_REFERENCE => {
                let len = self.r.u16()? as usize;
                let node = self.node_atom()?;
                let creation = if t == tag::NEWER_REFERENCE { self.r.u32()? } else { u32::from(self.r.u8()?) };
                if len == 0 || len > 5 {
                    return Err(DecodeError::Invalid("reference with 0 or more than 5 words"));
                }
                let mut words = [0u32; 5];
                for slot in words.iter_mut().take(len) {
                    *slot = self.r.u32()?;
                }
                let index = node_index(node, creation)?;
                if len <= 3 {
                    Term::Ref(Ref { node: index, words: [words[0], words[1], words[2]] })
                } else {
                    let r = crate::dist::long_refs::intern(index, &words[..len]);
                    Term::Ref(r.ok_or(DecodeError::Unsupported("too many long references"))?)
                }
            }
            tag::EXPORT => {
                let start = self.r.pos - 1;
                let module = self.node_atom()?;
                let function = self.node_atom()?;
                if self.r.u8()? != tag::SMALL_INTEGER {
                    return Err(DecodeError::Invalid("EXPORT_EXT arity is not a small integer"));
                }
                let arity = self.r.u8()?;
                let bytes = self.r.buf.get(start..self.r.pos).ok_or(DecodeError::Truncated)?;
                match fun_codec() {
                    Some(c) => c.decode_export_ext(bytes, module.as_str(), function.as_str(), arity)?,
                    None => return Err(DecodeError::Unsupported("fun (no FunCodec registered)")),
                }
            }
            tag::NEW_FUN => {
                let start = self.r.pos - 1;
                let size = self.r.u32()? as usize; // counts itself, not the tag
                let rest = size.checked_sub(4).ok_or(DecodeError::Invalid("NEW_FUN_EXT size < 4"))?;
                self.r.take(rest)?;
                let bytes = self.r.buf.get(start..self.r.pos).ok_or(DecodeError::Truncated)?;
                match fun_codec() {
                    Some(c) => c.decode_new_fun(bytes)?,
                    None => return Err(DecodeError::Unsupported("fun (no FunCodec registered)")),
                }
            }
            tag::BIT_BINARY => return Err(DecodeError::Unsupported("bitstring")),
            tag::NEW_PORT | tag::PORT | tag::V4_PORT => return Err(DecodeError::Unsupported("port")),
            tag::REFERENCE => return Err(DecodeError::Unsupported("old REFERENCE_EXT")),
            tag::COMPRESSED => return Err(DecodeError::Unsupported("compressed term")),
            tag::ATOM_CACHE_REF => return Err(DecodeError::Unsupported("atom cache reference")),
            tag::FUN => return Err(DecodeError::Unsupported("FUN_EXT (removed in OTP 23)")),
            tag::LOCAL => return Err(DecodeError::Unsupported("LOCAL_EXT")),
            other => return Err(DecodeError::UnknownTag(other)),
        };
        Ok(Some(v))
    }

    /// A bignum of `n` little-endian digit bytes; only i64 values fit.
    fn big(&mut self, n: usize) -> Result<Term> {
        let sign = self.r.u8()?;
        let digits = self.r.take(n)?;
        let significant = digits.len() - digits.iter().rev().take_while(|&&b| b == 0).count();
        let mut mag = [0u8; 8];
        match digits.get(..significant) {
            Some(d) if d.len() <= 8 => mag[..d.len()].copy_from_slice(d),
            _ => return Err(DecodeError::Unsupported("integer outside the i64 range")),
        }
        let mag = i128::from(u64::from_le_bytes(mag));
        let v = match sign {
            0 => mag,
            1 => -mag,
            _ => return Err(DecodeError::Invalid("bignum sign byte")),
        };
        i64::try_from(v).map(Term::Int).map_err(|_| DecodeError::Unsupported("integer outside the i64 range"))
    }

    /// An atom whose tag byte `t` has been read.
    fn atom_after(&mut self, t: u8) -> Result<Atom> {
        let n = match t {
            tag::ATOM_UTF8 | tag::ATOM => self.r.u16()? as usize,
            _ => self.r.u8()? as usize,
        };
        let bytes = self.r.take(n)?;
        let latin1: String;
        let text = if t == tag::ATOM_UTF8 || t == tag::SMALL_ATOM_UTF8 {
            std::str::from_utf8(bytes).map_err(|_| DecodeError::Invalid("atom is not UTF-8"))?
        } else {
            latin1 = bytes.iter().map(|&b| char::from(b)).collect();
            &latin1
        };
        if text.chars().count() > 255 {
            return Err(DecodeError::Invalid("atom longer than 255 characters"));
        }
        Atom::try_from_peer(text).map_err(DecodeError::from)
    }

    /// An atom in a fixed position (a pid's node, an export's module).
    fn node_atom(&mut self) -> Result<Atom> {
        match self.r.u8()? {
            t @ (tag::ATOM_UTF8 | tag::SMALL_ATOM_UTF8 | tag::ATOM | tag::SMALL_ATOM) => self.atom_after(t),
            tag::ATOM_CACHE_REF => Err(DecodeError::Unsupported("atom cache reference")),
            _ => Err(DecodeError::Invalid("expected an atom")),
        }
    }
}

fn node_index(name: Atom, creation: u32) -> Result<u32> {
    nodes::try_index_of(name, creation).ok_or(DecodeError::NodeLimit)
}

fn finite(f: f64) -> Result<Term> {
    if f.is_finite() { Ok(Term::Float(f)) } else { Err(DecodeError::Invalid("NaN or infinite float")) }
}

/// FLOAT_EXT: a `%.20e` string, NUL padded to 31 bytes.
fn old_float(bytes: &[u8]) -> Result<f64> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let text = std::str::from_utf8(bytes.get(..end).unwrap_or_default())
        .map_err(|_| DecodeError::Invalid("FLOAT_EXT text"))?;
    text.trim().parse().map_err(|_| DecodeError::Invalid("FLOAT_EXT text"))
}

/// Builds a map, rejecting duplicate keys (§5.4).
fn build_map(entries: Vec<(Term, Term)>) -> Result<Term> {
    MapObj::from_distinct(entries).map(Term::map).ok_or(DecodeError::Invalid("duplicate map key"))
}
