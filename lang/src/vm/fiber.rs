//! A process's execution state and its life: main function, then the
//! `on_exit` callbacks, then the end.

use super::exception::Exception;
use crate::bytecode::{Module, Op, Proto, ProtoRef};
use snow_runtime::cx::Cx;
use snow_runtime::{Atom, Behaviour, Slice, Term, REDUCTIONS_PER_SLICE};
use std::time::Instant;

/// One activation: which function, where in it, and where its window starts.
#[derive(Clone, Copy)]
// `repr(C)`: native code (`jit`) pushes and pops frames itself.
#[repr(C)]
pub(crate) struct Frame {
    pub proto: &'static Proto,
    /// The next instruction to run when this frame resumes (a pointer, not
    /// an index: a call stores it and a return jumps to it as it is).
    pub resume: Resume,
    /// Index of the window's first register in the register stack.
    pub base: u32,
    /// The caller's register (relative to the caller's window) that receives
    /// the result.
    pub dst: u16,
}

/// A position in a function's code.
#[derive(Clone, Copy)]
pub(crate) struct Resume(pub *const Op);

// SAFETY: a `Resume` points into the code of a loaded function, which is
// never changed or freed (`&'static Proto`): any thread may hold it.
unsafe impl Send for Resume {}
// SAFETY: as above; it is only ever read.
unsafe impl Sync for Resume {}

impl Frame {
    /// A frame of `proto` that will resume at instruction `pc`.
    pub(crate) fn at(proto: &'static Proto, pc: usize, base: u32, dst: u16) -> Frame {
        // `wrapping_add`: computing the pointer is always defined; only a
        // verified pc is ever run from.
        Frame { proto, resume: Resume(proto.code.as_ptr().wrapping_add(pc)), base, dst }
    }

    /// The index of the instruction this frame resumes at.
    pub(crate) fn pc(&self) -> usize {
        (self.resume.0 as usize).wrapping_sub(self.proto.code.as_ptr() as usize) / std::mem::size_of::<Op>()
    }

    pub(crate) fn set_pc(&mut self, pc: usize) {
        self.resume = Resume(self.proto.code.as_ptr().wrapping_add(pc));
    }

    /// One past the last register of this frame's window.
    pub(crate) fn window_end(&self) -> usize {
        self.base as usize + self.proto.nregs as usize
    }
}

/// An active guard: an error raised while it runs (in its frame or in a
/// function it calls) makes the clause fail instead of the process.
#[derive(Clone, Copy)]
pub(crate) struct GuardHandler {
    /// The index of the guard's frame in `frames`.
    pub frame: u32,
    /// That frame's function when the guard started: a handler is used only
    /// while the frame still runs it (`fail` is a label of its code).
    pub proto: &'static Proto,
    pub fail: u32,
}

/// Guards active at once (a guard calling a function whose clauses have
/// guards, recursively) before `system_limit`.
pub(crate) const MAX_GUARDS: usize = 100_000;

/// Where an exception was raised. (`proto` is only a place to report:
/// nothing runs from a `Fault`.)
#[derive(Clone)]
pub struct Fault {
    pub exception: Exception,
    pub proto: &'static Proto,
    pub pc: usize,
}

/// How a fiber's main function ended.
pub enum Outcome {
    Returned(Term),
    Raised(Fault),
}

/// Called once when the main function ends, before `on_exit` callbacks run
/// (the script runner and the REPL use it to get results and errors).
pub type FinishHook = Box<dyn FnOnce(&Outcome) + Send>;

pub(crate) enum Step {
    Yield,
    Wait(Option<Instant>),
    Done(Term),
}

enum Phase {
    Main,
    /// Running `on_exit` callbacks; the process then ends with `reason`.
    Exiting { reason: Term },
}

pub struct Fiber {
    pub(crate) regs: Vec<Term>,
    pub(crate) frames: Vec<Frame>,
    /// Index of the next mailbox message `receive` will look at.
    pub(crate) recv_scan: usize,
    /// `None`: not yet computed for this receive; `Some(None)`: no timeout.
    pub(crate) recv_deadline: Option<Option<Instant>>,
    pub(crate) on_exit: Vec<Term>,
    /// Guards running, innermost last.
    pub(crate) guards: Vec<GuardHandler>,
    phase: Phase,
    finish: Option<FinishHook>,
}

