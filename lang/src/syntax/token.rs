//! The token vocabulary shared by the lexer, the layout pass and the parser.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Int(i64),
    Float(f64),
    /// `:ok` or `:"a@b"`, without the colon and quotes.
    Atom(String),
    /// `#PID<node.id.serial>`.
    Pid(u32, u32, u32),
    Ident(String),
    Module(String),
    /// `name:` in a map (`%{name: v}`), without the colon.
    KwKey(String),
    /// The opening `"` of a string; the string's pieces follow.
    StrStart,
    /// Literal text of a string, escapes already applied.
    StrLit(String),
    StrEnd,
    /// `${` inside a string.
    InterpStart,
    /// The `}` that closes an interpolation.
    InterpEnd,

    Do,
    End,
    Fn,
    Actor,
    Let,
    If,
    Else,
    Case,
    Cond,
    Receive,
    After,
    For,
    In,
    When,
    And,
    Or,
    Not,
    True,
    False,
    Nil,

    Plus,
    Minus,
    Star,
    Slash,
    EqEq,
    NotEq,
    EqEqEq,
    NotEqEq,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    /// `<>`
    Concat,
    /// `++`
    PlusPlus,
    /// `|>`
    Pipe,
    /// `=`
    Assign,
    /// `->`
    Arrow,
    /// `=>`
    FatArrow,
    /// `|`
    Bar,
    Caret,
    Amp,
    ColonColon,
    Comma,
    Dot,
    LParen,
    /// A `(` right after a lambda's `fn` on the same line: it opens the
    /// parameter list (`fn(a, b) -> ...`), not a tuple pattern. Set by layout.
    ParamsOpen,
    RParen,
    LBracket,
    RBracket,
    /// `%{`
    MapOpen,
    RBrace,
    Newline,
    Semi,
    Comment,
    /// A character that starts no token; the lexer has reported it.
    Error,

    // Contextual keywords: names the lexer reads as `Ident`, which become
    // keywords where they start a statement in their own shape (`words.rs`).
    /// `test("name") do`
    Test,
    /// `describe("name") do`
    Describe,
    Assert,
    Refute,
    AssertReceive,
    RefuteReceive,
    /// A `(` right after an assertion's word (`assert_receive(p, 100)`): it
    /// opens the assertion's arguments, not a tuple pattern. Set by `words.rs`.
    ArgsOpen,
}

impl Tok {
    /// Whether an expression can begin with this token as a whole term: a
    /// literal, a name, a bracket, or a keyword that opens an expression.
    /// (Where else an expression may begin differs by place: a statement
    /// may start with `let`, an operand with `(`, `not` or `^`; each caller
    /// adds its own.)
    pub(crate) fn starts_term(&self) -> bool {
        matches!(
            self,
            Tok::Int(_)
                | Tok::Float(_)
                | Tok::Atom(_)
                | Tok::Pid(..)
                | Tok::Ident(_)
                | Tok::Module(_)
                | Tok::StrStart
                | Tok::True
                | Tok::False
                | Tok::Nil
                | Tok::LBracket
                | Tok::MapOpen
                | Tok::If
                | Tok::Case
                | Tok::Cond
                | Tok::Receive
                | Tok::For
                | Tok::Fn
        )
    }

    /// How the token is named in "expected ..." messages.
    pub fn describe(&self) -> Cow<'static, str> {
        let fixed = match self {
            Tok::Int(_) => "an integer",
            Tok::Float(_) => "a float",
            Tok::Atom(_) => "an atom",
            Tok::Pid(..) => "a pid",
            Tok::Ident(_) => "a name",
            Tok::Module(_) => "a module name",
            Tok::KwKey(_) => "a `key:`",
            Tok::StrStart | Tok::StrEnd => "a string",
            Tok::StrLit(_) => "string text",
            Tok::InterpStart => "`${`",
            Tok::InterpEnd => "`}`",
            Tok::Newline => "a new line",
            Tok::Semi => "`;`",
            Tok::Comment => "a comment",
            Tok::Error => "an unknown character",
            Tok::ParamsOpen | Tok::ArgsOpen => "`(`",
            other => return Cow::Owned(format!("`{}`", other.symbol())),
        };
        Cow::Borrowed(fixed)
    }

    /// The fixed spelling of keyword, operator and punctuation tokens.
    pub fn symbol(&self) -> &'static str {
        match self {
            Tok::Do => "do",
            Tok::End => "end",
            Tok::Fn => "fn",
            Tok::Actor => "actor",
            Tok::Let => "let",
            Tok::If => "if",
            Tok::Else => "else",
            Tok::Case => "case",
            Tok::Cond => "cond",
            Tok::Receive => "receive",
            Tok::After => "after",
            Tok::For => "for",
            Tok::In => "in",
            Tok::When => "when",
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::True => "true",
            Tok::False => "false",
            Tok::Nil => "nil",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::EqEqEq => "===",
            Tok::NotEqEq => "!==",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Bang => "!",
            Tok::Concat => "<>",
            Tok::PlusPlus => "++",
            Tok::Pipe => "|>",
            Tok::Assign => "=",
            Tok::Arrow => "->",
            Tok::FatArrow => "=>",
            Tok::Bar => "|",
            Tok::Caret => "^",
            Tok::Amp => "&",
            Tok::ColonColon => "::",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::LParen | Tok::ParamsOpen | Tok::ArgsOpen => "(",
            Tok::Test => "test",
            Tok::Describe => "describe",
            Tok::Assert => "assert",
            Tok::Refute => "refute",
            Tok::AssertReceive => "assert_receive",
            Tok::RefuteReceive => "refute_receive",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::MapOpen => "%{",
            Tok::RBrace | Tok::InterpEnd => "}",
            Tok::InterpStart => "${",
            Tok::StrStart | Tok::StrEnd => "\"",
            Tok::Semi => ";",
            Tok::Newline => "\n",
            _ => "",
        }
    }

    /// Binary operators: a line ending in one continues on the next.
    pub fn is_binary_op(&self) -> bool {
        matches!(
            self,
            Tok::Plus
                | Tok::Minus
                | Tok::Star
                | Tok::Slash
                | Tok::EqEq
                | Tok::NotEq
                | Tok::EqEqEq
                | Tok::NotEqEq
                | Tok::Lt
                | Tok::Le
                | Tok::Gt
                | Tok::Ge
                | Tok::AndAnd
                | Tok::OrOr
                | Tok::And
                | Tok::Or
                | Tok::Concat
                | Tok::PlusPlus
                | Tok::Pipe
        )
    }
}
