//! The mailbox: a process's private queue of messages, after signal handling.
//!
//! Only the thread running the process touches it. Senders never do: they
//! push signals into the process's inbox (`process.rs`), and the runner moves
//! messages from there to the end of the mailbox between slices, in arrival
//! order. Selective receive scans it oldest first, by index, and removes the
//! one message it takes; the others keep their order (rule 3).

use crate::term::Term;
use std::collections::VecDeque;

/// Messages in arrival order. Starts with no allocation (an idle process with
/// an empty mailbox costs only the struct).
#[derive(Default)]
pub struct Mailbox {
    queue: VecDeque<Term>,
}

impl Mailbox {
    pub fn new() -> Mailbox {
        Mailbox { queue: VecDeque::new() }
    }
    pub fn len(&self) -> usize {
        self.queue.len()
    }
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
    /// The `i`th oldest message.
    pub fn get(&self, i: usize) -> Option<&Term> {
        self.queue.get(i)
    }
    /// Takes the `i`th oldest message out; younger ones move up one place.
    pub fn remove(&mut self, i: usize) -> Option<Term> {
        let t = self.queue.remove(i);
        if self.queue.is_empty() && self.queue.capacity() > 64 {
            // A burst is over: give the memory back (idle processes stay small).
            self.queue = VecDeque::new();
        }
        t
    }
    /// Oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Term> {
        self.queue.iter()
    }
    /// Appends at the young end.
    pub fn push(&mut self, t: Term) {
        self.queue.push_back(t);
    }
    pub fn clear(&mut self) {
        self.queue = VecDeque::new();
    }
    /// Removes the first message for which `f` holds; true if there was one.
    pub fn remove_first(&mut self, f: impl Fn(&Term) -> bool) -> bool {
        match self.queue.iter().position(f) {
            Some(i) => self.remove(i).is_some(),
            None => false,
        }
    }
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.queue.iter()).finish()
    }
}
