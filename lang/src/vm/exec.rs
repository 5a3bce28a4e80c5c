//! The interpreter loop: runs a fiber's instructions until its budget is
//! spent, it waits in `receive`, or its bottom frame returns.
//!
//! Only the hot instructions — moves, integer arithmetic, tests, calls,
//! returns and the mailbox scan of `receive` — are handled here; the rest
//! go to `ops.rs`, out of line, and so do the slow halves of the hot ones
//! (floats, term order, faults), so that the loop's state (pc, window,
//! code, budget) stays in machine registers.
//! The current frame lives in those locals and is written back to the frame
//! stack only when control leaves it. Every call costs one reduction.

use super::exception::Exception;
use super::fiber::{fun_parts, Fault, Fiber, Frame, Resume, Step};
use super::ops::{arith_add, arith_mul, arith_sub, cmp_ints, compare, Flow};
use crate::bytecode::{Cmp, Op, Proto, NO_REG};
use snow_runtime::cx::Cx;
use snow_runtime::{Atom, Term};

/// Writes `v` into a register. Overwriting a scalar needs no destructor,
/// which keeps the out-of-line drop off the arithmetic path.
#[inline(always)]
fn set(slot: &mut Term, v: Term) {
    if slot.owns_nothing() {
        // The old value owns nothing, so forgetting it leaks nothing.
        std::mem::forget(std::mem::replace(slot, v));
    } else {
        *slot = v;
    }
}

