//! The interactive front end on a terminal: rustyline with completion,
//! highlighting and history, multi-line entries, Ctrl-C, and the live feed.
//!
//! Ctrl-C has two paths. At the prompt the terminal is raw, so Ctrl-C is a
//! key: rustyline returns `Interrupted` and the half-typed entry is dropped.
//! While an entry runs the terminal is cooked, so Ctrl-C is SIGINT: the
//! `ctrlc` handler tells the session's interrupter, and `eval` returns
//! `Interrupted`. rustyline (19) puts its own SIGINT handler in place only
//! while it reads a line and restores ours after, so a SIGINT sent at the
//! prompt clears the line like the key does, and never kills the REPL.

use super::commands::{self, Command};
use super::complete::PromptNames;
use super::helper::SnowHelper;
use super::history;
use super::printer::Screen;
use crate::node::Plan;
use crate::session::Session;
use parking_lot::Mutex;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{ColorMode, CompletionType, Config, Editor};
use snow_lang::vm::Output;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const CONTINUE: &str = "...> ";

/// How often the idle loop looks whether the shell process died.
const SHELL_CHECK: Duration = Duration::from_millis(250);

pub fn run(node: &Plan) -> i32 {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let colour = std::io::stdout().is_terminal() && !no_color;
    let err_tty = std::io::stderr().is_terminal();
    let screen = Screen::install();
    let notices = screen.clone();
    snow_runtime::log::set_sink(Some(std::sync::Arc::new(move |line: &str| notices.err(line))));
    let mut session = Session::new();
    session.color = err_tty && !no_color;
    // Faults and restarts asked for here show in the live feed.
    let events = screen.clone();
    snow_runtime::log::set_event_sink(Some(std::sync::Arc::new(move |line: &str| {
        events.out(line)
    })));
    if let Err(e) = node.start(session.runtime()) {
        eprintln!("snow: {e}");
        return 1;
    }
    let runtime = session.runtime().clone();

    let names = Arc::new(Mutex::new(PromptNames::default()));
    let mut editor = match new_editor(colour) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("snow: cannot start the line editor: {e}");
            return 1;
        }
    };
    editor.set_helper(Some(SnowHelper::new(colour, names.clone(), runtime.clone())));
    let mut history = History::open(&mut editor);
    if let Ok(printer) = editor.create_external_printer() {
        screen.attach(printer);
    }
    let interrupter = session.interrupter();
    if let Err(e) = ctrlc::set_handler(move || interrupter.interrupt()) {
        eprintln!("snow: Ctrl-C will not stop evaluations ({e})");
    }
    let mut watching = true;
    session.set_feed(Some(screen.feed()));
    let session = Arc::new(Mutex::new(session));
    watch_shell(&session, &screen);

    println!("Snow {} — :help for help, :quit or Ctrl-D to leave", env!("CARGO_PKG_VERSION"));
    let mut pending: Vec<String> = Vec::new();
    loop {
        let main_prompt = super::prompt_for(Some(&runtime));
        let prompt = if pending.is_empty() { main_prompt.as_str() } else { CONTINUE };
        screen.set_at_prompt(true);
        let read = editor.readline(prompt);
        screen.set_at_prompt(false);
        let line = match read {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(ReadlineError::Eof) => return 0,
            Err(e) => {
                eprintln!("snow: {e}");
                return 1;
            }
        };
        if pending.is_empty() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if let Some(msg) = commands::neither(trimmed) {
                history.add(&mut editor, trimmed);
                eprintln!("{msg}");
                continue;
            }
            if let Some(command) = commands::parse(trimmed) {
                if command != Command::Quit {
                    history.add(&mut editor, trimmed);
                }
                let mut s = session.lock();
                match command {
                    Command::Quit => return 0,
                    Command::Help => println!("{}", commands::HELP),
                    Command::Reset => {
                        s.reset();
                        println!("bindings and definitions cleared");
                    }
                    Command::Load(file) => commands::show(commands::load(&mut s, file), err_tty),
                    Command::Watch(None) => println!("watch is {}", if watching { "on" } else { "off" }),
                    Command::Watch(Some(on)) => {
                        watching = on;
                        s.set_feed(on.then(|| screen.feed()));
                        println!("watch {}", if on { "on" } else { "off" });
                    }
                    Command::Net => println!("{}", snow_stdlib::net::table(&runtime)),
                    Command::Nodes => println!("{}", snow_stdlib::node_table::table(&runtime)),
                    Command::Links(arg) => commands::links(&mut s, arg, err_tty),
                    Command::Trace(on) => commands::trace(&mut s, on, err_tty),
                    Command::Diagram(arg) => commands::diagram(&mut s, arg, err_tty),
                    Command::Processes => println!("{}", snow_stdlib::process_table::table(s.runtime(), s.shell_pid(), "(shell)")),
                    Command::Doc(topic) => println!("{}", commands::doc(&s, topic, colour)),
                    Command::Bad(msg) => eprintln!("{msg}"),
                }
                after_entry(&mut s, &names);
                continue;
            }
        }
        if pending.is_empty() {
            let help = commands::h_line(&session.lock(), line.trim(), colour);
            if let Some(text) = help {
                history.add(&mut editor, line.trim());
                println!("{text}");
                continue;
            }
        }
        pending.push(line);
        let entry = pending.join("\n");
        if Session::is_incomplete(&entry) {
            continue;
        }
        pending.clear();
        history.add(&mut editor, &entry);
        let mut s = session.lock();
        commands::show(s.eval(&format!("{entry}\n")), err_tty);
        after_entry(&mut s, &names);
    }
}

