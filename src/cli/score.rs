//! `brink score`: confront a forecast with what happened.
//!
//! Usage: brink score RESULTS --observed OBSERVED.toml [--out DIR] [--force] [--quiet]
//!
//! RESULTS is the folder of a `brink run` result (a `--given` one too), or a scenario's folder
//! of runs (its latest). OBSERVED lists events that happened, events that had not happened
//! through a date, observed quantities and base rates (`brink::score` has the format). Each
//! listed event is scored at each checkpoint (the file's, or month ends up to its `through`)
//! with the Brier and log scores of the forecast probability, beside three reference
//! forecasters: a coin (0.5), a constant hazard with the model's own probability by the
//! horizon (what the model's timing adds), and the file's base rate, as a constant hazard per
//! 365 days. Quantities get the CRPS of their distribution. Writes score.csv, skill.csv,
//! reliability.csv (when at least five listed events happened and five did not), score.txt
//! and manifest.json into DIR, by default a new folder results/<scenario name>_score/<UTC
//! time>/ linked as latest, under the output folder rule; the summary also goes to stdout.
//!
//! Probabilities come from the first-day counts in distributions.csv (the numbers
//! timeline.csv rounds to six decimals), so scores are computed from exact shares k/N.

use std::path::PathBuf;

use brink::manifest::ScoreDetail;
use brink::score;

use super::charts::data::Table;
use super::output::{atomic, write_table};
use super::study::{Manifest, OutArgs, Session, WriteManifest};
use super::{Failure, Result, load, outdir};

/// The files of `brink score`.
pub const SCORE_FILES: &[&str] = &[
    "score.csv",
    "skill.csv",
    "reliability.csv",
    "score.txt",
    "manifest.json",
];

#[derive(clap::Args, Debug)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: a new folder results/<scenario name>_score/<UTC time>/, \
     linked as latest]"
)))]
pub struct Args {
    /// Results of `brink run`, or a scenario's folder of runs (its `latest` run is used).
    pub results: PathBuf,
    /// What happened: an observed file (TOML; see README, "Confronting a forecast with
    /// evidence").
    #[arg(long, value_name = "OBSERVED.toml")]
    pub observed: PathBuf,
    #[command(flatten)]
    pub output: OutArgs,
}

pub fn run(args: Args) -> Result<()> {
    let session = Session::start(Some(1))?;
    let dir = outdir::resolve(&args.results)?;
    let m = super::study::read_run(&dir, "score")?;
    let summary = Table::read(&dir, "summary.csv")?;
    let (cm, ck) = (summary.col("metric")?, summary.col("kind")?);
    let names: Vec<(String, String)> = (0..summary.rows.len())
        .map(|r| {
            (
                summary.text(r, cm).to_string(),
                summary.text(r, ck).to_string(),
            )
        })
        .collect();
    let cx = score::context(&m, &names);
    let shown = args.observed.display().to_string();
    let text = load::text(&args.observed, "observed file", load::MAX_INPUT)?;
    let obs = score::parse_observed(&text, &shown, &cx).map_err(|e| Failure::Input(e.render()))?;
    let inputs = [
        args.observed.clone(),
        dir.join("manifest.json"),
        dir.join("summary.csv"),
        dir.join("distributions.csv"),
    ];
    let out = args
        .output
        .prepare(&format!("{}_score", m.scenario.name), SCORE_FILES, &inputs)?;
    let staging = out.staging().to_path_buf();
    let quiet = args.output.quiet;

    // The first-day counts of the listed events and the histograms of the listed quantities.
    let dist = Table::read(&dir, "distributions.csv")?;
    let (dm, dv, dc) = (dist.col("metric")?, dist.col("value")?, dist.col("count")?);
    let mut rows = Vec::with_capacity(dist.rows.len());
    for r in 0..dist.rows.len() {
        rows.push((dist.text(r, dm), dist.num(r, dv)?, dist.num(r, dc)? as u64));
    }
    let scored = score::score(&m, &obs, &text, &shown, rows);
    // Even with --quiet: they are about what the score means.
    for w in &scored.warnings {
        say!("{w}");
    }
    write_table(&staging, "score.csv", &brink::table::score_columns(), |f| {
        brink::table::score(&m, &obs, &scored, f)
    })?;
    write_table(&staging, "skill.csv", &brink::table::skill_columns(), |f| {
        brink::table::skill(&scored.skills, f)
    })?;
    if let Some(bins) = &scored.reliability {
        write_table(
            &staging,
            "reliability.csv",
            &brink::table::reliability_columns(),
            |f| brink::table::reliability(bins, f),
        )?;
    }
    let text_summary = score::summary_text(&m, &shown, &obs, &scored);
    atomic(&staging, "score.txt", |w| {
        Ok(std::io::Write::write_all(w, text_summary.as_bytes())?)
    })?;
    Manifest::new(
        "score",
        m.scenario.clone(),
        m.seed,
        m.runs,
        ScoreDetail::of(dir.display().to_string(), &shown, &text, &scored),
        session.invocation(),
    )
    .write(&staging)?;
    let written = session.commit(out)?;
    {
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(text_summary.as_bytes());
    }
    if !quiet {
        say!("brink: wrote {}", written.display());
    }
    Ok(())
}
