//! Traces of real runs (`Trace`, `snow run --trace FILE`): the SVG a
//! two-node run writes (parsed as XML, rendered by a real SVG renderer,
//! one arrow per message and signal), `explain` on the three kinds of
//! failure message, the ring's bound on a million messages, and the
//! other exports. Scripts run as real `snow` nodes on 127.0.0.1.

#![allow(clippy::unwrap_used)]

#[path = "support/cluster.rs"]
mod cluster;

use std::process::Command;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(90);

/// Runs `script` as node `<test>_a@127.0.0.1` (tick 1 s) with `extra`
/// arguments before the file; returns stdout and stderr.
fn run(test: &str, extra: &[&str], script: &str) -> (String, String) {
    let name = format!("{test}_a@127.0.0.1");
    let mut args = vec!["run", "--name", &name, "--cookie", "c"];
    args.extend_from_slice(extra);
    let script = format!("Node.set_tick(1000)\n{script}");
    let (status, out, err) = cluster::run_script(test, &args, &script, LIMIT);
    assert_eq!(status, 0, "script failed\nstdout:\n{out}\nstderr:\n{err}");
    (out, err)
}

/// A two-node run with a link, a monitor and a killed peer. Every
/// exchange waits for its answer, so the run's messages and signals are
/// known exactly: 2 messages (:ping, :pong), 1 link, 1 monitor, and when
/// the peer is killed an exit and a DOWN, both `:noconnection`.
const TWO_NODES: &str = r#"
Process.flag(:trap_exit, true)
let b = Node.start_peer(:traced_b)
let me = self()
let far = Node.spawn(b, fn -> receive do :ping -> send(me, :pong) end; receive do _ -> :ok end end)
Process.link(far)
let ref = Process.monitor(far)
send(far, :ping)
receive do :pong -> IO.puts("pong") end
Node.kill_peer(b)
receive do (:exit, ^far, why) -> IO.puts("exit " <> inspect(why)) end
receive do (:down, ^ref, _, why) -> IO.puts("down " <> inspect(why)) end
"#;

#[test]
fn a_two_node_run_traced_to_svg_has_one_arrow_per_message_and_signal_and_renders() {
    let svg_path = cluster::temp_file("svg", "out.svg", "");
    let svg_arg = svg_path.to_str().unwrap().to_string();
    let (out, _) = run("svg", &["--trace", &svg_arg], TWO_NODES);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["pong", "exit :noconnection", "down :noconnection"]);
    let text = std::fs::read_to_string(&svg_path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("the SVG is not XML: {e}\n{text}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let mut kinds: Vec<String> = doc
        .descendants()
        .filter_map(|n| n.attribute("class"))
        .filter(|c| c.split_whitespace().next() == Some("arrow"))
        .map(|c| c.split_whitespace().nth(1).unwrap_or("").to_string())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["down", "exit", "link", "message", "message", "monitor"], "arrows by kind");
    for reason in [":noconnection", ":pong", ":ping"] {
        assert!(text.contains(reason), "no label {reason} in the SVG");
    }
    assert!(text.contains("traced_b@127.0.0.1"), "the peer's band is named");

    if !cluster::on_path("rsvg-convert") {
        assert!(
            std::env::var_os("SNOW_REQUIRE_ERL").is_none(),
            "rsvg-convert is missing (apt-get install librsvg2-bin; .ci/run installs it)"
        );
        eprintln!("skipping the rendering check: rsvg-convert is not installed (apt-get install librsvg2-bin)");
        return;
    }
    let png = svg_path.with_extension("png");
    let status = Command::new("rsvg-convert").arg("-o").arg(&png).arg(&svg_path).status().unwrap();
    assert!(status.success(), "rsvg-convert could not render the SVG");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 1000, "not a PNG");
}

