//! `brink score`: confront a forecast with what happened.
//!
//! Usage: brink score RESULTS --observed OBSERVED.toml [--out DIR] [--force] [--quiet]
//!
//! RESULTS is the folder of a `brink run` result (a `--given` one too), or a scenario's folder
//! of runs (its latest). OBSERVED lists events that happened, events that had not happened
//! through a date, observed quantities and base rates (`brink::score` has the format). Each
//! listed event is scored at each checkpoint (the file's, or month ends up to its `through`)
//! with the Brier and log scores of the forecast probability, beside three reference
//! forecasters: a coin (0.5), a constant hazard with the model's own probability by the
//! horizon (what the model's timing adds), and the file's base rate, as a constant hazard per
//! 365 days. Quantities get the CRPS of their distribution. Writes score.csv, skill.csv,
//! reliability.csv (when at least five listed events happened and five did not), score.txt
//! and manifest.json into DIR, by default a new folder results/<scenario name>_score/<UTC
//! time>/ linked as latest, under the output folder rule; the summary also goes to stdout.
//!
//! Probabilities come from the first-day counts in distributions.csv (the numbers
//! timeline.csv rounds to six decimals), so scores are computed from exact shares k/N.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use brink::score::{self, Context, Fact, Observed};
use brink::stats::{Z95, wilson};
use serde::Serialize;

use super::charts::data::Table;
use super::charts::num::thousands;
use super::output::{atomic, csv_file_writer};
use super::study::{Manifest, OutArgs, RunResult, Session, WriteManifest};
use super::{Failure, Result, load, outdir, quote};
use brink::table::{guard as cell, num};

/// The files of `brink score`.
pub const SCORE_FILES: &[&str] = &[
    "score.csv",
    "skill.csv",
    "reliability.csv",
    "score.txt",
    "manifest.json",
];

#[derive(clap::Args, Debug)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: a new folder results/<scenario name>_score/<UTC time>/, \
     linked as latest]"
)))]
pub struct Args {
    /// Results of `brink run`, or a scenario's folder of runs (its `latest` run is used).
    pub results: PathBuf,
    /// What happened: an observed file (TOML; see README, "Confronting a forecast with
    /// evidence").
    #[arg(long, value_name = "OBSERVED.toml")]
    pub observed: PathBuf,
    #[command(flatten)]
    pub output: OutArgs,
}

/// The forecasters scored, the model first.
const FORECASTERS: [&str; 4] = ["model", "coin", "constant_hazard", "base_rate"];

/// One event scored at one checkpoint.
struct Item {
    /// Index into the observed events.
    event: usize,
    day: u32,
    outcome: bool,
    /// By forecaster; NaN where it gives none (no base rate).
    forecast: [f64; 4],
}

#[derive(Serialize)]
struct Detail {
    results: String,
    observed: ObservedRef,
    /// The floor of the log score: 1/(2·runs).
    log_floor: f64,
    checkpoints: Vec<String>,
    reliability: bool,
}

#[derive(Serialize)]
struct ObservedRef {
    path: String,
    sha256: String,
}

