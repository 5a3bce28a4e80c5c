//! Expressions: literals, names and calls, tuples, lists, maps, strings,
//! function references, and the binary operators by precedence, with
//! `a |> f(b)` desugared to `f(a, b)`.

use chumsky::prelude::*;

use super::control::{self, Ctx};
use super::items::{self, statement};
use super::pattern::patterns;
use super::types::annotation;
use super::{ident, sep, seps, span_of, tok, P};
use crate::ast::{BinOp, Callee, Expr, ExprKind, FnClause, StrPart, UnOp};
use crate::diagnostic::Diagnostic;
use crate::syntax::token::Tok;

/// The mutually recursive parsers every construct is built from.
pub(crate) struct Grammar<'a> {
    pub expr: P<'a, Expr>,
    pub named: P<'a, FnClause>,
    /// Statements up to `end`, and patterns: for the module blocks.
    pub block: P<'a, Vec<Expr>>,
    pub pattern: P<'a, crate::ast::Pattern>,
}

pub(crate) fn grammar<'a>() -> Grammar<'a> {
    let pats = patterns();
    let mut expr = Recursive::declare();
    let mut named = Recursive::declare();
    let expr_p: P<'a, Expr> = expr.clone().boxed();
    let named_p: P<'a, FnClause> = named.clone().boxed();
    let stmt = statement(expr_p.clone(), named_p.clone());
    let block = seps()
        .ignore_then(stmt.clone().separated_by(sep()).allow_trailing().collect::<Vec<_>>())
        .map(|v| v.into_iter().flatten().collect::<Vec<Expr>>())
        .boxed();
    let pattern = pats.full.clone();
    let ctx = Ctx { expr: expr_p.clone(), stmt: stmt.clone(), block: block.clone(), pats };
    expr.define(operators(primary(&ctx), &expr_p));
    named.define(items::named_def(&ctx));
    Grammar { expr: expr_p, named: named_p, block, pattern }
}

/// `(a, b)`: the arguments of a call. Keyword arguments at the end
/// (`f(x, name: :c, timeout: 100)`) are one last argument, the keyword list
/// `[(:name, :c), (:timeout, 100)]`, as in Elixir.
fn args<'a>(expr: &P<'a, Expr>) -> P<'a, Vec<Expr>> {
    elements(expr)
        .delimited_by(tok(Tok::LParen), tok(Tok::RParen))
        .map_with(|items, e| keyword_tail(items, e, "argument", true))
        .boxed()
}

/// An element of an argument list or a list literal: a value, or a
/// `key: value` pair.
#[derive(Clone)]
enum Element {
    Value(Expr),
    Keyword(Expr),
}

fn elements<'a>(expr: &P<'a, Expr>) -> P<'a, Vec<Element>> {
    let kw_key = select! { Tok::KwKey(k) => k }.map_with(|k, e| {
        let s = span_of(e);
        node(ExprKind::Atom(k), s.start..s.end.saturating_sub(1).max(s.start))
    });
    let element = choice((
        kw_key.then(expr.clone()).map(|(k, v)| {
            let span = k.span.start..v.span.end;
            Element::Keyword(node(ExprKind::Tuple(vec![k, v]), span))
        }),
        expr.clone().map(Element::Value),
    ));
    element.separated_by(tok(Tok::Comma)).allow_trailing().collect::<Vec<_>>().boxed()
}

