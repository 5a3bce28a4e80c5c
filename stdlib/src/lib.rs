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
pub mod testing;
pub mod trace;
pub mod node_table;

pub use node::install_distribution;
pub use system::{before_halt, set_argv};

use snow_lang::vm::{self, Arity, Builtin, BuiltinImpl, BuiltinTable};

/// The prelude: the parts of the library written in Snow, each file compiled
/// when one of its functions is first called (each file one unit: they call
/// each other by `Module.fun`), as Erlang loads a module on its first call.
/// Start-up reads only their function heads (`lazy_heads`): compiling the
/// core at every start was nine tenths of a `snow -e`'s instructions.
const LAZY: &[(&str, &str)] = &[
    ("prelude/core.snow", include_str!("prelude/core.snow")),
    ("prelude/service.snow", include_str!("prelude/service.snow")),
    ("prelude/supervisor.snow", include_str!("prelude/supervisor.snow")),
    ("prelude/job.snow", include_str!("prelude/job.snow")),
    ("prelude/test.snow", include_str!("prelude/test.snow")),
    ("prelude/nemesis.snow", include_str!("prelude/nemesis.snow")),
];

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
        testing::register(&mut t);
        for (file, source) in LAZY {
            add_lazy(&mut t, file, source);
        }
        vm::install_builtins(t)
    })
}

/// Adds each `module__name` function of a lazily compiled file as
/// `Module.name`, from its heads alone.
fn add_lazy(t: &mut BuiltinTable, file: &'static str, source: &'static str) {
    let unit = vm::LazyUnit::leak(file, source);
    let mut seen: Vec<(&str, u16)> = Vec::new();
    for (name, arity) in lazy_heads(source) {
        let Some((module, fun)) = name.split_once("__") else { continue };
        if module.is_empty() || seen.contains(&(name, arity)) {
            continue;
        }
        seen.push((name, arity));
        let module = if module == "kernel" { String::new() } else { capitalize(module) };
        let module: &'static str = Box::leak(module.into_boxed_str());
        let lazy: &'static vm::LazyFn = Box::leak(Box::new(vm::LazyFn::new(unit, name, arity)));
        t.add(Builtin { module, name: fun, arity: Arity::Exact(arity), imp: BuiltinImpl::Lazy(lazy) });
    }
}

/// The name and arity of every named function in `source`: each line that
/// starts with `fn name(`, its parameters counted at the top level of the
/// parentheses (patterns may hold tuples, lists and maps). The unit test
/// below checks the result against the compiled unit.
fn lazy_heads(source: &'static str) -> Vec<(&'static str, u16)> {
    let mut out = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("fn ") else { continue };
        let Some(open) = rest.find('(') else { continue };
        let name = &rest[..open];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '?' | '!')) {
            continue;
        }
        let (mut depth, mut commas, mut any) = (0usize, 0u16, false);
        for c in rest[open..].chars() {
            match c {
                '(' | '[' | '{' => {
                    any |= depth >= 1; // `fn f([])`: a bracket is an argument too
                    depth += 1;
                }
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    any = true;
                }
                ',' if depth == 1 => commas += 1,
                c if depth >= 1 && !c.is_whitespace() => any = true,
                _ => {}
            }
        }
        out.push((name, if any { commas + 1 } else { 0 }));
    }
    out
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
    fn heads_count_arguments_that_are_brackets() {
        let heads = super::lazy_heads("fn f([]) = 1\nfn g() = 2\nfn h((a, b), %{}) = 3\nfn k(x) = x\n");
        assert_eq!(heads, vec![("f", 1), ("g", 0), ("h", 2), ("k", 1)]);
    }

    /// Every lazily compiled file compiles, and its heads, as start-up reads
    /// them, are exactly its compiled functions.
    #[test]
    fn the_lazy_prelude_compiles_and_its_heads_are_right() {
        super::init();
        for (file, source) in super::LAZY {
            let unit = snow_lang::vm::LazyUnit::leak(file, source);
            let fns = unit.functions().unwrap_or_else(|e| panic!("{e}"));
            let mut compiled: Vec<(String, u16)> = fns.keys().cloned().collect();
            let mut heads: Vec<(String, u16)> =
                super::lazy_heads(source).into_iter().map(|(n, a)| (n.to_string(), a)).collect();
            compiled.sort();
            heads.sort();
            heads.dedup();
            assert_eq!(heads, compiled, "{file}");
        }
    }

    #[test]
    fn the_prelude_loads() {
        let t = super::init();
        assert!(t.lookup("List", "map", 2).is_some());
        assert!(t.lookup("Process", "sleep", 1).is_some());
        assert!(t.lookup("", "spawn", 3).is_some());
    }
}
