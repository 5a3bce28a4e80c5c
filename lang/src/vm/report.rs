//! Error reports for runtime errors: one paragraph saying what happened and
//! where (file, line, column, the source line with a caret).

use super::exception::ExcKind;
use super::fiber::Fault;
use crate::diagnostic::line_col;
use snow_runtime::inspect::inspect;
use snow_runtime::{Pid, Term};

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

/// The report of an uncaught error at a script's top level or the REPL.
pub fn error_report(fault: &Fault) -> String {
    format_fault(&fault.exception.describe(), fault)
}

/// Logged when a process other than the script's or shell's own dies of a
/// runtime error (an `exit/1` is not an error and is not logged).
pub fn crash_report(pid: Pid, fault: &Fault) {
    if fault.exception.kind != ExcKind::Error {
        return;
    }
    let what = format!(
        "process {} crashed: {}",
        inspect(&Term::Pid(pid)),
        fault.exception.describe()
    );
    super::output::output().err(&format_fault(&what, fault));
}
