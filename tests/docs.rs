//! Every code block in `docs/` and `README.md` runs, as the reader would run
//! it, and prints what the page says it prints.
//!
//! Blocks, by their info string:
//! - ```` ```snow ````: a script, run with `snow run example.snow` in a
//!   fresh directory; it must exit 0 with nothing on stderr.
//! - ```` ```snow error ````: a script that must fail (exit status 1).
//! - ```` ```snow node ````: a script run as a node (`--name`, a private
//!   port mapper), for examples that start peers.
//! - `noisy` (```` ```snow noisy ````, ```` ```snow node noisy ````): the
//!   runtime's notices on stderr ("node b not responding") are expected.
//! - ```` ```snow test ````: a test file, run with `snow test
//!   example_test.snow` (the words after `test`, such as `--sim --seed 3`,
//!   are passed on); it must exit 0 (with `error`: 1, some test failed).
//! - ```` ```snow sim 3 ````: a script run in a simulation, `snow run --sim
//!   --seed 3 example.snow`; the seed's line on stderr is expected.
//! - ```` ```snow file lib/shapes.snow ````: not run; written as that file
//!   beside the next runnable block (for examples that `import` it).
//! - ```` ```output ```` right after one of those: the exact stdout (for
//!   `snow error`: the exact stderr; for `snow test error`, the report on
//!   stdout still).
//! - Any other block (`text`, `sh`, `session`) is not run here; REPL
//!   sessions are replayed by `tests/docs_sessions.rs`.
//!
//! `SNOW_DOCS_ONLY=docs/library cargo test --release --test docs` runs only
//! the pages whose path contains the given text.

#![allow(clippy::unwrap_used)]

#[path = "support/cluster.rs"]
mod cluster;
#[path = "support/markdown.rs"]
mod markdown;

use cluster::{root, Epmd, Proc, SNOW};
use markdown::fenced_blocks;
use std::process::Command;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug)]
struct Block {
    file: PathBuf,
    line: usize,
    info: String,
    code: String,
    output: Option<String>,
    /// Files written beside the script (`snow file PATH` blocks before it).
    files: Vec<(String, String)>,
}

/// The fenced blocks of one Markdown file, each with the `output` block
/// that follows it (if any).
fn blocks(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out: Vec<Block> = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for f in fenced_blocks(&text, file) {
        if let Some(path) = f.info.strip_prefix("snow file ") {
            files.push((path.trim().to_string(), f.body));
            continue;
        }
        if f.info == "output" {
            let line = f.line;
            let last = out.last_mut().unwrap_or_else(|| panic!("{}:{line}: an output block follows no code", file.display()));
            assert!(last.output.is_none(), "{}:{line}: two output blocks for one example", file.display());
            last.output = Some(f.body);
            continue;
        }
        let files = if f.info.starts_with("snow") { std::mem::take(&mut files) } else { Vec::new() };
        out.push(Block { file: file.to_path_buf(), line: f.line, info: f.info, code: f.body, output: None, files });
    }
    out
}

fn markdown_files() -> Vec<PathBuf> {
    markdown::markdown_files(&root())
}

/// The blocks to run; `SNOW_DOCS_ONLY=part` keeps the files whose path
/// contains `part` (while writing a page).
fn runnable() -> Vec<Block> {
    let only = std::env::var("SNOW_DOCS_ONLY").unwrap_or_default();
    markdown_files()
        .iter()
        .filter(|f| f.to_string_lossy().contains(&only))
        .flat_map(|f| blocks(f))
        .filter(|b| b.info.split_whitespace().next() == Some("snow"))
        .collect()
}

