//! The typed manifest: what every result's manifest.json records (the command, the scenario
//! and its files with their SHA-256, the seed, the runs, the overrides, each command's own
//! detail, and how the process ran). The command line writes it beside its CSV files; the
//! Python package returns it as a dict. Pure: `Manifest::json` gives the text.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::load::Loaded;
use crate::model::{Scenario, SourceFile};
use crate::scenario::overrides::Override;
use crate::sweep::Experiment;

/// SHA-256 of `bytes` in lowercase hex: checksums of scenarios, parts and fingerprints.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes (a digest) in lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A scenario as a manifest identifies it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ScenarioRef {
    pub name: String,
    pub path: String,
    pub sha256: String,
    /// Every file the scenario was read from (more than one when it extends another), each
    /// with its own SHA-256; `sha256` above is that of the merged text.
    #[serde(default)]
    pub files: Vec<SourceFile>,
    /// The date up to which the scenario's authors used what was known (`[scenario] as_of`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// The calendar and ladder, in the manifests of run results (charts name days and levels
    /// from them without the scenario file).
    #[serde(flatten)]
    pub calendar: Option<Calendar>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Calendar {
    pub start_date: String,
    pub horizon_days: u32,
    pub ladder: Vec<Rung>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Rung {
    pub id: String,
    pub name: String,
}

impl ScenarioRef {
    pub fn of(loaded: &Loaded) -> ScenarioRef {
        ScenarioRef {
            name: loaded.scenario.name.clone(),
            path: loaded.path.clone(),
            sha256: sha256(loaded.text.as_bytes()),
            files: loaded.scenario.sources.clone(),
            as_of: loaded.scenario.as_of.map(|d| d.to_string()),
            calendar: None,
        }
    }

    /// With the calendar and ladder, as a run's manifest gives them.
    pub fn with_calendar(mut self, sc: &Scenario) -> ScenarioRef {
        self.calendar = Some(Calendar {
            start_date: sc.start_date.to_string(),
            horizon_days: sc.horizon,
            ladder: sc
                .ladder
                .iter()
                .map(|r| Rung {
                    id: r.id.clone(),
                    name: r.name.clone(),
                })
                .collect(),
        });
        self
    }
}

/// How this process ran: the only part of a manifest that may differ between identical
/// results.
#[derive(Serialize, Clone, Debug)]
pub struct Invocation {
    pub command_line: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    pub elapsed_seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_computed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_parts: Option<Vec<String>>,
}

/// manifest.json: everything needed to reproduce and audit a result. `D` holds what only one
/// command records. Keys are written in alphabetical order, nested ones too.
#[derive(Serialize, Clone, Debug)]
pub struct Manifest<D: Serialize> {
    pub command: &'static str,
    pub brink_version: &'static str,
    pub scenario: ScenarioRef,
    pub seed: u64,
    pub runs: u64,
    /// The `--set` overrides (for `compare`, under `variant`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Vec<Override>>,
    #[serde(flatten)]
    pub detail: D,
    pub invocation: Invocation,
}

impl<D: Serialize> Manifest<D> {
    pub fn new(
        command: &'static str,
        scenario: ScenarioRef,
        seed: u64,
        runs: u64,
        detail: D,
        invocation: Invocation,
    ) -> Manifest<D> {
        Manifest {
            command,
            brink_version: env!("CARGO_PKG_VERSION"),
            scenario,
            seed,
            runs,
            overrides: None,
            detail,
            invocation,
        }
    }

    pub fn overrides(mut self, set: &[Override]) -> Self {
        self.overrides = Some(set.to_vec());
        self
    }

    /// The manifest as manifest.json holds it: pretty JSON with sorted keys and a final
    /// newline.
    pub fn json(&self) -> serde_json::Result<String> {
        // Through a Value, whose maps are sorted: the key order of every manifest is the same
        // whatever the order of the fields above.
        let value = serde_json::to_value(self)?;
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        Ok(text)
    }
}

/// One parameter of a run's scenario, as its manifest lists it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Parameter {
    pub path: String,
    pub distribution: String,
    pub uncertain: bool,
    pub mean: f64,
}

/// What a run's manifest records beyond the common fields.
#[derive(Serialize, Clone, Debug)]
pub struct RunDetail {
    pub parameters: Vec<Parameter>,
    /// `run --given`: the conditions and how many runs were simulated to keep `runs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given: Option<GivenDetail>,
    /// `run --precision`: the half-width asked for and whether it was reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionDetail>,
}

