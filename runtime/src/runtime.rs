//! The runtime handle: the process table, spawning, the one `deliver`
//! function every signal passes through, and the outside world's API.
//!
//! The process table is sharded by pid (64 read-write locks over hash maps),
//! so a send takes one shard's read lock for the lookup and pushes into the
//! inbox while holding it: no global lock on the send path. Pids are never
//! reused: a 64-bit counter gives `id` (low half) and `serial` (high half).
//! Ordering and lifecycle rules: see `signal.rs` and `process.rs`.

use crate::atom::Atom;
use crate::behaviour::Behaviour;
use crate::clock::Clock;
use crate::dist::Distribution;
use crate::cx::{ceil_ms, SpawnOpts};
use crate::process::{self, Monitored, ProcState, Process, DEAD, NOTIFIED, RUNNABLE, RUNNING, WAITING};
use crate::registry::Registry;
use crate::scheduler::Scheduler;
use crate::signal::{RemoteRouter, Signal, SignalError, SignalEvent, SpawnRequest};
use crate::term::{Pid, Ref, Term};
use crate::timer::{TimerAction, TimerDest, Timers};
use crate::trace::{EventKind, Tracer};
use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const SHARDS: usize = 64;

/// One slice of the process table: pid key -> process.
type Shard = RwLock<FxHashMap<u64, Arc<Process>>>;

/// An observer of signals (`Runtime::set_observer`).
pub type Observer = Arc<dyn Fn(&SignalEvent) + Send + Sync>;

/// A handle on a running runtime: cheap to clone, shared by all threads.
#[derive(Clone)]
pub struct Runtime(Arc<Inner>);

/// Stack of each scheduler thread (and of the other threads that run Snow
/// code or handle terms). Snow calls never use it (frames live on the
/// heap) and no operation on a term recurses with its depth; what does
/// recurse, compiling a tree, is bounded by the parser's depth limit.
pub const SCHEDULER_STACK: usize = 8 << 20;

struct Inner {
    shards: Box<[Shard]>,
    count: AtomicUsize,
    next_pid: AtomicU64,
    next_id: AtomicU64,
    /// Ids of receive timers: a range of their own, so that references
    /// (monitors, `make_ref`, `send_after`) are numbered by what the program
    /// did, not by how often its processes waited.
    next_wait_id: AtomicU64,
    registry: Registry,
    timers: Timers,
    sched: Scheduler,
    observing: AtomicBool,
    observer: RwLock<Option<Observer>>,
    tracer: Tracer,
    router: RwLock<Option<Arc<dyn RemoteRouter>>>,
    distribution: RwLock<Option<Arc<Distribution>>>,
    node: RwLock<Atom>,
    /// This node's creation (its incarnation), with `node`.
    creation: AtomicU32,
    /// Who monitors which node (`Node.monitor`).
    node_monitors: Mutex<crate::dist::node_monitors::Table>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    clock: Clock,
}

/// `Process.info/1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    /// `:running`, `:runnable`, `:waiting` or `:exiting`.
    pub status: Atom,
    /// Messages in the mailbox plus those not yet moved there.
    pub message_queue_len: usize,
    pub links: Vec<Pid>,
    /// Pids this process monitors.
    pub monitors: Vec<Pid>,
    /// Pids monitoring this process (one entry per monitor).
    pub monitored_by: Vec<Pid>,
    pub trap_exit: bool,
    pub registered_name: Option<Atom>,
    /// Its group leader on another node, if it has one.
    pub group_leader: Option<Pid>,
    /// What it said it is (`Cx::set_label`), if anything.
    pub label: Option<Term>,
}

thread_local! {
    /// The process this thread is running a slice of, if any.
    static CURRENT: Cell<Option<Pid>> = const { Cell::new(None) };
}

/// Whether this thread is running a process's slice right now.
pub(crate) fn in_slice() -> bool {
    CURRENT.with(|c| c.get().is_some())
}

/// Marks the current thread as running `pid` for the guard's lifetime.
pub(crate) struct CurrentGuard;
impl CurrentGuard {
    pub(crate) fn enter(pid: Pid) -> CurrentGuard {
        CURRENT.with(|c| c.set(Some(pid)));
        CurrentGuard
    }
}
impl Drop for CurrentGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(None));
    }
}

impl Default for Runtime {
    fn default() -> Runtime {
        Runtime::new()
    }
}

impl Runtime {
    /// The sender of signals that come from outside any process
    /// (`Runtime::exit`): `#PID<0.0.0>`, which is never a live process.
    pub const OUTSIDE: Pid = Pid::local(0, 0);

