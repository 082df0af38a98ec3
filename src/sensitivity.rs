//! Global sensitivity analysis: Morris elementary effects and Sobol indices, with bootstrap
//! intervals.
//!
//! Both methods work in the unit hypercube: a design point gives each factor a quantile
//! u ∈ (0, 1), mapped to the parameter's value through its distribution's inverse CDF
//! (`quantile`, every family, truncation included), so every factor is explored over its own uncertainty. The estimators take
//! the outputs as plain numbers and know nothing of scenarios; `evaluate` runs a scenario at
//! design points, one simulated run per point, with the points of one Morris trajectory or
//! one Saltelli row sharing a run index so that their differences come from the factors and
//! not from the run's other draws (common random numbers).
//!
//! - Morris (Morris 1991, with μ* of Campolongo et al. 2007): `r` trajectories on a grid of
//!   `p` levels u = (i + ½)/p, each moving every factor once by ±½ in u, in random order.
//! - Sobol: Saltelli (2010) sampling with matrices A, B and A_B^(j); first order by Saltelli
//!   2010's estimator, total order by Jansen's, both divided by the variance of f over A and B.

use std::sync::atomic::AtomicBool;

use rand::RngExt;

use crate::engine::Engine;
use crate::metrics::MISSING;
use crate::model::NEVER;
use crate::rng::{Rng, StreamKey};
use crate::scenario::days::MAX_DAYS;
use crate::scenario::dist::{Dist, to_days};
use crate::study::{self, Ended, Flow, Pace};
use crate::table::Cell;

/// The value of `dist` at quantile `u` ∈ (0, 1): its inverse CDF, truncation included (a
/// truncated family's quantile u is the untruncated quantile of F(min) + u·(F(max) − F(min))).
/// None only if `u` is outside [0, 1].
pub fn quantile(dist: &Dist, u: f64) -> Option<f64> {
    use statrs::distribution::{Beta, ContinuousCDF, DiscreteCDF, LogNormal, Normal};
    if !(0.0..=1.0).contains(&u) {
        return None;
    }
    let truncated = |lo: f64, hi: f64, d: &dyn Fn(f64) -> f64, inv: &dyn Fn(f64) -> f64| {
        let (a, b) = (d(lo), d(hi));
        inv(a + u * (b - a)).clamp(lo, hi)
    };
    match *dist {
        Dist::Fixed(v) => Some(v),
        Dist::Uniform { lo, hi } => Some(lo + (hi - lo) * u),
        Dist::Triangular { min, mode, max, .. } => {
            let (w, left) = (max - min, mode - min);
            if w == 0.0 {
                return Some(min);
            }
            let f = left / w;
            Some(if u < f {
                min + (u * w * left).sqrt()
            } else {
                max - ((1.0 - u) * w * (max - mode)).sqrt()
            })
        }
        Dist::Normal { mean, sd, min, max } => {
            let n = Normal::new(mean, sd).ok()?;
            Some(truncated(min, max, &|x| n.cdf(x), &|p| n.inverse_cdf(p)))
        }
        Dist::Beta {
            alpha,
            beta,
            min,
            max,
            ..
        } => {
            let b = Beta::new(alpha, beta).ok()?;
            Some(min + (max - min) * b.inverse_cdf(u))
        }
        Dist::LogNormal { mu, sigma, max, .. } => {
            let l = LogNormal::new(mu, sigma).ok()?;
            Some(truncated(0.0, max, &|x| l.cdf(x), &|p| l.inverse_cdf(p)))
        }
        Dist::LogitNormal { mu, sigma } => {
            let z = Normal::new(0.0, 1.0).ok()?.inverse_cdf(u);
            Some(1.0 / (1.0 + crate::math::exp(-(mu + sigma * z))))
        }
        // Never compiled into a scenario: the Builder reads it first.
        Dist::Interval { .. } => None,
        Dist::DiscreteUniform { lo, hi } => {
            // The smallest k with P(X ≤ k) = (k − lo + 1)/n ≥ u.
            let n = hi - lo + 1.0;
            Some((lo + ((u * n).ceil() - 1.0).max(0.0)).min(hi))
        }
        Dist::Poisson { mean, .. } => {
            let p = statrs::distribution::Poisson::new(mean).ok()?;
            Some((p.inverse_cdf(u) as f64).min(f64::from(MAX_DAYS)))
        }
        Dist::NegativeBinomial {
            mean, dispersion, ..
        } => {
            let nb = statrs::distribution::NegativeBinomial::new(
                dispersion,
                dispersion / (dispersion + mean),
            )
            .ok()?;
            Some((nb.inverse_cdf(u) as f64).min(f64::from(MAX_DAYS)))
        }
        // Rounding is monotone, so the quantile of the rounded draw is the rounded quantile.
        Dist::Rounded(ref inner) => Some(to_days(quantile(inner, u)?)),
    }
}

