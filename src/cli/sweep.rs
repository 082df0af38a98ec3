//! `brink sweep`: run a scenario at every point of a design and tabulate the metrics.
//!
//! Usage: brink sweep EXPERIMENT.toml [--runs N] [--seed S] [--threads T] [--out DIR] [--force]
//!        [--dry-run] [--resume] [--quiet]
//!        brink sweep SCENARIO.toml --vary KEY=LO..HI|KEY=A,B,C ... [--points N]
//!        [--design grid|lhs|list] [--metrics a,b] [--set KEY=VALUE]...
//!
//! Every point runs the same run indices with the same seed (common random numbers). Writes
//! points.csv (point, parameter, value), sweep.csv (point, metric, kind, n, mean, ci_low,
//! ci_high, sd, p05 ... p95) and manifest.json into DIR, by default a new folder
//! results/<experiment file name>_sweep/<UTC time>/ (results/<scenario>_sweep/... with --vary)
//! linked as latest, under the output folder rule of outdir.rs. Finished points are kept in a
//! hidden `.sweep.partial/` folder (inside DIR, or in results/<name>_sweep/ by default) until
//! the sweep completes, so an interrupted sweep continues with --resume and gives
//! byte-identical files.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use brink::engine::Engine;
use brink::model::Scenario;
use brink::scenario::diag::clip_quotes;
use brink::scenario::overrides::Override;
use brink::stats::Aggregate;
use brink::summary::summary;
use brink::sweep::{self, Design, Experiment};

use super::outdir::{OutDir, Plan, SWEEP_FILES};
use super::output::{atomic, csv_file_writer, record, write_table};
use super::study::{Manifest, Session, StudyArgs, WriteManifest, sha256};
use super::{Failure, Result, load};
use brink::manifest::SweepDetail;
use brink::table;

#[derive(clap::Args, Debug)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: a new folder results/<experiment file name>_sweep/<UTC \
     time>/, or results/<scenario name>_sweep/<UTC time>/ with --vary, linked as latest]"
)))]
#[command(mut_arg("runs", |a| a.help(
    "Runs per point [default: the experiment's `runs`, else the scenario's, else 10000]"
)))]
pub struct Args {
    /// Experiment file (TOML; see scenarios/study_us_threshold.toml), or with --vary a scenario
    /// file.
    pub input: PathBuf,
    /// Vary a parameter: KEY=LO..HI (a range) or KEY=A,B,C (values). Repeatable; makes INPUT a
    /// scenario.
    #[arg(long, value_name = "KEY=RANGE")]
    pub vary: Vec<String>,
    /// With --vary: LHS points, or grid levels of each range [default: 5].
    #[arg(long, value_parser = points_value, allow_negative_numbers = true)]
    pub points: Option<u64>,
    /// With --vary: the design [default: grid].
    #[arg(long, value_parser = ["grid", "lhs", "list"])]
    pub design: Option<String>,
    /// Metrics to report, comma-separated [default: the experiment's, else all].
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<String>,
    #[command(flatten)]
    pub study: StudyArgs,
    /// Print points × runs and a time estimate from a short pilot, and write nothing.
    #[arg(long, conflicts_with_all = ["resume", "force", "out"])]
    pub dry_run: bool,
    /// Continue an interrupted sweep without recomputing its finished points.
    #[arg(long)]
    pub resume: bool,
    /// Stop after computing this many points, as an interruption would (for tests).
    #[arg(long, hide = true)]
    pub stop_after: Option<u64>,
}

/// Any count: the design itself refuses none (an empty design) and one too large for memory,
/// with the figure.
fn points_value(s: &str) -> std::result::Result<u64, String> {
    s.trim()
        .parse()
        .map_err(|_| "expected a whole number of points".into())
}

/// The hidden folder of finished points, kept for --resume.
const PARTIAL: &str = ".sweep.partial";

