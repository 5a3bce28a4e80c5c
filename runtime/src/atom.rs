//! Atoms: interned names, compared as integers.
//!
//! The table is global and append-only: an atom, once made, lives as long as
//! the program (as on the BEAM). The atoms the runtime itself needs are
//! pre-interned at fixed indices so that hot code can name them as constants.

use parking_lot::RwLock;
use rustc_hash::FxHashMap;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// An interned name. Two atoms are equal exactly when their texts are.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom(u32);

/// How many atoms [`Atom::try_new`] lets the table hold (the BEAM's default
/// `+t` limit). [`Atom::new`], for names the program itself makes, ignores it.
pub const MAX_ATOMS: usize = 1 << 20;

/// How many new atoms one peer connection may add to the table (names it
/// sends that did not exist yet). Erlang nodes send a few hundred (module,
/// function and node names, tags); a peer past this one is closed.
pub const PEER_NEW_ATOMS: usize = 50_000;

/// How many new atoms all peers together may add: past it, the peer that
/// asks for one more is closed, and the rest of the table stays for the
/// program's own atoms.
pub const NETWORK_NEW_ATOMS: usize = 200_000;

/// New atoms made so far from the network, all peers together.
static NETWORK_MADE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// New atoms this thread may still make for a peer (`None`: this thread
    /// does not read from a peer). Each connection has its own reader
    /// thread, so this is a per-connection allowance.
    static PEER_ALLOWANCE: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Why [`Atom::try_from_peer`] refused a new atom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomRefused {
    /// The table holds [`MAX_ATOMS`].
    TableFull,
    /// This peer connection made [`PEER_NEW_ATOMS`] already.
    PeerAllowance,
    /// All peers together made [`NETWORK_NEW_ATOMS`] already.
    NetworkAllowance,
}

/// Makes this thread a peer's reader: from now on, new atoms decoded here
/// count against one allowance of [`PEER_NEW_ATOMS`].
pub fn read_for_one_peer() {
    PEER_ALLOWANCE.with(|a| a.set(Some(PEER_NEW_ATOMS)));
}

struct AtomTable {
    names: Vec<&'static str>,
    index: FxHashMap<&'static str, u32>,
}

/// Atoms with fixed indices, in the order of `PREDEFINED`.
macro_rules! predefined_atoms {
    ($($konst:ident = $text:literal),* $(,)?) => {
        const PREDEFINED: &[&str] = &[$($text),*];
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(u32)]
        enum Predefined { $($konst),* }
        impl Atom { $(pub const $konst: Atom = Atom(Predefined::$konst as u32);)* }
    };
}

predefined_atoms! {
    TRUE = "true", FALSE = "false", NIL = "nil", OK = "ok", ERROR = "error",
    NORMAL = "normal", KILL = "kill", KILLED = "killed", NOPROC = "noproc",
    NOCONNECTION = "noconnection", SHUTDOWN = "shutdown", DOWN = "down",
    EXIT = "exit", NODEDOWN = "nodedown", NODEUP = "nodeup", PROCESS = "process",
    BADARG = "badarg", BADARITH = "badarith", BADMATCH = "badmatch",
    FUNCTION_CLAUSE = "function_clause", CASE_CLAUSE = "case_clause",
    UNDEF = "undef", BADFUN = "badfun", BADARITY = "badarity",
    SYSTEM_LIMIT = "system_limit", TRAP_EXIT = "trap_exit", FLUSH = "flush",
    TIMEOUT = "timeout", NONODE = "nonode@nohost", STATUS = "status",
    RUNNING = "running", RUNNABLE = "runnable", WAITING = "waiting",
    EXITING = "exiting", MESSAGE_QUEUE_LEN = "message_queue_len", LINKS = "links",
    MONITORS = "monitors", MONITORED_BY = "monitored_by",
    REGISTERED_NAME = "registered_name", ALL = "all", INTERRUPTED = "interrupted",
    COND_CLAUSE = "cond_clause", TRY_CLAUSE = "try_clause", INFO = "info",
    SPAWN_REPLY = "spawn_reply", PONG = "pong", PANG = "pang",
    NET_KERNEL = "net_kernel", EMPTY = "", UNDEFINED = "undefined",
    CONNECTION_CLOSED = "connection_closed", NET_TICK_TIMEOUT = "net_tick_timeout",
    DISCONNECT = "disconnect", CONNECTION_SETUP_FAILED = "connection_setup_failed",
    NOTSUP = "notsup", BADOPT = "badopt", LINK = "link", MONITOR = "monitor",
    USER = "user", RETURN = "return", THROW = "throw", GROUP_LEADER = "group_leader",
    NOTALIVE = "notalive",
}

