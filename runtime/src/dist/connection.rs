//! One connection to another node: its phase, its outgoing queue, the
//! writer thread, the reader thread and the heartbeat (reference §3).
//!
//! # Ordering
//! Every signal for the peer is appended to one queue (`enqueue`), in the
//! order the sending processes issue them, and the one writer thread writes
//! the queue in order: per-pair ordering (rule 2) holds across nodes. The
//! one reader thread hands incoming signals to local processes in the order
//! they arrive, and runs the node-down procedure only after the last of
//! them, so `(:nodedown, n)` comes after every signal received from `n`.
//!
//! # Latency
//! After traffic the reader looks for the next bytes without sleeping for
//! as long as an idle scheduler spins (`spin_read`), then blocks in `read`
//! as before: a reply within that window reaches a spinning worker with no
//! thread woken from the kernel (ARCHITECTURE.md, "No thread sleeps in the
//! middle of a round trip").
//!
//! # Heartbeat (rule 19)
//! With `T` the net tick time: the writer sends a tick when it has written
//! nothing for `T/4`. The reader declares the peer dead when nothing at all
//! has arrived for `T`. We do not rely on the peer ticking at our rate (an
//! `erl` with the default 60 s ticks only every 15 s): when the peer has been
//! silent for `T/4`, the reader sends a *probe* — a monitor of a name nobody
//! registers, which every Erlang node answers at once with a `:noproc` DOWN.
//! A live peer, Snow or Erlang, thus always speaks within `T`.
//!
//! # Backpressure (Erlang's busy distribution port)
//! `queued` counts the bytes waiting for the peer (encoded and not yet taken
//! by the socket; while connecting, the signals' estimated size). A message
//! sent by a running process that leaves `queued` at or over the busy limit
//! (`busy_limit`, 1 MiB by default as Erlang's `dist_buf_busy_limit`) is
//! queued all the same, and the sender is then *suspended*: its slice ends
//! and it runs no more (`Conn::suspend`; the process's side is in
//! `process.rs`) until the queue drains below the limit or the connection
//! goes down, when it gets a `Wake`. Other signals (links, exits, monitors)
//! never suspend, and processes outside a slice (the reader thread's
//! replies) are never suspended: they are queued anyway, as in Erlang.
//!
//! # In a simulation
//! The connection is the same object with a simulated wire in place of the
//! socket (`SimWire`, `sim_link.rs`): what `flush` writes goes to the
//! simulated network, which hands it to the peer's connection when it
//! falls due; there is no writer or reader thread, the network's beats
//! send the ticks and notice the silence, and a closing reaches the peer
//! as the end of its stream after the link's latency.
//!
//! # Faults (`Net`)
//! A connection enforces this node's side of the faults between it and
//! the peer (`net/faults.rs`), at packet boundaries: a cut on what we send
//! drops each packet as it is queued (and the ticks); a delay holds packets
//! (and ticks) in a delay line the writer empties as they fall due. A cut
//! on what we receive discards each packet read, ticks included, so the
//! heartbeat sees silence; a receiver's delay holds them before they are
//! handed on. "Last heard" counts only what is handed on.

use super::control::{Control, Proc};
use super::frame::{self, Frame, FrameReader};
use super::net::delay_line::DelayLine;
use super::net::faults::{self, Fault, LinkFaults};
use crate::atom::Atom;
use crate::runtime::Runtime;
use crate::signal::Signal;
use crate::term::{Pid, Ref};
use parking_lot::{Condvar, Mutex};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;
use std::io::{ErrorKind, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The net tick time `T` in milliseconds (`--net-tick`, `Node.set_tick`).
static NET_TICK_MS: AtomicU64 = AtomicU64::new(DEFAULT_NET_TICK_MS);
/// A few seconds, not Erlang's minute: a frozen peer is noticed within
/// 4–4.25 s.
pub const DEFAULT_NET_TICK_MS: u64 = 4000;
/// The smallest tick time accepted.
pub const MIN_NET_TICK_MS: u64 = 100;

pub fn net_tick() -> Duration {
    Duration::from_millis(NET_TICK_MS.load(Relaxed))
}

/// Sets `T` for every connection, current and future.
pub fn set_net_tick(ms: u64) {
    NET_TICK_MS.store(ms.max(MIN_NET_TICK_MS), Relaxed);
}

/// The busy limit in bytes; 0 until first read (then the environment's
/// `SNOW_DIST_BUF_BUSY_LIMIT`, or the default).
static BUSY_LIMIT: AtomicUsize = AtomicUsize::new(0);
/// Erlang's default `dist_buf_busy_limit` (`+zdbbl 1024`): 1 MiB.
pub const DEFAULT_BUSY_LIMIT: usize = 1024 * 1024;
/// The smallest busy limit accepted (Erlang's `+zdbbl` minimum, 1 KiB).
pub const MIN_BUSY_LIMIT: usize = 1024;
/// The writer thread writes at most this much per system call, so that a
/// large queue drains (and wakes its suspended senders) step by step.
const WRITE_CHUNK: usize = 256 * 1024;

/// The distribution buffer busy limit in bytes: a process whose message
/// leaves a connection's queue at or over it is suspended until the queue
/// drains below it (module docs).
pub fn busy_limit() -> usize {
    match BUSY_LIMIT.load(Relaxed) {
        0 => {
            let from_env = std::env::var("SNOW_DIST_BUF_BUSY_LIMIT").ok().and_then(|v| parse_busy_limit(&v).ok());
            let _ = BUSY_LIMIT.compare_exchange(0, from_env.unwrap_or(DEFAULT_BUSY_LIMIT), Relaxed, Relaxed);
            BUSY_LIMIT.load(Relaxed)
        }
        n => n,
    }
}

/// Sets the busy limit for every connection (at least `MIN_BUSY_LIMIT`).
/// Processes already suspended are resumed by the next drain.
pub fn set_busy_limit(bytes: usize) {
    BUSY_LIMIT.store(bytes.max(MIN_BUSY_LIMIT), Relaxed);
}

/// A busy limit as written on the command line or in the environment: a
/// number of bytes, at least `MIN_BUSY_LIMIT`.
pub fn parse_busy_limit(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= MIN_BUSY_LIMIT => Ok(n),
        _ => Err(format!("the busy limit must be a number of bytes, at least {MIN_BUSY_LIMIT} (got {text:?})")),
    }
}

