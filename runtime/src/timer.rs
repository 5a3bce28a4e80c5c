//! Timers: one thread, one binary heap, one condition variable.
//!
//! Used for receive deadlines (`Slice::Wait(Some(t))` arms a timer that
//! wakes the process), `send_after` and `cancel_timer`. Nothing polls: the
//! thread sleeps on the condvar until the earliest deadline, and is woken
//! early only when a new timer becomes the earliest (or at shutdown).
//!
//! Cancellation is lazy: `cancel` removes the entry from the map (freeing its
//! message at once), leaving a 24-byte tombstone in the heap; the heap is
//! compacted whenever tombstones outnumber live timers, so memory stays
//! proportional to the live timers.

use crate::atom::Atom;
use crate::runtime::Runtime;
use crate::signal::Signal;
use crate::term::{Pid, Term};
use parking_lot::{Condvar, Mutex};
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// Where `send_after` delivers: a pid, or a name looked up when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerDest {
    Pid(Pid),
    Name(Atom),
}

pub(crate) enum TimerAction {
    /// A receive deadline: the id is checked by the process, so a stale one
    /// (the process was re-armed or got its message) wakes nobody.
    Wake(Pid),
    Send(TimerDest, Term),
}

#[derive(Default)]
struct State {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    entries: FxHashMap<u64, (Instant, TimerAction)>,
    shutdown: bool,
}

#[derive(Default)]
pub(crate) struct Timers {
    state: Mutex<State>,
    cv: Condvar,
}

impl Timers {
    pub(crate) fn add(&self, id: u64, at: Instant, action: TimerAction) {
        let mut s = self.state.lock();
        let earliest = !matches!(s.heap.peek(), Some(Reverse((t, _))) if *t <= at);
        s.heap.push(Reverse((at, id)));
        s.entries.insert(id, (at, action));
        drop(s);
        if earliest {
            self.cv.notify_one();
        }
    }

    /// Removes a pending timer; returns the time it had left at `now`.
    pub(crate) fn cancel(&self, id: u64, now: Instant) -> Option<Duration> {
        let mut s = self.state.lock();
        let (at, _action) = s.entries.remove(&id)?;
        if s.heap.len() > 64 && s.heap.len() > 2 * s.entries.len() {
            let State { heap, entries, .. } = &mut *s;
            heap.retain(|Reverse((_, id))| entries.contains_key(id));
        }
        Some(at.saturating_duration_since(now))
    }

    /// The earliest deadline still pending (cancelled ones are dropped on
    /// the way, so a simulation never jumps to a timer that is gone).
    pub(crate) fn next_at(&self) -> Option<Instant> {
        let mut s = self.state.lock();
        while let Some(&Reverse((at, id))) = s.heap.peek() {
            if s.entries.contains_key(&id) {
                return Some(at);
            }
            s.heap.pop();
        }
        None
    }

    /// Takes every timer due at `now` into `due`, in deadline order (ties
    /// in the order they were added, by id).
    fn take_due(s: &mut State, now: Instant, due: &mut Vec<(u64, TimerAction)>) {
        while let Some(&Reverse((at, id))) = s.heap.peek() {
            if at > now {
                break;
            }
            s.heap.pop();
            if let Some((_, action)) = s.entries.remove(&id) {
                due.push((id, action));
            }
        }
    }

    /// Fires every timer due at `now` (the simulation's clock): the caller
    /// is the one thread that runs the simulation.
    pub(crate) fn fire_due(&self, rt: &Runtime, now: Instant) {
        let mut due = Vec::new();
        Timers::take_due(&mut self.state.lock(), now, &mut due);
        fire(rt, &mut due);
    }

    pub(crate) fn shutdown(&self) {
        let mut s = self.state.lock();
        s.shutdown = true;
        s.heap.clear();
        s.entries.clear();
        drop(s);
        self.cv.notify_all();
    }

    /// The timer thread's loop: fire what is due, then sleep until the next.
    pub(crate) fn run(&self, rt: &Runtime) {
        let mut due = Vec::new();
        loop {
            {
                let mut s = self.state.lock();
                loop {
                    if s.shutdown {
                        return;
                    }
                    Timers::take_due(&mut s, Instant::now(), &mut due);
                    if !due.is_empty() {
                        break;
                    }
                    match s.heap.peek() {
                        Some(&Reverse((at, _))) => {
                            self.cv.wait_until(&mut s, at);
                        }
                        None => self.cv.wait(&mut s),
                    }
                }
            }
            // Fired outside the lock: delivering may take other locks.
            fire(rt, &mut due);
        }
    }
}

fn fire(rt: &Runtime, due: &mut Vec<(u64, TimerAction)>) {
    for (id, action) in due.drain(..) {
        match action {
            TimerAction::Wake(pid) => rt.deliver(None, pid, Signal::Timeout(id)),
            TimerAction::Send(TimerDest::Pid(pid), msg) => rt.deliver(None, pid, Signal::Message(msg)),
            TimerAction::Send(TimerDest::Name(name), msg) => {
                if let Some(pid) = rt.whereis(name) {
                    rt.deliver(None, pid, Signal::Message(msg));
                }
            }
        }
    }
}
