//! Every REPL session shown in `README.md` and `docs/` (a ```` ```session ````
//! block) is replayed in a real terminal and must print what it shows.
//!
//! A session block is a transcript:
//!
//! ```text
//! $ snow --name a@127.0.0.1 --cookie secret     (optional: the command)
//! snow(a@127.0.0.1)> let b = Node.start_peer(:b)
//! :"b@127.0.0.1"                                (what the entry prints)
//! snow(a@127.0.0.1)> fn add(a, b) do
//! ...> a + b                                    (more lines of one entry)
//! ...> end
//! ```
//!
//! Lines after a prompt (`snow> `, `snow(node)> `, `...> `) are typed; every
//! other line must then appear as a line of the output before the next entry
//! is typed (lines that arrive later, as the live feed's, are waited for;
//! within one entry their order is free, since processes print at the same
//! time as the REPL). Each session
//! runs with its own HOME and, when it names a node, its own port mapper.

#![allow(clippy::unwrap_used)]

#[path = "support/cluster.rs"]
mod cluster;
#[path = "support/markdown.rs"]
mod markdown;

use cluster::{root, Epmd, SNOW};
use markdown::fenced_blocks;
use rexpect::reader::Options;
use rexpect::session::{spawn_with_options, PtySession};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);

struct Session {
    place: String,
    args: Vec<String>,
    steps: Vec<Step>,
}

struct Step {
    /// The lines typed (several for a multi-line entry).
    input: Vec<String>,
    expected: Vec<String>,
}

/// Splits a transcript line into (prompt, typed text) when it has a prompt.
fn prompt_of(line: &str) -> Option<(&str, &str)> {
    for p in ["snow> ", "...> "] {
        if let Some(rest) = line.strip_prefix(p) {
            return Some((p, rest));
        }
    }
    let rest = line.strip_prefix("snow(")?;
    let close = rest.find(")> ")?;
    let len = "snow(".len() + close + ")> ".len();
    Some((&line[..len], &line[len..]))
}

fn parse(place: String, body: &str) -> Session {
    let mut args = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    for line in body.lines() {
        if let Some(cmd) = line.strip_prefix("$ snow") {
            args = cmd.split('#').next().unwrap_or("").split_whitespace().map(String::from).collect();
            continue;
        }
        match prompt_of(line) {
            Some(("...> ", text)) => steps.last_mut().unwrap().input.push(text.to_string()),
            Some((_, text)) => steps.push(Step { input: vec![text.to_string()], expected: Vec::new() }),
            None if line.trim().is_empty() => {}
            None => match steps.last_mut() {
                Some(s) => s.expected.push(line.to_string()),
                None => panic!("{place}: output before the first prompt: {line:?}"),
            },
        }
    }
    Session { place, args, steps }
}

fn sessions(file: &Path) -> Vec<Session> {
    let text = std::fs::read_to_string(file).unwrap();
    fenced_blocks(&text, file)
        .into_iter()
        .filter(|f| f.info == "session")
        .map(|f| parse(format!("{}:{}", file.strip_prefix(root()).unwrap_or(file).display(), f.line), &f.body))
        .collect()
}

fn markdown_files() -> Vec<PathBuf> {
    markdown::markdown_files(&root())
}

struct Term {
    pty: PtySession,
    /// Output not yet matched.
    seen: String,
}

impl Term {
    /// Waits for `needle`; consumes the output up to its end.
    fn wait_for(&mut self, needle: &str) -> bool {
        self.wait_until(|seen| seen.find(needle).map(|i| i + needle.len()))
    }

    /// Waits until every one of `lines` was shown as a whole line (a
    /// prompt may precede it: the live feed prints above the prompt). Their
    /// order is not checked: output of other processes and an entry's
    /// result may come in either order, as they run at the same time.
    fn wait_for_lines(&mut self, lines: &[String]) -> bool {
        self.wait_until(|seen| {
            let mut taken: Vec<usize> = Vec::new();
            let mut end = 0;
            for line in lines {
                let needle = format!("{line}\r\n");
                let at = seen.match_indices(&needle).map(|(i, _)| i).find(|i| {
                    let before = &seen[..*i];
                    !taken.contains(i)
                        && (before.is_empty() || before.ends_with('\n') || before.ends_with('\r') || before.ends_with("> "))
                })?;
                taken.push(at);
                end = end.max(at + needle.len());
            }
            Some(end)
        })
    }

