//! The table of built-in functions the compiler resolves `Module.fun(...)`
//! and unqualified calls against, and the VM dispatches through.
//!
//! A built-in is native (a Rust function) or written in Snow (a function of
//! the prelude, run by the VM like any other). The table is filled once at
//! start-up by `snow-stdlib` and then frozen.

use super::exception::Exception;
use crate::bytecode::Proto;
use snow_runtime::cx::Cx;
use snow_runtime::Term;
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// What a native built-in may touch besides its arguments.
pub struct NativeCx<'a, 'b> {
    pub cx: &'a mut Cx<'b>,
    /// `Process.on_exit` callbacks of the running process.
    pub on_exit: &'a mut Vec<Term>,
    /// Set when the process must yield right after this call (an exit signal
    /// sent to itself must take effect before it runs on).
    pub yield_now: bool,
}

pub type NativeFn = fn(&mut NativeCx<'_, '_>, &[Term]) -> Result<Term, Exception>;

#[derive(Clone, Copy)]
pub enum BuiltinImpl {
    Native(NativeFn),
    Snow(&'static Proto),
    /// Written in Snow in a part of the library compiled when one of its
    /// functions is first called (`LazyUnit`), so that start-up does not
    /// pay for what a program does not use.
    Lazy(&'static LazyFn),
}

/// Library source compiled on first use, against the installed table.
pub struct LazyUnit {
    pub file: &'static str,
    pub source: &'static str,
    compiled: OnceLock<Result<UnitFns, String>>,
}

/// A compiled `LazyUnit`'s functions by name and arity.
type UnitFns = FxHashMap<(String, u16), &'static Proto>;

/// One function of a `LazyUnit`, as its source names it (`service__call`).
pub struct LazyFn {
    pub unit: &'static LazyUnit,
    pub name: &'static str,
    pub arity: u16,
    /// Its code once found: later calls cost one load, not a lookup.
    resolved: OnceLock<&'static Proto>,
}

impl LazyUnit {
    pub fn leak(file: &'static str, source: &'static str) -> &'static LazyUnit {
        Box::leak(Box::new(LazyUnit { file, source, compiled: OnceLock::new() }))
    }

    /// The unit's named functions, compiled the first time anyone asks.
    pub fn functions(&'static self) -> Result<&'static FxHashMap<(String, u16), &'static Proto>, &'static str> {
        let compiled = self.compiled.get_or_init(|| {
            let parsed = crate::syntax::parse(self.source);
            if let Some(d) = parsed.diagnostics.first() {
                return Err(format!("{}: {}", self.file, d.title));
            }
            let unit = crate::compiler::compile(
                &parsed.program,
                self.source.into(),
                crate::bytecode::LIBRARY_FILE.into(),
                installed(),
                crate::compiler::Mode::Script,
            )
            .map_err(|d| format!("{}: {}", self.file, d.first().map_or("", |d| d.title.as_str())))?;
            Ok(unit.functions.into_iter().map(|(n, a, p)| ((n, a), p)).collect())
        });
        compiled.as_ref().map_err(String::as_str)
    }
}

impl LazyFn {
    pub fn new(unit: &'static LazyUnit, name: &'static str, arity: u16) -> LazyFn {
        LazyFn { unit, name, arity, resolved: OnceLock::new() }
    }

    #[inline]
    pub fn proto(&'static self) -> Result<&'static Proto, String> {
        match self.resolved.get() {
            Some(p) => Ok(*p),
            None => self.resolve(),
        }
    }

    #[cold]
    fn resolve(&'static self) -> Result<&'static Proto, String> {
        let fns = self.unit.functions().map_err(str::to_string)?;
        let p = fns
            .get(&(self.name.to_string(), self.arity))
            .copied()
            .ok_or_else(|| format!("{} has no {}/{}", self.unit.file, self.name, self.arity))?;
        Ok(*self.resolved.get_or_init(|| p))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arity {
    Exact(u16),
    /// Variadic: `spawn(f, args...)`.
    AtLeast(u16),
}

impl Arity {
    pub fn accepts(self, n: usize) -> bool {
        match self {
            Arity::Exact(a) => a as usize == n,
            Arity::AtLeast(a) => n >= a as usize,
        }
    }
}

#[derive(Clone)]
pub struct Builtin {
    /// `""` for unqualified (kernel) functions: `println`, `spawn`, ...
    pub module: &'static str,
    pub name: &'static str,
    pub arity: Arity,
    pub imp: BuiltinImpl,
}

#[derive(Default)]
pub struct BuiltinTable {
    entries: Vec<Builtin>,
    by_name: FxHashMap<(&'static str, &'static str), Vec<u32>>,
}

impl BuiltinTable {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, b: Builtin) -> u32 {
        let id = self.entries.len() as u32;
        self.by_name.entry((b.module, b.name)).or_default().push(id);
        self.entries.push(b);
        id
    }

    pub fn native(&mut self, module: &'static str, name: &'static str, arity: Arity, f: NativeFn) -> u32 {
        self.add(Builtin { module, name, arity, imp: BuiltinImpl::Native(f) })
    }

    /// The built-in `module.name` callable with `argc` arguments.
    pub fn lookup(&self, module: &str, name: &str, argc: usize) -> Option<u32> {
        let ids = self.by_name.get(&(module, name))?;
        ids.iter()
            .copied()
            .find(|&i| self.entries[i as usize].arity == Arity::Exact(argc as u16))
            .or_else(|| ids.iter().copied().find(|&i| self.entries[i as usize].arity.accepts(argc)))
    }

    /// The built-in declared exactly as `module.name` with `arity` (code that
    /// arrives from another node names its built-ins this way, not by id).
    pub fn find(&self, module: &str, name: &str, arity: Arity) -> Option<u32> {
        let ids = self.by_name.get(&(module, name))?;
        ids.iter().copied().find(|&i| self.entries[i as usize].arity == arity)
    }

    /// Whether any built-in of that name exists (for "wrong arity" hints).
    pub fn arities(&self, module: &str, name: &str) -> Vec<Arity> {
        self.by_name
            .get(&(module, name))
            .map(|ids| ids.iter().map(|&i| self.entries[i as usize].arity).collect())
            .unwrap_or_default()
    }

    pub fn get(&self, id: u32) -> Option<&Builtin> {
        self.entries.get(id as usize)
    }

    /// Every built-in, in the order they were added.
    pub fn entries(&self) -> impl Iterator<Item = &Builtin> + '_ {
        self.entries.iter()
    }

    /// Every `Module.fun` name, for the REPL's tab completion.
    pub fn names(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.entries.iter().map(|b| (b.module, b.name))
    }
}

static TABLE: OnceLock<BuiltinTable> = OnceLock::new();

/// Freezes the table for the rest of the program. Later calls keep the first.
pub fn install(table: BuiltinTable) -> &'static BuiltinTable {
    let _ = TABLE.set(table);
    installed()
}

/// The installed table (empty if none was installed).
pub fn installed() -> &'static BuiltinTable {
    static EMPTY: OnceLock<BuiltinTable> = OnceLock::new();
    TABLE.get().unwrap_or_else(|| EMPTY.get_or_init(BuiltinTable::new))
}
