//! Charts of a results directory, for `brink plot` and `brink report`. What is drawn follows
//! manifest.json's "command": a run gives its timeline, daily states, peak-level distribution
//! and histograms; a sweep gives probabilities, and each quantity's mean in its own units,
//! against one parameter or as heatmaps over two; a compare gives difference bars with paired
//! intervals; a sensitivity study gives Sobol index bars and a Morris mu*/sigma plot. A result
//! with nothing to draw gives no chart, and `nothing_to_chart` says why. Charts are read from
//! the CSVs only, which stay the contract.

pub mod data;
pub mod draw;
pub mod num;
pub mod raster;
pub mod svg;
pub mod text;

use std::collections::BTreeMap;
use std::path::Path;

use self::data::{Kind, Manifest, Table};
use self::draw::{Band, Bin, Drawn, Frame, HSeries, LineX, Point};
use crate::cli::Result;

/// One chart: its file stem, a one-line description for the report, the SVG text, and for
/// line charts the values the report shows under the pointer (JSON).
pub struct Chart {
    pub name: String,
    pub caption: String,
    pub svg: String,
    pub hover: Option<String>,
}

impl Chart {
    fn new(name: impl Into<String>, caption: impl Into<String>, d: Drawn) -> Chart {
        Chart {
            name: name.into(),
            caption: caption.into(),
            svg: d.svg,
            hover: d.hover.and_then(|h| serde_json::to_string(&h).ok()),
        }
    }
}

/// Most lines one chart carries before it stops being readable (and the palette repeats).
const MAX_SERIES: usize = 8;
/// The run timeline shows the scenario's first event metrics, like `brink run`'s stderr digest.
const KEY_EVENTS: usize = 6;

pub fn charts(dir: &Path, m: &Manifest) -> Result<Vec<Chart>> {
    match m.kind {
        Kind::Run => run_charts(dir, m),
        Kind::Sweep => sweep_charts(dir, m),
        Kind::Compare => compare_charts(dir, m),
        Kind::Sensitivity => sensitivity_charts(dir, m),
        Kind::Score => score_charts(dir, m),
        Kind::Watch => watch_charts(dir, m),
        Kind::Discover => discover_charts(dir, m),
    }
}

/// Why `charts` drew nothing from `dir`, and what would give a chart: said instead of charts
/// by `brink plot` and in the report.
pub fn nothing_to_chart(dir: &Path, m: &Manifest) -> String {
    let what = match m.kind {
        Kind::Sweep => match read_sweep(dir) {
            Ok(s) if !s.undefined.is_empty() => format!(
                "no metric of sweep.csv has a value at any point ({} {} defined in no run)",
                s.undefined.join(", "),
                if s.undefined.len() == 1 { "is" } else { "are" }
            ),
            _ => "sweep.csv holds no metric".into(),
        },
        Kind::Score => "skill.csv holds no score over all items".into(),
        Kind::Watch => "watch.csv holds no signpost".into(),
        Kind::Compare => "compare.csv holds no metric".into(),
        _ => "its files hold nothing to draw".into(),
    };
    let would = match m.kind {
        Kind::Sweep => {
            "; a sweep is charted by the probability of each event metric and the mean of each \
             quantity against the varied parameters, so sweep with --metrics naming metrics that \
             occur in its runs (brink explain lists a scenario's metrics)"
        }
        Kind::Watch => "; watch an outcome that some runs reach, with signposts seen before it",
        _ => "",
    };
    format!("{what}{would}")
}

fn title(m: &Manifest, what: &str) -> String {
    format!("{}: {what}", m.scenario)
}

fn provenance(m: &Manifest) -> String {
    let given = match m.raw["given"]["conditions"].as_array() {
        Some(c) => {
            let list: Vec<&str> = c.iter().filter_map(serde_json::Value::as_str).collect();
            format!(" kept given {}", list.join(" and "))
        }
        None => String::new(),
    };
    match (m.runs, m.seed) {
        // No-break spaces keep a number with its word when a subtitle wraps.
        (Some(r), Some(s)) => format!("{}\u{a0}runs{given}, seed\u{a0}{s}", num::thousands(r)),
        (Some(r), None) => format!("{}\u{a0}runs{given}", num::thousands(r)),
        _ => String::new(),
    }
}

/// A metric id as words: `war_duration_days` → "war duration", with its unit when the name
/// says it.
fn humanize(id: &str) -> (String, &'static str) {
    if id == "war_days" {
        return ("days at war".into(), "days");
    }
    let (stem, unit) = match id.strip_suffix("_days") {
        Some(s) => (s, "days"),
        None => (id, ""),
    };
    (stem.replace('_', " "), unit)
}

