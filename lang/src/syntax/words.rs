//! Contextual keywords: `test`, `describe`, `assert`, `refute`,
//! `assert_receive` and `refute_receive` are ordinary names, except where one
//! starts a statement in its own shape. There, after layout, its token
//! becomes a keyword, so the parser never has to guess (and never reads the
//! same text twice):
//!
//! - `test(...) do` and `describe(...) do`: the word, `(`, and the `do` right
//!   after the matching `)`. A call is never followed by `do`, so no program
//!   that parsed before changes meaning.
//! - `assert x`, `refute x`, `assert_receive pattern`, ...: the word, then a
//!   token that starts an operand on the same line. A `(` right after the
//!   word, with no space, opens its arguments (`assert_receive(:a, 100)`: a
//!   pattern and a timeout); after a space it starts the operand
//!   (`assert_receive (:a, x), 100`: a tuple pattern). A `-` counts as the
//!   start of an operand only written as a sign (`assert -x < 0`, not
//!   `assert - 1`). So `assert` stays usable as a variable (`assert + 1`,
//!   `f(assert)`); a function of your own named `assert`, at the start of
//!   a statement or after `=`, is called as `(assert(x))`.

use super::token::Tok;
use crate::ast::Span;

/// Turns the contextual words of the laid-out `tokens` into keywords.
pub fn mark(tokens: &mut [(Tok, Span)], matching: &[Option<usize>]) {
    for i in 0..tokens.len() {
        let Tok::Ident(word) = &tokens[i].0 else { continue };
        let prev = i.checked_sub(1).and_then(|p| tokens.get(p)).map(|t| &t.0);
        let keyword = match word.as_str() {
            "test" | "describe" if starts_statement(prev) && opens_block(tokens, matching, i) => {
                if word == "test" {
                    Tok::Test
                } else {
                    Tok::Describe
                }
            }
            "assert" | "refute" | "assert_receive" | "refute_receive"
                if (starts_statement(prev) || matches!(prev, Some(Tok::Assign))) && operand_follows(tokens, i) =>
            {
                match word.as_str() {
                    "assert" => Tok::Assert,
                    "refute" => Tok::Refute,
                    "assert_receive" => Tok::AssertReceive,
                    _ => Tok::RefuteReceive,
                }
            }
            _ => continue,
        };
        let end = tokens[i].1.end;
        let assertion = !matches!(keyword, Tok::Test | Tok::Describe);
        tokens[i].0 = keyword;
        if let Some((next @ Tok::LParen, span)) = tokens.get_mut(i + 1) {
            if assertion && span.start == end {
                *next = Tok::ArgsOpen;
            }
        }
    }
}

/// Whether a statement starts after `prev` (layout has dropped the
/// newlines that do not end one).
fn starts_statement(prev: Option<&Tok>) -> bool {
    matches!(prev, None | Some(Tok::Newline | Tok::Semi | Tok::Do | Tok::Else | Tok::Arrow))
}

/// `word(...) do`: a `(` next, and a `do` right after its matching `)`.
fn opens_block(tokens: &[(Tok, Span)], matching: &[Option<usize>], i: usize) -> bool {
    if !matches!(tokens.get(i + 1), Some((Tok::LParen, _))) {
        return false;
    }
    let Some(close) = matching.get(i + 1).copied().flatten() else { return false };
    matches!(tokens.get(close + 1), Some((Tok::Do, _)))
}

/// Whether the token after the word at `i` starts its operand.
fn operand_follows(tokens: &[(Tok, Span)], i: usize) -> bool {
    let Some((next, span)) = tokens.get(i + 1) else { return false };
    match next {
        // A sign: a space before it and none after (`assert -x < 0`).
        Tok::Minus => {
            let word_end = tokens[i].1.end;
            let operand_start = tokens.get(i + 2).map(|t| t.1.start);
            span.start > word_end && operand_start == Some(span.end)
        }
        // An operand: a term, or a bracket or prefix operator before one.
        _ => next.starts_term() || matches!(next, Tok::LParen | Tok::Not | Tok::Bang | Tok::Caret | Tok::Amp),
    }
}
