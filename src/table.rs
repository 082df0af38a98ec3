//! The tables brink writes, as typed cells: one definition of every CSV file's columns and of
//! how each value becomes text, shared by the command line (which writes the cells as CSV) and
//! the Python package (which builds its DataFrames from the same cells). A number is written
//! one way only (`num`), so a DataFrame formatted with `%.6f` is the CLI's file byte for byte.
//!
//! Pure: tables are handed to the caller row by row (`FnMut(&[Cell])`), so a table of a
//! million runs never has to be held whole, and writing them is the caller's business.

use std::borrow::Cow;

use crate::compare::CompareRow;
use crate::discover::{self, QuasiP};
use crate::engine::RunRows;
use crate::model::{NEVER, Scenario};
use crate::stats::Aggregate;
use crate::summary::{self, SummaryRow};
use crate::sweep::Points;

/// What a column holds, so that a DataFrame gets a typed column for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Whole numbers, never empty.
    Int,
    /// Whole numbers or empty (a first day in a run where the event never happened).
    MaybeInt,
    /// Real numbers, empty for undefined (NaN).
    Num,
    /// Real numbers written exactly (`exact`): values a study was given or drew, so that the
    /// file reproduces them.
    Exact,
    /// Text.
    Text,
}

/// A column of a table: its CSV header and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// One cell of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    Int(u64),
    /// Written by `num`: six decimals, empty for NaN.
    Num(f64),
    /// Written by `exact`: the shortest text that reads back as the same number.
    Exact(f64),
    Text(Cow<'a, str>),
    Empty,
}

impl Cell<'_> {
    /// The cell as CSV text (before quoting).
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Int(n) => n.to_string().into(),
            Cell::Num(x) => num(*x).into(),
            Cell::Exact(x) => exact(*x).into(),
            Cell::Text(t) => Cow::Borrowed(t),
            Cell::Empty => "".into(),
        }
    }
}

/// Formats a float for CSV: fixed six decimals, empty for NaN.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x:.6}")
    }
}

/// Formats a float for CSV exactly: the shortest decimal text that reads back as the same
/// number (Rust's `{}`: no exponent, `0.0000001`, `1`), empty for NaN. For the values a study
/// was run with (a sweep's points, a run's drawn parameters), which six decimals would round
/// away (1e-7 as 0.000000).
pub fn exact(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

/// A text cell that no spreadsheet will run as a formula: text starting with `=`, `+`, `-`,
/// `@`, tab or carriage return gets a leading `'` (the OWASP advice for CSV injection). Names
/// and titles with those starts are refused by the loader and ids are snake_case, so today this
/// changes nothing; it guards the text columns of the tables that have always applied it.
pub fn guard(text: &str) -> Cow<'_, str> {
    if text.starts_with(crate::scenario::FORMULA_STARTS) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

fn columns(spec: &[(&str, Kind)]) -> Vec<Column> {
    spec.iter()
        .map(|&(name, kind)| Column {
            name: name.to_string(),
            kind,
        })
        .collect()
}

fn opt_num(x: Option<f64>) -> Cell<'static> {
    x.map_or(Cell::Empty, Cell::Num)
}

use Kind::{Exact, Int, MaybeInt, Num, Text};

const SUMMARY: [(&str, Kind); 12] = [
    ("metric", Text),
    ("kind", Text),
    ("n", Int),
    ("mean", Num),
    ("ci_low", Num),
    ("ci_high", Num),
    ("sd", Num),
    ("p05", Num),
    ("p25", Num),
    ("p50", Num),
    ("p75", Num),
    ("p95", Num),
];

/// Columns of summary.csv.
pub fn summary_columns() -> Vec<Column> {
    columns(&SUMMARY)
}

/// The cells of one summary row, as summary.csv and sweep.csv write them: metric, kind, n,
/// mean, ci_low, ci_high, sd and the five quantiles (empty for a probability).
pub fn summary_cells(r: &SummaryRow) -> Vec<Cell<'_>> {
    let mut rec = vec![
        Cell::Text(guard(&r.metric)),
        Cell::Text(r.kind.into()),
        Cell::Int(r.n),
        Cell::Num(r.mean),
        Cell::Num(r.ci_low),
        Cell::Num(r.ci_high),
        Cell::Num(r.sd),
    ];
    match r.quantiles {
        Some(q) => rec.extend(q.map(Cell::Num)),
        None => rec.extend(std::iter::repeat_n(Cell::Empty, 5)),
    }
    rec
}

/// The rows of summary.csv.
pub fn summary<E>(
    sc: &Scenario,
    agg: &Aggregate,
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    for r in summary::summary(sc, agg) {
        f(&summary_cells(&r))?;
    }
    Ok(())
}