fn file_stem(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Pads a numeric range so that bars and whiskers do not touch the frame.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo < hi {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    let pad = 0.06 * (hi - lo);
    (lo - pad, hi + pad)
}

/// Decimals for shares estimated from `n` runs: one significant digit of the smallest 95%
/// half-width among them (normal approximation), in percentage points.
fn share_decimals(shares: &[f64], n: f64) -> usize {
    num::for_halfwidths(
        shares
            .iter()
            .filter(|s| s.is_finite() && **s > 0.0)
            .map(|s| 100.0 * 1.96 * (s * (1.0 - s) / n.max(1.0)).sqrt()),
        2,
    )
}

// ---------------------------------------------------------------------------------------------
// brink run

struct SummaryRow {
    metric: String,
    kind: String,
    n: f64,
    mean: f64,
    p50: f64,
}

fn read_summary(dir: &Path) -> Result<Vec<SummaryRow>> {
    let t = Table::read(dir, "summary.csv")?;
    let (cm, ck, cn, cmean, cp50) = (
        t.col("metric")?,
        t.col("kind")?,
        t.col("n")?,
        t.col("mean")?,
        t.col("p50")?,
    );
    (0..t.rows.len())
        .map(|r| {
            Ok(SummaryRow {
                metric: t.text(r, cm).to_string(),
                kind: t.text(r, ck).to_string(),
                n: t.num(r, cn)?,
                mean: t.num(r, cmean)?,
                p50: t.num(r, cp50)?,
            })
        })
        .collect()
}

fn run_charts(dir: &Path, m: &Manifest) -> Result<Vec<Chart>> {
    let summary = read_summary(dir)?;
    let tl = Table::read(dir, "timeline.csv")?;
    let (cd, cdate, cm, cv, cl, ch) = (
        tl.col("day")?,
        tl.col("date")?,
        tl.col("metric")?,
        tl.col("value")?,
        tl.col("ci_low")?,
        tl.col("ci_high")?,
    );
    // Series in file order; the start date is read off the first row, so the axis agrees with
    // the file even if the manifest lacks it.
    let mut order: Vec<String> = Vec::new();
    let mut series: BTreeMap<String, Vec<(f64, f64, f64, f64)>> = BTreeMap::new();
    let mut start = m.start_date;
    let mut horizon = 0.0f64;
    for r in 0..tl.rows.len() {
        let day = tl.num(r, cd)?;
        if start.is_none()
            && let Ok(d) = tl.text(r, cdate).parse::<jiff::civil::Date>()
        {
            start = d.checked_sub(jiff::Span::new().days(day as i64)).ok();
        }
        horizon = horizon.max(day);
        let metric = tl.text(r, cm);
        if !series.contains_key(metric) {
            order.push(metric.to_string());
        }
        series.entry(metric.to_string()).or_default().push((
            day,
            tl.num(r, cv)?,
            tl.num(r, cl)?,
            tl.num(r, ch)?,
        ));
    }
    let start = start.ok_or_else(|| {
        crate::cli::Failure::Input(format!(
            "error: `{}` has no ISO date in its `date` column",
            tl.path.display()
        ))
    })?;
    let is_event = |id: &str| {
        summary
            .iter()
            .any(|s| s.metric == id && s.kind == "probability")
    };
    let bands = |ids: &[&String]| -> Vec<Band> {
        ids.iter()
            .map(|id| Band {
                name: id.to_string(),
                points: series[*id].clone(),
            })
            .collect()
    };
    let horizon = horizon.max(1.0);
    let mut out = Vec::new();

    // The key events, then the daily states: the same chart over the calendar.
    let line_chart =
        |ids: Vec<&String>, name: &str, caption: &str, what: &str, sub: &str, y: &str| {
            let d = draw::bands(
                &Frame {
                    title: &title(m, what),
                    subtitle: &format!("{sub}; {}", provenance(m)),
                    x_desc: "date",
                    y_desc: y,
                },
                LineX::Dates(start),
                0.0,
                horizon,
                &bands(&ids),
            )?;
            Ok::<_, crate::cli::Failure>(Chart::new(name, caption, d))
        };
    let events: Vec<&String> = order
        .iter()
        .filter(|id| is_event(id))
        .take(KEY_EVENTS)
        .collect();
    if !events.is_empty() {
        out.push(line_chart(
            events,
            "timeline",
            "Cumulative probability of the key events over the calendar",
            "cumulative probability of key events",
            "Share of runs in which each event has happened by each date, with 95% bands; \
             value at the horizon after each name",
            "probability, cumulative (% of runs)",
        )?);
    }
    let states: Vec<&String> = order
        .iter()
        .filter(|id| !is_event(id))
        .take(MAX_SERIES)
        .collect();
    if !states.is_empty() {
        out.push(line_chart(
            states,
            "states",
            "Share of runs in each daily state",
            "daily states",
            "Share of runs in each state at the end of each day, with 95% bands; states listed \
             together with = are identical and drawn once; panels differ in scale",
            "share of runs in the state (%)",
        )?);
    }

    let dist = Table::read(dir, "distributions.csv")?;
    let (dm, dv, ds) = (dist.col("metric")?, dist.col("value")?, dist.col("share")?);
    let mut hist: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for r in 0..dist.rows.len() {
        hist.entry(dist.text(r, dm).to_string())
            .or_default()
            .push((dist.num(r, dv)?, dist.num(r, ds)?));
    }
    if let Some(peak) = hist.get("peak_level") {
        let n = m.runs.map_or(f64::NAN, |r| r as f64);
        out.push(peak_chart(m, peak, n)?);
    }
    for q in summary.iter().filter(|s| s.kind == "quantity") {
        if q.metric == "peak_level" || q.metric.starts_with("final_") {
            continue;
        }
        let Some(h) = hist.get(&q.metric) else {
            continue;
        };
        out.push(histogram_chart(m, q, h)?);
    }
    Ok(out)
}

fn peak_chart(m: &Manifest, rows: &[(f64, f64)], n: f64) -> Result<Chart> {
    let top = rows.iter().map(|r| r.0 as usize).max().unwrap_or(0);
    let names: Vec<String> = match &m.ladder {
        Some(l) if l.len() > top => l
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{i} {n}"))
            .collect(),
        _ => (0..=top).map(|i| format!("level {i}")).collect(),
    };
    let mut share = vec![0.0; names.len()];
    for &(v, s) in rows {
        share[v as usize] = s;
    }
    let sub = format!(
        "Highest end-of-day escalation level reached in each run; {}",
        provenance(m)
    );
    let d = draw::bars(
        &Frame {
            title: &title(m, "peak escalation level"),
            subtitle: &sub,
            x_desc: "peak level (escalation ladder rung)",
            y_desc: "share of runs (%)",
        },
        &names,
        &share,
        share_decimals(&share, n),
    )?;
    Ok(Chart::new(
        "peak_level",
        "Distribution of the peak escalation level",
        d,
    ))
}

fn histogram_chart(m: &Manifest, q: &SummaryRow, rows: &[(f64, f64)]) -> Result<Chart> {
    let (words, unit) = humanize(&q.metric);
    let lo = rows.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
    let hi = rows.iter().map(|r| r.0).fold(f64::NEG_INFINITY, f64::max);
    // Integer-valued metrics get bins of a whole number of units, about 40 across the range.
    let width = draw::nice_step((hi - lo + 1.0) / 40.0).max(1.0);
    // With wide bins, 0 ("none": no war, no delay) is a bar of its own, never lumped with
    // small values; the other bins then start at 1.
    let zero_share: f64 = rows.iter().filter(|r| r.0 == 0.0).map(|r| r.1).sum();
    let apart = width > 1.0 && zero_share > 0.0;
    let origin = if apart { 1.0 } else { lo };
    let mut bins: BTreeMap<i64, f64> = BTreeMap::new();
    for &(v, s) in rows {
        if apart && v == 0.0 {
            continue;
        }
        *bins
            .entry(((v - origin) / width).floor() as i64)
            .or_default() += s;
    }
    let unit_word = if unit.is_empty() { "units" } else { unit };
    let bins: Vec<Bin> = bins
        .into_iter()
        .map(|(k, share)| {
            let a = origin + k as f64 * width;
            let b = a + width - 1.0;
            let name = if width == 1.0 {
                num::short(a)
            } else {
                format!("{}–{}", num::short(a), num::short(b))
            };
            // Each integer value v occupies [v − ½, v + ½].
            Bin {
                from: a - 0.5,
                to: b + 0.5,
                share,
                name,
            }
        })
        .collect();
    let x_lo = bins.first().map_or(0.0, |b| b.from);
    let x_hi = bins.last().map_or(1.0, |b| b.to);
    let zero = apart.then(|| Bin {
        from: -0.5,
        to: 0.5,
        share: zero_share,
        name: "0".into(),
    });
    let all: Vec<f64> = bins
        .iter()
        .map(|b| b.share)
        .chain(zero.as_ref().map(|z| z.share))
        .collect();
    // The zero bar's share is the one number written on the chart; tooltips show every bin
    // to the precision of the smallest.
    let decimals = zero.as_ref().map_or(1, |z| share_decimals(&[z.share], q.n));
    let tip_decimals = share_decimals(&all, q.n);
    let unit_txt = if unit.is_empty() {
        String::new()
    } else {
        format!(" ({unit})")
    };
    let bin_txt = if width > 1.0 {
        format!("bins of {} {unit_word}", num::short(width))
    } else {
        "one bar per value".into()
    };
    let zero_txt = if apart {
        format!("; the grey bar is the runs with 0 {unit_word}")
    } else {
        String::new()
    };
    let censor = if q.metric == "war_duration_days" {
        " A war still going at the horizon counts up to the horizon."
    } else {
        ""
    };
    let mean_d = num::for_magnitude(q.mean.abs(), 3).min(2);
    let sub = format!(
        "Among the {} runs where it is defined: mean {}, median {}; {bin_txt}{zero_txt}.{censor}",
        num::thousands(q.n as u64),
        num::fixed(q.mean, mean_d),
        num::short(q.p50)
    );
    let d = draw::histogram(
        &Frame {
            title: &title(m, &format!("distribution of {words}")),
            subtitle: &sub,
            x_desc: &format!("{words}{unit_txt}"),
            y_desc: "share of runs where defined (%)",
        },
        x_lo,
        x_hi,
        &bins,
        zero.as_ref(),
        "0 (none)",
        unit_word,
        decimals,
        tip_decimals,
    )?;
    Ok(Chart::new(
        file_stem(&q.metric),
        format!("Distribution of {words}{unit_txt}"),
        d,
    ))
}

// ---------------------------------------------------------------------------------------------
// brink sweep

struct SweepRow {
    point: String,
    metric: String,
    n: f64,
    mean: f64,
    lo: f64,
    hi: f64,
}

/// A sweep's files: the varied parameters in order, the points in order with each one's
/// parameter values, and the rows of sweep.csv, with its metrics in file order, probabilities
/// apart from quantities.
struct Sweep {
    params: Vec<String>,
    points: Vec<String>,
    at: BTreeMap<(String, String), f64>,
    rows: Vec<SweepRow>,
    probabilities: Vec<String>,
    quantities: Vec<String>,
    /// Metrics without a value at any point (a conditional quantity defined in no run): they
    /// have nothing to draw.
    undefined: Vec<String>,
}

fn read_sweep(dir: &Path) -> Result<Sweep> {
    let pts = Table::read(dir, "points.csv")?;
    let (pp, pn, pv) = (pts.col("point")?, pts.col("parameter")?, pts.col("value")?);
    let mut params: Vec<String> = Vec::new();
    let mut at: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut points: Vec<String> = Vec::new();
    for r in 0..pts.rows.len() {
        let (p, n) = (pts.text(r, pp).to_string(), pts.text(r, pn).to_string());
        if !params.contains(&n) {
            params.push(n.clone());
        }
        if !points.contains(&p) {
            points.push(p.clone());
        }
        at.insert((p, n), pts.num(r, pv)?);
    }
    let sw = Table::read(dir, "sweep.csv")?;
    let (sp, sm, sk, sn, smean, sl, sh) = (
        sw.col("point")?,
        sw.col("metric")?,
        sw.col("kind")?,
        sw.col("n")?,
        sw.col("mean")?,
        sw.col("ci_low")?,
        sw.col("ci_high")?,
    );
    let mut rows = Vec::new();
    let mut metrics: Vec<(String, bool)> = Vec::new();
    for r in 0..sw.rows.len() {
        let metric = sw.text(r, sm).to_string();
        if !metrics.iter().any(|m| m.0 == metric) {
            metrics.push((metric.clone(), sw.text(r, sk) == "probability"));
        }
        rows.push(SweepRow {
            point: sw.text(r, sp).to_string(),
            metric,
            n: sw.num(r, sn)?,
            mean: sw.num(r, smean)?,
            lo: sw.num(r, sl)?,
            hi: sw.num(r, sh)?,
        });
    }
    let defined = |m: &str| rows.iter().any(|r| r.metric == m && r.mean.is_finite());
    let (mut probabilities, mut quantities, mut undefined) = (Vec::new(), Vec::new(), Vec::new());
    for (metric, probability) in metrics {
        if !defined(&metric) {
            undefined.push(metric);
        } else if probability {
            probabilities.push(metric);
        } else {
            quantities.push(metric);
        }
    }
    Ok(Sweep {
        params,
        points,
        at,
        rows,
        probabilities,
        quantities,
        undefined,
    })
}

/// Keeps the first `MAX_SERIES` of `metrics`; says so when there were more.
fn first_metrics(metrics: &mut Vec<String>, what: &str) -> String {
    let all = metrics.len();
    metrics.truncate(MAX_SERIES);
    if all > metrics.len() {
        format!(
            " (the first {} of {all} {what}; all are in sweep.csv)",
            metrics.len()
        )
    } else {
        String::new()
    }
}

fn sweep_charts(dir: &Path, m: &Manifest) -> Result<Vec<Chart>> {
    let Sweep {
        params,
        points,
        at,
        rows,
        probabilities: mut metrics,
        mut quantities,
        ..
    } = read_sweep(dir)?;
    let shown = first_metrics(&mut metrics, "metrics");
    let shown_q = first_metrics(&mut quantities, "quantities");
    // A quantity's n is below the runs where it is conditional (defined in some runs only).
    let conditional = |q: &String| {
        rows.iter()
            .any(|r| r.metric == *q && m.runs.is_some_and(|runs| r.n < runs as f64))
    };
    let mut out = Vec::new();
    if params.len() == 1 {
        let p = &params[0];
        let sorted = |ids: &[String]| {
            let mut b = sweep_bands(ids, &rows, |r| {
                at.get(&(r.point.clone(), p.clone())).copied()
            });
            for s in &mut b {
                s.points.sort_by(|a, c| a.0.total_cmp(&c.0));
            }
            b
        };
        let xs: Vec<f64> = points
            .iter()
            .filter_map(|pt| at.get(&(pt.clone(), p.clone())).copied())
            .collect();
        let (lo, hi) = padded(
            xs.iter().cloned().fold(f64::INFINITY, f64::min),
            xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        );
        if !metrics.is_empty() {
            let b = sorted(&metrics);
            let sub = format!(
                "Probability at each of {} values of the parameter, with 95% bands; value at the \
                 highest after each name{shown}; {}",
                points.len(),
                provenance(m)
            );
            let d = draw::bands(
                &Frame {
                    title: &title(m, &format!("probability against {p}")),
                    subtitle: &sub,
                    x_desc: &format!("{p} (parameter value)"),
                    y_desc: "probability (% of runs)",
                },
                LineX::Numeric,
                lo,
                hi,
                &b,
            )?;
            out.push(Chart::new(
                format!("sweep_{}", file_stem(p)),
                format!("Probabilities against {p}"),
                d,
            ));
        }
        for (q, b) in quantities.iter().zip(sorted(&quantities)) {
            let at_each = format!("at each of {} values of the parameter", points.len());
            out.push(mean_chart(
                m,
                q,
                b,
                (LineX::Numeric, lo, hi),
                (&format!("against {p}"), &format!("{p} (parameter value)")),
                &at_each,
                conditional(q),
                &shown_q,
            )?);
        }
    } else if params.len() == 2 {
        let (px, py) = (&params[0], &params[1]);
        let distinct = |p: &String| {
            let mut v: Vec<f64> = points
                .iter()
                .filter_map(|pt| at.get(&(pt.clone(), p.clone())).copied())
                .collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            v
        };
        let (xs, ys) = (distinct(px), distinct(py));
        let names = |v: &[f64]| {
            let d = num::for_values(v.iter().copied());
            v.iter().map(|x| num::fixed(*x, d)).collect::<Vec<_>>()
        };
        let (x_names, y_names) = (names(&xs), names(&ys));
        let grid = |metric: &String| {
            let mut z = vec![vec![(f64::NAN, f64::NAN, f64::NAN); xs.len()]; ys.len()];
            for r in rows.iter().filter(|r| r.metric == *metric) {
                let (Some(x), Some(y)) = (
                    at.get(&(r.point.clone(), px.clone())),
                    at.get(&(r.point.clone(), py.clone())),
                ) else {
                    continue;
                };
                let xi = xs.iter().position(|v| v == x);
                let yi = ys.iter().position(|v| v == y);
                if let (Some(xi), Some(yi)) = (xi, yi) {
                    z[yi][xi] = (r.mean, r.lo, r.hi);
                }
            }
            z
        };
        let (x_desc, y_desc) = (
            format!("{px} (parameter value)"),
            format!("{py} (parameter value)"),
        );
        for metric in &metrics {
            let z = grid(metric);
            // One precision for every cell, from the narrowest interval.
            let d = num::for_halfwidths(z.iter().flatten().map(|c| 100.0 * (c.2 - c.1) / 2.0), 2);
            let values: Vec<Vec<f64>> = z.iter().map(|r| r.iter().map(|c| c.0).collect()).collect();
            let sub = format!(
                "Probability of {metric} over a {} × {} grid (hover a cell for its 95% \
                 interval){shown}; {}",
                xs.len(),
                ys.len(),
                provenance(m)
            );
            let tip = |yi: usize, xi: usize| {
                let c = z[yi][xi];
                format!(
                    "{px} = {}, {py} = {}: {metric} {} [{}, {}]",
                    x_names[xi],
                    y_names[yi],
                    num::pct(c.0, d),
                    num::pct(c.1, d),
                    num::pct(c.2, d)
                )
            };
            let d = draw::heatmap(
                &Frame {
                    title: &title(m, &format!("{metric} by two parameters")),
                    subtitle: &sub,
                    x_desc: &x_desc,
                    y_desc: &y_desc,
                },
                &x_names,
                &y_names,
                &values,
                &|v| num::pct(v, d),
                "probability",
                None,
                &tip,
            )?;
            out.push(Chart::new(
                format!("heatmap_{}", file_stem(metric)),
                format!("Probability of {metric} over {px} and {py}"),
                d,
            ));
        }
        for q in &quantities {
            let z = grid(q);
            let (words, unit) = humanize(q);
            let d = num::for_halfwidths(z.iter().flatten().map(|c| (c.2 - c.1) / 2.0), 3);
            let values: Vec<Vec<f64>> = z.iter().map(|r| r.iter().map(|c| c.0).collect()).collect();
            let (lo, hi) = values
                .iter()
                .flatten()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |a, &v| {
                    (a.0.min(v), a.1.max(v))
                });
            let unit_txt = if unit.is_empty() {
                String::new()
            } else {
                format!(" {unit}")
            };
            let sub = format!(
                "Mean of {q}{} over a {} × {} grid{} (hover a cell for its 95% \
                 interval){shown_q}; {}",
                if unit.is_empty() {
                    String::new()
                } else {
                    format!(" ({unit})")
                },
                xs.len(),
                ys.len(),
                if conditional(q) {
                    " among the runs where it is defined"
                } else {
                    ""
                },
                provenance(m)
            );
            let tip = |yi: usize, xi: usize| {
                let c = z[yi][xi];
                format!(
                    "{px} = {}, {py} = {}: mean {q} {}{unit_txt} [{}, {}]",
                    x_names[xi],
                    y_names[yi],
                    num::fixed(c.0, d),
                    num::fixed(c.1, d),
                    num::fixed(c.2, d)
                )
            };
            let scale = if unit.is_empty() {
                "mean".to_string()
            } else {
                format!("mean, {unit}")
            };
            let drawn = draw::heatmap(
                &Frame {
                    title: &title(m, &format!("mean {words} by two parameters")),
                    subtitle: &sub,
                    x_desc: &x_desc,
                    y_desc: &y_desc,
                },
                &x_names,
                &y_names,
                &values,
                &|v| num::fixed(v, d),
                &scale,
                Some((lo, hi)),
                &tip,
            )?;
            out.push(Chart::new(
                format!("heatmap_{}", file_stem(q)),
                format!("Mean of {q} over {px} and {py}"),
                drawn,
            ));
        }
    } else {
        // Three or more parameters: no axis is shared, so show each point in turn.
        let x_of = |r: &SweepRow| points.iter().position(|p| *p == r.point).map(|x| x as f64);
        let (lo, hi) = (-0.5, points.len() as f64 - 0.5);
        if !metrics.is_empty() {
            let b = sweep_bands(&metrics, &rows, x_of);
            let sub = format!(
                "{} parameters varied together (values in points.csv), with 95% bands{shown}; {}",
                params.len(),
                provenance(m)
            );
            let d = draw::bands(
                &Frame {
                    title: &title(m, "probability at each sweep point"),
                    subtitle: &sub,
                    x_desc: "sweep point (see points.csv)",
                    y_desc: "probability (% of runs)",
                },
                LineX::Points(points.clone()),
                lo,
                hi,
                &b,
            )?;
            out.push(Chart::new(
                "sweep_points",
                "Probabilities at each sweep point",
                d,
            ));
        }
        for (q, b) in quantities.iter().zip(sweep_bands(&quantities, &rows, x_of)) {
            let at_each = format!(
                "at each sweep point, {} parameters varied together (values in points.csv)",
                params.len()
            );
            out.push(mean_chart(
                m,
                q,
                b,
                (LineX::Points(points.clone()), lo, hi),
                ("at each sweep point", "sweep point (see points.csv)"),
                &at_each,
                conditional(q),
                &shown_q,
            )?);
        }
    }
    Ok(out)
}

