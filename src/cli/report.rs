//! `brink report`: one self-contained HTML page of a results directory, to explore offline.
//!
//! Usage: brink report RESULTS_DIR [--out DIR] [--quiet]
//!
//! RESULTS_DIR may also be a scenario's folder of runs (`results/iran_2026`): its newest run
//! is reported.
//! Writes report.html into DIR (by default RESULTS_DIR) for any result (run, sweep, compare,
//! sensitivity): what produced it (scenario, checksum, seed, runs, brink version, overrides),
//! every chart of `brink plot` inline as SVG, the main results as formatted tables, and the
//! scenario as `brink explain` tells it, in a collapsible section. In a browser, a line chart
//! shows the values under the pointer, bars, cells and points show theirs on hover, a click
//! on a legend entry hides or shows its series, and a click on a column heading sorts a table.
//! It loads nothing from the network (no fonts, scripts or styles from elsewhere), so it opens
//! offline and can be mailed as one file; its script is a few dozen lines written here.
//!
//! The page is HTML5 written in XML syntax (every element closed, attributes quoted, scripts
//! in CDATA), so that tests can check it with a strict parser as well as with an HTML one.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Result;
use super::charts::{self, data, num};
use super::output::atomic;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Results directory written by brink run, sweep, compare or sensitivity, or a scenario's
    /// folder of runs (its `latest` run is used).
    pub results: PathBuf,
    /// Output directory [default: the results directory; for a scenario's folder of runs,
    /// its newest run].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not report the file written on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let results = data::results_dir(&args.results)?;
    let m = data::manifest(&results)?;
    let charts = charts::charts(&results, &m)?;
    let none = charts
        .is_empty()
        .then(|| charts::nothing_to_chart(&results, &m));
    let tables = tables(&results, &m)?;
    let explained = explanation(&m, &results);
    let html = page(&m, &charts, none.as_deref(), &tables, &explained);
    let out = args.out.unwrap_or(results);
    super::outdir::ensure_dir(&out)?;
    atomic(&out, "report.html", |w| {
        Ok(std::io::Write::write_all(w, html.as_bytes())?)
    })?;
    if !args.quiet {
        if let Some(why) = &none {
            say!("brink: no charts in the report: {why}");
        }
        say!("brink: wrote {}", out.join("report.html").display());
    }
    Ok(())
}

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    charts::svg::esc(s)
}

// ---------------------------------------------------------------------------------------------
// Tables

/// A table as the report shows it: each cell its text and, for sorting, its number.
struct Table {
    id: String,
    title: String,
    note: String,
    head: Vec<String>,
    /// Columns holding numbers: right-aligned.
    numeric: Vec<bool>,
    /// Many columns: intervals go under their values so the table fits the page.
    stack: bool,
    rows: Vec<Vec<Cell>>,
}

struct Cell {
    text: String,
    /// An interval shown after the value, smaller.
    interval: Option<String>,
    sort: Option<f64>,
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            interval: None,
            sort: None,
        }
    }
    fn num(text: String, v: f64) -> Cell {
        Cell {
            text,
            interval: None,
            sort: Some(v),
        }
    }
    fn with(mut self, interval: String) -> Cell {
        self.interval = Some(interval);
        self
    }
    /// With the interval [lo, hi], unless none was computed (both ends empty in the CSV, as
    /// with `sensitivity --bootstrap 0`).
    fn with_interval(self, lo: f64, hi: f64, f: impl Fn(f64) -> String) -> Cell {
        if lo.is_nan() && hi.is_nan() {
            self
        } else {
            self.with(interval(lo, hi, f))
        }
    }
}

fn tables(dir: &Path, m: &data::Manifest) -> Result<Vec<Table>> {
    let has = |f: &str| dir.join(f).is_file();
    let mut out = Vec::new();
    match m.kind {
        data::Kind::Run => run_tables(&data::Table::read(dir, "summary.csv")?, &mut out)?,
        data::Kind::Compare => {
            compare_tables(&data::Table::read(dir, "compare.csv")?, &mut out)?;
        }
        data::Kind::Sweep => out.push(sweep_table(
            &data::Table::read(dir, "points.csv")?,
            &data::Table::read(dir, "sweep.csv")?,
        )?),
        data::Kind::Sensitivity => {
            if has("sobol.csv") {
                out.push(sobol_table(&data::Table::read(dir, "sobol.csv")?)?);
            }
            if has("morris.csv") {
                out.push(morris_table(&data::Table::read(dir, "morris.csv")?)?);
            }
        }
        data::Kind::Score => score_tables(
            &data::Table::read(dir, "skill.csv")?,
            &data::Table::read(dir, "score.csv")?,
            &mut out,
        )?,
        data::Kind::Watch => out.push(watch_table(&data::Table::read(dir, "watch.csv")?)?),
        data::Kind::Discover => {
            discover_tables(&data::Table::read(dir, "discover.csv")?, &mut out)?;
        }
    }
    Ok(out)
}

/// A score in a table: four decimals, or a dash where there is none.
fn score4(x: f64) -> Cell {
    if x.is_finite() {
        Cell::num(num::fixed(x, 4), x)
    } else {
        Cell::num("–".into(), f64::NAN)
    }
}

fn skill_cell(x: f64) -> Cell {
    if x.is_finite() {
        Cell::num(num::signed(x, 2), x)
    } else {
        Cell::num("–".into(), f64::NAN)
    }
}

