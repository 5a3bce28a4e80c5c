//! EPMD client: register a node (ALIVE2), look one up (PORT_PLEASE2), list names (NAMES), and start `snow epmd` when none answers.
//!
//! Wire format: `../shared/reference/erlang-distribution.md` §1. Each request
//! is a fresh TCP connection carrying `u16 len, body`; replies have no length
//! prefix. Every socket operation has a timeout, and no reply field sizes an
//! allocation: replies are read through fixed caps.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The port EPMD listens on unless `ERL_EPMD_PORT` says otherwise.
pub const DEFAULT_EPMD_PORT: u16 = 4369;
/// Default timeout for each connect, read and write.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest alive name EPMD accepts (epmd's MAXSYMLEN).
pub const MAX_NAME_LEN: usize = 255;
/// Cap on a NAMES reply; a longer one is an error, not an allocation.
const MAX_NAMES_REPLY: u64 = 1 << 20;
/// Cap on a PORT2_RESP (fixed fields + name + extra).
const MAX_PORT2_REPLY: u64 = 4096;

pub const ALIVE2_REQ: u8 = 120;
pub const ALIVE2_X_RESP: u8 = 118;
pub const ALIVE2_RESP: u8 = 121;
/// ALIVE2 result: the name is registered already (what epmd answers for every refusal).
pub const ALIVE2_IN_USE: u8 = 1;
/// ALIVE2 result from `snow epmd`: its registration table is full.
pub const ALIVE2_TABLE_FULL: u8 = 2;
pub const PORT_PLEASE2_REQ: u8 = 122;
pub const PORT2_RESP: u8 = 119;
pub const NAMES_REQ: u8 = 110;

/// `ERL_EPMD_PORT` if set to a valid port, else 4369.
pub fn epmd_port() -> u16 {
    std::env::var("ERL_EPMD_PORT").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(DEFAULT_EPMD_PORT)
}

/// The local EPMD: 127.0.0.1 on [`epmd_port`].
pub fn local_epmd() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), epmd_port())
}

/// Normal (visible) or hidden node, as announced in ALIVE2_REQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    Normal = 77,
    Hidden = 72,
}

/// What went wrong talking to EPMD. `Display` is one line.
#[derive(Debug)]
pub enum EpmdError {
    /// Nothing answered (or the connect timed out).
    Connect { addr: SocketAddr, source: io::Error },
    /// A read or write failed or timed out mid-request.
    Io { addr: SocketAddr, op: &'static str, source: io::Error },
    /// EPMD answered ALIVE2 with a non-zero result (1: name in use, 2: table full).
    Refused { addr: SocketAddr, name: String, code: u8 },
    /// The name cannot be registered (empty, too long, contains '@').
    BadName(String),
    /// The reply does not follow the protocol.
    Protocol { addr: SocketAddr, what: String },
    /// Starting `snow epmd --daemon` failed.
    Start(String),
}

impl fmt::Display for EpmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EpmdError::Connect { addr, source } => write!(f, "cannot reach EPMD at {addr}: {source}"),
            EpmdError::Io { addr, op, source } => write!(f, "EPMD at {addr}: {op} failed: {source}"),
            EpmdError::Refused { addr, name, code: ALIVE2_IN_USE } => {
                write!(f, "EPMD at {addr} refused to register {name:?}: the name is in use")
            }
            EpmdError::Refused { addr, name, code: ALIVE2_TABLE_FULL } => {
                write!(f, "EPMD at {addr} refused to register {name:?}: its registration table is full")
            }
            EpmdError::Refused { addr, name, code } => {
                write!(f, "EPMD at {addr} refused to register {name:?} (result {code})")
            }
            EpmdError::BadName(why) => write!(f, "bad node name: {why}"),
            EpmdError::Protocol { addr, what } => write!(f, "EPMD at {addr}: protocol error: {what}"),
            EpmdError::Start(why) => write!(f, "cannot start EPMD: {why}"),
        }
    }
}

