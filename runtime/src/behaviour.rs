//! The one seam between the scheduler and the code a process runs.
//!
//! The scheduler moves opaque processes between run queues; only a
//! `Behaviour` (in practice the Snow VM) runs a time slice. A slice ends when
//! the reduction budget is spent, when the process waits for a message, or
//! when it ends. Between two slices a process may move to another OS thread.

use crate::cx::Cx;
use crate::term::Term;
use std::time::Instant;

/// Reductions a process may spend in one slice before it must yield, as on
/// the BEAM. One reduction is roughly one function call or one built-in.
pub const REDUCTIONS_PER_SLICE: u32 = 4000;

/// How a time slice ended.
#[derive(Debug)]
pub enum Slice {
    /// The budget is spent; the process is runnable and goes to the back of
    /// a run queue.
    Yield,
    /// Nothing to do until a signal arrives or, if given, the deadline passes.
    /// A waiting process is on no run queue and costs no CPU.
    Wait(Option<Instant>),
    /// The process ends with this reason.
    Exit(Term),
}

pub trait Behaviour: Send + 'static {
    /// Runs until the budget is spent, the process waits, or it ends.
    fn run(&mut self, cx: &mut Cx<'_>) -> Slice;

    /// The process is being ended from outside (an exit signal) with
    /// `reason`. Return `true` if it has last words to run first (on_exit
    /// callbacks): `run` is then called, with exit signals no longer
    /// delivered, until it returns `Slice::Exit`. The default has none.
    fn begin_exit(&mut self, _reason: &Term) -> bool {
        false
    }
}
