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
use brink::summary::{SummaryRow, summary};
use brink::sweep::{self, Design, Experiment, Points};
use serde::Serialize;

use super::outdir::{OutDir, Plan, SWEEP_FILES};
use super::output::{atomic, csv_file_writer, num, summary_cells};
use super::study::{Manifest, ScenarioRef, Session, StudyArgs, sha256};
use super::{Failure, Result, load, overrides, quote};

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

/// The experiment with everything resolved: what the outputs depend on.
struct Study {
    experiment: Experiment,
    experiment_path: Option<PathBuf>,
    scenario_path: PathBuf,
    text: String,
    base: Vec<Override>,
    runs: u64,
    seed: u64,
    points: Points,
    metrics: Vec<String>,
    /// The folder of this study's results under results/: <name>_sweep.
    folder: String,
    name: String,
    /// The files the scenario was read from, and its as-of date, for the manifest.
    files: Vec<brink::model::SourceFile>,
    as_of: Option<String>,
}

/// What a sweep's manifest records beyond the common fields.
#[derive(Serialize)]
struct Detail<'a> {
    experiment: &'a Experiment,
    experiment_path: Option<String>,
    points: u64,
    metrics: &'a [String],
}

/// Checks an experiment file, already read from `path`, as `brink sweep` reads it (the file,
/// its base scenario with the experiment's overrides, the design) without simulating; returns
/// a one-line summary.
pub fn check(path: &Path, text: String) -> Result<String> {
    let s = resolve(Source::Experiment(path, text), &[], &[], None, None)?;
    Ok(format!(
        "experiment on {}: {} points x {} runs",
        s.scenario_path.display(),
        s.points.len(),
        s.runs
    ))
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
                return Err(input(format!(
                    "the experiment's `scenario = \"{}\"` names {}, not a scenario\n  = help: \
                     name the scenario file the experiment varies, relative to {}",
                    quote(&e.scenario),
                    if itself {
                        "the experiment itself".to_string()
                    } else {
                        format!(
                            "an experiment file ({})",
                            quote(&base.display().to_string())
                        )
                    },
                    quote(&shown)
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
            (e, None, scenario.to_path_buf(), None, text)
        }
    };
    let mut base = experiment
        .set
        .iter()
        .map(|s| Override::parse(s).map_err(|e| input(format!("set: {}", clip_quotes(&e)))))
        .collect::<Result<Vec<_>>>()?;
    base.extend(set.iter().cloned());
    let loaded = overrides::loaded(&scenario_path, text, &base)?;
    let sc = &loaded.scenario;
    let runs = runs.or(experiment.runs).unwrap_or(sc.default_runs);
    if runs == 0 || runs > brink::scenario::MAX_RUNS {
        return Err(input(format!(
            "runs must be between 1 and {}, got {runs}",
            brink::scenario::MAX_RUNS
        )));
    }
    let seed = seed.or(experiment.seed).unwrap_or(sc.default_seed);
    let points = Points::new(&experiment, seed).map_err(|e| input(clip_quotes(&e).into_owned()))?;
    // A key that holds a whole number (a horizon, a count) takes whole numbers only: say so now
    // rather than at the point that first gives it a fraction.
    for (j, key) in points.keys.iter().enumerate() {
        if brink::scenario::overrides::is_integer(&loaded.text, key)
            && let Some(v) = points.values(j).iter().find(|v| v.fract() != 0.0)
        {
            return Err(input(format!(
                "`{}` takes whole numbers, but the design gives it {v}\n  = help: give whole \
                 values (values = [30, 60, 90]), or a range whose levels fall on whole numbers",
                quote(key)
            )));
        }
    }
    // Every varied key must exist: check once with the first point's values.
    let mut first = base.clone();
    first.extend(point_overrides(&points, 0));
    let edited = overrides::apply(&loaded.text, &first)?;
    brink::scenario::parse(&edited, &loaded.path)
        .map_err(|e| Failure::Input(overrides::render(e, &first)))?;
    let all: Vec<String> = sc
        .metrics
        .events
        .iter()
        .map(|m| m.id.clone())
        .chain(sc.metrics.quantities.iter().map(|m| m.id.clone()))
        .collect();
    let wanted = if !metrics.is_empty() {
        metrics.to_vec()
    } else {
        experiment.metrics.clone().unwrap_or_else(|| all.clone())
    };
    for m in &wanted {
        if !all.contains(m) {
            let names: Vec<&str> = all.iter().map(String::as_str).collect();
            return Err(input(format!(
                "unknown metric `{}`\n  = help: {}",
                quote(m),
                brink::scenario::diag::suggest(m, &names)
            )));
        }
    }
    // Sweeps have folders of their own, so an experiment named like a scenario never writes
    // among that scenario's runs.
    let folder = format!("{}_sweep", name.as_deref().unwrap_or(&sc.name));
    Ok(Study {
        experiment,
        experiment_path,
        scenario_path,
        text: loaded.text,
        base,
        runs,
        seed,
        points,
        metrics: wanted,
        folder,
        name: sc.name.clone(),
        files: sc.sources.clone(),
        as_of: sc.as_of.map(|d| d.to_string()),
    })
}

/// Whether a file's text is an experiment: its top-level `scenario` is a file name, not a
/// table.
pub fn is_experiment(text: &str) -> bool {
    text.parse::<toml::Table>()
        .ok()
        .is_some_and(|t| t.get("scenario").is_some_and(toml::Value::is_str))
}

fn point_overrides(points: &Points, i: u64) -> Vec<Override> {
    points
        .keys
        .iter()
        .zip(points.point(i))
        .map(|(k, v)| Override {
            key: k.clone(),
            // `{:?}` keeps a decimal point, so TOML reads a float even for whole numbers; an
            // integer key takes it as its integer.
            value: format!("{v:?}"),
        })
        .collect()
}

/// Parses the scenario at point `i`.
fn scenario_at(s: &Study, i: u64) -> Result<Scenario> {
    let mut set = s.base.clone();
    set.extend(point_overrides(&s.points, i));
    let text = overrides::apply(&s.text, &set)?;
    let shown = format!("{} (point {i})", s.scenario_path.display());
    brink::scenario::parse(&text, &shown).map_err(|e| Failure::Input(overrides::render(e, &set)))
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

fn record(point: u64, r: &SummaryRow) -> Vec<String> {
    let mut rec = vec![point.to_string()];
    rec.extend(summary_cells(r));
    rec
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
            for m in &s.metrics {
                if let Some(r) = rows.iter().find(|r| &r.metric == m) {
                    c.write_record(record(i, r))?;
                }
            }
            c.flush()?;
            Ok(())
        })?;
        computed += 1;
    }
    progress.finish_and_clear();
    let out = OutDir::prepare(plan())?;
    let staging = out.staging().to_path_buf();
    atomic(&staging, "points.csv", |w| {
        let mut c = csv_file_writer(w);
        c.write_record(["point", "parameter", "value"])?;
        for i in 0..n_points {
            for (k, v) in s.points.keys.iter().zip(s.points.point(i)) {
                c.write_record([i.to_string(), k.clone(), num(v)])?;
            }
        }
        c.flush()?;
        Ok(())
    })?;
    atomic(&staging, "sweep.csv", |w| {
        writeln!(
            w,
            "point,metric,kind,n,mean,ci_low,ci_high,sd,p05,p25,p50,p75,p95"
        )?;
        for i in 0..n_points {
            let f = std::fs::File::open(partial.join(part_name(i)))?;
            for line in BufReader::new(f).lines() {
                writeln!(w, "{}", line?)?;
            }
        }
        Ok(())
    })?;
    let elapsed = session.elapsed();
    let detail = Detail {
        experiment: &s.experiment,
        experiment_path: s.experiment_path.as_ref().map(|p| p.display().to_string()),
        points: n_points,
        metrics: &s.metrics,
    };
    let mut invocation = session.invocation();
    invocation.points_computed = Some(computed);
    let scenario = ScenarioRef {
        name: s.name.clone(),
        path: s.scenario_path.display().to_string(),
        sha256: sha256(s.text.as_bytes()),
        files: s.files.clone(),
        as_of: s.as_of.clone(),
        calendar: None,
    };
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
