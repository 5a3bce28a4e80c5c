//! Control messages from a peer → signals for local processes (reference
//! §4, §6). Everything enters through `Runtime::deliver`, so remote signals
//! obey exactly the rules local ones do; a target that does not exist is
//! answered as a dead process (a link `:noproc`, a monitor a DOWN
//! `:noproc`), and the answer travels back over the same connection.

use super::connection::{probe_name, Conn};
use super::control::{Control, Proc};
use super::frame;
use super::node::Distribution;
use crate::atom::Atom;
use crate::behaviour::Behaviour;
use crate::signal::Signal;
use crate::term::{Pid, Term};
use parking_lot::RwLock;
use std::sync::Arc;

/// Builds the behaviour that runs `fun(args...)` for a spawn request from
/// another node; `Err` is the reason to refuse it. The language installs
/// it (the runtime cannot run code).
pub type Spawner = dyn Fn(&Term, Vec<Term>) -> Result<Box<dyn Behaviour>, Atom> + Send + Sync;

static SPAWNER: RwLock<Option<Arc<Spawner>>> = RwLock::new(None);

/// Installs what runs spawn requests from other nodes.
pub fn set_spawner(s: Option<Arc<Spawner>>) {
    *SPAWNER.write() = s;
}

/// Starts the language's own system processes when a node starts (the
/// I/O server `user`); it must tolerate being called again.
pub type Services = dyn Fn(&crate::runtime::Runtime) + Send + Sync;

static SERVICES: RwLock<Option<Arc<Services>>> = RwLock::new(None);

/// Installs what starts with every `Distribution::start`.
pub fn set_services(s: Option<Arc<Services>>) {
    *SERVICES.write() = s;
}

pub(crate) fn start_services(rt: &crate::runtime::Runtime) {
    let services = SERVICES.read().clone();
    if let Some(s) = services {
        s(rt);
    }
}

/// One packet from the peer of `c`. `Err` (a malformed packet) closes the
/// connection.
pub(crate) fn handle(d: &Distribution, c: &Conn, body: &[u8]) -> Result<(), String> {
    let (control, payload) = frame::parse_body(body).map_err(|e| e.to_string())?;
    let control = Control::read(&control, payload).map_err(|e| e.to_string())?;
    dispatch(d, c, control);
    Ok(())
}

fn local(p: Pid) -> bool {
    p.node == 0
}

fn dispatch(d: &Distribution, c: &Conn, control: Control) {
    let rt = &d.rt;
    match control {
        Control::Link { from, to } => {
            if local(to) {
                c.tie(to);
                rt.deliver(Some(from), to, Signal::Link(from));
            } else {
                reply(c, Control::Exit { from: to, to: from, reason: Term::Atom(Atom::NOPROC) });
            }
        }
        Control::Send { from, to, msg } => {
            if local(to) {
                rt.deliver(from, to, Signal::Message(msg));
            }
        }
        Control::RegSend { from, name, msg } => {
            if let Some(to) = rt.whereis(name) {
                rt.deliver(Some(from), to, Signal::Message(msg));
            }
        }
        Control::Exit { from, to, reason } => {
            if local(to) {
                rt.deliver(Some(from), to, Signal::Exit { from, reason, via_link: true });
            }
        }
        Control::Exit2 { from, to, reason } => {
            if local(to) {
                rt.deliver(Some(from), to, Signal::Exit { from, reason, via_link: false });
            }
        }
        Control::Unlink { from, to } => {
            if local(to) {
                rt.deliver(Some(from), to, Signal::Unlink(from));
            }
        }
        Control::UnlinkId { id, from, to } => {
            // The ack goes out before anything else we send the unlinker.
            reply(c, Control::UnlinkIdAck { id, from: to, to: from });
            if local(to) {
                rt.deliver(Some(from), to, Signal::Unlink(from));
            }
        }
        // We forget a link at once on unlink; nothing waits for the ack.
        Control::UnlinkIdAck { .. } => {}
        Control::Monitor { from, target, r } => {
            let found = match target {
                Proc::Pid(p) if local(p) => Some((p, None)),
                Proc::Pid(_) => None,
                Proc::Name(n) => rt.whereis(n).map(|p| (p, Some(n))),
            };
            match found {
                Some((p, name)) => {
                    c.tie(p);
                    rt.deliver(Some(from), p, Signal::Monitor { r, from, name });
                }
                None => reply(c, Control::MonitorExit { target, to: from, r, reason: Term::Atom(Atom::NOPROC) }),
            }
        }
        Control::Demonitor { from, target, r } => {
            let found = match target {
                Proc::Pid(p) if local(p) => Some(p),
                Proc::Pid(_) => None,
                Proc::Name(n) => rt.whereis(n),
            };
            if let Some(p) = found {
                rt.deliver(Some(from), p, Signal::Demonitor { r, from });
            }
        }
        Control::MonitorExit { target, to, r, reason } => {
            if !local(to) || target == Proc::Name(probe_name()) {
                return; // an answer to our heartbeat probe: a sign of life, no more
            }
            let who = match target {
                Proc::Pid(p) => Term::Pid(p),
                Proc::Name(n) => Term::tuple(vec![Term::Atom(n), Term::Atom(c.node)]),
            };
            rt.deliver(None, to, Signal::Down { r, who, reason });
        }
        Control::SpawnRequest { req, from, group_leader, module, function, arity, opts, args } => {
            spawn_request(d, c, (req, from, group_leader), (module, function, arity), &opts, &args)
        }
        Control::SpawnReply { req, to, flags, result } => {
            let asked = c.state.lock().spawns.remove(&req);
            if asked.is_none() || !local(to) {
                return;
            }
            let sig = match result {
                Term::Pid(p) => {
                    let (link, monitor) = (flags & 1 != 0, flags & 2 != 0);
                    if link || monitor {
                        c.tie(to);
                    }
                    Signal::SpawnReply { r: req, result: Ok(p), link, monitor }
                }
                other => Signal::SpawnReply { r: req, result: Err(other), link: false, monitor: false },
            };
            rt.deliver(None, to, sig);
        }
        // We never hand out aliases, so none can be live.
        Control::AliasSend { .. } | Control::GroupLeader => {}
    }
}

