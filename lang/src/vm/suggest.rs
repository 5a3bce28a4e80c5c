//! What to say when a function is undefined: the arities that do exist
//! under that name (`two/1 is undefined; two/2 exists`) or the close names
//! (`did you mean Process.monitor/1?`). Computed when the error is raised,
//! from what the caller could have reached: its module's functions, the
//! session's, the built-ins.

use super::builtins::{self, Arity};
use crate::bytecode::Proto;

/// A hint for an undefined `name/argc` called without a module.
pub fn local_hint(caller: &'static Proto, name: &str, argc: u16) -> Option<String> {
    let mut known: Vec<(String, u16)> = Vec::new();
    let module = caller.module();
    for p in &module.protos {
        // A module's functions (`M.f`) are not names a bare call reaches.
        if is_named(&p.name) && !p.name.contains('.') {
            known.push((p.name.to_string(), p.arity));
        }
    }
    if let Some(ns) = module.namespace {
        known.extend(ns.names());
    }
    for b in builtins::installed().entries() {
        if b.module.is_empty() && !b.name.starts_with("__") {
            known.extend(arities(b.arity, argc).map(|a| (b.name.to_string(), a)));
        }
    }
    hint(&known, name, argc, "")
}

/// A hint for an undefined `module.name/argc`.
pub fn remote_hint(module: &str, name: &str, argc: u16) -> Option<String> {
    let table = builtins::installed();
    let user = snow_runtime::Atom::existing(module).filter(|m| super::modules::exists(*m));
    if let Some(m) = user {
        let known = super::modules::functions(m);
        let listed: Vec<String> = known.iter().filter(|(n, _)| !n.starts_with("__")).map(|(n, a)| format!("{n}/{a}")).collect();
        return hint(&known, name, argc, &format!("{module}."))
            .or_else(|| Some(format!("{module} defines {}", listed.join(", "))));
    }
    let in_module: Vec<(String, u16)> = table
        .entries()
        .filter(|b| b.module == module && !b.name.starts_with("__"))
        .flat_map(|b| arities(b.arity, argc).map(|a| (b.name.to_string(), a)))
        .collect();
    if in_module.is_empty() {
        let defined = super::modules::names();
        let mut modules: Vec<&str> = table.entries().map(|b| b.module).filter(|m| !m.is_empty()).collect();
        modules.extend(defined.iter().map(String::as_str));
        modules.sort_unstable();
        modules.dedup();
        let close: Vec<&str> = modules.iter().copied().filter(|m| close_to(m, module)).collect();
        return Some(match close.first() {
            Some(m) => format!("there is no module {module}; did you mean {m}?"),
            None => format!("there is no module {module}; the modules are {}", modules.join(", ")),
        });
    }
    hint(&in_module, name, argc, &format!("{module}."))
}

fn hint(known: &[(String, u16)], name: &str, argc: u16, prefix: &str) -> Option<String> {
    let mut same: Vec<u16> = known.iter().filter(|(n, _)| n == name).map(|(_, a)| *a).collect();
    same.sort_unstable();
    same.dedup();
    if !same.is_empty() {
        let list: Vec<String> = same.iter().map(|a| format!("{prefix}{name}/{a}")).collect();
        let verb = if list.len() == 1 { "exists" } else { "exist" };
        return Some(format!("{} {verb}", list.join(", ")));
    }
    let mut close: Vec<(usize, String)> = known
        .iter()
        .filter(|(n, _)| close_to(n, name))
        .map(|(n, a)| (usize::from(*a != argc), format!("{prefix}{n}/{a}")))
        .collect();
    close.sort();
    close.dedup();
    let names: Vec<String> = close.into_iter().take(3).map(|(_, s)| s).collect();
    match names.len() {
        0 => None,
        1 => Some(format!("did you mean {}?", names[0])),
        _ => Some(format!("did you mean one of {}?", names.join(", "))),
    }
}

/// The arities a built-in answers to, near the one that was called (a
/// variadic one accepts `argc` itself when it can).
fn arities(arity: Arity, argc: u16) -> impl Iterator<Item = u16> {
    let a = match arity {
        Arity::Exact(a) => a,
        Arity::AtLeast(min) => argc.max(min),
    };
    std::iter::once(a)
}

/// Named functions, not lambdas (`fn`) nor generated ones (`<...>`).
fn is_named(name: &str) -> bool {
    !name.is_empty() && name != "fn" && !name.starts_with('<') && !name.starts_with("fn ")
}

/// Close enough to be a typo: a small edit distance for the length, or the
/// same name in other case.
pub fn close_to(candidate: &str, wanted: &str) -> bool {
    if candidate == wanted {
        return false;
    }
    if candidate.eq_ignore_ascii_case(wanted) {
        return true;
    }
    let limit = match wanted.chars().count() {
        0..=2 => 0,
        3 => 1,
        4..=7 => 2,
        _ => 3,
    };
    distance(candidate, wanted) <= limit
}

/// Levenshtein distance, with a transposition counted once.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_arities_first_then_close_names() {
        let known = vec![("two".to_string(), 2), ("twice".to_string(), 1), ("println".to_string(), 1)];
        assert_eq!(hint(&known, "two", 1, "").as_deref(), Some("two/2 exists"));
        assert_eq!(hint(&known, "pirntln", 1, "").as_deref(), Some("did you mean println/1?"));
        assert_eq!(hint(&known, "zzz", 1, ""), None);
        assert_eq!(distance("monitr", "monitor"), 1);
        assert_eq!(distance("ab", "ba"), 1);
    }
}
