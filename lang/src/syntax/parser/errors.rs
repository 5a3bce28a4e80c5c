//! Turns chumsky's errors into Snow diagnostics: the offending source text in
//! backticks, and a short, de-duplicated list of what was expected instead.

use chumsky::error::{Rich, RichPattern, RichReason};

use super::St;
use crate::diagnostic::Diagnostic;
use crate::syntax::token::Tok;

/// Returns the diagnostic and whether the error is at the end of the input.
pub fn convert(e: &Rich<'_, Tok>, st: &St<'_>, src: &str) -> (Diagnostic, bool) {
    let span = st.bytes(*e.span());
    if let RichReason::Custom(msg) = e.reason() {
        return (Diagnostic::new(msg.clone(), span, "here"), false);
    }
    let at_eof = e.found().is_none();
    let title = match e.found() {
        None => "unexpected end of input".to_string(),
        Some(Tok::Newline) => "unexpected end of line".to_string(),
        Some(Tok::StrStart) => "unexpected string".to_string(),
        Some(_) => format!("unexpected `{}`", excerpt(src, &span)),
    };
    let label = expected(e);
    let mut diag = Diagnostic::new(title, span, label);
    if at_eof {
        diag = diag.with_hint("the input stops in the middle of an expression");
    }
    (diag, at_eof)
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

fn expected(e: &Rich<'_, Tok>) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut operators = 0;
    let mut separators = false;
    for p in e.expected() {
        let name = match p {
            RichPattern::Token(t) => {
                let t: &Tok = t;
                if t.is_binary_op() {
                    operators += 1;
                    continue;
                }
                if matches!(t, Tok::Newline | Tok::Semi) {
                    separators = true;
                    continue;
                }
                t.describe().into_owned()
            }
            RichPattern::Label(l) => l.to_string(),
            RichPattern::Identifier(i) => format!("`{i}`"),
            RichPattern::EndOfInput => "the end of the input".to_string(),
            _ => continue,
        };
        names.push(name);
    }
    names.sort();
    names.dedup();
    if operators > 0 {
        names.push("an operator".into());
    }
    if separators {
        names.push("a new line".into());
    }
    match names.len() {
        0 => "not expected here".to_string(),
        1 => format!("expected {}", names[0]),
        n => {
            let shown = n.min(6);
            let more = if n > shown { ", ..." } else { "" };
            format!("expected {} or {}{more}", names[..shown - 1].join(", "), names[shown - 1])
        }
    }
}
