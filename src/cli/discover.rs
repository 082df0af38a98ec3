//! `brink discover`: scenario discovery with PRIM over a run's per-run inputs.
//!
//! Usage: brink discover RESULTS --outcome METRIC [--features all|params|paths]
//!        [--exclude NAME,...] [--box I] [--significance LEVEL] [--peel-alpha A]
//!        [--paste-alpha A] [--mass-min M] [--threads T] [--out DIR] [--force] [--quiet]
//!
//! RESULTS is a `brink run --per-run` result (or a scenario's folder of runs: its latest). The
//! inputs are the uncertain parameters drawn per run and, as path features, the day each event
//! metric first happened (`<metric>_first_day`, the horizon for a run in which it never did);
//! the outcome is an event metric or a quantity condition ('war_days>=30'). PRIM
//! (`brink::prim`) peels and pastes a trajectory of boxes; the box with the most runs of the
//! outcome beyond the base rate (weighted relative accuracy; or `--box I`) is chosen, its restrictions whose quasi-p-value
//! exceeds `--significance` are dropped one at a time, and the result is printed as a
//! sentence. Writes discover.csv (every box of the trajectory and the chosen one, one row per
//! restricted input) and manifest.json into DIR, by default a new folder
//! results/<scenario name>_discover/<UTC time>/ linked as latest; `brink plot` draws the
//! trade-off curve and the chosen box.
//!
//! Memory: runs.csv is read once and only the inputs used are kept, 8 bytes per run and input
//! (about 390 MB for a million flagship runs and its 48 inputs) plus 13 bytes per run.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;

use brink::prim::{self, Data, Options, Prim, Stage};
use brink::watch::Outcome;
use serde::Serialize;

use super::output::{atomic, csv_file_writer};
use super::study::{Manifest, OutArgs, RunResult, Session, WriteManifest};
use super::{Failure, Result, outdir, quote, runs_csv};
use brink::table::{guard as cell, num};

/// The files of `brink discover`.
pub const DISCOVER_FILES: &[&str] = &["discover.csv", "manifest.json"];

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Features {
    /// Uncertain parameters and the first day of every event metric.
    All,
    /// Only the uncertain parameters: the assumptions behind the outcome.
    Params,
    /// Only the first days of event metrics: the paths that lead to it.
    Paths,
}

#[derive(clap::Args, Debug)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: a new folder results/<scenario name>_discover/<UTC time>/, \
     linked as latest]"
)))]
pub struct Args {
    /// Results of `brink run --per-run`, or a scenario's folder of runs (its `latest`).
    pub results: PathBuf,
    /// The outcome: an event metric, or a quantity with a condition such as 'war_days>=30'.
    #[arg(long, value_name = "METRIC")]
    pub outcome: String,
    /// Which inputs PRIM may restrict.
    #[arg(long, value_enum, default_value = "all")]
    pub features: Features,
    /// Inputs to leave out: parameter key paths or <metric>_first_day (comma-separated).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Choose box I of the trajectory (0 = all runs) [default: the box with the most runs of
    /// the outcome beyond the base rate: mass × (density − base rate)].
    #[arg(long, value_name = "I")]
    pub r#box: Option<usize>,
    /// Drop the chosen box's restrictions whose quasi-p-value exceeds this level.
    #[arg(long, default_value_t = 0.05, value_parser = unit_open)]
    pub significance: f64,
    /// Share of the box's runs each peel removes.
    #[arg(long, default_value_t = 0.05, value_parser = unit_open)]
    pub peel_alpha: f64,
    /// Share of the runs beside the box each paste adds.
    #[arg(long, default_value_t = 0.05, value_parser = unit_open)]
    pub paste_alpha: f64,
    /// Smallest share of all runs a box may hold.
    #[arg(long, default_value_t = 0.05, value_parser = unit_open)]
    pub mass_min: f64,
    /// Worker threads [default: all cores]; up to four per core, and 64 on any machine.
    /// Results do not depend on it.
    #[arg(long, value_parser = super::study::threads_value, allow_negative_numbers = true)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub output: OutArgs,
}

