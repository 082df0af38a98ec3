//! Scoring a forecast against what happened (`brink score`): the observed file, proper scores
//! and the baselines a forecast is judged against.
//!
//! An observed file (TOML) says which event metrics happened (and on which day), which had not
//! happened through a date, which quantities were observed, and, optionally, base rates:
//!
//! ```toml
//! scenario = "iran_2026"              # optional: the scenario these observations are about
//! through = 2026-03-31                # optional: the last day they cover [latest date below]
//! checkpoints = [2026-01-31, 2026-02-28]   # optional [month ends up to `through`]
//!
//! [events]
//! gaza_phase_two = { happened = 2026-01-14 }
//! strike_on_iran = { not_by = 2026-03-31 }
//!
//! [quantities]
//! war_duration_days = 12
//!
//! [base_rates]                        # chance per 365 days, from a reference class
//! strike_on_iran = 0.25
//! ```
//!
//! Each listed event is scored at each checkpoint it is known at: an event that happened on H
//! has outcome 1 at checkpoints from H on and 0 before; one that had not happened through T
//! has outcome 0 at checkpoints up to T and is not scored after. The forecast at checkpoint c
//! is the share of runs in which the event had happened by the end of c (timeline.csv's
//! value). The library reads text and returns values: the command line reads the files.

use std::ops::Range;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::civil::Date;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::manifest::RunResult;
use crate::scenario::diag::{Diagnostic, ScenarioError, clip, did_you_mean, suggest};
use crate::table::{short, thousands};

/// Brier score of probability `p` for outcome `y`: (p − y)², 0 best, 1 worst.
pub fn brier(p: f64, y: bool) -> f64 {
    (p - f64::from(u8::from(y))).powi(2)
}

/// Log score as a loss: −ln of the probability given to what happened, with the probability
/// clipped to [floor, 1 − floor] so a forecast of exactly 0 or 1 costs −ln(floor), not
/// infinity. 0 is best; lower is better, like Brier.
pub fn log_score(p: f64, y: bool, floor: f64) -> f64 {
    let q = if y { p } else { 1.0 - p };
    -crate::math::ln(q.clamp(floor, 1.0 - floor))
}

/// The floor of the log score for a forecast from `runs` runs: half a run, 1/(2·runs). A share
/// of 0 out of N runs says the event is rarer than about one run in N, not impossible; half a
/// run is the usual continuity correction, and it makes the floor shrink as more runs make a
/// zero more telling.
pub fn log_floor(runs: u64) -> f64 {
    0.5 / runs.max(1) as f64
}

/// The probability, by the end of day `day` (day 0 counts as one day), of an event that
/// happens with probability `total` within `days` days at a constant daily hazard:
/// 1 − (1 − total)^((day + 1) / days). The daily hazard is 1 − (1 − total)^(1/days).
pub fn constant_hazard(total: f64, days: f64, day: u32) -> f64 {
    let t = f64::from(day + 1) / days;
    // 1 − (1 − total)^t, accurate for small totals.
    -crate::math::exp_m1(t * crate::math::ln_1p(-total))
}

/// Continuous ranked probability score of the distribution given by `hist` (values in
/// increasing order, each with its count of runs) for the observed value `x`:
/// ∫ (F(t) − 1{t ≥ x})² dt, computed exactly for the step function F; in the quantity's
/// units, 0 best. `None` for an empty distribution.
pub fn crps(hist: &[(f64, u64)], x: f64) -> Option<f64> {
    let n: u64 = hist.iter().map(|h| h.1).sum();
    if n == 0 || !x.is_finite() {
        return None;
    }
    let mut points: Vec<f64> = hist.iter().map(|h| h.0).chain([x]).collect();
    points.sort_by(f64::total_cmp);
    points.dedup();
    let (mut cum, mut j, mut total) = (0u64, 0usize, 0.0);
    for w in points.windows(2) {
        let a = w[0];
        while j < hist.len() && hist[j].0 <= a {
            cum += hist[j].1;
            j += 1;
        }
        let f = cum as f64 / n as f64;
        let step = if a >= x { 1.0 } else { 0.0 };
        total += (f - step).powi(2) * (w[1] - a);
    }
    Some(total)
}

