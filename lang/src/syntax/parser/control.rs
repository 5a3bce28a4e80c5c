//! Keyword expressions: lambdas, `if`, `case`, `cond`, `receive` and `for`,
//! and the clause lists they share.
//!
//! A clause body runs on over newlines until `end`/`after`, or until a line
//! that starts with the head of another clause (`pattern [when guard] ->`).
//! Each line's head is read once: either it parses, and the line starts a
//! clause, or it does not, and the line is read as a statement from its
//! start. (Looking ahead for the head and then reading it again would read a
//! guard twice, and a guard holding clauses of its own `2^depth` times.)

use chumsky::prelude::*;

use super::pattern::Patterns;
use super::types::annotation;
use super::{attempt, sep, seps, span_of, tok, P};
use crate::ast::{Clause, Expr, ExprKind, Pattern, PatternKind, Span};
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

/// What follows a clause's `->`: its body, and the clauses after it.
struct Run<H> {
    /// The first clause's statements: the one right after `->`, then those
    /// on following lines up to the next clause head.
    body: Vec<Expr>,
    /// Where the first clause's body ends (a byte offset).
    body_end: usize,
    /// Each later clause: its head, its statements and its span.
    later: Vec<(H, Vec<Expr>, Span)>,
}

/// The statements after a clause's `->`, then line by line either `head` and
/// a statement (the next clause) or a statement that continues the current
/// clause's body. `head` is tried once per line, and never re-read.
fn clause_run<'a, H: 'a>(ctx: &Ctx<'a>, head: P<'a, H>) -> P<'a, Run<H>> {
    let first = ctx.stmt.clone().map_with(|s, e| (s, span_of(e).end));
    let line = attempt(head).then(ctx.stmt.clone()).map_with(|(h, s), e| (h, s, span_of(e)));
    first
        .then(sep().ignore_then(line).repeated().collect::<Vec<_>>())
        .map(|((first, mut body_end), lines)| {
            let mut body: Vec<Expr> = first.into_iter().collect();
            let mut later: Vec<(H, Vec<Expr>, Span)> = Vec::new();
            for (head, stmt, span) in lines {
                match (head, later.last_mut()) {
                    (Some(head), _) => later.push((head, stmt.into_iter().collect(), span)),
                    (None, Some((_, stmts, clause_span))) => {
                        stmts.extend(stmt);
                        clause_span.end = span.end;
                    }
                    (None, None) => {
                        body.extend(stmt);
                        body_end = span.end;
                    }
                }
            }
            Run { body, body_end, later }
        })
        .boxed()
}

fn do_end<'a, T: 'a>(inner: P<'a, T>) -> P<'a, T> {
    tok(Tok::Do).ignore_then(inner).then_ignore(seps()).then_ignore(tok(Tok::End)).boxed()
}

/// `pattern [when guard] ->` clauses of `case` and `receive`, one per line.
fn pattern_clauses<'a>(ctx: &Ctx<'a>, at_least: usize) -> P<'a, Vec<Clause>> {
    let head = ctx.pats.full.clone().then(guard(ctx)).then_ignore(tok(Tok::Arrow)).boxed();
    let clauses = head.clone().then(clause_run(ctx, head)).map_with(|((p, guard), run), e| {
        let first = Clause {
            patterns: vec![p],
            guard,
            body: run.body,
            span: span_of(e).start..run.body_end,
        };
        let later = run.later.into_iter().map(|((p, guard), body, span)| Clause {
            patterns: vec![p],
            guard,
            body,
            span,
        });
        std::iter::once(first).chain(later).collect::<Vec<_>>()
    });
    if at_least == 0 {
        clauses.or_not().map(Option::unwrap_or_default).boxed()
    } else {
        clauses.boxed()
    }
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
    let body = seps()
        .ignore_then(pattern_clauses(ctx, 0))
        .then(seps().ignore_then(after).or_not())
        .boxed();
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
            // The input stops after the last test when the `end` is one
            // added at the end of the input: its `->` may still come.
            let closer = e.span().end.saturating_sub(1);
            let cut_off = e.state().past_input(closer);
            let last = items.len().saturating_sub(1);
            let mut clauses: Vec<(Expr, Vec<Expr>)> = Vec::new();
            for (i, (test, body, span)) in items.into_iter().enumerate() {
                match body {
                    Some(first) => clauses.push((test, first.into_iter().collect())),
                    None => match clauses.last_mut() {
                        Some((_, body)) => body.push(test),
                        None if cut_off && i == last => {}
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
                // Committed at `if`: layout has already given this `if` no
                // `end` of its own, so reading it again as a statement of
                // the `else` block (after `tail` failed) could not succeed,
                // and re-reading it on each level of a chain is `2^n`.
                tok(Tok::Else)
                    .ignore_then(choice((
                        tok(Tok::If).ignore_then(tail).map(|e: Expr| vec![e]),
                        tok(Tok::If).not().ignore_then(block),
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
    let bare_params = param.clone().separated_by(tok(Tok::Comma)).collect::<Vec<_>>();
    let params = choice((
        param
            .clone()
            .separated_by(tok(Tok::Comma))
            .allow_trailing()
            .collect::<Vec<_>>()
            .delimited_by(tok(Tok::ParamsOpen), tok(Tok::RParen))
            .map(|ps| (ps, true)),
        bare_params.map(|ps| (ps, false)),
    ));
    let head = param
        .clone()
        .separated_by(tok(Tok::Comma))
        .at_least(1)
        .collect::<Vec<_>>()
        .then(guard(ctx))
        .then_ignore(tok(Tok::Arrow))
        .boxed();
    let arrow_form =
        tok(Tok::Arrow).ignore_then(clause_run(ctx, head)).then_ignore(seps()).map(|run| {
            let later = run.later.into_iter().map(|((patterns, guard), body, span)| Clause {
                patterns,
                guard,
                body,
                span,
            });
            (run.body, later.collect::<Vec<_>>())
        });
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
