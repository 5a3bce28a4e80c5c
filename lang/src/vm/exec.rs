//! The interpreter loop: runs a fiber's instructions until its budget is
//! spent, it waits in `receive`, or its bottom frame returns.
//!
//! Only the hot instructions — moves, integer arithmetic, tests, calls and
//! returns — are handled here; the rest go to `ops.rs`, out of line, so that
//! the loop's state (pc, window base, code) stays in machine registers. The
//! current frame lives in those locals and is written back to the frame
//! stack only when control leaves it. Every call costs one reduction.

use super::exception::Exception;
use super::fiber::{fun_parts, Fault, Fiber, Frame, Step};
use super::ops::{arith_add, arith_mul, arith_sub, cmp_ints, compare, Flow};
use crate::bytecode::{Op, Proto};
use snow_runtime::cx::Cx;
use snow_runtime::{Atom, Term};

/// Writes `v` into a register. Overwriting a scalar needs no destructor,
/// which keeps the out-of-line drop off the arithmetic path.
#[inline(always)]
fn set(slot: &mut Term, v: Term) {
    match slot {
        Term::Int(_) | Term::Float(_) | Term::Atom(_) | Term::Nil | Term::Pid(_) | Term::Ref(_) => {
            // The old value owns nothing, so forgetting it leaks nothing.
            std::mem::forget(std::mem::replace(slot, v));
        }
        _ => *slot = v,
    }
}

/// Writes integer `i` into a register, in place when it already holds one.
#[inline(always)]
fn set_int(slot: &mut Term, i: i64) {
    match slot {
        Term::Int(x) => *x = i,
        _ => set(slot, Term::Int(i)),
    }
}

