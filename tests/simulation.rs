//! The deterministic simulation (`snow run --sim --seed N`, `snow --sim`):
//! a seed replays a run byte for byte, seeds choose interleavings, time is
//! virtual, and what a program prints agrees with a real run wherever the
//! program itself is not racy.
//!
//! (The differential scenarios of `tests/semantics.rs` run in simulation
//! too, against Erlang.)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SEEDS: [u64; 3] = [1, 7, 42];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// Runs `file` (shown relative to the workspace, as the goldens show it).
fn snow_sim(file: &Path, seed: u64) -> Output {
    let file = file.strip_prefix(root()).unwrap_or(file);
    Command::new(env!("CARGO_BIN_EXE_snow"))
        .args(["run", "--sim", "--seed", &seed.to_string()])
        .arg(file)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("snow runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Scripts of `dir` that stay on one node (a simulation is one node for now).
fn local_scripts(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("the directory exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "snow"))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|s| !s.contains("Node.") && !s.contains("Net.")))
        .collect();
    v.sort();
    v
}

/// The `--- stdout` section of a golden `.expect` file.
fn expected_stdout(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut out = String::new();
    let mut on = false;
    for line in text.split_inclusive('\n') {
        match line.trim_end() {
            "--- stdout" => on = true,
            l if l.starts_with("--- ") => on = false,
            _ if on => out.push_str(line),
            _ => {}
        }
    }
    Some(out)
}

#[test]
fn every_local_example_and_golden_script_replays_byte_for_byte() {
    let mut scripts = local_scripts("examples");
    scripts.extend(local_scripts("tests/golden"));
    scripts.extend(local_scripts("tests/simulation"));
    assert!(scripts.len() > 30, "found only {} scripts", scripts.len());
    for file in &scripts {
        for seed in SEEDS {
            let (a, b) = (snow_sim(file, seed), snow_sim(file, seed));
            let shown = file.display();
            assert_eq!(text(&a.stdout), text(&b.stdout), "{shown}, seed {seed}: stdout differs between two runs");
            assert_eq!(text(&a.stderr), text(&b.stderr), "{shown}, seed {seed}: stderr differs between two runs");
            assert_eq!(a.status.code(), b.status.code(), "{shown}, seed {seed}: status differs");
            assert!(!text(&a.stderr).contains("panicked"), "{shown}: {}", text(&a.stderr));
        }
    }
}

#[test]
fn local_examples_print_in_simulation_what_they_print_for_real() {
    for file in local_scripts("examples") {
        let want = expected_stdout(&file.with_extension("expect")).expect("each example has its .expect");
        for seed in SEEDS {
            let got = snow_sim(&file, seed);
            assert_eq!(text(&got.stdout), want, "{} with --sim --seed {seed}", file.display());
        }
    }
}

#[test]
fn the_seed_is_printed_first_and_again_when_the_run_fails() {
    let got = snow_sim(&root().join("tests/golden/runtime_error.snow"), 9);
    let err = text(&got.stderr);
    assert!(err.starts_with("snow: simulation seed 9\n"), "{err}");
    assert!(err.ends_with("snow: simulation seed 9 (replay with --sim --seed 9)\n"), "{err}");
    let ok = snow_sim(&root().join("examples/hello.snow"), 9);
    assert_eq!(text(&ok.stderr), "snow: simulation seed 9\n");
}

#[test]
fn seeds_choose_the_interleaving_and_each_seed_keeps_its_own() {
    let file = root().join("tests/simulation/lost_update.snow");
    let mut counts = std::collections::BTreeSet::new();
    for seed in 1..=20 {
        let out = text(&snow_sim(&file, seed).stdout);
        let last = out.lines().last().unwrap_or_default().to_string();
        assert!(last.starts_with("count "), "seed {seed}: {out}");
        assert_eq!(out, text(&snow_sim(&file, seed).stdout), "seed {seed} replays");
        counts.insert(last);
    }
    assert!(counts.len() >= 2, "20 seeds gave one interleaving only: {counts:?}");
}

#[test]
fn time_is_virtual_and_exact() {
    let got = snow_sim(&root().join("tests/simulation/virtual_time.snow"), 3);
    assert_eq!(
        text(&got.stdout),
        "sleeper 1 woke at 1000 ms\n\
         sleeper 2 woke at 2000 ms\n\
         sleeper 3 woke at 3000 ms\n\
         a timer fired at 63000 ms\n\
         an hour of waiting ended at 3663 s\n\
         the wall clock starts at 2026-01-01: 0 s off\n"
    );
}

#[test]
fn a_simulated_run_refuses_real_distribution_with_one_line() {
    let dir = std::env::temp_dir().join(format!("snow-sim-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let file = dir.join("node.snow");
    std::fs::write(&file, "println(inspect(Node.start(:\"a@127.0.0.1\", :cookie)))\n").expect("write");
    let got = snow_sim(&file, 1);
    assert_eq!(
        text(&got.stdout),
        "(:error, \"a simulated run (--sim) is a single node: distribution is not simulated yet\")\n"
    );
    let flag = Command::new(env!("CARGO_BIN_EXE_snow"))
        .args(["--sim", "--name", "a@127.0.0.1", "-e", ":ok"])
        .output()
        .expect("snow runs");
    assert_eq!(flag.status.code(), Some(1));
    assert!(text(&flag.stderr).contains("cannot start node a@127.0.0.1: a simulated run"), "{}", text(&flag.stderr));
    let net = Command::new(env!("CARGO_BIN_EXE_snow"))
        .args(["--sim", "--seed", "1", "-e", "Net.status()"])
        .output()
        .expect("snow runs");
    assert!(
        text(&net.stderr).contains("** (error) a simulated run (--sim) is a single node: distribution is not simulated yet"),
        "{}",
        text(&net.stderr)
    );
    let seed_alone = Command::new(env!("CARGO_BIN_EXE_snow")).args(["--seed", "3", "-e", ":ok"]).output().expect("runs");
    assert_eq!(seed_alone.status.code(), Some(2));
    assert_eq!(text(&seed_alone.stderr), "snow: --seed chooses a simulation's seed: add --sim\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Piped entries at `snow --sim`: time passes only while an entry runs, so
/// the same entries give the same transcript, timestamps included.
#[test]
fn the_repl_in_simulation_replays_a_session() {
    let entries = "let t0 = System.monotonic_time()\n\
        spawn(fn -> Process.sleep(5000); println(\"later ${div(System.monotonic_time() - t0, 1000)}\") end)\n\
        div(System.monotonic_time() - t0, 1000)\n\
        Process.sleep(6000)\n\
        div(System.monotonic_time() - t0, 1000)\n";
    let session = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_snow"))
            .args(["--sim", "--seed", "5"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("snow starts");
        child.stdin.take().expect("stdin").write_all(entries.as_bytes()).expect("write entries");
        let out = child.wait_with_output().expect("snow ends");
        (text(&out.stdout), text(&out.stderr))
    };
    let (first, err) = session();
    assert_eq!(err, "snow: simulation seed 5 (virtual time passes while an entry runs)\n");
    // The sleeper's line comes during the entry that lets 6 s pass.
    assert_eq!(first, "snow> 1\nsnow> #PID<0.2.0>\nsnow> 0\nsnow> later 5000\n:ok\nsnow> 6000\nsnow> \n");
    assert_eq!(session().0, first);
}

/// A trace of a simulated run carries virtual timestamps: two runs of a
/// seed write the same file, byte for byte.
#[test]
fn a_trace_replays_byte_for_byte() {
    let dir = std::env::temp_dir().join(format!("snow-sim-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let trace = |name: &str| {
        let path = dir.join(name);
        let out = Command::new(env!("CARGO_BIN_EXE_snow"))
            .args(["run", "--sim", "--seed", "2", "--trace"])
            .arg(&path)
            .arg("examples/link_chain.snow")
            .current_dir(root())
            .output()
            .expect("snow runs");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        std::fs::read_to_string(&path).expect("the trace was written")
    };
    let (a, b) = (trace("a.jsonl"), trace("b.jsonl"));
    assert!(a.contains("\"at_us\":1767225600"), "virtual time starts at 2026-01-01: {a}");
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}