fn unit_open(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err("expected a number between 0 and 1 (exclusive)".into()),
    }
}

#[derive(Serialize)]
struct Detail {
    results: String,
    outcome: String,
    features: Features,
    inputs: Vec<String>,
    peel_alpha: f64,
    paste_alpha: f64,
    mass_min: f64,
    significance: f64,
    chosen_box: usize,
    sentence: String,
}

/// Each restricted input's quasi-p-values, lower and upper side (`Prim::quasi_p`).
type QuasiP = [(usize, [Option<f64>; 2])];

/// What an input is, for words.
enum Input {
    Param(String),
    /// An event's first day; the horizon for "never".
    FirstDay(String),
}

pub fn run(args: Args) -> Result<()> {
    let session = Session::start(args.threads)?;
    let dir = outdir::resolve(&args.results)?;
    let m = RunResult::read(&dir, "discover")?;
    let mut runs = runs_csv::open(&dir, &m, "discover")?;
    let outcome = runs.columns.outcome(&args.outcome)?;
    let (event_ids, quantity_ids) = runs.columns.names();
    let events: Vec<&str> = event_ids.iter().map(String::as_str).collect();
    let quantities = quantity_ids.len();

    // The inputs: parameters (by column of `params`) and first days (by event).
    let mut inputs: Vec<(String, Input, usize)> = Vec::new();
    if args.features != Features::Paths {
        for (p, (path, _)) in runs.columns.params.iter().enumerate() {
            inputs.push((path.clone(), Input::Param(path.clone()), p));
        }
    }
    if args.features != Features::Params {
        for (e, id) in events.iter().enumerate() {
            if outcome != Outcome::Event(e) {
                inputs.push((
                    format!("{id}_first_day"),
                    Input::FirstDay(id.to_string()),
                    e,
                ));
            }
        }
    }
    for x in &args.exclude {
        let x = x.trim();
        let names: Vec<&str> = inputs.iter().map(|i| i.0.as_str()).collect();
        if !names.contains(&x) {
            return Err(Failure::Input(format!(
                "error: --exclude: no input `{}`\n  = help: {}\n",
                quote(x),
                brink::scenario::diag::suggest(x, &names)
            )));
        }
    }
    inputs.retain(|i| !args.exclude.iter().any(|x| x.trim() == i.0));
    if inputs.is_empty() {
        return Err(Failure::Input(
            "error: no input to restrict: the results have no uncertain parameter or event \
             metric left\n"
                .into(),
        ));
    }
    let inputs_files = [dir.join("manifest.json"), dir.join("runs.csv")];
    let out = args.output.prepare(
        &format!("{}_discover", m.scenario.name),
        DISCOVER_FILES,
        &inputs_files,
    )?;

    // Read the inputs and the outcome of every run, column by column.
    let horizon = f64::from(m.horizon());
    let mut first = vec![None; events.len()];
    let mut values = vec![None; quantities];
    let mut params = vec![0.0; runs.columns.params.len()];
    // Room for the runs the manifest announces (at most ten million; more grow as read), so
    // columns do not double past what they hold.
    let expect = usize::try_from(m.runs).unwrap_or(0).min(10_000_000);
    let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(expect); inputs.len()];
    let mut y = Vec::with_capacity(expect);
    while runs.next(&mut first, &mut values, &mut params)? {
        if y.len().is_multiple_of(4096) && session.stop.load(Relaxed) {
            break;
        }
        y.push(outcome.holds(&first, &values));
        for (c, (_, what, at)) in cols.iter_mut().zip(&inputs) {
            c.push(match what {
                Input::Param(_) => params[*at],
                Input::FirstDay(_) => first[*at].map_or(horizon, f64::from),
            });
        }
    }
    if session.stopped() {
        return Err(session.interrupted(y.len() as u64, y.len() as u64, "runs read", &out));
    }
    for c in &mut cols {
        c.shrink_to_fit();
    }
    let n = y.len() as u64;
    let k = y.iter().filter(|&&o| o).count() as u64;
    if k == 0 || k == n {
        return Err(Failure::Input(format!(
            "error: `{}` happens in {} the {n} runs: there is nothing to tell apart\n",
            quote(&args.outcome),
            if k == 0 { "none of" } else { "all of" }
        )));
    }
    let data = Data {
        names: inputs.iter().map(|i| i.0.clone()).collect(),
        cols,
        y,
    };
    let opts = Options {
        peel_alpha: args.peel_alpha,
        paste_alpha: args.paste_alpha,
        mass_min: args.mass_min,
    };
    let prim = Prim::new(&data, opts);
    let Some(traj) = session.install(|| prim.trajectory(&session.stop)) else {
        return Err(session.interrupted(0, 1, "discoveries", &out));
    };
    let cov = |b: &prim::Box| b.k as f64 / prim.total_k as f64;
    let dens = |b: &prim::Box| b.k as f64 / b.n as f64;
    let chosen_at = match args.r#box {
        Some(i) if i < traj.len() => i,
        Some(i) => {
            return Err(Failure::Input(format!(
                "error: --box {i}: the trajectory has boxes 0 to {}\n",
                traj.len() - 1
            )));
        }
        None => {
            let score = |b: &prim::Box| prim::wracc(b.n, b.k, n, prim.total_k);
            let mut best = 0;
            for (i, b) in traj.iter().enumerate() {
                if score(b) > score(&traj[best]) {
                    best = i;
                }
            }
            best
        }
    };
    let from = &traj[chosen_at];
    let from_qp = session.install(|| prim.quasi_p(&from.lims));
    let lims = session.install(|| prim.drop_insignificant(&from.lims, args.significance));
    let (cn, ck) = prim.count(&lims);
    let chosen = prim::Box {
        lims,
        n: cn,
        k: ck,
        stage: from.stage,
    };
    let chosen_qp = session.install(|| prim.quasi_p(&chosen.lims));
    if session.stopped() {
        return Err(session.interrupted(0, 1, "discoveries", &out));
    }
    let words = Words {
        inputs: &inputs,
        start: m.start(),
        horizon: m.horizon(),
    };
    let sentence = words.sentence(&args.outcome, &prim, &chosen, n);

    atomic(out.staging(), "discover.csv", |w| {
        let mut c = csv_file_writer(w);
        c.write_record([
            "box",
            "stage",
            "coverage",
            "density",
            "mass",
            "runs",
            "outcome_runs",
            "restricted",
            "feature",
            "low",
            "high",
            "min",
            "max",
            "quasi_p_low",
            "quasi_p_high",
        ])?;
        let mut rows =
            |i: usize, stage: &str, b: &prim::Box, qp: Option<&QuasiP>| -> anyhow::Result<()> {
                let dims = prim.restricted(&b.lims);
                let head = [
                    i.to_string(),
                    stage.to_string(),
                    num(cov(b)),
                    num(dens(b)),
                    num(b.n as f64 / n as f64),
                    b.n.to_string(),
                    b.k.to_string(),
                    dims.len().to_string(),
                ];
                if dims.is_empty() {
                    let mut rec = head.to_vec();
                    rec.extend(std::iter::repeat_n(String::new(), 7));
                    c.write_record(&rec)?;
                }
                for j in dims {
                    let (lo, hi) = b.lims[j];
                    let (min, max) = prim.init[j];
                    let p = qp.and_then(|q| q.iter().find(|x| x.0 == j)).map(|x| x.1);
                    let mut rec = head.to_vec();
                    rec.extend([
                        cell(&data.names[j]).into_owned(),
                        if lo != min { limit(lo) } else { String::new() },
                        if hi != max { limit(hi) } else { String::new() },
                        limit(min),
                        limit(max),
                        p.and_then(|p| p[0]).map(pvalue).unwrap_or_default(),
                        p.and_then(|p| p[1]).map(pvalue).unwrap_or_default(),
                    ]);
                    c.write_record(&rec)?;
                }
                Ok(())
            };
        for (i, b) in traj.iter().enumerate() {
            let stage = match b.stage {
                Stage::Start => "start",
                Stage::Peel => "peel",
                Stage::Paste => "paste",
            };
            let qp = (i == chosen_at).then_some(from_qp.as_slice());
            rows(i, stage, b, qp)?;
        }
        rows(chosen_at, "chosen", &chosen, Some(&chosen_qp))?;
        c.flush()?;
        Ok(())
    })?;
    let detail = Detail {
        results: dir.display().to_string(),
        outcome: args.outcome.trim().to_string(),
        features: args.features,
        inputs: data.names.clone(),
        peel_alpha: opts.peel_alpha,
        paste_alpha: opts.paste_alpha,
        mass_min: opts.mass_min,
        significance: args.significance,
        chosen_box: chosen_at,
        sentence: sentence.clone(),
    };
    Manifest::new(
        "discover",
        m.scenario.clone(),
        m.seed,
        n,
        detail,
        session.invocation(),
    )
    .write(out.staging())?;
    let text = report(
        &prim, &traj, chosen_at, &chosen, &chosen_qp, &words, &data, &sentence, n,
    );
    let written = session.commit(out)?;
    {
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
    if !args.output.quiet {
        say!("brink: wrote {}", written.display());
    }
    Ok(())
}

