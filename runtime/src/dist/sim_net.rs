//! The network of a simulation: the links between the nodes of one
//! simulated cluster, in virtual time.
//!
//! What a connection writes (`Conn::flush`) becomes one delivery, due after
//! the link's latency: `BASE_LATENCY` plus a seeded draw within
//! `BASE_JITTER`, plus what a `Net.delay` rule adds. A delivery is never due
//! before the one ahead of it on the same directed link, so a pair's
//! traffic keeps its order (rule 2, as TCP). Deliveries, ends of stream and
//! heartbeats (`Event`) fire in due order on the simulation thread, each
//! with its receiving node as "this node" (`nodes::enter`). A frozen node
//! receives nothing: what arrives for it waits until it is thawed, as
//! bytes wait in a stopped process's socket.
//!
//! Cuts are enforced by the connections at both ends, as between real
//! nodes (`faults.rs`); the network adds only the delays.

use super::net::faults::{Fault, FaultTable};
use super::node::Distribution;
use crate::atom::Atom;
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// One-way latency of a link without faults: a LAN's.
pub const BASE_LATENCY: Duration = Duration::from_micros(200);
/// Each delivery's latency varies by up to this much either way.
pub const BASE_JITTER: Duration = Duration::from_micros(50);

pub(crate) struct SimNet {
    state: Mutex<State>,
    /// The simulation's faults (`Net`), shared by its nodes: each rule
    /// names both ends.
    faults: Arc<FaultTable>,
}

struct State {
    rng: fastrand::Rng,
    /// The distributed nodes, in the order they started.
    nodes: Vec<Member>,
    /// What is due, in due order (ties in the order they were sent).
    events: BTreeMap<(Instant, u64), Event>,
    seq: u64,
    /// The due time of the last delivery on each direction of each link
    /// (a new connection is a new stream: it waits for nothing of an old).
    last_due: FxHashMap<(Atom, u64), Instant>,
    /// Events for frozen nodes, in order, until the thaw.
    held: Vec<Event>,
    next_wire: u64,
    /// The last creation each name had.
    creations: FxHashMap<Atom, u32>,
}

struct Member {
    name: Atom,
    dist: Weak<Distribution>,
    frozen: bool,
    /// The node that started it as a peer, if one did.
    parent: Option<Atom>,
}

pub(crate) enum Event {
    /// Bytes `from` wrote on link `wire`.
    Bytes { from: Atom, to: Atom, wire: u64, bytes: Vec<u8> },
    /// `from` closed its end of link `wire`.
    Closed { from: Atom, to: Atom, wire: u64 },
    /// `node`'s heartbeat on its connection to `peer` (every T/4).
    Beat { node: Atom, peer: Atom, wire: u64 },
}

impl Event {
    /// The node the event happens on.
    fn node(&self) -> Atom {
        match self {
            Event::Bytes { to, .. } | Event::Closed { to, .. } => *to,
            Event::Beat { node, .. } => *node,
        }
    }
}

impl SimNet {
    pub(crate) fn new(seed: u64) -> SimNet {
        SimNet {
            state: Mutex::new(State {
                rng: fastrand::Rng::with_seed(seed),
                nodes: Vec::new(),
                events: BTreeMap::new(),
                seq: 0,
                last_due: FxHashMap::default(),
                held: Vec::new(),
                next_wire: 1,
                creations: FxHashMap::default(),
            }),
            faults: Arc::new(FaultTable::default()),
        }
    }

    pub(crate) fn faults(&self) -> &Arc<FaultTable> {
        &self.faults
    }

    /// Forgets every node and event (the simulation ends).
    pub(crate) fn clear(&self) {
        let mut s = self.state.lock();
        s.nodes.clear();
        s.events.clear();
        s.held.clear();
    }

    /// Takes node `name` in: its creation, or why not (the name is taken).
    pub(crate) fn join(&self, name: Atom) -> Result<u32, String> {
        let mut s = self.state.lock();
        if s.nodes.iter().any(|m| m.name == name) {
            return Err(format!("the name {} is already in use in this simulation", name.as_str()));
        }
        let creation = s.creations.get(&name).map_or(1, |c| c + 1);
        s.creations.insert(name, creation);
        s.nodes.push(Member { name, dist: Weak::new(), frozen: false, parent: None });
        Ok(creation)
    }

