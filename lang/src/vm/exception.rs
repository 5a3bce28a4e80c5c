//! Exceptions: how a runtime error or `exit/1` unwinds a process.
//!
//! Exit reasons for runtime errors are `(:error, detail)` (processes.md):
//! `(:error, :badarith)`, `(:error, "boom")` for `raise("boom")`,
//! `(:error, (:badmatch, value))`, `(:error, (:case_clause, value))`,
//! `(:error, :function_clause)`, `(:error, :cond_clause)`,
//! `(:error, (:undef, "Mod.fun/2"))`, `(:error, :badarg)`,
//! `(:error, (:badfun, value))`, `(:error, (:badarity, fun))`.
//! `exit(reason)` ends the process with exactly `reason`.

use snow_runtime::{Atom, Term};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExcKind {
    /// A runtime error or `raise`: the exit reason is `(:error, detail)`.
    Error,
    /// `exit(reason)`: the exit reason is `reason` itself.
    Exit,
}

#[derive(Debug, Clone)]
pub struct Exception {
    pub kind: ExcKind,
    pub detail: Term,
    /// Said after the description in a report, never part of the exit
    /// reason: what does exist when a function does not (`two/2 exists`).
    pub hint: Option<std::sync::Arc<str>>,
}

impl Exception {
    pub fn error(detail: Term) -> Exception {
        Exception { kind: ExcKind::Error, detail, hint: None }
    }
    pub fn exit(reason: Term) -> Exception {
        Exception { kind: ExcKind::Exit, detail: reason, hint: None }
    }
    pub fn badarg() -> Exception {
        Exception::error(Term::Atom(Atom::BADARG))
    }
    pub fn badarith() -> Exception {
        Exception::error(Term::Atom(Atom::BADARITH))
    }
    pub fn tagged(tag: Atom, value: Term) -> Exception {
        Exception::error(Term::tuple(vec![Term::Atom(tag), value]))
    }
    /// The error `tag` (exit reason `(:error, tag)`, as Erlang's), reported
    /// with why, in words: `** (tag) why`.
    pub fn explained(tag: Atom, why: impl Into<String>) -> Exception {
        Exception::error(Term::Atom(tag)).with_hint(Some(why.into()))
    }
    pub fn undef(what: &str) -> Exception {
        Exception::tagged(Atom::UNDEF, Term::str(what))
    }
    pub fn with_hint(mut self, hint: Option<String>) -> Exception {
        self.hint = hint.map(std::sync::Arc::from);
        self
    }

    /// The reason the process ends with.
    pub fn exit_reason(&self) -> Term {
        match self.kind {
            ExcKind::Exit => self.detail.clone(),
            ExcKind::Error => Term::tuple(vec![Term::Atom(Atom::ERROR), self.detail.clone()]),
        }
    }

    /// One line saying what went wrong, in words (and the hint, if any).
    pub fn describe(&self) -> String {
        match (&self.hint, &self.detail) {
            // An error atom reads on into its explanation: `(badarg) why`.
            (Some(h), Term::Atom(a)) if self.kind == ExcKind::Error => format!("({}) {h}", a.as_str()),
            (Some(h), _) => format!("{}; {h}", self.describe_detail()),
            (None, _) => self.describe_detail(),
        }
    }

    fn describe_detail(&self) -> String {
        use snow_runtime::inspect::inspect;
        if self.kind == ExcKind::Exit {
            return format!("exited: {}", inspect(&self.detail));
        }
        let d = &self.detail;
        match d {
            Term::Str(s) => format!("(error) {s}"),
            Term::Atom(a) => match *a {
                Atom::BADARITH => "(badarith) bad argument in arithmetic expression".into(),
                Atom::BADARG => "(badarg) bad argument".into(),
                Atom::FUNCTION_CLAUSE => "(function_clause) no function clause matching".into(),
                Atom::COND_CLAUSE => "(cond_clause) no cond clause evaluated to true".into(),
                _ => format!("({})", a.as_str()),
            },
            Term::Tuple(t) if t.len() == 2 => {
                let tag = t[0].as_atom().map(|a| a.as_str()).unwrap_or("error");
                let v = inspect(&t[1]);
                match t[0].as_atom() {
                    Some(Atom::BADMATCH) => format!("(badmatch) no match of right hand side value: {v}"),
                    Some(Atom::CASE_CLAUSE) => format!("(case_clause) no case clause matching: {v}"),
                    Some(Atom::UNDEF) => {
                        format!("(undef) function {} is undefined", snow_runtime::inspect::display(&t[1]))
                    }
                    // A function value without Snow code: one from an Erlang node.
                    Some(Atom::BADFUN) if matches!(t[1], Term::Fun(_)) => {
                        format!("(badfun) {v} came from another language; Snow cannot run it")
                    }
                    Some(Atom::BADFUN) => format!("(badfun) expected a function, got: {v}"),
                    Some(Atom::BADARITY) => format!("(badarity) {}", snow_runtime::inspect::display(&t[1])),
                    _ => match &t[1] {
                        Term::Str(why) => format!("({tag}) {why}"),
                        _ => format!("({tag}) {v}"),
                    },
                }
            }
            other => format!("(error) {}", inspect(other)),
        }
    }
}
