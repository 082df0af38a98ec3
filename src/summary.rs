//! Turning a finished `Aggregate` into the rows of brink's outputs: the summary table, the
//! timeline and the distributions. Pure functions; writing them is the caller's business.

use crate::metrics::MISSING;
use crate::model::Scenario;
use crate::stats::{Aggregate, Moments, Z95, moments, wilson};

#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    pub metric: String,
    /// "probability" or "quantity".
    pub kind: &'static str,
    pub n: u64,
    pub mean: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub sd: f64,
    /// p05, p25, p50, p75, p95 (quantities only).
    pub quantiles: Option<[f64; 5]>,
}

/// One row per metric: event metrics as probabilities with Wilson intervals, then quantities
/// with exact quantiles and a normal interval for the mean. A conditional quantity's `n` is the
/// number of runs in which it was defined; a quantity never defined has n = 0 and empty
/// statistics (NaN).
pub fn summary(sc: &Scenario, agg: &Aggregate) -> Vec<SummaryRow> {
    let m = &sc.metrics;
    let mut rows = Vec::new();
    for (e, metric) in m.events.iter().enumerate() {
        let k = agg.event_count(e);
        let n = agg.runs;
        let p = if n > 0 { k as f64 / n as f64 } else { f64::NAN };
        let (lo, hi) = wilson(k, n, Z95);
        rows.push(SummaryRow {
            metric: metric.id.clone(),
            kind: "probability",
            n,
            mean: p,
            ci_low: lo,
            ci_high: hi,
            sd: (p * (1.0 - p)).sqrt(),
            quantiles: None,
        });
    }
    for (q, metric) in m.quantities.iter().enumerate() {
        let b = metric.binning;
        let row = match moments(&agg.hist[q], |i| b.value(i)) {
            Some(Moments {
                n,
                mean,
                sd,
                ci_low,
                ci_high,
                quantiles,
            }) => SummaryRow {
                metric: metric.id.clone(),
                kind: "quantity",
                n,
                mean,
                ci_low,
                ci_high,
                sd,
                quantiles: Some(quantiles),
            },
            None => SummaryRow {
                metric: metric.id.clone(),
                kind: "quantity",
                n: 0,
                mean: f64::NAN,
                ci_low: f64::NAN,
                ci_high: f64::NAN,
                sd: f64::NAN,
                quantiles: None,
            },
        };
        rows.push(row);
    }
    rows
}

#[derive(Clone, Debug, PartialEq)]
pub struct TimelineRow<'a> {
    pub day: u32,
    pub metric: &'a str,
    pub value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// For each event metric, the cumulative probability that it has happened by the end of each
/// day; then for each state metric, the share of runs in that state on each day. Calls `f` for
/// each row in output order.
pub fn timeline<'a, E>(
    sc: &'a Scenario,
    agg: &Aggregate,
    mut f: impl FnMut(TimelineRow<'a>) -> Result<(), E>,
) -> Result<(), E> {
    let n = agg.runs;
    let frac = |k: u64| if n > 0 { k as f64 / n as f64 } else { f64::NAN };
    for (e, metric) in sc.metrics.events.iter().enumerate() {
        let mut cum = 0u64;
        for day in 0..sc.horizon {
            cum += agg.first_day[e][day as usize];
            let (lo, hi) = wilson(cum, n, Z95);
            f(TimelineRow {
                day,
                metric: &metric.id,
                value: frac(cum),
                ci_low: lo,
                ci_high: hi,
            })?;
        }
    }
    let h = sc.horizon as usize;
    for (s, name) in sc.metrics.states.iter().enumerate() {
        for day in 0..sc.horizon {
            let k = agg.daily[s * h + day as usize];
            let (lo, hi) = wilson(k, n, Z95);
            f(TimelineRow {
                day,
                metric: name,
                value: frac(k),
                ci_low: lo,
                ci_high: hi,
            })?;
        }
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq)]
pub struct DistRow {
    pub metric: String,
    pub value: f64,
    pub count: u64,
    /// count / runs in which the metric is defined.
    pub share: f64,
}

/// Histograms: every quantity's non-empty bins, then the day of first occurrence of every
/// event metric (as `<metric>_first_day`, among runs where it happened).
pub fn distributions(sc: &Scenario, agg: &Aggregate) -> Vec<DistRow> {
    let mut rows = Vec::new();
    for (q, metric) in sc.metrics.quantities.iter().enumerate() {
        let counts = &agg.hist[q];
        let n: u64 = counts.iter().sum();
        for (i, &c) in counts.iter().enumerate() {
            if c > 0 {
                rows.push(DistRow {
                    metric: metric.id.clone(),
                    value: metric.binning.value(i as u32),
                    count: c,
                    share: c as f64 / n as f64,
                });
            }
        }
    }
    for (e, metric) in sc.metrics.events.iter().enumerate() {
        let counts = &agg.first_day[e];
        let n: u64 = counts.iter().sum();
        for (day, &c) in counts.iter().enumerate() {
            if c > 0 {
                rows.push(DistRow {
                    metric: format!("{}_first_day", metric.id),
                    value: day as f64,
                    count: c,
                    share: c as f64 / n as f64,
                });
            }
        }
    }
    rows
}

/// A quantity bin as a value, or None when missing.
pub fn bin_value(sc: &Scenario, q: usize, bin: u32) -> Option<f64> {
    (bin != MISSING).then(|| sc.metrics.quantities[q].binning.value(bin))
}
