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
use brink::sensitivity::{self as sa, DesignPoint, Output};
use serde::Serialize;

use super::outdir::SENSITIVITY_FILES;
use super::output::{atomic, csv_file_writer, num};
use super::study::{EngineArgs, Manifest, OutArgs, ScenarioRef, whole};
use super::{Failure, Result, overrides, quote};

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
    match whole(s, 2, 1_000_000) {
        Ok(n) if n % 2 == 0 => Ok(n),
        _ => Err(
            "expected an even whole number from 2 to 1000000: each Morris step moves a \
                  parameter by half the levels"
                .into(),
        ),
    }
}

/// The most memory a design may take: its points, their outputs and the bootstrap's
/// resamples are held whole (a design of the flagship's default size takes about 40 MB).
const MAX_DESIGN_BYTES: u64 = 4 << 30;

/// What a sensitivity study's manifest records beyond the common fields.
#[derive(Serialize)]
struct Detail {
    method: String,
    parameters: Vec<String>,
    metrics: Vec<String>,
    trajectories: Option<u64>,
    levels: Option<u64>,
    samples: Option<u64>,
    bootstrap: u64,
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
                        "`{}` is not an uncertain parameter of the scenario\n  = help: {}",
                        quote(k),
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
                        "`{}` is not an event metric or unconditional quantity\n  = help: {}",
                        quote(w),
                        brink::scenario::diag::suggest(w, &names)
                    )));
                }
            }
        }
        outputs = chosen;
    }
    let k = factors.len() as u64;
    let (morris, sobol) = match args.method.as_str() {
        "morris" => (true, false),
        "sobol" => (false, true),
        _ => (true, true),
    };
    let unused = match (morris, sobol) {
        (false, _) if args.trajectories.is_some() || args.levels.is_some() => {
            Some("--trajectories and --levels set the Morris design")
        }
        (_, false) if args.samples.is_some() => Some("--samples sets the Sobol design"),
        _ => None,
    };
    if let Some(what) = unused {
        return Err(input(format!(
            "{what}, which --method {} does not run\n  = help: drop it, or use --method both",
            args.method
        )));
    }
    let t = args.trajectories.unwrap_or(200);
    let levels = args.levels.unwrap_or(4);
    let (n, boot) = (args.samples.unwrap_or(2000), args.bootstrap);
    let morris_runs = if morris {
        t.checked_mul(k + 1)
    } else {
        Some(0)
    };
    let sobol_runs = if sobol { n.checked_mul(k + 2) } else { Some(0) };
    let total = morris_runs
        .zip(sobol_runs)
        .and_then(|(a, b)| a.checked_add(b))
        .filter(|&r| r <= brink::scenario::MAX_RUNS)
        .ok_or_else(|| {
            input(format!(
                "this design asks for more than {} runs (trajectories × (parameters + 1) + \
                 samples × (parameters + 2) = {} × {} + {} × {}); lower --trajectories or \
                 --samples",
                brink::scenario::MAX_RUNS,
                if morris { t } else { 0 },
                k + 1,
                if sobol { n } else { 0 },
                k + 2
            ))
        })?;
    // Memory: each point holds its k quantiles and its outputs; Sobol's bootstrap holds its
    // resamples of the N rows; Morris' holds one statistic per resample.
    let outs = outputs.len() as u64;
    let bytes = (total as u128) * (64 + 8 * (k + outs) as u128)
        + if sobol {
            (boot as u128) * (n as u128) * 8
        } else {
            0
        }
        + (boot as u128) * 8;
    if bytes > MAX_DESIGN_BYTES as u128 {
        return Err(input(format!(
            "this design needs about {:.1} GiB of memory ({total} runs; parameters: {k}, \
             metrics: {outs}, bootstrap resamples: {boot}), more than the {} GiB brink allows; \
             lower --trajectories, --samples or --bootstrap",
            bytes as f64 / (1u64 << 30) as f64,
            MAX_DESIGN_BYTES >> 30
        )));
    }
    // Like `brink run`: a new folder per study under results/<name>_sensitivity/ with a `latest`
    // link, or an --out directory that must be empty unless --force.
    let inputs = [args.scenario.clone()];
    let out = args.output.prepare(
        &format!("{}_sensitivity", sc.name),
        SENSITIVITY_FILES,
        &inputs,
    )?;
    let staging = out.staging().to_path_buf();
    let k = k as usize;
    if !quiet {
        say!(
            "brink: {k} parameters, {} metrics, {total} runs with seed {seed} on {} threads",
            outputs.len(),
            session.threads()
        );
    }
    let engine = Engine::new(sc, seed);
    let idx: Vec<usize> = factors.iter().map(|f| f.0).collect();
    let outs: Vec<Output> = outputs.iter().map(|o| o.0).collect();
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
    if morris {
        let design = sa::morris_design(k, t as usize, levels as usize, seed);
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
        let y = evaluate(&points)?;
        progress.phase(
            "Morris bootstrap intervals",
            outputs.len() as u64,
            "metrics",
        );
        atomic(&staging, "morris.csv", |w| {
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
                let stats = sa::morris_indices(&design, &per, k, boot as usize, seed);
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
        let n = n as usize;
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
        let y = evaluate(&points)?;
        progress.phase("Sobol bootstrap intervals", outputs.len() as u64, "metrics");
        atomic(&staging, "sobol.csv", |w| {
            let mut c = csv_file_writer(w);
            c.write_record(["metric", "parameter", "index", "value", "ci_low", "ci_high"])?;
            for (o, (_, name)) in outputs.iter().enumerate() {
                let row = |i: usize, s: usize| y[i * (k + 2) + s][o];
                let fa: Vec<f64> = (0..n).map(|i| row(i, 0)).collect();
                let fb: Vec<f64> = (0..n).map(|i| row(i, 1)).collect();
                let fab: Vec<Vec<f64>> = (0..k)
                    .map(|j| (0..n).map(|i| row(i, 2 + j)).collect())
                    .collect();
                let stats = sa::sobol_indices(&fa, &fb, &fab, boot as usize, seed);
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
    let elapsed = session.elapsed();
    let detail = Detail {
        method: args.method.clone(),
        parameters: factors.iter().map(|f| f.1.to_string()).collect(),
        metrics: outputs.iter().map(|o| o.1.clone()).collect(),
        trajectories: morris.then_some(t),
        levels: morris.then_some(levels),
        samples: sobol.then_some(n),
        bootstrap: boot,
    };
    Manifest::new(
        "sensitivity",
        ScenarioRef::of(&loaded),
        seed,
        total,
        detail,
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
