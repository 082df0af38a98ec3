//! `extends = "common.toml"`: a scenario built on another file.
//!
//! A scenario may name, at its top level, a file it builds on (relative to itself). The files
//! are merged into one text before anything else reads them: the extending file's tables
//! (`[header]` or inline) merge key by key into the base's, recursively; everything else it
//! gives (a number, a string, an array, an array of tables such as `[[ladder]]`, a
//! distribution table such as `{ uniform = [..] }`) replaces the base's value whole. A base may itself extend another
//! file, up to `MAX_DEPTH` files in a chain, never in a cycle. Nothing can be removed by
//! extending, only added or replaced.
//!
//! The library does no I/O: `compose` asks its caller to read each named file. Everything
//! downstream (parsing, `--set`, checksums, part files, sweeps) works on the merged text, which
//! is readable TOML (the base's formatting and comments, with the extending files' tables
//! after it). A file without `extends` is its own merged text, byte for byte.
//!
//! Problems found when compiling the merged text are reported in the file that holds the
//! offending value: each diagnostic's key path is traced to the last file in the chain that
//! gives it, and its span re-derived from that file's own text.

use sha2::{Digest, Sha256};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, ScenarioError, SourceText};
use super::dist::FAMILY_KEYS as FAMILIES;
use super::spans;
use crate::model::{Scenario, SourceFile};

/// The most files a chain of `extends` may hold, the scenario itself included.
pub const MAX_DEPTH: usize = 8;

/// A scenario's merged text and the files it came from.
#[derive(Clone, Debug)]
pub struct Composite {
    /// The merged text: the scenario's own text, unchanged, when it extends nothing.
    pub text: String,
    /// The files, the scenario first, then its base, the base's base, ...
    pub files: Vec<SourceFile>,
    /// Each file's text, in the order of `files`.
    texts: Vec<String>,
    /// (key path, index into `files`): the file that gives each path of the merged text (the
    /// last entry for a path counts). A path not listed belongs to its deepest listed prefix.
    provenance: Vec<(String, usize)>,
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How a file's reader reports a file: `(display path, text)` or a message.
pub type Resolve<'a> = dyn FnMut(&str, &str) -> Result<(String, String), String> + 'a;

impl Composite {
    /// A scenario that extends nothing.
    pub fn single(text: &str, file: &str) -> Composite {
        Composite {
            text: text.to_string(),
            files: vec![SourceFile {
                path: file.to_string(),
                sha256: sha256(text),
            }],
            texts: vec![text.to_string()],
            provenance: Vec::new(),
        }
    }

    /// Parses `text` (the merged text, possibly edited by `--set`), reporting each problem in
    /// the file that gives the offending key.
    pub fn parse(&self, text: &str) -> Result<Scenario, ScenarioError> {
        let top = &self.files[0].path;
        match super::parse(text, top) {
            Ok(mut sc) => {
                sc.sources = self.files.clone();
                Ok(sc)
            }
            Err(e) if self.files.len() == 1 => Err(e),
            Err(e) => Err(self.relocate(e)),
        }
    }

    /// Moves each diagnostic of the merged text to the file that gives its key path.
    fn relocate(&self, e: ScenarioError) -> ScenarioError {
        let merged_root = spanned(&e.source);
        let roots: Vec<Option<Spanned<DeValue>>> = self.texts.iter().map(|t| spanned(t)).collect();
        let mut diagnostics = Vec::new();
        for mut d in e.diagnostics {
            let file = self.provider(&d.path);
            let span = match (&merged_root, &roots[file], &d.span) {
                (Some(m), Some(f), Some(s)) if !d.path.is_empty() => {
                    moved(m, &e.source, f, &self.texts[file], &d.path, s)
                }
                _ => None,
            };
            d.span = match span {
                Some(s) => Some(s),
                // Whole-file problems (a missing section) stay at the top of the scenario.
                None if d.path.is_empty() && d.span == Some(0..0) => Some(0..0),
                None => None,
            };
            d.origin = file;
            diagnostics.push(d);
        }
        diagnostics.sort_by_key(|d| (d.origin, d.span.as_ref().map_or(usize::MAX, |s| s.start)));
        ScenarioError {
            file: self.files[0].path.clone(),
            source: self.texts[0].clone(),
            diagnostics,
            others: self.files[1..]
                .iter()
                .zip(&self.texts[1..])
                .map(|(f, t)| SourceText {
                    file: f.path.clone(),
                    text: t.clone(),
                })
                .collect(),
        }
    }