    /// Starts the schedulers (one per core, or `SNOW_SCHEDULERS`) and the
    /// timer thread.
    pub fn new() -> Runtime {
        let n = std::env::var("SNOW_SCHEDULERS")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        Runtime::with_schedulers(n)
    }

    /// A deterministic runtime (`sim.rs`): one thread runs every process,
    /// choosing the next with a random source seeded by `seed`, in virtual
    /// time. The same program and seed make the same run.
    pub fn simulated(seed: u64) -> Runtime {
        let q = Arc::new(crate::sim::SimQueue::new(seed));
        let clock = Clock::simulated();
        let rt = q.join_with(|slot| Runtime::build(Scheduler::simulated(q.clone(), slot), clock.clone()));
        let h = std::thread::Builder::new()
            .name("snow-sim".into())
            .stack_size(SCHEDULER_STACK)
            .spawn(move || crate::sim::run(&q, &clock))
            .expect("cannot start the simulation thread");
        *rt.0.threads.lock() = vec![h];
        rt
    }

    /// Another node of this runtime's simulation (`Node.start_peer` under
    /// `--sim`): a runtime of its own on the same queue and clock, run by
    /// the same thread. `None` for a real runtime.
    pub fn simulated_node(&self) -> Option<Runtime> {
        let (q, _) = self.0.sched.sim_slot()?;
        Some(q.join_with(|slot| Runtime::build(Scheduler::simulated(q.clone(), slot), self.0.clock.clone())))
    }

    /// This node's slot in its simulation (0: the node the run began on).
    pub(crate) fn sim_slot(&self) -> Option<(&Arc<crate::sim::SimQueue>, usize)> {
        self.0.sched.sim_slot()
    }

    /// A runtime with exactly `n` scheduler threads (at least one).
    pub fn with_schedulers(n: usize) -> Runtime {
        let (sched, queues) = Scheduler::new(n);
        let rt = Runtime::build(sched, Clock::real());
        let mut threads = Vec::new();
        for (i, queue) in queues.into_iter().enumerate() {
            let rt2 = rt.clone();
            let h = std::thread::Builder::new()
                .name(format!("snow-sched-{}", i + 1))
                .stack_size(SCHEDULER_STACK)
                .spawn(move || rt2.0.sched.work(i, queue, |p| process::run_slice(&rt2, p)))
                .expect("cannot start a scheduler thread");
            threads.push(h);
        }
        let rt2 = rt.clone();
        let h = std::thread::Builder::new()
            .name("snow-timer".into())
            .spawn(move || rt2.0.timers.run(&rt2))
            .expect("cannot start the timer thread");
        threads.push(h);
        *rt.0.threads.lock() = threads;
        rt
    }

    fn build(sched: Scheduler, clock: Clock) -> Runtime {
        Runtime(Arc::new(Inner {
            shards: (0..SHARDS).map(|_| RwLock::new(FxHashMap::default())).collect(),
            count: AtomicUsize::new(0),
            next_pid: AtomicU64::new(1),
            next_id: AtomicU64::new(1),
            next_wait_id: AtomicU64::new(WAIT_IDS),
            registry: Registry::default(),
            timers: Timers::default(),
            sched,
            observing: AtomicBool::new(false),
            observer: RwLock::new(None),
            tracer: Tracer::default(),
            router: RwLock::new(None),
            distribution: RwLock::new(None),
            node: RwLock::new(Atom::NONODE),
            creation: AtomicU32::new(0),
            node_monitors: Mutex::new(Default::default()),
            threads: Mutex::new(Vec::new()),
            clock,
        }))
    }

    /// Whether this runtime is a simulation (`Runtime::simulated`).
    pub fn is_simulated(&self) -> bool {
        self.0.sched.sim().is_some()
    }

    /// Now, on this runtime's clock (virtual in a simulation).
    pub fn now(&self) -> Instant {
        self.0.clock.now()
    }

    /// Time since this runtime started, on its clock.
    pub fn elapsed(&self) -> Duration {
        self.0.clock.elapsed()
    }

    /// Microseconds since the Unix epoch on this runtime's clock (a
    /// simulation starts at 2026-01-01T00:00:00Z).
    pub fn wall_us(&self) -> u64 {
        self.0.clock.wall_us()
    }

    /// A number drawn in `lo..=hi` (`lo <= hi`): in a simulation from the
    /// seed (the network's stream of draws), so a nemesis replays.
    pub fn draw(&self, lo: i64, hi: i64) -> i64 {
        match self.0.sched.sim() {
            Some(q) => q.net().draw_in(lo, hi),
            None => fastrand::Rng::with_seed(getrandom::u64().unwrap_or(0x9e37_79b9_7f4a_7c15)).i64(lo..=hi.max(lo)),
        }
    }

