//! Type annotations: accepted and dropped. `Int`, `List<Int>`,
//! `Map<String, Int>`, `(Int, String)`, `[Int]`, `Int | Nil`, `fn(Int) -> Int`.

use chumsky::prelude::*;

use super::{tok, P};
use crate::syntax::token::Tok;

pub(crate) fn type_expr<'a>() -> P<'a, ()> {
    recursive(|ty| {
        let args = ty.clone().separated_by(tok(Tok::Comma)).allow_trailing();
        let named = select! { Tok::Module(_) => () }
            .then(args.clone().delimited_by(tok(Tok::Lt), tok(Tok::Gt)).or_not())
            .ignored();
        let tuple = args.clone().delimited_by(tok(Tok::LParen), tok(Tok::RParen));
        let list = ty.clone().delimited_by(tok(Tok::LBracket), tok(Tok::RBracket));
        let func = tok(Tok::Fn)
            .ignore_then(
                args.delimited_by(one_of([Tok::LParen, Tok::ParamsOpen]), tok(Tok::RParen)),
            )
            .ignore_then(tok(Tok::Arrow))
            .ignore_then(ty.clone())
            .ignored();
        let simple = select! {
            Tok::Ident(_) => (),
            Tok::Atom(_) => (),
            Tok::Nil => (),
            Tok::True => (),
            Tok::False => (),
        };
        let one = choice((named, tuple.ignored(), list.ignored(), func, simple));
        one.separated_by(tok(Tok::Bar)).at_least(1).ignored()
    })
    .labelled("a type")
    .boxed()
}

/// An optional `:: Type`.
pub(crate) fn annotation<'a>() -> P<'a, ()> {
    tok(Tok::ColonColon).ignore_then(type_expr()).or_not().ignored().boxed()
}
