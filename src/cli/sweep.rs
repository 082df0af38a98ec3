//! `brink sweep`: run a scenario at every point of a design and tabulate the metrics.
//!
//! Usage: brink sweep EXPERIMENT.toml [--runs N] [--seed S] [--threads T] [--out DIR]
//!        [--dry-run] [--resume] [--quiet]
//!        brink sweep SCENARIO.toml --vary KEY=LO..HI|KEY=A,B,C ... [--points N]
//!        [--design grid|lhs|list] [--metrics a,b] [--set KEY=VALUE]...
//!
//! Every point runs the same run indices with the same seed (common random numbers). Writes
//! points.csv (point, parameter, value), sweep.csv (point, metric, kind, n, mean, ci_low,
//! ci_high, sd, p05 ... p95) and manifest.json into DIR, by default results/<experiment>/.
//! Finished points are kept in DIR/.sweep.partial/ until the sweep completes, so an
//! interrupted sweep continues with --resume and gives byte-identical files.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use brink::engine::Engine;
use brink::model::Scenario;
use brink::scenario::overrides::Override;
use brink::stats::Aggregate;
use brink::summary::{SummaryRow, summary};
use brink::sweep::{self, Design, Experiment, Points};
use sha2::{Digest, Sha256};

use super::output::{atomic, csv_file_writer, num};
use super::overrides::{self, SetArgs};
use super::run::{MAX_RUNS, hex};
use super::{Failure, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Experiment file (TOML), or with --vary a scenario file.
    pub input: PathBuf,
    /// Vary a parameter: KEY=LO..HI (a range) or KEY=A,B,C (values). Repeatable; makes INPUT a
    /// scenario.
    #[arg(long, value_name = "KEY=RANGE")]
    pub vary: Vec<String>,
    /// Points: LHS points, or grid levels of each range [with --vary; default 5].
    #[arg(long)]
    pub points: Option<u64>,
    /// Design with --vary.
    #[arg(long, value_parser = ["grid", "lhs", "list"], default_value = "grid")]
    pub design: String,
    /// Metrics to report, comma-separated [default: the experiment's, else all].
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<String>,
    #[command(flatten)]
    pub set: SetArgs,
    /// Runs per point [default: the experiment's, else the scenario's, else 10000].
    #[arg(long)]
    pub runs: Option<u64>,
    /// Master seed, shared by every point.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory [default: results/<experiment or scenario name>_sweep].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print points × runs and a time estimate from a short pilot, and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Continue an interrupted sweep in DIR without recomputing its finished points.
    #[arg(long)]
    pub resume: bool,
    /// No progress or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Stop after computing this many points, as an interruption would (for tests).
    #[arg(long, hide = true)]
    pub stop_after: Option<u64>,
}

const PARTIAL: &str = ".sweep.partial";

/// The experiment with everything resolved: what the outputs depend on.
struct Study {
    experiment: Experiment,
    scenario_path: PathBuf,
    text: String,
    base: Vec<Override>,
    runs: u64,
    seed: u64,
    points: Points,
    metrics: Vec<String>,
    default_out: PathBuf,
    name: String,
}

