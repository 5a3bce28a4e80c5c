//! Snapshot tests of rendered syntax diagnostics: what a user actually sees.
//! Update on purpose with `INSTA_UPDATE=always` (or `cargo insta review`).

use insta::assert_snapshot;
use snow_lang::diagnostic::render;
use snow_lang::syntax::parse;

/// Parses `src` and renders every diagnostic, as `snow run test.snow` would.
fn check(src: &str) -> String {
    let out = parse(src);
    assert!(!out.diagnostics.is_empty(), "expected an error for {src:?}");
    let rendered: Vec<String> =
        out.diagnostics.iter().map(|d| render(d, src, "test.snow", false)).collect();
    format!("incomplete: {}\n{}", out.incomplete, rendered.join("\n"))
}

#[test]
fn unclosed_do() {
    assert_snapshot!(check("fn main() do\n  println(1)\n"));
}

#[test]
fn stray_end() {
    assert_snapshot!(check("fn f() do\n  1\nend\nend\n"));
}

#[test]
fn unexpected_closing_paren() {
    assert_snapshot!(check("let x = )\n"));
}

#[test]
fn unexpected_operator() {
    assert_snapshot!(check("let x = 1 +* 2\n"));
}

#[test]
fn two_expressions_on_one_line() {
    assert_snapshot!(check("let x = foo bar\n"));
}

#[test]
fn unknown_escape() {
    assert_snapshot!(check("println(\"a\\qb\")\n"));
}

#[test]
fn unterminated_string_in_file() {
    assert_snapshot!(check("let s = \"abc\nprintln(s)\n"));
}

#[test]
fn unterminated_interpolation() {
    assert_snapshot!(check("println(\"n = ${n + 1\")\n"));
}

#[test]
fn bad_map() {
    assert_snapshot!(check("let m = %{1, 2}\n"));
}

#[test]
fn integer_too_large() {
    assert_snapshot!(check("let n = 99999999999999999999\n"));
}

#[test]
fn pipe_into_non_call() {
    assert_snapshot!(check("let y = x |> 1 + 2\n"));
}

#[test]
fn missing_arrow_in_case_clause() {
    assert_snapshot!(check("case x do\n  1 :one\n  _ -> :other\nend\n"));
}

#[test]
fn cond_clause_without_arrow() {
    assert_snapshot!(check("cond do\n  x > 0\nend\n"));
}

#[test]
fn nesting_too_deep() {
    let src = format!("let x = {}1{}\n", "[".repeat(201), "]".repeat(201));
    assert_snapshot!(check(&src));
}

#[test]
fn mismatched_brackets() {
    assert_snapshot!(check("foo(1, [2, 3)\n"));
}

#[test]
fn unclosed_paren_before_end() {
    assert_snapshot!(check("fn f() do\n  foo(1\nend\n"));
}

#[test]
fn wrong_closer() {
    assert_snapshot!(check("let x = (1, 2]\n"));
}

#[test]
fn nested_named_function() {
    assert_snapshot!(check("fn outer() do\n  fn inner(x) = x\n  inner(1)\nend\n"));
}

#[test]
fn unknown_character() {
    assert_snapshot!(check("let x = 1 @ 2\n"));
}

#[test]
fn end_of_input_after_operator() {
    assert_snapshot!(check("let x = 1 +\n"));
}

#[test]
fn invalid_map_key_in_pattern() {
    assert_snapshot!(check("let %{k => v} = m\n"));
}

#[test]
fn several_errors_are_all_reported() {
    assert_snapshot!(check(
        "let a = 1 +* 2\nlet b = 3\nfn f() do\n  let = 4\nend\nlet c = (1 2)\n"
    ));
}

#[test]
fn a_test_inside_a_function() {
    assert_snapshot!(check("fn helper() do\n  test(\"inner\") do\n    assert true\n  end\nend\n"));
}

#[test]
fn assertion_arguments_in_a_call_form() {
    assert_snapshot!(check("test(\"x\") do\n  assert_receive(:done, 100, :extra)\nend\n"));
}
