//! Signals: everything one process does to another, and the rules they obey.
//!
//! # Ordering (rule 2)
//!
//! A process never changes another process's state. Messages, links,
//! unlinks, monitors, demonitors, exits and DOWNs are all *signals*, and every
//! signal goes through one function, `Runtime::deliver`, which appends it to
//! the target's single FIFO inbox (or hands it to the distribution hook for a
//! pid on another node). Because a sender's signals to one target are appended
//! in the order it sends them, and the target applies its inbox in order, B
//! observes A's signals in the order A sent them, whatever their kinds. No
//! order is promised between different senders.
//!
//! # Who changes what
//!
//! * `link(B)` by A: A adds B to its own link table, then sends `Link(A)` to
//!   B; B adds A when it applies the signal. `unlink` is the same with
//!   removal. An exit signal that arrives *through a link* (`via_link`) is
//!   dropped when its sender is not in the receiver's link table: so after
//!   `unlink` returns, no exit from that link is delivered (rule 4).
//! * `monitor(B)` by A: A records `ref -> B` in its monitors table and sends
//!   `Monitor(ref, A)`; B records it in its monitored-by table. A `Down`
//!   is turned into a `(:down, ref, pid, reason)` message only if `ref` is
//!   still in the receiver's monitors table: so after `demonitor` returns no
//!   DOWN for that ref arrives (rule 8).
//! * A signal sent to a pid that does not exist (never did, or has ended) is
//!   *answered* by the runtime as the dead process would: `Link` gets an exit
//!   `:noproc` back through the link, `Monitor` gets a `Down(:noproc)`, a
//!   watcher gets `:noproc`; everything else is dropped.
//!
//! # Observation
//!
//! An optional observer (`Runtime::set_observer`) sees every signal at the
//! moment it is sent, as a `SignalEvent`. When none is set the cost is one
//! relaxed atomic load per signal.
//!
//! # Other nodes
//!
//! A signal to a pid with `node != 0` goes to the `RemoteRouter`, if one is
//! set (the distribution layer). With none, the remote target is treated as
//! dead: the signal is answered as above (`:noproc`). Signals arriving from
//! other nodes enter through `Runtime::deliver_signal`, so they obey the same
//! rules.

use crate::atom::Atom;
use crate::cx::SpawnOpts;
use crate::term::{Pid, Ref, Term};
use std::time::Instant;

/// A signal in flight to one process.
pub enum Signal {
    /// An ordinary message: appended to the mailbox.
    Message(Term),
    /// Local only: a message while a trace records, with its sender (which
    /// the delivery event names; a plain message does not carry it).
    Traced { from: Pid, msg: Term },
    /// The sender linked to the receiver.
    Link(Pid),
    /// The sender removed its link to the receiver.
    Unlink(Pid),
    /// `from` monitors the receiver under `r`. `name` is set when the monitor
    /// was made by registered name (its DOWN then names `(name, node)`).
    Monitor { r: Ref, from: Pid, name: Option<Atom> },
    /// `from` dropped its monitor `r` on the receiver.
    Demonitor { r: Ref, from: Pid },
    /// The process monitored by the receiver under `r` ended. `who` is what
    /// the DOWN message names: its pid, or `(name, node)` for a monitor made
    /// by registered name.
    Down { r: Ref, who: Term, reason: Term },
    /// An exit signal: through a link when `via_link`, else `Process.exit`.
    Exit { from: Pid, reason: Term, via_link: bool },
    /// Run the behaviour once even without a message (`Runtime::wake`).
    Wake,
    /// Local only: the receive timer with this id fired.
    Timeout(u64),
    /// Local only: send the exit reason on this channel when the process ends.
    Watch(crossbeam_channel::Sender<Term>),
    /// Local only: the connection to this node was lost (rule 18). The
    /// receiver settles its own links and monitors with processes there:
    /// exit `:noconnection` through each link, a DOWN `:noconnection` for
    /// each monitor it holds, and forgets the monitors held on it.
    ConnectionLost(Atom),
    /// The answer to this process's `Node.spawn` request `r`: the new pid
    /// (with the link / monitor made on the other side) or why it failed.
    /// Applying it records the link / monitor, then delivers
    /// `(:spawn_reply, r, :ok, pid)` or `(:spawn_reply, r, :error, reason)`.
    SpawnReply { r: Ref, result: Result<Pid, Term>, link: bool, monitor: bool },
}

impl Signal {
    /// Whether a waiting receiver may apply this signal when it next runs
    /// rather than be woken for it. A link or monitor changes only the
    /// receiver's own tables, which nothing reads before the receiver runs
    /// again (`Process.info` counts the signals still in the inbox, as
    /// Erlang's `process_info` sees what its caller sent first), and the
    /// receiver applies its inbox in order before anything else it does:
    /// before the exit signal that kills it, say, so the DOWN carries the
    /// real reason. Waking 100,000 waiting processes one by one only to
    /// record a monitor each was the cost of `monitor_down`'s "monitor all".
    ///
    /// Only from this node's processes: a link or monitor from another node
    /// must be in the tables when that node's connection is lost, for the
    /// `:noconnection` exits and DOWNs that settle it (rule 18).
    pub(crate) fn can_wait(&self) -> bool {
        match self {
            Signal::Link(from) | Signal::Unlink(from) => from.is_local(),
            Signal::Monitor { from, .. } | Signal::Demonitor { from, .. } => from.is_local(),
            _ => false,
        }
    }
}

