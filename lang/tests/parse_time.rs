//! Parse time grows linearly with the input, whatever its shape: no
//! backtracking blow-up on unclosed or deeply nested constructs, in a file
//! (`parse`) or at the REPL, which asks `parse(..).incomplete` after every
//! line and highlights with `classify`.
//!
//! Each shape is parsed at two sizes, `n` and `k * n`; the test fails when
//! the time grows by much more than `k` (in release builds; a debug build
//! only checks that every shape finishes). Times are CPU times, the best of
//! a few rounds of enough repetitions to last milliseconds, and a ratio
//! over the limit is measured twice more, so that a busy shared machine does
//! not make the test flaky; a parse that never ends (`2^n` backtracking)
//! fails on a time-out instead of hanging the test.

use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use snow_lang::syntax::{classify, parse, MAX_NESTING};

/// Nested shapes: `open` `n` times, then `x`, then `close` `n` times. An
/// empty `close` leaves them all open, as at the REPL in mid-entry: those
/// marked `true` are then valid prefixes, which the REPL reads on from.
const DEEP: &[(&str, &str, &str, bool)] = &[
    ("calls", "f(", "", true),
    ("calls, closed", "f(", ")", false),
    ("remote calls", "M.f(", "", true),
    ("remote calls, closed", "M.f(", ")", false),
    ("calls with an argument", "f(a, ", "", true),
    ("calls of calls", "f(a)(", "", true),
    ("dot calls", "f.(", "", true),
    ("parens", "(", "", true),
    ("parens, closed", "(", ")", false),
    ("tuples", "(a, ", "", true),
    ("paren blocks", "(a; ", "", true),
    ("lists", "[", "", true),
    ("lists, closed", "[", "]", false),
    ("list tails", "[x | ", "", true),
    ("maps", "%{a: ", "", true),
    ("maps, closed", "%{a: ", "}", false),
    ("map keys", "%{", "", true),
    ("map updates", "%{m | a => ", "", true),
    ("interpolations", "\"a${", "", true),
    ("interpolations, closed", "\"a${", "}\"", false),
    ("interpolated calls", "\"a${f(", "", true),
    ("lambdas", "fn x do ", "", true),
    ("lambdas, closed", "fn x do ", " end", false),
    ("lambda lines", "fn x do\n", "", true),
    ("arrow lambdas", "fn(x) -> f(", "", true),
    ("ifs", "if x do ", "", true),
    ("ifs, closed", "if x do ", " end", false),
    ("else ifs", "if x do 1 else if ", "", true),
    ("else ifs, closed", "if x do 1 else if ", " do 2 end", false),
    ("elses", "if x do 1 else ", "", true),
    ("cases", "case x do\n a -> ", "", true),
    ("cases, closed", "case x do\n a -> ", "\nend", false),
    // A guard holding clauses of its own: each line that may start a clause
    // must be read once, not looked at and then read again.
    ("case guards", "case x do\n a -> 1\n b when ", "", false),
    ("case guards in parens", "case x do\n a -> 1\n b when (", "", false),
    ("case guards, closed", "case x do\n a -> 1\n b when (", ") -> 2\nend", false),
    ("lambda guards", "fn\n a -> 1\n b when (", "", false),
    ("lambda guards, closed", "fn\n a -> 1\n b when (", ") -> 2\nend", false),
    ("conds", "cond do\n x -> ", "", true),
    ("receives", "receive do after ", "", true),
    ("fors", "for x in y do ", "", true),
    // Valid prefixes, but a named function inside a block is an error.
    ("named functions", "fn f(x) do\n", "", false),
    ("lets", "let x = ", "", false),
    ("pipes", "x |> f(", "", true),
    ("function references", "f(&g/1, ", "", true),
    ("patterns", "fn f((", "", false),
    ("types", "fn f(x :: List<", "", false),
    ("mixed", "f([%{a: (fn x do g(", "", true),
    ("mixed, closed", "f([%{a: (fn x do g(", ") end)}])", false),
    ("assertions", "fn do\nassert (", "", true),
    ("assertions with a pattern", "fn do\nassert [", "", true),
    ("receive assertions", "fn do\nassert_receive (", "", false),
    ("receive assertions, call form", "fn do\nrefute_receive(", "", false),
    ("assertions, closed", "fn do\nassert (", ") = 1 end", false),
    // Tests do not nest: each inner one is reported.
    ("tests in tests", "test(\"t\") do\n", "", false),
    ("describes in describes", "describe(\"d\") do\n", "", false),
];

/// Long shapes of bounded depth: `prefix`, `unit` `n` times, `suffix`.
const WIDE: &[(&str, &str, &str, &str)] = &[
    ("list items", "[", "1, ", ""),
    ("call arguments", "f(", "a, ", ""),
    ("map entries", "%{", "a: 1, ", ""),
    ("string parts", "\"", "a${x}", ""),
    ("case clauses", "case x do\n", "a -> 1\n", ""),
    ("lambda clauses", "fn\n", "a -> 1\n", ""),
    ("block lines", "if x do\n", "f(1)\n", ""),
    ("cond clauses", "cond do\n", "x -> 1\n", ""),
    ("paren block", "(", "a; ", ""),
    ("errors", "", "f(1 2)\n", ""),
    ("errors in a block", "fn f() do\n", "x = 1\n", ""),
    ("guards that are not", "case x do\n", "b when y\n", "end\n"),
    ("operators", "", "1 + ", "1"),
    ("pipes", "", "x |> f(1) ", ""),
    ("statements", "", "let x = foo(1, [2, 3], %{a: \"s${y}\"}) |> bar()\n", ""),
    ("assertions", "", "assert (:ok, [x]) = f(y)\nassert_receive (:a, ^x), 10\nrefute x == 1\n", ""),
    ("tests", "describe(\"d\") do\n", "test(\"t\") do\nassert f(1) == 2\nend\n", "end\n"),
];

