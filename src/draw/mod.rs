//! brink's own samplers for the families whose `rand_distr` versions call the platform's math
//! library: the standard normal, the standard exponential, the gamma and the Poisson.
//!
//! Why they exist: `rand_distr`'s concrete `f64` ziggurats (`StandardNormal`, `Exp1`) write
//! `(-x * x / 2.0).exp()` and `u.ln()`, and because the standard library is in the crate graph
//! those resolve to `f64::exp` and `f64::ln`, which call the C library (glibc on Linux), whatever
//! features `rand_distr` is built with. The ziggurat's wedge test and the whole value of a tail
//! draw (about one normal in 3 900) then depend on the machine's `exp` and `ln`, whose last bits
//! differ between C libraries and processor features. The gamma and the Poisson call those two
//! ziggurats inside. brink promises results that depend only on the scenario, the seed and the
//! run count (README, "Guarantees"), so these samplers take every transcendental function from
//! `brink::math` (the `libm` crate, IEEE arithmetic only).
//!
//! Each is `rand_distr` 0.6.0's algorithm, step for step and operation for operation, over the
//! same tables (`ziggurat_tables`), so from the same generator state they consume the same
//! random bits and return the same numbers wherever the two math libraries agree. On this
//! project's machines glibc and `libm` disagreed in the last bit on about 3 normal draws in a
//! million (tail draws), and every CSV of every shipped scenario stayed byte-identical
//! (docs/PERFORMANCE.md). The other families brink samples (uniform, triangular, beta) are
//! generic over `num_traits::Float` in `rand_distr` and already reach `libm`; `clippy.toml`
//! forbids the four replaced here, and `scripts/check_math_imports.sh` checks the binary.

mod lanes;
mod ziggurat_tables;

pub use lanes::Lanes;

use rand::distr::Open01;
use rand::{Rng, RngExt};

use crate::math;
use ziggurat_tables as zt;

/// A float in [2^e, 2^(e+1)) whose 52 fraction bits are `fraction`'s (`rand`'s
/// `into_float_with_exponent`, which `rand` keeps hidden).
#[inline(always)]
fn with_exponent(fraction: u64, e: u64) -> f64 {
    f64::from_bits(((1023 + e) << 52) | fraction)
}

/// The ZIGNOR ziggurat of Doornik (2005), as `rand_distr::utils::ziggurat`: one 64-bit draw
/// gives the layer (its low 8 bits) and the abscissa (its high 52); most draws end at the first
/// comparison.
#[inline(always)]
fn ziggurat<R: Rng + ?Sized>(
    rng: &mut R,
    symmetric: bool,
    x_tab: zt::ZigTable,
    f_tab: zt::ZigTable,
    pdf: impl Fn(f64) -> f64,
    zero_case: impl Fn(&mut R, f64) -> f64,
) -> f64 {
    loop {
        let bits = rng.next_u64();
        let i = bits as usize & 0xff;
        let u = if symmetric {
            // [2, 4) less 3: [-1, 1).
            with_exponent(bits >> 12, 1) - 3.0
        } else {
            // [1, 2) less (1 - ε/2): (0, 1).
            with_exponent(bits >> 12, 0) - (1.0 - f64::EPSILON / 2.0)
        };
        let x = u * x_tab[i];
        let test_x = if symmetric { x.abs() } else { x };
        if test_x < x_tab[i + 1] {
            return x;
        }
        if i == 0 {
            return zero_case(rng, u);
        }
        if f_tab[i + 1] + (f_tab[i] - f_tab[i + 1]) * rng.random::<f64>() < pdf(x) {
            return x;
        }
    }
}

/// A standard normal draw: `rand_distr::StandardNormal`'s, with `brink::math`.
#[inline]
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ziggurat(
        rng,
        true,
        &zt::ZIG_NORM_X,
        &zt::ZIG_NORM_F,
        |x| math::exp(-x * x / 2.0),
        normal_tail,
    )
}

/// The rest of `standard_normal` after a draw of `bits` failed the ziggurat's fast path: that
/// draw's tail or wedge test, then fresh draws. `Lanes` makes the fast path itself. It repeats
/// the end of `ziggurat`'s loop rather than share it: shared through a helper, the engine's
/// walks ran 4.5% more instructions (reduced model, callgrind), the draws being inlined there.
#[inline(never)]
fn standard_normal_after_miss<R: Rng + ?Sized>(rng: &mut R, bits: u64) -> f64 {
    let i = bits as usize & 0xff;
    let u = with_exponent(bits >> 12, 1) - 3.0;
    let x = u * zt::ZIG_NORM_X[i];
    if i == 0 {
        return normal_tail(rng, u);
    }
    let (f_i, f_next) = (zt::ZIG_NORM_F[i], zt::ZIG_NORM_F[i + 1]);
    if f_next + (f_i - f_next) * rng.random::<f64>() < math::exp(-x * x / 2.0) {
        return x;
    }
    standard_normal(rng)
}