fn table() -> &'static RwLock<AtomTable> {
    static TABLE: OnceLock<RwLock<AtomTable>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = AtomTable { names: Vec::with_capacity(256), index: FxHashMap::default() };
        for name in PREDEFINED {
            let i = t.names.len() as u32;
            t.names.push(name);
            t.index.insert(name, i);
        }
        RwLock::new(t)
    })
}

impl Atom {
    /// The atom named `name`, interning it on first use.
    pub fn new(name: &str) -> Atom {
        if let Some(&i) = table().read().index.get(name) {
            return Atom(i);
        }
        let mut t = table().write();
        if let Some(&i) = t.index.get(name) {
            return Atom(i);
        }
        // Leaked on purpose: atoms are never freed, like the BEAM's.
        let text: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let i = t.names.len() as u32;
        t.names.push(text);
        t.index.insert(text, i);
        Atom(i)
    }

    /// Like [`Atom::new`], but refuses (returns `None`) to intern a *new*
    /// atom once the table holds [`MAX_ATOMS`] atoms. Use it for names a
    /// network peer controls, so that a peer cannot grow the table without
    /// bound (the BEAM's default limit is the same).
    pub fn try_new(name: &str) -> Option<Atom> {
        if let Some(&i) = table().read().index.get(name) {
            return Some(Atom(i));
        }
        let mut t = table().write();
        if let Some(&i) = t.index.get(name) {
            return Some(Atom(i));
        }
        if t.names.len() >= MAX_ATOMS {
            return None;
        }
        let text: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let i = t.names.len() as u32;
        t.names.push(text);
        t.index.insert(text, i);
        Some(Atom(i))
    }

    /// Like [`Atom::try_new`], for a name a peer sent: on a peer's reader
    /// thread (see [`read_for_one_peer`]) a *new* atom also counts against
    /// that connection's allowance and the network's.
    pub fn try_from_peer(name: &str) -> Result<Atom, AtomRefused> {
        if let Some(a) = Atom::existing(name) {
            return Ok(a);
        }
        let Some(left) = PEER_ALLOWANCE.with(Cell::get) else {
            return Atom::try_new(name).ok_or(AtomRefused::TableFull);
        };
        if left == 0 {
            return Err(AtomRefused::PeerAllowance);
        }
        if NETWORK_MADE.fetch_add(1, Ordering::Relaxed) >= NETWORK_NEW_ATOMS {
            NETWORK_MADE.fetch_sub(1, Ordering::Relaxed);
            return Err(AtomRefused::NetworkAllowance);
        }
        let before = table().read().names.len();
        let atom = Atom::try_new(name).ok_or(AtomRefused::TableFull)?;
        // Another thread may have made the same atom meanwhile: count only
        // what this call added.
        if table().read().names.len() > before && atom.index() as usize >= before {
            PEER_ALLOWANCE.with(|a| a.set(Some(left - 1)));
        } else {
            NETWORK_MADE.fetch_sub(1, Ordering::Relaxed);
        }
        Ok(atom)
    }

    /// The atom named `name` if it already exists (never interns: safe for
    /// names a network peer controls).
    pub fn existing(name: &str) -> Option<Atom> {
        table().read().index.get(name).map(|&i| Atom(i))
    }

    pub fn as_str(self) -> &'static str {
        table().read().names[self.0 as usize]
    }

    pub fn index(self) -> u32 {
        self.0
    }

    pub fn from_bool(b: bool) -> Atom {
        if b { Atom::TRUE } else { Atom::FALSE }
    }

    /// True when the atom prints bare after `:` (`:ok`) rather than quoted
    /// (`:"a@127.0.0.1"`).
    /// Whether the atom is a module's name (`Counter`, `List`): a capital
    /// letter, then letters, digits and `_`. It is shown bare, as it is
    /// written, since a module name used as a value is that atom.
    pub fn is_module_name(self) -> bool {
        let s = self.as_str();
        s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    pub fn is_plain(self) -> bool {
        let s = self.as_str();
        let mut chars = s.chars();
        match chars.next() {
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
            _ => return false,
        }
        let body = s.trim_end_matches(['?', '!']);
        body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && s.len() - body.len() <= 1
    }
}

impl std::fmt::Debug for Atom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, ":{}", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable() {
        assert_eq!(Atom::new("ok"), Atom::OK);
        assert_eq!(Atom::new("brand_new_atom"), Atom::new("brand_new_atom"));
        assert_eq!(Atom::new("brand_new_atom").as_str(), "brand_new_atom");
        assert_eq!(Atom::existing("never_made_xyz"), None);
    }

    #[test]
    fn plain_atoms() {
        assert!(Atom::new("ok").is_plain());
        assert!(Atom::new("alive?").is_plain());
        assert!(!Atom::new("a@127.0.0.1").is_plain());
        assert!(!Atom::new("").is_plain());
        assert!(!Atom::new("Hello world").is_plain());
    }
}
