//! Patterns: literals (negative numbers included), `_`, variables, `^pin`,
//! tuples, lists with a `|` tail, maps, strings, and `=` aliases.

use chumsky::prelude::*;

use super::{ident, span_of, tok, P};
use crate::ast::{Pattern, PatternKind};
use crate::diagnostic::Diagnostic;
use crate::syntax::token::Tok;

pub(crate) struct Patterns<'a> {
    /// A pattern, `=` aliases included (`(:ok, _) = whole`).
    pub full: P<'a, Pattern>,
    /// A pattern without a top-level `=`: the left side of `let p = value`.
    pub simple: P<'a, Pattern>,
}

pub(crate) fn patterns<'a>() -> Patterns<'a> {
    let mut full = Recursive::declare();
    let simple = primary(full.clone().boxed());
    full.define(alias_chain(simple.clone()));
    Patterns { full: full.boxed(), simple }
}

fn primary<'a>(pat: P<'a, Pattern>) -> P<'a, Pattern> {
    let scalar = select! {
        Tok::Int(n) => PatternKind::Int(n),
        Tok::Float(f) => PatternKind::Float(f),
        Tok::Atom(a) => PatternKind::Atom(a),
        Tok::True => PatternKind::Atom("true".into()),
        Tok::False => PatternKind::Atom("false".into()),
        Tok::Nil => PatternKind::Atom("nil".into()),
        // A module name is its atom, in patterns as in expressions.
        Tok::Module(m) => PatternKind::Atom(m),
        Tok::Ident(name) => if name.starts_with('_') {
            PatternKind::Wildcard
        } else {
            PatternKind::Var(name)
        },
    };
    let negative = tok(Tok::Minus).ignore_then(select! {
        Tok::Int(n) => PatternKind::Int(-n),
        Tok::Float(f) => PatternKind::Float(-f),
    });
    let pin = tok(Tok::Caret).ignore_then(ident()).map(PatternKind::Pin);
    let string = tok(Tok::StrStart)
        .ignore_then(select! { Tok::StrLit(s) => s }.or_not())
        .then_ignore(tok(Tok::StrEnd).labelled("the end of the string (no `${...}` in a pattern)"))
        .map(|s| PatternKind::Str(s.unwrap_or_default()));

    let items = pat.clone().separated_by(tok(Tok::Comma)).collect::<Vec<_>>();
    let tuple = items
        .clone()
        .then(tok(Tok::Comma).or_not())
        .delimited_by(tok(Tok::LParen), tok(Tok::RParen))
        .map(|(mut items, trailing)| {
            if items.len() == 1 && trailing.is_none() {
                Err(items.pop())
            } else {
                Ok(PatternKind::Tuple(items))
            }
        });
    let list = items
        .clone()
        .then_ignore(tok(Tok::Comma).or_not())
        .then(tok(Tok::Bar).ignore_then(pat.clone()).or_not())
        .delimited_by(tok(Tok::LBracket), tok(Tok::RBracket))
        .map(|(items, tail)| PatternKind::List(items, tail.map(Box::new)));
    let entry = choice((
        select! { Tok::KwKey(k) => k }.map_with(|k, e| {
            let s = span_of(e);
            // The key's span leaves out the colon of `key:`.
            let span = s.start..s.end.saturating_sub(1).max(s.start);
            Pattern { kind: PatternKind::Atom(k), span }
        }),
        pat.clone().then_ignore(tok(Tok::FatArrow)),
    ))
    .then(pat.clone())
    .map_with(|(k, v), e| {
        use PatternKind as K;
        if !matches!(k.kind, K::Int(_) | K::Float(_) | K::Atom(_) | K::Str(_) | K::Pin(_)) {
            let hint = "map pattern keys must be literals (`:a`, `\"k\"`, `1`) or pins (`^k`)";
            e.state().diags.push(
                Diagnostic::new("invalid map key in a pattern", k.span.clone(), "not a literal")
                    .with_hint(hint),
            );
        }
        (k, v)
    });
    let map = entry
        .separated_by(tok(Tok::Comma))
        .allow_trailing()
        .collect::<Vec<_>>()
        .delimited_by(tok(Tok::MapOpen), tok(Tok::RBrace))
        .map(PatternKind::Map);

    let kinded = choice((scalar, negative, pin, string, list, map))
        .map_with(|kind, e| Pattern { kind, span: span_of(e) });
    let tuple = tuple.map_with(|r, e| match r {
        Ok(kind) => Pattern { kind, span: span_of(e) },
        Err(Some(inner)) => inner,
        Err(None) => Pattern { kind: PatternKind::Wildcard, span: span_of(e) },
    });
    choice((kinded, tuple)).labelled("a pattern").boxed()
}

/// `p = name` or `name = p`, any number of times, folded left to right.
fn alias_chain<'a>(simple: P<'a, Pattern>) -> P<'a, Pattern> {
    simple
        .clone()
        .then(tok(Tok::Assign).ignore_then(simple).repeated().collect::<Vec<_>>())
        .map_with(|(first, rest), e| {
            let mut acc = first;
            for next in rest {
                let span = acc.span.start..next.span.end;
                acc = match (acc, next) {
                    (p, Pattern { kind: PatternKind::Var(name), .. })
                    | (Pattern { kind: PatternKind::Var(name), .. }, p) => {
                        Pattern { kind: PatternKind::Alias(Box::new(p), name), span }
                    }
                    (p, Pattern { kind: PatternKind::Wildcard, .. })
                    | (Pattern { kind: PatternKind::Wildcard, .. }, p) => Pattern { span, ..p },
                    (p, other) => {
                        e.state().diags.push(
                            Diagnostic::new(
                                "`=` in a pattern needs a name on one side",
                                other.span,
                                "not a name",
                            )
                            .with_hint(
                                "write `(:ok, _) = whole` to match and also bind the whole value",
                            ),
                        );
                        p
                    }
                };
            }
            acc
        })
        .boxed()
}
