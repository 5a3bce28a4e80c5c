//! `List`, `Enum`, `Map` and `String`: the native half (the half that takes
//! functions as arguments is written in Snow, in the prelude, `prelude/*.snow`).

use crate::args::{self, R};
use snow_lang::vm::{Arity, BuiltinTable, Exception, NativeCx};
use snow_runtime::inspect::display;
use snow_runtime::{MapObj, Term};

pub fn register(t: &mut BuiltinTable) {
    use Arity::*;
    for m in ["List", "Enum"] {
        t.native(m, "reverse", Exact(1), reverse);
        t.native(m, "sort", Exact(1), sort);
        t.native(m, "member?", Exact(2), member);
        t.native(m, "at", Exact(2), at);
        t.native(m, "first", Exact(1), |_, a| Ok(args::list(&a[0])?.first().cloned().unwrap_or(Term::NIL_ATOM)));
        t.native(m, "last", Exact(1), |_, a| Ok(args::list(&a[0])?.last().cloned().unwrap_or(Term::NIL_ATOM)));
        t.native(m, "sum", Exact(1), sum);
        t.native(m, "max", Exact(1), |_, a| extreme(a, true));
        t.native(m, "min", Exact(1), |_, a| extreme(a, false));
        t.native(m, "zip", Exact(2), zip);
        t.native(m, "take", Exact(2), take);
        t.native(m, "drop", Exact(2), drop);
        t.native(m, "join", Exact(2), join);
        t.native(m, "join", Exact(1), |c, a| join(c, &[a[0].clone(), Term::str("")]));
        t.native(m, "uniq", Exact(1), uniq);
    }
    t.native("List", "length", Exact(1), |_, a| Ok(Term::Int(args::list(&a[0])?.len() as i64)));
    t.native("Enum", "count", Exact(1), |_, a| Ok(Term::Int(args::list(&a[0])?.len() as i64)));
    t.native("List", "range", Exact(2), range);
    t.native("Enum", "range", Exact(2), range);
    t.native("List", "flatten", Exact(1), flatten);
    t.native("List", "duplicate", Exact(2), duplicate);
    t.native("List", "delete", Exact(2), delete);
    t.native("List", "append", Exact(2), |_, a| {
        let mut l = args::list(&a[0])?;
        l.push(a[1].clone());
        Ok(Term::list(l))
    });
    map_natives(t);
    string_natives(t);
}

fn reverse(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let mut acc = Term::Nil;
    let mut cur = &a[0];
    loop {
        match cur {
            Term::Cons(c) => {
                acc = Term::cons(c.head.clone(), acc);
                cur = &c.tail;
            }
            Term::Nil => return Ok(acc),
            _ => return Err(Exception::badarg()),
        }
    }
}

fn sort(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let mut l = args::list(&a[0])?;
    l.sort_by(|x, y| x.loose_cmp(y));
    Ok(Term::list(l))
}

fn member(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    Ok(Term::bool(args::list(&a[0])?.iter().any(|x| x.strict_eq(&a[1]))))
}

fn at(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let l = args::list(&a[0])?;
    let i = args::int(&a[1])?;
    let idx = if i < 0 { l.len() as i64 + i } else { i };
    Ok(usize::try_from(idx).ok().and_then(|i| l.get(i).cloned()).unwrap_or(Term::NIL_ATOM))
}

fn sum(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let mut acc = Term::Int(0);
    for x in a[0].list_iter() {
        acc = match (&acc, x) {
            (Term::Int(p), Term::Int(q)) => Term::Int(p.checked_add(*q).ok_or_else(Exception::badarith)?),
            (Term::Int(p), Term::Float(q)) => Term::Float(*p as f64 + q),
            (Term::Float(p), Term::Int(q)) => Term::Float(p + *q as f64),
            (Term::Float(p), Term::Float(q)) => Term::Float(p + q),
            _ => return Err(Exception::badarith()),
        };
    }
    if !matches!(list_end(&a[0]), Term::Nil) {
        return Err(Exception::badarg());
    }
    Ok(acc)
}

fn list_end(t: &Term) -> &Term {
    let mut cur = t;
    while let Term::Cons(c) = cur {
        cur = &c.tail;
    }
    cur
}

fn extreme(a: &[Term], max: bool) -> R {
    let l = args::list(&a[0])?;
    let pick = if max {
        l.into_iter().reduce(|x, y| if y.loose_cmp(&x).is_gt() { y } else { x })
    } else {
        l.into_iter().reduce(|x, y| if y.loose_cmp(&x).is_lt() { y } else { x })
    };
    pick.ok_or_else(Exception::badarg)
}

fn zip(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let (x, y) = (args::list(&a[0])?, args::list(&a[1])?);
    Ok(Term::list(x.into_iter().zip(y).map(|(p, q)| Term::tuple(vec![p, q])).collect()))
}

fn take(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let l = args::list(&a[0])?;
    let n = args::non_neg(&a[1])? as usize;
    Ok(Term::list(l.into_iter().take(n).collect()))
}

