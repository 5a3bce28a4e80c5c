//! `Node`: distribution (processes.md rules 13–21) and peers, bound to the
//! runtime's `dist` layer. Calls that wait on the network (`connect`,
//! `ping`, `start_peer`, ...) run inside `Cx::blocking`, so other
//! processes keep their scheduler thread meanwhile.
//!
//! `Node.spawn*` are in the prelude: they send a spawn request here and
//! `receive` the answer like any message.

use crate::args::{self, R};
use snow_lang::vm::{Arity, BuiltinTable, Exception, Fiber, NativeCx};
use snow_runtime::dist::{self, node_monitors, peers, Distribution};
use snow_runtime::signal::node_message;
use snow_runtime::inspect::inspect;
use snow_runtime::{trace, Atom, SpawnOpts, Term};
use std::sync::Arc;

pub fn register(t: &mut BuiltinTable) {
    use Arity::*;
    t.native("Node", "self", Exact(0), |c, _| Ok(Term::Atom(c.cx.runtime().node_name())));
    t.native("", "node", Exact(0), |c, _| Ok(Term::Atom(c.cx.runtime().node_name())));
    t.native("", "node", Exact(1), node_of);
    t.native("Node", "alive?", Exact(0), |c, _| Ok(Term::bool(c.cx.runtime().distribution().is_some())));
    t.native("Node", "list", Exact(0), |c, _| {
        let nodes = c.cx.runtime().distribution().map(|d| d.connected()).unwrap_or_default();
        Ok(Term::list(nodes.into_iter().map(Term::Atom).collect()))
    });
    t.native("Node", "start", Exact(1), |c, a| start(c, &a[0], None));
    t.native("Node", "start", Exact(2), |c, a| start(c, &a[0], Some(&a[1])));
    t.native("Node", "stop", Exact(0), stop);
    t.native("Node", "connect", Exact(1), |c, a| connect(c, &a[0]).map(Term::bool));
    t.native("Node", "disconnect", Exact(1), disconnect);
    t.native("Node", "monitor", Exact(1), |c, a| monitor(c, &a[0], true));
    t.native("Node", "monitor", Exact(2), |c, a| monitor(c, &a[0], args::boolean(&a[1])?));
    t.native("Node", "demonitor", Exact(1), |c, a| monitor(c, &a[0], false));
    t.native("Node", "down_reason", Exact(1), |c, a| {
        let node = node_arg(&a[0])?;
        Ok(node_monitors::last_down_reason(c.cx.runtime(), node).map(Term::Atom).unwrap_or(Term::NIL_ATOM))
    });
    t.native("Node", "set_tick", Exact(1), |_, a| {
        let ms = args::non_neg(&a[0])?;
        if ms < dist::connection::MIN_NET_TICK_MS {
            return Err(Exception::badarg());
        }
        dist::set_net_tick(ms);
        args::ok()
    });
    t.native("Node", "tick", Exact(0), |_, _| Ok(Term::Int(dist::net_tick().as_millis() as i64)));
    t.native("Node", "set_busy_limit", Exact(1), |_, a| {
        let bytes = args::non_neg(&a[0])?;
        let bytes = usize::try_from(bytes).map_err(|_| Exception::badarg())?;
        if bytes < dist::connection::MIN_BUSY_LIMIT {
            return Err(Exception::badarg());
        }
        dist::connection::set_busy_limit(bytes);
        args::ok()
    });
    t.native("Node", "busy_limit", Exact(0), |_, _| Ok(Term::Int(dist::connection::busy_limit() as i64)));
    t.native("Node", "__spawn_request", Exact(4), spawn_request);
    t.native("Node", "__spawn_here", Exact(3), spawn_here);
    t.native("Node", "start_peer", Exact(1), start_peer);
    t.native("Node", "stop_peer", Exact(1), |c, a| peer_op(c, &a[0], PeerOp::Stop));
    t.native("Node", "kill_peer", Exact(1), |c, a| peer_op(c, &a[0], PeerOp::Kill));
    t.native("Node", "freeze_peer", Exact(1), |c, a| peer_op(c, &a[0], PeerOp::Freeze));
    t.native("Node", "thaw_peer", Exact(1), |c, a| peer_op(c, &a[0], PeerOp::Thaw));
    t.native("Node", "restart_peer", Exact(1), restart_peer);
    t.native("Node", "peers", Exact(0), |c, _| Ok(Term::list(peer_list(c).into_iter().map(Term::Atom).collect())));
}

