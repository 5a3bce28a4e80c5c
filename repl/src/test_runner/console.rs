//! The runner's stdout: one progress character per test on a line of
//! their own (`.` passed, `F` failed, `T` timed out), and what tests print
//! (`println`, crash reports of their processes) starting on a fresh line
//! rather than after the dots.

use snow_lang::vm::Output;
use std::io::Write;
use std::sync::Mutex;

/// Whether the last thing written is a progress character, so the line is
/// still open. Held while writing, so lines never interleave.
static MID_LINE: Mutex<bool> = Mutex::new(false);

/// The output sink for the test processes' lines.
pub struct Console;

impl Output for Console {
    fn out(&self, line: &str) {
        let mut mid = MID_LINE.lock().unwrap_or_else(|p| p.into_inner());
        let mut o = std::io::stdout().lock();
        if std::mem::take(&mut *mid) {
            let _ = o.write_all(b"\n");
        }
        let _ = o.write_all(line.as_bytes());
        let _ = o.write_all(b"\n");
        let _ = o.flush();
    }

    /// A crash report of some other process: on a line of its own too,
    /// where stdout and stderr share a terminal.
    fn err(&self, text: &str) {
        let mut mid = MID_LINE.lock().unwrap_or_else(|p| p.into_inner());
        if std::mem::take(&mut *mid) {
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(b"\n");
            let _ = o.flush();
        }
        let mut e = std::io::stderr().lock();
        let _ = e.write_all(text.as_bytes());
        let _ = e.write_all(b"\n");
        let _ = e.flush();
    }
}

/// Installs the console as the sink of printed lines (first call wins:
/// nothing has printed yet when the runner starts).
pub fn install() {
    snow_lang::vm::set_output(Box::new(Console));
}

/// One test's progress character.
pub fn progress(c: char) {
    let mut mid = MID_LINE.lock().unwrap_or_else(|p| p.into_inner());
    let mut o = std::io::stdout().lock();
    let _ = write!(o, "{c}");
    let _ = o.flush();
    *mid = true;
}

/// Writes `text` (whole lines) after ending the progress line.
pub fn lines(text: &str) {
    let mut mid = MID_LINE.lock().unwrap_or_else(|p| p.into_inner());
    let mut o = std::io::stdout().lock();
    if std::mem::take(&mut *mid) {
        let _ = o.write_all(b"\n");
    }
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}
