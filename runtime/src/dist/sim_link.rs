//! A node of a simulation on its simulated network (`sim_net.rs`): what
//! the socket, the handshake and the reader and writer threads do for a
//! real node, done by the simulation thread in virtual time.
//!
//! Everything above the wire is the real node's: the same `Conn` (queue,
//! ties, pending spawns, faults), the same control messages in the same
//! external term format (`inbound.rs`, `outbound.rs`), the same down
//! procedure and node monitors. What differs:
//! - Connecting takes no virtual time: the handshake's checks (the peer
//!   runs, nothing cuts the pair, it is not frozen) are made at once, and
//!   both ends come up together, each announcing `:nodeup` to its own
//!   monitors.
//! - The heartbeat is an event every T/4 per connection end (`Beat`): it
//!   sends a tick when nothing else went out for T/4, and declares the peer
//!   dead (`:net_tick_timeout`) when nothing arrived for T, as the reader
//!   thread does.
//! - Closing (a disconnect, a timeout, a killed node) reaches the peer as
//!   the end of its stream after the link's latency, unless a cut loses it.

use super::connection::{net_tick, Conn, Phase, PeerInfo, SimWire};
use super::frame::{Frame, FrameReader};
use super::handshake::flags;
use super::names::NodeName;
use super::net::faults::Fault;
use super::node::{Distribution, Founding, StartError};
use super::sim_net::Event;
use super::{inbound, nodes};
use crate::atom::Atom;
use crate::runtime::Runtime;
use std::sync::atomic::Ordering::*;
use std::sync::Arc;

impl Distribution {
    /// `Distribution::start` for a node of a simulation: joins the
    /// simulated network under `name` (unique among its running nodes).
    pub(crate) fn start_simulated(rt: &Runtime, name: &str, cookie: &str) -> Result<Arc<Distribution>, StartError> {
        let Some((q, _)) = rt.sim_slot() else { return Err(StartError("not a simulation".into())) };
        let net = q.net().clone();
        let parsed = NodeName::parse(name).map_err(StartError)?;
        if cookie.is_empty() {
            return Err(StartError("the cookie must not be empty".into()));
        }
        let atom = Atom::try_new(&parsed.full()).ok_or_else(|| StartError("the atom table is full".into()))?;
        let creation = net.join(atom).map_err(StartError)?;
        // Whether the calling code is this node's (`Node.start`) rather
        // than another's starting it (`Node.start_peer`).
        let running_here = nodes::this_node() == rt.this_node();
        rt.set_identity(atom, creation);
        if running_here {
            nodes::enter(rt.this_node());
        }
        // No socket: the address is never listened on.
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let founding = Founding { name: atom, parsed, creation, cookie, listen, registration: None, net: Some(net.clone()) };
        let d = Distribution::assemble(rt, founding);
        net.attach(atom, Arc::downgrade(&d));
        rt.set_distribution(Some(d.clone()));
        super::net_kernel::start(rt);
        inbound::start_services(rt);
        Ok(d)
    }

    /// `Distribution::stop` in a simulation.
    pub(crate) fn stop_simulated(&self) {
        let conns: Vec<Arc<Conn>> = self.conns.read().values().cloned().collect();
        for c in conns {
            self.disconnect_conn(&c);
        }
        if let Some(net) = &self.net {
            net.leave(self.name);
        }
        super::net_kernel::stop(&self.rt);
        self.rt.set_distribution(None);
        let running_here = nodes::this_node() == self.rt.this_node();
        self.rt.set_identity(Atom::NONODE, 0);
        if running_here {
            nodes::enter(self.rt.this_node());
        }
    }

    /// The simulated handshake of connection `c`, dialled by this node.
    pub(crate) fn dial_simulated(&self, c: &Arc<Conn>, attempt: u64) {
        let Some(net) = &self.net else { return };
        let peer = net
            .lookup(c.node)
            .filter(|p| !p.is_stopped() && !net.is_frozen(p.name) && !self.faults.blocks(self.name, p.name));
        let Some(peer) = peer else {
            self.conn_down(c, Atom::CONNECTION_SETUP_FAILED);
            return;
        };
        let here = nodes::this_node();
        nodes::enter(peer.rt.this_node());
        let theirs = peer.accept_simulated(self.name);
        nodes::enter(here);
        let Some((theirs, their_attempt)) = theirs else {
            self.conn_down(c, Atom::CONNECTION_SETUP_FAILED);
            return;
        };
        let wire = net.new_wire();
        // Both learn the other's index before anything arrives.
        let _ = nodes::try_index_of(peer.name, peer.creation);
        let up = c.go_up_simulated(
            attempt,
            SimWire { net: net.clone(), me: self.name, id: wire },
            PeerInfo { flags: flags::OFFERED, creation: peer.creation },
            || self.announce_up(peer.name),
        );
        nodes::enter(peer.rt.this_node());
        let _ = nodes::try_index_of(self.name, self.creation);
        let their_up = theirs.go_up_simulated(
            their_attempt,
            SimWire { net: net.clone(), me: peer.name, id: wire },
            PeerInfo { flags: flags::OFFERED, creation: self.creation },
            || peer.announce_up(self.name),
        );
        nodes::enter(here);
        if !(up && their_up) {
            c.close(Atom::CONNECTION_SETUP_FAILED);
            self.conn_down(c, Atom::CONNECTION_SETUP_FAILED);
            return;
        }
        let now = self.rt.now();
        net.beat(self.name, peer.name, wire, now + net.draw(net_tick() / 4));
        net.beat(peer.name, self.name, wire, now + net.draw(net_tick() / 4));
    }

