//! Day counts: a whole number of days, fixed or uncertain.
//!
//! Wherever a scenario gives a number of days (a preparation, a cooldown, an intelligence lag,
//! a deadline, a delay) it may write:
//! - a whole number: `preparation_days = 7` (5.0 is read as 5; 4.5 and -3 are refused with a
//!   message saying how to write an uncertain count);
//! - `{ uniform = [a, b] }` with whole a < b: the discrete uniform, each of a, a+1, ..., b
//!   equally likely (mass 1/(b − a + 1)); with a bound that is not whole, the continuous uniform
//!   rounded as below;
//! - `{ poisson = mean }`: Poisson, variance = mean;
//! - `{ negative_binomial = [mean, dispersion] }`: the gamma–Poisson mixture, λ ~ Gamma(shape
//!   = dispersion, scale = mean/dispersion), then Poisson(λ); variance = mean + mean²/dispersion
//!   (dispersion → ∞ is the Poisson; small dispersion is overdispersed);
//! - any continuous family of `dist` (triangular, normal, beta, lognormal, logit_normal) or a
//!   range in words, `"5 to 10"` (a lognormal with 90% in [5, 10]; `"0 to 10"` a normal), drawn
//!   and then rounded to the nearest whole day, halves up (x ↦ ⌊x + 0.5⌋), and floored at 0.
//!
//! No count exceeds `MAX_DAYS`: a fixed count or a written bound above it is refused; a family
//! with an unbounded tail (Poisson, negative binomial, normal, lognormal) is capped there, which
//! no run can tell apart from a longer count because the horizon is at most 3 650 days.
//!
//! A rule chooses per key whether a count is drawn once per run (`Builder::days`, a parameter
//! in runs.csv, sensitivity analysis and `explain`) or anew for each event
//! (`Builder::event_days`, then `Days::sample`).

use std::fmt;
use std::ops::RangeInclusive;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::dist::{Dist, DistTable, parse_interval};
use crate::rng::Rng;

/// The longest day count a scenario may give: about 2 700 years, so that a day plus a count
/// always fits a `u32` while "never" workarounds such as `cooldown_days = 100000` still parse.
pub const MAX_DAYS: u32 = 1_000_000;

/// A number of days, fixed or drawn. Every variant it holds draws whole numbers in
/// [0, MAX_DAYS], except a `"lo to hi"` range not yet resolved by the `Builder`.
#[derive(Clone, Debug)]
pub struct Days(Dist);

impl Days {
    /// A fixed count.
    pub fn new(days: u32) -> Days {
        Days(Dist::Fixed(f64::from(days.min(MAX_DAYS))))
    }

    /// Wraps a distribution that draws whole days (resolution of a range, in the Builder).
    pub(crate) fn from_dist(d: Dist) -> Days {
        Days(d)
    }

    /// Draws one count (per event). Allocation-free.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u32 {
        match self.0 {
            Dist::Fixed(v) => v as u32,
            ref d => d.sample(rng) as u32,
        }
    }

    pub fn is_fixed(&self) -> bool {
        self.0.is_fixed()
    }

    /// The count, if it is fixed.
    pub fn fixed(&self) -> Option<u32> {
        match self.0 {
            Dist::Fixed(v) => Some(v as u32),
            _ => None,
        }
    }

    /// The mean number of days (rounding and the floor at 0 included; see `Dist::mean`).
    pub fn mean(&self) -> f64 {
        self.0.mean()
    }

    /// The smallest and largest counts a draw can take.
    pub fn support(&self) -> RangeInclusive<u32> {
        let (lo, hi) = self.0.support();
        (lo.max(0.0) as u32)..=(hi.min(f64::from(MAX_DAYS)) as u32)
    }

    /// The count as a scenario file would write it.
    pub fn to_toml_string(&self) -> String {
        self.0.to_toml_string()
    }

    /// The distribution of the count: whole-number valued (what a per-run parameter registers).
    pub fn dist(&self) -> &Dist {
        &self.0
    }

    /// Whether this is a `"lo to hi"` range still waiting for the Builder.
    pub fn is_unresolved(&self) -> bool {
        self.0.is_unresolved()
    }
}

impl Default for Days {
    fn default() -> Days {
        Days::new(0)
    }
}

impl From<u32> for Days {
    fn from(days: u32) -> Days {
        Days::new(days)
    }
}

impl Serialize for Days {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.fixed() {
            Some(n) => s.serialize_u32(n),
            None => s.serialize_str(&self.to_toml_string()),
        }
    }
}

