//! Names (rule 9), info and timers (rule 11), the observer, remote pids.
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use snow_runtime::{
    Atom, MonitorTarget, Pid, SignalError, SignalEvent, SignalKind, Slice, SpawnOpts, Term, TimerDest,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn register_whereis_unregister() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let (n1, n2) = (Atom::new("reg_one"), Atom::new("reg_two"));
    let ap = a.pid;
    assert_eq!(a.run(move |cx| cx.register(n1, ap)), Ok(()));
    assert_eq!(rt.whereis(n1), Some(a.pid));
    assert_eq!(rt.register(n1, b.pid), Err(SignalError::Badarg), "name taken");
    assert_eq!(rt.register(n2, a.pid), Err(SignalError::Badarg), "pid has a name");
    assert_eq!(rt.registered(), vec![n1]);
    assert_eq!(rt.info(a.pid).unwrap().registered_name, Some(n1));
    assert_eq!(a.run(move |cx| cx.send_named(n1, Term::Int(5))), Ok(()));
    assert_eq!(a.recv(), Term::Int(5));
    assert_eq!(a.run(move |cx| cx.send_named(n2, Term::Int(5))), Err(SignalError::Badarg));
    assert_eq!(a.run(move |cx| cx.unregister(n1)), Ok(()));
    assert_eq!(a.run(move |cx| cx.unregister(n1)), Err(SignalError::Badarg));
    assert_eq!(rt.whereis(n1), None);
    let dead = rt.spawn(ends_with(atom("normal")));
    rt.watch_exit(dead).recv_timeout(T).unwrap();
    assert_eq!(rt.register(n2, dead), Err(SignalError::Badarg), "dead pid");
    rt.shutdown();
}

#[test]
fn a_name_is_released_the_moment_its_process_ends() {
    let rt = rt();
    let name = Atom::new("released_name");
    for _ in 0..20 {
        let a = Puppet::spawn(&rt);
        rt.register(name, a.pid).unwrap();
        a.exit_with(atom("normal"));
        a.reason();
        assert_eq!(rt.whereis(name), None);
    }
    rt.shutdown();
}

#[test]
fn send_after_and_cancel_timer() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let name = Atom::new("timer_target");
    let start = Instant::now();
    let r1 = a.run(|cx| cx.send_after(TimerDest::Pid(cx.pid()), atom("one"), 30));
    assert_eq!(a.recv(), atom("one"));
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert_eq!(rt.cancel_timer(r1), None, "already fired");
    // by name, resolved when it fires
    let r2 = rt.send_after(TimerDest::Name(name), atom("two"), 30);
    rt.register(name, a.pid).unwrap();
    assert_eq!(a.recv(), atom("two"));
    let _ = r2;
    // cancelled: the time left, then None; the message never comes
    let r3 = a.run(|cx| cx.send_after(TimerDest::Pid(cx.pid()), atom("three"), 1000));
    let left = a.run(move |cx| cx.cancel_timer(r3)).unwrap();
    assert!(left > 900 && left <= 1000, "{left}");
    assert_eq!(rt.cancel_timer(r3), None);
    // an ordinary ref is no timer
    assert_eq!(rt.cancel_timer(rt.make_ref()), None);
    a.assert_no_msg(50);
    rt.shutdown();
}

#[test]
fn timers_fire_in_deadline_order() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    for ms in [60u64, 20, 40, 0] {
        rt.send_after(TimerDest::Pid(a.pid), Term::Int(ms as i64), ms);
    }
    let got: Vec<Term> = (0..4).map(|_| a.recv()).collect();
    assert_eq!(got, vec![Term::Int(0), Term::Int(20), Term::Int(40), Term::Int(60)]);
    rt.shutdown();
}

