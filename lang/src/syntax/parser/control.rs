//! Keyword expressions: lambdas, `if`, `case`, `cond`, `receive` and `for`,
//! and the clause lists they share.
//!
//! A clause body runs on over newlines until `end`/`after`, or until a line
//! that parses as the head of the next clause (`pattern [when guard] ->`);
//! that line is only looked at (chumsky's `not`), never consumed twice.

use chumsky::prelude::*;

use super::pattern::Patterns;
use super::types::annotation;
use super::{sep, seps, span_of, tok, P};
use crate::ast::{Clause, Expr, ExprKind, Pattern, PatternKind};
use crate::diagnostic::Diagnostic;
use crate::syntax::token::Tok;

/// The parsers the keyword expressions are made of.
pub(crate) struct Ctx<'a> {
    pub expr: P<'a, Expr>,
    pub stmt: P<'a, Option<Expr>>,
    /// Statements up to (not including) `end`, `else` or `after`.
    pub block: P<'a, Vec<Expr>>,
    pub pats: Patterns<'a>,
}

fn guard<'a>(ctx: &Ctx<'a>) -> P<'a, Option<Expr>> {
    tok(Tok::When).ignore_then(ctx.expr.clone()).or_not().boxed()
}

/// Statements of a clause body: the first right after `->`, then more on
/// following lines as long as a line does not start the next clause.
fn clause_body<'a>(ctx: &Ctx<'a>, head: P<'a, ()>) -> P<'a, Vec<Expr>> {
    let more = sep().then(head.not()).ignore_then(ctx.stmt.clone());
    ctx.stmt
        .clone()
        .then(more.repeated().collect::<Vec<_>>())
        .map(|(first, rest)| first.into_iter().chain(rest.into_iter().flatten()).collect())
        .boxed()
}

fn do_end<'a, T: 'a>(inner: P<'a, T>) -> P<'a, T> {
    tok(Tok::Do).ignore_then(inner).then_ignore(seps()).then_ignore(tok(Tok::End)).boxed()
}

/// `pattern [when guard] ->` clauses of `case` and `receive`, one per line.
fn pattern_clauses<'a>(ctx: &Ctx<'a>, at_least: usize) -> P<'a, Vec<Clause>> {
    let head = ctx.pats.full.clone().then(guard(ctx)).then_ignore(tok(Tok::Arrow));
    let clause = head.clone().then(clause_body(ctx, head.ignored().boxed())).map_with(
        |((p, guard), body), e| Clause { patterns: vec![p], guard, body, span: span_of(e) },
    );
    clause.separated_by(sep()).allow_trailing().at_least(at_least).collect::<Vec<_>>().boxed()
}

pub(crate) fn case_expr<'a>(ctx: &Ctx<'a>) -> P<'a, Expr> {
    tok(Tok::Case)
        .ignore_then(ctx.expr.clone())
        .then(do_end(seps().ignore_then(pattern_clauses(ctx, 1)).boxed()))
        .map_with(|(subject, clauses), e| Expr {
            kind: ExprKind::Case { subject: Box::new(subject), clauses },
            span: span_of(e),
        })
        .boxed()
}

pub(crate) fn receive_expr<'a>(ctx: &Ctx<'a>) -> P<'a, Expr> {
    let after_body = ctx.stmt.clone().separated_by(sep()).at_least(1).collect::<Vec<_>>();
    let after = tok(Tok::After)
        .ignore_then(ctx.expr.clone())
        .then_ignore(tok(Tok::Arrow))
        .then(after_body.map(|v| v.into_iter().flatten().collect::<Vec<_>>()));
    let body = seps().ignore_then(pattern_clauses(ctx, 0)).then(after.or_not()).boxed();
    tok(Tok::Receive)
        .ignore_then(do_end(body))
        .map_with(|(clauses, after), e| Expr {
            kind: ExprKind::Receive {
                clauses,
                after: after.map(|(ms, body)| (Box::new(ms), body)),
            },
            span: span_of(e),
        })
        .boxed()
}

/// `cond do test -> body ... end`. Read as a flat list of statements where
/// those followed by `->` start a clause: a test is an expression, so looking
/// ahead for one would parse every body line twice.
pub(crate) fn cond_expr<'a>(ctx: &Ctx<'a>) -> P<'a, Expr> {
    let item = ctx
        .expr
        .clone()
        .then(tok(Tok::Arrow).ignore_then(ctx.stmt.clone()).or_not())
        .map_with(|(e, body), x| (e, body, span_of(x)));
    let items =
        seps().ignore_then(item.separated_by(sep()).allow_trailing().collect::<Vec<_>>()).boxed();
    tok(Tok::Cond)
        .ignore_then(do_end(items))
        .map_with(|items, e| {
            let mut clauses: Vec<(Expr, Vec<Expr>)> = Vec::new();
            for (test, body, span) in items {
                match body {
                    Some(first) => clauses.push((test, first.into_iter().collect())),
                    None => match clauses.last_mut() {
                        Some((_, body)) => body.push(test),
                        None => e.state().diags.push(
                            Diagnostic::new(
                                "expected `->` after this condition",
                                span,
                                "a `cond` clause starts with `test ->`",
                            )
                            .with_hint("write `cond do x > 0 -> :pos; true -> :other end`"),
                        ),
                    },
                }
            }
            Expr { kind: ExprKind::Cond(clauses), span: span_of(e) }
        })
        .boxed()
}

