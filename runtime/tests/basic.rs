//! Spawning, sending, ordering, waiting, deadlines, preemption.
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use snow_runtime::{from_fn, Atom, Runtime, Slice, Term};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn messages_arrive_in_send_order() {
    let rt = rt();
    let p = Puppet::spawn(&rt);
    for i in 0..1000 {
        rt.send(p.pid, Term::Int(i));
    }
    for i in 0..1000 {
        assert_eq!(p.recv(), Term::Int(i));
    }
    rt.shutdown();
}

#[test]
fn a_sender_signals_of_all_kinds_arrive_in_order() {
    let rt = rt();
    let b = Puppet::spawn(&rt);
    b.trap();
    let a = Puppet::spawn(&rt);
    let bp = b.pid;
    let r = a.run(move |cx| {
        cx.send(bp, Term::Int(1));
        cx.exit(bp, atom("e1"));
        cx.send(bp, Term::Int(2));
        cx.link(bp).unwrap();
        cx.send(bp, Term::Int(3));
        cx.exit(bp, atom("normal"));
        cx.send(bp, Term::Int(4));
        cx.monitor(snow_runtime::MonitorTarget::Pid(bp))
    });
    let ap = a.pid;
    assert_eq!(b.recv(), Term::Int(1));
    assert_eq!(b.recv(), exit_msg(ap, atom("e1")));
    assert_eq!(b.recv(), Term::Int(2));
    assert_eq!(b.recv(), Term::Int(3));
    assert_eq!(b.recv(), exit_msg(ap, atom("normal")));
    assert_eq!(b.recv(), Term::Int(4));
    // a's last message comes before the exit its end causes
    a.then(move |cx| {
        cx.send(bp, Term::Int(5));
        Slice::Exit(atom("bye"))
    });
    assert_eq!(b.recv(), Term::Int(5));
    assert_eq!(b.recv(), exit_msg(ap, atom("bye")));
    let _ = r;
    rt.shutdown();
}

/// A process keeps the last local process it sent to, so that sending
/// there again skips the process table. Once that one has ended, a message
/// to it is dropped as to any dead pid, and a send elsewhere finds its
/// destination afresh; order per destination holds throughout.
#[test]
fn a_sender_that_keeps_its_last_destination_sees_it_end() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let c = Puppet::spawn(&rt);
    let (bp, cp) = (b.pid, c.pid);
    a.run(move |cx| {
        cx.send(bp, Term::Int(1));
        cx.send(bp, Term::Int(2));
    });
    rt.send(bp, Term::Int(3)); // from outside any process: through the table
    a.run(move |cx| cx.send(bp, Term::Int(4)));
    for i in 1..=4 {
        assert_eq!(b.recv(), Term::Int(i));
    }
    b.exit_with(atom("bye"));
    assert_eq!(b.reason(), atom("bye"));
    wait_until(|| !rt.is_alive(bp));
    a.run(move |cx| {
        cx.send(bp, Term::Int(5));
        cx.send(cp, Term::Int(6));
        cx.send(bp, Term::Int(7));
        cx.send(cp, Term::Int(8));
    });
    assert_eq!(c.recv(), Term::Int(6));
    assert_eq!(c.recv(), Term::Int(8));
    b.assert_no_msg(50);
    a.assert_alive(10);
    rt.shutdown();
}

#[test]
fn a_waiting_process_is_not_run_without_a_message() {
    let rt = rt();
    let p = Puppet::spawn(&rt);
    let q = Puppet::spawn(&rt);
    wait_until(|| p.runs.load(Ordering::SeqCst) == 1);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(p.runs.load(Ordering::SeqCst), 1);
    // links and monitors change its tables but do not run its behaviour
    let pp = p.pid;
    q.run(move |cx| {
        cx.link(pp).unwrap();
        cx.monitor(snow_runtime::MonitorTarget::Pid(pp));
    });
    wait_until(|| rt.info(p.pid).unwrap().links == vec![q.pid]);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(p.runs.load(Ordering::SeqCst), 1);
    assert_eq!(rt.info(p.pid).unwrap().status, Atom::WAITING);
    assert_eq!(rt.info(p.pid).unwrap().monitored_by, vec![q.pid]);
    rt.send(p.pid, Term::Int(1));
    assert_eq!(p.recv(), Term::Int(1));
    assert_eq!(p.runs.load(Ordering::SeqCst), 2);
    rt.shutdown();
}

