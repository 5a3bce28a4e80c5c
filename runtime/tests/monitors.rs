//! Monitors: rule 8 (and the monitor half of rule 1).
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use snow_runtime::{Atom, MonitorTarget, Slice, SpawnOpts, Term};

#[test]
fn a_monitor_fires_exactly_once() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let bp = b.pid;
    let r = a.run(move |cx| cx.monitor(MonitorTarget::Pid(bp)));
    b.exit_with(atom("boom"));
    assert_eq!(a.recv(), down(r, Term::Pid(bp), atom("boom")));
    a.assert_no_msg(30);
    a.assert_alive(0);
    assert!(rt.info(a.pid).unwrap().monitors.is_empty());
    rt.shutdown();
}

#[test]
fn monitoring_a_dead_pid_gives_noproc() {
    let rt = rt();
    let dead = rt.spawn(ends_with(atom("normal")));
    rt.watch_exit(dead).recv_timeout(T).unwrap();
    let a = Puppet::spawn(&rt);
    let r = a.run(move |cx| cx.monitor(MonitorTarget::Pid(dead)));
    assert_eq!(a.recv(), down(r, Term::Pid(dead), atom("noproc")));
    rt.shutdown();
}

/// A linked process that ends while we run leaves its exit signal waiting
/// in our inbox; a monitor we make then is answered `:noproc` behind it,
/// never ahead: the exit comes first (rule 2), so a process that does not
/// trap exits dies before it could see the DOWN. (The answer once went
/// straight into the mailbox and overtook the exit signal.)
#[test]
fn the_noproc_down_comes_after_the_exit_signal_of_the_dead_process() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    a.trap();
    let (b, _) = a.child(SpawnOpts { link: true, monitor: false });
    let b_pid = b.pid;
    let (go_tx, go_rx) = crossbeam_channel::bounded::<()>(1);
    let (ref_tx, ref_rx) = crossbeam_channel::bounded(1);
    // a's slice waits, mid-run, until b has ended, then monitors it.
    a.then(move |cx| {
        go_rx.recv_timeout(T).unwrap();
        let _ = ref_tx.send(cx.monitor(MonitorTarget::Pid(b_pid)));
        Slice::Wait(None)
    });
    b.exit_with(atom("bye"));
    assert_eq!(b.reason(), atom("bye"));
    go_tx.send(()).unwrap();
    let r = ref_rx.recv_timeout(T).unwrap();
    assert_eq!(a.recv(), exit_msg(b_pid, atom("bye")));
    assert_eq!(a.recv(), down(r, Term::Pid(b_pid), atom("noproc")));
    rt.shutdown();
}

#[test]
fn monitoring_an_unregistered_name_gives_noproc_with_name_and_node() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let name = Atom::new("nobody_here");
    let r = a.run(move |cx| cx.monitor(MonitorTarget::Name(name)));
    let who = Term::tuple(vec![Term::Atom(name), Term::Atom(Atom::NONODE)]);
    assert_eq!(a.recv(), down(r, who, atom("noproc")));
    rt.shutdown();
}

#[test]
fn a_monitor_by_name_reports_name_and_node() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let name = Atom::new("mon_by_name");
    rt.register(name, b.pid).unwrap();
    let r = a.run(move |cx| cx.monitor(MonitorTarget::Name(name)));
    assert_eq!(rt.info(a.pid).unwrap().monitors, vec![b.pid]);
    b.exit_with(atom("bye"));
    let who = Term::tuple(vec![Term::Atom(name), Term::Atom(Atom::NONODE)]);
    assert_eq!(a.recv(), down(r, who, atom("bye")));
    rt.shutdown();
}

#[test]
fn many_monitors_each_fire_once() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let c = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let bp = b.pid;
    let (r1, r2) = a.run(move |cx| (cx.monitor(MonitorTarget::Pid(bp)), cx.monitor(MonitorTarget::Pid(bp))));
    let r3 = c.run(move |cx| cx.monitor(MonitorTarget::Pid(bp)));
    assert_ne!(r1, r2);
    b.run(|_| ());
    let mut by = rt.info(bp).unwrap().monitored_by;
    by.sort();
    let mut want = vec![a.pid, a.pid, c.pid];
    want.sort();
    assert_eq!(by, want);
    b.exit_with(atom("x"));
    let mut got = vec![a.recv(), a.recv()];
    got.sort();
    let mut want = vec![down(r1, Term::Pid(bp), atom("x")), down(r2, Term::Pid(bp), atom("x"))];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(c.recv(), down(r3, Term::Pid(bp), atom("x")));
    a.assert_no_msg(20);
    c.assert_no_msg(0);
    rt.shutdown();
}

#[test]
fn demonitor_stops_the_down() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let bp = b.pid;
    let r = a.run(move |cx| cx.monitor(MonitorTarget::Pid(bp)));
    assert!(a.run(move |cx| cx.demonitor(r, false)));
    assert!(!a.run(move |cx| cx.demonitor(r, false)));
    b.run(|_| ());
    assert!(rt.info(bp).unwrap().monitored_by.is_empty());
    b.exit_with(atom("x"));
    b.reason();
    a.assert_no_msg(30);
    rt.shutdown();
}

