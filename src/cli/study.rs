//! What every simulating command shares, in one place: the common flags, the thread pool (with
//! its cap), the interrupt flag, the session that ties them to the output folder rule
//! (`outdir.rs`), and the typed manifest.
//!
//! A command declares its flags by flattening [`EngineArgs`] (seed, threads, --set),
//! [`OutArgs`] (--out, --force, --quiet) and [`RunsArg`] (--runs) as it needs them, starts a
//! [`Session`] before it prepares its output folder (so a signal from then on stops it
//! cleanly), runs its work through `brink::study` on the session's pool with the session's
//! stop flag, and finishes with [`Session::commit`], which writes nothing if it was interrupted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Context;
use brink::scenario::overrides::Override;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::outdir::{Dest, OutDir, Plan};
use super::{Failure, Result, load};

/// The flags that decide what is simulated and on how many threads.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineArgs {
    /// Master seed, shared by every run of every variant or point [default: the scenario's
    /// `seed`, else 20251229].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]; up to four per core, and 64 on any machine (more
    /// give no speed). Results do not depend on it.
    #[arg(long, value_parser = threads_value, allow_negative_numbers = true)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub set: super::overrides::SetArgs,
}

impl EngineArgs {
    /// Starts the session (the interrupt flag first, then the workers) and parses `--set`.
    pub fn start(&self) -> Result<(Session, Vec<Override>)> {
        let session = Session::start(self.threads)?;
        Ok((session, self.set.parsed()?))
    }
}

/// The flags that decide where a result goes.
#[derive(clap::Args, Debug, Clone)]
pub struct OutArgs {
    /// Output directory [default: a new folder under results/, linked as latest; see README,
    /// "Output locations"].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace this command's own files in an --out directory that already holds files.
    #[arg(long)]
    pub force: bool,
    /// No progress or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The flags of a study of runs (`run`, `compare`, `sweep`): `--runs`, the engine's and the
/// output's.
#[derive(clap::Args, Debug, Clone)]
pub struct StudyArgs {
    #[command(flatten)]
    pub runs: RunsArg,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutArgs,
}

impl OutArgs {
    /// Where a result goes: `--out`, or a new folder under results/`folder`/.
    pub fn dest(&self, folder: &str) -> Dest {
        match &self.out {
            Some(dir) => Dest::Explicit(dir.clone()),
            None => Dest::Fresh(Path::new("results").join(folder)),
        }
    }

    /// Checks where the result goes and stages it (the output folder rule): `files` are the
    /// command's own, `inputs` the files it reads and must never replace.
    pub fn prepare(&self, folder: &str, files: &[&str], inputs: &[PathBuf]) -> Result<OutDir> {
        OutDir::prepare(Plan {
            inputs,
            ..Plan::new(self.dest(folder), self.force, files)
        })
    }
}

/// `--runs`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunsArg {
    /// Number of runs [default: the scenario's `runs`, else 10000].
    #[arg(long, value_parser = runs_value, allow_negative_numbers = true)]
    pub runs: Option<u64>,
}

/// The largest `--threads`: four per core, and at least 64. The work is CPU-bound, so threads
/// beyond the cores add nothing but memory (each keeps four chunks of runs in flight) and the
/// time to start them; a few per core still let tests and users check that results do not
/// depend on the thread count.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_mul(4).max(64)
}

pub fn threads_value(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n <= max_threads() => Ok(n),
        // The same words on every machine (the record of refusals is shared), with the rule.
        Ok(_) => Err(
            "too many: brink allows four threads per core, and 64 on any machine; \
                      more give no speed, only memory and start-up time"
                .into(),
        ),
        Err(_) => Err("expected a whole number of threads (0 or none: all cores)".into()),
    }
}

/// A whole number in `lo..=hi` for a count flag, with a plain message for anything else
/// (negative numbers included, instead of clap's tip about `--`).
pub fn whole(s: &str, lo: u64, hi: u64) -> std::result::Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from {lo} to {hi}")),
    }
}

fn runs_value(s: &str) -> std::result::Result<u64, String> {
    whole(s, 1, brink::scenario::MAX_RUNS)
}

