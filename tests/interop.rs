//! Interop with a real Erlang/OTP node (processes.md rule 20): a Snow node
//! and an `erl` node on 127.0.0.1 with the same cookie, each running one
//! half of a scenario (`tests/interop/interop.erl` and the Snow scripts
//! below), both printing what they see.
//!
//! Without `erl` the tests print a notice and pass, unless
//! `SNOW_REQUIRE_ERL=1` (as `.ci/run` sets), where they fail.

#![allow(clippy::unwrap_used)]

#[path = "support/cluster.rs"]
mod cluster;

use cluster::{erl_available, root, temp_file, Epmd, Proc};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// `interop.erl`, compiled once per run.
fn beam_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("snow-interop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("erlc").arg("-o").arg(&dir).arg(root().join("tests/interop/interop.erl")).output().unwrap();
        assert!(out.status.success(), "erlc failed: {}", String::from_utf8_lossy(&out.stderr));
        dir
    })
    .clone()
}

struct Pair {
    _epmd: Epmd,
    snow: Proc,
    erl: Proc,
    s: String,
}

impl Pair {
    /// Waits for both halves; each must exit 0.
    fn finish_both(&mut self) {
        assert_eq!(self.erl.finish(LIMIT), 0, "erl: {:?}", self.erl.err);
        assert_eq!(self.snow.finish(LIMIT), 0, "snow: {:?}", self.snow.err);
    }
}

/// Starts the Snow half (waits for its `ready`), then the Erlang half.
fn start(test: &str, scenario: &str, snow_script: &str) -> Pair {
    start_with(test, scenario, snow_script, "")
}

/// `start`, with `erl_flags` for the Erlang half (`ERL_FLAGS`).
fn start_with(test: &str, scenario: &str, snow_script: &str, erl_flags: &str) -> Pair {
    let epmd = Epmd::start();
    let s = format!("{test}_s@127.0.0.1");
    let e = format!("{test}_e@127.0.0.1");
    let file = temp_file(test, "snow_half.snow", snow_script);
    let mut cmd = epmd.snow(&["run", "--name", &s, "--cookie", "interop"]);
    cmd.arg(&file);
    let mut snow = Proc::start(cmd);
    snow.wait_out("ready", LIMIT);
    let eval = format!("interop:{scenario}(['{s}']), halt().");
    let mut erl_cmd = epmd.erl(&e, "interop", &beam_dir(), &eval);
    if !erl_flags.is_empty() {
        erl_cmd.env("ERL_FLAGS", erl_flags);
    }
    let erl = Proc::start(erl_cmd);
    Pair { _epmd: epmd, snow, erl, s }
}

fn lines(p: &Proc) -> Vec<String> {
    p.out.iter().filter(|l| *l != "ready").cloned().collect()
}

#[test]
fn ping_pong_and_sends_both_ways() {
    if !erl_available("interop::ping_pong_and_sends_both_ways") {
        return;
    }
    let mut p = start(
        "i_ping",
        "ping_and_send",
        r#"
Process.register(self(), :snowbox)
println("ready")
let from = receive do (:hello, f) -> f end
let e = node(from)
Node.monitor(e)
send(from, (:hi, self()))
println(Node.ping(e))
println(Node.list() == [e])
send((:erlbox, e), (:from_snow, 1))
receive do :done -> println("snow: done, sent to my pid") end
send(from, :bye)
receive do (:nodedown, ^e) -> println("snow: nodedown") end
"#,
    );
    p.finish_both();
    let s = &p.s;
    assert_eq!(
        lines(&p.erl),
        [
            "ping pong".to_string(),
            format!("pid reply from '{s}'"),
            "registered send from snow 1".into(),
            "global:sync ok".into(),
            "hidden true".into()
        ]
    );
    assert_eq!(lines(&p.snow), [":pong", "true", "snow: done, sent to my pid", "snow: nodedown"]);
}