/// Skill of a mean score against a reference's on the same items: 1 − model / reference
/// (1 perfect, 0 no better than the reference, negative worse); NaN if the reference scored 0.
pub fn skill(model: f64, reference: f64) -> f64 {
    if reference > 0.0 {
        1.0 - model / reference
    } else {
        f64::NAN
    }
}

/// One bin of a reliability table.
#[derive(Clone, Debug, PartialEq)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub items: u64,
    pub forecast_sum: f64,
    pub hits: u64,
}

/// Forecast–outcome pairs in `bins` equal bins of the forecast ([i/bins, (i+1)/bins), the last
/// closed at 1); empty bins are left out.
pub fn reliability(items: &[(f64, bool)], bins: usize) -> Vec<Bin> {
    let mut out: Vec<Bin> = (0..bins)
        .map(|i| Bin {
            lo: i as f64 / bins as f64,
            hi: (i + 1) as f64 / bins as f64,
            items: 0,
            forecast_sum: 0.0,
            hits: 0,
        })
        .collect();
    for &(p, y) in items {
        let i = ((p * bins as f64).floor() as usize).min(bins - 1);
        out[i].items += 1;
        out[i].forecast_sum += p;
        out[i].hits += u64::from(y);
    }
    out.retain(|b| b.items > 0);
    out
}

/// The reliability table needs this many listed events that happened, and as many that did
/// not: one event scored at many checkpoints is one outcome, and five of each is the usual
/// least expected count for a calibration test (Hosmer–Lemeshow, chi-square).
pub const RELIABILITY_MIN_EVENTS: usize = 5;

/// What an observed event says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fact {
    /// It first happened on this date.
    Happened(jiff::civil::Date),
    /// It had not happened by the end of this date.
    NotBy(jiff::civil::Date),
}

impl Fact {
    pub fn date(self) -> jiff::civil::Date {
        match self {
            Fact::Happened(d) | Fact::NotBy(d) => d,
        }
    }
}

/// An observed event metric.
#[derive(Clone, Debug, PartialEq)]
pub struct EventObs {
    pub metric: String,
    pub fact: Fact,
    /// Where the date is in the file, for warnings.
    pub span: Range<usize>,
}

/// An observed file, checked against the results it scores.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Observed {
    pub through: Option<jiff::civil::Date>,
    pub checkpoints: Option<Vec<jiff::civil::Date>>,
    pub events: Vec<EventObs>,
    pub quantities: Vec<(String, f64)>,
    pub base_rates: Vec<(String, f64)>,
}

/// What an observed file is checked against: the results' scenario, calendar and metrics.
pub struct Context<'a> {
    pub scenario: &'a str,
    pub start: jiff::civil::Date,
    pub last: jiff::civil::Date,
    pub events: Vec<&'a str>,
    pub quantities: Vec<&'a str>,
}

const KEYS: [&str; 6] = [
    "scenario",
    "through",
    "checkpoints",
    "events",
    "quantities",
    "base_rates",
];

/// Parses and checks an observed file, reporting every problem with its location.
pub fn parse_observed(text: &str, file: &str, cx: &Context) -> Result<Observed, ScenarioError> {
    let fail = |diagnostics: Vec<Diagnostic>| ScenarioError {
        file: file.to_string(),
        source: text.to_string(),
        diagnostics,
        others: Vec::new(),
    };
    let syntax = crate::scenario::compose::syntax(text);
    if !syntax.is_empty() {
        return Err(fail(syntax));
    }
    let (root, _) = DeTable::parse_recoverable(text);
    let root_span = root.span();
    let root = root.into_inner();
    let mut p = Parser {
        cx,
        diags: Vec::new(),
        obs: Observed::default(),
    };
    p.read(&root, root_span);
    let mut diags = p.diags;
    if diags.is_empty() {
        return Ok(p.obs);
    }
    diags.sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.start));
    Err(fail(diags))
}

struct Parser<'c, 'a> {
    cx: &'c Context<'a>,
    diags: Vec<Diagnostic>,
    obs: Observed,
}

fn span<T>(v: &Spanned<T>) -> Option<Range<usize>> {
    Some(v.span())
}

impl Parser<'_, '_> {
    fn error(&mut self, path: &str, at: Option<Range<usize>>, msg: String, help: Option<String>) {
        let mut d = Diagnostic::new(path, msg).with_span(at);
        d.help = help;
        self.diags.push(d);
    }

