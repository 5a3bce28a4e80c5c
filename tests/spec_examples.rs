//! Every code block of the language contract (`shared/spec/language.md`)
//! must run verbatim once its free variables are bound: this test extracts
//! the blocks from the spec itself, so a change to the spec is tested too.

use std::path::{Path, PathBuf};
use std::process::Command;

fn spec() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.to_path_buf();
    let candidates: [PathBuf; 2] =
        [root.join("../shared/spec/language.md"), root.join("shared/spec/language.md")];
    candidates.iter().find_map(|p| std::fs::read_to_string(p).ok())
}

fn blocks(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        match (&mut cur, line.trim_start()) {
            (None, l) if l.starts_with("```snow") => cur = Some(String::new()),
            (Some(_), "```") => out.push(cur.take().unwrap_or_default()),
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// The bindings language.md says its blocks assume.
const PRELUDE: &str = "let x = 5\nlet msg = (:ok, 42)\n";

#[test]
fn every_spec_block_runs() {
    let Some(md) = spec() else {
        println!("skipped: shared/spec/language.md not found beside the repository");
        return;
    };
    let bs = blocks(&md);
    assert!(bs.len() >= 3, "expected the spec's code blocks, found {}", bs.len());
    for (i, b) in bs.iter().enumerate() {
        let src = format!("{PRELUDE}{b}");
        let out = Command::new(env!("CARGO_BIN_EXE_snow")).arg("-e").arg(&src).output().expect("snow runs");
        assert!(
            out.status.success(),
            "spec block {i} failed:\n{b}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_spec_counter_prints_its_count() {
    let Some(md) = spec() else { return };
    let counter = blocks(&md).into_iter().find(|b| b.contains("actor counter")).expect("the counter block");
    let out = Command::new(env!("CARGO_BIN_EXE_snow")).arg("-e").arg(&counter).output().expect("snow runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "count is 1\n");
}

#[test]
fn the_spec_functions_block_prints_15() {
    let Some(md) = spec() else { return };
    let b = blocks(&md).into_iter().find(|b| b.contains("fn fib(0)")).expect("the functions block");
    let out = Command::new(env!("CARGO_BIN_EXE_snow")).arg("-e").arg(&b).output().expect("snow runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "15\n");
}

/// Feeds `src` to the REPL line by line, as a user typing it would.
fn at_the_repl(src: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_snow"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("snow runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(src.as_bytes()).expect("write");
    drop(stdin);
    child.wait_with_output().expect("wait")
}

#[test]
fn every_spec_block_runs_at_the_repl() {
    let Some(md) = spec() else { return };
    for (i, b) in blocks(&md).iter().enumerate() {
        let out = at_the_repl(&format!("{PRELUDE}{b}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "spec block {i} at the REPL:\n{b}\nstdout:\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn the_spec_counter_prints_its_count_at_the_repl() {
    let Some(md) = spec() else { return };
    let counter = blocks(&md).into_iter().find(|b| b.contains("actor counter")).expect("the counter block");
    let out = at_the_repl(&counter);
    assert!(String::from_utf8_lossy(&out.stdout).contains("count is 1\n"), "{out:?}");
}