fn new_editor(colour: bool) -> rustyline::Result<Editor<SnowHelper, FileHistory>> {
    let config = Config::builder()
        .max_history_size(1000)?
        .history_ignore_dups(true)?
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .color_mode(if colour { ColorMode::Enabled } else { ColorMode::Disabled })
        .build();
    Editor::with_config(config)
}

/// Reports a restarted shell and refreshes the names completion offers.
fn after_entry(session: &mut Session, names: &Mutex<PromptNames>) {
    if let Some(msg) = session.check_shell() {
        eprintln!("{msg}");
    }
    let mut n = names.lock();
    n.bindings = session.binding_names();
    n.functions = session.function_names().into_iter().map(|(name, _)| name).collect();
    n.functions.sort();
    n.functions.dedup();
}

/// While the user sits at the prompt, notices a shell process that died
/// (killed by another process) and starts a new one.
fn watch_shell(session: &Arc<Mutex<Session>>, screen: &Screen) {
    let session = Arc::downgrade(session);
    let screen = screen.clone();
    let spawned = std::thread::Builder::new().name("repl-shell-watch".into()).spawn(move || loop {
        std::thread::sleep(SHELL_CHECK);
        let Some(session) = session.upgrade() else { return };
        let restarted = session.try_lock().and_then(|mut s| s.check_shell());
        if let Some(msg) = restarted {
            screen.err(&msg);
        }
    });
    if let Err(e) = spawned {
        eprintln!("snow: cannot watch the shell process ({e})");
    }
}

/// The history file: loaded at start, appended to after each entry.
struct History {
    path: Option<PathBuf>,
    warned: bool,
}

impl History {
    fn open(editor: &mut Editor<SnowHelper, FileHistory>) -> History {
        let path = history::path();
        let mut h = History { path, warned: false };
        if let Some(p) = &h.path {
            let loaded = history::create(p)
                .map_err(|e| e.to_string())
                .and_then(|()| editor.load_history(p).map_err(|e| e.to_string()));
            if let Err(e) = loaded {
                h.warn(&e);
            }
        }
        h
    }

    fn add(&mut self, editor: &mut Editor<SnowHelper, FileHistory>, entry: &str) {
        if editor.add_history_entry(entry).is_err() {
            return;
        }
        let Some(p) = &self.path else { return };
        if let Err(e) = editor.append_history(p) {
            self.warn(&e.to_string());
        }
    }

    /// One warning per session at most.
    fn warn(&mut self, why: &str) {
        if !self.warned {
            self.warned = true;
            if let Some(p) = &self.path {
                eprintln!("snow: history not saved in {} ({why})", p.display());
            }
        }
    }
}