/// A point of a design: the run index it is simulated with and each factor's quantile.
#[derive(Clone, Debug, PartialEq)]
pub struct DesignPoint {
    pub run: u64,
    pub u: Vec<f64>,
}

/// One Morris trajectory: k + 1 points; step s moves `factor[s]` by `delta[s]` (in u).
#[derive(Clone, Debug)]
pub struct Trajectory {
    pub points: Vec<Vec<f64>>,
    pub factor: Vec<usize>,
    pub delta: Vec<f64>,
}

/// `r` Morris trajectories over `k` factors on `p` levels (p even), reproducible from `seed`.
pub fn morris_design(k: usize, r: usize, p: usize, seed: u64) -> Vec<Trajectory> {
    let p = p.max(2) & !1;
    let jump = p / 2;
    let key = StreamKey::new(seed, "sensitivity:morris");
    (0..r)
        .map(|t| {
            let mut rng = key.for_run(t as u64);
            let mut level: Vec<usize> = (0..k).map(|_| rng.random_range(0..p)).collect();
            let mut order: Vec<usize> = (0..k).collect();
            for i in (1..k).rev() {
                let j = rng.random_range(0..=i);
                order.swap(i, j);
            }
            let u = |l: &[usize]| l.iter().map(|&i| (i as f64 + 0.5) / p as f64).collect();
            let mut points = vec![u(&level)];
            let mut delta = Vec::with_capacity(k);
            for &j in &order {
                if level[j] + jump < p {
                    level[j] += jump;
                    delta.push(jump as f64 / p as f64);
                } else {
                    level[j] -= jump;
                    delta.push(-(jump as f64) / p as f64);
                }
                points.push(u(&level));
            }
            Trajectory {
                points,
                factor: order,
                delta,
            }
        })
        .collect()
}

/// Morris statistics of one factor. Effects are in output units per unit of quantile.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisIndex {
    pub mu: f64,
    pub mu_star: f64,
    pub sigma: f64,
    pub mu_star_ci_low: f64,
    pub mu_star_ci_high: f64,
}