/// SHA-256 of `bytes` in lowercase hex: checksums of scenarios, parts and fingerprints.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes (a digest) in lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The interrupt flag: the first SIGINT or SIGTERM raises it (installed once per process). If
/// the handlers cannot be installed the command proceeds without them: it is then only as
/// interruptible as any other process.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let _ = signal_hook::flag::register(sig, Arc::clone(&flag));
        }
        flag
    })
    .clone()
}

/// One simulating command's process: the stop flag, the worker threads and the clock.
pub struct Session {
    pub stop: Arc<AtomicBool>,
    pool: rayon::ThreadPool,
    started: Instant,
}

impl Session {
    /// Installs the interrupt flag and starts `threads` workers (all cores for none or 0).
    pub fn start(threads: Option<usize>) -> Result<Session> {
        let stop = interrupt_flag();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .build()
            .context("cannot start worker threads")?;
        Ok(Session {
            stop,
            pool,
            started: Instant::now(),
        })
    }

    /// Runs `f` on the worker threads.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The manifest's `invocation` block for this process.
    pub fn invocation(&self) -> Invocation {
        Invocation {
            command_line: std::env::args().collect(),
            threads: Some(self.threads()),
            elapsed_seconds: self.elapsed(),
            points_computed: None,
            merged_parts: None,
        }
    }

    /// The failure to return when the stop flag ended the work: `done` of `total` `what` were
    /// computed, and nothing of them was written.
    pub fn interrupted(&self, done: u64, total: u64, what: &str, out: &OutDir) -> Failure {
        Failure::Interrupted(format!(
            "brink: interrupted after {done} of {total} {what}; nothing was written and {}",
            out.kept()
        ))
    }

    /// Moves the staged result into place, unless a signal came in the meantime.
    pub fn commit(&self, out: OutDir) -> Result<PathBuf> {
        if self.stopped() {
            return Err(Failure::Interrupted(format!(
                "brink: interrupted; nothing was written and {}",
                out.kept()
            )));
        }
        out.commit()
    }
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
    pub files: Vec<brink::model::SourceFile>,
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
    pub fn of(loaded: &load::Loaded) -> ScenarioRef {
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
    pub fn with_calendar(mut self, sc: &brink::model::Scenario) -> ScenarioRef {
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

    /// Writes manifest.json (pretty JSON, sorted keys, a final newline) atomically into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        // Through a Value, whose maps are sorted: the key order of every manifest is the same
        // whatever the order of the fields above.
        let value = serde_json::to_value(self)?;
        super::output::atomic(dir, "manifest.json", |w| {
            serde_json::to_writer_pretty(&mut *w, &value)?;
            std::io::Write::write_all(w, b"\n")?;
            Ok(())
        })
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
    pub fn of(sc: &brink::model::Scenario) -> RunDetail {
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
    loaded: &load::Loaded,
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

impl RunResult {
    /// Reads the manifest of a run's result in `dir` (already resolved from `latest`); refuses
    /// the result of another command, or one without the calendar this needs.
    pub fn read(dir: &Path, command: &str) -> Result<RunResult> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Failure::Input(format!(
                "error: cannot read `{}`: {e}\n  = help: give the folder of a `brink run` \
                 result (or a scenario's folder of runs, for its latest)\n",
                path.display()
            ))
        })?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            Failure::Input(format!(
                "error: {}:{}:{}: not valid JSON: {e}",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        match value.get("command").and_then(serde_json::Value::as_str) {
            Some("run") => {}
            Some(other) => {
                return Err(Failure::Input(format!(
                    "error: `{}` holds the result of `brink {}`; `brink {command}` reads the \
                     result of `brink run`\n",
                    dir.display(),
                    super::quote(other)
                )));
            }
            None => {
                return Err(Failure::Input(format!(
                    "error: {}: no \"command\": not the manifest of a brink result\n",
                    path.display()
                )));
            }
        }
        let m: RunResult = serde_json::from_value(value).map_err(|e| {
            Failure::Input(format!(
                "error: {}: not the manifest of a brink run: {e}\n",
                path.display()
            ))
        })?;
        if m.scenario.calendar.is_none() {
            return Err(Failure::Input(format!(
                "error: {}: the manifest has no start date and horizon; is it from an older \
                 brink? Run the scenario again\n",
                path.display()
            )));
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

    pub fn date(&self, day: u32) -> jiff::civil::Date {
        self.start()
            .checked_add(jiff::Span::new().days(i64::from(day)))
            .unwrap_or(jiff::civil::Date::MAX)
    }
}
