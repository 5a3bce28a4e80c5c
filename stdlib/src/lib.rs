//! Snow's built-in modules (`Process`, `List`, `Map`, `String`, ...), bound
//! to the runtime. `init` builds the table once: the native built-ins, then
//! the prelude (the Snow-written half) compiled against them.

mod args;
mod collections;
mod io_server;
pub mod docs;
mod kernel;
mod modules;
pub mod net;
mod node;
mod process;
pub mod process_table;
mod rpc;
pub mod shell;
mod system;
mod table;
pub mod trace;
pub mod node_table;

pub use node::install_distribution;
pub use system::{before_halt, set_argv};

use snow_lang::compiler::{compile, Mode};
use snow_lang::vm::{self, Arity, Builtin, BuiltinImpl, BuiltinTable};
use std::sync::Arc;

/// The prelude's files, compiled as one unit (so private helpers of
/// different files must not share a name).
const PRELUDE: &str = concat!(
    include_str!("prelude/core.snow"),
    "\n",
    include_str!("prelude/service.snow"),
    "\n",
    include_str!("prelude/supervisor.snow"),
    "\n",
    include_str!("prelude/job.snow"),
);

/// Builds and installs the built-in table (idempotent).
pub fn init() -> &'static BuiltinTable {
    static ONCE: std::sync::OnceLock<&'static BuiltinTable> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let mut t = BuiltinTable::new();
        kernel::register(&mut t);
        modules::register(&mut t);
        process::register(&mut t);
        collections::register(&mut t);
        system::register(&mut t);
        node::register(&mut t);
        net::register(&mut t);
        rpc::register(&mut t);
        shell::register(&mut t);
        trace::natives::register(&mut t);
        load_prelude(&mut t);
        vm::install_builtins(t)
    })
}

/// Compiles the prelude and adds each `module__name` function as
/// `Module.name`.
fn load_prelude(t: &mut BuiltinTable) {
    let parsed = snow_lang::syntax::parse(PRELUDE);
    assert!(parsed.diagnostics.is_empty(), "the prelude must parse: {:?}", parsed.diagnostics);
    let unit = match compile(&parsed.program, Arc::from(PRELUDE), Arc::from(snow_lang::bytecode::LIBRARY_FILE), t, Mode::Script) {
        Ok(u) => u,
        Err(d) => panic!("the prelude must compile: {d:?}"),
    };
    for (name, arity, proto) in unit.functions {
        let Some((module, fun)) = name.split_once("__") else { continue };
        // `kernel__x` is `x`, called without a module.
        let module = if module == "kernel" { String::new() } else { capitalize(module) };
        let module: &'static str = Box::leak(module.into_boxed_str());
        let fun: &'static str = Box::leak(fun.to_string().into_boxed_str());
        t.add(Builtin { module, name: fun, arity: Arity::Exact(arity), imp: BuiltinImpl::Snow(proto) });
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_prelude_loads() {
        let t = super::init();
        assert!(t.lookup("List", "map", 2).is_some());
        assert!(t.lookup("Process", "sleep", 1).is_some());
        assert!(t.lookup("", "spawn", 3).is_some());
    }
}
