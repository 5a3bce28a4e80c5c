//! Links and exit signals: rules 1, 4, 5, 6, 7 and 10.
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use snow_runtime::{Atom, Behaviour, Cx, Pid, Runtime, SignalError, Slice, SpawnOpts, Term};

fn linked_pair(rt: &snow_runtime::Runtime) -> (Puppet, Puppet) {
    let a = Puppet::spawn(rt);
    let (b, _) = a.child(SpawnOpts { link: true, monitor: false });
    (a, b)
}

#[test]
fn normal_exit_does_not_kill_a_linked_process() {
    let rt = rt();
    let (a, b) = linked_pair(&rt);
    b.exit_with(atom("normal"));
    assert_eq!(b.reason(), atom("normal"));
    a.assert_alive(30);
    assert!(rt.info(a.pid).unwrap().links.is_empty());
    rt.shutdown();
}

#[test]
fn normal_exit_reaches_a_trapping_linked_process_as_a_message() {
    let rt = rt();
    let (a, b) = linked_pair(&rt);
    a.trap();
    b.exit_with(atom("normal"));
    assert_eq!(a.recv(), exit_msg(b.pid, atom("normal")));
    rt.shutdown();
}

#[test]
fn abnormal_exit_propagates_through_a_chain_of_links() {
    let rt = rt();
    let (a, b) = linked_pair(&rt);
    let (c, _) = b.child(SpawnOpts { link: true, monitor: false });
    c.exit_with(atom("boom"));
    assert_eq!(c.reason(), atom("boom"));
    assert_eq!(b.reason(), atom("boom"));
    assert_eq!(a.reason(), atom("boom"));
    rt.shutdown();
}

#[test]
fn abnormal_exit_reaches_a_trapping_process_as_a_message() {
    let rt = rt();
    let (a, b) = linked_pair(&rt);
    a.trap();
    b.exit_with(atom("boom"));
    assert_eq!(a.recv(), exit_msg(b.pid, atom("boom")));
    a.assert_alive(20);
    rt.shutdown();
}

#[test]
fn kill_is_untrappable_and_links_see_killed() {
    let rt = rt();
    let (a, b) = linked_pair(&rt);
    a.trap();
    b.trap();
    let bp = b.pid;
    a.run(move |cx| cx.exit(bp, atom("kill")));
    assert_eq!(b.reason(), atom("killed"));
    assert_eq!(a.recv(), exit_msg(b.pid, atom("killed")));
    rt.shutdown();
}

#[test]
fn exiting_with_kill_oneself_is_an_ordinary_reason_for_links() {
    let rt = rt();
    let (a, b) = linked_pair(&rt);
    let (c, _) = a.child(SpawnOpts { link: true, monitor: false });
    a.trap();
    b.exit_with(atom("kill"));
    assert_eq!(a.recv(), exit_msg(b.pid, atom("kill")));
    // a non-trapping link dies with :kill (not :killed)
    a.run(|cx| cx.set_trap_exit(false));
    let cp = c.pid;
    c.run(|cx| cx.set_trap_exit(false));
    a.exit_with(atom("kill"));
    assert_eq!(a.reason(), atom("kill"));
    assert_eq!(c.reason(), atom("kill"));
    let _ = cp;
    rt.shutdown();
}

#[test]
fn process_exit_normal_to_another_is_ignored_unless_trapping() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let bp = b.pid;
    a.run(move |cx| cx.exit(bp, atom("normal")));
    b.assert_alive(30);
    b.trap();
    a.run(move |cx| cx.exit(bp, atom("normal")));
    assert_eq!(b.recv(), exit_msg(a.pid, atom("normal")));
    rt.shutdown();
}

#[test]
fn process_exit_normal_to_oneself_ends_the_caller() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    a.then(|cx| {
        let me = cx.pid();
        cx.exit(me, atom("normal"));
        Slice::Yield
    });
    assert_eq!(a.reason(), atom("normal"));
    // trapping: a message from oneself
    let b = Puppet::spawn(&rt);
    b.trap();
    let bp = b.pid;
    b.run(move |cx| cx.exit(bp, atom("normal")));
    assert_eq!(b.recv(), exit_msg(bp, atom("normal")));
    rt.shutdown();
}

