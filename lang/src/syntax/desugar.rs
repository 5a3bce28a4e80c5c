//! `service` and `supervisor` blocks become the modules they define.
//!
//! A service `Counter` with `call get() do |n| (n, n) end` becomes a module
//! with the client functions `get(server)` and `get(server, opts)` (which
//! call `Service.call(server, :get, ...)`), a clause of `__handle_call`
//! (`:get`, the caller, the state) holding the block's body, `start` and
//! `start_link`, and `__callbacks()`, the map `Service.start` runs the
//! server with. A supervisor becomes `children()` (its child specs as maps),
//! `start_link()` and `start_link(opts)`. The processes themselves are the
//! library's (`stdlib/src/prelude/service.snow`, `supervisor.snow`), the
//! same ones the functional forms start.

use crate::ast::{Callee, Expr, ExprKind, FnClause, ModuleDef, ModuleKind, Pattern, PatternKind, Span};
use crate::diagnostic::Diagnostic;
use rustc_hash::FxHashSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandlerKind {
    Call,
    Cast,
}

/// `call name(params) do |state[, from]| body end` (or `cast`).
#[derive(Clone, Debug)]
pub struct Handler {
    pub kind: HandlerKind,
    pub name: String,
    pub name_span: Span,
    pub params: Vec<Pattern>,
    /// The block's parameters: the state, and for a call optionally the
    /// caller (`from`, for `Service.reply`).
    pub state: Vec<Pattern>,
    pub body: Vec<Expr>,
    pub span: Span,
}