    /// The index of the file that gives `path`.
    fn provider(&self, path: &str) -> usize {
        let mut p = path;
        loop {
            if let Some((_, f)) = self.provenance.iter().rev().find(|(q, _)| q == p) {
                return *f;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return 0,
            }
        }
    }
}

fn spanned(text: &str) -> Option<Spanned<DeValue<'_>>> {
    let root = DeTable::parse(text).ok()?;
    let span = root.span();
    Some(Spanned::new(span, DeValue::Table(root.into_inner())))
}

/// `span` (in the merged text) moved to the same place in a file's own text: the same offset
/// within the value (or key) at `path` when both texts hold it alike, else the whole value.
fn moved(
    merged: &Spanned<DeValue>,
    merged_text: &str,
    file: &Spanned<DeValue>,
    file_text: &str,
    path: &str,
    span: &std::ops::Range<usize>,
) -> Option<std::ops::Range<usize>> {
    let pairs = [
        (
            spans::key_span_of(merged, path),
            spans::key_span_of(file, path),
        ),
        (spans::span_of(merged, path), spans::span_of(file, path)),
    ];
    for (m, f) in pairs.iter().cloned() {
        if let (Some(m), Some(f)) = (m, f)
            && m.start <= span.start
            && span.end <= m.end
            && merged_text.get(m.clone()) == file_text.get(f.clone())
        {
            return Some(f.start + (span.start - m.start)..f.start + (span.end - m.start));
        }
    }
    spans::key_span_of(file, path).or_else(|| spans::span_of(file, path))
}

/// The located problems of a file's TOML syntax, as `parse` reports them.
pub(crate) fn syntax(text: &str) -> Vec<Diagnostic> {
    let (_, errors) = DeTable::parse_recoverable(text);
    errors
        .iter()
        .map(|e| {
            let message = e.message().trim().to_string();
            // toml reads an unquoted word as a misspelt `true` or `false`.
            let bare_word = message.starts_with("invalid boolean");
            let d = super::diag::syntax(message, e.span(), text);
            if bare_word {
                d.with_help("text must be quoted, as in key = \"text\"")
            } else {
                d
            }
        })
        .collect()
}

