//! Tab completion: `Module.fun` names (`Process.mon` → `Process.monitor(`),
//! module names (`Pro` → `Process.`), keywords, and the names bound or
//! defined at the prompt, modules defined there included (`Counter.get`).
//! Pure: the helper hands it the names.

/// Keywords offered when completing a lowercase word.
pub const KEYWORDS: &[&str] = &[
    "do", "end", "fn", "actor", "let", "if", "else", "case", "cond", "receive", "after", "for", "in", "when", "and",
    "or", "not", "true", "false", "nil",
];

/// One completion: what the list shows and what replaces the word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub display: String,
    pub replacement: String,
}

/// The names the prompt has defined so far (refreshed after each entry).
#[derive(Debug, Default, Clone)]
pub struct PromptNames {
    pub bindings: Vec<String>,
    pub functions: Vec<String>,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '?' | '!' | '.')
}

/// The start of the word that ends at `pos`, and the word; `None` where
/// nothing should be completed (inside an atom, a number, an empty word).
pub fn word_at(line: &str, pos: usize) -> Option<(usize, &str)> {
    let before = line.get(..pos)?;
    let start = before.char_indices().rev().take_while(|&(_, c)| is_word_char(c)).last().map_or(pos, |(i, _)| i);
    let word = &before[start..];
    let first = word.chars().next()?;
    if first.is_ascii_digit() || first == '.' || before[..start].ends_with(':') {
        return None;
    }
    Some((start, word))
}

/// The completions of `word`. `builtins` yields `(module, name)` pairs,
/// module `""` for unqualified built-ins.
pub fn candidates<'a>(
    word: &str,
    builtins: impl Iterator<Item = (&'a str, &'a str)>,
    names: &PromptNames,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut push = |display: &str, replacement: String| {
        if !out.iter().any(|c| c.replacement == replacement) {
            out.push(Candidate { display: display.to_string(), replacement });
        }
    };
    let hidden = |name: &str, prefix: &str| name.starts_with('_') && !prefix.starts_with('_');
    // A module's functions defined at the prompt are named `Module.fun`.
    let defined: Vec<(&str, &str)> = names.functions.iter().filter_map(|f| f.split_once('.')).collect();
    let plain = names.functions.iter().filter(|f| !f.contains('.'));
    // Not the identity: it shortens the built-ins' `'static` to the
    // lifetime of the names defined at the prompt.
    #[allow(clippy::map_identity)]
    let all: Vec<(&str, &str)> = builtins.map(|(m, n)| (m, n)).chain(defined).collect();
    let builtins = all.iter().copied();
    if let Some((module, prefix)) = word.rsplit_once('.') {
        if !module.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Vec::new();
        }
        for (m, n) in builtins {
            if m == module && n.starts_with(prefix) && !hidden(n, prefix) {
                push(n, format!("{m}.{n}("));
            }
        }
    } else if word.starts_with(|c: char| c.is_ascii_uppercase()) {
        for (m, _) in builtins {
            if !m.is_empty() && m.starts_with(word) {
                push(m, format!("{m}."));
            }
        }
    } else {
        for b in &names.bindings {
            if b.starts_with(word) && !hidden(b, word) {
                push(b, b.clone());
            }
        }
        for f in plain {
            if f.starts_with(word) && !hidden(f, word) {
                push(f, format!("{f}("));
            }
        }
        for (m, n) in builtins {
            if m.is_empty() && n.starts_with(word) && !hidden(n, word) {
                push(n, format!("{n}("));
            }
        }
        for k in KEYWORDS {
            if k.starts_with(word) {
                push(k, (*k).to_string());
            }
        }
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out
}

/// An atom being typed at `pos` (`:b`, `:"b@12`): where it starts (at the
/// colon) and its text so far.
pub fn atom_at(line: &str, pos: usize) -> Option<(usize, &str)> {
    let before = line.get(..pos)?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphanumeric() || matches!(c, '_' | '@' | '.' | '-'))
        .last()
        .map_or(pos, |(i, _)| i);
    let text = &before[start..];
    let head = &before[..start];
    if let Some(colon) = head.strip_suffix(":\"") {
        return Some((colon.len(), text));
    }
    let colon = head.strip_suffix(':')?;
    // `a :: Int` annotations and `::` are not atoms.
    (!colon.ends_with(':')).then_some((colon.len(), text))
}

/// Node names (as atoms, `:"b@127.0.0.1"`) that start with `prefix`.
pub fn node_candidates(prefix: &str, nodes: &[String]) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = nodes
        .iter()
        .filter(|n| n.starts_with(prefix))
        .map(|n| Candidate { display: n.clone(), replacement: format!(":\"{n}\"") })
        .collect();
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[(&str, &str)] = &[
        ("Process", "monitor"),
        ("Process", "demonitor"),
        ("Process", "send_after"),
        ("Process", "send"),
        ("Node", "self"),
        ("", "println"),
        ("", "self"),
        ("", "spawn"),
        ("", "spawn"),
    ];

    fn complete(line: &str, names: &PromptNames) -> Vec<String> {
        let Some((_, word)) = word_at(line, line.len()) else { return Vec::new() };
        candidates(word, TABLE.iter().copied(), names).into_iter().map(|c| c.replacement).collect()
    }

    #[test]
    fn modules_defined_at_the_prompt() {
        let n = PromptNames { bindings: vec![], functions: vec!["Counter.get".into(), "Counter.__callbacks".into(), "spin".into()] };
        assert_eq!(complete("Counter.g", &n), ["Counter.get("]);
        assert_eq!(complete("Counter.", &n), ["Counter.get("]);
        assert_eq!(complete("Coun", &n), ["Counter."]);
        assert_eq!(complete("sp", &n), ["spawn(", "spin("]);
    }

    #[test]
    fn module_functions() {
        let n = PromptNames::default();
        assert_eq!(complete("Process.mon", &n), ["Process.monitor("]);
        assert_eq!(complete("x = Process.sen", &n), ["Process.send(", "Process.send_after("]);
        assert_eq!(complete("Pro", &n), ["Process."]);
        assert_eq!(complete("Nope.x", &n), Vec::<String>::new());
    }

    #[test]
    fn prompt_names_and_keywords() {
        let n = PromptNames { bindings: vec!["sum".into()], functions: vec!["spin".into()] };
        assert_eq!(complete("s", &n), ["self(", "spawn(", "spin(", "sum"]);
        assert_eq!(complete("rec", &n), ["receive"]);
    }

    #[test]
    fn node_names_after_a_colon() {
        let nodes = vec!["b@127.0.0.1".to_string(), "c@127.0.0.1".to_string()];
        let complete = |line: &str| {
            let (start, prefix) = atom_at(line, line.len()).expect("an atom");
            (start, node_candidates(prefix, &nodes).into_iter().map(|c| c.replacement).collect::<Vec<_>>())
        };
        assert_eq!(complete("Node.ping(:b"), (10, vec![":\"b@127.0.0.1\"".to_string()]));
        assert_eq!(complete("Node.ping(:\"c@1"), (10, vec![":\"c@127.0.0.1\"".to_string()]));
        assert_eq!(complete(":").1.len(), 2);
        assert!(atom_at("x :: In", 7).is_none());
        assert!(atom_at("abc", 3).is_none());
    }

    #[test]
    fn nothing_in_atoms_or_numbers() {
        let n = PromptNames::default();
        assert!(complete(":sel", &n).is_empty());
        assert!(complete("1.5", &n).is_empty());
        assert!(complete("", &n).is_empty());
    }
}