/// The normal's tail beyond the base layer (Marsaglia's method): about one draw in 3 900 comes
/// here. Inlined all the same: out of line it would take the generator's address, and a
/// caller that keeps its generator in registers over a loop (the pre-emption walk) would have
/// to keep it in memory instead, which cost that loop 17% more instructions.
#[inline]
fn normal_tail<R: Rng + ?Sized>(rng: &mut R, u: f64) -> f64 {
    // The loop is not do-while, so start where its condition holds.
    let mut x = 1.0f64;
    let mut y = 0.0f64;
    while -2.0 * y < x * x {
        let x_: f64 = rng.sample(Open01);
        let y_: f64 = rng.sample(Open01);
        x = math::ln(x_) / zt::ZIG_NORM_R;
        y = math::ln(y_);
    }
    if u < 0.0 {
        x - zt::ZIG_NORM_R
    } else {
        zt::ZIG_NORM_R - x
    }
}

/// A standard exponential draw (rate 1): `rand_distr::Exp1`'s, with `brink::math`.
#[inline]
pub fn exp1<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ziggurat(
        rng,
        false,
        &zt::ZIG_EXP_X,
        &zt::ZIG_EXP_F,
        |x| math::exp(-x),
        |rng: &mut R, _u| zt::ZIG_EXP_R - math::ln(rng.random::<f64>()),
    )
}

/// The gamma distribution with `shape` k and `scale` θ (mean kθ): `rand_distr::Gamma<f64>`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gamma {
    /// k = 1: an exponential of rate λ = 1/θ, drawn as Exp1 times 1/λ (rand_distr's `Exp`;
    /// 1/(1/θ) rounds as it does, which θ itself need not).
    One { inv_lambda: f64 },
    /// k < 1: Marsaglia and Tsang's boost, a draw for k + 1 times U^(1/k).
    Small { inv_shape: f64, large: LargeShape },
    /// k > 1: Marsaglia and Tsang (2000).
    Large(LargeShape),
}

/// Marsaglia and Tsang's constants for a shape above 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LargeShape {
    scale: f64,
    c: f64,
    d: f64,
}

impl LargeShape {
    fn new(shape: f64, scale: f64) -> LargeShape {
        let d = shape - 1. / 3.;
        LargeShape {
            scale,
            c: 1.0 / (9. * d).sqrt(),
            d,
        }
    }

    fn sample_unscaled<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        loop {
            let x = standard_normal(rng);
            let v_cbrt = 1.0 + self.c * x;
            if v_cbrt <= 0.0 {
                continue;
            }
            let v = v_cbrt * v_cbrt * v_cbrt;
            let u: f64 = rng.sample(Open01);
            let x_sqr = x * x;
            if u < 1.0 - 0.0331 * x_sqr * x_sqr
                || math::ln(u) < 0.5 * x_sqr + self.d * (1.0 - v + math::ln(v))
            {
                return v;
            }
        }
    }
}

impl Gamma {
    /// None unless shape and scale are positive (infinite ones are refused too: no scenario
    /// can ask for them, and `rand_distr` would give an exponential of rate 0).
    pub fn new(shape: f64, scale: f64) -> Option<Gamma> {
        if !(shape > 0.0 && scale > 0.0 && shape.is_finite() && scale.is_finite()) {
            return None;
        }
        Some(if shape == 1.0 {
            Gamma::One {
                inv_lambda: 1.0 / (1.0 / scale),
            }
        } else if shape < 1.0 {
            Gamma::Small {
                inv_shape: 1.0 / shape,
                large: LargeShape::new(shape + 1.0, scale),
            }
        } else {
            Gamma::Large(LargeShape::new(shape, scale))
        })
    }

    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Gamma::One { inv_lambda } => exp1(rng) * inv_lambda,
            Gamma::Small { inv_shape, large } => {
                let u: f64 = rng.sample(Open01);
                let a = large.sample_unscaled(rng);
                let b = math::powf(u, inv_shape);
                // The scale last, so that a huge one cannot make inf × 0.
                (a * b * large.d) * large.scale
            }
            Gamma::Large(large) => large.sample_unscaled(rng) * (large.d * large.scale),
        }
    }
}

