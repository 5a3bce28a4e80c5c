//! `snow test` end to end: the binary runs the fixtures under
//! `tests/test_runner/` (passing, failing, timing-out and crashing tests,
//! `describe`, `FILE:LINE`, directories, files that cannot run, `--repeat`,
//! and simulated runs with `--sim --seed`), and each run's stdout, stderr
//! and exit status are compared with `tests/test_runner/expect/CASE.expect`,
//! in the format of `tests/golden.rs`:
//!
//! ```text
//! --- stdout
//! ...
//! --- stderr
//! ...
//! --- status
//! 1
//! ```
//!
//! A missing section means "empty" (status: 0). To accept new output on
//! purpose: `SNOW_UPDATE_GOLDEN=1 cargo test --test test_runner`.

#[path = "support/cluster.rs"]
mod cluster;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Each case: its name, the directory it runs in (under
/// `tests/test_runner/`), and the arguments after `snow test`.
const CASES: &[(&str, &str, &[&str])] = &[
    ("passing", ".", &["passing_test.snow"]),
    ("failing", ".", &["failing_test.snow"]),
    ("timeout", ".", &["timeout_test.snow"]),
    ("crash", ".", &["crash_test.snow"]),
    ("describe", ".", &["describe_test.snow"]),
    // A line inside a test runs that test; a line of a describe outside
    // its tests runs all of them.
    ("line", ".", &["describe_test.snow:8"]),
    ("line_of_a_describe", ".", &["describe_test.snow:1"]),
    ("lines", ".", &["describe_test.snow:3", "describe_test.snow:14", "timeout_test.snow:1"]),
    ("no_test_at_line", ".", &["passing_test.snow:2"]),
    ("directory", ".", &["suite"]),
    ("default_directory", "default", &[]),
    ("current_directory", "suite", &[]),
    ("missing_path", ".", &["no_such_test.snow"]),
    ("compile_error", ".", &["errors/compile_error_test.snow", "passing_test.snow"]),
    ("syntax_error", ".", &["errors/syntax_error_test.snow"]),
    ("top_level_code", ".", &["errors/top_level_test.snow"]),
    ("repeat", ".", &["--repeat", "2", "describe_test.snow"]),
    // Virtual time: a minute's timeout ends at once.
    ("sim_timeout", ".", &["--sim", "--seed", "1", "sim/slow_test.snow"]),
    // A race: some seeds fail; each failure's replay line runs it alone,
    // with the same outcome.
    ("sim_repeat", ".", &["--sim", "--seed", "1", "--repeat", "10", "sim/racy_test.snow"]),
    ("sim_replay_failing", ".", &["--sim", "--seed", "6", "sim/racy_test.snow:4"]),
    ("sim_replay_passing", ".", &["--sim", "--seed", "3", "sim/racy_test.snow:4"]),
    // A fresh simulated cluster for each test: the same node names in
    // both, the first test's partition gone in the second.
    ("sim_cluster", ".", &["--sim", "--seed", "2", "sim/partition_test.snow"]),
    // The issue's example: a peer killed, as each test's node sees it.
    ("nodes", ".", &["--name", "runner@127.0.0.1", "--cookie", "test_runner", "nodes_test.snow"]),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").join("tests/test_runner")
}

#[derive(PartialEq)]
struct Run {
    stdout: String,
    stderr: String,
    status: i32,
}

fn parse_expect(text: &str) -> Run {
    let mut r = Run { stdout: String::new(), stderr: String::new(), status: 0 };
    let mut section = "";
    for line in text.split_inclusive('\n') {
        match line.trim_end() {
            "--- stdout" => section = "stdout",
            "--- stderr" => section = "stderr",
            "--- status" => section = "status",
            _ => match section {
                "stdout" => r.stdout.push_str(line),
                "stderr" => r.stderr.push_str(line),
                "status" => r.status = line.trim().parse().unwrap_or(r.status),
                _ => {}
            },
        }
    }
    r
}

fn render(r: &Run) -> String {
    let mut out = format!("--- stdout\n{}", r.stdout);
    if !r.stderr.is_empty() {
        out.push_str(&format!("--- stderr\n{}", r.stderr));
    }
    if r.status != 0 {
        out.push_str(&format!("--- status\n{}\n", r.status));
    }
    out
}

#[test]
fn snow_test_reports_as_the_expect_files_say() {
    let update = std::env::var_os("SNOW_UPDATE_GOLDEN").is_some();
    let epmd = cluster::Epmd::start();
    let mut failures = Vec::new();
    for &(name, dir, args) in CASES {
        let out = Command::new(env!("CARGO_BIN_EXE_snow"))
            .arg("test")
            .args(args)
            .current_dir(fixtures().join(dir))
            .env("ERL_EPMD_PORT", epmd.port.to_string())
            .stdin(Stdio::null())
            .output()
            .expect("snow runs");
        let got = Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            status: out.status.code().unwrap_or(-1),
        };
        let expect_path = fixtures().join("expect").join(format!("{name}.expect"));
        if update {
            std::fs::write(&expect_path, render(&got)).expect("write the .expect file");
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&expect_path) else {
            failures.push(format!("{name}: no {}", expect_path.display()));
            continue;
        };
        let want = parse_expect(&text);
        if want != got {
            failures.push(format!(
                "{name} (snow test {}):\n--- expected\n{}--- got\n{}",
                args.join(" "),
                render(&want),
                render(&got)
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

/// Every `.expect` file belongs to a case (a renamed case leaves none behind).
#[test]
fn every_expect_file_has_a_case() {
    let Ok(entries) = std::fs::read_dir(fixtures().join("expect")) else { return };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(name) = file.strip_suffix(".expect") else { continue };
        assert!(CASES.iter().any(|c| c.0 == name), "{file} belongs to no case in tests/test_runner.rs");
    }
}