/// The mean of quantity `q` with its 95% band against the sweep's x (`x`: the axis and its
/// range; `against`: "against KEY" or "at each sweep point"), in the metric's own units.
#[allow(clippy::too_many_arguments)]
fn mean_chart(
    m: &Manifest,
    q: &str,
    band: Band,
    x: (LineX, f64, f64),
    (against, x_desc): (&str, &str),
    at_each: &str,
    conditional: bool,
    shown: &str,
) -> Result<Chart> {
    let (words, unit) = humanize(q);
    let defined = if conditional {
        " among the runs where it is defined"
    } else {
        ""
    };
    let sub = format!(
        "Mean of {q}{defined} {at_each}, with its 95% band (simulation error, not the spread \
         of outcomes); value at the last after its name{shown}; {}",
        provenance(m)
    );
    let y_desc = if unit.is_empty() {
        format!("mean {words}")
    } else {
        format!("mean {words} ({unit})")
    };
    let hover_unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    let d = draw::bands_on(
        &Frame {
            title: &title(m, &format!("mean {words} {against}")),
            subtitle: &sub,
            x_desc,
            y_desc: &y_desc,
        },
        x.0,
        x.1,
        x.2,
        &[band],
        draw::LineY::Values { unit: &hover_unit },
    )?;
    Ok(Chart::new(
        format!("mean_{}", file_stem(q)),
        format!("Mean of {q} {against}"),
        d,
    ))
}