fn score_tables(skill: &data::Table, score: &data::Table, out: &mut Vec<Table>) -> Result<()> {
    let (cs, cm, cr) = (
        skill.col("scope")?,
        skill.col("metric")?,
        skill.col("reference")?,
    );
    let v = cols(
        skill,
        &[
            "items",
            "model_brier",
            "reference_brier",
            "brier_skill",
            "model_log_score",
            "reference_log_score",
            "log_skill",
        ],
    )?;
    let reference = |r: &str| match r {
        "coin" => "coin (0.5)".to_string(),
        "constant_hazard" => "constant hazard".to_string(),
        other => other.replace('_', " "),
    };
    out.push(Table {
        id: "skill".into(),
        title: "Skill against reference forecasters".into(),
        note: "Mean Brier and log scores (lower is better) of the model and of each reference                on the same forecasts, and the skill 1 − model / reference (skill.csv)."
            .into(),
        head: [
            "event",
            "reference",
            "forecasts",
            "model Brier",
            "reference Brier",
            "Brier skill",
            "model log score",
            "reference log score",
            "log skill",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, true, true, true, true, true, true, true],
        stack: false,
        rows: (0..skill.rows.len())
            .map(|r| {
                let x = &v[r];
                let scope = match skill.text(r, cs) {
                    "all" => "all events".to_string(),
                    _ => skill.text(r, cm).to_string(),
                };
                vec![
                    Cell::text(scope),
                    Cell::text(reference(skill.text(r, cr))),
                    Cell::num(num::thousands(x[0] as u64), x[0]),
                    score4(x[1]),
                    score4(x[2]),
                    skill_cell(x[3]),
                    score4(x[4]),
                    score4(x[5]),
                    skill_cell(x[6]),
                ]
            })
            .collect(),
    });
    let (qm, qk) = (score.col("metric")?, score.col("kind")?);
    let qv = cols(score, &["observed", "forecast", "crps"])?;
    let qs: Vec<usize> = (0..score.rows.len())
        .filter(|&r| score.text(r, qk) == "quantity")
        .collect();
    if !qs.is_empty() {
        out.push(Table {
            id: "crps".into(),
            title: "Observed quantities".into(),
            note: "Each observed quantity against the model's distribution of it: its mean and                    the continuous ranked probability score, in the quantity's units (score.csv)."
                .into(),
            head: ["quantity", "observed", "forecast mean", "CRPS"]
                .map(String::from)
                .to_vec(),
            numeric: vec![false, true, true, true],
            stack: false,
            rows: qs
                .iter()
                .map(|&r| {
                    let x = &qv[r];
                    vec![
                        Cell::text(score.text(r, qm)),
                        Cell::num(num::short(x[0]), x[0]),
                        Cell::num(num::fixed(x[1], 2), x[1]),
                        Cell::num(num::fixed(x[2], 3), x[2]),
                    ]
                })
                .collect(),
        });
    }
    Ok(())
}

fn watch_table(t: &data::Table) -> Result<Table> {
    let (cs, cd) = (t.col("signpost")?, t.col("date")?);
    let v = cols(
        t,
        &[
            "signpost_probability",
            "signpost_ci_low",
            "signpost_ci_high",
            "if_signpost",
            "if_signpost_ci_low",
            "if_signpost_ci_high",
            "if_no_signpost",
            "if_no_signpost_ci_low",
            "if_no_signpost_ci_high",
            "lift",
            "lift_ci_low",
            "lift_ci_high",
            "expected_shift",
        ],
    )?;
    let share = |x: f64, lo: f64, hi: f64| {
        if x.is_finite() {
            Cell::num(num::pct(x, 1), x).with(interval(lo, hi, |y| num::percent(y, 1)))
        } else {
            Cell::num("–".into(), f64::NAN)
        }
    };
    Ok(Table {
        id: "watch".into(),
        title: "What to watch".into(),
        note: "For each signpost and date: how likely the signpost is by then, the outcome's                probability if it has happened and if it has not (Wilson 95% intervals), the                lift P(outcome | signpost) / P(outcome) and the expected shift of the forecast,                by which the rows are sorted (watch.csv)."
            .into(),
        head: [
            "signpost",
            "by",
            "signpost [95%]",
            "outcome if seen [95%]",
            "outcome if not [95%]",
            "lift [95%]",
            "expected shift",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, true, true, true, true, true],
        stack: true,
        rows: (0..t.rows.len())
            .map(|r| {
                let x = &v[r];
                vec![
                    Cell::text(t.text(r, cs)),
                    Cell::text(t.text(r, cd)),
                    share(x[0], x[1], x[2]),
                    share(x[3], x[4], x[5]),
                    share(x[6], x[7], x[8]),
                    if x[9].is_finite() {
                        Cell::num(num::fixed(x[9], 2), x[9])
                            .with(interval(x[10], x[11], |y| num::fixed(y, 2)))
                    } else {
                        Cell::num("–".into(), f64::NAN)
                    },
                    Cell::num(num::percent(x[12], 2) + " pp", x[12]),
                ]
            })
            .collect(),
    })
}

fn discover_tables(t: &data::Table, out: &mut Vec<Table>) -> Result<()> {
    let (cb, cst, cf) = (t.col("box")?, t.col("stage")?, t.col("feature")?);
    let v = cols(
        t,
        &[
            "coverage",
            "density",
            "mass",
            "restricted",
            "low",
            "high",
            "quasi_p_low",
            "quasi_p_high",
        ],
    )?;
    let limit = |x: f64| {
        if x.is_finite() {
            Cell::num(num::short(x), x)
        } else {
            Cell::num(String::new(), f64::NAN)
        }
    };
    let qp = |x: f64| {
        if x.is_finite() {
            Cell::num(format!("{x:.2e}"), x)
        } else {
            Cell::num(String::new(), f64::NAN)
        }
    };
    let chosen: Vec<usize> = (0..t.rows.len())
        .filter(|&r| t.text(r, cst) == "chosen" && !t.text(r, cf).is_empty())
        .collect();
    out.push(Table {
        id: "box".into(),
        title: "The chosen box".into(),
        note: "Each restriction of the chosen box, with its quasi-p-value on each side: the                chance of the box's density if the restriction were lifted (discover.csv)."
            .into(),
        head: ["input", "low", "high", "quasi-p low", "quasi-p high"]
            .map(String::from)
            .to_vec(),
        numeric: vec![false, true, true, true, true],
        stack: false,
        rows: chosen
            .iter()
            .map(|&r| {
                let x = &v[r];
                vec![
                    Cell::text(t.text(r, cf)),
                    limit(x[4]),
                    limit(x[5]),
                    qp(x[6]),
                    qp(x[7]),
                ]
            })
            .collect(),
    });
    let mut seen = std::collections::BTreeSet::new();
    let mut rows = Vec::new();
    for (r, x) in v.iter().enumerate() {
        if t.text(r, cst) == "chosen" || !seen.insert(t.text(r, cb).to_string()) {
            continue;
        }
        rows.push(vec![
            Cell::num(t.text(r, cb).to_string(), r as f64),
            Cell::text(t.text(r, cst)),
            Cell::num(num::pct(x[0], 1), x[0]),
            Cell::num(num::pct(x[1], 1), x[1]),
            Cell::num(num::pct(x[2], 1), x[2]),
            Cell::num(format!("{}", x[3] as u64), x[3]),
        ]);
    }
    out.push(Table {
        id: "trajectory".into(),
        title: "Peeling and pasting trajectory".into(),
        note: "Every box PRIM visited: the share of the outcome's runs it holds (coverage), the                share of its runs with the outcome (density), its share of all runs (mass) and                how many inputs it restricts (discover.csv)."
            .into(),
        head: ["box", "stage", "coverage", "density", "mass", "restricted"]
            .map(String::from)
            .to_vec(),
        numeric: vec![true, false, true, true, true, true],
        stack: false,
        rows,
    });
    Ok(())
}

