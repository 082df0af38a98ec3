//! Probability distributions for uncertain parameters, as written in scenario files.
//!
//! A parameter is either a plain number or a one-key table naming a family:
//! `{ uniform = [lo, hi] }`, `{ triangular = [min, mode, max] }`,
//! `{ normal = [mean, sd], min = .., max = .. }` (truncated when bounds are given),
//! `{ beta = [alpha, beta], min = .., max = .. }` (rescaled from [0, 1] to [min, max]),
//! `{ lognormal = [mu, sigma], max = .. }` (mu and sigma of the underlying normal).
//!
//! Parsing validates the family's parameters, so a `Dist` that exists can always be sampled.

use rand::RngExt;
use rand_distr::{Beta, Distribution, LogNormal, StandardNormal, Triangular};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::rng::Rng;

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
        sampler: LogNormal<f64>,
    },
}

/// How many rejections a truncated draw tolerates before it clamps. Validation refuses
/// truncations that keep less than 1% of the mass, so this bound is never reached in practice;
/// it exists so that no input can make a draw loop forever.
const MAX_REJECTIONS: usize = 10_000;

impl Dist {
    pub fn fixed(v: f64) -> Dist {
        Dist::Fixed(v)
    }

    pub fn is_fixed(&self) -> bool {
        matches!(self, Dist::Fixed(_))
    }

    /// Draws one value.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { lo, hi } => lo + (hi - lo) * rng.random::<f64>(),
            Dist::Triangular { sampler, .. } => sampler.sample(rng),
            Dist::Normal { mean, sd, min, max } => {
                for _ in 0..MAX_REJECTIONS {
                    let z: f64 = StandardNormal.sample(rng);
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
            Dist::LogNormal { max, sampler, .. } => {
                for _ in 0..MAX_REJECTIONS {
                    let x = sampler.sample(rng);
                    if x <= *max {
                        return x;
                    }
                }
                max.min(sampler.sample(rng))
            }
        }
    }

    /// The smallest and largest values a draw can take.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Dist::Fixed(v) => (v, v),
            Dist::Uniform { lo, hi } => (lo, hi),
            Dist::Triangular { min, max, .. } => (min, max),
            Dist::Normal { min, max, .. } => (min, max),
            Dist::Beta { min, max, .. } => (min, max),
            Dist::LogNormal { max, .. } => (0.0, max),
        }
    }

    /// The mean, exact for every family except the truncated normal and lognormal, where it is
    /// the mean of the untruncated distribution clamped to the support (used only for display).
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { lo, hi } => (lo + hi) / 2.0,
            Dist::Triangular { min, mode, max, .. } => (min + mode + max) / 3.0,
            Dist::Normal { mean, min, max, .. } => mean.clamp(min, max),
            Dist::Beta {
                alpha,
                beta,
                min,
                max,
                ..
            } => min + (max - min) * alpha / (alpha + beta),
            Dist::LogNormal { mu, sigma, max, .. } => (mu + sigma * sigma / 2.0).exp().min(max),
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
        match *self {
            Dist::Fixed(v) => n(v),
            Dist::Uniform { lo, hi } => format!("{{ uniform = [{}, {}] }}", n(lo), n(hi)),
            Dist::Triangular { min, mode, max, .. } => {
                format!("{{ triangular = [{}, {}, {}] }}", n(min), n(mode), n(max))
            }
            Dist::Normal { mean, sd, min, max } => format!(
                "{{ normal = [{}, {}]{} }}",
                n(mean),
                n(sd),
                b(min, max, f64::NEG_INFINITY, f64::INFINITY)
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
                    n(alpha),
                    n(beta),
                    b(min, max, 0.0, 1.0)
                )
            }
            Dist::LogNormal { mu, sigma, max, .. } => format!(
                "{{ lognormal = [{}, {}]{} }}",
                n(mu),
                n(sigma),
                b(0.0, max, 0.0, f64::INFINITY)
            ),
        }
    }
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
struct DistTable {
    uniform: Option<Vec<f64>>,
    triangular: Option<Vec<f64>>,
    normal: Option<Vec<f64>>,
    beta: Option<Vec<f64>>,
    lognormal: Option<Vec<f64>>,
    min: Option<f64>,
    max: Option<f64>,
}