    /// The distribution of node `name`, once made.
    pub(crate) fn attach(&self, name: Atom, dist: Weak<Distribution>) {
        if let Some(m) = self.state.lock().nodes.iter_mut().find(|m| m.name == name) {
            m.dist = dist;
        }
    }

    /// Node `name` is a peer started by `parent`.
    pub(crate) fn set_parent(&self, name: Atom, parent: Atom) {
        if let Some(m) = self.state.lock().nodes.iter_mut().find(|m| m.name == name) {
            m.parent = Some(parent);
        }
    }

    /// The running peers `parent` started.
    pub(crate) fn children(&self, parent: Atom) -> Vec<Atom> {
        self.state.lock().nodes.iter().filter(|m| m.parent == Some(parent)).map(|m| m.name).collect()
    }

    /// Node `name` is gone (stopped or killed): nothing reaches it any more.
    pub(crate) fn leave(&self, name: Atom) {
        let mut s = self.state.lock();
        s.nodes.retain(|m| m.name != name);
        s.held.retain(|e| e.node() != name);
    }

    /// The running node called `name`.
    pub(crate) fn lookup(&self, name: Atom) -> Option<Arc<Distribution>> {
        self.state.lock().nodes.iter().find(|m| m.name == name)?.dist.upgrade()
    }

    /// Every running node, in the order they started.
    pub(crate) fn members(&self) -> Vec<Arc<Distribution>> {
        self.state.lock().nodes.iter().filter_map(|m| m.dist.upgrade()).collect()
    }

    pub(crate) fn is_frozen(&self, name: Atom) -> bool {
        self.state.lock().nodes.iter().any(|m| m.name == name && m.frozen)
    }

    /// Freezes or thaws node `name`; a thaw delivers what waited for it,
    /// in order, now.
    pub(crate) fn freeze(&self, name: Atom, on: bool, now: Instant) {
        let mut s = self.state.lock();
        if let Some(m) = s.nodes.iter_mut().find(|m| m.name == name) {
            m.frozen = on;
        }
        if !on {
            let (back, keep): (Vec<Event>, Vec<Event>) = std::mem::take(&mut s.held).into_iter().partition(|e| e.node() == name);
            s.held = keep;
            for e in back {
                s.push(now, e);
            }
        }
    }

    /// A draw in `1..=max_us` microseconds (when a heartbeat starts: real
    /// nodes' heartbeats are not in step).
    pub(crate) fn draw(&self, max: Duration) -> Duration {
        let max_us = (max.as_micros() as u64).max(1);
        Duration::from_micros(self.state.lock().rng.u64(1..=max_us))
    }

    /// A number in `lo..=hi`, from the seed (`Runtime::draw`).
    pub(crate) fn draw_in(&self, lo: i64, hi: i64) -> i64 {
        self.state.lock().rng.i64(lo..=hi.max(lo))
    }

    /// A fresh link number.
    pub(crate) fn new_wire(&self) -> u64 {
        let mut s = self.state.lock();
        s.next_wire += 1;
        s.next_wire
    }

    /// `from` wrote `bytes` on `wire` to `to`.
    pub(crate) fn transmit(&self, from: Atom, to: Atom, wire: u64, bytes: Vec<u8>, now: Instant) {
        let delay = self.faults.rule(from, to);
        let mut s = self.state.lock();
        let due = s.due(from, wire, delay, now);
        s.push(due, Event::Bytes { from, to, wire, bytes });
    }

    /// `from` closed its end of `wire`: `to` reads the end of the stream
    /// after the latency, unless what `from` sends is cut (`linger`: the
    /// closing is lost too, and `to` will notice only the silence).
    pub(crate) fn closed(&self, from: Atom, to: Atom, wire: u64, linger: bool, now: Instant) {
        if linger {
            return;
        }
        let delay = self.faults.rule(from, to);
        let mut s = self.state.lock();
        let due = s.due(from, wire, delay, now);
        s.last_due.remove(&(from, wire));
        s.push(due, Event::Closed { from, to, wire });
    }