#[test]
fn monitors_both_ways() {
    if !erl_available("interop::monitors_both_ways") {
        return;
    }
    let mut p = start(
        "i_mon",
        "monitors",
        r#"
Process.register(self(), :snowbox)
let victim = spawn(fn -> receive do (:die, r) -> exit(r) end end)
Process.register(victim, :victim)
println("ready")
let from = receive do (:who, f) -> f end
let e = node(from)
Node.monitor(e)
send(from, (:victim, victim))
let epid = receive do (:eproc_ready, p) -> p end
let r1 = Process.monitor((:eproc, e))
let r2 = Process.monitor(epid)
send(epid, :go)
receive do (:down, ^r1, who, reason) -> println(("snow: down by name", who == (:eproc, e), reason)) end
receive do (:down, ^r2, who, reason) -> println(("snow: down by pid", who == epid, reason)) end
let r3 = Process.monitor((:eproc, e))
receive do (:down, ^r3, _, reason) -> println(("snow: name gone", reason)) end
send((:erlctl, e), :done)
receive do (:nodedown, ^e) -> println("snow: nodedown") end
"#,
    );
    p.finish_both();
    let s = &p.s;
    assert_eq!(
        lines(&p.erl),
        [
            "erl: down by pid boom".to_string(),
            format!("erl: down by name {{victim,'{s}'}} boom"),
            "erl: dead pid noproc".into(),
            format!("erl: no name {{nobody,'{s}'}} noproc"),
        ]
    );
    assert_eq!(
        lines(&p.snow),
        [
            "(\"snow: down by name\", true, :bang)",
            "(\"snow: down by pid\", true, :bang)",
            "(\"snow: name gone\", :noproc)",
            "snow: nodedown"
        ]
    );
}

#[test]
fn links_both_ways_including_killed() {
    if !erl_available("interop::links_both_ways_including_killed") {
        return;
    }
    let mut p = start(
        "i_link",
        "links",
        r#"
Process.flag(:trap_exit, true)
Process.register(self(), :snowbox)
let worker = spawn(fn -> receive do _ -> :ok end end)
println("ready")
let from = receive do (:who, f) -> f end
let e = node(from)
Node.monitor(e)
send(from, (:worker, worker))
receive do :linked -> Process.exit(worker, :kill) end
let e1 = receive do (:elink, p) -> p end
Process.link(e1)
send(e1, :linked_from_snow)
receive do (:exit, ^e1, reason) -> println(("snow: link exit", reason)) end
let e2 = receive do (:elink, p) -> p end
Process.link(e2)
send(e2, :linked_from_snow)
receive do (:exit, ^e2, reason) -> println(("snow: link exit", reason)) end
send((:erlctl, e), :done)
receive do (:nodedown, ^e) -> println("snow: nodedown") end
"#,
    );
    p.finish_both();
    assert_eq!(lines(&p.erl), ["erl: exit from snow killed"]);
    assert_eq!(
        lines(&p.snow),
        ["(\"snow: link exit\", :killed)", "(\"snow: link exit\", :shutdown_by_erl)", "snow: nodedown"]
    );
}

#[test]
fn erl_sees_nodedown_and_noconnection_when_snow_is_killed() {
    if !erl_available("interop::erl_sees_nodedown_and_noconnection_when_snow_is_killed") {
        return;
    }
    let mut p = start(
        "i_kill",
        "nodedown_when_snow_dies",
        r#"
Process.register(self(), :snowbox)
let worker = spawn(fn -> receive do _ -> :ok end end)
println("ready")
let from = receive do (:who, f) -> f end
send(from, (:worker, worker))
receive do :die -> :ok end
println("armed")
receive do :never -> :ok end
"#,
    );
    p.erl.wait_out("armed", LIMIT);
    p.snow.wait_out("armed", LIMIT);
    let _ = p.snow.child.kill(); // SIGKILL: the OS closes its sockets
    assert_eq!(p.erl.finish(LIMIT), 0);
    assert_eq!(lines(&p.erl), ["armed", "erl: link noconnection", "erl: monitor noconnection", "erl: nodedown true"]);
}

