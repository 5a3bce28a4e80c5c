//! The node table: `node: u32` index of a `Pid`/`Ref` ↔ (node name, creation).
//!
//! Index 0 is always this node (default `nonode@nohost`, creation 0). Other
//! nodes get the next free index the first time they are seen; entries are
//! never removed, so an index stays valid for the life of the program.
//!
//! In a simulation several nodes share the program, so "this node" is the
//! one whose code the thread runs: the simulation thread `enter`s a node
//! before it runs a slice, a timer or a delivery of that node. Index 0
//! then means that node, and every other node keeps its one index, shared
//! by all: a term crossing the simulated network is encoded under the
//! sender's "this node" and decoded under the receiver's, as between two
//! real nodes.

use crate::atom::Atom;
use parking_lot::RwLock;
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// How many nodes [`try_index_of`] will learn (peer-controlled input: every
/// distinct (name, creation) pair in a received pid would otherwise add an
/// entry).
pub const MAX_NODES: usize = 1 << 16;

struct Table {
    by_index: Vec<(Atom, u32)>,
    by_key: FxHashMap<(Atom, u32), u32>,
}

thread_local! {
    /// The node this thread runs code of, in a simulation.
    static THIS: std::cell::Cell<Option<(Atom, u32)>> = const { std::cell::Cell::new(None) };
}

/// Makes `node` (name, creation) "this node" for the calling thread (the
/// simulation thread, as it changes nodes).
pub(crate) fn enter(node: (Atom, u32)) {
    THIS.with(|t| t.set(Some(node)));
}

fn entered() -> Option<(Atom, u32)> {
    THIS.with(|t| t.get())
}

fn table() -> &'static RwLock<Table> {
    static TABLE: OnceLock<RwLock<Table>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut by_key = FxHashMap::default();
        by_key.insert((Atom::NONODE, 0), 0);
        RwLock::new(Table { by_index: vec![(Atom::NONODE, 0)], by_key })
    })
}

/// Names this node. Pids and references with index 0 mean this node from now
/// on. A node seen earlier under the same (name, creation) keeps its old
/// index too, so both indices then denote this node.
pub fn set_this_node(name: Atom, creation: u32) {
    let mut t = table().write();
    let old = t.by_index[0];
    if t.by_key.get(&old) == Some(&0) {
        t.by_key.remove(&old);
    }
    t.by_index[0] = (name, creation);
    t.by_key.insert((name, creation), 0);
}

/// This node's (name, creation).
pub fn this_node() -> (Atom, u32) {
    entered().unwrap_or_else(|| table().read().by_index[0])
}

/// The index for (name, creation), learning it if new. For trusted callers;
/// input from a peer goes through [`try_index_of`].
pub fn index_of(name: Atom, creation: u32) -> u32 {
    lookup_or_insert(name, creation, usize::MAX).unwrap_or(0)
}

/// Like [`index_of`], but `None` once the table holds [`MAX_NODES`] nodes.
pub fn try_index_of(name: Atom, creation: u32) -> Option<u32> {
    lookup_or_insert(name, creation, MAX_NODES)
}

fn lookup_or_insert(name: Atom, creation: u32, limit: usize) -> Option<u32> {
    if entered() == Some((name, creation)) {
        return Some(0);
    }
    if let Some(&i) = table().read().by_key.get(&(name, creation)) {
        return Some(i);
    }
    let mut t = table().write();
    if let Some(&i) = t.by_key.get(&(name, creation)) {
        return Some(i);
    }
    if t.by_index.len() >= limit {
        return None;
    }
    let i = u32::try_from(t.by_index.len()).ok()?;
    t.by_index.push((name, creation));
    t.by_key.insert((name, creation), i);
    Some(i)
}

/// The (name, creation) of node `index`, if known.
pub fn node_of(index: u32) -> Option<(Atom, u32)> {
    match (index, entered()) {
        (0, Some(this)) => Some(this),
        _ => table().read().by_index.get(index as usize).copied(),
    }
}
