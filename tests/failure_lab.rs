//! The failure lab (`Net`, `Node.restart_peer`) with real `snow` nodes on
//! 127.0.0.1: partitions silent and reset, one-way cuts, heals from any
//! node of the session, delays, restarts and status. Each test runs a
//! script as node `a` with peers of its own and checks what every side
//! saw. Processes on the far side of a cut cannot print (their output
//! travels to `a` over the cut network), so they record what they see and
//! report after the heal.

#![allow(clippy::unwrap_used)]

#[path = "support/cluster.rs"]
mod cluster;

use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(90);

/// Runs `script` as node `<test>_a@127.0.0.1` (tick 1 s); returns stdout.
fn run(test: &str, script: &str) -> String {
    run_both(test, script).0
}

/// `run`, returning stdout and stderr.
fn run_both(test: &str, script: &str) -> (String, String) {
    let name = format!("{test}_a@127.0.0.1");
    let script = format!("Node.set_tick(1000)\n{script}");
    let (status, out, err) = cluster::run_script(
        test,
        &["run", "--name", &name, "--cookie", "c"],
        &script,
        LIMIT,
    );
    assert_eq!(status, 0, "script failed\nstdout:\n{out}\nstderr:\n{err}");
    (out, err)
}

fn assert_lines(out: &str, want: &[&str]) {
    let got: Vec<&str> = out.lines().collect();
    assert_eq!(got, want, "\nfull stdout:\n{out}");
}

/// A Snow function, for the scripts below: a process that records what
/// `watch` sees on the node it runs on and tells `boss` after a heal.
const OBSERVER: &str = r#"
fn observe(a, target, boss) do
  Process.flag(:trap_exit, true)
  Node.monitor(a)
  let ref = Process.monitor(target)
  Process.link(target)
  send(boss, (:observing, Node.self()))
  let down = receive do (:nodedown, ^a) -> (System.system_time(), Node.down_reason(a), Node.list()) end
  let mon = receive do (:down, ^ref, _, why) -> why after 1000 -> :none end
  let link = receive do (:exit, ^target, why) -> why after 1000 -> :none end
  receive do
    (:report, to) -> send(to, (:seen, Node.self(), down, mon, link))
  end
end
fn sleeper() do
  receive do
    (:alive?, from) -> send(from, (:alive, Node.self())); sleeper()
  end
end
"#;

