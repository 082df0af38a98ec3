//! Located diagnostics for scenario files: what went wrong, where, and what would be right.
//!
//! Every error the loader finds is a `Diagnostic` holding a key path and, where it can be found,
//! a byte span in the source. `render` turns them into compiler-style messages with
//! `file:line:column`, the offending line and a caret; it returns a string and prints nothing.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

/// At most this many characters of text quoted from a file appear in a message.
pub const QUOTE_MAX: usize = 80;

/// At most this many characters of a source line are shown under a message.
const LINE_MAX: usize = 120;

/// `text` cut to at most `max` characters, the last of them an ellipsis.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let keep: String = text.chars().take(max.saturating_sub(1)).collect();
            Cow::Owned(format!("{keep}…"))
        }
    }
}

/// A number for a message: as written when that is short, in exponent form when it is not
/// (`1e308`, not 309 digits). Both forms read back as the same number.
pub fn num(x: f64) -> String {
    let plain = format!("{x}");
    if plain.len() <= 24 {
        plain
    } else {
        format!("{x:e}")
    }
}

/// A message with every quoted run (between backquotes or double quotes) cut to `QUOTE_MAX`
/// characters, so a huge name in a file gives a short message.
pub fn clip_quotes(message: &str) -> Cow<'_, str> {
    if message.chars().count() <= QUOTE_MAX {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len().min(4 * QUOTE_MAX));
    let mut rest = message;
    while let Some(i) = rest.find(['`', '"']) {
        let q = &rest[i..i + 1];
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        match rest.find(q) {
            Some(j) => {
                out.push_str(&clip(&rest[..j], QUOTE_MAX));
                out.push_str(q);
                rest = &rest[j + 1..];
            }
            None => break,
        }
    }
    out.push_str(&clip(rest, 4 * QUOTE_MAX));
    Cow::Owned(out)
}

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
            let file = clip(file, 4 * QUOTE_MAX);
            let _ = write!(out, "error: {}", clip_quotes(&d.message));
            if !d.path.is_empty() {
                let _ = write!(out, " (at `{}`)", clip(&d.path, 2 * QUOTE_MAX));
            }
            out.push('\n');
            match &d.span {
                Some(span) => {
                    let (line, col) = line_col(source, span.start);
                    let _ = writeln!(out, "  --> {file}:{line}:{col}");
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
                    // A long line is shown as a window around the column.
                    let (shown, at) = window(text, col - 1);
                    let width = width.min(LINE_MAX.saturating_sub(at)).max(1);
                    let gutter = line.to_string().len();
                    let _ = writeln!(out, "{:gutter$} |", "");
                    let _ = writeln!(out, "{line} | {shown}");
                    let _ = writeln!(
                        out,
                        "{:gutter$} | {}{}",
                        "",
                        " ".repeat(at),
                        "^".repeat(width)
                    );
                }
                None => {
                    let _ = writeln!(out, "  --> {file}");
                }
            }
            if let Some(help) = &d.help {
                let _ = writeln!(out, "  = help: {}", clip_quotes(help));
            }
            out.push('\n');
        }
        let n = self.diagnostics.len();
        let _ = writeln!(
            out,
            "{}: {} error{} found",
            clip(&self.file, 4 * QUOTE_MAX),
            n,
            if n == 1 { "" } else { "s" }
        );
        out
    }
}

/// At most `LINE_MAX` characters of `line` around character `col` (0-based), with an ellipsis
/// where it was cut, and the column of `col` in what is shown.
fn window(line: &str, col: usize) -> (Cow<'_, str>, usize) {
    let n = line.chars().count();
    if n <= LINE_MAX {
        return (Cow::Borrowed(line), col);
    }
    let start = col
        .saturating_sub(LINE_MAX / 3)
        .min(n.saturating_sub(LINE_MAX - 2));
    let body: String = line.chars().skip(start).take(LINE_MAX - 2).collect();
    let (lead, at) = if start > 0 {
        ("…", col - start + 1)
    } else {
        ("", col)
    };
    let tail = if start + LINE_MAX - 2 < n { "…" } else { "" };
    (Cow::Owned(format!("{lead}{body}{tail}")), at)
}

/// A TOML syntax error as a diagnostic. The parser's nesting limits get a location and a
/// help: "recursion limit" (a dotted key of 80 or more parts) comes without a span, so the
/// first such key in the source is found.
pub fn syntax(message: String, span: Option<Range<usize>>, source: &str) -> Diagnostic {
    const DEPTH: &str = "tables, arrays and dotted keys may nest at most 80 levels deep";
    if message == "recursion limit" && span.is_none() {
        let at = deep_key(source).unwrap_or(0..0);
        return Diagnostic::new("", "keys nest too deep")
            .with_span(Some(at))
            .with_help(DEPTH);
    }
    let d = Diagnostic::new("", message.clone()).with_span(span);
    if message.contains("recursion") {
        d.with_help(DEPTH)
    } else {
        d
    }
}

/// The span of the first key of 80 or more dotted parts, in a table header or before `=`.
fn deep_key(source: &str) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let key = line.split('=').next().unwrap_or("");
        if key.matches('.').count() >= 79 {
            let lead = line.len() - line.trim_start().len();
            return Some(offset + lead..offset + key.trim_end().len());
        }
        offset += line.len();
    }
    None
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
    fn long_quotes_lines_and_numbers_are_kept_short() {
        let long = "a".repeat(2_000_000);
        let m = format!("`{long}` is not a valid scenario name");
        let c = clip_quotes(&m);
        assert!(c.len() < 300, "{}", c.len());
        assert!(c.starts_with("`aaa") && c.ends_with("…` is not a valid scenario name"));
        assert_eq!(clip_quotes("short `x`"), "short `x`");
        assert_eq!(num(1e308), "1e308");
        assert_eq!(num(0.000476), "0.000476");
        assert_eq!(num(-2.5), "-2.5");
        let (shown, at) = window(&long, 1_000_000);
        assert!(shown.chars().count() <= LINE_MAX);
        assert_eq!(shown.chars().nth(at), Some('a'));
    }

    #[test]
    fn suggestions_pick_near_names_only() {
        assert_eq!(did_you_mean("isreal", ["israel", "iran"]), Some("israel"));
        assert_eq!(did_you_mean("hamas", ["israel", "iran"]), None);
    }
}
