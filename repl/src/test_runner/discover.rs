//! Which files `snow test` runs: the paths given (`FILE`, `FILE:LINE`, or a
//! directory searched for `*_test.snow`), else `test/` when it exists, else
//! the current directory.

use std::path::{Path, PathBuf};

/// A test file, and the lines asked for (`FILE:LINE`); none means all of
/// its tests.
pub struct Target {
    pub file: PathBuf,
    pub lines: Vec<usize>,
    /// Given without a line at least once: every test runs.
    pub whole: bool,
}

/// The files to run, in order (each once); `Err` is a one-line usage error.
pub fn targets(paths: &[PathBuf]) -> Result<Vec<Target>, String> {
    let default;
    let paths = if paths.is_empty() {
        default = [if Path::new("test").is_dir() { PathBuf::from("test") } else { PathBuf::from(".") }];
        &default[..]
    } else {
        paths
    };
    let mut out: Vec<Target> = Vec::new();
    for path in paths {
        let (file, line) = split_line(path);
        if file.is_dir() && line.is_none() {
            let found = test_files(&file);
            if found.is_empty() {
                eprintln!("snow test: no test files (*_test.snow) under {}", file.display());
            }
            for f in found {
                add(&mut out, f, None);
            }
        } else if file.is_file() {
            add(&mut out, file, line);
        } else {
            return Err(format!("snow test: no such file or directory: {}", path.display()));
        }
    }
    Ok(out)
}

fn add(out: &mut Vec<Target>, file: PathBuf, line: Option<usize>) {
    let i = match out.iter().position(|t| t.file == file) {
        Some(i) => i,
        None => {
            out.push(Target { file, lines: Vec::new(), whole: false });
            out.len() - 1
        }
    };
    match line {
        Some(l) => out[i].lines.push(l),
        None => out[i].whole = true,
    }
}

/// `FILE:LINE` when `path` itself does not exist but `FILE` does.
fn split_line(path: &Path) -> (PathBuf, Option<usize>) {
    if path.exists() {
        return (path.to_path_buf(), None);
    }
    let text = path.to_string_lossy();
    if let Some((file, line)) = text.rsplit_once(':') {
        if let Ok(n) = line.parse::<usize>() {
            if n > 0 && Path::new(file).is_file() {
                return (PathBuf::from(file), Some(n));
            }
        }
    }
    (path.to_path_buf(), None)
}

/// Every `*_test.snow` under `dir`, sorted, hidden directories skipped.
/// Paths under the current directory are shown without `./`.
fn test_files(dir: &Path) -> Vec<PathBuf> {
    let shown = if dir == Path::new(".") { PathBuf::new() } else { dir.to_path_buf() };
    let mut found = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), shown)];
    while let Some((dir, shown)) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let name = e.file_name();
            let name_text = name.to_string_lossy();
            if name_text.starts_with('.') {
                continue;
            }
            let path = e.path();
            if path.is_dir() {
                todo.push((path, shown.join(&name)));
            } else if name_text.ends_with("_test.snow") {
                found.push(shown.join(&name));
            }
        }
    }
    found.sort();
    found
}
