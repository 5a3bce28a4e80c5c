//! A process: its scheduling state, its inbox of signals, and its body, and
//! the runner that takes it through one slice.
//!
//! # Ownership
//!
//! * `state` (atomic) and `inbox` (a short mutex) are touched by anyone who
//!   sends a signal.
//! * The body (behaviour, mailbox, link and monitor tables, trap_exit, armed
//!   timer) is touched only by the thread running the process. It sits
//!   behind a mutex that the runner holds for the whole slice; the only other
//!   taker is `Runtime::info`, which reads it between slices.
//!
//! # States
//!
//! ```text
//!            signal                 worker takes it
//!  Waiting ----------> Runnable ------------------> Running --signal--> Notified
//!     ^                   ^                           |  |                 |
//!     |  Wait, no signal  |         Yield             |  |   Wait/Yield    |
//!     +-------------------|---------------------------+  |                 |
//!                         +------------------------------+-----------------+
//!  Running --Exit--> Dead (removed from the table, inbox closed)
//! ```
//!
//! A sender pushes into the inbox and then makes one CAS: Waiting ->
//! Runnable (it then queues the process) or Running -> Notified (the runner
//! will requeue it instead of letting it wait). A process is therefore on at
//! most one run queue, and a signal pushed while it runs is never missed: the
//! runner drains the inbox *after* setting Running, and tries Running ->
//! Waiting with a CAS that fails if a signal arrived since.
//!
//! # Applying signals (before each slice, in inbox order)
//!
//! Message: append to the mailbox. Link / Unlink: add / remove the sender.
//! Monitor / Demonitor: add / remove in monitored-by. Down: a message
//! `(:down, ref, pid, reason)` if `ref` is still in my monitors, else
//! dropped. Exit (rules 5 and 6), in this order: while exiting, ignored;
//! through a link from a pid not in my link table, dropped (and a link that
//! delivers an exit is removed); `:kill` not through a link: die `:killed`,
//! trapping or not; trapping: a message `(:exit, from, reason)`; `:normal`:
//! ignored unless sent by myself (then die `:normal`); anything else: die
//! with it.
//!
//! A waiting process whose signals added nothing to its mailbox (a link, a
//! stale timer) is not run: waiting costs no CPU.
//!
//! # Suspended on a busy connection
//!
//! A slice that sent a message to another node over a busy connection
//! (`dist/connection.rs`, backpressure) ends with the process *suspended*
//! on that connection (`suspended`): like a waiting process it is on no run
//! queue; unlike one, a message does not run it. Its signals are still
//! applied as they arrive, so exit signals (and `:kill`) act at once. It
//! runs again (from where its slice ended) once the connection has drained
//! below the busy limit or gone down; the connection sends it a `Wake`
//! then. A process with last words to run is not suspended.
//!
//! # Ending (in this order)
//!
//! 1. Dying from a signal calls `begin_exit`; if the behaviour has last words
//!    it keeps running (exit signals ignored, but `:kill`) until `run` returns
//!    `Exit`; the reason stays the signal's. `:kill` ends it at once, with no
//!    last words, whatever it is doing.
//! 2. Marked dead, then the registered name released: from here on
//!    `alive?` is false and `whereis` nil. The process stays in the table,
//!    so a signal sent to it now waits in its inbox (it is not run).
//! 3. Exit signal R (`:killed` if killed) to every linked pid; `Down` to
//!    every monitoring process; `Demonitor` to every process it monitored;
//!    the reason to every `watch_exit` channel.
//! 4. Close the inbox and answer what is still queued: `Link` gets an exit
//!    `:noproc`, `Monitor` a `Down(:noproc)`; the rest is dropped. Then
//!    leave the process table; later signals are answered at once.
//!
//! Answers come after step 3 on purpose: they speak for the dead process,
//! so they must not overtake the signals it sent as it died (rule 2). A
//! process that monitors a linked process the moment it ends gets the exit
//! signal first and the `:noproc` DOWN after it, never the other way round.

use crate::atom::Atom;
use crate::behaviour::{Behaviour, Slice};
use crate::cx::Cx;
use crate::dist::connection::Conn;
use crate::mailbox::Mailbox;
use crate::runtime::Runtime;
use crate::signal::{down_message, exit_message, Signal, SignalKind};
use crate::trace::hooks::Arriving;
use crate::trace::Effect;
use crate::term::{Pid, Ref, Term};
use crate::timer::TimerAction;
use parking_lot::Mutex;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering::*};
use std::sync::Arc;
use std::time::Instant;

pub(crate) const WAITING: u8 = 0;
pub(crate) const RUNNABLE: u8 = 1;
pub(crate) const RUNNING: u8 = 2;
pub(crate) const NOTIFIED: u8 = 3;
pub(crate) const DEAD: u8 = 4;

/// How many signals may sit in a waiting process's inbox without waking it
/// (`Signal::can_wait`): links and monitors; past this, they wake it.
const SIGNALS_THAT_MAY_WAIT: usize = 64;

