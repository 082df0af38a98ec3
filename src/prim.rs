//! Scenario discovery with PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999),
//! as `brink discover` runs it: which combinations of inputs (uncertain parameters, days of
//! events) lead to an outcome.
//!
//! A box is a range [low, high] for every input; a run is in it when each of its inputs lies in
//! its range. Its *coverage* is the share of all runs with the outcome that lie in it, its
//! *density* the share of the runs in it that have the outcome. Starting from the box of all
//! runs, PRIM
//!
//! 1. **peels**: of the candidate boxes that cut off the lowest or the highest `peel_alpha`
//!    share (quantile) of the runs still in the box along one input, it keeps the one that
//!    raises the density most per run removed (the "lenient" objective, EMA Workbench's
//!    default: (density_new − density_old) / runs removed), as long as the box keeps at least
//!    `mass_min` of all runs and the density rises;
//! 2. **pastes**: then widens a restricted range by a `paste_alpha` quantile of the runs just
//!    outside it, while that raises the density.
//!
//! Each box of this peeling and pasting trajectory trades coverage for density. The details
//! follow EMA Workbench 2.5's `Prim` (quantiles as in its `get_quantile`: the mean of two
//! order statistics, stepping past ties; candidates in input order, upper before lower; ties
//! of the objective broken by fewer restricted inputs, then by that order), so the same data
//! give the same trajectory; `scripts/prim_crosscheck.py` compares the two.
//!
//! A restriction's significance is EMA Workbench's quasi-p-value (Bryant and Lempert 2010): the
//! one-sided binomial probability of seeing at least the box's outcome runs among its runs if
//! the outcome came at the rate of the box without that restriction. `drop_insignificant`
//! removes, one at a time, the least significant restriction whose quasi-p-value exceeds a
//! level, until every one left is significant.
//!
//! Data are held column by column as f64: 8 bytes per run and input, plus 13 bytes per run for
//! the outcome and the indices of the runs in the box and one scratch column per thread.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use rayon::prelude::*;
use statrs::distribution::{Binomial, DiscreteCDF};

/// The inputs and the outcome of every run.
pub struct Data {
    pub names: Vec<String>,
    /// `cols[j][i]`: input j of run i.
    pub cols: Vec<Vec<f64>>,
    pub y: Vec<bool>,
}

/// PRIM's settings, EMA Workbench's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    pub peel_alpha: f64,
    pub paste_alpha: f64,
    pub mass_min: f64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            peel_alpha: 0.05,
            paste_alpha: 0.05,
            mass_min: 0.05,
        }
    }
}

/// How a box of the trajectory was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The box of all runs.
    Start,
    Peel,
    Paste,
}

/// A box: its limits per input, the runs in it and those of them with the outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Box {
    pub lims: Vec<(f64, f64)>,
    pub n: u64,
    pub k: u64,
    pub stage: Stage,
}

/// PRIM on one data set.
pub struct Prim<'a> {
    data: &'a Data,
    /// The limits of the box of all runs: each input's minimum and maximum.
    pub init: Vec<(f64, f64)>,
    /// Runs with the outcome.
    pub total_k: u64,
    opts: Options,
}

/// The inputs a box with limits `lims` restricts, `init` being the box of all runs.
pub fn restricted(init: &[(f64, f64)], lims: &[(f64, f64)]) -> Vec<usize> {
    (0..lims.len()).filter(|&j| lims[j] != init[j]).collect()
}

