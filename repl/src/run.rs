//! Running scripts: `snow FILE`, `snow run FILE`, `snow -e EXPR`, and the
//! disassembler.
//!
//! A script runs as the first process of a fresh runtime. The command ends
//! when that process ends (other processes are not waited for, as with
//! `elixir script.exs`); its status is 0 unless it raised or exited with a
//! reason other than `:normal`.

use snow_lang::compiler::{compile, Mode, Unit};
use snow_lang::diagnostic::render_all;
use snow_lang::vm::{output, report, ExcKind, Fiber, Outcome};
use snow_runtime::inspect::inspect;
use snow_runtime::trace::gather;
use snow_runtime::{Atom, Runtime, Term};
use crate::node::Plan;
use crate::sim::SimPlan;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub fn run_file(path: &Path, args: Vec<String>, node: &Plan, trace: Option<&Path>, sim: Option<&SimPlan>) -> i32 {
    match read_source(path) {
        Ok(src) => run_source(&src, &path.display().to_string(), args, node, trace, sim),
        Err(msg) => {
            eprintln!("{msg}");
            1
        }
    }
}

/// Reads a script, with a one-line error when it cannot.
pub fn read_source(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("snow: cannot read {}: {}", path.display(), io_reason(&e)))?;
    String::from_utf8(bytes).map_err(|_| format!("snow: cannot read {}: the file is not valid UTF-8", path.display()))
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ if e.raw_os_error() == Some(21) => "it is a directory".into(),
        _ => e.to_string(),
    }
}

/// Parses and compiles a script, printing diagnostics on failure.
pub fn compile_script(src: &str, file: &str) -> Option<Unit> {
    let table = snow_stdlib::init();
    let parsed = snow_lang::syntax::parse(src);
    let color = std::io::stderr().is_terminal();
    if !parsed.diagnostics.is_empty() {
        eprint!("{}", render_all(&parsed.diagnostics, src, file, color));
        return None;
    }
    let mode = if crate::imports::any(&parsed.program) {
        let namespace = snow_lang::vm::Namespace::leak();
        let mut imports = crate::imports::Imports::new(namespace, color).rooted_at(file);
        let loaded = imports.load_all(&parsed.program, src, file, &crate::imports::dir_of(file));
        if let Err(text) = loaded.and_then(|()| imports.check_own(&parsed.program, src, file)) {
            eprint!("{text}");
            return None;
        }
        Mode::Importing { namespace }
    } else {
        Mode::Script
    };
    match compile(&parsed.program, Arc::from(src), Arc::from(file), table, mode) {
        Ok(unit) => Some(unit),
        Err(diags) => {
            eprint!("{}", render_all(&diags, src, file, color));
            None
        }
    }
}

pub fn run_source(src: &str, file: &str, args: Vec<String>, node: &Plan, trace: Option<&Path>, sim: Option<&SimPlan>) -> i32 {
    snow_stdlib::set_argv(args);
    let Some(unit) = compile_script(src, file) else { return 1 };
    if let Some(plan) = sim {
        eprintln!("snow: simulation seed {}", plan.seed);
    }
    let rt = crate::sim::runtime(sim);
    if let Err(e) = node.start(&rt) {
        eprintln!("snow: {e}");
        return 1;
    }
    if let Some(path) = trace {
        gather::start(&rt, snow_runtime::trace::DEFAULT_LIMIT);
        let (rt, path) = (rt.clone(), path.to_path_buf());
        snow_stdlib::before_halt(Some(Box::new(move || {
            if let Err(e) = write_trace(&rt, &path) {
                eprintln!("snow: {e}");
            }
        })));
    }
    let status = run_main(&rt, unit);
    snow_stdlib::before_halt(None);
    if let (Some(plan), true) = (sim, status != 0) {
        eprintln!("{}", plan.replay_line());
    }
    match trace {
        Some(path) => match write_trace(&rt, path) {
            Ok(()) => status,
            Err(e) => {
                eprintln!("snow: {e}");
                if status == 0 { 1 } else { status }
            }
        },
        None => status,
    }
}

/// `--trace FILE`: what every node of the run recorded, written when the
/// script ends; a line on stderr says how much was dropped, if any.
fn write_trace(rt: &Runtime, path: &Path) -> Result<(), String> {
    gather::stop(rt);
    let (timeline, recorded) = gather::timeline(rt);
    let shown = path.display().to_string();
    let format = snow_stdlib::trace::natives::Format::of_path(&shown);
    snow_stdlib::trace::natives::write_file(&timeline, &shown, format)?;
    if timeline.dropped > 0 {
        eprintln!(
            "snow: trace written to {shown}: {recorded} events recorded, the last {} kept ({} dropped: the ring keeps {} per node)",
            timeline.events.len(),
            timeline.dropped,
            rt.tracer().recording_limit()
        );
    }
    Ok(())
}

/// A finish hook that keeps a copy of a fiber's outcome in `slot`.
pub(crate) fn keep_outcome(slot: Arc<Mutex<Option<Outcome>>>) -> Box<dyn FnOnce(&Outcome) + Send> {
    Box::new(move |o: &Outcome| {
        let copy = match o {
            Outcome::Returned(v) => Outcome::Returned(v.clone()),
            Outcome::Raised(f) => Outcome::Raised(f.clone()),
        };
        if let Ok(mut s) = slot.lock() {
            *s = Some(copy);
        }
    })
}

/// Runs the script's main process to its end: the command's status.
pub(crate) fn run_main(rt: &Runtime, unit: Unit) -> i32 {
    let outcome: Arc<Mutex<Option<Outcome>>> = Arc::new(Mutex::new(None));
    let fiber = Fiber::new(unit.module, Vec::new()).on_finish(keep_outcome(outcome.clone()));
    let (_, exited) = rt.spawn_main(Box::new(fiber));
    let reason = exited.recv().unwrap_or(Term::Atom(Atom::NORMAL));
    let finished = outcome.lock().ok().and_then(|mut s| s.take());
    match finished {
        Some(Outcome::Returned(_)) => 0,
        // `exit(:normal)` ends the script quietly, with status 0.
        Some(Outcome::Raised(fault)) if fault.exception.kind == ExcKind::Exit && is_normal(&fault.exception.detail) => 0,
        Some(Outcome::Raised(fault)) => {
            let text = match fault.exception.kind {
                ExcKind::Error => report::error_report(&fault),
                ExcKind::Exit => format!("** (exit) {}", inspect(&fault.exception.detail)),
            };
            output().err(&text);
            1
        }
        // Ended by an exit signal from another process.
        None => {
            if is_normal(&reason) {
                0
            } else {
                output().err(&format!("** (EXIT) {}", inspect(&reason)));
                1
            }
        }
    }
}

fn is_normal(t: &Term) -> bool {
    t.as_atom() == Some(Atom::NORMAL)
}

pub fn disasm_file(path: &Path) -> i32 {
    let src = match read_source(path) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("{msg}");
            return 1;
        }
    };
    let Some(unit) = compile_script(&src, &path.display().to_string()) else { return 1 };
    print!("{}", snow_lang::disasm::disassemble(unit.module));
    0
}

pub fn repl(node: &Plan, sim: Option<&SimPlan>) -> i32 {
    crate::repl::run(node, sim)
}
