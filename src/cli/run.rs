//! `brink run`: simulate a scenario many times and write its outcome distributions.
//!
//! Usage: brink run SCENARIO.toml [--runs N] [--seed S] [--threads T] [--out DIR] [--per-run]
//!        [--set KEY=VALUE]...
//!
//! Writes summary.csv, timeline.csv, distributions.csv and manifest.json (and runs.csv with
//! --per-run) into DIR, by default a new folder results/<scenario name>/<UTC time>/ linked as
//! results/<scenario name>/latest (see outdir.rs). Results depend only on the scenario, the
//! seed and the number of runs.
//!
//! With --events N it also writes events.csv, the event log of runs 0..N (src/cli/events.rs).
//!
//! With --shard K/N (or inside a Slurm job array or Kubernetes Indexed Job) it computes only
//! shard K of N and writes part-K-of-N.json into DIR (default results/<scenario name>/parts/),
//! a folder the shards of one study share; `brink merge` combines the parts.

use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use brink::engine::Engine;
use brink::stats::Aggregate;
use sha2::{Digest, Sha256};

use super::output;
use super::{Failure, Result, load};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Number of runs [default: the scenario's `runs`, else 10000].
    #[arg(long)]
    pub runs: Option<u64>,
    /// Master seed [default: the scenario's `seed`, else 20251229].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory [default: a new folder under results/<scenario name>/, linked as latest].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace brink's files in an --out directory that already holds files.
    #[arg(long)]
    pub force: bool,
    /// Also write runs.csv: one row per run with every outcome and parameter draw.
    #[arg(long)]
    pub per_run: bool,
    /// Also write events.csv: the event log of the first N runs (as `brink trace --csv`).
    #[arg(long, value_name = "N")]
    pub events: Option<u64>,
    /// No progress or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub set: super::overrides::SetArgs,
    /// Compute only shard K of N (K counts from 0) and write part-K-of-N.json for `brink
    /// merge` [default: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or from
    /// JOB_COMPLETION_INDEX and BRINK_SHARD_COUNT].
    #[arg(long, value_name = "K/N", value_parser = brink::shard::Shard::parse)]
    pub shard: Option<brink::shard::Shard>,
    /// Run the whole study even inside a cluster job array.
    #[arg(long, conflicts_with = "shard")]
    pub no_shard: bool,
}

/// Documented upper bound on --runs.
pub const MAX_RUNS: u64 = brink::scenario::MAX_RUNS;

