//! References of 4 or 5 words (OTP 26+ with V4_NC may send them), without
//! growing every `Term`: a `Ref` holds three words inline, so a longer one
//! is interned here and stands as `Ref { node: index | LONG, words: [id, 0,
//! 0] }`. The same reference always gets the same id, so equality holds;
//! encoding writes the original words back. The table only grows, like the
//! atom table, and is capped like it: a peer cannot exhaust memory with
//! made-up references.

use crate::term::Ref;
use parking_lot::RwLock;
use rustc_hash::FxHashMap;

/// Set in `Ref::node` for an interned long reference.
pub const LONG: u32 = 1 << 31;
/// How many long references the table will hold.
pub const MAX_LONG_REFS: usize = 1 << 20;

/// (node index, words, how many of them are used)
type Key = (u32, [u32; 5], u8);

#[derive(Default)]
struct Table {
    by_key: FxHashMap<Key, u32>,
    by_id: Vec<Key>,
}

static TABLE: RwLock<Option<Table>> = RwLock::new(None);

/// The `Ref` for a reference of `words` (4 or 5 of them) on node `index`;
/// `None` once the table is full.
pub fn intern(index: u32, words: &[u32]) -> Option<Ref> {
    let mut w = [0u32; 5];
    for (slot, v) in w.iter_mut().zip(words) {
        *slot = *v;
    }
    let key = (index, w, words.len() as u8);
    if let Some(t) = TABLE.read().as_ref() {
        if let Some(&id) = t.by_key.get(&key) {
            return Some(Ref { node: index | LONG, words: [id, 0, 0] });
        }
    }
    let mut guard = TABLE.write();
    let t = guard.get_or_insert_with(Table::default);
    let id = match t.by_key.get(&key) {
        Some(&id) => id,
        None => {
            if t.by_id.len() >= MAX_LONG_REFS {
                return None;
            }
            let id = t.by_id.len() as u32;
            t.by_id.push(key);
            t.by_key.insert(key, id);
            id
        }
    };
    Some(Ref { node: index | LONG, words: [id, 0, 0] })
}

/// The node index and the words of `r` (3 for an ordinary reference).
pub fn expand(r: &Ref) -> (u32, Vec<u32>) {
    if r.node & LONG == 0 {
        return (r.node, r.words.to_vec());
    }
    let t = TABLE.read();
    match t.as_ref().and_then(|t| t.by_id.get(r.words[0] as usize)) {
        Some(&(index, w, len)) => (index, w[..usize::from(len)].to_vec()),
        None => (r.node & !LONG, r.words.to_vec()),
    }
}