    /// A date value (a TOML local date, or a quoted ISO date).
    fn date(&mut self, path: &str, v: &Spanned<DeValue>) -> Option<jiff::civil::Date> {
        let parsed = match v.get_ref() {
            DeValue::Datetime(d) => match (d.date, d.time, d.offset) {
                (Some(d), None, None) => {
                    jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok()
                }
                _ => None,
            },
            DeValue::String(s) => s.parse().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.error(
                path,
                span(v),
                "expected a calendar date".into(),
                Some(format!("write a date such as {}", self.cx.start)),
            );
        }
        parsed
    }

    /// A date that must not be before the start: observations before it cannot be scored.
    fn dated(&mut self, path: &str, v: &Spanned<DeValue>) -> Option<jiff::civil::Date> {
        let d = self.date(path, v)?;
        if d < self.cx.start {
            self.error(
                path,
                span(v),
                format!(
                    "{d} is before the scenario's start date, {}: the forecast says nothing \
                     about it",
                    self.cx.start
                ),
                Some(format!(
                    "observations are scored from {} on; leave earlier ones out (or write \
                     them into the scenario's history)",
                    self.cx.start
                )),
            );
            return None;
        }
        Some(d)
    }

    fn number(&mut self, path: &str, v: &Spanned<DeValue>) -> Option<f64> {
        let x = match v.get_ref() {
            DeValue::Integer(i) if i.radix() == 10 => i.as_str().parse::<f64>().ok(),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        match x {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                self.error(path, span(v), "expected a finite number".into(), None);
                None
            }
        }
    }

