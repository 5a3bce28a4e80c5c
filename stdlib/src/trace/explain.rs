//! `explain(msg)`: the causal chain behind a `(:down, ...)`, `(:exit, ...)`
//! or `(:nodedown, ...)` message, earliest cause first, read off a trace.
//!
//! The chain is walked backwards from the delivery that put the message in
//! the mailbox: a delivery was caused by its send (`Timeline::cause`); a
//! dying process's exit and DOWN signals by its end; an end by the exit
//! signal that killed it, or the error it raised (with its source line);
//! a `:noconnection` by the node's `nodedown`; a `nodedown` by the fault
//! or peer action this node recorded before it, if one names that node; a
//! supervisor's end by the report it gave up with, and that report by the
//! exit of the child it received last.

use snow_runtime::inspect::inspect;
use snow_runtime::signal::SignalKind;
use snow_runtime::trace::{Effect, EventKind, Line, Timeline, TraceEvent};
use snow_runtime::{Atom, Pid, Term};

/// The explanation, as lines of text.
pub fn explain(t: &Timeline, msg: &Term) -> String {
    if t.events.is_empty() {
        return "no trace to explain it with: start one with Trace.start() (or :trace on) before the message arrives".into();
    }
    let Some(target) = find_delivery(t, msg) else {
        return format!(
            "{} is not in the trace: it arrived before Trace.start() (or :trace on), or its events were dropped from the ring",
            inspect(msg)
        );
    };
    let chain = walk_back(t, target);
    let start_us = t.events.iter().map(|e| e.wall_us).min().unwrap_or(0);
    let mut out = format!("{} arrived because:\n", inspect(msg));
    let mut n = 0;
    for &i in chain.iter().rev() {
        if let Some(text) = describe(t, i) {
            n += 1;
            let e = &t.events[i];
            let secs = e.wall_us.saturating_sub(start_us) as f64 / 1e6;
            out.push_str(&format!("  {n}. +{secs:.3} s  {}: {text}\n", short_node(e.node)));
        }
    }
    out.trim_end().to_string()
}

/// The latest delivery whose message, as it entered the mailbox, is `msg`.
fn find_delivery(t: &Timeline, msg: &Term) -> Option<usize> {
    (0..t.events.len()).rev().find(|&i| match (&t.events[i].kind, t.events[i].pid) {
        (EventKind::Deliver { signal: SignalKind::Exit, payload, effect: Effect::Trapped, from: Some(from), .. }, _) => {
            let exit = Term::tuple(vec![Term::Atom(Atom::EXIT), Term::Pid(*from), payload.clone()]);
            &exit == msg
        }
        (EventKind::Deliver { signal: SignalKind::Message | SignalKind::Down, payload, .. }, _) => payload == msg,
        _ => false,
    })
}

/// From `target` back to the earliest cause the trace knows.
fn walk_back(t: &Timeline, target: usize) -> Vec<usize> {
    let mut chain = vec![target];
    let mut at = target;
    // A chain cannot be longer than the trace; the bound guards a cycle.
    for _ in 0..t.events.len() {
        let Some(next) = cause_of(t, at) else { break };
        chain.push(next);
        at = next;
    }
    chain
}

fn cause_of(t: &Timeline, i: usize) -> Option<usize> {
    let e = &t.events[i];
    match &e.kind {
        EventKind::Deliver { .. } => t.cause[i],
        // A dying process's exits and DOWNs come from its end.
        EventKind::Send { signal: SignalKind::Exit | SignalKind::Down, .. } => {
            before_on_line(t, i, |k| matches!(k, EventKind::End { .. }))
        }
        EventKind::End { .. } => before_on_line(t, i, |k| {
            matches!(
                k,
                EventKind::Crash { .. }
                    | EventKind::Deliver { effect: Effect::Died | Effect::Killed, .. }
                    | EventKind::Report { .. }
            )
        }),
        // A supervisor reports on the exit of a child it trapped.
        EventKind::Report { .. } => before_on_line(t, i, |k| {
            matches!(k, EventKind::Deliver { signal: SignalKind::Exit, effect: Effect::Trapped, .. })
        }),
        EventKind::NodeDown { peer, .. } => {
            let name = short_node(*peer);
            before_on_line(t, i, |k| matches!(k, EventKind::Net { what } if names_node(what, &name)))
        }
        _ => None,
    }
}

