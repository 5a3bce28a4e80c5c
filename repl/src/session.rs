//! A REPL session: bindings, the session's function namespace, and the shell
//! process that evaluates entries. The terminal front end (`repl.rs`) and the
//! tests drive it through `eval`.

use crate::shell::{Feed, Reply, Request, ShellBehaviour};
use crossbeam_channel::{unbounded, Receiver, Sender};
use snow_lang::compiler::{compile, Mode};
use snow_lang::diagnostic::render_all;
use snow_lang::vm::{report, ExcKind, Namespace};
use snow_runtime::inspect::inspect;
use snow_runtime::{Pid, Runtime, Term};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What evaluating one entry gave.
#[derive(Debug)]
pub enum Eval {
    /// The entry's value, to echo with `inspect`.
    Value(Term),
    /// A syntax, compile or runtime error, rendered for the terminal.
    Error(String),
    /// The entry is not finished (an open `do`, bracket or string).
    Incomplete,
    /// Ctrl-C stopped it.
    Interrupted,
    /// The shell process was killed while evaluating; a new one took over.
    ShellRestarted(String),
}

/// Stops the running evaluation; safe to call from a signal-handling thread.
#[derive(Clone)]
pub struct Interrupter {
    flag: Arc<AtomicBool>,
    rt: Runtime,
    pid: Arc<parking_lot::Mutex<Pid>>,
}

impl Interrupter {
    pub fn interrupt(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.rt.wake(*self.pid.lock());
    }
}

struct Shell {
    pid: Pid,
    requests: Sender<Request>,
    exited: Receiver<Term>,
    killer: Arc<parking_lot::Mutex<Option<Pid>>>,
}

pub struct Session {
    rt: Runtime,
    namespace: &'static Namespace,
    bindings: Vec<(String, Term)>,
    shell: Shell,
    interrupt: Arc<AtomicBool>,
    shell_pid: Arc<parking_lot::Mutex<Pid>>,
    feed: Arc<parking_lot::Mutex<Option<Feed>>>,
    pub color: bool,
    /// The source of the last entries if they only defined clauses of one
    /// function: the next such entry adds its clauses to them.
    clause_run: Option<((String, usize), String)>,
}

/// `(name, arity)` when every item of `program` is a clause of that one
/// named function.
fn single_function(program: &snow_lang::ast::Program) -> Option<(String, usize)> {
    let mut key = None;
    for item in &program.items {
        let snow_lang::ast::Item::Fn(f) = item else { return None };
        let k = (f.name.clone(), f.params.len());
        match &key {
            None => key = Some(k),
            Some(prev) if *prev == k => {}
            Some(_) => return None,
        }
    }
    key
}

/// `snow --sim`: every session of this REPL is a simulation with this seed.
static SIM: std::sync::OnceLock<crate::sim::SimPlan> = std::sync::OnceLock::new();

/// Makes the sessions this REPL starts simulations (`snow --sim`).
pub fn simulate(plan: crate::sim::SimPlan) {
    let _ = SIM.set(plan);
}

impl Session {
    pub fn new() -> Session {
        snow_stdlib::init();
        let rt = crate::sim::runtime(SIM.get());
        // In a simulation, virtual time passes only while an entry runs.
        rt.let_time_pass(false);
        let interrupt = Arc::new(AtomicBool::new(false));
        let feed = Arc::new(parking_lot::Mutex::new(None));
        let shell = start_shell(&rt, &interrupt, &feed);
        let shell_pid = Arc::new(parking_lot::Mutex::new(shell.pid));
        Session {
            rt,
            namespace: Namespace::leak(),
            bindings: Vec::new(),
            shell,
            interrupt,
            shell_pid,
            feed,
            color: false,
            clause_run: None,
        }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.rt
    }

    pub fn shell_pid(&self) -> Pid {
        self.shell.pid
    }

    pub fn interrupter(&self) -> Interrupter {
        Interrupter { flag: self.interrupt.clone(), rt: self.rt.clone(), pid: self.shell_pid.clone() }
    }

    /// Announce messages that reach the idle shell's mailbox.
    pub fn set_feed(&self, feed: Option<Feed>) {
        *self.feed.lock() = feed;
    }

