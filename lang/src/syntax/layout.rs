//! Layout: matches brackets and `do`/`fn` ... `end` blocks, keeps only the
//! newlines that end an expression, and bounds nesting before the parser runs.
//!
//! Newline significance depends on the innermost open construct: inside `(`,
//! `[`, `%{` and `${` newlines are spaces; inside a `do`/`fn` block (even one
//! nested in parentheses) and at top level they separate expressions, except
//! after a token that needs a continuation (a binary operator, `,`, `=`, `->`,
//! `do`...) or before one that cannot start an expression (`|>`, `end`...).

use super::report::Report;
use super::token::Tok;
use crate::ast::Span;
use crate::diagnostic::Diagnostic;

/// Deepest allowed nesting of brackets, blocks and keyword expressions.
pub const MAX_NESTING: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Open {
    Root,
    Paren,
    Bracket,
    Map,
    Interp,
    Str,
    Do,
    /// A lambda's `fn`; `header` until its first `->` or `do`.
    Lambda {
        header: bool,
    },
}

struct Frame {
    open: Open,
    span: Span,
    /// Index of the opening token in the output.
    at: usize,
    /// Keyword expressions (`let`, `if`, ...) begun in the current statement:
    /// each nests one level without a bracket.
    prefix: usize,
}

pub struct Layout {
    pub tokens: Vec<(Tok, Span)>,
    /// For each opening token (`(`, `do`, a lambda's `fn`...), the index of
    /// its closing token. Error recovery uses it to skip whole groups.
    pub matching: Vec<Option<usize>>,
    /// A mismatched bracket or too deep nesting: the parser must not run.
    pub fatal: bool,
    /// Some construct is still open at the end of the input.
    pub unclosed: bool,
    /// Where the outermost string left open at the end of the input starts.
    pub open_string: Option<usize>,
    /// The tokens that would close what is still open, innermost first, each
    /// with the index of its opening token (`None` if a string or an
    /// interpolation is open: no token closes those).
    pub closers: Option<Vec<(usize, Tok)>>,
    /// The same, strings and interpolations included (closed by the tokens
    /// the lexer gives their ends): what the parser appends to an unclosed
    /// input, so that no construct fails for want of its closer.
    pub eof_closers: Vec<(usize, Tok)>,
}

/// Filters `tokens` (comments dropped, newlines decided) and checks nesting.
pub fn layout(tokens: &[(Tok, Span)], src_len: usize, report: &mut Report) -> Layout {
    let mut l = Pass {
        out: Vec::with_capacity(tokens.len()),
        frames: vec![Frame { open: Open::Root, span: 0..0, at: 0, prefix: 0 }],
        matching: Vec::with_capacity(tokens.len()),
        depth: 0,
        fatal: false,
        mismatched: false,
        named_header: None,
        type_mode: None,
        else_if: None,
    };
    let mut pending_nl: Option<Span> = None;
    for (i, (tok, span)) in tokens.iter().enumerate() {
        match tok {
            Tok::Comment => continue,
            Tok::Newline => {
                if l.in_block() && pending_nl.is_none() {
                    pending_nl = Some(span.clone());
                }
                continue;
            }
            _ => {}
        }
        let had_newline = pending_nl.is_some();
        if let Some(nl) = pending_nl.take() {
            let last = l.out.last().map(|t| &t.0);
            let keep_before_if = matches!(last, Some(Tok::Else)) && *tok == Tok::If;
            if keep_before_if || (!continues_after(last) && !continues_before(tok)) {
                l.out.push((Tok::Newline, nl));
                l.matching.push(None);
                l.end_statement();
            }
        }
        let next = tokens.get(i + 1).map(|t| &t.0);
        let after = tokens.get(i + 2).map(|t| &t.0);
        l.token(tok, span, had_newline, next, after, report);
        if l.fatal {
            return Layout {
                tokens: Vec::new(),
                matching: Vec::new(),
                fatal: true,
                unclosed: false,
                open_string: None,
                closers: None,
                eof_closers: Vec::new(),
            };
        }
    }
    let unclosed = l.frames.len() > 1;
    let open_string = l.frames.iter().find(|f| f.open == Open::Str).map(|f| f.span.start);
    if !l.mismatched {
        if let Some(diag) = unclosed_at_eof(&l.frames, src_len) {
            report.at_eof(diag);
        }
    }
    let closers = closers_for(&l.frames, false);
    let eof_closers = closers_for(&l.frames, true).unwrap_or_default();
    Layout {
        tokens: l.out,
        matching: l.matching,
        fatal: l.mismatched,
        unclosed,
        open_string,
        closers,
        eof_closers,
    }
}

