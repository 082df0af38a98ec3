//! A scenario as every front end loads it: the text of a file, merged with the files it
//! `extends`, edited by `--set` overrides and parsed, with every problem rendered as the
//! located diagnostic the user sees. The command line and the Python package both load
//! through here, so they accept, refuse and report exactly alike.
//!
//! No I/O: the caller reads files. It passes the scenario's text and a reader for the files
//! the scenario names (a path, resolved here relative to the file that names it, to its text
//! or the reason it cannot be read); `decode` gives every reader the same cap and words.

use std::path::{Component, Path, PathBuf};

use crate::model::Scenario;
use crate::scenario::Composite;
use crate::scenario::diag::{Diagnostic, ScenarioError};
use crate::scenario::overrides::{self, Override};

/// The largest scenario or experiment file brink reads. The flagship is 40 KiB; 16 MiB leaves
/// room for any hand-written or generated scenario and still fails fast on a wrong file.
pub const MAX_INPUT: u64 = 16 << 20;

/// A scenario together with the text it was read from (for checksums and manifests): the
/// merged text when it extends other files.
pub struct Loaded {
    pub scenario: Scenario,
    pub text: String,
    pub path: String,
}

/// What `validate` says of a valid scenario: "5 actors, 17 rules, 21 metrics, 366 days".
pub fn outline(sc: &Scenario) -> String {
    format!(
        "{} actors, {} rules, {} metrics, {} days",
        sc.actors.len(),
        sc.rules.len(),
        sc.metrics.events.len() + sc.metrics.quantities.len(),
        sc.horizon
    )
}

/// A reader of the files a scenario names: their text, or why it cannot be had.
pub type Read<'a> = dyn FnMut(&Path) -> Result<String, String> + 'a;

