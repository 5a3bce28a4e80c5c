//! Token classes for the REPL's syntax highlighting of partial input.

use super::lexer::lex;
use super::report::Report;
use super::token::Tok;
use super::TokenClass;
use crate::ast::Span;

/// Classifies every token of `src`; never fails, whatever the input.
pub fn classify(src: &str) -> Vec<(Span, TokenClass)> {
    let mut report = Report::default();
    lex(src, &mut report).into_iter().filter_map(|(t, span)| class(&t).map(|c| (span, c))).collect()
}

fn class(t: &Tok) -> Option<TokenClass> {
    Some(match t {
        Tok::Newline => return None,
        Tok::Comment => TokenClass::Comment,
        Tok::Int(_) | Tok::Float(_) | Tok::Pid(..) => TokenClass::Number,
        Tok::Atom(_) | Tok::KwKey(_) => TokenClass::Atom,
        Tok::StrStart | Tok::StrLit(_) | Tok::StrEnd => TokenClass::String,
        Tok::Ident(_) => TokenClass::Ident,
        Tok::Module(_) => TokenClass::Module,
        Tok::Do
        | Tok::End
        | Tok::Fn
        | Tok::Actor
        | Tok::Let
        | Tok::If
        | Tok::Else
        | Tok::Case
        | Tok::Cond
        | Tok::Receive
        | Tok::After
        | Tok::For
        | Tok::In
        | Tok::When
        | Tok::And
        | Tok::Or
        | Tok::Not
        | Tok::True
        | Tok::False
        | Tok::Nil => TokenClass::Keyword,
        Tok::Comma
        | Tok::Semi
        | Tok::Dot
        | Tok::LParen
        | Tok::ParamsOpen
        | Tok::RParen
        | Tok::LBracket
        | Tok::RBracket
        | Tok::MapOpen
        | Tok::RBrace
        | Tok::InterpStart
        | Tok::InterpEnd
        | Tok::Error => TokenClass::Punct,
        _ => TokenClass::Operator,
    })
}
