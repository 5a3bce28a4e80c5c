//! `inspect`: the printed form of a term, as language.md's value table fixes it.

use crate::atom::Atom;
use crate::term::Term;
use std::fmt::Write;

/// The string `inspect(term)` returns.
pub fn inspect(term: &Term) -> String {
    let mut out = String::new();
    write_term(&mut out, term);
    out
}

/// What `println` shows: a string's raw text, anything else as `inspect`.
pub fn display(term: &Term) -> String {
    match term {
        Term::Str(s) => s.to_string(),
        other => inspect(other),
    }
}

/// Writes `term` as `inspect` shows it. A loop over an explicit worklist,
/// not recursion: a term nested millions deep prints as well as a flat one.
pub fn write_term(out: &mut String, term: &Term) {
    let mut work: Vec<Work<'_>> = vec![Work::Term(term)];
    while let Some(w) = work.pop() {
        match w {
            Work::Text(t) => out.push_str(t),
            Work::Term(t) => write_one(out, t, &mut work),
            Work::ListRest(cur) => match cur {
                Term::Cons(c) => {
                    out.push_str(", ");
                    work.push(Work::ListRest(&c.tail));
                    work.push(Work::Term(&c.head));
                }
                Term::Nil => out.push(']'),
                improper => {
                    out.push_str(" | ");
                    work.push(Work::Text("]"));
                    work.push(Work::Term(improper));
                }
            },
            Work::Items(items, i) => {
                if i < items.len() {
                    out.push_str(", ");
                    work.push(Work::Items(items, i + 1));
                    work.push(Work::Term(&items[i]));
                } else {
                    out.push_str(if items.len() == 1 { ",)" } else { ")" });
                }
            }
            Work::Entries(entries, i) => {
                if let Some((k, v)) = entries.get(i) {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    work.push(Work::Entries(entries, i + 1));
                    work.push(Work::Term(v));
                    work.push(Work::Text(" => "));
                    work.push(Work::Term(k));
                } else {
                    out.push('}');
                }
            }
        }
    }
}

/// What is left to print of the terms being printed.
enum Work<'a> {
    Term(&'a Term),
    Text(&'static str),
    /// A list after its first element: `, next...` or `]`.
    ListRest(&'a Term),
    /// A tuple from element `i` on (elements before it are written).
    Items(&'a [Term], usize),
    Entries(Vec<&'a (Term, Term)>, usize),
}

fn write_one<'a>(out: &mut String, term: &'a Term, work: &mut Vec<Work<'a>>) {
    match term {
        Term::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Term::Float(f) => write_float(out, *f),
        Term::Atom(a) => write_atom(out, *a),
        Term::Str(s) => write_string_literal(out, s),
        Term::Nil => out.push_str("[]"),
        Term::Cons(c) => {
            out.push('[');
            work.push(Work::ListRest(&c.tail));
            work.push(Work::Term(&c.head));
        }
        Term::Tuple(items) => {
            out.push('(');
            match items.first() {
                Some(first) => {
                    work.push(Work::Items(items, 1));
                    work.push(Work::Term(first));
                }
                None => out.push(')'),
            }
        }
        Term::Map(m) => {
            out.push_str("%{");
            work.push(Work::Entries(m.iter().collect(), 0));
        }
        Term::Pid(p) => {
            let _ = write!(out, "#PID<{}.{}.{}>", p.node, p.id, p.serial);
        }
        Term::Ref(r) => {
            let (node, words) = crate::dist::long_refs::expand(r);
            let _ = write!(out, "#Reference<{node}");
            for w in words.iter().rev() {
                let _ = write!(out, ".{w}");
            }
            out.push('>');
        }
        Term::Fun(f) => {
            let _ = write!(out, "#Function<{}>", f.code.describe());
        }
    }
}

/// A float always shows a `.`: `1.0`, `2.5`, `1.0e20`, `1.0e-7`.
pub fn write_float(out: &mut String, f: f64) {
    let s = format!("{f:?}");
    match s.find('e') {
        Some(e) if !s[..e].contains('.') => {
            out.push_str(&s[..e]);
            out.push_str(".0");
            out.push_str(&s[e..]);
        }
        _ => out.push_str(&s),
    }
}

/// A process label (`Process.set_label`) in words: `(:service, Counter)`
/// is `service Counter`; anything else as `inspect` shows it.
pub fn describe_label(label: &Term) -> String {
    match label {
        Term::Tuple(t) if t.len() == 2 => match (&t[0], &t[1]) {
            (Term::Atom(kind), Term::Atom(a)) if *a == Atom::NIL => kind.as_str().to_string(),
            (Term::Atom(kind), module) => format!("{} {}", kind.as_str(), inspect(module)),
            _ => inspect(label),
        },
        _ => inspect(label),
    }
}

pub fn write_atom(out: &mut String, a: Atom) {
    if a == Atom::TRUE || a == Atom::FALSE || a == Atom::NIL || a.is_module_name() {
        out.push_str(a.as_str());
    } else if a.is_plain() {
        out.push(':');
        out.push_str(a.as_str());
    } else {
        out.push(':');
        write_string_literal(out, a.as_str());
    }
}

/// A double-quoted literal that reads back as the same string.
pub fn write_string_literal(out: &mut String, s: &str) {
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::{MapObj, Pid};

    #[test]
    fn value_table_of_language_md() {
        let cases: Vec<(Term, &str)> = vec![
            (Term::Int(1), "1"),
            (Term::Float(2.5), "2.5"),
            (Term::Float(1.0), "1.0"),
            (Term::Float(1e20), "1.0e20"),
            (Term::str("hi"), "\"hi\""),
            (Term::atom("ok"), ":ok"),
            (Term::atom("a@127.0.0.1"), ":\"a@127.0.0.1\""),
            (Term::TRUE, "true"),
            (Term::NIL_ATOM, "nil"),
            (Term::list(vec![1.into(), 2.into()]), "[1, 2]"),
            (Term::list_with_tail(vec![1.into()], 2.into()), "[1 | 2]"),
            (Term::tuple(vec![1.into(), Term::atom("a")]), "(1, :a)"),
            (Term::tuple(vec![]), "()"),
            (Term::tuple(vec![Term::atom("x")]), "(:x,)"),
            (
                Term::map([(Term::str("k"), 1.into()), (Term::atom("a"), 2.into())].into_iter().collect::<MapObj>()),
                "%{\"k\" => 1, :a => 2}",
            ),
            (Term::Pid(Pid::local(42, 0)), "#PID<0.42.0>"),
        ];
        for (t, want) in cases {
            assert_eq!(inspect(&t), want);
        }
    }

    #[test]
    fn println_shows_strings_raw() {
        assert_eq!(display(&Term::str("a\"b")), "a\"b");
        assert_eq!(display(&Term::atom("ok")), ":ok");
    }

    #[test]
    fn string_escapes_round_trip_form() {
        assert_eq!(inspect(&Term::str("a\n\"${x}\\")), "\"a\\n\\\"\\${x}\\\\\"");
    }
}
