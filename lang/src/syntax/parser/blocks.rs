//! The top-level blocks that define modules — `module Name do ... end`,
//! `service Name do ... end`, `supervisor Name do ... end` — and
//! `import "file.snow"`.
//!
//! Their words are keywords only here: at the start of a top-level item and
//! followed by a module name (or, for `import`, a string). So `call`,
//! `cast`, `child`, `module` and `import` stay ordinary names everywhere
//! else. A service or supervisor becomes the module it defines
//! (`syntax/desugar.rs`); the compiler sees only modules.

use chumsky::prelude::*;

use super::expr::Grammar;
use super::items::terminated;
use super::{ident, sep, seps, span_of, tok, P};
use crate::ast::{Expr, FnClause, Item, ModuleDef, ModuleKind, Span};
use crate::diagnostic::Diagnostic;
use crate::syntax::desugar::{self, Handler, HandlerKind, Setting, SupervisorSpec};
use crate::syntax::token::Tok;

/// `word`, an identifier used as a keyword in this one place.
fn word<'a>(w: &'static str) -> P<'a, ()> {
    select! { Tok::Ident(s) if s == w => () }.boxed()
}

fn module_name<'a>() -> P<'a, (String, Span)> {
    select! { Tok::Module(m) => m }
        .labelled("a module name (`Counter`)")
        .map_with(|m, e| (m, span_of(e)))
        .boxed()
}

/// `do`, members separated by new lines, `end`; a member that does not
/// parse is reported and skipped, as a top-level statement is.
pub(crate) fn members<'a, T: 'a>(member: P<'a, T>) -> P<'a, Vec<T>> {
    let member = terminated(member.map(Some).boxed(), true);
    tok(Tok::Do)
        .ignore_then(seps())
        .ignore_then(member.separated_by(sep()).allow_trailing().collect::<Vec<_>>())
        .then_ignore(seps())
        .then_ignore(tok(Tok::End))
        .map(|v| v.into_iter().flatten().collect())
        .boxed()
}

/// Whether the block's `end` is one added where the input stopped: then
/// the block is unfinished (the REPL asks for more), not wrong.
fn cut_off(e: &mut super::Extra<'_, '_>) -> bool {
    let closer = e.span().end.saturating_sub(1);
    e.state().past_input(closer)
}

pub(crate) fn top_block<'a>(g: &Grammar<'a>) -> P<'a, Item> {
    choice((module_def(g), service_def(g), supervisor_def(g), import()))
        .boxed()
}

/// `import "path/file.snow"`.
fn import<'a>() -> P<'a, Item> {
    let path = tok(Tok::StrStart)
        .ignore_then(select! { Tok::StrLit(s) => s }.or_not())
        .then_ignore(tok(Tok::StrEnd).labelled("the end of the path (no `${...}` in an import)"))
        .map(Option::unwrap_or_default);
    word("import")
        .ignore_then(path)
        .map_with(|path, e| Item::Import { path, span: span_of(e) })
        .boxed()
}

/// A line of a module: a function definition, or anything else, which is
/// reported (a module holds functions only).
fn module_member<'a>(g: &Grammar<'a>) -> P<'a, Option<FnClause>> {
    let stray = g.expr.clone().map_with(|e: Expr, x| {
        x.state().diags.push(
            Diagnostic::new("a module holds function definitions only", e.span.clone(), "not a `fn` definition")
                .with_hint("move this to the top level, or into a function of the module"),
        );
        None
    });
    choice((g.named.clone().map(Some), stray)).boxed()
}

fn module_def<'a>(g: &Grammar<'a>) -> P<'a, Item> {
    word("module")
        .ignore_then(module_name())
        .then(members(module_member(g)))
        .map_with(|((name, name_span), fns), e| {
            let functions = fns.into_iter().flatten().collect();
            Item::Module(ModuleDef { name, name_span, functions, kind: ModuleKind::Plain, span: span_of(e) })
        })
        .boxed()
}

