//! The stacks as native code sees them, and what it calls back into Rust
//! for: growing them, and dropping a register's old term.
//!
//! While native code runs, it pushes and pops frames itself, in the frame
//! stack's own buffer, and keeps the count in `Stacks::frames_len`; the
//! `Vec`'s length is brought up to date when control returns to Rust
//! (`Stacks::leave`, and the growing helpers before they touch the `Vec`).

use crate::vm::fiber::{Fiber, Frame};
use snow_runtime::Term;

/// `repr(C)`: native code reads and writes these fields at fixed offsets.
#[repr(C)]
pub(crate) struct Stacks {
    pub frames: *mut Frame,
    pub frames_len: usize,
    pub frames_cap: usize,
    pub regs: *mut Term,
    pub regs_len: usize,
    pub fiber: *mut Fiber,
    /// What the function that just returned returned.
    pub ret: i64,
    /// The reductions left in this slice.
    pub reds: u32,
    /// A call whose native code would run with the machine stack pointer
    /// below this goes to the interpreter instead.
    pub stack_limit: usize,
}

/// Machine stack that nested native activations may use, from where the
/// interpreter entered them (scheduler threads have 8 MiB).
const NATIVE_STACK: usize = 512 << 10;

impl Stacks {
    /// The fiber's stacks, for native code entered from its interpreter.
    pub(crate) fn enter(fiber: &mut Fiber, reds: u32) -> Stacks {
        let here = &reds as *const u32 as usize;
        Stacks {
            frames: fiber.frames.as_mut_ptr(),
            frames_len: fiber.frames.len(),
            frames_cap: fiber.frames.capacity(),
            regs: fiber.regs.as_mut_ptr(),
            regs_len: fiber.regs.len(),
            fiber,
            ret: 0,
            reds,
            stack_limit: here.saturating_sub(NATIVE_STACK),
        }
    }

    /// Back in the interpreter: the frame stack's length is native code's.
    ///
    /// # Safety
    /// `fiber` is the one `enter` was given, and native code kept the frame
    /// stack's invariant: every frame below `frames_len` was written.
    pub(crate) unsafe fn leave(&self, fiber: &mut Fiber) {
        debug_assert!(self.frames_len <= fiber.frames.capacity());
        // SAFETY: the caller's contract; frames are `Copy`.
        unsafe { fiber.frames.set_len(self.frames_len) };
    }
}

/// The frame stack is full: makes room for more.
///
/// # Safety
/// SAFETY: `stacks` came from `Stacks::enter` and its fiber is not otherwise in use.
pub(super) unsafe extern "C" fn jit_grow_frames(stacks: *mut Stacks) {
    // SAFETY: the contract above.
    unsafe {
        let s = &mut *stacks;
        let f = &mut *s.fiber;
        f.frames.set_len(s.frames_len);
        f.frames.reserve(s.frames_len.max(16));
        s.frames = f.frames.as_mut_ptr();
        s.frames_cap = f.frames.capacity();
    }
}

/// The register stack must reach `need`: grows it (every window pointer
/// taken before is stale afterwards).
///
/// # Safety
/// SAFETY: as for `jit_grow_frames`.
pub(super) unsafe extern "C" fn jit_grow_regs(stacks: *mut Stacks, need: usize) {
    // SAFETY: the contract above.
    unsafe {
        let s = &mut *stacks;
        let f = &mut *s.fiber;
        if f.regs.len() < need {
            f.regs.resize(need, Term::Nil);
        }
        s.regs = f.regs.as_mut_ptr();
        s.regs_len = f.regs.len();
    }
}

/// A call's integer result goes to a register whose term owns something:
/// overwritten here, where its destructor runs.
///
/// # Safety
/// SAFETY: `slot` is a register of the running window.
pub(super) unsafe extern "C" fn jit_set_int(slot: *mut Term, v: i64) {
    // SAFETY: the contract above.
    unsafe { *slot = Term::Int(v) };
}
