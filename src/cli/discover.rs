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

use std::path::PathBuf;

use brink::discover::{Discover, Options};
use serde::Serialize;

use super::output::write_table;
use super::study::{Manifest, OutArgs, Session, WriteManifest};
use super::{Failure, Result, outdir, runs_csv};

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

impl From<Features> for brink::discover::Features {
    fn from(f: Features) -> Self {
        match f {
            Features::All => brink::discover::Features::All,
            Features::Params => brink::discover::Features::Params,
            Features::Paths => brink::discover::Features::Paths,
        }
    }
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
    /// Worker threads [default: all cores]; up to 64, or four per core where that is more.
    /// Results do not depend on it.
    #[arg(long, value_parser = super::study::threads_value, allow_negative_numbers = true)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub output: OutArgs,
}

fn unit_open(s: &str) -> std::result::Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| brink::discover::unit_open(f64::NAN).unwrap_err())
        .and_then(brink::discover::unit_open)
}

pub fn run(args: Args) -> Result<()> {
    let session = Session::start(args.threads)?;
    let dir = outdir::resolve(&args.results)?;
    let m = super::study::read_run(&dir, "discover")?;
    let mut runs = runs_csv::open(&dir, &m, "discover")?;
    let options = Options {
        outcome: &args.outcome,
        features: args.features.into(),
        exclude: &args.exclude,
        chosen_box: args.r#box,
        significance: args.significance,
        prim: brink::prim::Options {
            peel_alpha: args.peel_alpha,
            paste_alpha: args.paste_alpha,
            mass_min: args.mass_min,
        },
    };
    let discover =
        Discover::new(brink::per_run::Source::columns(&runs), &options).map_err(Failure::Input)?;
    let inputs_files = [dir.join("manifest.json"), dir.join("runs.csv")];
    let out = args.output.prepare(
        &format!("{}_discover", m.scenario.name),
        DISCOVER_FILES,
        &inputs_files,
    )?;

    // Read the inputs and the outcome of every run, column by column.
    let read = discover
        .read(&mut runs, m.horizon(), m.runs, &session.stop)
        .map_err(Failure::Input)?;
    let data = match read {
        Ok(d) if !session.stopped() => d,
        Ok(d) => return Err(session.interrupted(d.n, d.n, "runs read", &out)),
        Err(n) => return Err(session.interrupted(n, n, "runs read", &out)),
    };
    runs_csv::check_count(&runs, data.n, &m)?;
    discover.check(&data).map_err(Failure::Input)?;
    let found = session
        .install(|| discover.run(&data, m.start(), m.horizon(), &session.stop))
        .map_err(Failure::Input)?;
    let Some(found) = found.filter(|_| !session.stopped()) else {
        return Err(session.interrupted(0, 1, "discoveries", &out));
    };
    write_table(
        out.staging(),
        "discover.csv",
        &brink::table::discover_columns(),
        |f| brink::table::discover(&discover, &found, f),
    )?;
    Manifest::new(
        "discover",
        m.scenario.clone(),
        m.seed,
        data.n,
        discover.detail(dir.display().to_string(), &found),
        session.invocation(),
    )
    .write(out.staging())?;
    let text = found.text(&data.data.names);
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
