//! `import "path/file.snow"`: reading the files a program imports, and
//! theirs, and defining their modules in a namespace before the program is
//! compiled against it (`Mode::Importing`). A path is relative to the file
//! that imports it (to the working directory at the prompt). Each file is
//! loaded once per program; a file that imports itself, directly or not,
//! is an error that names the cycle.
//!
//! An imported file contributes its modules. Its own top-level functions
//! stay its own, and it may not run code at its top level: importing a
//! file twice must not run anything twice, and nothing runs at all before
//! the program that imports it starts.

use snow_lang::ast::{Item, Program, Span};
use snow_lang::compiler::{compile, Mode};
use snow_lang::diagnostic::{render_all, Diagnostic};
use snow_lang::vm::Namespace;
use snow_runtime::Atom;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Loads what one program imports into one namespace.
pub struct Imports {
    namespace: &'static Namespace,
    color: bool,
    /// Files loaded already (canonical paths).
    done: Vec<PathBuf>,
    /// The files being loaded, outermost first: a cycle shows here.
    stack: Vec<PathBuf>,
    /// Each module loaded, and the file that defined it.
    defined: Vec<(String, String)>,
}

/// Whether `program` imports anything.
pub fn any(program: &Program) -> bool {
    program.items.iter().any(|i| matches!(i, Item::Import { .. }))
}

impl Imports {
    pub fn new(namespace: &'static Namespace, color: bool) -> Imports {
        Imports { namespace, color, done: Vec::new(), stack: Vec::new(), defined: Vec::new() }
    }

    /// The program's own file, so that importing it is a cycle.
    pub fn rooted_at(mut self, file: &str) -> Imports {
        if let Ok(full) = Path::new(file).canonicalize() {
            self.stack.push(full);
        }
        self
    }

    /// A module of the program itself that an imported file also defines is
    /// an error (in one program a module has one definition).
    pub fn check_own(&self, program: &Program, src: &str, file: &str) -> Result<(), String> {
        for item in &program.items {
            if let Item::Module(m) = item {
                if let Some((_, there)) = self.defined.iter().find(|(name, _)| *name == m.name) {
                    return Err(render_all(&[twice(&m.name, &m.name_span, there)], src, file, self.color));
                }
            }
        }
        Ok(())
    }

    /// Loads every file `program` (the source `src`, named `file`) imports,
    /// with `dir` the directory its paths are relative to. On failure, the
    /// rendered diagnostics.
    pub fn load_all(&mut self, program: &Program, src: &str, file: &str, dir: &Path) -> Result<(), String> {
        for item in &program.items {
            if let Item::Import { path, span } = item {
                self.load(path, span, src, file, dir)?;
            }
        }
        Ok(())
    }

    fn load(&mut self, path: &str, span: &Span, src: &str, file: &str, dir: &Path) -> Result<(), String> {
        let fail = |d: Diagnostic| render_all(&[d], src, file, self.color);
        let wanted = dir.join(path);
        let full = wanted.canonicalize().map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound { "no such file".to_string() } else { e.to_string() };
            fail(
                Diagnostic::new(format!("cannot import \"{path}\": {why}"), span.clone(), "imported here")
                    .with_hint(format!("looked for {}; a path is relative to the file that imports it", wanted.display())),
            )
        })?;
        if let Some(at) = self.stack.iter().position(|p| *p == full) {
            let cycle: Vec<String> =
                self.stack[at..].iter().chain(std::iter::once(&full)).map(|p| shown(p)).collect();
            let hint = if cycle.len() == 2 {
                format!("{} imports itself: remove the import", cycle[0])
            } else {
                format!("{}: move what both files need into a third", cycle.join(" imports "))
            };
            return Err(fail(
                Diagnostic::new("import cycle", span.clone(), format!("\"{path}\" is already being imported")).with_hint(hint),
            ));
        }
        if self.done.contains(&full) {
            return Ok(());
        }
        let shown_path = wanted.display().to_string();
        let text = crate::run::read_source(&full).map_err(|msg| fail(Diagnostic::new(msg, span.clone(), "imported here")))?;
        let parsed = snow_lang::syntax::parse(&text);
        if !parsed.diagnostics.is_empty() {
            return Err(render_all(&parsed.diagnostics, &text, &shown_path, self.color));
        }
        if let Some(Item::Expr(e)) = parsed.program.items.iter().find(|i| matches!(i, Item::Expr(_))) {
            let d = Diagnostic::new("an imported file can only define modules and functions", e.span.clone(), "code at the top level")
                .with_hint("move it into a function; the importing program calls it");
            return Err(render_all(&[d], &text, &shown_path, self.color));
        }
        self.stack.push(full.clone());
        // As the user wrote it, not canonical: reports name files the way they do.
        let base = wanted.parent().map(Path::to_path_buf).unwrap_or_default();
        let loaded = self.load_all(&parsed.program, &text, &shown_path, &base);
        self.stack.pop();
        loaded?;
        let mode = Mode::Importing { namespace: self.namespace };
        let unit = compile(&parsed.program, Arc::from(text.as_str()), Arc::from(shown_path.as_str()), snow_lang::vm::builtins(), mode)
            .map_err(|diags| render_all(&diags, &text, &shown_path, self.color))?;
        for item in &parsed.program.items {
            if let Item::Module(m) = item {
                if let Some((_, there)) = self.defined.iter().find(|(name, _)| *name == m.name) {
                    return Err(render_all(&[twice(&m.name, &m.name_span, there)], &text, &shown_path, self.color));
                }
                self.defined.push((m.name.clone(), shown_path.clone()));
            }
        }
        for m in &unit.modules {
            self.namespace.forget_module(m);
        }
        for (name, arity, proto) in &unit.functions {
            if name.contains('.') {
                self.namespace.define(Atom::new(name), *arity, proto);
            }
        }
        self.done.push(full);
        Ok(())
    }
}

fn twice(name: &str, span: &Span, there: &str) -> Diagnostic {
    Diagnostic::new(format!("module `{name}` is defined twice"), span.clone(), "defined again here")
        .with_hint(format!("{there} defines `{name}` too; a module has one definition in a program: rename one"))
}

fn shown(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The directory a script's imports are relative to.
pub fn dir_of(file: &str) -> PathBuf {
    let p = Path::new(file);
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() && p.is_file() => d.to_path_buf(),
        // The working directory, left implicit: paths show as written.
        _ => PathBuf::new(),
    }
}