pub fn run(args: Args) -> Result<()> {
    let set = args.set.parsed()?;
    let loaded = super::overrides::load(&args.scenario, &set)?;
    let sc = &loaded.scenario;
    let runs = args.runs.unwrap_or(sc.default_runs);
    if runs == 0 || runs > MAX_RUNS {
        return Err(Failure::Input(format!(
            "error: --runs must be between 1 and {MAX_RUNS}, got {runs}"
        )));
    }
    let seed = args.seed.unwrap_or(sc.default_seed);
    if let Some(n) = args.events
        && n > runs
    {
        return Err(Failure::Input(format!(
            "error: --events {n} asks for more runs than --runs {runs}"
        )));
    }
    let shard = super::part::choose(args.shard, args.no_shard)?;
    let range = shard.map_or(0..runs, |s| s.range(runs, brink::engine::CHUNK));
    // The shards of one study share a folder of parts, so a shard writes its own part file
    // atomically instead of claiming a fresh result folder.
    let (outdir, out) = match shard {
        Some(s) => (
            None,
            super::part::parts_dir(args.out.as_deref(), &sc.name, s, args.force)?,
        ),
        None => {
            let od = super::outdir::OutDir::prepare(args.out.as_deref(), args.force, &sc.name)?;
            let out = od.staging().to_path_buf();
            (Some(od), out)
        }
    };
    let stop = super::interrupt::flag();
    let threads = args.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")?;
    if !args.quiet {
        eprintln!(
            "brink: {} runs of {} with seed {seed} on {} threads",
            runs,
            sc.name,
            pool.current_num_threads()
        );
    }

    let started = Instant::now();
    let engine = Engine::new(sc, seed);
    let mut total = Aggregate::new(sc);
    let progress = super::progress::bar(range.end - range.start, args.quiet);
    let mut runs_tmp = if args.per_run {
        let tmp = output::temp_file(&out, "runs.csv")?;
        let mut w = output::csv_file_writer(BufWriter::new(tmp.reopen()?));
        w.write_record(output::runs_header(sc))
            .context("cannot write runs.csv")?;
        Some((tmp, w))
    } else {
        None
    };
    let mut done = range.start;
    let finished = pool.install(|| {
        engine.run_range_until(
            range.clone(),
            args.per_run,
            &stop,
            |chunk| -> anyhow::Result<()> {
                total.merge(&chunk.aggregate);
                if let (Some(rows), Some((_, w))) = (&chunk.rows, runs_tmp.as_mut()) {
                    output::runs_rows(w, sc, rows).context("cannot write runs.csv")?;
                }
                progress.inc(chunk.runs.end - chunk.runs.start);
                done = chunk.runs.end;
                Ok(())
            },
        )
    })?;
    progress.finish_and_clear();
    if !finished || stop.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Failure::Interrupted(format!(
            "brink: interrupted after {} of {} runs; nothing was written for this run \
             and {}",
            done - range.start,
            range.end - range.start,
            outdir.as_ref().map_or_else(
                || format!("other parts in {} are untouched", out.display()),
                |o| o.kept()
            )
        )));
    }
    let elapsed = started.elapsed().as_secs_f64();

    let Some(outdir) = outdir else {
        let shard = shard.expect("a run without a result folder is a shard");
        let path =
            super::part::write_run_part(&out, &loaded, seed, runs, shard, total, runs_tmp, &set)?;
        if !args.quiet {
            eprintln!(
                "brink: shard {shard}: runs {}..{} in {elapsed:.2}s; wrote {}",
                range.start,
                range.end,
                path.display()
            );
        }
        return Ok(());
    };

    output::write_summary(&out, sc, &total)?;
    output::write_timeline(&out, sc, &total)?;
    output::write_distributions(&out, sc, &total)?;
    if let Some((tmp, mut w)) = runs_tmp.take() {
        w.flush().context("cannot write runs.csv")?;
        drop(w);
        tmp.persist(out.join("runs.csv"))
            .map_err(|e| anyhow::Error::from(e.error))
            .context("cannot write runs.csv")?;
    }
    if let Some(n) = args.events {
        super::events::write_file(&out, &engine, n)?;
    }
    let mut manifest = manifest(&loaded, seed, runs, elapsed, pool.current_num_threads());
    manifest["overrides"] = super::overrides::manifest(&set);
    super::output::write_manifest(&out, &manifest)?;
    let out = outdir.commit()?;
    if !args.quiet {
        eprintln!(
            "brink: {} runs in {elapsed:.2}s ({}); wrote {}",
            super::charts::num::thousands(runs),
            super::progress::rate_text(runs, elapsed, "runs"),
            out.display()
        );
        for e in sc.metrics.events.iter().enumerate().take(6) {
            let k = total.event_count(e.0);
            eprintln!("  {:<28} {:>6.1}%", e.1.id, 100.0 * k as f64 / runs as f64);
        }
    }
    Ok(())
}

/// The manifest: everything needed to reproduce and audit a result. Fields under `invocation`
/// describe how this particular process ran and may differ between identical results.
pub fn manifest(
    loaded: &load::Loaded,
    seed: u64,
    runs: u64,
    elapsed: f64,
    threads: usize,
) -> serde_json::Value {
    let sc = &loaded.scenario;
    let sha = hex(&Sha256::digest(loaded.text.as_bytes()));
    let params: Vec<serde_json::Value> = sc
        .params
        .iter()
        .map(|p| {
            serde_json::json!({
                "path": p.path,
                "distribution": p.dist.to_toml_string(),
                "uncertain": !p.dist.is_fixed(),
                "mean": p.dist.mean(),
            })
        })
        .collect();
    serde_json::json!({
        "command": "run",
        "brink_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": sc.name,
            "path": loaded.path,
            "sha256": sha,
            "start_date": sc.start_date.to_string(),
            "horizon_days": sc.horizon,
            "ladder": sc.ladder.iter().map(|r| serde_json::json!({"id": r.id, "name": r.name})).collect::<Vec<_>>(),
        },
        "seed": seed,
        "runs": runs,
        "parameters": params,
        "invocation": super::output::invocation(threads, elapsed),
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
