//! Probability distributions for uncertain parameters, as written in scenario files.
//!
//! A parameter is a plain number, a one-key table naming a family, or a range in words:
//! - `{ uniform = [lo, hi] }`, `{ triangular = [min, mode, max] }`,
//!   `{ normal = [mean, sd], min = .., max = .. }` (truncated when bounds are given),
//!   `{ beta = [alpha, beta], min = .., max = .. }` (rescaled from [0, 1] to [min, max]),
//!   `{ lognormal = [mu, sigma], max = .. }` (mu and sigma of the underlying normal),
//!   `{ logit_normal = [mu, sigma] }` (the logistic function of a normal with that mean and
//!   sd: a probability);
//! - `"A to B"`: a distribution with 90% of its mass in [A, B] (5% below A, 5% above B). How
//!   it is read depends on the key, so it is kept unresolved (`Dist::Interval`) until the
//!   `Builder` registers the key with its bounds (`build::Bounds`): a probability (bounds
//!   [0, 1]) with 0 < A < B < 1 reads it as a logit-normal, any other key with 0 < A as a
//!   lognormal, and otherwise as a normal; the reading is kept and shown back (`explain`).
//!
//! Day counts (`days::Days`) use four more variants that draw whole numbers only: a discrete
//! uniform, a Poisson, a negative binomial and a continuous family rounded to whole days. They
//! are reachable only through `Days`, never as a plain parameter.
//!
//! Parsing validates the family's parameters, so a `Dist` that exists can always be sampled,
//! except the unresolved `Interval`, which no compiled scenario holds.

use rand::RngExt;
use rand_distr::{Beta, Distribution, Triangular};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::days::MAX_DAYS;
use crate::draw::{self, Gamma, Poisson};
use crate::math;
use crate::rng::Rng;

/// The standard normal quantile at 0.95: a 90% interval is mean ± Z90·sd.
pub const Z90: f64 = 1.644_853_626_951_472_2;

/// A distribution over the reals, or a fixed value.
#[derive(Clone, Debug)]
pub enum Dist {
    Fixed(f64),
    Uniform {
        lo: f64,
        hi: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
        sampler: Triangular<f64>,
    },
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
        min: f64,
        max: f64,
        sampler: Beta<f64>,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
        max: f64,
    },
    /// The logistic function of N(mu, sigma²): a value in (0, 1).
    LogitNormal {
        mu: f64,
        sigma: f64,
    },
    /// `"lo to hi"` as written, before the key's bounds say how to read it. Never sampled:
    /// the `Builder` resolves it.
    Interval {
        lo: f64,
        hi: f64,
    },
    /// Day counts only: every whole number in lo..=hi equally likely (lo, hi whole).
    DiscreteUniform {
        lo: f64,
        hi: f64,
    },
    /// Day counts only: Poisson with this mean, capped at `MAX_DAYS`.
    Poisson {
        mean: f64,
        sampler: Poisson,
    },
    /// Day counts only: a gamma–Poisson mixture with this mean and variance
    /// mean + mean²/dispersion, capped at `MAX_DAYS`.
    NegativeBinomial {
        mean: f64,
        dispersion: f64,
        /// The gamma with shape = dispersion and scale = mean/dispersion.
        gamma: Gamma,
    },
    /// Day counts only: a continuous family rounded to the nearest whole day (half up),
    /// floored at 0 and capped at `MAX_DAYS`.
    Rounded(Box<Dist>),
}

/// The keys that name a family: a table holding one is a distribution (a value), not a
/// section of the file.
pub const FAMILY_KEYS: &[&str] = &[
    "uniform",
    "triangular",
    "normal",
    "beta",
    "lognormal",
    "logit_normal",
    "poisson",
    "negative_binomial",
];

/// How many rejections a truncated draw tolerates before it clamps. Validation refuses
/// truncations that keep less than 1% of the mass, so this bound is never reached in practice;
/// it exists so that no input can make a draw loop forever.
const MAX_REJECTIONS: usize = 10_000;

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + math::exp(-x))
}

