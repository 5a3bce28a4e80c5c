//! Questions to other nodes, as Erlang asks them: `Process.alive?` and
//! `Process.info` on a pid of another node run `erlang:is_process_alive`
//! / `erlang:process_info` there through Erlang's rpc (`erpc`), and
//! `Node.ping` asks the other node's `net_kernel`. The waiting is Snow code
//! in the prelude (a middleman process, so that a late answer is dropped);
//! these are its natives.

use crate::args::{self, R};
use crate::node::node_arg;
use snow_lang::vm::{Arity, BuiltinTable, Exception, NativeCx};
use snow_runtime::dist;
use snow_runtime::inspect::inspect;
use snow_runtime::{Atom, MapObj, Pid, Term};

pub fn register(t: &mut BuiltinTable) {
    use Arity::*;
    t.native("Node", "__rpc_request", Exact(4), |c, a| {
        let node = node_arg(&a[0])?;
        let (m, f) = (args::atom(&a[1])?, args::atom(&a[2])?);
        let fargs = args::list(&a[3])?;
        Ok(Term::Ref(c.cx.rpc_request(node, m, f, fargs)))
    });
    t.native("Node", "__rpc_timeout", Exact(0), |_, _| Ok(Term::Int(rpc_timeout_ms() as i64)));
    t.native("Node", "__rpc_failed", Exact(3), rpc_failed);
    t.native("Node", "__ping_target", Exact(1), ping_target);
}

/// How long a remote question waits for its answer: twice the tick time
/// and a half second, by which a silent node has been declared down (and
/// the question answered `:noconnection`) unless its link is merely slow.
fn rpc_timeout_ms() -> u64 {
    2 * dist::net_tick().as_millis() as u64 + 500
}

/// The node to ask about `p`, or `None` when this node answers (its own
/// processes, and pids of its own earlier life, which are all gone).
pub(crate) fn remote_node(c: &NativeCx<'_, '_>, p: Pid) -> Option<Atom> {
    if p.node == 0 {
        return None;
    }
    let (node, _) = dist::nodes::node_of(p.node)?;
    (node != c.cx.runtime().node_name()).then_some(node)
}

/// `Node.__rpc_failed(node, pid, why)`: raises what a failed remote
/// question means, in words.
fn rpc_failed(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let node = a[0].as_atom().map(|n| n.as_str().to_string()).unwrap_or_else(|| inspect(&a[0]));
    let about = inspect(&a[1]);
    Err(match a[2].as_atom() {
        Some(Atom::NOCONNECTION) => {
            Exception::explained(Atom::NOCONNECTION, format!("cannot reach {node} to ask about {about}"))
        }
        Some(Atom::TIMEOUT) => Exception::explained(
            Atom::TIMEOUT,
            format!("{node} did not answer about {about} within {} ms", rpc_timeout_ms()),
        ),
        Some(Atom::BADARG) => Exception::badarg(),
        Some(Atom::UNDEF | Atom::NOTSUP) => Exception::explained(
            Atom::NOTSUP,
            format!("{node} does not answer questions about its processes (erpc)"),
        ),
        _ => Exception::tagged(Atom::new("badrpc"), a[2].clone()),
    })
}

/// `Node.__ping_target(node)`: `:pong` for this node, `:pang` when this
/// node is not distributed, else `(:net_kernel, node)` to ask.
fn ping_target(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let node = node_arg(&a[0])?;
    let rt = c.cx.runtime();
    if rt.distribution().is_none() {
        return Ok(Term::Atom(Atom::PANG));
    }
    if node == rt.node_name() {
        return Ok(Term::Atom(Atom::PONG));
    }
    Ok(Term::tuple(vec![Term::Atom(Atom::NET_KERNEL), Term::Atom(node)]))
}

/// Erlang's `process_info(Pid, Items)` answer (`[{status, waiting}, ...]`
/// or `undefined`) as `Process.info` gives it: a map, or `nil`.
pub(crate) fn info_from_erlang(t: &Term) -> Term {
    let Some(items) = t.list_to_vec() else { return Term::NIL_ATOM };
    let mut m = MapObj::new();
    for key in crate::process::INFO_KEYS {
        let found = items.iter().find_map(|it| match it {
            Term::Tuple(kv) if kv.len() == 2 && kv[0].as_atom().is_some_and(|k| k.as_str() == *key) => Some(kv[1].clone()),
            _ => None,
        });
        let value = match (*key, found) {
            // Erlang: `[{process, Pid}]` (or `{process, {Name, Node}}`).
            ("monitors", Some(v)) => Term::list(
                v.list_to_vec()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|m| match &m {
                        Term::Tuple(p) if p.len() == 2 => p[1].clone(),
                        _ => m,
                    })
                    .collect(),
            ),
            // Erlang: `[]` when the process has no name.
            ("registered_name", Some(Term::Nil) | None) => Term::NIL_ATOM,
            (_, Some(v)) => v,
            (_, None) => Term::NIL_ATOM,
        };
        m.insert(Term::Atom(Atom::new(key)), value);
    }
    Term::map(m)
}