/// The values, then the `key: value` pairs at the end: gathered into one
/// keyword list (`gather`, for arguments) or as they are (a list literal).
/// A value after a pair is an error.
fn keyword_tail(items: Vec<Element>, e: &mut super::Extra<'_, '_>, what: &str, gather: bool) -> Vec<Expr> {
    let mut values = Vec::new();
    let mut pairs: Vec<Expr> = Vec::new();
    for item in items {
        match item {
            Element::Keyword(pair) => pairs.push(pair),
            Element::Value(v) => {
                if let Some(first) = pairs.first() {
                    e.state().diags.push(
                        Diagnostic::new("keyword pairs must come last", v.span.clone(), format!("an {what} after `key: value` pairs"))
                            .with_label(first.span.clone(), "the pairs start here")
                            .with_hint("`f(a, b, key: value)`: the pairs are one keyword list, the last argument"),
                    );
                }
                values.push(v);
            }
        }
    }
    if !gather {
        values.extend(pairs);
    } else if let (Some(first), Some(last)) = (pairs.first(), pairs.last()) {
        let span = first.span.start..last.span.end;
        values.push(node(ExprKind::List(pairs, None), span));
    }
    values
}

/// The built-in a pid literal calls.
pub const PID_BUILTIN: &str = "__pid";

fn node(kind: ExprKind, span: std::ops::Range<usize>) -> Expr {
    Expr { kind, span }
}

/// A primary expression, and whether it is a `Mod.fun` whose argument list
/// (if any) comes next.
fn primary<'a>(ctx: &Ctx<'a>) -> P<'a, (Expr, bool)> {
    let expr = ctx.expr.clone();

    let literal = select! {
        Tok::Int(n) => ExprKind::Int(n),
        Tok::Float(f) => ExprKind::Float(f),
        Tok::Atom(a) => ExprKind::Atom(a),
        Tok::True => ExprKind::Atom("true".into()),
        Tok::False => ExprKind::Atom("false".into()),
        Tok::Nil => ExprKind::Atom("nil".into()),
    };
    // A pasted `#PID<0.42.0>` is `pid(0, 42, 0)`, through a built-in no
    // user function shadows.
    let pid_literal = select! { Tok::Pid(a, b, c) => [a, b, c] }.map_with(|parts, e| {
        let span = span_of(e);
        let args = parts.iter().map(|&n| node(ExprKind::Int(i64::from(n)), span.clone())).collect();
        ExprKind::Call(Callee::Name(PID_BUILTIN.into()), args)
    });
    let part = choice((
        select! { Tok::StrLit(s) => StrPart::Lit(s) },
        expr.clone().delimited_by(tok(Tok::InterpStart), tok(Tok::InterpEnd)).map(StrPart::Interp),
    ));
    let string = part
        .repeated()
        .collect::<Vec<_>>()
        .delimited_by(tok(Tok::StrStart), tok(Tok::StrEnd))
        .map(|parts| {
            ExprKind::Str(if parts.is_empty() { vec![StrPart::Lit(String::new())] } else { parts })
        });
    // A name, or `Mod.fun` (a call, with no arguments until `postfix` reads
    // them). Argument lists are read in one place only, `postfix`: trying
    // them here too would read every unclosed `f(` twice, `2^n` for `n`.
    let local = ident().map(ExprKind::Var);
    // `Mod` alone is the module as a value: its name, an atom.
    let remote = select! { Tok::Module(m) => m }.then(tok(Tok::Dot).ignore_then(ident()).or_not()).map(
        |(module, fun)| match fun {
            Some(fun) => (ExprKind::Call(Callee::Remote { module, fun }, Vec::new()), true),
            None => (ExprKind::Atom(module), false),
        },
    );
    let fn_ref = tok(Tok::Amp)
        .ignore_then(select! { Tok::Module(m) => m }.then_ignore(tok(Tok::Dot)).or_not())
        .then(ident())
        .then_ignore(tok(Tok::Slash).labelled("`/` and the arity"))
        .then(select! { Tok::Int(n) => n }.labelled("the arity"))
        .map(|((module, name), arity)| ExprKind::FnRef { module, name, arity: arity as usize });
    // `[a: 1, b: 2]` is the keyword list `[(:a, 1), (:b, 2)]`.
    let list = elements(&expr)
        .then(tok(Tok::Bar).ignore_then(expr.clone()).or_not())
        .delimited_by(tok(Tok::LBracket), tok(Tok::RBracket))
        .map_with(|(items, tail), e| ExprKind::List(keyword_tail(items, e, "element", false), tail.map(Box::new)));
    let let_ = tok(Tok::Let)
        .ignore_then(ctx.pats.simple.clone())
        .then_ignore(annotation())
        .then_ignore(tok(Tok::Assign))
        .then(expr.clone())
        .map(|(p, v)| ExprKind::Let(Box::new(p), Box::new(v)));

    let remote = remote.map_with(|(kind, bare), e| (node(kind, span_of(e)), bare));
    let kinded = choice((literal, pid_literal, string, local, fn_ref, list, map(&expr), let_))
        .map_with(|kind, e| node(kind, span_of(e)));
    let other = choice((
        kinded,
        paren(&expr),
        control::lambda(ctx),
        control::if_expr(ctx),
        control::case_expr(ctx),
        control::cond_expr(ctx),
        control::receive_expr(ctx),
        control::for_expr(ctx),
        super::assertions::assertion(ctx),
        super::test_blocks::misplaced(ctx),
    ))
    .map(|e| (e, false));
    choice((remote, other)).labelled("an expression").boxed()
}

