//! Erlang's I/O protocol, as messages: what a process sends its group
//! leader to print, and what an I/O server answers. A process spawned from
//! another node has its group leader there (Erlang's rule), so its output
//! and crash reports appear on the terminal of the node that spawned it;
//! the same messages work with an `erl` group leader in both directions.
//!
//! ```text
//! {io_request, From, ReplyAs, {put_chars, unicode, Chars}}
//! {io_request, From, ReplyAs, {put_chars, unicode, io_lib, format, [Format, Args]}}
//! {io_reply, ReplyAs, ok}
//! ```
//!
//! `format` knows the directives Erlang programs print with most (`~p ~w
//! ~s ~ts ~n ~~ ~c ~B`); terms are shown as Snow shows them.

use crate::atom::Atom;
use crate::inspect::inspect;
use crate::term::{Pid, Term};

/// A request to print `text` as it is.
pub fn put_chars(from: Pid, reply_as: Term, text: &str) -> Term {
    request(from, reply_as, Term::tuple(vec![atom("put_chars"), atom("unicode"), Term::str(text)]))
}

/// A request to print `io_lib:format(format, args)`: the receiver renders
/// the terms, so pids show as that node knows them.
pub fn put_format(from: Pid, reply_as: Term, format: &str, args: Vec<Term>) -> Term {
    let call = vec![atom("put_chars"), atom("unicode"), atom("io_lib"), atom("format"), Term::list(vec![Term::str(format), Term::list(args)])];
    request(from, reply_as, Term::tuple(call))
}

fn request(from: Pid, reply_as: Term, req: Term) -> Term {
    Term::tuple(vec![atom("io_request"), Term::Pid(from), reply_as, req])
}

fn atom(s: &str) -> Term {
    Term::Atom(Atom::new(s))
}

/// An I/O request as a server sees it.
pub struct Request {
    pub from: Pid,
    pub reply_as: Term,
    /// The text to print; `None` for a request this server does not serve.
    pub text: Option<String>,
}

/// `{io_request, From, ReplyAs, Req}`, or `None` for any other message.
pub fn parse(msg: &Term) -> Option<Request> {
    let Term::Tuple(t) = msg else { return None };
    let [tag, Term::Pid(from), reply_as, req] = &t[..] else { return None };
    if tag.as_atom()?.as_str() != "io_request" {
        return None;
    }
    Some(Request { from: *from, reply_as: reply_as.clone(), text: text_of(req) })
}

/// `{io_reply, ReplyAs, Result}`.
pub fn reply(reply_as: Term, ok: bool) -> Term {
    let result = if ok { Term::Atom(Atom::OK) } else { Term::tuple(vec![Term::Atom(Atom::ERROR), atom("request")]) };
    Term::tuple(vec![atom("io_reply"), reply_as, result])
}

/// Whether `msg` is an `io_reply` (what a server that asked nothing drops).
pub fn is_reply(msg: &Term) -> bool {
    matches!(msg, Term::Tuple(t) if t.len() == 3 && t[0].as_atom().is_some_and(|a| a.as_str() == "io_reply"))
}

fn text_of(req: &Term) -> Option<String> {
    let Term::Tuple(t) = req else { return None };
    let kind = t.first()?.as_atom()?;
    match (kind.as_str(), &t[1..]) {
        ("put_chars", [_, chars] | [chars]) => chars_of(chars),
        ("put_chars", [_, m, f, a] | [m, f, a]) => {
            let (m, f) = (m.as_atom()?, f.as_atom()?);
            let args = a.list_to_vec()?;
            match (m.as_str(), f.as_str(), &args[..]) {
                ("io_lib", "format", [fmt, fargs]) => Some(format(&chars_of(fmt)?, &fargs.list_to_vec()?)),
                _ => None,
            }
        }
        ("requests", [list]) => {
            // Requests may hold requests: a loop, so a peer's nesting
            // cannot recurse on our stack.
            let mut out = String::new();
            let mut todo: Vec<Term> = list.list_to_vec()?.into_iter().rev().collect();
            while let Some(r) = todo.pop() {
                match &r {
                    Term::Tuple(t) if t.len() == 2 && t[0].as_atom().is_some_and(|a| a.as_str() == "requests") => {
                        todo.extend(t[1].list_to_vec()?.into_iter().rev());
                    }
                    _ => out.push_str(&text_of(&r)?),
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// The text of a string, an atom, or an Erlang iolist / charlist.
pub fn chars_of(t: &Term) -> Option<String> {
    match t {
        Term::Str(s) => Some(s.to_string()),
        Term::Atom(a) => Some(a.as_str().to_string()),
        Term::Nil | Term::Cons(_) => {
            let mut out = String::new();
            let mut stack = vec![t.clone()];
            while let Some(item) = stack.pop() {
                match &item {
                    Term::Int(c) => out.push(char::from_u32(u32::try_from(*c).ok()?)?),
                    Term::Str(s) => out.push_str(s),
                    Term::Nil => {}
                    Term::Cons(c) => {
                        stack.push(c.tail.clone());
                        stack.push(c.head.clone());
                    }
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// `io_lib:format(fmt, args)` for the common directives; what it does not
/// know is shown as written, followed by the unused arguments.
pub fn format(fmt: &str, args: &[Term]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        // Field width, precision, padding and the t/l modifiers change
        // nothing here: skip them.
        let mut directive = None;
        for d in chars.by_ref() {
            if d.is_ascii_digit() || matches!(d, '.' | '-' | '*' | 't' | 'l') {
                continue;
            }
            directive = Some(d);
            break;
        }
        match directive {
            Some('n') => out.push('\n'),
            Some('~') => out.push('~'),
            Some('p' | 'w' | 'P' | 'W') => out.push_str(&args.next().map(inspect).unwrap_or_default()),
            Some('s') => out.push_str(&args.next().map(|a| chars_of(a).unwrap_or_else(|| inspect(a))).unwrap_or_default()),
            Some('c') => {
                if let Some(ch) = args.next().and_then(|a| if let Term::Int(i) = a { char::from_u32(*i as u32) } else { None }) {
                    out.push(ch);
                }
            }
            Some('B' | 'b' | 'e' | 'f' | 'g' | 'i') => {
                let a = args.next();
                if directive != Some('i') {
                    out.push_str(&a.map(inspect).unwrap_or_default());
                }
            }
            Some(other) => {
                out.push('~');
                out.push(other);
            }
            None => out.push('~'),
        }
    }
    for rest in args {
        out.push(' ');
        out.push_str(&inspect(rest));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_renders_the_common_directives() {
        let args = [Term::Atom(Atom::OK), Term::str("text"), Term::Int(42)];
        assert_eq!(format("a ~p b ~ts c ~w~n~~", &args), "a :ok b text c 42\n~");
        assert_eq!(format("~-10s|", &[Term::str("x")]), "x|");
        assert_eq!(format("~q", &[]), "~q");
    }

    #[test]
    fn requests_round_trip() {
        let from = Pid::local(7, 0);
        let r = parse(&put_chars(from, Term::Int(1), "hi\n")).expect("a request");
        assert_eq!((r.from, r.text.as_deref()), (from, Some("hi\n")));
        let r = parse(&put_format(from, Term::Int(2), "~p!~n", vec![Term::Int(3)])).expect("a request");
        assert_eq!(r.text.as_deref(), Some("3!\n"));
        let chars = Term::list("ab".chars().map(|c| Term::Int(c as i64)).collect());
        assert_eq!(chars_of(&Term::list(vec![chars, Term::str("c")])).as_deref(), Some("abc"));
        assert!(parse(&Term::Int(1)).is_none());
    }
}
