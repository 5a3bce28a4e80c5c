//! The documentation of every built-in function, read from the user's
//! reference in `docs/library/*.md` (embedded at build time): one text for
//! the reader of the docs and for `h(Process.monitor)` at the prompt. A
//! test checks that every built-in has an entry and every entry a built-in.
//!
//! A library page is `# Module`, a paragraph about the module, then one
//! entry per function: one or more `## Module.name(params)` headings (the
//! functions the entry documents; `args...` at the end covers every higher
//! arity), paragraphs, and an example in a ```` ```snow ```` block.
//! `# Kernel` holds the functions called without a module (`spawn`).

use snow_lang::vm::Arity;
use std::sync::OnceLock;

/// The pages, in the order `h()` lists modules.
const PAGES: &[&str] = &[
    include_str!("../../docs/library/kernel.md"),
    include_str!("../../docs/library/process.md"),
    include_str!("../../docs/library/node.md"),
    include_str!("../../docs/library/net.md"),
    include_str!("../../docs/library/trace.md"),
    include_str!("../../docs/library/service.md"),
    include_str!("../../docs/library/supervisor.md"),
    include_str!("../../docs/library/job.md"),
    include_str!("../../docs/library/list.md"),
    include_str!("../../docs/library/enum.md"),
    include_str!("../../docs/library/map.md"),
    include_str!("../../docs/library/string.md"),
    include_str!("../../docs/library/integer.md"),
    include_str!("../../docs/library/atom.md"),
    include_str!("../../docs/library/system.md"),
    include_str!("../../docs/library/io.md"),
    include_str!("../../docs/library/timer.md"),
];

/// What a `##` heading names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// `""` for `Kernel` functions.
    pub module: String,
    pub name: String,
    pub arity: Arity,
    /// The heading as written: `Process.monitor(target)`.
    pub text: String,
}

impl Signature {
    /// Whether this heading documents the built-in `module.name/arity`.
    pub fn covers(&self, module: &str, name: &str, arity: Arity) -> bool {
        if self.module != module || self.name != name {
            return false;
        }
        match (self.arity, arity) {
            (Arity::Exact(a), Arity::Exact(b)) => a == b,
            (Arity::AtLeast(a), Arity::Exact(b) | Arity::AtLeast(b)) => b >= a,
            (Arity::Exact(_), Arity::AtLeast(_)) => false,
        }
    }
}

#[derive(Debug)]
pub struct Entry {
    pub signatures: Vec<Signature>,
    /// The paragraphs, as written (Markdown).
    pub text: String,
    pub example: Option<String>,
}

#[derive(Debug)]
pub struct ModuleDoc {
    /// As the page's title says: `Process`, `Kernel`.
    pub title: String,
    /// `""` for `Kernel`.
    pub module: String,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Docs {
    pub modules: Vec<ModuleDoc>,
    pub entries: Vec<Entry>,
}

/// The parsed pages (parsed once, on first use).
pub fn docs() -> &'static Docs {
    static DOCS: OnceLock<Docs> = OnceLock::new();
    DOCS.get_or_init(|| {
        let mut d = Docs::default();
        for page in PAGES {
            parse_page(page, &mut d);
        }
        d
    })
}

impl Docs {
    /// The entries documenting `module.name`, of one arity or of all.
    pub fn lookup(&self, module: &str, name: &str, arity: Option<u16>) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| {
                e.signatures.iter().any(|s| match arity {
                    Some(a) => s.covers(module, name, Arity::Exact(a)),
                    None => s.module == module && s.name == name,
                })
            })
            .collect()
    }

    /// A module's page, matched without regard to case (`h(process)`).
    pub fn module(&self, module: &str) -> Option<&ModuleDoc> {
        let wanted = if module.eq_ignore_ascii_case("kernel") { "" } else { module };
        self.modules.iter().find(|m| m.module.eq_ignore_ascii_case(wanted))
    }

    /// Every signature of `module`, in page order.
    pub fn functions_of(&self, module: &str) -> Vec<(&Signature, &Entry)> {
        let mut out = Vec::new();
        for e in &self.entries {
            for s in &e.signatures {
                if s.module == module {
                    out.push((s, e));
                }
            }
        }
        out
    }

    /// Every `(module, name)` documented, for "did you mean".
    pub fn names(&self) -> impl Iterator<Item = &Signature> + '_ {
        self.entries.iter().flat_map(|e| e.signatures.iter())
    }
}