/// Runs one block; `Err` says what went wrong.
fn run(b: &Block, epmd_port: u16, n: usize) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("snow-docs-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let words: Vec<&str> = b.info.split_whitespace().collect();
    let test_file = words.get(1) == Some(&"test");
    let script = if test_file { "example_test.snow" } else { "example.snow" };
    std::fs::write(dir.join(script), &b.code).unwrap();
    for (path, body) in &b.files {
        let at = dir.join(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, body).unwrap();
    }
    let node = words.contains(&"node");
    let must_fail = words.contains(&"error");
    let mut args = vec![if test_file { "test" } else { "run" }.to_string()];
    if node {
        args.extend(["--name".into(), format!("docs{n}@127.0.0.1"), "--cookie".into(), "docs".into()]);
    }
    if test_file {
        let passed_on = words[2..].iter().filter(|w| !["error", "noisy", "node"].contains(w));
        args.extend(passed_on.map(|w| w.to_string()));
    }
    let sim_seed = if words.get(1) == Some(&"sim") { words.get(2).copied() } else { None };
    if let Some(seed) = sim_seed {
        args.extend(["--sim".into(), "--seed".into(), seed.to_string()]);
    }
    args.push(script.into());
    let mut cmd = Command::new(SNOW);
    let noisy = words.contains(&"noisy");
    cmd.args(&args).env("ERL_EPMD_PORT", epmd_port.to_string()).env_remove("COLUMNS").current_dir(&dir);
    let mut p = Proc::start(cmd);
    let status = p.finish(Duration::from_secs(60));
    let _ = std::fs::remove_dir_all(&dir);
    let seed_line = |l: &&String| sim_seed.is_some() && l.starts_with("snow: simulation seed ");
    let err: Vec<String> = p.err.iter().filter(|l| !seed_line(l)).cloned().collect();
    let (out, err) = (lines(&p.out), lines(&err));
    let shown = || format!("\n--- stdout\n{out}--- stderr\n{err}--- status {status}");
    if must_fail && test_file {
        if status != 1 || (!err.is_empty() && !noisy) {
            return Err(format!("should report a failed test (status 1) with nothing on stderr{}", shown()));
        }
        if let Some(want) = &b.output {
            if &out != want {
                return Err(format!("stdout differs from the output block:\n--- expected\n{want}{}", shown()));
            }
        }
        return Ok(());
    }
    if must_fail {
        if status != 1 {
            return Err(format!("should fail with status 1{}", shown()));
        }
        if let Some(want) = &b.output {
            if &err != want {
                return Err(format!("stderr differs from the output block:\n--- expected\n{want}{}", shown()));
            }
        }
        return Ok(());
    }
    if status != 0 || (!err.is_empty() && !noisy) {
        return Err(format!("should succeed quietly{}", shown()));
    }
    if let Some(want) = &b.output {
        if &out != want {
            return Err(format!("stdout differs from the output block:\n--- expected\n{want}{}", shown()));
        }
    }
    Ok(())
}

fn lines(v: &[String]) -> String {
    v.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn every_snow_block_in_the_docs_runs() {
    let blocks = runnable();
    let whole = std::env::var("SNOW_DOCS_ONLY").unwrap_or_default().is_empty();
    assert!(blocks.len() > if whole { 150 } else { 0 }, "expected the docs' examples, found {}", blocks.len());
    let epmd = Epmd::start();
    let port = epmd.port;
    // Two at a time: the examples are small, the machine has two cores.
    let failures = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(b) = blocks.get(i) else { break };
                if let Err(e) = run(b, port, i) {
                    let place = b.file.strip_prefix(root()).unwrap_or(&b.file).display().to_string();
                    failures.lock().unwrap().push(format!("{place}:{} ({}): {e}\n{}", b.line, b.info, b.code));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} of {} examples failed:\n\n{}", failures.len(), blocks.len(), failures.join("\n\n"));
}

#[test]
fn output_blocks_follow_code() {
    for f in markdown_files() {
        for b in blocks(&f) {
            if b.output.is_some() {
                assert!(b.info.starts_with("snow"), "{}:{}: an output block after a `{}` block", f.display(), b.line, b.info);
            }
        }
    }
}