fn drop(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let l = args::list(&a[0])?;
    let n = args::non_neg(&a[1])? as usize;
    Ok(Term::list(l.into_iter().skip(n).collect()))
}

fn join(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let l = args::list(&a[0])?;
    let sep = args::string(&a[1])?;
    let parts: Vec<String> = l.iter().map(display).collect();
    Ok(Term::str(&parts.join(sep)))
}

fn uniq(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let mut out: Vec<Term> = Vec::new();
    for x in args::list(&a[0])? {
        if !out.iter().any(|y| y.strict_eq(&x)) {
            out.push(x);
        }
    }
    Ok(Term::list(out))
}

/// `List.range(1, 3)` is `[1, 2, 3]`; a descending range counts down.
fn range(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let (from, to) = (args::int(&a[0])?, args::int(&a[1])?);
    const LIMIT: u64 = 100_000_000;
    if from.abs_diff(to) >= LIMIT {
        return Err(Exception::error(snow_runtime::Term::Atom(snow_runtime::Atom::SYSTEM_LIMIT)));
    }
    let mut acc = Term::Nil;
    if from <= to {
        for i in (from..=to).rev() {
            acc = Term::cons(Term::Int(i), acc);
        }
    } else {
        for i in to..=from {
            acc = Term::cons(Term::Int(i), acc);
        }
    }
    Ok(acc)
}

/// `List.flatten`: a loop over a stack of the lists still open, so a list
/// nested millions deep flattens as well as a flat one.
fn flatten(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let mut out = Vec::new();
    let mut open: Vec<&Term> = vec![&a[0]];
    while let Some(cur) = open.pop() {
        match cur {
            Term::Nil => {}
            Term::Cons(c) => {
                open.push(&c.tail);
                match &c.head {
                    Term::Nil | Term::Cons(_) => open.push(&c.head),
                    x => out.push(x.clone()),
                }
            }
            // A proper list, as Erlang's lists:flatten: anything else is badarg.
            _ => return Err(Exception::badarg()),
        }
    }
    Ok(Term::list(out))
}

/// `Integer.parse("12abc")` is `(12, "abc")`, as Elixir's: the integer at
/// the start and the rest; `:error` when the text does not start with one.
fn parse_integer(text: &str) -> Term {
    let sign = usize::from(text.starts_with(['+', '-']));
    let digits = text[sign..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Term::atom("error");
    }
    match text[..sign + digits].parse::<i64>() {
        Ok(n) => Term::tuple(vec![Term::Int(n), Term::str(&text[sign + digits..])]),
        Err(_) => Term::atom("error"),
    }
}

fn duplicate(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let n = args::non_neg(&a[1])?;
    if n > 100_000_000 {
        return Err(Exception::badarg());
    }
    Ok(Term::list(vec![a[0].clone(); n as usize]))
}

fn delete(_: &mut NativeCx<'_, '_>, a: &[Term]) -> R {
    let mut l = args::list(&a[0])?;
    if let Some(i) = l.iter().position(|x| x.strict_eq(&a[1])) {
        l.remove(i);
    }
    Ok(Term::list(l))
}

fn map_arg(t: &Term) -> Result<&MapObj, Exception> {
    match t {
        Term::Map(m) => Ok(m),
        _ => Err(Exception::badarg()),
    }
}

fn map_natives(t: &mut BuiltinTable) {
    use Arity::Exact;
    t.native("Map", "new", Exact(0), |_, _| Ok(Term::map(MapObj::new())));
    t.native("Map", "get", Exact(2), |_, a| Ok(map_arg(&a[0])?.get(&a[1]).cloned().unwrap_or(Term::NIL_ATOM)));
    t.native("Map", "get", Exact(3), |_, a| Ok(map_arg(&a[0])?.get(&a[1]).cloned().unwrap_or_else(|| a[2].clone())));
    t.native("Map", "fetch", Exact(2), |_, a| {
        Ok(match map_arg(&a[0])?.get(&a[1]) {
            Some(v) => Term::tuple(vec![Term::OK, v.clone()]),
            None => Term::atom("error"),
        })
    });
    t.native("Map", "put", Exact(3), |_, a| {
        let mut m = map_arg(&a[0])?.clone();
        m.insert(a[1].clone(), a[2].clone());
        Ok(Term::map(m))
    });
    t.native("Map", "delete", Exact(2), |_, a| {
        let mut m = map_arg(&a[0])?.clone();
        m.remove(&a[1]);
        Ok(Term::map(m))
    });
    t.native("Map", "has_key?", Exact(2), |_, a| Ok(Term::bool(map_arg(&a[0])?.get(&a[1]).is_some())));
    t.native("Map", "keys", Exact(1), |_, a| Ok(Term::list(map_arg(&a[0])?.iter().map(|(k, _)| k.clone()).collect())));
    t.native("Map", "values", Exact(1), |_, a| Ok(Term::list(map_arg(&a[0])?.iter().map(|(_, v)| v.clone()).collect())));
    t.native("Map", "size", Exact(1), |_, a| Ok(Term::Int(map_arg(&a[0])?.len() as i64)));
    t.native("Map", "to_list", Exact(1), |_, a| {
        Ok(Term::list(map_arg(&a[0])?.iter().map(|(k, v)| Term::tuple(vec![k.clone(), v.clone()])).collect()))
    });
    t.native("Map", "merge", Exact(2), |_, a| {
        let mut m = map_arg(&a[0])?.clone();
        for (k, v) in map_arg(&a[1])?.iter() {
            m.insert(k.clone(), v.clone());
        }
        Ok(Term::map(m))
    });
    t.native("Map", "from_list", Exact(1), |_, a| {
        let mut pairs = Vec::new();
        for pair in args::list(&a[0])? {
            match &pair {
                Term::Tuple(t) if t.len() == 2 => pairs.push((t[0].clone(), t[1].clone())),
                _ => return Err(Exception::badarg()),
            }
        }
        Ok(Term::map(MapObj::from_pairs(pairs)))
    });
}

