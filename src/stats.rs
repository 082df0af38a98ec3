//! Aggregation and summary statistics.
//!
//! An `Aggregate` holds only integer counts: runs, first-day histograms of events, histograms of
//! binned quantities and daily state counts. Adding runs and merging aggregates is therefore
//! exact, associative and commutative: results cannot depend on thread count, scheduling or
//! sharding. Floating point appears only when a finished aggregate is summarized, in a fixed
//! order.

use serde::{Deserialize, Serialize};

use crate::metrics::{MISSING, Outcome};
use crate::model::{NEVER, Scenario};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    pub runs: u64,
    pub horizon: u32,
    /// `[event][day]`: runs whose first occurrence was on that day.
    pub first_day: Vec<Vec<u64>>,
    /// `[quantity][bin]`: runs with that value; grows to the largest bin seen.
    pub hist: Vec<Vec<u64>>,
    /// `[state * horizon + day]`: runs in that state on that day.
    pub daily: Vec<u64>,
}

impl Aggregate {
    pub fn new(sc: &Scenario) -> Aggregate {
        let m = &sc.metrics;
        Aggregate {
            runs: 0,
            horizon: sc.horizon,
            first_day: vec![vec![0; sc.horizon as usize]; m.events.len()],
            hist: vec![Vec::new(); m.quantities.len()],
            daily: vec![0; m.states.len() * sc.horizon as usize],
        }
    }

    pub fn add(&mut self, o: &Outcome) {
        self.runs += 1;
        for (e, &d) in o.first.iter().enumerate() {
            if d != NEVER {
                self.first_day[e][d as usize] += 1;
            }
        }
        for (q, &v) in o.values.iter().enumerate() {
            if v != MISSING {
                let h = &mut self.hist[q];
                if h.len() <= v as usize {
                    h.resize(v as usize + 1, 0);
                }
                h[v as usize] += 1;
            }
        }
    }

    pub fn add_daily(&mut self, daily: &[u64]) {
        for (a, b) in self.daily.iter_mut().zip(daily) {
            *a += b;
        }
    }

    /// Adds another aggregate of the same scenario.
    pub fn merge(&mut self, other: &Aggregate) {
        self.runs += other.runs;
        for (a, b) in self.first_day.iter_mut().zip(&other.first_day) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.hist.iter_mut().zip(&other.hist) {
            if a.len() < b.len() {
                a.resize(b.len(), 0);
            }
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.add_daily(&other.daily);
    }

    /// Checks that these counts can come from `self.runs` runs of `sc`: the shapes fit the
    /// scenario, no histogram reaches past its metric's bins, no event or daily state counts
    /// more runs than there are, and every unconditional quantity counts each run exactly once.
    /// Sums are checked, so no forged count can wrap. The error says what is wrong.
    pub fn check(&self, sc: &Scenario) -> Result<(), String> {
        let m = &sc.metrics;
        let h = sc.horizon as usize;
        if self.horizon != sc.horizon
            || self.first_day.len() != m.events.len()
            || self.first_day.iter().any(|d| d.len() != h)
            || self.hist.len() != m.quantities.len()
            || self.daily.len() != m.states.len() * h
        {
            return Err("its counts do not have the shape of its scenario's metrics".into());
        }
        let sum = |xs: &[u64]| xs.iter().try_fold(0u64, |a, &x| a.checked_add(x));
        for (e, days) in m.events.iter().zip(&self.first_day) {
            match sum(days) {
                Some(k) if k <= self.runs => {}
                _ => {
                    return Err(format!(
                        "event metric `{}` happens in more runs than the {} it holds",
                        e.id, self.runs
                    ));
                }
            }
        }
        for (q, bins) in m.quantities.iter().zip(&self.hist) {
            if bins.len() > q.binning.max_bin as usize + 1 {
                return Err(format!(
                    "quantity `{}` has a value beyond its largest possible one",
                    q.id
                ));
            }
            match sum(bins) {
                Some(n) if n == self.runs || (q.conditional && n <= self.runs) => {}
                _ => {
                    return Err(format!(
                        "the histogram of `{}` does not count each of its {} runs once",
                        q.id, self.runs
                    ));
                }
            }
        }
        if let Some(i) = self.daily.iter().position(|&x| x > self.runs) {
            return Err(format!(
                "daily state `{}` counts more runs than the {} it holds",
                m.states[i / h.max(1)],
                self.runs
            ));
        }
        Ok(())
    }

    /// `merge`, refusing counts that would overflow instead of wrapping.
    pub fn checked_merge(&mut self, other: &Aggregate) -> Result<(), String> {
        let overflow = || "the counts add up to more than brink can hold".to_string();
        let runs = self.runs.checked_add(other.runs).ok_or_else(overflow)?;
        let add = |a: &[u64], b: &[u64]| -> Option<Vec<u64>> {
            let n = a.len().max(b.len());
            (0..n)
                .map(|i| {
                    a.get(i)
                        .copied()
                        .unwrap_or(0)
                        .checked_add(b.get(i).copied().unwrap_or(0))
                })
                .collect()
        };
        if self.first_day.len() != other.first_day.len() || self.hist.len() != other.hist.len() {
            return Err("the two aggregates have different metrics".into());
        }
        let mut first_day = Vec::with_capacity(self.first_day.len());
        for (a, b) in self.first_day.iter().zip(&other.first_day) {
            first_day.push(add(a, b).ok_or_else(overflow)?);
        }
        let mut hist = Vec::with_capacity(self.hist.len());
        for (a, b) in self.hist.iter().zip(&other.hist) {
            hist.push(add(a, b).ok_or_else(overflow)?);
        }
        let daily = add(&self.daily, &other.daily).ok_or_else(overflow)?;
        *self = Aggregate {
            runs,
            horizon: self.horizon,
            first_day,
            hist,
            daily,
        };
        Ok(())
    }

    /// Runs in which event `e` happened.
    pub fn event_count(&self, e: usize) -> u64 {
        self.first_day[e].iter().sum()
    }
}

/// The 95% normal quantile.
pub const Z95: f64 = 1.959963984540054;

/// Wilson score interval for k successes in n trials.
pub fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // The bounds are exactly 0 and 1 at the edges, not rounding noise around them.
    let lo = if k == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if k as f64 == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// Half the width of the Wilson 95% interval of k successes in n trials: the precision
/// `brink run --precision` asks of every event metric (`(ci_high − ci_low) / 2` in summary.csv).
pub fn half_width(k: u64, n: u64) -> f64 {
    let (lo, hi) = wilson(k, n, Z95);
    (hi - lo) / 2.0
}

/// The event metric whose Wilson 95% interval is widest in `agg`, with its half-width; `None`
/// for a scenario without event metrics. Ties go to the first in file order.
pub fn widest_event(agg: &Aggregate) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for e in 0..agg.first_day.len() {
        let h = half_width(agg.event_count(e), agg.runs);
        if best.is_none_or(|(_, b)| h > b) {
            best = Some((e, h));
        }
    }
    best
}

