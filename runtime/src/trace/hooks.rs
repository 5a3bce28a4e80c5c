//! The recording hooks: how the runtime's actions become trace events.
//! Each is called only after `Runtime::tracing()` said yes.

use super::event::{Effect, EventKind};
use super::is_io_plumbing;
use crate::atom::Atom;
use crate::runtime::Runtime;
use crate::signal::{down_message, Signal, SignalKind};
use crate::term::{Pid, Term};

/// A signal about to be applied, as its delivery event will show it.
pub(crate) struct Arriving {
    from: Option<Pid>,
    signal: SignalKind,
    payload: Term,
    via_node: Option<Atom>,
}

impl Arriving {
    pub(crate) fn signal(&self) -> SignalKind {
        self.signal
    }

    /// `None` for signals a trace does not show (wakes, timers, the
    /// runtime's own bookkeeping; a lost connection records its own).
    pub(crate) fn of(sig: &Signal) -> Option<Arriving> {
        let (from, signal, payload) = match sig {
            Signal::Message(m) | Signal::Traced { msg: m, .. } if is_io_plumbing(m) => return None,
            Signal::Traced { from, msg } => {
                let from = Some(*from).filter(|p| *p != Runtime::OUTSIDE);
                return Some(Arriving { from, signal: SignalKind::Message, payload: msg.clone(), via_node: None });
            }
            Signal::Message(m) => {
                // `(:nodedown, node)` to a node monitor: from the node's loss.
                let via_node = nodedown_of(m);
                return Some(Arriving { from: None, signal: SignalKind::Message, payload: m.clone(), via_node });
            }
            Signal::Link(from) => (*from, SignalKind::Link, Term::NIL_ATOM),
            Signal::Unlink(from) => (*from, SignalKind::Unlink, Term::NIL_ATOM),
            Signal::Monitor { r, from, .. } => (*from, SignalKind::Monitor, Term::Ref(*r)),
            Signal::Demonitor { r, from } => (*from, SignalKind::Demonitor, Term::Ref(*r)),
            Signal::Down { r, who, reason } => {
                let from = match who {
                    Term::Pid(p) => Some(*p),
                    _ => None,
                };
                let payload = down_message(*r, who.clone(), reason.clone());
                if is_io_plumbing(&payload) {
                    return None;
                }
                return Some(Arriving { from, signal: SignalKind::Down, payload, via_node: None });
            }
            Signal::Exit { from, reason, .. } => (*from, SignalKind::Exit, reason.clone()),
            _ => return None,
        };
        Some(Arriving { from: Some(from), signal, payload, via_node: None })
    }
}

fn nodedown_of(m: &Term) -> Option<Atom> {
    match m {
        Term::Tuple(t) if t.len() == 2 && t[0] == Term::Atom(Atom::NODEDOWN) => t[1].as_atom(),
        _ => None,
    }
}

// The hooks below that do not check `tracing()` themselves are called only
// while a trace records: `#[cold]` and out of line, so that the paths that
// check the flag stay small enough to be inlined where they are called.
impl Runtime {
    /// Records one event on `pid`'s line (or the node's, for `None`).
    #[cold]
    #[inline(never)]
    pub(crate) fn trace_event(&self, pid: Option<Pid>, others: &[Pid], kind: EventKind) {
        let name = pid.and_then(|p| self.registry().name_of(p));
        let at = super::Stamp { node: self.node_name(), wall_us: self.wall_us() };
        self.tracer().record(at, pid, name, others, kind);
    }

    /// A process was born (every spawn calls this: the check inline, the
    /// recording out of line).
    #[inline]
    pub(crate) fn trace_born(&self, pid: Pid, parent: Option<Pid>) {
        if self.tracing() {
            let others: Vec<Pid> = parent.into_iter().collect();
            self.trace_event(Some(pid), &others, EventKind::Born { parent });
        }
    }

