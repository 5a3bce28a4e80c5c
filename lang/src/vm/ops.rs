//! The instructions that are not on the hot path of calls and arithmetic:
//! building values, built-in calls, receive, errors. Kept out of the main
//! loop so that the loop's state stays in machine registers.

use super::builtins::{self, BuiltinImpl, NativeCx};
use super::exception::Exception;
use super::fiber::{Fiber, GuardHandler, Step, MAX_GUARDS};
use crate::bytecode::{Cmp, Label, Op, Proto, NO_REG};
use snow_runtime::cx::Cx;
use snow_runtime::{Atom, MapObj, Term};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the main loop does after a cold instruction.
pub(crate) enum Flow {
    /// Go on with the next instruction.
    Next,
    /// Continue at this pc.
    Jump(usize),
    /// The frame stack changed: reload the top frame.
    Enter,
    /// Leave the loop with this step (the frame's pc is saved).
    Leave(Step),
    Raise(Exception),
}


/// The deepest stack whose dead registers a suspending `receive` trims.
const TRIM_DEPTH: usize = 32;

impl Fiber {
    /// Runs cold instruction `op` of `proto`; `pc` is the next instruction.
    #[inline(never)]
    pub(crate) fn cold(&mut self, op: Op, cx: &mut Cx<'_>, proto: &'static Proto, base: usize, pc: usize) -> Flow {
        macro_rules! r {
            ($x:expr) => {
                self.regs[base + $x as usize]
            };
        }
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => return Flow::Raise(e),
                }
            };
        }
        match op {
            Op::Div { dst, a, b } => r!(dst) = tri!(arith_div(&r!(a), &r!(b))),
            Op::Neg { dst, src } => {
                r!(dst) = match &r!(src) {
                    Term::Int(i) => tri!(i.checked_neg().map(Term::Int).ok_or_else(Exception::badarith)),
                    Term::Float(f) => Term::Float(-f),
                    _ => return Flow::Raise(Exception::badarith()),
                }
            }
            Op::Not { dst, src } => {
                r!(dst) = match r!(src).as_atom() {
                    Some(Atom::TRUE) => Term::FALSE,
                    Some(Atom::FALSE) => Term::TRUE,
                    _ => return Flow::Raise(Exception::badarg()),
                }
            }
            Op::Bang { dst, src } => r!(dst) = Term::bool(!r!(src).is_truthy()),
            Op::Concat { dst, a, b } => {
                r!(dst) = match (&r!(a), &r!(b)) {
                    (Term::Str(x), Term::Str(y)) => {
                        let mut s = String::with_capacity(x.len() + y.len());
                        s.push_str(x);
                        s.push_str(y);
                        Term::Str(Arc::from(s))
                    }
                    _ => return Flow::Raise(Exception::badarg()),
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
            Op::GetMapValue { dst, map, key, fail } => {
                let v = match &r!(map) {
                    Term::Map(m) => m.get(&r!(key)).cloned(),
                    _ => None,
                };
                match v {
                    Some(v) => r!(dst) = v,
                    None => return Flow::Jump(fail as usize),
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
                    _ => return Flow::Raise(Exception::badarg()),
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
                    None => {
                        let hint = super::suggest::local_hint(proto, name_atom.as_str(), arity);
                        return Flow::Raise(Exception::undef(&format!("{}/{}", name_atom.as_str(), arity)).with_hint(hint));
                    }
                }
            }
            Op::CallBuiltin { dst, id, start, argc } => {
                let Some(b) = builtins::installed().get(id) else {
                    return Flow::Raise(Exception::undef(&format!("builtin #{id}")));
                };
                // Compiled code always passes a built-in's arity; code from
                // elsewhere must not make a native index past its arguments.
                if !b.arity.accepts(argc as usize) {
                    return Flow::Raise(Exception::undef(&format!("{}.{}/{argc}", b.module, b.name)));
                }
                match b.imp {
                    BuiltinImpl::Native(f) => {
                        let s = base + start as usize;
                        let mut ncx = NativeCx { cx, on_exit: &mut self.on_exit, yield_now: false };
                        let result = f(&mut ncx, &self.regs[s..s + argc as usize]);
                        let yield_now = ncx.yield_now;
                        r!(dst) = tri!(result);
                        if yield_now {
                            self.save_pc(pc);
                            return Flow::Leave(Step::Yield);
                        }
                    }
                    BuiltinImpl::Snow(callee) => {
                        self.push_call(proto.code.as_ptr().wrapping_add(pc), start, dst, callee);
                        return Flow::Enter;
                    }
                    BuiltinImpl::Lazy(l) => match l.proto() {
                        Ok(callee) => {
                            self.push_call(proto.code.as_ptr().wrapping_add(pc), start, dst, callee);
                            return Flow::Enter;
                        }
                        Err(why) => {
                            let what = format!("{}.{}/{argc}", b.module, b.name);
                            return Flow::Raise(Exception::undef(&what).with_hint(Some(format!("the library failed to load: {why}"))));
                        }
                    },
                }
            }
            Op::CallRemote { dst, k, start, argc } => {
                let (m, f) = match &proto.consts[k as usize] {
                    Term::Tuple(t) if t.len() == 2 => (t[0].clone(), t[1].clone()),
                    _ => (Term::Nil, Term::Nil),
                };
                // A module defined after this code was compiled (at the
                // prompt), or known to the program only: found now.
                if let Some(callee) = remote_target(proto, &m, &f, argc) {
                    self.push_call(proto.code.as_ptr().wrapping_add(pc), start, dst, callee);
                    return Flow::Enter;
                }
                let name = |t: &Term| t.as_atom().map_or_else(|| snow_runtime::inspect::display(t), |a| a.as_str().to_string());
                let (m, f) = (name(&m), name(&f));
                let hint = super::suggest::remote_hint(&m, &f, argc);
                return Flow::Raise(Exception::undef(&format!("{m}.{f}/{argc}")).with_hint(hint));
            }
            Op::RecvWait { timeout, retry, after } => {
                let deadline = match self.recv_deadline {
                    Some(d) => d,
                    None => {
                        let d = if timeout == NO_REG { None } else { tri!(deadline_after(&r!(timeout), cx.runtime().now())) };
                        self.recv_deadline = Some(d);
                        d
                    }
                };
                if let Some(d) = deadline {
                    if cx.runtime().now() >= d {
                        if cx.signals_pending() {
                            // Messages came during this slice (one sent
                            // to itself, say): look at them before giving up.
                            self.save_pc(retry as usize);
                            return Flow::Leave(Step::Yield);
                        }
                        self.recv_deadline = None;
                        self.recv_scan = 0;
                        return Flow::Jump(after as usize);
                    }
                }
                return Flow::Leave(self.wait(retry, deadline));
            }
            Op::GuardEnter { fail } => {
                // Handlers of frames that returned are stale: drop them.
                let depth = self.frames.len() as u32 - 1;
                self.guards.retain(|h| h.frame < depth);
                if self.guards.len() >= MAX_GUARDS {
                    return Flow::Raise(Exception::error(Term::Atom(Atom::SYSTEM_LIMIT)));
                }
                self.guards.push(GuardHandler { frame: depth, proto, fail });
            }
            Op::GuardLeave => {
                self.guards.pop();
            }
            Op::Badmatch { src } => return Flow::Raise(Exception::tagged(Atom::BADMATCH, r!(src).clone())),
            Op::CaseClause { src } => return Flow::Raise(Exception::tagged(Atom::CASE_CLAUSE, r!(src).clone())),
            Op::FunctionClause => return Flow::Raise(Exception::error(Term::Atom(Atom::FUNCTION_CLAUSE))),
            Op::CondClause => return Flow::Raise(Exception::error(Term::Atom(Atom::COND_CLAUSE))),
            // The hot instructions never reach here (see exec.rs).
            other => return Flow::Raise(Exception::error(Term::str(&format!("internal: misrouted {other:?}")))),
        }
        Flow::Next
    }

    /// Ends the slice in a `receive` that found nothing: resumed at
    /// `retry` (the scan again) when a message comes, or at `deadline`.
    #[inline(always)]
    pub(crate) fn wait(&mut self, retry: Label, deadline: Option<Instant>) -> Step {
        self.save_pc(retry as usize);
        // A waiting process holds no dead values: the stack keeps
        // what some frame's window reaches (a callee's window may
        // end below its caller's). A walk of the frames, so only
        // when they are few (a waiting loop is shallow): a deep
        // recursion that waits at every level (`[x | gather(n - 1)]`
        // around a `receive`) must not walk them all each time.
        if self.frames.len() <= TRIM_DEPTH {
            let live = match self.frames.as_slice() {
                [only] => only.window_end(), // a process's loop: no walk
                frames => frames.iter().map(|f| f.window_end()).max().unwrap_or(0),
            };
            // Only when something is above: `truncate` to the length itself
            // still calls the slice destructor (the ring paid it each hop).
            if live < self.regs.len() {
                self.regs.truncate(live);
            }
        }
        Step::Wait(deadline)
    }

    pub(crate) fn save_pc(&mut self, pc: usize) {
        if let Some(f) = self.frames.last_mut() {
            f.set_pc(pc);
        }
    }
}

