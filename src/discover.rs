//! Scenario discovery (`brink discover`): which inputs of the runs — the uncertain parameters
//! drawn per run and the day each event metric first happened — mark out the runs with an
//! outcome. PRIM (`crate::prim`) peels and pastes a trajectory of boxes; the box with the most
//! runs of the outcome beyond the base rate (weighted relative accuracy), or the one asked for,
//! is chosen, its restrictions whose quasi-p-value exceeds the significance level are dropped
//! one at a time, and the result is told as a sentence.
//!
//! Both front ends go through [`Discover::new`] (the options, checked against the runs'
//! columns), [`Discover::read`] (the inputs of every run from a `per_run::Source`, 8 bytes per
//! run and input), [`Discover::run`] and the table of `crate::table::discover`. No I/O.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use serde::Serialize;

use crate::manifest::DiscoverDetail;
use crate::per_run::{Columns, Needs, Source};
use crate::prim::{self, Data, Prim, Stage};
use crate::scenario::diag::clip;
use crate::watch::Outcome;

/// Which inputs PRIM may restrict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Features {
    /// Uncertain parameters and the first day of every event metric.
    All,
    /// Only the uncertain parameters: the assumptions behind the outcome.
    Params,
    /// Only the first days of event metrics: the paths that lead to it.
    Paths,
}

impl Features {
    /// `all`, `params` or `paths`; the error is the message to show.
    pub fn parse(s: &str) -> Result<Features, String> {
        match s {
            "all" => Ok(Features::All),
            "params" => Ok(Features::Params),
            "paths" => Ok(Features::Paths),
            _ => Err(format!(
                "error: features `{}`: expected all, params or paths\n",
                clip(s, 80)
            )),
        }
    }
}

/// The options as the user gave them.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    pub outcome: &'a str,
    pub features: Features,
    pub exclude: &'a [String],
    pub chosen_box: Option<usize>,
    pub significance: f64,
    pub prim: prim::Options,
}

/// A number between 0 and 1 (exclusive), or the words every front end gives.
pub fn unit_open(x: f64) -> Result<f64, String> {
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err("expected a number between 0 and 1 (exclusive)".into())
    }
}

/// What an input is, for words.
#[derive(Clone, Debug)]
pub enum Input {
    /// An uncertain parameter, by key path, and its index in `Columns::params`.
    Param(String, usize),
    /// An event's first day (the horizon for "never"), and its index in `Columns::events`.
    FirstDay(String, usize),
}

/// A discovery, checked against a result's columns.
#[derive(Clone, Debug)]
pub struct Discover {
    pub outcome: Outcome,
    pub outcome_text: String,
    pub features: Features,
    /// The inputs: name (a key path or `<metric>_first_day`) and what it is.
    pub inputs: Vec<(String, Input)>,
    pub chosen_box: Option<usize>,
    pub significance: f64,
    pub prim: prim::Options,
}

/// The inputs and outcome of every run.
pub struct Runs {
    pub data: Data,
    pub n: u64,
    pub k: u64,
}

/// What a discovery found.
pub struct Found {
    pub trajectory: Vec<prim::Box>,
    pub chosen_at: usize,
    /// The chosen box with its insignificant restrictions dropped.
    pub chosen: prim::Box,
    /// Quasi-p-values of the trajectory's box `chosen_at` and of the chosen box.
    pub from_qp: Vec<(usize, [Option<f64>; 2])>,
    pub chosen_qp: Vec<(usize, [Option<f64>; 2])>,
    /// Runs with the outcome in all runs, and all runs.
    pub total_k: u64,
    pub n: u64,
    /// Each input's smallest and largest value.
    pub init: Vec<(f64, f64)>,
    pub sentence: String,
}

