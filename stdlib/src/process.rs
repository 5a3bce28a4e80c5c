//! `Process`: links, monitors, exits, names, timers and introspection
//! (processes.md rules 1–11), bound to the runtime's process context.

use crate::args::{self, R};
use crate::kernel::monitor_target;
use snow_lang::vm::{Arity, BuiltinTable, Exception, NativeCx};
use snow_runtime::inspect::inspect;
use snow_runtime::{Atom, MapObj, Pid, ProcessInfo, Term, TimerDest};

pub fn register(t: &mut BuiltinTable) {
    use Arity::*;
    t.native("Process", "exit", Exact(2), exit);
    t.native("Process", "flag", Exact(2), flag);
    t.native("Process", "set_label", Exact(1), |c, a| {
        c.cx.set_label(a[0].clone());
        args::ok()
    });
    t.native("Process", "monitor", Exact(1), |c, a| {
        let target = monitor_target(c, &a[0])?;
        Ok(Term::Ref(c.cx.monitor(target)))
    });
    t.native("Process", "demonitor", Exact(1), |c, a| {
        let r = args::reference(&a[0])?;
        c.cx.demonitor(r, false);
        Ok(Term::TRUE)
    });
    t.native("Process", "demonitor", Exact(2), demonitor2);
    t.native("Process", "register", Exact(2), |c, a| {
        let pid = args::pid(&a[0])?;
        let name = args::name(&a[1])?;
        c.cx.register(name, pid).map_err(|_| Exception::badarg())?;
        Ok(Term::TRUE)
    });
    t.native("Process", "unregister", Exact(1), |c, a| {
        let name = args::name(&a[0])?;
        c.cx.unregister(name).map_err(|_| Exception::badarg())?;
        Ok(Term::TRUE)
    });
    t.native("Process", "whereis", Exact(1), |c, a| {
        let name = args::name(&a[0])?;
        Ok(c.cx.runtime().whereis(name).map(Term::Pid).unwrap_or(Term::NIL_ATOM))
    });
    t.native("Process", "registered", Exact(0), |c, _| {
        let mut names = c.cx.runtime().registered();
        names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        Ok(Term::list(names.into_iter().map(Term::Atom).collect()))
    });
    // `Process.alive?` and `Process.info` are in the prelude: a pid of
    // another node is asked about there (Erlang's rpc); these answer here.
    t.native("Process", "__where", Exact(1), |c, a| {
        let p = args::pid(&a[0])?;
        Ok(crate::rpc::remote_node(c, p).map(Term::Atom).unwrap_or(Term::NIL_ATOM))
    });
    t.native("Process", "__alive_here?", Exact(1), |c, a| {
        let p = args::pid(&a[0])?;
        Ok(Term::bool(c.cx.runtime().is_alive(p)))
    });
    t.native("Process", "__info_here", Exact(1), |c, a| {
        let p = args::pid(&a[0])?;
        Ok(c.cx.info(p).map(|i| info_map(&i)).unwrap_or(Term::NIL_ATOM))
    });
    t.native("Process", "__info_key", Exact(2), |_, a| {
        // As Elixir's Process.info/2: `(key, value)`, or nil for a dead pid.
        let key = args::atom(&a[1])?;
        let Term::Map(m) = &a[0] else { return Ok(Term::NIL_ATOM) };
        let value = m.get(&Term::Atom(key)).cloned().ok_or_else(|| {
            Exception::explained(Atom::BADARG, format!("Process.info has no key {}: the keys are {}", inspect(&Term::Atom(key)), info_keys()))
        })?;
        Ok(Term::tuple(vec![Term::Atom(key), value]))
    });
    t.native("Process", "__info_from_erlang", Exact(1), |_, a| Ok(crate::rpc::info_from_erlang(&a[0])));
    t.native("Process", "list", Exact(0), |c, _| {
        Ok(Term::list(c.cx.runtime().processes().into_iter().map(Term::Pid).collect()))
    });
    t.native("Process", "send_after", Exact(3), send_after);
    t.native("Process", "cancel_timer", Exact(1), |c, a| {
        let r = args::reference(&a[0])?;
        Ok(match c.cx.cancel_timer(r) {
            Some(ms) => Term::Int(ms as i64),
            None => Term::FALSE,
        })
    });
    t.native("Process", "on_exit", Exact(1), |c, a| {
        let f = args::fun(&a[0])?;
        // Checked now: a callback that cannot take the reason would fail
        // unseen, as the process ends.
        snow_lang::vm::callable_with(f, 1)?;
        c.on_exit.push(f.clone());
        args::ok()
    });
    t.native("Process", "link", Exact(1), crate::kernel::link);
    t.native("Process", "unlink", Exact(1), |c, a| {
        let p = args::pid(&a[0])?;
        c.cx.unlink(p);
        Ok(Term::TRUE)
    });
    t.native("Process", "self", Exact(0), |c, _| Ok(Term::Pid(c.cx.pid())));
    t.native("Process", "send", Exact(2), crate::kernel::send);
    t.native("Process", "spawn", AtLeast(1), |c, a| crate::kernel::spawn(c, a, Default::default()));
}