/// The conditions of a conditional run (`run --given`).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GivenDetail {
    /// Each condition, written canonically.
    pub conditions: Vec<String>,
    /// The last date the conditions speak of.
    pub through: String,
    /// Runs 0 … simulated_runs − 1 were simulated; `runs` of them were kept.
    pub simulated_runs: u64,
    /// The effective number of runs: the kept runs, each an exact draw given the conditions.
    pub effective_runs: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_runs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_runs: Option<u64>,
}

/// A run to a precision (`run --precision H`).
#[derive(Serialize, Clone, Debug)]
pub struct PrecisionDetail {
    /// H: the largest 95% half-width allowed for every event metric.
    pub half_width: f64,
    /// Blocks of this many run indices; the study stops at the end of the first block after
    /// which every event metric meets H.
    pub block: u64,
    pub max_runs: u64,
    /// Whether H was met (false: `max_runs` was spent first).
    pub reached: bool,
    /// The event metric with the widest interval at the end, and its half-width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub widest_metric: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub widest_half_width: Option<f64>,
}

impl RunDetail {
    pub fn of(sc: &Scenario) -> RunDetail {
        RunDetail {
            given: None,
            precision: None,
            parameters: sc
                .params
                .iter()
                .map(|p| Parameter {
                    path: p.path.clone(),
                    distribution: p.dist.to_toml_string(),
                    uncertain: !p.dist.is_fixed(),
                    mean: p.dist.mean(),
                })
                .collect(),
        }
    }
}

/// The manifest of a run's result, as `run` and `merge` write it.
pub fn run_manifest(
    loaded: &Loaded,
    seed: u64,
    runs: u64,
    set: &[Override],
    invocation: Invocation,
) -> Manifest<RunDetail> {
    let sc = &loaded.scenario;
    Manifest::new(
        "run",
        ScenarioRef::of(loaded).with_calendar(sc),
        seed,
        runs,
        RunDetail::of(sc),
        invocation,
    )
    .overrides(set)
}

/// What the readers of a run's result (`score`, `watch`, `discover`) take from its manifest.
#[derive(Deserialize, Clone, Debug)]
pub struct RunResult {
    pub scenario: ScenarioRef,
    pub seed: u64,
    pub runs: u64,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(default)]
    pub given: Option<GivenDetail>,
}

/// Why a results folder's `latest` link that names something other than a folder beside it
/// is refused (readers resolve `latest` themselves: the library reads no file).
pub fn outside_link(link: &str, to: &str) -> String {
    use crate::scenario::diag::clip;
    format!(
        "error: `{}` is a link to `{}`, outside the folder of results it belongs to; brink's \
         `latest` links name a result folder beside them, so this one was changed by hand\n  \
         = help: give the result folder itself\n",
        clip(link, 80),
        clip(to, 80)
    )
}

impl RunResult {
    /// A run's manifest from its JSON; refuses the result of another command, or one without
    /// the calendar `command` needs. `dir` and `path` name the result's folder and manifest
    /// in messages.
    pub fn from_value(
        value: serde_json::Value,
        dir: &str,
        path: &str,
        command: &str,
    ) -> Result<RunResult, String> {
        match value.get("command").and_then(serde_json::Value::as_str) {
            Some("run") => {}
            Some(other) => {
                return Err(format!(
                    "error: `{dir}` holds the result of `brink {}`; `brink {command}` reads the \
                     result of `brink run`\n",
                    crate::scenario::diag::clip(other, 80)
                ));
            }
            None => {
                return Err(format!(
                    "error: {path}: no \"command\": not the manifest of a brink result\n"
                ));
            }
        }
        let m: RunResult = serde_json::from_value(value)
            .map_err(|e| format!("error: {path}: not the manifest of a brink run: {e}\n"))?;
        if m.scenario.calendar.is_none() {
            return Err(format!(
                "error: {path}: the manifest has no start date and horizon; is it from an older \
                 brink? Run the scenario again\n"
            ));
        }
        Ok(m)
    }

    pub fn calendar(&self) -> &Calendar {
        self.scenario
            .calendar
            .as_ref()
            .expect("checked when the manifest was read")
    }

