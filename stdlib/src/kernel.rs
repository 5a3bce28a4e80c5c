//! Unqualified built-ins: printing, processes, errors, type tests.

use crate::args::{self, R};
use snow_lang::vm::{Arity, BuiltinTable, Exception, Fiber, NativeCx};
use snow_runtime::inspect::{display, inspect};
use snow_runtime::{Atom, MonitorTarget, Pid, SpawnOpts, Term};

pub fn register(t: &mut BuiltinTable) {
    use Arity::*;
    t.native("", "println", Exact(1), println);
    t.native("", "inspect", Exact(1), |_, a| Ok(Term::str(&inspect(&a[0]))));
    t.native("", "self", Exact(0), |c, _| Ok(Term::Pid(c.cx.pid())));
    t.native("", "spawn", AtLeast(1), |c, a| spawn(c, a, SpawnOpts::default()));
    t.native("", "spawn_link", AtLeast(1), |c, a| spawn(c, a, SpawnOpts { link: true, monitor: false }));
    t.native("", "spawn_monitor", AtLeast(1), |c, a| spawn(c, a, SpawnOpts { link: false, monitor: true }));
    t.native("", "send", Exact(2), send);
    t.native("", "link", Exact(1), link);
    t.native("", "unlink", Exact(1), unlink);
    t.native("", "exit", Exact(1), |_, a| Err(Exception::exit(a[0].clone())));
    t.native("", "raise", Exact(1), |_, a| Err(Exception::error(a[0].clone())));
    // `flush()` is in the prelude (a `receive ... after 0` loop, as IEx's).
    t.native("", "__print_inspected", Exact(1), |c, a| {
        crate::io_server::put_line(c, &inspect(&a[0]));
        args::ok()
    });
    // A supervisor's or a service's report line, on stderr as crash reports.
    t.native("", "__log_report", Exact(1), |c, a| {
        let text = match &a[0] {
            Term::Str(_) => args::string(&a[0])?.to_string(),
            other => inspect(other),
        };
        snow_lang::vm::report::log_report(c.cx, &text);
        args::ok()
    });
    // How a report names the calling process: `service Counter #PID<0.3.0>`
    // (its label, then its pid).
    t.native("", "__describe_self", Exact(0), |c, _| {
        let pid = inspect(&Term::Pid(c.cx.pid()));
        Ok(Term::str(&match c.cx.label() {
            Some(label) => format!("{} {pid}", snow_runtime::inspect::describe_label(&label)),
            None => pid,
        }))
    });
    // `inspect`, cut to at most `max` characters (a report's state).
    t.native("", "__inspect_cut", Exact(2), |_, a| {
        let max = args::non_neg(&a[1])? as usize;
        let text = inspect(&a[0]);
        Ok(Term::str(&match text.char_indices().nth(max) {
            Some((at, _)) => format!("{} ...", &text[..at]),
            None => text,
        }))
    });
    t.native("", "make_ref", Exact(0), |c, _| Ok(Term::Ref(c.cx.make_ref())));
    t.native("", "pid", Exact(3), |_, a| make_pid(&a[0], &a[1], &a[2]));
    t.native("", "pid", Exact(1), pid_from_text);
    // What a pasted `#PID<0.42.0>` calls (the parser's `PID_BUILTIN`).
    t.native("", "__pid", Exact(3), |_, a| make_pid(&a[0], &a[1], &a[2]));
    t.native("", "__print_info", Exact(2), print_info);
    t.native("", "i", Exact(0), |c, _| {
        let table = crate::process_table::table(c.cx.runtime(), c.cx.pid(), "(self)");
        crate::io_server::put_line(c, &table);
        args::ok()
    });
    t.native("", "div", Exact(2), div);
    t.native("", "rem", Exact(2), rem);
    t.native("", "abs", Exact(1), abs);
    t.native("", "max", Exact(2), |_, a| Ok(if a[0].loose_cmp(&a[1]).is_lt() { a[1].clone() } else { a[0].clone() }));
    t.native("", "min", Exact(2), |_, a| Ok(if a[1].loose_cmp(&a[0]).is_lt() { a[1].clone() } else { a[0].clone() }));
    // As Elixir's: an atom's text is its name (`"ok"`); strings as they
    // are; anything else as `inspect` shows it.
    t.native("", "to_string", Exact(1), |_, a| match &a[0] {
        Term::Atom(x) => Ok(Term::str(x.as_str())),
        other => Ok(Term::str(&display(other))),
    });
    t.native("", "length", Exact(1), |_, a| Ok(Term::Int(args::list(&a[0])?.len() as i64)));
    t.native("", "hd", Exact(1), |_, a| match &a[0] {
        Term::Cons(c) => Ok(c.head.clone()),
        _ => Err(Exception::badarg()),
    });
    t.native("", "tl", Exact(1), |_, a| match &a[0] {
        Term::Cons(c) => Ok(c.tail.clone()),
        _ => Err(Exception::badarg()),
    });
    t.native("", "elem", Exact(2), |_, a| match (&a[0], &a[1]) {
        (Term::Tuple(t), Term::Int(i)) if *i >= 0 && (*i as usize) < t.len() => Ok(t[*i as usize].clone()),
        _ => Err(Exception::badarg()),
    });
    t.native("", "tuple_size", Exact(1), |_, a| match &a[0] {
        Term::Tuple(t) => Ok(Term::Int(t.len() as i64)),
        _ => Err(Exception::badarg()),
    });
    type_tests(t);
    t.native("", "__for_items", Exact(1), for_items);
}

