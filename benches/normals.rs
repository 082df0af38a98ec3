//! `cargo bench --bench normals`: what a normal sampler built for vectors would cost beside
//! brink's ziggurat (issue 15; docs/PERFORMANCE.md, "Batched normals across streams").
//!
//! Eight streams at once, the ziggurat gives 1.47× one stream: its table lookups are gathers
//! and one step in nine leaves the fast path for scalar code. This bench times the other kind
//! of sampler: Box–Muller, two normals from two uniforms, with the logarithm, sine and cosine
//! written as polynomials over IEEE additions, multiplications and divisions (and one square
//! root), eight streams side by side with no branch and no table. Written so, it would give
//! the same bits on every machine and at every vector width, which brink requires. Nothing in
//! brink uses it: taking it would change every draw (a distribution-preserving step), and it
//! only pays in an engine that steps many runs at once.
//!
//! Before timing, the bench checks what it times and stops if a check fails: `ln`, `sin` and
//! `cos` against `libm` on a million arguments each (ln within 4ε relative, sine and cosine
//! within 4e-15), and ten million normals' mean, variance, fourth moment and tail frequencies
//! beyond 2, 3 and 4 against the normal's, each within 4 standard errors.

use std::hint::black_box;

use brink::draw::Lanes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const LANES: usize = 8;
const TAU: f64 = std::f64::consts::TAU;
// ln 2 split as fdlibm does: the high part has 32 significant bits, so e·LN2_HI is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// Σ c[k]·x^k by Estrin's scheme: pairs, then pairs of pairs, so the chain of dependent
/// multiplications is log₂ of Horner's (the polynomials are latency-bound, not short of
/// arithmetic units).
#[inline(always)]
fn estrin<const K: usize>(c: &[f64; K], x: f64) -> f64 {
    const { assert!(K <= 16, "estrin's scratch holds 16 coefficients") };
    let mut v = [0.0f64; 16];
    let mut n = K;
    for (i, c) in c.iter().enumerate() {
        v[i] = *c;
    }
    let mut p = x;
    while n > 1 {
        let half = n.div_ceil(2);
        for i in 0..half {
            let hi = if 2 * i + 1 < n { v[2 * i + 1] } else { 0.0 };
            v[i] = v[2 * i] + hi * p;
        }
        n = half;
        p *= p;
    }
    v[0]
}

/// 1/(2k + 1), k = 0..=11: the series of atanh(s)/s in s².
const fn atanh_coef() -> [f64; 12] {
    let mut c = [0.0; 12];
    let mut k = 0;
    while k < 12 {
        c[k] = 1.0 / (2 * k + 1) as f64;
        k += 1;
    }
    c
}
const ATANH: [f64; 12] = atanh_coef();

/// `n` as an f64, for 0 ≤ n < 2^52, by the exponent trick: AVX2 has no packed conversion from
/// 64-bit integers, and this is exact.
#[inline(always)]
fn small_to_f64(n: u64) -> f64 {
    f64::from_bits(0x4330_0000_0000_0000 | n) - 4_503_599_627_370_496.0
}

/// ln x for x in (0, 1], no branch: x = 2^e·m with m in [√½, √2), ln m = 2·atanh(s) with
/// s = (m − 1)/(m + 1), |s| ≤ 0.172, as an odd series to s^23.
#[inline(always)]
fn ln01(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023 << 52));
    let big = m > std::f64::consts::SQRT_2;
    m = if big { m * 0.5 } else { m };
    // e + 1024 as an integer (the biased exponent plus one if m was halved), then as a float.
    let biased = ((bits >> 52) & 0x7ff) + 1 + u64::from(big);
    let e = small_to_f64(biased) - 1024.0;
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let p = estrin(&ATANH, s2);
    e * LN2_HI + (e * LN2_LO + 2.0 * s * p)
}

