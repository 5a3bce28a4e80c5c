//! Putting a trace together: the events of every node, matched into one
//! causal order with Lamport clocks.
//!
//! Each node records its own events with no clock of the others (nothing
//! extra travels with a signal, so Erlang peers see the protocol they
//! expect). The causal order is rebuilt here, from facts each node knows:
//!
//! * a line (one process, or a node itself) is in recording order;
//! * a signal is delivered after it was sent. Between one sender and one
//!   receiver, signals of a kind arrive in the order they were sent (rule
//!   2), so the n-th delivery from A to B matches the n-th send from A to B
//!   still unmatched; a send whose payload differs from the delivery's was
//!   lost on the way (a cut, a closed connection) and is skipped; a DOWN
//!   for a monitor made by name does not name its sender, and matches the
//!   send of exactly its message;
//! * a child is born after its parent spawned it (or asked a node to);
//! * an exit, DOWN or `(:nodedown, ...)` that stands for a lost connection
//!   comes after that node's `nodedown` event;
//! * an event of a node itself (a connection up or down, a fault applied)
//!   keeps its place among that node's other events, which were recorded
//!   in the order they happened on its one clock;
//! * a peer's recording (each incarnation of it) begins after the node
//!   that started or restarted it said so (`start b`, `restart b`).
//!
//! Lamport clocks follow: each event's clock is one more than the largest
//! of its causes'. Shown in the order (clock, node, recording order), the
//! trace is causal whatever the machines' wall clocks say.

use super::event::{EventKind, TraceEvent};
use crate::atom::Atom;
use crate::signal::SignalKind;
use crate::term::{Pid, Term};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// How far past a lost send a delivery's match is looked for.
const LOOK_AHEAD: usize = 64;

/// A whole trace in causal order.
#[derive(Debug, Default)]
pub struct Timeline {
    /// Sorted by (Lamport clock, node, recording order); `lamport` set.
    pub events: Vec<TraceEvent>,
    /// For each event, the event on another line that caused it: the send
    /// of a delivery, the spawn of a birth, the `nodedown` behind an
    /// exit or DOWN `:noconnection`. Indexes into `events`.
    pub cause: Vec<Option<usize>>,
    /// Events the nodes' rings had to drop (the oldest go first).
    pub dropped: u64,
}

/// The line an event belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Line {
    Process(Pid),
    Node(Atom),
}

impl TraceEvent {
    pub fn line(&self) -> Line {
        match self.pid {
            Some(p) => Line::Process(p),
            None => Line::Node(self.node),
        }
    }
}

impl Timeline {
    /// Orders `events` (from any number of nodes, in any order).
    pub fn build(mut events: Vec<TraceEvent>, dropped: u64) -> Timeline {
        // By recorder (a node's incarnation), then in its order.
        events.sort_by(|a, b| a.node.as_str().cmp(b.node.as_str()).then(a.epoch.cmp(&b.epoch)).then(a.seq.cmp(&b.seq)));
        let n = events.len();
        let before = line_predecessors(&events);
        let mut cause = match_causes(&events);
        let anchor = node_anchors(&events);
        // A send to a name went to the process that delivered it.
        for i in 0..n {
            if let (Some(c), Some(p)) = (cause[i], events[i].pid) {
                if let EventKind::Send { to, to_name: Some(_), .. } = &mut events[c].kind {
                    *to = p;
                }
            }
        }
        let lamport = lamport_clocks(&events, &[&before, &anchor], &mut cause);

        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| {
            lamport[a]
                .cmp(&lamport[b])
                .then_with(|| events[a].node.as_str().cmp(events[b].node.as_str()))
                .then(events[a].epoch.cmp(&events[b].epoch))
                .then(events[a].seq.cmp(&events[b].seq))
        });
        let mut position = vec![0; n];
        for (new, &old) in order.iter().enumerate() {
            position[old] = new;
        }
        let mut slots: Vec<Option<TraceEvent>> = events.into_iter().map(Some).collect();
        let mut sorted = Vec::with_capacity(n);
        let mut sorted_cause = Vec::with_capacity(n);
        for &old in &order {
            let Some(mut e) = slots[old].take() else { continue };
            e.lamport = lamport[old];
            sorted.push(e);
            sorted_cause.push(cause[old].map(|c| position[c]));
        }
        Timeline { events: sorted, cause: sorted_cause, dropped }
    }

    /// The nodes, in the order they first appear.
    pub fn nodes(&self) -> Vec<Atom> {
        let mut seen = Vec::new();
        for e in &self.events {
            if !seen.contains(&e.node) {
                seen.push(e.node);
            }
        }
        seen
    }

    /// The processes, in the order they first appear, with their node.
    pub fn processes(&self) -> Vec<(Atom, Pid)> {
        let mut seen: Vec<(Atom, Pid)> = Vec::new();
        let mut known = rustc_hash::FxHashSet::default();
        for e in &self.events {
            if let Some(p) = e.pid {
                if known.insert(p) {
                    seen.push((e.node, p));
                }
            }
        }
        seen
    }

    /// The event before `i` on its own line.
    pub fn previous_on_line(&self, i: usize) -> Option<usize> {
        let line = self.events.get(i)?.line();
        (0..i).rev().find(|&j| self.events[j].line() == line)
    }
}

