//! Tracing: what every process and node did, recorded as events while a
//! trace runs (`Trace.start()` ... `Trace.stop()`).
//!
//! Each node records its own events into a ring of the last N (`Tracer`);
//! the node that asked for the trace gathers the others' over the
//! session's control channels (`gather.rs`) and puts them in one causal
//! order (`timeline.rs`). Recording hooks sit where the runtime already
//! acts: `Runtime::try_deliver` (a signal sent), the signal loop of
//! `process::run_slice` (applied, and what it did), `Cx::take_message`
//! (`receive`), spawning and ending, the registry, the distribution's
//! connections going up and down, and the `Net` requests.
//!
//! Off, a hook costs one relaxed atomic load. On, one short lock per
//! event; the ring's memory is bounded by its length (messages are
//! shared, not copied).
//!
//! What is not recorded: the runtime's own processes (the terminal's I/O
//! server, the node's spawner; `Runtime::hide_from_trace`) and the I/O
//! requests a process sends its group leader to print, which would
//! otherwise double every line of output with two arrows.

pub mod event;
pub mod gather;

pub(crate) mod hooks;
pub mod timeline;

pub use event::{signal_name, Effect, EventKind, TraceEvent};
pub use timeline::{Line, Timeline};

use crate::atom::Atom;
use crate::term::{Pid, Term};
use parking_lot::Mutex;
use rustc_hash::FxHashSet;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering::*};

/// Events a ring holds unless told otherwise: a teaching session's worth
/// (12 MB at most: an event is 120 bytes).
pub const DEFAULT_LIMIT: usize = 100_000;

/// The largest ring a trace may ask for.
pub const MAX_LIMIT: usize = 10_000_000;

/// Where and when an event happened: the node, and the runtime's clock in
/// microseconds since the epoch (virtual in a simulation).
pub(crate) struct Stamp {
    pub(crate) node: Atom,
    pub(crate) wall_us: u64,
}

/// One node's recorder.
#[derive(Default)]
pub struct Tracer {
    on: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    ring: VecDeque<TraceEvent>,
    limit: usize,
    /// Events recorded since the trace started, and dropped from the ring.
    recorded: u64,
    dropped: u64,
    seq: u64,
    /// When this recording started (wall microseconds).
    epoch: u64,
    hidden: FxHashSet<Pid>,
}

/// What a node's ring holds, as `Trace.stop` and the gatherer see it.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    pub events: Vec<TraceEvent>,
    pub recorded: u64,
    pub dropped: u64,
    pub limit: usize,
}

impl Tracer {
    /// Whether events are being recorded: the one check every hook makes.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.on.load(Relaxed)
    }

    /// Starts a fresh trace holding the last `limit` events.
    /// `wall_us`: now on the runtime's clock, microseconds since the epoch.
    pub fn start(&self, limit: usize, wall_us: u64) {
        let mut st = self.state.lock();
        st.ring = VecDeque::new();
        st.limit = limit.clamp(1, MAX_LIMIT);
        st.recorded = 0;
        st.dropped = 0;
        st.seq = 0;
        st.epoch = wall_us;
        self.on.store(true, SeqCst);
    }

    /// Stops recording; what was recorded stays until the next `start`.
    pub fn stop(&self) {
        let _guard = self.state.lock();
        self.on.store(false, SeqCst);
    }

    /// A copy of what the ring holds.
    pub fn recording(&self) -> Recording {
        let st = self.state.lock();
        Recording { events: st.ring.iter().cloned().collect(), recorded: st.recorded, dropped: st.dropped, limit: st.limit }
    }

    /// The ring's length of the current or last trace; 0 if none started.
    pub fn recording_limit(&self) -> usize {
        self.state.lock().limit
    }

    /// Never records events of `pid` (one of the runtime's own processes),
    /// and forgets the few it just had: its birth and its spawn.
    pub fn hide(&self, pid: Pid) {
        let mut st = self.state.lock();
        st.hidden.insert(pid);
        let recent = st.ring.len().saturating_sub(RECENT);
        let before = st.ring.len();
        let mut i = recent;
        while i < st.ring.len() {
            if touches(&st.ring[i], pid) {
                st.ring.remove(i);
            } else {
                i += 1;
            }
        }
        st.recorded -= (before - st.ring.len()) as u64;
    }

    /// Appends one event (if still on), dropping the oldest when full.
    /// `others` are the processes at the other end: an event touching a
    /// hidden process is not recorded.
    pub(crate) fn record(&self, at: Stamp, pid: Option<Pid>, name: Option<Atom>, others: &[Pid], kind: EventKind) {
        let Stamp { node, wall_us } = at;
        let mut st = self.state.lock();
        if !self.is_on() {
            return;
        }
        if pid.is_some_and(|p| st.hidden.contains(&p)) || others.iter().any(|p| st.hidden.contains(p)) {
            return;
        }
        if let EventKind::Receive { msg } = &kind {
            if about(msg).is_some_and(|p| st.hidden.contains(&p)) {
                return; // the DOWN or exit of a hidden process
            }
        }
        st.seq += 1;
        st.recorded += 1;
        if st.ring.len() >= st.limit {
            st.ring.pop_front();
            st.dropped += 1;
        }
        let seq = st.seq;
        let epoch = st.epoch;
        st.ring.push_back(TraceEvent { node, pid, name, wall_us, seq, epoch, lamport: 0, kind });
    }
}

