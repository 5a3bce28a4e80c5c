//! Distribution with real `snow` processes on 127.0.0.1 (processes.md rules
//! 13–21): each test runs a script as node `a` that starts peers (more
//! `snow` OS processes) and prints what it sees, or drives a node over raw
//! TCP. Every test has its own port mapper and node names.

#![allow(clippy::unwrap_used)]

#[path = "support/cluster.rs"]
mod cluster;

use cluster::{temp_file, Epmd, Proc};
use snow_runtime::dist::control::Control;
use snow_runtime::dist::frame::{self, Frame, FrameReader};
use snow_runtime::dist::handshake::{self, flags, Local};
use snow_runtime::{Atom, Pid, Ref, Term};
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `script` as node `<test>_a@127.0.0.1` and returns (stdout, stderr).
fn run_node_script(test: &str, script: &str) -> (String, String) {
    let name = format!("{test}_a@127.0.0.1");
    let (status, out, err) = cluster::run_script(test, &["run", "--name", &name, "--cookie", "c"], script, LIMIT);
    assert_eq!(status, 0, "script failed\nstdout:\n{out}\nstderr:\n{err}");
    (out, err)
}

fn assert_lines(out: &str, want: &[&str]) {
    let got: Vec<&str> = out.lines().collect();
    assert_eq!(got, want, "\nfull stdout:\n{out}");
}

#[test]
fn remote_send_registered_send_and_spawn() {
    let (out, _) = run_node_script(
        "send",
        r#"
let b = Node.start_peer(:send_b)
println(b)
println(Node.list() == [b])
let me = self()
fn echo_loop() do
  receive do
    (from, msg) -> send(from, (:echo, msg, Node.self())); echo_loop()
  end
end
let echo = Node.spawn(b, fn ->
  Process.register(self(), :echo)
  send(me, :registered)
  echo_loop()
end)
receive do :registered -> :ok end
println(node(echo) == b)
send(echo, (self(), :by_pid))
receive do m -> println(m) end
send((:echo, b), (self(), :by_name))
receive do m -> println(m) end
send((:echo, "send_b@127.0.0.1"), (self(), :by_string_node))
receive do m -> println(m) end
send((:nobody, b), :dropped)
println(Node.ping(b))
println(Node.ping(:"nosuch@127.0.0.1"))
"#,
    );
    assert_lines(
        &out,
        &[
            ":\"send_b@127.0.0.1\"",
            "true",
            "true",
            "(:echo, :by_pid, :\"send_b@127.0.0.1\")",
            "(:echo, :by_name, :\"send_b@127.0.0.1\")",
            "(:echo, :by_string_node, :\"send_b@127.0.0.1\")",
            ":pong",
            ":pang",
        ],
    );
}

