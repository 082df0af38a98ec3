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
use serde::Serialize;

use super::outdir::{Dest, OutDir, Plan};
use super::{Failure, Result};

/// The flags that decide what is simulated and on how many threads.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineArgs {
    /// Master seed, shared by every run of every variant or point [default: the scenario's
    /// `seed`, else 20251229].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]; up to 64, or four per core where that is more
    /// (threads beyond the cores give no speed). Results do not depend on it.
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

pub fn threads_value(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) => brink::study::threads(n),
        Err(_) => Err("expected a whole number of threads (0 or none: all cores)".into()),
    }
}

/// A whole number in `lo..=hi` for a count flag, with a plain message for anything else
/// (negative numbers included, instead of clap's tip about `--`).
pub fn whole(s: &str, lo: u64, hi: u64) -> std::result::Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) => brink::study::whole(n, lo, hi),
        Err(_) => Err(brink::study::range_words(lo, hi)),
    }
}

fn runs_value(s: &str) -> std::result::Result<u64, String> {
    whole(s, 1, brink::scenario::MAX_RUNS)
}

pub use brink::manifest::{Invocation, Manifest, ScenarioRef, hex, run_manifest, sha256};

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

/// The manifest's `invocation` block for a session, and writing a manifest: the typed
/// manifest itself is the library's (`brink::manifest`).
pub trait WriteManifest {
    /// Writes manifest.json (pretty JSON, sorted keys, a final newline) atomically into `dir`.
    fn write(&self, dir: &Path) -> anyhow::Result<()>;
}

impl<D: Serialize> WriteManifest for Manifest<D> {
    fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let json = self.json()?;
        super::output::atomic(dir, "manifest.json", |w| {
            std::io::Write::write_all(w, json.as_bytes())?;
            Ok(())
        })
    }
}

pub use brink::manifest::RunResult;

/// Reads the manifest of a run's result in `dir` (already resolved from `latest`); refuses
/// the result of another command, or one without the calendar `command` needs.
pub fn read_run(dir: &Path, command: &str) -> Result<RunResult> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::Input(format!(
            "error: cannot read `{}`: {e}\n  = help: give the folder of a `brink run` \
             result (or a scenario's folder of runs, for its latest)\n",
            path.display()
        ))
    })?;
    let value = super::load::json(&path, &text)?;
    RunResult::from_value(
        value,
        &dir.display().to_string(),
        &path.display().to_string(),
        command,
    )
    .map_err(Failure::Input)
}
