//! The session's control channel: a Unix socket pair between a node and
//! each peer it started (the peer's stdin). It carries the `Net` requests
//! that must reach a node whatever its network is going through, since a
//! partition may cut the distribution connection the request is about.
//!
//! One line per message, either way: `Q <id> <hex>` asks (id 0: no answer
//! wanted) and `A <id> <hex>` answers, where `<hex>` is a term in the
//! external format. Requests are handled on their own threads, so a node
//! can forward one and wait while its channel keeps reading answers.

use crate::dist::etf;
use crate::term::Term;
use crossbeam_channel::{bounded, Sender};
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// The longest line read (requests are a few hundred bytes).
const MAX_LINE: u64 = 1 << 20;

pub struct Channel {
    writer: Mutex<UnixStream>,
    waiting: Mutex<FxHashMap<u64, Sender<Term>>>,
    next_id: AtomicU64,
}

/// Handles one request that arrived on a channel: its answer.
pub type OnRequest = Arc<dyn Fn(&Arc<Channel>, Term) -> Term + Send + Sync>;

impl Channel {
    /// A channel writing to `stream` (a clone of it is read by `serve`).
    pub fn new(stream: &UnixStream) -> std::io::Result<Arc<Channel>> {
        Ok(Arc::new(Channel {
            writer: Mutex::new(stream.try_clone()?),
            waiting: Mutex::default(),
            next_id: AtomicU64::new(1),
        }))
    }

    /// Asks the other end and waits up to `limit` for its answer.
    pub fn request(&self, op: &Term, limit: Duration) -> Result<Term, String> {
        let id = self.next_id.fetch_add(1, Relaxed);
        let (tx, rx) = bounded(1);
        self.waiting.lock().insert(id, tx);
        let sent = self.write('Q', id, op);
        let answer =
            sent.and_then(|()| rx.recv_timeout(limit).map_err(|_| "no answer".to_string()));
        self.waiting.lock().remove(&id);
        answer
    }

    /// Tells the other end without waiting (a frozen peer reads it when
    /// it runs again).
    pub fn post(&self, op: &Term) -> Result<(), String> {
        self.write('Q', 0, op)
    }

    /// Writes raw bytes before the first message (the peer's cookie line).
    pub fn write_raw(&self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.lock().write_all(bytes)
    }

    /// Closes the channel: the other end reads its end (a peer then exits).
    pub fn close(&self) {
        let _ = self.writer.lock().shutdown(std::net::Shutdown::Both);
    }

    fn write(&self, kind: char, id: u64, t: &Term) -> Result<(), String> {
        let bytes = etf::encode(t).map_err(|e| e.to_string())?;
        let mut line = format!("{kind} {id} ");
        for b in bytes {
            line.push_str(&format!("{b:02x}"));
        }
        line.push('\n');
        self.writer
            .lock()
            .write_all(line.as_bytes())
            .map_err(|e| format!("the control channel is closed ({e})"))
    }

    /// Reads `stream` until its end: answers complete waiting requests,
    /// requests run `on_request` on a thread of their own.
    pub fn serve(self: &Arc<Self>, stream: impl Read, on_request: OnRequest) {
        let mut input = BufReader::new(stream);
        loop {
            let mut line = String::new();
            match (&mut input).take(MAX_LINE).read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let Some((kind, id, term)) = parse(&line) else {
                continue;
            };
            if kind == "A" {
                if let Some(tx) = self.waiting.lock().remove(&id) {
                    let _ = tx.send(term);
                }
                continue;
            }
            let (me, handler) = (self.clone(), on_request.clone());
            let _ = std::thread::Builder::new()
                .name("snow-net-request".into())
                .spawn(move || {
                    let answer = handler(&me, term);
                    if id != 0 {
                        let _ = me.write('A', id, &answer);
                    }
                });
        }
    }
}

/// `Q|A <id> <hex>` → its parts; `None` for anything else.
fn parse(line: &str) -> Option<(&str, u64, Term)> {
    let mut parts = line.trim_end().splitn(3, ' ');
    let kind = parts.next().filter(|k| *k == "Q" || *k == "A")?;
    let id = parts.next()?.parse().ok()?;
    let hex = parts.next()?.as_bytes();
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = hex
        .chunks(2)
        .map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
        })
        .collect();
    let (term, _) = etf::decode(&bytes?).ok()?;
    Some((kind, id, term))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_answered_across_a_socket_pair() {
        let (a, b) = UnixStream::pair().expect("socket pair");
        let left = Channel::new(&a).expect("channel");
        let right = Channel::new(&b).expect("channel");
        let l2 = left.clone();
        std::thread::spawn(move || l2.serve(a, Arc::new(|_, t| t)));
        std::thread::spawn(move || {
            right.serve(b, Arc::new(|_, t| Term::tuple(vec![Term::atom("echo"), t])))
        });
        let answer = left
            .request(&Term::Int(42), Duration::from_secs(5))
            .expect("answered");
        assert_eq!(answer, Term::tuple(vec![Term::atom("echo"), Term::Int(42)]));
    }

    #[test]
    fn malformed_lines_are_ignored() {
        assert!(parse("Q x 83").is_none());
        assert!(parse("Z 1 83").is_none());
        assert!(parse("Q 1 8").is_none());
        assert!(parse("Q 1 zz").is_none());
        assert!(parse("Q 1 836a").is_some());
    }
}
