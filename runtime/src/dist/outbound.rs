//! Local signals for processes on other nodes → control messages
//! (reference §4, §6.8). Nothing here blocks: a signal is queued on the
//! connection (dialling it if needed) and written by its writer thread.
//!
//! A node that cannot be reached answers for its processes, as Erlang
//! does: a link gets the exit `:noconnection`, a monitor a DOWN
//! `:noconnection`; anything else is lost, like a message on a cut wire.

use super::control::{Control, Proc};
use super::handshake::flags;
use super::node::Distribution;
use super::nodes;
use crate::atom::Atom;
use crate::cx::SpawnOpts;
use crate::signal::{RemoteCall, Signal, SpawnRequest};
use crate::term::{Pid, Ref, Term};
use std::sync::atomic::Ordering::Relaxed;

/// `Distribution::route`: `to` is a pid of another node.
pub(crate) fn route(d: &Distribution, from: Option<Pid>, to: Pid, sig: Signal) -> Result<(), Signal> {
    let Some((node, creation)) = nodes::node_of(to.node) else { return Err(sig) };
    if node == d.name {
        return Err(sig); // a pid of this node's earlier life: gone
    }
    if d.peer_creation(node).is_some_and(|c| c != creation) {
        return Err(sig); // a pid of the peer's earlier life: gone
    }
    let (control, tie) = match sig {
        Signal::Message(msg) | Signal::Traced { msg, .. } => (Control::Send { from, to, msg }, None),
        Signal::Link(f) => (Control::Link { from: f, to }, Some(f)),
        Signal::Unlink(f) => {
            let with_id = d.peer_flags(node).is_none_or(|fl| fl & flags::UNLINK_ID != 0);
            if with_id {
                let id = d.next_unlink_id.fetch_add(1, Relaxed);
                (Control::UnlinkId { id, from: f, to }, None)
            } else {
                (Control::Unlink { from: f, to }, None)
            }
        }
        Signal::Monitor { r, from: f, .. } => (Control::Monitor { from: f, target: Proc::Pid(to), r }, Some(f)),
        Signal::Demonitor { r, from: f } => (Control::Demonitor { from: f, target: Proc::Pid(to), r }, None),
        Signal::Down { r, who, reason } => {
            let target = match &who {
                Term::Tuple(t) if t.len() == 2 => match (&t[0], from) {
                    (Term::Atom(name), _) => Proc::Name(*name),
                    (_, Some(p)) => Proc::Pid(p),
                    _ => return Ok(()),
                },
                Term::Pid(p) => Proc::Pid(*p),
                _ => return Ok(()),
            };
            (Control::MonitorExit { target, to, r, reason }, None)
        }
        Signal::Exit { from: f, reason, via_link: true } => (Control::Exit { from: f, to, reason }, None),
        Signal::Exit { from: f, reason, via_link: false } => (Control::Exit2 { from: f, to, reason }, None),
        // Local-only signals mean nothing to another node.
        other @ (Signal::Watch(_) | Signal::Wake | Signal::Timeout(_)) => return Err(other),
        Signal::ConnectionLost(_) | Signal::SpawnReply { .. } => return Ok(()),
    };
    if let Err(c) = d.send_to(node, control, tie) {
        unreachable_answer(d, to, c);
    }
    Ok(())
}

