//! The lexer: source text to tokens with byte spans. logos recognises code;
//! a small mode stack switches to string scanning at `"` and back at `${`.

use logos::Logos;

use super::report::Report;
use super::strings::{scan_quoted_atom, scan_string, Stop};
use super::token::Tok;
use crate::ast::Span;
use crate::diagnostic::Diagnostic;

#[derive(Logos, Debug, Clone, Copy, PartialEq)]
#[logos(skip r"[ \t\r\f]+")]
enum Raw {
    #[regex(r"#[^\n]*", allow_greedy = true)]
    Comment,
    #[token("\n")]
    Newline,
    #[token(";")]
    Semi,
    #[regex(r"[0-9][0-9_]*")]
    Int,
    #[regex(r"0[xX][0-9a-fA-F_]+")]
    Hex,
    #[regex(r"[0-9][0-9_]*\.[0-9][0-9_]*([eE][+-]?[0-9]+)?")]
    #[regex(r"[0-9][0-9_]*[eE][+-]?[0-9]+")]
    Float,
    #[regex(r"[a-z_][a-zA-Z0-9_]*[?!]?")]
    Ident,
    /// `name:`, a keyword key in a map.
    #[regex(r"[a-z_][a-zA-Z0-9_]*[?!]?:")]
    KwKey,
    /// `name::` is a name followed by `::`, not a key followed by an atom.
    #[regex(r"[a-z_][a-zA-Z0-9_]*[?!]?::")]
    IdentColonColon,
    #[regex(r"[A-Z][a-zA-Z0-9_]*")]
    Module,
    #[regex(r":[a-zA-Z_][a-zA-Z0-9_]*[?!]?")]
    Atom,
    #[token(":\"")]
    AtomQuote,
    #[token("\"")]
    Quote,
    #[token("do")]
    Do,
    #[token("end")]
    End,
    #[token("fn")]
    Fn,
    #[token("actor")]
    Actor,
    #[token("let")]
    Let,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("case")]
    Case,
    #[token("cond")]
    Cond,
    #[token("receive")]
    Receive,
    #[token("after")]
    After,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("when")]
    When,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("nil")]
    Nil,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("===")]
    EqEqEq,
    #[token("!==")]
    NotEqEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("!")]
    Bang,
    #[token("<>")]
    Concat,
    #[token("++")]
    PlusPlus,
    #[token("|>")]
    Pipe,
    #[token("=")]
    Assign,
    #[token("->")]
    Arrow,
    #[token("=>")]
    FatArrow,
    #[token("|")]
    Bar,
    #[token("^")]
    Caret,
    #[token("&")]
    Amp,
    #[token("::")]
    ColonColon,
    #[token(",")]
    Comma,
    #[token(".")]
    Dot,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("%{")]
    MapOpen,
    #[token("}")]
    RBrace,
}

/// Lexes all of `src`. Comments and newlines are kept (the layout pass and
/// the highlighter decide what to do with them). Never fails: problems go to
/// `report` and lexing goes on.
pub fn lex(src: &str, report: &mut Report) -> Vec<(Tok, Span)> {
    let mut out = Vec::with_capacity(src.len() / 3 + 1);
    // One entry per open `${`: how many `%{` are open inside it.
    let mut interps: Vec<usize> = Vec::new();
    // `{`s reported as unknown: their `}`s are dropped quietly, not reported again.
    let mut stray_braces = 0usize;
    let mut pos = 0;
    'code: while pos < src.len() {
        let base = pos;
        let mut lx = Raw::lexer(&src[base..]);
        while let Some(raw) = lx.next() {
            let span = base + lx.span().start..base + lx.span().end;
            let text = lx.slice();
            let Ok(raw) = raw else {
                let span = char_span(src, span.start);
                let shown = &src[span.clone()];
                let mut diag = Diagnostic::new(
                    format!("unexpected character `{}`", shown.escape_debug()),
                    span.clone(),
                    "no token starts with this character",
                );
                if shown == "{" {
                    stray_braces += 1;
                    diag = diag.with_hint(
                        "tuples are written with parentheses, `(:ok, x)`, and maps with `%{`",
                    );
                }
                report.error(diag);
                out.push((Tok::Error, span.clone()));
                // Resume right after the character, whatever logos skipped.
                pos = span.end;
                continue 'code;
            };
            let string_from = match raw {
                // `#PID<0.42.0>`, as pids print: pasted back, it is that
                // pid, not a comment (what follows it is code again).
                Raw::Comment if pid_literal(text).is_some() => {
                    let (len, tok) = pid_literal(text).unwrap_or((text.len(), Tok::Comment));
                    out.push((tok, span.start..span.start + len));
                    pos = span.start + len;
                    continue 'code;
                }
                Raw::RBrace if stray_braces > 0 => {
                    stray_braces -= 1;
                    out.push((Tok::Error, span));
                    None
                }
                Raw::Quote => {
                    out.push((Tok::StrStart, span.clone()));
                    Some(span.end)
                }
                Raw::RBrace if interps.last() == Some(&0) => {
                    interps.pop();
                    out.push((Tok::InterpEnd, span.clone()));
                    Some(span.end)
                }
                Raw::AtomQuote => {
                    let (name, end) = scan_quoted_atom(src, span.end, report);
                    let Some(end) = end else {
                        report.at_eof(Diagnostic::new(
                            "unterminated atom",
                            span.start..span.end,
                            "this quoted atom is never closed",
                        ));
                        out.push((Tok::Atom(name), span.start..src.len()));
                        return out;
                    };
                    out.push((Tok::Atom(name), span.start..end));
                    pos = end;
                    continue 'code;
                }
                _ => {
                    if let Some(depth) = interps.last_mut() {
                        match raw {
                            Raw::MapOpen => *depth += 1,
                            Raw::RBrace => *depth = depth.saturating_sub(1),
                            _ => {}
                        }
                    }
                    let tok = convert(raw, text, span.clone(), report);
                    if let Some(extra) = tok.1 {
                        out.push((tok.0, span.start..span.end - 2));
                        out.push((extra, span.end - 2..span.end));
                    } else {
                        out.push((tok.0, span));
                    }
                    None
                }
            };
            if let Some(from) = string_from {
                match scan_string(src, from, &mut out, report) {
                    Stop::Closed(next) => pos = next,
                    Stop::Interp(next) => {
                        interps.push(0);
                        pos = next;
                    }
                    Stop::Eof => return out,
                }
                continue 'code;
            }
        }
        break;
    }
    out
}

