//! The compiler: turns a parsed program into a loaded module of bytecode.
//!
//! A file becomes one module: function 0 is the top level (its expressions in
//! order, then `main()` if the file defines `main/0`), then one function per
//! named function (all of its clauses), then one per lambda. Named functions
//! are visible throughout their file. At the REPL every entry is a module of
//! its own; named functions go to the session's namespace and are called
//! late-bound, so an entry may call a function defined by a later one.

mod captures;
mod expr;
mod function;
mod fuse;
mod pattern;

use crate::ast::{Item, Program, Span};
use crate::bytecode::{Module, Op, Proto, RawModule};
use crate::diagnostic::Diagnostic;
use crate::vm::{BuiltinTable, Namespace};
use function::FnState;
use rustc_hash::FxHashMap;
use snow_runtime::{Atom, Term};
use std::sync::Arc;

/// What kind of unit is being compiled.
pub enum Mode<'a> {
    /// A script: the top level takes no parameters.
    Script,
    /// A REPL entry: the top level takes the session's bindings, in this
    /// order, and returns `(value, bindings...)` (see `Unit::exports`).
    Repl { bindings: &'a [String], namespace: &'static Namespace },
    /// A script (or an imported file) that imports others: its own
    /// functions are called directly, the imported modules' functions
    /// late-bound through `namespace`, where the driver defined them (so a
    /// function sent to another node takes them along).
    Importing { namespace: &'static Namespace },
}

/// A compiled and loaded unit.
pub struct Unit {
    /// Verified and loaded: run its top level with `Fiber::new(unit.module, args)`.
    pub module: &'static Module,
    /// The top level (function 0 of `module`), which `Fiber::new` runs with
    /// the session's bindings (REPL) or nothing.
    pub entry: &'static Proto,
    /// REPL: the names whose values follow the result in the returned tuple.
    pub exports: Vec<String>,
    /// Named functions this unit defines: (name, arity, proto); a module's
    /// are named `Module.fun`.
    pub functions: Vec<(String, u16, &'static Proto)>,
    /// The modules this unit defines, in order.
    pub modules: Vec<String>,
}

pub fn compile(
    program: &Program,
    source: Arc<str>,
    file: Arc<str>,
    table: &BuiltinTable,
    mode: Mode<'_>,
) -> Result<Unit, Vec<Diagnostic>> {
    let (bindings, namespace) = match mode {
        Mode::Script => (None, None),
        Mode::Repl { bindings, namespace } => (Some(bindings), Some(namespace)),
        Mode::Importing { namespace } => (None, Some(namespace)),
    };
    let mut c = Compiler {
        table,
        namespace,
        protos: Vec::new(),
        functions: FxHashMap::default(),
        fns: Vec::new(),
        diags: Vec::new(),
        wrappers: FxHashMap::default(),
        top_names: Vec::new(),
        module: None,
        late_locals: bindings.is_some(),
    };

    // Function 0 is the top level; named functions get the next indices so
    // that any code may call any of them.
    c.protos.push(None);
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut modules: Vec<&crate::ast::ModuleDef> = Vec::new();
    for item in &program.items {
        let (module, fns): (Option<&str>, &[crate::ast::FnClause]) = match item {
            Item::Fn(f) => (None, std::slice::from_ref(f)),
            Item::Module(m) => {
                c.check_module(m, &modules);
                modules.push(m);
                (Some(m.name.as_str()), &m.functions)
            }
            Item::Expr(_) | Item::Import { .. } => continue,
        };
        for f in fns {
            let name = qualified(module, &f.name);
            let arity = f.params.len() as u16;
            match groups.iter_mut().find(|g| g.name == name && g.arity == arity) {
                Some(g) => g.clauses.push(f),
                None => {
                    let idx = c.protos.len() as u32;
                    c.protos.push(None);
                    c.functions.insert((name.clone(), arity), idx);
                    groups.push(Group { name, arity, clauses: vec![f], module });
                }
            }
        }
    }

    let exports = c.top_level(program, bindings);
    for g in &groups {
        let idx = c.functions[&(g.name.clone(), g.arity)];
        c.module = g.module.map(str::to_string);
        c.named_function(&g.name, g.arity, idx, &g.clauses);
        c.module = None;
    }

    if !c.diags.is_empty() {
        return Err(c.diags);
    }
    let protos: Vec<Proto> = c.protos.into_iter().map(|p| p.unwrap_or_else(|| Proto::new("<missing>".into(), 0, 0))).collect();
    let module = Module::load(RawModule { file, source, protos, namespace }).map_err(|e| {
        vec![Diagnostic::new("internal compiler error", 0..0, e.0)
            .with_hint("this is a bug in Snow's compiler; please report it with the program")]
    })?;
    let functions: Vec<(String, u16, &'static Proto)> = groups
        .iter()
        .map(|g| (g.name.clone(), g.arity, &module.protos[c.functions[&(g.name.clone(), g.arity)] as usize]))
        .collect();
    let modules: Vec<String> = modules.iter().map(|m| m.name.clone()).collect();
    for m in &modules {
        let prefix = format!("{m}.");
        let own = functions.iter().filter_map(|(n, a, p)| Some((n.strip_prefix(&prefix)?, *a, *p)));
        crate::vm::modules::define(m, own);
    }
    Ok(Unit { module, entry: &module.protos[0], exports, functions, modules })
}

/// The functions of one name and arity, and the module they belong to.
struct Group<'p> {
    name: String,
    arity: u16,
    clauses: Vec<&'p crate::ast::FnClause>,
    module: Option<&'p str>,
}

/// `Counter.get` for a module's function, `get` for a top-level one.
pub(crate) fn qualified(module: Option<&str>, name: &str) -> String {
    match module {
        Some(m) => format!("{m}.{name}"),
        None => name.to_string(),
    }
}

pub(crate) struct Compiler<'t> {
    table: &'t BuiltinTable,
    /// Set at the REPL: named functions are called through it, late-bound.
    namespace: Option<&'static Namespace>,
    protos: Vec<Option<Proto>>,
    functions: FxHashMap<(String, u16), u32>,
    /// The functions being compiled, innermost (current) last.
    fns: Vec<FnState>,
    diags: Vec<Diagnostic>,
    /// Functions that wrap a built-in so it can be used as a value.
    wrappers: FxHashMap<u32, u32>,
    /// Names the top level binds (for a hint when a function uses one).
    top_names: Vec<String>,
    /// The module whose function is being compiled: its bare names are
    /// its own functions first.
    module: Option<String>,
    /// At the prompt even this unit's own functions are called late-bound,
    /// so that a later entry can redefine them.
    late_locals: bool,
}