impl std::error::Error for EpmdError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EpmdError::Connect { source, .. } | EpmdError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A live registration. The name stays registered while this value (and
/// with it the TCP connection to EPMD) lives; dropping it unregisters.
#[derive(Debug)]
pub struct Registration {
    stream: TcpStream,
    name: String,
    creation: u32,
    epmd: SocketAddr,
}

impl Registration {
    /// The alive name registered (no `@host`).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The node's incarnation number, as EPMD gave it (never 0 from a sane EPMD).
    pub fn creation(&self) -> u32 {
        self.creation
    }
    /// Where the EPMD holding this registration listens.
    pub fn epmd_addr(&self) -> SocketAddr {
        self.epmd
    }
    /// False once EPMD has closed the connection (it died or dropped us).
    pub fn is_alive(&self) -> bool {
        if self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut b = [0u8; 1];
        let alive = match self.stream.peek(&mut b) {
            Ok(0) => false,
            Ok(_) => true,
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        };
        let _ = self.stream.set_nonblocking(false);
        alive
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// A found node: PORT2_RESP's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodePort {
    pub port: u16,
    pub node_type: u8,
    pub protocol: u8,
    pub highest_version: u16,
    pub lowest_version: u16,
}

/// An EPMD at one address with one timeout per socket operation.
#[derive(Clone, Copy, Debug)]
pub struct EpmdClient {
    addr: SocketAddr,
    timeout: Duration,
}

impl EpmdClient {
    pub fn new(addr: SocketAddr) -> Self {
        EpmdClient { addr, timeout: DEFAULT_TIMEOUT }
    }
    /// EPMD on `host` at [`epmd_port`].
    pub fn on_host(host: IpAddr) -> Self {
        Self::new(SocketAddr::new(host, epmd_port()))
    }
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn io(&self, op: &'static str) -> impl Fn(io::Error) -> EpmdError + '_ {
        move |source| EpmdError::Io { addr: self.addr, op, source }
    }

    fn proto(&self, what: impl Into<String>) -> EpmdError {
        EpmdError::Protocol { addr: self.addr, what: what.into() }
    }

    /// Connects and sends one framed request.
    fn request(&self, body: &[u8]) -> Result<TcpStream, EpmdError> {
        let s = TcpStream::connect_timeout(&self.addr, self.timeout)
            .map_err(|source| EpmdError::Connect { addr: self.addr, source })?;
        s.set_read_timeout(Some(self.timeout)).map_err(self.io("setting a timeout"))?;
        s.set_write_timeout(Some(self.timeout)).map_err(self.io("setting a timeout"))?;
        let _ = s.set_nodelay(true);
        let len = u16::try_from(body.len()).map_err(|_| self.proto("request too long"))?;
        let mut frame = Vec::with_capacity(2 + body.len());
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(body);
        (&s).write_all(&frame).map_err(self.io("write"))?;
        Ok(s)
    }

    /// ALIVE2_REQ: registers `name` (alive part only) for distribution port
    /// `listen_port`, protocol version 6 only, no extra data.
    pub fn register(&self, name: &str, listen_port: u16, node_type: NodeType) -> Result<Registration, EpmdError> {
        check_name(name)?;
        let mut body = vec![ALIVE2_REQ];
        body.extend_from_slice(&listen_port.to_be_bytes());
        body.push(node_type as u8);
        body.push(0); // protocol: TCP/IPv4
        body.extend_from_slice(&6u16.to_be_bytes()); // highest
        body.extend_from_slice(&6u16.to_be_bytes()); // lowest
        body.extend_from_slice(&(name.len() as u16).to_be_bytes());
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(&0u16.to_be_bytes()); // no extra
        let mut s = self.request(&body)?;
        let mut head = [0u8; 2];
        s.read_exact(&mut head).map_err(self.io("reading the ALIVE2 reply"))?;
        let (tag, result) = (head[0], head[1]);
        if tag != ALIVE2_X_RESP && tag != ALIVE2_RESP {
            return Err(self.proto(format!("unexpected ALIVE2 reply tag {tag}")));
        }
        if result != 0 {
            return Err(EpmdError::Refused { addr: self.addr, name: name.to_string(), code: result });
        }
        let creation = if tag == ALIVE2_X_RESP {
            let mut c = [0u8; 4];
            s.read_exact(&mut c).map_err(self.io("reading the creation"))?;
            u32::from_be_bytes(c)
        } else {
            let mut c = [0u8; 2];
            s.read_exact(&mut c).map_err(self.io("reading the creation"))?;
            u32::from(u16::from_be_bytes(c))
        };
        // Nothing more is read from this socket; it only has to stay open.
        let _ = s.set_read_timeout(None);
        Ok(Registration { stream: s, name: name.to_string(), creation, epmd: self.addr })
    }

    /// PORT_PLEASE2_REQ: `None` when the name is not registered.
    pub fn port_please(&self, name: &str) -> Result<Option<NodePort>, EpmdError> {
        check_name(name)?;
        let mut body = vec![PORT_PLEASE2_REQ];
        body.extend_from_slice(name.as_bytes());
        let s = self.request(&body)?;
        let mut buf = Vec::new();
        s.take(MAX_PORT2_REPLY).read_to_end(&mut buf).map_err(self.io("reading the PORT2 reply"))?;
        match buf.as_slice() {
            [] => Err(self.proto("empty PORT2 reply")),
            [t, ..] if *t != PORT2_RESP => Err(self.proto(format!("unexpected PORT2 reply tag {t}"))),
            [_] => Err(self.proto("truncated PORT2 reply")),
            [_, r, ..] if *r != 0 => Ok(None),
            [_, _, p0, p1, ty, pr, h0, h1, l0, l1, ..] => Ok(Some(NodePort {
                port: u16::from_be_bytes([*p0, *p1]),
                node_type: *ty,
                protocol: *pr,
                highest_version: u16::from_be_bytes([*h0, *h1]),
                lowest_version: u16::from_be_bytes([*l0, *l1]),
            })),
            _ => Err(self.proto("truncated PORT2 reply")),
        }
    }

    /// NAMES_REQ: the registered alive names and their ports.
    pub fn names(&self) -> Result<Vec<(String, u16)>, EpmdError> {
        let mut s = self.request(&[NAMES_REQ])?;
        let mut port = [0u8; 4];
        s.read_exact(&mut port).map_err(self.io("reading the NAMES reply"))?;
        let mut text = Vec::new();
        (&mut s).take(MAX_NAMES_REPLY).read_to_end(&mut text).map_err(self.io("reading the NAMES reply"))?;
        if text.len() as u64 >= MAX_NAMES_REPLY {
            return Err(self.proto("NAMES reply larger than 1 MiB"));
        }
        Ok(parse_names(&text))
    }

    /// True when an EPMD answers a NAMES request here (only the reply's
    /// first 4 bytes are read: a long list of names does not matter).
    pub fn is_running(&self) -> bool {
        let Ok(mut s) = self.request(&[NAMES_REQ]) else { return false };
        let mut port = [0u8; 4];
        s.read_exact(&mut port).is_ok()
    }
}

fn check_name(name: &str) -> Result<(), EpmdError> {
    if name.is_empty() {
        Err(EpmdError::BadName("empty name".into()))
    } else if name.len() > MAX_NAME_LEN {
        Err(EpmdError::BadName(format!("longer than {MAX_NAME_LEN} bytes")))
    } else if name.contains('@') {
        Err(EpmdError::BadName(format!("{name:?}: EPMD takes the part before '@'")))
    } else {
        Ok(())
    }
}

/// Parses the text of a NAMES reply (after the 4-byte port): lines
/// `name NAME at port PORT`; other lines are skipped.
pub fn parse_names(text: &[u8]) -> Vec<(String, u16)> {
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("name ")?;
            let (name, port) = rest.rsplit_once(" at port ")?;
            Some((name.to_string(), port.trim().parse().ok()?))
        })
        .collect()
}

/// Registers with the local EPMD (127.0.0.1, [`epmd_port`]).
pub fn register(name: &str, listen_port: u16, node_type: NodeType) -> Result<Registration, EpmdError> {
    EpmdClient::new(local_epmd()).register(name, listen_port, node_type)
}

/// Looks `name` up in the EPMD on `host` (at [`epmd_port`]).
pub fn port_please(host: IpAddr, name: &str) -> Result<Option<NodePort>, EpmdError> {
    EpmdClient::on_host(host).port_please(name)
}

/// Lists the names registered in the EPMD on `host` (at [`epmd_port`]).
pub fn names(host: IpAddr) -> Result<Vec<(String, u16)>, EpmdError> {
    EpmdClient::on_host(host).names()
}

/// Makes sure a local EPMD answers: if none does, runs `<this executable>
/// epmd --daemon --port P` (which must be the `snow` binary) and waits until
/// one answers. `Ok(Some(pid))` when it started a daemon, `Ok(None)` when one
/// was already running.
pub fn ensure_epmd() -> Result<Option<u32>, EpmdError> {
    let exe = std::env::current_exe().map_err(|e| EpmdError::Start(format!("cannot find the snow binary: {e}")))?;
    ensure_epmd_with(local_epmd(), &exe)
}

/// [`ensure_epmd`] for the EPMD at `addr` (its port is passed on), starting
/// it with the `snow` binary `exe`.
pub fn ensure_epmd_with(addr: SocketAddr, exe: &Path) -> Result<Option<u32>, EpmdError> {
    let probe = EpmdClient::new(addr).with_timeout(Duration::from_secs(1));
    if probe.is_running() {
        return Ok(None);
    }
    let mut child = Command::new(exe)
        .args(["epmd", "--daemon", "--port", &addr.port().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| EpmdError::Start(format!("cannot run {}: {e}", exe.display())))?;
    // `--daemon` returns once its daemon answers (or it gives up after ~5 s).
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(EpmdError::Start(format!("{} epmd --daemon did not finish", exe.display())));
            }
        }
    };
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(o) = child.stdout.take() {
        let _ = o.take(4096).read_to_string(&mut out);
    }
    if let Some(e) = child.stderr.take() {
        let _ = e.take(4096).read_to_string(&mut err);
    }
    if probe.is_running() {
        return Ok(if status.success() { out.trim().parse().ok() } else { None });
    }
    let why = err.lines().next().unwrap_or("").trim().to_string();
    Err(EpmdError::Start(if why.is_empty() { format!("snow epmd --daemon: {status}") } else { why }))
}