#[test]
fn process_exit_other_reason() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let c = Puppet::spawn(&rt);
    c.trap();
    let (bp, cp) = (b.pid, c.pid);
    a.run(move |cx| {
        cx.exit(bp, atom("shutdown"));
        cx.exit(cp, atom("shutdown"));
    });
    assert_eq!(b.reason(), atom("shutdown"));
    assert_eq!(c.recv(), exit_msg(a.pid, atom("shutdown")));
    a.assert_alive(10);
    // from outside
    rt.exit(cp, atom("kill"));
    assert_eq!(c.reason(), atom("killed"));
    rt.shutdown();
}

#[test]
fn link_to_a_dead_pid() {
    let rt = rt();
    let dead = rt.spawn(ends_with(atom("normal")));
    rt.watch_exit(dead).recv_timeout(T).unwrap();
    let a = Puppet::spawn(&rt);
    assert_eq!(a.run(move |cx| cx.link(dead)), Err(SignalError::NoProc));
    a.trap();
    assert_eq!(a.run(move |cx| cx.link(dead)), Ok(()));
    assert_eq!(a.recv(), exit_msg(dead, atom("noproc")));
    assert!(rt.info(a.pid).unwrap().links.is_empty());
    // linking oneself is a no-op
    let ap = a.pid;
    assert_eq!(a.run(move |cx| cx.link(ap)), Ok(()));
    assert!(rt.info(a.pid).unwrap().links.is_empty());
    rt.shutdown();
}

#[test]
fn links_are_bidirectional_and_idempotent() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let b = Puppet::spawn(&rt);
    let bp = b.pid;
    a.run(move |cx| {
        cx.link(bp).unwrap();
        cx.link(bp).unwrap();
    });
    b.run(|_| ()); // b has applied the links
    assert_eq!(rt.info(a.pid).unwrap().links, vec![b.pid]);
    assert_eq!(rt.info(b.pid).unwrap().links, vec![a.pid]);
    a.run(move |cx| cx.unlink(bp));
    b.run(|_| ());
    assert!(rt.info(a.pid).unwrap().links.is_empty());
    assert!(rt.info(b.pid).unwrap().links.is_empty());
    rt.shutdown();
}

#[test]
fn after_unlink_no_exit_from_that_link_is_delivered() {
    let rt = rt();
    let (a, b) = linked_pair(&rt);
    let bp = b.pid;
    let b_exit = b.exit.clone();
    // In one slice of a: b dies (its exit signal lands in a's inbox), then a
    // unlinks. The exit, applied after, must be dropped.
    let b_cmd = std::sync::Mutex::new(Some(b));
    a.run(move |cx| {
        cx.blocking(|| {
            if let Some(b) = b_cmd.lock().unwrap().take() {
                b.exit_with(atom("boom"));
            }
            assert_eq!(b_exit.recv_timeout(T).unwrap(), atom("boom"));
            std::thread::sleep(std::time::Duration::from_millis(10));
        });
        cx.unlink(bp);
    });
    a.assert_alive(30);
    rt.shutdown();
}

#[test]
fn trap_exit_returns_the_previous_value() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    assert!(!a.run(|cx| cx.set_trap_exit(true)));
    assert!(a.run(|cx| cx.set_trap_exit(true)));
    assert!(a.run(|cx| cx.set_trap_exit(false)));
    assert!(!a.run(|cx| cx.trap_exit()));
    rt.shutdown();
}

