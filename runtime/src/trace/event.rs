//! One recorded event of a trace, and its form as a Snow value (what
//! `Trace.events()` returns and what a node sends the tracing node).

use crate::atom::Atom;
use crate::signal::SignalKind;
use crate::term::{MapObj, Pid, Term};

/// One thing that happened on one node. Every event belongs to one *line*:
/// a process (`pid`), or the node itself (`pid: None`: nodes coming and
/// going, faults applied, peers killed).
#[derive(Clone, Debug)]
pub struct TraceEvent {
    /// The node that recorded it.
    pub node: Atom,
    pub pid: Option<Pid>,
    /// The process's registered name when the event happened.
    pub name: Option<Atom>,
    /// Wall time, microseconds since the Unix epoch (for people: order
    /// comes from `lamport`, never from clocks of different machines).
    pub wall_us: u64,
    /// Order of recording on its node, from 1.
    pub seq: u64,
    /// When that node's recording started (wall microseconds): tells a
    /// node's incarnations apart (a peer restarted records afresh).
    pub epoch: u64,
    /// Lamport clock: 0 as recorded, set when a trace is put together
    /// (`Timeline::build`) from the causal order of all nodes' events.
    pub lamport: u64,
    pub kind: EventKind,
}

#[derive(Clone, Debug)]
pub enum EventKind {
    /// On the parent's line: it started `child` here.
    Spawn { child: Pid, link: bool, monitor: bool },
    /// On the parent's line: it asked `node` to start a process (the
    /// child's `Born` over there names this process as its parent).
    SpawnRequest { node: Atom, link: bool, monitor: bool },
    /// The first event of a process's line.
    Born { parent: Option<Pid> },
    /// A signal sent. `payload`: the message (Message), the reason (Exit),
    /// the `(:down, ref, who, reason)` message it becomes (Down), the ref
    /// (Monitor, Demonitor), nil (Link, Unlink).
    /// A signal to a name on another node (`send((name, node), msg)`)
    /// has `to_name`; its `to` is `Runtime::OUTSIDE` until the trace is put
    /// together and its delivery found.
    Send { to: Pid, signal: SignalKind, payload: Term, to_name: Option<(Atom, Atom)> },
    /// A signal applied by its receiver, and what it did. `from` is none
    /// for a message from outside any process (a timer, the runtime).
    /// `via_node`: the signal stands for the loss of the connection to that
    /// node (an exit or DOWN `:noconnection`, a `(:nodedown, node)`).
    Deliver { from: Option<Pid>, signal: SignalKind, payload: Term, effect: Effect, via_node: Option<Atom> },
    /// `receive` took this message from the mailbox.
    Receive { msg: Term },
    /// The process ended with this reason.
    End { reason: Term },
    /// The process raised an error nothing caught: what and where
    /// (`file.snow:12`), before its `End`.
    Crash { reason: Term, place: String },
    /// It registered `name` (also in the event's `name`).
    Register { name: Atom },
    Unregister { name: Atom },
    /// On the node's line: the connection to `peer` came up.
    NodeUp { peer: Atom },
    /// On the node's line: the connection to `peer` went down. `silent_ms`:
    /// how long nothing had been heard from it (a tick timeout).
    NodeDown { peer: Atom, reason: Term, silent_ms: Option<u64> },
    /// A fault of the `Net` module applied here, or a peer killed, frozen,
    /// thawed or restarted (as the REPL's live feed words it).
    Net { what: String },
    /// On the process's line: what a supervisor or a service reported (a
    /// restart, a give-up, a call that timed out), as its report line says.
    Report { text: String },
}

