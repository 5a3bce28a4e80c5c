//! The code blob: the compiled code a Snow function needs to run on another
//! node, written as bytes and read back (parsed, verified, loaded).
//!
//! A blob carries a *bundle*: the module that holds the function (module 0)
//! and, for REPL code, every module reached through late-bound calls
//! (`CallGlobal`, `TailCallGlobal`, `GlobalFun`), transitively, with a
//! snapshot of the namespace entries those calls resolve to. Calls inside a
//! module (`Call`, `TailCall`, `Closure`) index its own functions, so a
//! module always travels whole. Built-ins travel by name, never by id.
//!
//! ```text
//! Blob      = "SNWC" Version:u8=1 Builtins NsCount:var Modules Entries
//! Builtins  = n:var { Module:str Name:str Kind:u8 (0 exact, 1 at least) Arity:var }
//! Modules   = n:var (≥ 1) { File:str Source:str Ns:var (0 none, i + 1) Protos }
//! Protos    = n:var { Name:str Arity:var Captured:var Regs:var
//!                     Consts:(n:var { ETF term, tagged, no version byte })
//!                     Code:(n:var { Opcode:u8 Operand... })
//!                     Spans:(one per instruction { Start:var Len:var }) }
//! Entries   = n:var { Ns:var Name:str Arity:var Module:var Proto:var }
//! ```
//!
//! `var` is an unsigned LEB128 integer; `str` is a `var` length and UTF-8
//! bytes. Operands follow the `Op` field order: registers, labels, counts
//! and indices are `var`, immediates zigzag `var`, a `Cmp` one byte. A
//! `CallBuiltin` id is an index into the blob's `Builtins`. The writer is
//! deterministic, so the same code gives the same bytes (the receiver's
//! cache key).
//!
//! The reader faces the network: it never panics, allocates only in
//! proportion to the bytes it has read (counts are checked against what is
//! left), rejects anything the verifier rejects, checks what the verifier
//! cannot (spans inside the source, namespace entries that fit their call
//! sites, built-ins this node has) and leaks — loads — nothing until all of
//! the bundle has passed.

use crate::bytecode::{Cmp, Module, Op, Proto, RawModule};
use crate::vm::{Arity, BuiltinTable, Namespace};
use rustc_hash::FxHashMap;
use snow_runtime::dist::etf::{decode_body, encode_body_into, DecodeError, EncodeError};
use snow_runtime::{Atom, Term};
use std::collections::BTreeMap;

const MAGIC: &[u8; 4] = b"SNWC";
/// Bump on any change to the layout above; readers reject other versions.
pub const VERSION: u8 = 1;

type DResult<T> = Result<T, DecodeError>;

fn invalid(what: &'static str) -> DecodeError {
    DecodeError::Invalid(what)
}

// ---- the instruction table --------------------------------------------------