/// Columns of timeline.csv.
pub fn timeline_columns() -> Vec<Column> {
    columns(&[
        ("day", Int),
        ("date", Text),
        ("metric", Text),
        ("value", Num),
        ("ci_low", Num),
        ("ci_high", Num),
    ])
}

/// The rows of timeline.csv.
pub fn timeline<E>(
    sc: &Scenario,
    agg: &Aggregate,
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    let dates: Vec<String> = (0..sc.horizon).map(|d| sc.date(d).to_string()).collect();
    summary::timeline(sc, agg, |r| {
        f(&[
            Cell::Int(r.day.into()),
            Cell::Text(Cow::Borrowed(&dates[r.day as usize])),
            Cell::Text(guard(r.metric)),
            Cell::Num(r.value),
            Cell::Num(r.ci_low),
            Cell::Num(r.ci_high),
        ])
    })
}

/// Columns of distributions.csv.
pub fn distributions_columns() -> Vec<Column> {
    columns(&[
        ("metric", Text),
        ("value", Num),
        ("count", Int),
        ("share", Num),
    ])
}

/// The rows of distributions.csv.
pub fn distributions<E>(
    sc: &Scenario,
    agg: &Aggregate,
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    for r in summary::distributions(sc, agg) {
        f(&[
            Cell::Text(guard(&r.metric)),
            Cell::Num(r.value),
            Cell::Int(r.count),
            Cell::Num(r.share),
        ])?;
    }
    Ok(())
}

/// Columns of runs.csv: run, each event metric (0/1) and its first day, each quantity, then
/// every uncertain parameter by its key path.
pub fn runs_columns(sc: &Scenario) -> Vec<Column> {
    let mut h = vec![Column {
        name: "run".into(),
        kind: Int,
    }];
    for e in &sc.metrics.events {
        h.push(Column {
            name: guard(&e.id).into_owned(),
            kind: Int,
        });
        h.push(Column {
            name: format!("{}_first_day", e.id),
            kind: MaybeInt,
        });
    }
    for q in &sc.metrics.quantities {
        h.push(Column {
            name: guard(&q.id).into_owned(),
            kind: Num,
        });
    }
    for (_, p) in sc.uncertain_params() {
        h.push(Column {
            name: guard(&p.path).into_owned(),
            kind: Exact,
        });
    }
    h
}

/// The rows of runs.csv for one chunk of runs.
pub fn runs<E>(
    sc: &Scenario,
    rows: &RunRows,
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    let uncertain: Vec<usize> = sc.uncertain_params().map(|(i, _)| i).collect();
    let mut rec: Vec<Cell> = Vec::new();
    for i in 0..rows.len() {
        let (run, first, values, params) = rows.row(i);
        rec.clear();
        rec.push(Cell::Int(run));
        for &d in first {
            if d == NEVER {
                rec.push(Cell::Int(0));
                rec.push(Cell::Empty);
            } else {
                rec.push(Cell::Int(1));
                rec.push(Cell::Int(d.into()));
            }
        }
        for (q, &v) in values.iter().enumerate() {
            rec.push(opt_num(summary::bin_value(sc, q, v)));
        }
        for &p in &uncertain {
            rec.push(Cell::Exact(params[p]));
        }
        f(&rec)?;
    }
    Ok(())
}

/// Columns of the event log (`brink trace --csv`, events.csv): `trace::CSV_HEADER`.
pub fn events_columns() -> Vec<Column> {
    let kinds = [
        Int, Int, Text, Text, Text, Text, Text, Text, Text, MaybeInt, Text, Num, Num, Num, Num,
        Text,
    ];
    crate::trace::CSV_HEADER
        .iter()
        .zip(kinds)
        .map(|(&name, kind)| Column {
            name: name.into(),
            kind,
        })
        .collect()
}

/// The rows of the event log for one traced run.
pub fn events<E>(
    sc: &Scenario,
    t: &crate::trace::Trace,
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    for r in crate::trace::event_rows(sc, t) {
        f(&r)?;
    }
    Ok(())
}

/// Columns of compare.csv.
pub fn compare_columns() -> Vec<Column> {
    columns(&[
        ("metric", Text),
        ("kind", Text),
        ("n", Int),
        ("base", Num),
        ("variant", Num),
        ("difference", Num),
        ("ci_low", Num),
        ("ci_high", Num),
        ("unpaired_ci_low", Num),
        ("unpaired_ci_high", Num),
        ("share_changed", Num),
    ])
}

