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
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

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

/// A function's native code, or how many calls it still waits for: one
/// word, so that an interpreted call pays one load for both questions.
/// 0: never compiled (not eligible, or the compiler is off); odd: counting,
/// `(calls left << 1) | 1`; even: the native entry point (code is aligned).
pub(crate) struct Slot {
    state: AtomicUsize,
}

impl Slot {
    pub(crate) const fn new() -> Slot {
        Slot { state: AtomicUsize::new(0) }
    }

    /// The function's native code once compiled; else the state, for `warm`.
    #[inline(always)]
    pub(crate) fn entry(&self) -> Result<NativeFn, usize> {
        let s = self.state.load(Ordering::Acquire);
        if s & 1 == 0 && s != 0 {
            // SAFETY: only `compile` stores an even non-zero state, and only
            // the entry of a finalized function of that signature, which
            // lives for ever.
            Ok(unsafe { std::mem::transmute::<usize, NativeFn>(s) })
        } else {
            Err(s)
        }
    }

    /// The function's native code, once compiled.
    pub(crate) fn native(&self) -> Option<NativeFn> {
        self.entry().ok()
    }

    /// Counts an interpreted call (`state` from `entry`); true when this
    /// call made the function hot.
    #[inline(always)]
    pub(crate) fn warm(&self, state: usize) -> bool {
        let left = state >> 1;
        if state == 0 || left == 0 {
            return false;
        }
        // Only from the state read: a store over a code pointer another
        // scheduler just published would send the function back to
        // counting. A lost count only moves the moment of compiling.
        let counted = self
            .state
            .compare_exchange(state, ((left - 1) << 1) | 1, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok();
        counted && left == 1
    }

    fn start_counting(&self, calls: u32) {
        self.state.store(((calls as usize) << 1) | 1, Ordering::Relaxed);
    }

    /// Where the state lives (native callers load it at each call).
    pub(crate) fn state_cell(&self) -> *const AtomicUsize {
        &self.state
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
        proto.jit.start_counting(countdown);
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
    if proto.jit.native().is_some() {
        return; // another scheduler got there first
    }
    let code = match jit.as_mut() {
        Some(jit) => Some(jit),
        None => lower::Lowerer::new().ok().map(|lower| jit.insert(Jit { lower, compiled: 0 })),
    }
    .filter(|jit| jit.compiled < MAX_COMPILED)
    .and_then(|jit| {
        let code = jit.lower.compile(proto).ok()?;
        jit.compiled += 1;
        Some(code)
    });
    // Code is aligned, so its address is even (`Slot`'s mark of native
    // code); a failure, or an odd address, leaves the function interpreted.
    let state = match code {
        Some(c) if c as usize & 1 == 0 => c as usize,
        _ => 0,
    };
    proto.jit.state.store(state, Ordering::Release);
}
