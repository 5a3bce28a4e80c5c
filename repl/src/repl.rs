//! The interactive REPL: reads entries with rustyline, evaluates them in the
//! session's shell process, echoes results with `inspect`.

use crate::session::{Eval, Session};
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;
use snow_runtime::inspect::inspect;

const PROMPT: &str = "snow> ";
const CONTINUE: &str = "...> ";

pub fn run() -> i32 {
    let mut session = Session::new();
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("snow: cannot start the line editor: {e}");
            return 1;
        }
    };
    println!("Snow {} — :help for help, :quit or Ctrl-D to leave", env!("CARGO_PKG_VERSION"));
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { PROMPT } else { CONTINUE };
        match editor.readline(prompt) {
            Ok(line) => {
                if buffer.is_empty() && line.trim().starts_with(':') {
                    if !command(&mut session, line.trim()) {
                        return 0;
                    }
                    continue;
                }
                buffer.push_str(&line);
                buffer.push('\n');
                match session.eval(&buffer) {
                    Eval::Incomplete => continue,
                    Eval::Value(v) => println!("{}", inspect(&v)),
                    Eval::Error(e) => eprintln!("{}", e.trim_end()),
                    Eval::Interrupted => eprintln!("** (interrupted)"),
                    Eval::ShellRestarted(msg) => eprintln!("{msg}"),
                }
                let _ = editor.add_history_entry(buffer.trim_end());
                buffer.clear();
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => return 0,
            Err(e) => {
                eprintln!("snow: {e}");
                return 1;
            }
        }
    }
}

/// Runs a `:command`; returns false to leave the REPL.
fn command(session: &mut Session, line: &str) -> bool {
    let (cmd, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    match cmd {
        ":quit" | ":q" => return false,
        ":reset" => {
            session.reset();
            println!("bindings and definitions cleared");
        }
        ":load" => match crate::run::read_source(std::path::Path::new(arg.trim())) {
            Ok(src) => match session.eval_named(&src, arg.trim()) {
                Eval::Value(v) => println!("{}", inspect(&v)),
                Eval::Error(e) => eprintln!("{}", e.trim_end()),
                Eval::Incomplete => eprintln!("{}: the file ends inside an unfinished expression", arg.trim()),
                Eval::Interrupted => eprintln!("** (interrupted)"),
                Eval::ShellRestarted(msg) => eprintln!("{msg}"),
            },
            Err(msg) => eprintln!("{msg}"),
        },
        _ => println!(":help  :quit  :reset  :load FILE"),
    }
    true
}
