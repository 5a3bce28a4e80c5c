//! Syntax highlighting of the line being typed: ANSI colours over the
//! token classes that `snow_lang::syntax::classify` reports.

use snow_lang::syntax::{classify, TokenClass};

const RESET: &str = "\x1b[0m";

fn colour(class: TokenClass) -> Option<&'static str> {
    Some(match class {
        TokenClass::Keyword => "\x1b[35m",
        TokenClass::Atom => "\x1b[36m",
        TokenClass::String => "\x1b[32m",
        TokenClass::Number => "\x1b[33m",
        TokenClass::Comment => "\x1b[90m",
        TokenClass::Module => "\x1b[34m",
        TokenClass::Operator | TokenClass::Ident | TokenClass::Punct => return None,
    })
}

/// `line` with colour codes around its tokens; the text itself is unchanged.
pub fn highlight(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 32);
    let mut at = 0;
    for (span, class) in classify(line) {
        let Some(code) = colour(class) else { continue };
        if span.start < at || span.start >= span.end {
            continue;
        }
        let (Some(gap), Some(token)) = (line.get(at..span.start), line.get(span.clone())) else { continue };
        out.push_str(gap);
        out.push_str(code);
        out.push_str(token);
        out.push_str(RESET);
        at = span.end;
    }
    out.push_str(line.get(at..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::highlight;

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut esc = false;
        for c in s.chars() {
            match (esc, c) {
                (false, '\x1b') => esc = true,
                (true, 'm') => esc = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    }

    #[test]
    fn keeps_the_text() {
        for src in ["let x = 1", "fn f(a) do \"s${a}\" end # c", "Process.send(self(), :ok)", "\"open", "é + ü"] {
            assert_eq!(strip(&highlight(src)), src);
        }
    }

    #[test]
    fn colours_keywords_and_atoms() {
        let h = highlight("let x = :ok");
        assert!(h.contains("\x1b[35mlet\x1b[0m"), "{h:?}");
        assert!(h.contains("\x1b[36m:ok\x1b[0m"), "{h:?}");
    }
}
