//! The readiness loop of `snow epmd`: accepting connections, reading their requests, writing the replies, holding registrations, closing the late.
//!
//! Readiness is edge-triggered, so each socket is read (or written) until
//! it would block. A connection goes `Reading` → `Writing` → closed, or,
//! after a successful ALIVE2, → `Held` until the peer closes it. Until it
//! is held it has a deadline; `deadlines` keeps them in the order set,
//! which is time order since every deadline is "now + the timeout".

use super::table::Table;
use super::wire::{self, Got, Request};
use super::EpmdConfig;
use crate::dist::epmd::ALIVE2_TABLE_FULL;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(super) const LISTENER: Token = Token(0);
pub(super) const WAKER: Token = Token(1);
/// Connection ids (and tokens) start here and only grow.
const FIRST_CONN: usize = 2;
/// Connections accepted per turn, so that a flood of connects does not
/// starve the requests already accepted.
const ACCEPT_BATCH: usize = 128;
/// Bytes read from a held registration per turn (it should send nothing;
/// whatever it sends is ignored, as epmd does).
const HELD_READ_BUDGET: usize = 64 * 1024;
/// NAMES lines formatted at a time: a client that does not read its reply
/// costs this much, not the whole table.
const NAMES_CHUNK: usize = 16 * 1024;
/// How long `accept` rests when no file descriptor can be had.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

enum Phase {
    /// Reading `u16 len, body`: what has arrived so far.
    Reading(Vec<u8>),
    /// Sending `out[pos..]`; then, for NAMES, the table's lines from
    /// connection `names_from` on; then holding the registration if
    /// `registered`, else closing.
    Writing { out: Vec<u8>, pos: usize, names_from: Option<usize>, registered: bool },
    /// Holding its registration until the peer closes.
    Held,
}

struct Conn {
    stream: TcpStream,
    /// From this host (loopback or our own address): may register.
    local: bool,
    phase: Phase,
    /// When it is closed unless held by then.
    deadline: Option<Instant>,
    /// Registered for WRITABLE too (a reply is waiting for room).
    writable: bool,
}

/// What a step left a connection as.
enum Step {
    Keep,
    Close,
}

/// How far a reply has been sent.
enum Sent {
    Pending,
    Done,
    Bad,
}

pub(super) struct Loop {
    poll: Poll,
    listener: TcpListener,
    stopping: Arc<AtomicBool>,
    limits: EpmdConfig,
    /// Our port, the first 4 bytes of a NAMES reply.
    port: u16,
    conns: FxHashMap<usize, Conn>,
    next_id: usize,
    /// (deadline, connection), oldest first; an entry whose connection is
    /// gone or has another deadline now is skipped.
    deadlines: VecDeque<(Instant, usize)>,
    table: Table,
    /// Held connections with input left after their read budget.
    again: Vec<usize>,
    /// The listener may have connections waiting.
    accept_ready: bool,
    accept_paused_until: Option<Instant>,
    /// "Table full" was printed, and no name has left since.
    full_reported: bool,
}

impl Loop {
    pub(super) fn new(
        poll: Poll,
        listener: TcpListener,
        stopping: Arc<AtomicBool>,
        limits: EpmdConfig,
        port: u16,
    ) -> Loop {
        // Creations should differ from a previous run's, as epmd's do.
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
            .unwrap_or(1)
            ^ std::process::id().rotate_left(16);
        Loop {
            poll,
            listener,
            stopping,
            limits,
            port,
            conns: FxHashMap::default(),
            next_id: FIRST_CONN,
            deadlines: VecDeque::new(),
            table: Table::new(limits.max_names, seed),
            again: Vec::new(),
            accept_ready: true,
            accept_paused_until: None,
            full_reported: false,
        }
    }