/// Installs what a node needs of the language: the I/O server `user`
/// (started with distribution) and what runs spawn requests from other
/// nodes: a Snow function value, run as `spawn` would.
pub fn install_distribution() {
    dist::set_services(Some(Arc::new(crate::io_server::start)));
    dist::set_spawner(Some(Arc::new(|fun: &Term, args: Vec<Term>| {
        if !matches!(fun, Term::Fun(_)) {
            return Err(Atom::BADARG);
        }
        Fiber::for_fun(fun, args).map(|f| Box::new(f) as Box<dyn snow_runtime::Behaviour>).map_err(|_| Atom::BADARG)
    })));
}

/// A node given as an atom or a string. `b@host:port` names node
/// `b@host` and remembers where it listens (no EPMD lookup needed). A
/// malformed name is `badarg`, with what is wrong in words.
pub fn node_arg(t: &Term) -> Result<Atom, Exception> {
    let text = match t {
        Term::Atom(a) => a.as_str(),
        Term::Str(s) => s,
        other => {
            return Err(Exception::explained(
                Atom::BADARG,
                format!("a node is an atom or a string such as :\"b@127.0.0.1\", not {}", inspect(other)),
            ))
        }
    };
    let invalid = |why: &str| Exception::explained(Atom::BADARG, format!("{text:?} is not a node name: {why}"));
    if !text.contains('@') {
        let example = if text.is_empty() { "b" } else { text };
        return Err(invalid(&format!("a node name is name@host, such as {example}@127.0.0.1")));
    }
    let parsed = dist::names::NodeName::parse(text).map_err(|e| invalid(&e))?;
    let full = parsed.full();
    if let Some(port) = parsed.port {
        dist::names::remember_port(&full, port);
    }
    Atom::try_new(&full).ok_or_else(|| invalid("the atom table is full"))
}

fn failure(text: impl Into<String>) -> Exception {
    Exception::error(Term::str(&text.into()))
}

fn distribution(c: &NativeCx<'_, '_>) -> Result<Arc<Distribution>, Exception> {
    c.cx.runtime().distribution().ok_or_else(|| failure(dist::not_distributed(c.cx.runtime())))
}

/// `node(pid)`: the node a pid (or reference) lives on.
fn node_of(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let index = match &a[0] {
        Term::Pid(p) => p.node,
        Term::Ref(r) => dist::long_refs::expand(r).0,
        _ => return Err(Exception::badarg()),
    };
    if index == 0 {
        return Ok(Term::Atom(c.cx.runtime().node_name()));
    }
    Ok(dist::nodes::node_of(index).map(|(n, _)| Term::Atom(n)).unwrap_or(Term::Atom(Atom::NONODE)))
}

/// `Node.start(name, cookie)`: `(:ok, node)` or `(:error, why)`.
fn start(c: &mut NativeCx<'_, '_>, name: &Term, cookie: Option<&Term>) -> R {
    let name = match name {
        Term::Atom(a) => a.as_str().to_string(),
        Term::Str(s) => s.to_string(),
        _ => return Err(Exception::badarg()),
    };
    let cookie = match cookie {
        Some(Term::Atom(a)) => a.as_str().to_string(),
        Some(Term::Str(s)) => s.to_string(),
        Some(_) => return Err(Exception::badarg()),
        None => match dist::names::default_cookie() {
            Ok(c) => c,
            Err(e) => return Ok(Term::tuple(vec![Term::Atom(Atom::ERROR), Term::str(&e)])),
        },
    };
    let rt = c.cx.runtime().clone();
    match c.cx.blocking(|| Distribution::start(&rt, &name, &cookie)) {
        Ok(d) => Ok(Term::tuple(vec![Term::Atom(Atom::OK), Term::Atom(d.name())])),
        Err(e) => Ok(Term::tuple(vec![Term::Atom(Atom::ERROR), Term::str(&e.0)])),
    }
}

/// `Node.stop()`: the peers this node started are stopped first (they
/// are its own; a peer cut off from its parent would only linger).
fn stop(c: &mut NativeCx<'_, '_>, _: &[Term]) -> R {
    match c.cx.runtime().distribution() {
        Some(d) => {
            c.cx.blocking(|| {
                if d.is_simulated() {
                    for peer in d.simulated_peers() {
                        let _ = d.kill_simulated_peer(peer);
                    }
                } else {
                    for peer in peers::list() {
                        let _ = peers::stop(peer);
                    }
                }
                d.stop()
            });
            args::ok()
        }
        None => Ok(Term::tuple(vec![Term::Atom(Atom::ERROR), Term::Atom(Atom::new("not_alive"))])),
    }
}