/// Taylor coefficients of sin(2πt) and cos(2πt) in t, for |t| ≤ 1/8 (|2πt| ≤ π/4).
const fn sin_coef() -> [f64; 9] {
    let mut c = [0.0; 9];
    let mut term = TAU; // (2π)^(2k+1)/(2k+1)!, with its sign
    let mut k = 0;
    while k < 9 {
        c[k] = term;
        let n = (2 * k + 2) as f64;
        term = -term * TAU * TAU / (n * (n + 1.0));
        k += 1;
    }
    c
}
const fn cos_coef() -> [f64; 10] {
    let mut c = [0.0; 10];
    let mut term = 1.0;
    let mut k = 0;
    while k < 10 {
        c[k] = term;
        let n = (2 * k + 1) as f64;
        term = -term * TAU * TAU / (n * (n + 1.0));
        k += 1;
    }
    c
}
const SIN: [f64; 9] = sin_coef();
const COS: [f64; 10] = cos_coef();

/// (cos 2πu, sin 2πu) for the turn u = bits/2^64, no branch and no float rounding before the
/// polynomials: the top two bits of bits + 2^61 (an eighth of a turn) are the quadrant q, the
/// rest the exact offset t in [−1/8, 1/8) from q's axis.
#[inline(always)]
fn cos_sin_turn(bits: u64) -> (f64, f64) {
    let v = bits.wrapping_add(1 << 61);
    let q = v >> 62;
    // The 52 bits below the quadrant's as a fraction f in [0, 1), then t = (f − ½)/4.
    let f = f64::from_bits((1023 << 52) | ((v << 2) >> 12)) - 1.0;
    let t = (f - 0.5) * 0.25;
    let t2 = t * t;
    let s = estrin(&SIN, t2) * t;
    let c = estrin(&COS, t2);
    // q = 0: (c, s); 1: (−s, c); 2: (−c, −s); 3: (s, −c).
    let swap = q & 1 == 1;
    let (cc, ss) = if swap { (s, c) } else { (c, s) };
    let neg_c = q == 1 || q == 2;
    let neg_s = q >= 2;
    (if neg_c { -cc } else { cc }, if neg_s { -ss } else { ss })
}

/// Sixteen normals from eight streams: Box–Muller on two 64-bit draws a lane.
#[inline(always)]
fn box_muller(lanes: &mut Lanes<LANES>) -> ([f64; LANES], [f64; LANES]) {
    let a = lanes.next_u64s();
    let b = lanes.next_u64s();
    let mut z0 = [0.0; LANES];
    let mut z1 = [0.0; LANES];
    for k in 0..LANES {
        // u1 in (0, 1] from 52 bits; the angle from all 64 of b.
        let u1 = 2.0 - f64::from_bits((1023 << 52) | (a[k] >> 12));
        let r = (-2.0 * ln01(u1)).sqrt();
        let (c, s) = cos_sin_turn(b[k]);
        z0[k] = r * c;
        z1[k] = r * s;
    }
    (z0, z1)
}

fn lanes() -> Lanes<LANES> {
    let seeds: [[u8; 32]; LANES] = std::array::from_fn(|k| {
        std::array::from_fn(|b| 0x5a ^ (k as u8).wrapping_mul(37) ^ (b as u8).wrapping_mul(11))
    });
    Lanes::from_seeds(&seeds).expect("non-zero seeds")
}