/// The kind of a signal, for observers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignalKind {
    Message,
    Link,
    Unlink,
    Monitor,
    Demonitor,
    Down,
    Exit,
    Wake,
}

/// One signal as an observer sees it.
#[derive(Debug)]
pub struct SignalEvent {
    /// `None` when sent from outside any process (or by a timer).
    pub from: Option<Pid>,
    pub to: Pid,
    pub kind: SignalKind,
    /// Message: the message; Exit: the reason; Down: `(ref, reason)`;
    /// Monitor / Demonitor: the ref; Link / Unlink / Wake: `nil`.
    pub payload: Term,
    pub at: Instant,
}

/// The distribution hook: takes signals for pids on other nodes.
pub trait RemoteRouter: Send + Sync {
    /// Sends `signal` towards `to` (whose `node != 0`). `Err` gives the signal
    /// back when `to` cannot exist (a pid of this node's earlier life): the
    /// runtime then answers it as from a dead process (`:noproc`). A node
    /// that cannot be reached is the router's to answer (`:noconnection`).
    fn route(&self, from: Option<Pid>, to: Pid, signal: Signal) -> Result<(), Signal>;
    /// Sends a message, monitor or demonitor to the name `name` on `node`.
    fn route_named(&self, from: Pid, name: Atom, node: Atom, signal: Signal);
    /// Sends a spawn request; the answer comes back as a `SpawnReply`
    /// signal carrying `r`.
    fn spawn_request(&self, req: SpawnRequest, r: Ref, opts: SpawnOpts);
}

/// A process asking another node to start one (`Node.spawn`, rpc).
pub struct SpawnRequest {
    pub from: Pid,
    pub node: Atom,
    pub call: RemoteCall,
    /// The asker's group leader, if it has one on another node; otherwise
    /// this node's terminal (`user`) becomes the new process's.
    pub group_leader: Option<Pid>,
}

/// What the new process runs.
pub enum RemoteCall {
    /// `erlang:apply(Fun, Args)`: a function value, as `spawn(Node, Fun)`.
    Apply { fun: Term, args: Vec<Term> },
    /// `erpc:execute_call(Ref, M, F, Args)`: Erlang's rpc. The process ends
    /// with `{Ref, return, Value}` (or `{Ref, error, Reason, Stack}`, ...),
    /// which the asker reads in the DOWN of its monitor.
    Rpc { tag: Ref, module: Atom, function: Atom, args: Vec<Term> },
}

/// Why a process-level operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalError {
    /// Bad argument: an unregistered name, a name already taken, ...
    Badarg,
    /// The target process does not exist.
    NoProc,
}

impl Signal {
    /// The observer's view of this signal; `None` for internal ones.
    pub(crate) fn event(&self, from: Option<Pid>, to: Pid) -> Option<SignalEvent> {
        let (kind, payload) = match self {
            Signal::Message(m) | Signal::Traced { msg: m, .. } => (SignalKind::Message, m.clone()),
            Signal::Link(_) => (SignalKind::Link, Term::NIL_ATOM),
            Signal::Unlink(_) => (SignalKind::Unlink, Term::NIL_ATOM),
            Signal::Monitor { r, .. } => (SignalKind::Monitor, Term::Ref(*r)),
            Signal::Demonitor { r, .. } => (SignalKind::Demonitor, Term::Ref(*r)),
            Signal::Down { r, reason, .. } => {
                (SignalKind::Down, Term::tuple(vec![Term::Ref(*r), reason.clone()]))
            }
            Signal::Exit { reason, .. } => (SignalKind::Exit, reason.clone()),
            Signal::Wake | Signal::Timeout(_) => (SignalKind::Wake, Term::NIL_ATOM),
            Signal::SpawnReply { r, .. } => (SignalKind::Message, Term::Ref(*r)),
            Signal::Watch(_) | Signal::ConnectionLost(_) => return None,
        };
        Some(SignalEvent { from, to, kind, payload, at: Instant::now() })
    }
}

/// `(:nodedown, node)` / `(:nodeup, node)`.
pub fn node_message(up: bool, node: Atom) -> Term {
    Term::tuple(vec![Term::Atom(if up { Atom::NODEUP } else { Atom::NODEDOWN }), Term::Atom(node)])
}

/// `(:down, ref, who, reason)`.
pub fn down_message(r: Ref, who: Term, reason: Term) -> Term {
    Term::tuple(vec![Term::Atom(Atom::DOWN), Term::Ref(r), who, reason])
}

/// `(:exit, from, reason)`.
pub(crate) fn exit_message(from: Pid, reason: Term) -> Term {
    Term::tuple(vec![Term::Atom(Atom::EXIT), Term::Pid(from), reason])
}