/// Reads the chain of files that `text` (the scenario at `file`) extends, asking `resolve`
/// for each with the reference as written and the display path of the file that names it,
/// and merges them. A scenario that extends nothing comes back as it is, syntax errors
/// included (`parse` reports those).
pub fn compose(text: &str, file: &str, resolve: &mut Resolve) -> Result<Composite, ScenarioError> {
    let mut chain: Vec<(String, String)> = vec![(file.to_string(), text.to_string())];
    let mut tables: Vec<toml::Table> = Vec::new();
    loop {
        let (name, source) = chain.last().cloned().expect("the chain holds the scenario");
        let fail = |d: Diagnostic| ScenarioError {
            file: name.clone(),
            source: source.clone(),
            diagnostics: vec![d],
            others: Vec::new(),
        };
        let errors = syntax(&source);
        if !errors.is_empty() {
            if chain.len() == 1 {
                return Ok(Composite::single(text, file));
            }
            return Err(ScenarioError {
                file: name.clone(),
                source: source.clone(),
                diagnostics: errors,
                others: Vec::new(),
            });
        }
        let table: toml::Table = match source.parse() {
            Ok(t) => t,
            // The syntax pass above found nothing; a value toml refuses (a number out of
            // range) is for `parse` to report with the rest.
            Err(_) if chain.len() == 1 => return Ok(Composite::single(text, file)),
            Err(e) => {
                return Err(fail(
                    Diagnostic::new("", e.message().trim().to_string()).with_span(e.span()),
                ));
            }
        };
        let root = spanned(&source);
        let at = |path: &str| root.as_ref().and_then(|r| spans::span_of(r, path));
        let reference = match table.get("extends") {
            None => {
                tables.push(table);
                break;
            }
            Some(toml::Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(fail(
                    Diagnostic::new(
                        "extends",
                        format!(
                            "`extends` names the file this scenario builds on, found {}",
                            other.type_str()
                        ),
                    )
                    .with_span(at("extends"))
                    .with_help("write extends = \"common.toml\", relative to this file"),
                ));
            }
        };
        tables.push(table);
        if chain.len() >= MAX_DEPTH {
            let names: Vec<&str> = chain.iter().map(|(n, _)| n.as_str()).collect();
            return Err(fail(
                Diagnostic::new(
                    "extends",
                    format!(
                        "too many files extend one another: {} → {reference} (at most \
                         {MAX_DEPTH} in a chain)",
                        names.join(" → ")
                    ),
                )
                .with_span(at("extends"))
                .with_help("merge some of the files, or extend a common base directly"),
            ));
        }
        let (display, base) = match resolve(&reference, &name) {
            Ok(x) => x,
            Err(message) => {
                return Err(fail(
                    Diagnostic::new(
                        "extends",
                        format!("cannot read `{reference}`, which this file extends: {message}"),
                    )
                    .with_span(at("extends"))
                    .with_help("`extends` is a path relative to the file that names it"),
                ));
            }
        };
        if let Some(i) = chain.iter().position(|(n, _)| *n == display) {
            let mut names: Vec<&str> = chain[i..].iter().map(|(n, _)| n.as_str()).collect();
            names.push(&display);
            return Err(fail(
                Diagnostic::new(
                    "extends",
                    format!("`extends` goes round in a circle: {}", names.join(" → ")),
                )
                .with_span(at("extends"))
                .with_help("a file cannot build on itself, directly or through others"),
            ));
        }
        chain.push((display, base));
    }
    if chain.len() == 1 {
        return Ok(Composite::single(text, file));
    }
    // Merge from the deepest base up to the scenario, noting who gives each path.
    let n = chain.len();
    let mut merged = toml::Table::new();
    let mut provenance = Vec::new();
    for f in (0..n).rev() {
        let mut t = tables[f].clone();
        t.remove("extends");
        merge(&mut merged, t, "", f, &mut provenance);
    }
    let text = pretty(&chain, &merged).unwrap_or_else(|| {
        toml::to_string(&merged).expect("a merged table of parsed TOML serializes")
    });
    Ok(Composite {
        text,
        files: chain
            .iter()
            .map(|(name, t)| SourceFile {
                path: name.clone(),
                sha256: sha256(t),
            })
            .collect(),
        texts: chain.into_iter().map(|(_, t)| t).collect(),
        provenance,
    })
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Merges `from` (file `file`) into `into`: tables merge key by key, except distribution
/// tables, which like every other value replace whole.
fn merge(
    into: &mut toml::Table,
    from: toml::Table,
    prefix: &str,
    file: usize,
    provenance: &mut Vec<(String, usize)>,
) {
    for (k, v) in from {
        let path = join(prefix, &k);
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) if !is_value(&b) => {
                provenance.push((path.clone(), file));
                merge(a, b, &path, file, provenance);
            }
            (_, v) => {
                // The whole subtree now comes from `file`.
                let under = |q: &str| {
                    q == path
                        || q.strip_prefix(path.as_str())
                            .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
                };
                provenance.retain(|(q, _)| !under(q));
                record(&v, &path, file, provenance);
                into.insert(k, v);
            }
        }
    }
}