/// EMA Workbench's quantile (modelled on sdtoolkit): with i = (n − 1)·q, the mean of the
/// order statistics at ⌊i⌋ and ⌈i⌉; where they are equal, the mean of that value and the next
/// distinct one (upwards for q ≤ 0.5, downwards above), or the value itself if there is none.
/// `buf` is reordered.
pub fn quantile(buf: &mut [f64], q: f64) -> f64 {
    let n = buf.len();
    let i = (n - 1) as f64 * q;
    let (lo, hi) = (i.floor() as usize, i.ceil() as usize);
    let (_, v_lo, right) = buf.select_nth_unstable_by(lo, f64::total_cmp);
    let v_lo = *v_lo;
    let v_hi = if hi == lo {
        v_lo
    } else {
        right.iter().copied().fold(f64::INFINITY, f64::min)
    };
    if v_lo != v_hi {
        return (v_lo + v_hi) / 2.0;
    }
    let v = v_lo;
    if q > 0.5 {
        // Step down past the ties to the next smaller value.
        let below = buf
            .iter()
            .copied()
            .filter(|&x| x < v)
            .fold(f64::NEG_INFINITY, f64::max);
        if below.is_finite() {
            (below + v) / 2.0
        } else {
            v
        }
    } else {
        let above = buf
            .iter()
            .copied()
            .filter(|&x| x > v)
            .fold(f64::INFINITY, f64::min);
        if above.is_finite() {
            (v + above) / 2.0
        } else {
            v
        }
    }
}

/// A candidate box: its limits, its runs and those with the outcome, and its objective. The
/// runs themselves are listed only for the winner, so a step holds one list of indices, not
/// one per candidate.
struct Candidate {
    lims: Vec<(f64, f64)>,
    n: u64,
    k: u64,
    obj: f64,
    free: usize,
}

/// EMA Workbench's "lenient1" objective: the change of density per run added or removed.
fn lenient(n_old: u64, k_old: u64, n_new: u64, k_new: u64) -> f64 {
    let mean_old = k_old as f64 / n_old as f64;
    let mean_new = if n_new > 0 {
        k_new as f64 / n_new as f64
    } else {
        0.0
    };
    if mean_old == mean_new || n_old == n_new {
        return 0.0;
    }
    (mean_new - mean_old) / n_old.abs_diff(n_new) as f64
}

/// Keeps the first candidate with the best (objective, unrestricted inputs), as a stable sort
/// in decreasing order would.
fn best(cands: Vec<Candidate>) -> Option<Candidate> {
    best_of(cands.into_iter().map(|c| (c, ())).collect()).map(|(c, ())| c)
}

fn best_of<T>(cands: Vec<(Candidate, T)>) -> Option<(Candidate, T)> {
    let mut out: Option<(Candidate, T)> = None;
    for c in cands {
        let better = match &out {
            None => true,
            Some((b, _)) => c.0.obj > b.obj || (c.0.obj == b.obj && c.0.free > b.free),
        };
        if better {
            out = Some(c);
        }
    }
    out
}

