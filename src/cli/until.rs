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
use brink::given::{ConditionError, Given};
use brink::stats::{Aggregate, widest_event};
use brink::study::{self, Ended, Flow, Kept, Pace};

use super::load::Loaded;
use super::outdir::RUN_FILES;
use super::output::{self, Pending};
use super::run::{Args, FEW_RUNS};
use super::study::{Session, WriteManifest, run_manifest};
use super::{Failure, Result, quote};
use brink::manifest::{GivenDetail, PrecisionDetail};

/// When the study stops.
#[derive(Clone, Copy, Debug)]
enum Stop {
    /// After a fixed number of runs (--runs).
    Fixed(u64),
    /// At the N-th kept run (--target-runs).
    Target(u64),
    /// At the end of the first block meeting the half-width (--precision).
    Precision(f64),
}

/// Renders a refused condition under its text, with carets under the bad part.
pub fn condition_message(text: &str, e: &ConditionError) -> String {
    let shown = quote(text);
    let visible = shown.chars().count();
    let col = text[..e.span.start.min(text.len())]
        .chars()
        .count()
        .min(visible);
    let width = text
        .get(e.span.clone())
        .map_or(1, |s| s.chars().count())
        .clamp(1, visible.saturating_sub(col).max(1));
    let mut msg = format!(
        "error: --given `{}`: {}\n   |\n   | {shown}\n   | {}{}\n",
        shown,
        e.message,
        " ".repeat(col),
        "^".repeat(width)
    );
    if let Some(h) = &e.help {
        msg.push_str(&format!("  = help: {h}\n"));
    }
    msg
}

