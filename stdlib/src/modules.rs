//! Module values: `Counter` is the atom `Counter`, and `m.fun(args)` finds
//! `fun/arity` of the module `m` holds when the call runs (the compiler
//! calls `__module_fun`, then the function it returns). User modules come
//! from `snow_lang::vm::modules`; a built-in module's function is its
//! prelude code, or a small wrapper compiled once for a native.

use crate::args;
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use snow_lang::bytecode::Proto;
use snow_lang::compiler::{compile, Mode};
use snow_lang::vm::{self, modules, Arity, BuiltinImpl, BuiltinTable, Exception, NativeCx};
use snow_runtime::inspect::inspect;
use snow_runtime::{Atom, Term};
use std::sync::{Arc, LazyLock};

pub fn register(t: &mut BuiltinTable) {
    t.native("", modules::MODULE_FUN, Arity::Exact(3), module_fun);
}

fn module_fun(_: &mut NativeCx<'_, '_>, a: &[Term]) -> Result<Term, Exception> {
    let fun = args::atom(&a[1])?;
    let arity = u16::try_from(args::non_neg(&a[2])?).map_err(|_| Exception::badarg())?;
    let Some(module) = a[0].as_atom() else {
        return Err(Exception::error(Term::tuple(vec![Term::atom("badmodule"), a[0].clone()])).with_hint(Some(format!(
            "`m.{}(...)` calls a function of the module `m` names; `m` is {}, not a module",
            fun.as_str(),
            inspect(&a[0])
        ))));
    };
    if let Some(p) = modules::get(module, fun, arity) {
        return Ok(vm::fun_value(p));
    }
    let table = vm::builtins();
    if let Some(id) = table.lookup(module.as_str(), fun.as_str(), arity as usize) {
        if let Some(b) = table.get(id) {
            let proto = match b.imp {
                BuiltinImpl::Snow(p) => p,
                BuiltinImpl::Lazy(l) => l.proto().map_err(|why| Exception::undef(&why))?,
                BuiltinImpl::Native(_) => native_wrapper(module, fun, arity)?,
            };
            return Ok(vm::fun_value(proto));
        }
    }
    let shown = format!("{}.{}/{arity}", module.as_str(), fun.as_str());
    let hint = match modules::arities(module, fun) {
        v if !v.is_empty() => {
            let list = v.iter().map(|a| format!("{}/{a}", fun.as_str())).collect::<Vec<_>>().join(", ");
            Some(format!("{} has {list}", module.as_str()))
        }
        _ if modules::exists(module) => Some(format!("{} has no function `{}`", module.as_str(), fun.as_str())),
        _ => Some(format!("no module `{}` is defined", module.as_str())),
    };
    Err(Exception::undef(&shown).with_hint(hint))
}

/// `fn w(a0, ...) = Module.fun(a0, ...)`, compiled once per native, so a
/// native built-in can be called through a module value.
fn native_wrapper(module: Atom, fun: Atom, arity: u16) -> Result<&'static Proto, Exception> {
    type Wrappers = FxHashMap<(Atom, Atom, u16), &'static Proto>;
    static CACHE: LazyLock<Mutex<Wrappers>> = LazyLock::new(Default::default);
    if let Some(p) = CACHE.lock().get(&(module, fun, arity)) {
        return Ok(p);
    }
    let params: Vec<String> = (0..arity).map(|i| format!("a{i}")).collect();
    let params = params.join(", ");
    let source = format!("fn w({params}) = {}.{}({params})\n", module.as_str(), fun.as_str());
    let parsed = snow_lang::syntax::parse(&source);
    let unit = compile(&parsed.program, Arc::from(source.as_str()), Arc::from(snow_lang::bytecode::LIBRARY_FILE), vm::builtins(), Mode::Script)
        .map_err(|_| Exception::undef(&format!("{}.{}/{arity}", module.as_str(), fun.as_str())))?;
    let proto = unit.functions.first().map(|f| f.2).ok_or_else(Exception::badarg)?;
    CACHE.lock().insert((module, fun, arity), proto);
    Ok(proto)
}