    fn table<'v, 'i>(
        &mut self,
        path: &str,
        v: &'v Spanned<DeValue<'i>>,
    ) -> Option<&'v DeTable<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.error(path, span(v), "expected a table".into(), None);
                None
            }
        }
    }

    fn read(&mut self, root: &DeTable, root_span: Range<usize>) {
        let mut through_span = None;
        for (k, v) in root.iter() {
            let key = k.get_ref().as_ref();
            match key {
                "scenario" => match v.get_ref() {
                    DeValue::String(s) if s.as_ref() == self.cx.scenario => {}
                    DeValue::String(s) => self.error(
                        "scenario",
                        span(v),
                        format!(
                            "these observations are of scenario `{s}`, the results of `{}`",
                            self.cx.scenario
                        ),
                        Some("score the results of the scenario the file was written for".into()),
                    ),
                    _ => self.error("scenario", span(v), "expected a scenario name".into(), None),
                },
                "through" => {
                    self.obs.through = self.dated("through", v);
                    through_span = span(v);
                }
                "checkpoints" => self.checkpoints(v),
                "events" => {
                    if let Some(t) = self.table("events", v) {
                        for (m, e) in t.iter() {
                            self.event(m, e);
                        }
                    }
                }
                "quantities" => {
                    if let Some(t) = self.table("quantities", v) {
                        for (m, x) in t.iter() {
                            self.quantity(m, x);
                        }
                    }
                }
                "base_rates" => {
                    if let Some(t) = self.table("base_rates", v) {
                        for (m, x) in t.iter() {
                            self.base_rate(m, x);
                        }
                    }
                }
                _ => self.error(
                    key,
                    span(k),
                    format!("unknown key `{key}`"),
                    Some(suggest(key, &KEYS)),
                ),
            }
        }
        if self.diags.is_empty() && self.obs.events.is_empty() && self.obs.quantities.is_empty() {
            self.error(
                "",
                Some(root_span.start..root_span.start),
                "nothing to score: the file lists no [events] and no [quantities]".into(),
                Some("e.g. [events] with `strike_on_iran = { not_by = 2026-03-31 }`".into()),
            );
        }
        self.after_through(through_span);
    }

    /// Checks that dates fall on or before `through`, once it is known.
    fn after_through(&mut self, through_span: Option<Range<usize>>) {
        let Some(through) = self.obs.through else {
            return;
        };
        let late: Vec<(String, Range<usize>, jiff::civil::Date)> = self
            .obs
            .events
            .iter()
            .filter(|e| e.fact.date() > through)
            .map(|e| (e.metric.clone(), e.span.clone(), e.fact.date()))
            .collect();
        for (m, s, d) in late {
            self.error(
                &format!("events.{m}"),
                Some(s),
                format!("{d} is after `through` ({through}), the last day the file covers"),
                Some("move `through` later, or correct the date".into()),
            );
        }
        let _ = through_span;
    }

    fn checkpoints(&mut self, v: &Spanned<DeValue>) {
        let DeValue::Array(a) = v.get_ref() else {
            self.error(
                "checkpoints",
                span(v),
                "expected a list of dates".into(),
                None,
            );
            return;
        };
        let mut out = Vec::new();
        for (i, x) in a.iter().enumerate() {
            let path = format!("checkpoints[{i}]");
            if let Some(d) = self.dated(&path, x) {
                if d > self.cx.last {
                    self.error(
                        &path,
                        span(x),
                        format!(
                            "{d} is after the last simulated day, {}: no forecast to score",
                            self.cx.last
                        ),
                        None,
                    );
                    continue;
                }
                if let Some(t) = self.obs.through
                    && d > t
                {
                    self.error(
                        &path,
                        span(x),
                        format!("{d} is after `through` ({t}), the last day the file covers"),
                        None,
                    );
                    continue;
                }
                out.push(d);
            }
        }
        if a.is_empty() {
            self.error(
                "checkpoints",
                span(v),
                "the list of checkpoints is empty".into(),
                Some("leave the key out for month ends, or list dates".into()),
            );
        }
        out.sort();
        out.dedup();
        self.obs.checkpoints = Some(out);
    }

    /// The name of a metric of the right kind, or an error at its key.
    fn metric(&mut self, table: &str, k: &Spanned<std::borrow::Cow<str>>, events: bool) -> bool {
        let name = k.get_ref().as_ref();
        let (want, other, other_table) = match events {
            true => (&self.cx.events, &self.cx.quantities, "[quantities]"),
            false => (&self.cx.quantities, &self.cx.events, "[events]"),
        };
        if want.contains(&name) {
            return true;
        }
        let path = format!("{table}.{name}");
        if other.contains(&name) {
            let msg = match events {
                true => format!("`{name}` is a quantity, not an event metric"),
                false => format!("`{name}` is an event metric, not a quantity"),
            };
            self.error(
                &path,
                span(k),
                msg,
                Some(format!("give it under {other_table}")),
            );
            return false;
        }
        let help = match did_you_mean(name, want.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("the results have: {}", want.join(", ")),
        };
        let kind = if events { "event metric" } else { "quantity" };
        self.error(
            &path,
            span(k),
            format!("no {kind} `{name}` in the results of {}", self.cx.scenario),
            Some(help),
        );
        false
    }

    fn event(&mut self, k: &Spanned<std::borrow::Cow<str>>, v: &Spanned<DeValue>) {
        if !self.metric("events", k, true) {
            return;
        }
        let name = k.get_ref().to_string();
        let path = format!("events.{name}");
        let Some(t) = self.table(&path, v) else {
            return;
        };
        let mut fact: Option<(Fact, Range<usize>)> = None;
        for (key, x) in t.iter() {
            let kp = format!("{path}.{}", key.get_ref());
            let make: fn(jiff::civil::Date) -> Fact = match key.get_ref().as_ref() {
                "happened" => Fact::Happened,
                "not_by" => Fact::NotBy,
                other => {
                    self.error(
                        &kp,
                        span(key),
                        format!("unknown key `{other}`"),
                        Some(suggest(other, &["happened", "not_by"])),
                    );
                    continue;
                }
            };
            if fact.is_some() {
                self.error(
                    &kp,
                    span(key),
                    "give either `happened` or `not_by`, not both".into(),
                    Some(
                        "an event that happened on a day had not happened before it: \
                         `happened` says both"
                            .into(),
                    ),
                );
                continue;
            }
            if let Some(d) = self.dated(&kp, x) {
                fact = Some((make(d), x.span()));
            }
        }
        match fact {
            Some((fact, span)) => self.obs.events.push(EventObs {
                metric: name,
                fact,
                span,
            }),
            None if t.is_empty() => self.error(
                &path,
                span(v),
                "say what was observed: `happened = DATE` or `not_by = DATE`".into(),
                None,
            ),
            None => {}
        }
    }

    fn quantity(&mut self, k: &Spanned<std::borrow::Cow<str>>, v: &Spanned<DeValue>) {
        if !self.metric("quantities", k, false) {
            return;
        }
        let name = k.get_ref().to_string();
        if let Some(x) = self.number(&format!("quantities.{name}"), v) {
            self.obs.quantities.push((name, x));
        }
    }

    fn base_rate(&mut self, k: &Spanned<std::borrow::Cow<str>>, v: &Spanned<DeValue>) {
        if !self.metric("base_rates", k, true) {
            return;
        }
        let name = k.get_ref().to_string();
        let path = format!("base_rates.{name}");
        if let Some(x) = self.number(&path, v) {
            if (0.0..=1.0).contains(&x) {
                self.obs.base_rates.push((name, x));
            } else {
                self.error(
                    &path,
                    span(v),
                    format!("a base rate is a probability per 365 days in [0, 1], got {x}"),
                    None,
                );
            }
        }
    }
}