/// What applying a signal did to its receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// A message (or a DOWN, or a trapped exit) went into the mailbox.
    Queued,
    /// A link, unlink, monitor or demonitor was recorded.
    Applied,
    /// An exit signal made the receiver end with its reason.
    Died,
    /// `:kill`: the receiver ended `:killed`.
    Killed,
    /// A trapped exit signal: it became a `(:exit, from, reason)` message.
    Trapped,
    /// An exit signal that changed nothing (`:normal`, not linked any more,
    /// already exiting), or a DOWN for a monitor already dropped.
    Ignored,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Queued => "queued",
            Effect::Applied => "applied",
            Effect::Died => "died",
            Effect::Killed => "killed",
            Effect::Trapped => "trapped",
            Effect::Ignored => "ignored",
        }
    }

    fn parse(s: &str) -> Option<Effect> {
        Some(match s {
            "queued" => Effect::Queued,
            "applied" => Effect::Applied,
            "died" => Effect::Died,
            "killed" => Effect::Killed,
            "trapped" => Effect::Trapped,
            "ignored" => Effect::Ignored,
            _ => return None,
        })
    }
}

/// A signal kind's name in events: `:message`, `:exit`, `:down`, ...
pub fn signal_name(k: SignalKind) -> &'static str {
    match k {
        SignalKind::Message => "message",
        SignalKind::Link => "link",
        SignalKind::Unlink => "unlink",
        SignalKind::Monitor => "monitor",
        SignalKind::Demonitor => "demonitor",
        SignalKind::Down => "down",
        SignalKind::Exit => "exit",
        SignalKind::Wake => "wake",
    }
}

fn signal_parse(s: &str) -> Option<SignalKind> {
    Some(match s {
        "message" => SignalKind::Message,
        "link" => SignalKind::Link,
        "unlink" => SignalKind::Unlink,
        "monitor" => SignalKind::Monitor,
        "demonitor" => SignalKind::Demonitor,
        "down" => SignalKind::Down,
        "exit" => SignalKind::Exit,
        "wake" => SignalKind::Wake,
        _ => return None,
    })
}

/// The key a signal's payload goes under in the event's map.
fn payload_key(k: SignalKind) -> &'static str {
    match k {
        SignalKind::Exit => "reason",
        SignalKind::Monitor | SignalKind::Demonitor => "ref",
        _ => "msg",
    }
}

impl EventKind {
    /// The event's name (`:send`, `:deliver`, `:nodedown`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Spawn { .. } => "spawn",
            EventKind::SpawnRequest { .. } => "spawn_request",
            EventKind::Born { .. } => "born",
            EventKind::Send { .. } => "send",
            EventKind::Deliver { .. } => "deliver",
            EventKind::Receive { .. } => "receive",
            EventKind::End { .. } => "end",
            EventKind::Crash { .. } => "crash",
            EventKind::Register { .. } => "register",
            EventKind::Unregister { .. } => "unregister",
            EventKind::NodeUp { .. } => "nodeup",
            EventKind::NodeDown { .. } => "nodedown",
            EventKind::Net { .. } => "net",
            EventKind::Report { .. } => "report",
        }
    }
}

fn opt_pid(p: Option<Pid>) -> Term {
    p.map_or(Term::NIL_ATOM, Term::Pid)
}

fn opt_atom(a: Option<Atom>) -> Term {
    a.map_or(Term::NIL_ATOM, Term::Atom)
}

