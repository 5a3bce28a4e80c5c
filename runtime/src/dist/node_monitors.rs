//! `Node.monitor` subscriptions (rule 17) and why each node last went down.
//!
//! They belong to the program, not to one distribution session: a process
//! may monitor a node before `Node.start`, and its subscription keeps
//! working across `Node.stop` / `Node.start`. Each call adds one
//! subscription and each `Node.demonitor` removes one, as
//! `erlang:monitor_node/2`. Subscriptions of ended processes are dropped
//! the first time a delivery to them fails.

use crate::atom::Atom;
use crate::runtime::Runtime;
use crate::signal::{node_message, Signal};
use crate::term::Pid;
use rustc_hash::FxHashMap;

/// One node's subscriptions (each runtime holds its own: the nodes of a
/// simulation share the program).
#[derive(Default)]
pub(crate) struct Table {
    /// node -> subscribers (one entry per subscription).
    by_node: FxHashMap<Atom, Vec<Pid>>,
    /// `Node.monitor(:all)` subscribers.
    all: Vec<Pid>,
    /// Why each node last went down.
    reasons: FxHashMap<Atom, Atom>,
    /// Nodes whose `:nodeup` went out and whose `:nodedown` has not: what
    /// a new subscription is told, under the same lock as the
    /// notifications, so it gets exactly one of "down at once" or a later
    /// `:nodeup`, never both or neither.
    up: rustc_hash::FxHashSet<Atom>,
}

fn with<R>(rt: &Runtime, f: impl FnOnce(&mut Table) -> R) -> R {
    f(&mut rt.node_monitors().lock())
}

/// Adds a subscription of `pid` to `node` (`Atom::ALL`: every node).
/// Returns whether `node` is up right now (its `:nodeup` went out).
pub fn add(rt: &Runtime, pid: Pid, node: Atom) -> bool {
    with(rt, |t| {
        if node == Atom::ALL {
            t.all.push(pid)
        } else {
            t.by_node.entry(node).or_default().push(pid)
        }
        t.up.contains(&node)
    })
}

/// Records why `node` went down (before the processes tied to it hear).
pub(crate) fn set_reason(rt: &Runtime, node: Atom, reason: Atom) {
    with(rt, |t| {
        t.reasons.insert(node, reason);
    });
}

/// Removes one subscription; false if there was none.
pub fn remove(rt: &Runtime, pid: Pid, node: Atom) -> bool {
    with(rt, |t| {
        let list = if node == Atom::ALL { Some(&mut t.all) } else { t.by_node.get_mut(&node) };
        match list.and_then(|l| l.iter().position(|p| *p == pid).map(|i| (l, i))) {
            Some((l, i)) => {
                l.remove(i);
                true
            }
            None => false,
        }
    })
}

/// Why `node` last went down, if it ever did.
pub fn last_down_reason(rt: &Runtime, node: Atom) -> Option<Atom> {
    with(rt, |t| t.reasons.get(&node).copied())
}

/// Tells every subscriber of `node` (and of every node) that it came up or
/// went down.
pub(crate) fn notify(rt: &Runtime, node: Atom, up: bool, reason: Option<Atom>) {
    let targets: Vec<Pid> = with(rt, |t| {
        if let Some(r) = reason {
            t.reasons.insert(node, r);
        }
        let changed = if up { t.up.insert(node) } else { t.up.remove(&node) };
        if !changed {
            return Vec::new();
        }
        let mut v = t.by_node.get(&node).cloned().unwrap_or_default();
        v.extend(t.all.iter().copied());
        v
    });
    let mut gone = Vec::new();
    for pid in targets {
        if rt.try_deliver(None, pid, Signal::Message(node_message(up, node))).is_err() {
            gone.push(pid);
        }
    }
    if !gone.is_empty() {
        with(rt, |t| {
            for l in t.by_node.values_mut().chain(std::iter::once(&mut t.all)) {
                l.retain(|p| !gone.contains(p));
            }
        });
    }
}