#[test]
fn a_silent_partition_is_seen_on_both_sides_through_ticks_only() {
    let out = run(
        "part",
        &format!(
            r#"{OBSERVER}
let a = Node.self()
let b = Node.start_peer(:part_b)
let c = Node.start_peer(:part_c)
let me = self()
# a process on each node; observers on b and c watch the one on a
let on_a = spawn(fn -> sleeper() end)
let on_b = Node.spawn(b, fn -> sleeper() end)
let on_c = Node.spawn(c, fn -> sleeper() end)
# and one on each that nothing links to (a link across the cut kills)
let free = [spawn(fn -> sleeper() end), Node.spawn(b, fn -> sleeper() end), Node.spawn(c, fn -> sleeper() end)]
let ob_b = Node.spawn(b, fn -> Node.connect(c); observe(a, on_a, me) end)
let ob_c = Node.spawn(c, fn -> observe(a, on_a, me) end)
receive do (:observing, _) -> :ok end
receive do (:observing, _) -> :ok end
Process.flag(:trap_exit, true)
Process.link(on_b)
let mon_b = Process.monitor(on_b)
Node.monitor(b)
Node.monitor(c)
Net.partition([a], [b, c])
let t0 = System.system_time()
receive do (:nodedown, ^b) -> :ok end
receive do (:nodedown, ^c) -> :ok end
let ms = div(System.system_time() - t0, 1000)
println("a: nodedown within the tick and a quarter: " <> inspect(ms >= 700 and ms <= 1250))
println("a: reasons " <> inspect((Node.down_reason(b), Node.down_reason(c))))
receive do (:down, ^mon_b, _, why) -> println("a: monitor " <> inspect(why)) end
receive do (:exit, ^on_b, why) -> println("a: link " <> inspect(why)) end
# across the cut, as Erlang when a node cannot be reached
println("a: connect " <> inspect(Node.connect(b)))
println("a: ping " <> inspect(Node.ping(c)))
let r = Process.monitor(on_c)
receive do (:down, ^r, _, why) -> println("a: monitor now " <> inspect(why)) after 100 -> println("a: no DOWN at once") end
let (spawned, r2) = Node.spawn_monitor(b, fn -> :ok end)
receive do (:down, ^r2, _, why) -> println("a: spawn " <> inspect(why)) after 100 -> println("a: no spawn answer") end
send(on_b, (:alive?, self()))
receive do m -> println("a: got " <> inspect(m)) after 300 -> println("a: sends are dropped") end
Net.heal()
println("a: connect after heal " <> inspect(Node.connect(b)))
receive do (:nodeup, ^b) -> println("a: nodeup b") end
Node.connect(c)
receive do (:nodeup, ^c) -> println("a: nodeup c") end
for ob in [ob_b, ob_c] do
  send(ob, (:report, self()))
  receive do
    (:seen, n, (t, reason, others), mon, link) ->
      let ms = div(t - t0, 1000)
      println(inspect(n == b) <> ": nodedown of a within the tick and a quarter: " <> inspect(ms >= 600 and ms <= 1250))
      println(inspect(n == b) <> ": " <> inspect((reason, mon, link)))
      println(inspect(n == b) <> ": still connected to the other side " <> inspect(others == [b] or others == [c]))
  end
end
for p in free do send(p, (:alive?, self())) end
let alive = for _ in [1, 2, 3] do receive do (:alive, n) -> n end end
println("every process lived on: " <> inspect(List.sort(alive) == List.sort([a, b, c])))
"#
        ),
    );
    assert_lines(
        &out,
        &[
            "a: nodedown within the tick and a quarter: true",
            "a: reasons (:net_tick_timeout, :net_tick_timeout)",
            "a: monitor :noconnection",
            "a: link :noconnection",
            "a: connect false",
            "a: ping :pang",
            "a: monitor now :noconnection",
            "a: spawn :noconnection",
            "a: sends are dropped",
            "a: connect after heal true",
            "a: nodeup b",
            "a: nodeup c",
            "true: nodedown of a within the tick and a quarter: true",
            "true: (:net_tick_timeout, :noconnection, :noconnection)",
            "true: still connected to the other side true",
            "false: nodedown of a within the tick and a quarter: true",
            "false: (:net_tick_timeout, :noconnection, :noconnection)",
            "false: still connected to the other side true",
            "every process lived on: true",
        ],
    );
}

#[test]
fn a_reset_partition_closes_both_sides_at_once() {
    let out = run(
        "reset",
        &format!(
            r#"{OBSERVER}
let a = Node.self()
let b = Node.start_peer(:reset_b)
let on_a = spawn(fn -> sleeper() end)
let ob = Node.spawn(b, fn -> observe(a, on_a, self()) end)
Process.sleep(200)
Node.monitor(b)
let t0 = System.system_time()
Net.partition(a, b, :reset)
receive do (:nodedown, ^b) -> :ok end
println("a: at once " <> inspect(System.system_time() - t0 < 500_000) <> ", " <> inspect(Node.down_reason(b)))
println("a: connect " <> inspect(Node.connect(b)))
Net.heal()
Node.connect(b)
send(ob, (:report, self()))
receive do (:seen, _, (t, reason, _), mon, _) -> println("b: at once " <> inspect(t - t0 < 500_000) <> ", " <> inspect((reason, mon))) end
"#
        ),
    );
    assert_lines(
        &out,
        &[
            "a: at once true, :connection_closed",
            "a: connect false",
            "b: at once true, (:connection_closed, :noconnection)",
        ],
    );
}

