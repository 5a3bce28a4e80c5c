//! Native code for hot functions (`SNOW_JIT`): whatever it compiles, a
//! program prints the same, a spinning process is still preempted and
//! killed, and a simulation's schedule (which counts reductions) is the
//! same with native code as without.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn snow(jit: &str, schedulers: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_snow"));
    cmd.args(args).current_dir(root()).stdin(Stdio::null()).env("SNOW_JIT", jit);
    if let Some(n) = schedulers {
        cmd.env("SNOW_SCHEDULERS", n);
    }
    cmd.output().expect("snow runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_spinning_native_loop_is_preempted_and_killed() {
    // One scheduler: `main` gets its turn only if the loop gives it back.
    for jit in ["eager", "on", "off"] {
        let o = snow(jit, Some("1"), &["run", "tests/jit/spin_kill.snow"]);
        assert_eq!(stdout(&o), "down: :killed\n", "SNOW_JIT={jit}: {}", String::from_utf8_lossy(&o.stderr));
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
