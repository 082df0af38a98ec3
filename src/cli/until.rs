//! `brink run --given` and `brink run --precision`: runs filtered by what happened, and studies
//! whose end is decided by what they find.
//!
//! Usage: brink run SCENARIO.toml --given CONDITION... [--runs N | --target-runs N]
//!        brink run SCENARIO.toml --precision H [--given CONDITION...]
//!        [--max-runs N] [--per-run] [--seed S] [--threads T] [--out DIR] [--force] [--quiet]
//!
//! Both go through the one study path (`brink::study::drive` on the session's pool, the stop
//! flag, the output folder rule) and write the files of `brink run` over the runs they keep.
//!
//! - **--given** keeps the runs that satisfy every condition (`brink::given`), exactly, from
//!   each run's event days, with their daily states and rows; runs.csv keeps each run's own
//!   index, so `brink trace --run I` tells its story. Every file covers the whole horizon with
//!   probabilities *conditional on the conditions*: up to the last conditioning date they show
//!   what the evidence implies about the past (an event given as happened by D reaches 1 by D),
//!   after it the forecast. The manifest's `runs` is the number of kept runs, the effective
//!   number of runs (each kept run is an exact draw given the conditions, so it counts fully).
//! - **--target-runs N** simulates runs 0, 1, 2, ... in chunks and stops at the N-th kept run:
//!   the chunk in which it falls is simulated again up to it, so exactly runs 0 … r are
//!   simulated, r being the index of the N-th kept run, whatever the threads.
//! - **--precision H** checks after every block of `CHUNK` run indices (block boundaries are
//!   multiples of 1024, fixed in run indices) whether every event metric's Wilson 95%
//!   half-width is at most H, and stops at the first block that meets it: the result is that
//!   of `brink run --runs R` for the R it stops at.

use std::path::Path;

use anyhow::Context;
use brink::engine::{CHUNK, Engine};
use brink::stats::{Aggregate, widest_event};
use brink::until::{Failed, Options, Plan, Stop};

use super::load::Loaded;
use super::outdir::RUN_FILES;
use super::output::{self, Pending};
use super::run::Args;
use super::study::{Session, WriteManifest, run_manifest};
use super::{Failure, Result};