fn logit(p: f64) -> f64 {
    math::ln(p / (1.0 - p))
}

/// Rounds half up, then keeps a day count within [0, MAX_DAYS].
#[inline]
pub(crate) fn to_days(x: f64) -> f64 {
    // NaN cannot occur (every family draws finite values); `clamp` would keep it, `max` not.
    (x + 0.5).floor().max(0.0).min(f64::from(MAX_DAYS))
}

impl Dist {
    pub fn fixed(v: f64) -> Dist {
        Dist::Fixed(v)
    }

    pub fn is_fixed(&self) -> bool {
        matches!(self, Dist::Fixed(_))
    }

    /// Whether this is a `"lo to hi"` range still waiting for its key's bounds.
    pub fn is_unresolved(&self) -> bool {
        match self {
            Dist::Interval { .. } => true,
            Dist::Rounded(inner) => inner.is_unresolved(),
            _ => false,
        }
    }

    /// Draws one value.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { lo, hi } => lo + (hi - lo) * rng.random::<f64>(),
            Dist::Triangular { sampler, .. } => sampler.sample(rng),
            Dist::Normal { mean, sd, min, max } => {
                for _ in 0..MAX_REJECTIONS {
                    let z = draw::standard_normal(rng);
                    let x = mean + sd * z;
                    if x >= *min && x <= *max {
                        return x;
                    }
                }
                mean.clamp(*min, *max)
            }
            Dist::Beta {
                min, max, sampler, ..
            } => min + (max - min) * sampler.sample(rng),
            Dist::LogNormal { mu, sigma, max } => {
                let one = |rng: &mut Rng| math::exp(mu + sigma * draw::standard_normal(rng));
                for _ in 0..MAX_REJECTIONS {
                    let x = one(rng);
                    if x <= *max {
                        return x;
                    }
                }
                max.min(one(rng))
            }
            Dist::LogitNormal { mu, sigma } => {
                let z = draw::standard_normal(rng);
                logistic(mu + sigma * z)
            }
            Dist::Interval { .. } => {
                unreachable!("a \"lo to hi\" range is resolved by the Builder before any draw")
            }
            Dist::DiscreteUniform { lo, hi } => {
                // Whole numbers within u32 (checked when parsed), so the casts are exact.
                f64::from(rng.random_range(*lo as u32..=*hi as u32))
            }
            Dist::Poisson { sampler, .. } => sampler.sample(rng).min(f64::from(MAX_DAYS)),
            Dist::NegativeBinomial { gamma, .. } => {
                let lambda = gamma.sample(rng).min(2.0 * f64::from(MAX_DAYS));
                // A gamma draw can underflow to 0; Poisson(0) is 0 and has no sampler.
                match Poisson::new(lambda) {
                    Some(p) => p.sample(rng).min(f64::from(MAX_DAYS)),
                    None => 0.0,
                }
            }
            Dist::Rounded(inner) => to_days(inner.sample(rng)),
        }
    }

    /// The smallest and largest values a draw can take.
    pub fn support(&self) -> (f64, f64) {
        match self {
            Dist::Fixed(v) => (*v, *v),
            Dist::Uniform { lo, hi }
            | Dist::Interval { lo, hi }
            | Dist::DiscreteUniform { lo, hi } => (*lo, *hi),
            Dist::Triangular { min, max, .. } => (*min, *max),
            Dist::Normal { min, max, .. } => (*min, *max),
            Dist::Beta { min, max, .. } => (*min, *max),
            Dist::LogNormal { max, .. } => (0.0, *max),
            Dist::LogitNormal { .. } => (0.0, 1.0),
            Dist::Poisson { .. } | Dist::NegativeBinomial { .. } => (0.0, f64::from(MAX_DAYS)),
            Dist::Rounded(inner) => {
                let (lo, hi) = inner.support();
                (to_days(lo), to_days(hi))
            }
        }
    }

    /// The mean. Exact for every family except the truncated normal and lognormal, where it is
    /// the mean of the untruncated distribution clamped to the support, and the logit-normal
    /// and rounded families, where it is integrated numerically from the quantile function
    /// (to within about 0.001 of the range). Used for display and as a fallback value.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { lo, hi }
            | Dist::Interval { lo, hi }
            | Dist::DiscreteUniform { lo, hi } => (lo + hi) / 2.0,
            Dist::Triangular { min, mode, max, .. } => (min + mode + max) / 3.0,
            Dist::Normal { mean, min, max, .. } => mean.clamp(*min, *max),
            Dist::Beta {
                alpha,
                beta,
                min,
                max,
                ..
            } => min + (max - min) * alpha / (alpha + beta),
            Dist::LogNormal { mu, sigma, max, .. } => math::exp(mu + sigma * sigma / 2.0).min(*max),
            Dist::Poisson { mean, .. } | Dist::NegativeBinomial { mean, .. } => *mean,
            Dist::LogitNormal { .. } | Dist::Rounded(_) => {
                // Midpoint rule on the quantile function: E[X] = ∫₀¹ Q(u) du.
                const N: usize = 4096;
                (0..N)
                    .map(|i| {
                        crate::sensitivity::quantile(self, (i as f64 + 0.5) / N as f64)
                            .unwrap_or(0.0)
                    })
                    .sum::<f64>()
                    / N as f64
            }
        }
    }

    /// The distribution as a scenario file would write it.
    /// Numbers are written as `{}` writes them, or in exponent form when that would be long
    /// (`1e308`), so the text stays short and reads back as the same distribution.
    pub fn to_toml_string(&self) -> String {
        use crate::scenario::diag::num as n;
        fn b(min: f64, max: f64, dmin: f64, dmax: f64) -> String {
            let mut s = String::new();
            if min != dmin {
                s.push_str(&format!(", min = {}", n(min)));
            }
            if max != dmax {
                s.push_str(&format!(", max = {}", n(max)));
            }
            s
        }
        match self {
            Dist::Fixed(v) => n(*v),
            Dist::Uniform { lo, hi } | Dist::DiscreteUniform { lo, hi } => {
                format!("{{ uniform = [{}, {}] }}", n(*lo), n(*hi))
            }
            Dist::Triangular { min, mode, max, .. } => {
                format!(
                    "{{ triangular = [{}, {}, {}] }}",
                    n(*min),
                    n(*mode),
                    n(*max)
                )
            }
            Dist::Normal { mean, sd, min, max } => format!(
                "{{ normal = [{}, {}]{} }}",
                n(*mean),
                n(*sd),
                b(*min, *max, f64::NEG_INFINITY, f64::INFINITY)
            ),
            Dist::Beta {
                alpha,
                beta,
                min,
                max,
                ..
            } => {
                format!(
                    "{{ beta = [{}, {}]{} }}",
                    n(*alpha),
                    n(*beta),
                    b(*min, *max, 0.0, 1.0)
                )
            }
            Dist::LogNormal { mu, sigma, max, .. } => format!(
                "{{ lognormal = [{}, {}]{} }}",
                n(*mu),
                n(*sigma),
                b(0.0, *max, 0.0, f64::INFINITY)
            ),
            Dist::LogitNormal { mu, sigma } => format!("{{ logit_normal = [{mu}, {sigma}] }}"),
            Dist::Interval { lo, hi } => format!("\"{lo} to {hi}\""),
            Dist::Poisson { mean, .. } => format!("{{ poisson = {mean} }}"),
            Dist::NegativeBinomial {
                mean, dispersion, ..
            } => format!("{{ negative_binomial = [{mean}, {dispersion}] }}"),
            Dist::Rounded(inner) => inner.to_toml_string(),
        }
    }

    /// Reads `"lo to hi"` as the distribution with that 90% interval: for a probability
    /// (`unit`) a logit-normal, else for 0 < lo a lognormal, else a normal. Returns the
    /// distribution and the reading in words. The caller checks that the result fits the key
    /// (a logit-normal needs 0 < lo < hi < 1, which the caller checks first).
    pub fn read_interval(lo: f64, hi: f64, unit: bool) -> (Dist, String) {
        let written = format!("{} to {}", short(lo), short(hi));
        if unit && 0.0 < lo && hi < 1.0 {
            let (a, b) = (logit(lo), logit(hi));
            let (mu, sigma) = ((a + b) / 2.0, (b - a) / (2.0 * Z90));
            let reading = format!(
                "{written} read as logit-normal, 90% in [{}, {}], median {}",
                short(lo),
                short(hi),
                sig3(logistic(mu))
            );
            return (Dist::LogitNormal { mu, sigma }, reading);
        }
        if 0.0 < lo {
            let (a, b) = (math::ln(lo), math::ln(hi));
            let (mu, sigma) = ((a + b) / 2.0, (b - a) / (2.0 * Z90));
            let reading = format!(
                "{written} read as lognormal, 90% in [{}, {}], median {}",
                short(lo),
                short(hi),
                sig3(math::exp(mu))
            );
            return (
                Dist::LogNormal {
                    mu,
                    sigma,
                    max: f64::INFINITY,
                },
                reading,
            );
        }
        let (mean, sd) = ((lo + hi) / 2.0, (hi - lo) / (2.0 * Z90));
        let reading = format!(
            "{written} read as normal, 90% in [{}, {}], mean {}, sd {}",
            short(lo),
            short(hi),
            sig3(mean),
            sig3(sd)
        );
        (
            Dist::Normal {
                mean,
                sd,
                min: f64::NEG_INFINITY,
                max: f64::INFINITY,
            },
            reading,
        )
    }
}