/// Month ends from `from` to `to` (inclusive).
pub fn month_ends(from: jiff::civil::Date, to: jiff::civil::Date) -> Vec<jiff::civil::Date> {
    let mut out = Vec::new();
    let mut d = from.last_of_month();
    while d <= to {
        out.push(d);
        match d.tomorrow() {
            Ok(next) => d = next.last_of_month(),
            Err(_) => break,
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Scoring a run's result

/// The forecasters scored, the model first.
pub const FORECASTERS: [&str; 4] = ["model", "coin", "constant_hazard", "base_rate"];

/// One event scored at one checkpoint.
#[derive(Clone, Debug)]
pub struct Item {
    /// Index into the observed events.
    pub event: usize,
    pub day: u32,
    pub outcome: bool,
    /// By forecaster; NaN where it gives none (no base rate).
    pub forecast: [f64; 4],
}

/// A run's result scored against an observed file: what score.csv, skill.csv,
/// reliability.csv and score.txt hold.
pub struct Scored {
    pub items: Vec<Item>,
    pub skills: Vec<SkillRow>,
    /// The histograms of the observed quantities, values in increasing order.
    pub hist: BTreeMap<String, Vec<(f64, u64)>>,
    /// The floor of the log score.
    pub floor: f64,
    pub checkpoints: Vec<Date>,
    /// Distinct listed events that happened and that did not, at their last checkpoint.
    pub happened: usize,
    pub not: usize,
    /// The reliability bins, when enough events happened and enough did not.
    pub reliability: Option<Vec<Bin>>,
    /// Warnings about what the score means (outcomes the forecast already knew).
    pub warnings: Vec<String>,
}

/// What an observed file is checked against, from a run's manifest and the metric names of
/// its summary (event metrics are those of kind `probability`).
pub fn context<'a>(m: &'a RunResult, summary: &'a [(String, String)]) -> Context<'a> {
    let mut events = Vec::new();
    let mut quantities = Vec::new();
    for (metric, kind) in summary {
        match kind.as_str() {
            "probability" => events.push(metric.as_str()),
            _ => quantities.push(metric.as_str()),
        }
    }
    Context {
        scenario: &m.scenario.name,
        start: m.start(),
        last: m.last(),
        events,
        quantities,
    }
}

/// Scores a run's result `m` against `obs` (parsed from `text`, shown as `file`), from the
/// rows of its distributions.csv (metric, value, count): the first-day counts of the listed
/// events and the histograms of the listed quantities, so forecasts are exact shares k/N.
pub fn score<'a>(
    m: &RunResult,
    obs: &Observed,
    text: &str,
    file: &str,
    dist: impl IntoIterator<Item = (&'a str, f64, u64)>,
) -> Scored {
    let horizon = m.horizon();
    let start = m.start();
    let mut first: BTreeMap<&str, Vec<u64>> = obs
        .events
        .iter()
        .map(|e| (e.metric.as_str(), vec![0u64; horizon as usize]))
        .collect();
    let mut hist: BTreeMap<String, Vec<(f64, u64)>> = obs
        .quantities
        .iter()
        .map(|(q, _)| (q.clone(), Vec::new()))
        .collect();
    for (name, value, count) in dist {
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
    let floor = log_floor(runs);
    let day_of = |d: Date| (d - start).get_days().max(0) as u32;

    // Checkpoints: the file's, or month ends up to the last day it covers.
    let through = obs
        .through
        .or_else(|| obs.events.iter().map(|e| e.fact.date()).max());
    let checkpoints: Vec<Date> = match (&obs.checkpoints, through) {
        (Some(c), _) => c.clone(),
        (None, Some(t)) => {
            let to = t.min(m.last());
            let ends = month_ends(start, to);
            if ends.is_empty() { vec![to] } else { ends }
        }
        (None, None) => Vec::new(),
    };

    let items = event_items(obs, &first, runs, horizon, &checkpoints, &day_of);
    let warnings = warnings_as_of(m, obs, &items, &checkpoints, text, file);

    // Reliability: outcomes of distinct events at their last scored checkpoint.
    let mut last_outcome: BTreeMap<usize, bool> = BTreeMap::new();
    for it in &items {
        last_outcome.insert(it.event, it.outcome);
    }
    let happened = last_outcome.values().filter(|&&y| y).count();
    let not = last_outcome.len() - happened;
    let min = RELIABILITY_MIN_EVENTS;
    let reliability = (happened >= min && not >= min).then(|| {
        let pairs: Vec<(f64, bool)> = items.iter().map(|i| (i.forecast[0], i.outcome)).collect();
        self::reliability(&pairs, 10)
    });
    let skills = skill_rows(obs, &items, floor);
    Scored {
        items,
        skills,
        hist,
        floor,
        checkpoints,
        happened,
        not,
        reliability,
        warnings,
    }
}

/// Every listed event at every checkpoint where its outcome is known, in file order.
fn event_items(
    obs: &Observed,
    first: &BTreeMap<&str, Vec<u64>>,
    runs: u64,
    horizon: u32,
    checkpoints: &[Date],
    day_of: &dyn Fn(Date) -> u32,
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
                    constant_hazard(by_horizon, f64::from(horizon), day),
                    base.map_or(f64::NAN, |r| constant_hazard(r, 365.0, day)),
                ],
            });
        }
    }
    items
}