/// `()`, `(x)`, `(x,)`, `(a, b)`, and `(a; b)` (a block). The first element
/// is parsed once, whatever follows it: no backtracking over nested parens.
fn paren<'a>(expr: &P<'a, Expr>) -> P<'a, Expr> {
    #[derive(Clone)]
    enum Tail {
        Group,
        Tuple(Vec<Expr>),
        Seq(Vec<Expr>),
    }
    let tail = choice((
        tok(Tok::Comma)
            .ignore_then(
                expr.clone().separated_by(tok(Tok::Comma)).allow_trailing().collect::<Vec<_>>(),
            )
            .map(Tail::Tuple),
        tok(Tok::Semi)
            .ignore_then(expr.clone())
            .repeated()
            .at_least(1)
            .collect::<Vec<_>>()
            .then_ignore(tok(Tok::Semi).or_not())
            .map(Tail::Seq),
        empty().to(Tail::Group),
    ));
    expr.clone()
        .then(tail)
        .or_not()
        .delimited_by(tok(Tok::LParen), tok(Tok::RParen))
        .map_with(|inner, e| {
            let span = span_of(e);
            match inner {
                None => node(ExprKind::Tuple(Vec::new()), span),
                Some((first, Tail::Group)) => first,
                Some((first, Tail::Tuple(rest))) => {
                    node(ExprKind::Tuple(std::iter::once(first).chain(rest).collect()), span)
                }
                Some((first, Tail::Seq(rest))) => {
                    node(ExprKind::Block(std::iter::once(first).chain(rest).collect()), span)
                }
            }
        })
        .boxed()
}

/// `%{}`, `%{k => v, ...}`, `%{a: 1}`, and the update `%{m | k => v}`.
fn map<'a>(expr: &P<'a, Expr>) -> P<'a, ExprKind> {
    let kw_key = select! { Tok::KwKey(k) => k }.map_with(|k, e| {
        let s = span_of(e);
        node(ExprKind::Atom(k), s.start..s.end.saturating_sub(1).max(s.start))
    });
    let pair = choice((
        kw_key.then(expr.clone()),
        expr.clone().then_ignore(tok(Tok::FatArrow)).then(expr.clone()),
    ));
    let pairs = pair.separated_by(tok(Tok::Comma)).allow_trailing().collect::<Vec<_>>().boxed();
    let more = tok(Tok::Comma).ignore_then(pairs.clone()).or_not().map(Option::unwrap_or_default);
    let starts_with_expr = expr.clone().then(choice((
        tok(Tok::Bar).ignore_then(pairs.clone()).map(Err),
        tok(Tok::FatArrow).ignore_then(expr.clone()).then(more.clone()).map(Ok),
    )));
    let body = choice((
        kw_key
            .then(expr.clone())
            .then(more)
            .map(|(first, rest)| ExprKind::Map(std::iter::once(first).chain(rest).collect())),
        starts_with_expr.map(|(first, tail)| match tail {
            Err(pairs) => ExprKind::MapUpdate(Box::new(first), pairs),
            Ok((value, rest)) => {
                ExprKind::Map(std::iter::once((first, value)).chain(rest).collect())
            }
        }),
    ));
    body.or_not()
        .map(|b| b.unwrap_or(ExprKind::Map(Vec::new())))
        .delimited_by(tok(Tok::MapOpen), tok(Tok::RBrace))
        .boxed()
}