/// An instruction operand on the wire.
trait Operand: Sized {
    fn put(self, w: &mut Vec<u8>);
    fn get(r: &mut Reader<'_>) -> DResult<Self>;
}

impl Operand for u16 {
    fn put(self, w: &mut Vec<u8>) {
        put_var(w, u64::from(self));
    }
    fn get(r: &mut Reader<'_>) -> DResult<Self> {
        u16::try_from(r.var()?).map_err(|_| invalid("operand out of range"))
    }
}

impl Operand for u32 {
    fn put(self, w: &mut Vec<u8>) {
        put_var(w, u64::from(self));
    }
    fn get(r: &mut Reader<'_>) -> DResult<Self> {
        u32::try_from(r.var()?).map_err(|_| invalid("operand out of range"))
    }
}

impl Operand for i16 {
    fn put(self, w: &mut Vec<u8>) {
        i32::from(self).put(w);
    }
    fn get(r: &mut Reader<'_>) -> DResult<Self> {
        i16::try_from(i32::get(r)?).map_err(|_| invalid("operand out of range"))
    }
}

impl Operand for i32 {
    fn put(self, w: &mut Vec<u8>) {
        put_var(w, u64::from(((self << 1) ^ (self >> 31)) as u32));
    }
    fn get(r: &mut Reader<'_>) -> DResult<Self> {
        let z = u32::get(r)?;
        Ok(((z >> 1) as i32) ^ -((z & 1) as i32))
    }
}

const CMPS: [Cmp; 8] = [Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge, Cmp::Eq, Cmp::Ne, Cmp::StrictEq, Cmp::StrictNe];

impl Operand for Cmp {
    fn put(self, w: &mut Vec<u8>) {
        w.push(CMPS.iter().position(|&c| c == self).unwrap_or(0) as u8);
    }
    fn get(r: &mut Reader<'_>) -> DResult<Self> {
        CMPS.get(r.u8()? as usize).copied().ok_or(invalid("unknown comparison"))
    }
}

/// One line per instruction: its wire opcode and its operands in order. The
/// writer's match is exhaustive, so a new `Op` does not build until it has
/// a line here; opcodes are never reused (bump `VERSION` if one changes).
macro_rules! op_table {
    ($($code:literal => $name:ident $({ $($field:ident),* })?,)*) => {
        fn put_op(op: Op, w: &mut Vec<u8>) {
            match op {
                $(Op::$name $({ $($field),* })? => {
                    w.push($code);
                    $($($field.put(w);)*)?
                })*
            }
        }

        fn get_op(r: &mut Reader<'_>) -> DResult<Op> {
            // Struct fields are evaluated in the order written: the
            // operands' order on the wire.
            Ok(match r.u8()? {
                $($code => Op::$name $({ $($field: Operand::get(r)?),* })?,)*
                _ => return Err(invalid("unknown opcode")),
            })
        }
    };
}

op_table! {
    0 => Const { dst, k },
    1 => Int { dst, v },
    2 => Nil { dst },
    3 => Move { dst, src },
    4 => Add { dst, a, b },
    5 => Sub { dst, a, b },
    6 => Mul { dst, a, b },
    7 => Div { dst, a, b },
    8 => AddImm { dst, a, imm },
    9 => Neg { dst, src },
    10 => Eq { dst, a, b },
    11 => Ne { dst, a, b },
    12 => StrictEq { dst, a, b },
    13 => StrictNe { dst, a, b },
    14 => Lt { dst, a, b },
    15 => Le { dst, a, b },
    16 => Gt { dst, a, b },
    17 => Ge { dst, a, b },
    18 => Not { dst, src },
    19 => Bang { dst, src },
    20 => CheckBool { src },
    21 => Concat { dst, a, b },
    22 => ListConcat { dst, a, b },
    23 => Interpolate { dst, start, n },
    24 => Jump { target },
    25 => JumpIfFalsy { cond, target },
    26 => JumpUnlessTrue { cond, target },
    27 => JumpIfFalse { cond, target },
    28 => JumpIfTrue { cond, target },
    29 => TestCmp { cmp, a, b, fail },
    30 => TestCmpImm { cmp, a, imm, fail },
    31 => TestConst { src, k, fail },
    32 => TestInt { src, v, fail },
    33 => TestSame { a, b, fail },
    34 => TestTuple { src, n, fail },
    35 => TestCons { src, fail },
    36 => TestNil { src, fail },
    37 => TestMap { src, fail },
    38 => GetElem { dst, src, i },
    39 => GetHead { dst, src },
    40 => GetTail { dst, src },
    41 => GetMapValue { dst, map, key, fail },
    42 => Tuple { dst, start, n },
    43 => List { dst, start, n, tail },
    44 => Map { dst, start, n },
    45 => MapUpdate { dst, src, start, n },
    46 => Closure { dst, proto, start, n },
    47 => GlobalFun { dst, name, arity },
    48 => Call { dst, proto, start, argc },
    49 => TailCall { proto, start, argc },
    50 => CallFun { dst, fun, start, argc },
    51 => TailCallFun { fun, start, argc },
    52 => CallGlobal { dst, name, start, argc },
    53 => TailCallGlobal { name, start, argc },
    54 => CallBuiltin { dst, id, start, argc },
    55 => CallRemote { dst, k, start, argc },
    56 => Return { src },
    57 => RecvStart,
    58 => RecvPeek { dst, none },
    59 => RecvTake,
    60 => RecvNext { target },
    61 => RecvWait { timeout, retry, after },
    62 => Badmatch { src },
    63 => CaseClause { src },
    64 => FunctionClause,
    65 => CondClause,
    66 => ReturnInt { v },
    67 => ReturnConst { k },
    68 => GuardEnter { fail },
    69 => GuardLeave,
    70 => ReturnAdd { a, b },
    71 => ReturnIfInt { src, v, ret },
    72 => CallAddImm { dst, proto, start, a, imm },
    74 => ReturnIfInt2 { src, v, ret, v2, ret2 },
    // Never written (a `Send` travels as the `CallBuiltin` it stands for)
    // and refused when read; listed because the writer's match is exhaustive.
    73 => Send { dst, start, id },
}

// ---- writing ----------------------------------------------------------------

fn put_var(w: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        w.push((v as u8) | 0x80);
        v >>= 7;
    }
    w.push(v as u8);
}

