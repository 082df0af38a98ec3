//! Reading scenario files from disk and turning load failures into exit-code-2 messages.

use std::path::Path;

use brink::model::Scenario;

use super::{Failure, Result};

/// A scenario together with the text it was read from (for checksums and manifests).
pub struct Loaded {
    pub scenario: Scenario,
    pub text: String,
    pub path: String,
}

pub fn scenario(path: &Path) -> Result<Loaded> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("error: cannot read scenario `{display}`: {e}\n")))?;
    match brink::scenario::parse(&text, &display) {
        Ok(scenario) => Ok(Loaded {
            scenario,
            text,
            path: display,
        }),
        Err(e) => Err(Failure::Input(e.render())),
    }
}