/// Summary of a histogram of values.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// 5th, 25th, 50th, 75th and 95th percentiles.
    pub quantiles: [f64; 5],
}

pub const QUANTILES: [u64; 5] = [5, 25, 50, 75, 95];

/// Mean, sd, Monte Carlo interval of the mean and exact quantiles of a binned sample whose bin
/// `i` holds the value `value(i)`. Quantiles are the inverse empirical CDF: the smallest value
/// whose cumulative count reaches p·n.
pub fn moments(counts: &[u64], value: impl Fn(u32) -> f64) -> Option<Moments> {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let mean = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| c as f64 * value(i as u32))
        .sum::<f64>()
        / nf;
    let ss = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| c as f64 * (value(i as u32) - mean).powi(2))
        .sum::<f64>();
    let sd = if n > 1 { (ss / (nf - 1.0)).sqrt() } else { 0.0 };
    let se = sd / nf.sqrt();
    let mut quantiles = [0.0; 5];
    for (qi, &pct) in QUANTILES.iter().enumerate() {
        let mut cum = 0u64;
        for (i, &c) in counts.iter().enumerate() {
            cum += c;
            // cum / n >= pct / 100, in integers.
            if c > 0 && cum * 100 >= pct * n {
                quantiles[qi] = value(i as u32);
                break;
            }
        }
    }
    Some(Moments {
        n,
        mean,
        sd,
        ci_low: mean - Z95 * se,
        ci_high: mean + Z95 * se,
        quantiles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_a_worked_example() {
        // 10 of 100: Wilson 95% interval (0.0552, 0.1744), from the closed form.
        let (lo, hi) = wilson(10, 100, Z95);
        assert!((lo - 0.05522).abs() < 1e-4, "{lo}");
        assert!((hi - 0.17437).abs() < 1e-4, "{hi}");
        let (lo, hi) = wilson(0, 50, Z95);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.0 && hi < 0.1);
    }

    #[test]
    fn moments_of_a_small_sample() {
        // values 0,1,1,2,6 -> mean 2, sample sd sqrt(5.5)
        let counts = [1, 2, 1, 0, 0, 0, 1];
        let m = moments(&counts, f64::from).unwrap();
        assert_eq!(m.n, 5);
        assert!((m.mean - 2.0).abs() < 1e-12);
        assert!((m.sd - 5.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(m.quantiles, [0.0, 1.0, 1.0, 2.0, 6.0]);
    }
}
