//! Turns chumsky's errors into Snow diagnostics: the offending source text in
//! backticks, and a short, de-duplicated list of what was expected instead.

use chumsky::error::{Rich, RichPattern, RichReason};

use super::St;
use crate::diagnostic::Diagnostic;
use crate::syntax::token::Tok;

/// Returns the diagnostic and whether the error is at the end of the input;
/// `None` for an error at an unknown character, which the lexer reported.
pub fn convert(e: &Rich<'_, Tok>, st: &St<'_>, src: &str) -> Option<(Diagnostic, bool)> {
    if e.found() == Some(&Tok::Error) {
        return None;
    }
    let span = st.bytes(*e.span());
    if let RichReason::Custom(msg) = e.reason() {
        return Some((Diagnostic::new(msg.clone(), span, "here"), st.past_input(e.span().start)));
    }
    let at_eof = e.found().is_none() || st.past_input(e.span().start);
    let title = match e.found() {
        None => "unexpected end of input".to_string(),
        _ if at_eof => "unexpected end of input".to_string(),
        Some(Tok::Newline) => "unexpected end of line".to_string(),
        Some(Tok::StrStart) => "unexpected string".to_string(),
        Some(_) => format!("unexpected `{}`", excerpt(src, &span)),
    };
    let (label, wants_separator) = expected(e);
    let mut diag = Diagnostic::new(title, span, label);
    if at_eof {
        diag = diag.with_hint("the input stops in the middle of an expression");
    } else if wants_separator && e.found() == Some(&Tok::Assign) {
        diag = diag.with_hint("to bind a name, write `let pattern = value`");
    } else if wants_separator && e.found().is_some_and(starts_expression) {
        diag = diag.with_hint("put each expression on its own line, or separate them with `;`");
    }
    Some((diag, at_eof))
}

/// A statement's first token: a term, or `let`.
fn starts_expression(t: &Tok) -> bool {
    t.starts_term() || *t == Tok::Let
}

/// The source text of `span`, shortened to one line of a few words.
fn excerpt(src: &str, span: &std::ops::Range<usize>) -> String {
    let text = src.get(span.clone()).unwrap_or("");
    let line = text.lines().next().unwrap_or("");
    let mut out: String = line.chars().take(24).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// "expected ..." for the label, and whether a statement separator was one
/// of the options (the statement itself was complete).
fn expected(e: &Rich<'_, Tok>) -> (String, bool) {
    let mut names: Vec<String> = Vec::new();
    let mut operators = 0;
    let mut separators = false;
    let mut call = false;
    for p in e.expected() {
        let name = match p {
            RichPattern::Token(t) => {
                let t: &Tok = t;
                if t.is_binary_op() {
                    operators += 1;
                    continue;
                }
                if *t == Tok::Newline {
                    separators = true;
                    continue;
                }
                if matches!(t, Tok::LParen | Tok::Dot) {
                    call = true;
                    continue;
                }
                t.describe().into_owned()
            }
            RichPattern::Label(l) => {
                if l.as_ref() == SEPARATOR {
                    separators = true;
                    continue;
                }
                l.to_string()
            }
            RichPattern::Identifier(i) => format!("`{i}`"),
            RichPattern::EndOfInput => "the end of the input".to_string(),
            _ => continue,
        };
        names.push(name);
    }
    names.sort();
    names.dedup();
    // After a complete operand, `(` and `.` (a call on its value) are
    // technically possible but never what the user was after.
    if call && operators == 0 {
        names.insert(0, "`(`".into());
    }
    if operators > 0 {
        names.push("an operator".into());
    }
    if separators {
        names.retain(|n| n != "`;`");
        names.push("`;`".into());
        names.push("a new line".into());
    }
    let text = match names.len() {
        0 => "not expected here".to_string(),
        1 => format!("expected {}", names[0]),
        n => {
            let shown = n.min(6);
            let more = if n > shown { ", ..." } else { "" };
            format!("expected {} or {}{more}", names[..shown - 1].join(", "), names[shown - 1])
        }
    };
    (text, separators)
}

/// The label of the parser that checks a statement ends where it should.
pub const SEPARATOR: &str = "the end of the statement";