/// The rows of compare.csv.
pub fn compare<E>(
    rows: &[CompareRow],
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    for r in rows {
        f(&[
            Cell::Text(Cow::Borrowed(&r.metric)),
            Cell::Text(r.kind.into()),
            Cell::Int(r.n),
            Cell::Num(r.base),
            Cell::Num(r.variant),
            Cell::Num(r.difference),
            Cell::Num(r.ci_low),
            Cell::Num(r.ci_high),
            Cell::Num(r.unpaired_ci_low),
            Cell::Num(r.unpaired_ci_high),
            Cell::Num(r.share_changed),
        ])?;
    }
    Ok(())
}

/// Columns of a sweep's points.csv.
pub fn points_columns() -> Vec<Column> {
    columns(&[("point", Int), ("parameter", Text), ("value", Exact)])
}

/// The rows of points.csv: each point's value of each varied key.
pub fn points<E>(p: &Points, mut f: impl FnMut(&[Cell]) -> Result<(), E>) -> Result<(), E> {
    for i in 0..p.len() {
        for (k, v) in p.keys.iter().zip(p.point(i)) {
            f(&[Cell::Int(i), Cell::Text(Cow::Borrowed(k)), Cell::Exact(v)])?;
        }
    }
    Ok(())
}

/// Columns of sweep.csv: the point, then summary.csv's.
pub fn sweep_columns() -> Vec<Column> {
    let mut c = columns(&[("point", Int)]);
    c.extend(summary_columns());
    c
}

/// The rows of sweep.csv for point `i`: its summary rows of `metrics`, in that order.
pub fn sweep_point<E>(
    i: u64,
    rows: &[SummaryRow],
    metrics: &[String],
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    for m in metrics {
        if let Some(r) = rows.iter().find(|r| &r.metric == m) {
            let mut rec = vec![Cell::Int(i)];
            rec.extend(summary_cells(r));
            f(&rec)?;
        }
    }
    Ok(())
}

/// Columns of morris.csv.
pub fn morris_columns() -> Vec<Column> {
    columns(&[
        ("metric", Text),
        ("parameter", Text),
        ("mu", Num),
        ("mu_star", Num),
        ("sigma", Num),
        ("mu_star_ci_low", Num),
        ("mu_star_ci_high", Num),
    ])
}

/// Columns of sobol.csv.
pub fn sobol_columns() -> Vec<Column> {
    columns(&[
        ("metric", Text),
        ("parameter", Text),
        ("index", Text),
        ("value", Num),
        ("ci_low", Num),
        ("ci_high", Num),
    ])
}

