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
//!
//! # Several nodes
//! Every node of a simulated cluster is a `Runtime` of its own (its process
//! table, registry, timers, distribution) in a *slot* of this one queue,
//! and they share the clock. The thread runs one process of one node at a
//! time, with the node table's "this node" set to that node
//! (`nodes::enter`), fires every node's timers and the simulated network's
//! deliveries (`dist::sim_net`) as they fall due. A frozen node's processes
//! wait aside, and its timers do not fire, until it is thawed; a killed
//! node's slot is emptied.

use crate::dist::sim_net::SimNet;
use crate::process::{self, Process};
use crate::runtime::Runtime;
use crate::term::Pid;
use parking_lot::{Condvar, Mutex, RwLock};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// Virtual time a slice takes: a process that spins reading the clock
/// still sees it move, and timers fall due between slices. A slice that
/// used its whole budget (4,000 reductions) costs about what it takes on
/// a real machine, so a busy process does not stop the clock.
const SLICE_COST: Duration = Duration::from_micros(1);
const FULL_SLICE_COST: Duration = Duration::from_micros(40);

pub(crate) struct SimQueue {
    state: Mutex<State>,
    cv: Condvar,
    /// The nodes, by slot: `None` once killed. Slot 0 is the node the run
    /// started on.
    nodes: RwLock<Vec<Option<Runtime>>>,
    /// The network between the nodes.
    net: Arc<SimNet>,
}

