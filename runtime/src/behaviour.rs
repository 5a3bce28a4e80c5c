//! The one seam between the scheduler and the code a process runs.
//!
//! The scheduler moves opaque processes between run queues; only a
//! `Behaviour` (in practice the Snow VM) runs a time slice. A slice ends when
//! the reduction budget is spent, when the process waits for a message, or
//! when it ends. Between two slices a process may move to another OS thread.

use crate::cx::Cx;
use crate::term::{Pid, Term};
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
    /// A waiting process is on no run queue and costs no CPU. It is run again
    /// when its mailbox grows (a message, a DOWN, a trapped exit), on
    /// `Runtime::wake`, or once the deadline has passed (the behaviour checks
    /// the deadline itself; the timer only wakes it). A past deadline acts as
    /// `Yield`.
    Wait(Option<Instant>),
    /// The process ends with this reason.
    Exit(Term),
}

pub trait Behaviour: Send + 'static {
    /// Runs until the budget is spent, the process waits, or it ends. It
    /// must not block the thread (a scheduler serves other processes on it)
    /// except inside `Cx::blocking`.
    fn run(&mut self, cx: &mut Cx<'_>) -> Slice;

    /// The process is being ended from outside (an exit signal) with
    /// `reason` (`:killed` for a kill), sent by `from`. Return `true` if it has last words to
    /// run first (on_exit callbacks): `run` is then called, with exit signals
    /// no longer delivered, until it returns `Slice::Exit`; the process then
    /// ends with `reason`, whatever that `Exit` carries. Other signals
    /// (messages, links, monitors) keep arriving meanwhile. The default has
    /// none: the process ends at once.
    fn begin_exit(&mut self, _reason: &Term, _from: Pid) -> bool {
        false
    }
}

/// A behaviour made of a closure, called once per slice (tests, small
/// runtime-internal processes).
pub fn from_fn<F>(f: F) -> Box<dyn Behaviour>
where
    F: FnMut(&mut Cx<'_>) -> Slice + Send + 'static,
{
    struct FromFn<F>(F);
    impl<F: FnMut(&mut Cx<'_>) -> Slice + Send + 'static> Behaviour for FromFn<F> {
        fn run(&mut self, cx: &mut Cx<'_>) -> Slice {
            (self.0)(cx)
        }
    }
    Box::new(FromFn(f))
}
