//! Robustness: the lexer and parser never panic and never overflow the
//! stack, whatever the input; spans always land on char boundaries.

use proptest::prelude::*;
use snow_lang::syntax::{classify, parse};

/// The REPL may parse on a thread this small.
const SMALL_STACK: usize = 2 * 1024 * 1024;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("spawn test thread")
        .join()
        .expect("parser thread panicked or overflowed")
}

/// Parses and classifies `src`, checking every span it hands out.
fn check(src: &str) {
    let out = parse(src);
    for d in &out.diagnostics {
        assert!(!d.title.is_empty());
        for (span, _) in &d.labels {
            assert!(span.start <= span.end && span.end <= src.len(), "{span:?} in {src:?}");
            assert!(
                src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
                "{span:?} in {src:?}"
            );
        }
    }
    if out.incomplete {
        assert!(!out.diagnostics.is_empty());
    }
    for item in &out.program.items {
        let span = match item {
            snow_lang::ast::Item::Fn(f) => f.span.clone(),
            snow_lang::ast::Item::Expr(e) => e.span.clone(),
            snow_lang::ast::Item::Module(m) => m.span.clone(),
            snow_lang::ast::Item::Import { span, .. } => span.clone(),
        };
        assert!(
            span.end <= src.len()
                && src.is_char_boundary(span.start)
                && src.is_char_boundary(span.end)
        );
    }
    let mut last = 0;
    for (span, _) in classify(src) {
        assert!(
            span.start >= last && span.start <= span.end && span.end <= src.len(),
            "{span:?} in {src:?}"
        );
        assert!(
            src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
            "{span:?} in {src:?}"
        );
        last = span.end;
    }
}

const VOCABULARY: &[&str] = &[
    "do",
    "end",
    "fn",
    "actor",
    "let",
    "if",
    "else",
    "case",
    "cond",
    "receive",
    "after",
    "for",
    "in",
    "when",
    "and",
    "or",
    "not",
    "true",
    "false",
    "nil",
    "x",
    "f",
    "_",
    "_y",
    "alive?",
    "test",
    "describe",
    "assert",
    "refute",
    "assert_receive",
    "refute_receive(",
    "Mod",
    ".",
    "42",
    "-7",
    "0xff",
    "1_000",
    "3.14",
    "1e3",
    "99999999999999999999",
    ":ok",
    ":\"a@b\"",
    ":\"",
    "\"",
    "\"s\"",
    "\"a${",
    "${",
    "}",
    "\\",
    "\\q",
    "(",
    ")",
    "[",
    "]",
    "%{",
    "|",
    "=>",
    "->",
    "=",
    "::",
    "Int",
    "<",
    ">",
    ",",
    ";",
    "\n",
    "\n",
    "\n",
    " ",
    "#c\n",
    "+",
    "-",
    "*",
    "/",
    "==",
    "!=",
    "===",
    "!==",
    "<=",
    ">=",
    "&&",
    "||",
    "!",
    "<>",
    "++",
    "|>",
    "^",
    "&",
    "a:",
    "é",
    "@",
    "$",
    "\t",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..60).prop_map(|words| {
        let mut s = String::new();
        for w in words {
            s.push_str(w);
            s.push(' ');
        }
        s
    })
}

/// Tokens glued together with no spaces, so that they lex differently.
fn glued_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..40).prop_map(|words| words.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(src in soup()) {
        check(&src);
    }

    #[test]
    fn glued_token_soup_never_panics(src in glued_soup()) {
        check(&src);
    }

    #[test]
    fn mutated_programs_never_panic(cut in 0usize..400, insert in prop::sample::select(VOCABULARY)) {
        let base = "fn f(x) when x > 0 do\n  case x do\n    (:ok, v) -> \"v=${v + 1}\"\n    [h | t] -> %{a: h, t => t}\n    _ -> fn y -> y |> g(1) end\n  end\nend\nlet z = receive do after 10 -> :t end\n";
        let mut at = cut.min(base.len());
        while !base.is_char_boundary(at) { at -= 1; }
        check(&format!("{}{}{}", &base[..at], insert, &base[at..]));
        check(&base[..at]);
    }
}

/// Pieces that open nested constructs, each of which a parser that
/// backtracks could read twice (and so `2^n` times for `n` nested ones),
/// and what closes each.
const NESTING: &[(&str, &str)] = &[
    ("f(", ")"),
    ("M.f(", ")"),
    ("f(a)(", ")"),
    ("f.(", ")"),
    ("(", ")"),
    ("(a, ", ")"),
    ("(a; ", ")"),
    ("[", "]"),
    ("[x | ", "]"),
    ("%{", " => 1}"),
    ("%{a: ", "}"),
    ("%{m | a => ", "}"),
    ("\"a${", "}\""),
    ("\"a${f(", ")}\""),
    ("fn x do ", " end"),
    ("fn x do\n", "\nend"),
    ("fn(x) -> ", " end"),
    ("fn\n a -> 1\n b when ", " -> 2\nend"),
    ("fn\n a -> 1\n b when (", ") -> 2\nend"),
    ("if x do ", " end"),
    ("if x do 1 else if ", " do 2 end"),
    ("if x do 1 else ", " end"),
    ("case x do\n a -> ", "\nend"),
    ("case x do\n a -> 1\n b when ", " -> 2\nend"),
    ("case x do\n a -> 1\n b when (", ") -> 2\nend"),
    ("cond do\n x -> ", "\nend"),
    ("receive do after ", " -> 1 end"),
    ("for x in y do ", " end"),
    ("fn f(x) do\n", "\nend"),
    ("let x = ", ""),
    ("x |> f(", ")"),
    ("f(&g/1, ", ")"),
];