/// A number as a person would write it back (no trailing zeros, no exponent for ordinary
/// magnitudes).
fn short(x: f64) -> String {
    format!("{x}")
}

/// Three significant digits, trailing zeros dropped: 7.0710678 → 7.07, 0.33333 → 0.333.
pub(crate) fn sig3(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (2 - math::log10(x.abs()).floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

impl Serialize for Dist {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Dist::Fixed(v) => s.serialize_f64(*v),
            _ => s.serialize_str(&self.to_toml_string()),
        }
    }
}

/// The table form, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DistTable {
    uniform: Option<Vec<f64>>,
    triangular: Option<Vec<f64>>,
    normal: Option<Vec<f64>>,
    beta: Option<Vec<f64>>,
    lognormal: Option<Vec<f64>>,
    logit_normal: Option<Vec<f64>>,
    poisson: Option<f64>,
    negative_binomial: Option<Vec<f64>>,
    min: Option<f64>,
    max: Option<f64>,
}

const FAMILIES: &str = "uniform = [lo, hi], triangular = [min, mode, max], normal = [mean, sd], \
                        beta = [alpha, beta], lognormal = [mu, sigma] or logit_normal = [mu, sigma]";

/// The families of a day count, for messages.
pub(crate) const DAY_FAMILIES: &str = "uniform = [lo, hi] (whole days, each equally likely), \
     poisson = mean, negative_binomial = [mean, dispersion], or a continuous family rounded to \
     whole days (triangular, normal, beta, lognormal)";