    /// Serves until `stopping` is set (and the poller woken); dropping the
    /// loop then closes every socket.
    pub(super) fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = self.next_timeout(Instant::now());
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if self.stopping.load(Ordering::Acquire) {
                return Ok(());
            }
            for ev in events.iter() {
                match ev.token() {
                    LISTENER => self.accept_ready = true,
                    WAKER => {}
                    Token(id) => self.progress(id),
                }
            }
            for id in std::mem::take(&mut self.again) {
                self.progress(id);
            }
            let now = Instant::now();
            if self.accept_paused_until.is_some_and(|t| t <= now) {
                self.accept_paused_until = None;
            }
            if self.accept_ready && self.accept_paused_until.is_none() {
                self.accept(now);
            }
            self.expire(Instant::now());
        }
    }

    /// How long the poller may sleep: until the next deadline, or not at
    /// all when work is left over from the last turn.
    fn next_timeout(&mut self, now: Instant) -> Option<Duration> {
        if !self.again.is_empty() || (self.accept_ready && self.accept_paused_until.is_none()) {
            return Some(Duration::ZERO);
        }
        while let Some(&(d, id)) = self.deadlines.front() {
            if self.conns.get(&id).is_some_and(|c| c.deadline == Some(d)) {
                let next = self.accept_paused_until.map_or(d, |p| p.min(d));
                return Some(next.saturating_duration_since(now));
            }
            self.deadlines.pop_front();
        }
        self.accept_paused_until.map(|p| p.saturating_duration_since(now))
    }

    fn set_deadline(&mut self, id: usize) -> Option<Instant> {
        let d = Instant::now() + self.limits.request_timeout;
        self.deadlines.push_back((d, id));
        Some(d)
    }

    /// Closes every connection past its deadline.
    fn expire(&mut self, now: Instant) {
        while let Some(&(d, id)) = self.deadlines.front() {
            if d > now {
                break;
            }
            self.deadlines.pop_front();
            if self.conns.get(&id).is_some_and(|c| c.deadline == Some(d)) {
                self.close(id);
            }
        }
    }

    /// Closes the unheld connection nearest its deadline; false if there is none.
    fn evict_oldest(&mut self) -> bool {
        while let Some((d, id)) = self.deadlines.pop_front() {
            if self.conns.get(&id).is_some_and(|c| c.deadline == Some(d)) {
                self.close(id);
                return true;
            }
        }
        false
    }

    fn accept(&mut self, now: Instant) {
        for _ in 0..ACCEPT_BATCH {
            match self.listener.accept() {
                Ok((stream, peer)) => self.open(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.accept_ready = false;
                    return;
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted) => {}
                Err(e) => {
                    // Out of file descriptors (or kernel memory): make room
                    // by closing the oldest unheld connection; with none
                    // (registrations hold them all), or on another error,
                    // rest a moment.
                    if out_of_descriptors(&e) && self.evict_oldest() {
                        continue;
                    }
                    self.accept_paused_until = Some(now + ACCEPT_BACKOFF);
                    return;
                }
            }
        }
    }

    fn open(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        // Registrations never count here: only connections without one.
        if self.conns.len().saturating_sub(self.table.len()) >= self.limits.max_pending {
            self.evict_oldest();
        }
        let id = self.next_id;
        self.next_id += 1;
        if self.poll.registry().register(&mut stream, Token(id), Interest::READABLE).is_err() {
            return;
        }
        let _ = stream.set_nodelay(true);
        let peer_ip = peer.ip().to_canonical();
        // As epmd: loopback, or this host's own address.
        let local = peer_ip.is_loopback() || stream.local_addr().is_ok_and(|a| a.ip().to_canonical() == peer_ip);
        let deadline = self.set_deadline(id);
        self.conns.insert(id, Conn { stream, local, phase: Phase::Reading(Vec::new()), deadline, writable: false });
    }

    fn close(&mut self, id: usize) {
        if let Some(c) = self.conns.remove(&id) {
            self.dispose(id, c);
        }
    }

    /// Forgets a connection (already out of `conns`) and its registration;
    /// dropping it closes the socket.
    fn dispose(&mut self, id: usize, mut c: Conn) {
        let _ = self.poll.registry().deregister(&mut c.stream);
        self.table.unregister(id);
        if self.table.len() < self.table.max() {
            self.full_reported = false;
        }
    }

    /// Moves connection `id` as far as its socket allows.
    fn progress(&mut self, id: usize) {
        let Some(mut c) = self.conns.remove(&id) else { return };
        match self.step(id, &mut c) {
            Step::Keep => {
                self.conns.insert(id, c);
            }
            Step::Close => self.dispose(id, c),
        }
    }

    fn step(&mut self, id: usize, c: &mut Conn) -> Step {
        loop {
            match &mut c.phase {
                Phase::Reading(buf) => match wire::read_request(&mut c.stream, buf) {
                    Got::Pending => return Step::Keep,
                    Got::Bad => return Step::Close,
                    Got::Done => {
                        let req = std::mem::take(buf);
                        let Some(phase) = self.answer(id, c.local, &req[2..]) else { return Step::Close };
                        c.phase = phase;
                        c.deadline = self.set_deadline(id);
                    }
                },
                Phase::Writing { out, pos, names_from, registered } => {
                    match self.write_reply(&mut c.stream, out, pos, names_from) {
                        Sent::Bad => return Step::Close,
                        Sent::Pending if c.writable => return Step::Keep,
                        Sent::Pending => {
                            let both = Interest::READABLE | Interest::WRITABLE;
                            if self.poll.registry().reregister(&mut c.stream, Token(id), both).is_err() {
                                return Step::Close;
                            }
                            c.writable = true;
                            return Step::Keep;
                        }
                        Sent::Done if !*registered => return Step::Close,
                        Sent::Done => {
                            c.phase = Phase::Held;
                            c.deadline = None;
                            if c.writable {
                                let registry = self.poll.registry();
                                if registry.reregister(&mut c.stream, Token(id), Interest::READABLE).is_err() {
                                    return Step::Close;
                                }
                                c.writable = false;
                            }
                        }
                    }
                }
                Phase::Held => return self.drain(id, &mut c.stream),
            }
        }
    }

    /// The reply to one request body, as the phase that sends it; `None`
    /// (malformed, unknown, or ALIVE2 from another host) closes.
    fn answer(&mut self, id: usize, local: bool, body: &[u8]) -> Option<Phase> {
        let reply = |out: Vec<u8>| Phase::Writing { out, pos: 0, names_from: None, registered: false };
        match wire::parse(body)? {
            Request::Alive2(node) if local => {
                let highest = node.highest;
                let result = self.table.register(id, node);
                if result == Err(ALIVE2_TABLE_FULL) && !self.full_reported {
                    self.full_reported = true;
                    eprintln!(
                        "snow epmd: the registration table is full (at most {} names); refusing new names until one leaves",
                        self.table.max()
                    );
                }
                Some(Phase::Writing {
                    out: wire::alive2_reply(highest, result),
                    pos: 0,
                    names_from: None,
                    registered: result.is_ok(),
                })
            }
            Request::Alive2(_) => None,
            Request::PortPlease2(name) => Some(reply(wire::port2_reply(self.table.lookup(name)))),
            Request::Names => Some(Phase::Writing {
                out: u32::from(self.port).to_be_bytes().to_vec(),
                pos: 0,
                names_from: Some(0),
                registered: false,
            }),
        }
    }

    /// Writes what the socket takes; refills a NAMES reply from the table
    /// as it drains.
    fn write_reply(&self, s: &mut TcpStream, out: &mut Vec<u8>, pos: &mut usize, names_from: &mut Option<usize>) -> Sent {
        loop {
            if *pos == out.len() {
                let Some(from) = names_from.take() else { return Sent::Done };
                out.clear();
                *pos = 0;
                *names_from = self.table.names_from(from, out, NAMES_CHUNK);
                if out.is_empty() {
                    return Sent::Done;
                }
            }
            match s.write(&out[*pos..]) {
                Ok(0) => return Sent::Bad,
                Ok(n) => *pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Sent::Pending,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Sent::Bad,
            }
        }
    }

    /// Reads and ignores what a held registration sends, up to a budget per
    /// turn; its end (or an error) ends the registration.
    fn drain(&mut self, id: usize, s: &mut TcpStream) -> Step {
        let mut sink = [0u8; 4096];
        let mut total = 0;
        loop {
            match s.read(&mut sink) {
                Ok(0) => return Step::Close,
                Ok(n) => {
                    total += n;
                    if total >= HELD_READ_BUDGET {
                        self.again.push(id);
                        return Step::Keep;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Step::Keep,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Step::Close,
            }
        }
    }
}

/// `accept` failed for want of a file descriptor or kernel memory.
fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
}