#[test]
fn links_and_monitors_both_ways() {
    let (out, _) = run_node_script(
        "links",
        r#"
Process.flag(:trap_exit, true)
let b = Node.start_peer(:links_b)
let me = self()
# a local process linked to a remote one that dies
let r1 = Node.spawn(b, fn -> receive do :die -> exit(:boom) end end)
Process.link(r1)
let m1 = Process.monitor(r1)
send(r1, :die)
receive do (:exit, ^r1, reason) -> println(("link", reason)) end
receive do (:down, ^m1, ^r1, reason) -> println(("monitor", reason)) end
# a remote process linked to and monitoring a local one that dies
let local = spawn(fn -> receive do :die -> exit(:bang) end end)
Node.spawn(b, fn ->
  Process.flag(:trap_exit, true)
  Process.link(local)
  let m = Process.monitor(local)
  send(me, :watching)
  receive do (:exit, ^local, r) -> send(me, (:remote_saw_exit, r)) end
  receive do (:down, ^m, ^local, r) -> send(me, (:remote_saw_down, r)) end
end)
receive do :watching -> send(local, :die) end
receive do (:remote_saw_exit, r) -> println(("remote link", r)) end
receive do (:remote_saw_down, r) -> println(("remote monitor", r)) end
# kill across nodes
let r2 = Node.spawn(b, fn -> Process.flag(:trap_exit, true); receive do _ -> :ok end end)
let m2 = Process.monitor(r2)
Process.exit(r2, :kill)
receive do (:down, ^m2, ^r2, reason) -> println(("kill", reason)) end
# unlink: no exit afterwards
let r3 = Node.spawn(b, fn -> receive do :die -> exit(:late) end end)
Process.link(r3)
Process.unlink(r3)
let m3 = Process.monitor(r3)
send(r3, :die)
receive do (:down, ^m3, ^r3, reason) -> println(("unlinked, down", reason)) end
receive do
  (:exit, ^r3, r) -> println(("unexpected exit", r))
after 200 -> println("no exit after unlink")
end
# demonitor: no down afterwards
let r4 = Node.spawn(b, fn -> receive do :die -> exit(:late) end end)
let m4 = Process.monitor(r4)
Process.demonitor(m4)
send(r4, :die)
receive do
  (:down, ^m4, _, r) -> println(("unexpected down", r))
after 200 -> println("no down after demonitor")
end
# spawn_link and spawn_monitor
let (r5, m5) = Node.spawn_monitor(b, fn -> exit(:from_spawn_monitor) end)
receive do (:down, ^m5, ^r5, reason) -> println(("spawn_monitor", reason)) end
let r6 = Node.spawn_link(b, fn -> exit(:from_spawn_link) end)
receive do (:exit, ^r6, reason) -> println(("spawn_link", reason)) end
# monitoring a dead remote pid, and a remote name nobody has
let m7 = Process.monitor(r1)
receive do (:down, ^m7, _, reason) -> println(("dead pid", reason)) end
let m8 = Process.monitor((:nobody, b))
receive do (:down, ^m8, who, reason) -> println(("no name", who, reason)) end
"#,
    );
    assert_lines(
        &out,
        &[
            "(\"link\", :boom)",
            "(\"monitor\", :boom)",
            "(\"remote link\", :bang)",
            "(\"remote monitor\", :bang)",
            "(\"kill\", :killed)",
            "(\"unlinked, down\", :late)",
            "no exit after unlink",
            "no down after demonitor",
            "(\"spawn_monitor\", :from_spawn_monitor)",
            "(\"spawn_link\", :from_spawn_link)",
            "(\"dead pid\", :noproc)",
            "(\"no name\", (:nobody, :\"links_b@127.0.0.1\"), :noproc)",
        ],
    );
}

#[test]
fn node_monitor_across_a_peer_restart_and_noconnection() {
    let (out, _) = run_node_script(
        "nmon",
        r#"
Process.flag(:trap_exit, true)
let b = :"nmon_b@127.0.0.1"
Node.monitor(b)
receive do m -> println(("not connected", m)) end
Node.start_peer(:nmon_b)
receive do m -> println(("started", m)) end
let r = Node.spawn(b, fn -> receive do _ -> :ok end end)
Process.link(r)
let m = Process.monitor(r)
let mn = Process.monitor((:net_kernel, b))
Node.kill_peer(b)
receive do (:exit, ^r, reason) -> println(("link", reason)) end
receive do (:down, ^m, ^r, reason) -> println(("monitor", reason)) end
receive do (:down, ^mn, who, reason) -> println(("by name", who, reason)) end
receive do m -> println(("killed", m)) end
println(Node.down_reason(b))
println(Node.list())
Node.start_peer(:nmon_b)
receive do m -> println(("restarted", m)) end
Node.disconnect(b)
receive do m -> println(("disconnected", m)) end
println(Node.down_reason(b))
println(Node.connect(b))
receive do m -> println(("reconnected", m)) end
Node.demonitor(b)
Node.stop_peer(b)
receive do
  m -> println(("unexpected", m))
after 300 -> println("quiet after demonitor")
end
"#,
    );
    assert_lines(
        &out,
        &[
            "(\"not connected\", (:nodedown, :\"nmon_b@127.0.0.1\"))",
            "(\"started\", (:nodeup, :\"nmon_b@127.0.0.1\"))",
            "(\"link\", :noconnection)",
            "(\"monitor\", :noconnection)",
            "(\"by name\", (:net_kernel, :\"nmon_b@127.0.0.1\"), :noconnection)",
            "(\"killed\", (:nodedown, :\"nmon_b@127.0.0.1\"))",
            ":connection_closed",
            "[]",
            "(\"restarted\", (:nodeup, :\"nmon_b@127.0.0.1\"))",
            "(\"disconnected\", (:nodedown, :\"nmon_b@127.0.0.1\"))",
            ":disconnect",
            "true",
            "(\"reconnected\", (:nodeup, :\"nmon_b@127.0.0.1\"))",
            "quiet after demonitor",
        ],
    );
}