fn put_str(w: &mut Vec<u8>, s: &str) {
    put_var(w, s.len() as u64);
    w.extend_from_slice(s.as_bytes());
}

fn addr<T>(r: &T) -> usize {
    r as *const T as usize
}

/// The modules and namespace entries a function of `root` may reach.
struct Bundle<'m> {
    modules: Vec<&'m Module>,
    module_ids: FxHashMap<usize, u32>,
    namespaces: Vec<&'static Namespace>,
    namespace_ids: FxHashMap<usize, u32>,
    /// (namespace, name, arity) → (module, function); sorted, so the bytes
    /// do not depend on hash order.
    entries: BTreeMap<(u32, &'static str, u16), (u32, u32)>,
}

impl<'m> Bundle<'m> {
    fn collect(root: &'m Module) -> Result<Bundle<'m>, EncodeError> {
        let mut b = Bundle {
            modules: Vec::new(),
            module_ids: FxHashMap::default(),
            namespaces: Vec::new(),
            namespace_ids: FxHashMap::default(),
            entries: BTreeMap::new(),
        };
        b.module_id(root);
        let mut next = 0;
        while let Some(&m) = b.modules.get(next) {
            next += 1;
            let Some(ns) = m.namespace else { continue };
            let nsi = b.namespace_id(ns);
            for p in &m.protos {
                for op in &p.code {
                    let (k, arity) = match *op {
                        Op::CallGlobal { name, argc, .. } | Op::TailCallGlobal { name, argc, .. } => (name, argc),
                        Op::GlobalFun { name, arity, .. } => (name, arity),
                        _ => continue,
                    };
                    let Some(name) = p.consts.get(k as usize).and_then(Term::as_atom) else { continue };
                    let key = (nsi, name.as_str(), arity);
                    if b.entries.contains_key(&key) {
                        continue;
                    }
                    // Not defined (yet): the remote call raises undef, as a
                    // local one would now.
                    let Some(target) = ns.get(name, arity) else { continue };
                    let tm: &'static Module = target.module();
                    let mi = b.module_id(tm);
                    let pi = proto_index(tm, target)
                        .ok_or_else(|| EncodeError::Fun(format!("{} is not in its own module", target.name)))?;
                    b.entries.insert(key, (mi, pi));
                }
            }
        }
        Ok(b)
    }

    fn module_id(&mut self, m: &'m Module) -> u32 {
        let next = self.modules.len() as u32;
        *self.module_ids.entry(addr(m)).or_insert_with(|| {
            self.modules.push(m);
            next
        })
    }

    fn namespace_id(&mut self, ns: &'static Namespace) -> u32 {
        let next = self.namespaces.len() as u32;
        *self.namespace_ids.entry(addr(ns)).or_insert_with(|| {
            self.namespaces.push(ns);
            next
        })
    }
}

fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The position of `p` among its module's functions.
pub(crate) fn proto_index(m: &Module, p: &Proto) -> Option<u32> {
    m.protos.iter().position(|q| std::ptr::eq(q, p)).map(|i| i as u32)
}

/// The blob for the functions of `root` (module 0), with the built-in ids in
/// its code named through `table`.
pub fn write(root: &Module, table: &BuiltinTable) -> Result<Vec<u8>, EncodeError> {
    let bundle = Bundle::collect(root)?;
    let mut body = Vec::new();
    let mut builtins: Vec<u32> = Vec::new();
    let mut builtin_ids: FxHashMap<u32, u32> = FxHashMap::default();

    put_var(&mut body, bundle.namespaces.len() as u64);
    put_var(&mut body, bundle.modules.len() as u64);
    for m in &bundle.modules {
        put_str(&mut body, &m.file);
        put_str(&mut body, &m.source);
        let ns = m.namespace.and_then(|ns| bundle.namespace_ids.get(&addr(ns)));
        put_var(&mut body, ns.map_or(0, |&i| u64::from(i) + 1));
        put_var(&mut body, m.protos.len() as u64);
        for p in &m.protos {
            put_str(&mut body, &p.name);
            put_var(&mut body, u64::from(p.arity));
            put_var(&mut body, u64::from(p.ncaptured));
            put_var(&mut body, u64::from(p.nregs));
            put_var(&mut body, p.consts.len() as u64);
            for k in &p.consts {
                encode_body_into(k, &mut body)?;
            }
            put_var(&mut body, p.code.len() as u64);
            for &op in &p.code {
                let op = match op {
                    Op::Send { dst, start, id } => {
                        let next = builtins.len() as u32;
                        let local = *builtin_ids.entry(id).or_insert_with(|| {
                            builtins.push(id);
                            next
                        });
                        Op::CallBuiltin { dst, id: local, start, argc: 2 }
                    }
                    Op::CallBuiltin { dst, id, start, argc } => {
                        let next = builtins.len() as u32;
                        let local = *builtin_ids.entry(id).or_insert_with(|| {
                            builtins.push(id);
                            next
                        });
                        Op::CallBuiltin { dst, id: local, start, argc }
                    }
                    other => other,
                };
                put_op(op, &mut body);
            }
            for pc in 0..p.code.len() {
                // The reader accepts only spans inside the source.
                let s = p.span_at(pc);
                let start = floor_char_boundary(&m.source, s.start);
                let end = floor_char_boundary(&m.source, s.end).max(start);
                put_var(&mut body, start as u64);
                put_var(&mut body, (end - start) as u64);
            }
        }
    }
    put_var(&mut body, bundle.entries.len() as u64);
    for (&(ns, name, arity), &(module, proto)) in &bundle.entries {
        put_var(&mut body, u64::from(ns));
        put_str(&mut body, name);
        put_var(&mut body, u64::from(arity));
        put_var(&mut body, u64::from(module));
        put_var(&mut body, u64::from(proto));
    }

    let mut out = Vec::with_capacity(body.len() + 64);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    put_var(&mut out, builtins.len() as u64);
    for id in builtins {
        let b = table.get(id).ok_or_else(|| EncodeError::Fun(format!("unknown built-in #{id}")))?;
        put_str(&mut out, b.module);
        put_str(&mut out, b.name);
        let (kind, n) = match b.arity {
            Arity::Exact(n) => (0, n),
            Arity::AtLeast(n) => (1, n),
        };
        out.push(kind);
        put_var(&mut out, u64::from(n));
    }
    out.extend_from_slice(&body);
    Ok(out)
}

// ---- reading ----------------------------------------------------------------

/// A cursor over bytes from the network: every read is bounds-checked.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub(super) fn pos(&self) -> usize {
        self.pos
    }
    pub(super) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    pub(super) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }
    pub(super) fn take(&mut self, n: usize) -> DResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Truncated)?;
        let s = self.buf.get(self.pos..end).ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(s)
    }
    pub(super) fn skip(&mut self, n: usize) -> DResult<()> {
        self.take(n).map(|_| ())
    }
    pub(super) fn u8(&mut self) -> DResult<u8> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn u16_be(&mut self) -> DResult<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(super) fn u32_be(&mut self) -> DResult<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn var(&mut self) -> DResult<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(invalid("integer too large"));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(invalid("integer too large"))
    }
    fn var_u16(&mut self) -> DResult<u16> {
        u16::get(self)
    }
    /// A count of items that take at least `min_bytes` each: never more than
    /// the rest of the input could hold.
    fn count(&mut self, min_bytes: usize) -> DResult<usize> {
        let n = self.var()?;
        if n > (self.remaining() / min_bytes.max(1)) as u64 {
            return Err(DecodeError::Truncated);
        }
        Ok(n as usize)
    }
    fn str(&mut self) -> DResult<&'a str> {
        let n = self.count(1)?;
        std::str::from_utf8(self.take(n)?).map_err(|_| invalid("text is not UTF-8"))
    }
}

