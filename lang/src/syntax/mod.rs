//! The syntax front-end: source text to `ast::Program` plus diagnostics.
//!
//! Pipeline: `lexer` (logos, with a string mode for `"..${..}.."`) ->
//! `layout` (bracket/block matching, significant newlines, nesting limit) ->
//! `words` (contextual keywords: `test`, `assert`, ...) -> `parser`
//! (chumsky) -> `depth` (tree depth limit).
//!
//! Invariants: `parse` never panics and uses bounded native stack for any
//! input; every span is a byte range on char boundaries of the source; its
//! time is about linear in the input, whatever the input (no alternative of
//! the grammar re-reads what another has read, and what the input leaves
//! open is closed at its end before parsing, so nothing fails there and
//! error recovery never resumes inside a construct; `tests/parse_time.rs`).
//!
//! Choices the language page leaves open:
//! - A newline ends an expression only where the innermost open construct is
//!   a block (`do`/`fn` ... `end`, or top level): inside `(`, `[`, `%{`, `${`
//!   it is a space, even when that block itself sits inside parentheses.
//! - `fn(a, b) -> ...`: a `(` on the same line as a lambda's `fn` opens its
//!   parameter list; on a later line it starts a tuple pattern (so one clause
//!   per line, `(:ok, v) -> v`, takes one tuple). Write `fn((a, b)) -> ...`
//!   for a single tuple parameter on the `fn` line.
//! - `else if c do ...` on one line continues the same `if`, closed by one
//!   `end` (as in Snow); `else` then a new line starting with `if` nests a
//!   complete `if ... end` instead.
//! - A clause body ends at `end`/`after` or at a line that parses as the head
//!   of another clause (`pattern [when guard] ->`).
//! - `incomplete` means: every error is "the input stops too early" (an open
//!   bracket, block or string, or a construct cut off at the end).

mod assertions;
mod classify;
mod depth;
pub mod desugar;
mod layout;
mod lexer;
mod parser;
mod report;
mod strings;
mod token;
mod words;

use crate::ast::{self, Span};
use crate::diagnostic::Diagnostic;

pub use depth::MAX_TREE_DEPTH;
pub use layout::MAX_NESTING;

pub struct ParseOutput {
    pub program: ast::Program,
    /// Errors, in source order. Empty when the program is well formed.
    pub diagnostics: Vec<Diagnostic>,
    /// The input is a valid prefix that stops inside an open construct (a
    /// `do` block, a bracket, a string, after a binary operator or a comma):
    /// a REPL should read another line instead of reporting `diagnostics`.
    pub incomplete: bool,
}

/// Parses a whole file or REPL entry. Never panics, never overflows the stack,
/// for any input.
pub fn parse(src: &str) -> ParseOutput {
    let mut report = report::Report::default();
    let tokens = lexer::lex(src, &mut report);
    let mut laid = layout::layout(&tokens, src.len(), &mut report);
    words::mark(&mut laid.tokens, &laid.matching);
    let mut program = ast::Program::default();
    if !laid.fatal {
        // What is left open is closed at the end (layout reported it): no
        // construct fails at the end of the input, so error recovery never
        // resumes inside one, where it would read its contents again at the
        // outer level (`2^depth` for nested clauses, `n^2` for `(a; (a; ...`).
        let closed_input;
        let (tokens, matching) = if laid.eof_closers.is_empty() {
            (&laid.tokens[..], &laid.matching[..])
        } else {
            closed_input = closed(&laid, &laid.eof_closers, src, false);
            (&closed_input.0[..], &closed_input.1[..])
        };
        program = parser::parse_tokens(
            tokens,
            matching,
            laid.tokens.len(),
            src,
            &mut report,
            laid.unclosed,
            laid.open_string,
        );
        depth::check(&mut program, &mut report);
    }
    let mut incomplete = !report.diags.is_empty() && !report.hard;
    if !incomplete && laid.unclosed && !laid.fatal {
        incomplete = closing_parses_cleanly(&laid, src);
    }
    let mut diagnostics = report.diags;
    diagnostics.sort_by_key(|d| d.primary_span().start);
    ParseOutput { program, diagnostics, incomplete }
}

/// Whether the input is a valid prefix: with what is still open closed at
/// the end (`end`, `)`, `]`, `}`), and a clause body after a final `->`, it
/// parses without a single error (`[1 2` does not).
fn closing_parses_cleanly(laid: &layout::Layout, src: &str) -> bool {
    let Some(closers) = &laid.closers else { return false };
    let (tokens, matching) = closed(laid, closers, src, true);
    let mut probe = report::Report::default();
    let mut program =
        parser::parse_tokens(&tokens, &matching, tokens.len(), src, &mut probe, false, None);
    depth::check(&mut program, &mut probe);
    probe.diags.is_empty()
}

/// The laid-out tokens with `closers` appended (empty spans at the end of
/// the input) and matched to their openers; with `arrow_body`, a `->` that
/// ends the input gets a body (`nil`) first.
fn closed(
    laid: &layout::Layout,
    closers: &[(usize, token::Tok)],
    src: &str,
    arrow_body: bool,
) -> (Vec<(token::Tok, Span)>, Vec<Option<usize>>) {
    let mut tokens = laid.tokens.clone();
    let mut matching = laid.matching.clone();
    // A clause whose `->` ends the input has its body still to come.
    let last = tokens.iter().rev().find(|(t, _)| !matches!(t, token::Tok::Newline));
    if arrow_body && matches!(last, Some((token::Tok::Arrow, _))) {
        tokens.push((token::Tok::Nil, src.len()..src.len()));
        matching.push(None);
    }
    for (opener, tok) in closers {
        if let Some(slot) = matching.get_mut(*opener) {
            *slot = Some(tokens.len());
        }
        tokens.push((tok.clone(), src.len()..src.len()));
        matching.push(None);
    }
    (tokens, matching)
}

/// What a token is, for syntax highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenClass {
    Keyword,
    Atom,
    String,
    Number,
    Comment,
    Module,
    Operator,
    Ident,
    Punct,
}

/// Classifies every token of possibly partial input (for the REPL's
/// highlighting). Never fails; unknown characters come out as `Punct`.
pub fn classify(src: &str) -> Vec<(Span, TokenClass)> {
    classify::classify(src)
}
