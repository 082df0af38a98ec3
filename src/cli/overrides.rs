//! `--set KEY=VALUE`: the overrides every simulating command accepts, and loading a scenario
//! with them applied.
//!
//! Usage: brink <command> SCENARIO.toml --set rules.us_nuclear_red_line.threshold=0.5
//!        --set 'tracks.iran_nuclear.drift={uniform=[0.0005,0.002]}'
//!
//! Commands get `--set` through `study::EngineArgs` and load their scenario with
//! `overrides::load`; the manifest records the overrides. A problem with an overridden value is
//! reported against the `--set` that gave it, not against a line of the file that does not
//! hold it.

use std::path::Path;

use brink::scenario::overrides::Override;

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
            .map(|s| {
                Override::parse(s).map_err(|e| {
                    Failure::Input(format!(
                        "error: --set {}\n",
                        brink::scenario::diag::clip_quotes(&e)
                    ))
                })
            })
            .collect()
    }
}

/// Reads the scenario at `path` (with any file it extends), applies `set` and parses the
/// result (`brink::load::load`).
pub fn load(path: &Path, set: &[Override]) -> Result<Loaded> {
    let text = super::load::text(path, "scenario", super::load::MAX_INPUT)?;
    loaded(path, text, set)
}

/// `load` of a text already read from `path`.
pub fn loaded(path: &Path, text: String, set: &[Override]) -> Result<Loaded> {
    brink::load::load(path, text, set, &mut super::load::read).map_err(Failure::Input)
}

/// Renders a scenario error of an overridden text (`brink::load::render`).
pub fn render(e: brink::scenario::diag::ScenarioError, set: &[Override]) -> String {
    brink::load::render(e, set)
}

/// Applies the overrides to a text, as an exit-2 failure listing every bad one.
pub fn apply(text: &str, set: &[Override]) -> Result<String> {
    brink::load::apply(text, set).map_err(Failure::Input)
}
