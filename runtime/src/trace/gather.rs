//! One trace for the whole session: starting and stopping every node's
//! recorder, and gathering their events on the node that asked.
//!
//! The requests ride the session's control channels (`dist/net`), the same
//! way as the `Net` faults, so they reach peers across a partition. Nodes
//! outside the session that run Snow are reached by rpc (`snow_trace:start`,
//! `stop`, `collect`, served in `dist/rpc.rs`) from the `Trace` module.
//!
//! What the other nodes recorded is kept here (`Gathered`) each time it is
//! fetched, so a trace still shows a peer's events after the peer was
//! killed: its recording is fetched just before (`keep_before_losing`).

use super::{Recording, Timeline, TraceEvent};
use crate::atom::Atom;
use crate::dist::net;
use crate::runtime::Runtime;
use crate::term::Term;
use parking_lot::Mutex;
use rustc_hash::FxHashMap;

/// Other nodes' recordings, by node, as last fetched; and those of
/// incarnations since replaced (a peer restarted under the same name).
static GATHERED: Mutex<Option<FxHashMap<Atom, Recording>>> = Mutex::new(None);
static EARLIER: Mutex<Vec<Recording>> = Mutex::new(Vec::new());

fn op(args: &[&str], extra: Option<Term>) -> Term {
    let mut items: Vec<Term> = args.iter().map(|a| Term::atom(a)).collect();
    items.extend(extra);
    Term::tuple(items)
}

/// Starts a fresh trace here and on every node of the session.
pub fn start(rt: &Runtime, limit: usize) {
    rt.tracer().start(limit, rt.wall_us());
    GATHERED.lock().replace(FxHashMap::default());
    EARLIER.lock().clear();
    net::ask_all(rt, &op(&["trace", "start"], Some(Term::Int(limit as i64))));
}

/// Stops recording everywhere; what was recorded stays readable.
pub fn stop(rt: &Runtime) {
    refresh(rt);
    rt.tracer().stop();
    net::ask_all(rt, &op(&["trace", "stop"], None));
}

/// Tells a peer just started to record too, if a trace runs.
pub fn join(rt: &Runtime, node: Atom) {
    if rt.tracing() {
        let limit = rt.tracer().recording_limit();
        net::ask_peer(rt, node, &op(&["trace", "start"], Some(Term::Int(limit as i64))));
    }
}

/// Fetches what every node of the session recorded so far.
pub fn refresh(rt: &Runtime) {
    if rt.tracer().recording_limit() == 0 {
        return; // no trace was ever started
    }
    let me = rt.node_name();
    for answer in net::ask_all(rt, &op(&["trace", "collect"], None)) {
        if let Some((node, rec)) = recording_from_term(&answer) {
            if node != me {
                keep(node, rec);
            }
        }
    }
}

/// Fetches a peer's recording before it is killed, frozen or restarted.
pub fn keep_before_losing(rt: &Runtime, node: Atom) {
    if rt.tracing() {
        for answer in net::ask_peer(rt, node, &op(&["trace", "collect"], None)) {
            if let Some((node, rec)) = recording_from_term(&answer) {
                keep(node, rec);
            }
        }
    }
}

/// Keeps a recording fetched by rpc from a node outside the session.
pub fn add(node: Atom, recording: &Term) -> bool {
    match recording_from_term(recording) {
        Some((n, rec)) if n == node => {
            keep(node, rec);
            true
        }
        _ => false,
    }
}

fn keep(node: Atom, rec: Recording) {
    if rec.limit == 0 {
        return; // a node that never recorded (it joined after the trace started)
    }
    let epoch = |r: &Recording| r.events.first().map(|e| e.epoch);
    let mut gathered = GATHERED.lock();
    let map = gathered.get_or_insert_with(FxHashMap::default);
    if let Some(old) = map.insert(node, rec) {
        let new_epoch = map.get(&node).and_then(epoch);
        if epoch(&old).is_some() && epoch(&old) != new_epoch {
            EARLIER.lock().push(old); // an earlier incarnation of the node
        }
    }
}

