//! Native code against the interpreter: the same programs, the same
//! results and the same error reports, whether a function runs natively,
//! bails half-way, or never gets compiled.

use super::{compile, lower::eligible};
use crate::bytecode::{Module, Op};
use crate::compiler::{compile as compile_unit, Mode};
use crate::vm::tests::{load, proto, run};
use crate::vm::BuiltinTable;
use snow_runtime::Term;
use std::sync::Arc;

fn module(src: &str) -> &'static Module {
    let parsed = crate::syntax::parse(src);
    assert!(parsed.diagnostics.is_empty(), "test source must parse: {:?}", parsed.diagnostics);
    let table = BuiltinTable::new();
    match compile_unit(&parsed.program, Arc::from(src), Arc::from("test.snow"), &table, Mode::Script) {
        Ok(unit) => unit.module,
        Err(d) => panic!("test source must compile: {d:?}"),
    }
}

/// Compiles every eligible function of `m` now; their names.
fn compile_all(m: &'static Module) -> Vec<String> {
    let mut names = Vec::new();
    for p in m.protos() {
        if eligible(p) {
            compile(p);
            assert!(p.jit.native().is_some(), "{} compiled", p.name());
            names.push(p.name().to_string());
        }
    }
    names
}

/// `src`'s result (or error report) interpreted and native, which must be
/// the same; and which functions were compiled.
fn both_ways(src: &str) -> (Result<Term, String>, Vec<String>) {
    let interpreted = run(module(src));
    let m = module(src);
    let names = compile_all(m);
    let native = run(m);
    assert_eq!(show(&interpreted), show(&native), "interpreted and native agree");
    (native, names)
}

fn show(r: &Result<Term, String>) -> String {
    match r {
        Ok(t) => format!("ok {}", snow_runtime::inspect::inspect(t)),
        Err(e) => format!("error {e}"),
    }
}

const FIB: &str = "fn fib(0) = 0\nfn fib(1) = 1\nfn fib(n) when n > 1 = fib(n - 1) + fib(n - 2)\n";

#[test]
fn fib_runs_natively_with_the_interpreters_answer() {
    let (r, names) = both_ways(&format!("{FIB}fn main() = fib(23)\n"));
    assert_eq!(show(&r), "ok 28657");
    assert_eq!(names, ["fib", "main"]);
}

#[test]
fn an_overflow_in_native_code_is_the_interpreters_badarith() {
    let (r, names) = both_ways("fn dbl(n) = dbl(n * 2)\nfn main() = dbl(3)\n");
    let report = show(&r);
    assert!(report.contains("badarith") || report.contains("arithmetic"), "{report}");
    assert_eq!(names, ["dbl", "main"]);
}

#[test]
fn a_value_that_is_no_integer_goes_on_in_the_interpreter() {
    // 2.5 > 1 holds, the halves recurse until no clause matches: the
    // native code bails at the float, the interpreter raises.
    let (r, _) = both_ways(&format!("{FIB}fn main() = fib(2.5)\n"));
    assert!(show(&r).contains("no function clause"), "{}", show(&r));
    let (r, _) = both_ways(&format!("{FIB}fn main() = fib(10) + fib(:ten)\n"));
    assert!(show(&r).starts_with("error"), "{}", show(&r));
}

#[test]
fn recursion_deeper_than_the_native_stack_allows_finishes_in_the_interpreter() {
    // 300,000 frames deep: native activations stop at the stack limit and
    // the interpreter (frames on the heap) goes on; it also yields
    // hundreds of times on the way (one reduction a call).
    let (r, names) = both_ways("fn sum(0) = 0\nfn sum(n) = n + sum(n - 1)\nfn main() = sum(300000)\n");
    assert_eq!(show(&r), "ok 45000150000");
    assert_eq!(names, ["sum", "main"]);
}

#[test]
fn a_loop_of_tail_calls_spends_reductions_and_is_preempted() {
    let (r, names) = both_ways(
        "fn count(0, acc) = acc\nfn count(n, acc) = count(n - 1, acc + 2)\nfn main() = count(1000000, 0)\n",
    );
    assert_eq!(show(&r), "ok 2000000");
    assert_eq!(names, ["count", "main"]);
}

#[test]
fn functions_with_other_instructions_stay_interpreted() {
    let m = module("fn greet(name) = \"hi ${name}\"\nfn pair(a) = (a, a)\nfn main() = pair(greet(1))\n");
    for p in m.protos().iter().filter(|p| p.name() != "main") {
        assert!(!eligible(p), "{} is not compiled", p.name());
    }
}

#[test]
fn a_result_written_over_a_term_that_owns_something_drops_it() {
    // R1 holds a string (a clone of the constant's `Arc`) when the native
    // `inc` returns into it: the string must be dropped, not leaked.
    let text = Term::Str(Arc::from("owned"));
    let top = proto(
        "<top>",
        0,
        0,
        3,
        vec![
            Op::Const { dst: 1, k: 0 },
            Op::Int { dst: 2, v: 41 },
            Op::Call { dst: 1, proto: 1, start: 2, argc: 1 },
            Op::Return { src: 1 },
        ],
        vec![text.clone()],
    );
    let inc = proto("inc", 1, 1, 1, vec![Op::AddImm { dst: 0, a: 0, imm: 1 }, Op::Return { src: 0 }], vec![]);
    let m = load(vec![top, inc]).expect("verified");
    assert_eq!(compile_all(m), ["inc"]);
    assert_eq!(show(&run(m)), "ok 42");
    let Term::Str(s) = &text else { unreachable!() };
    // Ours and the constant pool's: the register's clone was dropped.
    assert_eq!(Arc::strong_count(s), 2);
}