/// `Process.exit(pid, reason)`: an exit signal from the caller (rule 6).
fn exit(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let target = args::pid(&a[0])?;
    c.cx.exit(target, a[1].clone());
    if target == c.cx.pid() {
        // The signal must take effect before this process runs on.
        c.yield_now = true;
    }
    Ok(Term::TRUE)
}

fn flag(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    match args::atom(&a[0])? {
        Atom::TRAP_EXIT => {
            let on = args::boolean(&a[1])?;
            Ok(Term::bool(c.cx.set_trap_exit(on)))
        }
        _ => Err(Exception::badarg()),
    }
}

/// `Process.demonitor(ref, :flush)` (also `[:flush]`, as Erlang's option list).
fn demonitor2(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let r = args::reference(&a[0])?;
    let flush = match &a[1] {
        Term::Atom(Atom::FLUSH) => true,
        Term::Nil => false,
        Term::Cons(_) => {
            let opts = args::list(&a[1])?;
            if opts.iter().any(|o| o.as_atom() != Some(Atom::FLUSH)) {
                return Err(Exception::badarg());
            }
            !opts.is_empty()
        }
        _ => return Err(Exception::badarg()),
    };
    c.cx.demonitor(r, flush);
    Ok(Term::TRUE)
}

fn send_after(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let dest = match &a[0] {
        Term::Pid(p) => TimerDest::Pid(*p),
        other => TimerDest::Name(args::name(other)?),
    };
    let ms = args::non_neg(&a[2])?;
    Ok(Term::Ref(c.cx.send_after(dest, a[1].clone(), ms)))
}

fn pids(v: &[Pid]) -> Term {
    Term::list(v.iter().map(|p| Term::Pid(*p)).collect())
}

/// The keys `Process.info` gives, for error messages.
fn info_keys() -> String {
    INFO_KEYS.iter().map(|k| format!(":{k}")).collect::<Vec<_>>().join(", ")
}

pub(crate) const INFO_KEYS: &[&str] =
    &["status", "message_queue_len", "links", "monitors", "monitored_by", "trap_exit", "registered_name"];

pub(crate) fn info_map(i: &ProcessInfo) -> Term {
    let mut m = MapObj::new();
    m.insert(Term::Atom(Atom::STATUS), Term::Atom(i.status));
    m.insert(Term::Atom(Atom::MESSAGE_QUEUE_LEN), Term::Int(i.message_queue_len as i64));
    m.insert(Term::Atom(Atom::LINKS), pids(&i.links));
    m.insert(Term::Atom(Atom::MONITORS), pids(&i.monitors));
    m.insert(Term::Atom(Atom::MONITORED_BY), pids(&i.monitored_by));
    m.insert(Term::Atom(Atom::TRAP_EXIT), Term::bool(i.trap_exit));
    m.insert(Term::Atom(Atom::REGISTERED_NAME), i.registered_name.map(Term::Atom).unwrap_or(Term::NIL_ATOM));
    Term::map(m)
}