impl Fiber {
    pub(crate) fn execute(&mut self, cx: &mut Cx<'_>, budget: u32) -> Result<Step, Fault> {
        let mut reds = budget;
        let Some(top) = self.frames.last().copied() else {
            return Ok(Step::Done(Term::Atom(Atom::NIL)));
        };
        let mut proto: &'static Proto = top.proto;
        let mut code: &'static [Op] = &proto.code;
        let mut pc = top.pc as usize;
        let mut base = top.base as usize;

        // SAFETY (for `rd!`, `wr!` and the instruction fetch): the verifier
        // (`verify.rs`) proved that every register operand of `proto` is below
        // `proto.nregs`, every jump target is inside `code`, and that code
        // cannot run off its end; and the frame invariant holds: while a
        // frame runs, `regs.len() >= base + proto.nregs` (`push_entry`,
        // `push_frame` and `replace_frame` grow the stack to the frame's
        // `top`; nothing shrinks it below the running frame's `top`).
        macro_rules! rd {
            ($x:expr) => {
                unsafe { self.regs.get_unchecked(base + $x as usize) }
            };
        }
        macro_rules! wr {
            ($x:expr) => {
                unsafe { self.regs.get_unchecked_mut(base + $x as usize) }
            };
        }
        macro_rules! fault {
            ($e:expr) => {{
                let exception = $e;
                self.save_pc(pc);
                return Err(Fault { exception, proto, pc: pc.saturating_sub(1) });
            }};
        }
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => fault!(e),
                }
            };
        }
        // Switches the loop to the frame now on top of the stack.
        macro_rules! enter_top {
            () => {{
                match self.frames.last() {
                    Some(f) => {
                        proto = f.proto;
                        code = &proto.code;
                        pc = f.pc as usize;
                        base = f.base as usize;
                    }
                    None => return Ok(Step::Done(Term::Atom(Atom::NIL))),
                }
            }};
        }
        macro_rules! spend {
            () => {{
                if reds == 0 {
                    // Re-run this call instruction when the process resumes.
                    self.save_pc(pc - 1);
                    return Ok(Step::Yield);
                }
                reds -= 1;
            }};
        }

        loop {
            // SAFETY: see above: `pc` is always a verified instruction index.
            let op = unsafe { code.get_unchecked(pc) };
            pc += 1;
            match *op {
                Op::Move { dst, src } => {
                    let v = rd!(src).clone();
                    set(wr!(dst), v);
                }
                Op::Int { dst, v } => set_int(wr!(dst), v as i64),
                Op::Const { dst, k } => set(wr!(dst), proto.consts[k as usize].clone()),
                Op::Nil { dst } => set(wr!(dst), Term::Nil),
                Op::AddImm { dst, a, imm } => {
                    if let Term::Int(i) = *rd!(a) {
                        match i.checked_add(imm as i64) {
                            Some(v) => set_int(wr!(dst), v),
                            None => fault!(Exception::badarith()),
                        }
                    } else {
                        let v = tri!(arith_add(rd!(a), &Term::Int(imm as i64)));
                        set(wr!(dst), v);
                    }
                }
                Op::Add { dst, a, b } => {
                    if let (Term::Int(x), Term::Int(y)) = (rd!(a), rd!(b)) {
                        match x.checked_add(*y) {
                            Some(v) => set_int(wr!(dst), v),
                            None => fault!(Exception::badarith()),
                        }
                    } else {
                        let v = tri!(arith_add(rd!(a), rd!(b)));
                        set(wr!(dst), v);
                    }
                }
                Op::Sub { dst, a, b } => {
                    let v = tri!(arith_sub(rd!(a), rd!(b)));
                    set(wr!(dst), v);
                }
                Op::Mul { dst, a, b } => {
                    let v = tri!(arith_mul(rd!(a), rd!(b)));
                    set(wr!(dst), v);
                }
                Op::Jump { target } => {
                    if (target as usize) < pc {
                        // a backward jump is a loop iteration (`for`)
                        spend!();
                    }
                    pc = target as usize;
                }
                Op::TestCmpImm { cmp, a, imm, fail } => {
                    let holds = match rd!(a) {
                        Term::Int(x) => cmp_ints(cmp, *x, imm as i64),
                        other => compare(cmp, other, &Term::Int(imm as i64)),
                    };
                    if !holds {
                        pc = fail as usize;
                    }
                }
                Op::TestCmp { cmp, a, b, fail } => {
                    if !compare(cmp, rd!(a), rd!(b)) {
                        pc = fail as usize;
                    }
                }
                Op::TestInt { src, v, fail } => {
                    if !matches!(*rd!(src), Term::Int(i) if i == v as i64) {
                        pc = fail as usize;
                    }
                }
                Op::TestTuple { src, n, fail } => {
                    if !matches!(rd!(src), Term::Tuple(t) if t.len() == n as usize) {
                        pc = fail as usize;
                    }
                }
                Op::TestCons { src, fail } => {
                    if !matches!(rd!(src), Term::Cons(_)) {
                        pc = fail as usize;
                    }
                }
                Op::TestNil { src, fail } => {
                    if !matches!(rd!(src), Term::Nil) {
                        pc = fail as usize;
                    }
                }
                Op::GetElem { dst, src, i } => {
                    let v = match rd!(src) {
                        Term::Tuple(t) => t.get(i as usize).cloned().unwrap_or(Term::Nil),
                        _ => Term::Nil,
                    };
                    *wr!(dst) = v;
                }
                Op::GetHead { dst, src } => {
                    let v = match rd!(src) {
                        Term::Cons(c) => c.head.clone(),
                        _ => Term::Nil,
                    };
                    *wr!(dst) = v;
                }
                Op::GetTail { dst, src } => {
                    let v = match rd!(src) {
                        Term::Cons(c) => c.tail.clone(),
                        _ => Term::Nil,
                    };
                    *wr!(dst) = v;
                }
                Op::Call { dst, proto: idx, start, .. } => {
                    spend!();
                    let callee = &proto.module().protos[idx as usize];
                    self.push_frame(pc, base, start, dst, callee, &[]);
                    proto = callee;
                    code = &proto.code;
                    pc = 0;
                    base += start as usize;
                }
                Op::TailCall { proto: idx, start, argc } => {
                    spend!();
                    let callee = &proto.module().protos[idx as usize];
                    self.replace_frame(base, start, argc, callee, &[]);
                    proto = callee;
                    code = &proto.code;
                    pc = 0;
                }
                Op::CallFun { dst, fun, start, argc } => {
                    spend!();
                    let f = rd!(fun).clone();
                    let (callee, env) = tri!(fun_parts(&f, argc as usize));
                    self.push_frame(pc, base, start, dst, callee, env);
                    enter_top!();
                }
                Op::TailCallFun { fun, start, argc } => {
                    spend!();
                    let f = rd!(fun).clone();
                    let (callee, env) = tri!(fun_parts(&f, argc as usize));
                    self.replace_frame(base, start, argc, callee, env);
                    enter_top!();
                }
                Op::CallGlobal { dst, name, start, argc } => {
                    spend!();
                    let callee = tri!(global(proto, name, argc));
                    self.push_frame(pc, base, start, dst, callee, &[]);
                    enter_top!();
                }
                Op::TailCallGlobal { name, start, argc } => {
                    spend!();
                    let callee = tri!(global(proto, name, argc));
                    self.replace_frame(base, start, argc, callee, &[]);
                    enter_top!();
                }
                Op::Return { src } => {
                    let v = std::mem::replace(wr!(src), Term::Nil);
                    let Some(done) = self.frames.pop() else { return Ok(Step::Done(v)) };
                    let Some(caller) = self.frames.last() else {
                        self.regs.clear();
                        return Ok(Step::Done(v));
                    };
                    // Registers above the caller's top stay as they are:
                    // every register is written before it is read, and the
                    // stack is trimmed whenever the process suspends.
                    let (cbase, cpc, cproto) = (caller.base as usize, caller.pc as usize, caller.proto);
                    set(&mut self.regs[cbase + done.dst as usize], v);
                    proto = cproto;
                    code = &proto.code;
                    pc = cpc;
                    base = cbase;
                }
                other => {
                    if matches!(other, Op::CallBuiltin { .. }) {
                        spend!();
                    }
                    match self.cold(other, cx, proto, base, pc) {
                        Flow::Next => {}
                        Flow::Jump(target) => pc = target,
                        Flow::Enter => enter_top!(),
                        Flow::Leave(step) => return Ok(step),
                        Flow::Raise(e) => fault!(e),
                    }
                }
            }
        }
    }

    /// Pushes a frame for `callee` whose window starts at the caller's
    /// register `start`, where the arguments already are; `env` (a
    /// closure's captured values) follows them.
    #[inline]
    pub(crate) fn push_frame(
        &mut self,
        pc: usize,
        base: usize,
        start: u16,
        dst: u16,
        callee: &'static Proto,
        env: &[Term],
    ) {
        let caller_top = match self.frames.last_mut() {
            Some(f) => {
                f.pc = pc as u32;
                f.top as usize
            }
            None => 0,
        };
        let new_base = base + start as usize;
        let need = new_base + callee.nregs as usize;
        if self.regs.len() < need {
            self.regs.resize(need, Term::Nil);
        }
        let arity = callee.arity as usize;
        for (i, v) in env.iter().enumerate() {
            self.regs[new_base + arity + i] = v.clone();
        }
        let top = need.max(caller_top) as u32;
        self.frames.push(Frame { proto: callee, pc: 0, base: new_base as u32, dst, top });
    }

    /// Replaces the current frame by a call of `callee` (a tail call): the
    /// arguments move down to the window's start.
    #[inline]
    fn replace_frame(&mut self, base: usize, start: u16, argc: u16, callee: &'static Proto, env: &[Term]) {
        let from = base + start as usize;
        for i in 0..argc as usize {
            let v = std::mem::replace(&mut self.regs[from + i], Term::Nil);
            self.regs[base + i] = v;
        }
        let n = self.frames.len();
        let caller_top = if n >= 2 { self.frames[n - 2].top as usize } else { 0 };
        let need = base + callee.nregs as usize;
        let top = need.max(caller_top);
        if self.regs.len() < top {
            self.regs.resize(top, Term::Nil);
        }
        let arity = callee.arity as usize;
        for (i, v) in env.iter().enumerate() {
            self.regs[base + arity + i] = v.clone();
        }
        if let Some(f) = self.frames.last_mut() {
            f.proto = callee;
            f.pc = 0;
            f.top = top as u32;
        }
    }
}

fn global(proto: &'static Proto, name: u32, argc: u16) -> Result<&'static Proto, Exception> {
    let name_atom = proto.consts[name as usize].as_atom().unwrap_or(Atom::NIL);
    proto
        .module()
        .namespace
        .and_then(|ns| ns.get(name_atom, argc))
        .ok_or_else(|| Exception::undef(&format!("{}/{}", name_atom.as_str(), argc)))
}