/// Reads named columns of every row as numbers.
fn cols(t: &data::Table, names: &[&str]) -> Result<Vec<Vec<f64>>> {
    let idx: Vec<usize> = names.iter().map(|n| t.col(n)).collect::<Result<_>>()?;
    (0..t.rows.len())
        .map(|r| idx.iter().map(|&c| t.num(r, c)).collect())
        .collect()
}

fn interval(lo: f64, hi: f64, f: impl Fn(f64) -> String) -> String {
    format!("[{}, {}]", f(lo), f(hi))
}

fn run_tables(t: &data::Table, out: &mut Vec<Table>) -> Result<()> {
    let (cm, ck) = (t.col("metric")?, t.col("kind")?);
    let v = cols(
        t,
        &[
            "n", "mean", "ci_low", "ci_high", "sd", "p05", "p25", "p50", "p75", "p95",
        ],
    )?;
    let probs: Vec<usize> = (0..t.rows.len())
        .filter(|&r| t.text(r, ck) == "probability")
        .collect();
    let d = num::for_halfwidths(probs.iter().map(|&r| 50.0 * (v[r][3] - v[r][2])), 2);
    out.push(Table {
        id: "events".into(),
        title: "Events".into(),
        note: "Share of runs in which each event happened, with its Wilson 95% interval \
               (summary.csv)."
            .into(),
        head: vec![
            "metric".into(),
            "probability [95% interval]".into(),
            "runs".into(),
        ],
        numeric: vec![false, true, true],
        stack: false,
        rows: probs
            .iter()
            .map(|&r| {
                vec![
                    Cell::text(t.text(r, cm)),
                    Cell::num(num::pct(v[r][1], d), v[r][1]).with(interval(
                        v[r][2],
                        v[r][3],
                        |x| num::percent(x, d),
                    )),
                    Cell::num(num::thousands(v[r][0] as u64), v[r][0]),
                ]
            })
            .collect(),
    });
    let qs: Vec<usize> = (0..t.rows.len())
        .filter(|&r| t.text(r, ck) == "quantity")
        .collect();
    if !qs.is_empty() {
        out.push(Table {
            id: "quantities".into(),
            title: "Quantities".into(),
            note: "Among the runs where each is defined: mean with its 95% interval, standard \
                   deviation and exact quantiles (summary.csv); each row to the precision of \
                   its interval."
                .into(),
            head: [
                "metric",
                "runs",
                "mean [95% interval]",
                "sd",
                "p05",
                "p25",
                "median",
                "p75",
                "p95",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, true, true, true, true, true, true, true, true],
            stack: false,
            rows: qs
                .iter()
                .map(|&r| {
                    let x = &v[r];
                    let d = num::for_halfwidths([(x[3] - x[2]) / 2.0], 3);
                    let f = |y: f64| num::fixed(y, d);
                    // Quantiles of a whole-number metric are whole numbers: no decimals.
                    let dq = d.min(num::for_values(x[5..].iter().copied()));
                    let mut row = vec![
                        Cell::text(t.text(r, cm)),
                        Cell::num(num::thousands(x[0] as u64), x[0]),
                        Cell::num(f(x[1]), x[1]).with(interval(x[2], x[3], f)),
                        Cell::num(f(x[4]), x[4]),
                    ];
                    row.extend(x[5..].iter().map(|&y| Cell::num(num::fixed(y, dq), y)));
                    row
                })
                .collect(),
        });
    }
    Ok(())
}

fn compare_tables(t: &data::Table, out: &mut Vec<Table>) -> Result<()> {
    let (cm, ck) = (t.col("metric")?, t.col("kind")?);
    let v = cols(
        t,
        &[
            "n",
            "base",
            "variant",
            "difference",
            "ci_low",
            "ci_high",
            "unpaired_ci_low",
            "unpaired_ci_high",
            "share_changed",
        ],
    )?;
    for (kind, title, scale, unit) in [
        (
            "probability",
            "Change in probability",
            100.0,
            "percentage points",
        ),
        (
            "quantity",
            "Change in quantities",
            1.0,
            "the metric's units",
        ),
    ] {
        let rows: Vec<usize> = (0..t.rows.len())
            .filter(|&r| t.text(r, ck) == kind)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let d = num::for_halfwidths(rows.iter().map(|&r| scale * (v[r][5] - v[r][4]) / 2.0), 3);
        let level = |x: f64| {
            if kind == "probability" {
                num::pct(x, d)
            } else {
                num::fixed(x, d)
            }
        };
        out.push(Table {
            id: format!("compare-{kind}"),
            title: title.into(),
            note: format!(
                "Variant minus base on paired runs, in {unit}: the paired 95% interval, the \
                 interval the same runs would give unpaired, how many times narrower pairing \
                 makes it, and the share of runs whose outcome changed (compare.csv)."
            ),
            head: [
                "metric",
                "base",
                "variant",
                "difference [paired 95%]",
                "unpaired 95%",
                "narrower",
                "runs changed",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, true, true, true, true, true, true],
            stack: false,
            rows: rows
                .iter()
                .map(|&r| {
                    let x = &v[r];
                    let s = |y: f64| num::signed(scale * y, d);
                    let (paired, unpaired) = (x[5] - x[4], x[7] - x[6]);
                    let ratio = if paired > 0.0 {
                        unpaired / paired
                    } else {
                        f64::NAN
                    };
                    vec![
                        Cell::text(t.text(r, cm)),
                        Cell::num(level(x[1]), x[1]),
                        Cell::num(level(x[2]), x[2]),
                        Cell::num(s(x[3]), x[3]).with(interval(x[4], x[5], s)),
                        Cell::num(interval(x[6], x[7], s), unpaired),
                        Cell::num(
                            if ratio.is_finite() {
                                format!("{}×", num::fixed(ratio, 1))
                            } else {
                                "–".into()
                            },
                            ratio,
                        ),
                        Cell::num(num::pct(x[8], 1), x[8]),
                    ]
                })
                .collect(),
        });
    }
    Ok(())
}

