//! The REPL in a real pseudo-terminal: prompts, multi-line entries, Ctrl-C,
//! history across sessions, tab completion, the mailbox and the live feed.
//!
//! Each test starts `snow` with its own HOME and SNOW_HISTORY. Output is
//! read with ANSI codes stripped; each expectation has a generous deadline
//! (the machine may be loaded) but returns as soon as the text shows up.

use rexpect::reader::Options;
use rexpect::session::{spawn_with_options, PtySession};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// A private directory for one test's HOME and history file.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "snow-repl-{}-{}-{}",
            name,
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the test HOME");
        Home(dir)
    }

    fn history(&self) -> PathBuf {
        self.0.join("history")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `snow` with its own HOME and history, plain output.
fn snow_command(home: &Path, history: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_snow"));
    cmd.env("HOME", home).env("SNOW_HISTORY", history).env("TERM", "xterm").env("NO_COLOR", "1");
    cmd
}

struct Repl {
    pty: PtySession,
    /// Output read but not yet matched.
    seen: String,
    /// Everything read so far (for counting what was shown).
    all: String,
}

impl Repl {
    fn start(home: &Home) -> Repl {
        Repl::start_with(home.0.as_path(), &home.history())
    }

    fn start_with(home: &Path, history: &Path) -> Repl {
        Repl::launch(snow_command(home, history), "snow> ")
    }

    /// Starts `cmd` in a pty and waits for `prompt`.
    fn launch(cmd: Command, prompt: &str) -> Repl {
        let options = Options::default().timeout_ms(Some(WAIT.as_millis() as u64)).strip_ansi_escape_codes(true);
        let pty = spawn_with_options(cmd, options).expect("start snow in a pty");
        let mut repl = Repl { pty, seen: String::new(), all: String::new() };
        repl.expect(prompt);
        repl
    }

    /// Types `keys` without pressing Enter.
    fn keys(&mut self, keys: &str) {
        self.pty.send(keys).expect("type");
        self.pty.flush().expect("flush");
    }

    /// Waits up to `within` for `needle`; consumes the output up to its end.
    fn wait_for(&mut self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            while let Some(c) = self.pty.try_read() {
                self.seen.push(c);
                self.all.push(c);
            }
            if let Some(i) = self.seen.find(needle) {
                self.seen.drain(..i + needle.len());
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn expect(&mut self, needle: &str) {
        if !self.wait_for(needle, WAIT) {
            panic!("expected {needle:?} within {WAIT:?}; the REPL showed:\n{:?}", self.seen);
        }
    }

    /// Waits for every one of `needles`, in any order (lines that two
    /// processes print at once); consumes the output up to the last.
    fn expect_all(&mut self, needles: &[&str]) {
        let deadline = Instant::now() + WAIT;
        loop {
            while let Some(c) = self.pty.try_read() {
                self.seen.push(c);
                self.all.push(c);
            }
            let ends: Vec<Option<usize>> = needles.iter().map(|n| self.seen.find(n).map(|i| i + n.len())).collect();
            if ends.iter().all(Option::is_some) {
                let last = ends.into_iter().flatten().max().unwrap_or(0);
                self.seen.drain(..last);
                return;
            }
            if Instant::now() >= deadline {
                panic!("expected all of {needles:?} within {WAIT:?}; the REPL showed:\n{:?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types `line` and Enter.
    fn send_line(&mut self, line: &str) {
        self.pty.send(line).expect("type");
        self.pty.send("\r").expect("type Enter");
        self.pty.flush().expect("flush");
    }

    /// Types an entry, waits for its echoed value on a line of its own, then
    /// for the next prompt.
    fn eval(&mut self, line: &str, value: &str) {
        self.send_line(line);
        self.expect(&format!("\n{value}\r\n"));
        self.expect("snow> ");
    }

    fn ctrl_c(&mut self) {
        self.pty.send_control('c').expect("send Ctrl-C");
    }

    /// Ctrl-C until the running entry reports it stopped (a Ctrl-C that
    /// arrives before the terminal left raw mode is not a signal yet).
    fn interrupt(&mut self) {
        for _ in 0..5 {
            std::thread::sleep(Duration::from_millis(200));
            self.ctrl_c();
            if self.wait_for("(interrupted) evaluation stopped; bindings kept", Duration::from_secs(2)) {
                self.expect("snow> ");
                return;
            }
        }
        panic!("Ctrl-C did not stop the entry; the REPL showed:\n{:?}", self.seen);
    }

    fn quit(mut self) {
        self.send_line(":quit");
        let status = self.pty.process().wait().expect("wait for snow");
        assert!(matches!(status, rexpect::process::WaitStatus::Exited(_, 0)), "snow ended with {status:?}");
    }
}

#[test]
fn multi_line_entry_continues_with_the_continuation_prompt() {
    let home = Home::new("multi");
    let mut r = Repl::start(&home);
    r.send_line("fn add(a, b) do");
    r.expect("...> ");
    r.send_line("a + b");
    r.expect("...> ");
    r.send_line("end");
    r.expect("snow> ");
    r.eval("add(1, 2)", "3");
    r.quit();
}

#[test]
fn syntax_error_then_a_good_entry() {
    let home = Home::new("syntax");
    let mut r = Repl::start(&home);
    r.send_line("let = 5");
    r.expect("expected a pattern");
    r.expect("snow> ");
    r.eval("1 + 1", "2");
    r.quit();
}

#[test]
fn ctrl_c_stops_an_endless_loop_and_keeps_bindings() {
    let home = Home::new("spin");
    let mut r = Repl::start(&home);
    r.eval("let x = 42", "42");
    r.send_line("fn spin() = spin()");
    r.expect("snow> ");
    r.send_line("spin()");
    r.interrupt();
    r.eval("x", "42");
    r.quit();
}

#[test]
fn ctrl_c_stops_a_blocked_receive() {
    let home = Home::new("receive");
    let mut r = Repl::start(&home);
    r.send_line("receive do x -> x end");
    r.interrupt();
    r.eval("1 + 1", "2");
    r.quit();
}

#[test]
fn ctrl_c_at_the_prompt_clears_the_entry() {
    let home = Home::new("clear");
    let mut r = Repl::start(&home);
    r.send_line("fn half(n) do");
    r.expect("...> ");
    r.ctrl_c();
    r.expect("snow> ");
    r.eval("7", "7");
    r.quit();
}

#[test]
fn history_is_recalled_after_a_restart() {
    let home = Home::new("history");
    let mut r = Repl::start(&home);
    r.eval("1 + 41", "42");
    r.quit();
    let saved = std::fs::read_to_string(home.history()).expect("history file written");
    assert!(saved.contains("1 + 41"), "history file: {saved:?}");

    let mut r = Repl::start(&home);
    r.keys("\x1b[A");
    r.expect("1 + 41");
    r.send_line("");
    r.expect("\n42\r\n");
    r.expect("snow> ");
    r.quit();
}

#[test]
fn tab_completes_module_functions() {
    let home = Home::new("tab");
    let mut r = Repl::start(&home);
    r.keys("Process.mon\t");
    r.expect("Process.monitor(");
    r.send_line("self())");
    r.expect("snow> ");
    r.keys("Pro\t");
    r.expect("Process.");
    r.ctrl_c();
    r.expect("snow> ");
    r.quit();
}

#[test]
fn the_shell_mailbox_receives_and_flushes() {
    let home = Home::new("mailbox");
    let mut r = Repl::start(&home);
    r.eval("send(self(), 1)", "1");
    r.eval("receive do x -> x end", "1");
    r.eval("send(self(), :a)", ":a");
    r.eval("send(self(), (:b, 2))", "(:b, 2)");
    r.send_line("flush()");
    r.expect("\n:a\r\n(:b, 2)\r\n:ok\r\n");
    r.expect("snow> ");
    r.quit();
}

#[test]
fn live_feed_announces_messages_at_the_prompt() {
    let home = Home::new("feed");
    let mut r = Repl::start(&home);
    r.send_line("Process.send_after(self(), :ping, 100)");
    r.expect("#Reference<");
    r.expect("snow> ");
    r.expect("mailbox <- :ping");
    r.expect("snow> ");
    r.send_line(":watch off");
    r.expect("watch off");
    r.send_line("Process.send_after(self(), :quiet, 50)");
    r.expect("snow> ");
    std::thread::sleep(Duration::from_millis(300));
    r.send_line("flush()");
    r.expect("\n:ping\r\n:quiet\r\n:ok\r\n");
    assert!(!r.seen.contains("mailbox <- :quiet"));
    r.quit();
}

#[test]
fn feed_and_output_keep_the_line_being_typed() {
    let home = Home::new("typing");
    let mut r = Repl::start(&home);
    r.send_line("spawn(fn -> Process.sleep(300); println(\"late\") end)");
    r.expect("#PID<");
    r.expect("snow> ");
    r.keys("let y = [1,");
    r.expect("late\r\n");
    r.expect("snow> let y = [1,");
    r.send_line(" 2]");
    r.expect("\n[1, 2]\r\n");
    r.expect("snow> ");

    r.send_line("Process.send_after(self(), :pong, 300)");
    r.expect("#Reference<");
    r.expect("snow> ");
    r.keys("y");
    r.expect("mailbox <- :pong\r\n");
    r.expect("snow> y");
    r.send_line("");
    r.expect("\n[1, 2]\r\n");
    r.quit();
}

#[test]
fn colon_lines_are_code_unless_they_name_a_command() {
    let home = Home::new("cmd");
    let mut r = Repl::start(&home);
    r.eval(":ok", ":ok");
    r.eval(":ok == :ok", "true");
    r.eval(":\"b@127.0.0.1\"", ":\"b@127.0.0.1\"");
    r.eval(":frob", ":frob");
    r.send_line(":frob x y");
    r.expect(":frob is not a command (:help lists them), and the line is not valid Snow code either");
    r.expect("snow> ");
    r.send_line(":help");
    r.expect("flush()");
    r.expect("snow> ");
    r.quit();
}

#[test]
fn piped_input_runs_without_a_terminal() {
    let (stdout, _) = piped("fn add(a, b) do\n  a + b\nend\nadd(1, 2)\n:quit\n");
    assert!(stdout.contains("snow> ...> ...> "), "{stdout:?}");
    assert!(stdout.contains("snow> 3\n"), "{stdout:?}");
}

/// Feeds `input` to the REPL on a pipe and returns what it printed.
fn piped(input: &str) -> (String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_snow"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start snow");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{out:?}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn processes_lists_names_status_queues_links_and_monitors() {
    let (stdout, _) = piped(
        "let w = spawn(fn -> receive do :never -> :ok end end)\nProcess.register(w, :worker)\n\
         Process.monitor(w)\nlink(w)\nsend(w, :hello)\n:processes\n",
    );
    let table: Vec<&str> = stdout.lines().skip_while(|l| !l.contains("STATUS")).collect();
    assert!(table[0].contains("NAME") && table[0].contains("QUEUE") && table[0].contains("MONITORS"), "{stdout}");
    let shell = table.iter().find(|l| l.contains("(shell)")).expect("the shell's row");
    let worker = table.iter().find(|l| l.contains(":worker")).expect("the worker's row");
    assert!(worker.contains("waiting"), "{worker}");
    // the worker has one message queued and is linked to the shell
    let cols: Vec<&str> = worker.split_whitespace().collect();
    assert_eq!(cols[3], "1", "{worker}");
    assert!(cols[4].starts_with("#PID<"), "{worker}");
    // the shell links and monitors the worker
    assert_eq!(shell.matches("#PID<").count(), 3, "{shell}");
}

#[test]
fn a_linked_crash_restarts_the_shell_with_bindings_kept() {
    let (stdout, stderr) = piped(
        "let x = 41\nspawn_link(fn -> exit(:boom) end)\nProcess.sleep(100)\nx + 1\n",
    );
    assert!(stderr.contains("** (EXIT from #PID<") && stderr.contains(") :boom"), "{stderr}");
    assert!(stdout.contains("snow> 42"), "{stdout}");
}

#[test]
fn an_endless_loop_does_not_stop_the_shell_or_timers() {
    let (stdout, _) = piped(
        "fn spin() = spin()\nspawn(spin)\nspawn(spin)\nProcess.send_after(self(), :tick, 50)\n\
         receive do :tick -> :got_tick after 5000 -> :starved end\n1 + 1\n",
    );
    assert!(stdout.contains(":got_tick"), "{stdout}");
    assert!(stdout.contains("snow> 2"), "{stdout}");
}

#[test]
fn clauses_typed_one_per_entry_make_one_function() {
    let (stdout, stderr) = piped(
        "fn fib(0) = 0\nfn fib(1) = 1\nfn fib(n) when n > 1 = fib(n - 1) + fib(n - 2)\nfib(20)\n\
         fn fib(n) = n\nfib(20)\n",
    );
    assert!(stderr.trim().is_empty(), "{stderr}");
    let results: Vec<&str> = stdout.lines().filter_map(|l| l.strip_prefix("snow> ")).collect();
    assert_eq!(results[3], "6765", "{stdout}");
    // after another entry, a definition replaces the function
    assert_eq!(results[5], "20", "{stdout}");
}

#[test]
fn a_node_shows_in_the_prompt_completes_node_names_and_feeds_nodedown() {
    let home = Home::new("node");
    // No port mapper runs on this port, and a node with a fixed port
    // starts none: nothing is left behind.
    let free = |_| std::net::TcpListener::bind("127.0.0.1:0").expect("listens").local_addr().expect("has an address").port();
    let (epmd_port, node_port) = (free(0), free(1));
    let mut cmd = snow_command(&home.0, &home.history());
    cmd.env("ERL_EPMD_PORT", epmd_port.to_string());
    let mut r = Repl::launch(cmd, "snow> ");
    r.send_line(&format!("Node.start(\"ptynode@127.0.0.1:{node_port}\", \"c\")"));
    r.expect("(:ok, :\"ptynode@127.0.0.1\")");
    r.expect("snow(ptynode@127.0.0.1)> ");
    r.keys("Node.ping(:ptyn\t");
    r.expect("Node.ping(:\"ptynode@127.0.0.1\"");
    r.keys(")\r");
    r.expect(":pong");
    let peer_port = free(2);
    r.send_line(&format!("let b = Node.start_peer(\"ptypeer@127.0.0.1:{peer_port}\")"));
    r.expect(":\"ptypeer@127.0.0.1\"");
    r.send_line("Node.monitor(b)");
    r.expect("true");
    r.send_line("spawn(fn -> Process.sleep(200); Node.kill_peer(b) end)");
    r.expect("mailbox <- (:nodedown, :\"ptypeer@127.0.0.1\")");
    r.quit();
}

/// A free TCP port on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("listens").local_addr().expect("has an address").port()
}

/// A REPL started as node `name@127.0.0.1` on a fixed port (no port mapper
/// runs or starts), with a peer `peer@127.0.0.1` bound to `b`.
fn node_repl(home: &Home, name: &str, peer: &str) -> Repl {
    let mut cmd = snow_command(&home.0, &home.history());
    cmd.args(["--name", &format!("{name}@127.0.0.1:{}", free_port()), "--cookie", "c"])
        .env("ERL_EPMD_PORT", free_port().to_string());
    let mut r = Repl::launch(cmd, &format!("snow({name}@127.0.0.1)> "));
    r.send_line(&format!("let b = Node.start_peer(\"{peer}@127.0.0.1:{}\")", free_port()));
    r.expect(&format!(":\"{peer}@127.0.0.1\""));
    r.expect(&format!("snow({name}@127.0.0.1)> "));
    r
}

/// How many times `line` was shown as a line of its own.
fn shown(all: &str, line: &str) -> usize {
    all.matches(&format!("{line}\r\n")).count()
}

#[test]
fn the_live_feed_announces_every_message_once_local_remote_and_during_entries() {
    let home = Home::new("burst");
    let mut r = node_repl(&home, "burst", "burstb");
    let prompt = "snow(burst@127.0.0.1)> ";
    r.send_line("let me = self()");
    r.expect(prompt);
    // Bursts from 20 local processes and one remote process, messages
    // arriving while an entry sleeps, between entries, an instant DOWN, and
    // remote spawns that answer at once.
    r.send_line("for i in List.range(1, 20) do spawn(fn -> send(me, (:local, i)) end) end");
    r.expect(prompt);
    r.send_line("Node.spawn(b, fn -> for i in List.range(1, 20) do send(me, (:remote, i)) end end)");
    r.expect(prompt);
    r.send_line("spawn(fn -> Process.sleep(100); for i in List.range(1, 10) do send(me, (:during, i)) end end); Process.sleep(600); :slept");
    r.expect(":slept\r\n");
    r.expect(prompt);
    for _ in 0..3 {
        r.send_line("Node.spawn(b, fn -> send(me, :from_n) end)");
        r.expect(prompt);
    }
    r.send_line("Process.monitor(:nobody)");
    r.expect(prompt);
    r.send_line("Node.spawn(b, fn -> for i in List.range(1, 5) do send(me, (:sleeping, i)) end end); Process.sleep(300); :done");
    r.expect(":done\r\n");
    r.expect(prompt);
    // Let the last announcements land.
    let deadline = Instant::now() + WAIT;
    while !r.all.contains("mailbox <- (:sleeping, 5)") || !r.all.contains("mailbox <- (:down, ") {
        assert!(Instant::now() < deadline, "the last announcements never came:\n{}", r.all);
        r.wait_for("never shown", Duration::from_millis(100));
    }
    r.wait_for("never shown", Duration::from_millis(300));
    let mut expected: Vec<String> = Vec::new();
    expected.extend((1..=20).map(|i| format!("(:local, {i})")));
    expected.extend((1..=20).map(|i| format!("(:remote, {i})")));
    expected.extend((1..=10).map(|i| format!("(:during, {i})")));
    expected.extend((1..=5).map(|i| format!("(:sleeping, {i})")));
    for m in &expected {
        assert_eq!(shown(&r.all, &format!("mailbox <- {m}")), 1, "{m} announced once; the REPL showed:\n{}", r.all);
    }
    assert_eq!(shown(&r.all, "mailbox <- :from_n"), 3, "three :from_n; the REPL showed:\n{}", r.all);
    assert_eq!(r.all.matches("mailbox <- (:down, #Reference<").count(), 1, "{}", r.all);
    // Announced, and still in the mailbox, in arrival order per sender.
    r.send_line("flush()");
    r.expect(":ok\r\n");
    let after_flush = r.all.rsplit("flush()").next().unwrap_or("").to_string();
    for m in &expected {
        assert_eq!(shown(&after_flush, m), 1, "{m} still in the mailbox: {after_flush}");
    }
    let locals: Vec<usize> = (1..=20).map(|i| after_flush.find(&format!("(:remote, {i})\r\n")).expect("flushed")).collect();
    assert!(locals.windows(2).all(|w| w[0] < w[1]), "one sender's messages keep their order: {after_flush}");
    r.quit();
}

#[test]
fn help_results_process_info_and_pids_at_the_prompt() {
    let home = Home::new("helpers");
    let mut r = Repl::start(&home);
    r.send_line("h(Process.monitor)");
    r.expect("Process.monitor(target)");
    r.expect("Example:");
    r.expect("snow> ");
    r.send_line("h Process.alive?");
    r.expect("Process.alive?(pid)");
    r.expect("snow> ");
    r.send_line(":h Process");
    r.expect("Process.demonitor(ref)");
    r.expect("snow> ");
    r.send_line("h(Process.monitr)");
    r.expect("Did you mean Process.monitor?");
    r.expect("snow> ");
    r.eval("40 + 2", "42");
    r.eval("v() + 1", "43");
    r.eval("v(1)", "42");
    r.eval("v(-2)", "43");
    r.eval("self()", "#PID<0.1.0>");
    r.eval("pid(0, 1, 0) == self()", "true");
    r.eval("#PID<0.1.0> == self()", "true");
    r.eval("[#PID<0.1.0>]", "[#PID<0.1.0>]");
    r.send_line("let w = spawn(fn -> receive do :never -> :ok end end)");
    r.expect("snow> ");
    r.send_line("Process.monitor(w)");
    r.expect("snow> ");
    r.send_line("Process.sleep(50); i(w)");
    r.expect("status:");
    r.expect("waiting");
    r.expect("monitored by:");
    r.expect("#PID<0.1.0>");
    r.expect(":ok\r\n");
    r.expect("snow> ");
    r.send_line("two(1)");
    r.expect("snow> ");
    r.send_line("fn two(a, b) = a + b");
    r.expect("snow> ");
    r.send_line("two(1)");
    r.expect("two/1 is undefined; two/2 exists");
    r.expect("snow> ");
    r.quit();
}

#[test]
fn exit_at_the_prompt_restarts_the_shell_and_its_links_see_it() {
    let home = Home::new("exit");
    let mut r = Repl::start(&home);
    r.eval("let x = 7", "7");
    r.send_line("let w = spawn(fn -> Process.flag(:trap_exit, true); receive do m -> println(m) end end)");
    r.expect("snow> ");
    r.eval("link(w)", "true");
    r.send_line("exit(:bye)");
    // The linked process's line and the shell's report come from two
    // processes at once: in either order.
    r.expect_all(&["(:exit, #PID<0.1.0>, :bye)", "** (exit) :bye\r\n   shell process #PID<0.1.0> exited"]);
    r.expect("snow> ");
    r.eval("x", "7");
    r.quit();
}

#[test]
fn a_remote_closures_output_and_crash_report_appear_at_the_prompt() {
    let home = Home::new("remote_io");
    let mut r = node_repl(&home, "rio", "riob");
    r.send_line("Node.spawn(b, fn -> println(\"hello from the peer\"); 1 + :a end)");
    r.expect("hello from the peer\r\n");
    r.expect("** process #PID<1.");
    r.expect("on riob@127.0.0.1 crashed: (badarith) bad argument in arithmetic expression");
    r.expect("Node.spawn(b, fn -> println(\"hello from the peer\"); 1 + :a end)");
    // Its children's output comes home too.
    r.send_line("Node.spawn(b, fn -> spawn(fn -> println(:grandchild) end) end)");
    r.expect(":grandchild\r\n");
    // The peer's own copy of the report is not printed on this terminal.
    assert_eq!(r.all.matches("crashed:").count(), 1, "{}", r.all);
    // Questions about its processes are answered by the peer.
    r.send_line("let p = Node.spawn(b, fn -> receive do x -> x end end)");
    r.expect("#PID<1.");
    r.send_line("Process.alive?(p)");
    r.expect("\ntrue\r\n");
    r.send_line("i(p)");
    r.expect("on riob@127.0.0.1");
    r.expect("waiting");
    r.send_line("Node.ping(b)");
    r.expect(":pong\r\n");
    r.quit();
}

#[test]
fn a_cut_typed_at_the_prompt_shows_in_the_live_feed_and_in_net() {
    let home = Home::new("netcut");
    let mut r = node_repl(&home, "netcut", "netcutb");
    let prompt = "snow(netcut@127.0.0.1)> ";
    r.send_line("Net.cut(Node.self(), b)");
    r.expect("net <- cut netcut -> netcutb\r\n");
    r.expect(":ok\r\n");
    r.expect(prompt);
    r.send_line(":net");
    r.expect("FROM");
    r.expect(prompt);
    let table = r.all.rsplit(":net").next().unwrap_or("").to_string();
    let row = |from: &str, to: &str| {
        table
            .lines()
            .find(|l| l.split_whitespace().take(2).eq([from, to]))
            .map(|l| l.to_string())
            .unwrap_or_default()
    };
    assert!(
        row("netcut", "netcutb").contains("cut"),
        "the cut direction shows as cut:\n{table}"
    );
    assert!(
        row("netcutb", "netcut").contains("up"),
        "the other direction is up:\n{table}"
    );
    r.send_line("Net.heal()");
    r.expect("net <- heal\r\n");
    r.expect(prompt);
    r.send_line(":net");
    r.expect("FROM");
    r.expect(prompt);
    let table = r.all.rsplit(":net").next().unwrap_or("").to_string();
    assert!(
        !table.lines().any(|l| l.contains(" cut ")),
        "healed:\n{table}"
    );
    r.quit();
}

#[test]
fn nodes_lists_each_connection_with_its_links_and_monitors() {
    let home = Home::new("nodestable");
    let mut r = node_repl(&home, "ndt", "ndtb");
    let prompt = "snow(ndt@127.0.0.1)> ";
    r.send_line("let p = Node.spawn(b, fn -> receive do _ -> :ok end end); Process.monitor(p); Process.link(p)");
    r.expect("true\r\n");
    r.expect(prompt);
    r.send_line(":nodes");
    r.expect("NODE");
    r.expect(prompt);
    let table = r.all.rsplit(":nodes").next().unwrap_or("").to_string();
    let row: Vec<&str> =
        table.lines().find(|l| l.starts_with("ndtb@127.0.0.1")).map(|l| l.split_whitespace().collect()).unwrap_or_default();
    assert_eq!(row.first(), Some(&"ndtb@127.0.0.1"), "{table}");
    assert_eq!(row.get(1), Some(&"up"), "{table}");
    assert_eq!(row[row.len().saturating_sub(2)..], ["1", "1"], "one link, one monitor:\n{table}");
    r.quit();
}

#[test]
fn links_draws_the_links_and_monitors_around_a_process_across_nodes() {
    let home = Home::new("linkstree");
    let mut r = node_repl(&home, "lkt", "lktb");
    let prompt = "snow(lkt@127.0.0.1)> ";
    r.send_line("let me = self()");
    r.expect(prompt);
    r.send_line("let p = Node.spawn(b, fn -> let q = spawn_link(fn -> receive do _ -> :ok end end); send(me, q); receive do _ -> :ok end end)");
    r.expect(prompt);
    r.send_line("let q = receive do x -> x end");
    r.expect(prompt);
    r.send_line("Process.link(p); Process.monitor(q); :wired");
    r.expect(":wired\r\n");
    r.expect(prompt);
    r.send_line(":links self()");
    r.expect("#PID<0.1.0> on lkt@127.0.0.1: running\r\n");
    r.expect("|- link #PID<1.3.0> on lktb@127.0.0.1: waiting\r\n");
    r.expect("|  |- link #PID<1.4.0> on lktb@127.0.0.1: waiting\r\n");
    r.expect("`- monitors #PID<1.4.0> (above)\r\n");
    r.expect(prompt);
    r.send_line(":links :nobody");
    r.expect("no process is registered as :nobody\r\n");
    r.expect(prompt);
    r.quit();
}

#[test]
fn trace_on_then_diagram_draws_the_columns_and_the_arrows() {
    let home = Home::new("tracediagram");
    let mut r = Repl::start(&home);
    r.send_line(":trace on");
    r.expect("trace on: every process and node of the session is recorded");
    r.expect("snow> ");
    r.send_line("let w = spawn(fn -> receive do :never -> :ok end end)");
    r.expect("snow> ");
    r.send_line("Process.register(w, :worker); Process.monitor(w); send(w, :hello); Process.exit(w, :kill); Process.sleep(50)");
    r.expect("snow> ");
    r.send_line(":diagram");
    // The shell's column and the worker's, named once it registered.
    r.expect("<0.1.0>");
    r.expect("worker");
    r.expect("spawn");
    r.expect("register :worker");
    r.expect(":hello --");
    r.expect("exit :kill (killed)");
    r.expect("X :killed");
    r.expect("DOWN :killed");
    r.expect("legend:");
    r.expect("snow> ");
    r.send_line(":trace off");
    r.expect("trace off: ");
    r.expect("snow> ");
    r.quit();
}

#[test]
fn a_service_and_a_supervisor_at_the_prompt_restart_show_and_redefine() {
    let home = Home::new("supervision");
    let mut r = Repl::start(&home);
    // A service typed over several lines, as a learner would.
    r.send_line("service Counter do");
    r.expect("...> ");
    r.send_line("  fn init(n) = n");
    r.send_line("  call get() do |n| (n, n) end");
    r.send_line("  cast add(k) do |n| n + k end");
    r.send_line("end");
    r.expect("Counter");
    r.expect("snow> ");
    r.send_line("supervisor Top do");
    r.send_line("  child counter do start: fn -> Counter.start_link(0, name: :counter) end end");
    r.send_line("end");
    r.expect("Top");
    r.expect("snow> ");
    r.send_line("let sup = Top.start_link()");
    r.expect("#PID<");
    r.expect("snow> ");
    r.send_line("Counter.add(:counter, 5); Counter.get(:counter)");
    r.expect("5");
    r.expect("snow> ");
    r.send_line(":processes");
    r.expect("WHAT");
    r.expect("supervisor Top");
    r.expect("service Counter");
    r.expect("snow> ");
    // The supervisor's report appears above the prompt, and the restarted
    // counter starts from 0 again.
    r.send_line("Process.exit(Process.whereis(:counter), :kill)");
    r.expect("child :counter");
    r.expect("restarting it (one_for_one)");
    r.send_line("Process.sleep(50); Counter.get(:counter)");
    r.expect("0");
    r.expect("snow> ");
    // Redefining the service: the running server keeps its state, the
    // client functions are the new ones.
    r.send_line("service Counter do");
    r.send_line("  fn init(n) = n");
    r.send_line("  call get() do |n| (n * 100, n) end");
    r.send_line("  cast add(k) do |n| n + k end");
    r.send_line("end");
    r.expect("snow> ");
    r.send_line("Counter.add(:counter, 2); Counter.get(:counter)");
    r.expect("200");
    r.expect("snow> ");
    r.quit();
}