/// A namespace entry as read: checked against the bundle before loading.
struct Entry {
    ns: usize,
    name: Atom,
    arity: u16,
    module: usize,
    proto: usize,
}

/// Parses, checks, verifies and loads a blob; returns its module 0. Built-ins
/// are looked up in `table` by name; one this node lacks fails the decode.
pub fn load(blob: &[u8], table: &BuiltinTable) -> DResult<&'static Module> {
    let mut r = Reader::new(blob);
    if r.take(4)? != MAGIC {
        return Err(invalid("not Snow code"));
    }
    if r.u8()? != VERSION {
        return Err(DecodeError::Unsupported("Snow code of another format version"));
    }
    let nbuiltins = r.count(4)?;
    let mut builtins: Vec<(u32, Arity)> = Vec::with_capacity(nbuiltins);
    for _ in 0..nbuiltins {
        let (module, name) = (r.str()?, r.str()?);
        let arity = match (r.u8()?, r.var_u16()?) {
            (0, n) => Arity::Exact(n),
            (1, n) => Arity::AtLeast(n),
            _ => return Err(invalid("built-in arity kind")),
        };
        let id = table.find(module, name, arity).ok_or(DecodeError::Unsupported("code calls a built-in this node does not have"))?;
        builtins.push((id, arity));
    }

    let nnamespaces = r.var()?;
    // Each module takes at least 4 bytes, each function at least 6. Vectors
    // of large structs grow as items arrive rather than being reserved.
    let nmodules = r.count(4)?;
    if nmodules == 0 {
        return Err(invalid("Snow code without a module"));
    }
    if nnamespaces > nmodules as u64 {
        return Err(invalid("more namespaces than modules"));
    }
    let mut modules: Vec<(RawModule, Option<usize>)> = Vec::new();
    for _ in 0..nmodules {
        let file = r.str()?;
        let source = r.str()?;
        let ns = match r.var()? {
            0 => None,
            i if i <= nnamespaces => Some((i - 1) as usize),
            _ => return Err(invalid("namespace index out of range")),
        };
        let nprotos = r.count(6)?;
        let mut protos = Vec::new();
        for index in 0..nprotos {
            protos.push(read_proto(&mut r, index as u32, source, &builtins)?);
        }
        let m = RawModule { file: file.into(), source: source.into(), protos, namespace: None };
        modules.push((m, ns));
    }

    let nentries = r.count(5)?;
    let mut entries = Vec::new();
    for _ in 0..nentries {
        let ns = r.var()?;
        let name = r.str()?;
        let arity = r.var_u16()?;
        let (module, proto) = (r.var()?, r.var()?);
        if ns >= nnamespaces {
            return Err(invalid("namespace index out of range"));
        }
        let target = usize::try_from(module)
            .ok()
            .and_then(|m| modules.get(m))
            .and_then(|(m, _)| usize::try_from(proto).ok().and_then(|p| m.protos.get(p)))
            .ok_or(invalid("namespace entry out of range"))?;
        // A late-bound call passes `arity` arguments and no captures.
        if target.arity != arity || target.ncaptured != 0 {
            return Err(invalid("namespace entry does not fit its calls"));
        }
        let name = Atom::try_from_peer(name).map_err(DecodeError::from)?;
        entries.push(Entry { ns: ns as usize, name, arity, module: module as usize, proto: proto as usize });
    }
    if r.remaining() != 0 {
        return Err(DecodeError::TrailingBytes(r.remaining()));
    }

    // Everything checked before anything is leaked.
    for (m, _) in &modules {
        crate::verify::verify(&m.protos).map_err(|_| invalid("Snow code failed bytecode verification"))?;
    }
    let namespaces: Vec<&'static Namespace> = (0..nnamespaces).map(|_| Namespace::leak()).collect();
    let mut loaded: Vec<&'static Module> = Vec::with_capacity(modules.len());
    for (mut m, ns) in modules {
        m.namespace = ns.and_then(|i| namespaces.get(i).copied());
        loaded.push(Module::load(m).map_err(|_| invalid("Snow code failed bytecode verification"))?);
    }
    for e in entries {
        let proto = loaded.get(e.module).and_then(|m| m.protos.get(e.proto));
        if let (Some(ns), Some(proto)) = (namespaces.get(e.ns), proto) {
            ns.define(e.name, e.arity, proto);
        }
    }
    for m in &loaded {
        m.protos.iter().for_each(crate::vm::modules::learn);
    }
    loaded.first().copied().ok_or(invalid("Snow code without a module"))
}

