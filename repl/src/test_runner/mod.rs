//! `snow test [PATHS...] [--repeat K] [--sim [--seed N]]`: runs the `test`
//! blocks of test files, each test alone in a fresh runtime, and reports
//! ExUnit's way: a progress line, the failures, `N passed, N failed`.
//! Status 0 when every test passed, 1 when one failed, 2 when the tests
//! could not run (a bad path, a file that does not compile).
//!
//! With `--sim` each test runs in a simulated runtime whose seed comes from
//! the run's seed and the test's name, so `snow test --sim --seed N
//! FILE:LINE` replays one test of a whole run exactly; `--repeat K` runs
//! the selection with the seeds N, N+1, ..., N+K-1.

mod console;
mod discover;
mod load;
mod report;
mod run;

use crate::node::Plan;
use crate::sim::SimPlan;
use load::Test;
use run::Verdict;
use std::path::PathBuf;

pub fn main(paths: &[PathBuf], repeat: u32, node: &Plan, sim: Option<&SimPlan>) -> i32 {
    console::install();
    let targets = match discover::targets(paths) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("{msg}");
            return 2;
        }
    };
    let mut tests: Vec<Test> = Vec::new();
    let mut broken = false;
    for target in &targets {
        match load::load(target) {
            Ok(found) => tests.extend(found),
            Err(()) => broken = true,
        }
    }
    if broken {
        return 2;
    }
    let repeat = repeat.max(1);
    if let Some(plan) = sim {
        match repeat {
            1 => console::lines(&format!("snow test: seed {}\n", plan.seed)),
            k => console::lines(&format!("snow test: seeds {} to {}\n", plan.seed, plan.seed.wrapping_add(u64::from(k) - 1))),
        }
    }
    let mut passed = 0;
    let mut failures: Vec<String> = Vec::new();
    let mut failing_seeds: Vec<u64> = Vec::new();
    for round in 0..repeat {
        let run_seed = sim.map(|p| p.seed.wrapping_add(u64::from(round)));
        for test in &tests {
            let seed = run_seed.map(|s| test_seed(s, test));
            let verdict = match run::run(test.proto, test.case.timeout, node, seed) {
                Ok(v) => v,
                Err(msg) => {
                    console::lines("");
                    eprintln!("{msg}");
                    return 2;
                }
            };
            console::progress(report::progress_char(&verdict));
            if let Verdict::Passed = verdict {
                passed += 1;
                continue;
            }
            let round_note = match (run_seed, repeat) {
                (_, 1) => String::new(),
                (Some(s), _) => format!(", seed {s}"),
                (None, k) => format!(", round {} of {k}", round + 1),
            };
            let replay = run_seed.map(|s| format!("snow test --sim --seed {s} {}", test.place));
            failures.push(report::failure(failures.len() + 1, test, &verdict, &round_note, replay.as_deref()));
            if let Some(s) = run_seed.filter(|s| !failing_seeds.contains(s)) {
                failing_seeds.push(s);
            }
        }
    }
    console::lines(&report::summary(&failures, passed, if repeat > 1 { &failing_seeds } else { &[] }));
    if failures.is_empty() {
        0
    } else {
        1
    }
}

/// A test's own seed: the run's seed and the test's file and name, mixed
/// by FNV-1a, so it is the same whichever tests run beside it.
fn test_seed(run_seed: u64, test: &Test) -> u64 {
    let file = std::path::Path::new(&test.file).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = run_seed.to_le_bytes().into_iter().chain(file.into_bytes()).chain([0]).chain(test.case.name.bytes());
    bytes.fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