thread_local! {
    /// Connections the running slice queued packets on (`enqueue_from_process`).
    static DIRTY: std::cell::RefCell<Vec<Arc<Conn>>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The connection a message of the running slice found busy: the
    /// process is suspended on it when the slice ends (`end_slice`).
    static BUSY: std::cell::RefCell<Option<Arc<Conn>>> = const { std::cell::RefCell::new(None) };
    /// Which of the two above hold something: every slice asks, almost
    /// always to hear "nothing", and a plain byte answers that without the
    /// lazy registration and out-of-line `with` of a `RefCell` with a
    /// destructor (three of those a slice; with `Fiber::run`'s inline ends,
    /// 70 instructions a message on the ring and 13% of its time).
    static PENDING: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
}

const PENDING_DIRTY: u8 = 1;
const PENDING_BUSY: u8 = 2;

fn mark_pending(bit: u8) {
    PENDING.with(|p| p.set(p.get() | bit));
}

/// Clears `bit`; whether it was set.
#[inline]
fn take_pending(bit: u8) -> bool {
    PENDING.with(|p| {
        let was = p.get();
        p.set(was & !bit);
        was & bit != 0
    })
}

/// Whether a message sent during the running slice found its connection
/// busy: the process will be suspended when the slice ends, and should end
/// it now (`Cx::busy`).
#[inline]
pub(crate) fn busy_pending() -> bool {
    PENDING.with(|p| p.get() & PENDING_BUSY != 0)
}

/// Ends a slice's traffic: writes what it queued, in one write per
/// connection, and returns the connection its sender is to be suspended on,
/// if a message found one busy. Called once as each slice ends, almost
/// always with nothing to do: then one byte is read.
#[inline]
pub(crate) fn end_slice() -> Option<Arc<Conn>> {
    if PENDING.with(|p| p.get()) == 0 {
        return None;
    }
    if take_pending(PENDING_DIRTY) {
        flush_queued();
    }
    if take_pending(PENDING_BUSY) {
        return BUSY.with(|b| b.borrow_mut().take());
    }
    None
}

#[inline(never)]
fn flush_queued() {
    let list = DIRTY.with(|d| std::mem::take(&mut *d.borrow_mut()));
    for c in list {
        c.state.lock().dirty = false;
        c.flush();
    }
}

/// The name our probes monitor: nobody registers it.
pub(crate) fn probe_name() -> Atom {
    Atom::new("$snow_probe")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Connecting,
    Up,
    Down,
}

/// What a connection held when it went down: what the down procedure
/// settles (`Distribution::conn_down`).
pub(crate) struct Downed {
    /// Why it went down (the first reason given wins).
    pub reason: Atom,
    /// Local processes tied to the peer (rule 18).
    pub ties: FxHashSet<Pid>,
    /// Spawn requests still unanswered: request ref → the requester.
    pub spawns: FxHashMap<Ref, Pid>,
    /// Whether it had been up (a nodeup was announced).
    pub was_up: bool,
}

/// A connection's end of a simulated link: the network, this node's name
/// and the link's number (a new connection between the same nodes gets a
/// new one, so what was in flight on an old one is not taken for its).
pub(crate) struct SimWire {
    pub net: Arc<super::sim_net::SimNet>,
    pub me: Atom,
    pub id: u64,
}

/// What we know of the peer once the handshake is done.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PeerInfo {
    pub flags: u64,
    pub creation: u32,
}