/// Odd pieces to end with.
const ENDINGS: &[&str] =
    &["", "", "", ")", "]", "}", " end", "\nend", " -> 2\n", "\n", "a, ", "; ", " do ", "\""];

/// Up to 50 nested openers, the innermost `closed` of them closed, then an
/// odd piece.
fn nesting() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(NESTING), 0..50),
        any::<prop::sample::Index>(),
        prop::sample::select(ENDINGS),
    )
        .prop_map(|(pieces, closed, ending)| {
            let closed = closed.index(pieces.len() + 1);
            let open: String = pieces.iter().map(|(open, _)| *open).collect();
            let close: String = pieces.iter().rev().take(closed).map(|(_, close)| *close).collect();
            format!("{open}x{close}{ending}")
        })
}

/// Openers, closers and odd pieces in any order.
fn nesting_soup() -> impl Strategy<Value = String> {
    let pieces: Vec<&str> = NESTING
        .iter()
        .flat_map(|(open, close)| [*open, *close])
        .chain(ENDINGS.iter().copied())
        .collect();
    prop::collection::vec(prop::sample::select(pieces), 0..100).prop_map(|pieces| pieces.concat())
}

/// Checks `src` on a thread of its own, failing if that takes more than a
/// few seconds (it takes a millisecond or so): rather than hang the test
/// when parsing goes exponential.
fn check_quickly(src: String) {
    let limit = std::time::Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 5 });
    let (tx, rx) = std::sync::mpsc::channel();
    let shown = src.clone();
    std::thread::spawn(move || {
        check(&src);
        let _ = tx.send(());
    });
    match rx.recv_timeout(limit) {
        Ok(()) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{shown:?} took more than {limit:?} to parse")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("{shown:?}: check failed"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn nesting_parses_quickly(src in nesting()) {
        check_quickly(src);
    }

    #[test]
    fn nesting_soup_parses_quickly(src in nesting_soup()) {
        check_quickly(src);
    }
}

#[test]
fn hundred_thousand_open_parens() {
    on_small_stack(|| {
        let out = parse(&"(".repeat(100_000));
        assert_eq!(out.diagnostics[0].title, "expression nested too deeply");
        assert!(!out.incomplete);
    });
}

#[test]
fn hundred_thousand_open_brackets() {
    on_small_stack(|| {
        let out = parse(&"[".repeat(100_000));
        assert_eq!(out.diagnostics[0].title, "expression nested too deeply");
    });
}

#[test]
fn balanced_deep_nesting_of_every_kind() {
    on_small_stack(|| {
        for (open, close) in [
            ("(", ")"),
            ("[", "]"),
            ("%{", "}"),
            ("\"${", "}\""),
            ("fn do\n", "\nend"),
            ("if x do ", " end"),
        ] {
            let src = format!("{}1{}", open.repeat(5000), close.repeat(5000));
            let out = parse(&src);
            assert_eq!(out.diagnostics.len(), 1, "{open}: {:#?}", out.diagnostics);
            assert_eq!(out.diagnostics[0].title, "expression nested too deeply");
        }
    });
}

#[test]
fn nesting_just_under_the_limit_parses_on_a_small_stack() {
    on_small_stack(|| {
        let n = snow_lang::syntax::MAX_NESTING / 2 - 1;
        for (open, close) in
            [("(", ")"), ("[", "]"), ("fn do\n", "\nend"), ("f(fn x -> ", " end)"), ("\"${", "}\"")]
        {
            let src = format!("{}1{}", open.repeat(n), close.repeat(n));
            let out = parse(&src);
            assert!(out.diagnostics.is_empty(), "{open}: {:#?}", out.diagnostics);
        }
        let src = format!("let x = {}1{}", "%{a: ".repeat(n), "}".repeat(n));
        assert!(parse(&src).diagnostics.is_empty());
    });
}

#[test]
fn long_chains_without_brackets() {
    on_small_stack(|| {
        for unit in ["- ", "not ", "!", "let a = ", "1 + ", "1 ++ ", "x |> ", "x = "] {
            let src = format!("{}1", unit.repeat(100_000));
            let out = parse(&src);
            assert!(!out.diagnostics.is_empty(), "{unit}");
        }
    });
}

#[test]
fn one_megabyte_input() {
    on_small_stack(|| {
        let line = "let x = foo(1, [2, 3], %{a: \"s${y}\"}) |> bar() # comment\n";
        let src = line.repeat(1024 * 1024 / line.len() + 1);
        let out = parse(&src);
        assert!(out.diagnostics.is_empty());
        assert!(out.program.items.len() > 10_000);

        let garbage: String =
            (0..1024 * 1024).map(|i| ["(", "]", "end", "\"", "do", "\n", "@"][i % 7]).collect();
        check(&garbage);
    });
}

#[test]
fn thousand_line_file_parses_quickly() {
    let chunk = "fn fib(0) = 0\nfn fib(1) = 1\nfn fib(n) when n > 1 = fib(n - 1) + fib(n - 2)\n\
                 actor counter(n) do\n  receive do\n    (:inc) -> counter(n + 1)\n    (:get, from) ->\n      send(from, (:count, n))\n      counter(n)\n  after 5000 ->\n    :idle_timeout\n  end\nend\n\
                 let xs = for x in [1, 2, 3] do x * 2 end |> Enum.map(fn x -> \"${x}\" end)\n";
    let src = chunk.repeat(1000 / chunk.lines().count() + 1);
    assert!(src.lines().count() >= 1000);
    let start = std::time::Instant::now();
    let out = parse(&src);
    let took = start.elapsed();
    assert!(out.diagnostics.is_empty());
    eprintln!("1000-line parse: {took:?}");
    assert!(took.as_millis() < 500, "took {took:?}");
}
