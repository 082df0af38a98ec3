//! Helpers shared by the integration tests that load shipped scenarios as the CLI does,
//! through `extends`, without going through the binary.

#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};

use brink::model::Scenario;

/// A path inside the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The text of a scenario file merged with the files it extends, relative paths resolved from
/// each including file as the CLI resolves them.
pub fn composed(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    brink::load::compose(file, &text, &mut read)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
        .text
}

/// Compiles a scenario file with the files it extends.
pub fn load(file: &Path) -> Scenario {
    let shown = file.display().to_string();
    brink::scenario::parse(&composed(file), &shown).unwrap_or_else(|e| panic!("{shown}:\n{e}"))
}
