//! Peer nodes: `snow` OS processes this program starts on this host, for
//! teaching and tests (`Node.start_peer` and friends).
//!
//! A peer's stdin is one end of a Unix socket pair only we hold: its
//! *control channel* (`net/channel.rs`). Its first line is the peer's
//! cookie (arguments and environment are visible to other users through
//! `ps` and /proc); after it, the session's `Net` requests travel on it
//! both ways. A peer never outlives the program that started it: it
//! reads its stdin and exits when that closes; and it is started with the
//! parent-death signal set to SIGKILL, which reaches it even while it is
//! stopped (`freeze_peer`). The parent-death signal fires when the *thread*
//! that forked exits, so every peer is forked by one thread that lives as
//! long as the program. A dropped connection does not end a peer.

use super::epmd;
use super::names::NodeName;
use super::net::channel::Channel;
use crate::atom::Atom;
use crossbeam_channel::{bounded, Sender};
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

struct Peer {
    child: Child,
    /// The peer's stdin: closing it ends the peer.
    channel: Arc<Channel>,
    /// What it was started with (`restart`).
    spec: PeerSpec,
    /// Stopped by `freeze` (it cannot answer on its channel).
    frozen: bool,
}

static PEERS: Mutex<Option<FxHashMap<Atom, Peer>>> = Mutex::new(None);

/// What a peer must be started with.
#[derive(Clone)]
pub struct PeerSpec {
    /// The full node name (`b@127.0.0.1`).
    pub name: String,
    pub cookie: String,
    pub net_tick_ms: u64,
}

type Spawn = (Command, Sender<std::io::Result<Child>>);

/// The one long-lived thread that forks peers (see the module docs).
fn forker() -> &'static Mutex<Sender<Spawn>> {
    static FORKER: OnceLock<Mutex<Sender<Spawn>>> = OnceLock::new();
    FORKER.get_or_init(|| {
        let (tx, rx) = crossbeam_channel::unbounded::<Spawn>();
        let _ = std::thread::Builder::new().name("snow-peer-forker".into()).spawn(move || {
            for (mut cmd, reply) in rx {
                let _ = reply.send(cmd.spawn());
            }
        });
        Mutex::new(tx)
    })
}

