//! `brink run`: simulate a scenario many times and write its outcome distributions.
//!
//! Usage: brink run SCENARIO.toml [--runs N] [--seed S] [--threads T] [--out DIR] [--force]
//!        [--per-run] [--events N] [--set KEY=VALUE]... [--quiet]
//!
//! Writes summary.csv, timeline.csv, distributions.csv and manifest.json (and runs.csv with
//! --per-run, events.csv with --events N: the event log of runs 0..N) into DIR, by default a
//! new folder results/<scenario name>/<UTC time>/ linked as results/<scenario name>/latest,
//! under the output folder rule of outdir.rs. Results depend only on the scenario, the seed and
//! the number of runs.
//!
//! With --given CONDITION (repeatable) it keeps only the runs consistent with what happened
//! (`gaza_phase_two<=2026-01-31`, `not strike_on_iran<=2026-02-15`; grammar in
//! brink::given), exactly, from each run's event days, and writes the same files over the kept
//! runs into results/<scenario name>_given/; --target-runs N simulates runs 0, 1, 2, ... until
//! N runs are kept (or --max-runs are spent). With --precision H it simulates blocks of 1024
//! runs until every event metric's 95% half-width is at most H (or --max-runs). Either way
//! the result depends only on the scenario, the seed and the options, never on threads: the
//! study stops at a run index fixed by them (the N-th kept run, or the end of a block).
//!
//! With --shard K/N (or inside a Slurm job array or Kubernetes Indexed Job) it computes only
//! shard K of N and writes part-K-of-N.json (and part-K-of-N.runs.csv with --per-run) into DIR
//! (default results/<scenario name>/parts/), a folder the shards of one study share; `brink
//! merge` combines the parts.

use std::path::PathBuf;

use anyhow::Context;
use brink::engine::Engine;
use brink::stats::Aggregate;

use super::outdir::{Dest, OutDir, Plan, RUN_FILES};
use super::output::{self, Hashing, Pending};
use super::study::{StudyArgs, WriteManifest, run_manifest, whole};
use super::{Failure, Result, overrides, part};

#[derive(clap::Args, Debug)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: a new folder results/<scenario name>/<UTC time>/, linked as \
     latest; with --given, results/<scenario name>_given/<UTC time>/; with --shard, the folder \
     of parts results/<scenario name>/parts/]"
)))]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub study: StudyArgs,
    /// Also write runs.csv: one row per run with every outcome and parameter draw.
    #[arg(long)]
    pub per_run: bool,
    /// Also write events.csv: the event log of the first N runs (as `brink trace --csv`). Not
    /// with --shard: a shard writes only its part.
    #[arg(long, value_name = "N", value_parser = events_value, allow_negative_numbers = true)]
    pub events: Option<u64>,
    /// Compute only shard K of N (K counts from 0) and write part-K-of-N.json for `brink
    /// merge` [default: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or from
    /// JOB_COMPLETION_INDEX and BRINK_SHARD_COUNT].
    #[arg(long, value_name = "K/N", value_parser = brink::shard::Shard::parse)]
    pub shard: Option<brink::shard::Shard>,
    /// Run the whole study even inside a cluster job array.
    #[arg(long, conflicts_with = "shard")]
    pub no_shard: bool,
    /// Keep only the runs consistent with CONDITION (repeatable; all must hold):
    /// METRIC<=DATE (the event had happened by the end of DATE), METRIC=DATE (it first happened
    /// on DATE), or 'not METRIC<=DATE'. Writes into results/<scenario name>_given/ by default.
    #[arg(long, value_name = "CONDITION", conflicts_with = "shard")]
    pub given: Vec<String>,
    /// With --given: simulate runs 0, 1, 2, ... until N of them satisfy the conditions (or
    /// --max-runs are spent), instead of a fixed --runs.
    #[arg(long, value_name = "N", requires = "given", conflicts_with = "runs",
          value_parser = events_value, allow_negative_numbers = true)]
    pub target_runs: Option<u64>,
    /// Simulate blocks of 1024 runs until every event metric's 95% interval half-width is at
    /// most H (a probability: 0.01 is one percentage point), or --max-runs are spent.
    #[arg(long, value_name = "H", conflicts_with_all = ["runs", "target_runs", "shard"],
          value_parser = precision_value, allow_negative_numbers = true)]
    pub precision: Option<f64>,
    /// With --target-runs or --precision: simulate at most this many runs [default: 1000000].
    #[arg(long, value_name = "N", value_parser = events_value, allow_negative_numbers = true)]
    pub max_runs: Option<u64>,
}

fn precision_value(s: &str) -> std::result::Result<f64, String> {
    let h = s.trim().parse::<f64>().unwrap_or(f64::NAN);
    brink::until::half_width(h)
}

fn events_value(s: &str) -> std::result::Result<u64, String> {
    whole(s, 1, brink::scenario::MAX_RUNS)
}

