//! `Runtime::simulated(seed)`: the seed fixes the interleaving, time is
//! virtual, and the run ends with its main process.
#![allow(clippy::unwrap_used)]
use snow_runtime::{from_fn, Atom, Runtime, Slice, SpawnOpts, Term};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Five processes, spawned by one main process, each logging its number
/// in three slices; the main process waits for a message that never
/// comes, and the test reads the log once the simulation is quiet.
fn interleaving(seed: u64) -> Vec<u32> {
    let rt = Runtime::simulated(seed);
    let log = Arc::new(Mutex::new(Vec::new()));
    let for_main = log.clone();
    let mut spawned = false;
    rt.spawn(from_fn(move |cx| {
        if !spawned {
            spawned = true;
            for i in 0..5 {
                let log = for_main.clone();
                let mut steps = 0;
                cx.spawn(
                    from_fn(move |_| {
                        log.lock().unwrap().push(i);
                        steps += 1;
                        if steps == 3 { Slice::Exit(Term::Atom(Atom::NORMAL)) } else { Slice::Yield }
                    }),
                    SpawnOpts::default(),
                );
            }
        }
        Slice::Wait(None)
    }));
    assert!(rt.settle(Duration::from_secs(10)), "the simulation never went quiet");
    let got = log.lock().unwrap().clone();
    rt.shutdown();
    got
}

#[test]
fn a_seed_fixes_the_interleaving_and_seeds_differ() {
    let runs: Vec<Vec<u32>> = (1..=8).map(interleaving).collect();
    for (seed, run) in (1..=8).zip(&runs) {
        assert_eq!(run.len(), 15, "seed {seed}: {run:?}");
        assert_eq!(&interleaving(seed), run, "seed {seed} replays");
    }
    let distinct: std::collections::BTreeSet<_> = runs.iter().collect();
    assert!(distinct.len() > 1, "8 seeds, one interleaving: {runs:?}");
}

#[test]
fn virtual_time_jumps_to_the_next_timer() {
    let rt = Runtime::simulated(1);
    let started = std::time::Instant::now();
    let at_start = rt.now();
    let mut armed = false;
    let woke = Arc::new(Mutex::new(None));
    let seen = woke.clone();
    let (_pid, exited) = rt.spawn_main(from_fn(move |cx| {
        if !armed {
            armed = true;
            // A receive deadline an hour away: the process waits for it.
            return Slice::Wait(Some(cx.runtime().now() + Duration::from_secs(3600)));
        }
        if cx.runtime().now() < at_start + Duration::from_secs(3600) {
            return Slice::Wait(Some(at_start + Duration::from_secs(3600)));
        }
        *seen.lock().unwrap() = Some(cx.runtime().now() - at_start);
        Slice::Exit(Term::Atom(Atom::NORMAL))
    }));
    assert_eq!(exited.recv_timeout(Duration::from_secs(10)).unwrap(), Term::Atom(Atom::NORMAL));
    let waited = woke.lock().unwrap().unwrap();
    assert!(waited >= Duration::from_secs(3600) && waited < Duration::from_secs(3601), "{waited:?}");
    assert!(started.elapsed() < Duration::from_secs(60), "an hour of virtual time took {:?}", started.elapsed());
    rt.shutdown();
}

#[test]
fn nothing_runs_after_the_main_process_ends() {
    let rt = Runtime::simulated(3);
    let log = Arc::new(Mutex::new(Vec::new()));
    let for_main = log.clone();
    let (_pid, exited) = rt.spawn_main(from_fn(move |cx| {
        let log = for_main.clone();
        cx.spawn(
            from_fn(move |_| {
                log.lock().unwrap().push("child ran");
                Slice::Yield // runnable forever, were the run not over
            }),
            SpawnOpts::default(),
        );
        Slice::Exit(Term::Atom(Atom::NORMAL))
    }));
    exited.recv_timeout(Duration::from_secs(10)).unwrap();
    let before = log.lock().unwrap().len();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(log.lock().unwrap().len(), before, "a process ran after the main process ended");
    rt.shutdown();
}