/// What closes each open frame, innermost first; `None` if a string or an
/// interpolation is open, unless `strings`.
fn closers_for(frames: &[Frame], strings: bool) -> Option<Vec<(usize, Tok)>> {
    frames
        .iter()
        .skip(1)
        .rev()
        .map(|f| match f.open {
            Open::Paren => Some((f.at, Tok::RParen)),
            Open::Bracket => Some((f.at, Tok::RBracket)),
            Open::Map => Some((f.at, Tok::RBrace)),
            Open::Do | Open::Lambda { .. } => Some((f.at, Tok::End)),
            Open::Interp if strings => Some((f.at, Tok::InterpEnd)),
            Open::Str if strings => Some((f.at, Tok::StrEnd)),
            Open::Root | Open::Interp | Open::Str => None,
        })
        .collect()
}

struct Pass {
    out: Vec<(Tok, Span)>,
    matching: Vec<Option<usize>>,
    frames: Vec<Frame>,
    /// Number of frames above the root plus all their `prefix` counts.
    depth: usize,
    fatal: bool,
    /// A closer did not match; reported, but the pass goes on to find more.
    mismatched: bool,
    /// Frame count at a named `fn`/`actor` whose header is being read.
    named_header: Option<usize>,
    /// Frame count where a type annotation started, and its `<` depth.
    type_mode: Option<(usize, usize)>,
    /// Frame count at an `else if`, whose `do` continues the outer block.
    else_if: Option<usize>,
}

impl Pass {
    fn in_block(&self) -> bool {
        matches!(
            self.frames.last().map(|f| f.open),
            Some(Open::Root | Open::Do | Open::Lambda { .. })
        )
    }

    fn level(&self) -> usize {
        self.frames.len()
    }

    fn end_statement(&mut self) {
        if let Some(f) = self.frames.last_mut() {
            self.depth -= f.prefix;
            f.prefix = 0;
        }
        let level = self.level();
        if self.named_header == Some(level) {
            self.named_header = None;
        }
        if self.type_mode.is_some_and(|(l, _)| l >= level) {
            self.type_mode = None;
        }
    }

    fn token(
        &mut self,
        tok: &Tok,
        span: &Span,
        had_newline: bool,
        next: Option<&Tok>,
        after: Option<&Tok>,
        report: &mut Report,
    ) {
        let level = self.level();
        let mut emit = tok.clone();
        match tok {
            Tok::Semi => self.end_statement(),
            Tok::Comma => {
                if let Some(f) = self.frames.last_mut() {
                    self.depth -= f.prefix;
                    f.prefix = 0;
                }
                if self.type_mode.is_some_and(|(l, angle)| l == level && angle == 0) {
                    self.type_mode = None;
                }
            }
            Tok::LParen => {
                let top = self.frames.last().map(|f| (f.open, f.span.clone()));
                let after_lambda_fn = matches!(self.out.last(), Some((Tok::Fn, s)) if
                    matches!(&top, Some((Open::Lambda { header: true }, fs)) if fs == s));
                if after_lambda_fn && !had_newline {
                    emit = Tok::ParamsOpen;
                }
                self.push(Open::Paren, span, report);
            }
            Tok::LBracket => self.push(Open::Bracket, span, report),
            Tok::MapOpen => self.push(Open::Map, span, report),
            Tok::InterpStart => self.push(Open::Interp, span, report),
            Tok::StrStart => self.push(Open::Str, span, report),
            Tok::RParen | Tok::RBracket | Tok::RBrace | Tok::InterpEnd | Tok::StrEnd | Tok::End => {
                if !self.close(tok, span, report) {
                    return; // a stray closer is reported and dropped
                }
                let level = self.level();
                if self.type_mode.is_some_and(|(l, _)| l > level) {
                    self.type_mode = None;
                }
            }
            Tok::Do => {
                self.type_mode = None;
                if self.else_if == Some(level) {
                    self.else_if = None;
                } else if let Some(Frame { open: Open::Lambda { header }, .. }) =
                    self.frames.last_mut()
                {
                    if *header {
                        *header = false;
                    } else {
                        self.push(Open::Do, span, report);
                    }
                } else {
                    if self.named_header == Some(level) {
                        self.named_header = None;
                    }
                    self.push(Open::Do, span, report);
                }
            }
            Tok::Fn | Tok::Actor => {
                let at_statement_start = matches!(
                    self.out.last().map(|t| &t.0),
                    None | Some(
                        Tok::Newline | Tok::Semi | Tok::Do | Tok::Else | Tok::Arrow | Tok::End
                    )
                );
                let named = *tok == Tok::Actor
                    || (at_statement_start
                        && matches!(next, Some(Tok::Ident(_)))
                        && matches!(after, Some(Tok::LParen)));
                if named {
                    self.named_header = Some(level);
                } else if self.named_header.is_none() && self.type_mode.is_none() {
                    self.push(Open::Lambda { header: true }, span, report);
                }
            }
            Tok::Arrow => {
                if let Some(Frame { open: Open::Lambda { header }, .. }) = self.frames.last_mut() {
                    *header = false;
                }
                if self.named_header == Some(level) {
                    self.type_mode = Some((level, 0));
                }
            }
            Tok::ColonColon => self.type_mode = Some((level, 0)),
            Tok::Lt | Tok::Gt => {
                if let Some((l, angle)) = &mut self.type_mode {
                    if *l == level {
                        *angle = if *tok == Tok::Lt { *angle + 1 } else { angle.saturating_sub(1) };
                    }
                }
            }
            Tok::Assign | Tok::When => {
                if self.type_mode.is_some_and(|(l, _)| l == level) {
                    self.type_mode = None;
                }
                if *tok == Tok::Assign && self.named_header == Some(level) {
                    self.named_header = None;
                }
            }
            Tok::If => {
                if matches!(self.out.last(), Some((Tok::Else, _))) {
                    self.else_if = Some(level);
                }
                self.prefix(span, report);
            }
            Tok::Let | Tok::Case | Tok::Cond | Tok::Receive | Tok::For => self.prefix(span, report),
            _ => {}
        }
        self.out.push((emit, span.clone()));
        self.matching.push(None);
    }