fn connect(c: &mut NativeCx<'_, '_>, node: &Term) -> Result<bool, Exception> {
    let node = node_arg(node)?;
    let Some(d) = c.cx.runtime().distribution() else { return Ok(false) };
    Ok(c.cx.blocking(|| d.connect(node)))
}

fn disconnect(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let node = node_arg(&a[0])?;
    let Some(d) = c.cx.runtime().distribution() else { return Ok(Term::FALSE) };
    Ok(Term::bool(c.cx.blocking(|| d.disconnect(node))))
}

/// `Node.monitor(node)`: `(:nodedown, node)` each time the connection is
/// lost, `(:nodeup, node)` each time it is made; at once a nodedown if not
/// connected now (rule 17). `:all` watches every node.
fn monitor(c: &mut NativeCx<'_, '_>, node: &Term, on: bool) -> R {
    let node = match node {
        Term::Atom(a) if *a == Atom::ALL => Atom::ALL,
        other => node_arg(other)?,
    };
    let me = c.cx.pid();
    if !on {
        node_monitors::remove(c.cx.runtime(), me, node);
        return Ok(Term::TRUE);
    }
    if node != Atom::ALL && c.cx.runtime().distribution().is_none() {
        // As Erlang's monitor_node/2: a node that is not distributed has
        // no connections to watch.
        return Err(Exception::explained(
            Atom::NOTALIVE,
            format!("cannot monitor {}: this node is not distributed (snow --name a@127.0.0.1, or Node.start)", node.as_str()),
        ));
    }
    let up = node_monitors::add(c.cx.runtime(), me, node);
    if node != Atom::ALL && !up && node != c.cx.runtime().node_name() {
        c.cx.mailbox().push(node_message(false, node));
    }
    Ok(Term::TRUE)
}

fn spawn_opts(t: &Term) -> Result<SpawnOpts, Exception> {
    let mut o = SpawnOpts::default();
    for item in args::list(t)? {
        match item.as_atom() {
            Some(Atom::LINK) => o.link = true,
            Some(Atom::MONITOR) => o.monitor = true,
            _ => return Err(Exception::badarg()),
        }
    }
    Ok(o)
}

/// `Node.__spawn_request(node, f, args, opts)`: the reference of the
/// request, answered by `(:spawn_reply, ref, :ok | :error, pid | why)`;
/// `nil` when `node` is this node (the caller spawns here instead).
fn spawn_request(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let node = node_arg(&a[0])?;
    let f = args::fun(&a[1])?.clone();
    let fargs = args::list(&a[2])?;
    let opts = spawn_opts(&a[3])?;
    if node == c.cx.runtime().node_name() {
        return Ok(Term::NIL_ATOM);
    }
    if c.cx.runtime().distribution().is_none() {
        return Err(Exception::explained(
            Atom::NOTALIVE,
            format!(
                "cannot spawn on {}: this node is not distributed; start it with snow --name a@127.0.0.1 or Node.start(\"a@127.0.0.1\", \"cookie\")",
                node.as_str()
            ),
        ));
    }
    Ok(Term::Ref(c.cx.spawn_remote(node, f, fargs, opts)))
}

/// `Node.__spawn_here(f, args, opts)`: a local spawn (pid, or `(pid, ref)`
/// with `:monitor`).
fn spawn_here(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let f = args::fun(&a[0])?;
    let fiber = Fiber::for_fun(f, args::list(&a[1])?)?;
    let opts = spawn_opts(&a[2])?;
    let (pid, mref) = c.cx.spawn(Box::new(fiber), opts);
    Ok(match mref {
        Some(r) if opts.monitor => Term::tuple(vec![Term::Pid(pid), Term::Ref(r)]),
        _ => Term::Pid(pid),
    })
}