pub(crate) struct Conn {
    pub node: Atom,
    pub(crate) state: Mutex<ConnState>,
    /// Wakes the writer (new bytes, going down) and whoever waits for the
    /// phase to change (`Node.connect`, `Node.disconnect`).
    pub(crate) changed: Condvar,
    pub(crate) peer: OnceLock<PeerInfo>,
    socket: OnceLock<TcpStream>,
    /// In a simulation, the simulated wire in place of the socket.
    pub(crate) sim: OnceLock<SimWire>,
    /// The socket has been shut (or left lingering) once already.
    shut_done: std::sync::atomic::AtomicBool,
    /// To wake the processes suspended on this connection.
    rt: Runtime,
    /// Its node's fault table (`faults.rs`).
    table: Arc<faults::FaultTable>,
}

pub(crate) struct ConnState {
    pub phase: Phase,
    /// The handshake attempt allowed to bring this connection up (two can
    /// race when both nodes dial each other at once).
    pub owner: u64,
    /// Signals queued while connecting, encoded once the peer's flags are
    /// known.
    pub early: VecDeque<Control>,
    /// Encoded packets waiting for the writer.
    pub out: Vec<u8>,
    /// Someone (a sender on the fast path, or the writer thread) is writing
    /// to the socket: everyone else appends to `out`.
    pub writing: bool,
    /// When bytes last went out (ticks are sent only when idle).
    pub last_write: Instant,
    /// On some scheduler thread's list of connections to flush at the end
    /// of the running slice.
    pub dirty: bool,
    /// Local processes that may hold links or monitors with processes on
    /// the peer: each gets `ConnectionLost` when the connection goes.
    pub ties: FxHashSet<Pid>,
    /// Our `Node.spawn` requests not yet answered: request -> requester.
    pub spawns: FxHashMap<Ref, Pid>,
    /// Why it went down (first cause wins).
    pub reason: Option<Atom>,
    /// The down procedure has finished.
    pub settled: bool,
    /// Bytes waiting for the peer: encoded packets in `out` or in a
    /// writer's hands, plus the estimated size of `early` (module docs).
    pub queued: usize,
    /// Processes suspended on this busy queue (`suspend`): woken when it
    /// drains below the busy limit or the connection goes down.
    pub suspended: FxHashSet<Pid>,
    /// This node's side of the faults with the peer (module docs).
    pub faults: LinkFaults,
    /// Packets a sender's delay holds back, oldest first.
    pub delayed: DelayLine<Vec<u8>>,
    /// When the reader last handed on something from the peer.
    pub last_heard: Instant,
    /// Closed by `Net.partition(.., :reset)`: the socket is shut even if
    /// what we send is cut.
    pub reset: bool,
}

impl Conn {
    pub(crate) fn new(node: Atom, owner: u64, rt: Runtime, table: Arc<faults::FaultTable>, faults: LinkFaults) -> Conn {
        Conn {
            node,
            state: Mutex::new(ConnState {
                phase: Phase::Connecting,
                owner,
                early: VecDeque::new(),
                out: Vec::new(),
                writing: false,
                last_write: rt.now(),
                dirty: false,
                ties: FxHashSet::default(),
                spawns: FxHashMap::default(),
                reason: None,
                settled: false,
                queued: 0,
                suspended: FxHashSet::default(),
                faults: simulated_faults(&rt, faults),
                delayed: DelayLine::default(),
                last_heard: rt.now(),
                reset: false,
            }),
            changed: Condvar::new(),
            peer: OnceLock::new(),
            socket: OnceLock::new(),
            sim: OnceLock::new(),
            shut_done: std::sync::atomic::AtomicBool::new(false),
            rt,
            table,
        }
    }

    pub(crate) fn phase(&self) -> Phase {
        self.state.lock().phase
    }

    /// Queues a signal for the peer, remembering `tie` (a local process
    /// that now has a link or monitor there). `Err` gives it back when the
    /// connection is already down.
    pub(crate) fn enqueue(&self, c: Control, tie: Option<Pid>) -> Result<(), Control> {
        self.enqueue_with(c, tie, None)
    }

    /// `enqueue` for a signal sent by a running process: the packet waits
    /// in the queue until the process's slice ends (`end_slice`), so the
    /// messages one slice sends go out in one system call, and a process
    /// that then waits for a reply has it on the wire at once.
    pub(crate) fn enqueue_from_process(self: &Arc<Self>, c: Control, tie: Option<Pid>) -> Result<(), Control> {
        if crate::runtime::in_slice() {
            self.enqueue_with(c, tie, Some(self))
        } else {
            self.enqueue_with(c, tie, None)
        }
    }

