//! The rustyline helper: tab completion and syntax highlighting for the
//! prompt (no hints, no validation: the loop itself decides when an entry
//! is complete).

use super::complete::{candidates, word_at, PromptNames};
use super::highlight::highlight;
use parking_lot::Mutex;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::{Context, Helper, Hinter, Validator};
use std::borrow::Cow;
use std::sync::Arc;

#[derive(Helper, Hinter, Validator)]
pub struct SnowHelper {
    /// Colour the line being typed.
    colour: bool,
    /// Names bound and defined at the prompt, refreshed after each entry.
    names: Arc<Mutex<PromptNames>>,
}

impl SnowHelper {
    pub fn new(colour: bool, names: Arc<Mutex<PromptNames>>) -> SnowHelper {
        SnowHelper { colour, names }
    }
}

impl Completer for SnowHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let Some((start, word)) = word_at(line, pos) else { return Ok((pos, Vec::new())) };
        let names = self.names.lock().clone();
        let found = candidates(word, snow_lang::vm::builtins().names(), &names);
        Ok((start, found.into_iter().map(|c| Pair { display: c.display, replacement: c.replacement }).collect()))
    }
}

impl Highlighter for SnowHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.colour {
            Cow::Owned(highlight(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }
}