/// A box limit for discover.csv: seven decimals, one more than runs.csv's, because a limit is
/// the midpoint of two runs' values; so a run's row tells exactly whether it is in the box.
fn limit(x: f64) -> String {
    format!("{x:.7}")
}

/// A quasi-p-value: six significant digits in exponent form, since they reach 1e-300.
fn pvalue(p: f64) -> String {
    format!("{p:.5e}")
}

/// Numbers and restrictions in words.
struct Words<'a> {
    inputs: &'a [(String, Input, usize)],
    start: jiff::civil::Date,
    horizon: u32,
}

/// Three significant digits, without a trailing exponent for ordinary magnitudes.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    let decimals = (2 - mag).max(0) as usize;
    format!("{x:.decimals$}")
}

/// A share as a percentage: whole percent from 10% on, one decimal below.
fn pct(x: f64) -> String {
    if x >= 0.1 {
        format!("{:.0}%", 100.0 * x)
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

impl Words<'_> {
    fn date(&self, day: f64) -> String {
        let d = day.clamp(0.0, f64::from(self.horizon)) as i64;
        self.start
            .checked_add(jiff::Span::new().days(d))
            .map_or_else(|_| format!("day {d}"), |x| x.to_string())
    }

    /// One restriction in words.
    fn restriction(&self, j: usize, lo: Option<f64>, hi: Option<f64>) -> String {
        match &self.inputs[j].1 {
            Input::Param(path) => match (lo, hi) {
                (Some(a), Some(b)) => format!("{path} is between {} and {}", sig(a), sig(b)),
                (Some(a), None) => format!("{path} is above {}", sig(a)),
                (None, Some(b)) => format!("{path} is below {}", sig(b)),
                (None, None) => format!("{path} is anything"),
            },
            Input::FirstDay(e) => {
                let h = f64::from(self.horizon);
                // Days are whole: x ≥ a means a day of at least ⌈a⌉, x ≤ b at most ⌊b⌋.
                let from = lo.map(f64::ceil).filter(|&a| a > 0.0);
                // A bound at or past the last day only says the event happens at all.
                let last = h - 1.0;
                match (from, hi.map(f64::floor)) {
                    (None, Some(b)) if b >= last => format!("{e} happens"),
                    (Some(a), Some(b)) if b >= last && a < h => {
                        format!("{e} happens, first on or after {}", self.date(a))
                    }
                    (Some(a), _) if a >= h => format!("{e} never happens"),
                    (Some(a), Some(b)) => format!(
                        "{e} first happens between {} and {}",
                        self.date(a),
                        self.date(b)
                    ),
                    (Some(a), None) => format!("{e} has not happened before {}", self.date(a)),
                    (None, Some(b)) => format!("{e} happens by {}", self.date(b)),
                    (None, None) => format!("{e} happens or not"),
                }
            }
        }
    }

    fn restrictions(&self, prim: &Prim, b: &prim::Box) -> Vec<String> {
        prim.restricted(&b.lims)
            .into_iter()
            .map(|j| {
                let (lo, hi) = b.lims[j];
                let (min, max) = prim.init[j];
                self.restriction(j, (lo != min).then_some(lo), (hi != max).then_some(hi))
            })
            .collect()
    }

    /// The chosen box as a sentence.
    fn sentence(&self, outcome: &str, prim: &Prim, b: &prim::Box, n: u64) -> String {
        let base = prim.total_k as f64 / n as f64;
        let density = b.k as f64 / b.n as f64;
        let coverage = b.k as f64 / prim.total_k as f64;
        let parts = self.restrictions(prim, b);
        if parts.is_empty() {
            return format!(
                "No restriction of the inputs stands out: {outcome} happens in {} of all runs.",
                pct(base)
            );
        }
        let list = match parts.len() {
            1 => parts[0].clone(),
            _ => format!(
                "{} and {}",
                parts[..parts.len() - 1].join(", "),
                parts[parts.len() - 1]
            ),
        };
        format!(
            "{outcome} happens in {} of the runs where {list}, {:.1} times its rate in all runs \
             ({}); these runs are {} of all runs and hold {} of all runs with {outcome}.",
            pct(density),
            density / base,
            pct(base),
            pct(b.n as f64 / n as f64),
            pct(coverage)
        )
    }
}

/// The table printed on stdout: the sentence, the chosen box's restrictions with their
/// quasi-p-values, and the trade-off curve.
#[allow(clippy::too_many_arguments)]
fn report(
    prim: &Prim,
    traj: &[prim::Box],
    chosen_at: usize,
    chosen: &prim::Box,
    qp: &QuasiP,
    words: &Words,
    data: &Data,
    sentence: &str,
    n: u64,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{sentence}\n");
    let _ = writeln!(
        s,
        "Chosen box (from box {chosen_at} of {}; restrictions with a quasi-p-value above the \
         level dropped):",
        traj.len() - 1
    );
    let _ = writeln!(
        s,
        "  {:<52} {:>12} {:>12} {:>10} {:>10}",
        "input", "low", "high", "qp low", "qp high"
    );
    let qps = |p: Option<f64>| p.map_or("".to_string(), |p| format!("{p:.2e}"));
    // Limits as written in discover.csv, without trailing zeros.
    let limit = |x: f64| {
        let t = format!("{x:.6}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    for (j, p) in qp {
        let (lo, hi) = chosen.lims[*j];
        let (min, max) = prim.init[*j];
        let _ = writeln!(
            s,
            "  {:<52} {:>12} {:>12} {:>10} {:>10}",
            quote(&data.names[*j]),
            if lo != min { limit(lo) } else { "".into() },
            if hi != max { limit(hi) } else { "".into() },
            qps(p[0]),
            qps(p[1])
        );
    }
    let _ = words;
    let _ = writeln!(
        s,
        "\nTrade-off (coverage: share of the outcome's runs in the box; density: share of the \
         box's runs with the outcome):"
    );
    let _ = writeln!(
        s,
        "  {:>4} {:<6} {:>9} {:>8} {:>7} {:>11}",
        "box", "stage", "coverage", "density", "mass", "restricted"
    );
    for (i, b) in traj.iter().enumerate() {
        let stage = match b.stage {
            Stage::Start => "start",
            Stage::Peel => "peel",
            Stage::Paste => "paste",
        };
        let _ = writeln!(
            s,
            "  {:>4} {:<6} {:>9.3} {:>8.3} {:>7.3} {:>11}{}",
            i,
            stage,
            b.k as f64 / prim.total_k as f64,
            b.k as f64 / b.n as f64,
            b.n as f64 / n as f64,
            prim.restricted(&b.lims).len(),
            if i == chosen_at { "  <- chosen" } else { "" }
        );
    }
    s
}