impl Fiber {
    /// A fiber that will run the top level (function 0) of `module` on
    /// `args` (a REPL entry's bindings; nothing for a script).
    ///
    /// A `&'static Module` is what `Module::load` returns, once the verifier
    /// has accepted the code, and nothing else makes one: the unchecked
    /// interpreter only ever starts on verified code.
    pub fn new(module: &'static Module, args: Vec<Term>) -> Fiber {
        let mut f = Fiber::empty();
        f.push_entry(module.entry(), args, &[]);
        f
    }

    /// A fiber that will call the function value `fun` with `args`.
    pub fn for_fun(fun: &Term, args: Vec<Term>) -> Result<Fiber, Exception> {
        let mut f = Fiber::empty();
        f.push_fun_entry(fun, args)?;
        Ok(f)
    }

    fn empty() -> Fiber {
        Fiber {
            regs: Vec::new(),
            frames: Vec::new(),
            recv_scan: 0,
            recv_deadline: None,
            on_exit: Vec::new(),
            guards: Vec::new(),
            phase: Phase::Main,
            finish: None,
        }
    }

    /// The fault of `exception` raised before instruction `pc` of `proto`,
    /// located where the user's code is: an error inside the library (a
    /// bad argument to `Enum.map`, a node that cannot be reached) is shown
    /// at the user's call of it.
    #[cold]
    pub(crate) fn fault_at(&self, exception: Exception, proto: &'static Proto, pc: usize) -> Fault {
        if proto.module().is_library() {
            // Frames below the top stopped just after their call instruction.
            let caller = self.frames.iter().rev().skip(1).find(|f| !f.proto.module().is_library());
            if let Some(f) = caller {
                return Fault { exception, proto: f.proto, pc: f.pc().saturating_sub(1) };
            }
        }
        Fault { exception, proto, pc: pc.saturating_sub(1) }
    }

    /// An error raised inside a running guard fails that guard: the frames
    /// above the guard's are dropped and its frame goes on at the guard's
    /// `fail` label. `false` when no guard is running (the error stands).
    #[cold]
    pub(crate) fn fail_guard(&mut self) -> bool {
        while let Some(h) = self.guards.pop() {
            let frame = h.frame as usize;
            match self.frames.get(frame) {
                Some(f) if std::ptr::eq(f.proto, h.proto) => {
                    self.frames.truncate(frame + 1);
                    self.save_pc(h.fail as usize);
                    return true;
                }
                // A handler whose frame returned or was replaced: stale.
                _ => continue,
            }
        }
        false
    }

    pub fn on_finish(mut self, hook: FinishHook) -> Fiber {
        self.finish = Some(hook);
        self
    }

    /// Puts a call of a function value at the bottom of the (empty) stack.
    fn push_fun_entry(&mut self, fun: &Term, args: Vec<Term>) -> Result<(), Exception> {
        let (proto, env) = fun_parts(fun, args.len())?;
        self.push_entry(proto, args, env);
        Ok(())
    }

    fn push_entry(&mut self, proto: &'static Proto, args: Vec<Term>, env: &[Term]) {
        self.regs.clear();
        self.frames.clear();
        self.regs.reserve_exact(proto.nregs as usize);
        self.regs.extend(args);
        self.regs.extend(env.iter().cloned());
        self.regs.resize(proto.nregs as usize, Term::Nil);
        // One frame's room, not the four a first push makes: an idle
        // process is often one frame deep (a loop in `receive`).
        self.frames.reserve_exact(1);
        self.frames.push(Frame::at(proto, 0, 0, 0));
        self.guards.clear();
        self.recv_scan = 0;
        self.recv_deadline = None;
    }

    /// Starts the next `on_exit` callback, if any is left.
    fn next_callback(&mut self, reason: &Term) -> bool {
        while !self.on_exit.is_empty() {
            let cb = self.on_exit.remove(0);
            if self.push_fun_entry(&cb, vec![reason.clone()]).is_ok() {
                return true;
            }
        }
        self.regs = Vec::new();
        self.frames = Vec::new();
        false
    }

