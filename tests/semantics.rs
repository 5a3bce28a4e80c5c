//! Differential tests against Erlang/OTP, the reference for processes.md
//! rules 1–12.
//!
//! Every scenario in `tests/semantics/` is written twice: `NAME.snow` and
//! `NAME.erl` (a module `NAME` with `main/0`). Both must print the same
//! lines on stdout. The Erlang side prints through `snow_sem.erl`, which
//! shows Erlang terms in Snow's syntax and turns Erlang's
//! `{Detail, Stacktrace}` error reasons into Snow's `(:error, Detail)`;
//! neither side ever prints a pid or a reference. A scenario that Erlang
//! cannot express has a `NAME.expect` (the golden format, only its
//! `--- stdout` section is used) instead of a `.erl`.
//!
//! Per run: every `.erl` is compiled once (`erlc`) into a temporary
//! directory; then the scenarios run on a few threads, each running
//! `snow run NAME.snow` and `erl -noshell -pa TMP -eval 'snow_sem:run(NAME)'`
//! and comparing stdout. Only stdout is compared (crash reports differ
//! legitimately), but a Rust panic in snow, or a run that exceeds its time
//! limit, fails the scenario.
//!
//! Each scenario runs in a deterministic simulation too (`snow run --sim
//! --seed N` for each of `SIM_SEEDS`), which must print the same lines:
//! processes.md's rules hold whatever interleaving a seed chooses.
//!
//! Without `erl`/`erlc` on PATH the test prints a notice and passes, unless
//! `SNOW_REQUIRE_ERL=1`. `SNOW_SEMANTICS=name1,name2` runs only those.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The simulation seeds every scenario also runs with.
const SIM_SEEDS: [u64; 3] = [1, 2, 3];

/// No scenario takes more than a second or two; this catches hangs.
const LIMIT: Duration = Duration::from_secs(30);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn dir() -> PathBuf {
    root().join("tests/semantics")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

struct Output {
    stdout: String,
    stderr: String,
    timed_out: bool,
}

/// Runs `cmd` with a time limit, collecting stdout and stderr.
fn run(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let mut timed_out = false;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > LIMIT => {
                timed_out = true;
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("waiting for {cmd:?}: {e}"),
        }
    }
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    Output { stdout, stderr, timed_out }
}

/// The `--- stdout` section of a golden-format `.expect` file.
fn expected_stdout(text: &str) -> String {
    let mut out = String::new();
    let mut in_stdout = false;
    for line in text.split_inclusive('\n') {
        match line.trim_end() {
            "--- stdout" => in_stdout = true,
            "--- stderr" | "--- status" => in_stdout = false,
            _ if in_stdout => out.push_str(line),
            _ => {}
        }
    }
    out
}

/// Both outputs side by side from the first differing line on.
fn diff(want_label: &str, want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let first = w.iter().zip(&g).position(|(a, b)| a != b).unwrap_or(w.len().min(g.len()));
    let mut s = format!("  first difference at line {}\n", first + 1);
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i).copied(), g.get(i).copied());
        let mark = if a == b { ' ' } else { '!' };
        s.push_str(&format!(
            "  {mark} {:>3} | {:<60} | {}\n",
            i + 1,
            a.unwrap_or("<missing>"),
            b.unwrap_or("<missing>")
        ));
    }
    format!("  columns: {want_label} | snow\n{s}")
}

enum Reference {
    Erlang,
    Expect(PathBuf),
}

struct Scenario {
    name: String,
    reference: Reference,
}

fn scenarios() -> (Vec<Scenario>, Vec<String>) {
    let mut problems = Vec::new();
    let mut list = Vec::new();
    let only: Option<Vec<String>> =
        std::env::var("SNOW_SEMANTICS").ok().map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir()).expect("tests/semantics exists").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in &entries {
        let Some(name) = p.file_stem().and_then(|s| s.to_str()).map(str::to_string) else { continue };
        let ext = p.extension().and_then(|s| s.to_str()).unwrap_or("");
        if ext == "erl" && name != "snow_sem" && !p.with_extension("snow").exists() {
            problems.push(format!("{name}.erl has no {name}.snow"));
        }
        if ext != "snow" {
            continue;
        }
        let reference = if p.with_extension("erl").exists() {
            Reference::Erlang
        } else if p.with_extension("expect").exists() {
            Reference::Expect(p.with_extension("expect"))
        } else {
            problems.push(format!("{name}.snow has neither {name}.erl nor {name}.expect"));
            continue;
        };
        if only.as_ref().is_some_and(|o| !o.contains(&name)) {
            continue;
        }
        list.push(Scenario { name, reference });
    }
    (list, problems)
}