/// Parses every --given, reporting all the bad ones at once.
fn conditions(loaded: &Loaded, texts: &[String]) -> Result<Given> {
    let sc = &loaded.scenario;
    let mut given = Given::default();
    let mut errors = String::new();
    for t in texts {
        match brink::given::parse(sc, t) {
            Ok(c) => given.conditions.push(c),
            Err(e) => {
                errors.push_str(&condition_message(t, &e));
                errors.push('\n');
            }
        }
    }
    if !errors.is_empty() {
        return Err(Failure::Input(errors));
    }
    if let Some(clash) = given.contradiction(sc.horizon) {
        let list: Vec<String> = clash
            .iter()
            .map(|&i| format!("`{}`", given.conditions[i].text(sc)))
            .collect();
        return Err(Failure::Input(format!(
            "error: --given: no run can satisfy {} together: they contradict each other\n",
            list.join(" and ")
        )));
    }
    Ok(given)
}

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
    let given = conditions(loaded, &args.given)?;
    let filtering = !given.conditions.is_empty();
    if args.max_runs.is_some() && args.target_runs.is_none() && args.precision.is_none() {
        return Err(Failure::Input(
            "error: --max-runs goes with --target-runs or --precision, which decide when to \
             stop; with --given alone, --runs runs are simulated\n"
                .into(),
        ));
    }
    let max_runs = args.max_runs.unwrap_or(DEFAULT_MAX_RUNS);
    let stop = match (args.target_runs, args.precision) {
        (Some(n), _) => Stop::Target(n),
        (None, Some(h)) => Stop::Precision(h),
        (None, None) => Stop::Fixed(study.runs.runs.unwrap_or(sc.default_runs)),
    };
    let limit = match stop {
        Stop::Fixed(n) => n,
        _ => max_runs,
    };
    if let Stop::Target(n) = stop
        && n > max_runs
    {
        return Err(Failure::Input(format!(
            "error: --target-runs {n} asks to keep more runs than the {max_runs} --max-runs \
             allows to simulate\n"
        )));
    }
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
            let list: Vec<String> = given.conditions.iter().map(|c| c.text(sc)).collect();
            say!("brink: keeping the runs in which {}", list.join(" and "));
        }
    }

    let engine = Engine::new(sc, seed);
    let mut total = Aggregate::new(sc);
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
    let mut kept_total = 0u64;
    let mut simulated = 0u64;
    let stop_flag = &session.stop;
    let work = |r: std::ops::Range<u64>| -> Option<Kept> {
        if filtering {
            study::chunk_given(&engine, r, args.per_run, &given, stop_flag)
        } else {
            study::chunk(&engine, r, args.per_run, stop_flag).map(|chunk| Kept {
                kept: Vec::new(),
                chunk,
            })
        }
    };
    let ended = session.install(|| {
        study::drive(
            0..limit,
            Pace::RUNS,
            stop_flag,
            work,
            |mut k: Kept| -> anyhow::Result<Flow> {
                let here = match filtering {
                    true => k.kept.len() as u64,
                    false => k.chunk.runs.end - k.chunk.runs.start,
                };
                let mut flow = Flow::Continue;
                let done = k.chunk.runs.end - k.chunk.runs.start;
                if let Stop::Target(n) = stop
                    && kept_total + here >= n
                {
                    // Exactly runs 0 … r, r the N-th kept run: simulate this chunk again up
                    // to it (a chunk is at most 1024 runs).
                    let need = (n - kept_total) as usize;
                    let cut = k.kept[need - 1] + 1;
                    if cut < k.chunk.runs.end {
                        let Some(again) = study::chunk_given(
                            &engine,
                            k.chunk.runs.start..cut,
                            args.per_run,
                            &given,
                            stop_flag,
                        ) else {
                            return Ok(Flow::Enough);
                        };
                        k = again;
                    }
                    flow = Flow::Enough;
                }
                total.merge(&k.chunk.aggregate);
                kept_total += match filtering {
                    true => k.kept.len() as u64,
                    false => k.chunk.runs.end - k.chunk.runs.start,
                };
                simulated = k.chunk.runs.end;
                if let (Some(r), Some((_, w))) = (&k.chunk.rows, rows.as_mut()) {
                    brink::table::runs(sc, r, |cells| output::record(w, cells))
                        .context("cannot write runs.csv")?;
                }
                progress.inc(done);
                if let Stop::Precision(h) = stop
                    && widest_event(&total).is_none_or(|(_, w)| w <= h)
                {
                    flow = Flow::Enough;
                }
                Ok(flow)
            },
        )
    })?;
    progress.finish_and_clear();
    if ended == Ended::Stopped || session.stopped() {
        return Err(session.interrupted(simulated, limit, "runs", &out));
    }
    let reached = ended == Ended::Enough;
    if kept_total == 0 {
        let list: Vec<String> = given.conditions.iter().map(|c| c.text(sc)).collect();
        return Err(Failure::Input(format!(
            "error: none of the {simulated} runs simulated satisfies {}; nothing was written\n  \
             = help: the conditions may be impossible in this scenario, or rare: try \
             --target-runs N (with a larger --max-runs)\n",
            list.join(" and ")
        )));
    }
    let runs_csv = rows.take();
    if let Some((file, w)) = runs_csv {
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("{}", e.error()))
            .and_then(|mut b| Ok(std::io::Write::flush(&mut b)?))
            .context("cannot write runs.csv")?;
        file.commit()?;
    }
    output::write_summary(&staging, sc, &total)?;
    output::write_timeline(&staging, sc, &total)?;
    output::write_distributions(&staging, sc, &total)?;
    let widest = widest_event(&total);
    let mut manifest = run_manifest(loaded, seed, kept_total, set, session.invocation());
    if filtering {
        manifest.detail.given = Some(GivenDetail {
            conditions: given.conditions.iter().map(|c| c.text(sc)).collect(),
            through: given
                .through()
                .map(|d| sc.date(d).to_string())
                .unwrap_or_default(),
            simulated_runs: simulated,
            effective_runs: kept_total,
            target_runs: args.target_runs,
            max_runs: args.target_runs.map(|_| max_runs),
        });
    }
    if let Stop::Precision(h) = stop {
        manifest.detail.precision = Some(PrecisionDetail {
            half_width: h,
            block: CHUNK,
            max_runs,
            reached,
            widest_metric: widest.map(|(e, _)| sc.metrics.events[e].id.clone()),
            widest_half_width: widest.map(|(_, w)| w),
        });
    }
    manifest.write(&staging)?;
    let dir = session.commit(out)?;
    report(
        sc,
        &total,
        &Summary {
            stop,
            filtering,
            reached,
            kept: kept_total,
            simulated,
            max_runs,
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
    max_runs: u64,
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
    if s.filtering && s.kept < FEW_RUNS {
        say!(
            "brink: warning: only {} runs are kept: below {FEW_RUNS}, a probability's 95% \
             interval is wider than ±5 points; simulate more (--runs, or --target-runs)",
            s.kept
        );
    }
    let widest = widest_event(total).map_or((String::new(), 0.0), |(e, w)| {
        (sc.metrics.events[e].id.clone(), w)
    });
    match s.stop {
        Stop::Target(n) if !s.reached => say!(
            "brink: warning: --max-runs {} spent with {} of the {n} runs asked for kept",
            thousands(s.max_runs),
            thousands(s.kept)
        ),
        Stop::Precision(h) if !s.reached => say!(
            "brink: warning: --max-runs {} spent before every event metric reached a 95% \
             half-width of {h}; widest: {}, {:.5}",
            thousands(s.max_runs),
            widest.0,
            widest.1
        ),
        Stop::Precision(h) if !quiet => say!(
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

/// The budget of --target-runs and --precision without --max-runs, as for `trace --find`.
const DEFAULT_MAX_RUNS: u64 = 1_000_000;
