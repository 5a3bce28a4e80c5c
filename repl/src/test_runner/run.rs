//! Running one test: a fresh runtime (simulated with the test's own seed
//! under `--sim`), a watchdog process that starts the test's function in a
//! process of its own and kills it when its time is up. The watchdog waits
//! with the runtime's own timers, so a simulated test's timeout is virtual
//! time; this side only waits for the watchdog to end.

use crate::node::Plan;
use crate::run::keep_outcome;
use crate::sim::SimPlan;
use snow_lang::ast::TestTimeout;
use snow_lang::bytecode::Proto;
use snow_lang::vm::report::error_report;
use snow_lang::vm::{ExcKind, Fault, Fiber, Outcome};
use snow_runtime::{Atom, Runtime, Term};
use std::sync::{Arc, Mutex};

/// ExUnit's default: a test may run for a minute.
pub const DEFAULT_TIMEOUT_MS: u64 = 60_000;

/// How a test ended.
pub enum Verdict {
    Passed,
    /// Raised an error (an assertion's included): where and what.
    Raised(Fault),
    /// Called `exit(reason)` with a reason other than `:normal`.
    Exited(Term),
    /// Ended by an exit signal (a linked process died).
    Killed(Term),
    TimedOut(u64),
}

/// Runs the test function `proto` in a runtime of its own, shut down after.
/// `Err` when the runtime cannot be made a node (`--name`).
pub fn run(proto: &'static Proto, timeout: TestTimeout, node: &Plan, seed: Option<u64>) -> Result<Verdict, String> {
    let rt = crate::sim::runtime(seed.map(|seed| SimPlan { seed }).as_ref());
    let verdict = start_node(&rt, node).and_then(|()| watch(&rt, proto, timeout));
    snow_runtime::dist::peers::kill_all();
    if let Some(d) = rt.distribution() {
        d.stop();
    }
    rt.shutdown();
    verdict
}

/// `--name`: each test's runtime is the node. The name is free again only
/// once the port mapper has seen the last test's node leave.
fn start_node(rt: &Runtime, node: &Plan) -> Result<(), String> {
    let mut tries = 0;
    loop {
        match node.start(rt) {
            Err(e) if e.contains("already in use") && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.map_err(|e| format!("snow: {e}")),
        }
    }
}

fn watch(rt: &Runtime, proto: &'static Proto, timeout: TestTimeout) -> Result<Verdict, String> {
    let ms = match timeout {
        TestTimeout::Default => Some(DEFAULT_TIMEOUT_MS),
        TestTimeout::Ms(ms) => Some(ms),
        TestTimeout::Infinity => None,
    };
    let watchdog = snow_stdlib::testing::watchdog().map_err(|e| format!("snow test: {e}"))?;
    let outcome: Arc<Mutex<Option<Outcome>>> = Arc::new(Mutex::new(None));
    let test = Fiber::for_fun(&snow_lang::vm::fun_value(proto), Vec::new())
        .map_err(|e| format!("snow test: {}", e.describe()))?
        .on_finish(keep_outcome(outcome.clone()));
    // The watchdog spawns the test: one process started from here, so a
    // simulation cannot run the test ahead of its watchdog.
    let token = snow_stdlib::testing::prepare(test);
    let limit = ms.map_or(Term::Atom(Atom::new("infinity")), |ms| Term::Int(ms.min(i64::MAX as u64) as i64));
    let watched: Arc<Mutex<Option<Outcome>>> = Arc::new(Mutex::new(None));
    let watchdog = Fiber::for_fun(&watchdog, vec![token, limit])
        .map_err(|e| format!("snow test: {}", e.describe()))?
        .on_finish(keep_outcome(watched.clone()));
    // In a simulation, nothing runs after the watchdog ends.
    let (_, watchdog_ended) = rt.spawn_main(Box::new(watchdog));
    let _ = watchdog_ended.recv();
    // `(:done, reason)`: the test ended by itself; `:timeout`: it was killed.
    let ended = match taken(&watched) {
        Some(Outcome::Returned(Term::Tuple(ref t))) if t.len() == 2 => Some(t[1].clone()),
        Some(Outcome::Returned(Term::Atom(a))) if a.as_str() == "timeout" => None,
        Some(Outcome::Raised(f)) => return Err(format!("snow test: the test's watchdog failed:\n{}", error_report(&f))),
        _ => return Err("snow test: the test's watchdog ended without a verdict".into()),
    };
    Ok(match (taken(&outcome), ended) {
        (Some(Outcome::Returned(_)), _) => Verdict::Passed,
        (Some(Outcome::Raised(f)), _) if f.exception.kind == ExcKind::Error => Verdict::Raised(f),
        (Some(Outcome::Raised(f)), _) if is_normal(&f.exception.detail) => Verdict::Passed,
        (Some(Outcome::Raised(f)), _) => Verdict::Exited(f.exception.detail),
        (None, None) => Verdict::TimedOut(ms.unwrap_or(0)),
        (None, Some(reason)) if is_normal(&reason) => Verdict::Passed,
        (None, Some(reason)) => Verdict::Killed(reason),
    })
}

fn taken(slot: &Mutex<Option<Outcome>>) -> Option<Outcome> {
    slot.lock().ok().and_then(|mut s| s.take())
}

fn is_normal(t: &Term) -> bool {
    t.as_atom() == Some(Atom::NORMAL)
}