pub fn run(
    args: &Args,
    session: &Session,
    loaded: &Loaded,
    set: &[brink::scenario::overrides::Override],
) -> Result<()> {
    let sc = &loaded.scenario;
    let study = &args.study;
    let seed = study.engine.seed.unwrap_or(sc.default_seed);
    let quiet = study.output.quiet;
    let plan = Plan::new(
        sc,
        &Options {
            given: &args.given,
            runs: study.runs.runs,
            target_runs: args.target_runs,
            precision: args.precision,
            max_runs: args.max_runs,
        },
    )
    .map_err(Failure::Input)?;
    let (stop, max_runs, limit) = (plan.stop, plan.max_runs, plan.limit());
    let filtering = plan.filtering();
    let folder = match filtering {
        true => format!("{}_given", sc.name),
        false => sc.name.clone(),
    };
    let inputs = [args.scenario.clone()];
    let out = study.output.prepare(&folder, RUN_FILES, &inputs)?;
    let staging = out.staging().to_path_buf();
    if !quiet {
        let what = match stop {
            Stop::Fixed(n) => format!("{n} runs"),
            Stop::Target(n) => format!("runs until {n} are kept (at most {max_runs})"),
            Stop::Precision(h) => format!(
                "blocks of {CHUNK} runs until every event metric's 95% half-width is at most \
                 {h} (at most {max_runs} runs)"
            ),
        };
        say!(
            "brink: {what} of {} with seed {seed} on {} threads",
            sc.name,
            session.threads()
        );
        if filtering {
            let list: Vec<String> = plan.given.conditions.iter().map(|c| c.text(sc)).collect();
            say!("brink: keeping the runs in which {}", list.join(" and "));
        }
    }

    let engine = Engine::new(sc, seed);
    let progress = super::progress::bar(limit, quiet);
    let mut rows = match args.per_run {
        true => {
            let file = Pending::new(&staging, "runs.csv")?;
            let mut w = output::csv_file_writer(file.writer()?);
            output::header(&mut w, &brink::table::runs_columns(sc))
                .context("cannot write runs.csv")?;
            Some((file, w))
        }
        false => None,
    };
    let found = session.install(|| {
        brink::until::study(
            &engine,
            &plan,
            args.per_run,
            &session.stop,
            |r| -> anyhow::Result<()> {
                if let Some((_, w)) = rows.as_mut() {
                    brink::table::runs(sc, r, |cells| output::record(w, cells))
                        .context("cannot write runs.csv")?;
                }
                Ok(())
            },
            |n| progress.inc(n),
        )
    });
    progress.finish_and_clear();
    let found = match found {
        Ok(f) if !session.stopped() => f,
        Ok(f) => return Err(session.interrupted(f.simulated, limit, "runs", &out)),
        Err(Failed::Stopped { simulated }) => {
            return Err(session.interrupted(simulated, limit, "runs", &out));
        }
        Err(Failed::NoneKept(msg)) => return Err(Failure::Input(msg)),
        Err(Failed::Sink(e)) => return Err(e.into()),
    };
    let total = &found.total;
    let runs_csv = rows.take();
    if let Some((file, w)) = runs_csv {
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("{}", e.error()))
            .and_then(|mut b| Ok(std::io::Write::flush(&mut b)?))
            .context("cannot write runs.csv")?;
        file.commit()?;
    }
    output::write_summary(&staging, sc, total)?;
    output::write_timeline(&staging, sc, total)?;
    output::write_distributions(&staging, sc, total)?;
    let mut manifest = run_manifest(loaded, seed, found.kept, set, session.invocation());
    manifest.detail.given = found.given_detail(sc, &plan);
    manifest.detail.precision = found.precision_detail(sc, &plan);
    manifest.write(&staging)?;
    let dir = session.commit(out)?;
    report(
        sc,
        total,
        &Summary {
            stop,
            filtering,
            reached: found.reached,
            kept: found.kept,
            simulated: found.simulated,
            warnings: found.warnings(&plan),
            elapsed: session.elapsed(),
            dir: &dir,
        },
        quiet,
    );
    Ok(())
}

struct Summary<'a> {
    stop: Stop,
    filtering: bool,
    reached: bool,
    kept: u64,
    simulated: u64,
    warnings: Vec<String>,
    elapsed: f64,
    dir: &'a Path,
}

/// What the study did, on stderr; warnings (too few runs kept, a budget spent) even with
/// --quiet, since they are about what the result can be trusted for.
fn report(sc: &brink::model::Scenario, total: &Aggregate, s: &Summary, quiet: bool) {
    use super::charts::num::thousands;
    if s.filtering && !quiet {
        say!(
            "brink: kept {} of {} runs simulated ({:.1}%); effective number of runs {}",
            thousands(s.kept),
            thousands(s.simulated),
            100.0 * s.kept as f64 / s.simulated as f64,
            thousands(s.kept)
        );
    }
    for w in &s.warnings {
        say!("{w}");
    }
    let widest = widest_event(total).map_or((String::new(), 0.0), |(e, w)| {
        (sc.metrics.events[e].id.clone(), w)
    });
    match s.stop {
        Stop::Precision(h) if s.reached && !quiet => say!(
            "brink: every event metric's 95% half-width is at most {h} after {} runs ({} \
             blocks of {CHUNK}); widest: {}, {:.5}",
            thousands(s.simulated),
            s.simulated.div_ceil(CHUNK),
            widest.0,
            widest.1
        ),
        _ => {}
    }
    if quiet {
        return;
    }
    say!(
        "brink: {} runs simulated in {:.2}s; wrote {}",
        thousands(s.simulated),
        s.elapsed,
        s.dir.display()
    );
    super::run::digest(sc, total);
}
