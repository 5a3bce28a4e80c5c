//! The state of one function being compiled: its registers, scopes and
//! labels.
//!
//! Registers are allocated like a stack. A variable's register is written
//! once, when it is bound, and never again while the variable is in scope
//! (`let x = x + 1` binds a new register), which lets a pattern variable
//! simply name the register it matched instead of copying it.

use crate::ast::Span;
use crate::bytecode::{Label, Op, Proto, Reg};
use snow_runtime::Term;

/// A forward-referenceable jump target; resolved to a pc when the function
/// is finished.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LabelId(pub u32);

pub struct FnState {
    pub proto: Proto,
    /// Innermost scope last; each maps names to registers, latest binding last.
    scopes: Vec<Vec<(String, Reg)>>,
    next_reg: u32,
    labels: Vec<Option<u32>>,
    /// The span attached to instructions emitted now.
    pub span: Span,
    pub overflow: bool,
    /// Variables bound by the pattern being compiled, bound into the scope
    /// when the whole pattern has been matched (so a pin sees the old value).
    pub pending: Vec<(String, Reg)>,
}

const MAX_REGS: u32 = (Reg::MAX - 1) as u32;

impl FnState {
    pub fn new(proto: Proto) -> FnState {
        let next = proto.arity as u32 + proto.ncaptured as u32;
        FnState { proto, scopes: vec![Vec::new()], next_reg: next, labels: Vec::new(), span: 0..0, overflow: false, pending: Vec::new() }
    }

    // ---- registers ------------------------------------------------------
    pub fn alloc(&mut self) -> Reg {
        let r = self.next_reg;
        if r >= MAX_REGS {
            self.overflow = true;
            return 0;
        }
        self.next_reg += 1;
        if self.next_reg > self.proto.nregs as u32 {
            self.proto.nregs = self.next_reg as u16;
        }
        r as Reg
    }

    /// `n` consecutive registers; returns the first.
    pub fn alloc_n(&mut self, n: usize) -> Reg {
        let first = self.next_reg as Reg;
        for _ in 0..n {
            self.alloc();
        }
        first
    }

    pub fn mark(&self) -> u32 {
        self.next_reg
    }

    /// Frees every register allocated since `mark`, except those of
    /// variables still in scope: a `let` inside an expression
    /// (`(let w = 5) + 1`) binds past the expression that holds it.
    pub fn release(&mut self, mark: u32) {
        let live = self.scopes.iter().flatten().map(|(_, r)| u32::from(*r) + 1).max().unwrap_or(0);
        self.next_reg = mark.max(live);
    }

    // ---- scopes ----------------------------------------------------------
    pub fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    pub fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    pub fn bind(&mut self, name: &str, reg: Reg) {
        if let Some(s) = self.scopes.last_mut() {
            s.push((name.to_string(), reg));
        }
    }

    pub fn lookup(&self, name: &str) -> Option<Reg> {
        self.scopes.iter().rev().find_map(|s| s.iter().rev().find(|(n, _)| n == name).map(|(_, r)| *r))
    }

    /// Every name in scope (for "did you mean" hints and closure capture).
    pub fn visible_names(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter().flat_map(|s| s.iter().map(|(n, _)| n.as_str()))
    }

    /// The names bound in the outermost scope, latest binding of each, in
    /// first-binding order (a REPL entry's resulting bindings).
    pub fn top_scope_bindings(&self) -> Vec<(String, Reg)> {
        let mut out: Vec<(String, Reg)> = Vec::new();
        if let Some(s) = self.scopes.first() {
            for (n, r) in s {
                match out.iter_mut().find(|(m, _)| m == n) {
                    Some(slot) => slot.1 = *r,
                    None => out.push((n.clone(), *r)),
                }
            }
        }
        out
    }

    // ---- code --------------------------------------------------------------
    pub fn emit(&mut self, op: Op) -> usize {
        self.proto.code.push(op);
        self.proto.spans.push(self.span.clone());
        self.proto.code.len() - 1
    }

    pub fn constant(&mut self, t: Term) -> u32 {
        if let Some(i) = self.proto.consts.iter().position(|c| c.strict_eq(&t) && same_kind(c, &t)) {
            return i as u32;
        }
        self.proto.consts.push(t);
        (self.proto.consts.len() - 1) as u32
    }

    pub fn new_label(&mut self) -> LabelId {
        self.labels.push(None);
        LabelId(self.labels.len() as u32 - 1)
    }

    pub fn place(&mut self, l: LabelId) {
        self.labels[l.0 as usize] = Some(self.proto.code.len() as u32);
    }


    /// Resolves label operands to instruction indices and returns the proto.
    pub fn finish(mut self) -> Proto {
        super::fuse::fuse(&mut self.proto.code, &mut self.proto.spans, &mut self.labels);
        let labels = self.labels;
        let fix = |l: &mut Label| *l = labels.get(*l as usize).copied().flatten().unwrap_or(0);
        for op in &mut self.proto.code {
            op.for_each_label(fix);
        }
        self.proto
    }
}

/// Constants are shared only between terms of the same kind (`1` and `1.0`
/// are strictly unequal anyway; this guards strings against atoms etc.).
fn same_kind(a: &Term, b: &Term) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}
