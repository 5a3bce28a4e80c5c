//! Scanning inside string literals and quoted atoms: escapes and the `${`
//! that starts an interpolation. Code inside `${...}` is lexed by the lexer.

use super::report::Report;
use super::token::Tok;
use crate::ast::Span;
use crate::diagnostic::Diagnostic;

/// Where a scan of string text stopped.
pub enum Stop {
    /// At the closing `"`; code resumes at this offset.
    Closed(usize),
    /// At `${`; the interpolated code starts at this offset.
    Interp(usize),
    /// The source ended first.
    Eof,
}

/// Scans string text from `start` (just after `"` or an interpolation's `}`),
/// pushing `StrLit` pieces and the closing `StrEnd` or `InterpStart`.
pub fn scan_string(
    src: &str,
    start: usize,
    out: &mut Vec<(Tok, Span)>,
    report: &mut Report,
) -> Stop {
    let mut lit = String::new();
    let mut lit_start = start;
    let mut i = start;
    let flush = |lit: &mut String, from: usize, to: usize, out: &mut Vec<(Tok, Span)>| {
        if !lit.is_empty() {
            out.push((Tok::StrLit(std::mem::take(lit)), from..to));
        }
    };
    while let Some(c) = src.get(i..).and_then(|rest| rest.chars().next()) {
        match c {
            '"' => {
                flush(&mut lit, lit_start, i, out);
                out.push((Tok::StrEnd, i..i + 1));
                return Stop::Closed(i + 1);
            }
            '$' if src[i + 1..].starts_with('{') => {
                flush(&mut lit, lit_start, i, out);
                out.push((Tok::InterpStart, i..i + 2));
                return Stop::Interp(i + 2);
            }
            '\\' => i = escape(src, i, &mut lit, report),
            _ => {
                lit.push(c);
                i += c.len_utf8();
            }
        }
        if lit.is_empty() {
            lit_start = i;
        }
    }
    flush(&mut lit, lit_start, src.len(), out);
    Stop::Eof
}

/// Scans a quoted atom's name from `start` (just after `:"`). Returns the
/// name and the offset after the closing quote, or `None` at end of input.
pub fn scan_quoted_atom(src: &str, start: usize, report: &mut Report) -> (String, Option<usize>) {
    let mut name = String::new();
    let mut i = start;
    while let Some(c) = src.get(i..).and_then(|rest| rest.chars().next()) {
        match c {
            '"' => return (name, Some(i + 1)),
            '\\' => i = escape(src, i, &mut name, report),
            _ => {
                name.push(c);
                i += c.len_utf8();
            }
        }
    }
    (name, None)
}

/// Applies the escape whose backslash is at `at`; returns the offset after it.
fn escape(src: &str, at: usize, out: &mut String, report: &mut Report) -> usize {
    let Some(e) = src.get(at + 1..).and_then(|rest| rest.chars().next()) else {
        return at + 1; // a lone `\` at the very end: the unclosed string is reported
    };
    let end = at + 1 + e.len_utf8();
    let cooked = match e {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        '"' => '"',
        '\\' => '\\',
        '$' => '$',
        '0' => '\0',
        other => {
            report.error(
                Diagnostic::new(
                    format!("unknown escape `\\{other}`"),
                    at..end,
                    "not a valid escape",
                )
                .with_hint(r#"valid escapes are \n \t \r \" \\ \$ \0"#),
            );
            other
        }
    };
    out.push(cooked);
    end
}