/// The latest event before `i` on its line for which `want` holds, looking
/// back no further than the line's previous end or birth.
fn before_on_line(t: &Timeline, i: usize, want: impl Fn(&EventKind) -> bool) -> Option<usize> {
    let line: Line = t.events[i].line();
    let mut j = i;
    while j > 0 {
        j -= 1;
        let e = &t.events[j];
        if e.line() != line {
            continue;
        }
        if want(&e.kind) {
            return Some(j);
        }
        if matches!(e.kind, EventKind::Born { .. }) {
            return None;
        }
    }
    None
}

/// Whether a fault's words name `node` (`partition [a] | [b]`, `cut a -> b`,
/// `kill b`, `freeze b`).
fn names_node(what: &str, node: &str) -> bool {
    what.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '@' || c == '.' || c == '-')).any(|w| w == node)
}

/// `a` for `a@host`.
fn short_node(n: Atom) -> String {
    let s = n.as_str();
    s.split_once('@').map_or(s, |(name, _)| name).to_string()
}

fn who(e: &TraceEvent) -> String {
    match (e.name, e.pid) {
        (Some(n), Some(p)) => format!("{} ({})", pid_text(p), n.as_str()),
        (None, Some(p)) => pid_text(p),
        _ => short_node(e.node),
    }
}

fn pid_text(p: Pid) -> String {
    inspect(&Term::Pid(p))
}

/// One step of the chain in words; `None` for a step the next line says
/// (a send, whose delivery names its sender).
fn describe(t: &Timeline, i: usize) -> Option<String> {
    let e = &t.events[i];
    Some(match &e.kind {
        EventKind::Net { what } => net_words(what),
        EventKind::NodeDown { peer, reason, silent_ms } => {
            let mut s = format!("the connection to {} went down: {}", peer.as_str(), inspect(reason));
            if let (Some(ms), true) = (silent_ms, is_atom(reason, "net_tick_timeout")) {
                s.push_str(&format!(" (nothing heard from it for {:.1} s: it missed its heartbeats)", *ms as f64 / 1000.0));
            }
            s
        }
        EventKind::Crash { reason, place } => format!("{} crashed: {} at {place}", who(e), inspect(reason)),
        EventKind::End { reason } => format!("{} ended with {}", who(e), inspect(reason)),
        EventKind::Report { text } => format!("{} reported: {text}", who(e)),
        EventKind::Send { .. } => return None,
        EventKind::Deliver { from, signal, payload, effect, via_node } => {
            let sender = match (from, payload) {
                (Some(p), _) => pid_text(*p),
                // A monitor made by name: the DOWN names what it watched.
                (None, Term::Tuple(t)) if *signal == SignalKind::Down && t.len() == 4 => inspect(&t[2]),
                (None, _) => "the runtime".into(),
            };
            let me = who(e);
            match (signal, via_node) {
                (SignalKind::Exit, Some(n)) => format!(
                    "{me} got exit :noconnection through its link to {sender} (the connection to {} was lost){}",
                    n.as_str(),
                    effect_words(*effect)
                ),
                (SignalKind::Down, Some(n)) => format!(
                    "{me}'s monitor of {sender} fired with :noconnection (the connection to {} was lost): {}",
                    n.as_str(),
                    inspect(payload)
                ),
                (SignalKind::Message, Some(n)) => {
                    format!("{me}, monitoring node {}, got {}", n.as_str(), inspect(payload))
                }
                (SignalKind::Exit, None) => {
                    let how = if t.cause[i].is_some_and(|c| is_link_exit(t, c)) { " through a link" } else { "" };
                    format!("{me} got exit {} from {sender}{how}{}", inspect(payload), effect_words(*effect))
                }
                (SignalKind::Down, None) => format!("{me}'s monitor of {sender} fired: {}", inspect(payload)),
                _ => format!("{me} got {} from {sender}", inspect(payload)),
            }
        }
        _ => return None,
    })
}

