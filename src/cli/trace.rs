//! `brink trace`: tell one run's story, or find the runs behind an outcome.
//!
//! Usage:
//!   brink trace SCENARIO.toml --run I [--seed S] [--all | --csv] [--out FILE]
//!   brink trace SCENARIO.toml --find METRIC [--count K] [--max-runs N] [--seed S] [--threads T]
//!       [--all | --csv] [--out FILE]
//!
//! `--run I` simulates run I exactly as `brink run` does (same streams, same outcomes) and
//! prints the days on which something happened, which rule fired and why, and the outcomes;
//! an act below the war rung that recurs all year is told once as routine unless `--all`.
//! `--find METRIC` scans runs 0, 1, 2, ... and prints the first K in which the event metric
//! happened; a quantity takes a condition, e.g. `--find 'war_duration_days>=30'`. `--csv`
//! writes the event log (the columns of events.csv) instead of the stories. Output goes to
//! stdout, or atomically to FILE with `--out`, which it replaces (never the scenario file).
//! `--find` runs through the study driver like every simulating command: in parallel, in run
//! order, and stopped by SIGINT or SIGTERM (exit 130, nothing written).

use std::io::Write;
use std::path::PathBuf;

use brink::engine::Engine;
use brink::trace::{Finding, Trace, stories_with, trace, trace_in};

use super::output::{atomic, file_target};
use super::study::{EngineArgs, Session, whole};
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
    /// With --find: how many runs to find (1 to 1000000).
    #[arg(long, default_value_t = 1, requires = "find", value_parser = count_value,
          allow_negative_numbers = true)]
    pub count: u64,
    /// With --find: search at most this many runs (0 .. N-1; N from 1 to 1000000000).
    #[arg(long, default_value_t = 1_000_000, requires = "find", value_parser = max_runs_value,
          allow_negative_numbers = true)]
    pub max_runs: u64,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Write the event log as CSV instead of the story.
    #[arg(long)]
    pub csv: bool,
    /// Tell every event: routine acts (the same low-level act recurring at least five times,
    /// such as near-daily strikes) are otherwise told once.
    #[arg(long, conflicts_with = "csv")]
    pub all: bool,
    /// Write to this file instead of stdout, replacing it; the scenario file itself is refused.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn count_value(s: &str) -> std::result::Result<u64, String> {
    whole(s, 1, 1_000_000)
}

fn max_runs_value(s: &str) -> std::result::Result<u64, String> {
    whole(s, 1, brink::scenario::MAX_RUNS)
}

pub fn run(args: Args) -> Result<()> {
    if args.find.is_none() && args.engine.threads.is_some() {
        return Err(Failure::Input(
            "error: --threads goes with --find: one traced run takes one thread\n".into(),
        ));
    }
    // A search is a study: its interrupt flag goes in before anything else.
    let session = match &args.find {
        Some(_) => Some(Session::start(args.engine.threads)?),
        None => None,
    };
    let loaded = overrides::load(&args.scenario, &args.engine.set.parsed()?)?;
    let sc = &loaded.scenario;
    // Checked before a search starts, and against every file the scenario reads (its
    // `extends` chain too), not only the one named on the command line.
    let target = match &args.out {
        Some(path) => Some(file_target(
            path,
            &super::paths::inputs(&args.scenario, &sc.sources),
            "--out",
            "trace.txt",
        )?),
        None => None,
    };
    let seed = args.engine.seed.unwrap_or(sc.default_seed);
    let engine = Engine::new(sc, seed);
    let (traces, header) = match (&args.find, &session) {
        (Some(metric), Some(session)) => find(session, &engine, metric, &args)?,
        _ => match args.run {
            Some(run) => (vec![trace(&engine, run)], String::new()),
            None => unreachable!("clap requires --run or --find"),
        },
    };
    let fill = |w: &mut dyn Write| -> anyhow::Result<()> {
        if args.csv {
            events::write(w, sc, &traces)
        } else {
            Ok(w.write_all(stories_with(sc, &header, &traces, args.all).as_bytes())?)
        }
    };
    match &target {
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
        Some((dir, name)) => atomic(dir, name, |w| fill(w))?,
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

/// The first `count` runs below `max` in which `finding` holds, on the session's workers
/// (`brink::trace::search`); `None` if the stop flag was raised first.
fn search(
    session: &Session,
    engine: &Engine,
    finding: &Finding,
    count: u64,
    max: u64,
) -> Option<Vec<u64>> {
    session.install(|| brink::trace::search(engine, finding, count, max, &session.stop))
}

fn find(
    session: &Session,
    engine: &Engine,
    metric: &str,
    args: &Args,
) -> Result<(Vec<Trace>, String)> {
    let sc = engine.scenario;
    let finding = Finding::parse(sc, metric).map_err(|e| {
        Failure::Input(format!("error: {}", brink::scenario::diag::clip_quotes(&e)))
    })?;
    let max = args.max_runs;
    let Some(found) = search(session, engine, &finding, args.count, max) else {
        return Err(Failure::Interrupted(
            "brink: interrupted during the search; nothing was written".into(),
        ));
    };
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
    let header = brink::trace::found_header(metric, &found, args.count, max, engine.seed);
    if (found.len() as u64) < args.count {
        say!(
            "brink: only {} of the {} runs asked for have {name} among the first {max}",
            found.len(),
            args.count
        );
    }
    say!("brink: {header}");
    let mut ws = engine.workspace();
    let traces = found
        .iter()
        .map(|&r| trace_in(engine, &mut ws, r))
        .collect();
    Ok((traces, header))
}
