//! The compiler layer: diagnostics it reports (as rendered snapshots), the
//! code it generates (a disassembly snapshot), and robustness: whatever the
//! parser hands it, it never panics.

use proptest::prelude::*;
use snow_lang::compiler::{compile, Mode, Unit};
use snow_lang::diagnostic::{render_all, Diagnostic};
use snow_lang::syntax::parse;
use snow_lang::vm::BuiltinTable;
use std::sync::{Arc, OnceLock};

/// A table with a few built-ins, so that calls resolve as they do for real.
fn table() -> &'static BuiltinTable {
    static T: OnceLock<BuiltinTable> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = BuiltinTable::new();
        t.native("", "println", snow_lang::vm::Arity::Exact(1), |_, _| Ok(snow_runtime::Term::OK));
        t
    })
}

fn compile_src(src: &str) -> Result<Unit, Vec<Diagnostic>> {
    let parsed = parse(src);
    assert!(parsed.diagnostics.is_empty(), "test source must parse: {:?}", parsed.diagnostics);
    compile(&parsed.program, Arc::from(src), Arc::from("test.snow"), table(), Mode::Script)
}

/// The rendered compile errors of `src`.
fn errors(src: &str) -> String {
    match compile_src(src) {
        Ok(_) => "(compiled without errors)".to_string(),
        Err(d) => render_all(&d, src, "test.snow", false),
    }
}

#[test]
fn unbound_variable_with_a_suggestion() {
    insta::assert_snapshot!(errors("let count = 1\nprintln(conut + 1)\n"));
}

#[test]
fn unbound_variable_inside_a_named_function() {
    // Named functions see only their parameters, not the script's bindings.
    insta::assert_snapshot!(errors("let limit = 3\nfn over(n) = n > limit\n"));
}

#[test]
fn unbound_pin() {
    insta::assert_snapshot!(errors("case 1 do\n  ^missing -> :yes\nend\n"));
}

#[test]
fn ambiguous_function_value() {
    insta::assert_snapshot!(errors("fn f(x) = x\nfn f(x, y) = x + y\nlet g = f\n"));
}

#[test]
fn lambda_clauses_of_different_arity() {
    insta::assert_snapshot!(errors("let f = fn\n  x -> x\n  x, y -> y\nend\n"));
}

#[test]
fn undefined_function_reference() {
    insta::assert_snapshot!(errors("let f = &nowhere/2\n"));
}

#[test]
fn fib_compiles_to_tests_and_calls() {
    let unit = compile_src("fn fib(0) = 0\nfn fib(1) = 1\nfn fib(n) when n > 1 = fib(n - 1) + fib(n - 2)\n")
        .expect("fib compiles");
    insta::assert_snapshot!(snow_lang::disasm::disassemble(unit.module));
}

#[test]
fn tail_calls_reuse_the_frame() {
    let unit = compile_src("fn count(0, acc) = acc\nfn count(n, acc) = count(n - 1, acc + 1)\n").expect("compiles");
    let listing = snow_lang::disasm::disassemble(unit.module);
    assert!(listing.contains("TailCall"), "{listing}");
    assert!(!listing.contains("Call { dst"), "no non-tail call expected:\n{listing}");
}

