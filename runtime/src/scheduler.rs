//! The scheduler: work-stealing run queues and the worker threads that serve
//! them.
//!
//! # Queues
//!
//! One worker thread per core (`SNOW_SCHEDULERS` overrides), each with a
//! local FIFO queue; one global injector; each worker can steal from the
//! others. A process made runnable *on a worker thread* (a process sent a
//! message, or yielded) goes to that worker's local queue; made runnable
//! anywhere else (timer thread, REPL, tests) it goes to the injector. The
//! scheduler moves opaque `Arc<Process>` handles and never looks inside.
//!
//! # Fairness (rule 12)
//!
//! A slice is bounded by the behaviour's reduction budget; a process that
//! yields goes to the *back* of the local queue, so every runnable process on
//! a worker gets a turn. After a slice that used its whole budget, and every
//! `GLOBAL_EVERY` slices, a worker looks at the injector first, so processes
//! woken from outside (the REPL, timers) are not starved by a worker whose
//! local queue never empties. An idle worker steals.
//!
//! # Parking without lost wakeups
//!
//! An idle worker first looks for work for `SPIN_BEFORE_PARK` (50 µs,
//! yielding the CPU between looks), then parks on a condvar and uses no CPU
//! until woken. The spin is the BEAM's trick: a reply that comes back
//! within it (a message round trip, a remote ping) is run without a futex
//! wake-up, which on this VM costs tens of microseconds. (200 µs was tried
//! for remote round trips, 40-60 µs node to node on loopback: no gain that
//! showed over the noise, and the spinning workers took CPU from a starting
//! `snow -e` on two cores, 12.9 → 14.6 ms.) The parking
//! protocol, with `sleepers` an atomic counter:
//!
//! * parking worker: lock `sleep`; `sleepers += 1`; SeqCst fence; look at
//!   every queue once more; if all are empty, `wait` (which releases the
//!   lock atomically); on wake `sleepers -= 1`.
//! * waker (after pushing): SeqCst fence; if no worker is spinning and
//!   `sleepers > 0`, lock `sleep` and `notify_one`.
//!
//! The two fences order "push; read sleepers" against "raise sleepers; read
//! queues": either the waker sees the sleeper (and, since the sleeper holds
//! the lock until it waits, its notify reaches a waiting thread), or the
//! sleeper sees the pushed process. A waker that sees a spinner wakes no
//! one (a futex call saved on every hop of a round trip): the spinner
//! lowers `spinners` before it raises `sleepers` and looks at the queues,
//! so by the same fences it either finds the process or was not counted. A local queue is only ever filled by its
//! own worker, which is awake and drains it before parking, so a local push
//! needs no wakeup for correctness; it wakes a sleeper (to steal) only when
//! the local queue holds more than the one process its worker will run next,
//! or for a new process. So a chain of messages (one runnable process at a
//! time) stays on one warm worker with no system calls, as on the BEAM.
//! The price: a process made runnable by a slice that then runs long waits
//! for that slice. A behaviour about to block its thread (I/O) must call
//! `Cx::blocking`, which hands the local queue to the other workers.

use crate::process::Process;
use crate::sim::SimQueue;
use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use parking_lot::{Condvar, Mutex};
use std::cell::{Cell, RefCell};
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering::*};
use std::sync::Arc;

/// Every this many slices a worker takes from the injector before its own
/// local queue.
const GLOBAL_EVERY: u32 = 61;

/// How long an idle worker looks for work before it parks.
pub(crate) const SPIN_BEFORE_PARK: std::time::Duration = std::time::Duration::from_micros(50);

pub(crate) struct Scheduler {
    /// Distinguishes runtimes in one program (tests make many).
    id: usize,
    injector: Injector<Arc<Process>>,
    stealers: Vec<Stealer<Arc<Process>>>,
    sleep: Mutex<()>,
    cv: Condvar,
    sleepers: AtomicUsize,
    /// Workers looking for work before they park: a waker leaves the
    /// sleepers alone while one is, since it will find the work.
    spinners: AtomicUsize,
    shutdown: AtomicBool,
    /// A simulation's one seeded queue (`sim.rs`), shared by the nodes of
    /// the simulation, and this node's slot in it; in place of the above.
    sim: Option<(Arc<SimQueue>, usize)>,
}

