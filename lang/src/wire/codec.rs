//! The `FunCodec` the runtime's ETF codec calls for function values: Snow
//! functions as NEW_FUN_EXT carrying their code, Erlang functions as opaque
//! values, and the caches that make sending the same code twice cheap.
//!
//! A Snow function is written as
//!
//! ```text
//! 112 Size:u32 Arity:u8 Uniq:16 Index:u32 NumFree:u32
//!     Module='$snow' OldIndex:int OldUniq:int Pid=<this node, 0, 0>
//!     Free[0] = BINARY_EXT blob (blob.rs)   Free[1..] = the captured values
//! ```
//!
//! `Index` is the function's position in the blob's module 0, `Uniq` a
//! 128-bit FNV-1a hash of the blob. The receiver does not trust `Uniq`: it
//! caches loaded code by the blob's bytes themselves, so no crafted hash can
//! make it run other code than it was sent.

use super::blob::{self, Reader};
use super::foreign::ForeignFun;
use crate::bytecode::{Module, Proto, ProtoRef};
use crate::vm::builtins; // the installed built-in table
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use snow_runtime::dist::etf::{decode_body, encode_body_into, tag, DecodeError, EncodeError, FunCodec};
use snow_runtime::{Fun, Pid, Term};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The `Module` atom that marks Snow code.
pub const SNOW_MODULE: &str = "$snow";

/// How deeply function values may nest inside each other's captured values
/// (each level recurses once through the ETF codec). Each level's captured
/// values are decoded under the ETF decoder's own depth limit.
pub const MAX_NESTING: u32 = 64;

pub struct SnowFunCodec;

impl FunCodec for SnowFunCodec {
    fn encode(&self, fun: &Fun, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let any = fun.code.as_any();
        if let Some(foreign) = any.downcast_ref::<ForeignFun>() {
            out.extend_from_slice(foreign.bytes());
            return Ok(());
        }
        let Some(&ProtoRef(proto)) = any.downcast_ref::<ProtoRef>() else {
            return Err(EncodeError::Fun(format!("{} has no code that can be sent", fun.code.describe())));
        };
        let _nested = Nesting::enter()
            .ok_or_else(|| EncodeError::Fun(format!("functions nested more than {MAX_NESTING} deep")))?;
        encode_snow(proto, &fun.env, out)
    }

    fn decode_export(&self, module: &str, function: &str, arity: u8) -> Result<Term, DecodeError> {
        Ok(opaque(ForeignFun::export_from_parts(module, function, arity)))
    }

    fn decode_export_ext(&self, bytes: &[u8], module: &str, function: &str, arity: u8) -> Result<Term, DecodeError> {
        Ok(opaque(ForeignFun::export(bytes, module, function, arity)))
    }

    fn decode_new_fun(&self, bytes: &[u8]) -> Result<Term, DecodeError> {
        let mut r = Reader::new(bytes);
        let h = Header::read(&mut r)?;
        if h.module != SNOW_MODULE.as_bytes() {
            let module: String = match std::str::from_utf8(h.module) {
                Ok(s) if h.utf8 => s.to_string(),
                _ => h.module.iter().map(|&b| char::from(b)).collect(),
            };
            return Ok(opaque(ForeignFun::new_fun(bytes, &module, h.old_index, h.old_uniq, h.arity)));
        }
        let _nested = Nesting::enter().ok_or(DecodeError::TooDeep)?;
        decode_snow(&h, &mut r)
    }
}

fn opaque(code: ForeignFun) -> Term {
    Term::Fun(Arc::new(Fun { code: Arc::new(code), env: Box::new([]) }))
}

// ---- encoding ---------------------------------------------------------------

