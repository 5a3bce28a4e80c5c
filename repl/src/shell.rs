//! The shell process: the Snow process that evaluates REPL entries.
//!
//! The REPL thread hands it compiled entries through a channel and wakes it;
//! it runs each entry as a fiber inside its own process, so `self()` at the
//! prompt is its pid and `receive` reads its mailbox. Ctrl-C sets a flag and
//! wakes it; it then drops the running entry.
//!
//! The live feed: every message that reaches the mailbox is announced once,
//! in arrival order, unless the entry's `receive` takes it first. The shell
//! announces whenever it stops to wait (idle, or the entry waiting in a
//! `receive` or a sleep that did not take them) and when an entry ends.

use crossbeam_channel::{Receiver, Sender};
use snow_lang::bytecode::Module;
use snow_lang::vm::{ExcKind, Fault, Fiber, Outcome};
use snow_runtime::{Behaviour, Cx, Pid, Slice, Term};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// An entry to evaluate: the compiled (verified, loaded) module, whose top
/// level takes the session's bindings.
pub struct Request {
    pub module: &'static Module,
    pub args: Vec<Term>,
    pub reply: Sender<Reply>,
}

pub enum Reply {
    /// The entry's result tuple: `(value, bindings...)`.
    Value(Term),
    Raised(Fault),
    Interrupted,
}

/// Where the live feed goes (the terminal's `Screen`).
pub trait FeedSink: Send + Sync {
    /// A message reached the mailbox and nothing took it.
    fn announce(&self, msg: &Term);
    /// The entry ended and its result is about to be shown: what is
    /// announced from now on must come after that result.
    fn entry_done(&self);
}

pub type Feed = Arc<dyn FeedSink>;

pub struct ShellBehaviour {
    requests: Receiver<Request>,
    interrupt: Arc<AtomicBool>,
    running: Option<(Fiber, Sender<Reply>)>,
    /// The running entry ended with `exit(reason)`: the shell process ends
    /// with that reason too (its links and monitors fire, as for a linked
    /// crash), and the session starts a new one.
    exited: Arc<AtomicBool>,
    feed: Arc<parking_lot::Mutex<Option<Feed>>>,
    /// Who sent the exit signal that ended this shell, for the session.
    killer: Arc<parking_lot::Mutex<Option<Pid>>>,
}

impl ShellBehaviour {
    pub fn new(
        requests: Receiver<Request>,
        interrupt: Arc<AtomicBool>,
        feed: Arc<parking_lot::Mutex<Option<Feed>>>,
        killer: Arc<parking_lot::Mutex<Option<Pid>>>,
    ) -> ShellBehaviour {
        ShellBehaviour { requests, interrupt, running: None, exited: Arc::new(AtomicBool::new(false)), feed, killer }
    }

    /// Announces what arrived since the last time (with the feed off, the
    /// messages still count as seen: turning it on shows only new ones).
    fn announce_new_messages(&mut self, cx: &mut Cx<'_>) {
        let feed = self.feed.lock().clone();
        let unseen = cx.mailbox().take_unseen();
        match feed {
            Some(feed) => unseen.for_each(|m| feed.announce(m)),
            None => unseen.for_each(drop),
        }
    }

    /// Tells the feed that the entry's result comes next.
    fn entry_done(&self) {
        if let Some(feed) = self.feed.lock().clone() {
            feed.entry_done();
        }
    }
}

impl Behaviour for ShellBehaviour {
    fn begin_exit(&mut self, _reason: &Term, from: Pid) -> bool {
        *self.killer.lock() = Some(from);
        false
    }

    fn run(&mut self, cx: &mut Cx<'_>) -> Slice {
        loop {
            if self.interrupt.swap(false, Ordering::SeqCst) {
                if let Some((_, reply)) = self.running.take() {
                    cx.runtime().let_time_pass(false);
                    self.entry_done();
                    let _ = reply.send(Reply::Interrupted);
                }
            }
            match &mut self.running {
                None => match self.requests.try_recv() {
                    Ok(req) => {
                        // In a simulation, time passes while an entry runs:
                        // from this point of the run on.
                        cx.runtime().let_time_pass(true);
                        let hook_reply = req.reply.clone();
                        let feed = self.feed.lock().clone();
                        let exited = self.exited.clone();
                        let fiber = Fiber::new(req.module, req.args).on_finish(Box::new(move |o: &Outcome| {
                            if let Some(feed) = feed {
                                feed.entry_done();
                            }
                            if let Outcome::Raised(f) = o {
                                exited.store(f.exception.kind == ExcKind::Exit, Ordering::SeqCst);
                            }
                            let _ = hook_reply.send(match o {
                                Outcome::Returned(v) => Reply::Value(v.clone()),
                                Outcome::Raised(f) => Reply::Raised(f.clone()),
                            });
                        }));
                        self.running = Some((fiber, req.reply));
                    }
                    Err(_) => {
                        self.announce_new_messages(cx);
                        return Slice::Wait(None);
                    }
                },
                Some((fiber, _)) => match fiber.run(cx) {
                    Slice::Yield => return Slice::Yield,
                    // The entry waits in a `receive` that took none of
                    // the messages there: they are news.
                    Slice::Wait(deadline) => {
                        self.announce_new_messages(cx);
                        return Slice::Wait(deadline);
                    }
                    // The entry ended (its finish hook has replied). An
                    // error leaves the shell as it was (as in IEx);
                    // `exit(reason)` ends it (as in the Erlang shell).
                    Slice::Exit(reason) => {
                        self.running = None;
                        // In a simulation, time stands still until the
                        // next entry, from this point of the run on (the
                        // same point in every replay).
                        cx.runtime().let_time_pass(false);
                        if self.exited.swap(false, Ordering::SeqCst) {
                            return Slice::Exit(reason);
                        }
                    }
                },
            }
        }
    }
}
