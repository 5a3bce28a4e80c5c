//! `snow epmd`: foreground and `--daemon`, busy ports, `ensure_epmd`, and interop with a real `erl` and `epmd -names`.

#![allow(clippy::unwrap_used)]

use snow_runtime::dist::epmd::{ensure_epmd_with, EpmdClient, NodeType};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SNOW: &str = env!("CARGO_BIN_EXE_snow");

/// Kills (by PID) and reaps a child on drop, even when the test fails.
struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Kills a detached daemon we started (not our child) by PID on drop.
struct KillPid(u32);
impl Drop for KillPid {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-9", &self.0.to_string()]).status();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn client(port: u16) -> EpmdClient {
    EpmdClient::new(SocketAddr::from(([127, 0, 0, 1], port))).with_timeout(Duration::from_secs(2))
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn snow_epmd(port: u16) -> Kill {
    let c = Command::new(SNOW)
        .args(["epmd", "--port", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let k = Kill(c);
    wait_until("snow epmd up", 5, || client(port).is_running());
    k
}

fn run(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut c = Command::new(SNOW);
    c.args(args).stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn foreground_serves_and_busy_port_is_one_line_error() {
    let port = free_port();
    let _d = snow_epmd(port);
    let c = client(port);
    let r = c.register("fg", 4242, NodeType::Normal).unwrap();
    assert_eq!(c.names().unwrap(), vec![("fg".to_string(), 4242)]);
    assert!(c.register("fg", 4243, NodeType::Normal).is_err());
    drop(r);
    wait_until("fg gone", 5, || c.names().unwrap().is_empty());
    for args in [&["epmd", "--port", &port.to_string()][..], &["epmd", "--daemon", "--port", &port.to_string()]] {
        let out = run(args, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("snow epmd: cannot listen on 127.0.0.1:"), "{err}");
    }
    let out = run(&["epmd"], &[("SNOW_EPMD_ADDR", "nonsense".into())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SNOW_EPMD_ADDR"));
}

#[test]
fn daemon_detaches_honours_erl_epmd_port_and_prints_its_pid() {
    let port = free_port();
    let out = run(&["epmd", "--daemon"], &[("ERL_EPMD_PORT", port.to_string())]);
    let pid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().expect("a pid on stdout");
    let _k = KillPid(pid);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(client(port).is_running());
    // Its own process group: the shell's Ctrl-C does not reach it.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let pgrp: u32 = stat.rsplit(')').next().unwrap().split_whitespace().nth(2).unwrap().parse().unwrap();
    assert_eq!(pgrp, pid);
}

#[test]
fn ensure_epmd_starts_one_only_when_none_answers() {
    let port = free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let pid = ensure_epmd_with(addr, Path::new(SNOW)).unwrap().expect("started a daemon");
    let _k = KillPid(pid);
    assert!(client(port).is_running());
    assert_eq!(ensure_epmd_with(addr, Path::new(SNOW)).unwrap(), None);
    let r = client(port).register("ens", 1, NodeType::Normal).unwrap();
    assert_ne!(r.creation(), 0);
}

fn have(cmd: &str) -> bool {
    let found = Command::new("sh").args(["-c", &format!("command -v {cmd}")]).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("SNOW_REQUIRE_ERL").as_deref() != Ok("1"), "{cmd} not found and SNOW_REQUIRE_ERL=1");
        eprintln!("notice: `{cmd}` not installed; skipping the erl interop test");
    }
    found
}

#[test]
fn erl_registers_with_snow_epmd_and_epmd_names_sees_it() {
    if !have("erl") || !have("epmd") {
        return;
    }
    let port = free_port();
    let _d = snow_epmd(port);
    let erl = Command::new("erl")
        .args(["-name", "t1@127.0.0.1", "-setcookie", "x", "-noshell", "-start_epmd", "false"])
        .args(["-eval", "io:format(\"creation ~p~n\", [erlang:system_info(creation)]), timer:sleep(15000), halt()."])
        .env("ERL_EPMD_PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut erl = Kill(erl);
    let mut line = String::new();
    BufReader::new(erl.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let creation: u32 = line.trim().strip_prefix("creation ").and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("erl said {line:?}"));
    assert_ne!(creation, 0);
    let c = client(port);
    let names = c.names().unwrap();
    let erl_port = names.iter().find(|(n, _)| n == "t1").unwrap_or_else(|| panic!("t1 not in {names:?}")).1;
    let p = c.port_please("t1").unwrap().expect("t1 registered");
    assert_eq!((p.port, p.node_type, p.highest_version), (erl_port, 77, 6));
    let out = Command::new("epmd").args(["-port", &port.to_string(), "-names"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("up and running on port {port}")), "{text}");
    assert!(text.contains(&format!("name t1 at port {erl_port}")), "{text}");
    let _ = erl.0.kill();
    let _ = erl.0.wait();
    wait_until("t1 gone after erl died", 5, || c.port_please("t1").unwrap().is_none());
}