fn type_tests(t: &mut BuiltinTable) {
    use Arity::Exact;
    t.native("", "is_integer", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Int(_)))));
    t.native("", "is_float", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Float(_)))));
    t.native("", "is_number", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Int(_) | Term::Float(_)))));
    t.native("", "is_atom", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Atom(_)))));
    t.native("", "is_string", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Str(_)))));
    t.native("", "is_list", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Nil | Term::Cons(_)))));
    t.native("", "is_tuple", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Tuple(_)))));
    t.native("", "is_map", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Map(_)))));
    t.native("", "is_pid", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Pid(_)))));
    t.native("", "is_reference", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Ref(_)))));
    t.native("", "is_function", Exact(1), |_, a| Ok(Term::bool(matches!(a[0], Term::Fun(_)))));
    t.native("", "is_function", Exact(2), |_, a| {
        let arity = args::non_neg(&a[1])?;
        Ok(Term::bool(matches!(&a[0], Term::Fun(f) if f.code.arity() as u64 == arity)))
    });
    t.native("", "is_boolean", Exact(1), |_, a| {
        Ok(Term::bool(matches!(a[0].as_atom(), Some(Atom::TRUE | Atom::FALSE))))
    });
    t.native("", "is_nil", Exact(1), |_, a| Ok(Term::bool(a[0].as_atom() == Some(Atom::NIL))));
}

fn println(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    crate::io_server::put_line(c, &display(&a[0]));
    args::ok()
}

/// `spawn(f, args...)`: a new process runs `f(args...)`.
pub fn spawn(c: &mut NativeCx<'_, '_>, a: &[Term], opts: SpawnOpts) -> R {
    let f = args::fun(&a[0])?;
    let fiber = Fiber::for_fun(f, a[1..].to_vec())?;
    let (pid, mref) = c.cx.spawn(Box::new(fiber), opts);
    Ok(match mref {
        Some(r) if opts.monitor => Term::tuple(vec![Term::Pid(pid), Term::Ref(r)]),
        _ => Term::Pid(pid),
    })
}