/// How far back `Tracer::hide` looks for a hidden process's first events.
const RECENT: usize = 64;

/// Whether `e` is on `pid`'s line or names it as the other end.
fn touches(e: &TraceEvent, pid: Pid) -> bool {
    e.pid == Some(pid)
        || matches!(&e.kind,
            EventKind::Spawn { child, .. } if *child == pid)
        || matches!(&e.kind, EventKind::Send { to, .. } if *to == pid)
}

/// The process a `(:down, ref, pid, reason)` or `(:exit, pid, reason)` is about.
fn about(msg: &Term) -> Option<Pid> {
    match msg {
        Term::Tuple(t) if t.len() == 4 && t[0] == Term::Atom(Atom::DOWN) => match t[2] {
            Term::Pid(p) => Some(p),
            _ => None,
        },
        Term::Tuple(t) if t.len() == 3 && t[0] == Term::Atom(Atom::EXIT) => match t[1] {
            Term::Pid(p) => Some(p),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a message is part of Erlang's I/O protocol (a request to print,
/// or its reply): plumbing, not part of what a trace shows.
pub fn is_io_plumbing(msg: &Term) -> bool {
    match msg {
        // The DOWN that carries an rpc's answer: `(:down, r, pid, (r, :return, value))`.
        Term::Tuple(t) if t.len() == 4 && t[0] == Term::Atom(Atom::DOWN) => {
            matches!(&t[3], Term::Tuple(a) if a.len() >= 3 && a[0] == t[1])
        }
        Term::Tuple(t) if !t.is_empty() => {
            t[0].as_atom().is_some_and(|a| matches!(a.as_str(), "io_request" | "io_reply" | "spawn_reply"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ring's memory is its length times this (plus what messages
    /// share with the processes that sent them).
    #[test]
    fn an_event_is_small() {
        let size = std::mem::size_of::<TraceEvent>();
        eprintln!("TraceEvent {size} B");
        assert!(size <= 128, "TraceEvent is {size} bytes");
    }

    #[test]
    fn the_ring_keeps_the_last_events_and_counts_the_dropped() {
        let t = Tracer::default();
        t.start(3, 0);
        for i in 0..10 {
            t.record(Stamp { node: Atom::new("a@h"), wall_us: 0 }, None, None, &[], EventKind::Net { what: format!("{i}") });
        }
        let r = t.recording();
        assert_eq!((r.recorded, r.dropped, r.events.len()), (10, 7, 3));
        assert!(matches!(&r.events[0].kind, EventKind::Net { what } if what == "7"));
        t.stop();
        t.record(Stamp { node: Atom::new("a@h"), wall_us: 0 }, None, None, &[], EventKind::Net { what: "after".into() });
        assert_eq!(t.recording().recorded, 10, "nothing is recorded once stopped");
    }
}
