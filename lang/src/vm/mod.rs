//! The VM: runs compiled Snow code inside a runtime process.
//!
//! A `Fiber` is one process's execution state — its register stack, its
//! frame stack and its receive state — all on the heap. The interpreter
//! never recurses on the Rust stack, and native code (`jit`), which does,
//! a bounded depth, hands back to it at an instruction boundary whenever it
//! stops; so a process can stop between any two instructions (budget spent,
//! or waiting in `receive`) and resume later on any scheduler thread.

mod builtins;
mod exception;
mod exec;
mod ops;
pub(crate) mod fiber;
pub mod modules;
mod namespace;
mod output;
pub mod report;
pub mod suggest;
#[cfg(test)]
pub(crate) mod tests;

pub use builtins::{
    installed as builtins, install as install_builtins, Arity, Builtin, BuiltinImpl, BuiltinTable, LazyFn, LazyUnit, NativeCx,
    NativeFn,
};
pub use exception::{ExcKind, Exception};
pub use fiber::{callable_with, Fiber, Outcome, Fault};
pub use namespace::Namespace;
pub use output::{output, set_output, Output};

/// A function value for a loaded named function, with nothing captured.
pub fn fun_value(proto: &'static crate::bytecode::Proto) -> snow_runtime::Term {
    ops::make_fun(proto, Box::new([]))
}