/// Notes `file` as the giver of `path` and of every path beneath it.
fn record(v: &toml::Value, path: &str, file: usize, provenance: &mut Vec<(String, usize)>) {
    provenance.push((path.to_string(), file));
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                record(x, &join(path, k), file, provenance);
            }
        }
        toml::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                record(x, &format!("{path}[{i}]"), file, provenance);
            }
        }
        _ => {}
    }
}

/// Whether a table is a value rather than a section: a distribution (or a day count) table,
/// which replaces whole so that a new family never mixes with the old one's keys.
fn is_value(t: &toml::Table) -> bool {
    FAMILIES.iter().any(|f| t.contains_key(*f))
}

/// The merged text with the files' own formatting: the deepest base as written, each
/// extending file's keys laid over it. None if the result would not read back as `expected`
/// (the caller then writes the table plainly).
fn pretty(chain: &[(String, String)], expected: &toml::Table) -> Option<String> {
    use toml_edit::DocumentMut;
    let n = chain.len();
    let mut doc: DocumentMut = chain[n - 1].1.parse().ok()?;
    doc.remove("extends");
    let mut next_position = max_position(doc.as_table()) + 1;
    for f in (0..n - 1).rev() {
        let mut over: DocumentMut = chain[f].1.parse().ok()?;
        over.remove("extends");
        let shift = next_position;
        shift_positions(over.as_table_mut(), shift);
        next_position = max_position(over.as_table()).max(next_position) + 1;
        overlay(doc.as_table_mut(), over.as_table().clone());
    }
    let text = doc.to_string();
    let back: toml::Table = text.parse().ok()?;
    (back == *expected).then_some(text)
}

fn max_position(t: &toml_edit::Table) -> isize {
    let mut m = t.position().unwrap_or(0);
    for (_, item) in t.iter() {
        match item {
            toml_edit::Item::Table(s) => m = m.max(max_position(s)),
            toml_edit::Item::ArrayOfTables(a) => {
                for s in a.iter() {
                    m = m.max(max_position(s));
                }
            }
            _ => {}
        }
    }
    m
}

fn shift_positions(t: &mut toml_edit::Table, by: isize) {
    if let Some(p) = t.position() {
        t.set_position(Some(p + by));
    }
    for (_, item) in t.iter_mut() {
        match item {
            toml_edit::Item::Table(s) => shift_positions(s, by),
            toml_edit::Item::ArrayOfTables(a) => {
                for s in a.iter_mut() {
                    shift_positions(s, by);
                }
            }
            _ => {}
        }
    }
}

/// toml_edit's counterpart of `merge`: tables (header or inline) merge, everything else
/// replaces.
fn overlay(into: &mut toml_edit::Table, from: toml_edit::Table) {
    use toml_edit::{Item, Value};
    for (k, v) in from {
        let key = k.as_str();
        match (into.get_mut(key), v) {
            (Some(Item::Table(a)), Item::Table(b))
                if !FAMILIES.iter().any(|f| b.contains_key(f)) =>
            {
                overlay(a, b)
            }
            (Some(Item::Value(Value::InlineTable(a))), Item::Value(Value::InlineTable(b)))
                if !FAMILIES.iter().any(|f| b.contains_key(f)) =>
            {
                overlay_inline(a, b)
            }
            (_, v) => {
                into.insert(key, v);
            }
        }
    }
}

