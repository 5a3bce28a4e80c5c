//! The bytecode verifier: checks every function of a module before it is
//! loaded, so the interpreter may index registers, constants and code
//! without bounds checks.
//!
//! It proves, for each function: its number is its position in the module
//! (so `Proto::sibling` can find a callee by offset); every register operand (and every register
//! range) lies inside the function's window; constants, functions and jump
//! targets exist; calls to functions of the module pass their arity; closures
//! capture exactly what their function expects; and execution cannot run off
//! the end of the code. Compiled code always passes; code that arrives from
//! elsewhere (another node) must pass before it runs.
//!
//! That every module passed is enforced by type: only `Module::load` makes a
//! `Module`, and only after this verifier accepted its code (see
//! `bytecode.rs` and the crate documentation).

use crate::bytecode::{Op, Proto, Reg, NO_REG};

/// Why a module was rejected: the function, the instruction and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError(pub String);

/// Checks the functions of one module (function 0 is its top level).
/// `Module::load` calls it: a module that fails is never loaded, and a
/// `Module` exists only once loaded, so nothing can run code that failed.
pub(crate) fn verify(protos: &[Proto]) -> Result<(), VerifyError> {
    if protos.is_empty() {
        return Err(VerifyError("a module without functions (function 0 is its top level)".into()));
    }
    for (i, p) in protos.iter().enumerate() {
        if p.index as usize != i {
            return Err(VerifyError(format!("{}/{}: numbered {} but at {i}", p.name, p.arity, p.index)));
        }
        verify_proto(p, protos)?;
    }
    Ok(())
}

