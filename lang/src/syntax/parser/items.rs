//! Statements, named function definitions (`fn`/`actor`, block or one-line
//! form, with guards and dropped type annotations) and the whole program.

use chumsky::input::InputRef;
use chumsky::prelude::*;
use chumsky::primitive::end;
use chumsky::recovery::via_parser;

use super::control::Ctx;
use super::errors::SEPARATOR;
use super::expr::grammar;
use super::test_blocks::{assemble, TopItem};
use super::types::{annotation, type_expr};
use super::{ident, sep, seps, span_of, tok, Ex, In, P};
use crate::ast::{Expr, FnClause, Item, Program};
use crate::diagnostic::Diagnostic;
use crate::syntax::token::Tok;

/// An expression that must end at a separator or at the end of its block;
/// on error, skips to there and reports once.
pub(crate) fn statement<'a>(expr: P<'a, Expr>, named: P<'a, FnClause>) -> P<'a, Option<Expr>> {
    let nested_def = named.map_with(|def, e| {
        e.state().diags.push(
            Diagnostic::new(
                "named functions can only be defined at the top level",
                def.name_span.clone(),
                "defined inside a block",
            )
            .with_hint(format!(
                "move `{}` to the top level, or bind a lambda: `let {} = fn ... end`",
                def.name, def.name
            )),
        );
        None
    });
    terminated(choice((nested_def, expr.map(Some))).boxed(), true)
}

/// `p`, which must be followed by a separator or the end of its block; on
/// error, skips to there, reports once, and yields `None`.
pub(crate) fn terminated<'a, T: 'a>(p: P<'a, Option<T>>, in_block: bool) -> P<'a, Option<T>> {
    let terminator = choice((
        one_of([Tok::Newline, Tok::Semi, Tok::End, Tok::Else, Tok::After]).ignored(),
        end(),
    ))
    .rewind()
    .labelled(SEPARATOR);
    p.then_ignore(terminator).recover_with(via_parser(skip_statement(in_block))).boxed()
}

/// Error recovery: skips the rest of a statement, stepping over whole
/// bracketed groups and blocks (layout knows where each one ends).
/// At top level a stray `else` or `after` is skipped too.
fn skip_statement<'a, T: 'a>(in_block: bool) -> P<'a, Option<T>> {
    custom(move |inp: &mut InputRef<'a, '_, In<'a>, Ex<'a>>| {
        let before = inp.cursor();
        let start = *before.inner();
        loop {
            let at = *inp.cursor().inner();
            match inp.peek() {
                None
                | Some(
                    Tok::Newline
                    | Tok::Semi
                    | Tok::End
                    | Tok::RParen
                    | Tok::RBracket
                    | Tok::RBrace
                    | Tok::InterpEnd
                    | Tok::StrEnd,
                ) => break,
                Some(Tok::Else | Tok::After) if in_block => break,
                Some(_) => {
                    let close = inp.state().matching(at);
                    inp.skip();
                    if let Some(close) = close {
                        while *inp.cursor().inner() <= close && inp.peek().is_some() {
                            inp.skip();
                        }
                    }
                }
            }
        }
        if *inp.cursor().inner() == start {
            return Err(Rich::custom(inp.span_since(&before), "nothing to skip"));
        }
        Ok(None)
    })
    .boxed()
}

/// `fn name(params) [-> Type] [when guard] [-> Type] do ... end`, or the
/// same head with `= expr`. `actor` is a synonym of `fn`.
pub(crate) fn named_def<'a>(ctx: &Ctx<'a>) -> P<'a, FnClause> {
    let param = ctx.pats.full.clone().then_ignore(annotation());
    let params = param
        .separated_by(tok(Tok::Comma))
        .allow_trailing()
        .collect::<Vec<_>>()
        .delimited_by(tok(Tok::LParen), tok(Tok::RParen));
    let ret = tok(Tok::Arrow).ignore_then(type_expr()).or_not();
    let guard = tok(Tok::When).ignore_then(ctx.expr.clone()).or_not();
    let body = choice((
        tok(Tok::Do).ignore_then(ctx.block.clone()).then_ignore(seps()).then_ignore(tok(Tok::End)),
        tok(Tok::Assign).ignore_then(ctx.stmt.clone()).map(|s| s.into_iter().collect()),
    ));
    one_of([Tok::Fn, Tok::Actor])
        .ignore_then(ident().map_with(|name, e| (name, span_of(e))))
        .then(params)
        .then_ignore(ret.clone())
        .then(guard)
        .then_ignore(ret)
        .then(body)
        .map_with(|((((name, name_span), params), guard), body), e| FnClause {
            name,
            name_span,
            params,
            guard,
            body,
            span: span_of(e),
        })
        .boxed()
}

/// Items separated by newlines or `;`, to the end of the input.
pub(crate) fn program<'a>() -> P<'a, Program> {
    let g = grammar();
    let item = terminated(
        choice((
            super::test_blocks::top_level(&g).map(Some),
            super::blocks::top_block(&g).map(|i| Some(TopItem::Item(i))),
            g.named.clone().map(|f| Some(TopItem::Item(Item::Fn(f)))),
            g.expr.clone().map(|e| Some(TopItem::Item(Item::Expr(e)))),
        ))
        .boxed(),
        false,
    );
    seps()
        .ignore_then(item.separated_by(sep()).allow_trailing().collect::<Vec<_>>())
        .then_ignore(end())
        .map_with(|items, e| {
            let (items, tests) = assemble(items.into_iter().flatten().collect(), &mut e.state().diags);
            Program { items, tests }
        })
        .boxed()
}
