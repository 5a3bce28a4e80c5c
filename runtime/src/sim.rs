//! The deterministic scheduler of a simulation (`Runtime::simulated`).
//!
//! One thread runs every process. Which runnable process goes next is drawn
//! from a seeded random source, and time is the runtime's virtual clock:
//! each slice costs `SLICE_COST`, and when nothing can run the clock jumps
//! to the next due timer. So the same program and seed make the same
//! choices in the same order, and a run that waits for an hour takes no
//! longer than its work.
//!
//! Determinism needs every change to the run to come from this thread. The
//! exceptions are made at quiet moments: the first process is spawned
//! before anything runs, and at the REPL an entry starts only when the
//! simulation has nothing left to do (`Runtime::settle`).

use crate::process::{self, Process};
use crate::runtime::Runtime;
use crate::term::Pid;
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

/// Virtual time a slice takes: a process that spins reading the clock
/// still sees it move, and timers fall due between slices. A slice that
/// used its whole budget (4,000 reductions) costs about what it takes on
/// a real machine, so a busy process does not stop the clock.
const SLICE_COST: Duration = Duration::from_micros(1);
const FULL_SLICE_COST: Duration = Duration::from_micros(40);

pub(crate) struct SimQueue {
    state: Mutex<State>,
    cv: Condvar,
}

struct State {
    runnable: Vec<Arc<Process>>,
    rng: fastrand::Rng,
    /// The simulation thread, once it runs.
    thread: Option<ThreadId>,
    /// Ends the run after the slice in which this process ends.
    halt_after: Option<Pid>,
    halted: bool,
    /// Parked with nothing to do (neither runnable nor timed).
    idle: bool,
    /// Something from outside may have added a timer.
    kicked: bool,
    shutdown: bool,
    /// Whether virtual time may jump to the next timer when nothing runs
    /// (always for a script; at the REPL only while an entry runs).
    time_runs: bool,
}

impl SimQueue {
    pub(crate) fn new(seed: u64) -> SimQueue {
        SimQueue {
            state: Mutex::new(State {
                runnable: Vec::new(),
                rng: fastrand::Rng::with_seed(seed),
                thread: None,
                halt_after: None,
                halted: false,
                idle: false,
                kicked: false,
                shutdown: false,
                time_runs: true,
            }),
            cv: Condvar::new(),
        }
    }

    pub(crate) fn push(&self, p: Arc<Process>) {
        let mut s = self.state.lock();
        s.runnable.push(p);
        s.idle = false;
        drop(s);
        self.cv.notify_all();
    }

    /// Wakes the simulation thread to look at its timers again.
    pub(crate) fn kick(&self) {
        let mut s = self.state.lock();
        s.kicked = true;
        s.idle = false;
        drop(s);
        self.cv.notify_all();
    }

    pub(crate) fn on_sim_thread(&self) -> bool {
        self.state.lock().thread == Some(std::thread::current().id())
    }

    pub(crate) fn halt_after(&self, pid: Pid) {
        self.state.lock().halt_after = Some(pid);
    }

    pub(crate) fn shutdown(&self) {
        self.state.lock().shutdown = true;
        self.cv.notify_all();
    }

    pub(crate) fn drain(&self) {
        self.state.lock().runnable.clear();
    }

    /// Virtual time may pass (`true`) or stands still (`false`).
    pub(crate) fn let_time_pass(&self, on: bool) {
        let mut s = self.state.lock();
        s.time_runs = on;
        s.kicked |= on;
        drop(s);
        self.cv.notify_all();
    }

    /// Waits (at most `patience` of real time) until the simulation has
    /// nothing to run and no timer it may fire now, or it ended; `false`
    /// if it was still busy when patience ran out (a process that never
    /// waits).
    pub(crate) fn settle(&self, timers_pending: impl Fn() -> bool, patience: Duration) -> bool {
        let give_up = std::time::Instant::now() + patience;
        let mut s = self.state.lock();
        loop {
            let quiet = s.runnable.is_empty() && (!s.time_runs || !timers_pending());
            if s.halted || s.shutdown || (s.idle && quiet) {
                return true;
            }
            if self.cv.wait_until(&mut s, give_up).timed_out() {
                return false;
            }
        }
    }

    /// The next process to run, drawn at random among the runnable.
    fn next(&self) -> Next {
        let mut s = self.state.lock();
        if s.shutdown || s.halted {
            return Next::Stop;
        }
        if s.runnable.is_empty() {
            return Next::Idle { time_passes: s.time_runs };
        }
        let n = s.runnable.len();
        let i = s.rng.usize(..n);
        Next::Run(s.runnable.swap_remove(i))
    }

    /// Parks until a process is runnable, a timer may have been added, or
    /// the run ends; `false` when it ended.
    fn park(&self) -> bool {
        let mut s = self.state.lock();
        s.idle = true;
        self.cv.notify_all(); // `settle` waits for this
        while s.runnable.is_empty() && !s.kicked && !s.shutdown && !s.halted {
            self.cv.wait(&mut s);
        }
        s.kicked = false;
        s.idle = false;
        !(s.shutdown || s.halted)
    }

    /// After a slice of `pid`: ends the run if it was the process to halt
    /// after and it has ended.
    fn check_halt(&self, p: &Process) {
        let mut s = self.state.lock();
        if s.halt_after == Some(p.pid) && p.state.load(std::sync::atomic::Ordering::Acquire) == process::DEAD {
            s.halted = true;
            drop(s);
            self.cv.notify_all();
        }
    }
}

enum Next {
    Run(Arc<Process>),
    Idle { time_passes: bool },
    Stop,
}

/// The simulation thread's loop.
pub(crate) fn run(rt: &Runtime, q: &SimQueue) {
    q.state.lock().thread = Some(std::thread::current().id());
    loop {
        match q.next() {
            Next::Stop => return,
            Next::Run(p) => {
                let used_all = process::run_slice(rt, p.clone());
                rt.clock().advance_by(if used_all { FULL_SLICE_COST } else { SLICE_COST });
                rt.timers().fire_due(rt, rt.clock().now());
                q.check_halt(&p);
            }
            Next::Idle { time_passes } => match rt.timers().next_at().filter(|_| time_passes) {
                Some(at) => {
                    rt.clock().advance_to(at);
                    rt.timers().fire_due(rt, rt.clock().now());
                }
                None => {
                    if !q.park() {
                        return;
                    }
                }
            },
        }
    }
}