/// The most signals a slice's hand-over moves while it holds the inbox's
/// lock (`Process::hand_over`); a longer inbox is taken whole.
const HAND_OVER_UNDER_LOCK: usize = 64;

/// The largest inbox buffer (in signals) a process keeps between batches.
const RECYCLED_INBOX: usize = 4;

pub(crate) struct Process {
    pub(crate) pid: Pid,
    pub(crate) state: AtomicU8,
    inbox: Mutex<Inbox>,
    pub(crate) body: Mutex<Body>,
}

struct Inbox {
    queue: VecDeque<Signal>,
    closed: bool,
}

pub(crate) struct Body {
    behaviour: Box<dyn Behaviour>,
    pub(crate) st: ProcState,
}

/// Everything of a process but its behaviour: what `Cx` works on.
pub(crate) struct ProcState {
    pub(crate) mailbox: Mailbox,
    /// Allocated on first link or monitor: most processes never have one.
    pub(crate) tables: Option<Box<Tables>>,
    pub(crate) trap_exit: bool,
    /// The last slice ended in `Wait` (so a signal that adds no message
    /// need not run the behaviour).
    last_wait: bool,
    /// Set once the process has been told to end: the reason it will end
    /// with.
    /// Boxed: it is rare, and `Process` must stay within 200 bytes (see
    /// `a_process_is_small`).
    pub(crate) exiting: Option<Box<Term>>,
    /// The armed receive timer: its id and deadline.
    timer: Option<(u64, Instant)>,
    /// The local process this one last sent a message to
    /// (`Runtime::send_from`): sending to it again skips the process
    /// table. Let go when the process ends, or when that one did.
    pub(crate) last_to: Option<Arc<Process>>,
}

#[derive(Default)]
pub(crate) struct Tables {
    pub(crate) links: FxHashSet<Pid>,
    /// Monitors I hold: ref -> what is monitored.
    pub(crate) monitors: FxHashMap<Ref, Monitored>,
    /// Monitors on me: ref -> (the monitoring pid, the name it used).
    pub(crate) monitored_by: FxHashMap<Ref, (Pid, Option<Atom>)>,
    watchers: Vec<crossbeam_channel::Sender<Term>>,
    /// Where output goes, when it is not this node's terminal: a process on
    /// the node that spawned this one (or its ancestor), as Erlang's group
    /// leader. Children inherit it.
    pub(crate) group_leader: Option<Pid>,
    /// The busy connection this process is suspended on (module docs).
    /// Here, with the other rarely used state, to keep `Process` small.
    suspended: Option<Arc<Conn>>,
    /// What the process says it is (`Process.set_label`): a service or a
    /// supervisor names its kind and module, for `:processes`.
    pub(crate) label: Option<Term>,
    /// The process that spawned this one and its label, when it had one.
    pub(crate) parent: Option<(Pid, Term)>,
}

/// The target of a monitor a process holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Monitored {
    Pid(Pid),
    /// A name on another node, as given (`(name, node)`): the pid behind it
    /// is known only to that node.
    Name(Atom, Atom),
    /// A target that did not exist: its `:noproc` DOWN is already on its
    /// way through this process's inbox, and nothing was sent to take back.
    Answered,
}

impl Monitored {
    pub(crate) fn pid(&self) -> Option<Pid> {
        match self {
            Monitored::Pid(p) => Some(*p),
            Monitored::Name(..) | Monitored::Answered => None,
        }
    }
}

/// What applying one signal did.
enum Applied {
    Nothing,
    /// The mailbox changed or a wake was asked: run the behaviour.
    Woke,
    /// End with this reason, because of an exit signal from this pid.
    Die(Term, Pid),
    /// `:kill`: end at once with `:killed`, with no last words.
    Killed(Pid),
}

/// What a process runs after it ended (its real behaviour is freed at once).
struct Ended;
impl Behaviour for Ended {
    fn run(&mut self, _cx: &mut Cx<'_>) -> Slice {
        Slice::Wait(None)
    }
}

impl ProcState {
    pub(crate) fn new() -> ProcState {
        ProcState {
            mailbox: Mailbox::new(),
            tables: None,
            trap_exit: false,
            last_wait: false,
            exiting: None,
            timer: None,
            last_to: None,
        }
    }

    pub(crate) fn tables_mut(&mut self) -> &mut Tables {
        self.tables.get_or_insert_with(Box::default)
    }

    /// Sends the exit reason on `tx` when the process ends.
    pub(crate) fn watch(&mut self, tx: crossbeam_channel::Sender<Term>) {
        self.tables_mut().watchers.push(tx);
    }

    pub(crate) fn label(&self) -> Option<Term> {
        self.tables.as_ref().and_then(|t| t.label.clone())
    }

    pub(crate) fn group_leader(&self) -> Option<Pid> {
        self.tables.as_ref().and_then(|t| t.group_leader)
    }

    /// Whether the process is suspended on a busy connection.
    pub(crate) fn is_suspended(&self) -> bool {
        self.tables.as_ref().is_some_and(|t| t.suspended.is_some())
    }