struct State {
    /// Runnable processes, with their node's slot.
    runnable: Vec<(usize, Arc<Process>)>,
    /// Processes of frozen nodes that became runnable: run after the thaw.
    held: Vec<(usize, Arc<Process>)>,
    /// Slots of the frozen nodes.
    frozen: Vec<usize>,
    rng: fastrand::Rng,
    /// The simulation thread, once it runs.
    thread: Option<ThreadId>,
    /// Ends the run after the slice in which this process (of this slot) ends.
    halt_after: Option<(usize, Pid)>,
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
                held: Vec::new(),
                frozen: Vec::new(),
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
            nodes: RwLock::new(Vec::new()),
            // Its own stream of draws (latencies), so that adding a node
            // does not shift the scheduler's choices.
            net: Arc::new(SimNet::new(seed ^ 0x9e37_79b9_7f4a_7c15)),
        }
    }

    /// Makes a node of the simulation with `make(slot)`.
    pub(crate) fn join_with(&self, make: impl FnOnce(usize) -> Runtime) -> Runtime {
        let mut nodes = self.nodes.write();
        let rt = make(nodes.len());
        nodes.push(Some(rt.clone()));
        rt
    }

    /// The node in `slot`, if it lives.
    pub(crate) fn node(&self, slot: usize) -> Option<Runtime> {
        self.nodes.read().get(slot).cloned().flatten()
    }

    pub(crate) fn net(&self) -> &Arc<SimNet> {
        &self.net
    }

    /// Kills the node in `slot`: its processes never run again.
    pub(crate) fn remove(&self, slot: usize) {
        let mut s = self.state.lock();
        s.runnable.retain(|(n, _)| *n != slot);
        s.held.retain(|(n, _)| *n != slot);
        s.frozen.retain(|n| *n != slot);
        drop(s);
        if let Some(n) = self.nodes.write().get_mut(slot) {
            *n = None;
        }
    }

    /// Freezes (`true`) or thaws the node in `slot`.
    pub(crate) fn freeze(&self, slot: usize, on: bool) {
        let mut s = self.state.lock();
        if on {
            if !s.frozen.contains(&slot) {
                s.frozen.push(slot);
            }
            let (aside, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut s.runnable).into_iter().partition(|(n, _)| *n == slot);
            s.runnable = keep;
            s.held.extend(aside);
        } else {
            s.frozen.retain(|n| *n != slot);
            let (back, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut s.held).into_iter().partition(|(n, _)| *n == slot);
            s.held = keep;
            s.runnable.extend(back);
            s.kicked = true;
        }
        drop(s);
        self.cv.notify_all();
    }

    pub(crate) fn push(&self, slot: usize, p: Arc<Process>) {
        let mut s = self.state.lock();
        if s.frozen.contains(&slot) {
            s.held.push((slot, p));
            return;
        }
        s.runnable.push((slot, p));
        s.idle = false;
        drop(s);
        self.cv.notify_all();
    }

    /// How many processes of `slot` wait to run (held ones of a frozen node
    /// too: they are runnable, only not now).
    pub(crate) fn queued(&self, slot: usize) -> usize {
        let s = self.state.lock();
        s.runnable.iter().chain(&s.held).filter(|(n, _)| *n == slot).count()
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

    pub(crate) fn halt_after(&self, slot: usize, pid: Pid) {
        self.state.lock().halt_after = Some((slot, pid));
    }

    pub(crate) fn shutdown(&self) {
        self.state.lock().shutdown = true;
        self.cv.notify_all();
    }

    /// Drops the queued processes and every node (they hold this queue).
    pub(crate) fn drain(&self) {
        let mut s = self.state.lock();
        s.runnable.clear();
        s.held.clear();
        drop(s);
        let nodes = std::mem::take(&mut *self.nodes.write());
        self.net.clear();
        drop(nodes);
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
    pub(crate) fn settle(&self, patience: Duration) -> bool {
        let give_up = Instant::now() + patience;
        let mut s = self.state.lock();
        loop {
            let quiet = s.runnable.is_empty() && (!s.time_runs || self.next_due(&s.frozen).is_none());
            if s.halted || s.shutdown || (s.idle && quiet) {
                return true;
            }
            if self.cv.wait_until(&mut s, give_up).timed_out() {
                return false;
            }
        }
    }

    /// The earliest timer of a node that is not frozen, or delivery of the
    /// network.
    fn next_due(&self, frozen: &[usize]) -> Option<Instant> {
        let nodes = self.nodes.read();
        let timers = nodes
            .iter()
            .enumerate()
            .filter(|(slot, _)| !frozen.contains(slot))
            .filter_map(|(_, n)| n.as_ref()?.timers().next_at());
        timers.chain(self.net.next_at()).min()
    }

    /// Fires every timer and delivery due by `now`, node by node in slot
    /// order, each with its node as "this node". True if it entered a
    /// node (the caller's "this node" is then stale).
    fn fire_due(&self, now: Instant) -> bool {
        let nodes = self.nodes.read();
        if let [only] = &nodes[..] {
            // One node, no network: the common case, kept cheap.
            let rt = only.clone();
            drop(nodes);
            if let Some(rt) = rt {
                rt.timers().fire_due(&rt, now);
            }
            return false;
        }
        drop(nodes);
        let frozen = self.state.lock().frozen.clone();
        let nodes: Vec<Runtime> = self
            .nodes
            .read()
            .iter()
            .enumerate()
            .filter(|(slot, _)| !frozen.contains(slot))
            .filter_map(|(_, n)| n.clone())
            .collect();
        for rt in &nodes {
            crate::dist::nodes::enter(rt.this_node());
            rt.timers().fire_due(rt, now);
        }
        self.net.fire_due(now);
        true
    }

    /// The next process to run, drawn at random among the runnable.
    fn next(&self) -> Next {
        let mut s = self.state.lock();
        if s.shutdown || s.halted {
            return Next::Stop;
        }
        if s.runnable.is_empty() {
            return Next::Idle { time_passes: s.time_runs, frozen: s.frozen.clone() };
        }
        let n = s.runnable.len();
        let i = s.rng.usize(..n);
        let (slot, p) = s.runnable.swap_remove(i);
        Next::Run(slot, p)
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

    /// After a slice of `p`: ends the run if it was the process to halt
    /// after and it has ended.
    fn check_halt(&self, slot: usize, p: &Process) {
        let mut s = self.state.lock();
        if s.halt_after == Some((slot, p.pid)) && p.state.load(std::sync::atomic::Ordering::Acquire) == process::DEAD {
            s.halted = true;
            drop(s);
            self.cv.notify_all();
        }
    }
}

enum Next {
    Run(usize, Arc<Process>),
    Idle { time_passes: bool, frozen: Vec<usize> },
    Stop,
}

/// The simulation thread's loop; `clock` is every node's.
pub(crate) fn run(q: &SimQueue, clock: &crate::clock::Clock) {
    q.state.lock().thread = Some(std::thread::current().id());
    let mut current: Option<(usize, Runtime)> = None;
    loop {
        match q.next() {
            Next::Stop => return,
            Next::Run(slot, p) => {
                let rt = match &current {
                    Some((s, rt)) if *s == slot => rt.clone(),
                    _ => match q.node(slot) {
                        Some(rt) => {
                            crate::dist::nodes::enter(rt.this_node());
                            current = Some((slot, rt.clone()));
                            rt
                        }
                        None => continue, // killed
                    },
                };
                let used_all = process::run_slice(&rt, p.clone());
                clock.advance_by(if used_all { FULL_SLICE_COST } else { SLICE_COST });
                if q.fire_due(clock.now()) {
                    current = None; // timers and deliveries entered their own nodes
                }
                q.check_halt(slot, &p);
            }
            Next::Idle { time_passes, frozen } => match q.next_due(&frozen).filter(|_| time_passes) {
                Some(at) => {
                    clock.advance_to(at);
                    if q.fire_due(clock.now()) {
                        current = None;
                    }
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
