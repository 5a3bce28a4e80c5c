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
        None => eprintln!("{text}"),
    }
}