/// A fault or a peer action, as the program asked for it.
fn net_words(what: &str) -> String {
    let (verb, rest) = what.split_once(' ').unwrap_or((what, ""));
    match verb {
        "kill" => format!("the peer {rest} was killed (Node.kill_peer: its OS process vanished)"),
        "freeze" => format!("the peer {rest} was frozen (Node.freeze_peer: it stopped answering, its connections stayed open)"),
        "thaw" => format!("the peer {rest} was thawed (Node.thaw_peer)"),
        "stop" => format!("the peer {rest} was stopped (Node.stop_peer)"),
        "restart" => format!("the peer {rest} was restarted (Node.restart_peer)"),
        _ => format!("the network changed: Net {what}"),
    }
}

/// Whether the send `i` went out because its sender ended (an exit along
/// a link) rather than by `Process.exit`.
fn is_link_exit(t: &Timeline, i: usize) -> bool {
    before_on_line(t, i, |k| matches!(k, EventKind::End { .. })).is_some()
}

fn effect_words(e: Effect) -> &'static str {
    match e {
        Effect::Died => ", and died of it",
        Effect::Killed => ", and was killed",
        Effect::Trapped => ", trapping exits: it became a message",
        Effect::Ignored => ", and ignored it",
        _ => "",
    }
}