    /// In a simulation: ends the run (nothing more runs) after the slice in
    /// which `pid` ends. A script's run ends with its main process, at the
    /// same point in every replay. No-op for a real runtime.
    pub fn halt_after(&self, pid: Pid) {
        if let Some((q, slot)) = self.0.sched.sim_slot() {
            q.halt_after(slot, pid);
        }
    }

    /// In a simulation: whether virtual time may pass. The REPL lets it
    /// pass only while an entry runs, so that what happens depends on the
    /// entries and not on how long the user took to type them. No-op for a
    /// real runtime.
    pub fn let_time_pass(&self, on: bool) {
        if let Some(q) = self.0.sched.sim() {
            q.let_time_pass(on);
        }
    }

    /// In a simulation: waits (at most `patience` of real time) until
    /// nothing can run, so that what comes from outside next (a REPL
    /// entry) arrives at the same point of every replay; `false` if a
    /// process was still busy. `true` at once for a real runtime.
    pub fn settle(&self, patience: Duration) -> bool {
        match self.0.sched.sim() {
            Some(q) => q.settle(patience),
            None => true,
        }
    }

    /// Number of scheduler threads.
    pub fn schedulers(&self) -> usize {
        self.0.sched.workers()
    }

    /// Stops the scheduler and timer threads and drops every process. Meant
    /// for tests and program exit; the runtime does nothing afterwards.
    pub fn shutdown(&self) {
        self.0.sched.shutdown();
        self.0.timers.shutdown();
        let me = std::thread::current().id();
        let handles = std::mem::take(&mut *self.0.threads.lock());
        for h in handles {
            if h.thread().id() != me {
                let _ = h.join();
            }
        }
        let mut procs = Vec::new();
        for shard in self.0.shards.iter() {
            procs.extend(shard.write().drain().map(|(_, p)| p));
        }
        // A kept destination (`ProcState::last_to`) is a strong reference:
        // two live processes that sent to each other hold each other. No
        // slice runs now, but the caller's own, if it is one (its body is
        // locked: it keeps its destination, and never itself).
        for p in &procs {
            if let Some(mut body) = p.body.try_lock() {
                body.st.last_to = None;
            }
        }
        self.0.count.store(0, SeqCst);
        self.0.registry.clear();
        self.0.sched.drain();
        drop(procs);
    }

    // ---- spawning -------------------------------------------------------

    /// Spawns a root process (no parent, no link).
    pub fn spawn(&self, b: Box<dyn Behaviour>) -> Pid {
        let pid = self.alloc_pid();
        self.trace_born(pid, None);
        self.start(pid, b, ProcState::new());
        pid
    }

    /// Spawns a root process whose exit reason arrives on the channel:
    /// `watch_exit` in place before it runs, so a process that dies at once
    /// still reports its own reason (not `:noproc`).
    pub fn spawn_watched(&self, b: Box<dyn Behaviour>) -> (Pid, crossbeam_channel::Receiver<Term>) {
        self.spawn_watched_as(self.alloc_pid(), b)
    }

    /// `spawn_watched` for a run's main process (a script, a test): in a
    /// simulation, the run ends after the slice in which it ends, so what
    /// else gets to run is the same in every replay.
    pub fn spawn_main(&self, b: Box<dyn Behaviour>) -> (Pid, crossbeam_channel::Receiver<Term>) {
        let pid = self.alloc_pid();
        self.halt_after(pid);
        self.spawn_watched_as(pid, b)
    }