    fn enqueue_with(&self, c: Control, tie: Option<Pid>, defer: Option<&Arc<Conn>>) -> Result<(), Control> {
        let message = matches!(c, Control::Send { .. } | Control::RegSend { .. } | Control::AliasSend { .. });
        let (bytes, estimate) = match self.peer.get() {
            Some(p) => match encode(&c, p.flags) {
                Some(b) => (Some(b), 0),
                None => return Ok(()), // logged; dropped like a lost message
            },
            // Connecting: the flags are not known yet; the size with the
            // flags we offer is close enough to count against the limit.
            None => (None, encoded_len(&c)),
        };
        let mut st = self.state.lock();
        if st.phase == Phase::Down {
            return Err(c);
        }
        if let Some(p) = tie {
            st.ties.insert(p);
        }
        if st.faults.out_cut() {
            return Ok(()); // lost on the wire
        }
        if st.phase == Phase::Connecting {
            st.early.push_back(c);
            st.queued += estimate;
            if message && st.queued >= busy_limit() {
                if let Some(me) = defer {
                    BUSY.with(|b| *b.borrow_mut() = Some(me.clone()));
                    mark_pending(PENDING_BUSY);
                }
            }
            return Ok(());
        }
        // Up. Encoded before the lock; if the connection came up meanwhile, now.
        let encoded = bytes.or_else(|| self.peer.get().and_then(|p| encode(&c, p.flags)));
        let Some(b) = encoded else { return Ok(()) };
        if let Some(Fault::Delay { ms, jitter, .. }) = st.faults.out {
            st.delayed.push(Instant::now(), ms, jitter, b);
            self.changed.notify_all();
            return Ok(());
        }
        if !st.delayed.is_empty() {
            // A delay just removed: what it still holds goes first.
            st.delayed.push(Instant::now(), 0, 0, b);
            self.changed.notify_all();
            return Ok(());
        }
        st.out.extend_from_slice(&b);
        st.queued += b.len();
        match defer {
            Some(me) => {
                if message && st.queued >= busy_limit() {
                    BUSY.with(|b| *b.borrow_mut() = Some(me.clone()));
                    mark_pending(PENDING_BUSY);
                }
                if !st.dirty {
                    st.dirty = true;
                    DIRTY.with(|d| d.borrow_mut().push(me.clone()));
                    mark_pending(PENDING_DIRTY);
                }
            }
            None => {
                // Out now, from this thread, without waking the writer
                // (unless someone is writing already).
                drop(st);
                self.flush();
            }
        }
        Ok(())
    }

    /// Suspends `pid` on this connection if its queue is busy: true when it
    /// is (the process then waits for a `Wake`), false when the queue has
    /// drained below the limit or the connection is down.
    pub(crate) fn suspend(&self, pid: Pid) -> bool {
        let mut st = self.state.lock();
        if st.phase != Phase::Down && st.queued >= busy_limit() {
            st.suspended.insert(pid);
            true
        } else {
            st.suspended.remove(&pid);
            false
        }
    }

    /// Forgets a suspended process (it is ending).
    pub(crate) fn unsuspend(&self, pid: Pid) {
        self.state.lock().suspended.remove(&pid);
    }

    /// `n` queued bytes went to the socket: the processes to resume if the
    /// queue is now below the busy limit (to be woken once the lock is
    /// released, with `resume`).
    fn sent(st: &mut ConnState, n: usize) -> Vec<Pid> {
        st.queued = st.queued.saturating_sub(n);
        Self::drained(st)
    }

    /// The suspended processes, if the queue is below the busy limit.
    fn drained(st: &mut ConnState) -> Vec<Pid> {
        if st.suspended.is_empty() || st.queued >= busy_limit() {
            return Vec::new();
        }
        st.suspended.drain().collect()
    }

    /// Wakes processes taken from `suspended` (in pid order).
    fn resume(&self, mut pids: Vec<Pid>) {
        pids.sort();
        for p in pids {
            self.rt.deliver(None, p, Signal::Wake);
        }
    }

    /// Writes the queue now from this thread if nobody else is writing;
    /// what the socket does not take at once is the writer thread's.
    fn flush(&self) {
        let mut st = self.state.lock();
        if st.writing || st.out.is_empty() || st.phase != Phase::Up {
            return;
        }
        let batch = std::mem::take(&mut st.out);
        st.writing = true;
        drop(st);
        let sent = match (self.socket.get(), self.sim.get()) {
            (Some(s), _) => send_now(s, &batch),
            (None, Some(w)) => {
                w.net.transmit(w.me, self.node, w.id, batch.clone(), self.rt.now());
                batch.len()
            }
            (None, None) => 0,
        };
        let mut st = self.state.lock();
        st.writing = false;
        st.last_write = self.rt.now();
        let resumed = Self::sent(&mut st, sent);
        if sent < batch.len() {
            let rest = batch.get(sent..).unwrap_or_default();
            st.out.splice(0..0, rest.iter().copied());
        } else if st.out.is_empty() && batch.capacity() <= 64 * 1024 {
            let mut b = batch;
            b.clear();
            st.out = b;
        }
        if !st.out.is_empty() {
            self.changed.notify_all();
        }
        drop(st);
        self.resume(resumed);
    }

    /// Remembers a local process tied to the peer (incoming link/monitor).
    pub(crate) fn tie(&self, p: Pid) {
        if p.node == 0 {
            self.state.lock().ties.insert(p);
        }
    }

