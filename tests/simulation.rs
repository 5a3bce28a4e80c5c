//! The deterministic simulation (`snow run --sim --seed N`, `snow --sim`):
//! a seed replays a run byte for byte, seeds choose interleavings, time is
//! virtual, a cluster of several nodes runs on a simulated network, and
//! what a program prints agrees with a real run wherever the program
//! itself is not racy.
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

/// Scripts of `dir`, one node or several, but not those that talk to an
/// `erl` node (they have an `.escript` beside them): a simulation's nodes
/// are all Snow nodes of the one program.
fn scripts_in(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("the directory exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "snow"))
        .filter(|p| !p.with_extension("escript").exists())
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
fn every_example_and_golden_script_replays_byte_for_byte() {
    let mut scripts = scripts_in("examples");
    scripts.extend(scripts_in("tests/golden"));
    scripts.extend(scripts_in("tests/simulation"));
    assert!(scripts.len() > 60, "found only {} scripts", scripts.len());
    let clusters = scripts.iter().filter(|p| std::fs::read_to_string(p).is_ok_and(|s| s.contains("Node.start_peer"))).count();
    assert!(clusters >= 10, "only {clusters} scripts start peers");
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
fn examples_print_in_simulation_what_they_print_for_real() {
    for file in scripts_in("examples") {
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
fn a_simulated_node_starts_without_ports_or_processes() {
    let named = Command::new(env!("CARGO_BIN_EXE_snow"))
        .args(["--sim", "--seed", "1", "--name", "a@127.0.0.1", "-e", "IO.inspect(Node.self())"])
        .output()
        .expect("snow runs");
    assert_eq!(text(&named.stdout), ":\"a@127.0.0.1\"\n", "{}", text(&named.stderr));
    let net = Command::new(env!("CARGO_BIN_EXE_snow"))
        .args(["--sim", "--seed", "1", "-e", "Net.status()"])
        .output()
        .expect("snow runs");
    assert!(text(&net.stderr).contains("** (error) this node is not distributed: start it with Node.start("), "{}", text(&net.stderr));
    let seed_alone = Command::new(env!("CARGO_BIN_EXE_snow")).args(["--seed", "3", "-e", ":ok"]).output().expect("runs");
    assert_eq!(seed_alone.status.code(), Some(2));
    assert_eq!(text(&seed_alone.stderr), "snow: --seed chooses a simulation's seed: add --sim\n");
}

/// Latency on the simulated network is drawn from the seed: a round trip
/// takes a different number of microseconds under different seeds, and
/// the same under the same seed.
#[test]
fn the_network_draws_latencies_from_the_seed() {
    let file = root().join("tests/simulation/round_trip.snow");
    let mut seen = std::collections::BTreeSet::new();
    for seed in 1..=6 {
        let out = text(&snow_sim(&file, seed).stdout);
        assert!(out.starts_with("round trip "), "seed {seed}: {out}");
        assert_eq!(out, text(&snow_sim(&file, seed).stdout), "seed {seed} replays");
        seen.insert(out);
    }
    assert!(seen.len() >= 3, "6 seeds gave {seen:?}");
}

/// The acceptance scenario: three nodes, ten minutes of virtual time,
/// heartbeats every 250 ms and a partition (`bench/snow/sim_cluster.snow`).
#[test]
fn three_nodes_for_ten_virtual_minutes_with_a_partition() {
    let got = snow_sim(&root().join("bench/snow/sim_cluster.snow"), 5);
    let out = text(&got.stdout);
    assert!(out.contains("reconnect c: true\n"), "{out}");
    assert!(
        out.contains("node events: [(:down, :\"sc_c@127.0.0.1\"), (:up, :\"sc_c@127.0.0.1\")]\n"),
        "{out}"
    );
    assert!(out.ends_with("virtual_s=600\n"), "{out}");
    let err = text(&got.stderr);
    assert!(err.contains("snow: node sc_c@127.0.0.1 not responding"), "{err}");
    assert!(err.contains("snow (sc_c@127.0.0.1): node sc_a@127.0.0.1 not responding"), "{err}");
}

/// A REPL session at `snow --sim --seed SEED` fed `entries` on a pipe:
/// its stdout and stderr.
fn repl_session(seed: u64, entries: &str) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_snow"))
        .args(["--sim", "--seed", &seed.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("snow starts");
    child.stdin.take().expect("stdin").write_all(entries.as_bytes()).expect("write entries");
    let out = child.wait_with_output().expect("snow ends");
    (text(&out.stdout), text(&out.stderr))
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
    let session = || repl_session(5, entries);
    let (first, err) = session();
    assert_eq!(err, "snow: simulation seed 5 (virtual time passes while an entry runs)\n");
    // The sleeper's line comes during the entry that lets 6 s pass.
    assert_eq!(first, "snow> 1\nsnow> #PID<0.2.0>\nsnow> 0\nsnow> later 5000\n:ok\nsnow> 6000\nsnow> \n");
    assert_eq!(session().0, first);
}

/// A cluster at the simulated REPL: a peer, a partition, the heartbeat's
/// verdict, a heal; the same entries give the same transcript.
#[test]
fn the_repl_in_simulation_replays_a_cluster_session() {
    let entries = "Node.start(\"a@127.0.0.1\", \"snow\")\n\
        Node.set_tick(1000)\n\
        let b = Node.start_peer(:b)\n\
        let p = Node.spawn(b, fn -> Process.sleep(:infinity) end)\n\
        Process.monitor(p)\n\
        Net.partition([Node.self()], [b])\n\
        Process.sleep(3000)\n\
        flush()\n\
        Net.heal()\n\
        Node.connect(b)\n\
        Node.list()\n";
    let session = || repl_session(11, entries);
    let (first, err) = session();
    assert!(first.contains("(:down, #Reference<0.0.0.2>, #PID<1.3.0>, :noconnection)\n"), "{first}");
    assert!(first.ends_with("true\nsnow(a@127.0.0.1)> [:\"b@127.0.0.1\"]\nsnow(a@127.0.0.1)> \n"), "{first}");
    assert!(err.contains("snow: node b@127.0.0.1 not responding (silent for the net tick time, 1000 ms)"), "{err}");
    assert_eq!(session(), (first, err));
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

/// `Net.random_faults`: the seed chooses the nemesis's schedule (the same
/// seed the same faults at the same moments), and every fault it made is
/// healed when its time is up.
#[test]
fn a_nemesis_schedule_replays_with_its_seed() {
    let file = root().join("tests/simulation/nemesis.snow");
    let mut schedules = std::collections::BTreeSet::new();
    for seed in [1, 2, 3] {
        let out = text(&snow_sim(&file, seed).stdout);
        assert!(out.contains(" :start ("), "seed {seed}: no fault drawn\n{out}");
        assert_eq!(out.matches(" :start (").count(), out.matches(" :heal (").count(), "seed {seed}: a fault left unhealed\n{out}");
        assert!(out.ends_with("status: [:up, :up, :up, :up, :up, :up]\n"), "seed {seed}\n{out}");
        assert_eq!(out, text(&snow_sim(&file, seed).stdout), "seed {seed} replays");
        schedules.insert(out);
    }
    assert_eq!(schedules.len(), 3, "three seeds, three schedules");
}