    fn wait_until(&mut self, found: impl Fn(&str) -> Option<usize>) -> bool {
        let deadline = Instant::now() + WAIT;
        loop {
            while let Some(c) = self.pty.try_read() {
                self.seen.push(c);
            }
            if let Some(end) = found(&self.seen) {
                self.seen.drain(..end);
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A terminal wide enough that no typed entry wraps (a wrapped echo would
/// not read back as the line typed).
fn widen(pty: &PtySession) {
    use std::os::fd::AsRawFd;
    let Ok(master) = pty.process().get_file_handle() else { return };
    let size = libc::winsize { ws_row: 60, ws_col: 400, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCSWINSZ on the pty master we own, with a valid winsize.
    unsafe {
        libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &size);
    }
}

/// Replays one session; `Err` says where it went another way.
fn replay(s: &Session, n: usize) -> Result<(), String> {
    let home = std::env::temp_dir().join(format!("snow-session-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let epmd = s.args.iter().any(|a| a == "--name" || a == "--sname").then(Epmd::start);
    let mut cmd = Command::new(SNOW);
    cmd.args(&s.args)
        .current_dir(root())
        .env("HOME", &home)
        .env("SNOW_HISTORY", home.join("history"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1");
    if let Some(e) = &epmd {
        cmd.env("ERL_EPMD_PORT", e.port.to_string());
    }
    let options = Options::default().timeout_ms(Some(WAIT.as_millis() as u64)).strip_ansi_escape_codes(true);
    let pty = spawn_with_options(cmd, options).map_err(|e| format!("cannot start snow: {e}"))?;
    widen(&pty);
    let mut t = Term { pty, seen: String::new() };
    let first = s.steps.first().map(|st| st.input.clone());
    if first.is_none() {
        return Ok(());
    }
    if !t.wait_for("> ") {
        return Err(format!("no prompt; the terminal showed:\n{}", t.seen));
    }
    for step in &s.steps {
        for line in &step.input {
            t.pty.send(line).map_err(|e| e.to_string())?;
            t.pty.send("\r").map_err(|e| e.to_string())?;
            t.pty.flush().map_err(|e| e.to_string())?;
            // The terminal echoes what was typed; output comes after it.
            if !t.wait_for(&format!("{line}\r\n")) {
                return Err(format!("typed {line:?}, never echoed; the terminal showed:\n{}", t.seen));
            }
        }
        if !t.wait_for_lines(&step.expected) {
            return Err(format!(
                "after typing {:?}, expected the lines\n  {}\nthe terminal showed:\n{}",
                step.input.join("\n"),
                step.expected.join("\n  "),
                t.seen
            ));
        }
    }
    let _ = t.pty.send_control('d');
    let _ = std::fs::remove_dir_all(&home);
    Ok(())
}

#[test]
fn every_session_in_the_docs_prints_what_it_shows() {
    let all: Vec<Session> = markdown_files().iter().flat_map(|f| sessions(f)).collect();
    assert!(!all.is_empty(), "the README shows REPL sessions");
    let mut failures = Vec::new();
    for (i, s) in all.iter().enumerate() {
        if let Err(e) = replay(s, i) {
            failures.push(format!("{}: {e}", s.place));
        }
    }
    assert!(failures.is_empty(), "{} of {} sessions differ:\n\n{}", failures.len(), all.len(), failures.join("\n\n"));
}

#[test]
fn transcripts_parse_into_typed_lines_and_output() {
    let s = parse(
        "x".into(),
        "$ snow --name a@127.0.0.1   # a node\nsnow(a@127.0.0.1)> fn f(x) do\n...> x\n...> end\n#Function<f/1>\nsnow(a@127.0.0.1)> f(1)\n1\n",
    );
    assert_eq!(s.args, ["--name", "a@127.0.0.1"]);
    assert_eq!(s.steps.len(), 2);
    assert_eq!(s.steps[0].input, ["fn f(x) do", "x", "end"]);
    assert_eq!(s.steps[0].expected, ["#Function<f/1>"]);
    assert_eq!(s.steps[1].expected, ["1"]);
}