#[test]
fn a_deadline_wakes_a_waiting_process() {
    let rt = rt();
    let start = Instant::now();
    let deadline = start + Duration::from_millis(60);
    let runs = Arc::new(AtomicUsize::new(0));
    let r2 = runs.clone();
    let pid = rt.spawn(from_fn(move |_| {
        r2.fetch_add(1, Ordering::SeqCst);
        if Instant::now() >= deadline {
            Slice::Exit(atom("timeout"))
        } else {
            Slice::Wait(Some(deadline))
        }
    }));
    let exit = rt.watch_exit(pid);
    assert_eq!(exit.recv_timeout(T).unwrap(), atom("timeout"));
    assert!(start.elapsed() >= Duration::from_millis(60));
    assert_eq!(runs.load(Ordering::SeqCst), 2, "run once, then once at the deadline");
    rt.shutdown();
}

#[test]
fn a_message_before_the_deadline_and_a_stale_timer() {
    // receive ... after 200: a message at ~20 ms; then a fresh wait with no
    // deadline must not be woken by the old timer.
    let rt = rt();
    let deadline = Instant::now() + Duration::from_millis(200);
    let runs = Arc::new(AtomicUsize::new(0));
    let r2 = runs.clone();
    let pid = rt.spawn(from_fn(move |cx| {
        r2.fetch_add(1, Ordering::SeqCst);
        if cx.mailbox().remove(0).is_some() {
            return Slice::Wait(None);
        }
        Slice::Wait(Some(deadline))
    }));
    std::thread::sleep(Duration::from_millis(20));
    rt.send(pid, Term::Int(1));
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    rt.shutdown();
}

#[test]
fn an_endless_loop_does_not_stop_other_processes() {
    // Two workers, two processes that never wait: the rest still runs.
    let rt = Runtime::with_schedulers(2);
    let stop = Arc::new(AtomicBool::new(false));
    for _ in 0..2 {
        let stop = stop.clone();
        rt.spawn(from_fn(move |_| {
            if stop.load(Ordering::Relaxed) {
                return Slice::Exit(atom("normal"));
            }
            let t = Instant::now();
            while t.elapsed() < Duration::from_millis(1) {}
            Slice::Yield
        }));
    }
    std::thread::sleep(Duration::from_millis(20));
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let bp = b.pid;
    for i in 0..20 {
        a.run(move |cx| cx.send(bp, Term::Int(i)));
        assert_eq!(b.recv(), Term::Int(i));
    }
    // a timer still fires
    let t = rt.send_after(snow_runtime::TimerDest::Pid(b.pid), atom("tick"), 10);
    assert_eq!(b.recv(), atom("tick"));
    assert_eq!(rt.cancel_timer(t), None);
    stop.store(true, Ordering::Relaxed);
    rt.shutdown();
}

#[test]
fn a_panicking_behaviour_ends_its_process_only() {
    let rt = rt();
    let pid = rt.spawn(from_fn(|_| panic!("boom")));
    let reason = rt.watch_exit(pid).recv_timeout(T).unwrap();
    assert_eq!(reason, Term::tuple(vec![atom("error"), Term::str("panic: boom")]));
    let p = Puppet::spawn(&rt);
    rt.send(p.pid, Term::Int(7));
    assert_eq!(p.recv(), Term::Int(7));
    rt.shutdown();
}

#[test]
fn wake_runs_the_behaviour_once() {
    let rt = rt();
    let p = Puppet::spawn(&rt);
    wait_until(|| p.runs.load(Ordering::SeqCst) == 1);
    rt.wake(p.pid);
    wait_until(|| p.runs.load(Ordering::SeqCst) == 2);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(p.runs.load(Ordering::SeqCst), 2);
    rt.shutdown();
}

#[test]
fn watch_exit_of_a_dead_pid_says_noproc() {
    let rt = rt();
    let p = Puppet::spawn(&rt);
    let pid = p.pid;
    let w = rt.watch_exit(pid);
    p.exit_with(atom("normal"));
    assert_eq!(w.recv_timeout(T).unwrap(), atom("normal"));
    assert_eq!(p.reason(), atom("normal"));
    assert_eq!(rt.watch_exit(pid).recv_timeout(T).unwrap(), atom("noproc"));
    assert!(!rt.is_alive(pid));
    rt.shutdown();
}
