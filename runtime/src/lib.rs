//! Snow's actor runtime: terms, processes, mailboxes, the scheduler, signals
//! (links, monitors, exits), timers and names. It knows nothing of Snow's
//! syntax: the code a process runs is a `Behaviour`.

pub mod atom;
pub mod behaviour;
pub mod cx;
pub mod inspect;
pub mod term;

pub use atom::Atom;
pub use behaviour::{Behaviour, Slice, REDUCTIONS_PER_SLICE};
pub use term::{Cons, Fun, FunCode, MapObj, Pid, Ref, Term};