/// Numbers as a message lists them: `[0.6, 1e308]`.
fn list(xs: &[f64]) -> String {
    let shown: Vec<String> = xs.iter().map(|&x| crate::scenario::diag::num(x)).collect();
    format!("[{}]", shown.join(", "))
}

fn finite(name: &str, xs: &[f64]) -> Result<(), String> {
    if xs.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(format!(
            "{name} parameters must be finite numbers, got {}",
            list(xs)
        ))
    }
}

/// The largest beta shape: beyond it the distribution is a point mass for any purpose (its sd
/// is below 0.0004 of its range) and the sampler's arithmetic overflows into NaN.
const MAX_BETA_SHAPE: f64 = 1e6;

/// Refuses a distribution whose draws can be infinite or NaN: a range, a spread or a tail so
/// wide that `x = a + (b - a)·u` or `mean + sd·z` overflows. `what` is the family and its
/// numbers, for the message.
fn finite_draws(what: &str, widest: f64) -> Result<(), String> {
    if widest.is_finite() {
        Ok(())
    } else {
        Err(format!(
            "{what} can draw numbers too large to represent (infinite or NaN); narrow it"
        ))
    }
}

fn arity(name: &str, xs: &[f64], n: usize, shape: &str) -> Result<(), String> {
    if xs.len() != n {
        return Err(format!(
            "{name} takes {n} numbers, {shape}; got {}",
            xs.len()
        ));
    }
    finite(name, xs)
}

