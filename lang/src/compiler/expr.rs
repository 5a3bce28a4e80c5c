//! Compiling expressions. Each expression is compiled either into a given
//! register or in tail position, where it returns from the function (calls in
//! tail position reuse the frame, so loops written as recursion run in
//! constant space).

use super::{captures, Compiler, NamedTarget};
use crate::ast::*;
use crate::bytecode::{name_const, Cmp, Op, Proto, Reg, NO_REG};
use crate::compiler::function::FnState;
use crate::diagnostic::Diagnostic;
use crate::vm::modules::MODULE_FUN;
use crate::vm::Arity;
use snow_runtime::Term;

/// Where an expression's value goes.
#[derive(Clone, Copy)]
pub(crate) enum Dest {
    Reg(Reg),
    /// Return it from the function.
    Tail,
}

impl<'t> Compiler<'t> {
    /// Compiles `exprs` in the current scope; the last value lands in `dst`.
    pub(crate) fn sequence_into(&mut self, exprs: &[Expr], dst: Reg) {
        self.sequence(exprs, Dest::Reg(dst));
    }

    /// Compiles a function body: its last expression is in tail position.
    pub(crate) fn body_tail(&mut self, exprs: &[Expr]) {
        self.sequence(exprs, Dest::Tail);
    }

    fn sequence(&mut self, exprs: &[Expr], dest: Dest) {
        let Some((last, init)) = exprs.split_last() else {
            self.load_const(Term::NIL_ATOM, dest);
            return;
        };
        for e in init {
            // A `let` keeps its registers (its variables live on), and its
            // value, unused here, needs no copy; anything else is evaluated
            // into a scratch register and frees its temporaries.
            if let ExprKind::Let(p, v) = &e.kind {
                self.set_span(&e.span);
                self.let_bind(p, v);
                continue;
            }
            let mark = self.f().mark();
            let scratch = self.f().alloc();
            self.expr(e, Dest::Reg(scratch));
            self.f().release(mark);
        }
        self.expr(last, dest);
    }

    /// A sequence in a scope of its own (bodies of if/case/receive/...).
    fn scoped(&mut self, exprs: &[Expr], dest: Dest) {
        let mark = self.f().mark();
        self.f().push_scope();
        self.sequence(exprs, dest);
        self.f().pop_scope();
        self.f().release(mark);
    }

    fn finish_dest(&mut self, r: Reg, dest: Dest) {
        match dest {
            Dest::Reg(d) if d == r => {}
            Dest::Reg(d) => {
                self.f().emit(Op::Move { dst: d, src: r });
            }
            Dest::Tail => {
                self.f().emit(Op::Return { src: r });
            }
        }
    }

    /// The register to write a value into for `dest`, and whether a return
    /// must follow.
    fn target(&mut self, dest: Dest) -> Reg {
        match dest {
            Dest::Reg(r) => r,
            Dest::Tail => self.f().alloc(),
        }
    }

    fn load_const(&mut self, t: Term, dest: Dest) {
        let r = self.target(dest);
        match t {
            Term::Int(i) if i32::try_from(i).is_ok() => {
                self.f().emit(Op::Int { dst: r, v: i as i32 });
            }
            Term::Nil => {
                self.f().emit(Op::Nil { dst: r });
            }
            other => {
                let k = self.f().constant(other);
                self.f().emit(Op::Const { dst: r, k });
            }
        }
        self.finish_dest(r, dest);
    }

    /// A register holding `e`'s value: a variable's own register when `e` is
    /// a variable, else a new temporary.
    pub(crate) fn operand(&mut self, e: &Expr) -> Reg {
        if let ExprKind::Var(name) = &e.kind {
            if let Some(r) = self.fr().lookup(name) {
                return r;
            }
        }
        let r = self.f().alloc();
        self.expr(e, Dest::Reg(r));
        r
    }

    /// Evaluates `exprs` into consecutive fresh registers; returns the first.
    fn consecutive(&mut self, exprs: &[&Expr]) -> Reg {
        let start = self.f().mark() as Reg;
        let mut regs = Vec::with_capacity(exprs.len());
        let mut in_place = true;
        for (i, e) in exprs.iter().enumerate() {
            let r = self.f().alloc();
            in_place &= r == start + i as Reg;
            self.expr(e, Dest::Reg(r));
            regs.push(r);
            // A `let` inside an argument binds a register after this one.
            in_place &= self.f().mark() == r as u32 + 1;
        }
        if in_place {
            return start;
        }
        let fresh = self.f().alloc_n(regs.len());
        for (i, r) in regs.iter().enumerate() {
            self.f().emit(Op::Move { dst: fresh + i as Reg, src: *r });
        }
        fresh
    }