#[test]
fn a_frozen_peer_is_detected_by_ticks_and_comes_back_when_thawed() {
    let (out, err) = run_node_script(
        "freeze",
        r#"
Node.set_tick(1000)
let b = Node.start_peer(:freeze_b)
Node.monitor(b)
let r = Node.spawn(b, fn -> receive do _ -> :ok end end)
let m = Process.monitor(r)
let t0 = System.monotonic_time()
Node.freeze_peer(b)
receive do (:down, ^m, ^r, reason) -> println(("monitor", reason)) end
receive do m -> println(m) end
let waited = (System.monotonic_time() - t0) / 1000
println(waited >= 900 and waited < 3000)
println(Node.down_reason(b))
Node.thaw_peer(b)
println(Node.connect(b))
receive do m -> println(m) end
"#,
    );
    assert_lines(
        &out,
        &[
            "(\"monitor\", :noconnection)",
            "(:nodedown, :\"freeze_b@127.0.0.1\")",
            "true",
            ":net_tick_timeout",
            "true",
            "(:nodeup, :\"freeze_b@127.0.0.1\")",
        ],
    );
    assert!(err.contains("freeze_b@127.0.0.1 not responding"), "{err}");
}

#[test]
fn a_closure_typed_at_the_repl_runs_on_a_peer() {
    let epmd = Epmd::start();
    let mut c = epmd.snow(&["--name", "repl_a@127.0.0.1", "--cookie", "c"]);
    c.env("NO_COLOR", "1");
    let mut p = Proc::start(c);
    let input = r#"let b = Node.start_peer(:repl_b)
let base = 40
let me = self()
fn helper(x) = x + 2
let job = fn n -> send(me, (Node.self(), helper(base) + n)) end
Node.spawn(b, job, 100)
receive do m -> m end
:quit
"#;
    p.stdin.as_mut().unwrap().write_all(input.as_bytes()).unwrap();
    p.close_stdin();
    assert_eq!(p.finish(LIMIT), 0, "{:?} {:?}", p.out, p.err);
    let all = p.out.join("\n");
    assert!(all.contains("(:\"repl_b@127.0.0.1\", 142)"), "stdout:\n{all}\nstderr:\n{:?}", p.err);
    assert!(all.contains("snow(repl_a@127.0.0.1)>"), "the prompt shows the node: {all}");
}

#[test]
fn a_wrong_cookie_is_refused_on_both_sides() {
    let epmd = Epmd::start();
    let mut b = Proc::start(epmd.snow(&["peer", "--name", "cookie_b@127.0.0.1", "--cookie", "right"]));
    let file = temp_file(
        "cookie",
        "main.snow",
        r#"
println(Node.connect(:"cookie_b@127.0.0.1"))
println(Node.ping(:"cookie_b@127.0.0.1"))
println(Node.list())
"#,
    );
    let client = snow_runtime::dist::epmd::EpmdClient::new(([127, 0, 0, 1], epmd.port).into());
    wait_for(|| client.port_please("cookie_b").ok().flatten());
    let mut cmd = epmd.snow(&["run", "--name", "cookie_a@127.0.0.1", "--cookie", "wrong"]);
    cmd.arg(&file);
    let mut a = Proc::start(cmd);
    assert_eq!(a.finish(LIMIT), 0);
    assert_eq!(a.out, ["false", ":pang", "[]"]);
    assert!(a.err.iter().all(|l| l.contains("refused: wrong cookie")), "{:?}", a.err);
    assert!(!a.err.is_empty());
    b.wait_err("refused: wrong cookie", LIMIT);
    assert!(b.err.iter().all(|l| l.starts_with("snow (cookie_b@127.0.0.1): connection attempt from")), "{:?}", b.err);
}