/// `key: value` in a supervisor or a child block.
#[derive(Clone, Debug)]
pub struct Setting {
    pub key: String,
    pub key_span: Span,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub enum SupervisorSpec {
    Setting(Setting),
    Child { id: String, id_span: Span, settings: Vec<Setting>, span: Span },
    /// A line that was neither (already reported).
    Stray,
}

/// Names a service defines for itself; a handler or `fn` may not take them.
const SERVICE_NAMES: &[&str] = &["start", "start_link", "__callbacks", "__handle_call", "__handle_cast"];

pub fn service(
    name: String,
    name_span: Span,
    fns: Vec<FnClause>,
    handlers: Vec<Handler>,
    span: Span,
) -> (ModuleDef, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut functions = Vec::new();
    let defines = |n: &str, a: usize| fns.iter().any(|f| f.name == n && f.params.len() == a);
    for f in &fns {
        if SERVICE_NAMES.contains(&f.name.as_str()) {
            diags.push(
                Diagnostic::new(format!("`{}` is defined by the service itself", f.name), f.name_span.clone(), "reserved here")
                    .with_hint(format!("`{name}.start(arg)` and `{name}.start_link(arg)` start the server; rename this function")),
            );
        }
    }
    // Callbacks the server calls with a fixed number of arguments: another
    // arity would never be called, so it is an error, not a silence.
    for f in &fns {
        let wanted = match f.name.as_str() {
            "handle_info" | "terminate" => 2,
            _ => continue,
        };
        if f.params.len() != wanted {
            let what = if f.name == "terminate" { "`fn terminate(reason, state)`" } else { "`fn handle_info(msg, state)`" };
            diags.push(
                Diagnostic::new(format!("`{}` takes {wanted} arguments", f.name), f.name_span.clone(), format!("this one takes {}", f.params.len()))
                    .with_hint(format!("the server calls {what}")),
            );
        }
    }
    let init_arity = fns.iter().find(|f| f.name == "init").map(|f| f.params.len());
    let here = |s: &Span| s.clone();
    // init: `fn init(arg)`, or `fn init()` (then `start()` takes no argument).
    let (start_params, init_ref) = match init_arity {
        Some(1) => (vec!["__arg"], by_name("init", 1, &name_span)),
        Some(0) => {
            let call = call_name("init", vec![], &name_span);
            (vec![], lambda(vec![wild(&name_span)], vec![call], &name_span))
        }
        other => {
            let label = match other {
                None => "this service has no `init`".to_string(),
                Some(n) => format!("`init` takes {n} arguments here"),
            };
            diags.push(
                Diagnostic::new("a service needs `fn init(arg)`", name_span.clone(), label)
                    .with_hint("`fn init(arg)` returns the server's first state; `Name.start(arg)` passes `arg`"),
            );
            (vec!["__arg"], by_name("init", 1, &name_span))
        }
    };
    let calls = handlers.iter().any(|h| h.kind == HandlerKind::Call);
    let casts = handlers.iter().any(|h| h.kind == HandlerKind::Cast);
    // Each callback calls the module's function by name, so that a module
    // defined again at the prompt reaches a running server at its next
    // message, as a reloaded module does on the BEAM.
    let optional = |present: bool, n: &str, a: usize| {
        if present {
            by_name(n, a, &name_span)
        } else {
            atom("nil", &name_span)
        }
    };
    let callbacks = map(
        vec![
            ("module", atom(&name, &name_span)),
            ("init", init_ref),
            ("handle_call", optional(calls, "__handle_call", 3)),
            ("handle_cast", optional(casts, "__handle_cast", 2)),
            ("handle_info", optional(defines("handle_info", 2), "handle_info", 2)),
            ("terminate", optional(defines("terminate", 2), "terminate", 2)),
        ],
        &name_span,
    );
    functions.push(clause("__callbacks", vec![], vec![callbacks], &name_span));
    for start in ["start", "start_link"] {
        for with_opts in [false, true] {
            let mut params: Vec<Pattern> = start_params.iter().map(|p| var_pat(p, &name_span)).collect();
            let arg = match start_params.first() {
                Some(p) => var(p, &name_span),
                None => atom("nil", &name_span),
            };
            let opts = if with_opts {
                params.push(var_pat("__opts", &name_span));
                var("__opts", &name_span)
            } else {
                list(vec![], &name_span)
            };
            let cb = call_name("__callbacks", vec![], &name_span);
            let body = call_remote("Service", start, vec![cb, arg, opts], &name_span);
            functions.push(clause(start, params, vec![body], &name_span));
        }
    }

    let mut clients: FxHashSet<(String, usize)> = FxHashSet::default();
    // Each client function name/arity has one meaning: a call's
    // `name(server, args...)` and `name(server, args..., opts)`, a cast's
    // `name(server, args...)`. Two handlers whose clients would overlap
    // (`call x()` and `call x(a)`, or a call and a cast of one name) are an
    // error, since one would hide the other.
    // (name, client arity, kind, handler parameters, where)
    let mut arities: Vec<(String, usize, HandlerKind, usize, Span)> = Vec::new();
    let mut skip: Vec<Span> = Vec::new();
    for h in &handlers {
        let n = h.params.len();
        let mine: Vec<usize> = if h.kind == HandlerKind::Call { vec![n + 1, n + 2] } else { vec![n + 1] };
        // Clauses of one handler (`call add(0)`, `call add(k)`) share their clients.
        let clash = arities
            .iter()
            .find(|(name, a, kind, params, _)| *name == h.name && !(*kind == h.kind && *params == n) && mine.contains(a));
        if let Some((_, _, kind, _, first)) = clash {
            let other = if *kind == HandlerKind::Call { "call" } else { "cast" };
            diags.push(
                Diagnostic::new(format!("the clients of two handlers called `{}` would overlap", h.name), h.name_span.clone(), "this one")
                    .with_label(first.clone(), format!("and this {other}"))
                    .with_hint(format!(
                        "`{name}.{}(server, ...)` could mean either (a call also takes a last `timeout:` argument); give them different names",
                        h.name
                    )),
            );
            skip.push(h.span.clone());
            continue;
        }
        for a in mine {
            arities.push((h.name.clone(), a, h.kind, n, h.name_span.clone()));
        }
    }
    for h in handlers {
        if skip.contains(&h.span) {
            continue;
        }
        let what = if h.kind == HandlerKind::Call { "call" } else { "cast" };
        if SERVICE_NAMES.contains(&h.name.as_str()) || h.name == "init" {
            diags.push(Diagnostic::new(
                format!("a {what} cannot be called `{}`", h.name),
                h.name_span.clone(),
                format!("`{name}.{}` is the service's own", h.name),
            ));
            continue;
        }
        let max_block = if h.kind == HandlerKind::Call { 2 } else { 1 };
        if h.state.len() > max_block {
            let hint = if h.kind == HandlerKind::Call {
                "a call's block takes the state, and optionally the caller: `do |state, from|`"
            } else {
                "a cast's block takes the state only: `do |state|` (a cast has no caller to answer)"
            };
            diags.push(
                Diagnostic::new(format!("too many parameters for a {what} block"), h.span.clone(), "here")
                    .with_hint(hint),
            );
            continue;
        }
        let s = here(&h.span);
        let arity = h.params.len();
        // The client: `name(server, args...)` (and `name(server, args..., opts)` for calls).
        if clients.insert((h.name.clone(), arity)) {
            let names: Vec<String> = h
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| match &p.kind {
                    PatternKind::Var(v) if v != "__server" && v != "__opts" => v.clone(),
                    _ => format!("__arg{i}"),
                })
                .collect();
            let mut params = vec![var_pat("__server", &s)];
            params.extend(names.iter().map(|n| var_pat(n, &s)));
            let request = request(&h.name, names.iter().map(|n| var(n, &s)).collect(), &s);
            let server = var("__server", &s);
            match h.kind {
                HandlerKind::Call => {
                    let body = call_remote("Service", "call", vec![server.clone(), request.clone()], &s);
                    functions.push(clause(&h.name, params.clone(), vec![body], &s));
                    params.push(var_pat("__opts", &s));
                    let body = call_remote("Service", "call", vec![server, request, var("__opts", &s)], &s);
                    functions.push(clause(&h.name, params, vec![body], &s));
                }
                HandlerKind::Cast => {
                    let body = call_remote("Service", "cast", vec![server, request], &s);
                    functions.push(clause(&h.name, params, vec![body], &s));
                }
            }
        }
        // The server's clause: the request's pattern, the caller, the state.
        let request = request_pattern(&h.name, h.params, &s);
        let mut block = h.state.into_iter();
        let state = block.next().unwrap_or_else(|| wild_pat(&s));
        let params = match h.kind {
            HandlerKind::Call => vec![request, block.next().unwrap_or_else(|| wild_pat(&s)), state],
            HandlerKind::Cast => vec![request, state],
        };
        let server_fn = if h.kind == HandlerKind::Call { "__handle_call" } else { "__handle_cast" };
        let mut c = clause(server_fn, params, h.body, &s);
        c.name_span = h.name_span;
        functions.push(c);
    }
    functions.extend(fns);
    (ModuleDef { name, name_span, functions, kind: ModuleKind::Service, span }, diags)
}

