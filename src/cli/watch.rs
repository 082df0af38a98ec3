//! `brink watch`: which events, seen by a date, move an outcome's probability most.
//!
//! Usage: brink watch RESULTS --outcome METRIC [--signposts M1,M2,...] [--by DATE,...]
//!        [--out DIR] [--force] [--quiet]
//!
//! RESULTS is a `brink run --per-run` result (or a scenario's folder of runs: its latest); its
//! runs.csv is streamed once. For every signpost S (an event metric; by default all but the
//! outcome) and every date D (by default month ends), it counts the runs in which S had
//! happened by the end of D, and among them and the rest those with the outcome (an event
//! metric by the horizon, or a quantity condition such as 'war_days>=30'): P(S by D),
//! P(outcome | S by D), P(outcome | not S by D) with Wilson intervals, the lift with a
//! delta-method interval and the expected shift (`brink::watch`). Rows are sorted by the
//! expected shift. From one set of runs, so P(S)·P(O|S) + P(not S)·P(O|not S) = P(O) holds
//! exactly: the counts are integers and b + c = k. Writes watch.csv and manifest.json into DIR
//! (default results/<scenario name>_watch/<UTC time>/, linked as latest) and the table to
//! stdout.

use std::path::PathBuf;

use brink::watch::{Options, Watch};

use super::output::write_table;
use super::study::{Manifest, OutArgs, Session, WriteManifest};
use super::{Failure, Result, outdir, runs_csv};

/// The files of `brink watch`.
pub const WATCH_FILES: &[&str] = &["watch.csv", "manifest.json"];

#[derive(clap::Args, Debug)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: a new folder results/<scenario name>_watch/<UTC time>/, \
     linked as latest]"
)))]
pub struct Args {
    /// Results of `brink run --per-run`, or a scenario's folder of runs (its `latest`).
    pub results: PathBuf,
    /// The outcome: an event metric, or a quantity with a condition such as 'war_days>=30'.
    #[arg(long, value_name = "METRIC")]
    pub outcome: String,
    /// Signpost event metrics [default: every event metric but the outcome].
    #[arg(long, value_name = "M1,M2,...", value_delimiter = ',')]
    pub signposts: Vec<String>,
    /// Dates by which a signpost is seen (repeatable, or comma-separated) [default: month
    /// ends].
    #[arg(long, value_name = "DATE", value_delimiter = ',')]
    pub by: Vec<String>,
    #[command(flatten)]
    pub output: OutArgs,
}

pub fn run(args: Args) -> Result<()> {
    let session = Session::start(Some(1))?;
    let dir = outdir::resolve(&args.results)?;
    let m = super::study::read_run(&dir, "watch")?;
    let mut runs = runs_csv::open(&dir, &m, "watch")?;
    let options = Options {
        outcome: &args.outcome,
        signposts: &args.signposts,
        by: &args.by,
    };
    let watch = Watch::new(
        brink::per_run::Source::columns(&runs),
        &options,
        m.start(),
        m.last(),
    )
    .map_err(Failure::Input)?;
    let inputs = [dir.join("manifest.json"), dir.join("runs.csv")];
    let out = args
        .output
        .prepare(&format!("{}_watch", m.scenario.name), WATCH_FILES, &inputs)?;

    // One pass over the runs: integer counts per (signpost, date).
    let tally = match watch
        .tally(&mut runs, &session.stop)
        .map_err(Failure::Input)?
    {
        Ok(t) if !session.stopped() => t,
        Ok(t) => return Err(session.interrupted(t.n, t.n, "runs read", &out)),
        Err(n) => return Err(session.interrupted(n, n, "runs read", &out)),
    };
    if tally.n == 0 {
        return Err(Failure::Input(format!(
            "error: `{}` holds no runs\n",
            runs.shown()
        )));
    }
    runs_csv::check_count(&runs, tally.n, &m)?;
    let rows = watch.rows(&tally);
    write_table(
        out.staging(),
        "watch.csv",
        &brink::table::watch_columns(),
        |f| brink::table::watch(&watch, &rows, f),
    )?;
    Manifest::new(
        "watch",
        m.scenario.clone(),
        m.seed,
        tally.n,
        watch.detail(dir.display().to_string()),
        session.invocation(),
    )
    .write(out.staging())?;
    let table = watch.text(&tally, &rows);
    let written = session.commit(out)?;
    {
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(table.as_bytes());
    }
    if !args.output.quiet {
        say!("brink: wrote {}", written.display());
    }
    Ok(())
}
