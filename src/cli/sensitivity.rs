//! `brink sensitivity`: which uncertain parameters drive which outcomes.
//!
//! Usage: brink sensitivity SCENARIO.toml [--method morris|sobol|both] [--metrics a,b]
//!        [--params KEY,KEY] [--trajectories R] [--levels P] [--samples N] [--bootstrap B]
//!        [--seed S] [--threads T] [--out DIR] [--set KEY=VALUE]... [--quiet]
//!
//! Factors are the scenario's uncertain parameters (or those given with --params), each
//! explored over its own distribution through its inverse CDF. Each model evaluation is one
//! simulated run. Writes morris.csv (metric, parameter, mu, mu_star, sigma, mu_star_ci_low,
//! mu_star_ci_high) and/or sobol.csv (metric, parameter, index, value, ci_low, ci_high) and
//! manifest.json into DIR, by default results/<scenario name>_sensitivity/.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use brink::engine::Engine;
use brink::sensitivity::{self as sa, DesignPoint, Output};
use sha2::{Digest, Sha256};

use super::output::{atomic, csv_file_writer, num};
use super::overrides::{self, SetArgs};
use super::run::hex;
use super::{Failure, Result};

#[derive(clap::Args, Debug)]
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
    /// Morris trajectories.
    #[arg(long, default_value_t = 200)]
    pub trajectories: usize,
    /// Morris grid levels (even).
    #[arg(long, default_value_t = 4)]
    pub levels: usize,
    /// Sobol base samples N: N·(k + 2) runs for k parameters.
    #[arg(long, default_value_t = 2000)]
    pub samples: usize,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 500)]
    pub bootstrap: usize,
    /// Master seed [default: the scenario's `seed`, else 20251229].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory [default: a new folder under results/<scenario name>_sensitivity/,
    /// linked as latest].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub set: SetArgs,
    /// Replace brink's files in an --out directory that already holds files.
    #[arg(long)]
    pub force: bool,
    /// No progress or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn input(e: String) -> Failure {
    Failure::Input(format!("error: {e}\n"))
}

