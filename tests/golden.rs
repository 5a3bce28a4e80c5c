//! Golden tests: every `.snow` script under `examples/` and `tests/golden/`
//! runs through the `snow` binary, and its stdout, stderr and exit status
//! are compared with the `.expect` file beside it:
//!
//! ```text
//! --- stdout
//! lines the script prints
//! --- stderr
//! lines it reports
//! --- status
//! 0
//! ```
//!
//! Scripts with an `.escript` beside them (an Erlang partner) are run by
//! `tests/interop.rs` instead.
//!
//! `--- stderr (any order)` compares stderr's lines as a set: for scripts
//! whose peer nodes report on the same stderr at about the same moment
//! (both sides of a partition giving up on each other).
//!
//! A missing section means "empty" (status: 0). To accept new output on
//! purpose: `SNOW_UPDATE_GOLDEN=1 cargo test --test golden`.

#[path = "support/cluster.rs"]
mod cluster;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

struct Expect {
    stdout: String,
    stderr: String,
    status: i32,
    stderr_any_order: bool,
}

/// Stderr as the comparison sees it: its lines sorted when order is free.
fn comparable(stderr: &str, any_order: bool) -> String {
    if !any_order {
        return stderr.to_string();
    }
    let mut lines: Vec<&str> = stderr.split_inclusive('\n').collect();
    lines.sort();
    lines.concat()
}

fn parse_expect(text: &str) -> Expect {
    let mut e = Expect {
        stdout: String::new(),
        stderr: String::new(),
        status: 0,
        stderr_any_order: false,
    };
    let mut section = "";
    for line in text.split_inclusive('\n') {
        match line.trim_end() {
            "--- stdout" => section = "stdout",
            "--- stderr" => section = "stderr",
            "--- stderr (any order)" => {
                section = "stderr";
                e.stderr_any_order = true;
            }
            "--- status" => section = "status",
            _ => match section {
                "stdout" => e.stdout.push_str(line),
                "stderr" => e.stderr.push_str(line),
                "status" => {
                    if let Ok(s) = line.trim().parse() {
                        e.status = s;
                    }
                }
                _ => {}
            },
        }
    }
    e
}

fn render_expect(stdout: &str, stderr: &str, status: i32, any_order: bool) -> String {
    let mut out = String::from("--- stdout\n");
    out.push_str(stdout);
    if !stderr.is_empty() {
        out.push_str(if any_order {
            "--- stderr (any order)\n"
        } else {
            "--- stderr\n"
        });
        out.push_str(stderr);
    }
    if status != 0 {
        out.push_str(&format!("--- status\n{status}\n"));
    }
    out
}

fn scripts() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["examples", "tests/golden"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            // A script with an `.escript` beside it needs an Erlang node as
            // its partner: tests/interop.rs runs that pair.
            if p.extension().is_some_and(|x| x == "snow") && !p.with_extension("escript").exists() {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

#[test]
fn golden_scripts() {
    check_scripts("on", std::env::var_os("SNOW_UPDATE_GOLDEN").is_some());
}

/// The same scripts, every eligible function compiled to native code at its
/// first call (`SNOW_JIT=eager`): nothing a script prints may change.
#[test]
fn golden_scripts_with_native_code_from_the_first_call() {
    check_scripts("eager", false);
}

fn check_scripts(jit: &str, update: bool) {
    let epmd = cluster::Epmd::start();
    let mut failures = Vec::new();
    let all = scripts();
    assert!(!all.is_empty(), "no golden scripts found");
    for script in &all {
        let rel = script.strip_prefix(root()).unwrap_or(script).to_path_buf();
        let out = Command::new(env!("CARGO_BIN_EXE_snow"))
            .arg("run")
            .arg(&rel)
            .env("ERL_EPMD_PORT", epmd.port.to_string())
            .env("SNOW_JIT", jit)
            // Trace diagrams fit the terminal; piped, they are 100 wide unless COLUMNS says.
            .env_remove("COLUMNS")
            .current_dir(root())
            .output()
            .expect("snow runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let status = out.status.code().unwrap_or(-1);
        let expect_path = script.with_extension("expect");
        if update {
            let any_order = std::fs::read_to_string(&expect_path)
                .is_ok_and(|t| parse_expect(&t).stderr_any_order);
            std::fs::write(
                &expect_path,
                render_expect(&stdout, &comparable(&stderr, any_order), status, any_order),
            )
            .expect("write .expect");
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&expect_path) else {
            failures.push(format!("{}: no {} file", rel.display(), expect_path.display()));
            continue;
        };
        let want = parse_expect(&text);
        let any = want.stderr_any_order;
        if want.stdout != stdout
            || comparable(&want.stderr, any) != comparable(&stderr, any)
            || want.status != status
        {
            failures.push(format!(
                "{}:\n--- expected\n{}--- got\n{}",
                rel.display(),
                render_expect(&want.stdout, &want.stderr, want.status, any),
                render_expect(&stdout, &stderr, status, any)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden scripts differ (SNOW_JIT={jit}):\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
