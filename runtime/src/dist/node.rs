//! This node in a cluster: starting and stopping distribution, the
//! listener, dialling and accepting connections, and the node-down
//! procedure (rule 18, reference §6.7).
//!
//! # Connections
//! One `Conn` per peer name, created by whoever needs it first: a signal
//! for a pid or name there (auto-connect, as Erlang), `Node.connect`, or
//! the peer dialling us. Signals sent while it connects are queued on it
//! and go out, in order, once it is up. When both nodes dial each other at
//! once, the acceptor with the greater name answers `nok` and keeps its own
//! attempt; the other answers `ok_simultaneous` and hands the connection to
//! the incoming attempt (reference §2.3).
//!
//! # Going down
//! The reader thread of a connection runs the down procedure once, after
//! handing over everything it received: it marks the connection down, sends
//! `ConnectionLost` to every local process tied to the peer (each settles its
//! own links and monitors), fails pending spawn requests with
//! `:noconnection`, then tells node monitors `(:nodedown, node)`. A failed
//! connection attempt runs the same procedure but tells node monitors
//! nothing: nothing was lost.

use super::connection::{self, Conn, Downed, Phase, PeerInfo};
use super::control::Control;
use super::epmd::{self, NodeType, Registration};
use super::handshake::{self, flags, HandshakeError, Local, Status};
use super::names::NodeName;
use super::net::faults;
use super::{inbound, node_monitors, nodes, outbound};
use crate::atom::Atom;
use crate::cx::SpawnOpts;
use crate::runtime::Runtime;
use crate::signal::{RemoteRouter, Signal, SpawnRequest};
use crate::term::{Pid, Ref, Term};
use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::Arc;
use std::time::Duration;

/// `SNOW_DIST_TRACE=1`: every connection event on stderr, for debugging.
fn trace(what: std::fmt::Arguments<'_>) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("SNOW_DIST_TRACE").is_some_and(|v| v == "1")) {
        eprintln!("snow-dist: {what}");
    }
}

/// Each handshake step's timeout (erl's `net_setuptime` is 7 s).
const SETUP_STEP: Duration = Duration::from_secs(7);

/// A running distribution: this node's identity and its connections.
pub struct Distribution {
    pub(crate) rt: Runtime,
    pub(crate) name: Atom,
    pub(crate) parsed: NodeName,
    pub(crate) creation: u32,
    pub(crate) cookie: String,
    pub(crate) listen: SocketAddr,
    pub(crate) registration: Mutex<Option<Registration>>,
    pub(crate) conns: RwLock<FxHashMap<Atom, Arc<Conn>>>,
    pub(crate) stopped: AtomicBool,
    pub(crate) next_attempt: AtomicU64,
    pub(crate) next_unlink_id: AtomicU64,
    /// Itself, for the threads it starts.
    pub(crate) this: std::sync::Weak<Distribution>,
    /// In a simulation, the simulated network (`sim_link.rs`) in place of
    /// sockets, the port mapper and threads.
    pub(crate) net: Option<Arc<super::sim_net::SimNet>>,
    /// The faults this node enforces (`Net`): the program's table, or the
    /// simulation's.
    pub(crate) faults: Arc<faults::FaultTable>,
}

/// One connection as the REPL's `:nodes` shows it.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionView {
    pub node: Atom,
    /// Handshake done (otherwise: being made).
    pub up: bool,
    /// Since the peer was last heard from.
    pub last_heard: Duration,
}

/// Why `Node.start` failed.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a node is made of besides its runtime: the parts in which a real
/// node (sockets, the port mapper) and a simulated one differ.
pub(crate) struct Founding<'a> {
    pub name: Atom,
    pub parsed: NodeName,
    pub creation: u32,
    pub cookie: &'a str,
    pub listen: SocketAddr,
    pub registration: Option<Registration>,
    /// A simulated node's network.
    pub net: Option<Arc<super::sim_net::SimNet>>,
}