// ---- malformed frames, over raw TCP ------------------------------------

/// A hand-driven connection to a node: our own handshake, raw packets.
struct RawPeer {
    s: TcpStream,
    reader: FrameReader,
}

impl RawPeer {
    fn connect(epmd: &Epmd, me: &str, node: &str) -> RawPeer {
        let alive = node.split('@').next().unwrap();
        let client = snow_runtime::dist::epmd::EpmdClient::new(([127, 0, 0, 1], epmd.port).into());
        let port = wait_for(|| client.port_please(alive).ok().flatten()).port;
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let local = Local { name: me, creation: 77, cookie: "c", flags: flags::OFFERED, step: Duration::from_secs(5) };
        handshake::initiate(&mut s, &local, node).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        RawPeer { s, reader: FrameReader::default() }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let _ = self.s.write_all(bytes);
    }

    fn send(&mut self, c: &Control) {
        let (control, payload) = c.write(flags::OFFERED);
        let bytes = frame::encode_pass_through(&control, payload.as_ref()).unwrap();
        self.send_raw(&bytes);
    }

    /// The next control message, skipping ticks; `None` on EOF or timeout.
    fn next(&mut self, limit: Duration) -> Option<Control> {
        let end = std::time::Instant::now() + limit;
        loop {
            match self.reader.next_frame() {
                Ok(Some(Frame::Data(body))) => {
                    let (c, p) = frame::parse_body(&body).unwrap();
                    return Some(Control::read(&c, p).unwrap());
                }
                Ok(Some(Frame::Tick)) => continue,
                Ok(None) => {}
                Err(e) => panic!("bad frame from the node: {e}"),
            }
            if std::time::Instant::now() > end {
                return None;
            }
            match self.reader.read_from(&mut self.s) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(_) => {}
            }
        }
    }

    /// Whether the node closed this connection (EOF within `limit`).
    fn closed_within(&mut self, limit: Duration) -> bool {
        let end = std::time::Instant::now() + limit;
        while std::time::Instant::now() < end {
            if let Ok(0) = self.reader.read_from(&mut self.s) {
                return true;
            }
        }
        false
    }

    /// net_adm:ping's question to net_kernel; true if answered `yes`.
    fn is_auth(&mut self, me: Pid) -> bool {
        let tag = Term::Ref(Ref { node: 0, words: [9, 9, 9] });
        let call = Term::tuple(vec![
            Term::atom("$gen_call"),
            Term::tuple(vec![Term::Pid(me), tag.clone()]),
            Term::tuple(vec![Term::atom("is_auth"), Term::atom("raw@127.0.0.1")]),
        ]);
        self.send(&Control::RegSend { from: me, name: Atom::new("net_kernel"), msg: call });
        let end = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < end {
            if let Some(Control::Send { msg, .. }) = self.next(Duration::from_secs(1)) {
                return msg == Term::tuple(vec![tag, Term::atom("yes")]);
            }
        }
        false
    }
}

fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    let end = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(std::time::Instant::now() < end, "timed out");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn malformed_frames_close_only_their_connection() {
    let epmd = Epmd::start();
    let mut node = Proc::start(epmd.snow(&["peer", "--name", "frames_b@127.0.0.1", "--cookie", "c"]));
    // A healthy connection that must survive everything below. Its pids
    // are of node raw_ok (index learnt by decoding).
    let mut healthy = RawPeer::connect(&epmd, "raw_ok@127.0.0.1", "frames_b@127.0.0.1");
    let me = {
        let (n, c) = (Atom::new("raw_ok@127.0.0.1"), 77);
        Pid { node: snow_runtime::dist::nodes::index_of(n, c), id: 1, serial: 0, creation: c }
    };
    assert!(healthy.is_auth(me), "the healthy connection answers at first");

    let not_etf = [0, 0, 0, 3, 112, 1, 2];
    let atom_cache = [0, 0, 0, 4, 131, 68, 1, 0];
    let control_not_tuple = {
        let mut v = vec![0, 0, 0, 0, 112];
        v.extend(snow_runtime::dist::etf::encode(&Term::Int(5)).unwrap());
        let n = (v.len() - 4) as u32;
        v[..4].copy_from_slice(&n.to_be_bytes());
        v
    };
    let unknown_op = {
        let t = Term::tuple(vec![Term::Int(99), Term::Nil]);
        frame::encode_pass_through(&t, None).unwrap()
    };
    let send_without_payload = {
        let t = Term::tuple(vec![Term::Int(22), Term::Pid(me), Term::Pid(me)]);
        frame::encode_pass_through(&t, None).unwrap()
    };
    let deep = {
        let mut v = vec![0, 0, 0, 0, 112, 131];
        for _ in 0..100_000 {
            v.extend([104, 1]);
        }
        let n = (v.len() - 4) as u32;
        v[..4].copy_from_slice(&n.to_be_bytes());
        v
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not ETF", not_etf.to_vec()),
        ("atom cache header", atom_cache.to_vec()),
        ("control is not a tuple", control_not_tuple),
        ("unknown operation", unknown_op),
        ("send without payload", send_without_payload),
        ("nesting 100,000 deep", deep),
    ];
    for (i, (what, bytes)) in cases.iter().enumerate() {
        let mut bad = RawPeer::connect(&epmd, &format!("raw_bad{i}@127.0.0.1"), "frames_b@127.0.0.1");
        bad.send_raw(bytes);
        assert!(bad.closed_within(Duration::from_secs(10)), "{what}: the node keeps a connection that sent garbage");
        assert!(healthy.is_auth(me), "{what}: the healthy connection stopped answering");
    }
    // (A huge length prefix is not among them: Erlang may send a packet of
    // up to 4 GiB, and the reader waits for its bytes, allocating only what
    // arrives; dist_fuzz.rs checks that.)
    node.wait_err("closing the connection to raw_bad5@127.0.0.1", LIMIT);
    let closing: Vec<&String> = node.err.iter().filter(|l| l.contains("closing the connection")).collect();
    assert_eq!(closing.len(), cases.len(), "one line per bad connection: {:#?}", node.err);
    assert!(node.child.try_wait().unwrap().is_none(), "the node is still running");
}

#[test]
fn questions_about_remote_processes_are_answered_by_their_node() {
    let (out, err) = run_node_script(
        "ask",
        r#"
Node.set_tick(1000)
let b = Node.start_peer(:ask_b)
let me = self()
let p = Node.spawn(b, fn -> Process.register(self(), :worker); send(me, :ready); receive do x -> x end end)
receive do :ready -> :ok end
println(Process.alive?(p))
println(Process.info(p, :registered_name))
println(Process.info(p, :status))
let info = Process.info(p)
println((Map.get(info, :trap_exit), Map.get(info, :message_queue_len), Map.get(info, :links)))
let r = Process.monitor(p)
send(p, :stop)
receive do (:down, ^r, _, _) -> :ok end
println(Process.alive?(p))
println(Process.info(p))
println(Process.info(p, :status))
# A frozen node answers no ping: :pang within the tick time.
Node.freeze_peer(b)
let t0 = System.monotonic_time()
println(Node.ping(b))
println((System.monotonic_time() - t0) < 1500000)
Node.thaw_peer(b)
println(Node.ping(b))
# A node that cannot be reached: a :noconnection error, not a silent false.
let q = Node.spawn(b, fn -> receive do x -> x end end)
Node.kill_peer(b)
let (_, r2) = spawn_monitor(fn -> Process.alive?(q) end)
receive do (:down, ^r2, _, reason) -> println(reason) end
let (_, r3) = spawn_monitor(fn -> Process.info(q) end)
receive do (:down, ^r3, _, reason) -> println(reason) end
println(Node.ping(b))
"#,
    );
    assert_lines(
        &out,
        &[
            "true",
            "(:registered_name, :worker)",
            "(:status, :waiting)",
            "(false, 0, [])",
            "false",
            "nil",
            "nil",
            ":pang",
            "true",
            ":pong",
            "(:error, :noconnection)",
            "(:error, :noconnection)",
            ":pang",
        ],
    );
    assert!(err.contains("cannot reach ask_b@127.0.0.1 to ask about #PID<"), "the report says why: {err}");
}

