//! Freeing terms in a loop, whatever their depth.

use super::Term;
use std::sync::Arc;

/// Freeing never recurses with a term's depth: when the last reference to
/// a container goes, the containers inside it are moved out onto a
/// worklist and freed one by one, so a term nested millions deep (or a
/// list millions long) frees in a loop, as on the BEAM. A container whose
/// children are all scalars, or that is still shared, costs one check.
impl Drop for Term {
    fn drop(&mut self) {
        if has_deep_children(self) {
            free_deep(std::mem::replace(self, Term::Nil));
        }
    }
}

fn is_container(t: &Term) -> bool {
    matches!(t, Term::Cons(_) | Term::Tuple(_) | Term::Map(_) | Term::Fun(_))
}

/// Whether dropping `t` would drop the last reference to a container that
/// holds containers.
fn has_deep_children(t: &Term) -> bool {
    match t {
        Term::Cons(c) => Arc::strong_count(c) == 1 && (is_container(&c.head) || is_container(&c.tail)),
        Term::Tuple(items) => Arc::strong_count(items) == 1 && items.iter().any(is_container),
        Term::Map(m) => Arc::strong_count(m) == 1 && m.entries.iter().any(|(k, v)| is_container(k) || is_container(v)),
        Term::Fun(f) => Arc::strong_count(f) == 1 && f.env.iter().any(is_container),
        _ => false,
    }
}

#[cold]
fn free_deep(first: Term) {
    let mut work = vec![first];
    while let Some(mut t) = work.pop() {
        // Take the children of a container we own alone; the emptied
        // container is then freed with nothing deep left in it.
        let mut take = |child: &mut Term| {
            if is_container(child) {
                work.push(std::mem::replace(child, Term::Nil));
            }
        };
        match &mut t {
            Term::Cons(c) => {
                if let Some(cell) = Arc::get_mut(c) {
                    take(&mut cell.head);
                    take(&mut cell.tail);
                }
            }
            Term::Tuple(items) => {
                if let Some(items) = Arc::get_mut(items) {
                    items.iter_mut().for_each(&mut take);
                }
            }
            Term::Map(m) => {
                if let Some(m) = Arc::get_mut(m) {
                    for (k, v) in m.entries.iter_mut() {
                        take(k);
                        take(v);
                    }
                }
            }
            Term::Fun(f) => {
                if let Some(f) = Arc::get_mut(f) {
                    f.env.iter_mut().for_each(&mut take);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::on_small_stack;

    #[test]
    fn dropping_a_long_list_does_not_overflow() {
        on_small_stack(|| {
            let mut l = Term::Nil;
            for i in 0..2_000_000 {
                l = Term::cons(Term::Int(i), l);
            }
            drop(l);
        });
    }

    #[test]
    fn dropping_deep_tuples_maps_and_lists_does_not_overflow() {
        on_small_stack(|| {
            let mut t = Term::Int(0);
            for i in 0..1_000_000 {
                t = match i % 3 {
                    0 => Term::tuple(vec![t, Term::Int(i)]),
                    1 => Term::map([(Term::atom("k"), t)].into_iter().collect()),
                    _ => Term::list(vec![t]),
                };
            }
            let shared = t.clone();
            drop(t);
            drop(shared);
        });
    }
}
