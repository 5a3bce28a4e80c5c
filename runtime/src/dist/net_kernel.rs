//! The `net_kernel` process: what an Erlang node's `net_adm:ping` talks to.
//!
//! erl pings by monitoring `net_kernel` on the target (the monitor must be
//! live, or ping says `pang`) and making a `gen:call` with
//! `{is_auth, Node}`; the answer `{Tag, yes}` means `pong` (reference §7a).
//! Other calls get no answer: the caller times out, as with a busy node.

use crate::atom::Atom;
use crate::behaviour::{from_fn, Slice};
use crate::runtime::Runtime;
use crate::term::Term;

/// Starts and registers `net_kernel`.
pub(crate) fn start(rt: &Runtime) {
    if rt.whereis(Atom::NET_KERNEL).is_some() {
        return;
    }
    let pid = rt.spawn(from_fn(|cx| {
        while let Some(m) = cx.mailbox().remove(0) {
            if let Some((from, tag)) = is_auth_call(&m) {
                cx.send(from, Term::tuple(vec![tag, Term::Atom(Atom::new("yes"))]));
            }
        }
        Slice::Wait(None)
    }));
    rt.hide_from_trace(pid);
    let _ = rt.register(Atom::NET_KERNEL, pid);
}

/// Ends `net_kernel` (distribution stopped).
pub(crate) fn stop(rt: &Runtime) {
    if let Some(pid) = rt.whereis(Atom::NET_KERNEL) {
        rt.exit(pid, Term::Atom(Atom::KILL));
    }
}

/// `{'$gen_call', {From, Tag}, {is_auth, _}}` → (From, Tag).
fn is_auth_call(m: &Term) -> Option<(crate::term::Pid, Term)> {
    let Term::Tuple(t) = m else { return None };
    let [kind, from_tag, request] = &t[..] else { return None };
    if kind.as_atom()?.as_str() != "$gen_call" {
        return None;
    }
    let Term::Tuple(ft) = from_tag else { return None };
    let [Term::Pid(from), tag] = &ft[..] else { return None };
    let Term::Tuple(req) = request else { return None };
    if req.len() != 2 || req[0].as_atom()?.as_str() != "is_auth" {
        return None;
    }
    Some((*from, tag.clone()))
}