pub fn run(args: Args) -> Result<()> {
    let session = Session::start(Some(1))?;
    let dir = outdir::resolve(&args.results)?;
    let m = RunResult::read(&dir, "score")?;
    let summary = Table::read(&dir, "summary.csv")?;
    let (cm, ck) = (summary.col("metric")?, summary.col("kind")?);
    let mut events: Vec<&str> = Vec::new();
    let mut quantities: Vec<&str> = Vec::new();
    for r in 0..summary.rows.len() {
        match summary.text(r, ck) {
            "probability" => events.push(summary.text(r, cm)),
            _ => quantities.push(summary.text(r, cm)),
        }
    }
    let horizon = m.horizon();
    let cx = Context {
        scenario: &m.scenario.name,
        start: m.start(),
        last: m.date(horizon.saturating_sub(1)),
        events: events.clone(),
        quantities: quantities.clone(),
    };
    let shown = args.observed.display().to_string();
    let text = load::text(&args.observed, "observed file", load::MAX_INPUT)?;
    let obs = score::parse_observed(&text, &shown, &cx).map_err(|e| Failure::Input(e.render()))?;
    let inputs = [
        args.observed.clone(),
        dir.join("manifest.json"),
        dir.join("summary.csv"),
        dir.join("distributions.csv"),
    ];
    let out = args
        .output
        .prepare(&format!("{}_score", m.scenario.name), SCORE_FILES, &inputs)?;
    let staging = out.staging().to_path_buf();
    let quiet = args.output.quiet;

    // The first-day counts of the listed events and the histograms of the listed quantities.
    let dist = Table::read(&dir, "distributions.csv")?;
    let (dm, dv, dc) = (dist.col("metric")?, dist.col("value")?, dist.col("count")?);
    let mut first: BTreeMap<&str, Vec<u64>> = obs
        .events
        .iter()
        .map(|e| (e.metric.as_str(), vec![0u64; horizon as usize]))
        .collect();
    let mut hist: BTreeMap<&str, Vec<(f64, u64)>> = obs
        .quantities
        .iter()
        .map(|(q, _)| (q.as_str(), Vec::new()))
        .collect();
    for r in 0..dist.rows.len() {
        let name = dist.text(r, dm);
        let value = dist.num(r, dv)?;
        let count = dist.num(r, dc)? as u64;
        if let Some(h) = hist.get_mut(name) {
            h.push((value, count));
        } else if let Some(e) = name.strip_suffix("_first_day")
            && let Some(days) = first.get_mut(e)
            && value >= 0.0
            && (value as usize) < days.len()
        {
            days[value as usize] += count;
        }
    }
    for h in hist.values_mut() {
        h.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let runs = m.runs;
    let floor = score::log_floor(runs);
    let day_of = |d: jiff::civil::Date| (d - cx.start).get_days().max(0) as u32;

    // Checkpoints: the file's, or month ends up to the last day it covers.
    let through = obs
        .through
        .or_else(|| obs.events.iter().map(|e| e.fact.date()).max());
    let checkpoints: Vec<jiff::civil::Date> = match (&obs.checkpoints, through) {
        (Some(c), _) => c.clone(),
        (None, Some(t)) => {
            let to = t.min(cx.last);
            let ends = score::month_ends(cx.start, to);
            if ends.is_empty() { vec![to] } else { ends }
        }
        (None, None) => Vec::new(),
    };

    let items = event_items(&obs, &first, runs, horizon, &checkpoints, &day_of);
    warn_as_of(&m, &obs, &items, &checkpoints, &text, &shown);

    // Reliability: outcomes of distinct events at their last scored checkpoint.
    let mut last_outcome: BTreeMap<usize, bool> = BTreeMap::new();
    for it in &items {
        last_outcome.insert(it.event, it.outcome);
    }
    let happened = last_outcome.values().filter(|&&y| y).count();
    let not = last_outcome.len() - happened;
    let min = score::RELIABILITY_MIN_EVENTS;
    let enough = happened >= min && not >= min;

    write_scores(&staging, &obs, &items, &hist, floor, &m)?;
    let skills = skill_rows(&obs, &items, floor);
    write_skill(&staging, &skills)?;
    if enough {
        let pairs: Vec<(f64, bool)> = items.iter().map(|i| (i.forecast[0], i.outcome)).collect();
        write_reliability(&staging, &score::reliability(&pairs, 10))?;
    }
    let text_summary = summary_text(&Report {
        m: &m,
        observed: &shown,
        obs: &obs,
        items: &items,
        skills: &skills,
        hist: &hist,
        floor,
        checkpoints: &checkpoints,
        reliability: (enough, happened, not),
    });
    atomic(&staging, "score.txt", |w| {
        Ok(std::io::Write::write_all(w, text_summary.as_bytes())?)
    })?;
    let detail = Detail {
        results: dir.display().to_string(),
        observed: ObservedRef {
            path: shown.clone(),
            sha256: super::study::sha256(text.as_bytes()),
        },
        log_floor: floor,
        checkpoints: checkpoints.iter().map(|d| d.to_string()).collect(),
        reliability: enough,
    };
    Manifest::new(
        "score",
        m.scenario.clone(),
        m.seed,
        runs,
        detail,
        session.invocation(),
    )
    .write(&staging)?;
    let written = session.commit(out)?;
    {
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(text_summary.as_bytes());
    }
    if !quiet {
        say!("brink: wrote {}", written.display());
    }
    Ok(())
}

/// Every listed event at every checkpoint where its outcome is known, in file order.
fn event_items(
    obs: &Observed,
    first: &BTreeMap<&str, Vec<u64>>,
    runs: u64,
    horizon: u32,
    checkpoints: &[jiff::civil::Date],
    day_of: &dyn Fn(jiff::civil::Date) -> u32,
) -> Vec<Item> {
    let mut items = Vec::new();
    for (i, e) in obs.events.iter().enumerate() {
        let days = &first[e.metric.as_str()];
        let total: u64 = days.iter().sum();
        let by_horizon = total as f64 / runs as f64;
        let base = obs
            .base_rates
            .iter()
            .find(|(m, _)| *m == e.metric)
            .map(|b| b.1);
        let mut cum = 0u64;
        let mut next = 0usize;
        for &c in checkpoints {
            let day = day_of(c);
            while next <= day as usize && next < days.len() {
                cum += days[next];
                next += 1;
            }
            let outcome = match e.fact {
                Fact::Happened(h) => h <= c,
                Fact::NotBy(t) if c <= t => false,
                Fact::NotBy(_) => continue,
            };
            items.push(Item {
                event: i,
                day,
                outcome,
                forecast: [
                    cum as f64 / runs as f64,
                    0.5,
                    score::constant_hazard(by_horizon, f64::from(horizon), day),
                    base.map_or(f64::NAN, |r| score::constant_hazard(r, 365.0, day)),
                ],
            });
        }
    }
    items
}

/// A forecast cannot be scored on what it already knew: warn about events dated on or before
/// the scenario's `as_of`, and checkpoints that are (even with --quiet: it is about what the
/// score means).
fn warn_as_of(
    m: &RunResult,
    obs: &Observed,
    items: &[Item],
    checkpoints: &[jiff::civil::Date],
    text: &str,
    file: &str,
) {
    let Some(as_of) = m
        .scenario
        .as_of
        .as_deref()
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
    else {
        return;
    };
    for e in &obs.events {
        if let Fact::Happened(h) = e.fact
            && h <= as_of
        {
            let (line, col) = brink::scenario::diag::line_col(text, e.span.start);
            say!(
                "brink: warning: {file}:{line}:{col}: {} happened on {h}, on or before the \
                 scenario's as_of date {as_of}: the forecast already knew it, so its score \
                 says little",
                e.metric
            );
        }
    }
    let early = checkpoints.iter().filter(|&&c| c <= as_of).count();
    if early > 0 {
        let known = (as_of - m.start()).get_days();
        let scored = items
            .iter()
            .filter(|i| i64::from(i.day) <= i64::from(known))
            .count();
        say!(
            "brink: warning: {early} checkpoint(s) ({scored} scored forecasts) are on or before \
             the scenario's as_of date {as_of}, when its authors already knew the outcome"
        );
    }
}

fn write_scores(
    dir: &std::path::Path,
    obs: &Observed,
    items: &[Item],
    hist: &BTreeMap<&str, Vec<(f64, u64)>>,
    floor: f64,
    m: &RunResult,
) -> anyhow::Result<()> {
    atomic(dir, "score.csv", |w| {
        let mut c = csv_file_writer(w);
        c.write_record([
            "metric",
            "kind",
            "date",
            "day",
            "observed",
            "forecaster",
            "forecast",
            "brier",
            "log_score",
            "crps",
        ])?;
        for it in items {
            let metric = &obs.events[it.event].metric;
            for (f, name) in FORECASTERS.iter().enumerate() {
                let p = it.forecast[f];
                if p.is_nan() {
                    continue;
                }
                c.write_record([
                    cell(metric).into_owned(),
                    "event".into(),
                    m.date(it.day).to_string(),
                    it.day.to_string(),
                    u8::from(it.outcome).to_string(),
                    name.to_string(),
                    num(p),
                    num(score::brier(p, it.outcome)),
                    num(score::log_score(p, it.outcome, floor)),
                    String::new(),
                ])?;
            }
        }
        for (q, x) in &obs.quantities {
            let h = &hist[q.as_str()];
            let n: u64 = h.iter().map(|b| b.1).sum();
            let mean = match n {
                0 => f64::NAN,
                _ => h.iter().map(|b| b.0 * b.1 as f64).sum::<f64>() / n as f64,
            };
            c.write_record([
                cell(q).into_owned(),
                "quantity".into(),
                String::new(),
                String::new(),
                num(*x),
                "model".into(),
                num(mean),
                String::new(),
                String::new(),
                num(score::crps(h, *x).unwrap_or(f64::NAN)),
            ])?;
        }
        c.flush()?;
        Ok(())
    })
}

/// Mean scores of the model and a reference on the same items.
struct SkillRow {
    /// None: all events.
    metric: Option<String>,
    reference: &'static str,
    items: usize,
    model: (f64, f64),
    reference_score: (f64, f64),
}

fn skill_rows(obs: &Observed, items: &[Item], floor: f64) -> Vec<SkillRow> {
    let mean = |sel: &[&Item], f: usize| -> (f64, f64) {
        let n = sel.len() as f64;
        let b = sel
            .iter()
            .map(|i| score::brier(i.forecast[f], i.outcome))
            .sum::<f64>();
        let l = sel
            .iter()
            .map(|i| score::log_score(i.forecast[f], i.outcome, floor))
            .sum::<f64>();
        (b / n, l / n)
    };
    let mut out = Vec::new();
    let mut scopes: Vec<Option<usize>> = vec![None];
    scopes.extend((0..obs.events.len()).map(Some));
    for scope in scopes {
        for (f, reference) in FORECASTERS.iter().enumerate().skip(1) {
            let sel: Vec<&Item> = items
                .iter()
                .filter(|i| scope.is_none_or(|e| i.event == e) && !i.forecast[f].is_nan())
                .collect();
            if sel.is_empty() {
                continue;
            }
            out.push(SkillRow {
                metric: scope.map(|e| obs.events[e].metric.clone()),
                reference,
                items: sel.len(),
                model: mean(&sel, 0),
                reference_score: mean(&sel, f),
            });
        }
    }
    out
}

fn write_skill(dir: &std::path::Path, rows: &[SkillRow]) -> anyhow::Result<()> {
    atomic(dir, "skill.csv", |w| {
        let mut c = csv_file_writer(w);
        c.write_record([
            "scope",
            "metric",
            "reference",
            "items",
            "model_brier",
            "reference_brier",
            "brier_skill",
            "model_log_score",
            "reference_log_score",
            "log_skill",
        ])?;
        for r in rows {
            c.write_record([
                if r.metric.is_some() { "metric" } else { "all" }.to_string(),
                r.metric
                    .as_deref()
                    .map(|m| cell(m).into_owned())
                    .unwrap_or_default(),
                r.reference.to_string(),
                r.items.to_string(),
                num(r.model.0),
                num(r.reference_score.0),
                num(score::skill(r.model.0, r.reference_score.0)),
                num(r.model.1),
                num(r.reference_score.1),
                num(score::skill(r.model.1, r.reference_score.1)),
            ])?;
        }
        c.flush()?;
        Ok(())
    })
}

fn write_reliability(dir: &std::path::Path, bins: &[score::Bin]) -> anyhow::Result<()> {
    atomic(dir, "reliability.csv", |w| {
        let mut c = csv_file_writer(w);
        c.write_record([
            "bin_low",
            "bin_high",
            "items",
            "forecast_mean",
            "observed_share",
            "ci_low",
            "ci_high",
        ])?;
        for b in bins {
            let (lo, hi) = wilson(b.hits, b.items, Z95);
            c.write_record([
                num(b.lo),
                num(b.hi),
                b.items.to_string(),
                num(b.forecast_sum / b.items as f64),
                num(b.hits as f64 / b.items as f64),
                num(lo),
                num(hi),
            ])?;
        }
        c.flush()?;
        Ok(())
    })
}

struct Report<'a> {
    m: &'a RunResult,
    observed: &'a str,
    obs: &'a Observed,
    items: &'a [Item],
    skills: &'a [SkillRow],
    hist: &'a BTreeMap<&'a str, Vec<(f64, u64)>>,
    floor: f64,
    checkpoints: &'a [jiff::civil::Date],
    reliability: (bool, usize, usize),
}