/// The Poisson distribution with mean λ: `rand_distr::Poisson<f64>` (Knuth's product of
/// uniforms below 12; from 12, Ahrens and Dieter's (1982) algorithm PD, from modified normal
/// deviates).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Poisson {
    Knuth { exp_lambda: f64 },
    Rejection(AhrensDieter),
}

/// Ahrens and Dieter's constants for a mean of 12 or more.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AhrensDieter {
    lambda: f64,
    s: f64,
    d: f64,
    l: f64,
    c: f64,
    c0: f64,
    c1: f64,
    c2: f64,
    c3: f64,
    omega: f64,
}

impl Poisson {
    /// `rand_distr`'s largest mean: beyond it a draw could overflow a u64.
    pub const MAX_LAMBDA: f64 = 1.844e19;

    /// None unless λ is positive, finite and at most `MAX_LAMBDA`.
    pub fn new(lambda: f64) -> Option<Poisson> {
        if !(lambda.is_finite() && lambda > 0.0 && lambda <= Self::MAX_LAMBDA) {
            return None;
        }
        if lambda < 12.0 {
            return Some(Poisson::Knuth {
                exp_lambda: math::exp(-lambda),
            });
        }
        let b1 = (1.0 / 24.0) / lambda;
        let b2 = 0.3 * b1 * b1;
        let c3 = (1.0 / 7.0) * b1 * b2;
        let c2 = b2 - 15.0 * c3;
        let c1 = b1 - 6.0 * b2 + 45.0 * c3;
        let c0 = 1.0 - b1 + 3.0 * b2 - 15.0 * c3;
        Some(Poisson::Rejection(AhrensDieter {
            lambda,
            s: lambda.sqrt(),
            d: 6.0 * lambda.powi(2),
            l: (lambda - 1.1484).floor(),
            c: 0.1069 / lambda,
            c0,
            c1,
            c2,
            c3,
            omega: 1.0 / (2.0 * std::f64::consts::PI).sqrt() / lambda.sqrt(),
        }))
    }

    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Poisson::Knuth { exp_lambda } => {
                let mut result = 1.0;
                let mut p = rng.random::<f64>();
                while p > *exp_lambda {
                    p *= rng.random::<f64>();
                    result += 1.0;
                }
                result - 1.0
            }
            Poisson::Rejection(m) => m.sample(rng),
        }
    }
}