fn overlay_inline(into: &mut toml_edit::InlineTable, from: toml_edit::InlineTable) {
    use toml_edit::Value;
    for (k, v) in from {
        let key = k.as_str();
        match (into.get_mut(key), v) {
            (Some(Value::InlineTable(a)), Value::InlineTable(b))
                if !FAMILIES.iter().any(|f| b.contains_key(f)) =>
            {
                overlay_inline(a, b)
            }
            (_, v) => {
                into.insert(key, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn files(list: &[(&str, &str)]) -> HashMap<String, String> {
        list.iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect()
    }

    fn composed(top: &str, fs: &HashMap<String, String>) -> Result<Composite, ScenarioError> {
        let mut resolve = |r: &str, _from: &str| {
            fs.get(r)
                .map(|t| (r.to_string(), t.clone()))
                .ok_or_else(|| "No such file or directory (os error 2)".to_string())
        };
        compose(&fs[top], top, &mut resolve)
    }

    #[test]
    fn tables_merge_and_values_replace() {
        let fs = files(&[
            (
                "case.toml",
                "extends = \"base.toml\"\n\n[a]\ny = 20\nd = { normal = [1, 2] }\nt = { r = 3 }\n\n[a.sub]\nq = 1\n\n[[list]]\nk = 9\n",
            ),
            (
                "base.toml",
                "# base\n[a]\nx = 1\ny = 2\nd = { uniform = [0, 1] }\nt = { p = 1, r = 2 }\n\n[[list]]\nk = 1\n\n[[list]]\nk = 2\n\n[b]\nz = 3\n",
            ),
        ]);
        let c = composed("case.toml", &fs).unwrap();
        let t: toml::Table = c.text.parse().unwrap();
        let want: toml::Table = "[a]\nx = 1\ny = 20\nd = { normal = [1, 2] }\nt = { p = 1, r = 3 }\n[a.sub]\nq = 1\n[[list]]\nk = 9\n[b]\nz = 3\n"
            .parse()
            .unwrap();
        assert_eq!(t, want, "{}", c.text);
        // The base's own formatting is kept (the plain fallback would drop its comment).
        assert!(c.text.starts_with("# base\n"), "{}", c.text);
        assert_eq!(c.files.len(), 2);
        assert_eq!(c.provider("a.y"), 0);
        assert_eq!(c.provider("a.x"), 1);
        assert_eq!(c.provider("a.d.normal[0]"), 0);
        assert_eq!(c.provider("list[0].k"), 0);
        assert_eq!(c.provider("b.z"), 1);
        assert_eq!(c.provider("a.t.p"), 1);
        assert_eq!(c.provider("a.t.r"), 0);
        assert_eq!(c.provider("a"), 0);
    }

    #[test]
    fn a_file_without_extends_is_its_own_text() {
        let fs = files(&[("s.toml", "[a]  # odd spacing\nx=1\n")]);
        let c = composed("s.toml", &fs).unwrap();
        assert_eq!(c.text, fs["s.toml"]);
        assert_eq!(c.files.len(), 1);
    }

    #[test]
    fn cycles_missing_files_and_long_chains_are_refused_where_they_are_named() {
        let fs = files(&[
            ("a.toml", "extends = \"b.toml\"\n"),
            ("b.toml", "\n\nextends = \"a.toml\"\n"),
        ]);
        let e = composed("a.toml", &fs).unwrap_err();
        assert_eq!(e.file, "b.toml");
        let d = &e.diagnostics[0];
        assert!(
            d.message.contains("a.toml → b.toml → a.toml"),
            "{}",
            d.message
        );
        assert_eq!(e.location(d), Some((3, 11)));

        let fs = files(&[
            ("a.toml", "[x]\ny = 1\n\n[z]\nextends = 1\n"),
            ("c.toml", "extends = \"nope.toml\"\n"),
        ]);
        let e = composed("c.toml", &fs).unwrap_err();
        assert!(
            e.render()
                .contains("cannot read `nope.toml`, which this file extends")
        );
        assert!(e.render().contains("--> c.toml:1:11"), "{}", e.render());

        let mut chain = Vec::new();
        for i in 0..10 {
            chain.push((
                format!("f{i}.toml"),
                format!("extends = \"f{}.toml\"\n", i + 1),
            ));
        }
        let fs: HashMap<String, String> = chain.into_iter().collect();
        let e = composed("f0.toml", &fs).unwrap_err();
        assert!(e.diagnostics[0].message.contains("at most 8 in a chain"));
    }
}