fn sweep_table(points: &data::Table, sweep: &data::Table) -> Result<Table> {
    let (pp, pn, pv) = (
        points.col("point")?,
        points.col("parameter")?,
        points.col("value")?,
    );
    let mut params: Vec<String> = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let mut at: std::collections::BTreeMap<(String, String), f64> = Default::default();
    for r in 0..points.rows.len() {
        let (p, n) = (points.text(r, pp), points.text(r, pn));
        if !params.iter().any(|x| x == n) {
            params.push(n.to_string());
        }
        if !order.iter().any(|x| x == p) {
            order.push(p.to_string());
        }
        at.insert((p.to_string(), n.to_string()), points.num(r, pv)?);
    }
    let (sp, sm, sk) = (
        sweep.col("point")?,
        sweep.col("metric")?,
        sweep.col("kind")?,
    );
    let v = cols(sweep, &["mean", "ci_low", "ci_high"])?;
    let mut metrics: Vec<(String, bool)> = Vec::new();
    let mut cell: std::collections::BTreeMap<(String, String), [f64; 3]> = Default::default();
    for (r, x) in v.iter().enumerate() {
        let m = sweep.text(r, sm);
        if !metrics.iter().any(|x| x.0 == m) {
            metrics.push((m.to_string(), sweep.text(r, sk) == "probability"));
        }
        cell.insert(
            (sweep.text(r, sp).to_string(), m.to_string()),
            [x[0], x[1], x[2]],
        );
    }
    // Each metric's column to the precision of its narrowest interval; each parameter's to
    // that of its values.
    let dec: Vec<usize> = metrics
        .iter()
        .map(|(m, prob)| {
            let scale = if *prob { 100.0 } else { 1.0 };
            num::for_halfwidths(
                cell.iter()
                    .filter(|((_, mm), _)| mm == m)
                    .map(|(_, c)| scale * (c[2] - c[1]) / 2.0),
                3,
            )
        })
        .collect();
    // A grid's values as written (0.35, 0.425); a Latin hypercube's, to four significant
    // digits of the largest.
    let pdec: Vec<usize> = params
        .iter()
        .map(|p| {
            let vals: Vec<f64> = at
                .iter()
                .filter(|((_, n), _)| n == p)
                .map(|(_, v)| *v)
                .collect();
            let max = vals.iter().map(|v| v.abs()).fold(0.0, f64::max);
            let four = if max > 0.0 {
                (3 - brink::math::log10(max).floor() as i32).max(0) as usize
            } else {
                0
            };
            num::for_values(vals).min(four)
        })
        .collect();
    let mut head = vec!["point".to_string()];
    head.extend(params.iter().cloned());
    head.extend(metrics.iter().map(|(m, _)| format!("{m} [95%]")));
    let numeric = vec![true; head.len()];
    let rows = order
        .iter()
        .map(|p| {
            let mut row = vec![Cell::num(p.clone(), p.parse().unwrap_or(f64::NAN))];
            for (k, n) in params.iter().enumerate() {
                let x = at.get(&(p.clone(), n.clone())).copied().unwrap_or(f64::NAN);
                row.push(Cell::num(num::fixed(x, pdec[k]), x));
            }
            for (k, (m, prob)) in metrics.iter().enumerate() {
                let c = cell
                    .get(&(p.clone(), m.clone()))
                    .copied()
                    .unwrap_or([f64::NAN; 3]);
                let f = |y: f64| {
                    if *prob {
                        num::percent(y, dec[k])
                    } else {
                        num::fixed(y, dec[k])
                    }
                };
                let text = if *prob {
                    num::pct(c[0], dec[k])
                } else {
                    f(c[0])
                };
                row.push(Cell::num(text, c[0]).with(interval(c[1], c[2], f)));
            }
            row
        })
        .collect();
    Ok(Table {
        id: "sweep".into(),
        title: "Sweep points".into(),
        note: "One row per point: the parameter values (points.csv), then each metric's \
               probability or mean with its 95% interval (sweep.csv)."
            .into(),
        head,
        numeric,
        stack: metrics.len() + params.len() > 4,
        rows,
    })
}

fn sobol_table(t: &data::Table) -> Result<Table> {
    let (cm, cp, ci) = (t.col("metric")?, t.col("parameter")?, t.col("index")?);
    let v = cols(t, &["value", "ci_low", "ci_high"])?;
    let d = num::for_halfwidths((0..t.rows.len()).map(|r| (v[r][2] - v[r][1]) / 2.0), 3).max(2);
    let f = |y: f64| num::fixed(y, d);
    // One row per metric and parameter, first-order and total side by side.
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut by: std::collections::BTreeMap<(String, String, String), usize> = Default::default();
    for r in 0..t.rows.len() {
        let k = (t.text(r, cm).to_string(), t.text(r, cp).to_string());
        if !keys.contains(&k) {
            keys.push(k.clone());
        }
        by.insert((k.0, k.1, t.text(r, ci).to_string()), r);
    }
    // Each metric's parameters, the largest total index first, as on the charts.
    let metric_order: Vec<&str> = keys
        .iter()
        .map(|k| k.0.as_str())
        .fold(Vec::new(), |mut o, m| {
            if !o.contains(&m) {
                o.push(m);
            }
            o
        });
    let total = |k: &(String, String)| {
        by.get(&(k.0.clone(), k.1.clone(), "total".to_string()))
            .map_or(f64::NEG_INFINITY, |&r| v[r][0])
    };
    let mut keys = keys.clone();
    keys.sort_by(|a, b| {
        let pos = |k: &(String, String)| metric_order.iter().position(|m| *m == k.0);
        pos(a).cmp(&pos(b)).then(total(b).total_cmp(&total(a)))
    });
    let rows = keys
        .iter()
        .map(|(m, p)| {
            let mut row = vec![Cell::text(m.clone()), Cell::text(p.clone())];
            for index in ["first", "total"] {
                row.push(match by.get(&(m.clone(), p.clone(), index.to_string())) {
                    Some(&r) => Cell::num(f(v[r][0]), v[r][0]).with_interval(v[r][1], v[r][2], f),
                    None => Cell::num("–".into(), f64::NAN),
                });
            }
            row
        })
        .collect();
    Ok(Table {
        id: "sobol".into(),
        title: "Sobol indices".into(),
        note: "Share of each metric's variance due to each parameter alone (first-order) and \
               with its interactions (total), with bootstrap 95% intervals (sobol.csv)."
            .into(),
        head: ["metric", "parameter", "first-order [95%]", "total [95%]"]
            .map(String::from)
            .to_vec(),
        numeric: vec![false, false, true, true],
        stack: false,
        rows,
    })
}