/// `if c do ... else ... end`; `else if c2 do ...` on one line continues the
/// same chain, closed by a single `end`.
pub(crate) fn if_expr<'a>(ctx: &Ctx<'a>) -> P<'a, Expr> {
    let expr = ctx.expr.clone();
    let block = ctx.block.clone();
    let tail = recursive(|tail| {
        expr.then_ignore(tok(Tok::Do))
            .then(block.clone())
            .then(
                tok(Tok::Else)
                    .ignore_then(choice((
                        tok(Tok::If).ignore_then(tail).map(|e: Expr| vec![e]),
                        block,
                    )))
                    .or_not(),
            )
            .map_with(|((cond, then), otherwise), e| Expr {
                kind: ExprKind::If { cond: Box::new(cond), then, otherwise },
                span: span_of(e),
            })
    });
    tok(Tok::If)
        .ignore_then(tail)
        .then_ignore(seps())
        .then_ignore(tok(Tok::End))
        .map_with(|inner, e| Expr { span: span_of(e), ..inner })
        .boxed()
}

pub(crate) fn for_expr<'a>(ctx: &Ctx<'a>) -> P<'a, Expr> {
    tok(Tok::For)
        .ignore_then(ctx.pats.full.clone())
        .then_ignore(tok(Tok::In))
        .then(ctx.expr.clone())
        .then(do_end(ctx.block.clone()))
        .map_with(|((pattern, source), body), e| Expr {
            kind: ExprKind::For { pattern: Box::new(pattern), source: Box::new(source), body },
            span: span_of(e),
        })
        .boxed()
}

/// Lambdas: `fn x -> x end`, `fn(a, b) -> a + b end`, `fn a, b -> ... end`,
/// `fn x do ... end`, `fn -> :tick end`, `fn do ... end`, and several clauses
/// separated by `;` or newlines.
pub(crate) fn lambda<'a>(ctx: &Ctx<'a>) -> P<'a, Expr> {
    let param = ctx.pats.full.clone().then_ignore(annotation()).boxed();
    let bare_params = param.clone().separated_by(tok(Tok::Comma)).collect::<Vec<_>>().boxed();
    let params = choice((
        param
            .clone()
            .separated_by(tok(Tok::Comma))
            .allow_trailing()
            .collect::<Vec<_>>()
            .delimited_by(tok(Tok::ParamsOpen), tok(Tok::RParen))
            .map(|ps| (ps, true)),
        bare_params.clone().map(|ps| (ps, false)),
    ));
    let head = param
        .clone()
        .separated_by(tok(Tok::Comma))
        .at_least(1)
        .then(guard(ctx))
        .then(tok(Tok::Arrow));
    let body = clause_body(ctx, head.ignored().boxed());
    let later =
        bare_params.then(guard(ctx)).then_ignore(tok(Tok::Arrow)).then(body.clone()).map_with(
            |((patterns, guard), body), e| Clause { patterns, guard, body, span: span_of(e) },
        );
    let arrow_form = tok(Tok::Arrow)
        .ignore_then(body)
        .then(sep().ignore_then(later).repeated().collect::<Vec<_>>())
        .then_ignore(seps())
        .map(|(body, more)| (body, more));
    let do_form = tok(Tok::Do).ignore_then(ctx.block.clone()).map(|body| (body, Vec::new()));
    tok(Tok::Fn)
        .map_with(|_, e| span_of(e).start)
        .then(params)
        .then(guard(ctx))
        .then(choice((arrow_form, do_form)))
        .then_ignore(tok(Tok::End))
        .map_with(|(((start, (patterns, parenthesised)), guard), (body, more)), e| {
            let end = span_of(e).end;
            let arity = patterns.len();
            let first_end = body.last().map_or(end, |b: &Expr| b.span.end);
            let first = Clause { patterns, guard, body, span: start..first_end };
            let more = more.into_iter().map(|c| {
                if parenthesised && arity != 1 {
                    unwrap_params(c, arity)
                } else {
                    c
                }
            });
            Expr {
                kind: ExprKind::Lambda(std::iter::once(first).chain(more).collect()),
                span: span_of(e),
            }
        })
        .boxed()
}

/// After `fn(a, b) -> ...`, a later clause written `(x, y) -> ...` lists its
/// parameters in parentheses too, rather than taking one tuple.
fn unwrap_params(mut clause: Clause, arity: usize) -> Clause {
    if clause.patterns.len() == 1 {
        if let Some(Pattern { kind: PatternKind::Tuple(items), .. }) = clause.patterns.first() {
            if items.len() == arity {
                if let Some(Pattern { kind: PatternKind::Tuple(items), .. }) = clause.patterns.pop()
                {
                    clause.patterns = items;
                }
            }
        }
    }
    clause
}