    /// Brings the connection up with `socket`: encodes what was queued.
    /// False if another attempt owns it or it is no longer connecting.
    /// `announce` runs first, under this connection's lock: node monitors
    /// hear `:nodeup` before anyone can see the connection up (so whoever
    /// subscribes after `Node.connect` returns is told "up", not "down").
    pub(crate) fn go_up(&self, attempt: u64, socket: &TcpStream, peer: PeerInfo, announce: impl FnOnce()) -> bool {
        self.go_up_with(attempt, peer, announce, || match socket.try_clone() {
            Ok(s) => {
                let _ = self.socket.set(s);
                true
            }
            Err(_) => false,
        })
    }

    /// `go_up` on a simulated wire.
    pub(crate) fn go_up_simulated(&self, attempt: u64, wire: SimWire, peer: PeerInfo, announce: impl FnOnce()) -> bool {
        self.go_up_with(attempt, peer, announce, || self.sim.set(wire).is_ok())
    }

    /// `attach` gives the connection its wire (false: it cannot).
    fn go_up_with(&self, attempt: u64, peer: PeerInfo, announce: impl FnOnce(), attach: impl FnOnce() -> bool) -> bool {
        let mut st = self.state.lock();
        if st.phase != Phase::Connecting || st.owner != attempt {
            return false;
        }
        if !attach() {
            return false;
        }
        announce();
        let _ = self.peer.set(peer);
        let mut early = std::mem::take(&mut st.early);
        if st.faults.out_cut() {
            early.clear();
        }
        for c in early {
            if let Some(b) = encode(&c, peer.flags) {
                st.out.extend_from_slice(&b);
            }
        }
        // The estimates become the real sizes.
        st.queued = st.out.len();
        st.phase = Phase::Up;
        let resumed = Self::drained(&mut st);
        drop(st);
        self.changed.notify_all();
        self.resume(resumed);
        if self.sim.get().is_some() {
            self.flush(); // what was queued while connecting
        }
        true
    }

    /// Asks the connection to go down for `reason`: closes the socket, so
    /// the reader runs the down procedure. Returns false if already going.
    pub(crate) fn close(&self, reason: Atom) -> bool {
        let mut st = self.state.lock();
        if st.reason.is_some() || st.phase == Phase::Down {
            return false;
        }
        st.reason = Some(reason);
        let linger = st.faults.out_cut() && !st.reset;
        drop(st);
        self.shut(linger);
        self.changed.notify_all();
        true
    }

    /// `Net.partition(.., :reset)`: the connection is reset at once; both
    /// ends see `:connection_closed`.
    pub(crate) fn reset(&self) {
        self.state.lock().reset = true;
        self.close(Atom::CONNECTION_CLOSED);
    }

    /// Shuts the socket, or, when what we send is cut (`linger`), keeps a
    /// copy open so that the peer does not hear of the closing across the
    /// cut (`faults::linger`); the reader and writer stop all the same.
    fn shut(&self, linger: bool) {
        if let Some(w) = self.sim.get() {
            if !self.shut_done.swap(true, Relaxed) {
                w.net.closed(w.me, self.node, w.id, linger, self.rt.now());
            }
            return;
        }
        let Some(s) = self.socket.get() else { return };
        if self.shut_done.swap(true, Relaxed) {
            return;
        }
        if linger {
            if let Ok(copy) = s.try_clone() {
                self.table.linger(self.node, copy);
                return;
            }
        }
        let _ = s.shutdown(Shutdown::Both);
    }

    /// This node's side of the faults with the peer changed: from now on,
    /// what is queued and what arrives meets `f`.
    pub(crate) fn set_faults(&self, f: LinkFaults) {
        self.state.lock().faults = simulated_faults(&self.rt, f);
        self.changed.notify_all();
    }

    /// When the peer was last heard from (`Net.status`).
    pub(crate) fn last_heard(&self) -> Instant {
        self.state.lock().last_heard
    }

    /// Marks the connection down and takes what the down procedure needs.
    /// `None` if it was down already.
    pub(crate) fn take_down(&self, reason: Atom) -> Option<Downed> {
        let mut st = self.state.lock();
        if st.phase == Phase::Down {
            return None;
        }
        let was_up = st.phase == Phase::Up;
        st.phase = Phase::Down;
        let reason = *st.reason.get_or_insert(reason);
        st.out.clear();
        st.early.clear();
        st.queued = 0;
        let ties = std::mem::take(&mut st.ties);
        let spawns = std::mem::take(&mut st.spawns);
        let resumed: Vec<Pid> = st.suspended.drain().collect();
        let linger = st.faults.out_cut() && !st.reset;
        self.table.heard(self.node, st.last_heard);
        drop(st);
        self.shut(linger);
        self.changed.notify_all();
        // Suspended senders resume; what they send next finds the
        // connection down (or a new attempt).
        self.resume(resumed);
        Some(Downed { reason, ties, spawns, was_up })
    }

    pub(crate) fn mark_settled(&self) {
        self.state.lock().settled = true;
        self.changed.notify_all();
    }

