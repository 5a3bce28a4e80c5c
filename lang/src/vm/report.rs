//! Error reports for runtime errors: one paragraph saying what happened and
//! where (file, line, column, the source line with a caret).

use super::exception::ExcKind;
use super::fiber::Fault;
use crate::diagnostic::line_col;
use snow_runtime::cx::Cx;
use snow_runtime::inspect::{describe_label, inspect};
use snow_runtime::{io_protocol, Atom, Runtime, Term};
use std::sync::atomic::{AtomicBool, Ordering};

/// `what` followed by the location of the fault:
///
/// ```text
/// ** (badarith) bad argument in arithmetic expression
///     at demo.snow:3:9, in half/1
///      3 |   n / 0
///        |   ^^^^^
/// ```
pub fn format_fault(what: &str, fault: &Fault) -> String {
    let proto = fault.proto;
    let module = proto.module();
    let span = proto.span_at(fault.pc);
    let source: &str = &module.source;
    let mut out = format!("** {what}\n");
    if span.end == 0 && span.start == 0 && source.is_empty() {
        return out.trim_end().to_string();
    }
    let (line, col) = line_col(source, span.start);
    let place = if proto.name.starts_with('<') {
        String::new()
    } else {
        format!(", in {}/{}", proto.name, proto.arity)
    };
    out.push_str(&format!("    at {}:{}:{}{}\n", module.file, line, col, place));
    if let Some(text) = source.lines().nth(line - 1) {
        let gutter = line.to_string();
        let width = text.chars().count();
        let caret_len = source[span.start.min(source.len())..span.end.min(source.len())]
            .lines()
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(1)
            .clamp(1, width.saturating_sub(col - 1).max(1));
        out.push_str(&format!("    {gutter} | {text}\n"));
        out.push_str(&format!(
            "    {} | {}{}\n",
            " ".repeat(gutter.len()),
            " ".repeat(col - 1),
            "^".repeat(caret_len)
        ));
    }
    out.trim_end().to_string()
}

/// Where a fault was raised, as `file.snow:3` (`file.snow:3, in half/1`).
pub fn fault_place(fault: &Fault) -> String {
    let proto = fault.proto;
    let module = proto.module();
    let span = proto.span_at(fault.pc);
    if span.end == 0 && span.start == 0 && module.source.is_empty() {
        return module.file.to_string();
    }
    let (line, _) = line_col(&module.source, span.start);
    if proto.name.starts_with('<') {
        format!("{}:{}", module.file, line)
    } else {
        format!("{}:{}, in {}/{}", module.file, line, proto.name, proto.arity)
    }
}

/// The report of an uncaught error at a script's top level or the REPL.
pub fn error_report(fault: &Fault) -> String {
    format_fault(&fault.exception.describe(), fault)
}

/// Logged when a process other than the script's or shell's own dies of a
/// runtime error (an `exit/1` is not an error and is not logged). A process
/// spawned from another node also reports to its group leader there (as
/// Erlang's logger does), naming itself as that node knows it and the node
/// it ran on; the local copy can be turned off (`set_local_copies`).
pub fn crash_report(cx: &mut Cx<'_>, fault: &Fault) {
    if fault.exception.kind != ExcKind::Error {
        return;
    }
    let pid = cx.pid();
    let detail = format_fault(&fault.exception.describe(), fault);
    let detail = detail.strip_prefix("** ").unwrap_or(&detail);
    let what = what_it_was(cx);
    let forwarded = match cx.group_leader() {
        Some(gl) => {
            let from = cx.runtime().whereis(Atom::USER).unwrap_or(Runtime::OUTSIDE);
            let node = Term::Atom(cx.runtime().node_name());
            let args = vec![Term::Pid(pid), Term::str(&what), node, Term::str(detail)];
            cx.send(gl, io_protocol::put_format(from, Term::Atom(Atom::OK), "** process ~p~ts on ~ts crashed: ~ts~n", args));
            true
        }
        None => false,
    };
    if !forwarded || LOCAL_COPIES.load(Ordering::Relaxed) {
        super::output::output().err(&format!("** process {}{what} crashed: {detail}", inspect(&Term::Pid(pid))));
    }
}

/// ` (service Counter, supervised by Shop #PID<0.80.0>)`, or nothing for
/// a process that has no label and no supervisor: what the process was,
/// and the supervisor that will see its end (OTP's report names its
/// ancestors).
fn what_it_was(cx: &Cx<'_>) -> String {
    let mut parts = Vec::new();
    if let Some(label) = cx.label() {
        parts.push(describe_label(&label));
    }
    if let Some((sup, Term::Tuple(ref t))) = cx.labelled_parent() {
        if t.len() == 2 && t[0].as_atom().is_some_and(|k| k.as_str() == "supervisor") {
            let name = match &t[1] {
                Term::Atom(a) if *a == Atom::NIL => String::new(),
                m => format!("{} ", inspect(m)),
            };
            parts.push(format!("supervised by {name}{}", inspect(&Term::Pid(sup))));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// A report line that is not a crash (a supervisor's restart, a service's
/// end): printed as crash reports are, to the group leader of a process
/// spawned from elsewhere and on this node's stderr.
pub fn log_report(cx: &mut Cx<'_>, text: &str) {
    cx.runtime().trace_report(cx.pid(), text);
    let forwarded = match cx.group_leader() {
        Some(gl) => {
            let from = cx.runtime().whereis(Atom::USER).unwrap_or(Runtime::OUTSIDE);
            cx.send(gl, io_protocol::put_format(from, Term::Atom(Atom::OK), "~ts~n", vec![Term::str(text)]));
            true
        }
        None => false,
    };
    if !forwarded || LOCAL_COPIES.load(Ordering::Relaxed) {
        super::output::output().err(text);
    }
}

static LOCAL_COPIES: AtomicBool = AtomicBool::new(true);

/// Whether a crash report sent to a group leader on another node is also
/// printed here. A `snow peer` turns it off: its terminal is its parent's,
/// which shows the report already.
pub fn set_local_copies(on: bool) {
    LOCAL_COPIES.store(on, Ordering::Relaxed);
}
