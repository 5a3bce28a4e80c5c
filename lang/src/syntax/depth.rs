//! Bounds the depth of the finished tree. Brackets are bounded before parsing
//! (see layout); operator chains (`1 + 1 + ...`) and prefix runs (`- - x`)
//! nest without brackets, so they are measured here. A too-deep item is
//! reported and torn down with an explicit stack, since even dropping it
//! recursively could overflow.

use super::report::Report;
use crate::ast::{Callee, Clause, Expr, ExprKind, Item, Pattern, PatternKind, Program, StrPart};
use crate::diagnostic::Diagnostic;

/// The deepest tree the compiler is handed, counting expression and pattern
/// nodes on one path.
pub const MAX_TREE_DEPTH: usize = 500;

enum Node<'a> {
    E(&'a Expr),
    P(&'a Pattern),
}

pub fn check(program: &mut Program, report: &mut Report) {
    let items = std::mem::take(&mut program.items);
    for item in items {
        match too_deep(&item) {
            None => program.items.push(item),
            Some(span) => {
                let hint = format!(
                    "expressions may nest at most {MAX_TREE_DEPTH} levels, long operator chains \
                     included; split it up with `let` bindings"
                );
                let label = "this expression nests too deeply";
                report.error(
                    Diagnostic::new("expression nested too deeply", span, label).with_hint(hint),
                );
                dismantle(item);
            }
        }
    }
}

/// The span of the first node found past the depth limit, if any.
fn too_deep(item: &Item) -> Option<crate::ast::Span> {
    let mut stack: Vec<(Node<'_>, usize)> = Vec::new();
    match item {
        Item::Fn(f) => push_fn(f, &mut stack),
        Item::Module(m) => m.functions.iter().for_each(|f| push_fn(f, &mut stack)),
        Item::Expr(e) => stack.push((Node::E(e), 1)),
        Item::Import { .. } => {}
    }
    while let Some((node, depth)) = stack.pop() {
        let d = depth + 1;
        let span = match &node {
            Node::E(e) => &e.span,
            Node::P(p) => &p.span,
        };
        if depth > MAX_TREE_DEPTH {
            return Some(span.clone());
        }
        match node {
            Node::P(p) => match &p.kind {
                PatternKind::Tuple(v) => stack.extend(v.iter().map(|p| (Node::P(p), d))),
                PatternKind::List(v, tail) => {
                    stack.extend(v.iter().chain(tail.as_deref()).map(|p| (Node::P(p), d)))
                }
                PatternKind::Map(pairs) => {
                    stack.extend(pairs.iter().flat_map(|(k, v)| [k, v]).map(|p| (Node::P(p), d)))
                }
                PatternKind::Alias(p, _) => stack.push((Node::P(p), d)),
                _ => {}
            },
            Node::E(e) => {
                let mut es: Vec<&Expr> = Vec::new();
                let mut ps: Vec<&Pattern> = Vec::new();
                expr_children(&e.kind, &mut es, &mut ps);
                stack.extend(es.into_iter().map(|e| (Node::E(e), d)));
                stack.extend(ps.into_iter().map(|p| (Node::P(p), d)));
            }
        }
    }
    None
}

fn clause_children<'a>(c: &'a Clause, es: &mut Vec<&'a Expr>, ps: &mut Vec<&'a Pattern>) {
    ps.extend(&c.patterns);
    es.extend(c.guard.iter().chain(&c.body));
}

fn expr_children<'a>(kind: &'a ExprKind, es: &mut Vec<&'a Expr>, ps: &mut Vec<&'a Pattern>) {
    match kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Atom(_)
        | ExprKind::Var(_)
        | ExprKind::FnRef { .. } => {}
        ExprKind::Str(parts) => es.extend(parts.iter().filter_map(|p| match p {
            StrPart::Interp(e) => Some(e),
            StrPart::Lit(_) => None,
        })),
        ExprKind::Tuple(v) | ExprKind::Block(v) => es.extend(v),
        ExprKind::List(v, tail) => es.extend(v.iter().chain(tail.as_deref())),
        ExprKind::Map(pairs) => es.extend(pairs.iter().flat_map(|(k, v)| [k, v])),
        ExprKind::MapUpdate(m, pairs) => {
            es.push(m);
            es.extend(pairs.iter().flat_map(|(k, v)| [k, v]));
        }
        ExprKind::Unary(_, e) => es.push(e),
        ExprKind::Binary(_, l, r) => es.extend([&**l, &**r]),
        ExprKind::Call(callee, args) => {
            match callee {
                Callee::Expr(e) | Callee::Dynamic { module: e, .. } => es.push(e),
                Callee::Name(_) | Callee::Remote { .. } => {}
            }
            es.extend(args);
        }
        ExprKind::Lambda(clauses) => clauses.iter().for_each(|c| clause_children(c, es, ps)),
        ExprKind::Let(p, v) => {
            ps.push(p);
            es.push(v);
        }
        ExprKind::If { cond, then, otherwise } => {
            es.push(cond);
            es.extend(then.iter().chain(otherwise.iter().flatten()));
        }
        ExprKind::Case { subject, clauses } => {
            es.push(subject);
            clauses.iter().for_each(|c| clause_children(c, es, ps));
        }
        ExprKind::Cond(pairs) => pairs.iter().for_each(|(t, body)| {
            es.push(t);
            es.extend(body);
        }),
        ExprKind::Receive { clauses, after } => {
            clauses.iter().for_each(|c| clause_children(c, es, ps));
            if let Some((ms, body)) = after {
                es.push(ms);
                es.extend(body);
            }
        }
        ExprKind::For { pattern, source, body } => {
            ps.push(pattern);
            es.push(source);
            es.extend(body);
        }
    }
}