/// For each event (sorted by node, seq), the one before it on its line.
fn line_predecessors(events: &[TraceEvent]) -> Vec<Option<usize>> {
    // A node's own line is per incarnation (a restarted peer starts afresh).
    let mut last: FxHashMap<(Line, u64), usize> = FxHashMap::default();
    events
        .iter()
        .enumerate()
        .map(|(i, e)| last.insert((e.line(), if e.pid.is_none() { e.epoch } else { 0 }), i))
        .collect()
}

/// Events of a node itself keep their place in that node's order: each
/// comes after the node's previous event, and the node's next event after it.
fn node_anchors(events: &[TraceEvent]) -> Vec<Option<usize>> {
    let mut anchor = vec![None; events.len()];
    for i in 1..events.len() {
        let (prev, this) = (&events[i - 1], &events[i]);
        if prev.node == this.node && prev.epoch == this.epoch && (this.pid.is_none() || prev.pid.is_none()) {
            anchor[i] = Some(i - 1);
        }
    }
    anchor
}

/// For each event, its cause on another line (module docs).
fn match_causes(events: &[TraceEvent]) -> Vec<Option<usize>> {
    let mut sends: FxHashMap<(Pid, Pid, SignalKind), VecDeque<usize>> = FxHashMap::default();
    let mut downs_to: FxHashMap<Pid, Vec<usize>> = FxHashMap::default();
    let mut named: FxHashMap<(Pid, Atom, Atom, SignalKind), VecDeque<usize>> = FxHashMap::default();
    let mut spawns: FxHashMap<(Pid, Pid), usize> = FxHashMap::default();
    let mut requests: FxHashMap<(Pid, Atom), VecDeque<usize>> = FxHashMap::default();
    for (i, e) in events.iter().enumerate() {
        match (&e.kind, e.pid) {
            (EventKind::Send { signal, to_name: Some((name, node)), .. }, Some(from)) => {
                named.entry((from, *node, *name, *signal)).or_default().push_back(i);
            }
            (EventKind::Send { to, signal, .. }, Some(from)) => {
                sends.entry((from, *to, *signal)).or_default().push_back(i);
                if *signal == SignalKind::Down {
                    downs_to.entry(*to).or_default().push(i);
                }
            }
            (EventKind::Spawn { child, .. }, Some(parent)) => {
                spawns.insert((parent, *child), i);
            }
            (EventKind::SpawnRequest { node, .. }, Some(parent)) => {
                requests.entry((parent, *node)).or_default().push_back(i);
            }
            _ => {}
        }
    }
    let mut last_down: FxHashMap<(Atom, u64, Atom), usize> = FxHashMap::default();
    let mut cause = vec![None; events.len()];
    for (i, e) in events.iter().enumerate() {
        cause[i] = match (&e.kind, e.pid) {
            (EventKind::NodeDown { peer, .. }, _) => {
                last_down.insert((e.node, e.epoch, *peer), i);
                None
            }
            (EventKind::Deliver { via_node: Some(n), .. }, _) => last_down.get(&(e.node, e.epoch, *n)).copied(),
            (EventKind::Deliver { from: Some(from), signal, payload, .. }, Some(to)) => {
                // To a name (this process's, then) first, if one waits with this very payload.
                let by_name = e.name.and_then(|nm| named.get_mut(&(*from, e.node, nm, *signal))).and_then(|q| {
                    let same = matches!(q.front().map(|&s| &events[s].kind), Some(EventKind::Send { payload: p, .. }) if p == payload);
                    if same { q.pop_front() } else { None }
                });
                by_name.or_else(|| sends.get_mut(&(*from, to, *signal)).and_then(|q| take_match(q, events, payload)))
            }
            (EventKind::Deliver { from: None, signal: SignalKind::Down, payload, .. }, Some(to)) => downs_to
                .get(&to)
                .and_then(|v| v.iter().copied().find(|&s| matches!(&events[s].kind, EventKind::Send { payload: p, .. } if p == payload))),
            (EventKind::Born { parent: Some(parent) }, Some(child)) => spawns
                .get(&(*parent, child))
                .copied()
                .or_else(|| requests.get_mut(&(*parent, e.node)).and_then(|q| q.pop_front())),
            _ => None,
        };
    }
    started_by(events, &mut cause);
    cause
}