/// Operators by precedence, loosest first. Every level is a loop over a list,
/// so long chains cost no parser recursion.
fn operators<'a>(primary: P<'a, (Expr, bool)>, expr: &P<'a, Expr>) -> P<'a, Expr> {
    let postfix = postfix(primary, args(expr));
    let unary = one_of([Tok::Minus, Tok::Not, Tok::Bang])
        .map_with(|t, e| {
            let op = match t {
                Tok::Minus => UnOp::Neg,
                Tok::Not => UnOp::Not,
                _ => UnOp::Bang,
            };
            (op, span_of(e).start)
        })
        .repeated()
        .collect::<Vec<_>>()
        .then(postfix)
        .map(|(ops, mut operand)| {
            for (op, start) in ops.into_iter().rev() {
                let span = start..operand.span.end;
                operand = node(ExprKind::Unary(op, Box::new(operand)), span);
            }
            operand
        })
        .labelled("an expression")
        .boxed();
    let mul = left(unary, vec![(Tok::Star, BinOp::Mul), (Tok::Slash, BinOp::Div)]);
    let add = left(mul, vec![(Tok::Plus, BinOp::Add), (Tok::Minus, BinOp::Sub)]);
    let concat = right(add, vec![(Tok::PlusPlus, BinOp::ListConcat), (Tok::Concat, BinOp::Concat)]);
    let pipe = pipe(concat);
    let cmp = left(
        pipe,
        vec![
            (Tok::Lt, BinOp::Lt),
            (Tok::Le, BinOp::Le),
            (Tok::Gt, BinOp::Gt),
            (Tok::Ge, BinOp::Ge),
        ],
    );
    let eq = left(
        cmp,
        vec![
            (Tok::EqEq, BinOp::Eq),
            (Tok::NotEq, BinOp::Ne),
            (Tok::EqEqEq, BinOp::StrictEq),
            (Tok::NotEqEq, BinOp::StrictNe),
        ],
    );
    let and = left(eq, vec![(Tok::And, BinOp::And), (Tok::AndAnd, BinOp::AndAlso)]);
    left(and, vec![(Tok::Or, BinOp::Or), (Tok::OrOr, BinOp::OrElse)])
}

fn op_list<'a>(ops: Vec<(Tok, BinOp)>) -> P<'a, BinOp> {
    let toks: Vec<Tok> = ops.iter().map(|(t, _)| t.clone()).collect();
    one_of(toks)
        .map(move |t| ops.iter().find(|(o, _)| *o == t).map_or(BinOp::Add, |(_, b)| *b))
        .boxed()
}

fn binary(op: BinOp, l: Expr, r: Expr) -> Expr {
    let span = l.span.start..r.span.end;
    node(ExprKind::Binary(op, Box::new(l), Box::new(r)), span)
}

fn left<'a>(operand: P<'a, Expr>, ops: Vec<(Tok, BinOp)>) -> P<'a, Expr> {
    operand
        .clone()
        .then(op_list(ops).then(operand).repeated().collect::<Vec<_>>())
        .map(|(first, rest)| rest.into_iter().fold(first, |l, (op, r)| binary(op, l, r)))
        .boxed()
}

