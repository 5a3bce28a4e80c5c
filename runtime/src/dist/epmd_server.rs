//! A port-mapper daemon speaking EPMD's protocol, for `snow epmd`: ALIVE2, PORT_PLEASE2 and NAMES, compatible with `erl` and `epmd -names`.
//!
//! One thread per connection (capped). A registration lasts as long as its
//! connection. Requests are read through a fixed-size buffer with a timeout;
//! anything malformed or unknown just closes that connection.

use super::epmd::{ALIVE2_REQ, ALIVE2_RESP, ALIVE2_X_RESP, MAX_NAME_LEN, NAMES_REQ, PORT2_RESP, PORT_PLEASE2_REQ};
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest request body accepted (ALIVE2 with a 255-byte name and some extra).
const MAX_REQUEST: usize = 2048;
/// How long a client may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed on accept.
const MAX_CONNECTIONS: usize = 1024;

/// The address `snow epmd` binds: `SNOW_EPMD_ADDR` (an IP) or 127.0.0.1.
/// (The real epmd binds every interface; Snow stays on loopback unless told.)
pub fn default_bind_ip() -> Result<IpAddr, String> {
    match std::env::var("SNOW_EPMD_ADDR") {
        Ok(s) if !s.trim().is_empty() => {
            s.trim().parse().map_err(|_| format!("SNOW_EPMD_ADDR={s:?} is not an IP address"))
        }
        _ => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    }
}

struct Node {
    conn: u64,
    port: u16,
    node_type: u8,
    protocol: u8,
    highest: u16,
    lowest: u16,
    extra: Vec<u8>,
    stream: Option<TcpStream>,
}

struct State {
    port: u16,
    nodes: Mutex<FxHashMap<Vec<u8>, Node>>,
    creation: AtomicU32,
    next_conn: AtomicU64,
    live: AtomicUsize,
    stopping: AtomicBool,
}

/// A bound, not yet running, EPMD.
pub struct EpmdServer {
    listener: TcpListener,
    state: Arc<State>,
}

/// A server running on a background thread; stopped on [`stop`](Self::stop) or drop.
pub struct EpmdHandle {
    addr: SocketAddr,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

impl EpmdServer {
    pub fn bind(addr: SocketAddr) -> io::Result<EpmdServer> {
        let listener = TcpListener::bind(addr)?;
        let port = listener.local_addr()?.port();
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos() ^ d.as_secs() as u32).unwrap_or(1);
        let state = Arc::new(State {
            port,
            nodes: Mutex::new(FxHashMap::default()),
            creation: AtomicU32::new(seed ^ std::process::id().rotate_left(16)),
            next_conn: AtomicU64::new(1),
            live: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
        });
        Ok(EpmdServer { listener, state })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until stopped (forever, for `snow epmd`).
    pub fn run(self) -> io::Result<()> {
        for conn in self.listener.incoming() {
            if self.state.stopping.load(Ordering::Acquire) {
                break;
            }
            let stream = match conn {
                Ok(s) => s,
                // EMFILE and friends: back off a little, keep serving.
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            if self.state.live.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
                self.state.live.fetch_sub(1, Ordering::AcqRel);
                continue;
            }
            let state = self.state.clone();
            let spawned = std::thread::Builder::new().name("epmd-conn".into()).stack_size(64 * 1024).spawn(move || {
                serve(&state, stream);
                state.live.fetch_sub(1, Ordering::AcqRel);
            });
            if spawned.is_err() {
                self.state.live.fetch_sub(1, Ordering::AcqRel);
            }
        }
        Ok(())
    }