/// The nodes whose events are in the trace besides this one.
pub fn gathered_nodes() -> Vec<Atom> {
    let mut v: Vec<Atom> = GATHERED.lock().as_ref().map(|m| m.keys().copied().collect()).unwrap_or_default();
    v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    v
}

/// This node's recording and every one gathered, in one causal order.
/// `recorded` and `dropped` are summed over the nodes.
pub fn timeline(rt: &Runtime) -> (Timeline, u64) {
    let mine = rt.tracer().recording();
    let mut events: Vec<TraceEvent> = mine.events;
    let (mut recorded, mut dropped) = (mine.recorded, mine.dropped);
    let me = rt.node_name();
    if let Some(m) = GATHERED.lock().as_ref() {
        for (node, rec) in m {
            if *node == me {
                continue;
            }
            events.extend(rec.events.iter().cloned());
            recorded += rec.recorded;
            dropped += rec.dropped;
        }
    }
    for rec in EARLIER.lock().iter() {
        events.extend(rec.events.iter().cloned());
        recorded += rec.recorded;
        dropped += rec.dropped;
    }
    (Timeline::build(events, dropped), recorded)
}

/// This node's recording as a term: `(node, recorded, dropped, limit, events)`.
pub fn recording_term(rt: &Runtime) -> Term {
    let rec = rt.tracer().recording();
    Term::tuple(vec![
        Term::Atom(rt.node_name()),
        Term::Int(rec.recorded as i64),
        Term::Int(rec.dropped as i64),
        Term::Int(rec.limit as i64),
        Term::list(rec.events.iter().map(TraceEvent::to_term).collect()),
    ])
}

fn recording_from_term(t: &Term) -> Option<(Atom, Recording)> {
    let Term::Tuple(items) = t else { return None };
    let [node, recorded, dropped, limit, events] = &items[..] else { return None };
    let int = |t: &Term| match t {
        Term::Int(i) if *i >= 0 => Some(*i as u64),
        _ => None,
    };
    let events = events.list_to_vec()?.iter().filter_map(TraceEvent::from_term).collect();
    let rec = Recording { events, recorded: int(recorded)?, dropped: int(dropped)?, limit: int(limit)? as usize };
    Some((node.as_atom()?, rec))
}

/// A trace request that arrived on a control channel (or by rpc): this
/// node's answer, a list.
pub fn handle(rt: &Runtime, op: &Term) -> Vec<Term> {
    let Term::Tuple(t) = op else { return Vec::new() };
    match (t.get(1).and_then(Term::as_atom).map(|a| a.as_str()), t.get(2)) {
        (Some("start"), Some(Term::Int(limit))) if *limit > 0 => {
            rt.tracer().start(*limit as usize, rt.wall_us());
            Vec::new()
        }
        (Some("stop"), _) => {
            rt.tracer().stop();
            Vec::new()
        }
        (Some("collect"), _) => vec![recording_term(rt)],
        _ => Vec::new(),
    }
}

/// Whether `op` is a trace request (`(:trace, ...)`).
pub fn is_trace_request(op: &Term) -> bool {
    matches!(op, Term::Tuple(t) if t.first().and_then(Term::as_atom).is_some_and(|a| a.as_str() == "trace"))
}

/// Nodes this one is connected to that are not of the session: asked by
/// rpc (those that run Snow answer; others do not know `snow_trace`).
pub fn outside(rt: &Runtime) -> Vec<Atom> {
    let Some(d) = rt.distribution() else { return Vec::new() };
    let members: Vec<Atom> = net::ask_all(rt, &Term::atom("who")).iter().filter_map(Term::as_atom).collect();
    d.connected().into_iter().filter(|n| !members.contains(n)).collect()
}