    /// Waits until the phase is no longer `Connecting` (or `limit` passes).
    pub(crate) fn wait_settled_phase(&self, limit: Duration) -> Phase {
        if self.rt.is_simulated() {
            return self.phase(); // nothing else could change it meanwhile
        }
        let deadline = Instant::now() + limit;
        let mut st = self.state.lock();
        while st.phase == Phase::Connecting {
            if self.changed.wait_until(&mut st, deadline).timed_out() {
                break;
            }
        }
        st.phase
    }

    /// Waits until the down procedure has run (or `limit` passes).
    pub(crate) fn wait_down(&self, limit: Duration) {
        if self.rt.is_simulated() {
            return; // the down procedure ran in the caller (`sim_link.rs`)
        }
        let deadline = Instant::now() + limit;
        let mut st = self.state.lock();
        while !st.settled {
            if self.changed.wait_until(&mut st, deadline).timed_out() {
                break;
            }
        }
    }

    /// The writer thread: writes queued packets in order, a tick when idle
    /// for T/4. Returns when the connection goes down or a write fails.
    pub(crate) fn write_loop(&self, mut socket: TcpStream) {
        loop {
            // `counted`: the bytes are in `queued` (a tick is not).
            let (batch, counted) = {
                let mut st = self.state.lock();
                loop {
                    if st.phase == Phase::Down || st.reason.is_some() {
                        return;
                    }
                    if st.writing {
                        // A sender is on the fast path: it wakes us if it
                        // leaves bytes behind.
                        self.changed.wait_for(&mut st, Duration::from_millis(50));
                        continue;
                    }
                    let now = Instant::now();
                    while let Some(b) = st.delayed.pop_due(now) {
                        st.queued += b.len();
                        st.out.extend_from_slice(&b);
                    }
                    if !st.out.is_empty() {
                        st.writing = true;
                        break (std::mem::take(&mut st.out), true);
                    }
                    let every = net_tick() / 4;
                    let idle = st.last_write.elapsed();
                    if idle >= every {
                        match st.faults.out {
                            // A cut loses the ticks too; a delay holds them.
                            Some(Fault::Cut) => st.last_write = now,
                            Some(Fault::Delay { ms, jitter, .. }) => {
                                st.delayed.push(now, ms, jitter, frame::TICK.to_vec());
                                st.last_write = now;
                            }
                            None => {
                                st.writing = true;
                                break (frame::TICK.to_vec(), false);
                            }
                        }
                        continue;
                    }
                    let mut wait = every - idle;
                    if let Some(due) = st.delayed.next_due() {
                        wait = wait.min(due.saturating_duration_since(now));
                    }
                    self.changed.wait_for(&mut st, wait);
                }
            };
            // In chunks, so that the queue shrinks (and suspended senders
            // resume) as the peer reads, not only once the batch is out.
            // `counted_off`: the bytes already taken off `queued`.
            let (mut done, mut counted_off, mut ok) = (0, 0, true);
            while done < batch.len() {
                let end = batch.len().min(done + WRITE_CHUNK);
                match socket.write(batch.get(done..end).unwrap_or_default()) {
                    Ok(0) => ok = false,
                    Ok(n) => {
                        done += n;
                        if counted && done < batch.len() {
                            let mut st = self.state.lock();
                            st.last_write = Instant::now();
                            let resumed = Self::sent(&mut st, done - counted_off);
                            drop(st);
                            counted_off = done;
                            self.resume(resumed);
                        }
                        continue;
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => ok = false,
                }
                break;
            }
            let mut st = self.state.lock();
            st.writing = false;
            st.last_write = Instant::now();
            if !ok {
                drop(st);
                self.close(Atom::CONNECTION_CLOSED);
                return;
            }
            let resumed = if counted { Self::sent(&mut st, done - counted_off) } else { Vec::new() };
            // Give the buffer back when it is small, to avoid reallocating.
            if batch.capacity() <= 64 * 1024 && st.out.is_empty() {
                let mut b = batch;
                b.clear();
                st.out = b;
            }
            drop(st);
            self.resume(resumed);
        }
    }

    /// The reader thread's loop: hands each packet to `handle` in order;
    /// returns why the connection ended. `handle` returning `Err` (a
    /// malformed packet) ends it too, after a one-line log. This node's
    /// faults on what it receives apply here (module docs).
    pub(crate) fn read_loop(&self, mut socket: TcpStream, mut handle: impl FnMut(&Conn, Vec<u8>) -> Result<(), String>) -> Atom {
        let check = Duration::from_millis(50).max(net_tick() / 16).min(Duration::from_millis(250));
        let _ = socket.set_read_timeout(Some(check));
        let mut timeout = check;
        let mut reader = FrameReader::default();
        let mut last_recv = Instant::now();
        let mut last_probe = Instant::now();
        // Packets a receiver's delay holds (`None` is a tick).
        let mut held: DelayLine<Option<Vec<u8>>> = DelayLine::default();
        // The stream ended while what we receive was cut: the end is lost
        // with the rest until a heal lets it through.
        let mut ended_unseen = false;
        // The last read brought bytes: the next looks without sleeping first.
        let mut busy = false;
        loop {
            let inbound = {
                let mut st = self.state.lock();
                if let Some(r) = st.reason {
                    return r;
                }
                st.last_heard = last_recv;
                st.faults.inbound
            };
            if ended_unseen && inbound != Some(Fault::Cut) {
                return Atom::CONNECTION_CLOSED;
            }
            // Everything complete in the buffer first, in order.
            loop {
                let packet = match reader.next_frame() {
                    Ok(None) => break,
                    Ok(Some(Frame::Tick)) => None,
                    Ok(Some(Frame::Data(body))) => Some(body),
                    Err(e) => {
                        crate::log::notice(&format!("snow: closing the connection to {}: {e}", self.node.as_str()));
                        return Atom::CONNECTION_CLOSED;
                    }
                };
                match inbound {
                    Some(Fault::Cut) => {} // lost
                    Some(Fault::Delay { ms, jitter, .. }) => {
                        held.push(Instant::now(), ms, jitter, packet)
                    }
                    None if !held.is_empty() => held.push(Instant::now(), 0, 0, packet),
                    None => {
                        last_recv = Instant::now();
                        if let Err(r) = self.hand_on(packet, &mut handle) {
                            return r;
                        }
                    }
                }
            }
            while let Some(packet) = held.pop_due(Instant::now()) {
                last_recv = Instant::now();
                if let Err(r) = self.hand_on(packet, &mut handle) {
                    return r;
                }
            }
            if ended_unseen {
                std::thread::sleep(check);
            } else {
                let wait = held.next_due().map_or(check, |due| {
                    due.saturating_duration_since(Instant::now())
                        .clamp(Duration::from_millis(1), check)
                });
                if wait != timeout {
                    timeout = wait;
                    let _ = socket.set_read_timeout(Some(wait));
                }
                let spun = if busy { spin_read(&socket, &mut reader) } else { None };
                let read = spun.unwrap_or_else(|| reader.read_from(&mut socket));
                busy = matches!(read, Ok(n) if n > 0);
                match read {
                    Ok(0) if inbound == Some(Fault::Cut) => ended_unseen = true,
                    Ok(0) => return Atom::CONNECTION_CLOSED,
                    Ok(_) => {
                        // Part of a long packet is a sign of life too.
                        if inbound.is_none() && held.is_empty() {
                            last_recv = Instant::now();
                        }
                        continue;
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                        ) => {}
                    Err(_) if inbound == Some(Fault::Cut) => ended_unseen = true,
                    Err(_) => return Atom::CONNECTION_CLOSED,
                }
            }
            let tick = net_tick();
            let silent = last_recv.elapsed();
            if silent >= tick {
                // One last look: if we were stopped ourselves (SIGSTOP) the
                // peer may have spoken or closed meanwhile. Across a cut or
                // behind a delay, what is waiting would not be heard now.
                let look = if inbound.is_none() && held.is_empty() && !ended_unseen {
                    last_look(&socket, &mut reader)
                } else {
                    None
                };
                match look {
                    Some(0) => return Atom::CONNECTION_CLOSED,
                    Some(_) => continue,
                    None => {
                        crate::log::notice(&format!(
                            "snow: node {} not responding (silent for the net tick time, {} ms): connection removed",
                            self.node.as_str(),
                            tick.as_millis()
                        ));
                        return Atom::NET_TICK_TIMEOUT;
                    }
                }
            }
            if silent >= tick / 4 && last_probe.elapsed() >= tick / 4 {
                last_probe = Instant::now();
                let probe = Control::Monitor {
                    from: crate::runtime::Runtime::OUTSIDE,
                    target: Proc::Name(probe_name()),
                    r: Ref { node: 0, words: [0, 0, 0] },
                };
                let _ = self.enqueue(probe, None);
            }
        }
    }

    /// Hands a packet read from the peer on (`None`: a tick, nothing to
    /// do); `Err` ends the connection after a one-line log.
    fn hand_on(
        &self,
        packet: Option<Vec<u8>>,
        handle: &mut impl FnMut(&Conn, Vec<u8>) -> Result<(), String>,
    ) -> Result<(), Atom> {
        let Some(body) = packet else { return Ok(()) };
        handle(self, body).map_err(|e| {
            crate::log::notice(&format!(
                "snow: closing the connection to {}: {e}",
                self.node.as_str()
            ));
            Atom::CONNECTION_CLOSED
        })
    }
}

/// In a simulation the network applies delays itself (`sim_net.rs`): a
/// connection enforces only the cuts.
fn simulated_faults(rt: &Runtime, f: LinkFaults) -> LinkFaults {
    if !rt.is_simulated() {
        return f;
    }
    let cut = |x: Option<Fault>| x.filter(|f| *f == Fault::Cut);
    LinkFaults { out: cut(f.out), inbound: cut(f.inbound) }
}

/// After traffic, the reader looks for the next bytes without sleeping for
/// as long as an idle scheduler spins (`SPIN_BEFORE_PARK`), yielding the CPU
/// between looks: a reply that comes back within it is read without the
/// wake-up of a thread asleep in `read(2)`, which on a virtual machine costs
/// tens of microseconds per hop of a round trip. `None`: nothing came, read
/// (and sleep) as usual.
fn spin_read(socket: &TcpStream, reader: &mut FrameReader) -> Option<std::io::Result<usize>> {
    let until = Instant::now() + crate::scheduler::SPIN_BEFORE_PARK;
    let mut nowait = NoWait(socket);
    loop {
        match reader.read_from(&mut nowait) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            other => return Some(other),
        }
        if Instant::now() >= until {
            return None;
        }
        std::thread::yield_now();
    }
}

