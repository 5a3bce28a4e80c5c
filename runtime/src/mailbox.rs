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
///
/// Invariant: the `seen` oldest messages are the ones an observer has
/// already looked at (`take_unseen`); since messages only join at the young
/// end, the seen ones always form a prefix, whatever `receive` removes.
#[derive(Default)]
pub struct Mailbox {
    queue: VecDeque<Term>,
    seen: usize,
}

impl Mailbox {
    pub fn new() -> Mailbox {
        Mailbox { queue: VecDeque::new(), seen: 0 }
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
        if i == 0 {
            return self.pop_oldest();
        }
        let t = self.queue.remove(i)?;
        if i < self.seen {
            self.seen -= 1;
        }
        if self.queue.is_empty() && self.queue.capacity() > 64 {
            self.shrink();
        }
        Some(t)
    }

    /// `remove(0)`: the oldest, the one `receive` takes most often. Small
    /// enough to inline into the interpreter; `remove` as a whole is not
    /// (inlined, it cost every interpreted call instructions).
    #[inline]
    pub fn pop_oldest(&mut self) -> Option<Term> {
        let t = self.queue.pop_front()?;
        self.seen = self.seen.saturating_sub(1);
        if self.queue.is_empty() && self.queue.capacity() > 64 {
            self.shrink();
        }
        Some(t)
    }

    /// `pop_oldest` for a message nobody needs any more (`receive` read a
    /// copy): dropped where it lies, a scalar without a destructor call.
    /// Its own copy of `pop_oldest`'s bookkeeping: written as a call to it,
    /// the message is moved out through an `Option` first (measured: 13
    /// instructions a message on the ring).
    #[inline]
    pub fn drop_oldest(&mut self) {
        if let Some(t) = self.queue.pop_front() {
            if t.owns_nothing() {
                std::mem::forget(t);
            } else {
                drop(t);
            }
            self.seen = self.seen.saturating_sub(1);
            if self.queue.is_empty() && self.queue.capacity() > 64 {
                self.shrink();
            }
        }
    }

    /// A burst is over: give the memory back (idle processes stay small).
    #[cold]
    fn shrink(&mut self) {
        self.queue = VecDeque::new();
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
        self.seen = 0;
    }
    /// The messages that arrived since the last call (oldest first), which
    /// from now on count as seen. The REPL's live feed announces with it:
    /// each message once, in arrival order, and it stays in the mailbox.
    pub fn take_unseen(&mut self) -> impl Iterator<Item = &Term> {
        let from = self.seen.min(self.queue.len());
        self.seen = self.queue.len();
        self.queue.range(from..)
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

#[cfg(test)]
mod tests {
    use super::Mailbox;
    use crate::term::Term;

    fn unseen(m: &mut Mailbox) -> Vec<i64> {
        m.take_unseen().map(|t| if let Term::Int(i) = t { *i } else { -1 }).collect()
    }

    #[test]
    fn each_message_is_unseen_once_whatever_receive_removes() {
        let mut m = Mailbox::new();
        m.push(Term::Int(1));
        m.push(Term::Int(2));
        assert_eq!(unseen(&mut m), [1, 2]);
        m.push(Term::Int(3));
        m.remove(0); // a seen one taken: 3 is still the only new one
        assert_eq!(unseen(&mut m), [3]);
        m.push(Term::Int(4));
        m.push(Term::Int(5));
        m.remove(2); // an unseen one taken (4): only 5 is left to see
        assert_eq!(unseen(&mut m), [5]);
        assert_eq!(unseen(&mut m), Vec::<i64>::new());
        m.clear();
        m.push(Term::Int(6));
        assert_eq!(unseen(&mut m), [6]);
    }

    #[test]
    fn dropping_the_oldest_lets_go_of_it_and_keeps_the_seen_count() {
        let shared: std::sync::Arc<str> = std::sync::Arc::from("shared");
        let mut m = Mailbox::new();
        m.push(Term::Str(shared.clone()));
        m.push(Term::Int(2));
        assert_eq!(unseen(&mut m).len(), 2);
        m.push(Term::Int(3));
        m.drop_oldest(); // the string: its reference goes with it
        assert_eq!(std::sync::Arc::strong_count(&shared), 1);
        m.drop_oldest(); // a scalar, seen
        assert_eq!(unseen(&mut m), [3]);
        m.drop_oldest();
        m.drop_oldest(); // empty: nothing happens
        assert!(m.is_empty());
        m.push(Term::Int(4));
        assert_eq!(unseen(&mut m), [4]);
    }
}
