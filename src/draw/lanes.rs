//! Standard normals for N independent streams at once, each stream's draws exactly those of
//! `standard_normal` on it: issue 15's "batched normals", measured by `cargo bench --bench
//! engine -- draws` against the one-stream draw. The engine does not use it: its runs step
//! one at a time, so no N streams are ready to draw together (docs/PERFORMANCE.md, "Batched
//! normals across streams").
//!
//! N Xoshiro256++ states sit side by side word by word, so one step of all N is N-wide integer
//! arithmetic, and the ziggurat's fast path (one table lookup, one multiplication, one
//! comparison) is N-wide float arithmetic; the compiler vectorises both where the target has
//! the instructions (the bench asks for AVX2 and AVX-512 at run time). A lane whose fast path
//! fails, 1.5% of draws, goes on in scalar code from that draw as `standard_normal` would (the
//! wedge or the tail, then fresh draws from its own stream). The operations are IEEE additions,
//! multiplications and comparisons and integer ones, which give the same bits at every vector
//! width, so the result does not depend on the machine. `cargo bench --bench normals` also
//! takes its raw 64-bit draws (`next_u64s`) for a sampler built for vectors.

use std::convert::Infallible;

use super::ziggurat_tables as zt;
use super::{standard_normal_after_miss, with_exponent};

/// N Xoshiro256++ generators, word by word.
#[derive(Clone, Debug)]
pub struct Lanes<const N: usize> {
    s: [[u64; N]; 4],
}

impl<const N: usize> Lanes<N> {
    /// Lane k starts where `brink::rng::Rng::from_seed(seeds[k])` does. None if a seed is all
    /// zeros, which `from_seed` would replace by another state.
    pub fn from_seeds(seeds: &[[u8; 32]; N]) -> Option<Lanes<N>> {
        const { assert!(N <= 64, "a lane mask is one u64") };
        let mut s = [[0u64; N]; 4];
        for (k, seed) in seeds.iter().enumerate() {
            for (w, word) in seed.chunks_exact(8).enumerate() {
                s[w][k] = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            }
            if (0..4).all(|w| s[w][k] == 0) {
                return None;
            }
        }
        Some(Lanes { s })
    }

    /// One Xoshiro256++ step of every lane (rand's `Xoshiro256PlusPlus::next_u64`).
    #[inline(always)]
    pub fn next_u64s(&mut self) -> [u64; N] {
        let mut out = [0u64; N];
        for (k, o) in out.iter_mut().enumerate() {
            let (s0, s1, s2, s3) = (self.s[0][k], self.s[1][k], self.s[2][k], self.s[3][k]);
            *o = s0.wrapping_add(s3).rotate_left(23).wrapping_add(s0);
            let t = s1 << 17;
            let s2 = s2 ^ s0;
            let s3 = s3 ^ s1;
            self.s[1][k] = s1 ^ s2;
            self.s[0][k] = s0 ^ s3;
            self.s[2][k] = s2 ^ t;
            self.s[3][k] = s3.rotate_left(45);
        }
        out
    }

    /// The next standard normal of every lane's stream.
    #[inline(always)]
    pub fn standard_normals(&mut self) -> [f64; N] {
        let bits = self.next_u64s();
        // Each step a loop of its own over the lanes, so that each is one vector operation.
        let layer: [usize; N] = std::array::from_fn(|k| (bits[k] & 0xff) as usize);
        let u: [f64; N] = std::array::from_fn(|k| with_exponent(bits[k] >> 12, 1) - 3.0);
        let x_i: [f64; N] = std::array::from_fn(|k| zt::ZIG_NORM_X[layer[k]]);
        let x_next: [f64; N] = std::array::from_fn(|k| zt::ZIG_NORM_X[layer[k] + 1]);
        let mut z: [f64; N] = std::array::from_fn(|k| u[k] * x_i[k]);
        let fast: [bool; N] = std::array::from_fn(|k| z[k].abs() < x_next[k]);
        if !fast.iter().all(|&f| f) {
            let miss = fast
                .iter()
                .enumerate()
                .fold(0u64, |m, (k, &f)| m | (u64::from(!f) << k));
            self.finish(&bits, miss, &mut z);
        }
        z
    }

    /// The lanes in `miss` failed the fast path: each goes on from its draw as the scalar
    /// `standard_normal` does (the wedge or tail test, then fresh draws), on its own stream.
    #[cold]
    #[inline(never)]
    fn finish(&mut self, bits: &[u64; N], mut miss: u64, z: &mut [f64; N]) {
        while miss != 0 {
            let k = miss.trailing_zeros() as usize;
            miss &= miss - 1;
            let mut one = One([self.s[0][k], self.s[1][k], self.s[2][k], self.s[3][k]]);
            z[k] = standard_normal_after_miss(&mut one, bits[k]);
            for w in 0..4 {
                self.s[w][k] = one.0[w];
            }
        }
    }
}

/// One lane's state as a scalar Xoshiro256++.
struct One([u64; 4]);

impl rand::TryRng for One {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.try_next_u64().map(|v| (v >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let [s0, s1, s2, s3] = self.0;
        let out = s0.wrapping_add(s3).rotate_left(23).wrapping_add(s0);
        let t = s1 << 17;
        let s2 = s2 ^ s0;
        let s3 = s3 ^ s1;
        self.0 = [s0 ^ s3, s1 ^ s2, s2 ^ t, s3.rotate_left(45)];
        Ok(out)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        rand::rand_core::utils::fill_bytes_via_next_word(dst, || self.try_next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draw::standard_normal;
    use crate::rng::Rng;
    use rand::SeedableRng;

    fn seeds<const N: usize>(base: u8) -> [[u8; 32]; N] {
        std::array::from_fn(|k| {
            std::array::from_fn(|b| base ^ (k as u8).wrapping_mul(37) ^ (b as u8).wrapping_mul(11))
        })
    }

    /// Every lane's draws are the scalar draws of its stream, tails and wedges included, and
    /// the lanes do not disturb each other.
    #[test]
    fn each_lane_draws_what_its_stream_draws() {
        let s = seeds::<8>(5);
        let mut lanes = Lanes::from_seeds(&s).unwrap();
        let mut scalar: Vec<Rng> = s.iter().map(|&seed| Rng::from_seed(seed)).collect();
        let mut tails = 0;
        for _ in 0..200_000 {
            let z = lanes.standard_normals();
            for (k, rng) in scalar.iter_mut().enumerate() {
                let want = standard_normal(rng);
                assert_eq!(z[k].to_bits(), want.to_bits(), "lane {k}");
                tails += usize::from(want.abs() > zt::ZIG_NORM_R);
            }
        }
        // Every tail draw (about 1 in 3 900 of the 1.6 M) fails the fast path, so the scalar
        // path was taken, in lanes 0 to 7 alike.
        assert!(tails > 200, "only {tails} tail draws");
    }

    #[test]
    fn refuses_the_all_zero_seed() {
        let mut s = seeds::<4>(1);
        s[2] = [0; 32];
        assert!(Lanes::from_seeds(&s).is_none());
    }
}
