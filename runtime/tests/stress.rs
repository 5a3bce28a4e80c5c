//! Stress: a ring of 10,000 processes, ping-pong pairs, spawn storms; the
#![allow(clippy::unwrap_used)]
//! memory of an idle process (ignored: run with `--ignored --nocapture`).
mod common;
use common::*;
use crossbeam_channel::{bounded, Sender};
use snow_runtime::{from_fn, Behaviour, Cx, Pid, Runtime, Slice, SpawnOpts, Term};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Node {
    next: Option<Pid>,
    done: Arc<Sender<()>>,
}

impl Behaviour for Node {
    fn run(&mut self, cx: &mut Cx<'_>) -> Slice {
        while let Some(m) = cx.mailbox().remove(0) {
            match m {
                Term::Pid(p) => self.next = Some(p),
                Term::Int(0) => {
                    let _ = self.done.send(());
                }
                Term::Int(n) => {
                    if let Some(next) = self.next {
                        cx.send(next, Term::Int(n - 1));
                    }
                }
                _ => {}
            }
        }
        Slice::Wait(None)
    }
}

/// Sends a token `n * laps` hops round a ring of `n`; returns ns per hop.
fn ring(rt: &Runtime, n: usize, laps: usize) -> f64 {
    let (tx, rx) = bounded(1);
    let done = Arc::new(tx);
    let pids: Vec<Pid> = (0..n).map(|_| rt.spawn(Box::new(Node { next: None, done: done.clone() }))).collect();
    for (i, &p) in pids.iter().enumerate() {
        rt.send(p, Term::Pid(pids[(i + 1) % n]));
    }
    std::thread::sleep(Duration::from_millis(50));
    let hops = (n * laps) as i64;
    let start = Instant::now();
    rt.send(pids[0], Term::Int(hops));
    rx.recv_timeout(Duration::from_secs(60)).expect("the ring stalled: a lost wakeup?");
    let ns = start.elapsed().as_nanos() as f64 / hops as f64;
    for p in pids {
        rt.exit(p, Term::atom("kill"));
    }
    ns
}

#[test]
fn a_ring_of_10000_processes_on_two_workers() {
    let rt = Runtime::with_schedulers(2);
    let ns = ring(&rt, 10_000, 10);
    eprintln!("ring 10,000 x 10: {ns:.0} ns/msg");
    let t = Instant::now();
    while rt.process_count() > 0 && t.elapsed() < T {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(rt.process_count(), 0);
    rt.shutdown();
}

#[test]
#[ignore]
fn bench_ring_10000_x_100() {
    let rt = Runtime::new();
    let ns = ring(&rt, 10_000, 100);
    eprintln!("ring 10,000 x 100 on {} schedulers: {ns:.0} ns/msg", rt.schedulers());
    rt.shutdown();
}

#[test]
fn many_ping_pong_pairs_never_lose_a_wakeup() {
    let rt = Runtime::with_schedulers(2);
    let pairs = 64;
    let rounds = 2_000i64;
    let (tx, rx) = bounded(pairs);
    for _ in 0..pairs {
        let tx = tx.clone();
        let pong = rt.spawn(from_fn(|cx| {
            while let Some(m) = cx.mailbox().remove(0) {
                if let Term::Tuple(ref t) = m {
                    if let (Term::Pid(from), n) = (&t[0], &t[1]) {
                        cx.send(*from, n.clone());
                    }
                }
            }
            Slice::Wait(None)
        }));
        let mut started = false;
        rt.spawn(from_fn(move |cx| {
            let me = cx.pid();
            if !started {
                started = true;
                cx.send(pong, Term::tuple(vec![Term::Pid(me), Term::Int(rounds)]));
            }
            while let Some(m) = cx.mailbox().remove(0) {
                match m {
                    Term::Int(0) => {
                        let _ = tx.send(());
                        cx.exit(pong, Term::atom("kill"));
                        return Slice::Exit(Term::atom("normal"));
                    }
                    Term::Int(n) => cx.send(pong, Term::tuple(vec![Term::Pid(me), Term::Int(n - 1)])),
                    _ => {}
                }
            }
            Slice::Wait(None)
        }));
    }
    for _ in 0..pairs {
        rx.recv_timeout(Duration::from_secs(30)).expect("a pair stalled");
    }
    rt.shutdown();
}

#[test]
fn a_spawn_storm_with_links_and_monitors() {
    // 200 supervisors each spawn_link 100 children that exit at once with
    // a reason; supervisors trap and count the exits; plus a monitor each.
    let rt = Runtime::with_schedulers(2);
    let (tx, rx) = bounded(256);
    for _ in 0..200 {
        let tx = tx.clone();
        let mut seen = 0;
        let mut started = false;
        rt.spawn(from_fn(move |cx| {
            if !started {
                started = true;
                cx.set_trap_exit(true);
                for i in 0..100 {
                    let opts = SpawnOpts { link: true, monitor: i % 2 == 0 };
                    cx.spawn(ends_with(Term::atom("done")), opts);
                }
            }
            while let Some(m) = cx.mailbox().remove(0) {
                if let Term::Tuple(_) = m {
                    seen += 1;
                }
            }
            if seen == 150 {
                let _ = tx.send(());
                return Slice::Exit(Term::atom("normal"));
            }
            Slice::Wait(None)
        }));
    }
    for _ in 0..200 {
        rx.recv_timeout(Duration::from_secs(30)).expect("a supervisor stalled");
    }
    let t = Instant::now();
    while rt.process_count() > 0 && t.elapsed() < T {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(rt.process_count(), 0);
    rt.shutdown();
}

static IDLE_RUNS: AtomicUsize = AtomicUsize::new(0);
struct Idle;
impl Behaviour for Idle {
    fn run(&mut self, _cx: &mut Cx<'_>) -> Slice {
        IDLE_RUNS.fetch_add(1, Ordering::SeqCst);
        Slice::Wait(None)
    }
}

fn rss_bytes() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = s.split_whitespace().nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
    pages * 4096
}

#[test]
#[ignore]
fn memory_of_an_idle_process() {
    let rt = Runtime::with_schedulers(2);
    let n = 100_000;
    // warm up the table and the allocator
    let warm: Vec<Pid> = (0..1000).map(|_| rt.spawn(Box::new(Idle))).collect();
    std::thread::sleep(Duration::from_millis(100));
    let before = rss_bytes();
    let runs0 = IDLE_RUNS.load(Ordering::SeqCst);
    for _ in 0..n {
        rt.spawn(Box::new(Idle));
    }
    while IDLE_RUNS.load(Ordering::SeqCst) < runs0 + n {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    let after = rss_bytes();
    let per = (after - before) as f64 / n as f64;
    eprintln!("idle waiting process: {per:.0} bytes (RSS delta over {n}; runtime part only)");
    assert!(per < 400.0, "{per} bytes per idle process");
    drop(warm);
    rt.shutdown();
}