    fn take_suspended(&mut self) -> Option<Arc<Conn>> {
        self.tables.as_mut().and_then(|t| t.suspended.take())
    }

    // Always inlined: the signal loop of `run_slice` is the hot path of
    // every message (its traced twin is cold).
    #[inline(always)]
    fn apply(&mut self, rt: &Runtime, me: Pid, sig: Signal) -> Applied {
        match sig {
            Signal::Message(m) | Signal::Traced { msg: m, .. } => {
                self.mailbox.push(m);
                Applied::Woke
            }
            Signal::Link(from) => {
                if from != me {
                    self.tables_mut().links.insert(from);
                }
                Applied::Nothing
            }
            Signal::Unlink(from) => {
                if let Some(t) = &mut self.tables {
                    t.links.remove(&from);
                }
                Applied::Nothing
            }
            Signal::Monitor { r, from, name } => {
                self.tables_mut().monitored_by.insert(r, (from, name));
                Applied::Nothing
            }
            Signal::Demonitor { r, .. } => {
                if let Some(t) = &mut self.tables {
                    t.monitored_by.remove(&r);
                }
                Applied::Nothing
            }
            Signal::Down { r, who, reason } => {
                if self.tables.as_mut().is_some_and(|t| t.monitors.remove(&r).is_some()) {
                    self.mailbox.push(down_message(r, who, reason));
                    Applied::Woke
                } else {
                    Applied::Nothing
                }
            }
            Signal::Exit { from, reason, via_link } => self.exit_signal(me, from, reason, via_link),
            Signal::Wake => Applied::Woke,
            Signal::Timeout(id) => {
                if self.timer.is_some_and(|(armed, _)| armed == id) {
                    self.timer = None;
                    Applied::Woke
                } else {
                    Applied::Nothing
                }
            }
            Signal::Watch(tx) => {
                self.watch(tx);
                Applied::Nothing
            }
            Signal::ConnectionLost(node) => self.connection_lost(rt, me, node),
            Signal::SpawnReply { r, result, link, monitor } => {
                let reply = match result {
                    Ok(pid) => {
                        if link {
                            self.tables_mut().links.insert(pid);
                        }
                        if monitor {
                            self.tables_mut().monitors.insert(r, Monitored::Pid(pid));
                        }
                        [Term::Atom(Atom::OK), Term::Pid(pid)]
                    }
                    Err(reason) => [Term::Atom(Atom::ERROR), reason],
                };
                let [status, value] = reply;
                self.mailbox.push(Term::tuple(vec![Term::Atom(Atom::SPAWN_REPLY), Term::Ref(r), status, value]));
                Applied::Woke
            }
        }
    }

    /// Rule 18 for one process: every link to a process on `node` delivers
    /// an exit `:noconnection` (as through the link), every monitor held on
    /// one a DOWN `:noconnection`; monitors from there are forgotten.
    fn connection_lost(&mut self, rt: &Runtime, me: Pid, node: Atom) -> Applied {
        let Some(t) = &mut self.tables else { return Applied::Nothing };
        let on_node = |p: &Pid| p.node != 0 && crate::dist::nodes::node_of(p.node).is_some_and(|(n, _)| n == node);
        t.monitored_by.retain(|_, (p, _)| !on_node(p));
        let mut downs: Vec<(Ref, Term)> = Vec::new();
        t.monitors.retain(|r, m| {
            let who = match *m {
                Monitored::Pid(p) if on_node(&p) => Term::Pid(p),
                Monitored::Name(name, n) if n == node => Term::tuple(vec![Term::Atom(name), Term::Atom(n)]),
                _ => return true,
            };
            downs.push((*r, who));
            false
        });
        let mut linked: Vec<Pid> = t.links.iter().copied().filter(|p| on_node(p)).collect();
        linked.sort();
        let mut result = Applied::Nothing;
        let tracing = rt.tracing();
        for (r, who) in downs {
            let down = down_message(r, who.clone(), Term::Atom(Atom::NOCONNECTION));
            if tracing {
                // A monitor made by name names no pid: the DOWN says what it watched.
                let from = match &who {
                    Term::Pid(p) => Some(*p),
                    _ => None,
                };
                rt.trace_lost(me, node, from, SignalKind::Down, down.clone(), Effect::Queued);
            }
            self.mailbox.push(down);
            result = Applied::Woke;
        }
        for from in linked {
            let applied = self.exit_signal(me, from, Term::Atom(Atom::NOCONNECTION), true);
            if tracing {
                rt.trace_lost(me, node, Some(from), SignalKind::Exit, Term::Atom(Atom::NOCONNECTION), exit_effect(&applied));
            }
            match applied {
                Applied::Nothing => {}
                Applied::Woke => result = Applied::Woke,
                die @ (Applied::Die(..) | Applied::Killed(_)) => return die,
            }
        }
        result
    }