/// A socket read as `recv(2)` with `MSG_DONTWAIT`: one call does not wait,
/// and the socket's own (blocking, with a timeout) mode is left alone.
struct NoWait<'a>(&'a TcpStream);

impl std::io::Read for NoWait<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
        // SAFETY: recv(2) writes at most `buf.len()` bytes into a live,
        // exclusively borrowed buffer, from an open socket.
        let n = unsafe { libc::recv(self.0.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(n as usize)
    }
}

/// A read that does not wait: `Some(0)` at the end of the stream, `Some(n)`
/// when bytes were waiting (kept in the reader), `None` when there were none.
fn last_look(socket: &TcpStream, reader: &mut FrameReader) -> Option<usize> {
    reader.read_from(&mut NoWait(socket)).ok()
}

/// Writes what the socket takes without waiting (a full send buffer, a
/// frozen peer: the rest is the writer thread's). Returns the bytes sent.
fn send_now(socket: &TcpStream, bytes: &[u8]) -> usize {
    use std::os::fd::AsRawFd;
    let mut sent = 0;
    while sent < bytes.len() {
        let rest = &bytes[sent..];
        // SAFETY: send(2) reads `rest.len()` bytes from a live slice on an
        // open socket; MSG_DONTWAIT makes this one call non-blocking without
        // touching the socket's mode, which the reader relies on.
        let n = unsafe {
            libc::send(socket.as_raw_fd(), rest.as_ptr().cast(), rest.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
        };
        if n <= 0 {
            if n < 0 && std::io::Error::last_os_error().kind() == ErrorKind::Interrupted {
                continue;
            }
            break; // would block, or an error the writer will meet too
        }
        sent += n as usize;
    }
    sent
}

/// The size of `c`'s packet with the flags we offer (a connection not yet
/// up counts its queue with it); 0 when it cannot be encoded.
fn encoded_len(c: &Control) -> usize {
    let (control, payload) = c.write(super::handshake::flags::OFFERED);
    frame::encode_pass_through(&control, payload.as_ref()).map_or(0, |b| b.len())
}

/// One packet for `c`, or `None` (logged) when a term cannot be encoded.
fn encode(c: &Control, peer_flags: u64) -> Option<Vec<u8>> {
    let (control, payload) = c.write(peer_flags);
    match frame::encode_pass_through(&control, payload.as_ref()) {
        Ok(b) => Some(b),
        Err(e) => {
            crate::log::notice(&format!("snow: a signal could not be sent to another node and was dropped: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let a = TcpStream::connect(l.local_addr().expect("addr")).expect("connect");
        let (b, _) = l.accept().expect("accept");
        (a, b)
    }

    #[test]
    fn a_spinning_read_takes_what_arrives_and_gives_up_on_silence() {
        let (mut a, b) = pair();
        let mut reader = FrameReader::default();
        // Nothing sent: the spin ends without reading (the caller then
        // blocks in `read` as before).
        assert!(spin_read(&b, &mut reader).is_none());
        // Bytes sent while it spins are read by it.
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_micros(5));
            a.write_all(&[0, 0, 0, 0]).expect("write");
            a
        });
        let mut got = 0;
        let until = Instant::now() + Duration::from_secs(5);
        while got == 0 && Instant::now() < until {
            if let Some(r) = spin_read(&b, &mut reader) {
                got = r.expect("read");
            }
        }
        assert_eq!(got, 4);
        assert!(matches!(reader.next_frame(), Ok(Some(Frame::Tick))));
        // The end of the stream is seen as such, not as silence.
        drop(writer.join().expect("writer"));
        let until = Instant::now() + Duration::from_secs(5);
        let end = loop {
            if let Some(r) = spin_read(&b, &mut reader) {
                break r.expect("read");
            }
            assert!(Instant::now() < until, "the end of the stream was not seen");
        };
        assert_eq!(end, 0);
        // The socket's own (blocking) mode is untouched.
        let _ = b.set_read_timeout(Some(Duration::from_millis(20)));
        let mut buf = [0u8; 1];
        assert_eq!((&b).read(&mut buf).expect("end"), 0);
    }
}