/// An assertion whose operand is a deep pattern-shaped prefix: its pattern
/// is tried once up to where it stops being one, then read as an expression.
#[test]
fn assertion_patterns_parse_in_linear_time() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for (name, prefix, open, close, suffix) in [
        ("assert, a comparison", "assert ", "(", ")", " == 1"),
        ("assert, a match", "assert ", "[", "]", " = f()"),
        ("assert, a match that is not", "assert ", "[", "]", " = "),
        ("assert_receive", "assert_receive ", "(", ",)", ", 10"),
    ] {
        within(name, move || {
            let src = |n: usize| format!("{prefix}{}x{}{suffix}", open.repeat(n), close.repeat(n));
            let n = MAX_NESTING / 4 - 2;
            assert!(!too_deep(&src(4 * n)), "{name}: too deep");
            check_growth(name, &src(n), &src(4 * n), 4, 16.0);
        });
    }
}

/// The timing tests run one at a time, not to slow each other down.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The CPU time this thread has used: unlike the time on the clock, it does
/// not count the time other processes of a busy machine run instead.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn cpu_clock() -> Duration {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, now: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut now = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `now` is a valid `struct timespec` to write to (both fields
    // are 64 bits on 64-bit Linux).
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(now.sec as u64, now.nsec as u32)
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn cpu_clock() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// The time one `parse` (and `classify`) of `src` takes, over `reps`
/// repetitions.
fn time(src: &str, reps: u32) -> Duration {
    let start = cpu_clock();
    for _ in 0..reps {
        let out = parse(src);
        let classes = classify(src);
        std::hint::black_box((&out, &classes));
    }
    cpu_clock().saturating_sub(start) / reps
}

/// Runs `f` on a thread of its own, and fails if it takes more than a
/// minute: a parser gone exponential fails the test instead of hanging it.
fn within<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let limit = Duration::from_secs(60);
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{name}: not done within {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => panic!("{name}: the worker ended without an answer"),
        },
    }
}

/// How many times longer `big` takes to parse than `small`: the best times
/// of a few rounds that time both (so that a change in the machine's load
/// hits both alike), with enough repetitions for `small` to take a couple of
/// milliseconds.
fn growth(small: &str, big: &str) -> (Duration, Duration, f64) {
    let once = time(small, 1).max(time(small, 1));
    let reps = (Duration::from_millis(2).as_nanos() / once.as_nanos().max(1)).clamp(1, 100);
    time(big, 1);
    let (mut t_small, mut t_big) = (Duration::MAX, Duration::MAX);
    for _ in 0..4 {
        t_small = t_small.min(time(small, reps as u32));
        t_big = t_big.min(time(big, reps as u32));
    }
    (t_small, t_big, t_big.as_secs_f64() / t_small.as_secs_f64().max(1e-9))
}

/// Fails (in release builds) when `factor` times the input takes more than
/// `max` times as long, in the best of three measurements: one slow
/// measurement on a busy machine is noise, three are not.
fn check_growth(name: &str, small: &str, big: &str, factor: usize, max: f64) {
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let (t_small, t_big, ratio) = growth(small, big);
        eprintln!("{name:28} {t_small:>10.1?} -> {t_big:>10.1?}  x{ratio:.1} for x{factor} input");
        best = best.min(ratio);
        if best <= max || cfg!(debug_assertions) {
            return;
        }
    }
    panic!("{name}: {factor} times the input took {best:.1} times as long: parsing is not linear");
}

fn too_deep(src: &str) -> bool {
    parse(src).diagnostics.iter().any(|d| d.title == "expression nested too deeply")
}

/// Nested shapes at `n` and `4n` levels, `4n` just within the nesting limit
/// (the parser only runs on input within it).
#[test]
fn nested_shapes_parse_in_linear_time() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for &(name, open, close, prefix) in DEEP {
        within(name, move || {
            let src = |n: usize| format!("{}x{}", open.repeat(n), close.repeat(n));
            // Levels are counted by layout, before the parser runs.
            let mut n = MAX_NESTING / 4;
            while n > 5 && too_deep(&src(4 * n)) {
                n -= 1;
            }
            assert!(!too_deep(&src(4 * n)), "{name}: 20 levels are too deep");
            if prefix {
                let out = parse(&src(4 * n));
                assert!(out.incomplete, "{name}: a valid prefix, but {:?}", out.diagnostics);
            }
            check_growth(name, &src(n), &src(4 * n), 4, 16.0);
        });
    }
}

/// Long, shallow shapes at `n` and `8n` units.
#[test]
fn long_shapes_parse_in_linear_time() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let n = if cfg!(debug_assertions) { 50 } else { 400 };
    for &(name, prefix, unit, suffix) in WIDE {
        within(name, move || {
            let src = |n: usize| format!("{prefix}{}{suffix}", unit.repeat(n));
            check_growth(name, &src(n), &src(8 * n), 8, 24.0);
        });
    }
}

/// Far past the nesting limit, unclosed or closed, the answer is quick.
#[test]
fn far_too_deep_input_is_rejected_quickly() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for &(name, open, close, _) in DEEP {
        let src = format!("{}x{}", open.repeat(2000), close.repeat(2000));
        let start = Instant::now();
        let out = within(name, move || parse(&src));
        let took = start.elapsed();
        assert!(
            out.diagnostics.iter().any(|d| d.title == "expression nested too deeply"),
            "{name}: {:?}",
            out.diagnostics
        );
        assert!(took < Duration::from_secs(2), "{name} x 2000 took {took:?}");
    }
}