impl Distribution {
    /// A node with no connection yet (not yet the runtime's router).
    pub(crate) fn assemble(rt: &Runtime, f: Founding<'_>) -> Arc<Distribution> {
        let faults = f.net.as_ref().map_or_else(faults::process_table, |n| n.faults().clone());
        Arc::new_cyclic(|this| Distribution {
            rt: rt.clone(),
            name: f.name,
            parsed: f.parsed,
            creation: f.creation,
            cookie: f.cookie.to_string(),
            listen: f.listen,
            registration: Mutex::new(f.registration),
            conns: RwLock::new(FxHashMap::default()),
            stopped: AtomicBool::new(false),
            next_attempt: AtomicU64::new(1),
            next_unlink_id: AtomicU64::new(1),
            this: this.clone(),
            net: f.net,
            faults,
        })
    }

    /// Turns the program into node `name` (`a@host`, `a@host:port`, or a
    /// short `a`) with `cookie`: listens, registers with EPMD (starting
    /// `snow epmd` when none runs), and installs itself as the runtime's
    /// router. A fixed port (`:port`) makes EPMD optional.
    pub fn start(rt: &Runtime, name: &str, cookie: &str) -> Result<Arc<Distribution>, StartError> {
        if rt.distribution().is_some() {
            return Err(StartError(format!("this node is already distributed as {}", rt.node_name().as_str())));
        }
        // Real sockets and peer OS processes would make the run depend on
        // the machine's timing: a simulated node is on a simulated network.
        if rt.is_simulated() {
            return Distribution::start_simulated(rt, name, cookie);
        }
        let parsed = NodeName::parse(name).map_err(StartError)?;
        if cookie.is_empty() {
            return Err(StartError("the cookie must not be empty".into()));
        }
        let listener = TcpListener::bind((parsed.listen_ip(), parsed.port.unwrap_or(0)))
            .map_err(|e| StartError(format!("cannot listen on {}:{}: {e}", parsed.listen_ip(), parsed.port.unwrap_or(0))))?;
        let listen = listener.local_addr().map_err(|e| StartError(e.to_string()))?;
        // A fixed port (`a@host:port`) needs no port mapper: register with
        // one if it runs, but do not start one.
        let mapper = if parsed.port.is_some() {
            if epmd::EpmdClient::new(epmd::local_epmd()).is_running() { Ok(()) } else { Err("no EPMD".to_string()) }
        } else {
            epmd::ensure_epmd().map(|_| ()).map_err(|e| e.to_string())
        };
        let registered = match mapper {
            Ok(()) => epmd::register(&parsed.alive, listen.port(), NodeType::Normal).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let (registration, creation) = match registered {
            Ok(r) => {
                let c = r.creation();
                (Some(r), c)
            }
            Err(e) if e.contains("in use") || e.contains("already") => {
                return Err(StartError(format!("the name {} is already in use on this host", parsed.alive)))
            }
            // A fixed port needs no port mapper: others dial name@host:port.
            Err(_) if parsed.port.is_some() => (None, random_creation()),
            Err(e) => return Err(StartError(format!("cannot register with EPMD: {e}"))),
        };
        let full = parsed.full();
        let atom = Atom::try_new(&full).ok_or_else(|| StartError("the atom table is full".into()))?;
        nodes::set_this_node(atom, creation);
        rt.set_identity(atom, creation);
        let founding = Founding { name: atom, parsed, creation, cookie, listen, registration, net: None };
        let d = Distribution::assemble(rt, founding);
        rt.set_distribution(Some(d.clone()));
        super::net::attach(&d);
        super::net_kernel::start(rt);
        inbound::start_services(rt);
        let d2 = d.clone();
        std::thread::Builder::new()
            .name("snow-dist-accept".into())
            .spawn(move || d2.accept_loop(listener))
            .map_err(|e| StartError(format!("cannot start the listener thread: {e}")))?;
        Ok(d)
    }

    /// `Node.stop()`: drops every connection (nodedown for each), leaves
    /// EPMD and becomes `nonode@nohost` again.
    pub fn stop(&self) {
        if self.stopped.swap(true, SeqCst) {
            return;
        }
        if self.net.is_some() {
            return self.stop_simulated();
        }
        super::net::detach();
        let conns: Vec<Arc<Conn>> = self.conns.read().values().cloned().collect();
        for c in conns {
            self.disconnect_conn(&c);
        }
        // Wake the accept loop so it sees `stopped`.
        let _ = TcpStream::connect_timeout(&self.wake_addr(), Duration::from_millis(200));
        self.registration.lock().take();
        super::net_kernel::stop(&self.rt);
        self.rt.set_distribution(None);
        nodes::set_this_node(Atom::NONODE, 0);
        self.rt.set_identity(Atom::NONODE, 0);
    }

    fn wake_addr(&self) -> SocketAddr {
        let mut a = self.listen;
        if a.ip().is_unspecified() {
            a.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        a
    }

    pub fn name(&self) -> Atom {
        self.name
    }

    pub fn listen_port(&self) -> u16 {
        self.listen.port()
    }

    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// Connected nodes (handshake done), sorted.
    pub fn connected(&self) -> Vec<Atom> {
        let mut v: Vec<Atom> =
            self.conns.read().values().filter(|c| c.phase() == Phase::Up).map(|c| c.node).collect();
        v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        v
    }

    /// Every connection, up or being made, sorted by node name (the
    /// REPL's `:nodes`).
    pub fn connections(&self) -> Vec<ConnectionView> {
        let conns: Vec<Arc<Conn>> = self.conns.read().values().cloned().collect();
        let mut v: Vec<ConnectionView> = conns
            .iter()
            .map(|c| ConnectionView { node: c.node, up: c.phase() == Phase::Up, last_heard: c.last_heard().elapsed() })
            .collect();
        v.sort_by(|a, b| a.node.as_str().cmp(b.node.as_str()));
        v
    }

    /// Bytes queued for `node` and not yet taken by its socket (Erlang's
    /// `dist_get_stat` pending output); `None` without a connection. A
    /// process whose message leaves it at or over `connection::busy_limit()`
    /// is suspended until it drains.
    pub fn pending_output(&self, node: Atom) -> Option<usize> {
        self.conns.read().get(&node).map(|c| c.state.lock().queued)
    }

    pub fn is_connected(&self, node: Atom) -> bool {
        self.conns.read().get(&node).is_some_and(|c| c.phase() == Phase::Up)
    }

    /// `Node.connect`: true once connected (dialling if needed), false if
    /// the node cannot be reached or refuses. Blocks up to the setup time.
    pub fn connect(&self, node: Atom) -> bool {
        if node == self.name {
            return true;
        }
        let Some(c) = self.conn(node) else { return false };
        c.wait_settled_phase(SETUP_STEP * 3) == Phase::Up
    }

    /// A connection entry for `node`, owned by `attempt`, with this node's
    /// side of the faults with it (`Net`).
    pub(crate) fn new_conn(&self, node: Atom, attempt: u64) -> Arc<Conn> {
        Arc::new(Conn::new(node, attempt, self.rt.clone(), self.faults.clone(), self.faults.for_peer(self.name, node)))
    }

    /// Waits (up to `limit`) until the connection to `node`, if any, has
    /// gone down and been settled (a peer just killed).
    pub fn wait_gone(&self, node: Atom, limit: Duration) {
        let c = self.conns.read().get(&node).cloned();
        if let Some(c) = c {
            c.wait_down(limit);
        }
    }

    /// `Node.disconnect`: true if there was a connection; returns after the
    /// down procedure has run.
    pub fn disconnect(&self, node: Atom) -> bool {
        let c = self.conns.read().get(&node).cloned();
        match c {
            Some(c) if c.phase() == Phase::Up => {
                self.disconnect_conn(&c);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn disconnect_conn(&self, c: &Arc<Conn>) {
        if c.phase() == Phase::Connecting {
            self.conn_down(c, Atom::DISCONNECT);
            return;
        }
        c.close(Atom::DISCONNECT);
        if self.net.is_some() {
            // No reader thread: the down procedure runs here, now.
            self.conn_down(c, Atom::DISCONNECT);
        }
        c.wait_down(Duration::from_secs(2));
    }

    /// The connection to `node`, dialling it if there is none. `None` for
    /// this node itself or a name that cannot be a node.
    pub(crate) fn conn(&self, node: Atom) -> Option<Arc<Conn>> {
        if node == self.name || self.stopped.load(Relaxed) {
            return None;
        }
        let me = self.this.upgrade()?;
        if let Some(c) = self.conns.read().get(&node) {
            return Some(c.clone());
        }
        // No connection is made across a cut (`Net`): the node cannot be
        // reached, as with a cable pulled.
        if self.faults.blocks(self.name, node) {
            return None;
        }
        let attempt = self.next_attempt.fetch_add(1, Relaxed);
        let c = {
            let mut conns = self.conns.write();
            if let Some(c) = conns.get(&node) {
                return Some(c.clone());
            }
            let c = self.new_conn(node, attempt);
            conns.insert(node, c.clone());
            trace(format_args!("dialling {} (attempt {attempt})", node.as_str()));
            c
        };
        if self.net.is_some() {
            self.dial_simulated(&c, attempt);
            return Some(c);
        }
        let (d, c2) = (me, c.clone());
        let spawned = std::thread::Builder::new()
            .name("snow-dist-dial".into())
            .spawn(move || d.dial(&c2, attempt));
        if spawned.is_err() {
            self.conn_down(&c, Atom::CONNECTION_SETUP_FAILED);
        }
        Some(c)
    }

    fn local<'a>(&'a self, name: &'a str) -> Local<'a> {
        Local { name, creation: self.creation, cookie: &self.cookie, flags: flags::OFFERED, step: SETUP_STEP }
    }

    /// The dialling side of a connection attempt (its own thread).
    fn dial(self: &Arc<Self>, c: &Arc<Conn>, attempt: u64) {
        let result = self.dial_handshake(c.node);
        trace(format_args!("dial {} (attempt {attempt}): {:?}", c.node.as_str(), result.as_ref().map(|(_, p)| p)));
        match result {
            Ok((stream, peer)) => self.bring_up(c, attempt, stream, peer),
            Err(HandshakeError::Refused(s)) if s.starts_with("nok") => {
                // Simultaneous connect and the peer's attempt wins: it is
                // coming in now. Fail only if it never arrives.
                if c.wait_settled_phase(SETUP_STEP * 2) == Phase::Connecting && c.state.lock().owner == attempt {
                    self.conn_down(c, Atom::CONNECTION_SETUP_FAILED);
                }
            }
            Err(e) => {
                if matches!(e, HandshakeError::WrongCookie) {
                    crate::log::notice(&format!("snow: connection to {} refused: {e}", c.node.as_str()));
                }
                if c.state.lock().owner == attempt {
                    self.conn_down(c, Atom::CONNECTION_SETUP_FAILED);
                }
            }
        }
    }

    fn dial_handshake(&self, node: Atom) -> Result<(TcpStream, handshake::Peer), HandshakeError> {
        let peer = NodeName::parse(node.as_str()).map_err(HandshakeError::Protocol)?;
        if peer.is_long() != self.parsed.is_long() {
            return Err(HandshakeError::Protocol("long and short node names cannot be mixed".into()));
        }
        let ip = peer.ip().map_err(HandshakeError::Protocol)?;
        let port = match peer.port.or_else(|| super::names::port_hint(&peer.full())) {
            Some(p) => p,
            None => match epmd::port_please(ip, &peer.alive) {
                Ok(Some(np)) => np.port,
                Ok(None) => return Err(HandshakeError::Refused(format!("{} is not registered with EPMD", peer.alive))),
                Err(e) => return Err(HandshakeError::Protocol(e.to_string())),
            },
        };
        let mut s = TcpStream::connect_timeout(&SocketAddr::new(ip, port), SETUP_STEP)?;
        let _ = s.set_nodelay(true);
        let me = self.name.as_str();
        let p = handshake::initiate(&mut s, &self.local(me), node.as_str())?;
        Ok((s, p))
    }

    fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        for stream in listener.incoming() {
            if self.stopped.load(Relaxed) {
                return;
            }
            let Ok(stream) = stream else { continue };
            let d = self.clone();
            let _ = std::thread::Builder::new().name("snow-dist-accept1".into()).spawn(move || d.accept_one(stream));
        }
    }

    /// The accepting side of a connection attempt (its own thread).
    fn accept_one(self: &Arc<Self>, mut stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let attempt = self.next_attempt.fetch_add(1, Relaxed);
        let mut claimed: Option<Arc<Conn>> = None;
        let mut replaced: Option<Arc<Conn>> = None;
        let me = self.name.as_str();
        let result = handshake::accept(&mut stream, &self.local(me), |peer| {
            let Some(node) = Atom::try_new(peer) else { return Status::NotAllowed };
            if node == self.name || self.stopped.load(Relaxed) || self.faults.blocks(self.name, node) {
                return Status::NotAllowed;
            }
            let mut conns = self.conns.write();
            trace(format_args!("{peer} dials us; we have {:?}", conns.get(&node).map(|c| c.phase())));
            match conns.get(&node).cloned() {
                None => {
                    let c = self.new_conn(node, attempt);
                    conns.insert(node, c.clone());
                    claimed = Some(c);
                    Status::Ok
                }
                Some(c) => match c.phase() {
                    Phase::Connecting if self.name.as_str() > peer => Status::Nok,
                    Phase::Connecting => {
                        c.state.lock().owner = attempt;
                        claimed = Some(c);
                        Status::OkSimultaneous
                    }
                    // Our connection is stale (the peer restarted, or has
                    // not yet noticed it closing): the peer may replace it.
                    Phase::Up => {
                        replaced = Some(c);
                        Status::Alive
                    }
                    Phase::Down => {
                        let fresh = self.new_conn(node, attempt);
                        conns.insert(node, fresh.clone());
                        claimed = Some(fresh);
                        Status::Ok
                    }
                },
            }
        });
        trace(format_args!("accept (attempt {attempt}): {result:?}"));
        match result {
            Ok(peer) => {
                let c = match (claimed, replaced) {
                    (Some(c), _) => c,
                    (None, Some(old)) => {
                        self.disconnect_conn(&old);
                        match self.conn_for_incoming(old.node, attempt) {
                            Some(c) => c,
                            None => return,
                        }
                    }
                    (None, None) => return,
                };
                self.bring_up(&c, attempt, stream, peer);
            }
            Err(e) => {
                if matches!(e, HandshakeError::WrongCookie) {
                    let who = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
                    crate::log::notice(&format!("snow: connection attempt from {who} refused: {e}"));
                }
                if let Some(c) = claimed {
                    if c.state.lock().owner == attempt {
                        self.conn_down(&c, Atom::CONNECTION_SETUP_FAILED);
                    }
                }
            }
        }
    }

    /// A fresh connection entry owned by an incoming attempt.
    fn conn_for_incoming(&self, node: Atom, attempt: u64) -> Option<Arc<Conn>> {
        let mut conns = self.conns.write();
        match conns.get(&node) {
            Some(c) if c.phase() != Phase::Down => None,
            _ => {
                let c = self.new_conn(node, attempt);
                conns.insert(node, c.clone());
                Some(c)
            }
        }
    }

    /// A handshake succeeded: the connection goes up, node monitors hear
    /// `(:nodeup, node)` before anything received on it, then the reader and
    /// writer threads start.
    fn bring_up(self: &Arc<Self>, c: &Arc<Conn>, attempt: u64, stream: TcpStream, peer: handshake::Peer) {
        let Some(index) = nodes::try_index_of(c.node, peer.creation) else {
            crate::log::notice(&format!("snow: too many nodes known; refusing {}", c.node.as_str()));
            return;
        };
        let _ = index;
        let info = PeerInfo { flags: peer.flags, creation: peer.creation };
        if !c.go_up(attempt, &stream, info, || self.announce_up(c.node)) {
            return; // another attempt owns this connection
        }
        let Ok(writer_stream) = stream.try_clone() else {
            c.close(Atom::CONNECTION_CLOSED);
            self.conn_down(c, Atom::CONNECTION_CLOSED);
            return;
        };
        let cw = c.clone();
        let writer = std::thread::Builder::new().name("snow-dist-write".into()).spawn(move || cw.write_loop(writer_stream));
        let (d, cr) = (self.clone(), c.clone());
        // The reader decodes, checks and delivers; nothing it does recurses
        // with a term's depth. New atoms it decodes count against this
        // peer's allowance (atom.rs).
        let reader = std::thread::Builder::new().name("snow-dist-read".into()).stack_size(crate::runtime::SCHEDULER_STACK).spawn(move || {
            crate::atom::read_for_one_peer();
            let reason = cr.read_loop(stream, |conn, body| inbound::handle(&d, conn, &body));
            d.conn_down(&cr, reason);
        });
        if writer.is_err() || reader.is_err() {
            c.close(Atom::CONNECTION_CLOSED);
            self.conn_down(c, Atom::CONNECTION_CLOSED);
        }
    }

    /// Node monitors hear `(:nodeup, node)` (and a trace records it).
    pub(crate) fn announce_up(&self, node: Atom) {
        if self.rt.tracing() {
            self.rt.trace_event(None, &[], crate::trace::EventKind::NodeUp { peer: node });
        }
        node_monitors::notify(&self.rt, node, true, None)
    }

    /// The down procedure (module docs). Runs once per connection.
    pub(crate) fn conn_down(&self, c: &Arc<Conn>, reason: Atom) {
        let Some(Downed { reason, ties, spawns, was_up }) = c.take_down(reason) else { return };
        trace(format_args!("down {} ({}), was up: {was_up}", c.node.as_str(), reason.as_str()));
        {
            let mut conns = self.conns.write();
            if conns.get(&c.node).is_some_and(|x| Arc::ptr_eq(x, c)) {
                conns.remove(&c.node);
            }
        }
        if was_up {
            node_monitors::set_reason(&self.rt, c.node, reason);
            if self.rt.tracing() {
                // How long the peer had been silent says why a tick timeout came.
                let silent_ms = (reason == Atom::NET_TICK_TIMEOUT).then(|| c.last_heard().elapsed().as_millis() as u64);
                let kind = crate::trace::EventKind::NodeDown { peer: c.node, reason: Term::Atom(reason), silent_ms };
                self.rt.trace_event(None, &[], kind);
            }
        }
        let mut ties: Vec<Pid> = ties.into_iter().collect();
        ties.sort();
        for p in ties {
            self.rt.deliver(None, p, Signal::ConnectionLost(c.node));
        }
        for (r, requester) in spawns {
            let reply = Signal::SpawnReply { r, result: Err(Term::Atom(Atom::NOCONNECTION)), link: false, monitor: false };
            self.rt.deliver(None, requester, reply);
        }
        if was_up {
            node_monitors::notify(&self.rt, c.node, false, Some(reason));
        }
        c.mark_settled();
    }

    /// Queues `control` on the connection to `node` (dialling it if
    /// needed). `Err` gives it back when the node cannot be reached: the
    /// caller answers it `:noconnection`.
    pub(crate) fn send_to(&self, node: Atom, control: Control, tie: Option<Pid>) -> Result<(), Control> {
        let mut control = control;
        // A connection found going down is replaced once: the signal then
        // waits on the new attempt, or fails with it.
        for _ in 0..2 {
            let Some(c) = self.conn(node) else { return Err(control) };
            match c.enqueue_from_process(control, tie) {
                Ok(()) => return Ok(()),
                Err(back) => control = back,
            }
        }
        Err(control)
    }

    /// Records a pending `Node.spawn` request on the connection to `node`.
    pub(crate) fn spawn_pending(&self, node: Atom, r: Ref, requester: Pid) -> bool {
        match self.conn(node) {
            Some(c) => {
                let mut st = c.state.lock();
                if st.phase == Phase::Down {
                    return false;
                }
                st.spawns.insert(r, requester);
                true
            }
            None => false,
        }
    }

    /// The flags negotiated with `node`, once connected.
    pub(crate) fn peer_flags(&self, node: Atom) -> Option<u64> {
        self.conns.read().get(&node).and_then(|c| c.peer.get().map(|p| p.flags))
    }

    /// The peer's connection state as a creation check: `Some(creation)`
    /// when connected.
    pub(crate) fn peer_creation(&self, node: Atom) -> Option<u32> {
        self.conns.read().get(&node).and_then(|c| c.peer.get().map(|p| p.creation))
    }
}

fn random_creation() -> u32 {
    getrandom::u32().unwrap_or(1).max(1)
}

impl RemoteRouter for Distribution {
    fn route(&self, from: Option<Pid>, to: Pid, signal: Signal) -> Result<(), Signal> {
        outbound::route(self, from, to, signal)
    }

    fn route_named(&self, from: Pid, name: Atom, node: Atom, signal: Signal) {
        outbound::route_named(self, from, name, node, signal)
    }

    fn spawn_request(&self, req: SpawnRequest, r: Ref, opts: SpawnOpts) {
        outbound::spawn_request(self, req, r, opts)
    }
}

/// How long a tick-less peer may stay silent (for documentation and tests).
pub fn net_tick() -> Duration {
    connection::net_tick()
}
