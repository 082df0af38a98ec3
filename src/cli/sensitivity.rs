//! `brink sensitivity`: which uncertain parameters drive which outcomes.
//!
//! Usage: brink sensitivity SCENARIO.toml [--method morris|sobol|both] [--metrics a,b]
//!        [--params KEY,KEY] [--trajectories R] [--levels P] [--samples N] [--bootstrap B]
//!        [--seed S] [--threads T] [--out DIR] [--force] [--set KEY=VALUE]... [--quiet]
//!
//! Factors are the scenario's uncertain parameters (or those given with --params), each
//! explored over its own distribution through its inverse CDF. Each model evaluation is one
//! simulated run. Writes morris.csv (metric, parameter, mu, mu_star, sigma, mu_star_ci_low,
//! mu_star_ci_high) and/or sobol.csv (metric, parameter, index, value, ci_low, ci_high) and
//! manifest.json into DIR, by default a new folder results/<scenario name>_sensitivity/<UTC
//! time>/ linked as latest, under the output folder rule of outdir.rs. Design sizes are
//! checked before anything runs: at most 10^9 runs and 4 GiB of design in memory.

use std::path::PathBuf;

use brink::engine::Engine;
use brink::sensitivity::{self as sa, DesignPoint};

use super::outdir::SENSITIVITY_FILES;
use super::output::write_table;
use super::study::{EngineArgs, Manifest, OutArgs, ScenarioRef, WriteManifest, whole};
use super::{Failure, Result, overrides};
use brink::table;

#[derive(clap::Args, Debug)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: a new folder results/<scenario name>_sensitivity/<UTC \
     time>/, linked as latest]"
)))]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Morris screening, Sobol indices, or both.
    #[arg(long, value_parser = ["morris", "sobol", "both"], default_value = "both")]
    pub method: String,
    /// Metrics to analyse, comma-separated: event metrics and unconditional quantities
    /// [default: all of them].
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<String>,
    /// Parameters to vary, by key path, comma-separated [default: every uncertain parameter].
    #[arg(long, value_delimiter = ',')]
    pub params: Vec<String>,
    /// Morris trajectories: R·(k + 1) runs for k parameters (2 to 1000000000) [default: 200].
    #[arg(long, value_parser = at_least_two, allow_negative_numbers = true)]
    pub trajectories: Option<u64>,
    /// Morris grid levels: an even number from 2 to 1000000, since each step moves a parameter
    /// by half the levels [default: 4].
    #[arg(long, value_parser = levels_value, allow_negative_numbers = true)]
    pub levels: Option<u64>,
    /// Sobol base samples N: N·(k + 2) runs for k parameters (2 to 1000000000) [default: 2000].
    #[arg(long, value_parser = at_least_two, allow_negative_numbers = true)]
    pub samples: Option<u64>,
    /// Bootstrap resamples for the intervals (0 to 100000).
    #[arg(long, default_value_t = 500, value_parser = bootstrap_value, allow_negative_numbers = true)]
    pub bootstrap: u64,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutArgs,
}

fn at_least_two(s: &str) -> std::result::Result<u64, String> {
    whole(s, 2, brink::scenario::MAX_RUNS)
}

fn bootstrap_value(s: &str) -> std::result::Result<u64, String> {
    whole(s, 0, 100_000)
}

fn levels_value(s: &str) -> std::result::Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) => sa::levels(n),
        Err(_) => sa::levels(0),
    }
}

fn input(e: String) -> Failure {
    Failure::Input(format!("error: {e}\n"))
}

pub fn run(args: Args) -> Result<()> {
    let (session, set) = args.engine.start()?;
    let loaded = overrides::load(&args.scenario, &set)?;
    let sc = &loaded.scenario;
    let seed = args.engine.seed.unwrap_or(sc.default_seed);
    let quiet = args.output.quiet;
    let options = sa::Options {
        method: args.method.clone(),
        metrics: args.metrics.clone(),
        params: args.params.clone(),
        trajectories: args.trajectories,
        levels: args.levels,
        samples: args.samples,
        bootstrap: args.bootstrap,
    };
    let plan = sa::Plan::new(sc, &options).map_err(input)?;
    let total = plan.total;
    // Like `brink run`: a new folder per study under results/<name>_sensitivity/ with a `latest`
    // link, or an --out directory that must be empty unless --force.
    let inputs = [args.scenario.clone()];
    let out = args.output.prepare(
        &format!("{}_sensitivity", sc.name),
        SENSITIVITY_FILES,
        &inputs,
    )?;
    let staging = out.staging().to_path_buf();
    if !quiet {
        say!(
            "brink: {} parameters, {} metrics, {total} runs with seed {seed} on {} threads",
            plan.factors.len(),
            plan.outputs.len(),
            session.threads()
        );
    }
    let engine = Engine::new(sc, seed);
    let idx = plan.factor_indices();
    let outs = plan.output_list();
    let progress = super::progress::bar(total, quiet);
    // Simulates the points of a design, or says how far it got when interrupted.
    let evaluate = |points: &[DesignPoint]| -> Result<Vec<Vec<f64>>> {
        let mut done = 0;
        let y = session.install(|| {
            sa::evaluate(&engine, &idx, &outs, points, &session.stop, |n| {
                done += n;
                progress.inc(n)
            })
        });
        y.ok_or_else(|| session.interrupted(done, points.len() as u64, "runs", &out))
    };
    let metrics = plan.outputs.len() as u64;
    if plan.morris {
        let (design, points) = plan.morris_points(seed);
        progress.phase("Morris runs", points.len() as u64, "runs");
        let y = evaluate(&points)?;
        progress.phase("Morris bootstrap intervals", metrics, "metrics");
        write_table(&staging, "morris.csv", &table::morris_columns(), |f| {
            plan.morris_rows(&design, &y, seed, || progress.inc(1), f)
        })?;
    }
    if plan.sobol {
        let points = plan.sobol_points(seed);
        progress.phase("Sobol runs", points.len() as u64, "runs");
        let y = evaluate(&points)?;
        progress.phase("Sobol bootstrap intervals", metrics, "metrics");
        write_table(&staging, "sobol.csv", &table::sobol_columns(), |f| {
            plan.sobol_rows(&y, seed, || progress.inc(1), f)
        })?;
    }
    progress.finish_and_clear();
    let elapsed = session.elapsed();
    Manifest::new(
        "sensitivity",
        ScenarioRef::of(&loaded),
        seed,
        total,
        plan.detail(&args.method),
        session.invocation(),
    )
    .overrides(&set)
    .write(&staging)?;
    let dir = session.commit(out)?;
    if !quiet {
        say!(
            "brink: {total} runs in {elapsed:.2}s; wrote {}",
            dir.display()
        );
    }
    Ok(())
}