#[test]
fn a_one_way_cut_is_noticed_by_the_receiver_first_and_blocks_connecting_both_ways() {
    let out = run(
        "oneway",
        r#"
let a = Node.self()
let b = Node.start_peer(:oneway_b)
let me = self()
let watcher = Node.spawn(b, fn ->
  Node.monitor(a)
  send(me, :watching)
  receive do (:nodedown, ^a) -> :ok end
  let seen = (System.system_time(), Node.down_reason(a), Node.connect(a))
  receive do (:report, to) -> send(to, seen) end
end)
receive do :watching -> :ok end
Node.monitor(b)
Net.cut(a, b)
let t0 = System.system_time()
receive do (:nodedown, ^b) -> :ok end
let t_a = System.system_time()
println("a: " <> inspect(Node.down_reason(b)) <> ", connect " <> inspect(Node.connect(b)))
Net.heal(a, b)
Node.connect(b)
send(watcher, (:report, self()))
receive do
  (t_b, reason, connect) ->
    println("b: " <> inspect(reason) <> ", connect " <> inspect(connect))
    println("b noticed within the tick and a quarter: " <> inspect(t_b - t0 < 1_250_000))
    println("a learnt it only from b: " <> inspect(t_a >= t0 + 600_000))
end
"#,
    );
    assert_lines(
        &out,
        &[
            "a: :connection_closed, connect false",
            "b: :net_tick_timeout, connect false",
            "b noticed within the tick and a quarter: true",
            "a learnt it only from b: true",
        ],
    );
}

#[test]
fn heal_from_any_node_of_the_session_clears_every_fault() {
    let out = run(
        "healany",
        r#"
let a = Node.self()
let b = Node.start_peer(:healany_b)
let c = Node.start_peer(:healany_c)
# b heals the whole session 1.5 s from now, from the far side of the cut
Node.spawn(b, fn -> Process.sleep(1500); Net.heal() end)
Net.partition([a], [b, c], :reset)
Net.cut(b, c)
println("a: connect during " <> inspect(Node.connect(c)))
fn wait_connect(n, tries) do
  if Node.connect(n) do :ok else (if tries == 0 do :never else (Process.sleep(100); wait_connect(n, tries - 1)) end) end
end
println("a: after b's heal " <> inspect((wait_connect(b, 50), wait_connect(c, 50))))
println("status has no fault left: " <> inspect(Enum.all?(Net.status(), fn e -> Map.get(e, :state) == :up end)))
"#,
    );
    assert_lines(
        &out,
        &[
            "a: connect during false",
            "a: after b's heal (:ok, :ok)",
            "status has no fault left: true",
        ],
    );
}

#[test]
fn a_delay_adds_latency_and_keeps_order() {
    let out = run(
        "delay",
        r#"
let a = Node.self()
let b = Node.start_peer(:delay_b)
let me = self()
fn echo() do
  receive do (from, m) -> send(from, m); echo() end
end
fn count(n, boss) do
  receive do
    :done -> send(boss, (:counted, n))
    k -> if k == n do count(n + 1, boss) else send(boss, (:out_of_order, n, k)) end
  end
end
let e = Node.spawn(b, fn -> echo() end)
fn rtt(e) do
  let t0 = System.monotonic_time()
  send(e, (self(), :ping))
  receive do :ping -> div(System.monotonic_time() - t0, 1000) end
end
rtt(e)
let before = rtt(e)
Net.delay(a, b, 100)
let later = rtt(e)
println("a round trip takes at least 100 ms more: " <> inspect(later >= before + 100))
Net.delay(a, b, 40, 30)
let q = Node.spawn(b, fn -> count(0, me) end)
for i in List.range(0, 9999) do send(q, i) end
send(q, :done)
receive do m -> println(m) end
println(Net.delay(a, b, 0))
let last = rtt(e)
println("removed: " <> inspect(last < 100))
"#,
    );
    assert_lines(
        &out,
        &[
            "a round trip takes at least 100 ms more: true",
            "(:counted, 10000)",
            ":ok",
            "removed: true",
        ],
    );
}

