//! Where output goes while the terminal REPL runs.
//!
//! Program output (`println` from any process, crash reports) and the live
//! feed (`mailbox <- msg`) go through one sink, installed once with
//! `snow_lang::vm::set_output`. While the user sits at the prompt, lines are
//! handed to a forwarding thread that prints them above the line being typed
//! with rustyline's external printer; while an entry runs they are written
//! straight to stdout/stderr, so they stay in order with the entry's result.
//!
//! Rule: a process printing never blocks on the terminal. The external
//! printer can block (its channel holds one line until readline takes it),
//! so only the forwarding thread calls it.

use crossbeam_channel::{unbounded, Sender};
use parking_lot::Mutex;
use rustyline::ExternalPrinter;
use snow_lang::vm::Output;
use snow_runtime::inspect::inspect;
use snow_runtime::Term;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Clone)]
pub struct Screen(Arc<Shared>);

struct Shared {
    /// readline is (about to be) reading: print above the prompt.
    at_prompt: AtomicBool,
    /// The forwarding thread's queue, once an external printer exists.
    forward: Mutex<Option<Sender<String>>>,
    /// Feed lines announced after an entry ended but before the prompt
    /// came back: shown right after the entry's result, not before it.
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    /// An entry ended and its result is not shown yet.
    result_pending: bool,
    lines: Vec<String>,
}

impl Screen {
    /// Installs the process-wide output sink (only the first call in a
    /// program takes effect) and returns the handle that steers it.
    pub fn install() -> Screen {
        let screen = Screen(Arc::new(Shared {
            at_prompt: AtomicBool::new(false),
            forward: Mutex::new(None),
            held: Mutex::new(Held::default()),
        }));
        snow_lang::vm::set_output(Box::new(screen.clone()));
        screen
    }

    /// From now on, lines printed at the prompt go through `printer`.
    pub fn attach<P: ExternalPrinter + Send + 'static>(&self, mut printer: P) {
        let (tx, rx) = unbounded::<String>();
        let spawned = std::thread::Builder::new().name("repl-printer".into()).spawn(move || {
            for msg in rx {
                if printer.print(msg).is_err() {
                    break;
                }
            }
        });
        if spawned.is_ok() {
            *self.0.forward.lock() = Some(tx);
        }
    }

    pub fn set_at_prompt(&self, yes: bool) {
        let mut held = self.0.held.lock();
        if yes {
            // The entry's result is out and the prompt not drawn yet: print
            // what was held straight out.
            held.result_pending = false;
            let mut o = std::io::stdout().lock();
            for line in held.lines.drain(..) {
                let _ = writeln!(o, "{line}");
            }
            let _ = o.flush();
        }
        self.0.at_prompt.store(yes, Ordering::SeqCst);
    }

    /// The live feed, for the shell process to announce through.
    pub fn feed(&self) -> crate::shell::Feed {
        Arc::new(self.clone())
    }

    /// Prints `text` (one or more lines, no final newline) on the terminal,
    /// above the prompt when the user is typing.
    fn emit(&self, text: &str, stderr: bool) {
        if self.0.at_prompt.load(Ordering::SeqCst) {
            if let Some(tx) = self.0.forward.lock().as_ref() {
                if tx.send(format!("{text}\n")).is_ok() {
                    return;
                }
            }
        }
        let _ = if stderr {
            let mut e = std::io::stderr().lock();
            writeln!(e, "{text}").and_then(|_| e.flush())
        } else {
            let mut o = std::io::stdout().lock();
            writeln!(o, "{text}").and_then(|_| o.flush())
        };
    }
}

impl crate::shell::FeedSink for Screen {
    fn announce(&self, msg: &Term) {
        let line = format!("mailbox <- {}", inspect(msg));
        let mut held = self.0.held.lock();
        if held.result_pending {
            held.lines.push(line);
        } else {
            drop(held);
            self.out(&line);
        }
    }

    fn entry_done(&self) {
        self.0.held.lock().result_pending = true;
    }
}

impl Output for Screen {
    fn out(&self, line: &str) {
        self.emit(line, false);
    }
    fn err(&self, text: &str) {
        self.emit(text, true);
    }
}