impl TraceEvent {
    /// The event as a map: `%{kind: :send, node: ..., pid: ..., name: ...,
    /// at_us: ..., seq: ..., lamport: ..., to: ..., signal: :message, msg: ...}`.
    pub fn to_term(&self) -> Term {
        let mut pairs: Vec<(&str, Term)> = vec![
            ("kind", Term::atom(self.kind.name())),
            ("node", Term::Atom(self.node)),
            ("pid", opt_pid(self.pid)),
            ("name", opt_atom(self.name)),
            ("at_us", Term::Int(self.wall_us as i64)),
            ("seq", Term::Int(self.seq as i64)),
            ("epoch", Term::Int(self.epoch as i64)),
            ("lamport", Term::Int(self.lamport as i64)),
        ];
        match &self.kind {
            EventKind::Spawn { child, link, monitor } => {
                pairs.push(("child", Term::Pid(*child)));
                pairs.push(("link", Term::bool(*link)));
                pairs.push(("monitor", Term::bool(*monitor)));
            }
            EventKind::SpawnRequest { node, link, monitor } => {
                pairs.push(("to_node", Term::Atom(*node)));
                pairs.push(("link", Term::bool(*link)));
                pairs.push(("monitor", Term::bool(*monitor)));
            }
            EventKind::Born { parent } => pairs.push(("parent", opt_pid(*parent))),
            EventKind::Send { to, signal, payload, to_name } => {
                pairs.push(("to", Term::Pid(*to)));
                if let Some((name, node)) = to_name {
                    pairs.push(("to_name", Term::Atom(*name)));
                    pairs.push(("to_node", Term::Atom(*node)));
                }
                pairs.push(("signal", Term::atom(signal_name(*signal))));
                pairs.push((payload_key(*signal), payload.clone()));
            }
            EventKind::Deliver { from, signal, payload, effect, via_node } => {
                pairs.push(("from", opt_pid(*from)));
                pairs.push(("signal", Term::atom(signal_name(*signal))));
                pairs.push((payload_key(*signal), payload.clone()));
                pairs.push(("effect", Term::atom(effect.as_str())));
                pairs.push(("via_node", opt_atom(*via_node)));
            }
            EventKind::Receive { msg } => pairs.push(("msg", msg.clone())),
            EventKind::End { reason } => pairs.push(("reason", reason.clone())),
            EventKind::Crash { reason, place } => {
                pairs.push(("reason", reason.clone()));
                pairs.push(("where", Term::str(place)));
            }
            EventKind::Register { .. } | EventKind::Unregister { .. } => {}
            EventKind::NodeUp { peer } => pairs.push(("peer", Term::Atom(*peer))),
            EventKind::NodeDown { peer, reason, silent_ms } => {
                pairs.push(("peer", Term::Atom(*peer)));
                pairs.push(("reason", reason.clone()));
                pairs.push(("silent_ms", silent_ms.map_or(Term::NIL_ATOM, |ms| Term::Int(ms as i64))));
            }
            EventKind::Net { what } => pairs.push(("what", Term::str(what))),
            EventKind::Report { text } => pairs.push(("text", Term::str(text))),
        }
        let pairs = pairs.into_iter().map(|(k, v)| (Term::atom(k), v)).collect();
        Term::map(MapObj::from_pairs(pairs))
    }

