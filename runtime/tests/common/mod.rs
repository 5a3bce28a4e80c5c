//! Test helpers: a "puppet" process the test thread drives with closures.
#![allow(dead_code)]

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use snow_runtime::{Atom, Behaviour, Cx, Pid, Ref, Runtime, Slice, SpawnOpts, Term};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const T: Duration = Duration::from_secs(5);

pub fn rt() -> Runtime {
    Runtime::with_schedulers(2)
}

pub fn atom(s: &str) -> Term {
    Term::atom(s)
}

pub fn down(r: Ref, who: Term, reason: Term) -> Term {
    Term::tuple(vec![Term::Atom(Atom::DOWN), Term::Ref(r), who, reason])
}

pub fn exit_msg(from: Pid, reason: Term) -> Term {
    Term::tuple(vec![Term::Atom(Atom::EXIT), Term::Pid(from), reason])
}

type Cmd = Box<dyn FnOnce(&mut Cx<'_>) -> Option<Slice> + Send>;

/// A process that, each time it runs, runs the commands queued for it and
/// forwards its mailbox to the test (unless `keep`), then waits.
pub struct Puppet {
    pub pid: Pid,
    pub rt: Runtime,
    cmds: Sender<Cmd>,
    pub msgs: Receiver<Term>,
    pub runs: Arc<AtomicUsize>,
    pub exit: Receiver<Term>,
}

struct PuppetBody {
    cmds: Receiver<Cmd>,
    out: Sender<Term>,
    keep: bool,
    runs: Arc<AtomicUsize>,
}

impl Behaviour for PuppetBody {
    fn run(&mut self, cx: &mut Cx<'_>) -> Slice {
        self.runs.fetch_add(1, Ordering::SeqCst);
        while let Ok(cmd) = self.cmds.try_recv() {
            if let Some(s) = cmd(cx) {
                return s;
            }
        }
        if !self.keep {
            while let Some(m) = cx.mailbox().remove(0) {
                let _ = self.out.send(m);
            }
        }
        Slice::Wait(None)
    }
}

pub struct Parts {
    body: Box<dyn Behaviour>,
    cmds: Sender<Cmd>,
    msgs: Receiver<Term>,
    runs: Arc<AtomicUsize>,
}

pub fn parts(keep: bool) -> Parts {
    let (ctx, crx) = unbounded();
    let (otx, orx) = unbounded();
    let runs = Arc::new(AtomicUsize::new(0));
    let body = Box::new(PuppetBody { cmds: crx, out: otx, keep, runs: runs.clone() });
    Parts { body, cmds: ctx, msgs: orx, runs }
}

impl Parts {
    pub fn into_puppet(self, rt: &Runtime, pid: Pid) -> Puppet {
        Puppet { pid, rt: rt.clone(), cmds: self.cmds, msgs: self.msgs, runs: self.runs, exit: rt.watch_exit(pid) }
    }
}

impl Puppet {
    pub fn spawn(rt: &Runtime) -> Puppet {
        Puppet::spawn_opt(rt, false)
    }

    /// `keep`: messages stay in the mailbox.
    pub fn spawn_opt(rt: &Runtime, keep: bool) -> Puppet {
        let mut p = parts(keep);
        let body = std::mem::replace(&mut p.body, Box::new(Idle));
        let pid = rt.spawn(body);
        p.into_puppet(rt, pid)
    }

    /// A child of this puppet spawned with `opts`.
    pub fn child(&self, opts: SpawnOpts) -> (Puppet, Option<Ref>) {
        let mut p = parts(false);
        let body = std::mem::replace(&mut p.body, Box::new(Idle));
        let (pid, r) = self.run(move |cx| cx.spawn(body, opts));
        (p.into_puppet(&self.rt, pid), r)
    }

    /// Runs `f` inside the process and returns its result.
    pub fn run<R: Send + 'static>(&self, f: impl FnOnce(&mut Cx<'_>) -> R + Send + 'static) -> R {
        let (tx, rx) = bounded(1);
        self.cmds
            .send(Box::new(move |cx| {
                let _ = tx.send(f(cx));
                None
            }))
            .expect("puppet gone");
        self.rt.wake(self.pid);
        rx.recv_timeout(T).expect("puppet did not run the command")
    }

    /// Runs `f` inside the process and ends the slice with what it returns.
    pub fn then(&self, f: impl FnOnce(&mut Cx<'_>) -> Slice + Send + 'static) {
        let _ = self.cmds.send(Box::new(move |cx| Some(f(cx))));
        self.rt.wake(self.pid);
    }

    pub fn exit_with(&self, reason: Term) {
        self.then(move |_| Slice::Exit(reason));
    }

    pub fn recv(&self) -> Term {
        self.msgs.recv_timeout(T).expect("no message")
    }

    pub fn assert_no_msg(&self, ms: u64) {
        if let Ok(m) = self.msgs.recv_timeout(Duration::from_millis(ms)) {
            panic!("unexpected message {m:?}");
        }
    }

    /// Waits for the end of this process and returns its reason.
    pub fn reason(&self) -> Term {
        self.exit.recv_timeout(T).expect("process did not end")
    }

    pub fn assert_alive(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
        assert!(self.exit.try_recv().is_err(), "process ended");
        assert!(self.rt.is_alive(self.pid));
    }

    pub fn trap(&self) {
        self.run(|cx| cx.set_trap_exit(true));
    }
}

struct Idle;
impl Behaviour for Idle {
    fn run(&mut self, _cx: &mut Cx<'_>) -> Slice {
        Slice::Wait(None)
    }
}

/// A process that ends at once with `reason`.
pub fn ends_with(reason: Term) -> Box<dyn Behaviour> {
    let mut reason = Some(reason);
    snow_runtime::from_fn(move |_| Slice::Exit(reason.take().unwrap_or(Term::Atom(Atom::NORMAL))))
}

/// Polls `f` until it holds (or panics after `T`).
pub fn wait_until(mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(start.elapsed() < T, "condition not reached");
        std::thread::sleep(Duration::from_millis(1));
    }
}