impl<'t> Compiler<'t> {
    fn f(&mut self) -> &mut FnState {
        self.fns.last_mut().expect("the compiler always has a current function")
    }

    fn fr(&self) -> &FnState {
        self.fns.last().expect("the compiler always has a current function")
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn set_span(&mut self, span: &Span) {
        self.f().span = span.clone();
    }

    /// Reserves a function index for a proto compiled later (lambdas).
    fn reserve_proto(&mut self) -> u32 {
        self.protos.push(None);
        (self.protos.len() - 1) as u32
    }

    /// Finishes the current function and stores it at `idx`.
    fn finish_fn(&mut self, idx: u32) {
        let st = self.fns.pop().expect("a function is being compiled");
        if st.overflow {
            let span = st.span.clone();
            self.error(Diagnostic::new(
                "function too large",
                span,
                "this function needs more than 65,000 registers",
            ));
        }
        let proto = st.finish();
        self.protos[idx as usize] = Some(proto);
    }

    /// Compiles the top level as function 0. Returns the REPL exports.
    fn top_level(&mut self, program: &Program, bindings: Option<&[String]>) -> Vec<String> {
        let params = bindings.unwrap_or(&[]);
        let mut proto = Proto::new("<top>".into(), params.len() as u16, 0);
        proto.nregs = params.len() as u16;
        self.fns.push(FnState::new(proto));
        for (i, name) in params.iter().enumerate() {
            self.f().bind(name, i as u16);
        }
        let exprs: Vec<&crate::ast::Expr> =
            program.items.iter().filter_map(|i| if let Item::Expr(e) = i { Some(e) } else { None }).collect();
        let last_fn = program.items.iter().rev().find_map(|i| if let Item::Fn(f) = i { Some(f) } else { None });
        let ends_with_fn = matches!(program.items.last(), Some(Item::Fn(_)));
        let has_main = bindings.is_none() && self.functions.contains_key(&("main".to_string(), 0));

        let mut exports = Vec::new();
        if bindings.is_some() {
            // REPL: (value, bindings...) — the value is the last expression's,
            // or the function the entry ended by defining.
            let result = self.f().alloc();
            let seq: Vec<crate::ast::Expr> = exprs.iter().map(|e| (*e).clone()).collect();
            self.sequence_into(&seq, result);
            if let (true, Some(f)) = (ends_with_fn, last_fn) {
                let k = self.f().constant(crate::bytecode::name_const(&f.name));
                self.set_span(&f.name_span);
                self.f().emit(Op::GlobalFun { dst: result, name: k, arity: f.params.len() as u16 });
            }
            // An entry that ends by defining a module shows the module.
            if let Some(Item::Module(m)) = program.items.last() {
                let k = self.f().constant(Term::atom(&m.name));
                self.set_span(&m.name_span);
                self.f().emit(Op::Const { dst: result, k });
            }
            let binds = self.fr().top_scope_bindings();
            self.top_names = binds.iter().map(|(n, _)| n.clone()).collect();
            let start = self.f().alloc_n(binds.len() + 1);
            self.f().emit(Op::Move { dst: start, src: result });
            for (i, (name, reg)) in binds.iter().enumerate() {
                self.f().emit(Op::Move { dst: start + 1 + i as u16, src: *reg });
                exports.push(name.clone());
            }
            let out = self.f().alloc();
            self.f().emit(Op::Tuple { dst: out, start, n: binds.len() as u16 + 1 });
            self.f().emit(Op::Return { src: out });
        } else if has_main {
            let seq: Vec<crate::ast::Expr> = exprs.iter().map(|e| (*e).clone()).collect();
            let scratch = self.f().alloc();
            self.sequence_into(&seq, scratch);
            let idx = self.functions[&("main".to_string(), 0)];
            let start = self.f().alloc();
            self.f().emit(Op::TailCall { proto: idx, start, argc: 0 });
        } else {
            let seq: Vec<crate::ast::Expr> = exprs.iter().map(|e| (*e).clone()).collect();
            self.body_tail(&seq);
        }
        if self.top_names.is_empty() {
            self.top_names = self.fr().top_scope_bindings().into_iter().map(|(n, _)| n).collect();
        }
        self.finish_fn(0);
        exports
    }

    /// A named function: its clauses tried in order on the parameters.
    fn named_function(&mut self, name: &str, arity: u16, idx: u32, clauses: &[&crate::ast::FnClause]) {
        self.fns.push(FnState::new(Proto::new(name.to_string(), arity, idx)));
        let end = clauses.last().map_or(0..0, |c| c.span.clone());
        self.function_clauses(
            clauses.iter().map(|c| ClauseParts { patterns: &c.params, guard: c.guard.as_ref(), body: &c.body, span: &c.span }),
            &end,
        );
        self.finish_fn(idx);
    }

    /// The body of the current function: `clauses` tried in order on its
    /// parameter registers, then `function_clause` when none matched.
    fn function_clauses<'c>(&mut self, clauses: impl Iterator<Item = ClauseParts<'c>>, end: &Span) {
        for clause in clauses {
            self.set_span(clause.span);
            let fail = self.f().new_label();
            let mark = self.f().mark();
            self.f().push_scope();
            for (i, p) in clause.patterns.iter().enumerate() {
                self.pattern(p, i as u16, fail);
            }
            self.pattern_end();
            if let Some(g) = clause.guard {
                self.guard(g, fail);
            }
            self.body_tail(clause.body);
            self.f().pop_scope();
            self.f().release(mark);
            self.f().place(fail);
        }
        self.set_span(end);
        self.f().emit(Op::FunctionClause);
    }

