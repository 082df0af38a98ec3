//! `brink compare`: a base scenario against a variant on common random numbers.
//!
//! Usage: brink compare BASE.toml [VARIANT.toml] [--set KEY=VALUE]... [--runs N] [--seed S]
//!        [--threads T] [--out DIR] [--quiet]
//!
//! The variant is VARIANT.toml, or BASE.toml itself, with the --set overrides applied either
//! way. Run i of the base is paired with run i of the variant, both on the same streams, and
//! compare.csv gives per metric the base and variant values, their difference with its paired
//! 95% interval, the unpaired interval the same runs would give, and the share of runs whose
//! outcome changed. Writes compare.csv and manifest.json into DIR, by default
//! results/<base name>_compare/.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use brink::compare::{Pairing, rows, run_paired};
use brink::engine::Engine;
use sha2::{Digest, Sha256};

use super::output::{atomic, csv_file_writer, num};
use super::overrides::{self, SetArgs};
use super::run::{MAX_RUNS, hex};
use super::{Failure, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Base scenario file (TOML).
    pub base: PathBuf,
    /// Variant scenario file [default: the base, with the --set overrides].
    pub variant: Option<PathBuf>,
    #[command(flatten)]
    pub set: SetArgs,
    /// Number of runs [default: the base scenario's `runs`, else 10000].
    #[arg(long)]
    pub runs: Option<u64>,
    /// Master seed, shared by both [default: the base scenario's `seed`, else 20251229].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory [default: a new folder under results/<base name>_compare/, linked as
    /// latest].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace brink's files in an --out directory that already holds files.
    #[arg(long)]
    pub force: bool,
    /// No progress or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let set = args.set.parsed()?;
    if args.variant.is_none() && set.is_empty() {
        return Err(Failure::Input(
            "error: nothing to compare: give a VARIANT scenario file or --set overrides\n".into(),
        ));
    }
    let base = overrides::load(&args.base, &[])?;
    let variant_path = args.variant.clone().unwrap_or_else(|| args.base.clone());
    let variant = overrides::load(&variant_path, &set)?;
    let (sb, sv) = (&base.scenario, &variant.scenario);
    let runs = args.runs.unwrap_or(sb.default_runs);
    if runs == 0 || runs > MAX_RUNS {
        return Err(Failure::Input(format!(
            "error: --runs must be between 1 and {MAX_RUNS}, got {runs}\n"
        )));
    }
    let seed = args.seed.unwrap_or(sb.default_seed);
    let pairing = Pairing::new(sb, sv);
    if pairing.metrics.is_empty() {
        return Err(Failure::Input(
            "error: the base and the variant have no metric in common\n".into(),
        ));
    }
    if !args.quiet && !pairing.unmatched.is_empty() {
        eprintln!(
            "brink: not in the variant, not compared: {}",
            pairing.unmatched.join(", ")
        );
    }
    // Like `brink run`: a new folder per study under results/<name>_compare/ with a `latest`
    // link, or an --out directory that must be empty unless --force.
    let outdir = super::outdir::OutDir::prepare(
        args.out.as_deref(),
        args.force,
        &format!("{}_compare", sb.name),
    )?;
    let out = outdir.staging().to_path_buf();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start worker threads")?;
    let started = Instant::now();
    let (eb, ev) = (Engine::new(sb, seed), Engine::new(sv, seed));
    let progress = super::progress::bar(runs, args.quiet);
    let paired = pool.install(|| {
        run_paired(&eb, &ev, &pairing, 0..runs, |_, n| -> Result<()> {
            progress.inc(n);
            Ok(())
        })
    })?;
    progress.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let table = rows(&pairing, &paired);
    atomic(&out, "compare.csv", |w| {
        let mut c = csv_file_writer(w);
        c.write_record([
            "metric",
            "kind",
            "n",
            "base",
            "variant",
            "difference",
            "ci_low",
            "ci_high",
            "unpaired_ci_low",
            "unpaired_ci_high",
            "share_changed",
        ])?;
        for r in &table {
            c.write_record([
                r.metric.clone(),
                r.kind.to_string(),
                r.n.to_string(),
                num(r.base),
                num(r.variant),
                num(r.difference),
                num(r.ci_low),
                num(r.ci_high),
                num(r.unpaired_ci_low),
                num(r.unpaired_ci_high),
                num(r.share_changed),
            ])?;
        }
        c.flush()?;
        Ok(())
    })?;
    let manifest = serde_json::json!({
        "command": "compare",
        "brink_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": sb.name,
            "path": base.path,
            "sha256": hex(&Sha256::digest(base.text.as_bytes())),
        },
        "variant": {
            "name": sv.name,
            "path": variant.path,
            "sha256": hex(&Sha256::digest(variant.text.as_bytes())),
            "overrides": overrides::manifest(&set),
        },
        "seed": seed,
        "runs": runs,
        "invocation": super::output::invocation(pool.current_num_threads(), elapsed),
    });
    super::output::write_manifest(&out, &manifest)?;
    let out = outdir.commit()?;
    if !args.quiet {
        eprintln!(
            "brink: {runs} paired runs in {elapsed:.2}s; wrote {}",
            out.display()
        );
        for r in table.iter().take(6) {
            eprintln!(
                "  {:<28} {:>+8.4}  [{:+.4}, {:+.4}]",
                r.metric, r.difference, r.ci_low, r.ci_high
            );
        }
    }
    Ok(())
}
