//! Backpressure on a connection (Erlang's busy distribution port), with a
//! hand-driven peer over real TCP: it completes the handshake, then reads
//! nothing (a frozen node) until told to.
#![allow(clippy::unwrap_used)]

use snow_runtime::dist::connection::{busy_limit, set_busy_limit};
use snow_runtime::dist::control::Control;
use snow_runtime::dist::frame::{self, Frame, FrameReader};
use snow_runtime::dist::handshake::{self, flags, Local};
use snow_runtime::dist::{nodes, Distribution};
use snow_runtime::{from_fn, Atom, Pid, Runtime, Slice, Term};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LIMIT: usize = 64 * 1024;
const PAYLOAD: usize = 1000;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A peer that dialled node `a` (on `port`) as `name`: its socket and a pid
/// of it, as `a` knows them.
fn frozen_peer(name: &str, port: u16) -> (TcpStream, Pid) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let local = Local { name, creation: 77, cookie: "c", flags: flags::OFFERED, step: Duration::from_secs(5) };
    handshake::initiate(&mut s, &local, "bp_a@127.0.0.1").unwrap();
    let node = Atom::new(name);
    (s, Pid { node: nodes::index_of(node, 77), id: 1, serial: 0, creation: 77 })
}

/// A process sending `(tag, i, payload)` for i = 1..=n to `to`, counting
/// in `sent`; it ends its slice after a send that finds the connection busy,
/// as the VM does.
fn sender(rt: &Runtime, to: Pid, tag: i64, n: i64, sent: Arc<AtomicUsize>) -> Pid {
    let payload = Term::str(&"x".repeat(PAYLOAD));
    let mut i = 0;
    rt.spawn(from_fn(move |cx| {
        for _ in 0..1000 {
            if i == n {
                return Slice::Exit(Term::atom("normal"));
            }
            i += 1;
            cx.send(to, Term::tuple(vec![Term::Int(tag), Term::Int(i), payload.clone()]));
            sent.store(i as usize, SeqCst);
            if cx.busy() {
                return Slice::Yield;
            }
        }
        Slice::Yield
    }))
}

fn status(rt: &Runtime, pid: Pid) -> String {
    rt.info(pid).map_or("dead".into(), |i| i.status.as_str().to_string())
}

#[test]
fn a_sender_is_suspended_on_a_busy_connection_until_it_drains_or_goes_down() {
    // No port mapper: the node listens on a fixed port, peers dial it.
    std::env::set_var("ERL_EPMD_PORT", free_port().to_string());
    let rt = Runtime::with_schedulers(2);
    let port = free_port();
    let d = Distribution::start(&rt, &format!("bp_a@127.0.0.1:{port}"), "c").unwrap();
    assert_eq!(busy_limit(), 1 << 20, "Erlang's default");
    set_busy_limit(LIMIT);
    let frozen = Atom::new("bp_frozen@127.0.0.1");
    let (mut s, peer) = frozen_peer("bp_frozen@127.0.0.1", port);
    wait_until("connected", || d.is_connected(frozen));

    // Another process keeps running throughout.
    let spins = Arc::new(AtomicUsize::new(0));
    let spins2 = spins.clone();
    let spinner = rt.spawn(from_fn(move |_| {
        spins2.fetch_add(1, SeqCst);
        std::thread::sleep(Duration::from_micros(200));
        Slice::Yield
    }));

    // 1. A flood: suspended once the queue reaches the limit; it stays so.
    let n = 20_000;
    let sent = Arc::new(AtomicUsize::new(0));
    let a = sender(&rt, peer, 1, n, sent.clone());
    let a_exit = rt.watch_exit(a);
    wait_until("the sender is suspended", || status(&rt, a) == "suspended");
    // Until the socket's kernel buffers are full, the writer may still drain
    // the queue below the limit and resume the sender (a loaded machine
    // delays the writer): wait for the suspension that lasts.
    let mut count = sent.load(SeqCst);
    wait_until("the sender stays suspended", || {
        std::thread::sleep(Duration::from_millis(100));
        let now = sent.load(SeqCst);
        let still = now == count && status(&rt, a) == "suspended";
        count = now;
        still
    });
    let spun = spins.load(SeqCst);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sent.load(SeqCst), count, "a suspended sender sends nothing");
    assert!(count < n as usize);
    assert!(spins.load(SeqCst) > spun, "other processes keep running");
    let pending = d.pending_output(frozen).unwrap();
    assert!((LIMIT..LIMIT + 2 * PAYLOAD).contains(&pending), "{pending} bytes queued, limit {LIMIT}");

    // 2. A message to a busy connection is queued, and its sender
    //    suspended; an exit signal still ends it.
    let k_sent = Arc::new(AtomicUsize::new(0));
    let k = sender(&rt, peer, 2, n, k_sent.clone());
    let k_exit = rt.watch_exit(k);
    wait_until("the second sender is suspended", || status(&rt, k) == "suspended");
    assert_eq!(k_sent.load(SeqCst), 1);
    rt.exit(k, Term::atom("kill"));
    assert_eq!(k_exit.recv_timeout(Duration::from_secs(5)).unwrap(), Term::atom("killed"));

    // 3. The peer reads again: the sender resumes, and everything arrives
    //    once and in order (the killed sender's one message too).
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut reader = FrameReader::default();
    let (mut last, mut k_got) = (0i64, 0);
    let end = Instant::now() + Duration::from_secs(20);
    while last < n {
        assert!(Instant::now() < end, "only {last} of {n} arrived");
        while let Some(frame) = reader.next_frame().unwrap() {
            let Frame::Data(body) = frame else { continue };
            let (c, p) = frame::parse_body(&body).unwrap();
            let Ok(Control::Send { msg, .. }) = Control::read(&c, p) else { continue };
            let Term::Tuple(t) = &msg else { continue };
            match (&t[0], &t[1]) {
                (Term::Int(1), Term::Int(i)) => {
                    assert_eq!(*i, last + 1, "in order, once");
                    last = *i;
                }
                (Term::Int(2), Term::Int(1)) => k_got += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        let _ = reader.read_from(&mut s);
    }
    assert_eq!(k_got, 1);
    assert_eq!(a_exit.recv_timeout(Duration::from_secs(5)).unwrap(), Term::atom("normal"));
    assert_eq!(sent.load(SeqCst), n as usize);

    // 4. A connection that goes down resumes its suspended senders.
    let gone = Atom::new("bp_gone@127.0.0.1");
    let (s2, peer2) = frozen_peer("bp_gone@127.0.0.1", port);
    wait_until("connected", || d.is_connected(gone));
    let b_sent = Arc::new(AtomicUsize::new(0));
    let b = sender(&rt, peer2, 3, i64::MAX, b_sent.clone());
    wait_until("the third sender is suspended", || status(&rt, b) == "suspended");
    let count = b_sent.load(SeqCst);
    s2.shutdown(Shutdown::Both).unwrap();
    // Its next messages go to a new connection attempt, which fails (no
    // port mapper): they are lost, as on a cut wire.
    wait_until("the third sender runs again", || b_sent.load(SeqCst) > count);
    rt.exit(b, Term::atom("kill"));
    rt.exit(spinner, Term::atom("kill"));
    d.stop();
    rt.shutdown();
}