const FAMILIES: &str = "uniform = [lo, hi], triangular = [min, mode, max], normal = [mean, sd], \
                        beta = [alpha, beta] or lognormal = [mu, sigma]";

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
    fn validate(self) -> Result<Dist, String> {
        let given: Vec<&str> = [
            ("uniform", self.uniform.is_some()),
            ("triangular", self.triangular.is_some()),
            ("normal", self.normal.is_some()),
            ("beta", self.beta.is_some()),
            ("lognormal", self.lognormal.is_some()),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect();
        if given.len() != 1 {
            return Err(format!(
                "a distribution names exactly one family ({FAMILIES}); found {}",
                if given.is_empty() {
                    "none".to_string()
                } else {
                    given.join(" and ")
                }
            ));
        }
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
        let no_bounds = |family: &str| -> Result<(), String> {
            if self.min.is_some() || self.max.is_some() {
                Err(format!(
                    "{family} takes no min or max: its bounds are its own parameters"
                ))
            } else {
                Ok(())
            }
        };
        if let Some(p) = self.uniform {
            no_bounds("uniform")?;
            arity("uniform", &p, 2, "[lo, hi]")?;
            if p[0] >= p[1] {
                return Err(format!("uniform needs lo < hi, got {}", list(&p)));
            }
            finite_draws(&format!("uniform = {}", list(&p)), p[1] - p[0])?;
            return Ok(Dist::Uniform { lo: p[0], hi: p[1] });
        }
        if let Some(p) = self.triangular {
            no_bounds("triangular")?;
            arity("triangular", &p, 3, "[min, mode, max]")?;
            let (min, mode, max) = (p[0], p[1], p[2]);
            if !(min <= mode && mode <= max && min < max) {
                return Err(format!(
                    "triangular needs min <= mode <= max with min < max, got {}",
                    list(&p)
                ));
            }
            finite_draws(&format!("triangular = {}", list(&p)), max - min)?;
            let sampler = Triangular::new(min, max, mode).map_err(|e| e.to_string())?;
            return Ok(Dist::Triangular {
                min,
                mode,
                max,
                sampler,
            });
        }
        if let Some(p) = self.normal {
            arity("normal", &p, 2, "[mean, sd]")?;
            let (mean, sd) = (p[0], p[1]);
            if sd <= 0.0 {
                return Err(format!("normal needs a positive sd, got {}", n(sd)));
            }
            // A draw is mean + sd·z; |z| beyond 40 has probability below 1e-300.
            finite_draws(&format!("normal = {}", list(&p)), mean.abs() + 40.0 * sd)?;
            let min = self.min.unwrap_or(f64::NEG_INFINITY);
            let max = self.max.unwrap_or(f64::INFINITY);
            let mass = normal_cdf((max - mean) / sd) - normal_cdf((min - mean) / sd);
            if mass < 0.01 {
                return Err(format!(
                    "normal {} keeps only {:.2}% of its mass inside [{}, {}]; move the mean \
                     inside the bounds or widen them",
                    list(&p),
                    mass * 100.0,
                    n(min),
                    n(max)
                ));
            }
            return Ok(Dist::Normal { mean, sd, min, max });
        }
        if let Some(p) = self.beta {
            arity("beta", &p, 2, "[alpha, beta]")?;
            if !(p[0] > 0.0 && p[1] > 0.0) {
                return Err(format!(
                    "beta needs positive alpha and beta, got {}",
                    list(&p)
                ));
            }
            if p[0] > MAX_BETA_SHAPE || p[1] > MAX_BETA_SHAPE {
                return Err(format!(
                    "beta {} has a shape above {}: its draws would not be finite numbers, and \
                     it is a point mass anyway; write a fixed number instead",
                    list(&p),
                    n(MAX_BETA_SHAPE)
                ));
            }
            let (min, max) = (self.min.unwrap_or(0.0), self.max.unwrap_or(1.0));
            finite_draws(&format!("beta = {}", list(&p)), max - min)?;
            let sampler = Beta::new(p[0], p[1]).map_err(|e| e.to_string())?;
            return Ok(Dist::Beta {
                alpha: p[0],
                beta: p[1],
                min,
                max,
                sampler,
            });
        }
        let p = self.lognormal.expect("exactly one family is present");
        if self.min.is_some() {
            return Err("lognormal takes no min: its support starts at 0".into());
        }
        arity("lognormal", &p, 2, "[mu, sigma]")?;
        if p[1] <= 0.0 {
            return Err(format!("lognormal needs a positive sigma, got {}", n(p[1])));
        }
        let max = self.max.unwrap_or(f64::INFINITY);
        if max <= 0.0 {
            return Err(format!("lognormal max must be positive, got {}", n(max)));
        }
        // A draw is exp(mu + sigma·z): without a max it must stay finite for |z| up to 40.
        if self.max.is_none() {
            finite_draws(
                &format!("lognormal = {}", list(&p)),
                (p[0] + 40.0 * p[1]).exp(),
            )?;
        }
        let mass = normal_cdf((max.ln() - p[0]) / p[1]);
        if mass < 0.01 {
            return Err(format!(
                "lognormal {} keeps only {:.2}% of its mass below max = {}",
                list(&p),
                mass * 100.0,
                n(max)
            ));
        }
        let sampler = LogNormal::new(p[0], p[1]).map_err(|e| e.to_string())?;
        Ok(Dist::LogNormal {
            mu: p[0],
            sigma: p[1],
            max,
            sampler,
        })
    }
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
    let r = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
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
                    "a number or a distribution table such as {{ uniform = [0.2, 0.4] }}"
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
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Dist, A::Error> {
                let table = DistTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                table.validate().map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}