#[test]
fn a_loop_that_passes_its_parameters_on_copies_nothing() {
    // `loop(next, main)` after a receive: the arguments are the parameters,
    // in place, so the tail call starts its window on them (no Move).
    let src = "fn loop(next, main) do\n  receive do\n    k -> loop(next, main)\n  end\nend\n\
               fn swap(a, b, 0) = (a, b)\nfn swap(a, b, n) = swap(b, a, n - 1)\n\
               fn later(a, b) do\n  let x = a + 1\n  let y = b + 1\n  later(x, y)\nend\n\
               fn rot(a, b, c) = rot(b, c, a)\nfn shift(a, b, c, n) do\n  let m = n - 1\n  shift(b, c, n, m)\nend\n";
    let listing = snow_lang::disasm::disassemble(compile_src(src).expect("compiles").module);
    let function = |name: &str| listing.split("fn #").find(|f| f.contains(name)).expect("listed").to_string();
    let lp = function("loop/2");
    assert!(lp.contains("TailCall { proto: 1, start: 0, argc: 2 }") && !lp.contains("Move"), "{lp}");
    // Parameters passed in another order are copied into a fresh window.
    let sw = function("swap/3");
    assert!(sw.contains("Move") && !sw.contains("start: 0,"), "{sw}");
    // Two `let`s in a row: in place above the parameters, moved down by the call.
    let later = function("later/2");
    assert!(!later.contains("Move") && later.contains("TailCall") && !later.contains("start: 0,"), "{later}");
    // Variables only, but not in register order (R1, R2, R0): copied.
    let rot = function("rot/3");
    assert!(rot.contains("Move") && !rot.contains("start: 1,"), "{rot}");
    // In order from R1 on (b, c, n, then the `let` in R4): the window
    // overlaps the arguments, which the call moves down one place.
    let shift = function("shift/4");
    assert!(!shift.contains("Move") && shift.contains("start: 1, argc: 4"), "{shift}");
}

#[test]
fn closures_capture_only_what_they_mention() {
    let unit = compile_src("let a = 1\nlet b = 2\nlet f = fn x -> x + a end\n").expect("compiles");
    let lambda = unit.module.protos().iter().find(|p| p.name() == "fn").expect("the lambda");
    assert_eq!(lambda.ncaptured(), 1);
}

// ---- robustness ------------------------------------------------------------

const VOCABULARY: &[&str] = &[
    "fn", "do", "end", "let", "if", "else", "case", "cond", "receive", "after", "for", "in", "when", "->",
    "=", "(", ")", "[", "]", "%{", "}", ",", "|", "|>", "+", "-", "*", "/", "==", "<", "<>", "++", "and",
    "not", "!", "&&", "x", "y", "f", "main", "println", "spawn", "self", "Process.monitor", "List.map", ":ok",
    "1", "0", "2.5", "\"s\"", "\"${x}\"", "^x", "_", "\n", ";", "&f/1", "%{a: 1}", "true", "nil",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..40).prop_map(|toks| toks.join(" "))
}

/// Compiles whatever the parser produced, valid or recovered.
fn never_panics(src: &str) {
    let parsed = parse(src);
    let repl_names = vec!["x".to_string()];
    let ns = snow_lang::vm::Namespace::leak();
    let _ = compile(&parsed.program, Arc::from(src), Arc::from("fuzz.snow"), table(), Mode::Script);
    let _ = compile(
        &parsed.program,
        Arc::from(src),
        Arc::from("fuzz.snow"),
        table(),
        Mode::Repl { bindings: &repl_names, namespace: ns },
    );
}

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the compiler panicked");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6_000, ..ProptestConfig::default() })]

    #[test]
    fn token_soups_compile_or_fail_cleanly(src in soup()) {
        on_small_stack(move || never_panics(&src));
    }

    #[test]
    fn random_bytes_compile_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let src = String::from_utf8_lossy(&bytes).into_owned();
        on_small_stack(move || never_panics(&src));
    }
}

#[test]
fn deeply_nested_programs_compile_on_a_small_stack() {
    on_small_stack(|| {
        for depth in [50, 150, 199] {
            let src = format!("let v = {}1{}\n", "[".repeat(depth), "]".repeat(depth));
            never_panics(&src);
            let src = format!("{}1{}\n", "if true do ".repeat(depth), " end".repeat(depth));
            never_panics(&src);
            let src = format!("let f = {}1{}\n", "fn -> ".repeat(depth), " end".repeat(depth));
            never_panics(&src);
        }
    });
}

