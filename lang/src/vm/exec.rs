//! The interpreter loop: runs a fiber's instructions until its budget is
//! spent, it waits in `receive`, or its bottom frame returns.
//!
//! The current frame's function, window base and pc live in locals; they are
//! written back to the frame stack only when control leaves the frame (call,
//! suspend, error). Every call — Snow, closure, late-bound or built-in —
//! costs one reduction.

use super::builtins::{self, BuiltinImpl, NativeCx};
use super::exception::Exception;
use super::fiber::{fun_parts, Fault, Fiber, Frame, Step};
use crate::bytecode::{Op, Proto, NO_REG};
use snow_runtime::cx::Cx;
use snow_runtime::{Atom, MapObj, Term};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a call's callee comes from, once resolved.
struct Callee<'e> {
    proto: &'static Proto,
    env: &'e [Term],
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

        macro_rules! r {
            ($x:expr) => {
                self.regs[base + $x as usize]
            };
        }
        macro_rules! fault {
            ($e:expr) => {{
                let exception = $e;
                if let Some(f) = self.frames.last_mut() {
                    f.pc = pc as u32;
                }
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
        // Saves the running frame's pc and switches to the top frame.
        macro_rules! enter_top {
            () => {{
                let f = *self.frames.last().unwrap_or_else(|| unreachable!());
                proto = f.proto;
                code = &proto.code;
                pc = f.pc as usize;
                base = f.base as usize;
            }};
        }
        macro_rules! spend {
            () => {{
                if reds == 0 {
                    // Re-run this call instruction when the process resumes.
                    if let Some(f) = self.frames.last_mut() {
                        f.pc = (pc - 1) as u32;
                    }
                    return Ok(Step::Yield);
                }
                reds -= 1;
            }};
        }

        loop {
            let op = code[pc];
            pc += 1;
            match op {
                Op::Const { dst, k } => r!(dst) = proto.consts[k as usize].clone(),
                Op::Int { dst, v } => r!(dst) = Term::Int(v as i64),
                Op::Nil { dst } => r!(dst) = Term::Nil,
                Op::Move { dst, src } => r!(dst) = r!(src).clone(),

                Op::Add { dst, a, b } => r!(dst) = tri!(arith_add(&r!(a), &r!(b))),
                Op::Sub { dst, a, b } => r!(dst) = tri!(arith_sub(&r!(a), &r!(b))),
                Op::Mul { dst, a, b } => r!(dst) = tri!(arith_mul(&r!(a), &r!(b))),
                Op::Div { dst, a, b } => r!(dst) = tri!(arith_div(&r!(a), &r!(b))),
                Op::AddImm { dst, a, imm } => {
                    r!(dst) = match &r!(a) {
                        Term::Int(i) => match i.checked_add(imm as i64) {
                            Some(v) => Term::Int(v),
                            None => fault!(Exception::badarith()),
                        },
                        Term::Float(f) => Term::Float(f + imm as f64),
                        _ => fault!(Exception::badarith()),
                    }
                }
                Op::Neg { dst, src } => {
                    r!(dst) = match &r!(src) {
                        Term::Int(i) => match i.checked_neg() {
                            Some(v) => Term::Int(v),
                            None => fault!(Exception::badarith()),
                        },
                        Term::Float(f) => Term::Float(-f),
                        _ => fault!(Exception::badarith()),
                    }
                }

                Op::Eq { dst, a, b } => r!(dst) = Term::bool(r!(a).loose_eq(&r!(b))),
                Op::Ne { dst, a, b } => r!(dst) = Term::bool(!r!(a).loose_eq(&r!(b))),
                Op::StrictEq { dst, a, b } => r!(dst) = Term::bool(r!(a).strict_eq(&r!(b))),
                Op::StrictNe { dst, a, b } => r!(dst) = Term::bool(!r!(a).strict_eq(&r!(b))),
                Op::Lt { dst, a, b } => r!(dst) = Term::bool(less(&r!(a), &r!(b))),
                Op::Le { dst, a, b } => r!(dst) = Term::bool(!less(&r!(b), &r!(a))),
                Op::Gt { dst, a, b } => r!(dst) = Term::bool(less(&r!(b), &r!(a))),
                Op::Ge { dst, a, b } => r!(dst) = Term::bool(!less(&r!(a), &r!(b))),
                Op::Not { dst, src } => {
                    r!(dst) = match r!(src).as_atom() {
                        Some(Atom::TRUE) => Term::FALSE,
                        Some(Atom::FALSE) => Term::TRUE,
                        _ => fault!(Exception::badarg()),
                    }
                }
                Op::Bang { dst, src } => r!(dst) = Term::bool(!r!(src).is_truthy()),
                Op::CheckBool { src } => {
                    if !matches!(r!(src).as_atom(), Some(Atom::TRUE | Atom::FALSE)) {
                        fault!(Exception::badarg())
                    }
                }
                Op::Concat { dst, a, b } => {
                    r!(dst) = match (&r!(a), &r!(b)) {
                        (Term::Str(x), Term::Str(y)) => {
                            let mut s = String::with_capacity(x.len() + y.len());
                            s.push_str(x);
                            s.push_str(y);
                            Term::Str(Arc::from(s))
                        }
                        _ => fault!(Exception::badarg()),
                    }
                }
                Op::ListConcat { dst, a, b } => r!(dst) = tri!(list_concat(&r!(a), &r!(b))),
                Op::Interpolate { dst, start, n } => {
                    let mut s = String::new();
                    for i in 0..n {
                        match &r!(start + i) {
                            Term::Str(t) => s.push_str(t),
                            other => s.push_str(&snow_runtime::inspect::inspect(other)),
                        }
                    }
                    r!(dst) = Term::Str(Arc::from(s));
                }

                Op::Jump { target } => {
                    if (target as usize) < pc {
                        // a backward jump is a loop iteration (`for`)
                        spend!();
                    }
                    pc = target as usize;
                }
                Op::JumpIfFalsy { cond, target } => {
                    if !r!(cond).is_truthy() {
                        pc = target as usize;
                    }
                }
                Op::JumpUnlessTrue { cond, target } => {
                    if r!(cond).as_atom() != Some(Atom::TRUE) {
                        pc = target as usize;
                    }
                }
                Op::JumpIfFalse { cond, target } => {
                    if r!(cond).as_atom() == Some(Atom::FALSE) {
                        pc = target as usize;
                    }
                }
                Op::JumpIfTrue { cond, target } => {
                    if r!(cond).as_atom() == Some(Atom::TRUE) {
                        pc = target as usize;
                    }
                }

                Op::TestConst { src, k, fail } => {
                    if !r!(src).strict_eq(&proto.consts[k as usize]) {
                        pc = fail as usize;
                    }
                }
                Op::TestInt { src, v, fail } => {
                    if !matches!(r!(src), Term::Int(i) if i == v as i64) {
                        pc = fail as usize;
                    }
                }
                Op::TestSame { a, b, fail } => {
                    if !r!(a).strict_eq(&r!(b)) {
                        pc = fail as usize;
                    }
                }
                Op::TestTuple { src, n, fail } => {
                    if !matches!(&r!(src), Term::Tuple(t) if t.len() == n as usize) {
                        pc = fail as usize;
                    }
                }
                Op::TestCons { src, fail } => {
                    if !matches!(r!(src), Term::Cons(_)) {
                        pc = fail as usize;
                    }
                }
                Op::TestNil { src, fail } => {
                    if !matches!(r!(src), Term::Nil) {
                        pc = fail as usize;
                    }
                }
                Op::TestMap { src, fail } => {
                    if !matches!(r!(src), Term::Map(_)) {
                        pc = fail as usize;
                    }
                }
                Op::GetElem { dst, src, i } => {
                    let v = match &r!(src) {
                        Term::Tuple(t) => t.get(i as usize).cloned(),
                        _ => None,
                    };
                    r!(dst) = v.unwrap_or(Term::Nil);
                }
                Op::GetHead { dst, src } => {
                    let v = match &r!(src) {
                        Term::Cons(c) => c.head.clone(),
                        _ => Term::Nil,
                    };
                    r!(dst) = v;
                }
                Op::GetTail { dst, src } => {
                    let v = match &r!(src) {
                        Term::Cons(c) => c.tail.clone(),
                        _ => Term::Nil,
                    };
                    r!(dst) = v;
                }
                Op::GetMapValue { dst, map, key, fail } => {
                    let v = match &r!(map) {
                        Term::Map(m) => m.get(&r!(key)).cloned(),
                        _ => None,
                    };
                    match v {
                        Some(v) => r!(dst) = v,
                        None => pc = fail as usize,
                    }
                }

                Op::Tuple { dst, start, n } => {
                    let s = base + start as usize;
                    r!(dst) = Term::Tuple(Arc::from(&self.regs[s..s + n as usize]));
                }
                Op::List { dst, start, n, tail } => {
                    let mut acc = if tail == NO_REG { Term::Nil } else { r!(tail).clone() };
                    for i in (0..n).rev() {
                        acc = Term::cons(r!(start + i).clone(), acc);
                    }
                    r!(dst) = acc;
                }
                Op::Map { dst, start, n } => {
                    let mut m = MapObj::new();
                    for i in 0..n {
                        m.insert(r!(start + 2 * i).clone(), r!(start + 2 * i + 1).clone());
                    }
                    r!(dst) = Term::map(m);
                }
                Op::MapUpdate { dst, src, start, n } => {
                    let mut m = match &r!(src) {
                        Term::Map(m) => MapObj::clone(m),
                        _ => fault!(Exception::badarg()),
                    };
                    for i in 0..n {
                        m.insert(r!(start + 2 * i).clone(), r!(start + 2 * i + 1).clone());
                    }
                    r!(dst) = Term::map(m);
                }
                Op::Closure { dst, proto: idx, start, n } => {
                    let target = &proto.module().protos[idx as usize];
                    let s = base + start as usize;
                    let env: Box<[Term]> = self.regs[s..s + n as usize].into();
                    r!(dst) = make_fun(target, env);
                }
                Op::GlobalFun { dst, name, arity } => {
                    let name_atom = proto.consts[name as usize].as_atom().unwrap_or(Atom::NIL);
                    match proto.module().namespace.and_then(|ns| ns.get(name_atom, arity)) {
                        Some(target) => r!(dst) = make_fun(target, Box::new([])),
                        None => fault!(Exception::undef(&format!("{}/{}", name_atom.as_str(), arity))),
                    }
                }

                Op::Call { dst, proto: idx, start, argc: _ } => {
                    spend!();
                    let callee = &proto.module().protos[idx as usize];
                    self.push_frame(pc, base, start, dst, Callee { proto: callee, env: &[] });
                    enter_top!();
                }
                Op::TailCall { proto: idx, start, argc } => {
                    spend!();
                    let callee = &proto.module().protos[idx as usize];
                    self.replace_frame(base, start, argc, Callee { proto: callee, env: &[] });
                    enter_top!();
                }
                Op::CallFun { dst, fun, start, argc } => {
                    spend!();
                    let f = r!(fun).clone();
                    let callee = match fun_parts(&f, argc as usize) {
                        Ok((p, env)) => Callee { proto: p, env },
                        Err(e) => fault!(e),
                    };
                    self.push_frame(pc, base, start, dst, callee);
                    enter_top!();
                }
                Op::TailCallFun { fun, start, argc } => {
                    spend!();
                    let f = r!(fun).clone();
                    let callee = match fun_parts(&f, argc as usize) {
                        Ok((p, env)) => Callee { proto: p, env },
                        Err(e) => fault!(e),
                    };
                    self.replace_frame(base, start, argc, callee);
                    enter_top!();
                }
                Op::CallGlobal { dst, name, start, argc } => {
                    spend!();
                    let callee = tri!(global(proto, name, argc));
                    self.push_frame(pc, base, start, dst, Callee { proto: callee, env: &[] });
                    enter_top!();
                }
                Op::TailCallGlobal { name, start, argc } => {
                    spend!();
                    let callee = tri!(global(proto, name, argc));
                    self.replace_frame(base, start, argc, Callee { proto: callee, env: &[] });
                    enter_top!();
                }
                Op::CallBuiltin { dst, id, start, argc } => {
                    spend!();
                    let Some(b) = builtins::installed().get(id) else {
                        fault!(Exception::undef(&format!("builtin #{id}")))
                    };
                    match b.imp {
                        BuiltinImpl::Native(f) => {
                            let s = base + start as usize;
                            let mut ncx = NativeCx { cx, on_exit: &mut self.on_exit, yield_now: false };
                            let result = f(&mut ncx, &self.regs[s..s + argc as usize]);
                            let yield_now = ncx.yield_now;
                            r!(dst) = tri!(result);
                            if yield_now {
                                if let Some(f) = self.frames.last_mut() {
                                    f.pc = pc as u32;
                                }
                                return Ok(Step::Yield);
                            }
                        }
                        BuiltinImpl::Snow(callee) => {
                            self.push_frame(pc, base, start, dst, Callee { proto: callee, env: &[] });
                            enter_top!();
                        }
                    }
                }
                Op::CallRemote { k, argc, .. } => {
                    spend!();
                    let (m, f) = match &proto.consts[k as usize] {
                        Term::Tuple(t) if t.len() == 2 => (t[0].clone(), t[1].clone()),
                        _ => (Term::Nil, Term::Nil),
                    };
                    let (m, f) = (snow_runtime::inspect::display(&m), snow_runtime::inspect::display(&f));
                    fault!(Exception::undef(&format!("{m}.{f}/{argc}")))
                }
                Op::Return { src } => {
                    let v = std::mem::replace(&mut r!(src), Term::Nil);
                    let done = self.frames.pop().unwrap_or_else(|| unreachable!());
                    let Some(caller) = self.frames.last() else {
                        self.regs.clear();
                        return Ok(Step::Done(v));
                    };
                    let caller_end = caller.base as usize + caller.proto.nregs as usize;
                    self.regs.truncate(caller_end);
                    self.regs[caller.base as usize + done.dst as usize] = v;
                    enter_top!();
                }

                Op::RecvStart => {
                    self.recv_scan = 0;
                    self.recv_deadline = None;
                }
                Op::RecvPeek { dst, none } => match cx.mailbox().get(self.recv_scan) {
                    Some(m) => r!(dst) = m.clone(),
                    None => pc = none as usize,
                },
                Op::RecvTake => {
                    cx.mailbox().remove(self.recv_scan);
                    self.recv_scan = 0;
                    self.recv_deadline = None;
                }
                Op::RecvNext { target } => {
                    self.recv_scan += 1;
                    pc = target as usize;
                }
                Op::RecvWait { timeout, retry, after } => {
                    let deadline = match self.recv_deadline {
                        Some(d) => d,
                        None => {
                            let d = if timeout == NO_REG { None } else { tri!(deadline_after(&r!(timeout))) };
                            self.recv_deadline = Some(d);
                            d
                        }
                    };
                    if let Some(d) = deadline {
                        if Instant::now() >= d {
                            self.recv_deadline = None;
                            self.recv_scan = 0;
                            pc = after as usize;
                            continue;
                        }
                    }
                    if let Some(f) = self.frames.last_mut() {
                        f.pc = retry;
                    }
                    return Ok(Step::Wait(deadline));
                }

                Op::Badmatch { src } => fault!(Exception::tagged(Atom::BADMATCH, r!(src).clone())),
                Op::CaseClause { src } => fault!(Exception::tagged(Atom::CASE_CLAUSE, r!(src).clone())),
                Op::FunctionClause => fault!(Exception::error(Term::Atom(Atom::FUNCTION_CLAUSE))),
                Op::CondClause => fault!(Exception::error(Term::Atom(Atom::COND_CLAUSE))),
            }
        }
    }

    /// Pushes a frame for `callee` whose window starts at the caller's
    /// register `start`, where the arguments already are.
    #[inline]
    fn push_frame(&mut self, pc: usize, base: usize, start: u16, dst: u16, callee: Callee<'_>) {
        if let Some(f) = self.frames.last_mut() {
            f.pc = pc as u32;
        }
        let new_base = base + start as usize;
        let need = new_base + callee.proto.nregs as usize;
        if self.regs.len() < need {
            self.regs.resize(need, Term::Nil);
        }
        let arity = callee.proto.arity as usize;
        for (i, v) in callee.env.iter().enumerate() {
            self.regs[new_base + arity + i] = v.clone();
        }
        self.frames.push(Frame { proto: callee.proto, pc: 0, base: new_base as u32, dst });
    }

    /// Replaces the current frame by a call of `callee` (a tail call): the
    /// arguments move down to the window's start and the rest is dropped.
    #[inline]
    fn replace_frame(&mut self, base: usize, start: u16, argc: u16, callee: Callee<'_>) {
        let from = base + start as usize;
        for i in 0..argc as usize {
            let v = std::mem::replace(&mut self.regs[from + i], Term::Nil);
            self.regs[base + i] = v;
        }
        let need = base + callee.proto.nregs as usize;
        self.regs.truncate(need.max(base + argc as usize));
        self.regs.resize(need, Term::Nil);
        let arity = callee.proto.arity as usize;
        for (i, v) in callee.env.iter().enumerate() {
            self.regs[base + arity + i] = v.clone();
        }
        if let Some(f) = self.frames.last_mut() {
            f.proto = callee.proto;
            f.pc = 0;
        }
    }
}

fn make_fun(target: &'static Proto, env: Box<[Term]>) -> Term {
    Term::Fun(Arc::new(snow_runtime::Fun { code: target.fun_code(), env }))
}

fn global(proto: &'static Proto, name: u32, argc: u16) -> Result<&'static Proto, Exception> {
    let name_atom = proto.consts[name as usize].as_atom().unwrap_or(Atom::NIL);
    proto
        .module()
        .namespace
        .and_then(|ns| ns.get(name_atom, argc))
        .ok_or_else(|| Exception::undef(&format!("{}/{}", name_atom.as_str(), argc)))
}

fn deadline_after(timeout: &Term) -> Result<Option<Instant>, Exception> {
    match timeout {
        Term::Int(ms) if *ms >= 0 => Ok(Some(Instant::now() + Duration::from_millis(*ms as u64))),
        Term::Atom(a) if a.as_str() == "infinity" => Ok(None),
        _ => Err(Exception::tagged(Atom::new("timeout_value"), timeout.clone())),
    }
}

#[inline]
fn less(a: &Term, b: &Term) -> bool {
    match (a, b) {
        (Term::Int(x), Term::Int(y)) => x < y,
        _ => a.loose_cmp(b) == std::cmp::Ordering::Less,
    }
}

macro_rules! int_float_op {
    ($name:ident, $checked:ident, $fop:tt) => {
        #[inline]
        pub(crate) fn $name(a: &Term, b: &Term) -> Result<Term, Exception> {
            match (a, b) {
                (Term::Int(x), Term::Int(y)) => x.$checked(*y).map(Term::Int).ok_or_else(Exception::badarith),
                (Term::Float(x), Term::Float(y)) => finite(x $fop y),
                (Term::Int(x), Term::Float(y)) => finite(*x as f64 $fop y),
                (Term::Float(x), Term::Int(y)) => finite(x $fop *y as f64),
                _ => Err(Exception::badarith()),
            }
        }
    };
}
int_float_op!(arith_add, checked_add, +);
int_float_op!(arith_sub, checked_sub, -);
int_float_op!(arith_mul, checked_mul, *);

pub(crate) fn arith_div(a: &Term, b: &Term) -> Result<Term, Exception> {
    let x = as_float(a)?;
    let y = as_float(b)?;
    if y == 0.0 {
        return Err(Exception::badarith());
    }
    finite(x / y)
}

fn as_float(t: &Term) -> Result<f64, Exception> {
    match t {
        Term::Int(i) => Ok(*i as f64),
        Term::Float(f) => Ok(*f),
        _ => Err(Exception::badarith()),
    }
}

/// Floats that overflow to infinity are an arithmetic error, as in Erlang.
fn finite(f: f64) -> Result<Term, Exception> {
    if f.is_finite() { Ok(Term::Float(f)) } else { Err(Exception::badarith()) }
}

fn list_concat(a: &Term, b: &Term) -> Result<Term, Exception> {
    let items = a.list_to_vec().ok_or_else(Exception::badarg)?;
    if items.is_empty() {
        return Ok(b.clone());
    }
    Ok(Term::list_with_tail(items, b.clone()))
}