/// The calling thread's own queue, when it is a worker.
struct Local {
    sched: usize,
    index: usize,
    queue: Worker<Arc<Process>>,
    /// Inside `Cx::blocking`: this thread may block, so nothing is queued
    /// locally.
    blocking: Cell<bool>,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

impl Scheduler {
    /// A scheduler with `n` workers; returns the local queues, one per
    /// worker thread to be started with `work`.
    pub(crate) fn new(n: usize) -> (Scheduler, Vec<Worker<Arc<Process>>>) {
        static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
        let queues: Vec<_> = (0..n.max(1)).map(|_| Worker::new_fifo()).collect();
        let sched = Scheduler {
            id: NEXT_ID.fetch_add(1, Relaxed),
            injector: Injector::new(),
            stealers: queues.iter().map(|q| q.stealer()).collect(),
            sleep: Mutex::new(()),
            cv: Condvar::new(),
            sleepers: AtomicUsize::new(0),
            spinners: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            sim: None,
        };
        (sched, queues)
    }

    /// The scheduler of a node of a simulation: no workers, the one seeded
    /// queue that the simulation thread serves (`sim::run`), and the node's
    /// slot in it.
    pub(crate) fn simulated(q: Arc<SimQueue>, slot: usize) -> Scheduler {
        let (mut sched, _) = Scheduler::new(1);
        sched.stealers.clear();
        sched.sim = Some((q, slot));
        sched
    }

    pub(crate) fn sim(&self) -> Option<&SimQueue> {
        self.sim.as_ref().map(|(q, _)| &**q)
    }

    /// The simulation's queue and this node's slot in it.
    pub(crate) fn sim_slot(&self) -> Option<(&Arc<SimQueue>, usize)> {
        self.sim.as_ref().map(|(q, slot)| (q, *slot))
    }

    pub(crate) fn workers(&self) -> usize {
        self.stealers.len().max(1)
    }

    /// True on one of this scheduler's worker threads.
    pub(crate) fn on_worker(&self) -> bool {
        if let Some((q, _)) = &self.sim {
            return q.on_sim_thread();
        }
        LOCAL.with(|l| l.borrow().as_ref().is_some_and(|l| l.sched == self.id))
    }

    /// Queues a runnable process. `eager`: wake a parked worker even for a
    /// local push (a new process should start in parallel at once).
    pub(crate) fn schedule(&self, p: Arc<Process>, eager: bool) {
        if self.sim.is_some() {
            return self.schedule_simulated(p);
        }
        let mut p = Some(p);
        let mut backlog = false;
        LOCAL.with(|l| {
            if let Some(local) = l.borrow().as_ref() {
                if local.sched == self.id && !local.blocking.get() {
                    if let Some(p) = p.take() {
                        local.queue.push(p);
                        backlog = eager || local.queue.len() > 1;
                    }
                }
            }
        });
        match p {
            Some(p) => {
                self.injector.push(p);
                self.wake_one();
            }
            None if backlog => self.wake_one(),
            None => {}
        }
    }

    /// `schedule` in a simulation: out of line, so that the real path
    /// stays small enough to be inlined where it is called (measured: 45
    /// instructions a message on the ring).
    #[cold]
    #[inline(never)]
    fn schedule_simulated(&self, p: Arc<Process>) {
        if let Some((q, slot)) = &self.sim {
            q.push(*slot, p);
        }
    }

    /// Runs `f`, which may block the thread for long (I/O): first hands this
    /// worker's queued processes to the others, and queues nothing locally
    /// until `f` returns.
    pub(crate) fn blocking<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.sim.is_some() {
            return f(); // the one thread blocks: the simulation waits with it
        }
        let mut moved = 0;
        let was = LOCAL.with(|l| {
            let l = l.borrow();
            let local = l.as_ref().filter(|l| l.sched == self.id)?;
            while let Some(p) = local.queue.pop() {
                self.injector.push(p);
                moved += 1;
            }
            Some(local.blocking.replace(true))
        });
        for _ in 0..moved.min(self.stealers.len()) {
            self.wake_one();
        }
        let r = f();
        if let Some(was) = was {
            LOCAL.with(|l| {
                if let Some(local) = l.borrow().as_ref() {
                    local.blocking.set(was);
                }
            });
        }
        r
    }

