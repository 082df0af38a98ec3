//! Paired comparison of two scenarios on common random numbers.
//!
//! Run i of the base and run i of the variant draw from the same streams wherever the two
//! scenarios agree (streams are keyed by rule id, track id and parameter path), so their
//! difference is the effect of the change plus far less noise than two independent samples
//! would carry. Per metric the comparison keeps only integer sums of the paired values (in
//! histogram bins), so merging chunks is exact and order-free, and an identical variant gives a
//! difference and an interval of exactly zero.

use std::sync::atomic::AtomicBool;

use crate::engine::{Engine, NoRecord};
use crate::metrics::MISSING;
use crate::model::{NEVER, Scenario};
use crate::stats::Z95;
use crate::study::{self, Ended, Flow, Pace};

/// Which outcome of each scenario a compared metric reads.
#[derive(Clone, Debug)]
pub struct Pairing {
    pub metrics: Vec<PairedMetric>,
    /// Metrics of the base that the variant lacks (not compared).
    pub unmatched: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct PairedMetric {
    pub id: String,
    /// "probability" or "quantity".
    pub kind: &'static str,
    /// Event index (probability) or quantity index, in the base and in the variant.
    pub base: usize,
    pub variant: usize,
    /// value = lo + step · bin, for the base and for the variant.
    pub base_scale: (f64, f64),
    pub variant_scale: (f64, f64),
}

impl Pairing {
    /// Matches the variant's metrics to the base's by id, in the base's order.
    pub fn new(base: &Scenario, variant: &Scenario) -> Pairing {
        let mut metrics = Vec::new();
        let mut unmatched = Vec::new();
        for (i, e) in base.metrics.events.iter().enumerate() {
            match variant.metrics.events.iter().position(|v| v.id == e.id) {
                Some(j) => metrics.push(PairedMetric {
                    id: e.id.clone(),
                    kind: "probability",
                    base: i,
                    variant: j,
                    base_scale: (0.0, 1.0),
                    variant_scale: (0.0, 1.0),
                }),
                None => unmatched.push(e.id.clone()),
            }
        }
        for (i, q) in base.metrics.quantities.iter().enumerate() {
            match variant.metrics.quantities.iter().position(|v| v.id == q.id) {
                Some(j) => {
                    let vb = variant.metrics.quantities[j].binning;
                    metrics.push(PairedMetric {
                        id: q.id.clone(),
                        kind: "quantity",
                        base: i,
                        variant: j,
                        base_scale: (q.binning.lo, q.binning.step),
                        variant_scale: (vb.lo, vb.step),
                    })
                }
                None => unmatched.push(q.id.clone()),
            }
        }
        Pairing { metrics, unmatched }
    }

    /// `new`, refused when nothing can be compared; the message is the one the user sees.
    pub fn checked(base: &Scenario, variant: &Scenario) -> Result<Pairing, String> {
        let p = Pairing::new(base, variant);
        if p.metrics.is_empty() {
            return Err("error: the base and the variant have no metric in common\n".into());
        }
        Ok(p)
    }
}

/// Why a comparison without a variant file and without overrides is refused.
pub const NOTHING_TO_COMPARE: &str =
    "error: nothing to compare: give a VARIANT scenario file or --set overrides\n";

/// Integer sums over the runs where a metric is defined in both scenarios, in bins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PairSums {
    pub n: u64,
    pub b: i128,
    pub v: i128,
    pub bb: i128,
    pub vv: i128,
    pub bv: i128,
    /// Runs whose value differs between base and variant.
    pub changed: u64,
}

impl PairSums {
    pub fn add(&mut self, b: u32, v: u32) {
        let (b, v) = (i128::from(b), i128::from(v));
        self.n += 1;
        self.b += b;
        self.v += v;
        self.bb += b * b;
        self.vv += v * v;
        self.bv += b * v;
        self.changed += u64::from(b != v);
    }

    pub fn merge(&mut self, o: &PairSums) {
        self.n += o.n;
        self.b += o.b;
        self.v += o.v;
        self.bb += o.bb;
        self.vv += o.vv;
        self.bv += o.bv;
        self.changed += o.changed;
    }
}

/// The paired sums of every compared metric, in `Pairing` order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paired {
    pub runs: u64,
    pub sums: Vec<PairSums>,
}

impl Paired {
    pub fn new(p: &Pairing) -> Paired {
        Paired {
            runs: 0,
            sums: vec![PairSums::default(); p.metrics.len()],
        }
    }

    pub fn merge(&mut self, o: &Paired) {
        self.runs += o.runs;
        for (a, b) in self.sums.iter_mut().zip(&o.sums) {
            a.merge(b);
        }
    }
}

/// Simulates runs `runs` of both engines (which must share a seed) through the study driver on
/// the current rayon pool, calling `sink` with each chunk's run count in run order. `None` if
/// `stop` was raised first.
pub fn run_paired<E>(
    base: &Engine,
    variant: &Engine,
    pairing: &Pairing,
    runs: std::ops::Range<u64>,
    stop: &AtomicBool,
    mut sink: impl FnMut(u64) -> Result<(), E>,
) -> Result<Option<Paired>, E> {
    let mut total = Paired::new(pairing);
    let ended = study::drive(
        runs,
        Pace::RUNS,
        stop,
        |r| paired_chunk(base, variant, pairing, r, stop),
        |p| {
            total.merge(&p);
            sink(p.runs).map(|()| Flow::Continue)
        },
    )?;
    Ok((ended == Ended::Complete).then_some(total))
}