    fn spawn_watched_as(&self, pid: Pid, b: Box<dyn Behaviour>) -> (Pid, crossbeam_channel::Receiver<Term>) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let mut st = ProcState::new();
        st.watch(tx);
        self.trace_born(pid, None);
        self.start(pid, b, st);
        (pid, rx)
    }

    pub(crate) fn spawn_child(
        &self,
        b: Box<dyn Behaviour>,
        parent: Pid,
        parent_st: &mut ProcState,
        opts: SpawnOpts,
    ) -> (Pid, Option<Ref>) {
        let pid = self.alloc_pid();
        let mut st = ProcState::new();
        if let Some(gl) = parent_st.group_leader() {
            st.tables_mut().group_leader = Some(gl);
        }
        // A labelled parent (a supervisor, a service) is remembered, as
        // OTP's `$ancestors`: a crash report names who will see it.
        if let Some(label) = parent_st.label() {
            st.tables_mut().parent = Some((parent, label));
        }
        if opts.link {
            st.tables_mut().links.insert(parent);
            parent_st.tables_mut().links.insert(pid);
        }
        let r = opts.monitor.then(|| {
            let r = self.make_ref();
            st.tables_mut().monitored_by.insert(r, (parent, None));
            parent_st.tables_mut().monitors.insert(r, Monitored::Pid(pid));
            r
        });
        if self.tracing() {
            let kind = EventKind::Spawn { child: pid, link: opts.link, monitor: opts.monitor };
            self.trace_event(Some(parent), &[pid], kind);
            self.trace_born(pid, Some(parent));
        }
        self.start(pid, b, st);
        (pid, r)
    }

    /// Spawns a process asked for by `requester` on another node, with the
    /// link and/or monitor (under `monitor`) in place before it runs, and
    /// its output going to `group_leader` over there.
    /// `before_start` sees the new pid before the process can run (the
    /// spawn reply must be on the wire before anything the child sends).
    pub(crate) fn spawn_for_remote(
        &self,
        b: Box<dyn Behaviour>,
        requester: Pid,
        link: bool,
        monitor: Option<Ref>,
        group_leader: Option<Pid>,
        before_start: impl FnOnce(Pid),
    ) -> Pid {
        let pid = self.alloc_pid();
        let mut st = ProcState::new();
        if let Some(gl) = group_leader {
            st.tables_mut().group_leader = Some(gl);
        }
        if link {
            st.tables_mut().links.insert(requester);
        }
        if let Some(r) = monitor {
            st.tables_mut().monitored_by.insert(r, (requester, None));
        }
        before_start(pid);
        self.trace_born(pid, Some(requester));
        self.start(pid, b, st);
        pid
    }

    fn alloc_pid(&self) -> Pid {
        let n = self.0.next_pid.fetch_add(1, Relaxed);
        Pid { node: 0, id: n as u32, serial: (n >> 32) as u32, creation: 0 }
    }

    fn start(&self, pid: Pid, b: Box<dyn Behaviour>, st: ProcState) {
        let p = Arc::new(Process::new(pid, b, st));
        self.shard(pid).write().insert(key(pid), p.clone());
        self.0.count.fetch_add(1, Relaxed);
        self.0.sched.schedule(p, true);
    }

    fn shard(&self, pid: Pid) -> &Shard {
        &self.0.shards[pid.id as usize % SHARDS]
    }

    fn lookup(&self, pid: Pid) -> Option<Arc<Process>> {
        if pid.node != 0 {
            return None;
        }
        self.shard(pid).read().get(&key(pid)).cloned()
    }

    /// A local process that has not ended (one that is ending stays in the
    /// table, marked dead, until its last signals are out).
    fn live(&self, pid: Pid) -> Option<Arc<Process>> {
        self.lookup(pid).filter(|p| p.state.load(Acquire) != DEAD)
    }

    /// A local process that is ending: marked dead, still in the table
    /// while its last signals go out.
    pub(crate) fn is_ending(&self, pid: Pid) -> bool {
        self.lookup(pid).is_some_and(|p| p.state.load(Acquire) == DEAD)
    }

    /// Takes an ending process out of the table.
    pub(crate) fn remove(&self, pid: Pid) {
        if self.shard(pid).write().remove(&key(pid)).is_some() {
            self.0.count.fetch_sub(1, Relaxed);
        }
    }

    pub(crate) fn schedule(&self, p: Arc<Process>) {
        self.0.sched.schedule(p, false);
    }

    pub(crate) fn blocking<R>(&self, f: impl FnOnce() -> R) -> R {
        self.0.sched.blocking(f)
    }

    pub(crate) fn timers(&self) -> &Timers {
        &self.0.timers
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.0.registry
    }

    /// A fresh number for refs and timers.
    pub(crate) fn next_id(&self) -> u64 {
        self.0.next_id.fetch_add(1, Relaxed)
    }

    /// A fresh id for a receive timer (never a reference's).
    pub(crate) fn next_wait_id(&self) -> u64 {
        self.0.next_wait_id.fetch_add(1, Relaxed)
    }

    // ---- signals --------------------------------------------------------

    /// Delivers a signal; if the target is gone, answers it as a dead
    /// process would (`signal.rs`).
    pub(crate) fn deliver(&self, from: Option<Pid>, to: Pid, sig: Signal) {
        if let Err(sig) = self.try_deliver(from, to, sig) {
            self.answer(to, sig);
        }
    }

    /// A message sent by the running process `from`: `deliver`, but the
    /// sender keeps its last local destination (`last_to`), so sending to
    /// the same process again (a ring's next hop, a server's client) skips
    /// the process table's lock and hash. The same inbox either way, so
    /// the order of signals is the table's; a destination that ended has
    /// closed its inbox, and the message is answered as to a dead process.
    /// Observed or traced sends, and remote ones, take `deliver`'s way.
    /// A process never keeps itself (it would hold itself alive), and
    /// `shutdown` lets go of every kept destination, so processes that
    /// sent to each other do not keep each other alive past their runtime.
    pub(crate) fn send_from(&self, from: Pid, to: Pid, msg: Term, last_to: &mut Option<Arc<Process>>) {
        if to.node != 0 || self.0.observing.load(Relaxed) || self.0.tracer.is_on() {
            return self.deliver(Some(from), to, Signal::Message(msg));
        }
        if !matches!(last_to, Some(p) if p.pid == to) {
            if to == from {
                // Never kept, so never a hit: checked only on a miss.
                return self.deliver(Some(from), to, Signal::Message(msg));
            }
            *last_to = self.lookup(to);
        }
        let Some(p) = last_to.as_ref() else {
            return self.answer(to, Signal::Message(msg));
        };
        match p.push(Signal::Message(msg)) {
            Ok(true) => self.schedule(p.clone()),
            Ok(false) => {}
            Err(sig) => {
                *last_to = None;
                self.answer(to, sig);
            }
        }
    }

    /// The one function every signal goes through: observer, then the
    /// remote router or the target's inbox. `Err` gives the signal back when
    /// the target does not exist.
    pub(crate) fn try_deliver(&self, from: Option<Pid>, to: Pid, sig: Signal) -> Result<(), Signal> {
        if self.0.observing.load(Relaxed) {
            self.observe(from, to, &sig);
        }
        if self.0.tracer.is_on() {
            return self.try_deliver_traced(from, to, sig);
        }
        self.route(from, to, sig)
    }

    /// `try_deliver` while a trace records: the send is recorded, and a
    /// local message travels as `Traced`, carrying its sender to the
    /// delivery event.
    #[cold]
    #[inline(never)]
    fn try_deliver_traced(&self, from: Option<Pid>, to: Pid, sig: Signal) -> Result<(), Signal> {
        self.trace_send(from, to, &sig);
        match (sig, from, to.node) {
            (Signal::Message(msg), Some(from), 0) => match self.route(Some(from), to, Signal::Traced { from, msg }) {
                Err(Signal::Traced { msg, .. }) => Err(Signal::Message(msg)),
                other => other,
            },
            (sig, _, _) => self.route(from, to, sig),
        }
    }

    /// The inbox of `to`, or the remote router.
    #[inline(always)]
    fn route(&self, from: Option<Pid>, to: Pid, sig: Signal) -> Result<(), Signal> {
        if to.node != 0 {
            let router = self.0.router.read().clone();
            return match router {
                Some(r) => r.route(from, to, sig),
                None => Err(sig),
            };
        }
        let shard = self.shard(to).read();
        match shard.get(&key(to)) {
            Some(p) => match p.push(sig)? {
                true => {
                    let p = p.clone();
                    drop(shard);
                    self.schedule(p);
                    Ok(())
                }
                false => Ok(()),
            },
            None => Err(sig),
        }
    }

    /// Answers `sig`, sent to `dead`, as from a process that does not exist.
    pub(crate) fn answer(&self, dead: Pid, sig: Signal) {
        let noproc = Term::Atom(Atom::NOPROC);
        match sig {
            Signal::Link(from) => self.deliver_answer(
                dead,
                from,
                Signal::Exit { from: dead, reason: noproc, via_link: true },
            ),
            Signal::Monitor { r, from, name } => {
                let who = self.down_who(dead, name);
                self.deliver_answer(dead, from, Signal::Down { r, who, reason: noproc })
            }
            Signal::Watch(tx) => {
                let _ = tx.send(noproc);
            }
            _ => {}
        }
    }

    /// The runtime's answer on behalf of `dead`: not a send a trace shows
    /// (the dead process did not send it), only its delivery.
    pub(crate) fn deliver_answer(&self, dead: Pid, to: Pid, sig: Signal) {
        if self.0.observing.load(Relaxed) {
            self.observe(Some(dead), to, &sig);
        }
        if let Err(sig) = self.route(Some(dead), to, sig) {
            self.answer(to, sig);
        }
    }

    #[cold]
    #[inline(never)]
    fn observe(&self, from: Option<Pid>, to: Pid, sig: &Signal) {
        let f = self.0.observer.read().clone();
        if let (Some(f), Some(ev)) = (f, sig.event(from, to)) {
            f(&ev);
        }
    }

    /// Sends a message, monitor or demonitor to `name` on another node.
    /// Without distribution a monitor is answered `:noconnection` at once
    /// and anything else is dropped, as on an Erlang node that is not alive.
    pub(crate) fn route_named(&self, from: Pid, name: Atom, node: Atom, sig: Signal) {
        if self.tracing() {
            self.trace_send_named(from, name, node, &sig);
        }
        let router = self.0.router.read().clone();
        match router {
            Some(r) => r.route_named(from, name, node, sig),
            None => {
                if let Signal::Monitor { r, from, .. } = sig {
                    let who = Term::tuple(vec![Term::Atom(name), Term::Atom(node)]);
                    let down = Signal::Down { r, who, reason: Term::Atom(Atom::NOCONNECTION) };
                    self.deliver(None, from, down);
                }
            }
        }
    }

    /// Asks `node` to run `call` for `from` (`Node.spawn`, rpc); the
    /// answer arrives as a `SpawnReply` signal for `r`.
    pub(crate) fn spawn_request(&self, req: SpawnRequest, r: Ref, opts: SpawnOpts) {
        let router = self.0.router.read().clone();
        let from = req.from;
        match router {
            Some(router) => router.spawn_request(req, r, opts),
            None => {
                let reply = Signal::SpawnReply { r, result: Err(Term::Atom(Atom::NOCONNECTION)), link: opts.link, monitor: opts.monitor };
                self.deliver(None, from, reply);
            }
        }
    }

    /// Hands a signal from another node (the distribution layer) to a local
    /// process, under the same rules as local signals.
    pub fn deliver_signal(&self, from: Option<Pid>, to: Pid, sig: Signal) {
        self.deliver(from, to, sig);
    }

    /// Sees every signal from now on (`None` stops). Costs one atomic load
    /// per signal when unset.
    pub fn set_observer(&self, f: Option<Observer>) {
        let mut o = self.0.observer.write();
        self.0.observing.store(f.is_some(), SeqCst);
        *o = f;
    }

    /// This node's trace recorder (`trace/`).
    pub fn tracer(&self) -> &Tracer {
        &self.0.tracer
    }

    /// Whether a trace is recording: the check each trace hook makes.
    #[inline]
    pub(crate) fn tracing(&self) -> bool {
        self.0.tracer.is_on()
    }

    /// The distribution hook for pids with `node != 0`. Without one, remote
    /// targets are treated as dead (signals answered with `:noproc`).
    pub fn set_router(&self, r: Option<Arc<dyn RemoteRouter>>) {
        *self.0.router.write() = r;
    }

    /// The running distribution, if this node is distributed.
    pub fn distribution(&self) -> Option<Arc<Distribution>> {
        self.0.distribution.read().clone()
    }

    /// Installs (or removes) the distribution; it is also the router.
    pub(crate) fn set_distribution(&self, d: Option<Arc<Distribution>>) {
        *self.0.router.write() = d.clone().map(|d| d as Arc<dyn RemoteRouter>);
        *self.0.distribution.write() = d;
    }

    /// This node's name (`:"nonode@nohost"` until distribution starts).
    pub fn node_name(&self) -> Atom {
        *self.0.node.read()
    }

    /// Who monitors which node (`Node.monitor`, `dist/node_monitors.rs`).
    pub(crate) fn node_monitors(&self) -> &Mutex<crate::dist::node_monitors::Table> {
        &self.0.node_monitors
    }

    /// This node's (name, creation): what index 0 of the node table means
    /// while this node runs (`nodes::enter`).
    pub fn this_node(&self) -> (Atom, u32) {
        (self.node_name(), self.0.creation.load(Relaxed))
    }

    /// Names this node: `name` and `creation` (distribution starting).
    pub(crate) fn set_identity(&self, name: Atom, creation: u32) {
        *self.0.node.write() = name;
        self.0.creation.store(creation, Relaxed);
    }

    /// `(name, node)`, as a DOWN for a monitor by name shows its target.
    pub(crate) fn name_node(&self, name: Atom) -> Term {
        Term::tuple(vec![Term::Atom(name), Term::Atom(self.node_name())])
    }

    pub(crate) fn down_who(&self, from: Pid, name: Option<Atom>) -> Term {
        match name {
            Some(n) => self.name_node(n),
            None => Term::Pid(from),
        }
    }

    // ---- the outside world's API ----------------------------------------

    /// Sends from outside any process (the sender shows as none).
    pub fn send(&self, to: Pid, msg: Term) {
        self.deliver(None, to, Signal::Message(msg));
    }

    /// Runs the process's behaviour once even without a message.
    pub fn wake(&self, pid: Pid) {
        self.deliver(None, pid, Signal::Wake);
    }

    /// An exit signal from outside (not through a link), sent by
    /// `Runtime::OUTSIDE`.
    pub fn exit(&self, to: Pid, reason: Term) {
        self.deliver(None, to, Signal::Exit { from: Runtime::OUTSIDE, reason, via_link: false });
    }

    /// Whether signals reached `pid` while it runs, not yet applied (they
    /// are applied between slices).
    pub(crate) fn signals_pending(&self, pid: Pid) -> bool {
        self.lookup(pid).is_some_and(|p| p.state.load(Acquire) == NOTIFIED)
    }

    pub fn is_alive(&self, pid: Pid) -> bool {
        self.live(pid).is_some()
    }

    pub fn whereis(&self, name: Atom) -> Option<Pid> {
        self.0.registry.whereis(name)
    }

    /// Registered names, sorted.
    pub fn registered(&self) -> Vec<Atom> {
        self.0.registry.names()
    }

    /// `Err(Badarg)` if the name is taken, the pid has a name, or the pid is
    /// not a live local process.
    pub fn register(&self, name: Atom, pid: Pid) -> Result<(), SignalError> {
        self.0.registry.register(name, pid, |p| self.live(p).is_some())?;
        if self.tracing() {
            self.trace_event(Some(pid), &[], EventKind::Register { name });
        }
        Ok(())
    }

    pub fn unregister(&self, name: Atom) -> Result<(), SignalError> {
        let pid = self.0.registry.whereis(name);
        self.0.registry.unregister(name)?;
        if let (true, Some(pid)) = (self.tracing(), pid) {
            self.trace_event(Some(pid), &[], EventKind::Unregister { name });
        }
        Ok(())
    }

    /// Live pids, sorted.
    pub fn processes(&self) -> Vec<Pid> {
        let mut v = Vec::with_capacity(self.process_count());
        for shard in self.0.shards.iter() {
            v.extend(shard.read().values().filter(|p| p.state.load(Acquire) != DEAD).map(|p| p.pid));
        }
        v.sort();
        v
    }

    pub fn process_count(&self) -> usize {
        self.0.count.load(Relaxed)
    }

    /// How many processes are runnable and waiting for a scheduler.
    pub fn run_queue(&self) -> usize {
        self.0.sched.queued()
    }

    pub fn make_ref(&self) -> Ref {
        ref_of(self.next_id())
    }

    /// A channel that receives the exit reason of `pid` once; `:noproc` at
    /// once if it is already gone.
    pub fn watch_exit(&self, pid: Pid) -> crossbeam_channel::Receiver<Term> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        if self.is_ending(pid) {
            // Its watchers were told as it ended; a later one hears it is gone.
            let _ = tx.send(Term::Atom(Atom::NOPROC));
        } else {
            self.deliver(None, pid, Signal::Watch(tx));
        }
        rx
    }

    /// Delivers `msg` to `dest` in `ms` milliseconds; a name is resolved
    /// when the timer fires (nobody registered: dropped).
    pub fn send_after(&self, dest: TimerDest, msg: Term, ms: u64) -> Ref {
        let id = self.next_id();
        let at = self.now() + Duration::from_millis(ms);
        self.0.timers.add(id, at, TimerAction::Send(dest, msg));
        if let Some(q) = self.0.sched.sim().filter(|q| !q.on_sim_thread()) {
            q.kick(); // from outside: the simulation may be parked
        }
        ref_of(id)
    }

    /// Cancels a `send_after` timer: the milliseconds it had left (rounded
    /// up), or `None` if it fired already or is unknown.
    pub fn cancel_timer(&self, r: Ref) -> Option<u64> {
        if r.node != 0 || r.words[2] != 0 {
            return None;
        }
        let id = r.words[0] as u64 | (r.words[1] as u64) << 32;
        self.0.timers.cancel(id, self.now()).map(ceil_ms)
    }

    /// `Process.info/1`; `None` for a dead or remote pid. A process asking
    /// about itself should use `Cx::info` (here, it gets the status and
    /// queue length only). A process running right now is read after its
    /// slice; if that takes more than 10 ms (200 ms for a caller outside
    /// any process), the same partial answer is given rather than block.
    pub fn info(&self, pid: Pid) -> Option<ProcessInfo> {
        let p = self.live(pid)?;
        let partial = |status| ProcessInfo {
            status,
            message_queue_len: p.inbox_messages(),
            links: vec![],
            monitors: vec![],
            monitored_by: vec![],
            trap_exit: false,
            registered_name: self.0.registry.name_of(pid),
            group_leader: None,
            label: None,
        };
        if CURRENT.with(|c| c.get()) == Some(pid) {
            return Some(partial(Atom::RUNNING));
        }
        let patience = if self.0.sched.on_worker() { 10 } else { 200 };
        let body = p.body.try_lock_for(Duration::from_millis(patience));
        let state = p.state.load(Acquire);
        let status = match state {
            WAITING => Atom::WAITING,
            RUNNABLE => Atom::RUNNABLE,
            RUNNING | NOTIFIED => Atom::RUNNING,
            _ => return None,
        };
        match body {
            Some(b) => {
                let mut info = self.info_of_state(pid, &b.st);
                [info.links, info.monitors, info.monitored_by] = p.tables_after_inbox(&b.st);
                info.status = match (&b.st.exiting, b.st.is_suspended()) {
                    (Some(_), _) => Atom::EXITING,
                    (None, true) => Atom::new("suspended"), // on a busy connection
                    (None, false) => status,
                };
                Some(info)
            }
            None => Some(partial(Atom::RUNNING)),
        }
    }

    /// Everything of `info` that a process's own state tells.
    pub(crate) fn info_of_state(&self, pid: Pid, st: &ProcState) -> ProcessInfo {
        let queued = self.lookup(pid).map_or(0, |p| p.inbox_messages());
        let (mut links, mut monitors, mut monitored_by) = (vec![], vec![], vec![]);
        if let Some(t) = &st.tables {
            links.extend(t.links.iter().copied());
            monitors.extend(t.monitors.values().filter_map(Monitored::pid));
            monitored_by.extend(t.monitored_by.values().map(|(p, _)| *p));
        }
        links.sort();
        monitors.sort();
        monitored_by.sort();
        ProcessInfo {
            status: Atom::RUNNING,
            message_queue_len: st.mailbox.len() + queued,
            links,
            monitors,
            monitored_by,
            trap_exit: st.trap_exit,
            registered_name: self.0.registry.name_of(pid),
            group_leader: st.group_leader(),
            label: st.label(),
        }
    }
}