/// `m.f/argc` among the functions of the caller's session (the prompt's
/// namespace), then among every module the program defined.
fn remote_target(proto: &'static Proto, m: &Term, f: &Term, argc: u16) -> Option<&'static Proto> {
    let (m, f) = (m.as_atom()?, f.as_atom()?);
    let full = Atom::new(&format!("{}.{}", m.as_str(), f.as_str()));
    proto.module().namespace.and_then(|ns| ns.get(full, argc)).or_else(|| super::modules::get(m, f, argc))
}

pub(crate) fn make_fun(target: &'static Proto, env: Box<[Term]>) -> Term {
    Term::Fun(Arc::new(snow_runtime::Fun { code: target.fun_code(), env }))
}

/// `now` is the runtime's clock (virtual in a simulation).
fn deadline_after(timeout: &Term, now: Instant) -> Result<Option<Instant>, Exception> {
    match timeout {
        Term::Int(ms) if *ms >= 0 => Ok(Some(now + Duration::from_millis(*ms as u64))),
        Term::Atom(a) if a.as_str() == "infinity" => Ok(None),
        _ => Err(Exception::tagged(Atom::new("timeout_value"), timeout.clone())),
    }
}

/// Compares two integers without a branch per comparison kind: the
/// comparison is the set of orderings it accepts, as a bit mask indexed by
/// the ordering (less 1, equal 2, greater 4), so the interpreter's compare-
/// and-branch instructions need no second jump table.
#[inline]
pub(crate) fn cmp_ints(cmp: Cmp, x: i64, y: i64) -> bool {
    let accepted: u8 = match cmp {
        Cmp::Lt => 0b001,
        Cmp::Le => 0b011,
        Cmp::Gt => 0b100,
        Cmp::Ge => 0b110,
        Cmp::Eq | Cmp::StrictEq => 0b010,
        Cmp::Ne | Cmp::StrictNe => 0b101,
    };
    let ordering = (x >= y) as u8 + (x > y) as u8; // 0, 1 or 2
    accepted >> ordering & 1 != 0
}

#[inline]
pub(crate) fn compare(cmp: Cmp, a: &Term, b: &Term) -> bool {
    if let (Term::Int(x), Term::Int(y)) = (a, b) {
        return cmp_ints(cmp, *x, *y);
    }
    let less = |p: &Term, q: &Term| p.loose_cmp(q) == std::cmp::Ordering::Less;
    match cmp {
        Cmp::Lt => less(a, b),
        Cmp::Le => !less(b, a),
        Cmp::Gt => less(b, a),
        Cmp::Ge => !less(a, b),
        Cmp::Eq => a.loose_eq(b),
        Cmp::Ne => !a.loose_eq(b),
        Cmp::StrictEq => a.strict_eq(b),
        Cmp::StrictNe => !a.strict_eq(b),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_comparisons_agree_with_rust() {
        let cmps = [Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge, Cmp::Eq, Cmp::Ne, Cmp::StrictEq, Cmp::StrictNe];
        let values = [i64::MIN, -2, -1, 0, 1, 2, i64::MAX];
        for cmp in cmps {
            for x in values {
                for y in values {
                    let expected = match cmp {
                        Cmp::Lt => x < y,
                        Cmp::Le => x <= y,
                        Cmp::Gt => x > y,
                        Cmp::Ge => x >= y,
                        Cmp::Eq | Cmp::StrictEq => x == y,
                        Cmp::Ne | Cmp::StrictNe => x != y,
                    };
                    assert_eq!(cmp_ints(cmp, x, y), expected, "{x} {cmp:?} {y}");
                }
            }
        }
    }
}
