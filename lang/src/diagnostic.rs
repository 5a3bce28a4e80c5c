//! Diagnostics as data. The parser and compiler produce them; `render` is the
//! one place that turns them into text (through ariadne).

use crate::ast::Span;
use ariadne::{Color, Config, Label, Report, ReportKind, Source};

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// A short title: "unexpected `)`", "unbound variable `x`".
    pub title: String,
    /// Labelled spans; the first is the primary one.
    pub labels: Vec<(Span, String)>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(title: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic { title: title.into(), labels: vec![(span, label.into())], hint: None }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn with_label(mut self, span: Span, label: impl Into<String>) -> Self {
        self.labels.push((span, label.into()));
        self
    }
    pub fn primary_span(&self) -> Span {
        self.labels.first().map(|l| l.0.clone()).unwrap_or(0..0)
    }
}

/// 1-based line and column of byte `offset` in `source` (columns count chars).
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders one diagnostic: `error: title`, `file:line:col`, the source excerpt
/// with a caret under each label, then the hint.
pub fn render(diag: &Diagnostic, source: &str, file: &str, color: bool) -> String {
    let clamp = |s: &Span| {
        let start = floor_char_boundary(source, s.start.min(source.len()));
        let end = floor_char_boundary(source, s.end.min(source.len())).max(start);
        start..end
    };
    let primary = clamp(&diag.primary_span());
    let mut report = Report::build(ReportKind::Error, (file, primary.clone()))
        .with_config(Config::default().with_color(color))
        .with_message(&diag.title);
    for (i, (span, text)) in diag.labels.iter().enumerate() {
        let mut label = Label::new((file, clamp(span))).with_message(text);
        if color {
            label = label.with_color(if i == 0 { Color::Red } else { Color::Blue });
        }
        report = report.with_label(label);
    }
    if let Some(hint) = &diag.hint {
        report = report.with_help(hint);
    }
    let mut out = Vec::new();
    let written = report.finish().write((file, Source::from(source)), &mut out);
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if written.is_err() || text.is_empty() {
        // ariadne could not lay it out: fall back to the plain one-paragraph form.
        let (line, col) = line_col(source, primary.start);
        text = format!("error: {}\n  --> {file}:{line}:{col}\n", diag.title);
    }
    text
}

/// Renders several diagnostics, one after another.
pub fn render_all(diags: &[Diagnostic], source: &str, file: &str, color: bool) -> String {
    diags.iter().map(|d| render(d, source, file, color)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 3), (2, 1));
        assert_eq!(line_col("x", 99), (1, 2));
    }

    #[test]
    fn render_names_file_line_and_column() {
        let d = Diagnostic::new("unexpected `)`", 8..9, "expected an expression");
        let out = render(&d, "let x = )\n", "t.snow", false);
        assert!(out.contains("unexpected `)`"), "{out}");
        assert!(out.contains("t.snow:1:9"), "{out}");
    }
}
