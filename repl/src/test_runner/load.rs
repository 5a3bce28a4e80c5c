//! A test file, compiled, and the tests chosen from it. Nothing runs here:
//! a file that does not compile, or that has code at its top level (which
//! would run in no test), is reported as `snow FILE` reports errors.

use super::discover::Target;
use snow_lang::ast::{Item, Span, TestCase};
use snow_lang::bytecode::Proto;
use snow_lang::diagnostic::{line_col, render_all, Diagnostic};
use std::io::IsTerminal;

/// A test as the runner knows it.
pub struct Test {
    pub case: TestCase,
    /// The file, as the report shows it.
    pub file: String,
    /// `file:line` of its `test` word.
    pub place: String,
    pub proto: &'static Proto,
}

/// The tests to run from one file, in source order; `Err` when the file
/// cannot run (already reported on stderr).
pub fn load(target: &Target) -> Result<Vec<Test>, ()> {
    let file = target.file.display().to_string();
    let src = crate::run::read_source(&target.file).map_err(|msg| eprintln!("{msg}"))?;
    let unit = crate::run::compile_script(&src, &file).ok_or(())?;
    // Compiled, so it parses cleanly: this reads its tests.
    let program = snow_lang::syntax::parse(&src).program;
    if let Some(Item::Expr(e)) = program.items.iter().find(|i| matches!(i, Item::Expr(_))) {
        let d = Diagnostic::new("code outside the tests", e.span.clone(), "this would run in no test")
            .with_hint("a test file holds `test` and `describe` blocks, functions, modules and imports; move this into a test, or into a function the tests call");
        eprint!("{}", render_all(&[d], &src, &file, std::io::stderr().is_terminal()));
        return Err(());
    }
    let mut tests = Vec::new();
    for case in program.tests {
        let Some(proto) = unit.functions.iter().find(|(n, a, _)| *n == case.function && *a == 0).map(|f| f.2) else {
            eprintln!("snow test: {file}: the test `{}` was not compiled", case.name);
            return Err(());
        };
        let place = format!("{file}:{}", line_col(&src, case.span.start).0);
        tests.push(Test { case, file: file.clone(), place, proto });
    }
    if target.whole {
        return Ok(tests);
    }
    let mut chosen = vec![false; tests.len()];
    for &line in &target.lines {
        let within = |span: &Span| lines_of(&src, span).contains(&line);
        let mut at: Vec<usize> = (0..tests.len()).filter(|&i| within(&tests[i].case.span)).collect();
        // A line of a `describe` outside its tests: all of them.
        if at.is_empty() {
            at = (0..tests.len()).filter(|&i| tests[i].case.describe.as_ref().is_some_and(within)).collect();
        }
        if at.is_empty() {
            eprintln!("snow test: no test at {file}:{line}");
            return Err(());
        }
        for i in at {
            chosen[i] = true;
        }
    }
    Ok(tests.into_iter().zip(chosen).filter_map(|(t, c)| c.then_some(t)).collect())
}

/// The lines `span` covers.
fn lines_of(src: &str, span: &Span) -> std::ops::RangeInclusive<usize> {
    line_col(src, span.start).0..=line_col(src, span.end.saturating_sub(1).max(span.start)).0
}