pub fn run(args: Args) -> Result<()> {
    let set = args.set.parsed()?;
    let loaded = overrides::load(&args.scenario, &set)?;
    let sc = &loaded.scenario;
    let seed = args.seed.unwrap_or(sc.default_seed);
    let uncertain: Vec<(usize, &str)> = sc
        .uncertain_params()
        .map(|(i, p)| (i, p.path.as_str()))
        .collect();
    let factors: Vec<(usize, &str)> = if args.params.is_empty() {
        uncertain.clone()
    } else {
        let names: Vec<&str> = uncertain.iter().map(|u| u.1).collect();
        args.params
            .iter()
            .map(|k| {
                uncertain.iter().find(|u| u.1 == k).copied().ok_or_else(|| {
                    input(format!(
                        "`{k}` is not an uncertain parameter of the scenario\n  = help: {}",
                        brink::scenario::diag::suggest(k, &names)
                    ))
                })
            })
            .collect::<Result<_>>()?
    };
    if factors.is_empty() {
        return Err(input(
            "the scenario has no uncertain parameter to analyse".into(),
        ));
    }
    let m = &sc.metrics;
    let mut outputs: Vec<(Output, String)> = m
        .events
        .iter()
        .enumerate()
        .map(|(e, x)| (Output::Event(e), x.id.clone()))
        .chain(
            m.quantities
                .iter()
                .enumerate()
                .filter(|(_, q)| !q.conditional)
                .map(|(q, x)| (Output::Quantity(q), x.id.clone())),
        )
        .collect();
    if !args.metrics.is_empty() {
        let names: Vec<&str> = outputs.iter().map(|o| o.1.as_str()).collect();
        let mut chosen = Vec::new();
        for w in &args.metrics {
            match outputs.iter().find(|o| &o.1 == w) {
                Some(o) => chosen.push(o.clone()),
                None => {
                    return Err(input(format!(
                        "`{w}` is not an event metric or unconditional quantity\n  = help: {}",
                        brink::scenario::diag::suggest(w, &names)
                    )));
                }
            }
        }
        outputs = chosen;
    }
    // Like `brink run`: a new folder per study under results/<name>_sensitivity/ with a `latest`
    // link, or an --out directory that must be empty unless --force.
    let outdir = super::outdir::OutDir::prepare(
        args.out.as_deref(),
        args.force,
        &format!("{}_sensitivity", sc.name),
    )?;
    let out = outdir.staging().to_path_buf();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start worker threads")?;
    let k = factors.len();
    let (morris, sobol) = match args.method.as_str() {
        "morris" => (true, false),
        "sobol" => (false, true),
        _ => (true, true),
    };
    if (morris && args.trajectories < 2) || (sobol && args.samples < 2) {
        return Err(input(
            "--trajectories and --samples must be at least 2".into(),
        ));
    }
    let total = if morris {
        args.trajectories * (k + 1)
    } else {
        0
    } + if sobol { args.samples * (k + 2) } else { 0 };
    if !args.quiet {
        eprintln!(
            "brink: {k} parameters, {} metrics, {total} runs with seed {seed} on {} threads",
            outputs.len(),
            pool.current_num_threads()
        );
    }
    let started = Instant::now();
    let engine = Engine::new(sc, seed);
    let progress = super::progress::bar(total as u64, args.quiet);
    let idx: Vec<usize> = factors.iter().map(|f| f.0).collect();
    let outs: Vec<Output> = outputs.iter().map(|o| o.0).collect();
    if morris {
        let design = sa::morris_design(k, args.trajectories, args.levels, seed);
        // Every point of trajectory t is simulated as run t: the effects are paired differences.
        let points: Vec<DesignPoint> = design
            .iter()
            .enumerate()
            .flat_map(|(t, tr)| {
                tr.points.iter().map(move |u| DesignPoint {
                    run: t as u64,
                    u: u.clone(),
                })
            })
            .collect();
        progress.phase("Morris runs", points.len() as u64, "runs");
        let y = pool.install(|| sa::evaluate(&engine, &idx, &outs, &points, |n| progress.inc(n)));
        progress.phase(
            "Morris bootstrap intervals",
            outputs.len() as u64,
            "metrics",
        );
        atomic(&out, "morris.csv", |w| {
            let mut c = csv_file_writer(w);
            c.write_record([
                "metric",
                "parameter",
                "mu",
                "mu_star",
                "sigma",
                "mu_star_ci_low",
                "mu_star_ci_high",
            ])?;
            for (o, (_, name)) in outputs.iter().enumerate() {
                let per: Vec<Vec<f64>> = (0..design.len())
                    .map(|t| (0..=k).map(|s| y[t * (k + 1) + s][o]).collect())
                    .collect();
                let stats = sa::morris_indices(&design, &per, k, args.bootstrap, seed);
                progress.inc(1);
                for (f, s) in factors.iter().zip(stats) {
                    c.write_record([
                        name.clone(),
                        f.1.to_string(),
                        num(s.mu),
                        num(s.mu_star),
                        num(s.sigma),
                        num(s.mu_star_ci_low),
                        num(s.mu_star_ci_high),
                    ])?;
                }
            }
            c.flush()?;
            Ok(())
        })?;
    }
    if sobol {
        let n = args.samples;
        let (a, b) = sa::saltelli_design(k, n, seed);
        // Row i of A, B and every A_B^(j) is simulated as run i.
        let mut points = Vec::with_capacity(n * (k + 2));
        for i in 0..n {
            let run = i as u64;
            points.push(DesignPoint {
                run,
                u: a[i].clone(),
            });
            points.push(DesignPoint {
                run,
                u: b[i].clone(),
            });
            for j in 0..k {
                points.push(DesignPoint {
                    run,
                    u: sa::mixed(&a[i], &b[i], j),
                });
            }
        }
        progress.phase("Sobol runs", points.len() as u64, "runs");
        let y = pool.install(|| sa::evaluate(&engine, &idx, &outs, &points, |n| progress.inc(n)));
        progress.phase("Sobol bootstrap intervals", outputs.len() as u64, "metrics");
        atomic(&out, "sobol.csv", |w| {
            let mut c = csv_file_writer(w);
            c.write_record(["metric", "parameter", "index", "value", "ci_low", "ci_high"])?;
            for (o, (_, name)) in outputs.iter().enumerate() {
                let row = |i: usize, s: usize| y[i * (k + 2) + s][o];
                let fa: Vec<f64> = (0..n).map(|i| row(i, 0)).collect();
                let fb: Vec<f64> = (0..n).map(|i| row(i, 1)).collect();
                let fab: Vec<Vec<f64>> = (0..k)
                    .map(|j| (0..n).map(|i| row(i, 2 + j)).collect())
                    .collect();
                let stats =
                    pool.install(|| sa::sobol_indices(&fa, &fb, &fab, args.bootstrap, seed));
                progress.inc(1);
                for (f, (s1, st)) in factors.iter().zip(stats) {
                    for (index, s) in [("first", s1), ("total", st)] {
                        c.write_record([
                            name.clone(),
                            f.1.to_string(),
                            index.to_string(),
                            num(s.value),
                            num(s.ci_low),
                            num(s.ci_high),
                        ])?;
                    }
                }
            }
            c.flush()?;
            Ok(())
        })?;
    }
    progress.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let manifest = serde_json::json!({
        "command": "sensitivity",
        "brink_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": sc.name,
            "path": loaded.path,
            "sha256": hex(&Sha256::digest(loaded.text.as_bytes())),
        },
        "overrides": overrides::manifest(&set),
        "seed": seed,
        "runs": total,
        "method": args.method,
        "parameters": factors.iter().map(|f| f.1).collect::<Vec<_>>(),
        "metrics": outputs.iter().map(|o| o.1.as_str()).collect::<Vec<_>>(),
        "trajectories": if morris { Some(args.trajectories) } else { None },
        "levels": if morris { Some(args.levels) } else { None },
        "samples": if sobol { Some(args.samples) } else { None },
        "bootstrap": args.bootstrap,
        "invocation": super::output::invocation(pool.current_num_threads(), elapsed),
    });
    super::output::write_manifest(&out, &manifest)?;
    let out = outdir.commit()?;
    if !args.quiet {
        eprintln!(
            "brink: {total} runs in {elapsed:.2}s; wrote {}",
            out.display()
        );
    }
    Ok(())
}
