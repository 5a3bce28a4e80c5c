//! The instruction set: one documented table, and the code objects that hold it.
//!
//! Snow compiles to a register machine. Each function (`Proto`) has a window
//! of `nregs` registers on its process's register stack: parameters first,
//! then captured values (for closures), then locals and temporaries. A call
//! puts its arguments in consecutive registers at the top of the caller's
//! window; the callee's window starts right there, so arguments are never
//! copied. Frames live on a per-process heap stack, never on the Rust stack.
//!
//! Notation: `R[x]` is a register of the current window, `K[k]` a constant of
//! the current function, `pc` the index of the next instruction. Tests
//! ("Test*") fall through when they hold and jump to `fail` when they do not.
//!
//! Architecture invariant: loaded code is immutable and lives until the
//! program ends (as on the BEAM, where code is loaded, not collected), so
//! frames and function values refer to it by `&'static` reference.

use crate::ast::Span;
use snow_runtime::{Atom, FunCode, Term};
use std::sync::{Arc, OnceLock};

/// A register index within a frame's window.
pub type Reg = u16;
/// An absolute instruction index within a function.
pub type Label = u32;

/// Marks "no register" in optional register operands.
pub const NO_REG: Reg = Reg::MAX;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    // ---- loads and moves ------------------------------------------------
    /// R[dst] = K[k]
    Const { dst: Reg, k: u32 },
    /// R[dst] = v (a small integer)
    Int { dst: Reg, v: i32 },
    /// R[dst] = []
    Nil { dst: Reg },
    /// R[dst] = R[src]
    Move { dst: Reg, src: Reg },

    // ---- arithmetic (integers overflow into badarith) --------------------
    /// R[dst] = R[a] + R[b]
    Add { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] - R[b]
    Sub { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] * R[b]
    Mul { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] / R[b], always a float
    Div { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] + imm
    AddImm { dst: Reg, a: Reg, imm: i16 },
    /// R[dst] = -R[src]
    Neg { dst: Reg, src: Reg },

    // ---- comparison and logic (results are `true` / `false`) -------------
    /// R[dst] = R[a] == R[b] (1 == 1.0)
    Eq { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] != R[b]
    Ne { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] === R[b]
    StrictEq { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] !== R[b]
    StrictNe { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] < R[b] (the total term order)
    Lt { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] <= R[b]
    Le { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] > R[b]
    Gt { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] >= R[b]
    Ge { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = not R[src]; badarg unless a boolean
    Not { dst: Reg, src: Reg },
    /// R[dst] = !R[src] (truthiness)
    Bang { dst: Reg, src: Reg },
    /// badarg unless R[src] is `true` or `false` (left side of `and`/`or`)
    CheckBool { src: Reg },
    /// R[dst] = R[a] <> R[b] (strings)
    Concat { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = R[a] ++ R[b] (lists)
    ListConcat { dst: Reg, a: Reg, b: Reg },
    /// R[dst] = the texts of R[start..start+n], as `println` shows each, joined
    Interpolate { dst: Reg, start: Reg, n: u16 },

    // ---- control ----------------------------------------------------------
    /// pc = target
    Jump { target: Label },
    /// if R[cond] is `false` or `nil`: pc = target
    JumpIfFalsy { cond: Reg, target: Label },
    /// if R[cond] is not exactly `true`: pc = target (guards, `cond`)
    JumpUnlessTrue { cond: Reg, target: Label },
    /// if R[cond] is `false`: pc = target (strict `and`, after CheckBool)
    JumpIfFalse { cond: Reg, target: Label },
    /// if R[cond] is `true`: pc = target (strict `or`, after CheckBool)
    JumpIfTrue { cond: Reg, target: Label },

    // ---- pattern tests ----------------------------------------------------
    /// unless R[a] <cmp> R[b]: pc = fail (conditions and guards)
    TestCmp { cmp: Cmp, a: Reg, b: Reg, fail: Label },
    /// unless R[a] <cmp> imm: pc = fail
    TestCmpImm { cmp: Cmp, a: Reg, imm: i16, fail: Label },
    /// unless R[src] === K[k]: pc = fail
    TestConst { src: Reg, k: u32, fail: Label },
    /// unless R[src] === v (an integer): pc = fail
    TestInt { src: Reg, v: i32, fail: Label },
    /// unless R[a] === R[b]: pc = fail (repeated variables, pins)
    TestSame { a: Reg, b: Reg, fail: Label },
    /// unless R[src] is a tuple of n elements: pc = fail
    TestTuple { src: Reg, n: u16, fail: Label },
    /// unless R[src] is a non-empty list: pc = fail
    TestCons { src: Reg, fail: Label },
    /// unless R[src] is []: pc = fail
    TestNil { src: Reg, fail: Label },
    /// unless R[src] is a map: pc = fail
    TestMap { src: Reg, fail: Label },
    /// R[dst] = element i of tuple R[src]
    GetElem { dst: Reg, src: Reg, i: u16 },
    /// R[dst] = head of list R[src]
    GetHead { dst: Reg, src: Reg },
    /// R[dst] = tail of list R[src]
    GetTail { dst: Reg, src: Reg },
    /// R[dst] = map R[map] at key R[key]; if absent: pc = fail
    GetMapValue { dst: Reg, map: Reg, key: Reg, fail: Label },

    // ---- construction -----------------------------------------------------
    /// R[dst] = (R[start], ..., R[start+n-1])
    Tuple { dst: Reg, start: Reg, n: u16 },
    /// R[dst] = [R[start], ..., R[start+n-1] | R[tail]] (tail NO_REG: [])
    List { dst: Reg, start: Reg, n: u16, tail: Reg },
    /// R[dst] = %{R[start] => R[start+1], ...} (n pairs)
    Map { dst: Reg, start: Reg, n: u16 },
    /// R[dst] = R[src] with n pairs from R[start..] put in; badarg unless a map
    MapUpdate { dst: Reg, src: Reg, start: Reg, n: u16 },
    /// R[dst] = closure of function `proto` of this module capturing R[start..start+n]
    Closure { dst: Reg, proto: u32, start: Reg, n: u16 },
    /// R[dst] = the function named K[name] with `arity` in the session's namespace
    GlobalFun { dst: Reg, name: u32, arity: u16 },

    // ---- calls (arguments in R[start..start+argc]; the callee's window
    //      starts at `start`) -------------------------------------------------
    /// R[dst] = function `proto` of this module (args)
    Call { dst: Reg, proto: u32, start: Reg, argc: u16 },
    /// return function `proto` of this module (args), reusing this frame
    TailCall { proto: u32, start: Reg, argc: u16 },
    /// R[dst] = R[fun](args): badfun / badarity when it is not a function of argc
    CallFun { dst: Reg, fun: Reg, start: Reg, argc: u16 },
    /// return R[fun](args), reusing this frame
    TailCallFun { fun: Reg, start: Reg, argc: u16 },
    /// R[dst] = the namespace's function K[name]/argc (args); undef if none
    CallGlobal { dst: Reg, name: u32, start: Reg, argc: u16 },
    /// return K[name]/argc (args), reusing this frame
    TailCallGlobal { name: u32, start: Reg, argc: u16 },
    /// R[dst] = built-in `id` (args)
    CallBuiltin { dst: Reg, id: u32, start: Reg, argc: u16 },
    /// R[dst] = send(R[start], R[start+1]): a message to a pid in the loop,
    /// anything else (names, `(name, node)`) through built-in `id`, the
    /// `send/2` that `CallBuiltin` would have called
    Send { dst: Reg, start: Reg, id: u32 },
    /// R[dst] = Module.fun (args) looked up at run time (K[k] is (module, fun)); undef if none
    CallRemote { dst: Reg, k: u32, start: Reg, argc: u16 },
    /// return R[src] to the caller
    Return { src: Reg },
    /// return v (a small integer) to the caller: `Int` + `Return` in one
    ReturnInt { v: i32 },
    /// return K[k] to the caller: `Const` + `Return` in one
    ReturnConst { k: u32 },
    /// return R[a] + R[b] to the caller: `Add` + `Return` in one
    ReturnAdd { a: Reg, b: Reg },
    /// if R[src] === v (an integer): return ret; otherwise go on (a literal
    /// clause head with a small integer body: `TestInt` + `ReturnInt`)
    ReturnIfInt { src: Reg, v: i32, ret: i32 },
    /// if R[src] === v: return ret; if R[src] === v2: return ret2; otherwise
    /// go on (two literal clause heads in a row, `fn fib(0) = 0` and
    /// `fn fib(1) = 1`: two `ReturnIfInt` on one register)
    ReturnIfInt2 { src: Reg, v: i16, ret: i16, v2: i16, ret2: i16 },
    /// R[start] = R[a] + imm, then R[dst] = function `proto` of this module
    /// (R[start]): `AddImm` + `Call` of one argument in one (`f(n - 1)`)
    CallAddImm { dst: Reg, proto: u16, start: Reg, a: Reg, imm: i16 },

    // ---- receive ------------------------------------------------------------
    /// start a receive: scan from the oldest message, no deadline yet
    RecvStart,
    /// R[dst] = the message under the scan position; none left: pc = none
    RecvPeek { dst: Reg, none: Label },
    /// take the message under the scan position out of the mailbox
    RecvTake,
    /// move the scan position to the next message; pc = target
    RecvNext { target: Label },
    /// nothing matched: on the first visit fix the deadline from R[timeout]
    /// (NO_REG or :infinity: none); past it: pc = after; otherwise suspend and
    /// resume at `retry` when a message arrives
    RecvWait { timeout: Reg, retry: Label, after: Label },

    // ---- errors ---------------------------------------------------------------
    /// raise (:badmatch, R[src])
    Badmatch { src: Reg },
    /// raise (:case_clause, R[src])
    CaseClause { src: Reg },
    /// raise :function_clause (no clause of this function matched)
    FunctionClause,
    /// raise :cond_clause (no `cond` branch was true)
    CondClause,

    // ---- guards -----------------------------------------------------------------
    /// a guard starts: until the matching GuardLeave, an error raised in it
    /// (or in what it calls) is a failed guard: pc = fail in this frame
    GuardEnter { fail: Label },
    /// the guard ended (passed or failed by itself)
    GuardLeave,
}

/// The comparison of a fused compare-and-branch test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    StrictEq,
    StrictNe,
}