impl Discover {
    /// Checks the options against the runs' columns; the error is the message to show.
    pub fn new(cols: &Columns, o: &Options) -> Result<Discover, String> {
        let outcome = cols.outcome(o.outcome)?;
        let mut inputs: Vec<(String, Input)> = Vec::new();
        if o.features != Features::Paths {
            for (p, (path, _)) in cols.params.iter().enumerate() {
                inputs.push((path.clone(), Input::Param(path.clone(), p)));
            }
        }
        if o.features != Features::Params {
            for (e, (id, _, _)) in cols.events.iter().enumerate() {
                if outcome != Outcome::Event(e) {
                    inputs.push((format!("{id}_first_day"), Input::FirstDay(id.clone(), e)));
                }
            }
        }
        for x in o.exclude {
            let x = x.trim();
            let names: Vec<&str> = inputs.iter().map(|i| i.0.as_str()).collect();
            if !names.contains(&x) {
                return Err(format!(
                    "error: --exclude: no input `{}`\n  = help: {}\n",
                    clip(x, 80),
                    crate::scenario::diag::suggest(x, &names)
                ));
            }
        }
        inputs.retain(|i| !o.exclude.iter().any(|x| x.trim() == i.0));
        if inputs.is_empty() {
            return Err(
                "error: no input to restrict: the results have no uncertain parameter or event \
                 metric left\n"
                    .into(),
            );
        }
        Ok(Discover {
            outcome,
            outcome_text: o.outcome.to_string(),
            features: o.features,
            inputs,
            chosen_box: o.chosen_box,
            significance: o.significance,
            prim: o.prim,
        })
    }

    /// The values of a row the discovery reads.
    pub fn needs(&self) -> Needs {
        let mut n = Needs::outcome(&self.outcome);
        for (_, i) in &self.inputs {
            match i {
                Input::Param(_, p) => n.params.push(*p),
                Input::FirstDay(_, e) => n.add_event(*e),
            }
        }
        n
    }

    /// Reads the inputs and the outcome of every run, column by column; `expect` is the runs
    /// the manifest announces (room is made for at most ten million; more grow as read).
    /// `Err(n)` if the stop flag was raised after `n` runs.
    pub fn read(
        &self,
        runs: &mut dyn Source,
        horizon: u32,
        expect: u64,
        stop: &AtomicBool,
    ) -> Result<Result<Runs, u64>, String> {
        let horizon = f64::from(horizon);
        let mut row = runs.columns().row();
        let expect = usize::try_from(expect).unwrap_or(0).min(10_000_000);
        let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(expect); self.inputs.len()];
        let mut y = Vec::with_capacity(expect);
        while runs.next(&mut row)? {
            if y.len().is_multiple_of(4096) && stop.load(Relaxed) {
                return Ok(Err(y.len() as u64));
            }
            y.push(self.outcome.holds(&row.first, &row.values));
            for (c, (_, what)) in cols.iter_mut().zip(&self.inputs) {
                c.push(match what {
                    Input::Param(_, p) => row.params[*p],
                    Input::FirstDay(_, e) => row.first[*e].map_or(horizon, f64::from),
                });
            }
        }
        if stop.load(Relaxed) {
            return Ok(Err(y.len() as u64));
        }
        for c in &mut cols {
            c.shrink_to_fit();
        }
        let n = y.len() as u64;
        let k = y.iter().filter(|&&o| o).count() as u64;
        Ok(Ok(Runs {
            data: Data {
                names: self.inputs.iter().map(|i| i.0.clone()).collect(),
                cols,
                y,
            },
            n,
            k,
        }))
    }

    /// Refuses runs in which the outcome never or always happens.
    pub fn check(&self, runs: &Runs) -> Result<(), String> {
        let (n, k) = (runs.n, runs.k);
        if k == 0 || k == n {
            return Err(format!(
                "error: `{}` happens in {} the {n} runs: there is nothing to tell apart\n",
                clip(self.outcome_text.as_str(), 80),
                if k == 0 { "none of" } else { "all of" }
            ));
        }
        Ok(())
    }

    /// Runs PRIM on the current rayon pool; `Ok(None)` if the stop flag was raised. The
    /// error is the message to show (a `--box` beyond the trajectory). `start` and `horizon`
    /// are the runs' calendar, for the sentence.
    pub fn run(
        &self,
        runs: &Runs,
        start: jiff::civil::Date,
        horizon: u32,
        stop: &AtomicBool,
    ) -> Result<Option<Found>, String> {
        let n = runs.n;
        let prim = Prim::new(&runs.data, self.prim);
        let Some(traj) = prim.trajectory(stop) else {
            return Ok(None);
        };
        let chosen_at = match self.chosen_box {
            Some(i) if i < traj.len() => i,
            Some(i) => {
                return Err(format!(
                    "error: --box {i}: the trajectory has boxes 0 to {}\n",
                    traj.len() - 1
                ));
            }
            None => {
                let score = |b: &prim::Box| prim::wracc(b.n, b.k, n, prim.total_k);
                let mut best = 0;
                for (i, b) in traj.iter().enumerate() {
                    if score(b) > score(&traj[best]) {
                        best = i;
                    }
                }
                best
            }
        };
        let from = &traj[chosen_at];
        let from_qp = prim.quasi_p(&from.lims);
        let lims = prim.drop_insignificant(&from.lims, self.significance);
        let (cn, ck) = prim.count(&lims);
        let chosen = prim::Box {
            lims,
            n: cn,
            k: ck,
            stage: from.stage,
        };
        let chosen_qp = prim.quasi_p(&chosen.lims);
        if stop.load(Relaxed) {
            return Ok(None);
        }
        let words = Words {
            inputs: &self.inputs,
            start,
            horizon,
        };
        let sentence = words.sentence(&self.outcome_text, &prim, &chosen, n);
        Ok(Some(Found {
            chosen_at,
            chosen,
            from_qp,
            chosen_qp,
            total_k: prim.total_k,
            n,
            init: prim.init.clone(),
            sentence,
            trajectory: traj,
        }))
    }

    /// The manifest's detail; `results` names the result read.
    pub fn detail(&self, results: String, f: &Found) -> DiscoverDetail {
        DiscoverDetail {
            results,
            outcome: self.outcome_text.trim().to_string(),
            features: self.features,
            inputs: self.inputs.iter().map(|i| i.0.clone()).collect(),
            peel_alpha: self.prim.peel_alpha,
            paste_alpha: self.prim.paste_alpha,
            mass_min: self.prim.mass_min,
            significance: self.significance,
            chosen_box: f.chosen_at,
            sentence: f.sentence.clone(),
        }
    }
}

