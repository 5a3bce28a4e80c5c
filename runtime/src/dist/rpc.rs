//! Erlang's rpc, served. `erpc:execute_call(Ref, M, F, Args)` arrives as a
//! spawn request: it is what `rpc:call` and `erpc:call` send from erl, and
//! what a Snow node sends to ask about a process of another node
//! (`Process.alive?`, `Process.info`). The new process answers with its
//! exit reason, read by the asker in the DOWN of its monitor, as erpc's own
//! process does: `{Ref, return, Value}`, or `{Ref, error, Reason, Stack}`.
//!
//! Only the BIFs that questions about processes and nodes need are here;
//! any other function is `undef`, as a module this node lacks would be.

use crate::atom::Atom;
use crate::behaviour::{from_fn, Behaviour, Slice};
use crate::cx::Cx;
use crate::runtime::ProcessInfo;
use crate::term::{Pid, Term};

/// The process that runs one call; `None` for a malformed request.
pub(crate) fn execute_call(tag: &Term, m: &Term, f: &Term, a: &Term) -> Option<Box<dyn Behaviour>> {
    let (tag, m, f, args) = (tag.clone(), m.as_atom()?, f.as_atom()?, a.list_to_vec()?);
    Some(from_fn(move |cx| Slice::Exit(answer(cx, &tag, m, f, &args))))
}

fn answer(cx: &mut Cx<'_>, tag: &Term, m: Atom, f: Atom, args: &[Term]) -> Term {
    match call(cx, m, f, args) {
        Ok(value) => Term::tuple(vec![tag.clone(), Term::Atom(Atom::RETURN), value]),
        Err(reason) => {
            let frame = Term::tuple(vec![Term::Atom(m), Term::Atom(f), Term::list(args.to_vec()), Term::Nil]);
            Term::tuple(vec![tag.clone(), Term::Atom(Atom::ERROR), Term::Atom(reason), Term::list(vec![frame])])
        }
    }
}

fn call(cx: &mut Cx<'_>, m: Atom, f: Atom, args: &[Term]) -> Result<Term, Atom> {
    let rt = cx.runtime().clone();
    if m.as_str() == "snow_trace" {
        // A trace asked for by a Snow node this one is connected to.
        let mut op = vec![Term::atom("trace"), Term::Atom(f)];
        op.extend(args.iter().cloned());
        let mut answer = crate::trace::gather::handle(&rt, &Term::tuple(op));
        return Ok(answer.pop().unwrap_or(Term::OK));
    }
    if m.as_str() != "erlang" {
        return Err(Atom::UNDEF);
    }
    match (f.as_str(), args) {
        ("is_process_alive", [Term::Pid(p)]) => Ok(Term::bool(rt.is_alive(*local(p)?))),
        ("process_info", [Term::Pid(p)]) => match cx.info(*local(p)?) {
            Some(info) => Ok(Term::list(ALL.iter().filter_map(|k| item(cx, &info, *p, k, true)).collect())),
            None => Ok(Term::Atom(Atom::UNDEFINED)),
        },
        ("process_info", [Term::Pid(p), items]) => {
            let info = cx.info(*local(p)?);
            process_info(cx, info.as_ref(), *p, items)
        }
        ("node", []) => Ok(Term::Atom(rt.node_name())),
        ("nodes", []) => Ok(Term::list(
            rt.distribution().map(|d| d.connected()).unwrap_or_default().into_iter().map(Term::Atom).collect(),
        )),
        ("is_alive", []) => Ok(Term::bool(rt.distribution().is_some())),
        ("registered", []) => Ok(Term::list(rt.registered().into_iter().map(Term::Atom).collect())),
        ("whereis", [Term::Atom(name)]) => Ok(rt.whereis(*name).map_or(Term::Atom(Atom::UNDEFINED), Term::Pid)),
        ("processes", []) => Ok(Term::list(rt.processes().into_iter().map(Term::Pid).collect())),
        ("is_process_alive" | "process_info" | "whereis", _) => Err(Atom::BADARG),
        _ => Err(Atom::UNDEF),
    }
}

/// As erl, process questions are about this node's processes only.
fn local(p: &Pid) -> Result<&Pid, Atom> {
    if p.node == 0 {
        Ok(p)
    } else {
        Err(Atom::BADARG)
    }
}

/// What `process_info/1` lists (registered_name only when there is one).
const ALL: &[&str] =
    &["registered_name", "status", "message_queue_len", "links", "monitors", "monitored_by", "trap_exit", "group_leader"];

/// `process_info(Pid, Item)` is `{Item, Value}`; with a list of items, a
/// list of those; `undefined` for a dead process.
fn process_info(cx: &Cx<'_>, info: Option<&ProcessInfo>, p: Pid, items: &Term) -> Result<Term, Atom> {
    let keys: Vec<Atom> = match items {
        Term::Atom(a) => vec![*a],
        other => other.list_to_vec().ok_or(Atom::BADARG)?.iter().map(|k| k.as_atom().ok_or(Atom::BADARG)).collect::<Result<_, _>>()?,
    };
    if keys.iter().any(|k| !ALL.contains(&k.as_str())) {
        return Err(Atom::BADARG);
    }
    let Some(info) = info else { return Ok(Term::Atom(Atom::UNDEFINED)) };
    let mut pairs: Vec<Term> = keys.iter().filter_map(|k| item(cx, info, p, k.as_str(), false)).collect();
    match items {
        Term::Atom(_) => Ok(pairs.pop().unwrap_or(Term::Nil)),
        _ => Ok(Term::list(pairs)),
    }
}

/// One `{Key, Value}` in Erlang's shapes; `None` for `registered_name`
/// without a name when `skip_unnamed` (as `process_info/1` leaves it out).
fn item(cx: &Cx<'_>, i: &ProcessInfo, p: Pid, key: &str, skip_unnamed: bool) -> Option<Term> {
    let pids = |v: &[Pid]| Term::list(v.iter().map(|p| Term::Pid(*p)).collect());
    let value = match key {
        "registered_name" => match i.registered_name {
            Some(n) => Term::Atom(n),
            None if skip_unnamed => return None,
            None => Term::Nil,
        },
        "status" => Term::Atom(i.status),
        "message_queue_len" => Term::Int(i.message_queue_len as i64),
        "links" => pids(&i.links),
        "monitors" => Term::list(
            i.monitors.iter().map(|m| Term::tuple(vec![Term::Atom(Atom::PROCESS), Term::Pid(*m)])).collect(),
        ),
        "monitored_by" => pids(&i.monitored_by),
        "trap_exit" => Term::bool(i.trap_exit),
        "group_leader" => Term::Pid(i.group_leader.or_else(|| cx.runtime().whereis(Atom::USER)).unwrap_or(p)),
        _ => return None,
    };
    Some(Term::tuple(vec![Term::atom(key), value]))
}