/// One compiled function: a named function (all its clauses), a lambda, or a
/// script's or REPL entry's top level.
///
/// Outside this crate a `Proto` is only ever seen through a loaded
/// [`Module`], so every `&Proto` another crate holds has passed the
/// verifier: the fields are crate-private (read them through the accessor
/// methods), and there is no public constructor, `Clone` or `Default`.
pub struct Proto {
    /// `fib`, `fn/1` for lambdas, `<top>` for a top level.
    pub(crate) name: String,
    pub(crate) arity: u16,
    /// Captured values, held in registers `arity..arity+ncaptured`.
    pub(crate) ncaptured: u16,
    pub(crate) nregs: u16,
    pub(crate) code: Vec<Op>,
    pub(crate) consts: Vec<Term>,
    /// Source span of each instruction (same length as `code`), for errors.
    pub(crate) spans: Vec<Span>,
    /// Index of this function in its module.
    pub(crate) index: u32,
    module: OnceLock<&'static Module>,
    fun_code: OnceLock<Arc<dyn FunCode>>,
    /// Its native code once it is hot (`jit`).
    pub(crate) jit: crate::jit::Slot,
}

impl Op {
    /// Calls `f` on each of the instruction's jump targets: the compiler
    /// resolves them, and its fusion pass asks what is jumped to.
    pub fn for_each_label(&mut self, mut f: impl FnMut(&mut Label)) {
        match self {
            Op::Jump { target }
            | Op::JumpIfFalsy { target, .. }
            | Op::JumpUnlessTrue { target, .. }
            | Op::JumpIfFalse { target, .. }
            | Op::JumpIfTrue { target, .. }
            | Op::RecvNext { target } => f(target),
            Op::TestCmp { fail, .. }
            | Op::TestCmpImm { fail, .. }
            | Op::TestConst { fail, .. }
            | Op::TestInt { fail, .. }
            | Op::TestSame { fail, .. }
            | Op::TestTuple { fail, .. }
            | Op::TestCons { fail, .. }
            | Op::TestNil { fail, .. }
            | Op::TestMap { fail, .. }
            | Op::GetMapValue { fail, .. }
            | Op::GuardEnter { fail } => f(fail),
            Op::RecvPeek { none, .. } => f(none),
            Op::RecvWait { retry, after, .. } => {
                f(retry);
                f(after);
            }
            _ => {}
        }
    }
}

