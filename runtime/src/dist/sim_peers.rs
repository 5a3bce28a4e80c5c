//! Peers in a simulation (`Node.start_peer` and the rest under `--sim`):
//! a peer is another runtime of the same simulation, on the simulated
//! network, rather than an OS process. Killing it drops its processes and
//! closes its links as a SIGKILL would; freezing it holds its processes,
//! timers and incoming traffic, as SIGSTOP does.

use super::node::Distribution;
use super::nodes;
use crate::atom::Atom;
use std::sync::Arc;

impl Distribution {
    /// Whether this node runs in a simulation.
    pub fn is_simulated(&self) -> bool {
        self.net.is_some()
    }

    /// `Node.start_peer` in a simulation: a new node `full` with this
    /// node's cookie (not yet connected: the caller connects, once a
    /// trace, if one runs, records on the peer too).
    pub fn start_simulated_peer(&self, full: &str) -> Result<Atom, String> {
        let net = self.net.as_ref().ok_or("not a simulation")?;
        let rt = self.rt.simulated_node().ok_or("not a simulation")?;
        let peer = match Distribution::start(&rt, full, &self.cookie) {
            Ok(d) => d,
            Err(e) => {
                rt.shutdown();
                return Err(e.0);
            }
        };
        net.set_parent(peer.name, self.name);
        Ok(peer.name)
    }

    /// The peers this node started that still run, sorted.
    pub fn simulated_peers(&self) -> Vec<Atom> {
        let Some(net) = &self.net else { return Vec::new() };
        let mut v = net.children(self.name);
        v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        v
    }

    fn simulated_peer(&self, node: Atom) -> Result<Arc<Distribution>, String> {
        let net = self.net.as_ref().ok_or("not a simulation")?;
        match net.lookup(node) {
            Some(d) if net.children(self.name).contains(&node) => Ok(d),
            _ => Err(format!("{} is not a peer of this node", node.as_str())),
        }
    }

    /// `Node.kill_peer` / `Node.stop_peer` in a simulation: the peer is
    /// gone at once (its peers with it).
    pub fn kill_simulated_peer(&self, node: Atom) -> Result<(), String> {
        let peer = self.simulated_peer(node)?;
        for child in peer.simulated_peers() {
            let _ = peer.kill_simulated_peer(child);
        }
        peer.kill_simulated();
        Ok(())
    }

    /// `Node.freeze_peer` (`true`) / `Node.thaw_peer` in a simulation.
    pub fn freeze_simulated_peer(&self, node: Atom, on: bool) -> Result<(), String> {
        let peer = self.simulated_peer(node)?;
        let (Some(net), Some((q, slot))) = (&self.net, peer.rt.sim_slot()) else { return Err("not a simulation".into()) };
        net.freeze(node, on, self.rt.now());
        q.freeze(slot, on);
        Ok(())
    }

    /// `Node.restart_peer` in a simulation: killed, then started again
    /// under the same name (a new creation); the caller connects.
    pub fn restart_simulated_peer(&self, node: Atom) -> Result<(), String> {
        self.kill_simulated_peer(node)?;
        // The killed peer's closing reaches this node after the latency:
        // settle its connection now, as the real restart waits for it.
        let old = self.conns.read().get(&node).cloned();
        if let Some(c) = old {
            c.close(Atom::CONNECTION_CLOSED);
            self.conn_down(&c, Atom::CONNECTION_CLOSED);
        }
        let here = nodes::this_node();
        let started = self.start_simulated_peer(node.as_str());
        nodes::enter(here);
        started.map(|_| ())
    }
}