fn is_atom(t: &Term, name: &str) -> bool {
    t.as_atom().is_some_and(|a| a.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(node: &str, pid: Option<Pid>, seq: u64, wall_us: u64, kind: EventKind) -> TraceEvent {
        TraceEvent { node: Atom::new(node), pid, name: None, wall_us, seq, epoch: 0, lamport: 0, kind }
    }

    fn deliver(from: Pid, signal: SignalKind, payload: Term, effect: Effect) -> EventKind {
        EventKind::Deliver { from: Some(from), signal, payload, effect, via_node: None }
    }

    #[test]
    fn an_exit_along_a_link_chain_goes_back_to_the_crash_and_its_line() {
        let (a, b, c) = (Pid::local(1, 0), Pid::local(2, 0), Pid::local(3, 0));
        let boom = Term::atom("boom");
        let n = "n@h";
        let events = vec![
            ev(n, Some(a), 1, 0, EventKind::Crash { reason: boom.clone(), place: "chain.snow:4".into() }),
            ev(n, Some(a), 2, 10, EventKind::End { reason: boom.clone() }),
            ev(n, Some(a), 3, 10, EventKind::Send { to: b, signal: SignalKind::Exit, payload: boom.clone(), to_name: None }),
            ev(n, Some(b), 4, 20, deliver(a, SignalKind::Exit, boom.clone(), Effect::Died)),
            ev(n, Some(b), 5, 20, EventKind::End { reason: boom.clone() }),
            ev(n, Some(b), 6, 20, EventKind::Send { to: c, signal: SignalKind::Exit, payload: boom.clone(), to_name: None }),
            ev(n, Some(c), 7, 30, deliver(b, SignalKind::Exit, boom.clone(), Effect::Trapped)),
        ];
        let t = Timeline::build(events, 0);
        let msg = Term::tuple(vec![Term::Atom(Atom::EXIT), Term::Pid(b), boom]);
        let text = explain(&t, &msg);
        eprintln!("{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].contains("crashed: :boom at chain.snow:4"), "{text}");
        assert!(text.contains("#PID<0.2.0> got exit :boom from #PID<0.1.0> through a link, and died of it"), "{text}");
        assert!(lines.last().is_some_and(|l| l.contains("trapping exits")), "{text}");
    }

    #[test]
    fn a_noconnection_down_goes_back_to_the_partition() {
        let a = Pid::local(1, 0);
        let far = Pid { node: 1, id: 7, serial: 0, creation: 1 };
        let b = Atom::new("b@h");
        let down = Term::tuple(vec![Term::Atom(Atom::DOWN), Term::Int(1), Term::Pid(far), Term::atom("noconnection")]);
        let events = vec![
            ev("a@h", None, 1, 0, EventKind::Net { what: "partition [a] | [b]".into() }),
            ev("a@h", None, 2, 4_100_000, EventKind::NodeDown { peer: b, reason: Term::atom("net_tick_timeout"), silent_ms: Some(4000) }),
            ev(
                "a@h",
                Some(a),
                3,
                4_100_100,
                EventKind::Deliver { from: Some(far), signal: SignalKind::Down, payload: down.clone(), effect: Effect::Queued, via_node: Some(b) },
            ),
        ];
        let t = Timeline::build(events, 0);
        let text = explain(&t, &down);
        eprintln!("{text}");
        assert!(text.contains("1. +0.000 s  a: the network changed: Net partition [a] | [b]"), "{text}");
        assert!(text.contains("2. +4.100 s  a: the connection to b@h went down: :net_tick_timeout (nothing heard from it for 4.0 s"), "{text}");
        assert!(text.contains("3. "), "{text}");
    }

    #[test]
    fn a_supervisors_shutdown_goes_back_to_the_report_and_the_crash() {
        let (parent, sup, child) = (Pid::local(1, 0), Pid::local(2, 0), Pid::local(3, 0));
        let (boom, shutdown) = (Term::atom("boom"), Term::atom("shutdown"));
        let n = "n@h";
        let give_up = "[supervisor Shop #PID<0.2.0>] more than 1 restart within 5 seconds: shutting down";
        let events = vec![
            ev(n, Some(child), 1, 0, EventKind::Crash { reason: boom.clone(), place: "shop.snow:4".into() }),
            ev(n, Some(child), 2, 10, EventKind::End { reason: boom.clone() }),
            ev(n, Some(child), 3, 10, EventKind::Send { to: sup, signal: SignalKind::Exit, payload: boom.clone(), to_name: None }),
            ev(n, Some(sup), 4, 20, deliver(child, SignalKind::Exit, boom.clone(), Effect::Trapped)),
            ev(n, Some(sup), 5, 30, EventKind::Report { text: give_up.into() }),
            ev(n, Some(sup), 6, 40, EventKind::End { reason: shutdown.clone() }),
            ev(n, Some(sup), 7, 40, EventKind::Send { to: parent, signal: SignalKind::Exit, payload: shutdown.clone(), to_name: None }),
            ev(n, Some(parent), 8, 50, deliver(sup, SignalKind::Exit, shutdown.clone(), Effect::Trapped)),
        ];
        let t = Timeline::build(events, 0);
        let text = explain(&t, &Term::tuple(vec![Term::Atom(Atom::EXIT), Term::Pid(sup), shutdown]));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].contains("#PID<0.3.0> crashed: :boom at shop.snow:4"), "{text}");
        assert!(text.contains(&format!("#PID<0.2.0> reported: {give_up}")), "{text}");
        assert!(text.contains("#PID<0.2.0> ended with :shutdown"), "{text}");
    }

    #[test]
    fn a_message_not_in_the_trace_says_so() {
        let t = Timeline::build(vec![ev("a@h", Some(Pid::local(1, 0)), 1, 0, EventKind::Born { parent: None })], 0);
        assert!(explain(&t, &Term::atom("nope")).contains("is not in the trace"));
        assert!(explain(&Timeline::default(), &Term::atom("nope")).contains("Trace.start()"));
    }
}