impl Proto {
    pub(crate) fn new(name: String, arity: u16, index: u32) -> Proto {
        Proto {
            name,
            arity,
            ncaptured: 0,
            nregs: arity,
            code: Vec::new(),
            consts: Vec::new(),
            spans: Vec::new(),
            index,
            module: OnceLock::new(),
            fun_code: OnceLock::new(),
            jit: crate::jit::Slot::new(),
        }
    }

    /// `fib`, `fn/1` for lambdas, `<top>` for a top level.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn arity(&self) -> u16 {
        self.arity
    }

    /// How many captured values follow the parameters (closures).
    pub fn ncaptured(&self) -> u16 {
        self.ncaptured
    }

    /// The size of the function's register window.
    pub fn nregs(&self) -> u16 {
        self.nregs
    }

    pub fn code(&self) -> &[Op] {
        &self.code
    }

    pub fn consts(&self) -> &[Term] {
        &self.consts
    }

    /// The index of this function in its module.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The module this function belongs to.
    pub fn module(&'static self) -> &'static Module {
        self.module.get().copied().unwrap_or_else(|| unreachable_module())
    }

    /// Function `idx` of this function's module.
    ///
    /// # Safety
    /// `idx` must be below the module's function count, as the verifier
    /// proves for every `Call`/`TailCall` operand. Found by offset rather
    /// than through `module()`: the call instructions are the hottest path.
    #[inline(always)]
    pub(crate) unsafe fn sibling(&'static self, idx: u32) -> &'static Proto {
        // SAFETY: a loaded proto lives in its module's `protos` at position
        // `self.index` (the verifier checks the numbering), so both offsets
        // stay inside that one allocation, which lives for ever.
        unsafe { &*(self as *const Proto).sub(self.index as usize).add(idx as usize) }
    }

    /// The shared code object that function values of this proto point at.
    pub fn fun_code(&'static self) -> Arc<dyn FunCode> {
        self.fun_code.get_or_init(|| Arc::new(ProtoRef(self))).clone()
    }

    pub fn span_at(&self, pc: usize) -> Span {
        self.spans.get(pc).cloned().unwrap_or(0..0)
    }
}

#[cold]
fn unreachable_module() -> &'static Module {
    // `Module::load` links every proto before any code can see it.
    panic!("a function was used before its module was loaded")
}