/// A value as written in a file, without trailing zeros: 0.350000 → "0.35".
pub fn short(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Thousands separated by commas, for messages and printed tables: 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Columns of watch.csv.
pub fn watch_columns() -> Vec<Column> {
    columns(&[
        ("outcome", Text),
        ("signpost", Text),
        ("date", Text),
        ("day", Int),
        ("runs", Int),
        ("signpost_runs", Int),
        ("outcome_runs", Int),
        ("outcome_with_signpost_runs", Int),
        ("outcome_without_signpost_runs", Int),
        ("outcome_by_date_runs", MaybeInt),
        ("signpost_probability", Num),
        ("signpost_ci_low", Num),
        ("signpost_ci_high", Num),
        ("outcome_probability", Num),
        ("if_signpost", Num),
        ("if_signpost_ci_low", Num),
        ("if_signpost_ci_high", Num),
        ("if_no_signpost", Num),
        ("if_no_signpost_ci_low", Num),
        ("if_no_signpost_ci_high", Num),
        ("lift", Num),
        ("lift_ci_low", Num),
        ("lift_ci_high", Num),
        ("expected_shift", Num),
    ])
}

/// The rows of watch.csv, in the order of `rows` (`Watch::rows`).
pub fn watch<E>(
    w: &crate::watch::Watch,
    rows: &[crate::watch::Row],
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    use crate::watch::Outcome;
    for r in rows {
        let (x, s) = (&r.counts, &r.stats);
        let by_date = match w.outcome {
            Outcome::Event(_) => Cell::Int(x.outcome_by_date),
            Outcome::Quantity { .. } => Cell::Empty,
        };
        f(&[
            Cell::Text(guard(&w.outcome_text)),
            Cell::Text(guard(w.name(r))),
            Cell::Text(w.dates[r.date].to_string().into()),
            Cell::Int(w.days[r.date].into()),
            Cell::Int(x.runs),
            Cell::Int(x.signpost),
            Cell::Int(x.outcome),
            Cell::Int(x.both),
            Cell::Int(x.outcome_without()),
            by_date,
            Cell::Num(s.signpost.value),
            Cell::Num(s.signpost.low),
            Cell::Num(s.signpost.high),
            Cell::Num(s.outcome),
            Cell::Num(s.if_signpost.value),
            Cell::Num(s.if_signpost.low),
            Cell::Num(s.if_signpost.high),
            Cell::Num(s.if_not.value),
            Cell::Num(s.if_not.low),
            Cell::Num(s.if_not.high),
            Cell::Num(s.lift.value),
            Cell::Num(s.lift.low),
            Cell::Num(s.lift.high),
            Cell::Num(s.shift),
        ])?;
    }
    Ok(())
}

/// Columns of discover.csv. Limits are text: seven decimals, one more than runs.csv's,
/// because a limit is the midpoint of two runs' values; quasi-p-values are in exponent form.
pub fn discover_columns() -> Vec<Column> {
    columns(&[
        ("box", Int),
        ("stage", Text),
        ("coverage", Num),
        ("density", Num),
        ("mass", Num),
        ("runs", Int),
        ("outcome_runs", Int),
        ("restricted", Int),
        ("feature", Text),
        ("low", Text),
        ("high", Text),
        ("min", Text),
        ("max", Text),
        ("quasi_p_low", Text),
        ("quasi_p_high", Text),
    ])
}

/// The rows of discover.csv: every box of the trajectory, then the chosen one, one row per
/// restricted input (one row with empty input cells for a box that restricts none).
pub fn discover<E>(
    d: &crate::discover::Discover,
    f: &crate::discover::Found,
    mut out: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    let mut one = |i: usize, stage: &'static str, b: &crate::prim::Box, qp: Option<&QuasiP>| {
        let dims = crate::prim::restricted(&f.init, &b.lims);
        let head = [
            Cell::Int(i as u64),
            Cell::Text(stage.into()),
            Cell::Num(b.k as f64 / f.total_k as f64),
            Cell::Num(b.k as f64 / b.n as f64),
            Cell::Num(b.n as f64 / f.n as f64),
            Cell::Int(b.n),
            Cell::Int(b.k),
            Cell::Int(dims.len() as u64),
        ];
        if dims.is_empty() {
            let mut rec = head.to_vec();
            rec.extend(std::iter::repeat_n(Cell::Empty, 7));
            out(&rec)?;
        }
        for j in dims {
            let (lo, hi) = b.lims[j];
            let (min, max) = f.init[j];
            let p = qp.and_then(|q| q.iter().find(|x| x.0 == j)).map(|x| x.1);
            let text = |s: String| Cell::Text(s.into());
            let mut rec = head.to_vec();
            rec.extend([
                Cell::Text(guard(&d.inputs[j].0)),
                if lo != min {
                    text(discover::limit(lo))
                } else {
                    Cell::Empty
                },
                if hi != max {
                    text(discover::limit(hi))
                } else {
                    Cell::Empty
                },
                text(discover::limit(min)),
                text(discover::limit(max)),
                p.and_then(|p| p[0])
                    .map_or(Cell::Empty, |p| text(discover::pvalue(p))),
                p.and_then(|p| p[1])
                    .map_or(Cell::Empty, |p| text(discover::pvalue(p))),
            ]);
            out(&rec)?;
        }
        Ok(())
    };
    for (i, b) in f.trajectory.iter().enumerate() {
        let qp = (i == f.chosen_at).then_some(f.from_qp.as_slice());
        one(i, discover::stage_name(b.stage), b, qp)?;
    }
    one(f.chosen_at, "chosen", &f.chosen, Some(&f.chosen_qp))
}

/// Columns of score.csv.
pub fn score_columns() -> Vec<Column> {
    columns(&[
        ("metric", Text),
        ("kind", Text),
        ("date", Text),
        ("day", MaybeInt),
        // 0 or 1 for an event, the observed value (six decimals) for a quantity.
        ("observed", Text),
        ("forecaster", Text),
        ("forecast", Num),
        ("brier", Num),
        ("log_score", Num),
        ("crps", Num),
    ])
}