#[test]
fn a_delay_under_half_the_tick_is_harmless_and_one_over_it_looks_like_death() {
    let out = run(
        "falsedown",
        r#"
let a = Node.self()
let b = Node.start_peer(:falsedown_b)
Node.monitor(b)
Net.delay(a, b, 400)
Net.delay(b, a, 400)
receive do (:nodedown, ^b) -> println("false nodedown at 400 ms") after 3000 -> println("no nodedown at 400 ms") end
Net.delay(b, a, 1500)
let t0 = System.monotonic_time()
receive do (:nodedown, ^b) -> println("nodedown at 1500 ms: " <> inspect(Node.down_reason(b))) after 4000 -> println("none") end
Net.heal()
println("alive all along: " <> inspect(Node.connect(b)))
"#,
    );
    assert_lines(
        &out,
        &[
            "no nodedown at 400 ms",
            "nodedown at 1500 ms: :net_tick_timeout",
            "alive all along: true",
        ],
    );
}

#[test]
fn restart_peer_returns_connected_and_status_lists_each_direction() {
    let out = run(
        "restart",
        r#"
let a = Node.self()
let b = Node.start_peer(:restart_b)
let old = Node.spawn(b, fn -> receive do _ -> :ok end end)
Node.monitor(b)
println(Node.restart_peer(b))
println("connected on return: " <> inspect(Node.list() == [b]))
receive do (:nodedown, ^b) -> println("nodedown") end
receive do (:nodeup, ^b) -> println("nodeup") end
let r = Process.monitor(old)
receive do (:down, ^r, _, why) -> println("old pid: " <> inspect(why)) end
Net.cut(b, a)
Net.delay(a, b, 30, 10)
for e in Net.status() do
  println((Map.get(e, :from) == a, Map.get(e, :state), is_integer(Map.get(e, :last_heard_ms))))
end
"#,
    );
    assert_lines(
        &out,
        &[
            ":ok",
            "connected on return: true",
            "nodedown",
            "nodeup",
            "old pid: :noproc",
            "(true, (:delay, 30, 10), true)",
            "(false, :cut, true)",
        ],
    );
}

#[test]
fn a_fault_lasts_until_healed_even_when_the_other_end_restarts() {
    let out = run(
        "lasts",
        r#"
let a = Node.self()
let b = Node.start_peer(:lasts_b)
Net.partition(a, b, :reset)
# b's side of the fault ends with b; a's side lasts
println(Node.restart_peer(b))
println("a still keeps the fault: " <> inspect(Node.connect(b) == false))
Net.heal(a, b)
println("until healed: " <> inspect(Node.connect(b)))
"#,
    );
    assert_lines(
        &out,
        &[":ok", "a still keeps the fault: true", "until healed: true"],
    );
}