impl DistTable {
    /// The one family named, or a message listing `families`.
    fn family(&self, families: &str) -> Result<&'static str, String> {
        let given: Vec<&'static str> = [
            ("uniform", self.uniform.is_some()),
            ("triangular", self.triangular.is_some()),
            ("normal", self.normal.is_some()),
            ("beta", self.beta.is_some()),
            ("lognormal", self.lognormal.is_some()),
            ("logit_normal", self.logit_normal.is_some()),
            ("poisson", self.poisson.is_some()),
            ("negative_binomial", self.negative_binomial.is_some()),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect();
        if given.len() != 1 {
            return Err(format!(
                "a distribution names exactly one family ({families}); found {}",
                if given.is_empty() {
                    "none".to_string()
                } else {
                    given.join(" and ")
                }
            ));
        }
        Ok(given[0])
    }

    fn no_bounds(&self, family: &str) -> Result<(), String> {
        if self.min.is_some() || self.max.is_some() {
            Err(format!(
                "{family} takes no min or max: its bounds are its own parameters"
            ))
        } else {
            Ok(())
        }
    }

    /// A distribution of a real-valued parameter.
    pub(crate) fn validate(self) -> Result<Dist, String> {
        let family = self.family(FAMILIES)?;
        if matches!(family, "poisson" | "negative_binomial") {
            return Err(format!(
                "{family} draws whole numbers and is for day counts only; for this parameter \
                 use one of {FAMILIES}"
            ));
        }
        self.continuous()
    }

    /// A continuous family (every family but poisson and negative_binomial).
    fn continuous(self) -> Result<Dist, String> {
        let n = crate::scenario::diag::num;
        for b in [self.min, self.max].into_iter().flatten() {
            if !b.is_finite() {
                return Err(format!("min and max must be finite, got {}", n(b)));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min, self.max)
            && lo >= hi
        {
            return Err(format!("min ({}) must be less than max ({})", n(lo), n(hi)));
        }
        if let Some(p) = &self.uniform {
            self.no_bounds("uniform")?;
            arity("uniform", p, 2, "[lo, hi]")?;
            if p[0] >= p[1] {
                return Err(format!("uniform needs lo < hi, got {}", list(p)));
            }
            finite_draws(&format!("uniform = {}", list(p)), p[1] - p[0])?;
            return Ok(Dist::Uniform { lo: p[0], hi: p[1] });
        }
        if let Some(p) = &self.triangular {
            self.no_bounds("triangular")?;
            arity("triangular", p, 3, "[min, mode, max]")?;
            let (min, mode, max) = (p[0], p[1], p[2]);
            if !(min <= mode && mode <= max && min < max) {
                return Err(format!(
                    "triangular needs min <= mode <= max with min < max, got {}",
                    list(p)
                ));
            }
            finite_draws(&format!("triangular = {}", list(p)), max - min)?;
            let sampler = Triangular::new(min, max, mode).map_err(|e| e.to_string())?;
            return Ok(Dist::Triangular {
                min,
                mode,
                max,
                sampler,
            });
        }
        if let Some(p) = &self.normal {
            arity("normal", p, 2, "[mean, sd]")?;
            let (mean, sd) = (p[0], p[1]);
            if sd <= 0.0 {
                return Err(format!("normal needs a positive sd, got {}", n(sd)));
            }
            // A draw is mean + sd·z; |z| beyond 40 has probability below 1e-300.
            finite_draws(&format!("normal = {}", list(p)), mean.abs() + 40.0 * sd)?;
            let min = self.min.unwrap_or(f64::NEG_INFINITY);
            let max = self.max.unwrap_or(f64::INFINITY);
            let mass = normal_cdf((max - mean) / sd) - normal_cdf((min - mean) / sd);
            if mass < 0.01 {
                return Err(format!(
                    "normal {} keeps only {:.2}% of its mass inside [{}, {}]; move the mean \
                     inside the bounds or widen them",
                    list(p),
                    mass * 100.0,
                    n(min),
                    n(max)
                ));
            }
            return Ok(Dist::Normal { mean, sd, min, max });
        }
        if let Some(p) = &self.beta {
            arity("beta", p, 2, "[alpha, beta]")?;
            if !(p[0] > 0.0 && p[1] > 0.0) {
                return Err(format!(
                    "beta needs positive alpha and beta, got {}",
                    list(p)
                ));
            }
            if p[0] > MAX_BETA_SHAPE || p[1] > MAX_BETA_SHAPE {
                return Err(format!(
                    "beta {} has a shape above {}: its draws would not be finite numbers, and \
                     it is a point mass anyway; write a fixed number instead",
                    list(p),
                    n(MAX_BETA_SHAPE)
                ));
            }
            let (min, max) = (self.min.unwrap_or(0.0), self.max.unwrap_or(1.0));
            finite_draws(&format!("beta = {}", list(p)), max - min)?;
            let sampler = Beta::new(p[0], p[1]).map_err(|e| e.to_string())?;
            return Ok(Dist::Beta {
                alpha: p[0],
                beta: p[1],
                min,
                max,
                sampler,
            });
        }
        if let Some(p) = &self.logit_normal {
            self.no_bounds("logit_normal")?;
            arity("logit_normal", p, 2, "[mu, sigma]")?;
            if p[1] <= 0.0 {
                return Err(format!("logit_normal needs a positive sigma, got {}", p[1]));
            }
            return Ok(Dist::LogitNormal {
                mu: p[0],
                sigma: p[1],
            });
        }
        let Some(p) = &self.lognormal else {
            return Err(format!(
                "a distribution names exactly one family ({FAMILIES})"
            ));
        };
        if self.min.is_some() {
            return Err("lognormal takes no min: its support starts at 0".into());
        }
        arity("lognormal", p, 2, "[mu, sigma]")?;
        if !(p[1] > 0.0 && p[1].is_finite()) {
            return Err(format!(
                "lognormal needs a positive, finite sigma, got {}",
                n(p[1])
            ));
        }
        let max = self.max.unwrap_or(f64::INFINITY);
        if max <= 0.0 {
            return Err(format!("lognormal max must be positive, got {}", n(max)));
        }
        // A draw is exp(mu + sigma·z): without a max it must stay finite for |z| up to 40.
        if self.max.is_none() {
            finite_draws(
                &format!("lognormal = {}", list(p)),
                math::exp(p[0] + 40.0 * p[1]),
            )?;
        }
        let mass = normal_cdf((math::ln(max) - p[0]) / p[1]);
        if mass < 0.01 {
            return Err(format!(
                "lognormal {} keeps only {:.2}% of its mass below max = {}",
                list(p),
                mass * 100.0,
                n(max)
            ));
        }
        Ok(Dist::LogNormal {
            mu: p[0],
            sigma: p[1],
            max,
        })
    }

    /// A distribution of a day count: see `days::Days`.
    pub(crate) fn validate_days(self) -> Result<Dist, String> {
        let family = self.family(DAY_FAMILIES)?;
        let cap = f64::from(MAX_DAYS);
        let whole = |x: f64| x.fract() == 0.0;
        match family {
            "poisson" => {
                self.no_bounds("poisson")?;
                let mean = self.poisson.unwrap_or(0.0);
                if !(mean.is_finite() && mean > 0.0 && mean <= cap) {
                    return Err(format!(
                        "poisson needs a mean above 0 and at most {MAX_DAYS} days, got {mean}"
                    ));
                }
                let sampler = Poisson::new(mean)
                    .ok_or_else(|| format!("poisson cannot sample a mean of {mean}"))?;
                Ok(Dist::Poisson { mean, sampler })
            }
            "negative_binomial" => {
                self.no_bounds("negative_binomial")?;
                let p = self.negative_binomial.unwrap_or_default();
                arity("negative_binomial", &p, 2, "[mean, dispersion]")?;
                let (mean, dispersion) = (p[0], p[1]);
                if !(mean > 0.0 && mean <= cap && dispersion > 0.0) {
                    return Err(format!(
                        "negative_binomial needs a mean above 0 and at most {MAX_DAYS} days and \
                         a positive dispersion, got [{mean}, {dispersion}]"
                    ));
                }
                let gamma = Gamma::new(dispersion, mean / dispersion).ok_or_else(|| {
                    format!(
                        "negative_binomial needs a finite mean and dispersion, got [{mean}, \
                         {dispersion}]"
                    )
                })?;
                Ok(Dist::NegativeBinomial {
                    mean,
                    dispersion,
                    gamma,
                })
            }
            _ => {
                let d = self.continuous()?;
                // Bounds as written must be day counts; unbounded tails are floored at 0 and
                // capped at MAX_DAYS, which no run can tell apart from longer (the horizon is
                // far shorter).
                let (lo, hi) = d.support();
                let named_lo = match &d {
                    // An untruncated normal is floored at 0; a written min must be a day count.
                    Dist::Normal { min, .. } if min.is_finite() => *min,
                    Dist::Normal { .. } | Dist::LogNormal { .. } | Dist::LogitNormal { .. } => 0.0,
                    _ => lo,
                };
                if named_lo < 0.0 {
                    return Err(format!(
                        "a day count cannot be negative, but {} starts at {named_lo}",
                        d.to_toml_string()
                    ));
                }
                if hi.is_finite() && hi > cap {
                    return Err(format!(
                        "a day count is at most {MAX_DAYS} days, but {} reaches {hi}",
                        d.to_toml_string()
                    ));
                }
                if let Dist::Uniform { lo, hi } = d
                    && whole(lo)
                    && whole(hi)
                {
                    return Ok(Dist::DiscreteUniform { lo, hi });
                }
                Ok(Dist::Rounded(Box::new(d)))
            }
        }
    }
}