fn encode_snow(proto: &'static Proto, env: &[Term], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let module = proto.module();
    let index = blob::proto_index(module, proto)
        .ok_or_else(|| EncodeError::Fun(format!("{} is not in its own module", proto.name)))?;
    let arity = u8::try_from(proto.arity).map_err(|_| EncodeError::Fun("more than 255 parameters".into()))?;
    let numfree = u32::try_from(env.len() + 1).map_err(|_| EncodeError::TooLarge)?;
    let (code, uniq) = blob_of(module)?;
    let blob_len = u32::try_from(code.len()).map_err(|_| EncodeError::TooLarge)?;

    let start = out.len();
    out.push(tag::NEW_FUN);
    out.extend_from_slice(&[0; 4]); // Size, filled in below
    out.push(arity);
    out.extend_from_slice(&uniq);
    out.extend_from_slice(&index.to_be_bytes());
    out.extend_from_slice(&numfree.to_be_bytes());
    out.extend_from_slice(&[tag::SMALL_ATOM_UTF8, SNOW_MODULE.len() as u8]);
    out.extend_from_slice(SNOW_MODULE.as_bytes());
    encode_body_into(&Term::Int(i64::from(index)), out)?;
    let old_uniq = u32::from_be_bytes([uniq[0], uniq[1], uniq[2], uniq[3]]) & 0x07ff_ffff;
    encode_body_into(&Term::Int(i64::from(old_uniq)), out)?;
    encode_body_into(&Term::Pid(Pid::local(0, 0)), out)?;
    out.push(tag::BINARY);
    out.extend_from_slice(&blob_len.to_be_bytes());
    out.extend_from_slice(&code);
    for t in env {
        encode_body_into(t, out)?;
    }
    let size = u32::try_from(out.len() - start - 1).map_err(|_| EncodeError::TooLarge)?;
    out[start + 1..start + 5].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

type Blob = (Arc<[u8]>, [u8; 16]);

/// The blob of `module` and its hash. A module without a namespace travels
/// alone and never changes, so its blob is made once (one entry per module
/// ever sent; modules are never freed either). A REPL module's bundle
/// follows its namespace, which later entries may change, so it is
/// written afresh each time.
fn blob_of(module: &'static Module) -> Result<Blob, EncodeError> {
    static WRITTEN: OnceLock<Mutex<FxHashMap<usize, Blob>>> = OnceLock::new();
    let write = || -> Result<Blob, EncodeError> {
        let bytes = blob::write(module, builtins())?;
        let uniq = fnv1a_128(&bytes);
        Ok((bytes.into(), uniq))
    };
    if module.namespace.is_some() {
        return write();
    }
    let cache = WRITTEN.get_or_init(Default::default);
    let key = module as *const Module as usize;
    if let Some(hit) = cache.lock().get(&key) {
        return Ok(hit.clone());
    }
    let made = write()?;
    Ok(cache.lock().entry(key).or_insert(made).clone())
}

/// FNV-1a, 128-bit: stable across builds and platforms.
fn fnv1a_128(bytes: &[u8]) -> [u8; 16] {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for &b in bytes {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    h.to_be_bytes()
}

// ---- decoding ---------------------------------------------------------------

/// The fixed part of a NEW_FUN_EXT, up to its free variables.
struct Header<'a> {
    arity: u8,
    index: u32,
    numfree: u32,
    module: &'a [u8],
    /// Whether `module` was written as a UTF-8 atom (else Latin-1).
    utf8: bool,
    old_index: i64,
    old_uniq: i64,
}

impl<'a> Header<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Header<'a>, DecodeError> {
        if r.u8()? != tag::NEW_FUN {
            return Err(DecodeError::Invalid("not a NEW_FUN_EXT"));
        }
        let size = r.u32_be()? as usize;
        if size.checked_add(1) != Some(r.remaining() + r.pos()) {
            return Err(DecodeError::Invalid("NEW_FUN_EXT size does not match"));
        }
        let arity = r.u8()?;
        r.skip(16)?; // Uniq: the receiver hashes the blob itself
        let index = r.u32_be()?;
        let numfree = r.u32_be()?;
        let (module, utf8) = atom(r)?;
        let old_index = small_int(r)?;
        let old_uniq = small_int(r)?;
        skip_pid(r)?;
        Ok(Header { arity, index, numfree, module, utf8, old_index, old_uniq })
    }
}