#[test]
fn unknown_nodes_and_bad_arguments_are_clear_errors() {
    let (out, err) = run_both(
        "errors",
        r#"
fn try(f) do
  let (_, r) = spawn_monitor(f)
  receive do (:down, ^r, _, why) -> why end
end
let b = Node.start_peer(:errors_b)
println(try(fn -> Net.cut(Node.self(), :"nobody@127.0.0.1") end))
println(try(fn -> Net.cut(b, b) end))
println(try(fn -> Net.partition([b], [b]) end))
println(try(fn -> Net.partition([b], [Node.self()], :sideways) end))
println(try(fn -> Net.delay(b, Node.self(), 10, 20) end))
println(try(fn -> Net.cut("nonsense", b) end))
println(try(fn -> Net.delay(b, Node.self(), 10_000_000_000_000_000) end))
println(Net.heal())
"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 8, "{out}");
    assert!(
        lines[0].contains("unknown node nobody@127.0.0.1: it is not a node of this session"),
        "{out}"
    );
    assert!(lines[1].contains("both are errors_b@127.0.0.1"), "{out}");
    assert!(
        lines[2].contains("errors_b@127.0.0.1 is on both sides of the partition"),
        "{out}"
    );
    assert_eq!(lines[3..7], ["(:error, :badarg)"; 4], "{out}");
    assert_eq!(lines[7], ":ok", "{out}");
    // The explanations of the badargs are in the crash reports.
    for why in [
        "third argument is :reset",
        "cannot exceed the delay",
        "is not a node name",
    ] {
        assert!(err.contains(why), "{why:?} in:\n{err}");
    }
}

#[test]
fn any_pair_of_the_session_can_be_cut_from_a_third_node() {
    let out = run(
        "third",
        r#"
let b = Node.start_peer(:third_b)
let c = Node.start_peer(:third_c)
let me = self()
fn ask_list(n, me) do
  Node.spawn(n, fn -> send(me, (Node.self(), List.sort(Node.list()))) end)
  receive do (^n, list) -> list end
end
Node.spawn(b, fn -> send(me, Node.connect(c)) end)
receive do ok -> println("b-c connected: " <> inspect(ok)) end
Net.partition([b], [c])
Process.sleep(1500)
println("b sees a only: " <> inspect(ask_list(b, me) == [Node.self()]))
println("c sees a only: " <> inspect(ask_list(c, me) == [Node.self()]))
println("a still sees both: " <> inspect(List.sort(Node.list()) == List.sort([b, c])))
Net.heal(b, c)
Node.spawn(b, fn -> send(me, Node.connect(c)) end)
receive do ok -> println("b-c after the heal: " <> inspect(ok)) end
"#,
    );
    assert_lines(
        &out,
        &["b-c connected: true", "b sees a only: true", "c sees a only: true", "a still sees both: true", "b-c after the heal: true"],
    );
}

/// Every scenario above again, all its nodes in one simulated process
/// (`--sim --seed 1`): the same assertions hold (issue 14).
mod simulated {
    use super::cluster::simulated;

    #[test]
    fn a_silent_partition_is_seen_on_both_sides_through_ticks_only() {
        simulated(super::a_silent_partition_is_seen_on_both_sides_through_ticks_only)
    }
    #[test]
    fn a_reset_partition_closes_both_sides_at_once() {
        simulated(super::a_reset_partition_closes_both_sides_at_once)
    }
    #[test]
    fn a_one_way_cut_is_noticed_by_the_receiver_first_and_blocks_connecting_both_ways() {
        simulated(super::a_one_way_cut_is_noticed_by_the_receiver_first_and_blocks_connecting_both_ways)
    }
    #[test]
    fn heal_from_any_node_of_the_session_clears_every_fault() {
        simulated(super::heal_from_any_node_of_the_session_clears_every_fault)
    }
    #[test]
    fn a_delay_adds_latency_and_keeps_order() {
        simulated(super::a_delay_adds_latency_and_keeps_order)
    }
    #[test]
    fn a_delay_under_half_the_tick_is_harmless_and_one_over_it_looks_like_death() {
        simulated(super::a_delay_under_half_the_tick_is_harmless_and_one_over_it_looks_like_death)
    }
    #[test]
    fn restart_peer_returns_connected_and_status_lists_each_direction() {
        simulated(super::restart_peer_returns_connected_and_status_lists_each_direction)
    }
    #[test]
    fn a_fault_lasts_until_healed_even_when_the_other_end_restarts() {
        simulated(super::a_fault_lasts_until_healed_even_when_the_other_end_restarts)
    }
    #[test]
    fn unknown_nodes_and_bad_arguments_are_clear_errors() {
        simulated(super::unknown_nodes_and_bad_arguments_are_clear_errors)
    }
    #[test]
    fn any_pair_of_the_session_can_be_cut_from_a_third_node() {
        simulated(super::any_pair_of_the_session_can_be_cut_from_a_third_node)
    }
}