#[test]
fn snow_sees_nodedown_and_noconnection_when_erl_dies() {
    if !erl_available("interop::snow_sees_nodedown_and_noconnection_when_erl_dies") {
        return;
    }
    let mut p = start(
        "i_erldie",
        "nodedown_when_erl_dies",
        r#"
Process.flag(:trap_exit, true)
Process.register(self(), :snowbox)
println("ready")
let (from, epid) = receive do (:hello, f, p) -> (f, p) end
let e = node(from)
Node.monitor(e)
Process.link(epid)
let m = Process.monitor(epid)
send(from, :watching)
receive do (:exit, ^epid, r) -> println(("snow: link", r)) end
receive do (:down, ^m, _, r) -> println(("snow: monitor", r)) end
receive do (:nodedown, n) -> println(("snow: nodedown", n == e)) end
"#,
    );
    p.finish_both();
    assert_eq!(
        lines(&p.snow),
        ["(\"snow: link\", :noconnection)", "(\"snow: monitor\", :noconnection)", "(\"snow: nodedown\", true)"]
    );
}

#[test]
fn the_erl_watch_example_pair() {
    if !erl_available("interop::the_erl_watch_example_pair") || !cluster::on_path("escript") {
        return;
    }
    let epmd = Epmd::start();
    let mut snow = Proc::start(epmd.snow(&["examples/erl_watch.snow"]));
    snow.wait_out("waiting for", LIMIT);
    let mut esc = Command::new("escript");
    esc.arg(root().join("examples/erl_watch.escript"))
        .env("ERL_EPMD_PORT", epmd.port.to_string())
        .env("ERL_FLAGS", "-start_epmd false");
    let mut erl = Proc::start(esc);
    assert_eq!(erl.finish(LIMIT), 0, "{:?}", erl.err);
    assert_eq!(snow.finish(LIMIT), 0, "{:?}", snow.err);
    assert_eq!(erl.out, ["erl: watching a process on 'snow_watch@127.0.0.1'", "erl: the snow process went down: snow_says_bye"]);
    assert_eq!(
        snow.out,
        [
            "waiting for erl_watch@127.0.0.1 ...",
            "erl says hello from :\"erl_watch@127.0.0.1\"",
            "the erl process went down: :erl_says_bye",
            "then its node: (:nodedown, :\"erl_watch@127.0.0.1\")"
        ]
    );
}

#[test]
fn questions_and_pings_both_ways_and_after_erl_stops() {
    if !erl_available("interop::questions_and_pings_both_ways_and_after_erl_stops") {
        return;
    }
    let mut p = start(
        "i_ask",
        "questions",
        r#"
Process.register(self(), :snowbox)
println("ready")
let (from, w) = receive do (:hello, f, w) -> (f, w) end
let e = node(from)
Node.monitor(e)
println(Node.ping(e))
println(Process.alive?(w))
println(Process.info(w, :registered_name))
println(Process.info(w, :trap_exit))
println(Process.info(w, :links))
send(from, (:me, self()))
receive do :rpc_done -> :ok end
send(from, :stop)
receive do (:nodedown, ^e) -> :ok end
println(Node.ping(e))
let (_, r) = spawn_monitor(fn -> Process.alive?(w) end)
receive do (:down, ^r, _, reason) -> println(reason) end
"#,
    );
    p.finish_both();
    assert_eq!(
        lines(&p.erl),
        ["erl: rpc alive true", "erl: rpc status {status,waiting}", "erl: rpc node true", "erl: rpc unknown badrpc"]
    );
    assert_eq!(
        lines(&p.snow),
        [":pong", "true", "(:registered_name, :eworker)", "(:trap_exit, true)", "(:links, [])", ":pang", "(:error, :noconnection)"]
    );
}

#[test]
fn deep_and_large_terms_cross_both_ways() {
    if !erl_available("interop::deep_and_large_terms_cross_both_ways") {
        return;
    }
    let mut p = start(
        "i_big",
        "big_terms",
        r#"
Process.register(self(), :snowbox)
println("ready")
fn echo(0) = :ok
fn echo(n) do
  receive do
    (from, x) ->
      send(from, (:echo, x))
      println(String.length(inspect(x)))
  end
  echo(n - 1)
end
echo(5)
# Ending now could close the connection before erl has looked at it.
receive do :bye -> :ok after 30000 -> :ok end
"#,
    );
    p.finish_both();
    assert_eq!(lines(&p.erl), ["true", "true", "true", "true", "true", "still connected true"]);
    let lengths: Vec<usize> = lines(&p.snow).iter().map(|l| l.parse().unwrap()).collect();
    // [[...0...]]; ((...(0, :x)...), :x); "snowsnow..."; the list; the map
    assert_eq!(lengths[..3], [2 * 1100 + 1, 200_000 * 6 + 1, 80_000_002]);
    assert_eq!(lengths.len(), 5);
    assert!(p.snow.err.iter().all(|l| !l.contains("closing")), "{:?}", p.snow.err);
}