    fn wake_one(&self) {
        fence(SeqCst);
        if self.spinners.load(SeqCst) == 0 && self.sleepers.load(SeqCst) > 0 {
            let _g = self.sleep.lock();
            self.cv.notify_one();
        }
    }

    /// How many processes wait on the run queues (not those running now):
    /// Erlang's `statistics(total_run_queue_lengths_all)`. A moment's
    /// count: others may be queued or taken while it is read.
    pub(crate) fn queued(&self) -> usize {
        if let Some((q, slot)) = &self.sim {
            return q.queued(*slot);
        }
        self.injector.len() + self.stealers.iter().map(|s| s.len()).sum::<usize>()
    }

    fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }

    /// Parks the calling worker until there may be work.
    fn park(&self) {
        // A short busy wait first, as the BEAM's schedulers do: a reply that
        // arrives within it (a message round trip, a remote ping) runs
        // without a futex wake-up.
        let spin_until = std::time::Instant::now() + SPIN_BEFORE_PARK;
        self.spinners.fetch_add(1, SeqCst);
        while std::time::Instant::now() < spin_until {
            if self.has_work() || self.shutdown.load(Relaxed) {
                self.spinners.fetch_sub(1, SeqCst);
                return;
            }
            std::thread::yield_now();
        }
        self.spinners.fetch_sub(1, SeqCst);
        let mut g = self.sleep.lock();
        self.sleepers.fetch_add(1, SeqCst);
        fence(SeqCst);
        if !self.has_work() && !self.shutdown.load(SeqCst) {
            self.cv.wait(&mut g);
        }
        self.sleepers.fetch_sub(1, SeqCst);
    }

    /// Drops every queued process (after shutdown).
    pub(crate) fn drain(&self) {
        while steal(|| self.injector.steal()).is_some() {}
        if let Some((q, slot)) = &self.sim {
            match slot {
                0 => q.drain(),
                _ => q.remove(*slot),
            }
        }
    }

    pub(crate) fn shutdown(&self) {
        // A simulation ends with its first node; another node's end is
        // `SimQueue::remove`, in `drain`.
        if let Some((q, 0)) = &self.sim {
            q.shutdown();
        }
        self.shutdown.store(true, SeqCst);
        let _g = self.sleep.lock();
        self.cv.notify_all();
    }

    /// The next process for worker `index` to run.
    fn find(&self, local: &Worker<Arc<Process>>, index: usize, global_first: bool) -> Option<Arc<Process>> {
        if global_first {
            if let Some(p) = steal(|| self.injector.steal_batch_and_pop(local)) {
                return Some(p);
            }
        }
        if let Some(p) = local.pop() {
            return Some(p);
        }
        if let Some(p) = steal(|| self.injector.steal_batch_and_pop(local)) {
            return Some(p);
        }
        let n = self.stealers.len();
        (1..n).find_map(|i| steal(|| self.stealers[(index + i) % n].steal_batch_and_pop(local)))
    }

    /// A worker thread's loop: run slices until shutdown; `run` runs one.
    /// `run` runs one slice and says whether the process yielded (used up
    /// its budget).
    pub(crate) fn work(&self, index: usize, queue: Worker<Arc<Process>>, run: impl Fn(Arc<Process>) -> bool) {
        LOCAL.with(|l| *l.borrow_mut() = Some(Local { sched: self.id, index, queue, blocking: Cell::new(false) }));
        let mut tick = 0u32;
        let mut global_first = false;
        while !self.shutdown.load(Relaxed) {
            tick += 1;
            if tick >= GLOBAL_EVERY {
                tick = 0;
                global_first = true;
            }
            let next = LOCAL.with(|l| {
                l.borrow().as_ref().and_then(|l| self.find(&l.queue, l.index, global_first))
            });
            match next {
                Some(p) => global_first = run(p),
                None => self.park(),
            }
        }
        LOCAL.with(|l| *l.borrow_mut() = None);
    }
}

fn steal(mut f: impl FnMut() -> Steal<Arc<Process>>) -> Option<Arc<Process>> {
    loop {
        match f() {
            Steal::Success(p) => return Some(p),
            Steal::Empty => return None,
            Steal::Retry => continue,
        }
    }
}
