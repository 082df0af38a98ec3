//! `brink trace`: tell one run's story, or find the runs behind an outcome.
//!
//! Usage:
//!   brink trace SCENARIO.toml --run I [--seed S] [--csv] [--out FILE]
//!   brink trace SCENARIO.toml --find METRIC [--count K] [--max-runs N] [--seed S] [--threads T]
//!       [--csv] [--out FILE]
//!
//! `--run I` simulates run I exactly as `brink run` does (same streams, same outcomes) and
//! prints the days on which something happened, which rule fired and why, and the outcomes.
//! `--find METRIC` scans runs 0, 1, 2, ... and prints the first K in which the event metric
//! happened; a quantity takes a condition, e.g. `--find 'war_duration_days>=30'`. `--csv`
//! writes the event log (the columns of events.csv) instead of the stories. Output goes to
//! stdout, or atomically to FILE with `--out`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use brink::engine::{CHUNK, Engine};
use brink::model::Scenario;
use brink::trace::{Finding, Trace, render, trace, trace_in};
use rayon::prelude::*;

use super::output::atomic;
use super::{Failure, Result, events, overrides};

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["run", "find"])))]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The run index to trace (0-based, as in runs.csv).
    #[arg(long)]
    pub run: Option<u64>,
    /// Find runs in which this metric happened: an event metric, or a quantity with a
    /// condition such as 'war_duration_days>=30'.
    #[arg(long, value_name = "METRIC")]
    pub find: Option<String>,
    /// With --find: how many runs to find.
    #[arg(long, default_value_t = 1, requires = "find")]
    pub count: u64,
    /// With --find: search at most this many runs (0 .. N-1).
    #[arg(long, default_value_t = 1_000_000, requires = "find")]
    pub max_runs: u64,
    /// Master seed [default: the scenario's `seed`, else 20251229].
    #[arg(long)]
    pub seed: Option<u64>,
    /// With --find: worker threads for the search [default: all cores]. Results do not
    /// depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write the event log as CSV instead of the story.
    #[arg(long)]
    pub csv: bool,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub set: overrides::SetArgs,
}

pub fn run(args: Args) -> Result<()> {
    let loaded = overrides::load(&args.scenario, &args.set.parsed()?)?;
    let sc = &loaded.scenario;
    let seed = args.seed.unwrap_or(sc.default_seed);
    let engine = Engine::new(sc, seed);
    let (traces, header) = match (&args.find, args.run) {
        (Some(metric), _) => find(&engine, metric, &args)?,
        (None, Some(run)) => (vec![trace(&engine, run)], String::new()),
        (None, None) => unreachable!("clap requires --run or --find"),
    };
    let fill = |w: &mut dyn Write| -> anyhow::Result<()> {
        if args.csv {
            events::write(w, sc, &traces)
        } else {
            write_stories(w, sc, &header, &traces)
        }
    };
    match &args.out {
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            // A reader that stops early (`| head`) is not a failure.
            match fill(&mut lock).and_then(|_| Ok(lock.flush()?)) {
                Err(e) if !broken_pipe(&e) => {
                    return Err(e.context("cannot write to stdout").into());
                }
                _ => {}
            }
        }
        Some(path) => {
            let (dir, name) = split(path)?;
            atomic(&dir, &name, |w| fill(w))?;
        }
    }
    Ok(())
}

fn write_stories(
    w: &mut dyn Write,
    sc: &Scenario,
    header: &str,
    traces: &[Trace],
) -> anyhow::Result<()> {
    if !header.is_empty() {
        writeln!(w, "{header}")?;
    }
    for (i, t) in traces.iter().enumerate() {
        if i > 0 || !header.is_empty() {
            writeln!(w)?;
        }
        w.write_all(render(sc, t).as_bytes())?;
    }
    Ok(())
}

pub fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|x| x.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|x| {
                matches!(x.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

/// A path's directory and file name, for an atomic write.
fn split(path: &Path) -> Result<(PathBuf, String)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            Failure::Input(format!(
                "error: --out `{}` names no file; give a file path such as trace.txt",
                path.display()
            ))
        })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// The first `count` runs below `max` in which `finding` holds, in index order. Batches start
/// small, so a common outcome is found at once even in a debug build, and double up to a
/// full load of chunks; each batch is split across the pool and read in run order, so the runs
/// found do not depend on the number of threads.
fn search(engine: &Engine, finding: &Finding, count: u64, max: u64) -> Vec<u64> {
    let sc = engine.scenario;
    let threads = rayon::current_num_threads() as u64;
    let full = CHUNK * threads * 4;
    let mut found = Vec::new();
    let (mut start, mut size) = (0, 64);
    while start < max {
        let end = (start + size).min(max);
        let piece = (end - start).div_ceil(threads);
        let results: Vec<_> = (0..threads)
            .into_par_iter()
            .map(|k| {
                let lo = (start + k * piece).min(end);
                let hi = (lo + piece).min(end);
                engine.run_chunk(lo..hi, true)
            })
            .collect();
        for chunk in &results {
            let Some(rows) = &chunk.rows else { continue };
            for i in 0..rows.len() {
                let (run, first, values, _) = rows.row(i);
                if finding.holds(sc, first, values) {
                    found.push(run);
                    if found.len() as u64 == count {
                        return found;
                    }
                }
            }
        }
        start = end;
        size = (size * 2).min(full);
    }
    found
}

fn find(engine: &Engine, metric: &str, args: &Args) -> Result<(Vec<Trace>, String)> {
    let sc = engine.scenario;
    let finding = Finding::parse(sc, metric).map_err(|e| Failure::Input(format!("error: {e}")))?;
    if args.count == 0 {
        return Err(Failure::Input("error: --count must be at least 1".into()));
    }
    let max = args.max_runs;
    if max == 0 || max > super::run::MAX_RUNS {
        return Err(Failure::Input(format!(
            "error: --max-runs must be between 1 and {}, got {max}",
            super::run::MAX_RUNS
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start worker threads")?;
    let found = pool.install(|| search(engine, &finding, args.count, max));
    let name = finding.metric(sc);
    if found.is_empty() {
        return Err(Failure::Other(anyhow::anyhow!(
            "no run among the first {max} (runs 0 to {}, seed {}) has `{metric}`: it is rarer \
             than that or cannot happen in this scenario. Raise --max-runs, or check its \
             probability with `brink run`",
            max - 1,
            engine.seed
        )));
    }
    let searched = if found.len() as u64 == args.count {
        found[found.len() - 1] + 1
    } else {
        max
    };
    let list: Vec<String> = found.iter().map(u64::to_string).collect();
    let header = format!(
        "Found {} run{} with {metric} in {searched} runs searched (runs 0 to {}, seed {}): {}.",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        searched - 1,
        engine.seed,
        list.join(", ")
    );
    if (found.len() as u64) < args.count {
        eprintln!(
            "brink: only {} of the {} runs asked for have {name} among the first {max}",
            found.len(),
            args.count
        );
    }
    eprintln!("brink: {header}");
    let mut ws = engine.workspace();
    let traces = found
        .iter()
        .map(|&r| trace_in(engine, &mut ws, r))
        .collect();
    Ok((traces, header))
}