/// `Distribution::route_named`: a message, monitor or demonitor for the
/// name `name` on `node`.
pub(crate) fn route_named(d: &Distribution, from: Pid, name: Atom, node: Atom, sig: Signal) {
    let (control, tie) = match sig {
        Signal::Message(msg) => (Control::RegSend { from, name, msg }, None),
        Signal::Monitor { r, .. } => (Control::Monitor { from, target: Proc::Name(name), r }, Some(from)),
        Signal::Demonitor { r, .. } => (Control::Demonitor { from, target: Proc::Name(name), r }, None),
        _ => return,
    };
    if node == d.name {
        // Our own name under its node form: deliver here.
        if let Some(pid) = d.rt.whereis(name) {
            let sig = match control {
                Control::RegSend { msg, .. } => Signal::Message(msg),
                Control::Monitor { r, .. } => Signal::Monitor { r, from, name: Some(name) },
                Control::Demonitor { r, .. } => Signal::Demonitor { r, from },
                _ => return,
            };
            d.rt.deliver(Some(from), pid, sig);
        } else if let Control::Monitor { r, .. } = control {
            let who = Term::tuple(vec![Term::Atom(name), Term::Atom(node)]);
            d.rt.deliver(None, from, Signal::Down { r, who, reason: Term::Atom(Atom::NOPROC) });
        }
        return;
    }
    if let Err(Control::Monitor { r, .. }) = d.send_to(node, control, tie) {
        let who = Term::tuple(vec![Term::Atom(name), Term::Atom(node)]);
        d.rt.deliver(None, from, Signal::Down { r, who, reason: Term::Atom(Atom::NOCONNECTION) });
    }
}

/// `Distribution::spawn_request`: `spawn_request(node, M, F, Args, opts)`
/// as erl sends it: `erlang:apply(Fun, Args)` for `spawn(Node, Fun)`,
/// `erpc:execute_call(Ref, M, F, A)` for rpc.
pub(crate) fn spawn_request(d: &Distribution, req: SpawnRequest, r: Ref, opts: SpawnOpts) {
    let SpawnRequest { from, node, call, group_leader } = req;
    let SpawnOpts { link, monitor } = opts;
    let fail = |reason: Atom| {
        let reply = Signal::SpawnReply { r, result: Err(Term::Atom(reason)), link, monitor };
        d.rt.deliver(None, from, reply);
    };
    if node == d.name {
        return fail(Atom::BADARG); // the caller spawns locally instead
    }
    let (module, function, payload) = match call {
        RemoteCall::Apply { fun, args } => ("erlang", "apply", Term::list(vec![fun, Term::list(args)])),
        RemoteCall::Rpc { tag, module, function, args } => {
            let a = vec![Term::Ref(tag), Term::Atom(module), Term::Atom(function), Term::list(args)];
            ("erpc", "execute_call", Term::list(a))
        }
    };
    let arity = payload.list_to_vec().map_or(0, |v| v.len() as i64);
    if let Err(e) = super::etf::encode(&payload) {
        crate::log::notice(&format!("snow: cannot spawn on {}: {e}", node.as_str()));
        return fail(Atom::BADARG);
    }
    if !d.spawn_pending(node, r, from) {
        return fail(Atom::NOCONNECTION);
    }
    let mut opts = Vec::new();
    if link {
        opts.push(Term::Atom(Atom::LINK));
    }
    if monitor {
        opts.push(Term::Atom(Atom::MONITOR));
    }
    // Output of the new process comes back here: to the asker's own group
    // leader, or to this node's terminal (`user`).
    let group_leader = group_leader.or_else(|| d.rt.whereis(Atom::USER)).unwrap_or(from);
    let control = Control::SpawnRequest {
        req: r,
        from,
        group_leader,
        module: Atom::new(module),
        function: Atom::new(function),
        arity,
        opts: Term::list(opts),
        args: payload,
    };
    let tie = (link || monitor).then_some(from);
    if d.send_to(node, control, tie).is_err() {
        fail(Atom::NOCONNECTION);
    }
}

/// Answers a signal for a node that cannot be reached.
fn unreachable_answer(d: &Distribution, to: Pid, c: Control) {
    let noconnection = Term::Atom(Atom::NOCONNECTION);
    match c {
        Control::Link { from, .. } => {
            let exit = Signal::Exit { from: to, reason: noconnection, via_link: true };
            d.rt.deliver(None, from, exit);
        }
        Control::Monitor { from, r, .. } => {
            d.rt.deliver(None, from, Signal::Down { r, who: Term::Pid(to), reason: noconnection });
        }
        _ => {}
    }
}