fn verify_proto(p: &Proto, protos: &[Proto]) -> Result<(), VerifyError> {
    let fail = |pc: usize, what: &str| VerifyError(format!("{}/{} at {pc}: {what}", p.name, p.arity));
    let nregs = p.nregs as usize;
    if (p.arity as usize + p.ncaptured as usize) > nregs {
        return Err(fail(0, "parameters and captures exceed the registers"));
    }
    if p.spans.len() != p.code.len() {
        return Err(fail(0, "one span per instruction"));
    }
    let Some(last) = p.code.last() else { return Err(fail(0, "empty function")) };
    if !ends_flow(last) {
        return Err(fail(p.code.len() - 1, "execution can run off the end"));
    }
    for (pc, op) in p.code.iter().enumerate() {
        let reg = |r: Reg| (r as usize) < nregs;
        let range = |start: Reg, n: usize| (start as usize).checked_add(n).is_some_and(|end| end <= nregs);
        let label = |l: u32| (l as usize) < p.code.len();
        let konst = |k: u32| (k as usize) < p.consts.len();
        let callee = |i: u32, argc: u16| protos.get(i as usize).is_some_and(|c| c.arity == argc);
        let ok = match *op {
            Op::Const { dst, k } => reg(dst) && konst(k),
            Op::Int { dst, .. } | Op::Nil { dst } => reg(dst),
            Op::Move { dst, src }
            | Op::Neg { dst, src }
            | Op::Not { dst, src }
            | Op::Bang { dst, src }
            | Op::GetHead { dst, src }
            | Op::GetTail { dst, src }
            | Op::GetElem { dst, src, .. } => reg(dst) && reg(src),
            Op::AddImm { dst, a, .. } => reg(dst) && reg(a),
            Op::Add { dst, a, b }
            | Op::Sub { dst, a, b }
            | Op::Mul { dst, a, b }
            | Op::Div { dst, a, b }
            | Op::Eq { dst, a, b }
            | Op::Ne { dst, a, b }
            | Op::StrictEq { dst, a, b }
            | Op::StrictNe { dst, a, b }
            | Op::Lt { dst, a, b }
            | Op::Le { dst, a, b }
            | Op::Gt { dst, a, b }
            | Op::Ge { dst, a, b }
            | Op::Concat { dst, a, b }
            | Op::ListConcat { dst, a, b } => reg(dst) && reg(a) && reg(b),
            Op::CheckBool { src } | Op::Badmatch { src } | Op::CaseClause { src } | Op::Return { src } => reg(src),
            Op::ReturnInt { .. } => true,
            Op::ReturnConst { k } => konst(k),
            Op::ReturnAdd { a, b } => reg(a) && reg(b),
            Op::ReturnIfInt { src, .. } | Op::ReturnIfInt2 { src, .. } => reg(src),
            Op::CallAddImm { dst, proto, start, a, .. } => {
                reg(dst) && reg(a) && range(start, 1) && callee(proto as u32, 1)
            }
            Op::Interpolate { dst, start, n } | Op::Tuple { dst, start, n } => reg(dst) && range(start, n as usize),
            Op::List { dst, start, n, tail } => reg(dst) && range(start, n as usize) && (tail == NO_REG || reg(tail)),
            Op::Map { dst, start, n } => reg(dst) && range(start, 2 * n as usize),
            Op::MapUpdate { dst, src, start, n } => reg(dst) && reg(src) && range(start, 2 * n as usize),
            Op::Jump { target } | Op::RecvNext { target } => label(target),
            Op::JumpIfFalsy { cond, target }
            | Op::JumpUnlessTrue { cond, target }
            | Op::JumpIfFalse { cond, target }
            | Op::JumpIfTrue { cond, target } => reg(cond) && label(target),
            Op::TestCmp { a, b, fail, .. } | Op::TestSame { a, b, fail } => reg(a) && reg(b) && label(fail),
            Op::TestCmpImm { a, fail, .. } => reg(a) && label(fail),
            Op::TestConst { src, k, fail } => reg(src) && konst(k) && label(fail),
            Op::TestInt { src, fail, .. }
            | Op::TestTuple { src, fail, .. }
            | Op::TestCons { src, fail }
            | Op::TestNil { src, fail }
            | Op::TestMap { src, fail } => reg(src) && label(fail),
            Op::GetMapValue { dst, map, key, fail } => reg(dst) && reg(map) && reg(key) && label(fail),
            Op::Closure { dst, proto, start, n } => {
                reg(dst)
                    && range(start, n as usize)
                    && protos.get(proto as usize).is_some_and(|c| c.ncaptured == n)
            }
            Op::GlobalFun { dst, name, .. } => reg(dst) && konst(name),
            Op::Call { dst, proto, start, argc } => reg(dst) && range(start, argc as usize) && callee(proto, argc),
            Op::TailCall { proto, start, argc } => range(start, argc as usize) && callee(proto, argc),
            Op::CallFun { dst, fun, start, argc } => reg(dst) && reg(fun) && range(start, argc as usize),
            Op::TailCallFun { fun, start, argc } => reg(fun) && range(start, argc as usize),
            Op::CallGlobal { dst, name, start, argc } => reg(dst) && konst(name) && range(start, argc as usize),
            Op::TailCallGlobal { name, start, argc } => konst(name) && range(start, argc as usize),
            Op::CallBuiltin { dst, start, argc, .. } => reg(dst) && range(start, argc as usize),
            Op::Send { dst, start, .. } => reg(dst) && range(start, 2),
            Op::CallRemote { dst, k, start, argc } => reg(dst) && konst(k) && range(start, argc as usize),
            Op::RecvStart | Op::RecvTake | Op::FunctionClause | Op::CondClause | Op::GuardLeave => true,
            Op::GuardEnter { fail } => label(fail),
            Op::RecvPeek { dst, none } => reg(dst) && label(none),
            Op::RecvWait { timeout, retry, after } => (timeout == NO_REG || reg(timeout)) && label(retry) && label(after),
        };
        if !ok {
            return Err(fail(pc, &format!("operand out of range in {op:?}")));
        }
    }
    Ok(())
}

/// Instructions after which execution never falls through to the next one
/// (also what the native compiler forgets its knowledge of registers at).
pub(crate) fn ends_flow(op: &Op) -> bool {
    matches!(
        op,
        Op::Jump { .. }
            | Op::Return { .. }
            | Op::ReturnInt { .. }
            | Op::ReturnConst { .. }
            | Op::ReturnAdd { .. }
            | Op::TailCall { .. }
            | Op::TailCallFun { .. }
            | Op::TailCallGlobal { .. }
            | Op::RecvNext { .. }
            | Op::RecvWait { .. }
            | Op::FunctionClause
            | Op::CondClause
            | Op::Badmatch { .. }
            | Op::CaseClause { .. }
    )
}