const SUPERVISOR_KEYS: &[&str] = &["strategy", "max_restarts", "max_seconds"];
const CHILD_KEYS: &[&str] = &["start", "restart", "shutdown", "type"];

pub fn supervisor(name: String, name_span: Span, specs: Vec<SupervisorSpec>, span: Span) -> (ModuleDef, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut options = Vec::new();
    let mut children = Vec::new();
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut ids: FxHashSet<String> = FxHashSet::default();
    for spec in specs {
        match spec {
            SupervisorSpec::Setting(s) => {
                if check_key(&s, SUPERVISOR_KEYS, "supervisor", &mut seen, &mut diags) {
                    options.push(pair(&s.key, s.value, &s.key_span));
                }
            }
            SupervisorSpec::Child { id, id_span, settings, span } => {
                if !ids.insert(id.clone()) {
                    diags.push(Diagnostic::new(
                        format!("two children are called `{id}`"),
                        id_span.clone(),
                        "each child needs its own name",
                    ));
                }
                let mut keys: FxHashSet<String> = FxHashSet::default();
                let mut entries = vec![("id".to_string(), atom(&id, &id_span))];
                for s in settings {
                    if check_key(&s, CHILD_KEYS, "child", &mut keys, &mut diags) {
                        entries.push((s.key, s.value));
                    }
                }
                if !keys.contains("start") {
                    diags.push(
                        Diagnostic::new(format!("child `{id}` has no `start:`"), span, "how is it started?")
                            .with_hint("`start: fn -> Worker.start_link(arg) end`: a function that starts and links the child and returns its pid"),
                    );
                }
                let pairs = entries.into_iter().map(|(k, v)| (atom(&k, &v.span.clone()), v)).collect();
                children.push(Expr { kind: ExprKind::Map(pairs), span: id_span });
            }
            SupervisorSpec::Stray => {}
        }
    }
    let s = &name_span;
    options.push(pair("module", atom(&name, s), s));
    let options = list(options, s);
    let children_fn = clause("children", vec![], vec![list(children, s)], s);
    let kids = || call_name("children", vec![], s);
    let start = call_remote("Supervisor", "start_link", vec![kids(), options.clone()], s);
    let with_opts = Expr {
        kind: ExprKind::Binary(crate::ast::BinOp::ListConcat, Box::new(var("__opts", s)), Box::new(options)),
        span: s.clone(),
    };
    let start_opts = call_remote("Supervisor", "start_link", vec![kids(), with_opts], s);
    let functions = vec![
        children_fn,
        clause("start_link", vec![], vec![start], s),
        clause("start_link", vec![var_pat("__opts", s)], vec![start_opts], s),
    ];
    (ModuleDef { name, name_span, functions, kind: ModuleKind::Supervisor, span }, diags)
}

