//! This node's terminal as an Erlang I/O server, registered as `user`:
//! processes spawned from here on other nodes have it as their group
//! leader, so what they print (and their crash reports) comes back here,
//! above the prompt like any other output. It speaks Erlang's I/O protocol
//! (`runtime::io_protocol`), so an `erl` process can print here too.
//!
//! `put_line` is the other half: how a built-in prints a line for the
//! calling process (here, or to its group leader on another node).

use snow_lang::vm::{output, NativeCx};
use snow_runtime::{io_protocol, Atom, Behaviour, Cx, Runtime, Slice, Term};

/// Starts `user` unless it runs (a node started again after `Node.stop`).
pub fn start(rt: &Runtime) {
    if rt.whereis(Atom::USER).is_some() {
        return;
    }
    let pid = rt.spawn(Box::new(IoServer));
    rt.hide_from_trace(pid);
    let _ = rt.register(Atom::USER, pid);
}

struct IoServer;

impl Behaviour for IoServer {
    fn run(&mut self, cx: &mut Cx<'_>) -> Slice {
        while let Some(msg) = cx.mailbox().remove(0) {
            let Some(req) = io_protocol::parse(&msg) else { continue };
            let ok = match &req.text {
                Some(text) => {
                    print_text(text);
                    true
                }
                None => false,
            };
            // Our own requests name us as the sender: nothing to answer.
            if req.from != cx.pid() && req.from != Runtime::OUTSIDE {
                cx.send(req.from, io_protocol::reply(req.reply_as, ok));
            }
        }
        Slice::Wait(None)
    }
}

/// Prints `text` line by line (a last line without its newline too: this
/// terminal is shared, a half line would be lost under the prompt).
fn print_text(text: &str) {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return;
    }
    for line in body.split('\n') {
        output().out(line);
    }
}

/// Prints `line` for the calling process: here, or through its group
/// leader when it was spawned from another node.
pub fn put_line(c: &mut NativeCx<'_, '_>, line: &str) {
    match c.cx.group_leader() {
        Some(gl) => {
            let from = c.cx.runtime().whereis(Atom::USER).unwrap_or(Runtime::OUTSIDE);
            c.cx.send(gl, io_protocol::put_chars(from, Term::Atom(Atom::OK), &format!("{line}\n")));
            if c.cx.busy() {
                c.yield_now = true; // suspended on a busy connection, as `send`
            }
        }
        None => output().out(line),
    }
}