/// The first event of each incarnation of a peer comes after the event
/// that started it (`start b` / `restart b` on the node that did). The
/// last incarnation matches the last such event, and so on backwards (the
/// first may have started before the trace).
fn started_by(events: &[TraceEvent], cause: &mut [Option<usize>]) {
    let mut starts: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, e) in events.iter().enumerate() {
        if let EventKind::Net { what } = &e.kind {
            if let Some(peer) = what.strip_prefix("start ").or_else(|| what.strip_prefix("restart ")) {
                starts.entry(peer).or_default().push(i);
            }
        }
    }
    // Events are sorted by node, then incarnation: each new (node, epoch) begins one.
    let mut firsts: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, e) in events.iter().enumerate() {
        if i == 0 || events[i - 1].node != e.node || events[i - 1].epoch != e.epoch {
            // `start b` names a node of this host by its short name, others in full.
            let short = e.node.as_str().split('@').next().unwrap_or("");
            firsts.entry(short).or_default().push(i);
            firsts.entry(e.node.as_str()).or_default().push(i);
        }
    }
    for (peer, starters) in starts {
        if let Some(firsts) = firsts.get(peer) {
            for (&first, &starter) in firsts.iter().rev().zip(starters.iter().rev()) {
                if events[starter].node != events[first].node && cause[first].is_none() {
                    cause[first] = Some(starter);
                }
            }
        }
    }
}

/// The send a delivery matches: the oldest unmatched one, unless a later
/// one (within `LOOK_AHEAD`) carries exactly this payload, in which case
/// those before it were lost.
fn take_match(queue: &mut VecDeque<usize>, events: &[TraceEvent], payload: &Term) -> Option<usize> {
    let same = |i: &usize| matches!(&events[*i].kind, EventKind::Send { payload: p, .. } if p == payload);
    match queue.iter().take(LOOK_AHEAD).position(same) {
        Some(k) => {
            queue.drain(..k);
            queue.pop_front()
        }
        None => queue.pop_front(),
    }
}

