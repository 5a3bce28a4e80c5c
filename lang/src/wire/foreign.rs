//! Functions from Erlang nodes: opaque values that Snow can hold, compare,
//! print and send on, but not run.
//!
//! A `fun(X) -> X + 1 end` (NEW_FUN_EXT) or `fun lists:map/2` (EXPORT_EXT)
//! received from `erl` keeps its exact bytes and is sent on byte for byte,
//! so it still works when it reaches an Erlang node again. Calling one on a
//! Snow node raises `(:badfun, f)` (the VM finds no Snow code behind it) —
//! even for an export whose name matches a Snow built-in: Erlang's
//! `lists:map/2` and Snow's `List.map/2` are different functions, and
//! guessing would be worse than a clean error.

use snow_runtime::dist::etf::tag;
use snow_runtime::FunCode;

pub struct ForeignFun {
    /// The tagged encoding, exactly as received.
    bytes: Box<[u8]>,
    /// `erl_eval.42.3316493` (module, old index, old uniq) or `lists:map`.
    name: String,
    arity: u8,
}

impl ForeignFun {
    /// A NEW_FUN_EXT (tag byte included) of `module` (not Snow code).
    pub fn new_fun(bytes: &[u8], module: &str, old_index: i64, old_uniq: i64, arity: u8) -> ForeignFun {
        ForeignFun { bytes: bytes.into(), name: format!("{module}.{old_index}.{old_uniq}"), arity }
    }

    /// An EXPORT_EXT (tag byte included) for `fun module:function/arity`.
    pub fn export(bytes: &[u8], module: &str, function: &str, arity: u8) -> ForeignFun {
        ForeignFun { bytes: bytes.into(), name: format!("{module}:{function}"), arity }
    }

    /// An EXPORT_EXT written from its parts (UTF-8 atoms, as `erl` does
    /// since OTP 26).
    pub fn export_from_parts(module: &str, function: &str, arity: u8) -> ForeignFun {
        let mut bytes = vec![tag::EXPORT];
        for atom in [module, function] {
            // Names that came through the ETF decoder are at most 255
            // characters; longer UTF-8 needs the two-byte length.
            match u8::try_from(atom.len()) {
                Ok(n) => bytes.extend_from_slice(&[tag::SMALL_ATOM_UTF8, n]),
                Err(_) => {
                    bytes.push(tag::ATOM_UTF8);
                    bytes.extend_from_slice(&(atom.len().min(u16::MAX as usize) as u16).to_be_bytes());
                }
            }
            bytes.extend_from_slice(atom.as_bytes());
        }
        bytes.extend_from_slice(&[tag::SMALL_INTEGER, arity]);
        ForeignFun::export(&bytes, module, function, arity)
    }

    /// The bytes to send: those received.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl FunCode for ForeignFun {
    fn arity(&self) -> usize {
        self.arity as usize
    }
    fn describe(&self) -> String {
        format!("{}/{}", self.name, self.arity)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