fn right<'a>(operand: P<'a, Expr>, ops: Vec<(Tok, BinOp)>) -> P<'a, Expr> {
    operand
        .clone()
        .then(op_list(ops).then(operand).repeated().collect::<Vec<_>>())
        .map(|(first, rest)| {
            // a ++ b ++ c is a ++ (b ++ c): fold from the right end.
            let mut operands = vec![first];
            let mut ops = Vec::with_capacity(rest.len());
            for (op, e) in rest {
                ops.push(op);
                operands.push(e);
            }
            let mut acc = operands.pop().unwrap_or_else(|| node(ExprKind::Tuple(Vec::new()), 0..0));
            while let (Some(op), Some(l)) = (ops.pop(), operands.pop()) {
                acc = binary(op, l, acc);
            }
            acc
        })
        .boxed()
}

/// `a |> f(b)` is `f(a, b)`; `a |> f` is `f(a)`; `a |> M.f(b)` is `M.f(a, b)`.
fn pipe<'a>(operand: P<'a, Expr>) -> P<'a, Expr> {
    operand
        .clone()
        .then(
            tok(Tok::Pipe).map_with(|_, e| span_of(e)).then(operand).repeated().collect::<Vec<_>>(),
        )
        .map_with(|(first, rest), e| {
            let mut acc = first;
            for (pipe_span, target) in rest {
                let span = acc.span.start..target.span.end;
                let kind = match target.kind {
                    ExprKind::Call(callee, args) => {
                        ExprKind::Call(callee, std::iter::once(acc).chain(args).collect())
                    }
                    ExprKind::Var(name) => ExprKind::Call(Callee::Name(name), vec![acc]),
                    other => {
                        e.state().diags.push(
                            Diagnostic::new(
                                "`|>` must be followed by a function call",
                                target.span.clone(),
                                "this is not a call",
                            )
                            .with_label(pipe_span, "the value is piped here")
                            .with_hint("`value |> f(args)` means `f(value, args)`"),
                        );
                        let target = node(other, target.span);
                        ExprKind::Call(Callee::Expr(Box::new(target)), vec![acc])
                    }
                };
                acc = node(kind, span);
            }
            acc
        })
        .boxed()
}

/// Calls on any expression's value: `f(x)`, `M.f(x)`, `make_adder(1)(2)`
/// and `f.(x)`. The only reader of argument lists after an expression.
fn postfix<'a>(primary: P<'a, (Expr, bool)>, args: P<'a, Vec<Expr>>) -> P<'a, Expr> {
    // After a `.`: `(args)` calls the value; `fun(args)` calls the function
    // `fun` of the module the value names.
    let call = choice((
        args.clone().map(|a| (None, a)),
        tok(Tok::Dot).ignore_then(choice((
            args.clone().map(|a| (Some(None), a)),
            ident().then(args).map(|(f, a)| (Some(Some(f)), a)),
        ))),
    ))
    .map_with(|(dot, args), e| (dot, args, span_of(e).end));
    primary
        .then(call.repeated().collect::<Vec<_>>())
        .map(|((first, mut bare_remote), calls)| {
            calls.into_iter().fold(first, |callee, (dot, args, end)| {
                let span = callee.span.start..end;
                let remote_args = std::mem::take(&mut bare_remote) && dot.is_none();
                if let Some(Some(fun)) = dot {
                    let module = Box::new(callee);
                    return node(ExprKind::Call(Callee::Dynamic { module, fun }, args), span);
                }
                match callee.kind {
                    // `M.f(args)`: the arguments of the remote call itself.
                    ExprKind::Call(callee @ Callee::Remote { .. }, _) if remote_args => {
                        node(ExprKind::Call(callee, args), span)
                    }
                    ExprKind::Var(name) => node(ExprKind::Call(Callee::Name(name), args), span),
                    kind => {
                        let callee = Callee::Expr(Box::new(node(kind, callee.span)));
                        node(ExprKind::Call(callee, args), span)
                    }
                }
            })
        })
        .boxed()
}
