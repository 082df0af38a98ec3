//! Reading input files (scenarios, experiments, parts) and turning load failures into
//! exit-code-2 messages. Each file is read once, whatever it is (a pipe and `/dev/stdin` work),
//! and never past a size cap, so `/dev/zero` cannot exhaust memory.
//!
//! A scenario may extend another file (`extends = "common.toml"`, relative to the file that
//! names it): `compose` reads the rest of the chain and merges it (`brink::scenario::compose`),
//! so every command sees one merged text.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use brink::model::Scenario;
use brink::scenario::Composite;

use super::{Failure, Result, quote};

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

/// Reads `path` once, as UTF-8 text of at most `cap` bytes; `what` names it in messages
/// ("scenario", "part").
pub fn text(path: &Path, what: &str, cap: u64) -> Result<String> {
    let shown = quote(&path.display().to_string());
    let fail =
        |why: String| Failure::Input(format!("error: cannot read {what} `{shown}`: {why}\n"));
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(fail("it is a directory".into()));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > cap {
        return Err(fail(format!(
            "it is larger than {} MiB, the most brink reads",
            cap >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| fail(format!("it is not UTF-8 text ({e})")))
}

/// Reads and parses a scenario file.
pub fn scenario(path: &Path) -> Result<Loaded> {
    let text = text(path, "scenario", MAX_INPUT)?;
    parsed(path, text)
}

/// Parses a scenario already read from `path`, with the files it extends.
pub fn parsed(path: &Path, text: String) -> Result<Loaded> {
    let (composite, display) = compose(path, &text)?;
    match composite.parse(&composite.text) {
        Ok(scenario) => Ok(Loaded {
            scenario,
            text: composite.text,
            path: display,
        }),
        Err(e) => Err(Failure::Input(e.render())),
    }
}

/// Merges `text`, read from `path`, with the files it extends (each read once, under the
/// same cap), relative to the file that names them.
pub fn compose(path: &Path, text: &str) -> Result<(Composite, String)> {
    let display = path.display().to_string();
    let mut resolve = |reference: &str, from: &str| {
        let p = normalize(&super::paths::relative_to(Path::new(from), reference));
        match text_of(&p) {
            Ok(t) => Ok((p.display().to_string(), t)),
            Err(e) => Err(e),
        }
    };
    brink::scenario::compose(text, &display, &mut resolve)
        .map(|c| (c, display))
        .map_err(|e| Failure::Input(e.render()))
}

/// A file that another names, read once under the cap; the reason it cannot be, in words.
fn text_of(p: &Path) -> std::result::Result<String, String> {
    let mut bytes = Vec::new();
    std::fs::File::open(p)
        .and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(format!(
            "it is larger than {} MiB, the most brink reads",
            MAX_INPUT >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("it is not UTF-8 text ({e})"))
}

/// `a/./b/../c.toml` as `a/c.toml`, so that a file reached twice shows (and compares) alike.
fn normalize(p: &Path) -> PathBuf {
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