/// A forecast cannot be scored on what it already knew: warnings about events dated on or
/// before the scenario's `as_of`, and checkpoints that are.
fn warnings_as_of(
    m: &RunResult,
    obs: &Observed,
    items: &[Item],
    checkpoints: &[Date],
    text: &str,
    file: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(as_of) = m
        .scenario
        .as_of
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
    else {
        return out;
    };
    for e in &obs.events {
        if let Fact::Happened(h) = e.fact
            && h <= as_of
        {
            let (line, col) = crate::scenario::diag::line_col(text, e.span.start);
            out.push(format!(
                "brink: warning: {file}:{line}:{col}: {} happened on {h}, on or before the \
                 scenario's as_of date {as_of}: the forecast already knew it, so its score \
                 says little",
                e.metric
            ));
        }
    }
    let early = checkpoints.iter().filter(|&&c| c <= as_of).count();
    if early > 0 {
        let known = (as_of - m.start()).get_days();
        let scored = items
            .iter()
            .filter(|i| i64::from(i.day) <= i64::from(known))
            .count();
        out.push(format!(
            "brink: warning: {early} checkpoint(s) ({scored} scored forecasts) are on or before \
             the scenario's as_of date {as_of}, when its authors already knew the outcome"
        ));
    }
    out
}

/// Mean scores of the model and a reference on the same items.
#[derive(Clone, Debug)]
pub struct SkillRow {
    /// None: all events.
    pub metric: Option<String>,
    pub reference: &'static str,
    pub items: usize,
    pub model: (f64, f64),
    pub reference_score: (f64, f64),
}