/// The experiment with everything resolved (`brink::sweep::Study`: what the outputs depend
/// on), and where it came from and goes.
struct Study {
    study: sweep::Study,
    experiment_path: Option<PathBuf>,
    scenario_path: PathBuf,
    /// The folder of this study's results under results/: <name>_sweep.
    folder: String,
}

impl std::ops::Deref for Study {
    type Target = sweep::Study;
    fn deref(&self) -> &sweep::Study {
        &self.study
    }
}

/// Checks an experiment file, already read from `path`, as `brink sweep` reads it (the file,
/// its base scenario with the experiment's overrides, the design) without simulating; returns
/// a one-line summary.
pub fn check(path: &Path, text: String) -> Result<String> {
    let s = resolve(Source::Experiment(path, text), &[], &[], None, None)?;
    Ok(s.outline())
}

fn input(e: String) -> Failure {
    Failure::Input(format!("error: {e}\n"))
}

/// Where a study comes from.
enum Source<'a> {
    /// An experiment file and its text.
    Experiment(&'a Path, String),
    /// A scenario file with `--vary` flags: the design, its points and its `--vary`s.
    Flags {
        scenario: &'a Path,
        design: Design,
        points: u64,
        vary: &'a [String],
    },
}

fn study(args: &Args) -> Result<Study> {
    let source = if args.vary.is_empty() {
        if args.points.is_some() || args.design.is_some() {
            return Err(input(
                "--points and --design go with --vary; an experiment file sets its own design \
                 and points"
                    .into(),
            ));
        }
        let text = load::text(&args.input, "experiment", load::MAX_INPUT)?;
        Source::Experiment(&args.input, text)
    } else {
        let design = match args.design.as_deref() {
            Some("lhs") => Design::Lhs,
            Some("list") => Design::List,
            _ => Design::Grid,
        };
        Source::Flags {
            scenario: &args.input,
            design,
            points: args.points.unwrap_or(5),
            vary: &args.vary,
        }
    };
    let study = &args.study;
    resolve(
        source,
        &study.engine.set.parsed()?,
        &args.metrics,
        study.runs.runs,
        study.engine.seed,
    )
}

fn resolve(
    source: Source,
    set: &[Override],
    metrics: &[String],
    runs: Option<u64>,
    seed: Option<u64>,
) -> Result<Study> {
    let (experiment, experiment_path, scenario_path, name, text) = match source {
        Source::Experiment(path, text) => {
            let shown = path.display().to_string();
            let e = sweep::parse(&text, &shown).map_err(|e| Failure::Input(e.render()))?;
            let base = super::paths::relative_to(path, &e.scenario);
            let itself = super::paths::same_file(&base, path);
            let base_text = if itself {
                text
            } else {
                load::text(&base, "scenario", load::MAX_INPUT)?
            };
            if itself || is_experiment(&base_text) {
                return Err(Failure::Input(sweep::not_a_scenario(
                    &e.scenario,
                    &base.display().to_string(),
                    itself,
                    &shown,
                )));
            }
            let stem = path
                .file_stem()
                .map_or("sweep".into(), |s| s.to_string_lossy().into_owned());
            (e, Some(path.to_path_buf()), base, Some(stem), base_text)
        }
        Source::Flags {
            scenario,
            design,
            points,
            vary,
        } => {
            let vary = vary
                .iter()
                .map(|v| {
                    sweep::parse_vary(v).map_err(|e| input(format!("--vary {}", clip_quotes(&e))))
                })
                .collect::<Result<Vec<_>>>()?;
            let e = Experiment::new(scenario.display().to_string(), design, Some(points), vary);
            let text = load::text(scenario, "scenario", load::MAX_INPUT)?;
            if is_experiment(&text) {
                return Err(Failure::Input(sweep::vary_needs_a_scenario(
                    &scenario.display().to_string(),
                )));
            }
            (e, None, scenario.to_path_buf(), None, text)
        }
    };
    let study = sweep::study(
        experiment,
        &scenario_path,
        text,
        set,
        metrics,
        runs,
        seed,
        &mut load::read,
    )
    .map_err(Failure::Input)?;
    // Sweeps have folders of their own, so an experiment named like a scenario never writes
    // among that scenario's runs.
    let folder = format!("{}_sweep", name.as_deref().unwrap_or(&study.name));
    Ok(Study {
        study,
        experiment_path,
        scenario_path,
        folder,
    })
}

