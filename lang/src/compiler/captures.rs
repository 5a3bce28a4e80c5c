//! Which names a lambda mentions, so that the closure can capture exactly the
//! enclosing variables it may read (an over-approximation is harmless: a
//! captured name the lambda rebinds is simply shadowed).

use crate::ast::*;
use rustc_hash::FxHashSet;

pub fn names_in_clauses(clauses: &[Clause]) -> FxHashSet<String> {
    let mut out = FxHashSet::default();
    for c in clauses {
        for p in &c.patterns {
            pattern(p, &mut out);
        }
        if let Some(g) = &c.guard {
            expr(g, &mut out);
        }
        exprs(&c.body, &mut out);
    }
    out
}

fn exprs(es: &[Expr], out: &mut FxHashSet<String>) {
    for e in es {
        expr(e, out);
    }
}

fn expr(e: &Expr, out: &mut FxHashSet<String>) {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Atom(_) | ExprKind::FnRef { .. } => {}
        ExprKind::Str(parts) => {
            for p in parts {
                if let StrPart::Interp(x) = p {
                    expr(x, out);
                }
            }
        }
        ExprKind::Var(n) => {
            out.insert(n.clone());
        }
        ExprKind::Tuple(xs) | ExprKind::Block(xs) => exprs(xs, out),
        ExprKind::List(xs, tail) => {
            exprs(xs, out);
            if let Some(t) = tail {
                expr(t, out);
            }
        }
        ExprKind::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            expr(k, out);
            expr(v, out);
        }),
        ExprKind::MapUpdate(m, pairs) => {
            expr(m, out);
            pairs.iter().for_each(|(k, v)| {
                expr(k, out);
                expr(v, out);
            });
        }
        ExprKind::Unary(_, x) => expr(x, out),
        ExprKind::Binary(_, a, b) => {
            expr(a, out);
            expr(b, out);
        }
        ExprKind::Call(callee, args) => {
            match callee {
                Callee::Name(n) => {
                    out.insert(n.clone());
                }
                Callee::Remote { .. } => {}
                Callee::Expr(f) | Callee::Dynamic { module: f, .. } => expr(f, out),
            }
            exprs(args, out);
        }
        ExprKind::Lambda(clauses) => out.extend(names_in_clauses(clauses)),
        ExprKind::Let(p, v) => {
            pattern(p, out);
            expr(v, out);
        }
        ExprKind::If { cond, then, otherwise } => {
            expr(cond, out);
            exprs(then, out);
            if let Some(o) = otherwise {
                exprs(o, out);
            }
        }
        ExprKind::Case { subject, clauses } => {
            expr(subject, out);
            out.extend(names_in_clauses(clauses));
        }
        ExprKind::Cond(arms) => arms.iter().for_each(|(t, b)| {
            expr(t, out);
            exprs(b, out);
        }),
        ExprKind::Receive { clauses, after } => {
            out.extend(names_in_clauses(clauses));
            if let Some((t, b)) = after {
                expr(t, out);
                exprs(b, out);
            }
        }
        ExprKind::For { pattern: p, source, body } => {
            pattern(p, out);
            expr(source, out);
            exprs(body, out);
        }
    }
}

/// Patterns read variables only through pins.
fn pattern(p: &Pattern, out: &mut FxHashSet<String>) {
    match &p.kind {
        PatternKind::Pin(n) => {
            out.insert(n.clone());
        }
        PatternKind::Tuple(ps) => ps.iter().for_each(|x| pattern(x, out)),
        PatternKind::List(ps, tail) => {
            ps.iter().for_each(|x| pattern(x, out));
            if let Some(t) = tail {
                pattern(t, out);
            }
        }
        PatternKind::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            pattern(k, out);
            pattern(v, out);
        }),
        PatternKind::Alias(x, _) => pattern(x, out),
        _ => {}
    }
}