fn reply(c: &Conn, control: Control) {
    let _ = c.enqueue(control, None);
}

/// A spawn request (reference §4): we run `erlang:apply(Fun, Args)` when
/// `Fun` is a function value the language can run, and Erlang's rpc
/// (`erpc:execute_call/4`, `rpc.rs`); anything else is answered `notsup`
/// (erl's `spawn/4` then returns a pid that exits at once). The new process
/// keeps the requester's group leader, so its output goes back there.
fn spawn_request(d: &Distribution, c: &Conn, who: (crate::term::Ref, Pid, Pid), mfa: (Atom, Atom, i64), opts: &Term, args: &Term) {
    let (req, from, group_leader) = who;
    let fail = |reason: Atom| {
        reply(c, Control::SpawnReply { req, to: from, flags: 0, result: Term::Atom(reason) });
    };
    let Some(opts) = opts.list_to_vec() else { return fail(Atom::BADOPT) };
    let (mut link, mut monitor) = (false, false);
    for o in &opts {
        match o {
            Term::Atom(a) if *a == Atom::LINK => link = true,
            Term::Atom(a) if *a == Atom::MONITOR => monitor = true,
            Term::Tuple(t) if t.len() == 2 && t[0].as_atom() == Some(Atom::MONITOR) => monitor = true,
            _ => {}
        }
    }
    let Some(args) = args.list_to_vec() else { return fail(Atom::BADARG) };
    let behaviour = match (mfa.0.as_str(), mfa.1.as_str(), mfa.2, &args[..]) {
        ("erlang", "apply", 2, [fun, fargs]) => match (fargs.list_to_vec(), SPAWNER.read().clone()) {
            (Some(fa), Some(spawner)) => spawner(fun, fa),
            _ => Err(Atom::NOTSUP),
        },
        ("erpc", "execute_call", 4, [tag, m, f, a]) => super::rpc::execute_call(tag, m, f, a).ok_or(Atom::BADARG),
        _ => Err(Atom::NOTSUP),
    };
    let b = match behaviour {
        Ok(b) => b,
        Err(reason) => return fail(reason),
    };
    let monitor_ref = monitor.then_some(req);
    let gl = (!local(group_leader)).then_some(group_leader);
    // An rpc's process answers a question about this node: not part of
    // what the program did, so a trace does not show it.
    let is_rpc = mfa.1.as_str() == "execute_call";
    // (A trace's own request comes before this node records: hidden too.)
    let asks_trace = is_rpc && args.get(1).and_then(Term::as_atom).is_some_and(|m| m.as_str() == "snow_trace");
    d.rt.spawn_for_remote(b, from, link, monitor_ref, gl, |pid| {
        if is_rpc && (d.rt.tracing() || asks_trace) {
            d.rt.hide_from_trace(pid);
        }
        if link || monitor {
            c.tie(pid);
        }
        let flags = i64::from(link) | i64::from(monitor) << 1;
        reply(c, Control::SpawnReply { req, to: from, flags, result: Term::Pid(pid) });
    });
}
