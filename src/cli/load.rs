//! Reading input files (scenarios, experiments, parts) and turning load failures into
//! exit-code-2 messages. Each file is read once, whatever it is (a pipe and `/dev/stdin` work),
//! and never past a size cap, so `/dev/zero` cannot exhaust memory.
//!
//! A scenario may extend another file (`extends = "common.toml"`, relative to the file that
//! names it): the library's `brink::load` merges the chain, asking `read` here for each file,
//! so every command sees one merged text.

use std::io::Read;
use std::path::Path;

pub use brink::load::{Loaded, MAX_INPUT};

use super::{Failure, Result};

/// Reads `path` once, as UTF-8 text of at most `cap` bytes; `what` names it in messages
/// ("scenario", "part").
pub fn text(path: &Path, what: &str, cap: u64) -> Result<String> {
    let fail = |why: String| Failure::Input(brink::load::unreadable(what, path, &why));
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(fail("it is a directory".into()));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    brink::load::decode(bytes, cap).map_err(fail)
}

/// `text`, read from `path`, as JSON; a malformed file is an input error located at its line
/// and column.
pub fn json(path: &Path, text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| {
        Failure::Input(format!(
            "error: {}:{}:{}: not valid JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

/// Reads and parses a scenario file.
pub fn scenario(path: &Path) -> Result<Loaded> {
    let text = text(path, "scenario", MAX_INPUT)?;
    parsed(path, text)
}

/// Parses a scenario already read from `path`, with the files it extends.
pub fn parsed(path: &Path, text: String) -> Result<Loaded> {
    brink::load::load(path, text, &[], &mut read).map_err(Failure::Input)
}

/// A file that another names, read once under the cap; the reason it cannot be, in words.
pub fn read(p: &Path) -> std::result::Result<String, String> {
    let mut bytes = Vec::new();
    std::fs::File::open(p)
        .and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    brink::load::decode(bytes, MAX_INPUT)
}
