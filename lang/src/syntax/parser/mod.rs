//! The parser proper: layout-filtered tokens to the AST, built with chumsky.
//!
//! The input is the token slice, so chumsky's spans are token indices; `St`
//! (the parser state) maps them back to byte spans and also collects the
//! diagnostics that are not plain syntax errors (it rolls them back when
//! chumsky backtracks, so a failed alternative leaves no trace).

mod assertions;
mod blocks;
mod control;
mod errors;
mod expr;
mod items;
mod pattern;
mod test_blocks;
mod types;

use chumsky::input::{Checkpoint, Cursor, InputRef, MapExtra};
use chumsky::inspector::Inspector;
use chumsky::prelude::*;

use super::report::Report;
use super::token::Tok;
use crate::ast::{Program, Span};
use crate::diagnostic::Diagnostic;

pub(crate) type In<'a> = &'a [Tok];
pub(crate) type Ex<'a> = extra::Full<Rich<'a, Tok>, St<'a>, ()>;
/// Every sub-parser is boxed: it keeps types (and compile times) small.
pub(crate) type P<'a, T> = Boxed<'a, 'a, In<'a>, T, Ex<'a>>;
pub(crate) type Extra<'a, 'b> = MapExtra<'a, 'b, In<'a>, Ex<'a>>;

pub(crate) struct St<'a> {
    /// The source, for constructs that keep their own text (an assertion
    /// shows its code when it fails).
    pub src: &'a str,
    /// Byte span of each token, plus one empty span for the end of input.
    spans: &'a [Span],
    matching: &'a [Option<usize>],
    /// How many tokens are the input's own: those after them are closers
    /// added at the end for constructs left open.
    real: usize,
    pub diags: Vec<Diagnostic>,
}

impl St<'_> {
    /// The index of the token closing the group opened at token `i`.
    pub fn matching(&self, i: usize) -> Option<usize> {
        self.matching.get(i).copied().flatten()
    }

    /// Whether token `i` is past the input's own tokens (the end of the
    /// input, or a closer added there).
    pub fn past_input(&self, i: usize) -> bool {
        i >= self.real
    }

    /// The byte span covered by tokens `s.start..s.end`.
    pub fn bytes(&self, s: SimpleSpan) -> Span {
        let at = |i: usize| self.spans.get(i).or(self.spans.last()).cloned().unwrap_or(0..0);
        if s.end > s.start {
            at(s.start).start..at(s.end - 1).end.max(at(s.start).start)
        } else {
            let p = at(s.start).start;
            p..p
        }
    }
}

impl<'a> Inspector<'a, In<'a>> for St<'a> {
    type Checkpoint = usize;
    fn on_token(&mut self, _: &Tok) {}
    fn on_save<'parse>(&self, _: &Cursor<'a, 'parse, In<'a>>) -> usize {
        self.diags.len()
    }
    fn on_rewind<'parse>(&mut self, cp: &Checkpoint<'a, 'parse, In<'a>, usize>) {
        self.diags.truncate(*cp.inspector());
    }
}

/// Byte span of what the current combinator matched.
pub(crate) fn span_of(e: &mut Extra<'_, '_>) -> Span {
    let s = e.span();
    e.state().bytes(s)
}

pub(crate) fn tok<'a>(t: Tok) -> P<'a, Tok> {
    just(t).boxed()
}

/// `p` if it parses here, else nothing: a failed `p` is forgotten, the
/// input rewound and its errors dropped (after `p.or_not()`, they would join
/// the "expected" list of whatever fails next). Unlike a `not` look-ahead
/// followed by `p`, it reads `p` only once.
pub(crate) fn attempt<'a, T: 'a>(p: P<'a, T>) -> P<'a, Option<T>> {
    custom(move |inp: &mut InputRef<'a, '_, In<'a>, Ex<'a>>| {
        let before = inp.save();
        match inp.parse(&p) {
            Ok(v) => Ok(Some(v)),
            Err(_) => {
                inp.rewind(before);
                Ok(None)
            }
        }
    })
    .boxed()
}

/// One or more statement separators.
pub(crate) fn sep<'a>() -> P<'a, ()> {
    one_of([Tok::Newline, Tok::Semi]).repeated().at_least(1).ignored().boxed()
}

/// Zero or more statement separators.
pub(crate) fn seps<'a>() -> P<'a, ()> {
    one_of([Tok::Newline, Tok::Semi]).repeated().ignored().boxed()
}

pub(crate) fn ident<'a>() -> P<'a, String> {
    select! { Tok::Ident(s) => s }.labelled("a name").boxed()
}

/// Parses the layout-filtered `tokens`, of which the first `real` are the
/// input's own (the rest close what it leaves open). Syntax errors go to
/// `report`, except end-of-input ones (at or past the first added closer)
/// when layout already reported the construct left open.
pub fn parse_tokens(
    tokens: &[(Tok, Span)],
    matching: &[Option<usize>],
    real: usize,
    src: &str,
    report: &mut Report,
    unclosed: bool,
    open_string: Option<usize>,
) -> Program {
    let toks: Vec<Tok> = tokens.iter().map(|t| t.0.clone()).collect();
    let mut spans: Vec<Span> = tokens.iter().map(|t| t.1.clone()).collect();
    spans.push(src.len()..src.len());
    let mut state = St { src, spans: &spans, matching, real, diags: Vec::new() };
    let parser = items::program();
    let (program, errs) = parser.parse_with_state(&toks[..], &mut state).into_output_errors();
    let mut errs: Vec<_> =
        errs.into_iter().filter_map(|e| errors::convert(&e, &state, src)).collect();
    errs.extend(state.diags.drain(..).map(|d| (d, false)));
    errs.sort_by_key(|(d, _)| d.primary_span().start);
    for (diag, at_eof) in errs {
        if open_string.is_some_and(|at| diag.primary_span().start >= at) {
            continue; // inside a string that never ends: all of it is suspect
        }
        match (at_eof, unclosed) {
            (true, true) => {} // layout already said what is left open
            (true, false) => report.at_eof(diag),
            (false, _) => report.error(diag),
        }
    }
    program.unwrap_or_default()
}
