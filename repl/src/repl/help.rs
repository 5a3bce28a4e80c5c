//! `h` at the prompt, as IEx's: `h(Process.monitor)`, `h Process.monitor`,
//! `:h Process.monitor`, `h(Process)`, `h(spawn/3)`, `h()`. The text comes
//! from the library's pages (`snow_stdlib::docs`), the one place built-ins
//! are documented. `h` is REPL syntax, not a function: its argument names a
//! function without calling it.

use snow_lang::vm::suggest::close_to;
use snow_stdlib::docs::{docs, Entry};

/// What `h` was asked about.
#[derive(Debug, PartialEq, Eq)]
pub enum Topic {
    /// `h` / `h()`: the helpers.
    Overview,
    /// `h(Process)`.
    Module(String),
    /// `h(Process.monitor)`, `h(spawn)`, `h(spawn/3)`.
    Function { module: String, name: String, arity: Option<u16> },
}

/// The topic of an `h` line (`h(X)`, `h X`, `h`, `h()`), if it is one.
pub fn parse_line(line: &str) -> Option<Topic> {
    let rest = line.trim().strip_prefix('h')?;
    if rest.trim().is_empty() {
        return Some(Topic::Overview);
    }
    let arg = match rest.trim_start().strip_prefix('(') {
        Some(inner) => inner.trim_end().strip_suffix(')')?,
        // `h Process.monitor`: a space after `h` is needed (`hd(x)` is code).
        None if rest.starts_with(char::is_whitespace) => rest,
        None => return None,
    };
    parse_topic(arg)
}