    pub fn start(&self) -> jiff::civil::Date {
        self.calendar()
            .start_date
            .parse()
            .unwrap_or(jiff::civil::Date::MIN)
    }

    pub fn horizon(&self) -> u32 {
        self.calendar().horizon_days
    }

    /// The last day the runs cover.
    pub fn last(&self) -> jiff::civil::Date {
        self.date(self.horizon().saturating_sub(1))
    }

    pub fn date(&self, day: u32) -> jiff::civil::Date {
        self.start()
            .checked_add(jiff::Span::new().days(i64::from(day)))
            .unwrap_or(jiff::civil::Date::MAX)
    }

    /// The key paths of the uncertain parameters, as runs.csv's columns name them.
    pub fn uncertain(&self) -> Vec<&str> {
        self.parameters
            .iter()
            .filter(|p| p.uncertain)
            .map(|p| p.path.as_str())
            .collect()
    }
}

/// What a comparison's manifest records beyond the common fields: the variant.
#[derive(Serialize, Clone, Debug)]
pub struct CompareDetail {
    pub variant: Variant,
}

#[derive(Serialize, Clone, Debug)]
pub struct Variant {
    pub name: String,
    pub path: String,
    pub sha256: String,
    pub overrides: Vec<Override>,
}

impl CompareDetail {
    /// The variant, loaded with the overrides `set`.
    pub fn of(variant: &Loaded, set: &[Override]) -> CompareDetail {
        CompareDetail {
            variant: Variant {
                name: variant.scenario.name.clone(),
                path: variant.path.clone(),
                sha256: sha256(variant.text.as_bytes()),
                overrides: set.to_vec(),
            },
        }
    }
}

/// What a sensitivity study's manifest records beyond the common fields.
#[derive(Serialize, Clone, Debug)]
pub struct SensitivityDetail {
    pub method: String,
    pub parameters: Vec<String>,
    pub metrics: Vec<String>,
    pub trajectories: Option<u64>,
    pub levels: Option<u64>,
    pub samples: Option<u64>,
    pub bootstrap: u64,
}

/// What a sweep's manifest records beyond the common fields.
#[derive(Serialize, Clone, Debug)]
pub struct SweepDetail<'a> {
    pub experiment: &'a Experiment,
    pub experiment_path: Option<String>,
    pub points: u64,
    pub metrics: &'a [String],
}

/// What `brink watch`'s manifest records beyond the common fields.
#[derive(Serialize, Clone, Debug)]
pub struct WatchDetail {
    /// The result read: its folder, or what the Python package was given.
    pub results: String,
    pub outcome: String,
    pub signposts: Vec<String>,
    pub by: Vec<String>,
}

/// What `brink discover`'s manifest records beyond the common fields.
#[derive(Serialize, Clone, Debug)]
pub struct DiscoverDetail {
    /// The result read: its folder, or what the Python package was given.
    pub results: String,
    pub outcome: String,
    pub features: crate::discover::Features,
    pub inputs: Vec<String>,
    pub peel_alpha: f64,
    pub paste_alpha: f64,
    pub mass_min: f64,
    pub significance: f64,
    pub chosen_box: usize,
    pub sentence: String,
}

/// What `brink score`'s manifest records beyond the common fields.
#[derive(Serialize, Clone, Debug)]
pub struct ScoreDetail {
    /// The result read: its folder, or what the Python package was given.
    pub results: String,
    pub observed: ObservedRef,
    /// The floor of the log score: 1/(2·runs).
    pub log_floor: f64,
    pub checkpoints: Vec<String>,
    pub reliability: bool,
}

/// The observed file a score was computed against.
#[derive(Serialize, Clone, Debug)]
pub struct ObservedRef {
    pub path: String,
    pub sha256: String,
}

impl ScoreDetail {
    /// The detail of a score of `results` against `text` (shown as `path`).
    pub fn of(results: String, path: &str, text: &str, s: &crate::score::Scored) -> ScoreDetail {
        ScoreDetail {
            results,
            observed: ObservedRef {
                path: path.to_string(),
                sha256: sha256(text.as_bytes()),
            },
            log_floor: s.floor,
            checkpoints: s.checkpoints.iter().map(|d| d.to_string()).collect(),
            reliability: s.reliability.is_some(),
        }
    }
}