/// `send(dest, msg)`: dest is a pid, a registered name, or `(name, node)`.
pub fn send(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let msg = a[1].clone();
    match &a[0] {
        Term::Pid(p) => c.cx.send(*p, msg.clone()),
        Term::Tuple(t) if t.len() == 2 && is_this_node(c, &t[1]) => {
            let name = args::name(&t[0])?;
            c.cx.send_named(name, msg.clone()).map_err(|_| unregistered(name))?;
        }
        Term::Tuple(t) if t.len() == 2 => {
            let name = args::name(&t[0])?;
            let node = crate::node::node_arg(&t[1])?;
            c.cx.send_remote_named(name, node, msg.clone());
        }
        other => {
            let name = args::name(other)?;
            c.cx.send_named(name, msg.clone()).map_err(|_| unregistered(name))?;
        }
    }
    // A busy connection to another node: the message is queued and the
    // sender is suspended before its next instruction (Erlang's busy
    // distribution port).
    if c.cx.busy() {
        c.yield_now = true;
    }
    Ok(msg)
}

/// `send(name, msg)` to a name nobody has: Erlang's `badarg`, said in words.
fn unregistered(name: Atom) -> Exception {
    Exception::explained(Atom::BADARG, format!("no process is registered as {}", inspect(&Term::Atom(name))))
}

/// Whether a node given as an atom or a string names this node.
pub fn is_this_node(c: &NativeCx<'_, '_>, t: &Term) -> bool {
    let me = c.cx.runtime().node_name();
    match t {
        Term::Atom(a) => *a == me,
        Term::Str(s) => &**s == me.as_str(),
        _ => false,
    }
}

/// `link(pid)` (rule 4): a process that does not exist is `noproc`.
pub fn link(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let p = args::pid(&a[0])?;
    c.cx.link(p).map_err(|_| {
        Exception::explained(Atom::NOPROC, format!("cannot link to {}: no such process", inspect(&a[0])))
    })?;
    Ok(Term::TRUE)
}

fn unlink(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let p = args::pid(&a[0])?;
    c.cx.unlink(p);
    Ok(Term::TRUE)
}

/// `pid(node, id, serial)`: the pid that prints as `#PID<node.id.serial>`.
/// `node` is this node's number for a node (0 is this node); a pid of a
/// node never seen, or out of the ranges pids have, is `badarg`.
fn make_pid(node: &Term, id: &Term, serial: &Term) -> R {
    let part = |t: &Term| match t {
        Term::Int(i) => u32::try_from(*i).ok(),
        _ => None,
    };
    let (Some(node), Some(id), Some(serial)) = (part(node), part(id), part(serial)) else {
        return Err(Exception::explained(Atom::BADARG, "pid(node, id, serial) takes three non-negative integers"));
    };
    if node == 0 {
        return Ok(Term::Pid(Pid::local(id, serial)));
    }
    let Some((_, creation)) = snow_runtime::dist::nodes::node_of(node) else {
        return Err(Exception::explained(Atom::BADARG, format!("no node is known here as number {node} (Node.list() shows the connected ones)")));
    };
    // Erlang nodes drop a connection that carries a pid outside the ranges
    // they hand out (15-bit ids, 13-bit serials).
    if id >= 1 << 15 || serial >= 1 << 13 {
        return Err(Exception::explained(Atom::BADARG, "a pid of another node has an id below 32768 and a serial below 8192"));
    }
    Ok(Term::Pid(Pid { node, id, serial, creation }))
}

/// `pid("0.42.0")`, as IEx's `pid/1`.
fn pid_from_text(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let text = args::string(&a[0])?;
    let inner = text.trim().trim_start_matches("#PID").trim_start_matches('<').trim_end_matches('>');
    let parts: Vec<Term> = inner.split('.').map(|p| p.trim().parse::<i64>().map(Term::Int).unwrap_or(Term::Nil)).collect();
    match &parts[..] {
        [n, i, s] => make_pid(n, i, s),
        _ => Err(Exception::explained(Atom::BADARG, format!("{text:?} is not a pid: write it as \"0.42.0\""))),
    }
}