    /// Reads back what `to_term` made (from another node); `None` if it is
    /// not an event.
    pub fn from_term(t: &Term) -> Option<TraceEvent> {
        let Term::Map(m) = t else { return None };
        let get = |k: &str| m.get(&Term::atom(k));
        let atom = |k: &str| get(k).and_then(|v| v.as_atom());
        let opt_atom = |k: &str| atom(k).filter(|a| *a != Atom::NIL);
        let pid = |k: &str| match get(k) {
            Some(Term::Pid(p)) => Some(*p),
            _ => None,
        };
        let int = |k: &str| match get(k) {
            Some(Term::Int(i)) if *i >= 0 => Some(*i as u64),
            _ => None,
        };
        let term = |k: &str| get(k).cloned().unwrap_or(Term::NIL_ATOM);
        let flag = |k: &str| get(k) == Some(&Term::TRUE);
        let signal = || atom("signal").and_then(|a| signal_parse(a.as_str()));
        let kind = match atom("kind")?.as_str() {
            "spawn" => EventKind::Spawn { child: pid("child")?, link: flag("link"), monitor: flag("monitor") },
            "spawn_request" => EventKind::SpawnRequest { node: atom("to_node")?, link: flag("link"), monitor: flag("monitor") },
            "born" => EventKind::Born { parent: pid("parent") },
            "send" => {
                let signal = signal()?;
                let to_name = opt_atom("to_name").zip(opt_atom("to_node"));
                EventKind::Send { to: pid("to")?, signal, payload: term(payload_key(signal)), to_name }
            }
            "deliver" => {
                let signal = signal()?;
                EventKind::Deliver {
                    from: pid("from"),
                    signal,
                    payload: term(payload_key(signal)),
                    effect: Effect::parse(atom("effect")?.as_str())?,
                    via_node: opt_atom("via_node"),
                }
            }
            "receive" => EventKind::Receive { msg: term("msg") },
            "end" => EventKind::End { reason: term("reason") },
            "crash" => EventKind::Crash {
                reason: term("reason"),
                place: match get("where") {
                    Some(Term::Str(s)) => s.to_string(),
                    _ => String::new(),
                },
            },
            "register" => EventKind::Register { name: opt_atom("name")? },
            "unregister" => EventKind::Unregister { name: opt_atom("name")? },
            "nodeup" => EventKind::NodeUp { peer: atom("peer")? },
            "nodedown" => EventKind::NodeDown { peer: atom("peer")?, reason: term("reason"), silent_ms: int("silent_ms") },
            "net" => EventKind::Net {
                what: match get("what") {
                    Some(Term::Str(s)) => s.to_string(),
                    _ => return None,
                },
            },
            "report" => EventKind::Report {
                text: match get("text") {
                    Some(Term::Str(s)) => s.to_string(),
                    _ => return None,
                },
            },
            _ => return None,
        };
        Some(TraceEvent {
            node: atom("node")?,
            pid: pid("pid"),
            name: opt_atom("name"),
            wall_us: int("at_us")?,
            seq: int("seq")?,
            epoch: int("epoch").unwrap_or(0),
            lamport: int("lamport").unwrap_or(0),
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: EventKind) -> TraceEvent {
        TraceEvent {
            node: Atom::new("a@h"),
            pid: Some(Pid::local(5, 0)),
            name: Some(Atom::new("worker")),
            wall_us: 1_000,
            seq: 3,
            epoch: 9,
            lamport: 7,
            kind,
        }
    }

    #[test]
    fn every_kind_reads_back_as_written() {
        let kinds = vec![
            EventKind::Spawn { child: Pid::local(6, 0), link: true, monitor: false },
            EventKind::SpawnRequest { node: Atom::new("b@h"), link: true, monitor: true },
            EventKind::Born { parent: None },
            EventKind::Send { to: Pid::local(6, 0), signal: SignalKind::Exit, payload: Term::atom("boom"), to_name: Some((Atom::new("echo"), Atom::new("b@h"))) },
            EventKind::Deliver {
                from: Some(Pid::local(6, 0)),
                signal: SignalKind::Down,
                payload: Term::Int(1),
                effect: Effect::Queued,
                via_node: Some(Atom::new("b@h")),
            },
            EventKind::Receive { msg: Term::str("hi") },
            EventKind::End { reason: Term::atom("normal") },
            EventKind::Crash { reason: Term::atom("badarith"), place: "x.snow:3".into() },
            EventKind::Register { name: Atom::new("worker") },
            EventKind::NodeUp { peer: Atom::new("b@h") },
            EventKind::NodeDown { peer: Atom::new("b@h"), reason: Term::atom("net_tick_timeout"), silent_ms: Some(4000) },
            EventKind::Net { what: "partition [a] | [b]".into() },
        ];
        for k in kinds {
            let e = ev(k);
            let back = TraceEvent::from_term(&e.to_term()).expect("reads back");
            assert_eq!(format!("{back:?}"), format!("{e:?}"));
        }
    }

    #[test]
    fn a_map_that_is_not_an_event_is_refused() {
        assert!(TraceEvent::from_term(&Term::Int(1)).is_none());
        let m = MapObj::from_pairs(vec![(Term::atom("kind"), Term::atom("dance"))]);
        assert!(TraceEvent::from_term(&Term::map(m)).is_none());
    }
}
