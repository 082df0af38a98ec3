//! Reading scenario files from disk and turning load failures into exit-code-2 messages.
//!
//! A scenario may extend another file (`extends = "common.toml"`, relative to the file that
//! names it): `read` reads the whole chain and merges it (`brink::scenario::compose`), so every
//! command sees one merged text.

use std::path::{Component, Path, PathBuf};

use brink::model::Scenario;
use brink::scenario::Composite;

use super::{Failure, Result};

/// A scenario together with the text it was read from (for checksums and manifests): the
/// merged text when it extends other files.
pub struct Loaded {
    pub scenario: Scenario,
    pub text: String,
    pub path: String,
}

pub fn scenario(path: &Path) -> Result<Loaded> {
    let (composite, display) = read(path)?;
    match composite.parse(&composite.text) {
        Ok(scenario) => Ok(Loaded {
            scenario,
            text: composite.text,
            path: display,
        }),
        Err(e) => Err(Failure::Input(e.render())),
    }
}

/// Reads the scenario at `path` and the files it extends, merged; with its display path.
pub fn read(path: &Path) -> Result<(Composite, String)> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("error: cannot read scenario `{display}`: {e}\n")))?;
    let mut resolve = |reference: &str, from: &str| {
        let p = normalize(&super::paths::relative_to(Path::new(from), reference));
        std::fs::read_to_string(&p)
            .map(|t| (p.display().to_string(), t))
            .map_err(|e| e.to_string())
    };
    brink::scenario::compose(&text, &display, &mut resolve)
        .map(|c| (c, display))
        .map_err(|e| Failure::Input(e.render()))
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
