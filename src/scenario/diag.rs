//! Located diagnostics for scenario files: what went wrong, where, and what would be right.
//!
//! Every error the loader finds is a `Diagnostic` holding a key path and, where it can be found,
//! a byte span in the source. `render` turns them into compiler-style messages with
//! `file:line:column`, the offending line and a caret; it returns a string and prints nothing.

use std::fmt::Write as _;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Key path in the scenario, e.g. `rules.us_red_line.threshold`; empty for syntax errors.
    pub path: String,
    pub span: Option<Range<usize>>,
    pub message: String,
    /// What would be valid, or the nearest valid name.
    pub help: Option<String>,
    /// The file the span points into: 0 for the error's own file, i for `others[i - 1]` (a
    /// file the scenario extends).
    pub origin: usize,
}

impl Diagnostic {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            span: None,
            message: message.into(),
            help: None,
            origin: 0,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_span(mut self, span: Option<Range<usize>>) -> Diagnostic {
        self.span = span;
        self
    }
}

/// All the problems found in one scenario file.
#[derive(Clone, Debug)]
pub struct ScenarioError {
    pub file: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
    /// The files the scenario extends, where a diagnostic's `origin` may point.
    pub others: Vec<SourceText>,
}

/// A file's display path and text, for locating diagnostics in it.
#[derive(Clone, Debug)]
pub struct SourceText {
    pub file: String,
    pub text: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for ScenarioError {}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl ScenarioError {
    /// The (display path, text) of the file diagnostic `d` points into.
    pub fn file_of(&self, d: &Diagnostic) -> (&str, &str) {
        match d.origin.checked_sub(1).and_then(|i| self.others.get(i)) {
            Some(o) => (&o.file, &o.text),
            None => (&self.file, &self.source),
        }
    }

    /// Location of diagnostic `d` as `(line, column)` in its file, if it has a span.
    pub fn location(&self, d: &Diagnostic) -> Option<(usize, usize)> {
        let (_, source) = self.file_of(d);
        d.span.as_ref().map(|s| line_col(source, s.start))
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            let (file, source) = self.file_of(d);
            let _ = write!(out, "error: {}", d.message);
            if !d.path.is_empty() {
                let _ = write!(out, " (at `{}`)", d.path);
            }
            out.push('\n');
            match &d.span {
                Some(span) => {
                    let (line, col) = line_col(source, span.start);
                    let _ = writeln!(out, "  --> {}:{}:{}", file, line, col);
                    let text = source.lines().nth(line - 1).unwrap_or("");
                    let width = {
                        let end = span.end.min(source.len());
                        let end_line_col = line_col(source, end);
                        if end_line_col.0 == line && end_line_col.1 > col {
                            end_line_col.1 - col
                        } else {
                            text.chars().count().saturating_sub(col - 1).max(1)
                        }
                    };
                    let gutter = line.to_string().len();
                    let _ = writeln!(out, "{:gutter$} |", "");
                    let _ = writeln!(out, "{line} | {text}");
                    let _ = writeln!(
                        out,
                        "{:gutter$} | {}{}",
                        "",
                        " ".repeat(col - 1),
                        "^".repeat(width.max(1))
                    );
                }
                None => {
                    let _ = writeln!(out, "  --> {}", file);
                }
            }
            if let Some(help) = &d.help {
                let _ = writeln!(out, "  = help: {help}");
            }
            out.push('\n');
        }
        let n = self.diagnostics.len();
        let _ = writeln!(
            out,
            "{}: {} error{} found",
            self.file,
            n,
            if n == 1 { "" } else { "s" }
        );
        out
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or the list of valid names.
pub fn suggest(word: &str, candidates: &[&str]) -> String {
    match did_you_mean(word, candidates.iter().copied()) {
        Some(c) => format!("did you mean `{c}`?"),
        None if candidates.is_empty() => "none are defined".to_string(),
        None => format!("expected one of: {}", candidates.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let s = "a = 1\nbb = 2\n";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 6), (2, 1));
        assert_eq!(line_col(s, 11), (2, 6));
    }

    #[test]
    fn suggestions_pick_near_names_only() {
        assert_eq!(did_you_mean("isreal", ["israel", "iran"]), Some("israel"));
        assert_eq!(did_you_mean("hamas", ["israel", "iran"]), None);
    }
}