/// `Process.monitor/1`, `Process`, `spawn`, or nothing (the overview).
pub fn parse_topic(arg: &str) -> Option<Topic> {
    let arg = arg.trim();
    if arg.is_empty() {
        return Some(Topic::Overview);
    }
    let (path, arity) = match arg.rsplit_once('/') {
        Some((p, a)) => (p.trim(), Some(a.trim().parse::<u16>().ok()?)),
        None => (arg, None),
    };
    let (module, name) = match path.rsplit_once('.') {
        Some((m, n)) => (m, n),
        None if path.starts_with(|c: char| c.is_ascii_uppercase()) && arity.is_none() => {
            return is_word(path).then(|| Topic::Module(path.to_string()));
        }
        None => ("", path),
    };
    let module_ok = module.is_empty() || (module.starts_with(|c: char| c.is_ascii_uppercase()) && is_word(module));
    let name_ok = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') && is_word(name.trim_end_matches(['?', '!']));
    (module_ok && name_ok).then(|| Topic::Function { module: module.to_string(), name: name.to_string(), arity })
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The text `h` prints. `user_defined` tells whether the session defines
/// a function of that name (it has no documentation, but exists).
pub fn render(topic: &Topic, color: bool, user_defined: &dyn Fn(&str) -> Vec<u16>) -> String {
    match topic {
        Topic::Overview => overview(),
        Topic::Module(m) => module_page(m, color),
        Topic::Function { module, name, arity } => function_page(module, name, *arity, color, user_defined),
    }
}

fn overview() -> String {
    let modules: Vec<&str> = docs().modules.iter().map(|m| m.title.as_str()).collect();
    format!(
        "\
Help at the prompt:
  h(Process)            a module and its functions
  h(Process.monitor)    a function: what it does, an example (also h Process.monitor)
  v()  v(n)             an earlier result: v() the last, v(1) the first, v(-2) the one before the last
  i(pid)  i()           a process, readable: status, links, monitors, mailbox; i() all of them
  pid(0, 42, 0)         the pid #PID<0.42.0> (typing #PID<0.42.0> gives it too)
  flush()               print and empty the shell's mailbox
  :help                 the REPL's commands
Modules: {}",
        modules.join(", ")
    )
}

fn bold(text: &str, color: bool) -> String {
    if color {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The functions of a module the program defined (not `__` internals), if
/// it defined one of that name.
fn defined_module(module: &str) -> Option<Vec<(String, u16)>> {
    let m = snow_runtime::Atom::existing(module).filter(|m| snow_lang::vm::modules::exists(*m))?;
    Some(snow_lang::vm::modules::functions(m).into_iter().filter(|(n, _)| !n.starts_with("__")).collect())
}

fn module_page(module: &str, color: bool) -> String {
    let d = docs();
    if let (None, Some(fns)) = (d.module(module), defined_module(module)) {
        let list: Vec<String> = fns.iter().map(|(n, a)| format!("{n}/{a}")).collect();
        return format!("{module} is a module defined in this session; it has no documentation. Its functions: {}.", list.join(", "));
    }
    let Some(m) = d.module(module) else {
        let known: Vec<&str> = d.modules.iter().map(|m| m.title.as_str()).collect();
        let lower = module.to_ascii_lowercase();
        let close: Vec<&&str> =
            known.iter().filter(|k| close_to(k, module) || k.to_ascii_lowercase().starts_with(&lower)).collect();
        return match close.first() {
            Some(k) => format!("No module {module}. Did you mean {k}?"),
            None => format!("No module {module}. The modules are {}.", known.join(", ")),
        };
    };
    let mut out = format!("{}\n\n{}\n", bold(&m.title, color), indent(&m.text, 2));
    let functions = d.functions_of(&m.module);
    let width = functions.iter().map(|(s, _)| s.text.chars().count()).max().unwrap_or(0);
    out.push('\n');
    for (sig, entry) in functions {
        let pad = width - sig.text.chars().count();
        out.push_str(&format!("  {}{}  {}\n", sig.text, " ".repeat(pad), first_sentence(&entry.text)));
    }
    let call = if m.module.is_empty() { "h(spawn)".to_string() } else { format!("h({}.{})", m.title, d.functions_of(&m.module).first().map_or("fun", |(s, _)| s.name.as_str())) };
    out.push_str(&format!("\n{call} shows one in full."));
    out
}

fn function_page(module: &str, name: &str, arity: Option<u16>, color: bool, user_defined: &dyn Fn(&str) -> Vec<u16>) -> String {
    let d = docs();
    let shown = if module.is_empty() { name.to_string() } else { format!("{module}.{name}") };
    let entries: Vec<&Entry> = d.lookup(module, name, arity);
    if entries.is_empty() {
        if let Some(fns) = defined_module(module).filter(|_| !module.is_empty()) {
            let mine: Vec<String> =
                fns.iter().filter(|(n, a)| n == name && arity.is_none_or(|x| x == *a)).map(|(n, a)| format!("{module}.{n}/{a}")).collect();
            if !mine.is_empty() {
                return format!("{} is defined in this session; it has no documentation.", mine.join(", "));
            }
            let list: Vec<String> = fns.iter().map(|(n, a)| format!("{n}/{a}")).collect();
            return format!("{module} has no {name}; its functions: {}.", list.join(", "));
        }
        if module.is_empty() {
            let mine = user_defined(name);
            if !mine.is_empty() {
                let list: Vec<String> = mine.iter().map(|a| format!("{name}/{a}")).collect();
                return format!("{} is defined at this prompt; it has no documentation.", list.join(", "));
            }
        }
        if let (Some(a), false) = (arity, d.lookup(module, name, None).is_empty()) {
            let others: Vec<String> = d
                .lookup(module, name, None)
                .iter()
                .flat_map(|e| e.signatures.iter())
                .filter(|s| s.module == module && s.name == name)
                .map(|s| s.text.clone())
                .collect();
            return format!("No {shown}/{a}; there is {}.", others.join(", "));
        }
        let close: Vec<String> = d
            .names()
            .filter(|s| s.module == module && close_to(&s.name, name))
            .map(|s| if s.module.is_empty() { s.name.clone() } else { format!("{}.{}", s.module, s.name) })
            .collect();
        return match close.first() {
            Some(c) => format!("No documentation for {shown}. Did you mean {c}?"),
            None if !module.is_empty() && d.module(module).is_none() => format!("No module {module}; h() lists them."),
            None => format!("No documentation for {shown}."),
        };
    }
    let mut out = String::new();
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        let heads: Vec<&str> = e.signatures.iter().map(|s| s.text.as_str()).filter(|t| !module.is_empty() || !t.contains('.')).collect();
        let heads = if heads.is_empty() { e.signatures.iter().map(|s| s.text.as_str()).collect() } else { heads };
        out.push_str(&bold(&heads.join("\n"), color));
        out.push_str("\n\n");
        out.push_str(&indent(&e.text, 2));
        if let Some(ex) = &e.example {
            out.push_str("\n\n  Example:\n\n");
            out.push_str(&indent(ex.trim_end(), 4));
        }
    }
    out
}

fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().map(|l| if l.trim().is_empty() { String::new() } else { format!("{pad}{l}") }).collect::<Vec<_>>().join("\n")
}

/// The first sentence of an entry's text, on one line, for module listings.
fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = flat.find(". ").map(|i| i + 1).unwrap_or(flat.len());
    flat[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(module: &str, name: &str, arity: Option<u16>) -> Option<Topic> {
        Some(Topic::Function { module: module.into(), name: name.into(), arity })
    }

    #[test]
    fn h_lines_name_their_topic() {
        assert_eq!(parse_line("h(Process.monitor)"), f("Process", "monitor", None));
        assert_eq!(parse_line("h Process.monitor"), f("Process", "monitor", None));
        assert_eq!(parse_line("h(Process.alive?/1)"), f("Process", "alive?", Some(1)));
        assert_eq!(parse_line("h(spawn)"), f("", "spawn", None));
        assert_eq!(parse_line("h(Process)"), Some(Topic::Module("Process".into())));
        assert_eq!(parse_line("h"), Some(Topic::Overview));
        assert_eq!(parse_line("h()"), Some(Topic::Overview));
        assert_eq!(parse_line("hd([1])"), None);
        assert_eq!(parse_line("h(1 + 2)"), None);
        assert_eq!(parse_line("h(x) + 1"), None);
    }
}