    /// Rules 5 and 6: what an exit signal does to me.
    fn exit_signal(&mut self, me: Pid, from: Pid, reason: Term, via_link: bool) -> Applied {
        if self.exiting.is_some() {
            // While last words run, exit signals are ignored, except `:kill`:
            // it ends a process unconditionally (rule 6), so a stuck on_exit
            // callback cannot make a process unkillable.
            if !via_link && is_atom(&reason, Atom::KILL) {
                return Applied::Killed(from);
            }
            return Applied::Nothing;
        }
        if via_link {
            // The other end is gone, so is the link; not linked (unlinked
            // meanwhile): dropped, rule 4.
            if !self.tables.as_mut().is_some_and(|t| t.links.remove(&from)) {
                return Applied::Nothing;
            }
        } else if is_atom(&reason, Atom::KILL) {
            return Applied::Killed(from);
        }
        if self.trap_exit {
            self.mailbox.push(exit_message(from, reason));
            return Applied::Woke;
        }
        if is_atom(&reason, Atom::NORMAL) {
            return if from == me && !via_link { Applied::Die(reason, from) } else { Applied::Nothing };
        }
        Applied::Die(reason, from)
    }
}

/// `apply`, recording the delivery and what it did (a trace runs).
#[cold]
#[inline(never)]
fn apply_traced(rt: &Runtime, st: &mut ProcState, pid: Pid, sig: Signal) -> Applied {
    let arriving = Arriving::of(&sig);
    let applied = st.apply(rt, pid, sig);
    if let Some(a) = arriving {
        let effect = effect_of(a.signal(), &applied);
        rt.trace_deliver(pid, a, effect);
    }
    applied
}

/// What an exit signal did, as a trace says it.
fn exit_effect(applied: &Applied) -> Effect {
    match applied {
        Applied::Nothing => Effect::Ignored,
        Applied::Woke => Effect::Trapped,
        Applied::Die(..) => Effect::Died,
        Applied::Killed(_) => Effect::Killed,
    }
}

/// What applying a signal did, for its delivery event.
fn effect_of(signal: SignalKind, applied: &Applied) -> Effect {
    match (signal, applied) {
        (SignalKind::Exit, a) => exit_effect(a),
        (SignalKind::Down, Applied::Nothing) => Effect::Ignored,
        (SignalKind::Message | SignalKind::Down, _) => Effect::Queued,
        _ => Effect::Applied,
    }
}

pub(crate) fn is_atom(t: &Term, a: Atom) -> bool {
    matches!(t, Term::Atom(x) if *x == a)
}

impl Process {
    pub(crate) fn new(pid: Pid, behaviour: Box<dyn Behaviour>, st: ProcState) -> Process {
        Process {
            pid,
            state: AtomicU8::new(RUNNABLE),
            inbox: Mutex::new(Inbox { queue: VecDeque::new(), closed: false }),
            body: Mutex::new(Body { behaviour, st }),
        }
    }

    /// Appends a signal. `Ok(true)`: the process went from waiting to
    /// runnable and the caller must queue it. `Err`: the inbox is closed
    /// (the process ended), the signal is given back to be answered.
    #[inline(always)]
    pub(crate) fn push(&self, sig: Signal) -> Result<bool, Signal> {
        let waits = {
            let mut inbox = self.inbox.lock();
            if inbox.closed {
                return Err(sig);
            }
            // A bounded number may wait: a process monitored and
            // demonitored in a loop while it sleeps must not pile them up.
            let waits = sig.can_wait() && inbox.queue.len() < SIGNALS_THAT_MAY_WAIT;
            if inbox.queue.capacity() == 0 {
                // Room for one, not the four a first push makes: most
                // inboxes hold one signal at a time (a monitor on an idle
                // process, a ring's token), and 100k monitored processes
                // then touch 6 MB, not 25 (`monitor_down`'s "monitor all").
                inbox.queue.reserve_exact(1);
            }
            inbox.queue.push_back(sig);
            waits
        };
        if waits {
            return Ok(false);
        }
        let mut s = self.state.load(Acquire);
        loop {
            let next = match s {
                WAITING => RUNNABLE,
                RUNNING => NOTIFIED,
                _ => return Ok(false),
            };
            match self.state.compare_exchange_weak(s, next, AcqRel, Acquire) {
                Ok(_) => return Ok(next == RUNNABLE),
                Err(actual) => s = actual,
            }
        }
    }

    fn take_inbox(&self) -> VecDeque<Signal> {
        let mut inbox = self.inbox.lock();
        if inbox.queue.is_empty() {
            VecDeque::new()
        } else {
            std::mem::take(&mut inbox.queue)
        }
    }