/// Starts a peer and waits until it has registered with EPMD (or, for a
/// fixed port, until it listens). Returns once it can be dialled.
pub fn start(spec: &PeerSpec) -> Result<(), String> {
    let parsed = NodeName::parse(&spec.name)?;
    let atom = Atom::try_new(&parsed.full()).ok_or("the atom table is full")?;
    if PEERS.lock().as_ref().is_some_and(|m| m.contains_key(&atom)) {
        return Err(format!("{} is already running as a peer", parsed.full()));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the snow binary: {e}"))?;
    let (ours, theirs) = UnixStream::pair().map_err(|e| format!("cannot make the peer's control channel: {e}"))?;
    let channel = Channel::new(&ours).map_err(|e| format!("cannot make the peer's control channel: {e}"))?;
    let mut cmd = Command::new(exe);
    // The cookie goes down the control channel (the first line), never on
    // the command line or in the environment, where `ps` and /proc show it.
    cmd.arg("peer")
        .arg("--name")
        .arg(&spec.name)
        .arg("--net-tick")
        .arg(spec.net_tick_ms.to_string())
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    // SAFETY: runs in the forked child before exec; prctl is
    // async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (tx, rx) = bounded(1);
    forker().lock().send((cmd, tx)).map_err(|_| "the peer forker thread is gone".to_string())?;
    let mut child = rx
        .recv()
        .map_err(|_| "the peer forker thread is gone".to_string())?
        .map_err(|e| format!("cannot start a peer: {e}"))?;
    let handed = channel
        .write_raw(format!("{}\n", spec.cookie).as_bytes())
        .map_err(|e| format!("cannot hand the peer its cookie: {e}"));
    let ready = handed.and_then(|()| wait_ready(&parsed, &mut child));
    if let Err(e) = ready {
        channel.close();
        let _ = child.kill();
        let _ = child.wait();
        return Err(e);
    }
    // The peer's requests (a `Net.heal()` typed there) come up this way.
    let serving = channel.clone();
    let _ = std::thread::Builder::new()
        .name("snow-peer-channel".into())
        .spawn(move || serving.serve(ours, super::net::on_request()));
    let peer = Peer { child, channel, spec: spec.clone(), frozen: false };
    PEERS.lock().get_or_insert_with(FxHashMap::default).insert(atom, peer);
    Ok(())
}

fn wait_ready(name: &NodeName, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let ip = name.ip()?;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the peer {} exited at start ({status})", name.full()));
        }
        let up = match name.port {
            Some(p) => std::net::TcpStream::connect_timeout(&(ip, p).into(), Duration::from_millis(100)).is_ok(),
            None => matches!(epmd::port_please(ip, &name.alive), Ok(Some(_))),
        };
        if up {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the peer {} did not start within 10 s", name.full()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn take(node: Atom) -> Result<Peer, String> {
    PEERS.lock().as_mut().and_then(|m| m.remove(&node)).ok_or_else(|| format!("{} is not a peer of this node", node.as_str()))
}

/// Sends `sig` to the peer; returns its OS pid.
fn signal(node: Atom, sig: libc::c_int) -> Result<u32, String> {
    let peers = PEERS.lock();
    let p = peers.as_ref().and_then(|m| m.get(&node)).ok_or_else(|| format!("{} is not a peer of this node", node.as_str()))?;
    let pid = libc::pid_t::try_from(p.child.id()).map_err(|_| "bad pid".to_string())?;
    // SAFETY: kill(2) on a child we started and have not yet reaped, so the
    // pid cannot have been reused.
    if unsafe { libc::kill(pid, sig) } != 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    Ok(p.child.id())
}

/// Stops a peer cleanly (its stdin closes; it exits), killing it if it has
/// not exited within 5 s (a frozen peer is thawed first).
pub fn stop(node: Atom) -> Result<(), String> {
    let _ = signal(node, libc::SIGCONT);
    let mut p = take(node)?;
    p.channel.close();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = p.child.try_wait() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = p.child.kill();
    let _ = p.child.wait();
    Ok(())
}

/// SIGKILL: the peer vanishes at once; its sockets are closed by the OS.
pub fn kill(node: Atom) -> Result<(), String> {
    let mut p = take(node)?;
    let _ = p.child.kill();
    let _ = p.child.wait();
    p.channel.close();
    Ok(())
}

/// `Node.restart_peer`: SIGKILL, then the same peer started again with the
/// same name; returns once it can be dialled.
pub fn restart(node: Atom) -> Result<(), String> {
    let spec = PEERS
        .lock()
        .as_ref()
        .and_then(|m| m.get(&node).map(|p| p.spec.clone()))
        .ok_or_else(|| format!("{} is not a peer of this node", node.as_str()))?;
    kill(node)?;
    start(&spec)
}

/// Each running peer's control channel, and whether it is frozen.
pub(crate) fn channels() -> Vec<(Atom, Arc<Channel>, bool)> {
    let mut v: Vec<(Atom, Arc<Channel>, bool)> =
        PEERS.lock().as_ref().map(|m| m.iter().map(|(n, p)| (*n, p.channel.clone(), p.frozen)).collect()).unwrap_or_default();
    v.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    v
}

fn set_frozen(node: Atom, frozen: bool) {
    if let Some(p) = PEERS.lock().as_mut().and_then(|m| m.get_mut(&node)) {
        p.frozen = frozen;
    }
}

/// SIGSTOP: the peer stops answering but its connections stay open; only
/// the heartbeat can tell.
/// Returns once the peer is stopped: the signal is delivered
/// asynchronously, and a peer still running a few microseconds later would
/// answer what is sent to it next.
pub fn freeze(node: Atom) -> Result<(), String> {
    let pid = signal(node, libc::SIGSTOP)?;
    set_frozen(node, true);
    let deadline = Instant::now() + Duration::from_secs(1);
    while !is_stopped(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}

/// Whether the OS process is stopped (`/proc/PID/stat` state `T`).
fn is_stopped(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return true };
    // The state follows the command name, which is in parentheses.
    stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()).is_some_and(|s| s == "T" || s == "t")
}

/// SIGCONT: a frozen peer runs again.
pub fn thaw(node: Atom) -> Result<(), String> {
    signal(node, libc::SIGCONT)?;
    set_frozen(node, false);
    Ok(())
}

/// The peers still running, sorted.
pub fn list() -> Vec<Atom> {
    let mut v: Vec<Atom> = PEERS.lock().as_ref().map(|m| m.keys().copied().collect()).unwrap_or_default();
    v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    v
}

/// Kills every peer (the program is ending).
pub fn kill_all() {
    let all: Vec<Peer> = PEERS.lock().as_mut().map(|m| m.drain().map(|(_, p)| p).collect()).unwrap_or_default();
    for mut p in all {
        let _ = p.child.kill();
        let _ = p.child.wait();
        p.channel.close();
    }
}
