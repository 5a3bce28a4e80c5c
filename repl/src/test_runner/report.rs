//! What a failed test looks like in the report: its number, name and
//! place, then what went wrong — an assertion's message and where it
//! failed, an error's report as `snow FILE` prints it, an exit, or the
//! timeout — and, in a simulation, the command that replays it alone.

use super::load::Test;
use super::run::Verdict;
use snow_lang::vm::report::{error_report, fault_place};
use snow_runtime::inspect::inspect;
use snow_runtime::Term;

/// Indentation of a failure's lines under its title.
const INDENT: &str = "     ";

/// The progress character of a test that ended so.
pub fn progress_char(v: &Verdict) -> char {
    match v {
        Verdict::Passed => '.',
        Verdict::TimedOut(_) => 'T',
        _ => 'F',
    }
}

/// `  1) name (file:line)` and the failure's lines; `round` says which run
/// it was (`, seed 43`), `replay` is the command that runs it again.
pub fn failure(number: usize, test: &Test, verdict: &Verdict, round: &str, replay: Option<&str>) -> String {
    let mut out = format!("  {number}) {} ({}){round}\n", test.case.name, test.place);
    for line in what_happened(verdict) {
        out.push_str(INDENT);
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(command) = replay {
        out.push_str(&format!("{INDENT}replay: {command}\n"));
    }
    out
}

/// The failures, each after a blank line, the seeds that failed (when
/// several were tried), and `N passed, N failed`.
pub fn summary(failures: &[String], passed: usize, failing_seeds: &[u64]) -> String {
    let mut out = String::new();
    for f in failures {
        out.push('\n');
        out.push_str(f);
    }
    out.push('\n');
    if !failing_seeds.is_empty() {
        let seeds: Vec<String> = failing_seeds.iter().map(u64::to_string).collect();
        out.push_str(&format!("failed with seeds: {}\n", seeds.join(", ")));
    }
    out.push_str(&format!("{passed} passed, {} failed\n", failures.len()));
    out
}

fn what_happened(verdict: &Verdict) -> Vec<String> {
    match verdict {
        Verdict::Passed => Vec::new(),
        Verdict::Raised(fault) => match assertion_message(&fault.exception.detail) {
            Some(message) => {
                let mut lines = message_lines(message);
                lines.push(format!("at {}", fault_place(fault)));
                lines
            }
            None => error_report(fault).lines().map(str::to_string).collect(),
        },
        Verdict::Exited(reason) => vec![format!("** (exit) {}", inspect(reason))],
        Verdict::Killed(reason) => match linked_assertion(reason) {
            Some(message) => {
                let mut lines = vec!["** (EXIT) a linked process failed an assertion:".to_string()];
                lines.extend(message_lines(message).into_iter().map(|l| format!("  {l}")));
                lines
            }
            None => vec![format!("** (EXIT) {}", inspect(reason))],
        },
        Verdict::TimedOut(ms) => vec![format!("timed out after {ms} ms")],
    }
}

/// An assertion's message, its lines under the first unindented.
fn message_lines(message: &str) -> Vec<String> {
    message.lines().map(|l| l.strip_prefix("    ").unwrap_or(l).to_string()).collect()
}

/// The message of the exit reason `(:error, (:assertion, message))`.
fn linked_assertion(reason: &Term) -> Option<&str> {
    let Term::Tuple(t) = reason else { return None };
    match &t[..] {
        [Term::Atom(tag), detail] if tag.as_str() == "error" => assertion_message(detail),
        _ => None,
    }
}

/// The message of `(:assertion, message)`, what a failed assertion raises.
fn assertion_message(detail: &Term) -> Option<&str> {
    let Term::Tuple(t) = detail else { return None };
    match &t[..] {
        [Term::Atom(tag), Term::Str(message)] if tag.as_str() == "assertion" => Some(message),
        _ => None,
    }
}
