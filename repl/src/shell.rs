//! The shell process: the Snow process that evaluates REPL entries.
//!
//! The REPL thread hands it compiled entries through a channel and wakes it;
//! it runs each entry as a fiber inside its own process, so `self()` at the
//! prompt is its pid and `receive` reads its mailbox. While it has nothing to
//! run it waits like any process, and announces messages that arrive in its
//! mailbox (the live feed). Ctrl-C sets a flag and wakes it; it then drops
//! the running entry.

use crossbeam_channel::{Receiver, Sender};
use snow_lang::bytecode::Proto;
use snow_lang::vm::{Fault, Fiber, Outcome};
use snow_runtime::{Behaviour, Cx, Pid, Slice, Term};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// An entry to evaluate: the compiled top level and the session's bindings.
pub struct Request {
    pub entry: &'static Proto,
    pub args: Vec<Term>,
    pub reply: Sender<Reply>,
}

pub enum Reply {
    /// The entry's result tuple: `(value, bindings...)`.
    Value(Term),
    Raised(Fault),
    Interrupted,
}

/// Announces a message that arrived while the shell was idle.
pub type Feed = Arc<dyn Fn(&Term) + Send + Sync>;

pub struct ShellBehaviour {
    requests: Receiver<Request>,
    interrupt: Arc<AtomicBool>,
    running: Option<(Fiber, Sender<Reply>)>,
    feed: Arc<parking_lot::Mutex<Option<Feed>>>,
    /// Mailbox messages already announced (or present when an entry ended).
    announced: usize,
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
        ShellBehaviour { requests, interrupt, running: None, feed, announced: 0, killer }
    }

    fn announce_new_messages(&mut self, cx: &mut Cx<'_>) {
        let mailbox = cx.mailbox();
        if mailbox.len() < self.announced {
            self.announced = mailbox.len();
        }
        let feed = self.feed.lock().clone();
        if let Some(feed) = feed {
            for i in self.announced..mailbox.len() {
                if let Some(m) = mailbox.get(i) {
                    feed(m);
                }
            }
        }
        self.announced = mailbox.len();
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
                    let _ = reply.send(Reply::Interrupted);
                    self.announced = cx.mailbox().len();
                }
            }
            match &mut self.running {
                None => match self.requests.try_recv() {
                    Ok(req) => {
                        let hook_reply = req.reply.clone();
                        let fiber = Fiber::new(req.entry, req.args).on_finish(Box::new(move |o: &Outcome| {
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
                    Slice::Wait(deadline) => return Slice::Wait(deadline),
                    // The entry ended (its finish hook has replied); the
                    // shell lives on whatever the entry's reason.
                    Slice::Exit(_) => {
                        self.running = None;
                        self.announced = cx.mailbox().len();
                    }
                },
            }
        }
    }
}
