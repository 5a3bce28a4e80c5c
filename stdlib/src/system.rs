//! `System` and `IO`: the program's environment.

use crate::args::{self, R};
use snow_lang::vm::{Arity, BuiltinTable, Exception, NativeCx};
use snow_runtime::inspect::{display, inspect};
use snow_runtime::Term;
use std::sync::OnceLock;

static ARGV: OnceLock<Vec<String>> = OnceLock::new();

/// Sets what `System.argv()` returns (the script's own arguments).
pub fn set_argv(args: Vec<String>) {
    let _ = ARGV.set(args);
}

pub fn register(t: &mut BuiltinTable) {
    use Arity::*;
    // Both read the runtime's clock: virtual in a simulation.
    t.native("System", "monotonic_time", Exact(0), |c, _| Ok(Term::Int(c.cx.runtime().elapsed().as_micros() as i64)));
    t.native("System", "system_time", Exact(0), |c, _| Ok(Term::Int(c.cx.runtime().wall_us() as i64)));
    t.native("System", "argv", Exact(0), |_, _| {
        Ok(Term::list(ARGV.get().map(|v| v.iter().map(|s| Term::str(s)).collect()).unwrap_or_default()))
    });
    t.native("System", "halt", Exact(1), halt);
    t.native("System", "halt", Exact(0), |c, _| halt(c, &[Term::Int(0)]));
    t.native("System", "schedulers", Exact(0), |c, _| Ok(Term::Int(c.cx.runtime().schedulers() as i64)));
    t.native("System", "process_count", Exact(0), |c, _| Ok(Term::Int(c.cx.runtime().process_count() as i64)));
    t.native("System", "run_queue", Exact(0), |c, _| Ok(Term::Int(c.cx.runtime().run_queue() as i64)));
    t.native("IO", "puts", Exact(1), |c, a| {
        crate::io_server::put_line(c, &display(&a[0]));
        args::ok()
    });
    t.native("IO", "inspect", Exact(1), |c, a| {
        crate::io_server::put_line(c, &inspect(&a[0]));
        Ok(a[0].clone())
    });
}

/// What must happen before `System.halt` ends the program.
static BEFORE_HALT: parking_lot::Mutex<Option<Box<dyn FnOnce() + Send>>> = parking_lot::Mutex::new(None);

/// Runs `f` if the program is halted (once; `None` forgets it).
pub fn before_halt(f: Option<Box<dyn FnOnce() + Send>>) {
    *BEFORE_HALT.lock() = f;
}

/// `System.halt(status)`: ends the whole program now with `status`.
fn halt(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let status = match &a[0] {
        Term::Int(i) => i32::try_from(*i).map_err(|_| Exception::badarg())?,
        _ => return Err(Exception::badarg()),
    };
    use std::io::Write;
    if let Some(last_words) = BEFORE_HALT.lock().take() {
        last_words(); // `snow run --trace FILE` writes its file
    }
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(status)
}
