//! The failure lab: faults between the nodes of a session (`Net`).
//!
//! The *session* is this node and the peers it started, and theirs: the
//! tree of nodes joined by peer control channels (`channel.rs`). A fault
//! is a rule about an ordered pair of nodes (`faults.rs`); every Snow node
//! of the session enforces the rules that involve it on its own
//! connections (`connection.rs`), so no firewall and no privilege is
//! needed. A request (`Net.partition`, `Net.heal`, ...) is spread over
//! the control channels from whichever node asked: each node applies what
//! concerns it, passes the request on to its other neighbours, and answers
//! once they have. The channels are not the network under test, so a node
//! on the far side of a partition still hears `Net.heal()`.
//!
//! A node outside the session (an `erl` node, or a Snow node started on
//! its own) takes no part: the session's end of each pair enforces the
//! fault alone, which is enough for what both ends see to be what a real
//! network fault would show. A fault between two nodes outside the
//! session has nobody to enforce it and is refused.

pub mod channel;
pub(crate) mod delay_line;
pub mod faults;
mod requests;

pub use faults::Fault;
pub use requests::{
    ask_all, ask_peer, cut, delay, heal, heal_all, on_request, partition, serve_parent, short, state_term, status, StatusEntry,
};

/// Whether a cut between this node and `node`, either way, keeps them
/// from connecting.
pub fn blocks(d: &Distribution, node: crate::atom::Atom) -> bool {
    d.faults.blocks(d.name, node)
}

use super::node::Distribution;
use parking_lot::Mutex;
use std::sync::{Arc, Weak};

/// The running distribution, for requests arriving on control channels.
static CURRENT: Mutex<Weak<Distribution>> = Mutex::new(Weak::new());

/// Called when distribution starts: requests now apply to `d`.
pub(crate) fn attach(d: &Arc<Distribution>) {
    *CURRENT.lock() = Arc::downgrade(d);
}

/// Called when distribution stops: its faults end with it.
pub(crate) fn detach() {
    let table = faults::process_table();
    table.clear();
    *CURRENT.lock() = Weak::new();
    // No rule is left, so every socket kept open for one is closed.
    table.release_lingering(crate::atom::Atom::NONODE);
}

