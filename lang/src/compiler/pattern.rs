//! Compiling patterns into tests that fall through on a match and jump to
//! `fail` otherwise, binding variables as they go.

use super::function::LabelId;
use super::Compiler;
use crate::ast::{Pattern, PatternKind};
use crate::bytecode::{Op, Reg};
use crate::diagnostic::Diagnostic;
use snow_runtime::Term;

impl<'t> Compiler<'t> {
    /// Matches `p` against register `src`. Variables it binds are pending
    /// until `pattern_end`.
    pub(crate) fn pattern(&mut self, p: &Pattern, src: Reg, fail: LabelId) {
        let fail_t = fail.0;
        match &p.kind {
            PatternKind::Wildcard => {}
            PatternKind::Var(name) => {
                let repeated = self.fr().pending.iter().find(|(n, _)| n == name).map(|(_, r)| *r);
                match repeated {
                    // The same variable twice in one pattern: equal values only.
                    Some(first) => {
                        self.f().emit(Op::TestSame { a: first, b: src, fail: fail_t });
                    }
                    None => self.f().pending.push((name.clone(), src)),
                }
            }
            PatternKind::Pin(name) => match self.fr().lookup(name) {
                Some(r) => {
                    self.f().emit(Op::TestSame { a: r, b: src, fail: fail_t });
                }
                None => self.error(Diagnostic::new(
                    format!("unbound variable `^{name}`"),
                    p.span.clone(),
                    "a pin needs a variable bound before this pattern",
                )),
            },
            PatternKind::Int(i) => match i32::try_from(*i) {
                Ok(v) => {
                    self.f().emit(Op::TestInt { src, v, fail: fail_t });
                }
                Err(_) => self.test_const(src, Term::Int(*i), fail),
            },
            PatternKind::Float(x) => self.test_const(src, Term::Float(*x), fail),
            PatternKind::Atom(a) => self.test_const(src, Term::atom(a), fail),
            PatternKind::Str(s) => self.test_const(src, Term::str(s), fail),
            PatternKind::Tuple(items) => {
                self.f().emit(Op::TestTuple { src, n: items.len() as u16, fail: fail_t });
                for (i, item) in items.iter().enumerate() {
                    if matches!(item.kind, PatternKind::Wildcard) {
                        continue;
                    }
                    let r = self.f().alloc();
                    self.f().emit(Op::GetElem { dst: r, src, i: i as u16 });
                    self.pattern(item, r, fail);
                }
            }
            PatternKind::List(items, tail) => {
                let mut cur = src;
                for item in items {
                    self.f().emit(Op::TestCons { src: cur, fail: fail_t });
                    if !matches!(item.kind, PatternKind::Wildcard) {
                        let h = self.f().alloc();
                        self.f().emit(Op::GetHead { dst: h, src: cur });
                        self.pattern(item, h, fail);
                    }
                    let t = self.f().alloc();
                    self.f().emit(Op::GetTail { dst: t, src: cur });
                    cur = t;
                }
                match tail {
                    Some(t) => self.pattern(t, cur, fail),
                    None => {
                        self.f().emit(Op::TestNil { src: cur, fail: fail_t });
                    }
                }
            }
            PatternKind::Map(pairs) => {
                self.f().emit(Op::TestMap { src, fail: fail_t });
                for (k, v) in pairs {
                    let Some(key) = self.map_key(k) else { continue };
                    let val = self.f().alloc();
                    self.f().emit(Op::GetMapValue { dst: val, map: src, key, fail: fail_t });
                    self.pattern(v, val, fail);
                }
            }
            PatternKind::Alias(inner, name) => {
                self.pattern(inner, src, fail);
                let whole = Pattern { kind: PatternKind::Var(name.clone()), span: p.span.clone() };
                self.pattern(&whole, src, fail);
            }
        }
    }

    /// Binds the variables of the pattern just matched.
    pub(crate) fn pattern_end(&mut self) {
        let pending = std::mem::take(&mut self.f().pending);
        for (name, reg) in pending {
            self.f().bind(&name, reg);
        }
    }

    fn test_const(&mut self, src: Reg, t: Term, fail: LabelId) {
        let k = self.f().constant(t);
        self.f().emit(Op::TestConst { src, k, fail: fail.0 });
    }

    /// A register holding a map pattern's key: a literal or a pinned value.
    fn map_key(&mut self, k: &Pattern) -> Option<Reg> {
        let t = match &k.kind {
            PatternKind::Int(i) => Term::Int(*i),
            PatternKind::Float(x) => Term::Float(*x),
            PatternKind::Atom(a) => Term::atom(a),
            PatternKind::Str(s) => Term::str(s),
            PatternKind::Pin(name) => match self.fr().lookup(name) {
                Some(r) => return Some(r),
                None => {
                    self.error(Diagnostic::new(format!("unbound variable `^{name}`"), k.span.clone(), "not bound here"));
                    return None;
                }
            },
            _ => {
                self.error(
                    Diagnostic::new("map keys in patterns must be literals", k.span.clone(), "not a literal")
                        .with_hint("use a literal (`:a`, `\"k\"`, `1`) or a pinned variable (`^key`)"),
                );
                return None;
            }
        };
        let r = self.f().alloc();
        let c = self.f().constant(t);
        self.f().emit(Op::Const { dst: r, k: c });
        Some(r)
    }
}
