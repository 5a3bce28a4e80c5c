//! `test("name") do ... end`, `test("name", timeout: ms) do ... end` and
//! `describe("name") do tests end`, at the top level of a file (`words.rs`
//! makes their words keywords). Each test becomes a named function that no
//! code can call, `<test 1>`, and an entry of `Program::tests`, which
//! `snow test` reads to run any one test alone.

use chumsky::prelude::*;

use super::blocks::members;
use super::control::Ctx;
use super::expr::Grammar;
use super::{seps, span_of, tok, P};
use crate::ast::{Expr, ExprKind, FnClause, Item, Span, StrPart, TestCase, TestTimeout};
use crate::diagnostic::Diagnostic;
use crate::syntax::token::Tok;
use rustc_hash::FxHashMap;

/// A test as parsed, before it is named.
#[derive(Clone)]
pub(crate) struct TestBlock {
    name: String,
    timeout: TestTimeout,
    body: Vec<Expr>,
    span: Span,
    /// `test(...)`, what a diagnostic about the test points at.
    head: Span,
    /// The enclosing `describe`: its name and span.
    describe: Option<(String, Span)>,
}

/// A top-level item, or the tests of a `test` or `describe` block.
#[derive(Clone)]
pub(crate) enum TopItem {
    Item(Item),
    Tests(Vec<TestBlock>),
}

/// `test` and `describe` blocks at the top level.
pub(crate) fn top_level<'a>(g: &Grammar<'a>) -> P<'a, TopItem> {
    choice((test_block(&g.expr, &g.block).map(|t| vec![t]), describe(g)))
        .map(TopItem::Tests)
        .boxed()
}

/// The program's items, with each test as its function, and the tests.
pub(crate) fn assemble(items: Vec<TopItem>, diags: &mut Vec<Diagnostic>) -> (Vec<Item>, Vec<TestCase>) {
    let mut out = Vec::with_capacity(items.len());
    let mut tests: Vec<TestCase> = Vec::new();
    let mut heads: FxHashMap<String, Span> = FxHashMap::default();
    for item in items {
        let blocks = match item {
            TopItem::Item(i) => {
                out.push(i);
                continue;
            }
            TopItem::Tests(blocks) => blocks,
        };
        for t in blocks {
            let name = match &t.describe {
                Some((d, _)) => format!("{d}: {}", t.name),
                None => t.name.clone(),
            };
            // A test whose name was wrong (reported) is named "".
            if let Some(first_head) = heads.get(&name).filter(|_| !t.name.is_empty()) {
                diags.push(
                    Diagnostic::new(format!("the test `{name}` is defined twice"), t.head.clone(), "defined again here")
                        .with_label(first_head.clone(), "first defined here")
                        .with_hint("give each test its own name: it is how the report and `--seed` know it"),
                );
            }
            heads.entry(name.clone()).or_insert_with(|| t.head.clone());
            let function = format!("<test {}>", tests.len() + 1);
            out.push(Item::Fn(FnClause {
                name: function.clone(),
                name_span: t.head.clone(),
                params: Vec::new(),
                guard: None,
                body: t.body,
                span: t.span.clone(),
            }));
            tests.push(TestCase {
                name,
                function,
                span: t.span,
                describe: t.describe.map(|(_, s)| s),
                timeout: t.timeout,
            });
        }
    }
    (out, tests)
}

/// An argument of `test(...)` or `describe(...)`: a value or `key: value`.
#[derive(Clone)]
enum Arg {
    Value(Expr),
    Option(String, Span, Expr),
}

/// `(name, key: value, ...)`, checked: the name and the options.
fn args<'a>(expr: &P<'a, Expr>) -> P<'a, Vec<Arg>> {
    let key = select! { Tok::KwKey(k) => k }.map_with(|k, e| (k, span_of(e)));
    let arg = choice((key.then(expr.clone()).map(|((k, s), v)| Arg::Option(k, s, v)), expr.clone().map(Arg::Value)));
    arg.separated_by(tok(Tok::Comma))
        .allow_trailing()
        .collect::<Vec<_>>()
        .delimited_by(tok(Tok::LParen), tok(Tok::RParen).labelled("`)`"))
        .boxed()
}

/// `do` statements `end`.
fn body<'a>(block: &P<'a, Vec<Expr>>) -> P<'a, Vec<Expr>> {
    tok(Tok::Do).ignore_then(block.clone()).then_ignore(seps()).then_ignore(tok(Tok::End)).boxed()
}

fn test_block<'a>(expr: &P<'a, Expr>, block: &P<'a, Vec<Expr>>) -> P<'a, TestBlock> {
    tok(Tok::Test)
        .map_with(|_, e| span_of(e))
        .then(args(expr).map_with(|a, e| (a, span_of(e))))
        .then(body(block))
        .map_with(|((word, (args, args_span)), body), e| {
            let span = span_of(e);
            let head = word.start..args_span.end;
            let diags = &mut e.state().diags;
            let (name, timeout) = test_args(args, &word, diags);
            TestBlock { name, timeout, body, span, head, describe: None }
        })
        .boxed()
}