/// The rows of score.csv: each listed event at each checkpoint by each forecaster that gives
/// a forecast, then each observed quantity.
pub fn score<E>(
    m: &crate::manifest::RunResult,
    obs: &crate::score::Observed,
    s: &crate::score::Scored,
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    use crate::score::{FORECASTERS, brier, crps, log_score};
    for it in &s.items {
        let metric = &obs.events[it.event].metric;
        for (k, name) in FORECASTERS.iter().enumerate() {
            let p = it.forecast[k];
            if p.is_nan() {
                continue;
            }
            f(&[
                Cell::Text(guard(metric)),
                Cell::Text("event".into()),
                Cell::Text(m.date(it.day).to_string().into()),
                Cell::Int(it.day.into()),
                Cell::Text(if it.outcome { "1" } else { "0" }.into()),
                Cell::Text((*name).into()),
                Cell::Num(p),
                Cell::Num(brier(p, it.outcome)),
                Cell::Num(log_score(p, it.outcome, s.floor)),
                Cell::Empty,
            ])?;
        }
    }
    for (q, x) in &obs.quantities {
        let h = &s.hist[q.as_str()];
        let n: u64 = h.iter().map(|b| b.1).sum();
        let mean = match n {
            0 => f64::NAN,
            _ => h.iter().map(|b| b.0 * b.1 as f64).sum::<f64>() / n as f64,
        };
        f(&[
            Cell::Text(guard(q)),
            Cell::Text("quantity".into()),
            Cell::Empty,
            Cell::Empty,
            Cell::Text(num(*x).into()),
            Cell::Text("model".into()),
            Cell::Num(mean),
            Cell::Empty,
            Cell::Empty,
            Cell::Num(crps(h, *x).unwrap_or(f64::NAN)),
        ])?;
    }
    Ok(())
}

/// Columns of skill.csv.
pub fn skill_columns() -> Vec<Column> {
    columns(&[
        ("scope", Text),
        ("metric", Text),
        ("reference", Text),
        ("items", Int),
        ("model_brier", Num),
        ("reference_brier", Num),
        ("brier_skill", Num),
        ("model_log_score", Num),
        ("reference_log_score", Num),
        ("log_skill", Num),
    ])
}

/// The rows of skill.csv: the model against each reference, over all events, then each event.
pub fn skill<E>(
    rows: &[crate::score::SkillRow],
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    use crate::score::skill;
    for r in rows {
        f(&[
            Cell::Text(if r.metric.is_some() { "metric" } else { "all" }.into()),
            r.metric
                .as_deref()
                .map_or(Cell::Text("".into()), |m| Cell::Text(guard(m))),
            Cell::Text(r.reference.into()),
            Cell::Int(r.items as u64),
            Cell::Num(r.model.0),
            Cell::Num(r.reference_score.0),
            Cell::Num(skill(r.model.0, r.reference_score.0)),
            Cell::Num(r.model.1),
            Cell::Num(r.reference_score.1),
            Cell::Num(skill(r.model.1, r.reference_score.1)),
        ])?;
    }
    Ok(())
}

/// Columns of reliability.csv.
pub fn reliability_columns() -> Vec<Column> {
    columns(&[
        ("bin_low", Num),
        ("bin_high", Num),
        ("items", Int),
        ("forecast_mean", Num),
        ("observed_share", Num),
        ("ci_low", Num),
        ("ci_high", Num),
    ])
}

/// The rows of reliability.csv: each bin of the model's forecasts that holds any.
pub fn reliability<E>(
    bins: &[crate::score::Bin],
    mut f: impl FnMut(&[Cell]) -> Result<(), E>,
) -> Result<(), E> {
    for b in bins {
        let (lo, hi) = crate::stats::wilson(b.hits, b.items, crate::stats::Z95);
        f(&[
            Cell::Num(b.lo),
            Cell::Num(b.hi),
            Cell::Int(b.items),
            Cell::Num(b.forecast_sum / b.items as f64),
            Cell::Num(b.hits as f64 / b.items as f64),
            Cell::Num(lo),
            Cell::Num(hi),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_neutralised_and_other_text_kept() {
        for f in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(guard(f), format!("'{f}"));
        }
        for ok in ["peak_level", "Red", "a=b", "", "1-2"] {
            assert_eq!(guard(ok), ok);
        }
    }

    #[test]
    fn numbers_have_six_decimals_and_nan_is_empty() {
        assert_eq!(Cell::Num(0.5).text(), "0.500000");
        assert_eq!(Cell::Num(f64::NAN).text(), "");
        assert_eq!(Cell::Num(-0.0).text(), "-0.000000");
        assert_eq!(Cell::Int(u64::MAX).text(), "18446744073709551615");
        assert_eq!(Cell::Empty.text(), "");
        // Exact binary ties round half to even, as C's (and so pandas') `%.6f` does: the
        // Python package's DataFrames print as the CLI's files (python/tests/test_parity.py).
        assert_eq!(Cell::Num(0.0078125).text(), "0.007812");
        assert_eq!(Cell::Num(0.0234375).text(), "0.023438");
        assert_eq!(Cell::Num(-1e-9).text(), "-0.000000");
    }
}