fn signed(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else {
        format!("{x:+.2}")
    }
}

/// The plain-text summary: what was scored, the model against each reference, each event and
/// each quantity.
fn summary_text(r: &Report) -> String {
    let m = r.m;
    let mut s = String::new();
    let conditional = match &m.given {
        Some(g) => format!(", given {}", g.conditions.join(" and ")),
        None => String::new(),
    };
    let _ = writeln!(
        s,
        "Score of {} ({} runs, seed {}{conditional}) against {}",
        m.scenario.name,
        thousands(m.runs),
        m.seed,
        quote(r.observed)
    );
    let scored: std::collections::BTreeSet<usize> = r.items.iter().map(|i| i.event).collect();
    let span = match (r.checkpoints.first(), r.checkpoints.last()) {
        (Some(a), Some(b)) if a != b => format!(" ({a} to {b})"),
        (Some(a), _) => format!(" ({a})"),
        _ => String::new(),
    };
    let quantities = match r.obs.quantities.len() {
        0 => String::new(),
        1 => "; 1 quantity".into(),
        q => format!("; {q} quantities"),
    };
    let _ = writeln!(
        s,
        "{} event(s) at {} checkpoint(s){span}: {} scored forecasts{quantities}. Log score \
         floor {} (half a run).",
        scored.len(),
        r.checkpoints.len(),
        r.items.len(),
        super::charts::num::short(r.floor)
    );
    if !r.items.is_empty() {
        let _ = writeln!(
            s,
            "\n{:<24} {:>6} {:>8} {:>10} {:>12} {:>10}",
            "forecaster", "items", "Brier", "log score", "Brier skill", "log skill"
        );
        let all: Vec<&SkillRow> = r.skills.iter().filter(|k| k.metric.is_none()).collect();
        if let Some(first) = all.iter().find(|k| k.reference == "coin") {
            let _ = writeln!(
                s,
                "{:<24} {:>6} {:>8.4} {:>10.4}",
                "model", first.items, first.model.0, first.model.1
            );
        }
        for k in &all {
            let name = match k.reference {
                "coin" => "coin (0.5)",
                "constant_hazard" => "constant hazard",
                _ => "base rate",
            };
            let _ = writeln!(
                s,
                "{:<24} {:>6} {:>8.4} {:>10.4} {:>12} {:>10}",
                name,
                k.items,
                k.reference_score.0,
                k.reference_score.1,
                signed(score::skill(k.model.0, k.reference_score.0)),
                signed(score::skill(k.model.1, k.reference_score.1))
            );
            if k.reference == "base_rate" {
                let _ = writeln!(
                    s,
                    "{:<24} {:>6} {:>8.4} {:>10.4}",
                    "  model, same forecasts", k.items, k.model.0, k.model.1
                );
            }
        }
        let _ = writeln!(
            s,
            "\n{:<44} {:>6} {:>8} {:>10} {:>12}",
            "event", "items", "Brier", "log score", "Brier skill"
        );
        for (e, ev) in r.obs.events.iter().enumerate() {
            let Some(k) = r.skills.iter().find(|k| {
                k.metric.as_deref() == Some(&ev.metric) && k.reference == "constant_hazard"
            }) else {
                continue;
            };
            let _ = e;
            let what = match ev.fact {
                Fact::Happened(d) => format!("{} (happened {d})", ev.metric),
                Fact::NotBy(d) => format!("{} (not by {d})", ev.metric),
            };
            let _ = writeln!(
                s,
                "{:<44} {:>6} {:>8.4} {:>10.4} {:>12}",
                quote(&what),
                k.items,
                k.model.0,
                k.model.1,
                signed(score::skill(k.model.0, k.reference_score.0))
            );
        }
        let _ = writeln!(
            s,
            "(Brier skill of each event against the constant hazard.)"
        );
    }
    if !r.obs.quantities.is_empty() {
        let _ = writeln!(
            s,
            "\n{:<32} {:>10} {:>14} {:>10}",
            "quantity", "observed", "forecast mean", "CRPS"
        );
        for (q, x) in &r.obs.quantities {
            let h = &r.hist[q.as_str()];
            let n: u64 = h.iter().map(|b| b.1).sum();
            let mean = h.iter().map(|b| b.0 * b.1 as f64).sum::<f64>() / n.max(1) as f64;
            let crps = score::crps(h, *x);
            let _ = writeln!(
                s,
                "{:<32} {:>10} {:>14} {:>10}",
                quote(q),
                super::charts::num::short(*x),
                if n > 0 {
                    format!("{mean:.2}")
                } else {
                    "—".into()
                },
                crps.map_or("—".into(), |c| format!("{c:.3}"))
            );
        }
        let _ = writeln!(
            s,
            "(CRPS in the quantity's units: 0 is a certain, exact forecast.)"
        );
    }
    let (enough, happened, not) = r.reliability;
    let min = score::RELIABILITY_MIN_EVENTS;
    if enough {
        let _ = writeln!(
            s,
            "\nReliability table: reliability.csv ({happened} events happened, {not} did not)."
        );
    } else if !r.items.is_empty() {
        let _ = writeln!(
            s,
            "\nNo reliability table: it needs at least {min} listed events that happened and \
             {min} that did not (here {happened} and {not})."
        );
    }
    s
}