    /// A slice's hand-over in one lock: the plain messages at the front of
    /// the inbox go straight to the end of the mailbox (in order), and
    /// whatever follows the first other signal is taken, to be applied one
    /// by one outside the lock. Most batches are messages only: then the
    /// inbox keeps its buffer (the next push needs no allocation) and no
    /// second lock gives it back. Measured on the ring: one lock a message
    /// fewer. Returns whether a message moved, and the rest.
    #[inline(always)]
    fn hand_over(&self, mailbox: &mut Mailbox) -> (bool, VecDeque<Signal>) {
        let mut inbox = self.inbox.lock();
        if inbox.queue.len() > HAND_OVER_UNDER_LOCK {
            // A backlog: taken whole and applied outside the lock, so that
            // its senders never wait for it to be moved.
            return (false, std::mem::take(&mut inbox.queue));
        }
        let mut moved = false;
        loop {
            match inbox.queue.pop_front() {
                Some(Signal::Message(m)) => {
                    mailbox.push(m);
                    moved = true;
                }
                Some(other) => {
                    // Back in its place, in front of the rest: applied next.
                    inbox.queue.push_front(other);
                    return (moved, std::mem::take(&mut inbox.queue));
                }
                None => break,
            }
        }
        if inbox.queue.capacity() > RECYCLED_INBOX {
            // A burst is over: an idle process keeps only a small buffer.
            discard(std::mem::take(&mut inbox.queue));
        }
        (moved, VecDeque::new())
    }

    /// Gives the buffer of a batch just applied (empty) back to the inbox,
    /// so that the next signal to this process finds room without an
    /// allocation (a message passed on every hop of a ring would otherwise
    /// allocate on the sender's thread and free on the receiver's). Only a
    /// small one: a waiting process keeps it.
    fn recycle_inbox(&self, buf: VecDeque<Signal>) {
        if buf.capacity() == 0 || buf.capacity() > RECYCLED_INBOX {
            return;
        }
        let mut inbox = self.inbox.lock();
        if inbox.queue.capacity() == 0 && !inbox.closed {
            discard(std::mem::replace(&mut inbox.queue, buf));
        }
    }

    fn close_inbox(&self) -> VecDeque<Signal> {
        let mut inbox = self.inbox.lock();
        inbox.closed = true;
        std::mem::take(&mut inbox.queue)
    }

    /// Links, monitors and monitored-by (sorted pids) as they will be once
    /// the signals still in the inbox are applied. `Process.info` uses it:
    /// like Erlang's `process_info`, it must see every signal its caller
    /// sent the process before asking (rule 2), e.g. a `link` just made.
    pub(crate) fn tables_after_inbox(&self, st: &ProcState) -> [Vec<Pid>; 3] {
        let (mut links, mut monitors, mut by) = match &st.tables {
            Some(t) => (
                t.links.clone(),
                t.monitors.iter().filter_map(|(r, m)| Some((*r, m.pid()?))).collect::<FxHashMap<Ref, Pid>>(),
                t.monitored_by.iter().map(|(r, (p, _))| (*r, *p)).collect::<FxHashMap<Ref, Pid>>(),
            ),
            None => Default::default(),
        };
        for sig in self.inbox.lock().queue.iter() {
            match sig {
                Signal::Link(from) if *from != self.pid => {
                    links.insert(*from);
                }
                Signal::Unlink(from) => {
                    links.remove(from);
                }
                Signal::Monitor { r, from, .. } => {
                    by.insert(*r, *from);
                }
                Signal::Demonitor { r, .. } => {
                    by.remove(r);
                }
                Signal::Down { r, .. } => {
                    monitors.remove(r);
                }
                Signal::Exit { from, via_link: true, .. } => {
                    links.remove(from);
                }
                _ => {}
            }
        }
        let sorted = |mut v: Vec<Pid>| {
            v.sort();
            v
        };
        [
            sorted(links.into_iter().collect()),
            sorted(monitors.into_values().collect()),
            sorted(by.into_values().collect()),
        ]
    }

    /// Messages still in the inbox (for `message_queue_len`).
    pub(crate) fn inbox_messages(&self) -> usize {
        self.inbox.lock().queue.iter().filter(|s| matches!(s, Signal::Message(_) | Signal::Traced { .. })).count()
    }
}

