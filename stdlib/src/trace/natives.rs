//! `Trace`: recording a session's events and showing them (the diagram,
//! files, `explain`). The gathering half that waits on other nodes is in
//! the prelude (`trace__gather`); these natives act on what it gathered.

use super::{diagram, explain, export, svg};
use crate::args::{self, R};
use snow_lang::vm::{Arity, BuiltinTable, Exception, NativeCx};
use snow_runtime::trace::{gather, Timeline, DEFAULT_LIMIT, MAX_LIMIT};
use snow_runtime::{Atom, MapObj, Pid, Term};
use std::io::IsTerminal;

pub fn register(t: &mut BuiltinTable) {
    use Arity::*;
    t.native("Trace", "__default_limit", Exact(0), |_, _| Ok(Term::Int(DEFAULT_LIMIT as i64)));
    t.native("Trace", "__start", Exact(1), |c, a| {
        let limit = limit(&a[0])?;
        let rt = c.cx.runtime().clone();
        c.cx.blocking(|| gather::start(&rt, limit));
        args::ok()
    });
    t.native("Trace", "__stop", Exact(0), |c, _| {
        let rt = c.cx.runtime().clone();
        c.cx.blocking(|| gather::stop(&rt));
        args::ok()
    });
    t.native("Trace", "__refresh", Exact(0), |c, _| {
        let rt = c.cx.runtime().clone();
        c.cx.blocking(|| gather::refresh(&rt));
        args::ok()
    });
    t.native("Trace", "__outside", Exact(0), |c, _| {
        let rt = c.cx.runtime().clone();
        let nodes = c.cx.blocking(|| gather::outside(&rt));
        Ok(Term::list(nodes.into_iter().map(Term::Atom).collect()))
    });
    t.native("Trace", "__hide_me", Exact(0), |c, _| {
        // Only while a trace records: the hidden set must not grow otherwise.
        if c.cx.runtime().tracer().is_on() {
            let me = c.cx.pid();
            c.cx.runtime().hide_from_trace(me);
        }
        args::ok()
    });
    t.native("Trace", "__add", Exact(2), |_, a| Ok(Term::bool(gather::add(args::atom(&a[0])?, &a[1]))));
    t.native("Trace", "running?", Exact(0), |c, _| Ok(Term::bool(c.cx.runtime().tracer().is_on())));
    t.native("Trace", "__events", Exact(0), |c, _| {
        let (t, _) = gather::timeline(c.cx.runtime());
        Ok(Term::list(t.events.iter().map(|e| e.to_term()).collect()))
    });
    t.native("Trace", "__stats", Exact(0), |c, _| stats(c));
    t.native("Trace", "__diagram", Exact(1), diagram_native);
    t.native("Trace", "__write", Exact(2), write);
    t.native("Trace", "__explain", Exact(1), |c, a| {
        let (t, _) = gather::timeline(c.cx.runtime());
        let text = explain::explain(&t, &a[0]);
        crate::io_server::put_line(c, &text);
        args::ok()
    });
}

fn limit(t: &Term) -> Result<usize, Exception> {
    match t {
        Term::Int(n) if *n >= 1 && *n as u64 <= MAX_LIMIT as u64 => Ok(*n as usize),
        _ => Err(Exception::explained(
            Atom::BADARG,
            format!("a trace keeps between 1 and {MAX_LIMIT} events per node; got {}", snow_runtime::inspect::inspect(t)),
        )),
    }
}

/// `Trace.stats()`: how much was recorded, kept and dropped.
fn stats(c: &mut NativeCx<'_, '_>) -> R {
    let rt = c.cx.runtime();
    let (t, recorded) = gather::timeline(rt);
    let mut nodes = vec![rt.node_name()];
    nodes.extend(gather::gathered_nodes().into_iter().filter(|n| *n != rt.node_name()));
    let pairs = vec![
        (Term::atom("running"), Term::bool(rt.tracer().is_on())),
        (Term::atom("recorded"), Term::Int(recorded as i64)),
        (Term::atom("kept"), Term::Int(t.events.len() as i64)),
        (Term::atom("dropped"), Term::Int(t.dropped as i64)),
        (Term::atom("limit"), Term::Int(rt.tracer().recording_limit() as i64)),
        (Term::atom("nodes"), Term::list(nodes.into_iter().map(Term::Atom).collect())),
    ];
    Ok(Term::map(MapObj::from_pairs(pairs)))
}

