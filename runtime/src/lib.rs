//! Snow's actor runtime: terms, processes, mailboxes, the scheduler, signals
//! (links, monitors, exits), timers and names. It knows nothing of Snow's
//! syntax: the code a process runs is a `Behaviour`.
//!
//! Code map: `runtime` (the handle, the process table, `deliver`),
//! `signal` (signal kinds and the ordering rules), `process` (states, the
//! exit rules, the lifecycle), `scheduler` (run queues, workers, parking),
//! `timer`, `registry`, `mailbox`, `cx` (what a running process can do).

pub mod atom;
pub mod behaviour;
mod clock;
pub mod cx;
pub mod dist;
pub mod inspect;
pub mod io_protocol;
pub mod log;
pub mod mailbox;
mod process;
mod registry;
pub mod runtime;
mod scheduler;
mod sim;
pub mod signal;
pub mod term;
pub mod timer;
pub mod trace;

pub use atom::Atom;
pub use behaviour::{from_fn, Behaviour, Slice, REDUCTIONS_PER_SLICE};
pub use cx::{Cx, MonitorTarget, SpawnOpts};
pub use mailbox::Mailbox;
pub use runtime::{Observer, ProcessInfo, Runtime, SCHEDULER_STACK};
pub use signal::{RemoteCall, RemoteRouter, Signal, SignalError, SignalEvent, SignalKind, SpawnRequest};
pub use term::{Cons, Fun, FunCode, MapObj, Pid, Ref, Term};
pub use timer::TimerDest;