    /// The accepting end of a simulated handshake from `from`: the
    /// connection entry to bring up, and its attempt. A connection that
    /// is still up is stale (the peer restarted): it goes first.
    fn accept_simulated(&self, from: Atom) -> Option<(Arc<Conn>, u64)> {
        if self.is_stopped() || self.faults.blocks(self.name, from) {
            return None;
        }
        let attempt = self.next_attempt.fetch_add(1, Relaxed);
        let old = self.conns.read().get(&from).cloned();
        if let Some(old) = old {
            match old.phase() {
                Phase::Connecting => {
                    old.state.lock().owner = attempt;
                    return Some((old, attempt));
                }
                Phase::Up => self.disconnect_conn(&old),
                Phase::Down => {}
            }
        }
        let c = self.new_conn(from, attempt);
        self.conns.write().insert(from, c.clone());
        Some((c, attempt))
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Relaxed)
    }

    /// What an event of the network means to this node.
    pub(crate) fn sim_event(&self, e: Event) {
        match e {
            Event::Bytes { from, wire, bytes, .. } => self.sim_receive(from, wire, bytes),
            Event::Closed { from, wire, .. } => self.sim_closed(from, wire),
            Event::Beat { peer, wire, .. } => self.sim_beat(peer, wire),
        }
    }

    /// This node's connection to `peer` on link `wire`, if it is that one.
    fn sim_conn(&self, peer: Atom, wire: u64) -> Option<Arc<Conn>> {
        let c = self.conns.read().get(&peer).cloned()?;
        (c.sim.get().is_some_and(|w| w.id == wire) && c.phase() == Phase::Up).then_some(c)
    }

    /// Bytes from `from` arrive: what the reader thread does with them.
    fn sim_receive(&self, from: Atom, wire: u64, bytes: Vec<u8>) {
        let Some(c) = self.sim_conn(from, wire) else { return };
        {
            let mut st = c.state.lock();
            if st.faults.inbound == Some(Fault::Cut) {
                return; // lost on the wire
            }
            st.last_heard = self.rt.now();
        }
        let mut reader = FrameReader::default();
        reader.push(&bytes);
        loop {
            let body = match reader.next_frame() {
                Ok(None) => return,
                Ok(Some(Frame::Tick)) => continue,
                Ok(Some(Frame::Data(body))) => body,
                Err(e) => return self.sim_refuse(&c, &e.to_string()),
            };
            if let Err(e) = inbound::handle(self, &c, &body) {
                return self.sim_refuse(&c, &e);
            }
        }
    }

    /// A malformed packet: the connection closes, as a reader's would.
    fn sim_refuse(&self, c: &Arc<Conn>, why: &str) {
        self.notice(&format!("closing the connection to {}: {why}", c.node.as_str()));
        c.close(Atom::CONNECTION_CLOSED);
        self.conn_down(c, Atom::CONNECTION_CLOSED);
    }

    /// The peer's end of `wire` closed: the end of the stream, unless what
    /// it sends is cut (then the silence will tell).
    fn sim_closed(&self, from: Atom, wire: u64) {
        let Some(c) = self.sim_conn(from, wire) else { return };
        if c.state.lock().faults.inbound == Some(Fault::Cut) {
            return;
        }
        c.close(Atom::CONNECTION_CLOSED);
        self.conn_down(&c, Atom::CONNECTION_CLOSED);
    }

    /// The heartbeat of this node's end of `wire` (rule 19): a tick when
    /// idle for T/4, the peer declared dead after T of silence.
    fn sim_beat(&self, peer: Atom, wire: u64) {
        let Some(c) = self.sim_conn(peer, wire) else { return };
        let Some(net) = &self.net else { return };
        let now = self.rt.now();
        let tick = net_tick();
        let silent = {
            let mut st = c.state.lock();
            if now.saturating_duration_since(st.last_write) >= tick / 4 {
                st.last_write = now;
                if !st.faults.out_cut() {
                    net.transmit(self.name, peer, wire, super::frame::TICK.to_vec(), now);
                }
            }
            now.saturating_duration_since(st.last_heard)
        };
        if silent >= tick {
            self.notice(&format!(
                "node {} not responding (silent for the net tick time, {} ms): connection removed",
                peer.as_str(),
                tick.as_millis()
            ));
            c.close(Atom::NET_TICK_TIMEOUT);
            self.conn_down(&c, Atom::NET_TICK_TIMEOUT);
            return;
        }
        net.beat(self.name, peer, wire, now + tick / 4);
    }

    /// A notice on the one stderr, saying which node it comes from when it
    /// is not the first (as a real peer's, which shares its terminal).
    fn notice(&self, text: &str) {
        match self.rt.sim_slot() {
            Some((_, 0)) | None => crate::log::notice(&format!("snow: {text}")),
            Some(_) => crate::log::notice(&format!("snow ({}): {text}", self.name.as_str())),
        }
    }

    /// This node dies at once, as under SIGKILL: its processes vanish
    /// without a signal, and each peer reads the end of its stream (unless
    /// a cut at the peer's end loses it).
    pub(crate) fn kill_simulated(&self) {
        self.stopped.store(true, SeqCst);
        let conns: Vec<Arc<Conn>> = self.conns.write().drain().map(|(_, c)| c).collect();
        if let Some(net) = &self.net {
            let now = self.rt.now();
            for c in &conns {
                if let Some(w) = c.sim.get() {
                    net.closed(self.name, c.node, w.id, false, now);
                }
            }
            net.leave(self.name);
        }
        self.rt.set_distribution(None);
        self.rt.shutdown();
    }
}