fn read_proto(r: &mut Reader<'_>, index: u32, source: &str, builtins: &[(u32, Arity)]) -> DResult<Proto> {
    let name = r.str()?;
    let mut p = Proto::new(name.to_string(), r.var_u16()?, index);
    p.ncaptured = r.var_u16()?;
    p.nregs = r.var_u16()?;
    let nconsts = r.count(1)?;
    p.consts.reserve_exact(nconsts);
    for _ in 0..nconsts {
        let (k, used) = decode_body(r.rest())?;
        r.skip(used)?;
        p.consts.push(k);
    }
    // Every instruction takes at least 3 bytes: its opcode and its span.
    let ncode = r.count(3)?;
    p.code.reserve_exact(ncode);
    for _ in 0..ncode {
        let op = match get_op(r)? {
            Op::CallBuiltin { dst, id, start, argc } => {
                let &(id, arity) = builtins.get(id as usize).ok_or(invalid("built-in index out of range"))?;
                if !arity.accepts(argc as usize) {
                    return Err(invalid("built-in called with the wrong number of arguments"));
                }
                Op::CallBuiltin { dst, id, start, argc }
            }
            Op::Send { .. } => return Err(invalid("a send instruction on the wire")),
            other => other,
        };
        p.code.push(op);
    }
    p.spans.reserve_exact(ncode);
    for _ in 0..ncode {
        let start = usize::try_from(r.var()?).map_err(|_| invalid("span"))?;
        let len = usize::try_from(r.var()?).map_err(|_| invalid("span"))?;
        let end = start.checked_add(len).ok_or(invalid("span"))?;
        // Error reports slice the source with it.
        if end > source.len() || !source.is_char_boundary(start) || !source.is_char_boundary(end) {
            return Err(invalid("span outside the source"));
        }
        p.spans.push(start..end);
    }
    Ok(p)
}