#[test]
fn explain_follows_a_link_chain_back_to_the_crash_and_its_source_line() {
    let (out, _) = run(
        "explain_chain",
        &[],
        r#"
Trace.start()
Process.flag(:trap_exit, true)
let me = self()
let c = spawn_link(fn ->
  spawn_link(fn ->
    spawn_link(fn ->
      send(me, (:ready, self()))
      receive do :go -> 1 / 0 end
    end)
    receive do _ -> :ok end
  end)
  receive do _ -> :ok end
end)
let a = receive do (:ready, a) -> a end
send(a, :go)
let msg = receive do (:exit, ^c, r) -> (:exit, c, r) end
explain(msg)
"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with("arrived because:"), "{out}");
    assert!(lines[1].contains("crashed: (:error, :badarith) at ") && lines[1].contains("main.snow:10"), "{out}");
    let through = lines.iter().filter(|l| l.contains("through a link, and died of it")).count();
    assert_eq!(through, 2, "two processes died along the chain:\n{out}");
    assert!(lines.last().unwrap().contains("trapping exits: it became a message"), "{out}");
}

#[test]
fn explain_traces_a_noconnection_down_back_to_the_partition() {
    let (out, _) = run(
        "explain_partition",
        &[],
        r#"
Trace.start()
let b = Node.start_peer(:part_b)
let me = self()
let far = Node.spawn(b, fn -> send(me, :up); receive do :never -> :ok end end)
receive do :up -> :ok end
let ref = Process.monitor(far)
Process.sleep(200)
Net.partition([Node.self()], [b])
let down = receive do (:down, ^ref, _, r) -> (:down, ref, far, r) end
explain(down)
Net.heal()
"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[1].contains("the network changed: Net partition [explain_partition_a] | [part_b]"), "{out}");
    assert!(lines[2].contains("went down: :net_tick_timeout (nothing heard from it for"), "{out}");
    assert!(lines[2].contains("it missed its heartbeats"), "{out}");
    assert!(lines[3].contains("fired with :noconnection"), "{out}");
}

#[test]
fn explain_traces_a_nodedown_back_to_the_freeze() {
    let (out, _) = run(
        "explain_freeze",
        &[],
        r#"
Trace.start()
let b = Node.start_peer(:frozen_b)
Node.monitor(b)
Node.freeze_peer(b)
let msg = receive do (:nodedown, n) -> (:nodedown, n) end
explain(msg)
Node.thaw_peer(b)
"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[1].contains("the peer frozen_b was frozen (Node.freeze_peer"), "{out}");
    assert!(lines[2].contains("the connection to frozen_b@127.0.0.1 went down: :net_tick_timeout"), "{out}");
    assert!(lines[3].contains("monitoring node frozen_b@127.0.0.1, got (:nodedown"), "{out}");
}

/// Peak resident memory of a `snow` run, sampled every 5 ms.
fn peak_rss_kib(args: &[&str], script: &str, test: &str) -> (u64, String) {
    let file = cluster::temp_file(test, "main.snow", script);
    let mut child = Command::new(env!("CARGO_BIN_EXE_snow"))
        .args(args)
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let end = Instant::now() + LIMIT;
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < end, "the run did not end");
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            let rss = s.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok());
            peak = peak.max(rss.unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    (peak, out)
}

#[test]
fn the_ring_holds_its_bound_over_a_million_messages_and_counts_what_it_dropped() {
    let body = r#"
fn pump(0) = :ok
fn pump(n) do
  send(self(), n)
  receive do _ -> pump(n - 1) end
end
pump(1000000)
"#;
    let (plain, _) = peak_rss_kib(&["run"], body, "ring_plain");
    let traced_script = format!("Trace.start(10000)\n{body}\nTrace.stop()\nIO.inspect(Trace.stats())\n");
    let (traced, out) = peak_rss_kib(&["run"], &traced_script, "ring_traced");
    assert!(out.contains(":recorded => 3000000"), "one send, delivery and receive per message: {out}");
    assert!(out.contains(":kept => 10000") && out.contains(":dropped => 2990000"), "{out}");
    // 10,000 events are well under 4 MiB; allow for the allocator's noise.
    assert!(traced <= plain + 16 * 1024, "traced run peaked at {traced} KiB, untraced at {plain} KiB");
}

#[test]
fn json_lines_and_shiviz_exports_cover_every_event() {
    let dir = cluster::temp_file("exports", "x", "");
    let json = dir.with_file_name("run.jsonl");
    let shiviz = dir.with_file_name("run.shiviz");
    let script = format!(
        r#"
Trace.start()
let p = spawn(fn -> receive do (:hi, from) -> send(from, :hello) end end)
send(p, (:hi, self()))
receive do :hello -> :ok end
Trace.stop()
Trace.json("{}")
Trace.shiviz("{}")
IO.inspect(length(Trace.events()))
"#,
        json.display(),
        shiviz.display()
    );
    let (out, _) = run("exports", &[], &script);
    let count: usize = out.trim().parse().unwrap();
    let lines = std::fs::read_to_string(&json).unwrap();
    assert_eq!(lines.lines().count(), count);
    assert!(lines.lines().all(|l| l.starts_with("{\"kind\":") && l.ends_with('}')), "{lines}");
    let log = std::fs::read_to_string(&shiviz).unwrap();
    assert!(log.starts_with("(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})"), "{log}");
    assert_eq!(log.lines().filter(|l| l.contains(" {\"")).count(), count, "{log}");
}

#[test]
fn a_monitor_by_name_on_a_killed_peer_is_explained_and_its_send_recorded() {
    let (out, _) = run(
        "named",
        &[],
        r#"
Trace.start()
let b = Node.start_peer(:named_b)
let me = self()
Node.spawn(b, fn -> Process.register(self(), :svc); send(me, :ready); receive do :never -> :ok end end)
receive do :ready -> :ok end
send((:svc, b), :hello)
let ref = Process.monitor((:svc, b))
Process.sleep(100)
Node.kill_peer(b)
let d = receive do (:down, ^ref, _, _) = m -> m end
explain(d)
let named = List.filter(Trace.events(), fn e -> Map.get(e, :kind) == :send and Map.get(e, :to_name) == :svc end)
let sends = List.map(named, fn e -> Map.get(e, :signal) end)
IO.inspect(sends)
"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[1].contains("the peer named_b was killed"), "{out}");
    assert!(lines[3].contains("monitor of (:svc, :\"named_b@127.0.0.1\") fired with :noconnection"), "{out}");
    assert_eq!(lines.last(), Some(&"[:message, :monitor]"), "{out}");
}