/// Morris statistics from the outputs `y[t][s]` of trajectory t's point s, with a percentile
/// bootstrap interval of μ* from `boot` resamples of the trajectories (NaN when `boot` is 0).
pub fn morris_indices(
    design: &[Trajectory],
    y: &[Vec<f64>],
    k: usize,
    boot: usize,
    seed: u64,
) -> Vec<MorrisIndex> {
    let r = design.len();
    // ee[j][t]: trajectory t's elementary effect of factor j.
    let mut ee = vec![vec![0.0; r]; k];
    for (t, tr) in design.iter().enumerate() {
        for s in 0..tr.factor.len() {
            ee[tr.factor[s]][t] = (y[t][s + 1] - y[t][s]) / tr.delta[s];
        }
    }
    let mut rng = StreamKey::new(seed, "sensitivity:morris:bootstrap").for_run(0);
    ee.iter()
        .map(|e| {
            let n = e.len() as f64;
            let mu = e.iter().sum::<f64>() / n;
            let mu_star = e.iter().map(|x| x.abs()).sum::<f64>() / n;
            let sigma = if e.len() > 1 {
                (e.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                0.0
            };
            let mut stats: Vec<f64> = (0..boot)
                .map(|_| {
                    (0..e.len())
                        .map(|_| e[rng.random_range(0..e.len())].abs())
                        .sum::<f64>()
                        / n
                })
                .collect();
            let (lo, hi) = percentiles(&mut stats);
            MorrisIndex {
                mu,
                mu_star,
                sigma,
                mu_star_ci_low: lo,
                mu_star_ci_high: hi,
            }
        })
        .collect()
}

/// 2.5th and 97.5th percentiles of bootstrap statistics; undefined (NaN, an empty cell) when
/// there are none (`--bootstrap 0`): no interval was computed, and the estimate alone is not
/// one.
fn percentiles(stats: &mut [f64]) -> (f64, f64) {
    if stats.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    stats.sort_by(f64::total_cmp);
    let at = |q: f64| stats[((q * stats.len() as f64).floor() as usize).min(stats.len() - 1)];
    (at(0.025), at(0.975))
}

/// Saltelli's matrices A and B: `n` rows of `k` quantiles each, reproducible from `seed`.
pub fn saltelli_design(k: usize, n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let key = StreamKey::new(seed, "sensitivity:sobol");
    let mut a = Vec::with_capacity(n);
    let mut b = Vec::with_capacity(n);
    for i in 0..n {
        let mut rng: Rng = key.for_run(i as u64);
        // random() is in [0, 1); 1 - it is in (0, 1], and their mean keeps 0 out.
        let draw = |rng: &mut Rng| (0..k).map(|_| open01(rng)).collect::<Vec<f64>>();
        a.push(draw(&mut rng));
        b.push(draw(&mut rng));
    }
    (a, b)
}

fn open01(rng: &mut Rng) -> f64 {
    (rng.random::<u32>() as f64 + 0.5) / 4_294_967_296.0
}

/// A_B^(j): row i of A with column j taken from B.
pub fn mixed(a: &[f64], b: &[f64], j: usize) -> Vec<f64> {
    let mut x = a.to_vec();
    x[j] = b[j];
    x
}

/// One Sobol index with its bootstrap standard error and percentile interval (NaN without
/// resamples).
#[derive(Clone, Debug, PartialEq)]
pub struct SobolIndex {
    pub value: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// First-order and total indices of every factor from f(A), f(B) and f(A_B^(j)) (`fab[j]`),
/// with `boot` bootstrap resamples of the rows.
pub fn sobol_indices(
    fa: &[f64],
    fb: &[f64],
    fab: &[Vec<f64>],
    boot: usize,
    seed: u64,
) -> Vec<(SobolIndex, SobolIndex)> {
    let n = fa.len();
    let all: Vec<usize> = (0..n).collect();
    let estimate = |rows: &[usize], j: usize| -> (f64, f64) {
        let m = rows.len() as f64;
        let mean = rows.iter().map(|&i| fa[i] + fb[i]).sum::<f64>() / (2.0 * m);
        let var = rows
            .iter()
            .map(|&i| (fa[i] - mean).powi(2) + (fb[i] - mean).powi(2))
            .sum::<f64>()
            / (2.0 * m - 1.0);
        if var <= 0.0 {
            return (0.0, 0.0);
        }
        let s1 = rows
            .iter()
            .map(|&i| fb[i] * (fab[j][i] - fa[i]))
            .sum::<f64>()
            / m
            / var;
        let st = rows
            .iter()
            .map(|&i| (fa[i] - fab[j][i]).powi(2))
            .sum::<f64>()
            / (2.0 * m)
            / var;
        (s1, st)
    };
    let mut rng = StreamKey::new(seed, "sensitivity:sobol:bootstrap").for_run(0);
    let resamples: Vec<Vec<usize>> = (0..boot)
        .map(|_| (0..n).map(|_| rng.random_range(0..n)).collect())
        .collect();
    (0..fab.len())
        .map(|j| {
            let (s1, st) = estimate(&all, j);
            let (mut b1, mut bt): (Vec<f64>, Vec<f64>) =
                resamples.iter().map(|rows| estimate(rows, j)).unzip();
            let index = |v: f64, b: &mut Vec<f64>| {
                let se = sd(b);
                let (lo, hi) = percentiles(b);
                SobolIndex {
                    value: v,
                    se,
                    ci_low: lo,
                    ci_high: hi,
                }
            };
            (index(s1, &mut b1), index(st, &mut bt))
        })
        .collect()
}

fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// A metric a sensitivity analysis can read from every run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// 1 if the event metric happened, else 0.
    Event(usize),
    /// The value of an unconditional quantity.
    Quantity(usize),
}

/// Simulates every point (one run each, at its run index, with `factors[f]` — indices into
/// `Scenario::params` — set to the quantile `u[f]` of its distribution) through the study
/// driver and returns each point's outputs, or `None` if `stop` was raised first. A point's
/// outputs depend only on the point, so the result does not depend on the number of threads.
pub fn evaluate(
    engine: &Engine,
    factors: &[usize],
    outputs: &[Output],
    points: &[DesignPoint],
    stop: &AtomicBool,
    mut tick: impl FnMut(u64),
) -> Option<Vec<Vec<f64>>> {
    let sc = engine.scenario;
    let dists: Vec<&Dist> = factors.iter().map(|&i| &sc.params[i].dist).collect();
    let mut out = Vec::with_capacity(points.len());
    let piece = |items: std::ops::Range<u64>| {
        let mut ws = engine.workspace();
        let mut ys = Vec::with_capacity((items.end - items.start) as usize);
        let done = study::each(items, stop, |i| {
            let p = &points[i as usize];
            ws.set_params.clear();
            for ((&i, d), &u) in factors.iter().zip(&dists).zip(&p.u) {
                let v = quantile(d, u).unwrap_or_else(|| d.mean());
                ws.set_params.push((i, v));
            }
            engine.simulate(p.run, &mut ws, &mut crate::engine::NoRecord);
            ys.push(
                outputs
                    .iter()
                    .map(|o| match *o {
                        Output::Event(e) => f64::from(u8::from(ws.outcome.first[e] != NEVER)),
                        Output::Quantity(q) => {
                            let v = ws.outcome.values[q];
                            if v == MISSING {
                                f64::NAN
                            } else {
                                sc.metrics.quantities[q].binning.value(v)
                            }
                        }
                    })
                    .collect::<Vec<f64>>(),
            );
        });
        done.then_some(ys)
    };
    let ended = study::drive(
        0..points.len() as u64,
        Pace::RUNS,
        stop,
        piece,
        |ys: Vec<Vec<f64>>| {
            tick(ys.len() as u64);
            out.extend(ys);
            Ok::<_, std::convert::Infallible>(Flow::Continue)
        },
    );
    matches!(ended, Ok(Ended::Complete)).then_some(out)
}

/// The most memory a design may take: its points, their outputs and the bootstrap's
/// resamples are held whole (a design of the flagship's default size takes about 40 MB).
pub const MAX_DESIGN_BYTES: u64 = 4 << 30;

/// What a sensitivity study is asked for (`brink sensitivity`'s flags, the Python
/// `sensitivity` function's arguments).
#[derive(Clone, Debug)]
pub struct Options {
    /// "morris", "sobol" or "both".
    pub method: String,
    /// Metrics to analyse [default: every event metric and unconditional quantity].
    pub metrics: Vec<String>,
    /// Parameters to vary, by key path [default: every uncertain parameter].
    pub params: Vec<String>,
    pub trajectories: Option<u64>,
    pub levels: Option<u64>,
    pub samples: Option<u64>,
    pub bootstrap: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            method: "both".into(),
            metrics: Vec::new(),
            params: Vec::new(),
            trajectories: None,
            levels: None,
            samples: None,
            bootstrap: 500,
        }
    }
}