impl<'a> Prim<'a> {
    pub fn new(data: &'a Data, opts: Options) -> Prim<'a> {
        let init = data
            .cols
            .iter()
            .map(|c| {
                c.iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                        (lo.min(x), hi.max(x))
                    })
            })
            .collect();
        Prim {
            data,
            init,
            total_k: data.y.iter().filter(|&&y| y).count() as u64,
            opts,
        }
    }

    fn n_all(&self) -> u64 {
        self.data.y.len() as u64
    }

    /// The inputs a box restricts: those whose limits differ from the box of all runs.
    pub fn restricted(&self, lims: &[(f64, f64)]) -> Vec<usize> {
        restricted(&self.init, lims)
    }

    fn free(&self, lims: &[(f64, f64)]) -> usize {
        lims.len() - self.restricted(lims).len()
    }

    fn inside(&self, lims: &[(f64, f64)], dims: &[usize], i: usize) -> bool {
        dims.iter().all(|&j| {
            let x = self.data.cols[j][i];
            lims[j].0 <= x && x <= lims[j].1
        })
    }

    /// The runs in a box, checking only `dims` (the others hold every run).
    fn members(&self, lims: &[(f64, f64)], dims: &[usize]) -> Vec<u32> {
        (0..self.data.y.len())
            .filter(|&i| self.inside(lims, dims, i))
            .map(|i| i as u32)
            .collect()
    }

    /// Runs in a box (checking only `dims`) and runs in it with the outcome.
    fn tally(&self, lims: &[(f64, f64)], dims: &[usize]) -> (u64, u64) {
        let y = &self.data.y;
        let (mut n, mut k) = (0, 0);
        for (i, &yi) in y.iter().enumerate() {
            if self.inside(lims, dims, i) {
                n += 1;
                k += u64::from(yi);
            }
        }
        (n, k)
    }

    /// Runs in a box and runs in it with the outcome.
    pub fn count(&self, lims: &[(f64, f64)]) -> (u64, u64) {
        self.tally(lims, &self.restricted(lims))
    }

    /// The peeling and pasting trajectory, starting with the box of all runs; `None` if `stop`
    /// was raised.
    pub fn trajectory(&self, stop: &AtomicBool) -> Option<Vec<Box>> {
        let all = self.n_all();
        let mut boxes = vec![Box {
            lims: self.init.clone(),
            n: all,
            k: self.total_k,
            stage: Stage::Start,
        }];
        let mut idx: Vec<u32> = (0..all as u32).collect();
        let mut k = self.total_k;
        loop {
            if stop.load(Relaxed) {
                return None;
            }
            let Some((c, j)) = self.peel(&boxes.last()?.lims, &idx, k) else {
                break;
            };
            let mass_new = c.n as f64 / all as f64;
            let mass_old = idx.len() as f64 / all as f64;
            if !(mass_new >= self.opts.mass_min && mass_new < mass_old && c.obj > 0.0) {
                break;
            }
            // The peel changed input j only: the runs still in the box are those of the old
            // box within j's new limits.
            let (lo, hi) = c.lims[j];
            idx.retain(|&i| {
                let x = self.data.cols[j][i as usize];
                lo <= x && x <= hi
            });
            k = c.k;
            boxes.push(Box {
                lims: c.lims,
                n: idx.len() as u64,
                k,
                stage: Stage::Peel,
            });
        }
        loop {
            if stop.load(Relaxed) {
                return None;
            }
            let Some(c) = self.paste(&boxes.last()?.lims, idx.len() as u64, k) else {
                break;
            };
            let mass_new = c.n as f64 / all as f64;
            let mass_old = idx.len() as f64 / all as f64;
            let mean_old = k as f64 / idx.len() as f64;
            let mean_new = c.k as f64 / c.n as f64;
            if !(mass_new >= self.opts.mass_min
                && mass_new > mass_old
                && c.obj > 0.0
                && mean_new > mean_old)
            {
                break;
            }
            idx = self.members(&c.lims, &self.restricted(&c.lims));
            k = c.k;
            boxes.push(Box {
                lims: c.lims,
                n: idx.len() as u64,
                k,
                stage: Stage::Paste,
            });
        }
        Some(boxes)
    }

    /// The best peel of the box `lims` holding the runs `idx` (k with the outcome), and the
    /// input it peels.
    fn peel(&self, lims: &[(f64, f64)], idx: &[u32], k: u64) -> Option<(Candidate, usize)> {
        let y = &self.data.y;
        let alpha = self.opts.peel_alpha;
        let n = idx.len() as u64;
        let per_input: Vec<Vec<(Candidate, usize)>> = (0..self.data.cols.len())
            .into_par_iter()
            .map_init(Vec::new, |buf: &mut Vec<f64>, j| {
                let col = &self.data.cols[j];
                buf.clear();
                buf.extend(idx.iter().map(|&i| col[i as usize]));
                if buf.is_empty() {
                    return Vec::new();
                }
                let upper = quantile(buf, 1.0 - alpha);
                let lower = quantile(buf, alpha);
                let mut out = Vec::with_capacity(2);
                for (bound, side) in [(upper, 1), (lower, 0)] {
                    let keep = |x: f64| if side == 1 { x <= bound } else { x >= bound };
                    let (mut n_new, mut k_new) = (0u64, 0u64);
                    for &i in idx {
                        if keep(col[i as usize]) {
                            n_new += 1;
                            k_new += u64::from(y[i as usize]);
                        }
                    }
                    let mut new = lims.to_vec();
                    if side == 1 {
                        new[j].1 = bound;
                    } else {
                        new[j].0 = bound;
                    }
                    out.push((self.candidate(new, (n, k), (n_new, k_new)), j));
                }
                out
            })
            .collect();
        best_of(per_input.into_iter().flatten().collect())
    }

    /// The box `lims` (n_new runs, k_new with the outcome) as a step from a box of n runs and k
    /// with the outcome, scored by the lenient objective.
    fn candidate(
        &self,
        lims: Vec<(f64, f64)>,
        (n, k): (u64, u64),
        (n_new, k_new): (u64, u64),
    ) -> Candidate {
        Candidate {
            obj: lenient(n, k, n_new, k_new),
            free: self.free(&lims),
            lims,
            n: n_new,
            k: k_new,
        }
    }

    /// The best paste of the box `lims` (n runs, k with the outcome).
    fn paste(&self, lims: &[(f64, f64)], n: u64, k: u64) -> Option<Candidate> {
        let alpha = self.opts.paste_alpha;
        let dims = self.restricted(lims);
        let cands: Vec<Vec<Candidate>> = dims
            .par_iter()
            .map(|&u| {
                let (min, max) = self.init[u];
                let mut out = Vec::with_capacity(2);
                for side in [0, 1] {
                    // The runs just outside the box along u: the box with u's range on that side
                    // of it.
                    let mut region = lims.to_vec();
                    region[u] = if side == 0 {
                        (min, lims[u].0)
                    } else {
                        (lims[u].1, max)
                    };
                    let near = self.members(&region, &dims);
                    let mut data: Vec<f64> = near
                        .iter()
                        .map(|&i| self.data.cols[u][i as usize])
                        .collect();
                    let value = match (data.is_empty(), side) {
                        (true, 0) => min,
                        (true, _) => max,
                        (false, 0) => quantile(&mut data, 1.0 - alpha),
                        (false, _) => quantile(&mut data, alpha),
                    };
                    let mut new = lims.to_vec();
                    if side == 0 {
                        new[u].0 = value;
                    } else {
                        new[u].1 = value;
                    }
                    let (n_new, k_new) = self.tally(&new, &dims);
                    out.push(self.candidate(new, (n, k), (n_new, k_new)));
                }
                out
            })
            .collect();
        best(cands.into_iter().flatten().collect())
    }

    /// The quasi-p-value of each side of each restriction of `lims`: `[lower, upper]`, None
    /// for a side left at the limit of all runs.
    pub fn quasi_p(&self, lims: &[(f64, f64)]) -> Vec<(usize, [Option<f64>; 2])> {
        let dims = self.restricted(lims);
        let (n, k) = self.count(lims);
        dims.iter()
            .map(|&u| {
                let mut qp = [None, None];
                for (side, slot) in qp.iter_mut().enumerate() {
                    let (at, unlimited) = match side {
                        0 => (lims[u].0, self.init[u].0),
                        _ => (lims[u].1, self.init[u].1),
                    };
                    if at == unlimited {
                        continue;
                    }
                    let mut wider = lims.to_vec();
                    if side == 0 {
                        wider[u].0 = unlimited;
                    } else {
                        wider[u].1 = unlimited;
                    }
                    let (nj, kj) = self.tally(&wider, &dims);
                    let p = kj as f64 / nj as f64;
                    *slot = Some(binomial_upper(k, n, p));
                }
                (u, qp)
            })
            .collect()
    }

    /// `lims` with its restrictions removed one at a time, the one with the largest
    /// quasi-p-value first, while any exceeds `level`.
    pub fn drop_insignificant(&self, lims: &[(f64, f64)], level: f64) -> Vec<(f64, f64)> {
        let mut lims = lims.to_vec();
        loop {
            let worst = self
                .quasi_p(&lims)
                .into_iter()
                .flat_map(|(u, qp)| {
                    qp.into_iter()
                        .enumerate()
                        .filter_map(move |(side, p)| p.map(|p| (u, side, p)))
                })
                .filter(|&(_, _, p)| p > level)
                .fold(None::<(usize, usize, f64)>, |acc, c| match acc {
                    Some(a) if a.2 >= c.2 => Some(a),
                    _ => Some(c),
                });
            let Some((u, side, _)) = worst else {
                return lims;
            };
            if side == 0 {
                lims[u].0 = self.init[u].0;
            } else {
                lims[u].1 = self.init[u].1;
            }
        }
    }
}