#[test]
fn node_stop_stops_the_peers_it_started() {
    let (out, _) = run_node_script(
        "stop",
        r#"
let b = Node.start_peer(:stop_b)
println(Node.peers() == [b])
Node.stop()
println(Node.peers())
println(Node.self())
"#,
    );
    assert_lines(&out, &["true", "[]", ":\"nonode@nohost\""]);
}

/// Resident memory of a process we started, in bytes (`/proc/PID/status`).
fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[test]
fn a_sender_to_a_frozen_peer_is_suspended_at_the_busy_limit() {
    // Backpressure (Erlang's busy distribution port): a process flooding a
    // frozen peer is suspended once the connection's queue reaches the busy
    // limit; the node's memory stays near it, other processes run, a kill
    // still kills the suspended sender, and after the thaw every message
    // arrives, in order.
    const LIMIT_BYTES: u64 = 1 << 20;
    let epmd = Epmd::start();
    let script = r#"
let b = Node.start_peer(:busy_b)
let me = self()
let n = 300000

fn sink(counts, ok) do
  receive do
    (:done, from) -> send(from, (:sink, Map.get(counts, :a, 0), Map.get(counts, :k, 0), ok))
    (tag, i, _) ->
      let last = Map.get(counts, tag, 0)
      sink(Map.put(counts, tag, i), ok and i == last + 1)
  end
end

fn counter(counts) do
  receive do
    (:get, tag, from) -> send(from, (:count, Map.get(counts, tag, 0))); counter(counts)
    (tag, i) -> counter(Map.put(counts, tag, i))
  end
end

fn ticker(k) do
  receive do
    (:get, from) -> send(from, (:ticks, k)); ticker(k)
  after 10 -> ticker(k + 1)
  end
end

fn flood(_, _, i, n, _) when i > n = :ok
fn flood(s, tag, i, n, c) do
  send(s, (tag, i, "a payload of one hundred bytes, so that the queue fills quickly: 0123456789012345678901234567"))
  if rem(i, 1000) == 0 do
    send(c, (tag, i))
  end
  flood(s, tag, i + 1, n, c)
end

fn count(c, tag) do
  send(c, (:get, tag, self()))
  receive do (:count, x) -> x end
end

fn ticks(t) do
  send(t, (:get, self()))
  receive do (:ticks, x) -> x end
end

let s = Node.spawn(b, fn -> sink(%{}, true) end)
let c = spawn(fn -> counter(%{}) end)
let t = spawn(fn -> ticker(0) end)
println(Node.busy_limit())
println("baseline")
Process.sleep(300)
Node.freeze_peer(b)
let f = spawn(fn -> flood(s, :a, 1, n, c); send(me, :flood_done) end)
Process.sleep(1500)
let c1 = count(c, :a)
let t1 = ticks(t)
println(Process.info(f, :status))
Process.sleep(700)
let c2 = count(c, :a)
let t2 = ticks(t)
println("sender stopped: ${c1 == c2}, short of n: ${c1 < n}, others run: ${t2 > t1}")
let k = spawn(fn -> flood(s, :k, 1, n, c) end)
let kref = Process.monitor(k)
Process.sleep(200)
println(Process.info(k, :status))
Process.exit(k, :kill)
receive do
  (:down, ^kref, _, reason) -> println("killed while suspended: ${inspect(reason)}")
end
println("measure")
Node.thaw_peer(b)
receive do
  :flood_done -> println("flood done")
end
send(s, (:done, me))
receive do
  (:sink, a, kn, ok) -> println("sink got ${a} of ${n}, in order: ${ok}, some of the killed sender's: ${kn > 0}")
end
"#;
    let file = temp_file("busy", "main.snow", script);
    let mut cmd = epmd.snow(&[
        "run",
        "--name",
        "busy_a@127.0.0.1",
        "--cookie",
        "c",
        "--net-tick",
        "20000",
        "--dist-buf-busy-limit",
        &LIMIT_BYTES.to_string(),
    ]);
    cmd.arg(&file);
    let mut p = Proc::start(cmd);
    let pid = p.child.id();
    p.wait_out("baseline", LIMIT);
    let baseline = rss_of(pid);
    // Sample the node's memory until the frozen phase is over.
    let mut peak = baseline;
    let end = std::time::Instant::now() + LIMIT;
    while !p.out.iter().any(|l| l == "measure") {
        assert!(std::time::Instant::now() < end, "timed out\nstdout: {:#?}\nstderr: {:#?}", p.out, p.err);
        p.pump(Duration::from_millis(20));
        peak = peak.max(rss_of(pid));
    }
    let status = p.finish(LIMIT);
    let (out, err) = (p.out.join("\n"), p.err.join("\n"));
    assert_eq!(status, 0, "script failed\nstdout:\n{out}\nstderr:\n{err}");
    assert_lines(
        &out,
        &[
            "1048576",
            "baseline",
            "(:status, :suspended)",
            "sender stopped: true, short of n: true, others run: true",
            "(:status, :suspended)",
            "killed while suspended: :killed",
            "measure",
            "flood done",
            "sink got 300000 of 300000, in order: true, some of the killed sender's: true",
        ],
    );
    let grew = peak.saturating_sub(baseline);
    eprintln!("busy limit {LIMIT_BYTES} B: RSS {baseline} B at the start, peak {peak} B while frozen (+{grew} B)");
    // The queue holds at most the limit plus one message; its buffers may
    // be twice that (a vector's growth), plus the allocator's slack.
    assert!(grew < 2 * LIMIT_BYTES + 4 * (1 << 20), "the node grew by {grew} bytes while its peer was frozen");
}

/// The scenarios above that a script drives, again with all their nodes in
/// one simulated process (`--sim --seed 1`): the same assertions hold
/// (issue 14). The others speak raw TCP or the busy limit, which only real
/// sockets have.
mod simulated {
    use super::cluster::simulated;

    #[test]
    fn remote_send_registered_send_and_spawn() {
        simulated(super::remote_send_registered_send_and_spawn)
    }
    #[test]
    fn links_and_monitors_both_ways() {
        simulated(super::links_and_monitors_both_ways)
    }
    #[test]
    fn node_monitor_across_a_peer_restart_and_noconnection() {
        simulated(super::node_monitor_across_a_peer_restart_and_noconnection)
    }
    #[test]
    fn a_frozen_peer_is_detected_by_ticks_and_comes_back_when_thawed() {
        simulated(super::a_frozen_peer_is_detected_by_ticks_and_comes_back_when_thawed)
    }
    #[test]
    fn questions_about_remote_processes_are_answered_by_their_node() {
        simulated(super::questions_about_remote_processes_are_answered_by_their_node)
    }
    #[test]
    fn node_stop_stops_the_peers_it_started() {
        simulated(super::node_stop_stops_the_peers_it_started)
    }
}
