//! Where processes' printed lines go. By default stdout (and stderr for crash
//! reports); the REPL redirects both so that lines appear above its prompt.

use std::io::Write;
use std::sync::OnceLock;

pub trait Output: Send + Sync {
    /// A line of program output (`println`), without its newline.
    fn out(&self, line: &str);
    /// A line of diagnostics (crash reports), without its newline.
    fn err(&self, text: &str);
}

struct Stdio;

impl Output for Stdio {
    fn out(&self, line: &str) {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(line.as_bytes());
        let _ = o.write_all(b"\n");
        let _ = o.flush();
    }
    fn err(&self, text: &str) {
        let mut e = std::io::stderr().lock();
        let _ = e.write_all(text.as_bytes());
        let _ = e.write_all(b"\n");
        let _ = e.flush();
    }
}

static SINK: OnceLock<Box<dyn Output>> = OnceLock::new();

/// Installs the output sink; only the first call takes effect.
pub fn set_output(sink: Box<dyn Output>) {
    let _ = SINK.set(sink);
}

pub fn output() -> &'static dyn Output {
    SINK.get_or_init(|| Box::new(Stdio)).as_ref()
}