/// `Node.start_peer(:b)`: a new `snow` OS process as node `b@<this host>`
/// with this node's cookie and tick, connected; returns its node name.
fn start_peer(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let d = distribution(c)?;
    let given = match &a[0] {
        Term::Atom(x) => x.as_str().to_string(),
        Term::Str(s) => s.to_string(),
        _ => return Err(Exception::badarg()),
    };
    let full = if given.contains('@') {
        given
    } else {
        let me = d.name();
        let host = me.as_str().split_once('@').map(|(_, h)| h.to_string()).unwrap_or_default();
        format!("{given}@{host}")
    };
    let spec = peers::PeerSpec {
        name: full.clone(),
        cookie: d.cookie().to_string(),
        net_tick_ms: dist::net_tick().as_millis() as u64,
    };
    let rt = c.cx.runtime().clone();
    let started = c.cx.blocking(|| {
        let atom = if d.is_simulated() {
            // Another runtime of this simulation: no process, no port mapper.
            d.start_simulated_peer(&full)?
        } else {
            peers::start(&spec)?;
            let parsed = dist::names::NodeName::parse(&full)?;
            let node = parsed.full();
            if let Some(port) = parsed.port {
                dist::names::remember_port(&node, port);
            }
            Atom::try_new(&node).ok_or("the atom table is full")?
        };
        let node = atom.as_str();
        // Recording before the connection comes up, so both ends see it do.
        rt.trace_net(&format!("start {}", dist::net::short(atom)));
        trace::gather::join(&rt, atom);
        if d.connect(atom) {
            Ok(atom)
        } else {
            Err(format!("started the peer {node} but could not connect to it"))
        }
    });
    match started {
        Ok(atom) => Ok(Term::Atom(atom)),
        Err(e) => Err(failure(e)),
    }
}

/// `Node.restart_peer(:b)`: SIGKILL, then the same peer again under the
/// same name; returns once connected (unless a fault keeps it apart from
/// this node: then once it runs).
fn restart_peer(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let d = distribution(c)?;
    let node = node_arg(&a[0])?;
    let rt = c.cx.runtime().clone();
    let done = c.cx.blocking(|| {
        trace::gather::keep_before_losing(&rt, node);
        if d.is_simulated() {
            if d.simulated_peers().contains(&node) {
                rt.trace_net(&format!("restart {}", dist::net::short(node)));
            }
            d.restart_simulated_peer(node)?;
        } else {
            if peers::list().contains(&node) {
                rt.trace_net(&format!("restart {}", dist::net::short(node)));
            }
            peers::restart(node)?;
        }
        trace::gather::join(&rt, node);
        // The old connection must be gone first, or connecting would find it.
        d.wait_gone(node, std::time::Duration::from_secs(2));
        snow_runtime::log::event(&format!("net <- restart {}", dist::net::short(node)));
        if dist::net::blocks(&d, node) || d.connect(node) {
            Ok(())
        } else {
            Err(format!(
                "restarted the peer {} but could not connect to it",
                node.as_str()
            ))
        }
    });
    match done {
        Ok(()) => args::ok(),
        Err(e) => Err(failure(e)),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PeerOp {
    Stop,
    Kill,
    Freeze,
    Thaw,
}

impl PeerOp {
    fn word(self) -> &'static str {
        match self {
            PeerOp::Stop => "stop",
            PeerOp::Kill => "kill",
            PeerOp::Freeze => "freeze",
            PeerOp::Thaw => "thaw",
        }
    }
}

/// The peers this node started that still run.
fn peer_list(c: &NativeCx<'_, '_>) -> Vec<Atom> {
    match c.cx.runtime().distribution() {
        Some(d) if d.is_simulated() => d.simulated_peers(),
        _ => peers::list(),
    }
}

/// A peer stopped, killed, frozen or thawed; a trace keeps what the peer
/// recorded so far (it may never answer again) and records the action.
fn peer_op(c: &mut NativeCx<'_, '_>, node: &Term, op: PeerOp) -> R {
    let node = node_arg(node)?;
    let rt = c.cx.runtime().clone();
    let sim = rt.distribution().filter(|d| d.is_simulated());
    let known = peer_list(c).contains(&node);
    let done = c.cx.blocking(|| {
        if known {
            if op != PeerOp::Thaw {
                trace::gather::keep_before_losing(&rt, node);
            }
            // Recorded before it happens: what it causes comes after.
            rt.trace_net(&format!("{} {}", op.word(), dist::net::short(node)));
        }
        match (&sim, op) {
            (Some(d), PeerOp::Stop | PeerOp::Kill) => d.kill_simulated_peer(node),
            (Some(d), PeerOp::Freeze) => d.freeze_simulated_peer(node, true),
            (Some(d), PeerOp::Thaw) => d.freeze_simulated_peer(node, false),
            (None, PeerOp::Stop) => peers::stop(node),
            (None, PeerOp::Kill) => peers::kill(node),
            (None, PeerOp::Freeze) => peers::freeze(node),
            (None, PeerOp::Thaw) => peers::thaw(node),
        }
    });
    match done {
        Ok(()) => args::ok(),
        Err(e) => Err(failure(e)),
    }
}
