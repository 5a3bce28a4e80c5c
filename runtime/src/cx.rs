//! The process context: what a running process can do, handed to
//! `Behaviour::run`.
//!
//! Everything here either changes the running process's own state (its
//! mailbox, its link and monitor tables, trap_exit) or sends a signal
//! (`signal.rs`); nothing locks or changes another process.

use crate::atom::Atom;
use crate::behaviour::Behaviour;
use crate::mailbox::Mailbox;
use crate::process::{Monitored, ProcState};
use crate::runtime::{ProcessInfo, Runtime};
use crate::signal::{RemoteCall, Signal, SignalError, SpawnRequest};
use crate::term::{Pid, Ref, Term};
use crate::timer::TimerDest;
use std::time::Duration;

/// Options of `Cx::spawn`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpawnOpts {
    /// `spawn_link`: the link exists before the child runs.
    pub link: bool,
    /// `spawn_monitor`: the monitor exists before the child runs.
    pub monitor: bool,
}

/// What `Cx::monitor` watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorTarget {
    Pid(Pid),
    /// A registered name, resolved now; the DOWN then carries `(name, node)`.
    Name(Atom),
    /// A name on another node, resolved there: `(name, node)`.
    Remote(Atom, Atom),
}

pub struct Cx<'a> {
    rt: &'a Runtime,
    pid: Pid,
    st: &'a mut ProcState,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(rt: &'a Runtime, pid: Pid, st: &'a mut ProcState) -> Cx<'a> {
        Cx { rt, pid, st }
    }

    pub fn pid(&self) -> Pid {
        self.pid
    }

    pub fn runtime(&self) -> &Runtime {
        self.rt
    }

    pub fn mailbox(&mut self) -> &mut Mailbox {
        &mut self.st.mailbox
    }

    /// Takes the `i`-th message for `receive` (a trace records it).
    #[inline]
    pub fn take_message(&mut self, i: usize) -> Option<Term> {
        let msg = if i == 0 { self.st.mailbox.pop_oldest()? } else { self.st.mailbox.remove(i)? };
        if self.rt.tracing() {
            self.rt.trace_receive(self.pid, &msg);
        }
        Some(msg)
    }

    /// Takes the `i`-th message for `receive` when the receiver read it
    /// already (its pattern matched a copy): the message itself is dropped.
    #[inline]
    pub fn drop_message(&mut self, i: usize) {
        if i == 0 && !self.rt.tracing() {
            self.st.mailbox.drop_oldest();
        } else {
            drop(self.take_message(i));
        }
    }

    /// Whether signals (messages among them) arrived during this slice and
    /// wait to be applied. A `receive` about to time out yields first, so
    /// that it sees them, as the BEAM's `receive` looks at its signal queue.
    pub fn signals_pending(&self) -> bool {
        self.rt.signals_pending(self.pid)
    }

    pub fn send(&mut self, to: Pid, msg: Term) {
        self.rt.send_from(self.pid, to, msg, &mut self.st.last_to);
    }

    /// Whether a message this slice sent to another node found that
    /// connection's queue busy (over the busy limit): the message is
    /// queued, and the process will be suspended when its slice ends until
    /// the queue drains, as Erlang suspends a sender on a busy distribution
    /// port. A behaviour should end its slice (`Slice::Yield`) right after
    /// such a send, before doing anything else.
    #[inline]
    pub fn busy(&self) -> bool {
        crate::dist::connection::busy_pending()
    }

    /// Sends to a registered name; `Err(Badarg)` when nobody has it.
    pub fn send_named(&mut self, name: Atom, msg: Term) -> Result<(), SignalError> {
        let to = self.rt.whereis(name).ok_or(SignalError::Badarg)?;
        self.send(to, msg);
        Ok(())
    }

    /// `send((name, node), msg)` for a node other than this one: dropped
    /// silently when nobody there has the name (as in Erlang).
    pub fn send_remote_named(&mut self, name: Atom, node: Atom, msg: Term) {
        self.rt.route_named(self.pid, name, node, Signal::Message(msg));
    }

    /// `Node.spawn`: asks `node` to run `fun(args...)`. The answer arrives
    /// as the message `(:spawn_reply, ref, :ok, pid)` or
    /// `(:spawn_reply, ref, :error, reason)`; with `opts.link` /
    /// `opts.monitor` the link / monitor (under `ref`) exists before the
    /// new process runs, and is in this process's tables when that message
    /// is.
    pub fn spawn_remote(&mut self, node: Atom, fun: Term, args: Vec<Term>, opts: SpawnOpts) -> Ref {
        let r = self.rt.make_ref();
        let call = RemoteCall::Apply { fun, args };
        if self.rt.tracing() {
            let kind = crate::trace::EventKind::SpawnRequest { node, link: opts.link, monitor: opts.monitor };
            self.rt.trace_event(Some(self.pid), &[], kind);
        }
        let req = SpawnRequest { from: self.pid, node, call, group_leader: self.st.group_leader() };
        self.rt.spawn_request(req, r, opts);
        r
    }

    /// Erlang's rpc: `node` runs `module:function(args...)` in a process
    /// this one monitors under the returned ref. The answer arrives as the
    /// message `(:spawn_reply, ref, :ok, pid)`, then the DOWN of that
    /// monitor whose reason is `(ref, :return, value)` (or
    /// `(ref, :error, reason, stack)`, `(ref, :exit, reason)`,
    /// `(ref, :throw, value)`); or `(:spawn_reply, ref, :error, why)`.
    pub fn rpc_request(&mut self, node: Atom, module: Atom, function: Atom, args: Vec<Term>) -> Ref {
        let r = self.rt.make_ref();
        let call = RemoteCall::Rpc { tag: r, module, function, args };
        let req = SpawnRequest { from: self.pid, node, call, group_leader: self.st.group_leader() };
        self.rt.spawn_request(req, r, SpawnOpts { link: false, monitor: true });
        r
    }

    /// Where this process's output goes when not to this node's terminal
    /// (a group leader on another node).
    pub fn group_leader(&self) -> Option<Pid> {
        self.st.group_leader()
    }

    /// Spawns a child; with `opts.link` / `opts.monitor` the link / monitor
    /// is in both tables before the child runs (rule 1). Returns the
    /// monitor's ref when one was asked for.
    pub fn spawn(&mut self, b: Box<dyn Behaviour>, opts: SpawnOpts) -> (Pid, Option<Ref>) {
        self.rt.spawn_child(b, self.pid, self.st, opts)
    }

    /// Links to `pid` (rule 4). Linking to oneself does nothing.
    pub fn link(&mut self, pid: Pid) -> Result<(), SignalError> {
        if pid == self.pid {
            return Ok(());
        }
        // A process that is ending (it has sent, or is sending, its exit
        // signals) is gone for `link`, as a pid that no longer exists.
        let sent = if self.rt.is_ending(pid) {
            Err(Signal::Link(self.pid))
        } else {
            self.rt.try_deliver(Some(self.pid), pid, Signal::Link(self.pid))
        };
        match sent {
            Ok(()) => {
                self.st.tables_mut().links.insert(pid);
                Ok(())
            }
            Err(_) if self.st.trap_exit => {
                // Answered through this process's inbox, behind what is
                // already there (see `monitor`).
                self.st.tables_mut().links.insert(pid);
                let sig = Signal::Exit { from: pid, reason: Term::Atom(Atom::NOPROC), via_link: true };
                self.rt.deliver_answer(pid, self.pid, sig);
                Ok(())
            }
            Err(_) => Err(SignalError::NoProc),
        }
    }

    /// Removes the link both ways; after this returns no exit signal from
    /// that link is delivered (rule 4).
    pub fn unlink(&mut self, pid: Pid) {
        let had = self.st.tables.as_mut().is_some_and(|t| t.links.remove(&pid));
        if had {
            self.rt.deliver(Some(self.pid), pid, Signal::Unlink(self.pid));
        }
    }

    /// Monitors a process (rule 8). A target already gone (or ending), or a
    /// name not registered, is answered `(:down, ref, pid_or_(name, node),
    /// :noproc)` at once, through this process's inbox: it arrives after
    /// whatever the dead process sent first.
    pub fn monitor(&mut self, target: MonitorTarget) -> Ref {
        let r = self.rt.make_ref();
        let (to, name) = match target {
            MonitorTarget::Pid(p) => (Some(p), None),
            MonitorTarget::Name(n) => (self.rt.whereis(n), Some(n)),
            MonitorTarget::Remote(name, node) => {
                self.st.tables_mut().monitors.insert(r, Monitored::Name(name, node));
                self.rt.route_named(self.pid, name, node, Signal::Monitor { r, from: self.pid, name: Some(name) });
                return r;
            }
        };
        let sent = to.map(|to| {
            let sig = Signal::Monitor { r, from: self.pid, name };
            self.rt.try_deliver(Some(self.pid), to, sig).map(|()| to)
        });
        match sent {
            Some(Ok(to)) => {
                self.st.tables_mut().monitors.insert(r, Monitored::Pid(to));
            }
            _ => {
                let who = match (target, name) {
                    (_, Some(n)) => self.rt.name_node(n),
                    (MonitorTarget::Pid(p), None) => Term::Pid(p),
                    (MonitorTarget::Name(n) | MonitorTarget::Remote(n, _), None) => self.rt.name_node(n),
                };
                // The :noproc DOWN travels through this process's own inbox,
                // behind the signals already there, as a signal from the
                // dead process: one that ended while we ran has its exit
                // signal (a link) ahead of it, and that comes first (rule 2).
                let from = match &who {
                    Term::Pid(p) => *p,
                    _ => self.pid,
                };
                self.st.tables_mut().monitors.insert(r, Monitored::Answered);
                self.rt.deliver_answer(from, self.pid, Signal::Down { r, who, reason: Term::Atom(Atom::NOPROC) });
            }
        }
        r
    }

    /// Drops monitor `r`; true if it was active. After this returns no DOWN
    /// for `r` arrives; with `flush`, one already in the mailbox is removed.
    pub fn demonitor(&mut self, r: Ref, flush: bool) -> bool {
        let target = self.st.tables.as_mut().and_then(|t| t.monitors.remove(&r));
        match target {
            Some(Monitored::Pid(to)) => self.rt.deliver(Some(self.pid), to, Signal::Demonitor { r, from: self.pid }),
            Some(Monitored::Name(name, node)) => {
                self.rt.route_named(self.pid, name, node, Signal::Demonitor { r, from: self.pid })
            }
            Some(Monitored::Answered) | None => {}
        }
        if flush {
            self.st.mailbox.remove_first(|m| is_down_for(m, r));
        }
        target.is_some()
    }

    /// `Process.exit(to, reason)` (rule 6). To oneself, it takes effect
    /// before the next slice: the caller should yield right after.
    pub fn exit(&mut self, to: Pid, reason: Term) {
        self.rt.deliver(Some(self.pid), to, Signal::Exit { from: self.pid, reason, via_link: false });
    }

    /// What this process is, as `:processes` shows it (a service, a
    /// supervisor); like Erlang's `proc_lib:set_label`.
    pub fn set_label(&mut self, label: Term) {
        self.st.tables_mut().label = Some(label);
    }

    /// This process's label, if it set one.
    pub fn label(&self) -> Option<Term> {
        self.st.label()
    }

    /// The labelled process (a supervisor, a service) that spawned this
    /// one, and its label.
    pub fn labelled_parent(&self) -> Option<(Pid, Term)> {
        self.st.tables.as_ref().and_then(|t| t.parent.clone())
    }

    pub fn trap_exit(&self) -> bool {
        self.st.trap_exit
    }

    /// Returns the previous value (rule 7).
    pub fn set_trap_exit(&mut self, on: bool) -> bool {
        std::mem::replace(&mut self.st.trap_exit, on)
    }

    pub fn register(&mut self, name: Atom, pid: Pid) -> Result<(), SignalError> {
        self.rt.register(name, pid)
    }

    pub fn unregister(&mut self, name: Atom) -> Result<(), SignalError> {
        self.rt.unregister(name)
    }

    /// Delivers `msg` to `dest` after `ms` milliseconds (a name is looked up
    /// then). The ref identifies the timer for `cancel_timer`.
    pub fn send_after(&mut self, dest: TimerDest, msg: Term, ms: u64) -> Ref {
        self.rt.send_after(dest, msg, ms)
    }

    /// Cancels a `send_after` timer: the milliseconds it had left, or `None`
    /// if it already fired or never existed.
    pub fn cancel_timer(&mut self, r: Ref) -> Option<u64> {
        self.rt.cancel_timer(r)
    }

    pub fn make_ref(&mut self) -> Ref {
        self.rt.make_ref()
    }

    /// Runs `f`, which may block this thread for a long time (reading
    /// stdin, a blocking system call), without holding up other processes:
    /// the processes queued on this scheduler thread are handed to the
    /// others first. A behaviour must never block outside this.
    pub fn blocking<R>(&mut self, f: impl FnOnce() -> R) -> R {
        self.rt.blocking(f)
    }

    /// `Process.info(pid)`; about oneself it reads one's own state directly
    /// (`Runtime::info` cannot, while this process is running).
    pub fn info(&self, pid: Pid) -> Option<ProcessInfo> {
        if pid != self.pid {
            return self.rt.info(pid);
        }
        let mut info = self.rt.info_of_state(pid, self.st);
        info.status = Atom::RUNNING;
        Some(info)
    }
}

pub(crate) fn ceil_ms(d: Duration) -> u64 {
    d.as_nanos().div_ceil(1_000_000) as u64
}

fn is_down_for(m: &Term, r: Ref) -> bool {
    match m {
        Term::Tuple(items) => {
            items.len() == 4
                && matches!(items[0], Term::Atom(a) if a == Atom::DOWN)
                && matches!(items[1], Term::Ref(x) if x == r)
        }
        _ => false,
    }
}
