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
/// result. `Loaded::text` stays the text as read (merged when the scenario extends another
/// file), so the manifest's checksum identifies it; the overrides are recorded beside it.
pub fn load(path: &Path, set: &[Override]) -> Result<Loaded> {
    let text = super::load::text(path, "scenario", super::load::MAX_INPUT)?;
    loaded(path, text, set)
}

/// `load` of a text already read from `path`.
pub fn loaded(path: &Path, text: String, set: &[Override]) -> Result<Loaded> {
    if set.is_empty() {
        return super::load::parsed(path, text);
    }
    let (composite, display) = super::load::compose(path, &text)?;
    let edited = apply(&composite.text, set)?;
    match composite.parse(&edited) {
        Ok(scenario) => Ok(Loaded {
            scenario,
            text: composite.text,
            path: display,
        }),
        Err(e) => Err(Failure::Input(render(e, set))),
    }
}

/// Renders a scenario error of an overridden text: problems in an overridden value are shown
/// under the `--set` that gave it, the others under the file's lines.
pub fn render(mut e: brink::scenario::diag::ScenarioError, set: &[Override]) -> String {
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
        let one = brink::scenario::diag::ScenarioError {
            file: format!("--set {}={}", o.key, o.value),
            source: String::new(),
            diagnostics: vec![brink::scenario::diag::Diagnostic {
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