    /// For a tail call whose arguments are variables already in a row of
    /// registers (a loop that passes its parameters on unchanged,
    /// `loop(next, main)`): the first, so that no argument is copied. A
    /// tail call replaces the frame, so the callee's window may start on
    /// them; the arguments at the window's start (`R0`..) move nowhere at all.
    fn args_in_place(&mut self, exprs: &[&Expr]) -> Option<Reg> {
        let mut start = None;
        for (i, e) in exprs.iter().enumerate() {
            let ExprKind::Var(name) = &e.kind else { return None };
            let r = self.fr().lookup(name)?;
            let first = *start.get_or_insert(r);
            if r != first.checked_add(i as Reg)? {
                return None;
            }
        }
        start
    }

    pub(crate) fn expr(&mut self, e: &Expr, dest: Dest) {
        self.set_span(&e.span);
        match &e.kind {
            ExprKind::Int(i) => self.load_const(Term::Int(*i), dest),
            ExprKind::Float(x) => self.load_const(Term::Float(*x), dest),
            ExprKind::Atom(a) => self.load_const(Term::atom(a), dest),
            ExprKind::Str(parts) => self.string(parts, dest),
            ExprKind::Var(name) => self.var(name, &e.span, dest),
            ExprKind::Tuple(items) => {
                let r = self.target(dest);
                let mark = self.f().mark();
                let refs: Vec<&Expr> = items.iter().collect();
                let start = self.consecutive(&refs);
                self.set_span(&e.span);
                self.f().emit(Op::Tuple { dst: r, start, n: items.len() as u16 });
                self.f().release(mark);
                self.finish_dest(r, dest);
            }
            ExprKind::List(items, tail) => {
                let r = self.target(dest);
                let mark = self.f().mark();
                let refs: Vec<&Expr> = items.iter().collect();
                let start = self.consecutive(&refs);
                let t = match tail {
                    Some(t) => self.operand(t),
                    None => NO_REG,
                };
                self.set_span(&e.span);
                self.f().emit(Op::List { dst: r, start, n: items.len() as u16, tail: t });
                self.f().release(mark);
                self.finish_dest(r, dest);
            }
            ExprKind::Map(pairs) => {
                let r = self.target(dest);
                let mark = self.f().mark();
                let refs: Vec<&Expr> = pairs.iter().flat_map(|(k, v)| [k, v]).collect();
                let start = self.consecutive(&refs);
                self.set_span(&e.span);
                self.f().emit(Op::Map { dst: r, start, n: pairs.len() as u16 });
                self.f().release(mark);
                self.finish_dest(r, dest);
            }
            ExprKind::MapUpdate(base, pairs) => {
                let r = self.target(dest);
                let mark = self.f().mark();
                let src = self.operand(base);
                let refs: Vec<&Expr> = pairs.iter().flat_map(|(k, v)| [k, v]).collect();
                let start = self.consecutive(&refs);
                self.set_span(&e.span);
                self.f().emit(Op::MapUpdate { dst: r, src, start, n: pairs.len() as u16 });
                self.f().release(mark);
                self.finish_dest(r, dest);
            }
            ExprKind::Unary(op, x) => self.unary(*op, x, &e.span, dest),
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, &e.span, dest),
            ExprKind::Call(callee, args) => self.call(callee, args, &e.span, dest),
            ExprKind::FnRef { module, name, arity } => self.fn_ref(module.as_deref(), name, *arity, &e.span, dest),
            ExprKind::Lambda(clauses) => self.lambda(clauses, &e.span, dest),
            ExprKind::Let(p, v) => self.let_(p, v, dest),
            ExprKind::If { cond, then, otherwise } => {
                let else_l = self.f().new_label();
                let end = self.f().new_label();
                self.condition(cond, else_l);
                self.scoped(then, dest);
                if !matches!(dest, Dest::Tail) {
                    self.f().emit(Op::Jump { target: end.0 });
                }
                self.f().place(else_l);
                match otherwise {
                    Some(o) => self.scoped(o, dest),
                    None => self.load_const(Term::NIL_ATOM, dest),
                }
                self.f().place(end);
            }
            ExprKind::Case { subject, clauses } => {
                let mark = self.f().mark();
                let s = self.operand(subject);
                let end = self.f().new_label();
                for clause in clauses {
                    self.clause(clause, &[s], dest, end, None);
                }
                self.set_span(&e.span);
                self.f().emit(Op::CaseClause { src: s });
                self.f().place(end);
                self.f().release(mark);
            }
            ExprKind::Cond(arms) => {
                let end = self.f().new_label();
                for (test, body) in arms {
                    let next = self.f().new_label();
                    self.condition(test, next);
                    self.scoped(body, dest);
                    if !matches!(dest, Dest::Tail) {
                        self.f().emit(Op::Jump { target: end.0 });
                    }
                    self.f().place(next);
                }
                self.set_span(&e.span);
                self.f().emit(Op::CondClause);
                self.f().place(end);
            }
            ExprKind::Receive { clauses, after } => self.receive(clauses, after.as_ref(), &e.span, dest),
            ExprKind::For { pattern, source, body } => self.for_(pattern, source, body, &e.span, dest),
            ExprKind::Block(exprs) => self.scoped(exprs, dest),
        }
    }

    fn string(&mut self, parts: &[StrPart], dest: Dest) {
        if let [StrPart::Lit(s)] = parts {
            return self.load_const(Term::str(s), dest);
        }
        if parts.is_empty() {
            return self.load_const(Term::str(""), dest);
        }
        let r = self.target(dest);
        let mark = self.f().mark();
        let start = self.f().alloc_n(parts.len());
        for (i, p) in parts.iter().enumerate() {
            let reg = start + i as Reg;
            match p {
                StrPart::Lit(s) => {
                    let k = self.f().constant(Term::str(s));
                    self.f().emit(Op::Const { dst: reg, k });
                }
                StrPart::Interp(x) => self.expr(x, Dest::Reg(reg)),
            }
        }
        self.f().emit(Op::Interpolate { dst: r, start, n: parts.len() as u16 });
        self.f().release(mark);
        self.finish_dest(r, dest);
    }

    fn var(&mut self, name: &str, span: &Span, dest: Dest) {
        if let Some(src) = self.fr().lookup(name) {
            return self.finish_dest(src, dest);
        }
        // Not a variable: a named function used as a value.
        let arities = self.named_arities(name);
        match arities.as_slice() {
            [arity] => return self.fn_ref(None, name, *arity as usize, span, dest),
            [] => {}
            many => {
                let list = many.iter().map(|a| format!("&{name}/{a}")).collect::<Vec<_>>().join(", ");
                self.error(
                    Diagnostic::new(format!("ambiguous function `{name}`"), span.clone(), "several arities are defined")
                        .with_hint(format!("say which one: {list}")),
                );
                return;
            }
        }
        let builtin_arities = self.table.arities("", name);
        if let [Arity::Exact(a)] = builtin_arities.as_slice() {
            return self.fn_ref(None, name, *a as usize, span, dest);
        }
        let mut d = Diagnostic::new(format!("unbound variable `{name}`"), span.clone(), "not bound here");
        if self.fns.len() == 1 && self.fr().proto.index != 0 && self.top_names.iter().any(|n| n == name) {
            d = d.with_hint(format!(
                "`{name}` is bound at the top level; a named function sees only its parameters, so pass it as an argument"
            ));
        } else if let Some(similar) = self.similar_name(name) {
            d = d.with_hint(format!("did you mean `{similar}`?"));
        }
        self.error(d);
    }

    fn similar_name(&self, name: &str) -> Option<String> {
        self.fr()
            .visible_names()
            .filter(|n| *n != name && edit_distance(n, name) <= 2)
            .map(str::to_string)
            .next()
    }

    fn unary(&mut self, op: UnOp, x: &Expr, span: &Span, dest: Dest) {
        if op == UnOp::Neg {
            match x.kind {
                ExprKind::Int(i) => return self.load_const(Term::Int(-i), dest),
                ExprKind::Float(f) => return self.load_const(Term::Float(-f), dest),
                _ => {}
            }
        }
        let r = self.target(dest);
        let mark = self.f().mark();
        let src = self.operand(x);
        self.set_span(span);
        self.f().emit(match op {
            UnOp::Neg => Op::Neg { dst: r, src },
            UnOp::Not => Op::Not { dst: r, src },
            UnOp::Bang => Op::Bang { dst: r, src },
        });
        self.f().release(mark);
        self.finish_dest(r, dest);
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, span: &Span, dest: Dest) {
        match op {
            BinOp::And | BinOp::Or | BinOp::AndAlso | BinOp::OrElse => return self.logic(op, a, b, span, dest),
            _ => {}
        }
        let r = self.target(dest);
        let mark = self.f().mark();
        let ra = self.operand(a);
        // `x + 1`, `n - 1`: one instruction with the constant inline.
        if matches!(op, BinOp::Add | BinOp::Sub) {
            if let ExprKind::Int(i) = b.kind {
                let imm = if op == BinOp::Add { Some(i) } else { i.checked_neg() };
                if let Some(imm) = imm.and_then(|v| i16::try_from(v).ok()) {
                    self.set_span(span);
                    self.f().emit(Op::AddImm { dst: r, a: ra, imm });
                    self.f().release(mark);
                    return self.finish_dest(r, dest);
                }
            }
        }
        let rb = self.operand(b);
        self.set_span(span);
        let (dst, a, b) = (r, ra, rb);
        self.f().emit(match op {
            BinOp::Add => Op::Add { dst, a, b },
            BinOp::Sub => Op::Sub { dst, a, b },
            BinOp::Mul => Op::Mul { dst, a, b },
            BinOp::Div => Op::Div { dst, a, b },
            BinOp::Eq => Op::Eq { dst, a, b },
            BinOp::Ne => Op::Ne { dst, a, b },
            BinOp::StrictEq => Op::StrictEq { dst, a, b },
            BinOp::StrictNe => Op::StrictNe { dst, a, b },
            BinOp::Lt => Op::Lt { dst, a, b },
            BinOp::Le => Op::Le { dst, a, b },
            BinOp::Gt => Op::Gt { dst, a, b },
            BinOp::Ge => Op::Ge { dst, a, b },
            BinOp::Concat => Op::Concat { dst, a, b },
            BinOp::ListConcat => Op::ListConcat { dst, a, b },
            BinOp::And | BinOp::Or | BinOp::AndAlso | BinOp::OrElse => unreachable!("handled above"),
        });
        self.f().release(mark);
        self.finish_dest(r, dest);
    }

    /// Short-circuit operators: the right side runs only when needed.
    fn logic(&mut self, op: BinOp, a: &Expr, b: &Expr, span: &Span, dest: Dest) {
        let r = self.target(dest);
        let end = self.f().new_label();
        self.expr(a, Dest::Reg(r));
        self.set_span(span);
        match op {
            BinOp::And => {
                self.f().emit(Op::CheckBool { src: r });
                self.f().emit(Op::JumpIfFalse { cond: r, target: end.0 });
            }
            BinOp::Or => {
                self.f().emit(Op::CheckBool { src: r });
                self.f().emit(Op::JumpIfTrue { cond: r, target: end.0 });
            }
            BinOp::AndAlso => {
                self.f().emit(Op::JumpIfFalsy { cond: r, target: end.0 });
            }
            _ => {
                let t = self.f().alloc();
                self.f().emit(Op::Bang { dst: t, src: r });
                self.f().emit(Op::JumpIfFalsy { cond: t, target: end.0 });
            }
        }
        self.expr(b, Dest::Reg(r));
        self.f().place(end);
        self.finish_dest(r, dest);
    }

    fn call(&mut self, callee: &Callee, args: &[Expr], span: &Span, dest: Dest) {
        let argc = args.len();
        let r = self.target_for_call(dest);
        let mark = self.f().mark();
        let tail = matches!(dest, Dest::Tail);
        let arg_refs: Vec<&Expr> = args.iter().collect();
        let argc16 = argc as u16;
        match callee {
            Callee::Name(name) => {
                let own = self.resolve_in_module(name, argc16);
                if let Some(fun) = self.fr().lookup(name) {
                    let start = self.consecutive(&arg_refs);
                    self.set_span(span);
                    self.emit_call_fun(r, fun, start, argc16, tail);
                } else if let Some((full, target)) =
                    own.or_else(|| self.resolve_named(name, argc16).map(|t| (name.clone(), t)))
                {
                    let in_place = match target {
                        NamedTarget::Local(_) if tail => self.args_in_place(&arg_refs),
                        _ => None,
                    };
                    let start = in_place.unwrap_or_else(|| self.consecutive(&arg_refs));
                    self.set_span(span);
                    self.emit_named_call(&full, target, r, start, argc16, tail);
                } else if let Some(id) = self.table.lookup("", name, argc) {
                    let start = self.consecutive(&arg_refs);
                    self.set_span(span);
                    self.emit_builtin_call(id, r, start, argc16, tail);
                } else {
                    // Unknown here: late-bound; `undef` at run time if still unknown.
                    let start = self.consecutive(&arg_refs);
                    self.set_span(span);
                    self.emit_global_call(name, r, start, argc16, tail);
                }
            }
            Callee::Remote { module, fun } => {
                let start = self.consecutive(&arg_refs);
                self.set_span(span);
                let full = super::qualified(Some(module), fun);
                if let Some(target) = self.resolve_named(&full, argc16) {
                    self.emit_named_call(&full, target, r, start, argc16, tail);
                    self.f().release(mark);
                    return self.move_out(r, dest);
                }
                match self.table.lookup(module, fun, argc) {
                    Some(id) => self.emit_builtin_call(id, r, start, argc16, tail),
                    // Not known here: a module defined later at the prompt,
                    // or not at all; looked up when the call runs.
                    None => {
                        let k = self.f().constant(Term::tuple(vec![Term::atom(module), Term::atom(fun)]));
                        self.f().emit(Op::CallRemote { dst: r, k, start, argc: argc16 });
                        if tail {
                            self.f().emit(Op::Return { src: r });
                        }
                    }
                }
            }
            Callee::Expr(f) => {
                let fun = self.operand(f);
                let start = self.consecutive(&arg_refs);
                self.set_span(span);
                self.emit_call_fun(r, fun, start, argc16, tail);
            }
            Callee::Dynamic { module, fun } => {
                // `m.fun(args)`: the built-in `__module_fun(m, :fun, arity)`
                // finds the function when the call runs; then it is called.
                let Some(find) = self.table.lookup("", MODULE_FUN, 3) else {
                    self.error(Diagnostic::new("calls through a module value need the standard library", span.clone(), "here"));
                    return;
                };
                let lookup = self.f().alloc_n(3);
                self.expr(module, Dest::Reg(lookup));
                let k = self.f().constant(Term::atom(fun));
                self.f().emit(Op::Const { dst: lookup + 1, k });
                self.f().emit(Op::Int { dst: lookup + 2, v: argc as i32 });
                let f = self.f().alloc();
                self.set_span(span);
                self.f().emit(Op::CallBuiltin { dst: f, id: find, start: lookup, argc: 3 });
                let start = self.consecutive(&arg_refs);
                self.set_span(span);
                self.emit_call_fun(r, f, start, argc16, tail);
            }
        }
        self.f().release(mark);
        self.move_out(r, dest);
    }

    fn move_out(&mut self, r: Reg, dest: Dest) {
        if let Dest::Reg(d) = dest {
            if d != r {
                self.f().emit(Op::Move { dst: d, src: r });
            }
        }
    }

    fn emit_named_call(&mut self, name: &str, target: NamedTarget, r: Reg, start: Reg, argc: u16, tail: bool) {
        match (target, tail) {
            (NamedTarget::Local(proto), false) => {
                self.f().emit(Op::Call { dst: r, proto, start, argc });
            }
            (NamedTarget::Local(proto), true) => {
                self.f().emit(Op::TailCall { proto, start, argc });
            }
            (NamedTarget::Global, _) => self.emit_global_call(name, r, start, argc, tail),
        }
    }

    /// Where a call's result goes; a tail call returns by itself, but a
    /// built-in or unknown remote call in tail position needs a register.
    fn target_for_call(&mut self, dest: Dest) -> Reg {
        match dest {
            Dest::Reg(r) => r,
            Dest::Tail => self.f().alloc(),
        }
    }

    fn emit_call_fun(&mut self, dst: Reg, fun: Reg, start: Reg, argc: u16, tail: bool) {
        if tail {
            self.f().emit(Op::TailCallFun { fun, start, argc });
        } else {
            self.f().emit(Op::CallFun { dst, fun, start, argc });
        }
    }

    fn emit_global_call(&mut self, name: &str, dst: Reg, start: Reg, argc: u16, tail: bool) {
        let k = self.f().constant(name_const(name));
        if tail {
            self.f().emit(Op::TailCallGlobal { name: k, start, argc });
        } else {
            self.f().emit(Op::CallGlobal { dst, name: k, start, argc });
        }
    }

    fn emit_builtin_call(&mut self, id: u32, dst: Reg, start: Reg, argc: u16, tail: bool) {
        let dst = if tail { self.f().alloc() } else { dst };
        if argc == 2 && self.is_send(id) {
            // A message to a pid runs in the interpreter's loop.
            self.f().emit(Op::Send { dst, start, id });
        } else {
            self.f().emit(Op::CallBuiltin { dst, id, start, argc });
        }
        if tail {
            self.f().emit(Op::Return { src: dst });
        }
    }

    /// Whether built-in `id` is `send/2` (or `Process.send/2`, the same).
    fn is_send(&self, id: u32) -> bool {
        [("", "send"), ("Process", "send")]
            .iter()
            .any(|&(m, f)| self.table.find(m, f, crate::vm::Arity::Exact(2)) == Some(id))
    }

    /// `&name/arity`, `&Mod.fun/arity`, or a bare function name as a value.
    fn fn_ref(&mut self, module: Option<&str>, name: &str, arity: usize, span: &Span, dest: Dest) {
        let r = self.target(dest);
        self.set_span(span);
        let arity16 = arity as u16;
        let named = match module {
            Some(m) => {
                let full = super::qualified(Some(m), name);
                self.resolve_named(&full, arity16).map(|t| (full, t))
            }
            None => self
                .resolve_in_module(name, arity16)
                .or_else(|| self.resolve_named(name, arity16).map(|t| (name.to_string(), t))),
        };
        if let Some((full, target)) = named {
            match target {
                NamedTarget::Local(proto) => {
                    self.f().emit(Op::Closure { dst: r, proto, start: 0, n: 0 });
                    return self.finish_dest(r, dest);
                }
                // `&M.f/1` is always the loaded `M.f`, as `fun M:f/1` on
                // the BEAM: a small function that calls it by name.
                NamedTarget::Global if full.contains('.') => {
                    let proto = self.late_wrapper(&full, arity16);
                    self.f().emit(Op::Closure { dst: r, proto, start: 0, n: 0 });
                    return self.finish_dest(r, dest);
                }
                NamedTarget::Global => {
                    let k = self.f().constant(name_const(&full));
                    self.f().emit(Op::GlobalFun { dst: r, name: k, arity: arity16 });
                    return self.finish_dest(r, dest);
                }
            }
        }
        let modname = module.unwrap_or("");
        match self.table.lookup(modname, name, arity) {
            Some(id) => {
                let proto = self.builtin_wrapper(id, arity as u16, modname, name);
                self.f().emit(Op::Closure { dst: r, proto, start: 0, n: 0 });
                self.finish_dest(r, dest);
            }
            None if module.is_none() && self.namespace.is_some() => {
                let k = self.f().constant(name_const(name));
                self.f().emit(Op::GlobalFun { dst: r, name: k, arity: arity as u16 });
                self.finish_dest(r, dest);
            }
            None => {
                let shown = match module {
                    Some(m) => format!("{m}.{name}/{arity}"),
                    None => format!("{name}/{arity}"),
                };
                self.error(Diagnostic::new(format!("undefined function `{shown}`"), span.clone(), "no such function"));
            }
        }
    }

    /// The named function a lambda only forwards its parameters to, in
    /// order, when that function is called directly here (not late-bound:
    /// at the prompt the lambda must follow a redefinition).
    fn forwarding_lambda(&self, clauses: &[Clause]) -> Option<u32> {
        let [c] = clauses else { return None };
        let ([body], None) = (c.body.as_slice(), &c.guard) else { return None };
        let ExprKind::Call(Callee::Name(name), args) = &body.kind else { return None };
        if args.len() != c.patterns.len() || self.fr().lookup(name).is_some() {
            return None;
        }
        for (p, a) in c.patterns.iter().zip(args) {
            match (&p.kind, &a.kind) {
                (PatternKind::Var(x), ExprKind::Var(y)) if x == y => {}
                _ => return None,
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for p in &c.patterns {
            let PatternKind::Var(x) = &p.kind else { return None };
            if seen.contains(&x.as_str()) {
                return None;
            }
            seen.push(x);
        }
        let arity = args.len() as u16;
        let target = self.resolve_in_module(name, arity).map(|(_, t)| t).or_else(|| self.resolve_named(name, arity));
        match target {
            Some(NamedTarget::Local(proto)) => Some(proto),
            _ => None,
        }
    }

    /// A small function that calls the late-bound `name/arity`, so that the
    /// value follows the function when it is defined again.
    fn late_wrapper(&mut self, name: &str, arity: u16) -> u32 {
        let idx = self.reserve_proto();
        let mut st = FnState::new(Proto::new(name.to_string(), arity, idx));
        st.span = self.fr().span.clone();
        let dst = st.alloc();
        // The arguments go above, where a call's window starts.
        let start = st.alloc_n(arity as usize);
        for i in 0..arity {
            st.emit(Op::Move { dst: start + i, src: i });
        }
        let k = st.constant(name_const(name));
        st.emit(Op::CallGlobal { dst, name: k, start, argc: arity });
        st.emit(Op::Return { src: dst });
        self.fns.push(st);
        self.finish_fn(idx);
        idx
    }

    /// A small function that calls built-in `id`, so it can be a value.
    fn builtin_wrapper(&mut self, id: u32, arity: u16, module: &str, name: &str) -> u32 {
        if let Some(&p) = self.wrappers.get(&id) {
            return p;
        }
        let idx = self.reserve_proto();
        let shown = if module.is_empty() { name.to_string() } else { format!("{module}.{name}") };
        let mut st = FnState::new(Proto::new(shown, arity, idx));
        st.span = self.fr().span.clone();
        let dst = st.alloc();
        st.emit(Op::CallBuiltin { dst, id, start: 0, argc: arity });
        st.emit(Op::Return { src: dst });
        self.fns.push(st);
        self.finish_fn(idx);
        self.wrappers.insert(id, idx);
        idx
    }

    fn lambda(&mut self, clauses: &[Clause], span: &Span, dest: Dest) {
        // `fn a, b -> f(a, b) end` where `f` is called directly is `f` itself
        // (a service's callbacks are written so): one call instead of two.
        if let Some(proto) = self.forwarding_lambda(clauses) {
            let r = self.target(dest);
            self.set_span(span);
            self.f().emit(Op::Closure { dst: r, proto, start: 0, n: 0 });
            return self.finish_dest(r, dest);
        }
        let arity = clauses.first().map_or(0, |c| c.patterns.len());
        if let Some(bad) = clauses.iter().find(|c| c.patterns.len() != arity) {
            self.error(Diagnostic::new(
                "clauses of one `fn` must take the same number of arguments",
                bad.span.clone(),
                format!("this clause takes {}, the first takes {arity}", bad.patterns.len()),
            ));
            return;
        }
        // Capture exactly the enclosing variables the lambda mentions.
        let mentioned = captures::names_in_clauses(clauses);
        let mut captured: Vec<(String, Reg)> = Vec::new();
        for name in self.fr().visible_names() {
            if mentioned.contains(name) && !captured.iter().any(|(n, _)| n == name) {
                captured.push((name.to_string(), 0));
            }
        }
        for c in &mut captured {
            c.1 = self.fr().lookup(&c.0).unwrap_or(0);
        }
        let idx = self.reserve_proto();
        let parent = self.fr().proto.name.clone();
        let name = if parent.starts_with('<') { "fn".to_string() } else { format!("fn in {parent}") };
        let mut proto = Proto::new(name, arity as u16, idx);
        proto.ncaptured = captured.len() as u16;
        proto.nregs = (arity + captured.len()) as u16;
        let mut st = FnState::new(proto);
        st.span = span.clone();
        for (i, (n, _)) in captured.iter().enumerate() {
            st.bind(n, (arity + i) as Reg);
        }
        self.fns.push(st);
        self.function_clauses(
            clauses.iter().map(|c| super::ClauseParts {
                patterns: &c.patterns,
                guard: c.guard.as_ref(),
                body: &c.body,
                span: &c.span,
            }),
            span,
        );
        self.finish_fn(idx);

        let r = self.target(dest);
        self.set_span(span);
        let mark = self.f().mark();
        let start = self.f().alloc_n(captured.len());
        for (i, (_, src)) in captured.iter().enumerate() {
            self.f().emit(Op::Move { dst: start + i as Reg, src: *src });
        }
        self.f().emit(Op::Closure { dst: r, proto: idx, start, n: captured.len() as u16 });
        self.f().release(mark);
        self.finish_dest(r, dest);
    }

    fn let_(&mut self, p: &Pattern, value: &Expr, dest: Dest) {
        let r = self.let_bind(p, value);
        self.finish_dest(r, dest);
    }

    /// Evaluates `value`, matches it against `p` and binds the pattern's
    /// variables; returns the register holding the value.
    fn let_bind(&mut self, p: &Pattern, value: &Expr) -> Reg {
        // `let x = e`: evaluate straight into x's new register.
        if let PatternKind::Var(name) = &p.kind {
            let r = self.f().alloc();
            self.expr(value, Dest::Reg(r));
            self.f().bind(name, r);
            return r;
        }
        let v = self.f().alloc();
        self.expr(value, Dest::Reg(v));
        let fail = self.f().new_label();
        let ok = self.f().new_label();
        self.set_span(&p.span);
        self.pattern(p, v, fail);
        self.pattern_end();
        self.f().emit(Op::Jump { target: ok.0 });
        self.f().place(fail);
        self.set_span(&p.span);
        self.f().emit(Op::Badmatch { src: v });
        self.f().place(ok);
        v
    }

    /// A guard: falls through when it is exactly `true`, else jumps to
    /// `fail`. As in Erlang, an error while it runs (`x + 1 > 2` with an
    /// atom) is a failed guard, not a failed process; a comparison alone
    /// cannot fail, so it needs no handler.
    pub(crate) fn guard(&mut self, g: &Expr, fail: super::function::LabelId) {
        if !can_raise(g) && self.fused_test(g, fail) {
            return;
        }
        let mark = self.f().mark();
        let refused = self.f().new_label();
        let passed = self.f().new_label();
        self.f().emit(Op::GuardEnter { fail: fail.0 });
        if !self.fused_test(g, refused) {
            let r = self.operand(g);
            self.f().emit(Op::JumpUnlessTrue { cond: r, target: refused.0 });
        }
        self.f().emit(Op::GuardLeave);
        self.f().emit(Op::Jump { target: passed.0 });
        self.f().place(refused);
        self.f().emit(Op::GuardLeave);
        self.f().emit(Op::Jump { target: fail.0 });
        self.f().place(passed);
        self.f().release(mark);
    }

    /// A condition (`if`, `cond`): falls through when truthy, else jumps.
    fn condition(&mut self, c: &Expr, fail: super::function::LabelId) {
        if self.fused_test(c, fail) {
            return;
        }
        let mark = self.f().mark();
        let r = self.operand(c);
        self.f().emit(Op::JumpIfFalsy { cond: r, target: fail.0 });
        self.f().release(mark);
    }

    /// A comparison used as a test compiles to one compare-and-branch
    /// instruction (comparisons yield booleans, so truthy and `true` agree).
    fn fused_test(&mut self, e: &Expr, fail: super::function::LabelId) -> bool {
        let ExprKind::Binary(op, a, b) = &e.kind else { return false };
        let cmp = match op {
            BinOp::Lt => Cmp::Lt,
            BinOp::Le => Cmp::Le,
            BinOp::Gt => Cmp::Gt,
            BinOp::Ge => Cmp::Ge,
            BinOp::Eq => Cmp::Eq,
            BinOp::Ne => Cmp::Ne,
            BinOp::StrictEq => Cmp::StrictEq,
            BinOp::StrictNe => Cmp::StrictNe,
            _ => return false,
        };
        let mark = self.f().mark();
        let ra = self.operand(a);
        self.set_span(&e.span);
        if let ExprKind::Int(i) = b.kind {
            if let Ok(imm) = i16::try_from(i) {
                self.f().emit(Op::TestCmpImm { cmp, a: ra, imm, fail: fail.0 });
                self.f().release(mark);
                return true;
            }
        }
        let rb = self.operand(b);
        self.set_span(&e.span);
        self.f().emit(Op::TestCmp { cmp, a: ra, b: rb, fail: fail.0 });
        self.f().release(mark);
        true
    }

    /// One `patterns [when guard] -> body` clause against `subjects`; on
    /// success runs the body into `dest` and jumps to `end`. `on_match` is
    /// emitted between the guard and the body (receive takes the message).
    fn clause(&mut self, c: &Clause, subjects: &[Reg], dest: Dest, end: super::function::LabelId, on_match: Option<Op>) {
        let fail = self.f().new_label();
        let mark = self.f().mark();
        self.f().push_scope();
        self.set_span(&c.span);
        for (p, s) in c.patterns.iter().zip(subjects) {
            self.pattern(p, *s, fail);
        }
        self.pattern_end();
        if let Some(g) = &c.guard {
            self.guard(g, fail);
        }
        if let Some(op) = on_match {
            self.f().emit(op);
        }
        self.sequence(&c.body, dest);
        if !matches!(dest, Dest::Tail) {
            self.f().emit(Op::Jump { target: end.0 });
        }
        self.f().pop_scope();
        self.f().release(mark);
        self.f().place(fail);
    }

    fn receive(&mut self, clauses: &[Clause], after: Option<&(Box<Expr>, Vec<Expr>)>, span: &Span, dest: Dest) {
        let mark = self.f().mark();
        // The timeout is evaluated once, before the first look at the mailbox.
        let timeout = match after {
            Some((t, _)) => self.operand(t),
            None => NO_REG,
        };
        let msg = self.f().alloc();
        let lp = self.f().new_label();
        let wait = self.f().new_label();
        let after_l = self.f().new_label();
        let end = self.f().new_label();
        self.set_span(span);
        self.f().emit(Op::RecvStart);
        self.f().place(lp);
        self.f().emit(Op::RecvPeek { dst: msg, none: wait.0 });
        for c in clauses {
            self.clause(c, &[msg], dest, end, Some(Op::RecvTake));
        }
        self.set_span(span);
        self.f().emit(Op::RecvNext { target: lp.0 });
        self.f().place(wait);
        self.f().emit(Op::RecvWait { timeout, retry: lp.0, after: after_l.0 });
        self.f().place(after_l);
        match after {
            Some((_, body)) => self.scoped(body, dest),
            // Without `after`, RecvWait never falls through.
            None => self.load_const(Term::NIL_ATOM, dest),
        }
        self.f().place(end);
        self.f().release(mark);
    }

    fn for_(&mut self, pattern: &Pattern, source: &Expr, body: &[Expr], span: &Span, dest: Dest) {
        let r = self.target(dest);
        let mark = self.f().mark();
        let acc = self.f().alloc();
        let cur = self.f().alloc();
        self.expr(source, Dest::Reg(cur));
        self.set_span(span);
        if let Some(id) = self.table.lookup("", "__for_items", 1) {
            let arg = self.f().alloc();
            self.f().emit(Op::Move { dst: arg, src: cur });
            self.f().emit(Op::CallBuiltin { dst: cur, id, start: arg, argc: 1 });
        }
        self.f().emit(Op::Nil { dst: acc });
        let lp = self.f().new_label();
        let done = self.f().new_label();
        self.f().place(lp);
        self.f().emit(Op::TestCons { src: cur, fail: done.0 });
        let item = self.f().alloc();
        self.f().emit(Op::GetHead { dst: item, src: cur });
        self.f().emit(Op::GetTail { dst: cur, src: cur });
        let inner = self.f().mark();
        self.f().push_scope();
        self.pattern(pattern, item, lp);
        self.pattern_end();
        let v = self.f().alloc();
        self.sequence(body, Dest::Reg(v));
        self.set_span(span);
        self.f().emit(Op::List { dst: acc, start: v, n: 1, tail: acc });
        self.f().pop_scope();
        self.f().release(inner);
        self.f().emit(Op::Jump { target: lp.0 });
        self.f().place(done);
        match self.table.lookup("List", "reverse", 1) {
            Some(id) => {
                let arg = self.f().alloc();
                self.f().emit(Op::Move { dst: arg, src: acc });
                self.f().emit(Op::CallBuiltin { dst: r, id, start: arg, argc: 1 });
            }
            None => {
                self.f().emit(Op::Move { dst: r, src: acc });
            }
        }
        self.f().release(mark);
        self.finish_dest(r, dest);
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Whether evaluating `g` may raise: anything but a comparison of variables
/// and literals (the term order is total, so comparing never fails).
fn can_raise(g: &Expr) -> bool {
    let simple = |e: &Expr| matches!(e.kind, ExprKind::Var(_) | ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Atom(_));
    match &g.kind {
        ExprKind::Binary(op, a, b) if is_comparison(op) => !(simple(a) && simple(b)),
        ExprKind::Var(_) | ExprKind::Atom(_) => false,
        _ => true,
    }
}

fn is_comparison(op: &BinOp) -> bool {
    matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne | BinOp::StrictEq | BinOp::StrictNe)
}