    /// Names bound at the prompt.
    pub fn binding_names(&self) -> Vec<String> {
        self.bindings.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Named functions defined at the prompt, as `name/arity`.
    pub fn function_names(&self) -> Vec<(String, u16)> {
        self.namespace.names()
    }

    /// Forgets every binding and definition.
    pub fn reset(&mut self) {
        self.clause_run = None;
        self.bindings.clear();
        self.namespace = Namespace::leak();
    }

    /// Whether `src` is an unfinished entry that needs more lines.
    pub fn is_incomplete(src: &str) -> bool {
        snow_lang::syntax::parse(src).incomplete
    }

    pub fn eval(&mut self, src: &str) -> Eval {
        self.eval_named(src, "repl")
    }

    /// Evaluates `src`; errors name `file` (`:load` passes the file's name).
    pub fn eval_named(&mut self, src: &str, file: &str) -> Eval {
        let parsed = snow_lang::syntax::parse(src);
        if parsed.incomplete {
            return Eval::Incomplete;
        }
        if !parsed.diagnostics.is_empty() {
            return Eval::Error(render_all(&parsed.diagnostics, src, file, self.color));
        }
        // Clauses typed one entry at a time (`fn fib(0) = 0`, then
        // `fn fib(1) = 1`, ...) make one function, as they would in a file:
        // an entry that only adds clauses to the function the previous
        // entries defined is compiled together with them.
        let key = single_function(&parsed.program);
        let (src, parsed) = match (&key, self.clause_run.take()) {
            (Some(k), Some((prev_key, prev_src))) if *k == prev_key => {
                let joined = format!("{prev_src}{src}");
                let parsed = snow_lang::syntax::parse(&joined);
                (joined, parsed)
            }
            _ => (src.to_string(), parsed),
        };
        let src = src.as_str();
        if !parsed.diagnostics.is_empty() {
            return Eval::Error(render_all(&parsed.diagnostics, src, file, self.color));
        }
        if let Some(k) = key {
            self.clause_run = Some((k, src.to_string()));
        }
        if crate::imports::any(&parsed.program) {
            let mut imports = crate::imports::Imports::new(self.namespace, self.color);
            // Relative to a file given to `:load`; at the prompt, to the working directory.
            if let Err(text) = imports.load_all(&parsed.program, src, file, &crate::imports::dir_of(file)) {
                return Eval::Error(text);
            }
        }
        let names: Vec<String> = self.binding_names();
        let table = snow_lang::vm::builtins();
        let mode = Mode::Repl { bindings: &names, namespace: self.namespace };
        let unit = match compile(&parsed.program, Arc::from(src), Arc::from(file), table, mode) {
            Ok(u) => u,
            Err(diags) => return Eval::Error(render_all(&diags, src, file, self.color)),
        };
        // A module defined again is replaced whole, as on the BEAM.
        for m in &unit.modules {
            self.namespace.forget_module(m);
        }
        for (name, arity, proto) in &unit.functions {
            self.namespace.define(snow_runtime::Atom::new(name), *arity, proto);
        }
        let args: Vec<Term> = self.bindings.iter().map(|(_, v)| v.clone()).collect();
        let (reply_tx, reply_rx) = unbounded();
        let request = Request { module: unit.module, args, reply: reply_tx };
        // In a simulation the entry starts when nothing else can run, so a
        // replay of the same entries is the same run however fast they were
        // typed; the shell lets time pass while it runs the entry.
        self.rt.settle(std::time::Duration::from_millis(200));
        if self.shell.requests.send(request).is_err() {
            return self.restart_shell();
        }
        self.rt.wake(self.shell.pid);
        let reply = reply_rx.recv();
        self.rt.let_time_pass(false); // if the shell died during the entry
        match reply {
            Ok(Reply::Value(Term::Tuple(ref t))) if !t.is_empty() => {
                let mut next: Vec<(String, Term)> = Vec::with_capacity(unit.exports.len());
                for (name, value) in unit.exports.iter().zip(t.iter().skip(1)) {
                    next.push((name.clone(), value.clone()));
                }
                self.bindings = next;
                snow_stdlib::shell::record_result(t[0].clone());
                Eval::Value(t[0].clone())
            }
            Ok(Reply::Value(other)) => {
                snow_stdlib::shell::record_result(other.clone());
                Eval::Value(other)
            }
            Ok(Reply::Raised(fault)) => match fault.exception.kind {
                ExcKind::Error => Eval::Error(report::error_report(&fault)),
                ExcKind::Exit => self.shell_exited(&fault.exception.detail),
            },
            Ok(Reply::Interrupted) => Eval::Interrupted,
            Err(_) => self.restart_shell(),
        }
    }

    /// The shell process died (killed, or a linked process took it down):
    /// say so, start a new one; bindings and definitions are kept.
    fn restart_shell(&mut self) -> Eval {
        let old = self.shell.pid;
        let reason = self.shell.exited.recv().unwrap_or(Term::NIL_ATOM);
        let from = self.shell.killer.lock().take();
        self.shell = start_shell(&self.rt, &self.interrupt, &self.feed);
        *self.shell_pid.lock() = self.shell.pid;
        // As IEx says it: who sent the exit signal, and why.
        let who = match from {
            Some(pid) if pid != old => format!("EXIT from {}", inspect(&Term::Pid(pid))),
            _ => format!("EXIT from {}", inspect(&Term::Pid(old))),
        };
        Eval::ShellRestarted(format!(
            "** ({who}) {}\n   shell process {} exited; started {}, bindings kept",
            inspect(&reason),
            inspect(&Term::Pid(old)),
            inspect(&Term::Pid(self.shell.pid))
        ))
    }

    /// `exit(reason)` at the prompt ended the shell process with `reason`
    /// (its links and monitors saw it): a new one takes over.
    fn shell_exited(&mut self, reason: &Term) -> Eval {
        let old = self.shell.pid;
        let _ = self.shell.exited.recv_timeout(std::time::Duration::from_secs(5));
        self.shell = start_shell(&self.rt, &self.interrupt, &self.feed);
        *self.shell_pid.lock() = self.shell.pid;
        Eval::ShellRestarted(format!(
            "** (exit) {}\n   shell process {} exited with it; started {}, bindings kept",
            inspect(reason),
            inspect(&Term::Pid(old)),
            inspect(&Term::Pid(self.shell.pid))
        ))
    }

    /// If the idle shell process has died, starts a new one and says why.
    pub fn check_shell(&mut self) -> Option<String> {
        if self.rt.is_alive(self.shell.pid) {
            return None;
        }
        match self.restart_shell() {
            Eval::ShellRestarted(msg) => Some(msg),
            _ => None,
        }
    }
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

fn start_shell(rt: &Runtime, interrupt: &Arc<AtomicBool>, feed: &Arc<parking_lot::Mutex<Option<Feed>>>) -> Shell {
    let (tx, rx) = unbounded();
    let killer = Arc::new(parking_lot::Mutex::new(None));
    let (pid, exited) = rt.spawn_watched(Box::new(ShellBehaviour::new(rx, interrupt.clone(), feed.clone(), killer.clone())));
    Shell { pid, requests: tx, exited, killer }
}
