//! Tidy: checks that what ARCHITECTURE.md promises about the code is true
//! (as rust-analyzer's tidy test does): every source file opens with a `//!`
//! line; `unsafe` appears only in the files ARCHITECTURE.md lists, each use
//! with its `SAFETY` comment; `lang` does no IO outside its output module;
//! `Term` is the size ARCHITECTURE.md says.

#![allow(clippy::unwrap_used)]

#[path = "support/cluster.rs"]
mod cluster;

use cluster::root;
use std::path::{Path, PathBuf};

/// Every `.rs` file of the workspace we wrote (not `target/`).
fn sources() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = ["lang", "runtime", "stdlib", "repl", "tests", "bench"].iter().map(|d| root().join(d)).collect();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            if p.is_dir() {
                if name != "target" && name != "snapshots" {
                    dirs.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() > 50, "found only {} source files under {}", out.len(), root().display());
    out
}

fn relative(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn architecture() -> String {
    read(&root().join("ARCHITECTURE.md"))
}

/// The text of the `## title` section of ARCHITECTURE.md (up to the next `## `).
fn section(doc: &str, title: &str) -> String {
    let start = doc.find(&format!("\n## {title}\n")).unwrap_or_else(|| panic!("ARCHITECTURE.md has no `## {title}` section"));
    let rest = &doc[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_string()
}

#[test]
fn every_source_file_says_what_it_is_for() {
    let missing: Vec<String> = sources().iter().filter(|p| !read(p).starts_with("//!")).map(|p| relative(p)).collect();
    assert!(missing.is_empty(), "these files do not open with a `//!` line saying their job:\n{}", missing.join("\n"));
}

/// Lines that use `unsafe` (a block, a function or an impl), comments and
/// strings aside as far as a line-based look can tell.
fn unsafe_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let code = l.split("//").next().unwrap_or("");
            let code = code.split('"').step_by(2).collect::<String>();
            code.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == "unsafe")
        })
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn unsafe_code_lives_only_where_architecture_md_says_and_says_why() {
    // The files are the section's first list.
    let text = section(&architecture(), "Unsafe code");
    let list: String = text
        .lines()
        .skip_while(|l| !l.starts_with("- "))
        .take_while(|l| l.starts_with("- ") || l.starts_with("  "))
        .collect::<Vec<_>>()
        .join("\n");
    let listed: Vec<String> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.ends_with(".rs"))
        .map(str::to_string)
        .collect();
    assert!(!listed.is_empty(), "ARCHITECTURE.md's `Unsafe code` section lists no files");
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for p in sources() {
        let text = read(&p);
        let lines: Vec<&str> = text.lines().collect();
        let uses = unsafe_lines(&text);
        if uses.is_empty() {
            continue;
        }
        let rel = relative(&p);
        seen.push(rel.clone());
        if !listed.contains(&rel) {
            problems.push(format!("{rel}: uses `unsafe` but ARCHITECTURE.md's `Unsafe code` section does not list it"));
        }
        for i in uses {
            let line = lines[i];
            // A declaration (`unsafe fn`) documents its contract in `# Safety`;
            // a block or an impl carries a `SAFETY:` comment just above.
            let is_fn = line.contains("unsafe fn");
            let above = &lines[i.saturating_sub(8)..i];
            let documented = if is_fn {
                above.iter().any(|l| l.contains("# Safety")) || above.iter().any(|l| l.contains("SAFETY:"))
            } else {
                // On the line, or in the comment lines right above it (a
                // statement may sit between, as in `let a = unsafe {..};`
                // twice under one comment, which clippy refuses too).
                line.contains("SAFETY:")
                    || above.iter().rev().take_while(|l| l.trim_start().starts_with("//")).any(|l| l.contains("SAFETY:"))
            };
            if !documented {
                problems.push(format!("{rel}:{}: `unsafe` without a `SAFETY:` comment (or `# Safety` docs) just above", i + 1));
            }
        }
    }
    for l in &listed {
        if !seen.contains(l) {
            problems.push(format!("ARCHITECTURE.md lists {l} under `Unsafe code`, but it has none (or does not exist)"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn clippy_asks_for_safety_comments() {
    let manifest = read(&root().join("Cargo.toml"));
    assert!(
        manifest.contains("undocumented_unsafe_blocks"),
        "[workspace.lints.clippy] must turn on undocumented_unsafe_blocks"
    );
}

#[test]
fn lang_does_no_io_outside_its_output_module() {
    const IO: [&str; 14] = [
        "println!", "print!(", "eprintln!", "eprint!(", "dbg!(", "stdout()", "stderr()", "stdin()", "std::fs", "File::",
        "std::net", "TcpStream", "std::process", "std::env",
    ];
    let output = root().join("lang/src/vm/output.rs");
    let mut problems = Vec::new();
    for p in sources().into_iter().filter(|p| p.starts_with(root().join("lang/src")) && *p != output) {
        let text = read(&p);
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if let Some(io) = IO.iter().find(|io| code.contains(*io)) {
                problems.push(format!("{}:{}: `{io}` (lang's IO goes through vm/output.rs)", relative(&p), i + 1));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_term_is_the_size_architecture_md_says() {
    let doc = architecture();
    let at = doc.find("`Term`, ").expect("ARCHITECTURE.md says \"`Term`, N bytes\"");
    let said: usize = doc[at + "`Term`, ".len()..].split_whitespace().next().and_then(|n| n.parse().ok()).expect("a number of bytes");
    assert_eq!(std::mem::size_of::<snow_runtime::Term>(), said, "ARCHITECTURE.md says `Term` is {said} bytes");
}
