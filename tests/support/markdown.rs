//! The Markdown the docs tests read: which files, and their fenced blocks.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// `README.md` and every page under `docs/`, sorted.
pub fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("docs")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// A fenced block: the line its fence opens on (from 1), its info string,
/// and its text (the fence's indentation removed).
pub struct Fenced {
    pub line: usize,
    pub info: String,
    pub body: String,
}

/// Every fenced block of `text`, in order. Panics on a block never closed.
pub fn fenced_blocks(text: &str, file: &Path) -> Vec<Fenced> {
    let mut out = Vec::new();
    let mut open: Option<Fenced> = None;
    let mut indent = 0;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    indent = line.len() - trimmed.len();
                    open = Some(Fenced { line: i + 1, info: info.trim().to_string(), body: String::new() });
                }
            }
            Some(block) => {
                if trimmed.starts_with("```") {
                    out.push(open.take().unwrap());
                } else {
                    let cut = line.len().min(indent);
                    let body = if line[..cut].trim().is_empty() { &line[cut..] } else { line };
                    block.body.push_str(body);
                    block.body.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "{}: a code block is never closed", file.display());
    out
}
