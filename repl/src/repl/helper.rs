//! The rustyline helper: tab completion and syntax highlighting for the
//! prompt (no hints, no validation: the loop itself decides when an entry
//! is complete).

use super::complete::{atom_at, candidates, node_candidates, word_at, PromptNames};
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
    /// For node names: this node, its connections and its peers, live.
    runtime: snow_runtime::Runtime,
}

impl SnowHelper {
    pub fn new(colour: bool, names: Arc<Mutex<PromptNames>>, runtime: snow_runtime::Runtime) -> SnowHelper {
        SnowHelper { colour, names, runtime }
    }

    fn node_names(&self) -> Vec<String> {
        let mut v: Vec<String> = snow_runtime::dist::peers::list().iter().map(|a| a.as_str().to_string()).collect();
        if let Some(d) = self.runtime.distribution() {
            v.push(d.name().as_str().to_string());
            v.extend(d.connected().iter().map(|a| a.as_str().to_string()));
        }
        v
    }
}

impl Completer for SnowHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        if let Some((start, prefix)) = atom_at(line, pos) {
            let found = node_candidates(prefix, &self.node_names());
            return Ok((start, found.into_iter().map(|c| Pair { display: c.display, replacement: c.replacement }).collect()));
        }
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