    fn prefix(&mut self, span: &Span, report: &mut Report) {
        if let Some(f) = self.frames.last_mut() {
            f.prefix += 1;
        }
        self.depth += 1;
        self.check_depth(span, report);
    }

    fn push(&mut self, open: Open, span: &Span, report: &mut Report) {
        self.frames.push(Frame { open, span: span.clone(), at: self.out.len(), prefix: 0 });
        self.depth += 1;
        self.check_depth(span, report);
    }

    fn check_depth(&mut self, span: &Span, report: &mut Report) {
        if self.depth > MAX_NESTING && !self.fatal {
            self.fatal = true;
            report.error(
                Diagnostic::new(
                    "expression nested too deeply",
                    span.clone(),
                    format!("this is nested more than {MAX_NESTING} levels deep"),
                )
                .with_hint("split the expression up with `let` bindings or helper functions"),
            );
        }
    }

    /// Closes the innermost frame if `tok` closes it; otherwise reports the
    /// mismatch, recovers, and returns whether `tok` should still be emitted.
    fn close(&mut self, tok: &Tok, span: &Span, report: &mut Report) -> bool {
        let closes = |open: Open| match tok {
            Tok::RParen => open == Open::Paren,
            Tok::RBracket => open == Open::Bracket,
            Tok::RBrace => open == Open::Map,
            Tok::InterpEnd => open == Open::Interp,
            Tok::StrEnd => open == Open::Str,
            Tok::End => matches!(open, Open::Do | Open::Lambda { .. }),
            _ => false,
        };
        let shown = tok.symbol();
        let top = self.frames.last().map(|f| (f.open, f.span.clone()));
        if let Some((open, _)) = &top {
            if closes(*open) {
                self.pop_matched();
                return true;
            }
        }
        self.mismatched = true;
        let found = self.frames.iter().rposition(|f| closes(f.open));
        match (found, top) {
            (Some(at), Some((open, open_span))) => {
                let (opener, closer) = names(open);
                report.error(
                    Diagnostic::new(
                        format!("unclosed `{opener}`"),
                        span.clone(),
                        format!("expected `{closer}` before this `{shown}`"),
                    )
                    .with_label(open_span, format!("this `{opener}` is not closed")),
                );
                while self.frames.len() > at + 1 {
                    self.pop();
                }
                self.pop_matched();
                true
            }
            (None, Some((open, open_span))) if open != Open::Root => {
                let (opener, _) = names(open);
                report.error(
                    Diagnostic::new(
                        format!("unexpected `{shown}`"),
                        span.clone(),
                        format!("this does not close the `{opener}`"),
                    )
                    .with_label(open_span, format!("the innermost open `{opener}` is here")),
                );
                false
            }
            _ => {
                let (label, hint) = if *tok == Tok::End {
                    (
                        "there is no `do` or `fn` block to close here",
                        "remove this `end`, or add the `do` it was meant to close",
                    )
                } else {
                    (
                        "there is nothing open for this to close",
                        "remove it, or add the missing opening bracket",
                    )
                };
                report.error(
                    Diagnostic::new(format!("unexpected `{shown}`"), span.clone(), label)
                        .with_hint(hint),
                );
                false
            }
        }
    }