#[test]
fn info_fields() {
    let rt = rt();
    let a = Puppet::spawn_opt(&rt, true);
    let (b, r) = a.child(SpawnOpts { link: true, monitor: true });
    let _ = r;
    a.trap();
    rt.send(a.pid, Term::Int(1));
    rt.send(a.pid, Term::Int(2));
    let name = Atom::new("info_name");
    rt.register(name, a.pid).unwrap();
    wait_until(|| {
        let i = rt.info(a.pid).unwrap();
        i.status == Atom::WAITING && i.message_queue_len == 2
    });
    let info = rt.info(a.pid).unwrap();
    assert_eq!(info.status, Atom::WAITING);
    assert_eq!(info.message_queue_len, 2);
    assert_eq!(info.links, vec![b.pid]);
    assert_eq!(info.monitors, vec![b.pid]);
    assert!(info.monitored_by.is_empty());
    assert!(info.trap_exit);
    assert_eq!(info.registered_name, Some(name));
    let binfo = rt.info(b.pid).unwrap();
    assert_eq!(binfo.links, vec![a.pid]);
    assert_eq!(binfo.monitored_by, vec![a.pid]);
    assert!(!binfo.trap_exit);
    // about itself, from inside
    let own = a.run(|cx| cx.info(cx.pid()).unwrap());
    assert_eq!(own.status, Atom::RUNNING);
    assert_eq!(own.links, vec![b.pid]);
    // the process list
    let mut all = vec![a.pid, b.pid];
    all.sort();
    assert_eq!(rt.processes(), all);
    assert_eq!(rt.process_count(), 2);
    b.exit_with(atom("normal"));
    b.reason();
    assert_eq!(rt.info(b.pid), None);
    assert_eq!(rt.processes(), vec![a.pid]);
    assert!(!rt.is_alive(b.pid));
    assert!(rt.is_alive(a.pid));
    rt.shutdown();
}

#[test]
fn refs_are_unique() {
    let rt = rt();
    let mut refs: Vec<_> = (0..1000).map(|_| rt.make_ref()).collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 1000);
    rt.shutdown();
}

#[test]
fn the_observer_sees_every_signal() {
    let rt = rt();
    type Seen = Vec<(Option<Pid>, Pid, SignalKind, Term)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let s2 = seen.clone();
    rt.set_observer(Some(Arc::new(move |e: &SignalEvent| {
        s2.lock().unwrap().push((e.from, e.to, e.kind, e.payload.clone()));
    })));
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let bp = b.pid;
    a.run(move |cx| {
        cx.send(bp, Term::Int(1));
        cx.link(bp).unwrap();
    });
    rt.set_observer(None);
    a.run(move |cx| cx.send(bp, Term::Int(2)));
    let seen = seen.lock().unwrap();
    let ours: Vec<_> = seen.iter().filter(|e| e.0 == Some(a.pid)).cloned().collect();
    assert_eq!(
        ours,
        vec![
            (Some(a.pid), b.pid, SignalKind::Message, Term::Int(1)),
            (Some(a.pid), b.pid, SignalKind::Link, Term::NIL_ATOM),
        ]
    );
    assert!(seen.iter().any(|e| e.0.is_none() && e.2 == SignalKind::Wake));
    rt.shutdown();
}

#[test]
fn remote_pids_without_a_router_are_dead() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let remote = Pid { node: 3, id: 1, serial: 0, creation: 1 };
    assert_eq!(a.run(move |cx| cx.link(remote)), Err(SignalError::NoProc));
    let r = a.run(move |cx| {
        cx.send(remote, Term::Int(1));
        cx.monitor(MonitorTarget::Pid(remote))
    });
    assert_eq!(a.recv(), down(r, Term::Pid(remote), atom("noproc")));
    assert!(!rt.is_alive(remote));
    assert_eq!(rt.info(remote), None);
    assert_eq!(rt.watch_exit(remote).recv_timeout(T).unwrap(), atom("noproc"));
    let _ = Slice::Yield;
    rt.shutdown();
}

/// `info` is ordered after the signals its caller sent before (rule 2), as
/// Erlang's `process_info` is: a link or monitor just made, or just
/// removed, shows at once, even while the target has not yet applied it.
#[test]
fn info_sees_the_callers_earlier_signals() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    for _ in 0..50 {
        let b = Puppet::spawn(&rt);
        let (ap, bp) = (a.pid, b.pid);
        let (links, by, mons) = a.run(move |cx| {
            cx.link(bp).unwrap();
            let r = cx.monitor(MonitorTarget::Pid(bp));
            let i = cx.info(bp).unwrap();
            cx.unlink(bp);
            cx.demonitor(r, false);
            let j = cx.info(bp).unwrap();
            ((i.links, j.links), (i.monitored_by, j.monitored_by), cx.info(ap).unwrap().monitors)
        });
        assert_eq!(links, (vec![ap], vec![]));
        assert_eq!(by, (vec![ap], vec![]));
        assert!(mons.is_empty());
        b.exit_with(atom("normal"));
        b.reason();
    }
    rt.shutdown();
}