/// The name and the timeout of `test(...)`; what is wrong is reported.
fn test_args(args: Vec<Arg>, word: &Span, diags: &mut Vec<Diagnostic>) -> (String, TestTimeout) {
    let mut args = args.into_iter();
    let name = name_arg(args.next(), word, "test", diags);
    let mut timeout = TestTimeout::Default;
    for arg in args {
        match arg {
            Arg::Option(key, _, value) if key == "timeout" => timeout = timeout_value(&value, diags),
            Arg::Option(key, span, _) => diags.push(
                Diagnostic::new(format!("unknown test option `{key}:`"), span, "not an option of `test`")
                    .with_hint("`timeout: ms` (or `timeout: :infinity`) is the only one"),
            ),
            Arg::Value(v) => diags.push(
                Diagnostic::new("a test takes its name and options only", v.span, "an extra argument")
                    .with_hint("write `test(\"name\", timeout: 500) do ... end`"),
            ),
        }
    }
    (name, timeout)
}

/// The name of a test or describe: a string without interpolation.
fn name_arg(arg: Option<Arg>, word: &Span, what: &str, diags: &mut Vec<Diagnostic>) -> String {
    let hint = format!("write `{what}(\"what it checks\") do ... end`");
    match arg {
        Some(Arg::Value(Expr { kind: ExprKind::Str(parts), span })) => match parts.as_slice() {
            [StrPart::Lit(s)] => s.clone(),
            _ => {
                diags.push(
                    Diagnostic::new(format!("a {what}'s name is fixed text"), span, "no `${...}` here").with_hint(
                        "the name is how the report and `--seed` know the test, the same in every run",
                    ),
                );
                String::new()
            }
        },
        Some(Arg::Value(v)) => {
            diags.push(Diagnostic::new(format!("a {what}'s name is a string"), v.span, "not a string").with_hint(hint));
            String::new()
        }
        other => {
            let span = match other {
                Some(Arg::Option(_, s, _)) => s,
                _ => word.clone(),
            };
            diags.push(Diagnostic::new(format!("a {what} needs a name"), span, "the name comes first").with_hint(hint));
            String::new()
        }
    }
}

fn timeout_value(value: &Expr, diags: &mut Vec<Diagnostic>) -> TestTimeout {
    match &value.kind {
        ExprKind::Int(ms) if *ms >= 0 => TestTimeout::Ms(*ms as u64),
        ExprKind::Atom(a) if a == "infinity" => TestTimeout::Infinity,
        _ => {
            diags.push(
                Diagnostic::new("a test's timeout is a number of milliseconds", value.span.clone(), "not a literal")
                    .with_hint("write `timeout: 500`, or `timeout: :infinity` for no limit"),
            );
            TestTimeout::Default
        }
    }
}

/// `describe("name") do tests end`: tests only, and no `describe` inside.
fn describe<'a>(g: &Grammar<'a>) -> P<'a, Vec<TestBlock>> {
    #[derive(Clone)]
    enum Member {
        Test(TestBlock),
        Stray,
    }
    let stray = choice((g.named.clone().map(|f| f.span), g.expr.clone().map(|e| e.span))).map_with(|span, e| {
        e.state().diags.push(
            Diagnostic::new("a `describe` block holds `test` blocks only", span, "not a `test`")
                .with_hint("define helper functions at the top level of the file; tests call them from there"),
        );
        Member::Stray
    });
    let test = test_block(&g.expr, &g.block).map(Member::Test);
    let inner = members(choice((test.clone(), stray.clone())).boxed());
    let head = tok(Tok::Describe).then(args(&g.expr)).map_with(|_, e| span_of(e));
    let nested = head.then_ignore(inner).map_with(|span, e| {
        e.state().diags.push(
            Diagnostic::new("`describe` blocks do not nest", span, "a `describe` inside a `describe`")
                .with_hint("give the inner tests a longer name, or a `describe` of their own at the top level"),
        );
        Member::Stray
    });
    let member = choice((test, nested, stray)).boxed();
    tok(Tok::Describe)
        .map_with(|_, e| span_of(e))
        .then(args(&g.expr))
        .then(members(member))
        .map_with(|((word, args), members), e| {
            let span = span_of(e);
            let diags = &mut e.state().diags;
            let mut args = args.into_iter();
            let name = name_arg(args.next(), &word, "describe", diags);
            if let Some(extra) = args.next() {
                let at = match extra {
                    Arg::Value(v) => v.span,
                    Arg::Option(_, s, _) => s,
                };
                diags.push(Diagnostic::new("`describe` takes a name only", at, "an extra argument"));
            }
            members
                .into_iter()
                .filter_map(|m| match m {
                    Member::Test(t) => Some(TestBlock { describe: Some((name.clone(), span.clone())), ..t }),
                    Member::Stray => None,
                })
                .collect()
        })
        .boxed()
}

/// A `test` or `describe` block anywhere but the top level: read whole and
/// reported.
pub(crate) fn misplaced<'a>(ctx: &Ctx<'a>) -> P<'a, Expr> {
    let head = one_of([Tok::Test, Tok::Describe]).then_ignore(args(&ctx.expr)).map_with(|word, e| (word, span_of(e)));
    head.then_ignore(body(&ctx.block))
        .map_with(|(word, head), e| {
            let span = span_of(e);
            let what = word.symbol();
            e.state().diags.push(
                Diagnostic::new(format!("a `{what}` block belongs at the top level"), head, "inside another block")
                    .with_hint("tests are written at the top level of a test file, or in a top-level `describe`"),
            );
            Expr { kind: ExprKind::Atom("nil".into()), span }
        })
        .boxed()
}