    fn end_main(&mut self, outcome: Outcome, cx: &mut Cx<'_>) -> Term {
        let reason = match &outcome {
            Outcome::Returned(_) => Term::Atom(Atom::NORMAL),
            Outcome::Raised(f) => f.exception.exit_reason(),
        };
        if let Outcome::Raised(fault) = &outcome {
            if fault.exception.kind == super::exception::ExcKind::Error && cx.runtime().tracer().is_on() {
                cx.runtime().trace_crash(cx.pid(), &reason, &super::report::fault_place(fault));
            }
        }
        match self.finish.take() {
            Some(hook) => hook(&outcome),
            None => {
                if let Outcome::Raised(fault) = &outcome {
                    super::report::crash_report(cx, fault);
                }
            }
        }
        reason
    }
}

/// `Ok` when `fun` is a Snow function taking `argc` arguments; otherwise
/// the `badfun` / `badarity` its call would raise.
pub fn callable_with(fun: &Term, argc: usize) -> Result<(), Exception> {
    fun_parts(fun, argc).map(|_| ())
}

/// The code and captured values of a function value callable with `argc`
/// arguments.
pub(crate) fn fun_parts(fun: &Term, argc: usize) -> Result<(&'static Proto, &[Term]), Exception> {
    let Term::Fun(f) = fun else {
        return Err(Exception::tagged(Atom::BADFUN, fun.clone()));
    };
    let Some(code) = f.code.as_any().downcast_ref::<ProtoRef>() else {
        return Err(Exception::tagged(Atom::BADFUN, fun.clone()));
    };
    if code.0.arity as usize != argc {
        let what = format!("{} called with {} argument{}", inspect_fun(code.0), argc, if argc == 1 { "" } else { "s" });
        return Err(Exception::tagged(Atom::BADARITY, Term::str(&what)));
    }
    Ok((code.0, &f.env))
}

fn inspect_fun(p: &Proto) -> String {
    format!("#Function<{}/{}>", p.name, p.arity)
}

impl Behaviour for Fiber {
    fn run(&mut self, cx: &mut Cx<'_>) -> Slice {
        // The commonest ends first, the rest out of line: a slice that
        // waits or yields pays no more than the match.
        match self.execute(cx, REDUCTIONS_PER_SLICE) {
            Ok(Step::Wait(deadline)) => Slice::Wait(deadline),
            Ok(Step::Yield) => Slice::Yield,
            ended => self.ended(ended, cx),
        }
    }

    fn begin_exit(&mut self, reason: &Term, _from: snow_runtime::Pid) -> bool {
        if matches!(self.phase, Phase::Exiting { .. }) {
            return true;
        }
        if self.next_callback(reason) {
            self.phase = Phase::Exiting { reason: reason.clone() };
            true
        } else {
            false
        }
    }
}

impl Fiber {
    /// The slice ended the main function or a callback (`terminate`, ...):
    /// the next callback runs, or the process ends.
    #[inline(never)]
    fn ended(&mut self, mut step: Result<Step, Fault>, cx: &mut Cx<'_>) -> Slice {
        loop {
            let reason = match (step, &self.phase) {
                (Ok(Step::Yield), _) => return Slice::Yield,
                (Ok(Step::Wait(deadline)), _) => return Slice::Wait(deadline),
                (Ok(Step::Done(v)), Phase::Main) => self.end_main(Outcome::Returned(v), cx),
                (Err(fault), Phase::Main) => self.end_main(Outcome::Raised(fault), cx),
                // A callback ended, well or badly: go on with the next one.
                (Ok(Step::Done(_)) | Err(_), Phase::Exiting { reason }) => reason.clone(),
            };
            if self.next_callback(&reason) {
                self.phase = Phase::Exiting { reason };
                step = self.execute(cx, REDUCTIONS_PER_SLICE);
                continue;
            }
            return Slice::Exit(reason);
        }
    }
}