fn check(s: &Scenario, beams: &Path) -> Result<(), String> {
    let (want_label, want) = match &s.reference {
        Reference::Erlang => {
            let mut erl = Command::new("erl");
            erl.args(["-noshell", "-pa"])
                .arg(beams)
                .arg("-eval")
                .arg(format!("snow_sem:run({})", s.name))
                // a crash dump, if any, lands in the temporary directory
                .current_dir(beams);
            let out = run(erl);
            if out.timed_out {
                return Err(format!("  erl did not finish within {LIMIT:?}\n  stdout:\n{}", out.stdout));
            }
            ("erl", out.stdout)
        }
        Reference::Expect(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("  {}: {e}", path.display()))?;
            ("expect", expected_stdout(&text))
        }
    };
    check_snow(s, &[], want_label, &want)?;
    for seed in SIM_SEEDS {
        let seed = seed.to_string();
        check_snow(s, &["--sim", "--seed", &seed], want_label, &want)
            .map_err(|e| format!("  (snow run --sim --seed {seed})\n{e}"))?;
    }
    Ok(())
}

/// Runs the scenario's Snow side (with `options`) and compares its stdout.
fn check_snow(s: &Scenario, options: &[&str], want_label: &str, want: &str) -> Result<(), String> {
    let mut snow = Command::new(env!("CARGO_BIN_EXE_snow"));
    snow.arg("run").args(options).arg(format!("{}.snow", s.name)).current_dir(dir());
    let got = run(snow);
    if got.timed_out {
        return Err(format!("  snow did not finish within {LIMIT:?}\n{}", diff(want_label, want, &got.stdout)));
    }
    if got.stderr.contains("panicked at") {
        return Err(format!("  snow panicked:\n{}", got.stderr));
    }
    if got.stdout != want {
        let stderr = if got.stderr.is_empty() { String::new() } else { format!("  snow stderr:\n{}", got.stderr) };
        return Err(format!("{}{stderr}", diff(want_label, want, &got.stdout)));
    }
    Ok(())
}

#[test]
fn snow_matches_erlang() {
    let (list, problems) = scenarios();
    assert!(problems.is_empty(), "tests/semantics is not in pairs:\n{}", problems.join("\n"));
    assert!(!list.is_empty() || std::env::var_os("SNOW_SEMANTICS").is_some(), "no scenarios found");

    let need_erl = list.iter().any(|s| matches!(s.reference, Reference::Erlang));
    let have_erl = on_path("erl") && on_path("erlc");
    if need_erl && !have_erl {
        if std::env::var("SNOW_REQUIRE_ERL").is_ok_and(|v| v == "1") {
            panic!("erl/erlc not on PATH and SNOW_REQUIRE_ERL=1 (apt-get install -y erlang-base)");
        }
        println!("skipped: erl not installed (tests/semantics needs Erlang/OTP)");
        return;
    }

    let beams = std::env::temp_dir().join(format!("snow-semantics-{}", std::process::id()));
    std::fs::create_dir_all(&beams).expect("temporary directory");
    if need_erl {
        let mut erlc = Command::new("erlc");
        erlc.arg("-o").arg(&beams);
        for e in std::fs::read_dir(dir()).expect("tests/semantics").flatten() {
            if e.path().extension().is_some_and(|x| x == "erl") {
                erlc.arg(e.path());
            }
        }
        let out = erlc.output().expect("erlc runs");
        assert!(
            out.status.success(),
            "erlc failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // A few at a time: each scenario runs two programs, and some time
    // their own steps.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(s) = list.get(i) else { break };
                if let Err(e) = check(s, &beams) {
                    failures.lock().unwrap_or_else(|p| p.into_inner()).push(format!("{}:\n{e}", s.name));
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&beams);
    let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    failures.sort();
    println!("{} scenarios in {:.1?}", list.len(), started.elapsed());
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ from their reference (tests/semantics/NAME.snow vs NAME.erl or NAME.expect):\n\n{}",
        failures.len(),
        list.len(),
        failures.join("\n")
    );
}