/// `Trace.diagram(...)`: the arguments as given (a list of pids and
/// nodes to show, and / or the number of last events).
fn diagram_native(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let mut opts = terminal_options();
    for arg in args::list(&a[0])? {
        match &arg {
            Term::Int(n) if *n > 0 => opts.last = Some(*n as usize),
            Term::Pid(p) => opts.pids.push(*p),
            Term::Atom(n) => opts.nodes.push(*n),
            Term::Str(s) => opts.nodes.push(Atom::new(s)),
            other => match other.list_to_vec() {
                Some(items) => {
                    for item in &items {
                        match item {
                            Term::Pid(p) => opts.pids.push(*p),
                            Term::Atom(n) => opts.nodes.push(*n),
                            Term::Str(s) => opts.nodes.push(Atom::new(s)),
                            bad => return Err(bad_filter(bad)),
                        }
                    }
                }
                None => return Err(bad_filter(other)),
            },
        }
    }
    let (t, _) = gather::timeline(c.cx.runtime());
    // `:b` names the node `b@host` of the trace, as `Net` and `Node` take it.
    let known = t.nodes();
    for n in opts.nodes.iter_mut() {
        if !n.as_str().contains('@') {
            if let Some(full) = known.iter().find(|k| k.as_str().split('@').next() == Some(n.as_str())) {
                *n = *full;
            }
        }
        if !known.contains(n) {
            let names: Vec<&str> = known.iter().map(|k| k.as_str()).collect();
            return Err(Exception::explained(
                Atom::BADARG,
                format!("no node {} in the trace (its nodes: {})", n.as_str(), names.join(", ")),
            ));
        }
    }
    let text = diagram::render(&t, &opts);
    crate::io_server::put_line(c, text.trim_end_matches('\n'));
    args::ok()
}

fn bad_filter(t: &Term) -> Exception {
    Exception::explained(
        Atom::BADARG,
        format!(
            "Trace.diagram takes a list of pids and nodes to show and / or how many of the last events to show, as in Trace.diagram([pid], 20); got {}",
            snow_runtime::inspect::inspect(t)
        ),
    )
}

/// Width and colours for a diagram printed on this node's terminal:
/// plain ASCII when stdout is not a terminal (piped, a file, a test).
pub fn terminal_options() -> diagram::DiagramOptions {
    let tty = std::io::stdout().is_terminal();
    let width = terminal_size::terminal_size()
        .filter(|_| tty)
        .map(|(w, _)| w.0 as usize)
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse().ok()))
        .unwrap_or(100);
    let color = tty && std::env::var_os("NO_COLOR").is_none() && std::env::var("TERM").map_or(true, |t| t != "dumb");
    diagram::DiagramOptions { width: width.max(40), color, pids: Vec::<Pid>::new(), nodes: Vec::new(), last: None }
}

/// The formats `Trace.svg`, `Trace.json`, `Trace.shiviz` and `snow run
/// --trace FILE` write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Svg,
    JsonLines,
    ShiViz,
    Diagram,
}

impl Format {
    /// By the file's extension: `.svg`, `.json` / `.jsonl`, `.shiviz` /
    /// `.log`; anything else gets the plain terminal diagram.
    pub fn of_path(path: &str) -> Format {
        let ext = std::path::Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Format::Svg,
            "json" | "jsonl" => Format::JsonLines,
            "shiviz" | "log" => Format::ShiViz,
            _ => Format::Diagram,
        }
    }
}

/// The trace in `format`, as the file's contents.
pub fn render(t: &Timeline, format: Format) -> String {
    match format {
        Format::Svg => svg::render(t),
        Format::JsonLines => export::json_lines(t),
        Format::ShiViz => export::shiviz(t),
        Format::Diagram => {
            let opts = diagram::DiagramOptions { width: 120, color: false, pids: Vec::new(), nodes: Vec::new(), last: None };
            diagram::render(t, &opts)
        }
    }
}

/// Writes the trace to `path`; the error says what went wrong, in words.
pub fn write_file(t: &Timeline, path: &str, format: Format) -> Result<(), String> {
    std::fs::write(path, render(t, format)).map_err(|e| format!("cannot write the trace to {path}: {e}"))
}

/// `Trace.__write(format, path)`.
fn write(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let format = match args::atom(&a[0])?.as_str() {
        "svg" => Format::Svg,
        "json" => Format::JsonLines,
        "shiviz" => Format::ShiViz,
        _ => Format::Diagram,
    };
    let path = match &a[1] {
        Term::Str(s) => s.to_string(),
        other => {
            return Err(Exception::explained(
                Atom::BADARG,
                format!("the trace is written to a file: give its name as a string, as in Trace.svg(\"run.svg\"); got {}", snow_runtime::inspect::inspect(other)),
            ))
        }
    };
    let (t, _) = gather::timeline(c.cx.runtime());
    match c.cx.blocking(|| write_file(&t, &path, format)) {
        Ok(()) => args::ok(),
        Err(e) => Err(Exception::error(Term::str(&e))),
    }
}