    /// A module may not take a built-in module's name, nor be defined twice
    /// in one unit.
    fn check_module(&mut self, m: &crate::ast::ModuleDef, before: &[&crate::ast::ModuleDef]) {
        if self.table.entries().any(|b| b.module == m.name) {
            self.error(
                Diagnostic::new(
                    format!("`{}` is a built-in module", m.name),
                    m.name_span.clone(),
                    format!("this {} would hide `{}.*`", m.kind.keyword(), m.name),
                )
                .with_hint(format!("choose another name, such as `My{}`", m.name)),
            );
        }
        if let Some(first) = before.iter().find(|b| b.name == m.name) {
            self.error(
                Diagnostic::new(format!("module `{}` is defined twice", m.name), m.name_span.clone(), "defined again here")
                    .with_label(first.name_span.clone(), "first defined here")
                    .with_hint("put all of a module's functions in one block"),
            );
        }
    }

    /// A bare name called from inside a module: that module's own function
    /// `name/arity`, if it has one, as this unit can call it.
    fn resolve_in_module(&self, name: &str, arity: u16) -> Option<(String, NamedTarget)> {
        let full = qualified(Some(self.module.as_deref()?), name);
        let target = self.resolve_named(&full, arity)?;
        Some((full, target))
    }

    /// The named function `name/arity` as this unit can call it.
    fn resolve_named(&self, name: &str, arity: u16) -> Option<NamedTarget> {
        if !self.late_locals {
            if let Some(&i) = self.functions.get(&(name.to_string(), arity)) {
                return Some(NamedTarget::Local(i));
            }
        }
        if let Some(ns) = self.namespace {
            let here = self.functions.contains_key(&(name.to_string(), arity));
            if here || ns.get(Atom::new(name), arity).is_some() {
                return Some(NamedTarget::Global);
            }
            return None;
        }
        self.functions.get(&(name.to_string(), arity)).map(|&i| NamedTarget::Local(i))
    }

    /// Arities of named functions called `name` visible here.
    fn named_arities(&self, name: &str) -> Vec<u16> {
        let mut v: Vec<u16> = self.functions.keys().filter(|(n, _)| n == name).map(|(_, a)| *a).collect();
        if let Some(ns) = self.namespace {
            v.extend(ns.arities(name));
        }
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// One clause of a function, named or lambda, as `function_clauses` reads it.
struct ClauseParts<'c> {
    patterns: &'c [crate::ast::Pattern],
    guard: Option<&'c crate::ast::Expr>,
    body: &'c [crate::ast::Expr],
    span: &'c Span,
}

#[derive(Clone, Copy)]
enum NamedTarget {
    Local(u32),
    Global,
}
