//! Every module the program has defined — in a script, at the prompt, in an
//! imported file — by name. Calls whose module was not known when their
//! caller was compiled look here when they run: a call through a module
//! value (`m.fun(args)`, `__module_fun`), and `Name.fun(args)` written
//! before `Name` was defined at the prompt. Like loaded code, entries are
//! never freed; a module defined again replaces the old one whole, as
//! loading a module does on the BEAM.

use crate::bytecode::Proto;
use parking_lot::RwLock;
use rustc_hash::FxHashMap;
use snow_runtime::Atom;
use std::sync::LazyLock;

/// The built-in that finds `fun/arity` of a module value when a call runs.
pub const MODULE_FUN: &str = "__module_fun";

type Functions = FxHashMap<(Atom, u16), &'static Proto>;

static MODULES: LazyLock<RwLock<FxHashMap<Atom, Functions>>> = LazyLock::new(Default::default);

/// Defines (or redefines) `module` as exactly these functions.
pub fn define<'n>(module: &str, functions: impl Iterator<Item = (&'n str, u16, &'static Proto)>) {
    let table: Functions = functions.map(|(name, arity, proto)| ((Atom::new(name), arity), proto)).collect();
    MODULES.write().insert(Atom::new(module), table);
}

/// A module function that arrived in code from another node (`Counter.get`,
/// named so by its compiler), so that calls through the module value
/// work here too. What this node defined itself is kept.
pub fn learn(proto: &'static Proto) {
    let Some((module, fun)) = proto.name.split_once('.') else { return };
    let is_name = |s: &str, first: fn(char) -> bool| {
        s.starts_with(first) && s.trim_end_matches(['?', '!']).chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !is_name(module, |c| c.is_ascii_uppercase()) || !is_name(fun, |c| c.is_ascii_lowercase() || c == '_') {
        return;
    }
    // A wrapper that makes a built-in a value is named like one.
    if super::builtins::installed().entries().any(|b| b.module == module) {
        return;
    }
    let mut modules = MODULES.write();
    let fns = modules.entry(Atom::new(module)).or_default();
    fns.entry((Atom::new(fun), proto.arity)).or_insert(proto);
}

pub fn get(module: Atom, fun: Atom, arity: u16) -> Option<&'static Proto> {
    MODULES.read().get(&module)?.get(&(fun, arity)).copied()
}

pub fn exists(module: Atom) -> bool {
    MODULES.read().contains_key(&module)
}

/// The arities `module.fun` is defined with (for "wrong arity" hints).
pub fn arities(module: Atom, fun: Atom) -> Vec<u16> {
    let modules = MODULES.read();
    let Some(fns) = modules.get(&module) else { return Vec::new() };
    let mut v: Vec<u16> = fns.keys().filter(|(f, _)| *f == fun).map(|(_, a)| *a).collect();
    v.sort_unstable();
    v
}

/// Every `fun/arity` of `module`, sorted (for completion and hints).
pub fn functions(module: Atom) -> Vec<(String, u16)> {
    let modules = MODULES.read();
    let mut v: Vec<(String, u16)> = modules
        .get(&module)
        .map(|fns| fns.keys().map(|(f, a)| (f.as_str().to_string(), *a)).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Every defined module's name, sorted.
pub fn names() -> Vec<String> {
    let mut v: Vec<String> = MODULES.read().keys().map(|m| m.as_str().to_string()).collect();
    v.sort();
    v
}