fn paired_chunk(
    base: &Engine,
    variant: &Engine,
    pairing: &Pairing,
    runs: std::ops::Range<u64>,
    stop: &AtomicBool,
) -> Option<Paired> {
    let mut wb = base.workspace();
    let mut wv = variant.workspace();
    let mut out = Paired::new(pairing);
    let done = study::each(runs, stop, |run| {
        base.simulate(run, &mut wb, &mut NoRecord);
        variant.simulate(run, &mut wv, &mut NoRecord);
        out.runs += 1;
        for (m, s) in pairing.metrics.iter().zip(out.sums.iter_mut()) {
            if m.kind == "probability" {
                let b = u32::from(wb.outcome.first[m.base] != NEVER);
                let v = u32::from(wv.outcome.first[m.variant] != NEVER);
                s.add(b, v);
            } else {
                let (b, v) = (wb.outcome.values[m.base], wv.outcome.values[m.variant]);
                if b != MISSING && v != MISSING {
                    s.add(b, v);
                }
            }
        }
    });
    done.then_some(out)
}

/// One row of compare.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRow {
    pub metric: String,
    pub kind: &'static str,
    pub n: u64,
    pub base: f64,
    pub variant: f64,
    pub difference: f64,
    /// Paired 95% interval of the difference (from the per-run differences).
    pub ci_low: f64,
    pub ci_high: f64,
    /// The 95% interval the same runs would give as two independent samples.
    pub unpaired_ci_low: f64,
    pub unpaired_ci_high: f64,
    pub share_changed: f64,
}

/// Summarizes the sums. For a conditional quantity, every figure is over the runs where it is
/// defined in both scenarios.
pub fn rows(pairing: &Pairing, paired: &Paired) -> Vec<CompareRow> {
    pairing
        .metrics
        .iter()
        .zip(&paired.sums)
        .map(|(m, s)| row(m, s))
        .collect()
}

fn row(m: &PairedMetric, s: &PairSums) -> CompareRow {
    let nan = f64::NAN;
    if s.n == 0 {
        return CompareRow {
            metric: m.id.clone(),
            kind: m.kind,
            n: 0,
            base: nan,
            variant: nan,
            difference: nan,
            ci_low: nan,
            ci_high: nan,
            unpaired_ci_low: nan,
            unpaired_ci_high: nan,
            share_changed: nan,
        };
    }
    let n = s.n as i128;
    let nf = s.n as f64;
    let ((lb, kb), (lv, kv)) = (m.base_scale, m.variant_scale);
    let base = lb + kb * (s.b as f64 / nf);
    let variant = lv + kv * (s.v as f64 / nf);
    // n² times the sample (co)variances' numerators, exact in integers.
    let (cbb, cvv, cbv) = (
        n * s.bb - s.b * s.b,
        n * s.vv - s.v * s.v,
        n * s.bv - s.b * s.v,
    );
    let denom = nf * (nf - 1.0).max(1.0);
    let var_b = kb * kb * cbb as f64 / denom;
    let var_v = kv * kv * cvv as f64 / denom;
    // Var(kv·V − kb·B); with equal scales the numerator is an exact integer, so identical runs
    // give exactly zero.
    let var_d = if kb == kv {
        kb * kb * (cbb + cvv - 2 * cbv) as f64 / denom
    } else {
        (var_b + var_v - 2.0 * kb * kv * cbv as f64 / denom).max(0.0)
    };
    let difference = variant - base;
    let half = Z95 * (var_d / nf).sqrt();
    let half_u = Z95 * ((var_b + var_v) / nf).sqrt();
    CompareRow {
        metric: m.id.clone(),
        kind: m.kind,
        n: s.n,
        base,
        variant,
        difference,
        ci_low: difference - half,
        ci_high: difference + half,
        unpaired_ci_low: difference - half_u,
        unpaired_ci_high: difference + half_u,
        share_changed: s.changed as f64 / nf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric() -> PairedMetric {
        PairedMetric {
            id: "m".into(),
            kind: "quantity",
            base: 0,
            variant: 0,
            base_scale: (0.0, 1.0),
            variant_scale: (0.0, 1.0),
        }
    }

    #[test]
    fn identical_values_give_exactly_zero() {
        let mut s = PairSums::default();
        for x in [3, 1, 4, 1, 5, 9, 2, 6] {
            s.add(x, x);
        }
        let r = row(&metric(), &s);
        assert_eq!((r.difference, r.ci_low, r.ci_high), (0.0, 0.0, 0.0));
        assert_eq!(r.share_changed, 0.0);
        assert!(r.unpaired_ci_low < 0.0 && r.unpaired_ci_high > 0.0);
    }

    #[test]
    fn paired_interval_matches_the_textbook_formula() {
        // differences 1, 2, 0, 1: mean 1, sample sd sqrt(2/3).
        let mut s = PairSums::default();
        for (b, v) in [(1, 2), (3, 5), (2, 2), (0, 1)] {
            s.add(b, v);
        }
        let r = row(&metric(), &s);
        let half = Z95 * (2.0f64 / 3.0).sqrt() / 2.0;
        assert!((r.difference - 1.0).abs() < 1e-12);
        assert!((r.ci_high - 1.0 - half).abs() < 1e-12);
        assert_eq!(r.share_changed, 0.75);
    }
}