/// Whether a file's text is an experiment (`brink::sweep::is_experiment`).
pub fn is_experiment(text: &str) -> bool {
    sweep::is_experiment(text)
}

/// Parses the scenario at point `i`.
fn scenario_at(s: &Study, i: u64) -> Result<Scenario> {
    s.scenario_at(i).map_err(Failure::Input)
}

/// What the outputs depend on, hashed: a partial sweep is resumed only if it matches.
fn fingerprint(s: &Study) -> String {
    let key = serde_json::json!({
        "brink_version": env!("CARGO_PKG_VERSION"),
        "experiment": s.experiment,
        "scenario_sha256": sha256(s.text.as_bytes()),
        "base": s.base.iter().map(|o| format!("{}={}", o.key, o.value)).collect::<Vec<_>>(),
        "runs": s.runs,
        "seed": s.seed,
        "metrics": s.metrics,
    });
    sha256(key.to_string().as_bytes())
}

/// One point's aggregate, or None if the stop flag was raised before it finished.
fn simulate(
    session: &Session,
    sc: &Scenario,
    seed: u64,
    runs: u64,
    mut tick: impl FnMut(u64) + Send,
) -> Option<Aggregate> {
    let engine = Engine::new(sc, seed);
    let mut total = Aggregate::new(sc);
    let complete = session.install(|| {
        brink::study::runs(&engine, 0..runs, false, &session.stop, |c| {
            total.merge(&c.aggregate);
            tick(c.runs.end - c.runs.start);
            Ok::<(), std::convert::Infallible>(())
        })
    });
    matches!(complete, Ok(true)).then_some(total)
}

fn part_name(i: u64) -> String {
    format!("point-{i:08}.csv")
}