/// `call name(params) do |state| body end`, `cast ...`; the block may also
/// take the caller as a second parameter: `do |state, from|`.
fn handler<'a>(g: &Grammar<'a>) -> P<'a, Handler> {
    let kind = select! {
        Tok::Ident(s) if s == "call" => HandlerKind::Call,
        Tok::Ident(s) if s == "cast" => HandlerKind::Cast,
    };
    let params = g
        .pattern
        .clone()
        .separated_by(tok(Tok::Comma))
        .allow_trailing()
        .collect::<Vec<_>>()
        .delimited_by(tok(Tok::LParen), tok(Tok::RParen).labelled("`)`"));
    let block_params = g
        .pattern
        .clone()
        .separated_by(tok(Tok::Comma))
        .at_least(1)
        .collect::<Vec<_>>()
        .delimited_by(tok(Tok::Bar), tok(Tok::Bar))
        .labelled("`|state|`");
    kind.then(ident().map_with(|n, e| (n, span_of(e))))
        .then(params)
        .then_ignore(tok(Tok::Do))
        .then(block_params)
        .then(g.block.clone())
        .then_ignore(seps())
        .then_ignore(tok(Tok::End))
        .map_with(|((((kind, (name, name_span)), params), state), body), e| Handler {
            kind,
            name,
            name_span,
            params,
            state,
            body,
            span: span_of(e),
        })
        .boxed()
}

fn service_def<'a>(g: &Grammar<'a>) -> P<'a, Item> {
    #[derive(Clone)]
    enum Member {
        Fn(FnClause),
        Handler(Handler),
        Stray,
    }
    let stray = g.expr.clone().map_with(|e: Expr, x| {
        x.state().diags.push(
            Diagnostic::new(
                "a service holds `fn`, `call` and `cast` definitions only",
                e.span.clone(),
                "not a definition",
            )
            .with_hint("`call get() do |state| (state, state) end` answers `Name.get(pid)`"),
        );
        Member::Stray
    });
    let member = choice((g.named.clone().map(Member::Fn), handler(g).map(Member::Handler), stray)).boxed();
    word("service")
        .ignore_then(module_name())
        .then(members(member))
        .map_with(|((name, name_span), members), e| {
            let mut fns = Vec::new();
            let mut handlers = Vec::new();
            for m in members {
                match m {
                    Member::Fn(f) => fns.push(f),
                    Member::Handler(h) => handlers.push(h),
                    Member::Stray => {}
                }
            }
            let span = span_of(e);
            let (def, diags) = desugar::service(name, name_span, fns, handlers, span);
            if !cut_off(e) {
                e.state().diags.extend(diags);
            }
            Item::Module(def)
        })
        .boxed()
}

/// `key: value` settings and `child name do key: value ... end` blocks.
fn supervisor_def<'a>(g: &Grammar<'a>) -> P<'a, Item> {
    let key = select! { Tok::KwKey(k) => k }.map_with(|k, e| (k, span_of(e)));
    let setting = key.then(g.expr.clone()).map(|((key, key_span), value)| Setting { key, key_span, value }).boxed();
    let child = word("child")
        .ignore_then(ident().map_with(|n, e| (n, span_of(e))))
        .then(members(setting.clone()))
        .map_with(|((id, id_span), settings), e| SupervisorSpec::Child { id, id_span, settings, span: span_of(e) })
        .boxed();
    let stray = g.expr.clone().map_with(|e: Expr, x| {
        x.state().diags.push(
            Diagnostic::new(
                "a supervisor holds settings and `child` blocks only",
                e.span.clone(),
                "not a `key: value` setting or a `child name do ... end`",
            )
            .with_hint("write `strategy: :one_for_one`, or `child worker do start: fn -> ... end end`"),
        );
        SupervisorSpec::Stray
    });
    let member = choice((child, setting.map(SupervisorSpec::Setting), stray)).boxed();
    word("supervisor")
        .ignore_then(module_name())
        .then(members(member))
        .map_with(|((name, name_span), specs), e| {
            let span = span_of(e);
            let (def, diags) = desugar::supervisor(name, name_span, specs, span);
            if !cut_off(e) {
                e.state().diags.extend(diags);
            }
            Item::Module(def)
        })
        .boxed()
}
