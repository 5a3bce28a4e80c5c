//! A session's table of named functions, for late-bound calls: at the REPL a
//! function may call one defined later, and a redefinition replaces the old
//! one for every caller (as loading new code does on the BEAM).

use crate::bytecode::Proto;
use parking_lot::RwLock;
use rustc_hash::FxHashMap;
use snow_runtime::Atom;

#[derive(Default)]
pub struct Namespace {
    funs: RwLock<FxHashMap<(Atom, u16), &'static Proto>>,
}

impl Namespace {
    /// A namespace that lives as long as the program.
    pub fn leak() -> &'static Namespace {
        Box::leak(Box::default())
    }

    pub fn define(&self, name: Atom, arity: u16, proto: &'static Proto) {
        self.funs.write().insert((name, arity), proto);
    }

    /// Forgets every function of `module` (`Module.fun`), before the module
    /// is defined again: a function the new definition lacks is gone.
    pub fn forget_module(&self, module: &str) {
        let prefix = format!("{module}.");
        self.funs.write().retain(|(name, _), _| !name.as_str().starts_with(&prefix));
    }

    pub fn get(&self, name: Atom, arity: u16) -> Option<&'static Proto> {
        self.funs.read().get(&(name, arity)).copied()
    }

    /// Arities defined under `name`.
    pub fn arities(&self, name: &str) -> Vec<u16> {
        let Some(atom) = Atom::existing(name) else { return Vec::new() };
        let mut v: Vec<u16> = self.funs.read().keys().filter(|(n, _)| *n == atom).map(|(_, a)| *a).collect();
        v.sort_unstable();
        v
    }

    /// Every defined `name/arity`, for completion and `:help`.
    pub fn names(&self) -> Vec<(String, u16)> {
        let mut v: Vec<_> = self.funs.read().keys().map(|(n, a)| (n.as_str().to_string(), *a)).collect();
        v.sort();
        v
    }
}
