//! Reading input files (scenarios, experiments, parts) and turning load failures into
//! exit-code-2 messages. Each file is read once, whatever it is (a pipe and `/dev/stdin` work),
//! and never past a size cap, so `/dev/zero` cannot exhaust memory.

use std::io::Read;
use std::path::Path;

use brink::model::Scenario;

use super::{Failure, Result, quote};

/// The largest scenario or experiment file brink reads. The flagship is 40 KiB; 16 MiB leaves
/// room for any hand-written or generated scenario and still fails fast on a wrong file.
pub const MAX_INPUT: u64 = 16 << 20;

/// A scenario together with the text it was read from (for checksums and manifests).
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

/// Parses a scenario already read from `path`.
pub fn parsed(path: &Path, text: String) -> Result<Loaded> {
    let display = path.display().to_string();
    match brink::scenario::parse(&text, &display) {
        Ok(scenario) => Ok(Loaded {
            scenario,
            text,
            path: display,
        }),
        Err(e) => Err(Failure::Input(e.render())),
    }
}
