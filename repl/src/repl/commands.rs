//! The `:commands` of the REPL, and how an entry's outcome is shown.

use crate::session::{Eval, Session};
use snow_runtime::inspect::inspect;
use std::io::Write;

/// A parsed `:command` line.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<'a> {
    Help,
    Quit,
    Reset,
    Load(&'a str),
    /// `:watch` with `on` / `off`, or `None` to show the setting.
    Watch(Option<bool>),
    /// `:processes`: the table of live processes.
    Processes,
    /// `:net`: the session's links and their faults.
    Net,
    /// `:nodes`: this node's connections.
    Nodes,
    /// `:links PID`: the links and monitors around a process, as a tree.
    Links(&'a str),
    /// `:trace on` / `:trace off`, or `None` to show the state.
    Trace(Option<bool>),
    /// `:diagram [filters]`: the trace as a space-time diagram.
    Diagram(&'a str),
    /// `:h Process.monitor`: a function's or module's documentation.
    Doc(&'a str),
    /// A one-line message for a command that is unknown or misused.
    Bad(String),
}

pub const HELP: &str = "\
Commands:
  :help           this text
  :h TOPIC        documentation: :h Process, :h Process.monitor (or h(...))
  :quit  :q       leave (Ctrl-D too)
  :reset          forget every binding and function defined at the prompt
  :load FILE      evaluate FILE in this session (its functions stay defined)
  :watch on|off   announce messages as they reach the shell's mailbox (on)
  :processes      every process: pid, name, status, queue, links, monitors
  :net            every link between nodes: up, cut or delayed, last heard
  :nodes          this node's connections: state, tick, last heard, ties
  :links PID      the links and monitors around a process, on any node
  :trace on|off   record what every process and node does (Trace.start())
  :diagram [F]    draw the trace: :diagram, :diagram 20 (last 20 events),
                  :diagram [pid1, pid2] or :diagram [:b] (those only)
Helpers: h(Process.monitor) documentation, h(Process) a module, v() and
v(n) earlier results, i(pid) a process (i() all), pid(0, 42, 0) or #PID<0.42.0> a pid,
flush() the mailbox. Any other line, `:ok` included, is Snow code.
Keys: Tab completes, Up/Down walk the history, Ctrl-C clears the line or
stops a running evaluation (bindings are kept).
An entry that opens a `do`, a bracket or a string goes on over `...>` lines.
The guides are in the repository's docs/ folder (docs/getting-started.md).
Examples:
  let x = 40 + 2
  fn double(n) = n * 2
  send(self(), :hello)        # self() is the shell process at the prompt
  flush()                     # print and empty the shell's mailbox
  receive do m -> m after 1000 -> :timeout end
  Process.send_after(self(), :ping, 500)   # then watch: mailbox <- :ping";

/// The command a line names, if its first word is one the REPL knows.
/// Any other line, even one that starts with `:` (`:ok == :ok`), is Snow
/// code: atoms are everywhere in Snow and must evaluate when typed first.
pub fn parse(line: &str) -> Option<Command<'_>> {
    let line = line.trim();
    let (cmd, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let arg = arg.trim();
    Some(match cmd {
        ":help" | ":h" | ":?" if arg.is_empty() => Command::Help,
        ":help" | ":h" | ":?" => Command::Doc(arg),
        ":quit" | ":q" => Command::Quit,
        ":reset" => Command::Reset,
        ":processes" | ":ps" => Command::Processes,
        ":net" => Command::Net,
        ":nodes" => Command::Nodes,
        ":links" if arg.is_empty() => Command::Bad(":links needs a process: :links pid(0, 42, 0), :links #PID<0.42.0> or :links some_name".into()),
        ":links" => Command::Links(arg),
        ":trace" => match arg {
            "" => Command::Trace(None),
            "on" => Command::Trace(Some(true)),
            "off" => Command::Trace(Some(false)),
            _ => Command::Bad(format!(":trace takes on or off, not {arg}")),
        },
        ":diagram" => Command::Diagram(arg),
        ":load" if arg.is_empty() => Command::Bad(":load needs a file: :load FILE".into()),
        ":load" => Command::Load(arg),
        ":watch" => match arg {
            "" => Command::Watch(None),
            "on" => Command::Watch(Some(true)),
            "off" => Command::Watch(Some(false)),
            _ => Command::Bad(format!(":watch takes on or off, not {arg}")),
        },
        _ => return None,
    })
}

/// For a line that starts with `:` but names no command: `Some(message)`
/// when it is not valid code either, saying both in one line.
pub fn neither(line: &str) -> Option<String> {
    let line = line.trim();
    if !line.starts_with(':') || parse(line).is_some() {
        return None;
    }
    let parsed = snow_lang::syntax::parse(line);
    if parsed.incomplete || parsed.diagnostics.is_empty() {
        return None;
    }
    let cmd = line.split(char::is_whitespace).next().unwrap_or(line);
    let why = parsed.diagnostics.first().map(|d| d.title.clone()).unwrap_or_default();
    Some(format!("{cmd} is not a command (:help lists them), and the line is not valid Snow code either: {why}"))
}

/// The text for `h ...` typed as an entry, or `None` when the line is not
/// one, or `h` is the user's own (a binding or a function named `h`).
pub fn h_line(session: &Session, line: &str, color: bool) -> Option<String> {
    let topic = super::help::parse_line(line)?;
    let mine = |name: &str| -> Vec<u16> {
        session.function_names().into_iter().filter(|(n, _)| n == name).map(|(_, a)| a).collect()
    };
    if session.binding_names().iter().any(|b| b == "h") || !mine("h").is_empty() {
        return None;
    }
    Some(super::help::render(&topic, color, &mine))
}

/// `:h TOPIC`.
pub fn doc(session: &Session, arg: &str, color: bool) -> String {
    match super::help::parse_topic(arg) {
        Some(topic) => {
            let mine = |name: &str| -> Vec<u16> {
                session.function_names().into_iter().filter(|(n, _)| n == name).map(|(_, a)| a).collect()
            };
            super::help::render(&topic, color, &mine)
        }
        None => format!("{arg} names no module or function: try :h Process or :h Process.monitor"),
    }
}

/// `:load FILE`: evaluates the file in the session.
pub fn load(session: &mut Session, file: &str) -> Eval {
    match crate::run::read_source(std::path::Path::new(file)) {
        Ok(src) => match session.eval_named(&src, file) {
            Eval::Incomplete => Eval::Error(format!("{file}: the file ends inside an unfinished expression")),
            other => other,
        },
        Err(msg) => Eval::Error(msg),
    }
}

/// `:links PID`: evaluates `PID` (any expression for a pid, or a
/// registered name) and prints the tree of links and monitors around it.
pub fn links(session: &mut Session, arg: &str, tty: bool) {
    match session.eval(&format!("Process.__link_tree({arg})")) {
        Eval::Value(v) => match &v {
            snow_runtime::Term::Str(tree) => println!("{tree}"),
            _ => show(Eval::Value(v), tty),
        },
        other => show(other, tty),
    }
}

/// `:trace on|off`, or the trace's state: through `Trace`, as typed code
/// would, so the prompt and a script record the same way.
pub fn trace(session: &mut Session, on: Option<bool>, tty: bool) {
    let code = match on {
        Some(true) => "Trace.start()",
        Some(false) => "Trace.stop()",
        None => ":ok",
    };
    match session.eval(code) {
        Eval::Value(_) => {}
        other => return show(other, tty),
    }
    let stats = match session.eval("Trace.stats()") {
        Eval::Value(v) => v,
        other => return show(other, tty),
    };
    let get = |k: &str| match &stats {
        snow_runtime::Term::Map(m) => m.get(&snow_runtime::Term::atom(k)).cloned(),
        _ => None,
    };
    let count = |k: &str| get(k).map_or_else(|| "0".into(), |v| inspect(&v));
    let running = get("running") == Some(snow_runtime::Term::TRUE);
    match on {
        Some(true) => println!("trace on: every process and node of the session is recorded (:diagram draws it, :trace off stops)"),
        _ if running => println!("trace on: {} events so far ({} dropped)", count("recorded"), count("dropped")),
        _ => println!(
            "trace off: {} events recorded, {} dropped (:diagram draws them, Trace.svg(\"run.svg\") writes them, explain(msg) tells why a message came)",
            count("recorded"),
            count("dropped")
        ),
    }
}

/// `:diagram [filters]`: `Trace.diagram(...)` with the filters as given.
pub fn diagram(session: &mut Session, arg: &str, tty: bool) {
    let code = if arg.is_empty() { "Trace.diagram()".to_string() } else { format!("Trace.diagram({arg})") };
    match session.eval(&code) {
        Eval::Value(_) => {}
        other => show(other, tty),
    }
}

/// Prints an entry's outcome: values on stdout, everything else on stderr.
/// `tty`: stderr is a terminal (erase the `^C` it echoed on interrupt).
pub fn show(eval: Eval, tty: bool) {
    match eval {
        Eval::Value(v) => {
            let mut o = std::io::stdout().lock();
            let _ = writeln!(o, "{}", inspect(&v)).and_then(|_| o.flush());
        }
        Eval::Error(e) => eprintln!("{}", e.trim_end()),
        Eval::Incomplete => eprintln!("** the entry is unfinished"),
        Eval::Interrupted => {
            let erase = if tty { "\r\x1b[K" } else { "" };
            eprintln!("{erase}** (interrupted) evaluation stopped; bindings kept");
        }
        Eval::ShellRestarted(msg) => eprintln!("{msg}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, Command};

    #[test]
    fn parses_commands() {
        assert_eq!(parse(":quit"), Some(Command::Quit));
        assert_eq!(parse("  :load  a b.snow "), Some(Command::Load("a b.snow")));
        assert_eq!(parse(":watch off"), Some(Command::Watch(Some(false))));
        assert!(matches!(parse(":load"), Some(Command::Bad(_))));
    }

    #[test]
    fn other_colon_lines_are_code() {
        for line in [":ok", ":ok == :ok", ":\"b@127.0.0.1\"", ":frob", ":exit"] {
            assert_eq!(parse(line), None, "{line}");
            assert_eq!(super::neither(line), None, "{line}");
        }
        let both = super::neither(":frob x y").expect("neither a command nor code");
        assert!(both.contains(":frob") && both.contains("not a command") && both.contains("not valid Snow code"), "{both}");
        assert!(!both.contains('\n'), "{both}");
    }
}
