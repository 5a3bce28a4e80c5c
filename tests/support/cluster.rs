//! Helpers for tests that run real nodes: a private port mapper per test,
//! `snow` and `erl` processes with time limits, and cleanup by PID.
//!
//! Every test gets its own `snow epmd` on a free port and passes it to the
//! nodes it starts as `ERL_EPMD_PORT` (which `erl` honours too), so tests
//! run in parallel without sharing names, and nothing is left behind: the
//! port mapper is our child and is killed on drop; the nodes are our
//! children too, and their peers die with them.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

pub const SNOW: &str = env!("CARGO_BIN_EXE_snow");

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Whether `erl` tests can run: without `erl` they print a notice and
/// pass, unless `SNOW_REQUIRE_ERL=1` (CI), where they fail.
pub fn erl_available(test: &str) -> bool {
    if on_path("erl") && on_path("erlc") {
        return true;
    }
    if std::env::var_os("SNOW_REQUIRE_ERL").is_some_and(|v| v == "1") {
        panic!("{test}: erl/erlc not found and SNOW_REQUIRE_ERL=1");
    }
    eprintln!("NOTICE: {test} skipped: erl/erlc not on PATH (apt-get install -y erlang-base)");
    false
}

/// A child process killed (by PID) and reaped on drop.
pub struct Proc {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    lines: Receiver<(bool, String)>,
    pub out: Vec<String>,
    pub err: Vec<String>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Starts `cmd` with piped stdio; its output is collected line by line.
    pub fn start(mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let (tx, lines) = channel();
        for (is_err, pipe) in [(false, child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>)), (true, child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>))] {
            let tx = tx.clone();
            if let Some(pipe) = pipe {
                std::thread::spawn(move || {
                    for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                        if tx.send((is_err, line)).is_err() {
                            break;
                        }
                    }
                });
            }
        }
        let stdin = child.stdin.take();
        Proc { child, stdin, lines, out: Vec::new(), err: Vec::new() }
    }

    /// Collects one line of output, waiting up to `wait`; false if none came.
    pub fn pump(&mut self, wait: Duration) -> bool {
        match self.lines.recv_timeout(wait) {
            Ok((false, l)) => {
                self.out.push(l);
                true
            }
            Ok((true, l)) => {
                self.err.push(l);
                true
            }
            Err(_) => false,
        }
    }

    /// Waits until a stdout line contains `text`.
    pub fn wait_out(&mut self, text: &str, limit: Duration) {
        let end = Instant::now() + limit;
        while !self.out.iter().any(|l| l.contains(text)) {
            assert!(Instant::now() < end, "timed out waiting for {text:?}\nstdout: {:#?}\nstderr: {:#?}", self.out, self.err);
            self.pump(Duration::from_millis(50));
        }
    }

    /// Waits until a stderr line contains `text`.
    pub fn wait_err(&mut self, text: &str, limit: Duration) {
        let end = Instant::now() + limit;
        while !self.err.iter().any(|l| l.contains(text)) {
            assert!(Instant::now() < end, "timed out waiting for {text:?} on stderr\nstdout: {:#?}\nstderr: {:#?}", self.out, self.err);
            self.pump(Duration::from_millis(50));
        }
    }

    /// Waits for the process to end (within `limit`) and collects the rest
    /// of its output; returns its exit code.
    pub fn finish(&mut self, limit: Duration) -> i32 {
        let end = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                while self.pump(Duration::from_millis(100)) {}
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < end, "still running after {limit:?}\nstdout: {:#?}\nstderr: {:#?}", self.out, self.err);
            self.pump(Duration::from_millis(20));
        }
    }

    /// Closes stdin (a `snow peer` then ends).
    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }
}

/// A private port mapper (`snow epmd --port P`) for one test.
pub struct Epmd {
    pub port: u16,
    _proc: Proc,
}

impl Epmd {
    pub fn start() -> Epmd {
        let port = free_port();
        let mut c = Command::new(SNOW);
        c.args(["epmd", "--port", &port.to_string()]);
        let p = Proc::start(c);
        let end = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < end, "snow epmd did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        Epmd { port, _proc: p }
    }

    /// A `snow` command that uses this port mapper.
    pub fn snow(&self, args: &[&str]) -> Command {
        let mut c = Command::new(SNOW);
        c.args(args).env("ERL_EPMD_PORT", self.port.to_string()).current_dir(root());
        c
    }

    /// An `erl -noshell` command that uses this port mapper.
    pub fn erl(&self, name: &str, cookie: &str, pa: &Path, eval: &str) -> Command {
        let mut c = Command::new("erl");
        c.args(["-noshell", "-name", name, "-setcookie", cookie, "-pa"])
            .arg(pa)
            .args(["-eval", eval])
            .env("ERL_EPMD_PORT", self.port.to_string())
            // Our port mapper already runs: erl must not start one.
            .env("ERL_FLAGS", "-start_epmd false");
        c
    }
}

/// Writes `text` to a fresh file `name` in a per-test temporary directory.
pub fn temp_file(test: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("snow-test-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

thread_local! {
    /// Set by `simulated`: this thread's scripts run in a simulation.
    static SIMULATED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `scenario` with every script it runs (`run_script`) under `--sim
/// --seed 1`: all its nodes in one simulated process. The scenario's own
/// assertions must hold there too (processes.md holds in both modes).
pub fn simulated(scenario: fn()) {
    SIMULATED.with(|s| s.set(true));
    scenario();
}

/// Runs `script` with `snow ARGS FILE` under a private port mapper, within
/// `limit`; returns (exit status, stdout, stderr). Under `simulated`, with
/// `--sim --seed 1` too.
pub fn run_script(test: &str, args: &[&str], script: &str, limit: Duration) -> (i32, String, String) {
    let epmd = Epmd::start();
    let file = temp_file(test, "main.snow", script);
    let mut cmd = epmd.snow(args);
    if SIMULATED.with(|s| s.get()) {
        cmd.args(["--sim", "--seed", "1"]);
    }
    cmd.arg(&file);
    let mut p = Proc::start(cmd);
    let status = p.finish(limit);
    (status, p.out.join("\n"), p.err.join("\n"))
}
