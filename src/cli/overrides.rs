//! `--set KEY=VALUE`: the overrides every simulating command accepts, and loading a scenario
//! with them applied.
//!
//! Usage: brink <command> SCENARIO.toml --set rules.us_nuclear_red_line.threshold=0.5
//!        --set 'tracks.iran_nuclear.drift={uniform=[0.0005,0.002]}'
//!
//! Add `#[command(flatten)] pub set: overrides::SetArgs` to a command's Args and load its
//! scenario with `overrides::load`. The overrides go into manifest.json via `manifest`.

use std::path::Path;

use brink::scenario::overrides::{self, Override};

use super::{Failure, Result, load::Loaded};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct SetArgs {
    /// Override a scenario value before parsing: KEY is its key path (e.g.
    /// rules.us_nuclear_red_line.threshold, rules.gaza_ceasefire.phases[1].violations.hamas),
    /// VALUE any TOML value, a distribution included. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

impl SetArgs {
    /// The assignments, or an exit-2 failure naming the malformed one.
    pub fn parsed(&self) -> Result<Vec<Override>> {
        self.set
            .iter()
            .map(|s| Override::parse(s).map_err(|e| Failure::Input(format!("error: --set {e}\n"))))
            .collect()
    }
}

/// Reads the scenario at `path` (with any file it extends), applies `set` and parses the
/// result. `Loaded::text` stays the text as read (merged when the scenario extends another
/// file), so the manifest's checksum identifies it; the overrides are recorded beside it.
pub fn load(path: &Path, set: &[Override]) -> Result<Loaded> {
    if set.is_empty() {
        return super::load::scenario(path);
    }
    let (composite, display) = super::load::read(path)?;
    let edited = apply(&composite.text, set)?;
    match composite.parse(&edited) {
        Ok(scenario) => Ok(Loaded {
            scenario,
            text: composite.text,
            path: display,
        }),
        Err(e) => Err(Failure::Input(e.render())),
    }
}

/// Applies the overrides to a text, as an exit-2 failure listing every bad one.
pub fn apply(text: &str, set: &[Override]) -> Result<String> {
    overrides::apply(text, set).map_err(|errors| {
        let mut msg = String::new();
        for e in errors {
            msg.push_str(&format!("{e}\n"));
        }
        Failure::Input(msg)
    })
}

/// The overrides as manifest.json records them.
pub fn manifest(set: &[Override]) -> serde_json::Value {
    serde_json::Value::Array(
        set.iter()
            .map(|o| serde_json::json!({ "key": o.key, "value": o.value }))
            .collect(),
    )
}