/// P(X ≥ k) for X ~ Binomial(n, p): the one-sided test EMA Workbench uses
/// (`scipy.stats.binomtest(k, n, p, alternative="greater")`).
pub fn binomial_upper(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    match Binomial::new(p.clamp(0.0, 1.0), n) {
        Ok(b) => b.sf(k - 1),
        Err(_) => f64::NAN,
    }
}

/// Weighted relative accuracy of a box (Lavrač, Kavšek, Flach and Todorovski 2004): its
/// share of all runs times how far its density exceeds the base rate, mass · (density − base),
/// i.e. the runs with the outcome in the box beyond what a box of its size would hold at the
/// base rate, per run. 0 for the box of all runs and for a box no better than chance; it
/// weighs coverage against density whatever the base rate, so `brink discover` picks the box of
/// the trajectory that maximises it by default.
pub fn wracc(n: u64, k: u64, total_n: u64, total_k: u64) -> f64 {
    let (n, k, tn, tk) = (n as f64, k as f64, total_n as f64, total_k as f64);
    (k - n * tk / tn) / tn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_ema_workbench() {
        // get_quantile([1..10], 0.05): i = 0.45 → mean of 1 and 2.
        let mut v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&mut v, 0.05), 1.5);
        assert_eq!(quantile(&mut v, 0.95), 9.5);
        // Ties: [0,0,0,0,5] at 0.05 → 0 and 0 tie, step up to 5: 2.5.
        let mut t = vec![0.0, 5.0, 0.0, 0.0, 0.0];
        assert_eq!(quantile(&mut t, 0.05), 2.5);
        // At 0.95 over [0,5,5,5,5]: 5 and 5 tie, step down to 0: 2.5.
        let mut t = vec![5.0, 0.0, 5.0, 5.0, 5.0];
        assert_eq!(quantile(&mut t, 0.95), 2.5);
        // All equal: the value itself.
        let mut t = vec![3.0; 4];
        assert_eq!(quantile(&mut t, 0.05), 3.0);
        assert_eq!(quantile(&mut t, 0.95), 3.0);
    }

    #[test]
    fn the_binomial_tail_is_the_one_sided_test() {
        // P(X ≥ 3), X ~ Bin(4, 0.5) = 5/16.
        assert!((binomial_upper(3, 4, 0.5) - 5.0 / 16.0).abs() < 1e-12);
        assert_eq!(binomial_upper(0, 4, 0.5), 1.0);
    }

    #[test]
    fn a_clean_box_is_found() {
        // Outcome exactly when x0 ≥ 0.5 on a grid; x1 is noise.
        let n = 2000;
        let x0: Vec<f64> = (0..n).map(|i| (i % 100) as f64 / 100.0).collect();
        let x1: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 / 101.0).collect();
        let y: Vec<bool> = x0.iter().map(|&x| x >= 0.5).collect();
        let data = Data {
            names: vec!["x0".into(), "x1".into()],
            cols: vec![x0, x1],
            y,
        };
        let prim = Prim::new(&data, Options::default());
        let traj = prim.trajectory(&AtomicBool::new(false)).unwrap();
        let best = traj
            .iter()
            .max_by(|a, b| {
                let f = |b: &Box| wracc(b.n, b.k, n as u64, prim.total_k);
                f(a).total_cmp(&f(b))
            })
            .unwrap();
        // Every run with the outcome, and at most one peel's worth (5%) of the others.
        assert_eq!(best.k, prim.total_k);
        assert!(best.n <= prim.total_k * 105 / 100, "{best:?}");
        assert_eq!(prim.restricted(&best.lims), [0]);
        assert!(best.lims[0].0 > 0.45 && best.lims[0].0 < 0.5, "{best:?}");
    }
}
