//! The baseline compiler: hot functions made of integer arithmetic, tests,
//! local calls and returns (`fib`, counting loops) are translated once to
//! native code with Cranelift; everything else stays with the interpreter.
//!
//! Native code keeps the interpreter's state as it is, so that either can
//! take over at any instruction boundary:
//! - registers stay in the fiber's register stack (a native function reads
//!   and writes its window through the pointer it is given);
//! - every call pushes a real `Frame` and every return pops it (native code
//!   writes the frame stack's buffer itself: `helpers::Stacks`), so a
//!   yield, an error report or a stack trace sees the same frames as in the
//!   interpreter;
//! - anything the native code does not handle — a value that is not a small
//!   integer, an overflow, a clause that does not match, a callee without
//!   native code, an empty reduction budget, a deep native stack — *bails*:
//!   the running frame's resume point is set to the instruction, every
//!   native activation returns at once, and the interpreter runs that
//!   instruction again from the frame stack. No instruction has done
//!   anything when it bails, so running it again is exact.
//!
//! Calls spend reductions as in the interpreter (one per call, one per
//! backward jump), so a simulation's schedule is the same with or without
//! native code, and a long computation is still preempted and killable.
//!
//! `SNOW_JIT=off` turns it off, `SNOW_JIT=eager` compiles an eligible
//! function at its first call (the tests run the examples that way): the
//! `snow` binary reads it and calls `set_policy`.

mod helpers;
mod lower;
#[cfg(test)]
mod tests;

use crate::bytecode::Proto;
pub(crate) use helpers::Stacks;
use parking_lot::Mutex;
use snow_runtime::Term;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

/// A compiled function. Returns 1 once it returned (its frame popped, its
/// integer result in `stacks.ret`, for the caller to store), 0 once it
/// bailed (the interpreter goes on from the top frame).
///
/// SAFETY: call it only with its frame already pushed on `stacks` (the top
/// frame) and `w` that frame's window, the fiber untouched until it returns.
pub(crate) type NativeFn = unsafe extern "C" fn(stacks: *mut Stacks, w: *mut Term) -> u32;

/// Calls of an interpreted function before it is compiled.
const HOT_AFTER: u32 = 1000;
/// Functions compiled in one program at most (their code is never freed).
const MAX_COMPILED: usize = 10_000;

/// A function's native code, and how many calls it still waits for.
pub(crate) struct Slot {
    code: AtomicPtr<u8>,
    /// Interpreted calls left before compiling; 0: compiled, not eligible,
    /// or the compiler is off.
    countdown: AtomicU32,
}

impl Slot {
    pub(crate) const fn new() -> Slot {
        Slot { code: AtomicPtr::new(std::ptr::null_mut()), countdown: AtomicU32::new(0) }
    }

    /// The function's native code, once compiled.
    #[inline(always)]
    pub(crate) fn native(&self) -> Option<NativeFn> {
        let p = self.code.load(Ordering::Acquire);
        if p.is_null() {
            None
        } else {
            // SAFETY: only `compile` stores here, and only the entry of a
            // finalized function of that signature, which lives for ever.
            Some(unsafe { std::mem::transmute::<*mut u8, NativeFn>(p) })
        }
    }

    /// Counts an interpreted call; true when this call made it hot.
    #[inline(always)]
    pub(crate) fn warm(&self) -> bool {
        let left = self.countdown.load(Ordering::Relaxed);
        if left == 0 {
            return false;
        }
        // Not atomic as a whole: a call counted twice or not at all on
        // another scheduler only moves the moment of compiling.
        self.countdown.store(left - 1, Ordering::Relaxed);
        left == 1
    }

    /// Where the code pointer lives (native callers load it at each call).
    pub(crate) fn code_cell(&self) -> *const AtomicPtr<u8> {
        &self.code
    }
}

/// When hot functions are compiled to native code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Never: the interpreter only (`SNOW_JIT=off`).
    Off,
    /// At an eligible function's first call (`SNOW_JIT=eager`; the tests).
    Eager,
    /// After a thousand interpreted calls (the default).
    Hot,
}

impl Policy {
    /// The policy an environment variable's value names (`off`, `eager`;
    /// anything else or nothing: the default).
    pub fn named(value: Option<&str>) -> Policy {
        match value {
            Some("off") | Some("0") => Policy::Off,
            Some("eager") => Policy::Eager,
            _ => Policy::Hot,
        }
    }
}

/// Interpreted calls before compiling (0: never).
static COUNTDOWN: AtomicU32 = AtomicU32::new(HOT_AFTER);

/// Sets the policy for the modules loaded from now on (the `snow` binary
/// does it first thing, from `SNOW_JIT`).
pub fn set_policy(policy: Policy) {
    let countdown = match policy {
        Policy::Off => 0,
        Policy::Eager => 1,
        Policy::Hot => HOT_AFTER,
    };
    // Native code assumes 64-bit registers and terms.
    let countdown = if cfg!(target_pointer_width = "64") { countdown } else { 0 };
    COUNTDOWN.store(countdown, Ordering::Relaxed);
}

/// Called as a module is loaded (verified): eligible functions start
/// counting their calls.
pub(crate) fn prepare(proto: &Proto) {
    let countdown = COUNTDOWN.load(Ordering::Relaxed);
    if countdown > 0 && cfg!(target_pointer_width = "64") && lower::eligible(proto) {
        proto.jit.countdown.store(countdown, Ordering::Relaxed);
    }
}

/// The compiler and the memory its code lives in, shared by all schedulers.
struct Jit {
    lower: lower::Lowerer,
    compiled: usize,
}

// SAFETY: the JIT module holds raw pointers to the code memory it owns; it
// is only ever used under `JIT`'s lock, never by two threads at once.
unsafe impl Send for Jit {}

static JIT: Mutex<Option<Jit>> = Mutex::new(None);

/// Compiles `proto`, which just became hot. A failure (an unsupported
/// machine, a limit) leaves it interpreted; it is never tried again.
#[cold]
#[inline(never)]
pub(crate) fn compile(proto: &'static Proto) {
    let mut jit = JIT.lock();
    if !proto.jit.code.load(Ordering::Acquire).is_null() {
        return; // another scheduler got there first
    }
    if jit.is_none() {
        match lower::Lowerer::new() {
            Ok(lower) => *jit = Some(Jit { lower, compiled: 0 }),
            Err(_) => return,
        }
    }
    let Some(jit) = jit.as_mut() else { return };
    if jit.compiled >= MAX_COMPILED {
        return;
    }
    if let Ok(code) = jit.lower.compile(proto) {
        jit.compiled += 1;
        proto.jit.code.store(code, Ordering::Release);
    }
}