/// Parses `"A to B"`: two finite numbers with A < B.
pub(crate) fn parse_interval(s: &str) -> Result<(f64, f64), String> {
    let bad = || {
        format!(
            "{s:?} is not a number range: write \"A to B\" with numbers A < B, such as \
             \"5 to 10\" (90% of draws between 5 and 10), or a distribution table"
        )
    };
    let (a, b) = s.split_once(" to ").ok_or_else(bad)?;
    let num = |t: &str| {
        t.trim()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
    };
    let (Some(lo), Some(hi)) = (num(a), num(b)) else {
        return Err(bad());
    };
    if lo >= hi {
        return Err(format!(
            "{s:?} needs its lower end first and below its upper end, as in \"{} to {}\"",
            short(lo.min(hi)),
            short(lo.max(hi))
        ));
    }
    // Every reading needs a finite, positive spread (a log or logit of each end apart).
    if !(hi - lo).is_finite() || hi - lo < 1e-9 * lo.abs().max(hi.abs()) {
        return Err(format!(
            "{s:?} is too {} to read as a distribution; write a number, or a wider range",
            if (hi - lo).is_finite() {
                "narrow"
            } else {
                "wide"
            }
        ));
    }
    Ok((lo, hi))
}

/// Standard normal CDF via the complementary error function (Abramowitz–Stegun 7.1.26 is too
/// coarse in the tails; this uses the W. J. Cody rational approximation through `erfc`).
fn normal_cdf(z: f64) -> f64 {
    if z == f64::INFINITY {
        return 1.0;
    }
    if z == f64::NEG_INFINITY {
        return 0.0;
    }
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// erfc with relative error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit), ample
/// for a validation threshold of 1% mass.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t * math::exp(
        -z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
    if x >= 0.0 { r } else { 2.0 - r }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Dist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a number, a distribution table such as {{ uniform = [0.2, 0.4] }} or a \
                     range such as \"0.2 to 0.4\""
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dist, E> {
                Ok(Dist::Fixed(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dist, E> {
                Ok(Dist::Fixed(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dist, E> {
                if v.is_finite() {
                    Ok(Dist::Fixed(v))
                } else {
                    Err(E::custom(format!(
                        "{} is not a finite number",
                        crate::scenario::diag::num(v)
                    )))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dist, E> {
                let (lo, hi) = parse_interval(v).map_err(E::custom)?;
                Ok(Dist::Interval { lo, hi })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Dist, A::Error> {
                let table = DistTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                table.validate().map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(7.0710678), "7.07");
        assert_eq!(sig3(0.333333), "0.333");
        assert_eq!(sig3(1.0), "1");
        assert_eq!(sig3(1215.9), "1216");
        assert_eq!(sig3(-0.00123456), "-0.00123");
    }

    #[test]
    fn ranges_in_words_parse_or_say_how_to_write_them() {
        assert_eq!(parse_interval("5 to 10"), Ok((5.0, 10.0)));
        assert_eq!(parse_interval(" -1.5 to 2e1 "), Ok((-1.5, 20.0)));
        assert!(
            parse_interval("10 to 5")
                .unwrap_err()
                .contains("\"5 to 10\"")
        );
        assert!(parse_interval("5 - 10").unwrap_err().contains("\"A to B\""));
        assert!(parse_interval("five to ten").is_err());
        assert!(parse_interval("5 to inf").is_err());
        assert!(parse_interval("5 to 5").is_err());
        assert!(parse_interval("1 to 1.0000000000000002").is_err());
        assert!(parse_interval("-1e308 to 1e308").is_err());
    }

    #[test]
    fn the_three_readings_put_90_percent_in_the_range() {
        let (d, r) = Dist::read_interval(5.0, 10.0, false);
        assert_eq!(r, "5 to 10 read as lognormal, 90% in [5, 10], median 7.07");
        assert!(matches!(d, Dist::LogNormal { .. }));
        let (d, r) = Dist::read_interval(0.2, 0.5, true);
        assert!(matches!(d, Dist::LogitNormal { .. }), "{r}");
        assert!(r.starts_with("0.2 to 0.5 read as logit-normal"), "{r}");
        let (d, r) = Dist::read_interval(-1.0, 3.0, false);
        assert!(matches!(d, Dist::Normal { .. }), "{r}");
        assert_eq!(r, "-1 to 3 read as normal, 90% in [-1, 3], mean 1, sd 1.22");
        // A probability outside (0, 1) falls through to the other readings; the Builder
        // refuses those for a probability.
        let (d, _) = Dist::read_interval(0.0, 0.3, true);
        assert!(matches!(d, Dist::Normal { .. }));
    }
}