fn key(pid: Pid) -> u64 {
    (pid.serial as u64) << 32 | pid.id as u64
}

/// Where receive-timer ids start: far above any reference's number.
const WAIT_IDS: u64 = 1 << 62;

fn ref_of(id: u64) -> Ref {
    Ref { node: 0, words: [id as u32, (id >> 32) as u32, 0] }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Runtime({} processes)", self.process_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviour::Slice;
    use crate::cx::Cx;

    struct Idle;
    impl Behaviour for Idle {
        fn run(&mut self, _cx: &mut Cx<'_>) -> Slice {
            Slice::Wait(None)
        }
    }

    fn until(mut f: impl FnMut() -> bool) {
        let t0 = Instant::now();
        while !f() {
            assert!(t0.elapsed() < Duration::from_secs(10), "timed out");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The last destination a process sent to is kept, never the process
    /// itself; it is dropped once a send finds its inbox closed; and a
    /// runtime's shutdown lets go of every one, so that two processes that
    /// sent to each other are freed.
    #[test]
    fn a_kept_destination_is_dropped_when_it_ended_and_at_shutdown() {
        let rt = Runtime::new();
        let (a, b, c) = (rt.spawn(Box::new(Idle)), rt.spawn(Box::new(Idle)), rt.spawn(Box::new(Idle)));
        let (pa, pb, pc) = (rt.lookup(a).expect("a"), rt.lookup(b).expect("b"), rt.lookup(c).expect("c"));
        let mut last = None;
        rt.send_from(a, a, Term::Int(0), &mut last);
        assert!(last.is_none(), "a process does not keep itself");
        rt.send_from(a, b, Term::Int(1), &mut last);
        assert!(matches!(&last, Some(p) if Arc::ptr_eq(p, &pb)));

        rt.deliver(None, b, Signal::Exit { from: a, reason: Term::Atom(Atom::KILL), via_link: false });
        until(|| rt.lookup(b).is_none());
        rt.send_from(a, b, Term::Int(2), &mut last);
        assert!(last.is_none(), "an ended destination is let go");
        drop(pb);

        pa.body.lock().st.last_to = Some(pc.clone());
        pc.body.lock().st.last_to = Some(pa.clone());
        rt.shutdown();
        assert_eq!(Arc::strong_count(&pa), 1, "a is held by nobody but this test");
        assert_eq!(Arc::strong_count(&pc), 1, "c is held by nobody but this test");
    }
}