/// Morris trajectories and Sobol samples: 2 to `MAX_RUNS`.
pub fn design_size(n: u64) -> Result<u64, String> {
    study::whole(n, 2, crate::scenario::MAX_RUNS)
}

/// Morris grid levels: an even number from 2 to 1000000.
pub fn levels(n: u64) -> Result<u64, String> {
    match study::whole(n, 2, 1_000_000) {
        Ok(n) if n % 2 == 0 => Ok(n),
        _ => Err(
            "expected an even whole number from 2 to 1000000: each Morris step moves a \
                  parameter by half the levels"
                .into(),
        ),
    }
}

/// Bootstrap resamples: 0 to 100000.
pub fn bootstrap(n: u64) -> Result<u64, String> {
    study::whole(n, 0, 100_000)
}

/// A sensitivity study of one scenario, checked: its factors, its outputs and the size of its
/// designs. Every front end runs `morris_points` and `sobol_points` through `evaluate` and
/// turns the outputs into the rows of morris.csv and sobol.csv with `morris_rows` and
/// `sobol_rows`.
#[derive(Clone, Debug)]
pub struct Plan {
    /// (index into `Scenario::params`, key path) of each factor.
    pub factors: Vec<(usize, String)>,
    /// Each output and its metric's id.
    pub outputs: Vec<(Output, String)>,
    pub morris: bool,
    pub sobol: bool,
    pub trajectories: u64,
    pub levels: u64,
    pub samples: u64,
    pub bootstrap: u64,
    /// Simulated runs in all.
    pub total: u64,
}