const HOW: &str = "for an uncertain count write a distribution such as { uniform = [5, 10] } \
                   (each whole day from 5 to 10 equally likely) or \"5 to 10\"";

fn whole<E: de::Error>(v: u64) -> Result<Days, E> {
    if v > u64::from(MAX_DAYS) {
        return Err(E::custom(format!(
            "a day count is at most {MAX_DAYS} days, got {v}"
        )));
    }
    Ok(Days::new(v as u32))
}

impl<'de> Deserialize<'de> for Days {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Days;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a whole number of days, a distribution such as {{ uniform = [5, 10] }} or \
                     a range such as \"5 to 10\""
                )
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Days, E> {
                whole(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Days, E> {
                if v < 0 {
                    return Err(E::custom(format!(
                        "a day count must be a whole number of days, 0 or more, got {v}; {HOW}"
                    )));
                }
                whole(v as u64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Days, E> {
                if !v.is_finite() {
                    return Err(E::custom(format!("{v} is not a finite number")));
                }
                if v.fract() != 0.0 || v < 0.0 {
                    let (lo, hi) = (v.floor().max(0.0), v.ceil().max(1.0));
                    return Err(E::custom(format!(
                        "a day count must be a whole number of days, 0 or more, got {v}; for an \
                         uncertain count write a distribution such as {{ uniform = [{lo}, {hi}] }} \
                         (each whole day from {lo} to {hi} equally likely) or \"{lo} to {hi}\""
                    )));
                }
                if v > f64::from(MAX_DAYS) {
                    return Err(E::custom(format!(
                        "a day count is at most {MAX_DAYS} days, got {v}"
                    )));
                }
                whole(v as u64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Days, E> {
                let (lo, hi) = parse_interval(v).map_err(E::custom)?;
                Ok(Days(Dist::Interval { lo, hi }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Days, A::Error> {
                let table = DistTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                table.validate_days().map(Days).map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(text: &str) -> Result<Days, String> {
        toml::from_str::<std::collections::BTreeMap<String, Days>>(&format!("x = {text}"))
            .map(|mut m| m.remove("x").unwrap())
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn whole_numbers_and_tables_parse_into_whole_day_families() {
        assert_eq!(days("7").unwrap().fixed(), Some(7));
        assert_eq!(days("7.0").unwrap().fixed(), Some(7));
        assert_eq!(days("100000").unwrap().fixed(), Some(100_000));
        let u = days("{ uniform = [5, 10] }").unwrap();
        assert!(matches!(u.dist(), Dist::DiscreteUniform { .. }));
        assert_eq!(u.support(), 5..=10);
        assert_eq!(u.mean(), 7.5);
        let c = days("{ uniform = [4.5, 10] }").unwrap();
        assert!(matches!(c.dist(), Dist::Rounded(_)));
        assert!(matches!(
            days("{ poisson = 3 }").unwrap().dist(),
            Dist::Poisson { .. }
        ));
        assert!(matches!(
            days("{ negative_binomial = [3, 2] }").unwrap().dist(),
            Dist::NegativeBinomial { .. }
        ));
        let t = days("{ triangular = [2, 4, 9] }").unwrap();
        assert_eq!(t.support(), 2..=9);
        assert!(days("\"5 to 10\"").unwrap().is_unresolved());
        // An untruncated normal is floored at 0.
        assert_eq!(days("{ normal = [2, 3] }").unwrap().support(), 0..=MAX_DAYS);
    }

    #[test]
    fn non_whole_negative_and_too_long_counts_are_refused_with_the_way_to_write_them() {
        let e = days("4.5").unwrap_err();
        assert!(
            e.contains("a day count must be a whole number of days"),
            "{e}"
        );
        assert!(
            e.contains("{ uniform = [4, 5] }") && e.contains("\"4 to 5\""),
            "{e}"
        );
        let e = days("-3").unwrap_err();
        assert!(e.contains("whole number of days, 0 or more, got -3"), "{e}");
        assert!(e.contains("{ uniform = [5, 10] }"), "{e}");
        assert!(
            days("2000000")
                .unwrap_err()
                .contains("at most 1000000 days")
        );
        let e = days("{ uniform = [-2, 5] }").unwrap_err();
        assert!(e.contains("cannot be negative"), "{e}");
        let e = days("{ triangular = [0, 1, 2000000] }").unwrap_err();
        assert!(e.contains("at most 1000000"), "{e}");
        assert!(days("{ poisson = 0 }").is_err());
        assert!(days("{ negative_binomial = [3, 0] }").is_err());
        assert!(days("{ poisson = 3, max = 4 }").is_err());
        assert!(days("true").unwrap_err().contains("a whole number of days"));
    }

    #[test]
    fn poisson_is_for_day_counts_only() {
        let e = toml::from_str::<std::collections::BTreeMap<String, Dist>>("x = { poisson = 3 }")
            .unwrap_err();
        assert!(
            e.message().contains("for day counts only"),
            "{}",
            e.message()
        );
    }

    use crate::rng::StreamKey;
    use statrs::distribution::{
        Beta, ContinuousCDF, Discrete, LogNormal, NegativeBinomial, Normal, Poisson, Triangular,
    };

    /// P(round(X) = k) for k = 0..: rounding half up, floored at 0 (see the module doc).
    fn rounded_pmf(cdf: &dyn Fn(f64) -> f64) -> Vec<f64> {
        let mut pmf = vec![cdf(0.5)];
        let mut k = 1.0;
        while 1.0 - cdf(k - 0.5) > 1e-13 && k < 1e5 {
            pmf.push(cdf(k + 0.5) - cdf(k - 0.5));
            k += 1.0;
        }
        pmf
    }

    /// Draws `n` counts and checks the sample mean and variance against the exact ones of
    /// `pmf`, each within 4 standard errors (the variance's from the fourth central moment).
    /// Returns the draws' frequencies.
    fn check_moments(what: &str, d: &Days, pmf: &[f64], n: usize) -> Vec<u64> {
        let total: f64 = pmf.iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "{what}: pmf sums to {total}");
        let m: f64 = pmf.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
        let c = |r: i32| -> f64 {
            pmf.iter()
                .enumerate()
                .map(|(k, p)| (k as f64 - m).powi(r) * p)
                .sum()
        };
        let (v, m4) = (c(2), c(4));
        let mut rng = StreamKey::new(7, what).for_run(0);
        let mut freq = vec![0u64; pmf.len() + 64];
        let (mut s1, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let x = d.sample(&mut rng);
            let k = x as usize;
            if k >= freq.len() {
                freq.resize(k + 1, 0);
            }
            freq[k] += 1;
            s1 += f64::from(x);
            s2 += f64::from(x) * f64::from(x);
        }
        let nf = n as f64;
        let mean = s1 / nf;
        let var = (s2 - nf * mean * mean) / (nf - 1.0);
        let (se_m, se_v) = ((v / nf).sqrt(), ((m4 - v * v) / nf).sqrt());
        assert!(
            (mean - m).abs() < 4.0 * se_m,
            "{what}: mean {mean}, exact {m} ± {se_m}"
        );
        assert!(
            (var - v).abs() < 4.0 * se_v,
            "{what}: variance {var}, exact {v} ± {se_v}"
        );
        // The mean reported for display agrees with the exact one.
        assert!(
            (d.mean() - m).abs() < 0.01 * (1.0 + m),
            "{what}: Days::mean {} vs exact {m}",
            d.mean()
        );
        freq
    }

    fn proportion(what: &str, k: u64, n: usize, p: f64) {
        let se = (p * (1.0 - p) / n as f64).sqrt();
        let est = k as f64 / n as f64;
        assert!((est - p).abs() < 4.0 * se, "{what}: {est} vs {p} ± {se}");
    }

    const N: usize = 200_000;

    #[test]
    fn discrete_uniform_gives_each_whole_day_equal_mass() {
        let d = days("{ uniform = [3, 7] }").unwrap();
        let pmf: Vec<f64> = (0..=7).map(|k| if k >= 3 { 0.2 } else { 0.0 }).collect();
        let freq = check_moments("discrete uniform", &d, &pmf, N);
        for (k, &f) in freq.iter().enumerate().take(8).skip(3) {
            proportion(&format!("P(X = {k})"), f, N, 0.2);
        }
        assert_eq!(
            freq[..3].iter().sum::<u64>() + freq[8..].iter().sum::<u64>(),
            0
        );
    }

    #[test]
    fn poisson_and_negative_binomial_have_their_mean_and_variance() {
        let p = days("{ poisson = 4.2 }").unwrap();
        let exact = Poisson::new(4.2).unwrap();
        let pmf: Vec<f64> = (0..60).map(|k| exact.pmf(k)).collect();
        let freq = check_moments("poisson", &p, &pmf, N);
        proportion("poisson P(0)", freq[0], N, pmf[0]);
        // Mean 6, dispersion 2: variance 6 + 36/2 = 24.
        let nb = days("{ negative_binomial = [6, 2] }").unwrap();
        let exact = NegativeBinomial::new(2.0, 2.0 / 8.0).unwrap();
        let pmf: Vec<f64> = (0..400).map(|k| exact.pmf(k)).collect();
        let v: f64 = pmf
            .iter()
            .enumerate()
            .map(|(k, p)| (k as f64 - 6.0).powi(2) * p)
            .sum();
        assert!(
            (v - 24.0).abs() < 1e-6,
            "variance = mean + mean²/dispersion: {v}"
        );
        let freq = check_moments("negative binomial", &nb, &pmf, N);
        proportion("negative binomial P(0)", freq[0], N, pmf[0]);
    }

    #[test]
    fn continuous_families_are_rounded_half_up_and_floored_at_zero() {
        use crate::scenario::dist::to_days;
        assert_eq!(to_days(2.5), 3.0);
        assert_eq!(to_days(2.499_999), 2.0);
        assert_eq!(to_days(-0.5), 0.0);
        assert_eq!(to_days(-7.0), 0.0);
        assert_eq!(to_days(1e300), f64::from(MAX_DAYS));

        let tri = Triangular::new(2.0, 12.0, 5.0).unwrap();
        let d = days("{ triangular = [2, 5, 12] }").unwrap();
        let pmf = rounded_pmf(&|x| tri.cdf(x));
        let freq = check_moments("triangular", &d, &pmf, N);
        // Day 2 collects only [2, 2.5); day 12 only [11.5, 12].
        proportion("triangular P(2)", freq[2], N, pmf[2]);
        proportion("triangular P(12)", freq[12], N, pmf[12]);

        // An untruncated normal reaching below 0: P(0) = P(X < 0.5).
        let nrm = Normal::new(1.0, 2.0).unwrap();
        let d = days("{ normal = [1, 2] }").unwrap();
        let pmf = rounded_pmf(&|x| nrm.cdf(x));
        let freq = check_moments("normal", &d, &pmf, N);
        proportion("normal P(0)", freq[0], N, nrm.cdf(0.5));

        let beta = Beta::new(2.0, 3.0).unwrap();
        let d = days("{ beta = [2, 3], min = 1, max = 21 }").unwrap();
        let pmf = rounded_pmf(&|x| beta.cdf(((x - 1.0) / 20.0).clamp(0.0, 1.0)));
        check_moments("beta", &d, &pmf, N);

        let ln = LogNormal::new(1.5, 0.6).unwrap();
        let d = days("{ lognormal = [1.5, 0.6] }").unwrap();
        let pmf = rounded_pmf(&|x| ln.cdf(x));
        check_moments("lognormal", &d, &pmf, N);
    }

    #[test]
    fn a_range_of_days_is_a_rounded_lognormal_with_that_90_percent_interval() {
        let mut b = super::super::build::Builder::new(jiff::civil::date(2026, 1, 1), 100);
        let per_run = b.days("rules.x.preparation_days", &days("\"5 to 10\"").unwrap());
        let per_event = b.event_days("rules.x.cooldown_days", &days("\"5 to 10\"").unwrap());
        assert!(b.diags.is_empty(), "{:?}", b.diags);
        assert!(!per_event.is_unresolved());
        let reading = b.params[per_run as usize].reading.clone().unwrap();
        assert_eq!(
            reading,
            "5 to 10 read as lognormal, 90% in [5, 10], median 7.07, rounded to whole days"
        );
        let (mu, sigma) = (
            (crate::math::ln(5f64) + crate::math::ln(10f64)) / 2.0,
            (crate::math::ln(10f64) - crate::math::ln(5f64)) / (2.0 * crate::scenario::dist::Z90),
        );
        let ln = LogNormal::new(mu, sigma).unwrap();
        let pmf = rounded_pmf(&|x| ln.cdf(x));
        let freq = check_moments("5 to 10 days", &per_event, &pmf, N);
        // Below 5 days means below 4.5 before rounding: less than the 5% below 5.
        proportion("P(days < 5)", freq[..5].iter().sum(), N, ln.cdf(4.5));
        proportion(
            "P(days > 10)",
            freq[11..].iter().sum(),
            N,
            1.0 - ln.cdf(10.5),
        );
        // The per-run parameter draws the same family, as whole numbers.
        let d = &b.params[per_run as usize].dist;
        let mut rng = StreamKey::new(1, "x").for_run(0);
        for _ in 0..1000 {
            let x = d.sample(&mut rng);
            assert_eq!(x.fract(), 0.0);
        }
        // A negative range is no range of days.
        let mut b = super::super::build::Builder::new(jiff::civil::date(2026, 1, 1), 100);
        b.days("x", &days("\"-2 to 5\"").unwrap());
        assert!(b.diags[0].message.contains("is not a range of day counts"));
    }
}