/// Code on its way to the verifier: what the compiler and the blob reader
/// (code from other nodes) build. Only `Module::load` turns it into a
/// `Module`; no code outside this crate ever sees one.
pub(crate) struct RawModule {
    pub file: Arc<str>,
    pub source: Arc<str>,
    pub protos: Vec<Proto>,
    pub namespace: Option<&'static crate::vm::Namespace>,
}

/// A compiled file or REPL entry, verified and loaded for the rest of the
/// program's life.
///
/// The type is the proof of verification: a `Module` exists only as the
/// `&'static Module` that `Module::load` returns once `verify.rs` has
/// accepted its code (its fields are crate-private; there is no other
/// constructor). [`Fiber::new`](crate::vm::Fiber::new) takes one, and every
/// [`Proto`] another crate can reach lives in one, so safe code outside this
/// crate cannot hand unverified bytecode to the unchecked interpreter.
///
/// The crate documentation shows what this rules out.
pub struct Module {
    /// The file name shown in errors (`script.snow`, `iex` entries: `repl`).
    pub(crate) file: Arc<str>,
    pub(crate) source: Arc<str>,
    pub(crate) protos: Vec<Proto>,
    /// The session's function table for late-bound calls (REPL), if any.
    pub(crate) namespace: Option<&'static crate::vm::Namespace>,
}

/// The file name of the library written in Snow (the stdlib's prelude).
pub const LIBRARY_FILE: &str = "prelude.snow";

impl Module {
    /// Library code: errors raised in it are reported where user code
    /// called it.
    pub fn is_library(&self) -> bool {
        &*self.file == LIBRARY_FILE
    }

    /// The file name shown in errors (`script.snow`; REPL entries: `repl`).
    pub fn file(&self) -> &Arc<str> {
        &self.file
    }

    pub fn source(&self) -> &Arc<str> {
        &self.source
    }

    /// The module's functions; function 0 is the top level.
    pub fn protos(&self) -> &[Proto] {
        &self.protos
    }

    /// The top level: function 0.
    pub fn entry(&self) -> &Proto {
        &self.protos[0]
    }

    /// The session's function table for late-bound calls (REPL), if any.
    pub fn namespace(&self) -> Option<&'static crate::vm::Namespace> {
        self.namespace
    }

    /// Verifies a module and loads it for the rest of the program's life:
    /// the only way a `Module` comes to be.
    pub(crate) fn load(raw: RawModule) -> Result<&'static Module, crate::verify::VerifyError> {
        crate::verify::verify(&raw.protos)?;
        let RawModule { file, source, protos, namespace } = raw;
        let m: &'static Module = Box::leak(Box::new(Module { file, source, protos, namespace }));
        for p in &m.protos {
            let _ = p.module.set(m);
            crate::jit::prepare(p);
        }
        Ok(m)
    }
}

/// The `FunCode` behind a Snow function value. Made only by
/// [`Proto::fun_code`], so it always points at a loaded (verified) function.
pub struct ProtoRef(pub(crate) &'static Proto);

impl ProtoRef {
    /// The function this value runs.
    pub fn proto(&self) -> &'static Proto {
        self.0
    }
}

impl FunCode for ProtoRef {
    fn arity(&self) -> usize {
        self.0.arity as usize
    }
    fn describe(&self) -> String {
        format!("{}/{}", self.0.name, self.0.arity)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Interns `name` for use as a late-bound function name constant.
pub fn name_const(name: &str) -> Term {
    Term::Atom(Atom::new(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The interpreter fetches one `Op` per instruction: keep it small.
    #[test]
    fn an_instruction_is_twelve_bytes() {
        assert_eq!(std::mem::size_of::<Op>(), 12);
    }
}
