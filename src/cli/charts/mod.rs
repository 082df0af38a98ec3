//! Charts of a results directory, for `brink plot` and `brink report`. What is drawn follows
//! manifest.json's "command": a run gives its timeline, daily states, peak-level distribution
//! and histograms; a sweep gives probability against one parameter or heatmaps over two; a
//! compare gives difference bars with paired intervals; a sensitivity study gives Sobol index
//! bars and a Morris mu*/sigma plot. Charts are read from the CSVs only, which stay the contract.

pub mod data;
pub mod draw;
pub mod raster;

use std::collections::BTreeMap;
use std::path::Path;

use plotters::chart::SeriesLabelPosition;

use self::data::{Kind, Manifest, Table};
use self::draw::{Axis, Band, Frame, HSeries, PointGroup, percent, short};
use crate::cli::Result;

/// One chart: its file stem, a one-line description for the report, and the SVG text.
pub struct Chart {
    pub name: String,
    pub caption: String,
    pub svg: String,
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
    }
}

fn title(m: &Manifest, what: &str) -> String {
    format!("{}: {what}", m.scenario)
}

fn provenance(m: &Manifest) -> String {
    match (m.runs, m.seed) {
        (Some(r), Some(s)) => format!("{r} runs, seed {s}"),
        (Some(r), None) => format!("{r} runs"),
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

/// Upper end of a probability axis: a round value just above the data, at most 100%.
fn prob_top(max: f64) -> f64 {
    if max.is_nan() || max <= 0.0 {
        return 1.0;
    }
    let step = draw::nice_step(max / 5.0);
    (((max / step).floor() + 1.0) * step).min(1.0)
}

fn prob_axis(max: f64) -> Axis {
    let top = prob_top(max);
    Axis::numeric(0.0, top, 10, percent)
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
    let x = || Axis::dates(start, 0.0, horizon.max(1.0));
    let mut out = Vec::new();

    let events: Vec<&String> = order
        .iter()
        .filter(|id| is_event(id))
        .take(KEY_EVENTS)
        .collect();
    if !events.is_empty() {
        let b = bands(&events);
        let sub = format!(
            "Share of runs in which each event has happened by each date, with 95% bands; {}",
            provenance(m)
        );
        out.push(Chart {
            name: "timeline".into(),
            caption: "Cumulative probability of the key events over the calendar".into(),
            svg: draw::bands(
                &Frame {
                    title: &title(m, "cumulative probability of key events"),
                    subtitle: &sub,
                    x_desc: "date",
                    y_desc: "probability, cumulative (% of runs)",
                },
                x(),
                prob_axis(band_top(&b)),
                &b,
                SeriesLabelPosition::UpperLeft,
            )?,
        });
    }
    let states: Vec<&String> = order
        .iter()
        .filter(|id| !is_event(id))
        .take(MAX_SERIES)
        .collect();
    if !states.is_empty() {
        let b = bands(&states);
        let sub = format!(
            "Share of runs in each state at the end of each day, with 95% bands; {}",
            provenance(m)
        );
        out.push(Chart {
            name: "states".into(),
            caption: "Share of runs in each daily state".into(),
            svg: draw::bands(
                &Frame {
                    title: &title(m, "daily states"),
                    subtitle: &sub,
                    x_desc: "date",
                    y_desc: "share of runs in the state (%)",
                },
                x(),
                prob_axis(band_top(&b)),
                &b,
                SeriesLabelPosition::UpperRight,
            )?,
        });
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
        out.push(peak_chart(m, peak)?);
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

fn peak_chart(m: &Manifest, rows: &[(f64, f64)]) -> Result<Chart> {
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
    let labels: Vec<String> = share
        .iter()
        .map(|&s| format!("{:.1}%", 100.0 * s))
        .collect();
    let max = share.iter().cloned().fold(0.0, f64::max);
    let sub = format!(
        "Highest end-of-day escalation level reached in each run; {}",
        provenance(m)
    );
    Ok(Chart {
        name: "peak_level".into(),
        caption: "Distribution of the peak escalation level".into(),
        svg: draw::bars(
            &Frame {
                title: &title(m, "peak escalation level"),
                subtitle: &sub,
                x_desc: "peak level (escalation ladder rung)",
                y_desc: "share of runs (%)",
            },
            &names,
            &share,
            &labels,
            prob_axis(max * 1.08),
            "share of runs",
        )?,
    })
}

fn histogram_chart(m: &Manifest, q: &SummaryRow, rows: &[(f64, f64)]) -> Result<Chart> {
    let (words, unit) = humanize(&q.metric);
    let lo = rows.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
    let hi = rows.iter().map(|r| r.0).fold(f64::NEG_INFINITY, f64::max);
    // Integer-valued metrics get bins of a whole number of units, about 40 across the range.
    let width = draw::nice_step((hi - lo + 1.0) / 40.0).max(1.0);
    let mut bins: BTreeMap<i64, f64> = BTreeMap::new();
    for &(v, s) in rows {
        *bins.entry((v / width).floor() as i64).or_default() += s;
    }
    // A bar per value is centred on its value; wider bins start at their lower bound.
    let shift = if width == 1.0 { -0.5 } else { 0.0 };
    let bins: Vec<(f64, f64, f64)> = bins
        .into_iter()
        .map(|(k, s)| (k as f64 * width + shift, (k + 1) as f64 * width + shift, s))
        .collect();
    let max = bins.iter().map(|b| b.2).fold(0.0, f64::max);
    let x_lo = (lo / width).floor() * width + shift;
    let x_hi = ((hi / width).floor() + 1.0) * width + shift;
    let x = Axis::numeric(x_lo, x_hi, 12, short);
    let unit_txt = if unit.is_empty() {
        String::new()
    } else {
        format!(" ({unit})")
    };
    let bin_txt = if width > 1.0 {
        format!(
            "bins of {} {}",
            short(width),
            if unit.is_empty() { "units" } else { unit }
        )
    } else {
        "one bar per value".into()
    };
    let censor = if q.metric == "war_duration_days" {
        " A war still going at the horizon counts up to the horizon."
    } else {
        ""
    };
    let sub = format!(
        "Among the {} runs where it is defined: mean {}, median {}; {bin_txt}.{censor}",
        q.n,
        short((q.mean * 100.0).round() / 100.0),
        short(q.p50)
    );
    Ok(Chart {
        name: file_stem(&q.metric),
        caption: format!("Distribution of {words}{unit_txt}"),
        svg: draw::histogram(
            &Frame {
                title: &title(m, &format!("distribution of {words}")),
                subtitle: &sub,
                x_desc: &format!("{words}{unit_txt}"),
                y_desc: "share of runs where defined (%)",
            },
            x,
            prob_axis(max * 1.05),
            &bins,
            &format!("{} (n = {})", q.metric, q.n),
        )?,
    })
}

// ---------------------------------------------------------------------------------------------
// brink sweep

struct SweepRow {
    point: String,
    metric: String,
    mean: f64,
    lo: f64,
    hi: f64,
}

fn sweep_charts(dir: &Path, m: &Manifest) -> Result<Vec<Chart>> {
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
    let (sp, sm, sk, smean, sl, sh) = (
        sw.col("point")?,
        sw.col("metric")?,
        sw.col("kind")?,
        sw.col("mean")?,
        sw.col("ci_low")?,
        sw.col("ci_high")?,
    );
    let mut rows = Vec::new();
    let mut metrics: Vec<String> = Vec::new();
    for r in 0..sw.rows.len() {
        if sw.text(r, sk) != "probability" {
            continue;
        }
        let metric = sw.text(r, sm).to_string();
        if !metrics.contains(&metric) {
            metrics.push(metric.clone());
        }
        rows.push(SweepRow {
            point: sw.text(r, sp).to_string(),
            metric,
            mean: sw.num(r, smean)?,
            lo: sw.num(r, sl)?,
            hi: sw.num(r, sh)?,
        });
    }
    metrics.truncate(MAX_SERIES);
    let mut out = Vec::new();
    if params.len() == 1 {
        let p = &params[0];
        let mut b = sweep_bands(&metrics, &rows, |r| {
            at.get(&(r.point.clone(), p.clone())).copied()
        });
        for s in &mut b {
            s.points.sort_by(|a, c| a.0.total_cmp(&c.0));
        }
        let xs: Vec<f64> = b
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        let (lo, hi) = padded(
            xs.iter().cloned().fold(f64::INFINITY, f64::min),
            xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        );
        let top = band_top(&b);
        let sub = format!(
            "Probability at each of {} values of the parameter, with 95% bands; {}",
            points.len(),
            provenance(m)
        );
        out.push(Chart {
            name: format!("sweep_{}", file_stem(p)),
            caption: format!("Probabilities against {p}"),
            svg: draw::bands(
                &Frame {
                    title: &title(m, &format!("probability against {p}")),
                    subtitle: &sub,
                    x_desc: &format!("{p} (parameter value)"),
                    y_desc: "probability (% of runs)",
                },
                Axis::numeric(lo, hi, 10, short),
                prob_axis(top),
                &b,
                SeriesLabelPosition::UpperLeft,
            )?,
        });
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
        for metric in &metrics {
            let mut z = vec![vec![f64::NAN; xs.len()]; ys.len()];
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
                    z[yi][xi] = r.mean;
                }
            }
            let sub = format!(
                "Probability of {metric} over a {} × {} grid (intervals in sweep.csv); {}",
                xs.len(),
                ys.len(),
                provenance(m)
            );
            let names = |v: &[f64]| v.iter().map(|x| short(*x)).collect::<Vec<_>>();
            out.push(Chart {
                name: format!("heatmap_{}", file_stem(metric)),
                caption: format!("Probability of {metric} over {px} and {py}"),
                svg: draw::heatmap(
                    &Frame {
                        title: &title(m, &format!("{metric} by two parameters")),
                        subtitle: &sub,
                        x_desc: &format!("{px} (parameter value)"),
                        y_desc: &format!("{py} (parameter value)"),
                    },
                    &names(&xs),
                    &names(&ys),
                    &z,
                    "probability",
                    percent,
                )?,
            });
        }
    } else {
        // Three or more parameters: no axis is shared, so show each point in turn.
        let b = sweep_bands(&metrics, &rows, |r| {
            points.iter().position(|p| *p == r.point).map(|x| x as f64)
        });
        let top = band_top(&b);
        let sub = format!(
            "{} parameters varied together (values in points.csv), with 95% bands; {}",
            params.len(),
            provenance(m)
        );
        out.push(Chart {
            name: "sweep_points".into(),
            caption: "Probabilities at each sweep point".into(),
            svg: draw::bands(
                &Frame {
                    title: &title(m, "probability at each sweep point"),
                    subtitle: &sub,
                    x_desc: "sweep point (see points.csv)",
                    y_desc: "probability (% of runs)",
                },
                Axis::categories(&points),
                prob_axis(top),
                &b,
                SeriesLabelPosition::UpperLeft,
            )?,
        });
    }
    Ok(out)
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

/// The highest finite upper bound of any band, for the probability axis.
fn band_top(bands: &[Band]) -> f64 {
    bands
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.3))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------------
// brink compare

fn compare_charts(dir: &Path, m: &Manifest) -> Result<Vec<Chart>> {
    let t = Table::read(dir, "compare.csv")?;
    let c = |n: &str| t.col(n);
    let (cm, ck, cd, cl, ch, ul, uh) = (
        c("metric")?,
        c("kind")?,
        c("difference")?,
        c("ci_low")?,
        c("ci_high")?,
        c("unpaired_ci_low")?,
        c("unpaired_ci_high")?,
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
        let all = d.iter().chain(&lo).chain(&hi).chain(&ulo).chain(&uhi);
        let (mn, mx) = all
            .filter(|v| v.is_finite())
            .fold((0.0f64, 0.0f64), |a, &v| (a.0.min(v), a.1.max(v)));
        let (mn, mx) = padded(mn, mx);
        let series = [
            HSeries {
                name: "difference, variant − base, with paired 95% interval".into(),
                values: d,
                intervals: lo.into_iter().zip(hi).collect(),
                whiskers_only: false,
            },
            HSeries {
                name: "95% interval if the runs were unpaired".into(),
                values: Vec::new(),
                intervals: ulo.into_iter().zip(uhi).collect(),
                whiskers_only: true,
            },
        ];
        let sub = format!(
            "Same seeds in both, so each run is paired with its counterpart; {}",
            provenance(m)
        );
        let what = if kind == "probability" {
            "change in probability"
        } else {
            "change in quantities"
        };
        out.push(Chart {
            name: name.into(),
            caption: format!("Variant minus base: {what}"),
            svg: draw::hbars(
                &Frame {
                    title: &title(m, &format!("variant minus base, {what}")),
                    subtitle: &sub,
                    x_desc: &format!("difference, variant − base ({unit})"),
                    y_desc: "metric",
                },
                &cats,
                Axis::numeric(mn, mx, 10, short),
                &series,
            )?,
        });
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
        let series: Vec<HSeries> = [("first", "first-order index"), ("total", "total index")]
            .iter()
            .map(|(i, name)| HSeries {
                name: format!("{name}, with 95% interval"),
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
        let sub = format!(
            "Share of the variance of {metric} due to each parameter alone (first) and with its \
             interactions (total); {}",
            provenance(m)
        );
        out.push(Chart {
            name: format!("sobol_{}", file_stem(metric)),
            caption: format!("Sobol indices for {metric}"),
            svg: draw::hbars(
                &Frame {
                    title: &title(m, &format!("what drives {metric} (Sobol indices)")),
                    subtitle: &sub,
                    x_desc: "Sobol index (share of output variance)",
                    y_desc: "parameter",
                },
                &params,
                Axis::numeric(mn, mx, 10, short),
                &series,
            )?,
        });
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
        let mut g = PointGroup {
            name: format!("parameter (effect on {metric})"),
            points: Vec::new(),
        };
        for r in (0..t.rows.len()).filter(|&r| t.text(r, cm) == metric) {
            g.points
                .push((t.text(r, cp).to_string(), t.num(r, cmu)?, t.num(r, cs)?));
        }
        let finite_max = |f: fn(&(String, f64, f64)) -> f64| {
            g.points
                .iter()
                .map(f)
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max)
        };
        let (_, mx) = padded(0.0, finite_max(|p| p.1).max(1e-6));
        // Headroom above the highest point keeps the legend clear of the data.
        let my = 1.35 * finite_max(|p| p.2).max(1e-6);
        let sub = format!(
            "Mean absolute elementary effect (mu*) against its spread (sigma, high when effects \
             are non-linear or interact); {}",
            provenance(m)
        );
        out.push(Chart {
            name: format!("morris_{}", file_stem(metric)),
            caption: format!("Morris screening of {metric}: mu* against sigma"),
            svg: draw::scatter(
                &Frame {
                    title: &title(m, &format!("Morris screening of {metric}")),
                    subtitle: &sub,
                    x_desc: "mu* (mean absolute effect, metric units)",
                    y_desc: "sigma (metric units)",
                },
                Axis::numeric(0.0, mx, 10, short),
                Axis::numeric(0.0, my, 10, short),
                std::slice::from_ref(&g),
            )?,
        });
    }
    Ok(())
}