fn atom<'a>(r: &mut Reader<'a>) -> Result<(&'a [u8], bool), DecodeError> {
    let t = r.u8()?;
    let n = match t {
        tag::ATOM_UTF8 | tag::ATOM => r.u16_be()? as usize,
        tag::SMALL_ATOM_UTF8 | tag::SMALL_ATOM => r.u8()? as usize,
        _ => return Err(DecodeError::Invalid("expected an atom")),
    };
    Ok((r.take(n)?, t == tag::ATOM_UTF8 || t == tag::SMALL_ATOM_UTF8))
}

fn small_int(r: &mut Reader<'_>) -> Result<i64, DecodeError> {
    match r.u8()? {
        tag::SMALL_INTEGER => Ok(i64::from(r.u8()?)),
        tag::INTEGER => Ok(i64::from(r.u32_be()? as i32)),
        _ => Err(DecodeError::Invalid("expected an integer")),
    }
}

/// The creator's pid: not needed to run the function, and not entered in
/// the node table.
fn skip_pid(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    let t = r.u8()?;
    atom(r)?;
    match t {
        tag::NEW_PID => r.skip(12),
        tag::PID => r.skip(9),
        _ => Err(DecodeError::Invalid("expected a pid")),
    }
}

fn decode_snow(h: &Header<'_>, r: &mut Reader<'_>) -> Result<Term, DecodeError> {
    if h.numfree == 0 || r.u8()? != tag::BINARY {
        return Err(DecodeError::Invalid("Snow function without its code"));
    }
    let n = r.u32_be()? as usize;
    let module = load_cached(r.take(n)?)?;
    let proto = module.protos.get(h.index as usize).ok_or(DecodeError::Invalid("function index out of range"))?;
    let ncaptured = (h.numfree - 1) as usize;
    if usize::from(proto.arity) != usize::from(h.arity) || usize::from(proto.ncaptured) != ncaptured {
        return Err(DecodeError::Invalid("function does not match its arity or captures"));
    }
    // ncaptured ≤ u16::MAX, so this reservation is small.
    let mut env = Vec::with_capacity(ncaptured.min(r.remaining()));
    for _ in 0..ncaptured {
        let (t, used) = decode_body(r.rest())?;
        r.skip(used)?;
        env.push(t);
    }
    if r.remaining() != 0 {
        return Err(DecodeError::Invalid("NEW_FUN_EXT size does not match"));
    }
    Ok(Term::Fun(Arc::new(Fun { code: proto.fun_code(), env: env.into_boxed_slice() })))
}

/// Loaded bundles by their blob's bytes. Entries are never evicted: loaded
/// code is never freed, so evicting would only make the next copy load (and
/// leak) again; the cache holds one copy of the bytes per bundle loaded, in
/// proportion to the code it maps to. Keyed by the bytes, not the sender's
/// `Uniq`, and hashed with std's keyed SipHash, since peers choose the keys.
fn load_cached(blob: &[u8]) -> Result<&'static Module, DecodeError> {
    type Cache = Mutex<HashMap<Box<[u8]>, &'static Module>>;
    static LOADED: OnceLock<Cache> = OnceLock::new();
    let cache = LOADED.get_or_init(Default::default);
    if let Some(&m) = cache.lock().get(blob) {
        return Ok(m);
    }
    // Loaded outside the lock; two threads loading the same new bundle at
    // once both load it, and one copy wins.
    let m = blob::load(blob, builtins())?;
    Ok(*cache.lock().entry(blob.into()).or_insert(m))
}

thread_local! {
    static NESTING: Cell<u32> = const { Cell::new(0) };
}

/// One level of function-in-function nesting on this thread.
struct Nesting;

impl Nesting {
    fn enter() -> Option<Nesting> {
        NESTING.with(|n| {
            let d = n.get();
            (d < MAX_NESTING).then(|| {
                n.set(d + 1);
                Nesting
            })
        })
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        NESTING.with(|n| n.set(n.get().saturating_sub(1)));
    }
}
