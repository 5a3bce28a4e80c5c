//! Native code for hot functions (`SNOW_JIT`): whatever it compiles, a
//! program prints the same, a spinning process is still preempted and
//! killed, and a simulation's schedule (which counts reductions) is the
//! same with native code as without.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// Runs `snow` with `SNOW_JIT=jit`. A loop that is never preempted shows
/// as a run that does not end: killed after 60 s, and the test fails.
fn snow(jit: &str, schedulers: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_snow"));
    cmd.args(args).current_dir(root()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env("SNOW_JIT", jit);
    if let Some(n) = schedulers {
        cmd.env("SNOW_SCHEDULERS", n);
    }
    let mut child = cmd.spawn().expect("snow runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("snow can be waited for").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("SNOW_JIT={jit} snow {args:?} did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("snow's output")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_spinning_loop_is_preempted_and_killed() {
    // One scheduler: `main` gets its turn only if the loop gives it back.
    // `idle_kill` is a tail call in place: interpreted (`off`), it takes the
    // short way back to the first instruction on every turn.
    for script in ["tests/jit/spin_kill.snow", "tests/jit/idle_kill.snow"] {
        for jit in ["eager", "on", "off"] {
            let o = snow(jit, Some("1"), &["run", script]);
            assert_eq!(stdout(&o), "down: :killed\n", "{script}, SNOW_JIT={jit}: {}", String::from_utf8_lossy(&o.stderr));
        }
    }
}

#[test]
fn native_code_leaves_a_simulated_schedule_as_it_was() {
    for seed in ["1", "7", "42"] {
        let args = ["run", "--sim", "--seed", seed, "tests/jit/race.snow"];
        let off = snow("off", None, &args);
        let eager = snow("eager", None, &args);
        assert!(off.status.success(), "{}", String::from_utf8_lossy(&off.stderr));
        assert!(stdout(&off).starts_with('['), "{}", stdout(&off));
        assert_eq!(stdout(&off), stdout(&eager), "seed {seed}: the same interleaving");
    }
}