impl Plan {
    /// Checks the options against the scenario; the message says what is wrong and what
    /// would be right.
    pub fn new(sc: &crate::model::Scenario, o: &Options) -> Result<Plan, String> {
        use crate::scenario::diag::{clip, suggest};
        let quote = |s: &str| clip(s, crate::scenario::diag::QUOTE_MAX).into_owned();
        for n in [o.trajectories, o.samples].into_iter().flatten() {
            design_size(n)?;
        }
        if let Some(l) = o.levels {
            levels(l)?;
        }
        bootstrap(o.bootstrap)?;
        let (morris, sobol) = match o.method.as_str() {
            "morris" => (true, false),
            "sobol" => (false, true),
            "both" => (true, true),
            other => {
                return Err(format!(
                    "unknown method `{}`\n  = help: morris, sobol or both",
                    quote(other)
                ));
            }
        };
        let uncertain: Vec<(usize, &str)> = sc
            .uncertain_params()
            .map(|(i, p)| (i, p.path.as_str()))
            .collect();
        let factors: Vec<(usize, String)> = if o.params.is_empty() {
            uncertain.iter().map(|&(i, p)| (i, p.to_string())).collect()
        } else {
            let names: Vec<&str> = uncertain.iter().map(|u| u.1).collect();
            o.params
                .iter()
                .map(|k| {
                    uncertain
                        .iter()
                        .find(|u| u.1 == k)
                        .map(|&(i, p)| (i, p.to_string()))
                        .ok_or_else(|| {
                            format!(
                                "`{}` is not an uncertain parameter of the scenario\n  = help: {}",
                                quote(k),
                                suggest(k, &names)
                            )
                        })
                })
                .collect::<Result<_, _>>()?
        };
        if factors.is_empty() {
            return Err("the scenario has no uncertain parameter to analyse".into());
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
        if !o.metrics.is_empty() {
            let names: Vec<&str> = outputs.iter().map(|o| o.1.as_str()).collect();
            let mut chosen = Vec::new();
            for w in &o.metrics {
                match outputs.iter().find(|o| &o.1 == w) {
                    Some(o) => chosen.push(o.clone()),
                    None => {
                        return Err(format!(
                            "`{}` is not an event metric or unconditional quantity\n  = help: {}",
                            quote(w),
                            suggest(w, &names)
                        ));
                    }
                }
            }
            outputs = chosen;
        }
        let k = factors.len() as u64;
        let unused = match (morris, sobol) {
            (false, _) if o.trajectories.is_some() || o.levels.is_some() => {
                Some("--trajectories and --levels set the Morris design")
            }
            (_, false) if o.samples.is_some() => Some("--samples sets the Sobol design"),
            _ => None,
        };
        if let Some(what) = unused {
            return Err(format!(
                "{what}, which --method {} does not run\n  = help: drop it, or use --method both",
                o.method
            ));
        }
        let t = o.trajectories.unwrap_or(200);
        let levels = o.levels.unwrap_or(4);
        let (n, boot) = (o.samples.unwrap_or(2000), o.bootstrap);
        let morris_runs = if morris {
            t.checked_mul(k + 1)
        } else {
            Some(0)
        };
        let sobol_runs = if sobol { n.checked_mul(k + 2) } else { Some(0) };
        let total = morris_runs
            .zip(sobol_runs)
            .and_then(|(a, b)| a.checked_add(b))
            .filter(|&r| r <= crate::scenario::MAX_RUNS)
            .ok_or_else(|| {
                format!(
                    "this design asks for more than {} runs (trajectories × (parameters + 1) + \
                     samples × (parameters + 2) = {} × {} + {} × {}); lower --trajectories or \
                     --samples",
                    crate::scenario::MAX_RUNS,
                    if morris { t } else { 0 },
                    k + 1,
                    if sobol { n } else { 0 },
                    k + 2
                )
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
            return Err(format!(
                "this design needs about {:.1} GiB of memory ({total} runs; parameters: {k}, \
                 metrics: {outs}, bootstrap resamples: {boot}), more than the {} GiB brink \
                 allows; lower --trajectories, --samples or --bootstrap",
                bytes as f64 / (1u64 << 30) as f64,
                MAX_DESIGN_BYTES >> 30
            ));
        }
        Ok(Plan {
            factors,
            outputs,
            morris,
            sobol,
            trajectories: t,
            levels,
            samples: n,
            bootstrap: boot,
            total,
        })
    }

    /// The indices of the factors into `Scenario::params`, as `evaluate` takes them.
    pub fn factor_indices(&self) -> Vec<usize> {
        self.factors.iter().map(|f| f.0).collect()
    }

    /// The outputs, as `evaluate` takes them.
    pub fn output_list(&self) -> Vec<Output> {
        self.outputs.iter().map(|o| o.0).collect()
    }

    /// The Morris design and its points: every point of trajectory t is simulated as run t,
    /// so the effects are paired differences.
    pub fn morris_points(&self, seed: u64) -> (Vec<Trajectory>, Vec<DesignPoint>) {
        let k = self.factors.len();
        let design = morris_design(k, self.trajectories as usize, self.levels as usize, seed);
        let points = design
            .iter()
            .enumerate()
            .flat_map(|(t, tr)| {
                tr.points.iter().map(move |u| DesignPoint {
                    run: t as u64,
                    u: u.clone(),
                })
            })
            .collect();
        (design, points)
    }

    /// The rows of morris.csv from the outputs `y` of `morris_points`; `tick` is called once
    /// per metric (the bootstrap takes a while).
    pub fn morris_rows<E>(
        &self,
        design: &[Trajectory],
        y: &[Vec<f64>],
        seed: u64,
        mut tick: impl FnMut(),
        mut f: impl FnMut(&[Cell]) -> Result<(), E>,
    ) -> Result<(), E> {
        let k = self.factors.len();
        for (o, (_, name)) in self.outputs.iter().enumerate() {
            let per: Vec<Vec<f64>> = (0..design.len())
                .map(|t| (0..=k).map(|s| y[t * (k + 1) + s][o]).collect())
                .collect();
            let stats = morris_indices(design, &per, k, self.bootstrap as usize, seed);
            tick();
            for (factor, s) in self.factors.iter().zip(stats) {
                f(&[
                    Cell::Text(name.into()),
                    Cell::Text(factor.1.as_str().into()),
                    Cell::Num(s.mu),
                    Cell::Num(s.mu_star),
                    Cell::Num(s.sigma),
                    Cell::Num(s.mu_star_ci_low),
                    Cell::Num(s.mu_star_ci_high),
                ])?;
            }
        }
        Ok(())
    }

    /// The Saltelli points: row i of A, B and every A_B^(j) is simulated as run i.
    pub fn sobol_points(&self, seed: u64) -> Vec<DesignPoint> {
        let (k, n) = (self.factors.len(), self.samples as usize);
        let (a, b) = saltelli_design(k, n, seed);
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
                    u: mixed(&a[i], &b[i], j),
                });
            }
        }
        points
    }

    /// The rows of sobol.csv from the outputs `y` of `sobol_points`; `tick` is called once per
    /// metric.
    pub fn sobol_rows<E>(
        &self,
        y: &[Vec<f64>],
        seed: u64,
        mut tick: impl FnMut(),
        mut f: impl FnMut(&[Cell]) -> Result<(), E>,
    ) -> Result<(), E> {
        let (k, n) = (self.factors.len(), self.samples as usize);
        for (o, (_, name)) in self.outputs.iter().enumerate() {
            let row = |i: usize, s: usize| y[i * (k + 2) + s][o];
            let fa: Vec<f64> = (0..n).map(|i| row(i, 0)).collect();
            let fb: Vec<f64> = (0..n).map(|i| row(i, 1)).collect();
            let fab: Vec<Vec<f64>> = (0..k)
                .map(|j| (0..n).map(|i| row(i, 2 + j)).collect())
                .collect();
            let stats = sobol_indices(&fa, &fb, &fab, self.bootstrap as usize, seed);
            tick();
            for (factor, (s1, st)) in self.factors.iter().zip(stats) {
                for (index, s) in [("first", s1), ("total", st)] {
                    f(&[
                        Cell::Text(name.into()),
                        Cell::Text(factor.1.as_str().into()),
                        Cell::Text(index.into()),
                        Cell::Num(s.value),
                        Cell::Num(s.ci_low),
                        Cell::Num(s.ci_high),
                    ])?;
                }
            }
        }
        Ok(())
    }

    /// What the manifest records of the study.
    pub fn detail(&self, method: &str) -> crate::manifest::SensitivityDetail {
        crate::manifest::SensitivityDetail {
            method: method.to_string(),
            parameters: self.factors.iter().map(|f| f.1.clone()).collect(),
            metrics: self.outputs.iter().map(|o| o.1.clone()).collect(),
            trajectories: self.morris.then_some(self.trajectories),
            levels: self.morris.then_some(self.levels),
            samples: self.sobol.then_some(self.samples),
            bootstrap: self.bootstrap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ishigami(x: &[f64]) -> f64 {
        let (a, b) = (7.0, 0.1);
        let x: Vec<f64> = x
            .iter()
            .map(|u| -std::f64::consts::PI + 2.0 * std::f64::consts::PI * u)
            .collect();
        crate::math::sin(x[0])
            + a * crate::math::sin(x[1]).powi(2)
            + b * x[2].powi(4) * crate::math::sin(x[0])
    }

    #[test]
    fn sobol_recovers_the_ishigami_indices() {
        // Published values for a = 7, b = 0.1 (Ishigami and Homma 1990; Saltelli et al. 2008).
        let s1 = [0.3139, 0.4424, 0.0];
        let st = [0.5576, 0.4424, 0.2437];
        let n = 20_000;
        let (a, b) = saltelli_design(3, n, 1);
        let fa: Vec<f64> = a.iter().map(|x| ishigami(x)).collect();
        let fb: Vec<f64> = b.iter().map(|x| ishigami(x)).collect();
        let fab: Vec<Vec<f64>> = (0..3)
            .map(|j| (0..n).map(|i| ishigami(&mixed(&a[i], &b[i], j))).collect())
            .collect();
        let idx = sobol_indices(&fa, &fb, &fab, 200, 2);
        for j in 0..3 {
            let (f, t) = &idx[j];
            // Within four bootstrap standard errors of the published values.
            assert!(
                (f.value - s1[j]).abs() < 4.0 * f.se,
                "S1[{j}] = {} ± {}",
                f.value,
                f.se
            );
            assert!(
                (t.value - st[j]).abs() < 4.0 * t.se,
                "ST[{j}] = {} ± {}",
                t.value,
                t.se
            );
            assert!(f.se > 0.0 && f.se < 0.03, "{}", f.se);
            assert!(f.ci_low <= f.value && f.value <= f.ci_high);
        }
    }

    #[test]
    fn morris_ranks_effects_and_finds_the_inert_factor() {
        // f = 0·u0 + 1·u1 + 5·u2 + 4·u3·u4: linear effects are exact (σ = 0) and u0 does nothing.
        let f = |u: &[f64]| u[1] + 5.0 * u[2] + 4.0 * u[3] * u[4];
        let design = morris_design(5, 50, 4, 3);
        let y: Vec<Vec<f64>> = design
            .iter()
            .map(|t| t.points.iter().map(|x| f(x)).collect())
            .collect();
        for t in &design {
            assert_eq!(t.points.len(), 6);
            let mut seen = t.factor.clone();
            seen.sort();
            assert_eq!(seen, vec![0, 1, 2, 3, 4]);
        }
        let m = morris_indices(&design, &y, 5, 500, 4);
        assert_eq!(m[0].mu_star, 0.0);
        assert_eq!(m[0].sigma, 0.0);
        assert!((m[1].mu_star - 1.0).abs() < 1e-12 && m[1].sigma < 1e-12);
        assert!((m[2].mu_star - 5.0).abs() < 1e-12 && m[2].sigma < 1e-12);
        // Interaction: EE of u3 is 4·u4 with u4 ∈ {1/8, 3/8, 5/8, 7/8}: mean 2, σ > 0.
        assert!(m[3].sigma > 0.5 && m[3].mu_star > 1.0 && m[3].mu_star < 3.0);
        assert!(m[3].mu_star_ci_low <= m[3].mu_star && m[3].mu_star <= m[3].mu_star_ci_high);
        assert!(m[2].mu_star > m[3].mu_star && m[3].mu_star > m[1].mu_star);
    }

    fn dist(text: &str) -> Dist {
        toml::from_str::<std::collections::BTreeMap<String, Dist>>(&format!("x = {text}"))
            .unwrap()
            .remove("x")
            .unwrap()
    }

    #[test]
    fn quantiles_of_the_other_families_match_known_values() {
        // Standard normal: Φ⁻¹(0.975) = 1.959964.
        let n = dist("{ normal = [0, 1] }");
        assert!((quantile(&n, 0.975).unwrap() - 1.959964).abs() < 1e-5);
        // Truncated to [0, ∞): the half-normal, whose median is Φ⁻¹(0.75) = 0.674490.
        let h = dist("{ normal = [0, 1], min = 0 }");
        assert!((quantile(&h, 0.5).unwrap() - 0.674490).abs() < 1e-5);
        // Beta(2, 2) is symmetric; Beta(1, 1) on [2, 4] is uniform.
        assert!((quantile(&dist("{ beta = [2, 2] }"), 0.5).unwrap() - 0.5).abs() < 1e-9);
        let b = dist("{ beta = [1, 1], min = 2, max = 4 }");
        assert!((quantile(&b, 0.25).unwrap() - 2.5).abs() < 1e-9);
        // Lognormal: median e^mu; truncated at its median, the new median is e^(mu + σΦ⁻¹(¼)).
        let l = dist("{ lognormal = [1, 0.5] }");
        assert!((quantile(&l, 0.5).unwrap() - crate::math::exp(1.0)).abs() < 1e-6);
        let t = dist("{ lognormal = [1, 0.5], max = 2.718281828459045 }");
        let want = crate::math::exp(1.0 - 0.5 * 0.674490);
        assert!((quantile(&t, 0.5).unwrap() - want).abs() < 1e-5);
        assert!(quantile(&l, 1.5).is_none());
    }

    #[test]
    fn triangular_quantiles_invert_the_cdf() {
        let d = dist("{ triangular = [0.0, 1.0, 4.0] }");
        // CDF at the mode is (mode − min)/(max − min) = 0.25.
        assert!((quantile(&d, 0.25).unwrap() - 1.0).abs() < 1e-12);
        assert!((quantile(&d, 0.0).unwrap() - 0.0).abs() < 1e-12);
        assert!((quantile(&d, 1.0).unwrap() - 4.0).abs() < 1e-12);
        // Median: 4 − sqrt(0.5·4·3) = 1.5505.
        assert!((quantile(&d, 0.5).unwrap() - (4.0 - 6f64.sqrt())).abs() < 1e-12);
    }

    fn days(text: &str) -> Dist {
        toml::from_str::<std::collections::BTreeMap<String, crate::scenario::days::Days>>(&format!(
            "x = {text}"
        ))
        .unwrap()
        .remove("x")
        .unwrap()
        .dist()
        .clone()
    }

    #[test]
    fn quantiles_of_the_new_families_match_closed_forms() {
        // Logit-normal: logistic(mu + sigma Φ⁻¹(u)), Φ⁻¹(0.975) = 1.959964.
        let l = dist("{ logit_normal = [0.5, 0.8] }");
        let want = 1.0 / (1.0 + crate::math::exp(-(0.5 + 0.8 * 1.959964)));
        assert!((quantile(&l, 0.975).unwrap() - want).abs() < 1e-6);
        assert!((quantile(&l, 0.5).unwrap() - 1.0 / (1.0 + crate::math::exp(-0.5))).abs() < 1e-12);
        // Discrete uniform on 3..=7: P(X ≤ k) = (k − 2)/5, and Q(u) is the smallest k with
        // P(X ≤ k) ≥ u.
        let u = days("{ uniform = [3, 7] }");
        for (p, k) in [
            (0.01, 3.0),
            (0.2, 3.0),
            (0.2001, 4.0),
            (0.6, 5.0),
            (0.999, 7.0),
        ] {
            assert_eq!(quantile(&u, p), Some(k), "Q({p})");
        }
        // Poisson(2): F(0) = e⁻² = 0.1353, F(1) = 0.4060, F(2) = 0.6767, F(3) = 0.8571.
        let p = days("{ poisson = 2 }");
        for (q, k) in [(0.1, 0.0), (0.2, 1.0), (0.5, 2.0), (0.85, 3.0), (0.86, 4.0)] {
            assert_eq!(quantile(&p, q), Some(k), "Poisson Q({q})");
        }
        // Negative binomial, mean 6 and dispersion 2: P(k) = (k + 1)(1/4)²(3/4)^k, so
        // F(0) = 0.0625, F(1) = 0.15625, F(2) = 0.2617.
        let nb = days("{ negative_binomial = [6, 2] }");
        for (q, k) in [(0.05, 0.0), (0.1, 1.0), (0.2, 2.0), (0.27, 3.0)] {
            assert_eq!(quantile(&nb, q), Some(k), "NB Q({q})");
        }
        // Rounded normal [1, 2]: round(1 + 2 Φ⁻¹(u)), floored at 0: Φ⁻¹(0.9) = 1.28155.
        let r = days("{ normal = [1, 2] }");
        assert_eq!(quantile(&r, 0.5), Some(1.0));
        assert_eq!(quantile(&r, 0.1), Some(0.0));
        assert_eq!(quantile(&r, 0.9), Some(4.0));
    }
}
