//! What `snow test` and the assertions need from Rust: a process whose crash
//! is expected (`assert_raise` runs its function in one, and its error is
//! the result, not a crash report), and the test runner's watchdog, which
//! starts the test's process itself (`prepare`), so that in a simulated run
//! nothing happens between the test's start and its watchdog's. The
//! assertions themselves are `prelude/test.snow`.

use crate::args::{self, R};
use parking_lot::Mutex;
use snow_lang::vm::{self, Arity, BuiltinImpl, BuiltinTable, Exception, Fiber, NativeCx};
use snow_runtime::{SpawnOpts, Term};

pub fn register(t: &mut BuiltinTable) {
    t.native("", "__spawn_quiet", Arity::Exact(1), spawn_quiet);
    t.native("", "__test_spawn", Arity::Exact(1), test_spawn);
}

/// Test processes made by the runner, each waiting for its watchdog to
/// spawn it, by token.
static PREPARED: Mutex<Vec<(i64, Fiber)>> = Mutex::new(Vec::new());

/// Keeps `fiber` for the watchdog given the returned token.
pub fn prepare(fiber: Fiber) -> Term {
    static NEXT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    let token = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    PREPARED.lock().push((token, fiber));
    Term::Int(token)
}

/// `__test_spawn(token)`: spawns the prepared test process, monitored by
/// the caller; `(pid, ref)`.
fn test_spawn(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let token = args::int(&a[0])?;
    let fiber = {
        let mut prepared = PREPARED.lock();
        let at = prepared.iter().position(|(t, _)| *t == token).ok_or_else(Exception::badarg)?;
        prepared.swap_remove(at).1
    };
    let (pid, mref) = c.cx.spawn(Box::new(fiber), SpawnOpts { link: false, monitor: true });
    let mref = mref.map_or(Term::NIL_ATOM, Term::Ref);
    Ok(Term::tuple(vec![Term::Pid(pid), mref]))
}

/// `__spawn_quiet(f)`: `spawn_monitor(f)`, but an error that ends the new
/// process prints no crash report: the monitor's DOWN says it all.
fn spawn_quiet(c: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let f = args::fun(&a[0])?;
    let fiber = Fiber::for_fun(f, Vec::new())?.on_finish(Box::new(|_| {}));
    let (pid, mref) = c.cx.spawn(Box::new(fiber), SpawnOpts { link: false, monitor: true });
    let mref = mref.map_or(Term::NIL_ATOM, Term::Ref);
    Ok(Term::tuple(vec![Term::Pid(pid), mref]))
}

/// `__test_watch(token, timeout)` as a function value: the process that
/// starts the prepared test, kills it if it still runs after `timeout` ms
/// (or `:infinity`) and returns `:timeout`, or `(:done, reason)` when the
/// test ended first. It waits with `receive ... after`, so a simulated
/// run's timeouts are virtual.
pub fn watchdog() -> Result<Term, String> {
    let table = vm::builtins();
    let b = table.lookup("", "__test_watch", 2).and_then(|id| table.get(id)).ok_or("the library has no __test_watch/2")?;
    let proto = match b.imp {
        BuiltinImpl::Snow(p) => p,
        BuiltinImpl::Lazy(l) => l.proto()?,
        BuiltinImpl::Native(_) => return Err("__test_watch/2 is not Snow code".into()),
    };
    Ok(vm::fun_value(proto))
}