fn string_natives(t: &mut BuiltinTable) {
    use Arity::Exact;
    t.native("String", "length", Exact(1), |_, a| Ok(Term::Int(args::string(&a[0])?.chars().count() as i64)));
    t.native("String", "upcase", Exact(1), |_, a| Ok(Term::str(&args::string(&a[0])?.to_uppercase())));
    t.native("String", "downcase", Exact(1), |_, a| Ok(Term::str(&args::string(&a[0])?.to_lowercase())));
    t.native("String", "trim", Exact(1), |_, a| Ok(Term::str(args::string(&a[0])?.trim())));
    t.native("String", "reverse", Exact(1), |_, a| Ok(Term::str(&args::string(&a[0])?.chars().rev().collect::<String>())));
    t.native("String", "split", Exact(1), |_, a| {
        Ok(Term::list(args::string(&a[0])?.split_whitespace().map(Term::str).collect()))
    });
    t.native("String", "split", Exact(2), |_, a| {
        let (s, sep) = (args::string(&a[0])?, args::string(&a[1])?);
        if sep.is_empty() {
            return Ok(Term::list(s.chars().map(|c| Term::str(&c.to_string())).collect()));
        }
        Ok(Term::list(s.split(&**sep).map(Term::str).collect()))
    });
    t.native("String", "contains?", Exact(2), |_, a| {
        Ok(Term::bool(args::string(&a[0])?.contains(&**args::string(&a[1])?)))
    });
    t.native("String", "starts_with?", Exact(2), |_, a| {
        Ok(Term::bool(args::string(&a[0])?.starts_with(&**args::string(&a[1])?)))
    });
    t.native("String", "ends_with?", Exact(2), |_, a| {
        Ok(Term::bool(args::string(&a[0])?.ends_with(&**args::string(&a[1])?)))
    });
    t.native("String", "replace", Exact(3), |_, a| {
        let (s, from, to) = (args::string(&a[0])?, args::string(&a[1])?, args::string(&a[2])?);
        if from.is_empty() {
            return Err(Exception::badarg());
        }
        Ok(Term::str(&s.replace(&**from, to)))
    });
    t.native("String", "to_integer", Exact(1), |_, a| {
        args::string(&a[0])?.trim().parse::<i64>().map(Term::Int).map_err(|_| Exception::badarg())
    });
    t.native("String", "to_float", Exact(1), |_, a| {
        // Digits only: Rust's parser also takes "nan" and "inf", Erlang's does not.
        let text = args::string(&a[0])?.trim();
        let numeric = text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
        match text.parse::<f64>() {
            Ok(f) if numeric && f.is_finite() => Ok(Term::Float(f)),
            _ => Err(Exception::badarg()),
        }
    });
    t.native("String", "to_atom", Exact(1), |_, a| Ok(Term::atom(args::string(&a[0])?)));
    t.native("String", "slice", Exact(3), |_, a| {
        let s = args::string(&a[0])?;
        let (from, len) = (args::non_neg(&a[1])? as usize, args::non_neg(&a[2])? as usize);
        Ok(Term::str(&s.chars().skip(from).take(len).collect::<String>()))
    });
    t.native("String", "duplicate", Exact(2), |_, a| {
        let s = args::string(&a[0])?;
        let n = args::non_neg(&a[1])? as usize;
        if s.len().saturating_mul(n) > 1 << 30 {
            return Err(Exception::badarg());
        }
        Ok(Term::str(&s.repeat(n)))
    });
    t.native("Integer", "to_string", Exact(1), |_, a| Ok(Term::str(&args::int(&a[0])?.to_string())));
    t.native("Integer", "parse", Exact(1), |_, a| Ok(parse_integer(args::string(&a[0])?)));
    t.native("Atom", "to_string", Exact(1), |_, a| Ok(Term::str(args::atom(&a[0])?.as_str())));
}