/// `#PID<a.b.c>` at the start of `text`: its length and token.
fn pid_literal(text: &str) -> Option<(usize, Tok)> {
    let rest = text.strip_prefix("#PID<")?;
    let close = rest.find('>')?;
    let parts: Vec<&str> = rest[..close].split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(u32::MAX)).collect();
    Some(("#PID<".len() + close + 1, Tok::Pid(n[0], n[1], n[2])))
}

/// The span of the whole character starting at `at`.
fn char_span(src: &str, at: usize) -> Span {
    let len = src.get(at..).and_then(|s| s.chars().next()).map_or(1, char::len_utf8);
    at..(at + len).min(src.len())
}

/// Turns a logos token into ours; a second token comes out of `name::`.
fn convert(raw: Raw, text: &str, span: Span, report: &mut Report) -> (Tok, Option<Tok>) {
    let tok = match raw {
        Raw::Comment => Tok::Comment,
        Raw::Newline => Tok::Newline,
        Raw::Semi => Tok::Semi,
        Raw::Int => int(text.replace('_', "").parse::<i64>().ok(), span, report),
        Raw::Hex => int(i64::from_str_radix(&text[2..].replace('_', ""), 16).ok(), span, report),
        Raw::Float => match text.replace('_', "").parse::<f64>() {
            Ok(f) if f.is_finite() => Tok::Float(f),
            _ => {
                report.error(Diagnostic::new(
                    "float literal too large",
                    span,
                    "does not fit a 64-bit float",
                ));
                Tok::Float(0.0)
            }
        },
        Raw::Ident => Tok::Ident(text.to_string()),
        Raw::KwKey => Tok::KwKey(text[..text.len() - 1].to_string()),
        Raw::IdentColonColon => {
            return (Tok::Ident(text[..text.len() - 2].to_string()), Some(Tok::ColonColon))
        }
        Raw::Module => Tok::Module(text.to_string()),
        Raw::Atom => Tok::Atom(text[1..].to_string()),
        Raw::Do => Tok::Do,
        Raw::End => Tok::End,
        Raw::Fn => Tok::Fn,
        Raw::Actor => Tok::Actor,
        Raw::Let => Tok::Let,
        Raw::If => Tok::If,
        Raw::Else => Tok::Else,
        Raw::Case => Tok::Case,
        Raw::Cond => Tok::Cond,
        Raw::Receive => Tok::Receive,
        Raw::After => Tok::After,
        Raw::For => Tok::For,
        Raw::In => Tok::In,
        Raw::When => Tok::When,
        Raw::And => Tok::And,
        Raw::Or => Tok::Or,
        Raw::Not => Tok::Not,
        Raw::True => Tok::True,
        Raw::False => Tok::False,
        Raw::Nil => Tok::Nil,
        Raw::Plus => Tok::Plus,
        Raw::Minus => Tok::Minus,
        Raw::Star => Tok::Star,
        Raw::Slash => Tok::Slash,
        Raw::EqEq => Tok::EqEq,
        Raw::NotEq => Tok::NotEq,
        Raw::EqEqEq => Tok::EqEqEq,
        Raw::NotEqEq => Tok::NotEqEq,
        Raw::Lt => Tok::Lt,
        Raw::Le => Tok::Le,
        Raw::Gt => Tok::Gt,
        Raw::Ge => Tok::Ge,
        Raw::AndAnd => Tok::AndAnd,
        Raw::OrOr => Tok::OrOr,
        Raw::Bang => Tok::Bang,
        Raw::Concat => Tok::Concat,
        Raw::PlusPlus => Tok::PlusPlus,
        Raw::Pipe => Tok::Pipe,
        Raw::Assign => Tok::Assign,
        Raw::Arrow => Tok::Arrow,
        Raw::FatArrow => Tok::FatArrow,
        Raw::Bar => Tok::Bar,
        Raw::Caret => Tok::Caret,
        Raw::Amp => Tok::Amp,
        Raw::ColonColon => Tok::ColonColon,
        Raw::Comma => Tok::Comma,
        Raw::Dot => Tok::Dot,
        Raw::LParen => Tok::LParen,
        Raw::RParen => Tok::RParen,
        Raw::LBracket => Tok::LBracket,
        Raw::RBracket => Tok::RBracket,
        Raw::MapOpen => Tok::MapOpen,
        Raw::RBrace => Tok::RBrace,
        // Handled by the caller before conversion.
        Raw::Quote | Raw::AtomQuote => Tok::Error,
    };
    (tok, None)
}

fn int(value: Option<i64>, span: Span, report: &mut Report) -> Tok {
    match value {
        Some(n) => Tok::Int(n),
        None => {
            report.error(
                Diagnostic::new("integer literal too large", span, "does not fit a 64-bit integer")
                    .with_hint("integers range from -9223372036854775808 to 9223372036854775807"),
            );
            Tok::Int(0)
        }
    }
}