pub fn run(args: Args) -> Result<()> {
    let output = &args.study.output;
    let session = Session::start(args.study.engine.threads)?;
    let s = study(&args)?;
    let quiet = output.quiet;
    let n_points = s.points.len();
    let total_runs = n_points.checked_mul(s.runs).ok_or_else(|| {
        input(format!(
            "{n_points} points x {} runs is more runs than brink can count",
            s.runs
        ))
    })?;
    if args.dry_run {
        let sc = scenario_at(&s, 0)?;
        let pilot = s.runs.min(1024);
        let t = std::time::Instant::now();
        if simulate(&session, &sc, s.seed, pilot, |_| {}).is_none() {
            return Err(Failure::Interrupted(
                "brink: interrupted during the pilot; nothing was written".into(),
            ));
        }
        let rate = pilot as f64 / t.elapsed().as_secs_f64().max(1e-9);
        let line = format!(
            "{n_points} points x {} runs = {total_runs} runs; about {:.0} s on {} threads \
             (pilot: {pilot} runs of point 0 at {rate:.0} runs/s)",
            s.runs,
            total_runs as f64 / rate,
            session.threads()
        );
        // A reader that stops early (`| head`) is not a failure.
        let _ = writeln!(std::io::stdout().lock(), "{line}");
        return Ok(());
    }
    let inputs: Vec<PathBuf> = [Some(s.scenario_path.clone()), s.experiment_path.clone()]
        .into_iter()
        .flatten()
        .collect();
    let partial = match &output.out {
        Some(dir) => dir.join(PARTIAL),
        None => Path::new("results").join(&s.folder).join(PARTIAL),
    };
    let own = [PARTIAL];
    let plan = || Plan {
        inputs: &inputs,
        own: &own,
        ..Plan::new(output.dest(&s.folder), output.force, SWEEP_FILES)
    };
    // The folder rule first: a folder that holds files is refused before any point runs.
    OutDir::check(&plan())?;
    let fp = fingerprint(&s);
    let shown = partial.display();
    if partial.exists() {
        let theirs = std::fs::read_to_string(partial.join("fingerprint")).unwrap_or_default();
        if args.resume && theirs.trim() != fp {
            return Err(input(format!(
                "the interrupted sweep in {shown} was made from a different experiment, seed, \
                 runs or brink version; run without --resume to start it over"
            )));
        }
        if !args.resume {
            std::fs::remove_dir_all(&partial).with_context(|| format!("cannot remove {shown}"))?;
        }
    } else if args.resume && !quiet {
        say!("brink: nothing to resume in {shown}; starting");
    }
    super::outdir::make_dirs(&partial)?;
    atomic(&partial, "fingerprint", |w| {
        writeln!(w, "{fp}")?;
        Ok(())
    })?;
    if !quiet {
        say!(
            "brink: {n_points} points x {} runs with seed {} on {} threads",
            s.runs,
            s.seed,
            session.threads()
        );
    }
    let progress = super::progress::bar(total_runs, quiet);
    let mut computed = 0u64;
    for i in 0..n_points {
        if partial.join(part_name(i)).exists() {
            progress.inc(s.runs);
            continue;
        }
        if args.stop_after.is_some_and(|k| computed >= k) {
            progress.finish_and_clear();
            return Err(Failure::Other(anyhow::anyhow!(
                "stopped after {computed} points (--stop-after); continue with --resume"
            )));
        }
        let sc = scenario_at(&s, i)?;
        let Some(agg) = simulate(&session, &sc, s.seed, s.runs, |n| progress.inc(n)) else {
            progress.finish_and_clear();
            return Err(Failure::Interrupted(format!(
                "brink: interrupted; {i} of {n_points} points are kept in {shown} and \
                 `brink sweep --resume` continues from there; nothing else was written"
            )));
        };
        let rows = summary(&sc, &agg);
        atomic(&partial, &part_name(i), |w| {
            let mut c = csv_file_writer(w);
            table::sweep_point(i, &rows, &s.metrics, |cells| record(&mut c, cells))?;
            c.flush()?;
            Ok(())
        })?;
        computed += 1;
    }
    progress.finish_and_clear();
    let out = OutDir::prepare(plan())?;
    let staging = out.staging().to_path_buf();
    write_table(&staging, "points.csv", &table::points_columns(), |f| {
        table::points(&s.points, f)
    })?;
    atomic(&staging, "sweep.csv", |w| {
        // The header, then each finished point's rows as they were written.
        let names: Vec<String> = table::sweep_columns().into_iter().map(|c| c.name).collect();
        writeln!(w, "{}", names.join(","))?;
        for i in 0..n_points {
            let f = std::fs::File::open(partial.join(part_name(i)))?;
            for line in BufReader::new(f).lines() {
                writeln!(w, "{}", line?)?;
            }
        }
        Ok(())
    })?;
    let elapsed = session.elapsed();
    let detail = SweepDetail {
        experiment: &s.experiment,
        experiment_path: s.experiment_path.as_ref().map(|p| p.display().to_string()),
        points: n_points,
        metrics: &s.metrics,
    };
    let mut invocation = session.invocation();
    invocation.points_computed = Some(computed);
    let scenario = s.scenario_ref();
    Manifest::new("sweep", scenario, s.seed, s.runs, detail, invocation)
        .overrides(&s.base)
        .write(&staging)?;
    let dir = session.commit(out)?;
    std::fs::remove_dir_all(&partial).with_context(|| format!("cannot remove {shown}"))?;
    if !quiet {
        say!(
            "brink: {n_points} points ({computed} computed) in {elapsed:.2}s; wrote {}",
            dir.display()
        );
    }
    Ok(())
}