fn morris_table(t: &data::Table) -> Result<Table> {
    let (cm, cp) = (t.col("metric")?, t.col("parameter")?);
    let v = cols(
        t,
        &[
            "mu",
            "mu_star",
            "sigma",
            "mu_star_ci_low",
            "mu_star_ci_high",
        ],
    )?;
    let max = v
        .iter()
        .flat_map(|x| [x[0].abs(), x[1], x[2]])
        .filter(|x| x.is_finite())
        .fold(0.0, f64::max);
    let d = num::for_magnitude(max, 2);
    let f = |y: f64| num::fixed(y, d);
    Ok(Table {
        id: "morris".into(),
        title: "Morris elementary effects".into(),
        note: "Mean effect μ, mean absolute effect μ* with its bootstrap 95% interval, and \
               spread σ, in the metric's units per unit of quantile (morris.csv)."
            .into(),
        head: ["metric", "parameter", "μ", "μ* [95%]", "σ"]
            .map(String::from)
            .to_vec(),
        numeric: vec![false, false, true, true, true],
        stack: false,
        rows: by_effect(t, cm, &v)
            .into_iter()
            .map(|r| {
                let x = &v[r];
                vec![
                    Cell::text(t.text(r, cm)),
                    Cell::text(t.text(r, cp)),
                    Cell::num(f(x[0]), x[0]),
                    Cell::num(f(x[1]), x[1]).with_interval(x[3], x[4], f),
                    Cell::num(f(x[2]), x[2]),
                ]
            })
            .collect(),
    })
}

/// Rows of morris.csv metric by metric (in file order), the largest μ* first.
fn by_effect(t: &data::Table, cm: usize, v: &[Vec<f64>]) -> Vec<usize> {
    let mut metrics: Vec<&str> = Vec::new();
    for r in 0..t.rows.len() {
        if !metrics.contains(&t.text(r, cm)) {
            metrics.push(t.text(r, cm));
        }
    }
    let mut rows: Vec<usize> = (0..t.rows.len()).collect();
    rows.sort_by(|&a, &b| {
        let pos = |r: usize| metrics.iter().position(|m| *m == t.text(r, cm));
        pos(a).cmp(&pos(b)).then(v[b][1].total_cmp(&v[a][1]))
    });
    rows
}

// ---------------------------------------------------------------------------------------------
// Provenance

/// The scenario as `brink explain` tells it, as HTML, with the manifest's overrides applied;
/// or a paragraph saying why it is missing.
fn explanation(m: &data::Manifest, dir: &Path) -> String {
    let Some((path, text)) = data::scenario_text(m, dir) else {
        return format!(
            "<p>The scenario file <code>{}</code> was not found with the checksum recorded in \
             manifest.json (it may have moved or changed since), so its description is not \
             included. <code>brink explain</code> on the file that produced these results \
             prints it.</p>\n",
            esc(m.scenario_path.as_deref().unwrap_or("(not recorded)"))
        );
    };
    let set: Vec<brink::scenario::overrides::Override> = overrides(&m.raw["overrides"])
        .iter()
        .filter_map(|(k, v)| brink::scenario::overrides::Override::parse(&format!("{k}={v}")).ok())
        .collect();
    let edited = if set.is_empty() {
        Ok(text.clone())
    } else {
        brink::scenario::overrides::apply(&text, &set).map_err(|_| ())
    };
    let parsed = edited
        .ok()
        .and_then(|t| brink::scenario::parse(&t, &path.display().to_string()).ok());
    match parsed {
        Some(sc) => {
            let md = brink::explain::render_markdown(&brink::explain::explain(&sc, &text));
            markdown(&md)
        }
        None => format!(
            "<p>The scenario file <code>{}</code> no longer parses with this version of brink, \
             so its description is not included.</p>\n",
            esc(&path.display().to_string())
        ),
    }
}

