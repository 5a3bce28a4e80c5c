//! The registration table of `snow epmd`: each name, its distribution port, and the connection holding it.

use crate::dist::epmd::{ALIVE2_IN_USE, ALIVE2_TABLE_FULL};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// A registered node, as its ALIVE2 request described it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Node {
    pub name: Vec<u8>,
    pub port: u16,
    pub node_type: u8,
    pub protocol: u8,
    pub highest: u16,
    pub lowest: u16,
    pub extra: Vec<u8>,
}

pub(super) struct Table {
    /// Name → the connection holding it.
    by_name: FxHashMap<Vec<u8>, usize>,
    /// Connection → its node. Connection ids only grow, so this is
    /// registration order, the order NAMES lists.
    by_conn: BTreeMap<usize, Node>,
    max: usize,
    /// The last creation given out.
    creation: u32,
}

impl Table {
    /// An empty table holding at most `max` names; creations start after `seed`.
    pub fn new(max: usize, seed: u32) -> Table {
        Table { by_name: FxHashMap::default(), by_conn: BTreeMap::new(), max, creation: seed }
    }

    pub fn len(&self) -> usize {
        self.by_conn.len()
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// Registers `node` for connection `conn`: its creation (never 0), or
    /// the ALIVE2 result that refuses it (name in use, table full).
    pub fn register(&mut self, conn: usize, node: Node) -> Result<u32, u8> {
        if self.by_name.contains_key(&node.name) {
            return Err(ALIVE2_IN_USE);
        }
        if self.len() >= self.max {
            return Err(ALIVE2_TABLE_FULL);
        }
        self.creation = self.creation.wrapping_add(1).max(1);
        self.by_name.insert(node.name.clone(), conn);
        self.by_conn.insert(conn, node);
        Ok(self.creation)
    }

    /// Drops what connection `conn` registered, if anything.
    pub fn unregister(&mut self, conn: usize) {
        if let Some(node) = self.by_conn.remove(&conn) {
            self.by_name.remove(&node.name);
        }
    }

    pub fn lookup(&self, name: &[u8]) -> Option<&Node> {
        self.by_name.get(name).and_then(|conn| self.by_conn.get(conn))
    }

    /// Appends NAMES lines (`name N at port P\n`) for the nodes registered
    /// by connection `from` or later, until `out` holds `limit` bytes;
    /// returns the connection to go on from, `None` at the end.
    pub fn names_from(&self, from: usize, out: &mut Vec<u8>, limit: usize) -> Option<usize> {
        for (&conn, node) in self.by_conn.range(from..) {
            if out.len() >= limit {
                return Some(conn);
            }
            out.extend_from_slice(b"name ");
            out.extend_from_slice(&node.name);
            out.extend_from_slice(format!(" at port {}\n", node.port).as_bytes());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, port: u16) -> Node {
        Node { name: name.into(), port, node_type: 77, protocol: 0, highest: 6, lowest: 5, extra: vec![] }
    }

    #[test]
    fn register_refuse_unregister_and_list_in_order() {
        let mut t = Table::new(2, u32::MAX - 1);
        assert_eq!(t.register(10, node("b", 1)), Ok(u32::MAX));
        assert_eq!(t.register(11, node("a", 2)), Ok(1), "creation skips 0");
        assert_eq!(t.register(12, node("a", 3)), Err(ALIVE2_IN_USE));
        assert_eq!(t.register(12, node("c", 3)), Err(ALIVE2_TABLE_FULL));
        assert_eq!(t.lookup(b"a").map(|n| n.port), Some(2));
        let mut out = Vec::new();
        assert_eq!(t.names_from(0, &mut out, 1 << 20), None);
        assert_eq!(out, b"name b at port 1\nname a at port 2\n");
        let mut out = Vec::new();
        assert_eq!(t.names_from(0, &mut out, 1), Some(11));
        assert_eq!(out, b"name b at port 1\n");
        t.unregister(10);
        t.unregister(10);
        assert!(t.lookup(b"b").is_none());
        assert_eq!(t.register(12, node("b", 4)), Ok(2));
        assert_eq!(t.len(), 2);
    }
}