    /// Runs on a background thread.
    pub fn spawn(self) -> io::Result<EpmdHandle> {
        let addr = self.local_addr()?;
        let state = self.state.clone();
        let thread = std::thread::Builder::new().name("epmd".into()).spawn(move || {
            let _ = self.run();
        })?;
        Ok(EpmdHandle { addr, state, thread: Some(thread) })
    }
}

impl EpmdHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes every registration, joins the accept thread.
    pub fn stop(&mut self) {
        self.state.stopping.store(true, Ordering::Release);
        for node in self.state.nodes.lock().values() {
            if let Some(s) = &node.stream {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        // Wake the accept loop.
        let wake = SocketAddr::new(if self.addr.ip().is_unspecified() { Ipv4Addr::LOCALHOST.into() } else { self.addr.ip() }, self.addr.port());
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for EpmdHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(state: &State, mut s: TcpStream) {
    let _ = s.set_read_timeout(Some(REQUEST_TIMEOUT));
    let _ = s.set_write_timeout(Some(REQUEST_TIMEOUT));
    let _ = s.set_nodelay(true);
    let mut buf = [0u8; MAX_REQUEST];
    let mut len = [0u8; 2];
    if s.read_exact(&mut len).is_err() {
        return;
    }
    let len = usize::from(u16::from_be_bytes(len));
    if len == 0 || len > MAX_REQUEST || s.read_exact(&mut buf[..len]).is_err() {
        return;
    }
    let body = &buf[..len];
    match body[0] {
        ALIVE2_REQ => alive2(state, s, &body[1..]),
        PORT_PLEASE2_REQ => {
            let _ = s.write_all(&port2_reply(state, &body[1..]));
        }
        NAMES_REQ => {
            let _ = s.write_all(&names_reply(state));
        }
        _ => {}
    }
}

struct Alive2<'a> {
    port: u16,
    node_type: u8,
    protocol: u8,
    highest: u16,
    lowest: u16,
    name: &'a [u8],
    extra: &'a [u8],
}

fn parse_alive2(b: &[u8]) -> Option<Alive2<'_>> {
    let u16_at = |i: usize| Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
    let nlen = usize::from(u16_at(8)?);
    let name = b.get(10..10 + nlen)?;
    let elen = usize::from(u16_at(10 + nlen)?);
    let extra = b.get(12 + nlen..12 + nlen + elen)?;
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.contains(&b'@') || 12 + nlen + elen != b.len() {
        return None;
    }
    Some(Alive2 { port: u16_at(0)?, node_type: b[2], protocol: b[3], highest: u16_at(4)?, lowest: u16_at(6)?, name, extra })
}

fn alive2(state: &State, mut s: TcpStream, body: &[u8]) {
    let local_peer = s.peer_addr().map(|a| a.ip().is_loopback()).unwrap_or(false);
    let Some(req) = parse_alive2(body).filter(|_| local_peer) else { return };
    let old = req.highest < 6;
    let conn = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let creation = {
        let mut nodes = state.nodes.lock();
        if nodes.contains_key(req.name) {
            None
        } else {
            let mut c = state.creation.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
            if c == 0 {
                c = state.creation.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
            }
            let node = Node {
                conn,
                port: req.port,
                node_type: req.node_type,
                protocol: req.protocol,
                highest: req.highest,
                lowest: req.lowest,
                extra: req.extra.to_vec(),
                stream: s.try_clone().ok(),
            };
            nodes.insert(req.name.to_vec(), node);
            Some(c.max(1))
        }
    };
    let reply: Vec<u8> = match (creation, old) {
        (None, false) => vec![ALIVE2_X_RESP, 1, 0, 0, 0, 0],
        (None, true) => vec![ALIVE2_RESP, 1, 0, 0],
        (Some(c), false) => [&[ALIVE2_X_RESP, 0][..], &c.to_be_bytes()].concat(),
        // The 16-bit form: creations 1..=3, as the old epmd gave out.
        (Some(c), true) => vec![ALIVE2_RESP, 0, 0, (c % 3 + 1) as u8],
    };
    let ok = s.write_all(&reply).is_ok();
    if creation.is_none() {
        return;
    }
    if ok {
        // Held until the node closes it (or the server stops); anything it sends is ignored.
        let _ = s.set_read_timeout(None);
        let mut sink = [0u8; 64];
        loop {
            match s.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }
    let mut nodes = state.nodes.lock();
    if nodes.get(req.name).is_some_and(|n| n.conn == conn) {
        nodes.remove(req.name);
    }
}

fn port2_reply(state: &State, name: &[u8]) -> Vec<u8> {
    let nodes = state.nodes.lock();
    let Some(n) = nodes.get(name) else { return vec![PORT2_RESP, 1] };
    let mut r = vec![PORT2_RESP, 0];
    r.extend_from_slice(&n.port.to_be_bytes());
    r.push(n.node_type);
    r.push(n.protocol);
    r.extend_from_slice(&n.highest.to_be_bytes());
    r.extend_from_slice(&n.lowest.to_be_bytes());
    r.extend_from_slice(&(name.len() as u16).to_be_bytes());
    r.extend_from_slice(name);
    r.extend_from_slice(&(n.extra.len() as u16).to_be_bytes());
    r.extend_from_slice(&n.extra);
    r
}

fn names_reply(state: &State) -> Vec<u8> {
    let mut r = u32::from(state.port).to_be_bytes().to_vec();
    let nodes = state.nodes.lock();
    let mut list: Vec<_> = nodes.iter().collect();
    list.sort_by_key(|(_, n)| n.conn);
    for (name, n) in list {
        r.extend_from_slice(b"name ");
        r.extend_from_slice(name);
        r.extend_from_slice(format!(" at port {}\n", n.port).as_bytes());
    }
    r
}