/// `[{"key": K, "value": V}, ...]` as pairs.
fn overrides(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| {
                    Some((
                        o.get("key")?.as_str()?.to_string(),
                        o.get("value")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The markdown `brink explain` writes (headings, paragraphs, "- " lists, pipe tables, `code`)
/// as HTML. Anything else is kept as a paragraph of text, so nothing is lost if that output
/// grows.
fn markdown(md: &str) -> String {
    let mut h = String::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.trim().is_empty() {
            i += 1;
        } else if let Some(level) = heading(l) {
            // Headings sit under the report's own h2.
            let n = (level + 2).min(6);
            let _ = writeln!(h, "<h{n}>{}</h{n}>", inline(l[level..].trim()));
            i += 1;
        } else if l.starts_with("- ") {
            h.push_str("<ul>\n");
            while i < lines.len() && lines[i].starts_with("- ") {
                let _ = writeln!(h, "<li>{}</li>", inline(&lines[i][2..]));
                i += 1;
            }
            h.push_str("</ul>\n");
        } else if l.starts_with('|') {
            let mut rows: Vec<Vec<String>> = Vec::new();
            while i < lines.len() && lines[i].starts_with('|') {
                let cells = split_row(lines[i]);
                if !cells
                    .iter()
                    .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
                {
                    rows.push(cells);
                }
                i += 1;
            }
            h.push_str("<div class=\"scroll\"><table class=\"md\">\n");
            for (k, r) in rows.iter().enumerate() {
                let tag = if k == 0 { "th" } else { "td" };
                h.push_str("<tr>");
                for c in r {
                    let _ = write!(h, "<{tag}>{}</{tag}>", inline(c));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</table></div>\n");
        } else {
            let mut p = Vec::new();
            while i < lines.len()
                && !lines[i].trim().is_empty()
                && heading(lines[i]).is_none()
                && !lines[i].starts_with("- ")
                && !lines[i].starts_with('|')
            {
                p.push(lines[i]);
                i += 1;
            }
            let _ = writeln!(h, "<p>{}</p>", inline(&p.join(" ")));
        }
    }
    h
}

fn heading(l: &str) -> Option<usize> {
    let n = l.chars().take_while(|&c| c == '#').count();
    (n > 0 && l[n..].starts_with(' ')).then_some(n)
}

/// Cells of a pipe-table row; `\|` is a literal bar.
fn split_row(l: &str) -> Vec<String> {
    let inner = l.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            _ => cells.last_mut().unwrap().push(c),
        }
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// Escaped text with `code` spans.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (k, part) in s.split('`').enumerate() {
        if k % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The page

const STYLE: &str = "
:root { color-scheme: light; }
body { font-family: 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif; margin: 0 auto;
       max-width: 1000px; padding: 1.5em 1em 3em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin: 0 0 0.2em; }
h2 { font-size: 1.25em; margin: 2em 0 0.5em; border-bottom: 1px solid #ddd; }
p.lead { color: #555; margin: 0 0 1em; }
nav a { margin-right: 1.2em; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em;
           font-size: 0.9em; }
dl.facts dt { color: #555; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
figure { margin: 1.5em 0 2em; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; }
figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #e5e5e5; }
svg .k { cursor: pointer; } svg .k.off { opacity: 0.35; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 0.25em 0.6em; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; vertical-align: bottom; }
table.data th { cursor: pointer; user-select: none; }
table.data th[aria-sort=ascending]::after { content: ' ▲'; font-size: 0.8em; }
table.data th[aria-sort=descending]::after { content: ' ▼'; font-size: 0.8em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.n { text-align: right; }
td .ci { color: #666; font-size: 0.9em; margin-left: 0.4em; }
table.stack td .ci { display: block; margin-left: 0; }
table.data tbody tr:hover { background: #f7f7fb; }
.note { color: #555; font-size: 0.9em; margin: 0.2em 0; }
details { margin: 2em 0; border: 1px solid #ddd; border-radius: 4px; padding: 0.5em 1em; }
details summary { cursor: pointer; font-weight: 600; }
details h3 { font-size: 1.15em; } details h4 { font-size: 1.05em; } details h5 { font-size: 1em; }
table.md { font-size: 0.8em; }
code { font-family: 'DejaVu Sans Mono', monospace; font-size: 0.9em; }
#tip { position: fixed; pointer-events: none; background: #fff; border: 1px solid #999;
       border-radius: 3px; padding: 0.35em 0.6em; font-size: 0.8em; box-shadow: 0 1px 4px #0003;
       display: none; z-index: 10; max-width: 28em; }
#tip b { display: block; margin-bottom: 0.2em; }
#tip i { display: inline-block; width: 0.9em; height: 0.25em; margin-right: 0.4em;
         vertical-align: middle; font-style: normal; }
@media print { nav, #tip { display: none; } details { border: none; } }
";

/// Hover values, legend toggles and sortable tables, in plain JavaScript.
const SCRIPT: &str = r#"
(function () {
  'use strict';
  var tip = document.getElementById('tip');
  function fmt(v, d) { return v.toFixed(d).replace('-', '\u2212'); }
  // A click on a legend entry hides or shows its series.
  document.querySelectorAll('svg .k').forEach(function (k) {
    k.addEventListener('click', function () {
      var svg = k.ownerSVGElement, key = k.getAttribute('data-k');
      var off = !k.classList.contains('off');
      svg.querySelectorAll('.k[data-k="' + key + '"]').forEach(function (e) {
        e.classList.toggle('off', off);
      });
      svg.querySelectorAll('.s[data-k="' + key + '"]').forEach(function (s) {
        s.style.display = off ? 'none' : '';
      });
    });
  });
  // Line charts: every line's value and interval at the x under the pointer.
  document.querySelectorAll('figure[data-hover]').forEach(function (fig) {
    var h = JSON.parse(document.getElementById(fig.getAttribute('data-hover')).textContent);
    var svg = fig.querySelector('svg');
    function hide() {
      tip.style.display = 'none';
      svg.querySelectorAll('.guide').forEach(function (g) { g.setAttribute('visibility', 'hidden'); });
    }
    svg.querySelectorAll('.hit').forEach(function (hit) {
      hit.addEventListener('mouseleave', hide);
      hit.addEventListener('mousemove', function (ev) {
        var pt = svg.createSVGPoint();
        pt.x = ev.clientX; pt.y = ev.clientY;
        var p = pt.matrixTransform(svg.getScreenCTM().inverse());
        var best = 0;
        for (var i = 1; i < h.x.length; i++) {
          if (Math.abs(h.x[i] - p.x) < Math.abs(h.x[best] - p.x)) { best = i; }
        }
        svg.querySelectorAll('.guide').forEach(function (g) {
          g.setAttribute('x1', h.x[best]); g.setAttribute('x2', h.x[best]);
          g.setAttribute('visibility', 'visible');
        });
        var html = '<b>' + h.label[best] + '</b>';
        h.series.forEach(function (s) {
          var v = s.v[best];
          var off = svg.querySelector('.k.off[data-k="' + s.k + '"]');
          if (!v || off) { return; }
          html += '<div><i style="background:' + s.color + '"></i>' + s.name + ' <b style="display:inline">' +
            fmt(v[0], s.d) + h.unit + '</b> [' + fmt(v[1], s.d) + ', ' + fmt(v[2], s.d) +
            ']</div>';
        });
        tip.innerHTML = html;
        tip.style.display = 'block';
        var x = ev.clientX + 14, y = ev.clientY + 14;
        if (x + tip.offsetWidth > window.innerWidth) { x = ev.clientX - tip.offsetWidth - 14; }
        if (y + tip.offsetHeight > window.innerHeight) { y = ev.clientY - tip.offsetHeight - 14; }
        tip.style.left = x + 'px'; tip.style.top = y + 'px';
      });
    });
  });
  // A click on a column heading sorts the table by it; again, the other way.
  document.querySelectorAll('table.data').forEach(function (table) {
    var heads = table.querySelectorAll('thead th');
    heads.forEach(function (th, col) {
      th.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach(function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        function key(r) {
          var c = r.cells[col], v = c.getAttribute('data-v');
          return v === null ? c.textContent : (v === '' ? NaN : parseFloat(v));
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b), r;
          if (typeof x === 'number') {
            if (isNaN(x)) { return 1; }
            if (isNaN(y)) { return -1; }
            r = x - y;
          } else {
            r = String(x).localeCompare(String(y));
          }
          return asc ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
"#;

/// The page; `no_charts` says why there are none, when there are none.
fn page(
    m: &data::Manifest,
    charts: &[charts::Chart],
    no_charts: Option<&str>,
    tables: &[Table],
    explained: &str,
) -> String {
    let mut h = String::new();
    let kind = m.kind.name();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n\
         <meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>brink {kind}: {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>brink {kind}: {name}</h1>\n<p class=\"lead\">{lead}</p>\n\
         <nav><a href=\"#charts\">Charts</a><a href=\"#tables\">Tables</a>\
         <a href=\"#provenance\">Scenario</a></nav>\n<dl class=\"facts\">\n",
        name = esc(&m.scenario),
        lead = esc(&lead(m)),
    );
    for (k, v) in facts(m) {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", esc(&k), esc(&v));
    }
    h.push_str("</dl>\n<h2 id=\"charts\">Charts</h2>\n");
    match no_charts {
        Some(why) => {
            let _ = writeln!(h, "<p class=\"note\">No charts: {}.</p>", esc(why));
        }
        None => h.push_str(
            "<p class=\"note\">Hover a line, bar, cell or point for its values; click a \
             legend entry to hide or show its series.</p>\n",
        ),
    }
    for c in charts {
        let hover = c
            .hover
            .as_ref()
            .map(|_| format!(" data-hover=\"hover-{}\"", esc(&c.name)))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<figure id=\"chart-{id}\"{hover}>\n{svg}<figcaption>{cap}</figcaption>\n</figure>\n",
            id = esc(&c.name),
            svg = c.svg,
            cap = esc(&c.caption)
        );
    }
    h.push_str(
        "<h2 id=\"tables\">Tables</h2>\n<p class=\"note\">Click a column heading to \
                sort. Every number is in the CSV files of the results directory, to six \
                decimals; results/README.md in the brink repository explains each column.</p>\n",
    );
    for t in tables {
        let _ = write!(
            h,
            "<h3 id=\"table-{id}\">{title}</h3>\n<p class=\"note\">{note}</p>\n\
             <div class=\"scroll\"><table class=\"data{stack}\">\n<thead><tr>",
            id = esc(&t.id),
            title = esc(&t.title),
            note = esc(&t.note),
            stack = if t.stack { " stack" } else { "" }
        );
        for (k, col) in t.head.iter().enumerate() {
            let class = if t.numeric[k] { " class=\"n\"" } else { "" };
            let _ = write!(h, "<th{class}>{}</th>", breakable(col));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for row in &t.rows {
            h.push_str("<tr>");
            for (k, cell) in row.iter().enumerate() {
                let class = if t.numeric.get(k).copied().unwrap_or(false) {
                    " class=\"n\""
                } else {
                    ""
                };
                let sort = cell
                    .sort
                    .map(|v| {
                        if v.is_finite() {
                            format!(" data-v=\"{v}\"")
                        } else {
                            " data-v=\"\"".into()
                        }
                    })
                    .unwrap_or_default();
                let _ = write!(h, "<td{class}{sort}>{}", esc(&cell.text));
                if let Some(ci) = &cell.interval {
                    let _ = write!(h, "<span class=\"ci\">{}</span>", esc(ci));
                }
                h.push_str("</td>");
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table></div>\n");
    }
    let _ = write!(
        h,
        "<details id=\"provenance\">\n<summary>The scenario behind these results, as \
         <code>brink explain</code> tells it</summary>\n{notes}{explained}</details>\n",
        notes = provenance_notes(m)
    );
    h.push_str(
        "<p class=\"note\">Written by brink report. It loads nothing from the network; the \
         CSV files of the results directory hold every number.</p>\n<div id=\"tip\"></div>\n",
    );
    for c in charts {
        if let Some(json) = &c.hover {
            let _ = writeln!(
                h,
                "<script type=\"application/json\" id=\"hover-{}\">{}</script>",
                esc(&c.name),
                script_safe(json)
            );
        }
    }
    let _ = write!(
        h,
        "<script>//<![CDATA[{SCRIPT}//]]></script>\n</body>\n</html>\n"
    );
    h
}

/// A heading that may wrap inside long key paths: a break opportunity after each dot.
fn breakable(s: &str) -> String {
    esc(s).replace('.', ".<wbr/>")
}

/// JSON inside a script element: no `<`, `>` or `&` (escaped the JSON way), so it can neither
/// end the element nor be read as markup by an XML parser.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// One sentence on what the result is.
fn lead(m: &data::Manifest) -> String {
    let runs = m.runs.map(num::thousands).unwrap_or_else(|| "?".into());
    match m.kind {
        data::Kind::Run => format!("{runs} simulated runs of the scenario."),
        data::Kind::Compare => format!(
            "A variant against the base scenario on {runs} paired runs (common random numbers)."
        ),
        data::Kind::Sweep => format!(
            "The scenario at {} design points, {runs} runs each, on common random numbers.",
            m.raw["points"]
                .as_u64()
                .map_or_else(|| "several".into(), num::thousands)
        ),
        data::Kind::Sensitivity => format!(
            "Morris and Sobol sensitivity of the chosen metrics to the uncertain parameters, \
             from {runs} runs."
        ),
        data::Kind::Score => format!(
            "A forecast of {runs} runs scored against what happened ({}).",
            m.raw["observed"]["path"]
                .as_str()
                .unwrap_or("an observed file")
        ),
        data::Kind::Watch => format!(
            "Which signposts, seen by a date, move the probability of {} most, from {runs} runs.",
            m.raw["outcome"].as_str().unwrap_or("the outcome")
        ),
        data::Kind::Discover => format!(
            "{} (PRIM over {runs} runs.)",
            m.raw["sentence"]
                .as_str()
                .unwrap_or("Scenario discovery with PRIM.")
        ),
    }
}

/// What produced the results, from manifest.json.
fn facts(m: &data::Manifest) -> Vec<(String, String)> {
    let unknown = || "unknown".to_string();
    let mut f = vec![
        (
            "scenario".to_string(),
            format!(
                "{} ({})",
                m.scenario,
                m.scenario_path.clone().unwrap_or_else(unknown)
            ),
        ),
        (
            "scenario SHA-256".into(),
            m.sha256.clone().unwrap_or_else(unknown),
        ),
        (
            "seed".into(),
            m.seed.map_or_else(unknown, |s| s.to_string()),
        ),
        ("runs".into(), m.runs.map_or_else(unknown, num::thousands)),
        (
            "brink version".into(),
            m.version.clone().unwrap_or_else(unknown),
        ),
    ];
    let set = overrides(&m.raw["overrides"]);
    if !set.is_empty() {
        f.push(("overrides".into(), set_text(&set)));
    }
    if m.kind == data::Kind::Compare {
        let v = &m.raw["variant"];
        let vset = overrides(&v["overrides"]);
        let mut what = v["path"]
            .as_str()
            .unwrap_or("the base scenario")
            .to_string();
        if !vset.is_empty() {
            what = format!("{what} with {}", set_text(&vset));
        }
        f.push(("variant".into(), what));
    }
    if m.kind == data::Kind::Sweep {
        if let Some(p) = m.raw["experiment_path"].as_str() {
            f.push(("experiment".into(), p.to_string()));
        }
        if let Some(d) = m.raw["experiment"]["design"].as_str() {
            f.push(("design".into(), d.to_string()));
        }
    }
    if m.kind == data::Kind::Sensitivity {
        for k in ["method", "trajectories", "levels", "samples", "bootstrap"] {
            let v = &m.raw[k];
            if !v.is_null() {
                f.push((
                    k.into(),
                    v.as_str().map_or_else(|| v.to_string(), String::from),
                ));
            }
        }
    }
    if let Some(conditions) = m.raw["given"]["conditions"].as_array() {
        let list: Vec<&str> = conditions.iter().filter_map(Value::as_str).collect();
        f.push(("given".into(), list.join(" and ")));
        if let Some(n) = m.raw["given"]["simulated_runs"].as_u64() {
            f.push(("runs simulated".into(), num::thousands(n)));
        }
    }
    if let Some(h) = m.raw["precision"]["half_width"].as_f64() {
        let reached = m.raw["precision"]["reached"].as_bool() == Some(true);
        f.push((
            "precision".into(),
            format!(
                "95% half-width at most {h} for every event metric{}",
                if reached { "" } else { " (not reached)" }
            ),
        ));
    }
    for k in ["outcome", "features"] {
        if let Some(v) = m.raw[k].as_str()
            && matches!(m.kind, data::Kind::Watch | data::Kind::Discover)
        {
            f.push((k.into(), v.to_string()));
        }
    }
    if let Some(o) = m.raw["observed"]["path"].as_str() {
        f.push(("observed".into(), o.to_string()));
    }
    if let Some(r) = m.raw["results"].as_str() {
        f.push(("results scored or read".into(), r.to_string()));
    }
    if let Some(when) = m.raw["invocation"]["command_line"].as_array() {
        let line: Vec<&str> = when.iter().filter_map(Value::as_str).collect();
        f.push(("command".into(), line.join(" ")));
    }
    f
}

fn set_text(set: &[(String, String)]) -> String {
    set.iter()
        .map(|(k, v)| format!("--set {k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the explanation below does not show: the variant of a compare, the varied parameters
/// of a sweep.
fn provenance_notes(m: &data::Manifest) -> String {
    let mut notes = Vec::new();
    let set = overrides(&m.raw["overrides"]);
    if !set.is_empty() {
        notes.push(format!(
            "The scenario below has these overrides applied: {}.",
            set_text(&set)
        ));
    }
    if m.kind == data::Kind::Compare {
        let vset = overrides(&m.raw["variant"]["overrides"]);
        if !vset.is_empty() {
            notes.push(format!(
                "The variant is this scenario with {}.",
                set_text(&vset)
            ));
        } else if let Some(p) = m.raw["variant"]["path"].as_str() {
            notes.push(format!(
                "The variant is the scenario file {p}; below is the base."
            ));
        }
    }
    if m.kind == data::Kind::Sweep
        && let Some(vary) = m.raw["experiment"]["vary"].as_array()
    {
        let keys: Vec<&str> = vary.iter().filter_map(|v| v["key"].as_str()).collect();
        if !keys.is_empty() {
            notes.push(format!(
                "The sweep sets {} at each design point; every other value is as below.",
                keys.join(" and ")
            ));
        }
    }
    notes
        .iter()
        .map(|n| format!("<p class=\"note\">{}</p>\n", esc(n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_subset_becomes_html() {
        let md = "# Title: x\n\nA para with `code` & more.\n\n- one\n- two `b`\n\n\
                  | a | b |\n| --- | --- |\n| 1 \\| 2 | <x> |\n";
        let h = markdown(md);
        assert!(h.contains("<h3>Title: x</h3>"), "{h}");
        assert!(
            h.contains("<p>A para with <code>code</code> &amp; more.</p>"),
            "{h}"
        );
        assert!(
            h.contains("<li>one</li>\n<li>two <code>b</code></li>"),
            "{h}"
        );
        assert!(h.contains("<tr><th>a</th><th>b</th></tr>"), "{h}");
        assert!(
            h.contains("<tr><td>1 | 2</td><td>&lt;x&gt;</td></tr>"),
            "{h}"
        );
    }

    #[test]
    fn json_in_a_script_cannot_close_it() {
        assert_eq!(
            script_safe(r#"{"a":"</script>&"}"#),
            r#"{"a":"\u003c/script\u003e\u0026"}"#
        );
    }
}