fn push_fn<'a>(f: &'a crate::ast::FnClause, stack: &mut Vec<(Node<'a>, usize)>) {
    stack.extend(f.params.iter().map(|p| (Node::P(p), 1)));
    stack.extend(f.guard.iter().chain(&f.body).map(|e| (Node::E(e), 1)));
}

/// Drops a tree of any depth without recursion: every node's children are
/// moved onto a stack before the node itself is dropped.
fn dismantle(item: Item) {
    let mut es: Vec<Expr> = Vec::new();
    let mut ps: Vec<Pattern> = Vec::new();
    match item {
        Item::Fn(f) => {
            ps.extend(f.params);
            es.extend(f.guard.into_iter().chain(f.body));
        }
        Item::Module(m) => {
            for f in m.functions {
                ps.extend(f.params);
                es.extend(f.guard.into_iter().chain(f.body));
            }
        }
        Item::Expr(e) => es.push(e),
        Item::Import { .. } => {}
    }
    loop {
        if let Some(p) = ps.pop() {
            match p.kind {
                PatternKind::Tuple(v) => ps.extend(v),
                PatternKind::List(v, tail) => ps.extend(v.into_iter().chain(tail.map(|t| *t))),
                PatternKind::Map(pairs) => ps.extend(pairs.into_iter().flat_map(|(k, v)| [k, v])),
                PatternKind::Alias(p, _) => ps.push(*p),
                _ => {}
            }
        } else if let Some(e) = es.pop() {
            take_children(e.kind, &mut es, &mut ps);
        } else {
            break;
        }
    }
}

fn take_clause(c: Clause, es: &mut Vec<Expr>, ps: &mut Vec<Pattern>) {
    ps.extend(c.patterns);
    es.extend(c.guard.into_iter().chain(c.body));
}

fn take_children(kind: ExprKind, es: &mut Vec<Expr>, ps: &mut Vec<Pattern>) {
    match kind {
        ExprKind::Str(parts) => es.extend(parts.into_iter().filter_map(|p| match p {
            StrPart::Interp(e) => Some(e),
            StrPart::Lit(_) => None,
        })),
        ExprKind::Tuple(v) | ExprKind::Block(v) => es.extend(v),
        ExprKind::List(v, tail) => es.extend(v.into_iter().chain(tail.map(|t| *t))),
        ExprKind::Map(pairs) => es.extend(pairs.into_iter().flat_map(|(k, v)| [k, v])),
        ExprKind::MapUpdate(m, pairs) => {
            es.push(*m);
            es.extend(pairs.into_iter().flat_map(|(k, v)| [k, v]));
        }
        ExprKind::Unary(_, e) => es.push(*e),
        ExprKind::Binary(_, l, r) => es.extend([*l, *r]),
        ExprKind::Call(callee, args) => {
            match callee {
                Callee::Expr(e) | Callee::Dynamic { module: e, .. } => es.push(*e),
                Callee::Name(_) | Callee::Remote { .. } => {}
            }
            es.extend(args);
        }
        ExprKind::Lambda(clauses) => clauses.into_iter().for_each(|c| take_clause(c, es, ps)),
        ExprKind::Let(p, v) => {
            ps.push(*p);
            es.push(*v);
        }
        ExprKind::If { cond, then, otherwise } => {
            es.push(*cond);
            es.extend(then.into_iter().chain(otherwise.into_iter().flatten()));
        }
        ExprKind::Case { subject, clauses } => {
            es.push(*subject);
            clauses.into_iter().for_each(|c| take_clause(c, es, ps));
        }
        ExprKind::Cond(pairs) => pairs.into_iter().for_each(|(t, body)| {
            es.push(t);
            es.extend(body);
        }),
        ExprKind::Receive { clauses, after } => {
            clauses.into_iter().for_each(|c| take_clause(c, es, ps));
            if let Some((ms, body)) = after {
                es.push(*ms);
                es.extend(body);
            }
        }
        ExprKind::For { pattern, source, body } => {
            ps.push(*pattern);
            es.push(*source);
            es.extend(body);
        }
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Atom(_)
        | ExprKind::Var(_)
        | ExprKind::FnRef { .. } => {}
    }
}