fn parse_page(page: &str, d: &mut Docs) {
    let mut lines = page.lines().peekable();
    let mut title = String::new();
    // The module's text: everything between the title and the first entry.
    let mut intro = String::new();
    while let Some(line) = lines.peek() {
        if line.starts_with("## ") {
            break;
        }
        let line = lines.next().unwrap_or_default();
        if let Some(t) = line.strip_prefix("# ") {
            title = t.trim().to_string();
        } else {
            intro.push_str(line);
            intro.push('\n');
        }
    }
    let module = if title == "Kernel" { String::new() } else { title.clone() };
    d.modules.push(ModuleDoc { title, module, text: intro.trim().to_string() });
    let mut entry: Option<Entry> = None;
    let mut in_code: Option<String> = None;
    for line in lines {
        if let Some(code) = &mut in_code {
            if line.trim_start().starts_with("```") {
                let block = std::mem::take(code);
                in_code = None;
                if let Some(e) = &mut entry {
                    if e.example.is_none() {
                        e.example = Some(block);
                    }
                }
            } else {
                code.push_str(line);
                code.push('\n');
            }
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            let continuing = entry.as_ref().is_some_and(|e| e.text.trim().is_empty() && e.example.is_none());
            if let Some(sig) = parse_signature(heading.trim()) {
                match &mut entry {
                    Some(e) if continuing => e.signatures.push(sig),
                    _ => {
                        finish(&mut entry, d);
                        entry = Some(Entry { signatures: vec![sig], text: String::new(), example: None });
                    }
                }
            }
            continue;
        }
        if line.trim_start().starts_with("```snow") {
            in_code = Some(String::new());
            continue;
        }
        if line.trim_start().starts_with("```") {
            // Any other block (an output block) is part of the text.
            in_code = None;
        }
        if let Some(e) = &mut entry {
            if e.example.is_none() {
                e.text.push_str(line);
                e.text.push('\n');
            }
        }
    }
    finish(&mut entry, d);
}

fn finish(entry: &mut Option<Entry>, d: &mut Docs) {
    if let Some(mut e) = entry.take() {
        e.text = e.text.trim().to_string();
        d.entries.push(e);
    }
}

/// `Process.monitor(target)`, `spawn(f, args...)`, `Node.self()`.
pub fn parse_signature(heading: &str) -> Option<Signature> {
    let open = heading.find('(')?;
    let close = heading.rfind(')')?;
    if close < open {
        return None;
    }
    let callee = &heading[..open];
    let (module, name) = match callee.rsplit_once('.') {
        Some((m, n)) if m.starts_with(|c: char| c.is_ascii_uppercase()) => (m.to_string(), n.to_string()),
        Some(_) => return None,
        None => (String::new(), callee.to_string()),
    };
    if name.is_empty() {
        return None;
    }
    let params: Vec<&str> =
        heading[open + 1..close].split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    let n = params.len() as u16;
    let arity = match params.last() {
        Some(p) if p.ends_with("...") => Arity::AtLeast(n - 1),
        _ => Arity::Exact(n),
    };
    Some(Signature { module, name, arity, text: heading.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_give_module_name_and_arity() {
        let s = parse_signature("Process.monitor(target)").expect("a signature");
        assert_eq!((s.module.as_str(), s.name.as_str(), s.arity), ("Process", "monitor", Arity::Exact(1)));
        let s = parse_signature("spawn(f, args...)").expect("a signature");
        assert_eq!((s.module.as_str(), s.name.as_str(), s.arity), ("", "spawn", Arity::AtLeast(1)));
        assert_eq!(parse_signature("Node.self()").map(|s| s.arity), Some(Arity::Exact(0)));
        assert!(s.covers("", "spawn", Arity::AtLeast(1)) && s.covers("", "spawn", Arity::Exact(3)));
        assert!(!s.covers("", "spawn", Arity::Exact(0)));
    }

    #[test]
    fn entries_share_their_headings_text() {
        let mut d = Docs::default();
        parse_page(
            "# List\n\nLists.\n\n## List.reverse(list)\n## Enum.reverse(list)\n\nReverses.\n\n```snow\nprintln(1)\n```\n\n## List.sum(list)\n\nAdds.\n",
            &mut d,
        );
        assert_eq!(d.modules[0].module, "List");
        assert_eq!(d.modules[0].text, "Lists.");
        assert_eq!(d.entries.len(), 2);
        assert_eq!(d.entries[0].signatures.len(), 2);
        assert_eq!(d.entries[0].text, "Reverses.");
        assert_eq!(d.entries[0].example.as_deref(), Some("println(1)\n"));
        assert_eq!(d.lookup("Enum", "reverse", Some(1)).len(), 1);
        assert_eq!(d.lookup("List", "sum", None)[0].text, "Adds.");
    }

    /// Every built-in has an entry, and every entry documents a built-in.
    #[test]
    fn every_builtin_is_documented() {
        let table = crate::init();
        let docs = docs();
        let mut missing = Vec::new();
        for b in table.entries() {
            if b.name.starts_with("__") {
                continue; // internal: the prelude's plumbing
            }
            if !docs.names().any(|s| s.covers(b.module, b.name, b.arity)) {
                let arity = match b.arity {
                    Arity::Exact(a) => a.to_string(),
                    Arity::AtLeast(a) => format!("{a}+"),
                };
                let m = if b.module.is_empty() { String::new() } else { format!("{}.", b.module) };
                missing.push(format!("{m}{}/{arity}", b.name));
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "built-ins without documentation in docs/library/:\n  {}", missing.join("\n  "));
        let unknown: Vec<&str> = docs
            .names()
            .filter(|s| !table.entries().any(|b| s.covers(b.module, b.name, b.arity)))
            .map(|s| s.text.as_str())
            .collect();
        assert!(unknown.is_empty(), "documented functions that do not exist:\n  {}", unknown.join("\n  "));
    }
}