/// Runs one slice of `p`, which a worker just took from a run queue; true
/// if it yielded (used up its budget).
pub(crate) fn run_slice(rt: &Runtime, p: Arc<Process>) -> bool {
    // No fence needed: a sender that reads the state after pushing to the
    // inbox took the inbox's lock after `hand_over` released it (and then
    // reads RUNNING) or before `hand_over` took it (and its signal is in
    // the batch). A plain store, not the locked exchange of `SeqCst`.
    p.state.store(RUNNING, Release);
    let pid = p.pid;
    let mut body = p.body.lock();
    let Body { behaviour, st } = &mut *body;

    let tracing = rt.tracing();
    // Traced, every signal is applied one by one (its delivery recorded).
    let (moved, mut batch) = if tracing { (false, p.take_inbox()) } else { p.hand_over(&mut st.mailbox) };
    let mut woken = moved || !st.last_wait || st.exiting.is_some();
    let mut died = None;
    while let Some(sig) = batch.pop_front() {
        let applied = if tracing { apply_traced(rt, st, pid, sig) } else { st.apply(rt, pid, sig) };
        match applied {
            Applied::Nothing => {}
            Applied::Woke => woken = true,
            // `:kill` cannot be trapped or delayed: no last words run.
            Applied::Killed(from) => {
                let reason = Term::Atom(Atom::KILLED);
                // Told who did it (the REPL says so), its answer ignored.
                let _ = behaviour.begin_exit(&reason, from);
                st.exiting = Some(Box::new(reason.clone()));
                died = Some(reason);
                break;
            }
            Applied::Die(reason, from) => {
                let already_exiting = st.exiting.is_some();
                st.exiting = Some(Box::new(reason.clone()));
                if already_exiting {
                    died = Some(reason); // a kill cuts last words short
                    break;
                }
                if behaviour.begin_exit(&reason, from) {
                    woken = true; // last words: keep going
                } else {
                    died = Some(reason);
                    break;
                }
            }
        }
    }

    if died.is_none() && batch.capacity() != 0 {
        // Every signal was applied: the batch is empty.
        p.recycle_inbox(std::mem::take(&mut batch));
    }

    // Suspended on a busy connection: it stays so (whatever the signals
    // were, once they are applied) while the queue is busy.
    let mut still_suspended = false;
    if died.is_none() {
        if let Some(c) = st.take_suspended() {
            if st.exiting.is_none() && c.suspend(pid) {
                st.tables_mut().suspended = Some(c);
                still_suspended = true;
            } else {
                c.unsuspend(pid);
                woken = true; // resumed: on from where the slice ended
            }
        }
    }

    let slice = if let Some(reason) = died {
        Some(Slice::Exit(reason))
    } else if still_suspended {
        None
    } else if !woken {
        Some(Slice::Wait(st.timer.map(|(_, t)| t)))
    } else {
        let mut cx = Cx::new(rt, pid, st);
        let _current = crate::runtime::CurrentGuard::enter(pid);
        match catch_unwind(AssertUnwindSafe(|| behaviour.run(&mut cx))) {
            Ok(s) => Some(s),
            Err(panic) => Some(Slice::Exit(panic_reason(panic))),
        }
    };

    // What the slice sent to other nodes goes out now, in one write per
    // connection; then, if one of its messages found a connection busy and
    // it still is, the process is suspended on it.
    let busy = crate::dist::connection::end_slice();
    if busy.is_none() && st.timer.is_none() && matches!(slice, Some(Slice::Wait(None))) {
        // The commonest end (a `receive` with no `after` found nothing):
        // the `Wait` arm below with nothing to suspend on and no timer.
        st.last_wait = true;
        discard(batch);
        drop(body);
        wait_or_run_again(rt, p);
        return false;
    }
    let Some(slice) = slice else {
        // Still suspended: wait for the connection's `Wake` (a signal that
        // arrived during this slice runs it again at once, to look again).
        drop(body);
        wait_or_run_again(rt, p);
        return false;
    };
    let slice = match slice {
        Slice::Wait(Some(t)) if t <= rt.now() => Slice::Yield,
        other => other,
    };
    // What is left of the batch: only an ending process has any.
    let leftover = match slice {
        Slice::Exit(_) => Some(batch),
        _ => {
            discard(batch);
            None
        }
    };
    let suspend = match (&slice, busy) {
        (Slice::Exit(_), _) | (_, None) => false,
        (_, Some(c)) => {
            let on = st.exiting.is_none() && c.suspend(pid);
            if on {
                st.tables_mut().suspended = Some(c);
            }
            on
        }
    };
    match slice {
        Slice::Exit(reason) => {
            let reason = st.exiting.take().map_or(reason, |r| *r);
            if let Some(c) = st.take_suspended() {
                c.unsuspend(pid);
            }
            finish(rt, &p, behaviour, st, reason, leftover.unwrap_or_default());
            drop(body);
            false
        }
        Slice::Yield if suspend => {
            // Runnable, but suspended: like a wait with no deadline, except
            // that only the connection's `Wake` runs it again.
            st.last_wait = false;
            drop(body);
            wait_or_run_again(rt, p);
            false
        }
        Slice::Yield => {
            st.last_wait = false;
            drop(body);
            p.state.store(RUNNABLE, SeqCst);
            rt.schedule(p);
            true
        }
        Slice::Wait(deadline) => {
            st.last_wait = true;
            if st.timer.map(|(_, t)| t) != deadline {
                if let Some((id, _)) = st.timer.take() {
                    rt.timers().cancel(id, rt.now());
                }
                if let Some(t) = deadline {
                    let id = rt.next_wait_id();
                    rt.timers().add(id, t, TimerAction::Wake(pid));
                    st.timer = Some((id, t));
                }
            }
            drop(body);
            wait_or_run_again(rt, p);
            false
        }
    }
}

/// The slice ended waiting: the process waits, unless a signal arrived
/// while it ran (its sender saw `RUNNING` and left `NOTIFIED`), in which
/// case it runs again.
#[inline(always)]
fn wait_or_run_again(rt: &Runtime, p: Arc<Process>) {
    if p.state.compare_exchange(RUNNING, WAITING, AcqRel, Acquire).is_err() {
        p.state.store(RUNNABLE, SeqCst);
        rt.schedule(p);
    }
}

