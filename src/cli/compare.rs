//! `brink compare`: a base scenario against a variant on common random numbers.
//!
//! Usage: brink compare BASE.toml [VARIANT.toml] [--set KEY=VALUE]... [--runs N] [--seed S]
//!        [--threads T] [--out DIR] [--force] [--quiet]
//!
//! The variant is VARIANT.toml, or BASE.toml itself, with the --set overrides applied either
//! way. Run i of the base is paired with run i of the variant, both on the same streams, and
//! compare.csv gives per metric the base and variant values, their difference with its paired
//! 95% interval, the unpaired interval the same runs would give, and the share of runs whose
//! outcome changed. Writes compare.csv and manifest.json into DIR, by default a new folder
//! results/<base name>_compare/<UTC time>/ linked as latest, under the output folder rule of
//! outdir.rs.

use std::path::PathBuf;

use brink::compare::{Pairing, rows, run_paired};
use brink::engine::Engine;

use super::outdir::COMPARE_FILES;
use super::output::write_table;
use super::study::{Manifest, ScenarioRef, StudyArgs, WriteManifest};
use super::{Failure, Result, overrides};
use brink::manifest::CompareDetail;
use brink::table;

#[derive(clap::Args, Debug)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: a new folder results/<base name>_compare/<UTC time>/, linked \
     as latest]"
)))]
pub struct Args {
    /// Base scenario file (TOML).
    pub base: PathBuf,
    /// Variant scenario file [default: the base, with the --set overrides].
    pub variant: Option<PathBuf>,
    #[command(flatten)]
    pub study: StudyArgs,
}

pub fn run(args: Args) -> Result<()> {
    let (session, set) = args.study.engine.start()?;
    if args.variant.is_none() && set.is_empty() {
        return Err(Failure::Input(brink::compare::NOTHING_TO_COMPARE.into()));
    }
    let base = overrides::load(&args.base, &[])?;
    let variant_path = args.variant.clone().unwrap_or_else(|| args.base.clone());
    let variant = overrides::load(&variant_path, &set)?;
    let (sb, sv) = (&base.scenario, &variant.scenario);
    let runs = args.study.runs.runs.unwrap_or(sb.default_runs);
    let seed = args.study.engine.seed.unwrap_or(sb.default_seed);
    let quiet = args.study.output.quiet;
    let pairing = Pairing::checked(sb, sv).map_err(Failure::Input)?;
    if !quiet && !pairing.unmatched.is_empty() {
        say!(
            "brink: not in the variant, not compared: {}",
            pairing.unmatched.join(", ")
        );
    }
    // Like `brink run`: a new folder per study under results/<name>_compare/ with a `latest`
    // link, or an --out directory that must be empty unless --force.
    let inputs = [args.base.clone(), variant_path.clone()];
    let out = args
        .study
        .output
        .prepare(&format!("{}_compare", sb.name), COMPARE_FILES, &inputs)?;
    let staging = out.staging().to_path_buf();
    let (eb, ev) = (Engine::new(sb, seed), Engine::new(sv, seed));
    let progress = super::progress::bar(runs, quiet);
    let mut done = 0;
    let paired = session.install(|| {
        run_paired(&eb, &ev, &pairing, 0..runs, &session.stop, |n| {
            progress.inc(n);
            done += n;
            Ok::<(), Failure>(())
        })
    })?;
    progress.finish_and_clear();
    let Some(paired) = paired else {
        return Err(session.interrupted(done, runs, "paired runs", &out));
    };
    let elapsed = session.elapsed();
    let compared = rows(&pairing, &paired);
    write_table(&staging, "compare.csv", &table::compare_columns(), |f| {
        table::compare(&compared, f)
    })?;
    let detail = CompareDetail::of(&variant, &set);
    Manifest::new(
        "compare",
        ScenarioRef::of(&base),
        seed,
        runs,
        detail,
        session.invocation(),
    )
    .write(&staging)?;
    let dir = session.commit(out)?;
    if !quiet {
        say!(
            "brink: {runs} paired runs in {elapsed:.2}s; wrote {}",
            dir.display()
        );
        for r in compared.iter().take(6) {
            say!(
                "  {:<28} {:>+8.4}  [{:+.4}, {:+.4}]",
                r.metric,
                r.difference,
                r.ci_low,
                r.ci_high
            );
        }
    }
    Ok(())
}