/// The bytes of a file, read up to `cap + 1` bytes, as text; the reason they are not, in
/// words.
pub fn decode(bytes: Vec<u8>, cap: u64) -> Result<String, String> {
    if bytes.len() as u64 > cap {
        return Err(format!(
            "it is larger than {} MiB, the most brink reads",
            cap >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("it is not UTF-8 text ({e})"))
}

/// The message for a file that cannot be read: `what` it is ("scenario", "experiment"), its
/// path and why.
pub fn unreadable(what: &str, path: &Path, why: &str) -> String {
    let path = path.display().to_string();
    let shown = crate::scenario::diag::clip(&path, crate::scenario::diag::QUOTE_MAX);
    format!("error: cannot read {what} `{shown}`: {why}\n")
}

/// Resolves `reference`, as written in the file at `base_file`, relative to that file's folder.
/// Absolute references are kept as they are.
pub fn relative_to(base_file: &Path, reference: &str) -> PathBuf {
    let r = Path::new(reference);
    if r.is_absolute() {
        return r.to_path_buf();
    }
    base_file.parent().unwrap_or_else(|| Path::new("")).join(r)
}

/// True if `name` is a single plain file name: writing `dir.join(name)` stays inside `dir`
/// (and a results folder's `latest` link that names one points beside it).
pub fn is_plain_name(name: &str) -> bool {
    let mut parts = Path::new(name).components();
    matches!(parts.next(), Some(Component::Normal(_))) && parts.next().is_none()
}

/// `a/./b/../c.toml` as `a/c.toml`, so that a file reached twice shows (and compares) alike.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Merges `text`, read from `path`, with the files it extends (read by `read`), relative to
/// the file that names them; returns the composite and `path` as shown.
pub fn compose(path: &Path, text: &str, read: &mut Read) -> Result<(Composite, String), String> {
    let display = path.display().to_string();
    let mut resolve = |reference: &str, from: &str| {
        let p = normalize(&relative_to(Path::new(from), reference));
        read(&p).map(|t| (p.display().to_string(), t))
    };
    crate::scenario::compose(text, &display, &mut resolve)
        .map(|c| (c, display))
        .map_err(|e| e.render())
}

/// Parses a scenario already read from `path`, with the files it extends, and `set` applied.
/// `Loaded::text` stays the text as read (merged when the scenario extends another file), so a
/// manifest's checksum identifies it; the overrides are recorded beside it.
pub fn load(
    path: &Path,
    text: String,
    set: &[Override],
    read: &mut Read,
) -> Result<Loaded, String> {
    load_composite(path, text, set, read).map(|(loaded, _)| loaded)
}

/// `load`, with the composite the scenario was merged into: what parses another edit of the
/// same text (a sweep's points) and reports its problems in the file and line that hold them.
pub fn load_composite(
    path: &Path,
    text: String,
    set: &[Override],
    read: &mut Read,
) -> Result<(Loaded, Composite), String> {
    let (composite, display) = compose(path, &text, read)?;
    let parsed = if set.is_empty() {
        composite.parse(&composite.text).map_err(|e| e.render())
    } else {
        let edited = apply(&composite.text, set)?;
        composite.parse(&edited).map_err(|e| render(e, set))
    };
    let loaded = Loaded {
        scenario: parsed?,
        text: composite.text.clone(),
        path: display,
    };
    Ok((loaded, composite))
}

/// Renders a scenario error of an overridden text: problems in an overridden value are shown
/// under the `--set` that gave it, the others under the file's lines.
pub fn render(mut e: ScenarioError, set: &[Override]) -> String {
    let from = |path: &str| {
        set.iter().rev().find(|o| {
            path == o.key
                || path
                    .strip_prefix(o.key.as_str())
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        })
    };
    let (mut ours, theirs): (Vec<_>, Vec<_>) = e
        .diagnostics
        .drain(..)
        .partition(|d| from(&d.path).is_some());
    let mut out = String::new();
    if !theirs.is_empty() {
        e.diagnostics = theirs;
        out.push_str(&e.render());
    }
    for d in &mut ours {
        let o = from(&d.path).expect("partitioned by override");
        let one = ScenarioError {
            file: format!("--set {}={}", o.key, o.value),
            source: String::new(),
            diagnostics: vec![Diagnostic {
                span: None,
                origin: 0,
                ..d.clone()
            }],
            others: Vec::new(),
        };
        out.push_str(&one.render());
    }
    out
}

/// Applies the overrides to a text; the message lists every bad one.
pub fn apply(text: &str, set: &[Override]) -> Result<String, String> {
    overrides::apply(text, set).map_err(|errors| {
        let mut msg = String::new();
        for e in errors {
            msg.push_str(&format!("{e}\n"));
        }
        msg
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_next_to_the_file_that_names_them() {
        assert_eq!(
            relative_to(Path::new("studies/exp.toml"), "../scenarios/a.toml"),
            PathBuf::from("studies/../scenarios/a.toml")
        );
        assert_eq!(
            relative_to(Path::new("exp.toml"), "a.toml"),
            PathBuf::from("a.toml")
        );
        assert_eq!(
            relative_to(Path::new("studies/exp.toml"), "/abs/a.toml"),
            PathBuf::from("/abs/a.toml")
        );
        assert_eq!(
            normalize(Path::new("a/./b/../c.toml")),
            PathBuf::from("a/c.toml")
        );
    }

    #[test]
    fn a_reader_is_asked_for_the_files_a_scenario_extends() {
        let base = "[scenario]\nname = \"b\"\n";
        let mut asked = Vec::new();
        let mut read = |p: &Path| {
            asked.push(p.to_path_buf());
            Err::<String, _>("gone".to_string())
        };
        let text = format!("extends = \"../common.toml\"\n{base}");
        let e = load(Path::new("dir/case.toml"), text, &[], &mut read)
            .err()
            .expect("an unreadable base is an error");
        assert_eq!(asked, [PathBuf::from("common.toml")]);
        assert!(e.contains("gone"), "{e}");
    }
}