/// Lets go of an inbox buffer. One that never allocated (most of them: a
/// slice's emptied batch, the inbox's placeholder) is forgotten, which
/// frees nothing because there is nothing to free, rather than passed to
/// `VecDeque`'s out-of-line destructor: two of those a slice were 72 of
/// the ring's 1,550 instructions a message.
#[inline(always)]
fn discard(q: VecDeque<Signal>) {
    if q.capacity() == 0 {
        std::mem::forget(q);
    } else {
        drop(q);
    }
}

/// A behaviour that panicked ends with `(:error, "panic: ...")`.
fn panic_reason(panic: Box<dyn std::any::Any + Send>) -> Term {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string());
    Term::tuple(vec![Term::Atom(Atom::ERROR), Term::str(&format!("panic: {text}"))])
}

/// Steps 2-4 of "Ending" (module docs).
fn finish(
    rt: &Runtime,
    p: &Process,
    behaviour: &mut Box<dyn Behaviour>,
    st: &mut ProcState,
    reason: Term,
    rest: VecDeque<Signal>,
) {
    let pid = p.pid;
    if rt.tracing() {
        rt.trace_event(Some(pid), &[], crate::trace::EventKind::End { reason: reason.clone() });
        if let Some(name) = rt.registry().name_of(pid) {
            rt.trace_event(Some(pid), &[], crate::trace::EventKind::Unregister { name });
        }
    }
    // Dead from here on (a signal now waits in the inbox, unrun), but in
    // the table until its own signals are out (module docs, "Ending").
    p.state.store(DEAD, SeqCst);
    rt.registry().release(pid);
    if let Some((id, _)) = st.timer.take() {
        rt.timers().cancel(id, rt.now());
    }
    *behaviour = Box::new(Ended);
    st.mailbox.clear();
    st.last_to = None;
    if let Some(t) = st.tables.take() {
        let Tables { links, monitors, monitored_by, watchers, .. } = *t;
        for to in links {
            rt.deliver(Some(pid), to, Signal::Exit { from: pid, reason: reason.clone(), via_link: true });
        }
        for (r, (to, name)) in monitored_by {
            let who = rt.down_who(pid, name);
            rt.deliver(Some(pid), to, Signal::Down { r, who, reason: reason.clone() });
        }
        for (r, target) in monitors {
            match target {
                Monitored::Pid(to) => rt.deliver(Some(pid), to, Signal::Demonitor { r, from: pid }),
                Monitored::Name(name, node) => rt.route_named(pid, name, node, Signal::Demonitor { r, from: pid }),
                Monitored::Answered => {}
            }
        }
        for w in watchers {
            let _ = w.send(reason.clone());
        }
    }
    for sig in rest.into_iter().chain(p.close_inbox()) {
        match sig {
            Signal::Watch(w) => {
                let _ = w.send(reason.clone());
            }
            other => rt.answer(pid, other),
        }
    }
    rt.remove(pid);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(p: &Process) -> Vec<Term> {
        p.inbox.lock().queue.iter().filter_map(|s| match s {
            Signal::Message(m) => Some(m.clone()),
            _ => None,
        }).collect()
    }

    /// An applied batch's buffer goes back to the inbox (the next signal
    /// needs no allocation), unless the inbox has one already, is closed, or
    /// the buffer is large; signals keep their order through it.
    #[test]
    fn an_inbox_reuses_the_buffer_of_its_last_batch() {
        let p = Process::new(Pid::local(1, 0), Box::new(Ended), ProcState::new());
        for i in 0..3 {
            assert!(p.push(Signal::Message(Term::Int(i))).is_ok());
        }
        let mut batch = p.take_inbox();
        assert_eq!(p.inbox.lock().queue.capacity(), 0, "the batch took the buffer");
        batch.clear();
        let cap = batch.capacity();
        p.recycle_inbox(batch);
        assert_eq!(p.inbox.lock().queue.capacity(), cap, "the buffer came back");
        assert!(p.push(Signal::Message(Term::Int(7))).is_ok());
        assert_eq!(signals(&p), vec![Term::Int(7)]);

        // An inbox with a buffer keeps its own (and its signals).
        p.recycle_inbox(VecDeque::with_capacity(2));
        assert_eq!(signals(&p), vec![Term::Int(7)]);
        assert_eq!(p.inbox.lock().queue.capacity(), cap);

        // A large buffer is freed, not kept by an idle process.
        let _ = p.take_inbox();
        p.recycle_inbox(VecDeque::with_capacity(RECYCLED_INBOX * 4));
        assert_eq!(p.inbox.lock().queue.capacity(), 0);

        // A closed inbox (the process ended) takes nothing.
        let _ = p.close_inbox();
        p.recycle_inbox(VecDeque::with_capacity(2));
        assert_eq!(p.inbox.lock().queue.capacity(), 0);
    }

    /// A slice's hand-over: the messages at the front go to the mailbox
    /// under one lock and the inbox keeps its buffer; from the first other
    /// signal on, the rest is taken in order, to be applied one by one; a
    /// burst's large buffer is let go.
    #[test]
    fn the_hand_over_moves_leading_messages_and_takes_the_rest_in_order() {
        let p = Process::new(Pid::local(1, 0), Box::new(Ended), ProcState::new());
        let mut mailbox = Mailbox::new();
        let ints = |m: &Mailbox| m.iter().map(|t| if let Term::Int(i) = t { *i } else { -1 }).collect::<Vec<_>>();
        for i in 0..2 {
            assert!(p.push(Signal::Message(Term::Int(i))).is_ok());
        }
        let (moved, rest) = p.hand_over(&mut mailbox);
        assert!(moved && rest.is_empty());
        assert_eq!(ints(&mailbox), [0, 1]);
        assert!(p.inbox.lock().queue.capacity() > 0, "the inbox kept its buffer");

        let from = Pid::local(2, 0);
        for sig in [Signal::Message(Term::Int(2)), Signal::Link(from), Signal::Message(Term::Int(3))] {
            assert!(p.push(sig).is_ok());
        }
        let (moved, rest) = p.hand_over(&mut mailbox);
        assert!(moved);
        assert_eq!(ints(&mailbox), [0, 1, 2]);
        assert!(matches!(rest.iter().collect::<Vec<_>>()[..], [Signal::Link(f), Signal::Message(Term::Int(3))] if *f == from));
        assert!(p.inbox.lock().queue.is_empty());

        // Nothing there: nothing moved.
        let (moved, rest) = p.hand_over(&mut mailbox);
        assert!(!moved && rest.is_empty());

        // A burst's buffer is let go.
        for i in 0..HAND_OVER_UNDER_LOCK as i64 {
            assert!(p.push(Signal::Message(Term::Int(i))).is_ok());
        }
        let (moved, rest) = p.hand_over(&mut mailbox);
        assert!(moved && rest.is_empty());
        assert_eq!(mailbox.len(), 3 + HAND_OVER_UNDER_LOCK);
        assert_eq!(p.inbox.lock().queue.capacity(), 0, "a burst's buffer is not kept");

        // A longer backlog is taken whole, to be applied outside the lock.
        for i in 0..=HAND_OVER_UNDER_LOCK as i64 {
            assert!(p.push(Signal::Message(Term::Int(i))).is_ok());
        }
        let (moved, rest) = p.hand_over(&mut mailbox);
        assert!(!moved);
        assert_eq!(rest.len(), HAND_OVER_UNDER_LOCK + 1);
        assert_eq!(mailbox.len(), 3 + HAND_OVER_UNDER_LOCK);
    }

    /// Links and monitors wait in a waiting process's inbox up to a bound;
    /// the next one, and any message or exit signal, wakes it.
    #[test]
    fn links_and_monitors_wait_for_the_next_run_up_to_a_bound() {
        let p = Process::new(Pid::local(1, 0), Box::new(Ended), ProcState::new());
        p.state.store(WAITING, SeqCst);
        let monitor = |i: u64| Signal::Monitor { r: Ref { node: 0, words: [i as u32, 0, 0] }, from: Pid::local(2, 0), name: None };
        for i in 0..SIGNALS_THAT_MAY_WAIT as u64 {
            assert!(matches!(p.push(monitor(i)), Ok(false)), "signal {i} woke it");
        }
        assert_eq!(p.state.load(SeqCst), WAITING);
        assert!(matches!(p.push(monitor(99)), Ok(true)), "past the bound it wakes");
        assert_eq!(p.state.load(SeqCst), RUNNABLE);

        let q = Process::new(Pid::local(3, 0), Box::new(Ended), ProcState::new());
        q.state.store(WAITING, SeqCst);
        assert!(matches!(q.push(Signal::Link(Pid::local(2, 0))), Ok(false)));
        assert!(matches!(q.push(Signal::Message(Term::Int(1))), Ok(true)), "a message wakes it");

        // A link from another node wakes it: a lost connection must find it.
        let r = Process::new(Pid::local(4, 0), Box::new(Ended), ProcState::new());
        r.state.store(WAITING, SeqCst);
        let remote = Pid { node: 1, ..Pid::local(5, 0) };
        assert!(matches!(r.push(Signal::Link(remote)), Ok(true)));
    }

    /// The fixed cost of a process (see the memory test in tests/stress.rs
    /// for the measured total, table entry and allocator included).
    #[test]
    fn a_process_is_small() {
        let process = std::mem::size_of::<Process>();
        eprintln!(
            "Process {process} B (ProcState {} B, Signal {} B, Tables {} B)",
            std::mem::size_of::<ProcState>(),
            std::mem::size_of::<Signal>(),
            std::mem::size_of::<Tables>()
        );
        // 200, not 208: with `last_to` and an unboxed `exiting` it was 208
        // bytes, and an idle process then took 30 more bytes (646 B, not
        // 615, in the spawn benchmark's 1M run): the allocator's bins.
        assert!(process <= 200, "Process is {process} bytes");
    }
}