/// `i(pid)`: `Process.info` in lines a person reads.
fn print_info(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let pid = inspect(&a[0]);
    let Term::Map(m) = &a[1] else {
        let line = match &a[0] {
            Term::Pid(_) => format!("{pid} is not alive"),
            _ => format!("no process is registered as {pid}"),
        };
        crate::io_server::put_line(c, &line);
        return args::ok();
    };
    let get = |k: &str| m.get(&Term::Atom(Atom::new(k))).cloned().unwrap_or(Term::NIL_ATOM);
    let list = |t: Term| match t.list_to_vec() {
        Some(v) if v.is_empty() => "-".to_string(),
        Some(v) => v.iter().map(inspect).collect::<Vec<_>>().join(" "),
        None => inspect(&t),
    };
    let node = match &a[0] {
        Term::Pid(p) if p.node != 0 => snow_runtime::dist::nodes::node_of(p.node).map(|(n, _)| n),
        _ => Some(c.cx.runtime().node_name()),
    };
    let name = match get("registered_name") {
        Term::Atom(Atom::NIL) => "-".to_string(),
        other => inspect(&other),
    };
    let word = |t: Term| match t {
        Term::Atom(a) => a.as_str().to_string(),
        other => display(&other),
    };
    let rows = [
        ("status", word(get("status"))),
        ("registered name", name),
        ("message queue", display(&get("message_queue_len"))),
        ("links", list(get("links"))),
        ("monitors", list(get("monitors"))),
        ("monitored by", list(get("monitored_by"))),
        ("trap exit", word(get("trap_exit"))),
    ];
    let mut out = match node {
        Some(n) if n != Atom::NONODE => format!("{pid} on {}", n.as_str()),
        _ => pid,
    };
    for (k, v) in rows {
        out.push_str(&format!("\n  {:<16} {v}", format!("{k}:")));
    }
    crate::io_server::put_line(c, &out);
    args::ok()
}

fn div(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let (x, y) = (int_arith(&a[0])?, int_arith(&a[1])?);
    if y == 0 {
        return Err(Exception::badarith());
    }
    // Erlang's div truncates toward zero.
    x.checked_div(y).map(Term::Int).ok_or_else(Exception::badarith)
}

fn rem(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let (x, y) = (int_arith(&a[0])?, int_arith(&a[1])?);
    if y == 0 {
        return Err(Exception::badarith());
    }
    x.checked_rem(y).map(Term::Int).ok_or_else(Exception::badarith)
}

fn int_arith(t: &Term) -> Result<i64, Exception> {
    match t {
        Term::Int(i) => Ok(*i),
        _ => Err(Exception::badarith()),
    }
}

fn abs(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    match &a[0] {
        Term::Int(i) => i.checked_abs().map(Term::Int).ok_or_else(Exception::badarith),
        Term::Float(f) => Ok(Term::Float(f.abs())),
        _ => Err(Exception::badarith()),
    }
}

/// What `for` iterates: a list as it is, a map as its `(key, value)` pairs.
fn for_items(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    match &a[0] {
        Term::Nil | Term::Cons(_) => Ok(a[0].clone()),
        Term::Map(m) => Ok(Term::list(m.iter().map(|(k, v)| Term::tuple(vec![k.clone(), v.clone()])).collect())),
        _ => Err(Exception::badarg()),
    }
}

/// A monitor target: a pid, a name (atom or string), or `(name, node)`.
pub fn monitor_target(c: &NativeCx<'_, '_>, t: &Term) -> Result<MonitorTarget, Exception> {
    match t {
        Term::Pid(p) => Ok(MonitorTarget::Pid(*p)),
        Term::Tuple(parts) if parts.len() == 2 && is_this_node(c, &parts[1]) => {
            Ok(MonitorTarget::Name(args::name(&parts[0])?))
        }
        Term::Tuple(parts) if parts.len() == 2 => {
            Ok(MonitorTarget::Remote(args::name(&parts[0])?, crate::node::node_arg(&parts[1])?))
        }
        other => Ok(MonitorTarget::Name(args::name(other)?)),
    }
}