    /// A signal leaving a process of this node.
    #[cold]
    #[inline(never)]
    pub(crate) fn trace_send(&self, from: Option<Pid>, to: Pid, sig: &Signal) {
        let Some(from) = from.filter(|p| p.node == 0 && *p != Runtime::OUTSIDE) else { return };
        let (signal, payload) = match sig {
            Signal::Message(m) if is_io_plumbing(m) => return,
            Signal::Message(m) => (SignalKind::Message, m.clone()),
            Signal::Link(_) => (SignalKind::Link, Term::NIL_ATOM),
            Signal::Unlink(_) => (SignalKind::Unlink, Term::NIL_ATOM),
            Signal::Monitor { r, .. } => (SignalKind::Monitor, Term::Ref(*r)),
            Signal::Demonitor { r, .. } => (SignalKind::Demonitor, Term::Ref(*r)),
            Signal::Down { r, who, reason } => {
                let down = down_message(*r, who.clone(), reason.clone());
                if is_io_plumbing(&down) {
                    return;
                }
                (SignalKind::Down, down)
            }
            Signal::Exit { reason, .. } => (SignalKind::Exit, reason.clone()),
            _ => return,
        };
        self.trace_event(Some(from), &[to], EventKind::Send { to, signal, payload, to_name: None });
    }

    /// A message, monitor or demonitor to `name` on another node.
    #[cold]
    #[inline(never)]
    pub(crate) fn trace_send_named(&self, from: Pid, name: Atom, node: Atom, sig: &Signal) {
        let (signal, payload) = match sig {
            Signal::Message(m) if is_io_plumbing(m) => return,
            Signal::Message(m) => (SignalKind::Message, m.clone()),
            Signal::Monitor { r, .. } => (SignalKind::Monitor, Term::Ref(*r)),
            Signal::Demonitor { r, .. } => (SignalKind::Demonitor, Term::Ref(*r)),
            _ => return,
        };
        let kind = EventKind::Send { to: Runtime::OUTSIDE, signal, payload, to_name: Some((name, node)) };
        self.trace_event(Some(from), &[], kind);
    }

    /// A signal applied by `pid`, and what it did.
    #[cold]
    #[inline(never)]
    pub(crate) fn trace_deliver(&self, pid: Pid, a: Arriving, effect: Effect) {
        let others: Vec<Pid> = a.from.into_iter().collect();
        let kind = EventKind::Deliver { from: a.from, signal: a.signal, payload: a.payload, effect, via_node: a.via_node };
        self.trace_event(Some(pid), &others, kind);
    }

    /// An exit or DOWN `:noconnection` that `pid` made itself when the
    /// connection to `node` was lost.
    #[cold]
    #[inline(never)]
    pub(crate) fn trace_lost(&self, pid: Pid, node: Atom, from: Option<Pid>, signal: SignalKind, payload: Term, effect: Effect) {
        let kind = EventKind::Deliver { from, signal, payload, effect, via_node: Some(node) };
        self.trace_event(Some(pid), &[], kind);
    }

    /// `receive` took `msg`.
    #[cold]
    #[inline(never)]
    pub(crate) fn trace_receive(&self, pid: Pid, msg: &Term) {
        if !is_io_plumbing(msg) {
            self.trace_event(Some(pid), &[], EventKind::Receive { msg: msg.clone() });
        }
    }

    /// An error nothing caught, and where it was raised: recorded by the
    /// language, whose frames know the source line, before the process ends.
    pub fn trace_crash(&self, pid: Pid, reason: &Term, place: &str) {
        if self.tracing() {
            self.trace_event(Some(pid), &[], EventKind::Crash { reason: reason.clone(), place: place.to_string() });
        }
    }

    /// A report line of a supervisor or a service, on its line.
    pub fn trace_report(&self, pid: Pid, text: &str) {
        if self.tracing() {
            self.trace_event(Some(pid), &[], EventKind::Report { text: text.to_string() });
        }
    }

    /// A fault applied on this node, or a peer killed, frozen or restarted:
    /// on the node's line, worded as the REPL's live feed words it.
    pub fn trace_net(&self, what: &str) {
        if self.tracing() {
            self.trace_event(None, &[], EventKind::Net { what: what.to_string() });
        }
    }

    /// Never records events of `pid` (one of the runtime's own processes).
    pub fn hide_from_trace(&self, pid: Pid) {
        self.tracer().hide(pid);
    }
}
