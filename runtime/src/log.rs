//! Where the runtime's own one-line notices go (a refused connection, a
//! node not responding): stderr, unless the program installs a sink (the
//! terminal REPL prints them above its prompt, like any other output).

use parking_lot::RwLock;
use std::sync::Arc;

pub type Sink = Arc<dyn Fn(&str) + Send + Sync>;

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// Sends the runtime's notices to `sink` from now on.
pub fn set_sink(sink: Option<Sink>) {
    *SINK.write() = sink;
}

/// Prints one notice.
pub fn notice(text: &str) {
    let sink = SINK.read().clone();
    match sink {
        Some(s) => s(text),
        // One write for the whole line: a peer's notices share this
        // stderr, and a line written in pieces could interleave with theirs.
        None => {
            use std::io::Write;
            let _ = std::io::stderr().write_all(format!("{text}\n").as_bytes());
        }
    }
}

static EVENTS: RwLock<Option<Sink>> = RwLock::new(None);

/// Sends the runtime's events (a fault applied, a peer restarted: what
/// the REPL's live feed shows as `net <- ...`) to `sink` from now on.
/// Without one they are not shown: a script prints only what it prints.
pub fn set_event_sink(sink: Option<Sink>) {
    *EVENTS.write() = sink;
}

/// Announces one event.
pub fn event(text: &str) {
    let sink = EVENTS.read().clone();
    if let Some(s) = sink {
        s(text)
    }
}
