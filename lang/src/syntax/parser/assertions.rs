//! The assertions: `assert expr`, `assert pattern = expr`, `refute expr`,
//! `assert_receive pattern [when guard][, timeout]` and `refute_receive`
//! likewise; each also as `word(...)` with the `(` right after the word
//! (`words.rs` decides which is which before the parser runs). What they
//! become is `syntax/assertions.rs`'s business.
//!
//! `assert pattern = expr` tries the pattern once (`attempt`), up to the
//! `=`; when that fails the text is read as an expression instead. A
//! pattern holds no statement, so nothing inside is read more than twice.

use chumsky::prelude::*;

use super::control::Ctx;
use super::{attempt, span_of, tok, Extra, P};
use crate::ast::{Expr, Pattern, Span};
use crate::syntax::assertions as expand;
use crate::syntax::token::Tok;

pub(crate) fn assertion<'a>(ctx: &Ctx<'a>) -> P<'a, Expr> {
    choice((assert_(ctx), refute(ctx), receive_assertion(ctx, true), receive_assertion(ctx, false))).boxed()
}

/// `inner` after the word: in parentheses opened right after it, or bare.
/// The bare form is not tried after a `(` (whose errors it would drop,
/// since `attempt` forgets what failed before it).
fn args_or_bare<'a, T: 'a>(inner: P<'a, T>) -> P<'a, T> {
    let in_parens = inner.clone().delimited_by(tok(Tok::ArgsOpen), tok(Tok::RParen).labelled("`)`"));
    choice((in_parens, tok(Tok::ArgsOpen).not().ignore_then(inner))).boxed()
}

/// The assertion's source text, for its failure message.
fn code(e: &mut Extra<'_, '_>) -> (String, Span) {
    let span = span_of(e);
    (expand::code_text(e.state().src, &span), span)
}

fn assert_<'a>(ctx: &Ctx<'a>) -> P<'a, Expr> {
    let matched = attempt(ctx.pats.simple.clone().then_ignore(tok(Tok::Assign)).boxed()).then(ctx.expr.clone());
    tok(Tok::Assert)
        .ignore_then(args_or_bare(matched.boxed()))
        .map_with(|(pattern, value), e| {
            let (code, span) = code(e);
            match pattern {
                Some(p) => expand::assert_match(p, value, code, span),
                None => expand::assert(value, code, span),
            }
        })
        .boxed()
}

fn refute<'a>(ctx: &Ctx<'a>) -> P<'a, Expr> {
    tok(Tok::Refute)
        .ignore_then(args_or_bare(ctx.expr.clone()))
        .map_with(|value, e| {
            let (code, span) = code(e);
            expand::refute(value, code, span)
        })
        .boxed()
}

/// `assert_receive` (`expect`) or `refute_receive`.
fn receive_assertion<'a>(ctx: &Ctx<'a>, expect: bool) -> P<'a, Expr> {
    type Parts = ((Pattern, Option<Expr>), Option<Expr>);
    let guard = tok(Tok::When).ignore_then(ctx.expr.clone()).or_not();
    let timeout = tok(Tok::Comma).ignore_then(ctx.expr.clone().labelled("a timeout in milliseconds")).or_not();
    let parts: P<'a, Parts> = ctx.pats.full.clone().then(guard).then(timeout).boxed();
    let word = if expect { Tok::AssertReceive } else { Tok::RefuteReceive };
    tok(word)
        .ignore_then(args_or_bare(parts))
        .map_with(move |((pattern, guard), timeout), e| {
            let (code, span) = code(e);
            if expect {
                expand::assert_receive(pattern, guard, timeout, code, span)
            } else {
                expand::refute_receive(pattern, guard, timeout, code, span)
            }
        })
        .boxed()
}