/// Each event's Lamport clock: one more than the largest of its line
/// predecessor's and its cause's. A cause that would close a cycle (only
/// a wrong match can make one) is dropped.
fn lamport_clocks(events: &[TraceEvent], fixed: &[&[Option<usize>]; 2], cause: &mut [Option<usize>]) -> Vec<u64> {
    let n = events.len();
    let [before, anchor] = *fixed;
    let preds = |i: usize, cause: &[Option<usize>]| [before[i], anchor[i], cause[i]].into_iter().flatten();
    let mut waiting = vec![0u8; n];
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, waits) in waiting.iter_mut().enumerate() {
        for p in preds(i, cause) {
            *waits += 1;
            after[p].push(i);
        }
    }
    let mut clock = vec![0u64; n];
    let mut done = vec![false; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).rev().collect();
    let mut finished = 0;
    let mut scan_from = 0;
    while finished < n {
        let Some(i) = ready.pop() else {
            // A cycle: free the first event whose line is done up to it.
            while scan_from < n && done[scan_from] {
                scan_from += 1;
            }
            let stuck = (scan_from..n)
                .find(|&i| !done[i] && before[i].is_none_or(|p| done[p]) && anchor[i].is_none_or(|p| done[p]))
                .unwrap_or(scan_from);
            if let Some(c) = cause[stuck].take() {
                after[c].retain(|&j| j != stuck);
            }
            waiting[stuck] = 0;
            for p in [before[stuck], anchor[stuck]].into_iter().flatten() {
                if !done[p] {
                    after[p].retain(|&j| j != stuck); // only in the worst case: order kept by scan
                }
            }
            ready.push(stuck);
            continue;
        };
        if done[i] {
            continue;
        }
        done[i] = true;
        finished += 1;
        let base = preds(i, cause).map(|p| clock[p]).max().unwrap_or(0);
        clock[i] = base + 1;
        for &j in &after[i] {
            waiting[j] = waiting[j].saturating_sub(1);
            if waiting[j] == 0 && !done[j] {
                ready.push(j);
            }
        }
    }
    clock
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::Effect;

    fn at(node: &str, pid: Option<Pid>, seq: u64, kind: EventKind) -> TraceEvent {
        TraceEvent { node: Atom::new(node), pid, name: None, wall_us: 0, seq, epoch: 0, lamport: 0, kind }
    }

    fn send(to: Pid, payload: i64) -> EventKind {
        EventKind::Send { to, signal: SignalKind::Message, payload: Term::Int(payload), to_name: None }
    }

    fn deliver(from: Pid, payload: i64) -> EventKind {
        EventKind::Deliver {
            from: Some(from),
            signal: SignalKind::Message,
            payload: Term::Int(payload),
            effect: Effect::Queued,
            via_node: None,
        }
    }

    #[test]
    fn a_delivery_comes_after_its_send_whatever_the_wall_clocks() {
        let a = Pid::local(1, 0);
        let b = Pid { node: 1, id: 1, serial: 0, creation: 0 };
        // b's node recorded first, with a clock far behind: order is causal.
        let events = vec![
            at("b@h", Some(b), 1, deliver(a, 7)),
            at("a@h", Some(a), 1, send(b, 7)),
        ];
        let t = Timeline::build(events, 0);
        assert!(matches!(t.events[0].kind, EventKind::Send { .. }));
        assert!(matches!(t.events[1].kind, EventKind::Deliver { .. }));
        assert_eq!((t.events[0].lamport, t.events[1].lamport), (1, 2));
        assert_eq!(t.cause[1], Some(0));
    }

    #[test]
    fn a_lost_send_is_skipped() {
        let a = Pid::local(1, 0);
        let b = Pid::local(2, 0);
        let events = vec![
            at("a@h", Some(a), 1, send(b, 1)),
            at("a@h", Some(a), 2, send(b, 2)),
            at("a@h", Some(b), 3, deliver(a, 2)),
        ];
        let t = Timeline::build(events, 0);
        let d = t.events.iter().position(|e| matches!(e.kind, EventKind::Deliver { .. })).unwrap();
        let s = t.cause[d].unwrap();
        assert!(matches!(&t.events[s].kind, EventKind::Send { payload: Term::Int(2), .. }));
    }

    #[test]
    fn a_noconnection_down_follows_its_nodedown() {
        let a = Pid::local(1, 0);
        let far = Pid { node: 1, id: 9, serial: 0, creation: 0 };
        let b = Atom::new("b@h");
        let events = vec![
            at("a@h", None, 1, EventKind::NodeDown { peer: b, reason: Term::atom("net_tick_timeout"), silent_ms: Some(4000) }),
            at(
                "a@h",
                Some(a),
                2,
                EventKind::Deliver {
                    from: Some(far),
                    signal: SignalKind::Down,
                    payload: Term::atom("noconnection"),
                    effect: Effect::Queued,
                    via_node: Some(b),
                },
            ),
        ];
        let t = Timeline::build(events, 0);
        assert_eq!(t.cause[1], Some(0));
        assert!(t.events[1].lamport > t.events[0].lamport);
    }

    #[test]
    fn a_cycle_from_a_wrong_match_still_orders_everything() {
        let a = Pid::local(1, 0);
        let b = Pid::local(2, 0);
        // b delivers before a sends, on a's own line order: impossible, a cycle.
        let events = vec![
            at("a@h", Some(b), 1, deliver(a, 1)),
            at("a@h", Some(b), 2, send(a, 2)),
            at("a@h", Some(a), 3, deliver(b, 2)),
            at("a@h", Some(a), 4, send(b, 1)),
        ];
        let t = Timeline::build(events, 0);
        assert_eq!(t.events.len(), 4);
    }
}