#[test]
fn literal_returns_are_fused_but_a_join_keeps_its_return() {
    let unit = compile_src("fn sign(0) = :zero\nfn sign(_) = 1\nfn either(x) = x or 5\n").expect("compiles");
    let listing = snow_lang::disasm::disassemble(unit.module);
    let sign = listing.split("fn #").find(|f| f.contains("sign/1")).expect("sign listed");
    assert!(sign.contains("ReturnConst") && sign.contains("ReturnInt { v: 1 }"), "{sign}");
    assert!(!sign.contains("Return { src"), "no Return left after fused ones:\n{sign}");
    // `x or 5`: the `true` branch jumps to the Return that follows `5`.
    let either = listing.split("fn #").find(|f| f.contains("either/1")).expect("either listed");
    assert!(either.contains("ReturnInt { v: 5 }") && either.contains("Return { src"), "{either}");
}

#[test]
fn a_let_statement_costs_no_copy() {
    // The value of `let y = ...` as a statement is unused: no Move for it.
    let unit = compile_src("fn f(x) do\n  let y = x + 1\n  let z = y == 3\n  (y, z)\nend\n").expect("compiles");
    let listing = snow_lang::disasm::disassemble(unit.module);
    let f = listing.split("fn #").find(|f| f.contains("f/1")).expect("f listed");
    // Only the two moves that line up the tuple's elements.
    assert_eq!(f.matches("Move").count(), 2, "{f}");
}

#[test]
fn superinstructions_need_their_exact_shapes() {
    // A literal head whose body is not a small integer, a call of two
    // arguments, and a sum that is not returned: none is fused.
    let unit = compile_src(
        "fn name(0) = :zero\nfn name(_) = :other\nfn two(n) = pair(n - 1, n)\nfn pair(a, b) = (a, b)\nfn sum(a, b) do\n  let s = a + b\n  (s, s)\nend\n",
    )
    .expect("compiles");
    let listing = snow_lang::disasm::disassemble(unit.module);
    assert!(!listing.contains("ReturnIfInt"), "{listing}");
    assert!(!listing.contains("CallAddImm"), "{listing}");
    assert!(!listing.contains("ReturnAdd"), "{listing}");
    // `f(n - 1)` of one argument, and `a + b` returned: fused.
    let unit = compile_src("fn up(0) = 0\nfn up(n) = up(n - 1) + 1\nfn add(a, b) = a + b\n").expect("compiles");
    let listing = snow_lang::disasm::disassemble(unit.module);
    assert!(listing.contains("ReturnIfInt { src: 0, v: 0, ret: 0 }"), "{listing}");
    assert!(listing.contains("CallAddImm"), "{listing}");
    assert!(listing.contains("ReturnAdd"), "{listing}");
}

#[test]
fn two_literal_heads_on_one_argument_are_tested_at_once() {
    // `fib`'s two heads: one instruction for both.
    let unit = compile_src("fn fib(0) = 0\nfn fib(1) = 1\nfn fib(n) = fib(n - 1) + fib(n - 2)\n").expect("compiles");
    let listing = snow_lang::disasm::disassemble(unit.module);
    assert!(listing.contains("ReturnIfInt2 { src: 0, v: 0, ret: 0, v2: 1, ret2: 1 }"), "{listing}");
    // Heads on different arguments, or a literal too large for the
    // instruction's 16 bits: two tests, as before.
    let unit = compile_src("fn f(0, _) = 0\nfn f(_, 1) = 1\nfn f(a, b) = a + b\nfn g(0) = 100000\nfn g(1) = 1\nfn g(n) = n\n").expect("compiles");
    let listing = snow_lang::disasm::disassemble(unit.module);
    assert!(!listing.contains("ReturnIfInt2"), "{listing}");
    assert_eq!(listing.matches("ReturnIfInt {").count(), 4, "{listing}");
}

#[test]
fn a_sum_that_a_branch_joins_keeps_its_return() {
    // `if`'s two branches meet at one Return: the `else` branch's sum is
    // fused with it, and the Return stays for the `then` branch's jump.
    let unit = compile_src("fn f(c, a, b) do\n  if c do\n    a\n  else\n    a + b\n  end\nend\n").expect("compiles");
    let listing = snow_lang::disasm::disassemble(unit.module);
    let f = listing.split("fn #").find(|f| f.contains("f/3")).expect("f listed");
    assert!(f.contains("Return { src"), "{f}");
}