#[test]
fn demonitor_after_the_target_died_but_before_the_down_was_applied() {
    // The DOWN is in a's inbox when a demonitors: it must not arrive.
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let bp = b.pid;
    let b_exit = b.exit.clone();
    let r = a.run(move |cx| cx.monitor(MonitorTarget::Pid(bp)));
    let b = std::sync::Mutex::new(Some(b));
    let was_active = a.run(move |cx| {
        cx.blocking(|| {
            if let Some(b) = b.lock().unwrap().take() {
                b.exit_with(atom("x"));
            }
            b_exit.recv_timeout(T).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(10));
        });
        cx.demonitor(r, false)
    });
    assert!(was_active);
    a.assert_no_msg(30);
    rt.shutdown();
}

#[test]
fn demonitor_flush_removes_a_down_already_in_the_mailbox() {
    let rt = rt();
    let a = Puppet::spawn_opt(&rt, true);
    let b = Puppet::spawn(&rt);
    let bp = b.pid;
    let r = a.run(move |cx| cx.monitor(MonitorTarget::Pid(bp)));
    rt.send(a.pid, Term::Int(1));
    b.exit_with(atom("x"));
    b.reason();
    rt.send(a.pid, Term::Int(2));
    // wait until the DOWN and both messages are in a's mailbox
    while a.run(|cx| cx.mailbox().len()) < 3 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let (active, left) = a.run(move |cx| {
        let active = cx.demonitor(r, true);
        (active, cx.mailbox().iter().cloned().collect::<Vec<_>>())
    });
    assert!(!active, "the monitor had fired");
    assert_eq!(left, vec![Term::Int(1), Term::Int(2)]);
    rt.shutdown();
}

#[test]
fn spawn_monitor_of_a_process_that_ends_at_once() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    for _ in 0..50 {
        let (pid, r) = a.run(|cx| cx.spawn(ends_with(atom("quick")), SpawnOpts { link: false, monitor: true }));
        assert_eq!(a.recv(), down(r.unwrap(), Term::Pid(pid), atom("quick")));
    }
    rt.shutdown();
}

#[test]
fn a_monitor_signal_racing_the_end_gets_noproc() {
    // Monitors sent while the target is ending get exactly one DOWN each.
    let rt = rt();
    for _ in 0..100 {
        let a = Puppet::spawn(&rt);
        let b = Puppet::spawn(&rt);
        let bp = b.pid;
        b.then(|_| Slice::Exit(atom("r")));
        let r = a.run(move |cx| cx.monitor(MonitorTarget::Pid(bp)));
        let d = a.recv();
        assert!(
            d == down(r, Term::Pid(bp), atom("r")) || d == down(r, Term::Pid(bp), atom("noproc")),
            "{d:?}"
        );
        a.exit_with(atom("normal"));
        a.reason();
    }
    rt.shutdown();
}

/// A monitor of a waiting process may wait in its inbox (it is not woken
/// for it): the exit signal that later kills it comes behind the monitor,
/// so the DOWN carries the real reason, not `:noproc`.
#[test]
fn a_monitor_left_in_a_waiting_inbox_gets_the_real_reason() {
    let rt = rt();
    let target = Puppet::spawn(&rt);
    let watcher = Puppet::spawn(&rt);
    let tp = target.pid;
    let refs: Vec<_> = (0..3).map(|_| watcher.run(move |cx| cx.monitor(MonitorTarget::Pid(tp)))).collect();
    // One entry per monitor, seen while they still wait in the inbox.
    assert_eq!(rt.info(tp).unwrap().monitored_by, vec![watcher.pid; 3]);
    rt.exit(tp, atom("kill"));
    // Three DOWNs, in no promised order (as between any two monitors).
    let got: Vec<Term> = (0..3).map(|_| watcher.recv()).collect();
    for r in refs {
        assert!(got.contains(&down(r, Term::Pid(tp), atom("killed"))), "{got:?}");
    }
    rt.shutdown();
}

/// Monitors made and dropped on a sleeping process in a loop (past a bound
/// they wake it): it is left monitored by the one kept.
#[test]
fn monitors_and_demonitors_of_a_sleeping_process_settle() {
    let rt = rt();
    let target = Puppet::spawn(&rt);
    let watcher = Puppet::spawn(&rt);
    let tp = target.pid;
    watcher.run(move |cx| {
        for _ in 0..10_000 {
            let r = cx.monitor(MonitorTarget::Pid(tp));
            cx.demonitor(r, false);
        }
    });
    let kept = watcher.run(move |cx| cx.monitor(MonitorTarget::Pid(tp)));
    assert_eq!(rt.info(tp).unwrap().monitored_by, vec![watcher.pid]);
    target.exit_with(atom("done"));
    assert_eq!(watcher.recv(), down(kept, Term::Pid(tp), atom("done")));
    watcher.assert_no_msg(30);
    rt.shutdown();
}