/// The checks the module doc lists; panics with what failed.
fn check() {
    use brink::math;
    let mut g = lanes();
    let ulp = |x: f64| f64::EPSILON * x.abs().max(f64::MIN_POSITIVE);
    for _ in 0..1_000_000 / LANES {
        for bits in g.next_u64s() {
            // u1 as box_muller makes it, (0, 1] from 52 bits.
            let u = 2.0 - f64::from_bits((1023 << 52) | (bits >> 12));
            let (ours, exact) = (ln01(u), math::ln(u));
            assert!(
                (ours - exact).abs() <= 4.0 * ulp(exact),
                "ln({u:e}) = {ours:e}, libm {exact:e}"
            );
            let v = bits as f64 / 18_446_744_073_709_551_616.0;
            let (c, s) = cos_sin_turn(bits);
            // libm's sin and cos of 2πv carry the rounding of 2πv itself (about 4e-16 of the
            // angle), so compare absolutely, at a few units of 1.
            let (ec, es) = (libm::cos(TAU * v), math::sin(TAU * v));
            assert!(
                (c - ec).abs() < 4e-15 && (s - es).abs() < 4e-15,
                "cos, sin of 2π·{v}"
            );
        }
    }
    let n = 10_000_000usize;
    let (mut m1, mut m2, mut m4) = (0.0f64, 0.0f64, 0.0f64);
    let mut beyond = [0usize; 3];
    for _ in 0..n / (2 * LANES) {
        let (a, b) = box_muller(&mut g);
        for z in a.into_iter().chain(b) {
            m1 += z;
            m2 += z * z;
            m4 += z * z * z * z;
            for (count, edge) in beyond.iter_mut().zip([2.0, 3.0, 4.0]) {
                *count += usize::from(z.abs() > edge);
            }
        }
    }
    let nf = n as f64;
    let within = |what: &str, got: f64, want: f64, se: f64| {
        assert!(
            (got - want).abs() < 4.0 * se,
            "{what}: {got} against {want} ± {se}"
        );
    };
    within("mean", m1 / nf, 0.0, (1.0 / nf).sqrt());
    within("variance", m2 / nf, 1.0, (2.0 / nf).sqrt());
    within("fourth moment", m4 / nf, 3.0, (96.0 / nf).sqrt()); // Var(Z^4) = 105 − 9
    for (count, p) in beyond.iter().zip([
        4.550_026_389_635_8e-2,
        2.699_796_063_260_2e-3,
        6.334_248_366_623_996e-5,
    ]) {
        within("tail", *count as f64 / nf, p, (p * (1.0 - p) / nf).sqrt());
    }
}

/// 64 calls of sixteen normals (1 024 draws), summed per lane.
#[inline(always)]
fn sum_box_muller(g: &mut Lanes<LANES>) -> f64 {
    let mut s = [0.0; LANES];
    for _ in 0..64 {
        let (a, b) = box_muller(g);
        for k in 0..LANES {
            s[k] += a[k] + b[k];
        }
    }
    s.iter().sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sum_box_muller_avx2(g: &mut Lanes<LANES>) -> f64 {
    sum_box_muller(g)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2")]
fn sum_box_muller_avx512(g: &mut Lanes<LANES>) -> f64 {
    sum_box_muller(g)
}

fn bench(c: &mut Criterion) {
    check();
    let mut group = c.benchmark_group("normals");
    // 64 calls of sixteen normals: 1 024 draws an iteration, as `engine`'s `draws` group.
    group.throughput(Throughput::Elements(1024));
    let mut one = brink::rng::StreamKey::new(1, "bench").for_run(0);
    group.bench_function("ziggurat_1_stream", |b| {
        b.iter(|| {
            let mut s = 0.0f64;
            for _ in 0..1024 {
                s += brink::draw::standard_normal(&mut one);
            }
            black_box(s)
        })
    });
    let mut g = lanes();
    group.bench_function("box_muller_8_lanes", |b| {
        b.iter(|| black_box(sum_box_muller(&mut g)))
    });
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            group.bench_function("box_muller_8_lanes_avx2", |b| {
                // SAFETY: the processor has AVX2 (checked above).
                b.iter(|| black_box(unsafe { sum_box_muller_avx2(&mut g) }))
            });
        }
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512dq")
        {
            group.bench_function("box_muller_8_lanes_avx512", |b| {
                // SAFETY: the processor has these AVX-512 parts (checked above).
                b.iter(|| black_box(unsafe { sum_box_muller_avx512(&mut g) }))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