    /// `node`'s next heartbeat on its connection to `peer`, at `at`.
    pub(crate) fn beat(&self, node: Atom, peer: Atom, wire: u64, at: Instant) {
        self.state.lock().push(at, Event::Beat { node, peer, wire });
    }

    /// When the next event is due.
    pub(crate) fn next_at(&self) -> Option<Instant> {
        self.state.lock().events.keys().next().map(|(at, _)| *at)
    }

    /// Fires every event due by `now`, in order (`sim_link.rs` does what
    /// each means to its node).
    pub(crate) fn fire_due(&self, now: Instant) {
        loop {
            let (event, dist) = {
                let mut s = self.state.lock();
                let Some(entry) = s.events.first_entry() else { return };
                if entry.key().0 > now {
                    return;
                }
                let event = entry.remove();
                let node = event.node();
                match s.nodes.iter().find(|m| m.name == node) {
                    None => continue, // gone: lost
                    Some(m) if m.frozen => {
                        s.held.push(event);
                        continue;
                    }
                    Some(m) => match m.dist.upgrade() {
                        Some(d) => (event, d),
                        None => continue,
                    },
                }
            };
            crate::dist::nodes::enter(dist.rt.this_node());
            dist.sim_event(event);
        }
    }
}

impl State {
    fn push(&mut self, at: Instant, e: Event) {
        self.seq += 1;
        let seq = self.seq;
        self.events.insert((at, seq), e);
    }

    /// When something `from` sends on `wire` now arrives: the latency,
    /// drawn, plus `fault`'s delay, never before what went ahead of it.
    fn due(&mut self, from: Atom, wire: u64, fault: Option<Fault>, now: Instant) -> Instant {
        let jitter = BASE_JITTER.as_micros() as u64;
        let mut us = BASE_LATENCY.as_micros() as u64 + self.rng.u64(0..=2 * jitter) - jitter;
        if let Some(Fault::Delay { ms, jitter, .. }) = fault {
            let spread = self.rng.u64(0..=2 * jitter);
            us += (ms + spread).saturating_sub(jitter) * 1000;
        }
        let at = now + Duration::from_micros(us);
        let last = self.last_due.entry((from, wire)).or_insert(at);
        let at = at.max(*last);
        *last = at;
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        SimNet::new(7).state.into_inner()
    }

    #[test]
    fn a_connection_keeps_its_order_whatever_the_draws() {
        let mut s = state();
        let (a, now) = (Atom::new("sim_net_a"), Instant::now());
        let slow = Some(Fault::Delay { ms: 50, jitter: 50, at_receiver: false });
        let mut last = now;
        for i in 0..200 {
            let due = s.due(a, 1, if i % 3 == 0 { slow } else { None }, now);
            assert!(due >= last, "delivery {i} would overtake the one before it");
            last = due;
        }
    }

    #[test]
    fn latency_is_drawn_within_the_jitter_and_a_new_connection_waits_for_nothing() {
        let mut s = state();
        let (a, now) = (Atom::new("sim_net_b"), Instant::now());
        let slow = Some(Fault::Delay { ms: 1000, jitter: 0, at_receiver: false });
        assert!(s.due(a, 1, slow, now) >= now + Duration::from_millis(1000));
        // Wire 2 is another connection: not held behind wire 1's delay.
        let fresh = s.due(a, 2, None, now);
        assert!(fresh >= now + BASE_LATENCY - BASE_JITTER && fresh <= now + BASE_LATENCY + BASE_JITTER);
        let draws: std::collections::BTreeSet<Instant> = (3..40).map(|w| s.due(a, w, None, now)).collect();
        assert!(draws.len() > 5, "the latency should vary: {draws:?}");
    }

    #[test]
    fn the_same_seed_draws_the_same_latencies() {
        let (mut x, mut y) = (state(), state());
        let (a, now) = (Atom::new("sim_net_c"), Instant::now());
        for w in 0..20 {
            assert_eq!(x.due(a, w, None, now), y.due(a, w, None, now));
        }
    }
}