    /// Pops the innermost frame, closed by the token about to be emitted.
    fn pop_matched(&mut self) {
        if let Some(at) = self.frames.last().filter(|f| f.open != Open::Root).map(|f| f.at) {
            if let Some(slot) = self.matching.get_mut(at) {
                *slot = Some(self.out.len());
            }
        }
        self.pop();
    }

    fn pop(&mut self) {
        if self.frames.len() > 1 {
            if let Some(f) = self.frames.pop() {
                self.depth -= 1 + f.prefix;
            }
        }
    }
}

/// The opening and closing spelling of a frame.
fn names(open: Open) -> (&'static str, &'static str) {
    match open {
        Open::Root => ("", ""),
        Open::Paren => ("(", ")"),
        Open::Bracket => ("[", "]"),
        Open::Map => ("%{", "}"),
        Open::Interp => ("${", "}"),
        Open::Str => ("\"", "\""),
        Open::Do => ("do", "end"),
        Open::Lambda { .. } => ("fn", "end"),
    }
}

/// The diagnostic for the innermost construct left open, if any.
fn unclosed_at_eof(frames: &[Frame], src_len: usize) -> Option<Diagnostic> {
    let eof = src_len..src_len;
    let (frame, outer) = match frames {
        [.., outer, frame] => (frame, Some(outer)),
        [frame] => (frame, None),
        [] => return None,
    };
    let interp = outer.filter(|o| o.open == Open::Interp);
    Some(match frame.open {
        Open::Root => return None,
        Open::Str if interp.is_some() => {
            let interp = interp.map_or(0..0, |f| f.span.clone());
            Diagnostic::new("unterminated interpolation", interp, "this `${` is never closed")
                .with_label(
                    frame.span.clone(),
                    "so this `\"` starts a string inside the interpolation",
                )
                .with_hint("close the interpolation with `}` before the closing `\"`")
        }
        Open::Str => Diagnostic::new(
            "unterminated string",
            frame.span.clone(),
            "this string is never closed",
        )
        .with_hint("add a closing `\"`"),
        Open::Interp => Diagnostic::new(
            "unterminated interpolation",
            frame.span.clone(),
            "this `${` is never closed",
        )
        .with_hint("close it with `}`"),
        open => {
            let (opener, closer) = names(open);
            Diagnostic::new(
                format!("expected `{closer}` to close this `{opener}`"),
                eof,
                "the input ends here",
            )
            .with_label(frame.span.clone(), format!("this `{opener}` is not closed"))
        }
    })
}

/// A line ending in one of these continues on the next line.
fn continues_after(last: Option<&Tok>) -> bool {
    let Some(t) = last else { return true };
    t.is_binary_op()
        || matches!(
            t,
            Tok::Newline
                | Tok::Semi
                | Tok::Comma
                | Tok::LParen
                | Tok::ParamsOpen
                | Tok::LBracket
                | Tok::MapOpen
                | Tok::InterpStart
                | Tok::Do
                | Tok::Else
                | Tok::After
                | Tok::Arrow
                | Tok::FatArrow
                | Tok::Assign
                | Tok::Fn
                | Tok::When
                | Tok::ColonColon
                | Tok::Bar
                | Tok::Not
                | Tok::Bang
                | Tok::Caret
                | Tok::Amp
                | Tok::Dot
                | Tok::Let
                | Tok::If
                | Tok::Case
                | Tok::Cond
                | Tok::Receive
                | Tok::For
                | Tok::In
        )
}

/// A line starting with one of these continues the previous line.
fn continues_before(next: &Tok) -> bool {
    matches!(
        next,
        Tok::Pipe
            | Tok::End
            | Tok::Else
            | Tok::After
            | Tok::RParen
            | Tok::RBracket
            | Tok::RBrace
            | Tok::InterpEnd
    )
}