/// Checks an experiment file as `brink sweep` reads it (the file, its base scenario with the
/// experiment's overrides, the design) without simulating; returns a one-line summary.
pub fn check(path: &Path) -> Result<String> {
    #[derive(clap::Parser)]
    struct Wrap {
        #[command(flatten)]
        args: Args,
    }
    let wrap = <Wrap as clap::Parser>::try_parse_from([
        std::ffi::OsStr::new("brink-sweep"),
        path.as_os_str(),
    ])
    .map_err(|e| input(format!("cannot read experiment `{}`: {e}", path.display())))?;
    let s = study(&wrap.args)?;
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

fn study(args: &Args) -> Result<Study> {
    let (experiment, scenario_path, default_name) = if args.vary.is_empty() {
        let shown = args.input.display().to_string();
        let text = std::fs::read_to_string(&args.input)
            .map_err(|e| input(format!("cannot read experiment `{shown}`: {e}")))?;
        let e = sweep::parse(&text, &shown).map_err(|e| Failure::Input(e.render()))?;
        let dir = args.input.parent().unwrap_or(Path::new(""));
        let path = dir.join(&e.scenario);
        let stem = args
            .input
            .file_stem()
            .map_or("sweep".into(), |s| s.to_string_lossy().into_owned());
        (e, path, stem)
    } else {
        let vary = args
            .vary
            .iter()
            .map(|v| sweep::parse_vary(v).map_err(|e| input(format!("--vary {e}"))))
            .collect::<Result<Vec<_>>>()?;
        let design = match args.design.as_str() {
            "lhs" => Design::Lhs,
            "list" => Design::List,
            _ => Design::Grid,
        };
        let points = args.points.or(Some(5));
        let e = Experiment::new(args.input.display().to_string(), design, points, vary);
        (e, args.input.clone(), String::new())
    };
    let mut base = experiment
        .set
        .iter()
        .map(|s| Override::parse(s).map_err(|e| input(format!("set: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    base.extend(args.set.parsed()?);
    let loaded = overrides::load(&scenario_path, &base)?;
    let sc = &loaded.scenario;
    let runs = args.runs.or(experiment.runs).unwrap_or(sc.default_runs);
    if runs == 0 || runs > MAX_RUNS {
        return Err(input(format!(
            "--runs must be between 1 and {MAX_RUNS}, got {runs}"
        )));
    }
    let seed = args.seed.or(experiment.seed).unwrap_or(sc.default_seed);
    let points = Points::new(&experiment, seed).map_err(input)?;
    // Every varied key must exist: check once with the first point's values.
    let mut first = base.clone();
    first.extend(point_overrides(&points, 0));
    let edited = overrides::apply(&loaded.text, &first)?;
    brink::scenario::parse(&edited, &loaded.path).map_err(|e| Failure::Input(e.render()))?;
    let all: Vec<String> = sc
        .metrics
        .events
        .iter()
        .map(|m| m.id.clone())
        .chain(sc.metrics.quantities.iter().map(|m| m.id.clone()))
        .collect();
    let wanted = if !args.metrics.is_empty() {
        args.metrics.clone()
    } else {
        experiment.metrics.clone().unwrap_or_else(|| all.clone())
    };
    for m in &wanted {
        if !all.contains(m) {
            let names: Vec<&str> = all.iter().map(String::as_str).collect();
            return Err(input(format!(
                "unknown metric `{m}`\n  = help: {}",
                brink::scenario::diag::suggest(m, &names)
            )));
        }
    }
    let name = if default_name.is_empty() {
        format!("{}_sweep", sc.name)
    } else {
        default_name
    };
    Ok(Study {
        experiment,
        scenario_path,
        text: loaded.text,
        base,
        runs,
        seed,
        points,
        metrics: wanted,
        default_out: PathBuf::from("results").join(name),
        name: sc.name.clone(),
    })
}

fn point_overrides(points: &Points, i: u64) -> Vec<Override> {
    points
        .keys
        .iter()
        .zip(points.point(i))
        .map(|(k, v)| Override {
            key: k.clone(),
            // `{:?}` keeps a decimal point, so TOML reads a float even for whole numbers.
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
    brink::scenario::parse(&text, &shown).map_err(|e| Failure::Input(e.render()))
}

/// What the outputs depend on, hashed: a partial sweep is resumed only if it matches.
fn fingerprint(s: &Study) -> String {
    let key = serde_json::json!({
        "brink_version": env!("CARGO_PKG_VERSION"),
        "experiment": s.experiment,
        "scenario_sha256": hex(&Sha256::digest(s.text.as_bytes())),
        "base": s.base.iter().map(|o| format!("{}={}", o.key, o.value)).collect::<Vec<_>>(),
        "runs": s.runs,
        "seed": s.seed,
        "metrics": s.metrics,
    });
    hex(&Sha256::digest(key.to_string().as_bytes()))
}

/// One point's aggregate, or None if `stop` was raised (SIGINT/SIGTERM) before it finished.
fn simulate(
    sc: &Scenario,
    seed: u64,
    runs: u64,
    stop: &std::sync::atomic::AtomicBool,
    mut tick: impl FnMut(u64),
) -> Option<Aggregate> {
    let engine = Engine::new(sc, seed);
    let mut total = Aggregate::new(sc);
    let finished =
        engine.run_range_until(0..runs, false, stop, |c| -> std::result::Result<(), ()> {
            total.merge(&c.aggregate);
            tick(c.runs.end - c.runs.start);
            Ok(())
        });
    (finished == Ok(true)).then_some(total)
}

fn record(point: u64, r: &SummaryRow) -> Vec<String> {
    let q = r
        .quantiles
        .map_or_else(|| vec![String::new(); 5], |q| q.map(num).to_vec());
    let mut rec = vec![
        point.to_string(),
        r.metric.clone(),
        r.kind.to_string(),
        r.n.to_string(),
        num(r.mean),
        num(r.ci_low),
        num(r.ci_high),
        num(r.sd),
    ];
    rec.extend(q);
    rec
}

fn part_name(i: u64) -> String {
    format!("point-{i:08}.csv")
}

pub fn run(args: Args) -> Result<()> {
    let s = study(&args)?;
    let n_points = s.points.len();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start worker threads")?;
    if args.dry_run {
        let sc = scenario_at(&s, 0)?;
        let pilot = s.runs.min(1024);
        let t = Instant::now();
        let stop = std::sync::atomic::AtomicBool::new(false);
        pool.install(|| simulate(&sc, s.seed, pilot, &stop, |_| {}));
        let rate = pilot as f64 / t.elapsed().as_secs_f64().max(1e-9);
        let total = n_points.saturating_mul(s.runs);
        println!(
            "{n_points} points x {} runs = {total} runs; about {:.0} s on {} threads \
             (pilot: {pilot} runs of point 0 at {rate:.0} runs/s)",
            s.runs,
            total as f64 / rate,
            pool.current_num_threads()
        );
        return Ok(());
    }
    let out = args.out.clone().unwrap_or_else(|| s.default_out.clone());
    let partial = out.join(PARTIAL);
    let fp = fingerprint(&s);
    if partial.exists() {
        let theirs = std::fs::read_to_string(partial.join("fingerprint")).unwrap_or_default();
        if args.resume && theirs.trim() != fp {
            return Err(input(format!(
                "the interrupted sweep in {} was made from a different experiment, seed, runs \
                 or brink version; run without --resume to start it over",
                out.display()
            )));
        }
        if !args.resume {
            std::fs::remove_dir_all(&partial)
                .with_context(|| format!("cannot remove {}", partial.display()))?;
        }
    } else if args.resume && !args.quiet {
        eprintln!("brink: nothing to resume in {}; starting", out.display());
    }
    std::fs::create_dir_all(&partial)
        .with_context(|| format!("cannot create output directory {}", partial.display()))?;
    atomic(&partial, "fingerprint", |w| {
        writeln!(w, "{fp}")?;
        Ok(())
    })?;
    if !args.quiet {
        eprintln!(
            "brink: {n_points} points x {} runs with seed {} on {} threads",
            s.runs,
            s.seed,
            pool.current_num_threads()
        );
    }
    let stop = super::interrupt::flag();
    let started = Instant::now();
    let progress = super::progress::bar(n_points.saturating_mul(s.runs), args.quiet);
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
        let Some(agg) = pool.install(|| simulate(&sc, s.seed, s.runs, &stop, |n| progress.inc(n)))
        else {
            progress.finish_and_clear();
            return Err(Failure::Interrupted(format!(
                "brink: interrupted; {i} of {n_points} points are kept in {} and \
                 `brink sweep --resume` continues from there",
                partial.display()
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
    atomic(&out, "points.csv", |w| {
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
    atomic(&out, "sweep.csv", |w| {
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
    let elapsed = started.elapsed().as_secs_f64();
    let mut manifest = serde_json::json!({
        "command": "sweep",
        "brink_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": s.name,
            "path": s.scenario_path.display().to_string(),
            "sha256": hex(&Sha256::digest(s.text.as_bytes())),
        },
        "experiment": s.experiment,
        "experiment_path": if args.vary.is_empty() {
            serde_json::Value::from(args.input.display().to_string())
        } else {
            serde_json::Value::Null
        },
        "overrides": overrides::manifest(&s.base),
        "seed": s.seed,
        "runs": s.runs,
        "points": n_points,
        "metrics": s.metrics,
        "invocation": super::output::invocation(pool.current_num_threads(), elapsed),
    });
    manifest["invocation"]["points_computed"] = computed.into();
    super::output::write_manifest(&out, &manifest)?;
    std::fs::remove_dir_all(&partial)
        .with_context(|| format!("cannot remove {}", partial.display()))?;
    if !args.quiet {
        eprintln!(
            "brink: {n_points} points ({computed} computed) in {elapsed:.2}s; wrote {}",
            out.display()
        );
    }
    Ok(())
}
