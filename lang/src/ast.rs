//! The abstract syntax tree: what the parser produces and the compiler reads.
//!
//! Every expression and pattern carries its byte span in the source, so that
//! diagnostics and runtime errors can point at it. Sugar is removed by the
//! parser where it is purely syntactic: `a |> f(b)` arrives here as the call
//! `f(a, b)`, type annotations are dropped, `(:inc)` is the atom `:inc`.

pub type Span = std::ops::Range<usize>;

/// A whole file or REPL entry: its top-level items, in source order.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub items: Vec<Item>,
    /// The file's `test` blocks, in source order. Each body is also an item:
    /// the zero-arity function `TestCase::function` (`snow test` runs them).
    pub tests: Vec<TestCase>,
}

/// A `test("name") do ... end` block, as `snow test` finds and runs it.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// `describe: test`, or the test's own name outside a `describe`.
    pub name: String,
    /// The named function holding the body (`<test 1>`: no code can call it).
    pub function: String,
    /// The `test` block, `test` to `end`.
    pub span: Span,
    /// The enclosing `describe` block, if any.
    pub describe: Option<Span>,
    pub timeout: TestTimeout,
}

/// `test("name", timeout: ms)`: how long the test may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestTimeout {
    /// No `timeout:` given: the runner's default.
    Default,
    Ms(u64),
    /// `timeout: :infinity`.
    Infinity,
}

#[derive(Debug, Clone)]
pub enum Item {
    /// One clause of a named function (`fn` or `actor`). Clauses of the same
    /// name and arity form one function, tried in source order.
    Fn(FnClause),
    /// Any other top-level expression, `let` included, run in order.
    Expr(Expr),
    /// `module Name do ... end`, and the `service` and `supervisor` blocks,
    /// which arrive here as the modules they define (`syntax/desugar.rs`).
    Module(ModuleDef),
    /// `import "path/file.snow"`: that file's modules become callable here.
    /// The program's driver reads the file (`lang` does no I/O).
    Import { path: String, span: Span },
}

/// A module: functions called `Name.fun(...)` from anywhere, and by their
/// bare names from inside the module.
#[derive(Debug, Clone)]
pub struct ModuleDef {
    pub name: String,
    pub name_span: Span,
    /// Each function's clauses, named without the module (`get`, not
    /// `Counter.get`).
    pub functions: Vec<FnClause>,
    pub kind: ModuleKind,
    /// `module` (or `service`, `supervisor`) to `end`.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    Plain,
    Service,
    Supervisor,
}

impl ModuleKind {
    pub fn keyword(self) -> &'static str {
        match self {
            ModuleKind::Plain => "module",
            ModuleKind::Service => "service",
            ModuleKind::Supervisor => "supervisor",
        }
    }
}

#[derive(Debug, Clone)]
pub struct FnClause {
    pub name: String,
    pub name_span: Span,
    pub params: Vec<Pattern>,
    pub guard: Option<Expr>,
    pub body: Vec<Expr>,
    /// The whole definition, `fn` to `end` (or to the end of a one-line body).
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Atom(String),
    /// A string literal; a literal without interpolation is one `Lit` part.
    Str(Vec<StrPart>),
    /// A name: a bound variable, or else a named function used as a value.
    Var(String),
    Tuple(Vec<Expr>),
    /// `[a, b]` or `[a, b | tail]`.
    List(Vec<Expr>, Option<Box<Expr>>),
    /// `%{k => v, ...}`; `%{a: 1}` arrives as `%{:a => 1}`.
    Map(Vec<(Expr, Expr)>),
    /// `%{map | k => v}`: a copy of `map` with keys replaced or added.
    MapUpdate(Box<Expr>, Vec<(Expr, Expr)>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Callee, Vec<Expr>),
    /// `&name/arity` or `&Module.fun/arity`.
    FnRef { module: Option<String>, name: String, arity: usize },
    /// `fn params -> body end`; several clauses in `fn` ... `end` are allowed
    /// (`fn 0 -> :zero; n -> n end`), all of the same arity.
    Lambda(Vec<Clause>),
    /// `let pattern = value` (with any type annotation dropped). Its value is
    /// `value`.
    Let(Box<Pattern>, Box<Expr>),
    If { cond: Box<Expr>, then: Vec<Expr>, otherwise: Option<Vec<Expr>> },
    Case { subject: Box<Expr>, clauses: Vec<Clause> },
    /// `cond do test -> body ... end`.
    Cond(Vec<(Expr, Vec<Expr>)>),
    Receive { clauses: Vec<Clause>, after: Option<(Box<Expr>, Vec<Expr>)> },
    /// `for pattern in source do body end`; elements that do not match the
    /// pattern are skipped, as in Elixir's comprehensions.
    For { pattern: Box<Pattern>, source: Box<Expr>, body: Vec<Expr> },
    /// A `do ... end` or parenthesised sequence used as one expression.
    Block(Vec<Expr>),
}

#[derive(Debug, Clone)]
pub enum StrPart {
    Lit(String),
    Interp(Expr),
}

#[derive(Debug, Clone)]
pub enum Callee {
    /// `name(args)`: a named function, or a bound variable holding a function.
    Name(String),
    /// `Module.fun(args)`.
    Remote { module: String, fun: String },
    /// Any other expression that yields a function: `make_adder(1)(2)`,
    /// `f.(x)`.
    Expr(Box<Expr>),
    /// `m.fun(args)`: a function of the module `m` holds (a module is its
    /// name as an atom), found when the call runs.
    Dynamic { module: Box<Expr>, fun: String },
}

/// One `pattern [when guard] -> body` clause (case, receive, lambdas).
/// A lambda clause has one pattern per parameter.
#[derive(Debug, Clone)]
pub struct Clause {
    pub patterns: Vec<Pattern>,
    pub guard: Option<Expr>,
    pub body: Vec<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `not x` (strict boolean)
    Not,
    /// `!x` (truthiness)
    Bang,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// `/`: always a float.
    Div,
    Eq,
    Ne,
    StrictEq,
    StrictNe,
    Lt,
    Le,
    Gt,
    Ge,
    /// `and`: strict booleans, short-circuit.
    And,
    /// `or`
    Or,
    /// `&&`: truthy, short-circuit.
    AndAlso,
    /// `||`
    OrElse,
    /// `<>`
    Concat,
    /// `++`
    ListConcat,
}

#[derive(Debug, Clone)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum PatternKind {
    /// `_` or `_name`.
    Wildcard,
    Var(String),
    /// `^name`: equal to the current value of `name`.
    Pin(String),
    Int(i64),
    Float(f64),
    Atom(String),
    Str(String),
    Tuple(Vec<Pattern>),
    List(Vec<Pattern>, Option<Box<Pattern>>),
    /// A map containing at least these keys; keys are literal patterns or pins.
    Map(Vec<(Pattern, Pattern)>),
    /// `pattern = name` (or `name = pattern`): match and also bind the whole.
    Alias(Box<Pattern>, String),
}