/// A copy of a register's value: the scalars a process passes around most
/// (integers, atoms, pids) without `clone`'s jump over every kind of term
/// (measured on the ring: 66 instructions a message went to `clone`).
#[inline(always)]
fn dup(t: &Term) -> Term {
    match *t {
        Term::Int(i) => Term::Int(i),
        Term::Atom(a) => Term::Atom(a),
        Term::Pid(p) => Term::Pid(p),
        _ => t.clone(),
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

/// Moves a result from one register to another. An integer is copied field
/// by field: the register was most likely just written that way (`set_int`),
/// and reading it back as one wide load would stall on store forwarding.
///
/// # Safety
/// Both must point at live registers. They may be the same register (a
/// callee's window starts inside its caller's), hence pointers, not `&mut`.
#[inline(always)]
unsafe fn move_result(src: *mut Term, dst: *mut Term) {
    // SAFETY: both are valid (caller's contract); no reference to one is
    // alive while the other is written.
    unsafe {
        if let Term::Int(i) = *src {
            set_int(&mut *dst, i);
        } else {
            let v = std::ptr::replace(src, Term::Nil);
            set(&mut *dst, v);
        }
    }
}

// The slow halves of the hot instructions, out of line.
#[cold]
#[inline(never)]
fn slow_arith(op: fn(&Term, &Term) -> Result<Term, Exception>, a: &Term, b: &Term) -> Result<Term, Exception> {
    op(a, b)
}

#[inline(never)]
fn slow_compare(cmp: Cmp, a: &Term, b: &Term) -> bool {
    compare(cmp, a, b)
}

impl Fiber {
    pub(crate) fn execute(&mut self, cx: &mut Cx<'_>, budget: u32) -> Result<Step, Fault> {
        let mut reds = budget;
        let Some(top) = self.frames.last().copied() else {
            return Ok(Step::Done(Term::Atom(Atom::NIL)));
        };
        let mut proto: &'static Proto = top.proto;
        // The next instruction to run (a pointer rather than an index: one
        // add per instruction fetched).
        // SAFETY: a frame's pc is a verified instruction index.
        let mut ip: *const Op = top.resume.0;
        // The running frame's first register. Refreshed (`window!`) whenever
        // the frame changes or the register stack may have been reallocated:
        // after every call, return and out-of-line instruction. The frame's
        // `base` itself stays in the frame: the fewer locals the loop keeps,
        // the more of them the compiler keeps in machine registers.
        // SAFETY: `base <= regs.len()` by the frame invariant below.
        let mut w: *mut Term = unsafe { self.regs.as_mut_ptr().add(top.base as usize) };

        // SAFETY (for `rd!`, `wr!`, `goto!` and the instruction fetch): the verifier
        // (`verify.rs`) proved that every register operand of `proto` is below
        // `proto.nregs`, every jump target is inside `code`, every callee
        // index is inside the module, and that code cannot run off its end;
        // and the frame invariant holds: while a frame runs,
        // `regs.len() >= base + proto.nregs` (`push_entry`, `push_call` and
        // `replace_frame` grow the stack to the frame's window end; only a
        // suspending `receive` shrinks it, to the furthest window end of all
        // frames, so returning finds the caller's window whole). `w` is
        // never used after the register stack changed without a `window!`.
        macro_rules! rd {
            ($x:expr) => {
                // SAFETY: a verified register index inside the window (above).
                unsafe { &*w.add($x as usize) }
            };
        }
        macro_rules! wr {
            ($x:expr) => {
                // SAFETY: a verified register index inside the window (above).
                unsafe { &mut *w.add($x as usize) }
            };
        }
        macro_rules! window {
            () => {
                // SAFETY: the running frame's base is inside the register stack (frame invariant).
                w = unsafe { self.regs.as_mut_ptr().add(self.running_base()) }
            };
        }
        // The running function's first instruction.
        macro_rules! code {
            () => {
                proto.code.as_ptr()
            };
        }
        // The index of the next instruction, as frames and reports keep it.
        macro_rules! pc {
            () => {
                // SAFETY: `ip` always points into the running function's code.
                unsafe { ip.offset_from(code!()) as usize }
            };
        }
        macro_rules! goto {
            ($target:expr) => {
                // SAFETY: the verifier keeps every jump target inside the code.
                ip = unsafe { code!().add($target as usize) }
            };
        }
        macro_rules! fault {
            ($e:expr) => {{
                let exception = $e;
                let pc = pc!();
                self.save_pc(pc);
                if !self.guards.is_empty() && self.fail_guard() {
                    // An error in a guard: the clause does not match.
                    enter_top!();
                    continue;
                }
                return Err(self.fault_at(exception, proto, pc));
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
                        ip = f.resume.0;
                        // SAFETY: a frame's base is inside the register stack (frame invariant).
                        w = unsafe { self.regs.as_mut_ptr().add(f.base as usize) };
                    }
                    None => return Ok(Step::Done(Term::Atom(Atom::NIL))),
                }
            }};
        }
        macro_rules! spend {
            () => {{
                if reds == 0 {
                    // Re-run this call instruction when the process resumes.
                    self.save_ip(ip.wrapping_sub(1));
                    return Ok(Step::Yield);
                }
                reds -= 1;
            }};
        }

        // R[dst] = a <op> b: integers inline (overflow is badarith), the
        // rest out of line. The result is written after both operands were
        // read: `dst` may be one of them.
        macro_rules! arith {
            ($dst:expr, $a:expr, $b:expr, $checked:ident, $general:ident) => {
                match ($a, $b) {
                    (Term::Int(x), Term::Int(y)) => match x.$checked(*y) {
                        Some(v) => set_int(wr!($dst), v),
                        None => fault!(Exception::badarith()),
                    },
                    (x, y) => {
                        let v = tri!(slow_arith($general, x, y));
                        set(wr!($dst), v);
                    }
                }
            };
        }

        // R[dst] = R[a] + imm: integers inline, the rest out of line.
        macro_rules! add_imm {
            ($dst:expr, $a:expr, $imm:expr) => {
                match *rd!($a) {
                    Term::Int(i) => match i.checked_add($imm as i64) {
                        Some(v) => set_int(wr!($dst), v),
                        None => fault!(Exception::badarith()),
                    },
                    _ => {
                        let v = tri!(slow_arith(arith_add, rd!($a), &Term::Int($imm as i64)));
                        set(wr!($dst), v);
                    }
                }
            };
        }

        // R[dst] = R[a] <cmp> R[b] as `true`/`false`: integers inline.
        macro_rules! compare_into {
            ($dst:expr, $a:expr, $b:expr, $cmp:expr) => {{
                let holds = match (rd!($a), rd!($b)) {
                    (Term::Int(x), Term::Int(y)) => cmp_ints($cmp, *x, *y),
                    (x, y) => slow_compare($cmp, x, y),
                };
                set(wr!($dst), Term::bool(holds));
            }};
        }

        // Returns to the caller: `$put` stores the result through `$dst`, a
        // pointer to the caller's register; from the bottom frame the fiber
        // is done with `$value` instead.
        macro_rules! ret {
            ($dst:ident => $put:expr, $value:expr) => {{
                let n = self.frames.len();
                if n < 2 {
                    let v = $value;
                    return Ok(Step::Done(self.finish_bottom(v)));
                }
                // SAFETY: `n >= 2`. Frames are `Copy`, so shortening the
                // stack by one needs no destructor.
                let (done, caller) = unsafe {
                    let done = *self.frames.get_unchecked(n - 1);
                    let caller = *self.frames.get_unchecked(n - 2);
                    self.frames.set_len(n - 1);
                    (done, caller)
                };
                // Registers above the caller's window stay as they are: every
                // register is written before it is read, and the stack is
                // trimmed whenever the process suspends.
                // SAFETY: the caller's window is inside the stack (frame
                // invariant) and `done.dst` is one of its registers.
                let cw = unsafe { self.regs.as_mut_ptr().add(caller.base as usize) };
                // SAFETY: `done.dst` is a verified register of that window.
                let $dst: *mut Term = unsafe { cw.add(done.dst as usize) };
                $put;
                w = cw;
                proto = caller.proto;
                ip = caller.resume.0;
            }};
        }

        // Runs an instruction out of line (`ops.rs`) and follows its flow.
        macro_rules! run_cold {
            ($op:expr) => {{
                let flow = self.cold($op, cx, proto, self.running_base(), pc!());
                window!();
                match flow {
                    Flow::Next => {}
                    Flow::Jump(target) => goto!(target),
                    Flow::Enter => enter_top!(),
                    Flow::Leave(step) => return Ok(step),
                    Flow::Raise(e) => fault!(e),
                }
            }};
        }

        // Runs the native code of the frame just pushed (window `w`): back
        // in the caller with the result in its register `dst` when it
        // returned, else on where it bailed.
        macro_rules! run_native {
            ($native:expr, $dst:expr) => {{
                match self.run_native($native, w, &mut reds) {
                    Some(v) => {
                        window!();
                        set_int(wr!($dst), v);
                    }
                    None => enter_top!(),
                }
            }};
        }

        // Calls function `idx` of this module on the window at `start`.
        macro_rules! call_local {
            ($dst:expr, $idx:expr, $start:expr) => {{
                // SAFETY: the verifier proved `idx` names a function of this module.
                let callee = unsafe { proto.sibling($idx) };
                let base = self.push_call(ip, $start, $dst, callee);
                // SAFETY: `push_call` grew the stack to the callee's frame.
                w = unsafe { self.regs.as_mut_ptr().add(base) };
                match callee.jit.entry() {
                    Ok(native) => run_native!(native, $dst),
                    Err(state) => {
                        proto = callee;
                        ip = code!();
                        if callee.jit.warm(state) {
                            crate::jit::compile(callee);
                        }
                    }
                }
            }};
        }

        loop {
            // SAFETY: see above: `ip` always points at a verified instruction.
            let op = unsafe { &*ip };
            // SAFETY: code never runs off its end (verified), so one past this
            // instruction is inside the code or its end.
            ip = unsafe { ip.add(1) };
            match *op {
                // Integers are written in place; other scalars copied by `dup`.
                Op::Move { dst, src } => {
                    if let Term::Int(i) = *rd!(src) {
                        set_int(wr!(dst), i)
                    } else if rd!(src).owns_nothing() && rd!(dst).owns_nothing() {
                        // A pid or an atom over a scalar (the ring's
                        // `send(next, ...)`): copied bit for bit; two tests of
                        // a kind, not a jump on it.
                        // SAFETY: both are registers of the window (see `rd!`);
                        // neither owns anything, so the copy is the value
                        // and nothing is leaked; `copy` allows `src == dst`.
                        unsafe { std::ptr::copy(w.add(src as usize), w.add(dst as usize), 1) }
                    } else {
                        let v = dup(rd!(src));
                        set(wr!(dst), v);
                    }
                }
                Op::Int { dst, v } => set_int(wr!(dst), v as i64),
                Op::Const { dst, k } => set(wr!(dst), dup(&proto.consts[k as usize])),
                Op::Nil { dst } => set(wr!(dst), Term::Nil),
                Op::AddImm { dst, a, imm } => add_imm!(dst, a, imm),
                Op::Add { dst, a, b } => arith!(dst, rd!(a), rd!(b), checked_add, arith_add),
                Op::Sub { dst, a, b } => arith!(dst, rd!(a), rd!(b), checked_sub, arith_sub),
                Op::Mul { dst, a, b } => arith!(dst, rd!(a), rd!(b), checked_mul, arith_mul),
                Op::Jump { target } => {
                    if (target as usize) < pc!() {
                        // a backward jump is a loop iteration (`for`)
                        spend!();
                    }
                    goto!(target);
                }
                Op::TestCmpImm { cmp, a, imm, fail } => {
                    let holds = match rd!(a) {
                        Term::Int(x) => cmp_ints(cmp, *x, imm as i64),
                        other => slow_compare(cmp, other, &Term::Int(imm as i64)),
                    };
                    if !holds {
                        goto!(fail);
                    }
                }
                Op::TestCmp { cmp, a, b, fail } => {
                    let holds = match (rd!(a), rd!(b)) {
                        (Term::Int(x), Term::Int(y)) => cmp_ints(cmp, *x, *y),
                        (x, y) => slow_compare(cmp, x, y),
                    };
                    if !holds {
                        goto!(fail);
                    }
                }
                Op::Eq { dst, a, b } => compare_into!(dst, a, b, Cmp::Eq),
                Op::Ne { dst, a, b } => compare_into!(dst, a, b, Cmp::Ne),
                Op::StrictEq { dst, a, b } => compare_into!(dst, a, b, Cmp::StrictEq),
                Op::StrictNe { dst, a, b } => compare_into!(dst, a, b, Cmp::StrictNe),
                Op::Lt { dst, a, b } => compare_into!(dst, a, b, Cmp::Lt),
                Op::Le { dst, a, b } => compare_into!(dst, a, b, Cmp::Le),
                Op::Gt { dst, a, b } => compare_into!(dst, a, b, Cmp::Gt),
                Op::Ge { dst, a, b } => compare_into!(dst, a, b, Cmp::Ge),
                Op::JumpIfFalsy { cond, target } => {
                    if !rd!(cond).is_truthy() {
                        goto!(target);
                    }
                }
                Op::JumpUnlessTrue { cond, target } => {
                    if !matches!(rd!(cond), Term::Atom(Atom::TRUE)) {
                        goto!(target);
                    }
                }
                Op::JumpIfFalse { cond, target } => {
                    if matches!(rd!(cond), Term::Atom(Atom::FALSE)) {
                        goto!(target);
                    }
                }
                Op::JumpIfTrue { cond, target } => {
                    if matches!(rd!(cond), Term::Atom(Atom::TRUE)) {
                        goto!(target);
                    }
                }
                Op::CheckBool { src } => {
                    if !matches!(rd!(src), Term::Atom(Atom::TRUE | Atom::FALSE)) {
                        fault!(Exception::badarg());
                    }
                }
                Op::TestConst { src, k, fail } => {
                    let holds = match (rd!(src), &proto.consts[k as usize]) {
                        (Term::Atom(a), Term::Atom(b)) => a == b,
                        (x, y) => x.strict_eq(y),
                    };
                    if !holds {
                        goto!(fail);
                    }
                }
                Op::TestSame { a, b, fail } => {
                    if !rd!(a).strict_eq(rd!(b)) {
                        goto!(fail);
                    }
                }
                Op::TestMap { src, fail } => {
                    if !matches!(rd!(src), Term::Map(_)) {
                        goto!(fail);
                    }
                }
                Op::TestInt { src, v, fail } => {
                    if !matches!(*rd!(src), Term::Int(i) if i == v as i64) {
                        goto!(fail);
                    }
                }
                Op::TestTuple { src, n, fail } => {
                    if !matches!(rd!(src), Term::Tuple(t) if t.len() == n as usize) {
                        goto!(fail);
                    }
                }
                Op::TestCons { src, fail } => {
                    if !matches!(rd!(src), Term::Cons(_)) {
                        goto!(fail);
                    }
                }
                Op::TestNil { src, fail } => {
                    if !matches!(rd!(src), Term::Nil) {
                        goto!(fail);
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
                    call_local!(dst, idx, start);
                }
                Op::CallAddImm { dst, proto: idx, start, a, imm } => {
                    // Spent before the addition: a yield re-runs the whole
                    // instruction, and `a != start` (the fusion's rule).
                    spend!();
                    add_imm!(start, a, imm);
                    call_local!(dst, idx as u32, start);
                }
                Op::TailCall { proto: idx, start, argc } => {
                    spend!();
                    // SAFETY: as for `Call`.
                    let callee = unsafe { proto.sibling(idx) };
                    if start == 0 && std::ptr::eq(callee, proto) {
                        // A loop that passes its parameters on in place (a
                        // process's `loop(state)`): same frame, same window,
                        // only back to the first instruction.
                        if let Err(state) = callee.jit.entry() {
                            ip = code!();
                            if callee.jit.warm(state) {
                                crate::jit::compile(callee);
                            }
                            continue;
                        }
                    }
                    self.replace_frame_local(start, argc, callee);
                    window!();
                    match callee.jit.entry() {
                        Ok(native) => {
                            // The replaced frame's result goes to its caller.
                            let dst = self.frames.last().map_or(0, |f| f.dst);
                            if let Some(v) = self.run_native(native, w, &mut reds) {
                                window!();
                                set_int(wr!(dst), v);
                            }
                            enter_top!();
                        }
                        Err(state) => {
                            proto = callee;
                            ip = code!();
                            if callee.jit.warm(state) {
                                crate::jit::compile(callee);
                            }
                        }
                    }
                }
                Op::CallFun { dst, fun, start, argc } => {
                    spend!();
                    let f = rd!(fun).clone();
                    let (callee, env) = tri!(fun_parts(&f, argc as usize));
                    self.push_closure_call(ip, start, dst, callee, env);
                    enter_top!();
                }
                Op::TailCallFun { fun, start, argc } => {
                    spend!();
                    let f = rd!(fun).clone();
                    let (callee, env) = tri!(fun_parts(&f, argc as usize));
                    self.replace_frame(start, argc, callee, env);
                    enter_top!();
                }
                Op::CallGlobal { dst, name, start, argc } => {
                    spend!();
                    let callee = tri!(global(proto, name, argc));
                    self.push_call(ip, start, dst, callee);
                    enter_top!();
                }
                Op::TailCallGlobal { name, start, argc } => {
                    spend!();
                    let callee = tri!(global(proto, name, argc));
                    self.replace_frame(start, argc, callee, &[]);
                    enter_top!();
                }
                // `receive`'s scan of the mailbox, in the loop: a message
                // passed between two processes runs these on every hop.
                Op::RecvStart => {
                    self.recv_scan = 0;
                    self.recv_deadline = None;
                }
                Op::RecvPeek { dst, none } => match cx.mailbox().get(self.recv_scan) {
                    Some(m) => {
                        let m = dup(m);
                        set(wr!(dst), m);
                    }
                    None => goto!(none),
                },
                Op::RecvTake => {
                    // The pattern read the message already (`RecvPeek`).
                    cx.drop_message(self.recv_scan);
                    self.recv_scan = 0;
                    self.recv_deadline = None;
                }
                Op::RecvNext { target } => {
                    self.recv_scan += 1;
                    goto!(target);
                }
                // A `receive` with no `after` that found nothing (the
                // ring's every hop): out of the loop without the cold path's
                // call; one with a timeout computes its deadline there.
                Op::RecvWait { timeout: NO_REG, retry, .. } => return Ok(self.wait(retry, None)),
                Op::Send { dst, start, id } => {
                    spend!();
                    if let Term::Pid(to) = *rd!(start) {
                        let msg = dup(rd!(start + 1));
                        cx.send(to, dup(&msg));
                        set(wr!(dst), msg);
                        if cx.busy() {
                            // A busy connection to another node: suspended
                            // before the next instruction, as `send/2` is.
                            self.save_ip(ip);
                            return Ok(Step::Yield);
                        }
                    } else {
                        // A name or `(name, node)`: the built-in's way.
                        run_cold!(Op::CallBuiltin { dst, id, start, argc: 2 });
                    }
                }
                // SAFETY: both are registers of live windows (see `ret!`).
                Op::Return { src } => ret!(d => unsafe { move_result(w.add(src as usize), d) }, std::mem::replace(wr!(src), Term::Nil)),
                // SAFETY: `d` is a register of the caller's live window (see `ret!`).
                Op::ReturnInt { v } => ret!(d => set_int(unsafe { &mut *d }, v as i64), Term::Int(v as i64)),
                Op::ReturnIfInt { src, v, ret } => {
                    if matches!(*rd!(src), Term::Int(i) if i == v as i64) {
                        // SAFETY: `d` is a register of the caller's live window (see `ret!`).
                        ret!(d => set_int(unsafe { &mut *d }, ret as i64), Term::Int(ret as i64))
                    }
                }
                Op::ReturnIfInt2 { src, v, ret, v2, ret2 } => {
                    if let Term::Int(i) = *rd!(src) {
                        let r = if i == v as i64 {
                            Some(ret)
                        } else if i == v2 as i64 {
                            Some(ret2)
                        } else {
                            None
                        };
                        if let Some(r) = r {
                            // SAFETY: `d` is a register of the caller's live window (see `ret!`).
                            ret!(d => set_int(unsafe { &mut *d }, r as i64), Term::Int(r as i64))
                        }
                    }
                }
                Op::ReturnAdd { a, b } => match (rd!(a), rd!(b)) {
                    (Term::Int(x), Term::Int(y)) => match x.checked_add(*y) {
                        // SAFETY: `d` is a register of the caller's live window (see `ret!`).
                        Some(v) => ret!(d => set_int(unsafe { &mut *d }, v), Term::Int(v)),
                        None => fault!(Exception::badarith()),
                    },
                    (x, y) => {
                        let v = tri!(slow_arith(arith_add, x, y));
                        // SAFETY: `d` is a register of the caller's live window (see `ret!`).
                        ret!(d => set(unsafe { &mut *d }, v), v)
                    }
                },
                Op::ReturnConst { k } => {
                    let v = &proto.consts[k as usize];
                    // SAFETY: `d` is a register of the caller's live window (see `ret!`).
                    ret!(d => set(unsafe { &mut *d }, v.clone()), v.clone())
                }
                // Named one by one rather than `_`: an exhaustive match
                // compiles to a jump table without a range check in front.
                other @ (Op::Div { .. }
                | Op::Neg { .. }
                | Op::Not { .. }
                | Op::Bang { .. }
                | Op::Concat { .. }
                | Op::ListConcat { .. }
                | Op::Interpolate { .. }
                | Op::GetMapValue { .. }
                | Op::Tuple { .. }
                | Op::List { .. }
                | Op::Map { .. }
                | Op::MapUpdate { .. }
                | Op::Closure { .. }
                | Op::GlobalFun { .. }
                | Op::CallBuiltin { .. }
                | Op::CallRemote { .. }
                | Op::RecvWait { .. }
                | Op::Badmatch { .. }
                | Op::CaseClause { .. }
                | Op::FunctionClause
                | Op::CondClause
                | Op::GuardEnter { .. }
                | Op::GuardLeave) => {
                    if matches!(other, Op::CallBuiltin { .. }) {
                        spend!();
                    }
                    run_cold!(other);
                }
            }
        }
    }

    /// The bottom frame returned `v`: the fiber's function is done.
    #[cold]
    fn finish_bottom(&mut self, v: Term) -> Term {
        self.frames.pop();
        if self.frames.is_empty() {
            self.regs.clear();
        }
        v
    }

    /// Where the running frame's window starts.
    #[inline(always)]
    fn running_base(&self) -> usize {
        self.frames.last().map_or(0, |f| f.base as usize)
    }

    /// Pushes a frame for a call of `callee` made by the running frame, whose
    /// window starts at the caller's register `start`, where the arguments
    /// already are; the caller resumes at `resume`. Returns where the new
    /// window starts.
    #[inline(always)]
    pub(crate) fn push_call(&mut self, resume: *const Op, start: u16, dst: u16, callee: &'static Proto) -> usize {
        let n = self.frames.len();
        debug_assert!(n >= 1, "a call is made by a running frame");
        // SAFETY: the caller is the running frame, so the stack is not empty.
        let caller = unsafe { self.frames.get_unchecked_mut(n.wrapping_sub(1)) };
        caller.resume = Resume(resume);
        let new_base = caller.base as usize + start as usize;
        let need = new_base + callee.nregs as usize;
        if self.regs.len() < need {
            self.grow_regs(need);
        }
        self.frames.push(Frame { proto: callee, resume: Resume(callee.code.as_ptr()), base: new_base as u32, dst });
        new_base
    }

    /// Runs `native`, the code of the function whose frame is on top, on
    /// its window `w`: its result once it returned (its frame popped), or
    /// `None` once it bailed (the top frame resumes where it stopped).
    #[inline(always)]
    fn run_native(&mut self, native: crate::jit::NativeFn, w: *mut Term, reds: &mut u32) -> Option<i64> {
        let mut stacks = crate::jit::Stacks::enter(self, *reds);
        // SAFETY: the callee's frame is on top and `w` is its window (`jit`'s
        // entry contract); nothing else uses the fiber meanwhile, and native
        // code keeps the frame stack whole.
        let returned = unsafe {
            let status = native(&mut stacks, w);
            stacks.leave(self);
            status != 0
        };
        *reds = stacks.reds;
        returned.then_some(stacks.ret)
    }

    /// Where the running frame resumes (a yield re-runs an instruction).
    #[inline(always)]
    fn save_ip(&mut self, ip: *const Op) {
        if let Some(f) = self.frames.last_mut() {
            f.resume = Resume(ip);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_regs(&mut self, need: usize) {
        self.regs.resize(need, Term::Nil);
    }

    /// `push_call` for a closure: its captured values (`env`) follow the
    /// arguments in the new window.
    fn push_closure_call(&mut self, resume: *const Op, start: u16, dst: u16, callee: &'static Proto, env: &[Term]) {
        let base = self.push_call(resume, start, dst, callee) + callee.arity as usize;
        // The window holds `arity + ncaptured` registers at least (verifier).
        for (i, v) in env.iter().enumerate() {
            self.regs[base + i] = v.clone();
        }
    }
    /// `replace_frame` for a function of the running module (`TailCall`, a
    /// loop's every turn): no captured values, no bounds checks.
    #[inline(always)]
    fn replace_frame_local(&mut self, start: u16, argc: u16, callee: &'static Proto) {
        let n = self.frames.len();
        debug_assert!(n >= 1, "a tail call is made by a running frame");
        // SAFETY: the running frame is on the stack.
        let frame = unsafe { self.frames.get_unchecked_mut(n.wrapping_sub(1)) };
        let base = frame.base as usize;
        if start != 0 {
            let regs = self.regs.as_mut_ptr();
            for i in 0..argc as usize {
                // SAFETY: `start + argc` is inside the running window
                // (verified), which is inside the register stack (frame
                // invariant). Swapped, as in `replace_frame`: in order, so
                // overlapping ranges move down correctly.
                unsafe { std::ptr::swap(regs.add(base + i), regs.add(base + start as usize + i)) };
            }
        }
        frame.proto = callee;
        frame.resume = Resume(callee.code.as_ptr());
        let need = base + callee.nregs as usize;
        if self.regs.len() < need {
            self.grow_regs(need);
        }
    }

    /// Replaces the current frame by a call of `callee` (a tail call): the
    /// arguments move down to the window's start.
    #[inline]
    fn replace_frame(&mut self, start: u16, argc: u16, callee: &'static Proto, env: &[Term]) {
        let base = self.running_base();
        let from = base + start as usize;
        if from != base {
            // Swapped down, not copied: the old parameters go up to where
            // the arguments were, dead registers that the next write drops,
            // so moving them costs no destructor here.
            for i in 0..argc as usize {
                self.regs.swap(base + i, from + i);
            }
        }
        let need = base + callee.nregs as usize;
        if self.regs.len() < need {
            self.regs.resize(need, Term::Nil);
        }
        let arity = callee.arity as usize;
        for (i, v) in env.iter().enumerate() {
            self.regs[base + arity + i] = v.clone();
        }
        if let Some(f) = self.frames.last_mut() {
            f.proto = callee;
            f.resume = Resume(callee.code.as_ptr());
        }
    }
}

fn global(proto: &'static Proto, name: u32, argc: u16) -> Result<&'static Proto, Exception> {
    let name_atom = proto.consts[name as usize].as_atom().unwrap_or(Atom::NIL);
    proto
        .module()
        .namespace
        .and_then(|ns| ns.get(name_atom, argc))
        .ok_or_else(|| {
            Exception::undef(&format!("{}/{}", name_atom.as_str(), argc))
                .with_hint(super::suggest::local_hint(proto, name_atom.as_str(), argc))
        })
}
