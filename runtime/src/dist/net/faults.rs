//! The faults this node enforces on its own connections (`Net`): for each
//! ordered pair of nodes that includes this one, a cut or a delay.
//!
//! A cut from `x` to `y` loses what `x` sends to `y`. Both ends enforce it
//! when both run Snow: the sender writes nothing (and, when it gives the
//! connection up, keeps the socket open, since its closing would be lost
//! too), the receiver reads and discards (its end of the stream is lost as
//! well, until a heal lets it through). A delay is enforced once: by the
//! sender when it runs Snow, else by the receiver. Either end alone is
//! enough to make what the other sees what a real network would show, so a
//! connection to an `erl` node can be cut from the Snow side.
//!
//! No connection can be made across a cut in either direction (a TCP
//! handshake needs both), so this node neither dials nor accepts one.

use crate::atom::Atom;
use parking_lot::Mutex;
use std::sync::{Arc, OnceLock};
use rustc_hash::FxHashMap;
use std::net::TcpStream;
use std::time::Instant;

/// One direction's fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Everything sent is lost.
    Cut,
    /// Everything sent arrives `ms ± jitter` later, in order; enforced by
    /// the receiver when the sender is not a Snow node of the session.
    Delay {
        ms: u64,
        jitter: u64,
        at_receiver: bool,
    },
}

/// A change to the fault from `from` to `to`: `None` heals it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub from: Atom,
    pub to: Atom,
    pub fault: Option<Fault>,
}

/// What one connection enforces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LinkFaults {
    /// On what this node sends: `Cut` or a sender's `Delay`.
    pub out: Option<Fault>,
    /// On what this node receives: `Cut` or a receiver's `Delay`.
    pub inbound: Option<Fault>,
}

impl LinkFaults {
    pub fn out_cut(&self) -> bool {
        self.out == Some(Fault::Cut)
    }
}

#[derive(Default)]
struct Table {
    /// Faults between this node and another, by (from, to).
    rules: FxHashMap<(Atom, Atom), Fault>,
    /// When each node was last heard from, kept after its connection ends.
    heard: FxHashMap<Atom, Instant>,
    /// Sockets given up while what we send is cut: closing them would tell
    /// the peer (a FIN across a cut is lost), so they stay open until the
    /// cut heals.
    lingering: Vec<(Atom, TcpStream)>,
}

/// A table of faults: the process's own (`process_table`), which every
/// real node of this program uses, or a simulation's, which its nodes
/// share (`SimNet`).
#[derive(Default)]
pub(crate) struct FaultTable(Mutex<Table>);

/// The table of the real node this program is.
pub(crate) fn process_table() -> Arc<FaultTable> {
    static TABLE: OnceLock<Arc<FaultTable>> = OnceLock::new();
    TABLE.get_or_init(|| Arc::new(FaultTable::default())).clone()
}

impl FaultTable {
    fn with<R>(&self, f: impl FnOnce(&mut Table) -> R) -> R {
        f(&mut self.0.lock())
    }

    /// What this node (`me`) enforces on its connection to `peer`.
    pub(crate) fn for_peer(&self, me: Atom, peer: Atom) -> LinkFaults {
        self.with(|t| {
            let out = match t.rules.get(&(me, peer)) {
                Some(Fault::Delay {
                    at_receiver: true, ..
                })
                | None => None,
                Some(f) => Some(*f),
            };
            let inbound = match t.rules.get(&(peer, me)) {
                Some(Fault::Delay {
                    at_receiver: false, ..
                })
                | None => None,
                Some(f) => Some(*f),
            };
            LinkFaults { out, inbound }
        })
    }

    /// Whether a cut in either direction keeps `me` and `peer` from connecting.
    /// The fault on what `from` sends `to`, if any.
    pub(crate) fn rule(&self, from: Atom, to: Atom) -> Option<Fault> {
        self.with(|t| t.rules.get(&(from, to)).copied())
    }

    pub(crate) fn blocks(&self, me: Atom, peer: Atom) -> bool {
        self.with(|t| {
            t.rules.get(&(me, peer)) == Some(&Fault::Cut)
                || t.rules.get(&(peer, me)) == Some(&Fault::Cut)
        })
    }

    /// Records the changes that concern `me` (the others are other nodes'):
    /// returns the nodes whose connection must be told.
    pub(crate) fn record(&self, me: Atom, changes: &[Rule]) -> Vec<Atom> {
        self.with(|t| {
            let mut touched = Vec::new();
            for r in changes.iter().filter(|r| r.from == me || r.to == me) {
                match r.fault {
                    Some(f) => t.rules.insert((r.from, r.to), f),
                    None => t.rules.remove(&(r.from, r.to)),
                };
                touched.push(if r.from == me { r.to } else { r.from });
            }
            touched
        })
    }

    /// Forgets every fault (`Net.heal()`, or distribution stopping); returns
    /// the nodes whose connection must be told.
    pub(crate) fn clear(&self) -> Vec<Atom> {
        self.with(|t| {
            let touched = t.rules.keys().flat_map(|(a, b)| [*a, *b]).collect();
            t.rules.clear();
            touched
        })
    }

    /// Every fault this node knows of, sorted by the nodes' names.
    pub fn rules(&self) -> Vec<(Atom, Atom, Fault)> {
        let mut v: Vec<(Atom, Atom, Fault)> =
            self.with(|t| t.rules.iter().map(|((a, b), f)| (*a, *b, *f)).collect());
        v.sort_by(|x, y| (x.0.as_str(), x.1.as_str()).cmp(&(y.0.as_str(), y.1.as_str())));
        v
    }

    /// `peer` was heard from at `when` (kept for `Net.status` once the
    /// connection has gone).
    pub(crate) fn heard(&self, peer: Atom, when: Instant) {
        self.with(|t| t.heard.insert(peer, when));
    }

    /// When `peer` was last heard from, if ever.
    pub(crate) fn last_heard(&self, peer: Atom) -> Option<Instant> {
        self.with(|t| t.heard.get(&peer).copied())
    }

    /// The nodes this node has heard from.
    pub(crate) fn heard_nodes(&self) -> Vec<Atom> {
        self.with(|t| t.heard.keys().copied().collect())
    }

    /// Keeps `socket` open while what `me` sends to `peer` is cut.
    pub(crate) fn linger(&self, peer: Atom, socket: TcpStream) {
        self.with(|t| t.lingering.push((peer, socket)));
    }

    /// Closes the sockets kept open for pairs whose cut has healed (their FIN
    /// goes out now, as a real one would once the network carries it).
    pub(crate) fn release_lingering(&self, me: Atom) {
        let released: Vec<TcpStream> = self.with(|t| {
            let (keep, go): (Vec<_>, Vec<_>) = t
                .lingering
                .drain(..)
                .partition(|(peer, _)| t.rules.get(&(me, *peer)) == Some(&Fault::Cut));
            t.lingering = keep;
            go.into_iter().map(|(_, s)| s).collect()
        });
        for s in released {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}