impl AhrensDieter {
    /// Step F of Ahrens and Dieter: (px, py, fx, fy) at k.
    fn f(&self, k: f64) -> (f64, f64, f64, f64) {
        const FACT: [f64; 10] = [
            1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362880.0,
        ];
        // Their Table 1.
        const A: [f64; 10] = [
            -0.5000000002,
            0.3333333343,
            -0.2499998565,
            0.1999997049,
            -0.1666848753,
            0.1428833286,
            -0.1241963125,
            0.1101687109,
            -0.1142650302,
            0.1055093006,
        ];
        let (px, py) = if k < 10.0 {
            (-self.lambda, math::powf(self.lambda, k) / FACT[k as usize])
        } else {
            let delta = (12.0 * k).recip();
            let delta = delta - 4.8 * delta.powi(3);
            let v = (self.lambda - k) / k;
            let px = if v.abs() <= 0.25 {
                k * v.powi(2) * A.iter().rev().fold(0.0, |acc, &a| acc * v + a) - delta
            } else {
                k * math::ln(1.0 + v) - (self.lambda - k) - delta
            };
            (px, 1.0 / (2.0 * std::f64::consts::PI).sqrt() / k.sqrt())
        };
        let x = (k - self.lambda + 0.5) / self.s;
        let fx = -0.5 * x * x;
        let fy = self.omega * (((self.c3 * x * x + self.c2) * x * x + self.c1) * x * x + self.c0);
        (px, py, fx, fy)
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // Step N: a normal deviate, accepted outright where the Poisson is above it.
        let g = self.lambda + self.s * standard_normal(rng);
        if g >= 0.0 {
            let k1 = g.floor();
            // Step I
            if k1 >= self.l {
                return k1;
            }
            // Step S
            let u: f64 = rng.random();
            if self.d * u >= (self.lambda - k1).powi(3) {
                return k1;
            }
            let (px, py, fx, fy) = self.f(k1);
            if fy * (1.0 - u) <= py * math::exp(px - fx) {
                return k1;
            }
        }
        loop {
            // Step E: a double-exponential deviate.
            let e = exp1(rng);
            let u: f64 = rng.random::<f64>() * 2.0 - 1.0;
            let t = 1.8 + e * u.signum();
            if t > -0.6744 {
                let k2 = (self.lambda + self.s * t).floor();
                let (px, py, fx, fy) = self.f(k2);
                // Step H
                if self.c * u.abs() <= py * math::exp(px + e) - fy * math::exp(fx + e) {
                    return k2;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each sampler against the `rand_distr` one it replaces, from the same generator state: the
    //! same numbers, and the generator left in the same state (so the same random bits were
    //! consumed). Equality is asked to 1e-14 rather than to the bit, because the point of
    //! these samplers is that their `exp`, `ln` and `pow` may differ in the last bit from the C
    //! library's, which `rand_distr` uses (in test builds, for its generic code too). On this
    //! project's machines (glibc) 3 normal draws in a million, 1 exponential and 17 355 of
    //! 200 000 gammas of shape 0.3 (through `pow`) differed; `--nocapture` prints the counts.
    #![allow(clippy::disallowed_types)]

    use super::*;
    use crate::rng::StreamKey;
    use rand_distr::Distribution;

    fn same(
        what: &str,
        n: usize,
        mut ours: impl FnMut(&mut crate::rng::Rng) -> f64,
        mut theirs: impl FnMut(&mut crate::rng::Rng) -> f64,
    ) {
        let key = StreamKey::new(11, what);
        let (mut a, mut b) = (key.for_run(0), key.for_run(0));
        let mut inexact = 0;
        for i in 0..n {
            let (x, y) = (ours(&mut a), theirs(&mut b));
            if x.to_bits() != y.to_bits() {
                inexact += 1;
                assert!(
                    (x - y).abs() <= 1e-14 * x.abs().max(1.0),
                    "{what}: draw {i}: brink {x:e}, rand_distr {y:e}"
                );
            }
            assert_eq!(
                a.next_u64(),
                b.next_u64(),
                "{what}: draw {i} used other bits"
            );
        }
        eprintln!("{what}: {n} draws, {inexact} not bit-identical");
    }

    #[test]
    fn standard_normal_is_rand_distrs() {
        same("normal", 1_000_000, standard_normal, |r| {
            rand_distr::StandardNormal.sample(r)
        });
    }

    #[test]
    fn exp1_is_rand_distrs() {
        same("exp1", 1_000_000, exp1, |r| rand_distr::Exp1.sample(r));
    }

    #[test]
    fn gamma_is_rand_distrs() {
        for (shape, scale) in [(0.3, 2.0), (1.0, 3.0), (4.0, 15.0), (250.0, 0.1)] {
            let ours = Gamma::new(shape, scale).unwrap();
            let theirs = rand_distr::Gamma::new(shape, scale).unwrap();
            same(
                &format!("gamma({shape}, {scale})"),
                200_000,
                |r| ours.sample(r),
                |r| theirs.sample(r),
            );
        }
    }

    #[test]
    fn poisson_is_rand_distrs() {
        // Both of rand_distr's methods: Knuth's below 12, the rejection method from 12.
        for lambda in [0.5, 3.0, 11.9, 12.0, 60.0, 1_000.0, 1e6] {
            let ours = Poisson::new(lambda).unwrap();
            let theirs = rand_distr::Poisson::new(lambda).unwrap();
            same(
                &format!("poisson({lambda})"),
                200_000,
                |r| ours.sample(r),
                |r| theirs.sample(r),
            );
        }
    }

    #[test]
    fn refuses_what_it_cannot_sample() {
        assert!(Gamma::new(0.0, 1.0).is_none());
        assert!(Gamma::new(1.0, f64::INFINITY).is_none());
        assert!(Gamma::new(f64::NAN, 1.0).is_none());
        assert!(Poisson::new(0.0).is_none());
        assert!(Poisson::new(f64::INFINITY).is_none());
        assert!(Poisson::new(2e19).is_none());
    }

    /// The tail (|z| beyond 3.654, the base layer's edge) is where `ln` makes the value, so
    /// its frequency is checked against the normal's, within 4 standard errors.
    #[test]
    fn normal_tail_has_its_mass() {
        let mut rng = StreamKey::new(5, "tail").for_run(0);
        let n = 4_000_000;
        let hits = (0..n)
            .filter(|_| standard_normal(&mut rng).abs() > zt::ZIG_NORM_R)
            .count() as f64;
        // P(|Z| > 3.654152885361009) = erfc(r/√2) = 2.58032e-4.
        let p = 2.580_32e-4;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        let got = hits / n as f64;
        assert!(
            (got - p).abs() < 4.0 * se,
            "tail frequency {got}, expected {p} ± {se}"
        );
    }
}