/// Whether `s` is a known key said once; reports it otherwise.
fn check_key(s: &Setting, known: &[&str], what: &str, seen: &mut FxHashSet<String>, diags: &mut Vec<Diagnostic>) -> bool {
    let shown = known.iter().map(|k| format!("`{k}:`")).collect::<Vec<_>>().join(", ");
    if !known.contains(&s.key.as_str()) {
        diags.push(
            Diagnostic::new(format!("unknown {what} setting `{}:`", s.key), s.key_span.clone(), "not a setting")
                .with_hint(format!("a {what} takes {shown}")),
        );
        return false;
    }
    if !seen.insert(s.key.clone()) {
        diags.push(Diagnostic::new(format!("`{}:` is set twice", s.key), s.key_span.clone(), "set again here"));
        return false;
    }
    true
}

// --- building the tree -----------------------------------------------------

fn expr(kind: ExprKind, span: &Span) -> Expr {
    Expr { kind, span: span.clone() }
}

fn atom(a: &str, span: &Span) -> Expr {
    expr(ExprKind::Atom(a.to_string()), span)
}

fn var(n: &str, span: &Span) -> Expr {
    expr(ExprKind::Var(n.to_string()), span)
}

fn list(items: Vec<Expr>, span: &Span) -> Expr {
    expr(ExprKind::List(items, None), span)
}

fn pair(key: &str, value: Expr, span: &Span) -> Expr {
    expr(ExprKind::Tuple(vec![atom(key, span), value]), span)
}

fn map(pairs: Vec<(&str, Expr)>, span: &Span) -> Expr {
    expr(ExprKind::Map(pairs.into_iter().map(|(k, v)| (atom(k, span), v)).collect()), span)
}

/// `fn a0, a1 -> name(a0, a1) end`: the module's function, found by name
/// at each call.
fn by_name(name: &str, arity: usize, span: &Span) -> Expr {
    let params: Vec<String> = (0..arity).map(|i| format!("__cb{i}")).collect();
    let call = call_name(name, params.iter().map(|p| var(p, span)).collect(), span);
    lambda(params.iter().map(|p| var_pat(p, span)).collect(), vec![call], span)
}

fn call_name(name: &str, args: Vec<Expr>, span: &Span) -> Expr {
    expr(ExprKind::Call(Callee::Name(name.to_string()), args), span)
}

fn call_remote(module: &str, fun: &str, args: Vec<Expr>, span: &Span) -> Expr {
    expr(ExprKind::Call(Callee::Remote { module: module.to_string(), fun: fun.to_string() }, args), span)
}

fn lambda(patterns: Vec<Pattern>, body: Vec<Expr>, span: &Span) -> Expr {
    let clause = crate::ast::Clause { patterns, guard: None, body, span: span.clone() };
    expr(ExprKind::Lambda(vec![clause]), span)
}

/// `:name` for a handler without parameters, else `(:name, args...)`.
fn request(name: &str, args: Vec<Expr>, span: &Span) -> Expr {
    if args.is_empty() {
        return atom(name, span);
    }
    let mut items = vec![atom(name, span)];
    items.extend(args);
    expr(ExprKind::Tuple(items), span)
}

fn request_pattern(name: &str, params: Vec<Pattern>, span: &Span) -> Pattern {
    let tag = Pattern { kind: PatternKind::Atom(name.to_string()), span: span.clone() };
    if params.is_empty() {
        return tag;
    }
    let mut items = vec![tag];
    items.extend(params);
    Pattern { kind: PatternKind::Tuple(items), span: span.clone() }
}

fn var_pat(n: &str, span: &Span) -> Pattern {
    Pattern { kind: PatternKind::Var(n.to_string()), span: span.clone() }
}

fn wild_pat(span: &Span) -> Pattern {
    Pattern { kind: PatternKind::Wildcard, span: span.clone() }
}

fn wild(span: &Span) -> Pattern {
    wild_pat(span)
}

fn clause(name: &str, params: Vec<Pattern>, body: Vec<Expr>, span: &Span) -> FnClause {
    FnClause { name: name.to_string(), name_span: span.clone(), params, guard: None, body, span: span.clone() }
}