/// One band per metric, in `metrics` order, with each row placed at `x_of(row)` (rows without
/// an x are left out).
fn sweep_bands(
    metrics: &[String],
    rows: &[SweepRow],
    x_of: impl Fn(&SweepRow) -> Option<f64>,
) -> Vec<Band> {
    let mut bands: Vec<Band> = metrics
        .iter()
        .map(|id| Band {
            name: id.clone(),
            points: Vec::new(),
        })
        .collect();
    for r in rows {
        if let (Some(i), Some(x)) = (metrics.iter().position(|m| *m == r.metric), x_of(r)) {
            bands[i].points.push((x, r.mean, r.lo, r.hi));
        }
    }
    bands
}

// ---------------------------------------------------------------------------------------------
// brink compare

fn compare_charts(dir: &Path, m: &Manifest) -> Result<Vec<Chart>> {
    let t = Table::read(dir, "compare.csv")?;
    let c = |n: &str| t.col(n);
    let (cm, ck, cb, cv, cd, cl, ch, ul, uh, cs) = (
        c("metric")?,
        c("kind")?,
        c("base")?,
        c("variant")?,
        c("difference")?,
        c("ci_low")?,
        c("ci_high")?,
        c("unpaired_ci_low")?,
        c("unpaired_ci_high")?,
        c("share_changed")?,
    );
    let mut out = Vec::new();
    for (kind, name, scale, unit) in [
        ("probability", "compare", 100.0, "percentage points"),
        ("quantity", "compare_quantities", 1.0, "the metric's units"),
    ] {
        let rows: Vec<usize> = (0..t.rows.len())
            .filter(|&r| t.text(r, ck) == kind)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let cats: Vec<String> = rows.iter().map(|&r| t.text(r, cm).to_string()).collect();
        let get = |col: usize| -> Result<Vec<f64>> {
            rows.iter().map(|&r| Ok(t.num(r, col)? * scale)).collect()
        };
        let (d, lo, hi, ulo, uhi) = (get(cd)?, get(cl)?, get(ch)?, get(ul)?, get(uh)?);
        let (base, variant, changed) = (get(cb)?, get(cv)?, {
            rows.iter()
                .map(|&r| t.num(r, cs))
                .collect::<Result<Vec<f64>>>()?
        });
        let all = d.iter().chain(&lo).chain(&hi).chain(&ulo).chain(&uhi);
        let (mn, mx) = all
            .filter(|v| v.is_finite())
            .fold((0.0f64, 0.0f64), |a, &v| (a.0.min(v), a.1.max(v)));
        let (mn, mx) = padded(mn, mx);
        // One precision for every difference: from the narrowest paired interval.
        let dec = num::for_halfwidths(lo.iter().zip(&hi).map(|(a, b)| (b - a) / 2.0), 3);
        let values: Vec<String> = (0..rows.len())
            .map(|i| {
                format!(
                    "{} [{}, {}]",
                    num::signed(d[i], dec),
                    num::signed(lo[i], dec),
                    num::signed(hi[i], dec)
                )
            })
            .collect();
        let level = |v: f64| {
            if kind == "probability" {
                num::pct(v / 100.0, dec)
            } else {
                num::fixed(v, dec)
            }
        };
        let pp = if kind == "probability" { " pp" } else { "" };
        let tip = |i: usize| {
            format!(
                "{}: base {}, variant {}; difference {}{pp} [{}, {}] paired, [{}, {}] \
                 unpaired; {} of runs changed",
                cats[i],
                level(base[i]),
                level(variant[i]),
                num::signed(d[i], dec),
                num::signed(lo[i], dec),
                num::signed(hi[i], dec),
                num::signed(ulo[i], dec),
                num::signed(uhi[i], dec),
                num::pct(changed[i], 1)
            )
        };
        let series = [
            HSeries {
                name: "difference, variant − base, with paired 95% interval".into(),
                values: d.clone(),
                intervals: lo.iter().copied().zip(hi.iter().copied()).collect(),
                whiskers_only: false,
            },
            HSeries {
                name: "95% interval if the runs were unpaired".into(),
                values: Vec::new(),
                intervals: ulo.iter().copied().zip(uhi.iter().copied()).collect(),
                whiskers_only: true,
            },
        ];
        let sub = format!(
            "Same seeds in both, so each run is paired with its counterpart; at the right, the \
             difference [paired 95% interval] in {unit}; {}",
            provenance(m)
        );
        let what = if kind == "probability" {
            "change in probability"
        } else {
            "change in quantities"
        };
        let drawn = draw::hbars(
            &Frame {
                title: &title(m, &format!("variant minus base, {what}")),
                subtitle: &sub,
                x_desc: &format!("difference, variant − base ({unit})"),
                y_desc: "",
            },
            &cats,
            mn,
            mx,
            &series,
            Some(&values),
            &tip,
        )?;
        out.push(Chart::new(
            name,
            format!("Variant minus base: {what}"),
            drawn,
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// brink sensitivity

fn sensitivity_charts(dir: &Path, m: &Manifest) -> Result<Vec<Chart>> {
    let mut out = Vec::new();
    if dir.join("sobol.csv").is_file() {
        sobol(dir, m, &mut out)?;
    }
    if dir.join("morris.csv").is_file() {
        morris(dir, m, &mut out)?;
    }
    if out.is_empty() {
        return Err(crate::cli::Failure::Input(format!(
            "error: `{}` is a sensitivity result but holds neither sobol.csv nor morris.csv",
            dir.display()
        )));
    }
    Ok(out)
}

/// Distinct values of a column, in order of first appearance.
fn distinct(t: &Table, col: usize) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for r in 0..t.rows.len() {
        let s = t.text(r, col);
        if !v.iter().any(|x| x == s) {
            v.push(s.to_string());
        }
    }
    v
}

fn sobol(dir: &Path, m: &Manifest, out: &mut Vec<Chart>) -> Result<()> {
    let t = Table::read(dir, "sobol.csv")?;
    let (cm, cp, ci, cv, cl, ch) = (
        t.col("metric")?,
        t.col("parameter")?,
        t.col("index")?,
        t.col("value")?,
        t.col("ci_low")?,
        t.col("ci_high")?,
    );
    for metric in distinct(&t, cm).iter().take(MAX_SERIES) {
        let rows: Vec<usize> = (0..t.rows.len())
            .filter(|&r| t.text(r, cm) == metric)
            .collect();
        let mut params: Vec<String> = Vec::new();
        for &r in &rows {
            let p = t.text(r, cp);
            if !params.iter().any(|x| x == p) {
                params.push(p.to_string());
            }
        }
        let mut vals = BTreeMap::new();
        for &r in &rows {
            vals.insert(
                (t.text(r, cp).to_string(), t.text(r, ci).to_string()),
                (t.num(r, cv)?, t.num(r, cl)?, t.num(r, ch)?),
            );
        }
        let get = |p: &String, i: &str| {
            vals.get(&(p.clone(), i.to_string()))
                .copied()
                .unwrap_or((f64::NAN, f64::NAN, f64::NAN))
        };
        // The most influential parameter (by total index) on top.
        params.sort_by(|a, b| get(b, "total").0.total_cmp(&get(a, "total").0));
        // Without bootstrap resamples (--bootstrap 0) no interval was computed: none is drawn.
        let intervals = rows.iter().any(|&r| {
            t.num(r, cl).is_ok_and(f64::is_finite) || t.num(r, ch).is_ok_and(f64::is_finite)
        });
        let with = if intervals { ", with 95% interval" } else { "" };
        let series: Vec<HSeries> = [("first", "first-order index"), ("total", "total index")]
            .iter()
            .map(|(i, name)| HSeries {
                name: format!("{name}{with}"),
                values: params.iter().map(|p| get(p, i).0).collect(),
                intervals: params.iter().map(|p| (get(p, i).1, get(p, i).2)).collect(),
                whiskers_only: false,
            })
            .collect();
        let (mn, mx) = series
            .iter()
            .flat_map(|s| {
                s.values
                    .iter()
                    .chain(s.intervals.iter().flat_map(|i| [&i.0, &i.1]))
            })
            .filter(|v| v.is_finite())
            .fold((0.0f64, 0.0f64), |a, &v| (a.0.min(v), a.1.max(v)));
        let (mn, mx) = padded(mn, mx.max(0.1));
        let dec = num::for_halfwidths(
            params
                .iter()
                .flat_map(|p| [get(p, "first"), get(p, "total")])
                .map(|v| (v.2 - v.1) / 2.0),
            3,
        )
        .max(2);
        let fmt = |v: (f64, f64, f64)| {
            if v.1.is_nan() && v.2.is_nan() {
                return num::fixed(v.0, dec);
            }
            format!(
                "{} [{}, {}]",
                num::fixed(v.0, dec),
                num::fixed(v.1, dec),
                num::fixed(v.2, dec)
            )
        };
        let tip = |i: usize| {
            let p = &params[i];
            format!(
                "{p}: first-order {}, total {}",
                fmt(get(p, "first")),
                fmt(get(p, "total"))
            )
        };
        let sub = format!(
            "Share of the variance of {metric} due to each parameter alone (first) and with its \
             interactions (total), largest total first; {}",
            provenance(m)
        );
        let d = draw::hbars(
            &Frame {
                title: &title(m, &format!("what drives {metric} (Sobol indices)")),
                subtitle: &sub,
                x_desc: "Sobol index (share of output variance)",
                y_desc: "",
            },
            &params,
            mn,
            mx,
            &series,
            None,
            &tip,
        )?;
        out.push(Chart::new(
            format!("sobol_{}", file_stem(metric)),
            format!("Sobol indices for {metric}"),
            d,
        ));
    }
    Ok(())
}

fn morris(dir: &Path, m: &Manifest, out: &mut Vec<Chart>) -> Result<()> {
    let t = Table::read(dir, "morris.csv")?;
    let (cm, cp, cmu, cs) = (
        t.col("metric")?,
        t.col("parameter")?,
        t.col("mu_star")?,
        t.col("sigma")?,
    );
    for metric in distinct(&t, cm).iter().take(MAX_SERIES) {
        let mut pts: Vec<(String, f64, f64)> = Vec::new();
        for r in (0..t.rows.len()).filter(|&r| t.text(r, cm) == metric) {
            pts.push((t.text(r, cp).to_string(), t.num(r, cmu)?, t.num(r, cs)?));
        }
        // Ranked by mu*, then sigma: the numbers on the plot are the ranks.
        pts.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(b.2.total_cmp(&a.2))
                .then(a.0.cmp(&b.0))
        });
        let max = |f: fn(&(String, f64, f64)) -> f64| {
            pts.iter()
                .map(f)
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max)
        };
        let (mx, my) = (max(|p| p.1), max(|p| p.2));
        let dec = num::for_magnitude(mx.max(my), 2);
        let points: Vec<Point> = pts
            .iter()
            .map(|(name, mu, sigma)| Point {
                name: name.clone(),
                x: *mu,
                y: *sigma,
                key_text: format!("μ* {}, σ {}", num::fixed(*mu, dec), num::fixed(*sigma, dec)),
            })
            .collect();
        let sub = format!(
            "Mean absolute elementary effect (μ*) against its spread (σ, high when effects are \
             non-linear or interact); points numbered by rank, named in the key; {}",
            provenance(m)
        );
        let d = draw::scatter(
            &Frame {
                title: &title(m, &format!("Morris screening of {metric}")),
                subtitle: &sub,
                x_desc: "μ* (mean absolute effect, metric units)",
                y_desc: "σ (metric units)",
            },
            padded(0.0, mx.max(1e-6)).1,
            1.1 * my.max(1e-6),
            &points,
            &format!("Parameters by their effect on {metric}"),
        )?;
        out.push(Chart::new(
            format!("morris_{}", file_stem(metric)),
            format!("Morris screening of {metric}: μ* against σ"),
            d,
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// brink score, watch and discover

/// Mean Brier and log scores of the model and each reference forecaster over all the items
/// each was scored on (skill.csv, scope `all`).
fn score_charts(dir: &Path, m: &Manifest) -> Result<Vec<Chart>> {
    let t = Table::read(dir, "skill.csv")?;
    let c = |n: &str| t.col(n);
    let (cs, cr, ci, mb, rb, ml, rl) = (
        c("scope")?,
        c("reference")?,
        c("items")?,
        c("model_brier")?,
        c("reference_brier")?,
        c("model_log_score")?,
        c("reference_log_score")?,
    );
    let rows: Vec<usize> = (0..t.rows.len())
        .filter(|&r| t.text(r, cs) == "all")
        .collect();
    let Some(&first) = rows.first() else {
        return Ok(Vec::new());
    };
    let name = |r: &str| match r {
        "coin" => "coin (0.5)",
        "constant_hazard" => "constant hazard, the model's own total",
        _ => "base rate",
    };
    let mut cats = vec![format!("model ({} forecasts)", t.text(first, ci))];
    let mut brier = vec![t.num(first, mb)?];
    let mut log = vec![t.num(first, ml)?];
    for &r in &rows {
        cats.push(format!(
            "{} ({} forecasts)",
            name(t.text(r, cr)),
            t.text(r, ci)
        ));
        brier.push(t.num(r, rb)?);
        log.push(t.num(r, rl)?);
    }
    let hi = brier
        .iter()
        .chain(&log)
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (_, hi) = padded(0.0, hi);
    let n = cats.len();
    let series = [("mean Brier score", brier), ("mean log score", log)]
        .into_iter()
        .map(|(name, values)| HSeries {
            name: name.into(),
            intervals: vec![(f64::NAN, f64::NAN); n],
            values,
            whiskers_only: false,
        })
        .collect::<Vec<_>>();
    let observed = m.raw["observed"]["path"]
        .as_str()
        .unwrap_or("what happened");
    let sub = format!(
        "Mean scores over the events and checkpoints of {observed} (lower is better; the \
         base rate over the events it is given for); {}",
        provenance(m)
    );
    let d = draw::hbars(
        &Frame {
            title: &title(m, "the forecast against what happened"),
            subtitle: &sub,
            x_desc: "mean score (0 is a perfect forecast)",
            y_desc: "",
        },
        &cats,
        0.0,
        hi,
        &series,
        None,
        &|i| {
            format!(
                "{}: Brier {:.4}, log score {:.4}",
                cats[i], series[0].values[i], series[1].values[i]
            )
        },
    )?;
    Ok(vec![Chart::new(
        "score",
        "Mean Brier and log scores of the model and of each reference forecaster",
        d,
    )])
}

/// The most telling signposts (watch.csv is sorted): the outcome's probability if each is
/// seen by its date and if it is not, with 95% intervals, and the lift.
fn watch_charts(dir: &Path, m: &Manifest) -> Result<Vec<Chart>> {
    const ROWS: usize = 12;
    let t = Table::read(dir, "watch.csv")?;
    let c = |n: &str| t.col(n);
    let (co, cs, cd, cy, cyl, cyh, cn, cnl, cnh, cl, cp) = (
        c("outcome")?,
        c("signpost")?,
        c("date")?,
        c("if_signpost")?,
        c("if_signpost_ci_low")?,
        c("if_signpost_ci_high")?,
        c("if_no_signpost")?,
        c("if_no_signpost_ci_low")?,
        c("if_no_signpost_ci_high")?,
        c("lift")?,
        c("outcome_probability")?,
    );
    let rows: Vec<usize> = (0..t.rows.len().min(ROWS)).collect();
    let Some(&first) = rows.first() else {
        return Ok(Vec::new());
    };
    let outcome = t.text(first, co).to_string();
    let cats: Vec<String> = rows
        .iter()
        .map(|&r| format!("{} by {}", t.text(r, cs), t.text(r, cd)))
        .collect();
    let get = |col: usize| -> Result<Vec<f64>> { rows.iter().map(|&r| t.num(r, col)).collect() };
    let (y, yl, yh, n, nl, nh, lift) = (
        get(cy)?,
        get(cyl)?,
        get(cyh)?,
        get(cn)?,
        get(cnl)?,
        get(cnh)?,
        get(cl)?,
    );
    let hi = yh
        .iter()
        .chain(&nh)
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (_, hi) = padded(0.0, hi);
    let series = vec![
        HSeries {
            name: "if the signpost has happened by the date, with 95% interval".into(),
            values: y.clone(),
            intervals: yl.iter().copied().zip(yh.iter().copied()).collect(),
            whiskers_only: false,
        },
        HSeries {
            name: "if it has not".into(),
            values: n.clone(),
            intervals: nl.iter().copied().zip(nh.iter().copied()).collect(),
            whiskers_only: false,
        },
    ];
    let values: Vec<String> = lift
        .iter()
        .map(|l| {
            if l.is_finite() {
                format!("×{l:.2}")
            } else {
                "—".into()
            }
        })
        .collect();
    let more = if t.rows.len() > ROWS {
        format!(
            "the {ROWS} most telling of {} rows (all in watch.csv); ",
            t.rows.len()
        )
    } else {
        String::new()
    };
    let sub = format!(
        "Probability of {outcome} (in {} of all runs) given each signpost, most telling first; \
         at the right, the lift P(outcome | signpost) / P(outcome); {more}{}",
        num::pct(t.num(first, cp)?, 1),
        provenance(m)
    );
    let d = draw::hbars(
        &Frame {
            title: &title(m, &format!("what to watch for {outcome}")),
            subtitle: &sub,
            x_desc: &format!("probability of {outcome}"),
            y_desc: "",
        },
        &cats,
        0.0,
        hi,
        &series,
        Some(&values),
        &|i| {
            format!(
                "{}: {} if seen, {} if not",
                cats[i],
                num::pct(y[i], 1),
                num::pct(n[i], 1)
            )
        },
    )?;
    Ok(vec![Chart::new(
        "watch",
        "The outcome's probability if each signpost is seen by its date, and if it is not",
        d,
    )])
}

/// The coverage–density trade-off of PRIM's trajectory, and the chosen box's restrictions.
fn discover_charts(dir: &Path, m: &Manifest) -> Result<Vec<Chart>> {
    let t = Table::read(dir, "discover.csv")?;
    let c = |n: &str| t.col(n);
    let (cb, cst, ccov, cden, cn, ck, cf, clo, chi, cmin, cmax) = (
        c("box")?,
        c("stage")?,
        c("coverage")?,
        c("density")?,
        c("runs")?,
        c("outcome_runs")?,
        c("feature")?,
        c("low")?,
        c("high")?,
        c("min")?,
        c("max")?,
    );
    let outcome = m.raw["outcome"]
        .as_str()
        .unwrap_or("the outcome")
        .to_string();
    // One point per box of the trajectory, with the Wilson interval of its density.
    let mut seen = BTreeMap::new();
    for r in 0..t.rows.len() {
        if t.text(r, cst) == "chosen" {
            continue;
        }
        let b: u64 = t.text(r, cb).parse().unwrap_or(0);
        if seen.contains_key(&b) {
            continue;
        }
        let (n, k) = (t.num(r, cn)? as u64, t.num(r, ck)? as u64);
        let (lo, hi) = brink::stats::wilson(k, n, brink::stats::Z95);
        seen.insert(b, (t.num(r, ccov)?, t.num(r, cden)?, lo, hi));
    }
    let mut points: Vec<(f64, f64, f64, f64)> = seen.values().copied().collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let chosen: Vec<usize> = (0..t.rows.len())
        .filter(|&r| t.text(r, cst) == "chosen")
        .collect();
    let chosen_text = match chosen.first() {
        Some(&r) => format!(
            "the chosen box (from box {}) holds {} of the runs with {outcome} at a density of {}",
            t.text(r, cb),
            num::pct(t.num(r, ccov)?, 0),
            num::pct(t.num(r, cden)?, 0)
        ),
        None => String::new(),
    };
    let sub = format!(
        "Each box of PRIM's peeling and pasting trajectory: the share of the runs with \
         {outcome} it holds (coverage) against the share of its runs with {outcome} (density), \
         with 95% bands; {chosen_text}; {}",
        provenance(m)
    );
    let curve = draw::bands(
        &Frame {
            title: &title(m, &format!("coverage and density of boxes for {outcome}")),
            subtitle: &sub,
            x_desc: "coverage (share of the runs with the outcome that are in the box)",
            y_desc: "density (% of the box's runs with the outcome)",
        },
        LineX::Numeric,
        0.0,
        1.0,
        &[Band {
            name: "boxes".into(),
            points,
        }],
    )?;
    let mut out = vec![Chart::new(
        "tradeoff",
        "Coverage against density for every box of the PRIM trajectory",
        curve,
    )];
    let restricted: Vec<usize> = chosen
        .iter()
        .copied()
        .filter(|&r| !t.text(r, cf).is_empty())
        .collect();
    if !restricted.is_empty() {
        let mut cats = Vec::new();
        let mut spans = Vec::new();
        for &r in &restricted {
            let (min, max) = (t.num(r, cmin)?, t.num(r, cmax)?);
            let lo = t.num(r, clo)?;
            let hi = t.num(r, chi)?;
            let (a, b) = (
                if lo.is_nan() { min } else { lo },
                if hi.is_nan() { max } else { hi },
            );
            let w = (max - min).max(f64::MIN_POSITIVE);
            spans.push(((a - min) / w, (b - min) / w));
            // Three significant digits, as the sentence gives them.
            let show = |x: f64| {
                let mag = if x == 0.0 {
                    0
                } else {
                    brink::math::log10(x.abs()).floor() as i32
                };
                let d = (2 - mag).clamp(0, 9) as usize;
                format!("{x:.d$}")
            };
            cats.push(match (lo.is_nan(), hi.is_nan()) {
                (false, false) => format!("{}: {} to {}", t.text(r, cf), show(lo), show(hi)),
                (false, true) => format!("{}: above {}", t.text(r, cf), show(lo)),
                _ => format!("{}: below {}", t.text(r, cf), show(hi)),
            });
        }
        let n = cats.len();
        let series = vec![HSeries {
            name: "the box's range, as a share of each input's range over all runs".into(),
            values: vec![f64::NAN; n],
            intervals: spans,
            whiskers_only: true,
        }];
        let sub = format!(
            "{} ({})",
            m.raw["sentence"]
                .as_str()
                .unwrap_or("")
                .trim_end_matches('.'),
            provenance(m)
        );
        let d = draw::hbars(
            &Frame {
                title: &title(m, &format!("the box where {outcome} is likeliest")),
                subtitle: &sub,
                x_desc: "position in the input's range over all runs (0 = its minimum, 1 = its maximum)",
                y_desc: "",
            },
            &cats,
            0.0,
            1.0,
            &series,
            None,
            &|i| cats[i].clone(),
        )?;
        out.push(Chart::new(
            "box",
            "The chosen box: each restricted input's range within its range over all runs",
            d,
        ));
    }
    Ok(out)
}
