//! Collects diagnostics, remembering whether any of them is a real error
//! rather than "the input stops too early" (which makes the input incomplete).

use crate::diagnostic::Diagnostic;

/// More than this many diagnostics for one input only buries the first ones.
const MAX_DIAGNOSTICS: usize = 50;

#[derive(Debug, Default)]
pub struct Report {
    pub diags: Vec<Diagnostic>,
    /// Set once any diagnostic is not an end-of-input one.
    pub hard: bool,
}

impl Report {
    /// A real error: the input is wrong, not merely unfinished.
    pub fn error(&mut self, d: Diagnostic) {
        self.hard = true;
        self.push(d);
    }

    /// The input ends inside an open construct: more input could fix it.
    pub fn at_eof(&mut self, d: Diagnostic) {
        self.push(d);
    }

    fn push(&mut self, d: Diagnostic) {
        if self.diags.len() < MAX_DIAGNOSTICS {
            self.diags.push(d);
        }
    }
}
