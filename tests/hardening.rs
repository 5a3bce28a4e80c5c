//! Hardening (issue 10): each reproducer of a stall, an abort or a lost
//! message, run as a user would run it, with real `snow` processes.
//! Deep and large terms against `erl` are in tests/interop.rs.

#![allow(clippy::unwrap_used)]

#[path = "support/cluster.rs"]
mod cluster;

use cluster::{temp_file, Epmd, Proc};
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(120);

fn run_script(test: &str, args: &[&str], script: &str) -> (i32, String, String) {
    cluster::run_script(test, args, script, LIMIT)
}

/// A value's depth is limited by memory only: printing, comparing,
/// flattening and freeing a term two million levels deep neither recurses
/// nor aborts (it once overflowed the stack and took the node with it).
#[test]
fn values_millions_deep_print_compare_and_free() {
    let (status, out, err) = run_script(
        "deep_values",
        &["run"],
        r#"
fn nest(0, acc) = acc
fn nest(n, acc) = nest(n - 1, (acc,))
let a = nest(2000000, 0)
println(String.length(inspect(a)))
println(a == nest(2000000, 0))
println(a < nest(2000000, 1))
fn lists(0, acc) = acc
fn lists(n, acc) = lists(n - 1, [acc])
println(List.flatten(lists(1000000, 7)))
fn keyed(0, acc) = acc
fn keyed(n, acc) = keyed(n - 1, %{acc => 1, %{:a => n, :b => 1} => 2})
let k = keyed(100000, %{:x => 1})
println(k == keyed(100000, %{:x => 1}))
println(k == keyed(100000, %{:x => 2}))
"#,
    );
    assert_eq!(status, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(out, "6000001\ntrue\ntrue\n[7]\ntrue\nfalse");
}

/// Between Snow nodes: a tuple a million deep, an 80 MB string, a list of a
/// million and a map of 100,000 travel to a peer and back intact, and the
/// connection stays up (depth once closed it with `TooDeep`, size over
/// 64 MiB with `TooLarge`).
#[test]
fn deep_and_large_messages_cross_between_snow_nodes() {
    let (status, out, err) = run_script(
        "big_msgs",
        &["run", "--name", "big_a@127.0.0.1", "--cookie", "c"],
        r#"
fn nest(0, acc) = acc
fn nest(n, acc) = nest(n - 1, (acc, :x))
let b = Node.start_peer(:big_b)
let me = self()
fn echo_loop() do
  receive do
    (from, msg) -> send(from, (:echo, msg)); echo_loop()
  end
end
let echo = Node.spawn(b, fn -> echo_loop() end)
let deep = nest(1000000, 0)
let big = String.duplicate("snow", 20000000)
let long = List.range(1, 1000000)
let wide = Map.from_list(Enum.map(List.range(1, 100000), fn k -> (k, k) end))
for x in [deep, big, long, wide] do
  send(echo, (me, x))
  receive do (:echo, y) -> println(y == x) end
end
println(Node.list() == [b])
"#,
    );
    assert_eq!(status, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(out, "true\ntrue\ntrue\ntrue\ntrue");
    assert!(!err.contains("closing"), "{err}");
}

/// `ps` must not show the cookie while peers run: a peer gets it through
/// the pipe its parent holds, not its command line or environment. (Here
/// the cookie comes from `$HOME/.erlang.cookie`, so no command line has it.)
#[test]
fn the_cookie_is_not_on_any_command_line() {
    let epmd = Epmd::start();
    let cookie = "sekritcookie4711";
    let home = temp_file("cookie_ps", ".erlang.cookie", cookie).parent().unwrap().to_path_buf();
    let file = temp_file(
        "cookie_ps",
        "main.snow",
        r#"
let b = Node.start_peer(:ck_b)
println(Node.ping(b))
println("ready")
Process.sleep(60000)
"#,
    );
    let mut cmd = epmd.snow(&["run", "--name", "ck_a@127.0.0.1"]);
    cmd.arg(&file).env("HOME", &home);
    let mut p = Proc::start(cmd);
    p.wait_out("ready", LIMIT);
    assert_eq!(p.out.first().map(String::as_str), Some(":pong"), "{:?}", p.err);
    let ps = Command::new("ps").args(["-eo", "pid,args"]).output().unwrap();
    let table = String::from_utf8_lossy(&ps.stdout);
    assert!(table.contains("ck_b@127.0.0.1"), "the peer is not in ps:\n{table}");
    assert!(!table.contains(cookie), "the cookie is visible in ps:\n{table}");
    for line in table.lines().filter(|l| l.contains("ck_b@127.0.0.1")) {
        let pid: u32 = line.split_whitespace().next().unwrap().parse().unwrap();
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&environ).contains(cookie), "the cookie is in the peer's environment");
    }
}

/// A peer that sends more new atoms than a connection may create has that
/// connection closed with a one-line notice; the node, its other
/// connections and its atom table are unharmed (1,000,000 atoms from one
/// peer once grew a node from 6 MB to 291 MB, never freed).
#[test]
fn a_peer_flooding_new_atoms_loses_its_connection_and_nothing_else() {
    let (status, out, err) = run_script(
        "atom_flood",
        &["run", "--name", "atoms_a@127.0.0.1", "--cookie", "c"],
        r#"
let b = Node.start_peer(:atoms_b)
let c = Node.start_peer(:atoms_c)
Process.register(self(), :sink)
let me = Node.self()
Node.monitor(b)
Node.spawn(b, fn ->
  for i in List.range(1, 60) do
    let batch = Enum.map(List.range(1, 1000), fn j -> String.to_atom("flood_" <> inspect(i) <> "_" <> inspect(j)) end)
    send((:sink, me), batch)
  end
end)
receive do
  (:nodedown, ^b) -> println("b's connection closed")
after 30000 -> println("no nodedown")
end
let echo = Node.spawn(c, fn -> receive do (from, x) -> send(from, x) end end)
send(echo, (self(), :still_here))
receive do :still_here -> println("c still answers") end
println(Enum.member?(Node.list(), c))
"#,
    );
    assert_eq!(status, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(out, "b's connection closed\nc still answers\ntrue");
    let notices: Vec<&str> = err.lines().filter(|l| l.contains("atoms_b") && l.contains("new atoms")).collect();
    assert_eq!(notices.len(), 1, "{err}");
    assert!(notices[0].contains("closing the connection to atoms_b@127.0.0.1"), "{err}");
}

/// An idle `snow` stays small (the target is under 10 MiB): the allocator
/// is configured before its first arena is reserved (`repl/src/main.rs`),
/// without which mimalloc commits arenas whole and an idle run holds
/// about 23 MiB. The peak is the kernel's own (`VmHWM`), read while the
/// script sleeps.
#[test]
fn an_idle_snow_stays_under_ten_mebibytes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_snow"))
        .args(["-e", "Process.sleep(1500)"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    std::thread::sleep(Duration::from_millis(700));
    let peak_kib: u64 = std::fs::read_to_string(&status)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    assert!(child.wait().unwrap().success());
    eprintln!("idle snow: peak RSS {peak_kib} KiB");
    assert!(peak_kib < 10 * 1024, "an idle snow peaked at {peak_kib} KiB");
}