pub fn run(args: Args) -> Result<()> {
    let StudyArgs {
        runs,
        engine,
        output,
    } = &args.study;
    let (session, set) = engine.start()?;
    let loaded = overrides::load(&args.scenario, &set)?;
    let sc = &loaded.scenario;
    let runs = runs.runs.unwrap_or(sc.default_runs);
    let seed = engine.seed.unwrap_or(sc.default_seed);
    let quiet = output.quiet;
    if let Some(n) = args.events
        && n > runs
    {
        return Err(Failure::Input(format!(
            "error: --events {n} asks for more runs than --runs {runs}"
        )));
    }
    let shard = part::choose(args.shard, args.no_shard)?;
    if !args.given.is_empty() || args.precision.is_some() {
        if let Some(s) = shard {
            return Err(Failure::Input(format!(
                "error: --given and --precision are not sharded (this process is shard {s} of \
                 a job array): they decide at which run to stop, which shards cannot agree on\n  \
                 = help: run the study in one process (--no-shard)\n"
            )));
        }
        if args.events.is_some() {
            return Err(Failure::Input(
                "error: --events is not written with --given or --precision: the event log is \
                 of runs 0 … N−1 of a plain run\n  = help: write it with a plain `brink run \
                 --events N` or with `brink trace --csv`\n"
                    .into(),
            ));
        }
        return super::until::run(&args, &session, &loaded, &set);
    }
    if args.max_runs.is_some() {
        return Err(Failure::Input(
            "error: --max-runs goes with --target-runs or --precision, which decide when to \
             stop; a plain run simulates --runs\n"
                .into(),
        ));
    }
    if let (Some(s), Some(_)) = (shard, args.events) {
        return Err(Failure::Input(format!(
            "error: --events is not written by shard {s}: a shard writes only its part, and \
             merge makes no event log\n  = help: write the event log with `brink run --events \
             N` without sharding (or `brink trace --csv`)\n"
        )));
    }
    let range = shard.map_or(0..runs, |s| s.range(runs, brink::engine::CHUNK));
    let inputs = [args.scenario.clone()];
    let out = match shard {
        Some(s) => OutDir::prepare(Plan {
            files: part::files(s),
            inputs: &inputs,
            ..Plan::new(
                Dest::Shared(part::parts_dir(output.out.as_deref(), &sc.name)),
                output.force,
                &[],
            )
        })?,
        None => output.prepare(&sc.name, RUN_FILES, &inputs)?,
    };
    let staging = out.staging().to_path_buf();
    if !quiet {
        say!(
            "brink: {} runs of {} with seed {seed} on {} threads",
            range.end - range.start,
            sc.name,
            session.threads()
        );
    }

    let engine = Engine::new(sc, seed);
    let mut total = Aggregate::new(sc);
    let progress = super::progress::bar(range.end - range.start, quiet);
    let runs_name = shard.map_or_else(|| "runs.csv".to_string(), part::runs_name);
    let mut rows = match args.per_run {
        true => {
            let file = Pending::new(&staging, &runs_name)?;
            let mut w = output::csv_file_writer(Hashing::new(file.writer()?));
            output::header(&mut w, &brink::table::runs_columns(sc))
                .context("cannot write runs.csv")?;
            Some((file, w))
        }
        false => None,
    };
    let mut done = 0;
    let complete = session.install(|| {
        brink::study::runs(
            &engine,
            range.clone(),
            args.per_run,
            &session.stop,
            |chunk| -> anyhow::Result<()> {
                total.merge(&chunk.aggregate);
                if let (Some(r), Some((_, w))) = (&chunk.rows, rows.as_mut()) {
                    brink::table::runs(sc, r, |cells| output::record(w, cells))
                        .context("cannot write runs.csv")?;
                }
                let n = chunk.runs.end - chunk.runs.start;
                progress.inc(n);
                done += n;
                Ok(())
            },
        )
    })?;
    progress.finish_and_clear();
    if !complete {
        return Err(session.interrupted(done, range.end - range.start, "runs", &out));
    }
    let elapsed = session.elapsed();
    let runs_csv = match rows.take() {
        Some((file, w)) => {
            let hashing = w
                .into_inner()
                .map_err(|e| anyhow::anyhow!("{}", e.error()))?;
            let (_, sha) = hashing.finish().context("cannot write runs.csv")?;
            file.commit()?;
            Some((runs_name, sha))
        }
        None => None,
    };

    if let Some(shard) = shard {
        part::write_run_part(&staging, &loaded, seed, runs, shard, total, runs_csv, &set)?;
        let dir = session.commit(out)?;
        if !quiet {
            say!(
                "brink: shard {shard}: runs {}..{} in {elapsed:.2}s; wrote {}",
                range.start,
                range.end,
                dir.join(format!("{}.json", brink::shard::part_stem(shard)))
                    .display()
            );
        }
        return Ok(());
    }

    output::write_summary(&staging, sc, &total)?;
    output::write_timeline(&staging, sc, &total)?;
    output::write_distributions(&staging, sc, &total)?;
    if let Some(n) = args.events
        && !super::events::write_file(&staging, &engine, n, &session.stop)?
    {
        return Err(session.interrupted(runs, runs, "runs (writing events.csv)", &out));
    }
    run_manifest(&loaded, seed, runs, &set, session.invocation()).write(&staging)?;
    let dir = session.commit(out)?;
    if !quiet {
        say!(
            "brink: {} runs in {elapsed:.2}s ({}); wrote {}",
            super::charts::num::thousands(runs),
            super::progress::rate_text(runs, elapsed, "runs"),
            dir.display()
        );
        digest(sc, &total);
    }
    Ok(())
}

/// The first six event metrics' probabilities, on stderr after a run, rounded as the charts
/// and the report round summary.csv's `mean` (`num::percent`).
pub fn digest(sc: &brink::model::Scenario, total: &Aggregate) {
    for (e, m) in sc.metrics.events.iter().enumerate().take(6) {
        let k = total.event_count(e);
        say!(
            "  {:<28} {:>6}%",
            m.id,
            super::charts::num::percent(k as f64 / total.runs as f64, 1)
        );
    }
}
