//! Random streams: one independent Xoshiro256++ stream per (seed, purpose, run).
//!
//! A "purpose" is a stable name: a rule id, a track id or a parameter path. Each purpose gets
//! its own 256-bit key, derived from the seed with SHA-256 once per study; a run's generator
//! state is that key with the run index mixed into every word by a bijective 64-bit finalizer,
//! so no two runs of a purpose can share a state word and two purposes share a state only if
//! SHA-256 collides on 192 bits. Consequences the rest of brink relies on:
//! - a run's draws depend only on (seed, run), never on which thread or shard ran it;
//! - reordering a scenario file, or adding an unrelated rule, leaves every other rule's draws
//!   unchanged, which keeps paired comparisons tight (common random numbers).
//!
//! Why Xoshiro256++ and not ChaCha8: brink needs statistical quality, not unpredictability, and
//! re-keys some 60 streams per run. Xoshiro256++ passes BigCrush and PractRand, is re-keyed with
//! four multiplications and draws a number in a few cycles; ChaCha8 spent a fifth of the
//! flagship's time generating and buffering blocks (docs/PERFORMANCE.md).

use rand::SeedableRng;
use sha2::{Digest, Sha256};

/// The generator used everywhere in the engine.
pub type Rng = rand::rngs::Xoshiro256PlusPlus;

/// A purpose's 256-bit key; `for_run` and `reset` position a generator at a run's stream.
#[derive(Clone, Debug)]
pub struct StreamKey([u64; 4]);

impl StreamKey {
    pub fn new(seed: u64, purpose: &str) -> StreamKey {
        let mut h = Sha256::new();
        h.update(b"brink/stream/v2\0");
        h.update(seed.to_le_bytes());
        h.update(purpose.as_bytes());
        let digest: [u8; 32] = h.finalize().into();
        let mut key = [0u64; 4];
        for (word, bytes) in key.iter_mut().zip(digest.chunks_exact(8)) {
            *word = u64::from_le_bytes(bytes.try_into().expect("8-byte chunk"));
        }
        StreamKey(key)
    }

    /// Resets `rng` to the start of this key's stream for `run`, without allocating.
    #[inline]
    pub fn reset(&self, rng: &mut Rng, run: u64) {
        *rng = self.for_run(run);
    }

    #[inline]
    pub fn for_run(&self, run: u64) -> Rng {
        let mut seed = [0u8; 32];
        for (bytes, &k) in seed.chunks_exact_mut(8).zip(&self.0) {
            bytes.copy_from_slice(&mix64(k ^ run).to_le_bytes());
        }
        // `from_seed` replaces the one all-zero state (which Xoshiro cannot leave) by a fixed one.
        Rng::from_seed(seed)
    }
}

/// SplitMix64's output function: a bijection on u64 whose every output bit depends on every
/// input bit.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_differ_by_run_and_purpose_and_repeat_exactly() {
        let a = StreamKey::new(7, "rules.a");
        let b = StreamKey::new(7, "rules.b");
        let x: u64 = a.for_run(0).random();
        assert_eq!(x, a.for_run(0).random::<u64>());
        assert_ne!(x, a.for_run(1).random::<u64>());
        assert_ne!(x, b.for_run(0).random::<u64>());
        assert_ne!(x, StreamKey::new(8, "rules.a").for_run(0).random::<u64>());
        let mut r = b.for_run(3);
        let _: u64 = r.random();
        a.reset(&mut r, 0);
        assert_eq!(x, r.random::<u64>());
    }

    /// Neighbouring runs must not give correlated streams: the first uniforms of 20 000
    /// consecutive runs of one purpose, and of one run across 20 000 purposes, have the mean
    /// and lag-1 correlation of independent U(0,1) draws within 4 standard errors.
    #[test]
    fn neighbouring_streams_look_independent() {
        fn check(u: &[f64]) {
            let n = u.len() as f64;
            let mean = u.iter().sum::<f64>() / n;
            // U(0,1): sd 1/sqrt(12); lag-1 correlation of independent draws has sd 1/sqrt(n).
            assert!((mean - 0.5).abs() < 4.0 / (12.0 * n).sqrt(), "mean {mean}");
            let var = u.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            let cov = u
                .windows(2)
                .map(|w| (w[0] - mean) * (w[1] - mean))
                .sum::<f64>()
                / (n - 1.0);
            let r = cov / var;
            assert!(r.abs() < 4.0 / n.sqrt(), "lag-1 correlation {r}");
        }
        let key = StreamKey::new(20251229, "rule:x");
        let by_run: Vec<f64> = (0..20_000).map(|r| key.for_run(r).random()).collect();
        check(&by_run);
        let by_purpose: Vec<f64> = (0..20_000)
            .map(|i| StreamKey::new(1, &format!("p{i}")).for_run(0).random())
            .collect();
        check(&by_purpose);
    }
}
