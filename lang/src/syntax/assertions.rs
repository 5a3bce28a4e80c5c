//! What the assertions become: calls of the library's `__assert*` functions
//! (`stdlib/src/prelude/test.snow`), which raise `(:assertion, message)`
//! when one fails, and for those that bind, a `let` around a `case` or a
//! `receive` that matches the pattern once more. Each failure message starts
//! with the assertion's own source text.
//!
//! - `assert a == b` is `__assert_compare("==", a, b, code)` (each side
//!   evaluated once, both shown when it fails); `assert x` is
//!   `__assert(x, code)`; `refute` likewise.
//! - `assert p = e` is `let p = case e do v = p -> v; v -> __assert_match_failed(...) end`.
//! - `assert_receive p when g, t` is
//!   `let p = receive do v = p when g -> v after t -> __assert_receive_failed(...) end`.
//! - `refute_receive p when g, t` is
//!   `receive do v = p when g -> __refute_receive_failed(...) after t -> false end`.
//!
//! The variable `v` is named so that no program can write it.

use crate::ast::{BinOp, Callee, Clause, Expr, ExprKind, Pattern, PatternKind, Span, StrPart};

/// ExUnit's default wait for `assert_receive` and `refute_receive`.
pub const DEFAULT_RECEIVE_TIMEOUT_MS: i64 = 100;

/// The matched value inside the expansion (not a name the lexer reads).
const VALUE: &str = "assert$value";

/// The assertion's source text on one line: line breaks and the
/// indentation after them become one space.
pub fn code_text(src: &str, span: &Span) -> String {
    let text = src.get(span.clone()).unwrap_or("");
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// `assert value`.
pub fn assert(value: Expr, code: String, span: Span) -> Expr {
    truth_test("__assert", "__assert_compare", value, code, span)
}

/// `refute value`.
pub fn refute(value: Expr, code: String, span: Span) -> Expr {
    truth_test("__refute", "__refute_compare", value, code, span)
}

fn truth_test(plain: &str, compare: &str, value: Expr, code: String, span: Span) -> Expr {
    let code = string(code, &span);
    let operator = match &value.kind {
        ExprKind::Binary(op, ..) => comparison(*op),
        _ => None,
    };
    match (operator, value.kind) {
        (Some(operator), ExprKind::Binary(_, left, right)) => {
            let operator = string(operator.to_string(), &value.span);
            call(compare, vec![operator, *left, *right, code], span)
        }
        (_, kind) => call(plain, vec![Expr { kind, span: value.span }, code], span),
    }
}

/// The operators whose sides a failed assertion shows.
fn comparison(op: BinOp) -> Option<&'static str> {
    Some(match op {
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::StrictEq => "===",
        BinOp::StrictNe => "!==",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        _ => return None,
    })
}

/// `assert pattern = value`: binds the pattern's variables.
pub fn assert_match(pattern: Pattern, value: Expr, code: String, span: Span) -> Expr {
    let pins = pins(&pattern, &span);
    let failed = call("__assert_match_failed", vec![string(code, &span), var(VALUE, &span), pins], span.clone());
    let clauses = vec![
        clause(alias(pattern.clone()), None, var(VALUE, &span), &span),
        clause(Pattern { kind: PatternKind::Var(VALUE.into()), span: span.clone() }, None, failed, &span),
    ];
    let case = node(ExprKind::Case { subject: Box::new(value), clauses }, &span);
    node(ExprKind::Let(Box::new(pattern), Box::new(case)), &span)
}

/// `assert_receive pattern [when guard][, timeout]`: binds the pattern's
/// variables; the value is the message.
pub fn assert_receive(pattern: Pattern, guard: Option<Expr>, timeout: Option<Expr>, code: String, span: Span) -> Expr {
    let timeout = timeout.unwrap_or_else(|| node(ExprKind::Int(DEFAULT_RECEIVE_TIMEOUT_MS), &span));
    let pins = pins(&pattern, &span);
    let failed = call("__assert_receive_failed", vec![string(code, &span), timeout.clone(), pins], span.clone());
    let receive = node(
        ExprKind::Receive {
            clauses: vec![clause(alias(pattern.clone()), guard, var(VALUE, &span), &span)],
            after: Some((Box::new(timeout), vec![failed])),
        },
        &span,
    );
    node(ExprKind::Let(Box::new(pattern), Box::new(receive)), &span)
}

/// `refute_receive pattern [when guard][, timeout]`: `false` when no such
/// message came in time.
pub fn refute_receive(pattern: Pattern, guard: Option<Expr>, timeout: Option<Expr>, code: String, span: Span) -> Expr {
    let timeout = timeout.unwrap_or_else(|| node(ExprKind::Int(DEFAULT_RECEIVE_TIMEOUT_MS), &span));
    let failed =
        call("__refute_receive_failed", vec![string(code, &span), var(VALUE, &span), timeout.clone()], span.clone());
    node(
        ExprKind::Receive {
            clauses: vec![clause(alias(pattern), guard, failed, &span)],
            after: Some((Box::new(timeout), vec![node(ExprKind::Atom("false".into()), &span)])),
        },
        &span,
    )
}

/// `[("name", name), ...]`: the pattern's pinned variables and their
/// values, which a failure shows.
fn pins(pattern: &Pattern, span: &Span) -> Expr {
    let mut names: Vec<&str> = Vec::new();
    let mut todo = vec![pattern];
    while let Some(p) = todo.pop() {
        match &p.kind {
            PatternKind::Pin(name) if !names.contains(&name.as_str()) => names.push(name),
            PatternKind::Tuple(items) => todo.extend(items.iter().rev()),
            PatternKind::List(items, tail) => {
                todo.extend(tail.as_deref());
                todo.extend(items.iter().rev());
            }
            PatternKind::Map(pairs) => todo.extend(pairs.iter().rev().flat_map(|(k, v)| [v, k])),
            PatternKind::Alias(inner, _) => todo.push(inner),
            _ => {}
        }
    }
    let items = names
        .into_iter()
        .map(|n| node(ExprKind::Tuple(vec![string(n.to_string(), span), var(n, span)]), span))
        .collect();
    node(ExprKind::List(items, None), span)
}

fn alias(pattern: Pattern) -> Pattern {
    let span = pattern.span.clone();
    Pattern { kind: PatternKind::Alias(Box::new(pattern), VALUE.into()), span }
}

fn clause(pattern: Pattern, guard: Option<Expr>, body: Expr, span: &Span) -> Clause {
    Clause { patterns: vec![pattern], guard, body: vec![body], span: span.clone() }
}

fn call(name: &str, args: Vec<Expr>, span: Span) -> Expr {
    Expr { kind: ExprKind::Call(Callee::Name(name.into()), args), span }
}

fn var(name: &str, span: &Span) -> Expr {
    node(ExprKind::Var(name.into()), span)
}

fn string(text: String, span: &Span) -> Expr {
    node(ExprKind::Str(vec![StrPart::Lit(text)]), span)
}

fn node(kind: ExprKind, span: &Span) -> Expr {
    Expr { kind, span: span.clone() }
}