fn skill_rows(obs: &Observed, items: &[Item], floor: f64) -> Vec<SkillRow> {
    let mean = |sel: &[&Item], f: usize| -> (f64, f64) {
        let n = sel.len() as f64;
        let b = sel
            .iter()
            .map(|i| brier(i.forecast[f], i.outcome))
            .sum::<f64>();
        let l = sel
            .iter()
            .map(|i| log_score(i.forecast[f], i.outcome, floor))
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

fn signed(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else {
        format!("{x:+.2}")
    }
}

/// score.txt, also printed: the plain-text summary: what was scored, the model against each reference, each event and
/// each quantity.
pub fn summary_text(m: &RunResult, observed: &str, obs: &Observed, r: &Scored) -> String {
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
        clip(observed, 80)
    );
    let scored: std::collections::BTreeSet<usize> = r.items.iter().map(|i| i.event).collect();
    let span = match (r.checkpoints.first(), r.checkpoints.last()) {
        (Some(a), Some(b)) if a != b => format!(" ({a} to {b})"),
        (Some(a), _) => format!(" ({a})"),
        _ => String::new(),
    };
    let quantities = match obs.quantities.len() {
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
        short(r.floor)
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
                signed(skill(k.model.0, k.reference_score.0)),
                signed(skill(k.model.1, k.reference_score.1))
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
        for (e, ev) in obs.events.iter().enumerate() {
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
                clip(&what, 80),
                k.items,
                k.model.0,
                k.model.1,
                signed(skill(k.model.0, k.reference_score.0))
            );
        }
        let _ = writeln!(
            s,
            "(Brier skill of each event against the constant hazard.)"
        );
    }
    if !obs.quantities.is_empty() {
        let _ = writeln!(
            s,
            "\n{:<32} {:>10} {:>14} {:>10}",
            "quantity", "observed", "forecast mean", "CRPS"
        );
        for (q, x) in &obs.quantities {
            let h = &r.hist[q.as_str()];
            let n: u64 = h.iter().map(|b| b.1).sum();
            let mean = h.iter().map(|b| b.0 * b.1 as f64).sum::<f64>() / n.max(1) as f64;
            let crps = crps(h, *x);
            let _ = writeln!(
                s,
                "{:<32} {:>10} {:>14} {:>10}",
                clip(q, 80),
                short(*x),
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
    let (enough, happened, not) = (r.reliability.is_some(), r.happened, r.not);
    let min = RELIABILITY_MIN_EVENTS;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_of_worked_examples() {
        assert!((brier(0.7, true) - 0.09).abs() < 1e-15);
        assert!((brier(0.7, false) - 0.49).abs() < 1e-15);
        assert!((log_score(0.25, true, 1e-3) - crate::math::ln(4f64)).abs() < 1e-15);
        assert!((log_score(0.0, true, 1e-3) - crate::math::ln(1000f64)).abs() < 1e-12);
        assert!((log_score(1.0, false, 0.005) - crate::math::ln(200f64)).abs() < 1e-12);
        assert_eq!(log_floor(10_000), 0.00005);
    }

    #[test]
    fn constant_hazard_spreads_the_total_evenly() {
        // By the last day the total is reached; halfway, 1 − √(1 − total).
        let p = constant_hazard(0.36, 100.0, 99);
        assert!((p - 0.36).abs() < 1e-12);
        let half = constant_hazard(0.36, 100.0, 49);
        assert!((half - 0.2).abs() < 1e-12);
        assert_eq!(constant_hazard(0.0, 365.0, 10), 0.0);
        assert_eq!(constant_hazard(1.0, 365.0, 0), 1.0);
    }

    #[test]
    fn crps_of_small_distributions() {
        // A point mass: the absolute error.
        assert_eq!(crps(&[(3.0, 5)], 7.0), Some(4.0));
        assert_eq!(crps(&[(3.0, 5)], 3.0), Some(0.0));
        // Half at 0, half at 10, observed 4: ∫0..4 0.25 + ∫4..10 0.25 = 2.5, which is
        // E|X − x| − E|X − X'|/2 = 5 − 2.5.
        assert_eq!(crps(&[(0.0, 1), (10.0, 1)], 4.0), Some(2.5));
        // Observed beyond the support.
        assert_eq!(crps(&[(0.0, 1), (10.0, 1)], 12.0), Some(0.25 * 10.0 + 2.0));
        assert_eq!(crps(&[], 1.0), None);
    }

    #[test]
    fn month_ends_cover_the_range() {
        let d = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
        assert_eq!(
            month_ends(d("2025-12-30"), d("2026-03-15")),
            [d("2025-12-31"), d("2026-01-31"), d("2026-02-28")]
        );
        assert!(month_ends(d("2026-01-02"), d("2026-01-30")).is_empty());
    }

    #[test]
    fn reliability_bins_hold_their_items() {
        let bins = reliability(
            &[(0.05, false), (0.07, true), (0.95, true), (1.0, true)],
            10,
        );
        assert_eq!(bins.len(), 2);
        assert_eq!((bins[0].items, bins[0].hits), (2, 1));
        assert_eq!((bins[1].items, bins[1].hits, bins[1].lo), (2, 2, 0.9));
    }
}