#[test]
fn spawn_link_is_atomic() {
    // The child ends before it could have linked by itself.
    let rt = rt();
    let a = Puppet::spawn(&rt);
    a.trap();
    for _ in 0..50 {
        let child = a.run(|cx| cx.spawn(ends_with(atom("boom")), SpawnOpts { link: true, monitor: false }).0);
        assert_eq!(a.recv(), exit_msg(child, atom("boom")));
    }
    // and a non-trapping parent dies with it
    let b = Puppet::spawn(&rt);
    b.run(|cx| cx.spawn(ends_with(atom("boom")), SpawnOpts { link: true, monitor: false }));
    assert_eq!(b.reason(), atom("boom"));
    rt.shutdown();
}

/// Behaviour with last words: on begin_exit it sends `last` to `to`.
/// With `wait_for_go`, the last words wait for a message first.
struct LastWords {
    to: snow_runtime::Pid,
    dying: Option<Term>,
    wait_for_go: bool,
}
impl Behaviour for LastWords {
    fn run(&mut self, cx: &mut Cx<'_>) -> Slice {
        if self.dying.is_some() && self.wait_for_go && cx.mailbox().remove(0).is_none() {
            return Slice::Wait(None);
        }
        match self.dying.take() {
            Some(reason) => {
                cx.send(self.to, Term::tuple(vec![atom("last"), reason]));
                Slice::Exit(atom("ignored"))
            }
            None => Slice::Wait(None),
        }
    }
    fn begin_exit(&mut self, reason: &Term, _from: snow_runtime::Pid) -> bool {
        self.dying = Some(reason.clone());
        true
    }
}

#[test]
fn last_words_run_before_links_and_monitors_fire() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let ap = a.pid;
    let (child, r) = a.run(move |cx| {
        cx.spawn(Box::new(LastWords { to: ap, dying: None, wait_for_go: false }), SpawnOpts { link: false, monitor: true })
    });
    rt.exit(child, atom("shutdown"));
    assert_eq!(a.recv(), Term::tuple(vec![atom("last"), atom("shutdown")]));
    assert_eq!(a.recv(), down(r.unwrap(), Term::Pid(child), atom("shutdown")));
    rt.shutdown();
}

/// `:kill` cannot be trapped or delayed: no last words at all (rule 6).
#[test]
fn a_kill_has_no_last_words() {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let ap = a.pid;
    let (child, r) = a.run(move |cx| {
        cx.spawn(Box::new(LastWords { to: ap, dying: None, wait_for_go: false }), SpawnOpts { link: false, monitor: true })
    });
    rt.exit(child, atom("kill"));
    assert_eq!(a.recv(), down(r.unwrap(), Term::Pid(child), atom("killed")));
    rt.shutdown();
}

/// A process ended by `:shutdown` whose last words wait for `:go`.
fn stuck_in_last_words() -> (Runtime, Puppet, Pid, crossbeam_channel::Receiver<Term>) {
    let rt = rt();
    let a = Puppet::spawn(&rt);
    let pid = rt.spawn(Box::new(LastWords { to: a.pid, dying: None, wait_for_go: true }));
    let exit = rt.watch_exit(pid);
    rt.exit(pid, atom("shutdown"));
    wait_until(|| rt.info(pid).unwrap().status == Atom::EXITING);
    (rt, a, pid, exit)
}

#[test]
fn exiting_status_is_reported_with_no_exit_signals_during_last_words() {
    let (rt, a, pid, exit) = stuck_in_last_words();
    rt.exit(pid, atom("other")); // ignored: already exiting
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(rt.is_alive(pid));
    rt.send(pid, atom("go"));
    assert_eq!(exit.recv_timeout(T).unwrap(), atom("shutdown"));
    assert_eq!(a.recv(), Term::tuple(vec![atom("last"), atom("shutdown")]));
    rt.shutdown();
}

/// `:kill` is unconditional (rule 6), even while last words run: a stuck
/// on_exit callback must not make a process unkillable.
#[test]
fn a_kill_cuts_last_words_short() {
    let (rt, _a, pid, exit) = stuck_in_last_words();
    rt.exit(pid, atom("kill"));
    assert_eq!(exit.recv_timeout(T).unwrap(), atom("killed"));
    assert!(!rt.is_alive(pid));
    rt.shutdown();
}