#[test]
fn a_snow_node_cuts_its_link_with_erl_from_its_side_alone() {
    if !erl_available("interop::a_snow_node_cuts_its_link_with_erl_from_its_side_alone") {
        return;
    }
    let mut p = start(
        "i_cut",
        "cut",
        r#"
Node.set_tick(1000)
Process.register(self(), :snowbox)
println("ready")
let from = receive do (:hello, f) -> f end
let e = node(from)
Node.monitor(e)
Net.cut(e, Node.self())
receive do (:nodedown, ^e) -> println("snow: " <> inspect(Node.down_reason(e))) end
println("snow: connect " <> inspect(Node.connect(e)))
Process.sleep(1000)
Net.heal()
receive do (:nodeup, ^e) -> println("snow: nodeup") end
receive do (:nodedown, ^e) -> :ok end
"#,
    );
    p.finish_both();
    assert_eq!(
        lines(&p.erl),
        [
            "erl: nodedown",
            "erl: ping during the cut pang",
            "erl: ping after the heal pong"
        ]
    );
    assert_eq!(
        lines(&p.snow),
        [
            "snow: :net_tick_timeout",
            "snow: connect false",
            "snow: nodeup"
        ]
    );
}

#[test]
fn a_cut_from_snow_to_erl_is_noticed_by_erls_heartbeat() {
    if !erl_available("interop::a_cut_from_snow_to_erl_is_noticed_by_erls_heartbeat") {
        return;
    }
    let mut p = start_with(
        "i_cutto",
        "cut_from_snow",
        r#"
Process.register(self(), :snowbox)
println("ready")
let from = receive do (:hello, f) -> f end
let e = node(from)
Node.monitor(e)
Net.cut(Node.self(), e)
receive do (:nodedown, ^e) -> println("snow: " <> inspect(Node.down_reason(e))) end
println("snow: connect " <> inspect(Node.connect(e)))
Process.sleep(1000)
Net.heal()
receive do (:nodeup, ^e) -> println("snow: nodeup") end
receive do (:nodedown, ^e) -> :ok end
"#,
        "-kernel net_ticktime 4",
    );
    p.finish_both();
    // erl's own report: its heartbeat gave up on a node that went silent.
    let erl = lines(&p.erl);
    assert!(erl.iter().any(|l| l.contains("not responding")), "{erl:?}");
    let said: Vec<&String> = erl.iter().filter(|l| l.starts_with("erl: ")).collect();
    assert_eq!(said, ["erl: nodedown after the tick time true", "erl: ping during the cut pang", "erl: ping after the heal pong"]);
    assert_eq!(lines(&p.snow), ["snow: :connection_closed", "snow: connect false", "snow: nodeup"]);
}

#[test]
fn a_fault_between_two_erl_nodes_is_refused() {
    if !erl_available("interop::a_fault_between_two_erl_nodes_is_refused") {
        return;
    }
    let mut p = start(
        "i_twoerl",
        "two_erls",
        r#"
Process.register(self(), :snowbox)
println("ready")
let (from, e2) = receive do (:hello, f, n) -> (f, n) end
let e1 = node(from)
let (_, r) = spawn_monitor(fn -> Net.cut(e1, e2) end)
receive do (:down, ^r, _, why) -> println(why) end
println(Net.cut(e1, Node.self()))
println(Net.heal())
send(from, :done)
"#,
    );
    p.finish_both();
    let snow = lines(&p.snow);
    assert_eq!(snow.len(), 3, "{snow:?}");
    assert!(snow[0].contains("neither node runs Snow in this session") && snow[0].contains("between two erl nodes they cannot be"), "{snow:?}");
    assert_eq!(snow[1..], [":ok", ":ok"]);
    assert!(lines(&p.erl).contains(&"erl: done".to_string()), "{:?}", p.erl.out);
}