pub fn stage_name(s: Stage) -> &'static str {
    match s {
        Stage::Start => "start",
        Stage::Peel => "peel",
        Stage::Paste => "paste",
    }
}

/// Each restricted input's quasi-p-values, lower and upper side (`Prim::quasi_p`).
pub type QuasiP = [(usize, [Option<f64>; 2])];

/// A box limit for discover.csv: seven decimals, one more than runs.csv's, because a limit is
/// the midpoint of two runs' values; so a run's row tells exactly whether it is in the box.
pub fn limit(x: f64) -> String {
    format!("{x:.7}")
}

/// A quasi-p-value: six significant digits in exponent form, since they reach 1e-300.
pub fn pvalue(p: f64) -> String {
    format!("{p:.5e}")
}

/// Numbers and restrictions in words.
struct Words<'a> {
    inputs: &'a [(String, Input)],
    start: jiff::civil::Date,
    horizon: u32,
}

/// Three significant digits, without a trailing exponent for ordinary magnitudes.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = crate::math::log10(x.abs()).floor() as i32;
    let decimals = (2 - mag).max(0) as usize;
    format!("{x:.decimals$}")
}

/// A share as a percentage: whole percent from 10% on, one decimal below.
fn pct(x: f64) -> String {
    if x >= 0.1 {
        format!("{:.0}%", 100.0 * x)
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

impl Words<'_> {
    fn date(&self, day: f64) -> String {
        let d = day.clamp(0.0, f64::from(self.horizon)) as i64;
        self.start
            .checked_add(jiff::Span::new().days(d))
            .map_or_else(|_| format!("day {d}"), |x| x.to_string())
    }

    /// One restriction in words.
    fn restriction(&self, j: usize, lo: Option<f64>, hi: Option<f64>) -> String {
        match &self.inputs[j].1 {
            Input::Param(path, _) => match (lo, hi) {
                (Some(a), Some(b)) => format!("{path} is between {} and {}", sig(a), sig(b)),
                (Some(a), None) => format!("{path} is above {}", sig(a)),
                (None, Some(b)) => format!("{path} is below {}", sig(b)),
                (None, None) => format!("{path} is anything"),
            },
            Input::FirstDay(e, _) => {
                let h = f64::from(self.horizon);
                // Days are whole: x ≥ a means a day of at least ⌈a⌉, x ≤ b at most ⌊b⌋.
                let from = lo.map(f64::ceil).filter(|&a| a > 0.0);
                // A bound at or past the last day only says the event happens at all.
                let last = h - 1.0;
                match (from, hi.map(f64::floor)) {
                    (None, Some(b)) if b >= last => format!("{e} happens"),
                    (Some(a), Some(b)) if b >= last && a < h => {
                        format!("{e} happens, first on or after {}", self.date(a))
                    }
                    (Some(a), _) if a >= h => format!("{e} never happens"),
                    (Some(a), Some(b)) => format!(
                        "{e} first happens between {} and {}",
                        self.date(a),
                        self.date(b)
                    ),
                    (Some(a), None) => format!("{e} has not happened before {}", self.date(a)),
                    (None, Some(b)) => format!("{e} happens by {}", self.date(b)),
                    (None, None) => format!("{e} happens or not"),
                }
            }
        }
    }

    fn restrictions(&self, prim: &Prim, b: &prim::Box) -> Vec<String> {
        prim.restricted(&b.lims)
            .into_iter()
            .map(|j| {
                let (lo, hi) = b.lims[j];
                let (min, max) = prim.init[j];
                self.restriction(j, (lo != min).then_some(lo), (hi != max).then_some(hi))
            })
            .collect()
    }

    /// The chosen box as a sentence.
    fn sentence(&self, outcome: &str, prim: &Prim, b: &prim::Box, n: u64) -> String {
        let base = prim.total_k as f64 / n as f64;
        let density = b.k as f64 / b.n as f64;
        let coverage = b.k as f64 / prim.total_k as f64;
        let parts = self.restrictions(prim, b);
        if parts.is_empty() {
            return format!(
                "No restriction of the inputs stands out: {outcome} happens in {} of all runs.",
                pct(base)
            );
        }
        let list = match parts.len() {
            1 => parts[0].clone(),
            _ => format!(
                "{} and {}",
                parts[..parts.len() - 1].join(", "),
                parts[parts.len() - 1]
            ),
        };
        format!(
            "{outcome} happens in {} of the runs where {list}, {:.1} times its rate in all runs \
             ({}); these runs are {} of all runs and hold {} of all runs with {outcome}.",
            pct(density),
            density / base,
            pct(base),
            pct(b.n as f64 / n as f64),
            pct(coverage)
        )
    }
}

impl Found {
    /// The table `brink discover` prints: the sentence, the chosen box's restrictions with
    /// their quasi-p-values, and the trade-off curve. `names` are the inputs' names.
    pub fn text(&self, names: &[String]) -> String {
        let (traj, chosen_at, chosen) = (&self.trajectory, self.chosen_at, &self.chosen);
        let mut s = String::new();
        let _ = writeln!(s, "{}\n", self.sentence);
        let _ = writeln!(
            s,
            "Chosen box (from box {chosen_at} of {}; restrictions with a quasi-p-value above the \
             level dropped):",
            traj.len() - 1
        );
        let _ = writeln!(
            s,
            "  {:<52} {:>12} {:>12} {:>10} {:>10}",
            "input", "low", "high", "qp low", "qp high"
        );
        let qps = |p: Option<f64>| p.map_or("".to_string(), |p| format!("{p:.2e}"));
        // Limits as written in discover.csv, without trailing zeros.
        let limit = |x: f64| {
            let t = format!("{x:.6}");
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        for (j, p) in &self.chosen_qp {
            let (lo, hi) = chosen.lims[*j];
            let (min, max) = self.init[*j];
            let _ = writeln!(
                s,
                "  {:<52} {:>12} {:>12} {:>10} {:>10}",
                clip(&names[*j], 80),
                if lo != min { limit(lo) } else { "".into() },
                if hi != max { limit(hi) } else { "".into() },
                qps(p[0]),
                qps(p[1])
            );
        }
        let _ = writeln!(
            s,
            "\nTrade-off (coverage: share of the outcome's runs in the box; density: share of \
             the box's runs with the outcome):"
        );
        let _ = writeln!(
            s,
            "  {:>4} {:<6} {:>9} {:>8} {:>7} {:>11}",
            "box", "stage", "coverage", "density", "mass", "restricted"
        );
        for (i, b) in traj.iter().enumerate() {
            let _ = writeln!(
                s,
                "  {:>4} {:<6} {:>9.3} {:>8.3} {:>7.3} {:>11}{}",
                i,
                stage_name(b.stage),
                b.k as f64 / self.total_k as f64,
                b.k as f64 / b.n as f64,
                b.n as f64 / self.n as f64,
                prim::restricted(&self.init, &b.lims).len(),
                if i == chosen_at { "  <- chosen" } else { "" }
            );
        }
        s
    }
}
