//! Studies whose runs or end depend on what they find: `run --given` (keep the runs consistent
//! with what happened), `--target-runs` (simulate until N runs are kept) and `--precision`
//! (simulate blocks of `CHUNK` runs until every event metric is known to a half-width).
//!
//! [`Plan::new`] checks the options and parses the conditions (with the messages every front
//! end shows); [`study()`] drives the chunks through `study::drive` and returns the kept
//! aggregate, handing the kept per-run rows to the caller chunk by chunk, so a front end
//! streams them (the command line to runs.csv) or collects them (the Python package). No
//! I/O: files, progress and messages on stderr are the front end's.
//!
//! The study ends at a run index fixed by the options alone, never by threads: the N-th kept
//! run (its chunk simulated again up to it) or the end of the first block that meets the
//! precision; whatever a batch computed beyond is discarded.

use std::ops::Range;
use std::sync::atomic::AtomicBool;

use crate::engine::{CHUNK, Engine, RunRows};
use crate::given::{ConditionError, Given};
use crate::manifest::{GivenDetail, PrecisionDetail};
use crate::model::Scenario;
use crate::scenario::diag::clip;
use crate::stats::{Aggregate, widest_event};
use crate::study::{self, Ended, Flow, Kept, Pace};
use crate::table::thousands;

/// The budget of `--target-runs` and `--precision` without `--max-runs`, as for `trace
/// --find`.
pub const DEFAULT_MAX_RUNS: u64 = 1_000_000;

/// A half-width `--precision` accepts, or the words every front end gives.
pub fn half_width(h: f64) -> Result<f64, String> {
    if h > 0.0 && h < 0.5 {
        Ok(h)
    } else {
        Err(
            "expected a half-width between 0 and 0.5 (exclusive), e.g. 0.01 for one \
             percentage point"
                .into(),
        )
    }
}

/// Below this many kept runs a conditional result is flagged: a probability's 95% interval is
/// then wider than ±5 points at p = 0.5 (1.96 · 0.5 / √400 = 0.049), coarser than the
/// differences a forecast is read for.
pub const FEW_RUNS: u64 = 400;

/// When the study stops.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// After a fixed number of runs (`--runs`).
    Fixed(u64),
    /// At the N-th kept run (`--target-runs`).
    Target(u64),
    /// At the end of the first block meeting the half-width (`--precision`).
    Precision(f64),
}

/// The options of a study, checked.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The conditions; none for `--precision` alone.
    pub given: Given,
    pub stop: Stop,
    /// `--max-runs`, or its default.
    pub max_runs: u64,
    /// `--target-runs` as given.
    pub target_runs: Option<u64>,
}

/// The options as the user gave them.
#[derive(Clone, Debug, Default)]
pub struct Options<'a> {
    pub given: &'a [String],
    pub runs: Option<u64>,
    pub target_runs: Option<u64>,
    pub precision: Option<f64>,
    pub max_runs: Option<u64>,
}

/// Renders a refused condition under its text, with carets under the bad part.
pub fn condition_message(text: &str, e: &ConditionError) -> String {
    let shown = clip(text, 80).into_owned();
    let visible = shown.chars().count();
    let col = text[..e.span.start.min(text.len())]
        .chars()
        .count()
        .min(visible);
    let width = text
        .get(e.span.clone())
        .map_or(1, |s| s.chars().count())
        .clamp(1, visible.saturating_sub(col).max(1));
    let mut msg = format!(
        "error: --given `{}`: {}\n   |\n   | {shown}\n   | {}{}\n",
        shown,
        e.message,
        " ".repeat(col),
        "^".repeat(width)
    );
    if let Some(h) = &e.help {
        msg.push_str(&format!("  = help: {h}\n"));
    }
    msg
}

/// Parses every condition, reporting all the bad ones at once, and refuses a contradiction.
pub fn conditions(sc: &Scenario, texts: &[String]) -> Result<Given, String> {
    let mut given = Given::default();
    let mut errors = String::new();
    for t in texts {
        match crate::given::parse(sc, t) {
            Ok(c) => given.conditions.push(c),
            Err(e) => {
                errors.push_str(&condition_message(t, &e));
                errors.push('\n');
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some(clash) = given.contradiction(sc.horizon) {
        let list: Vec<String> = clash
            .iter()
            .map(|&i| format!("`{}`", given.conditions[i].text(sc)))
            .collect();
        return Err(format!(
            "error: --given: no run can satisfy {} together: they contradict each other\n",
            list.join(" and ")
        ));
    }
    Ok(given)
}

impl Plan {
    /// Checks the options against `sc`; the error is the message to show.
    pub fn new(sc: &Scenario, o: &Options) -> Result<Plan, String> {
        let given = conditions(sc, o.given)?;
        if o.max_runs.is_some() && o.target_runs.is_none() && o.precision.is_none() {
            return Err(
                "error: --max-runs goes with --target-runs or --precision, which decide when to \
                 stop; with --given alone, --runs runs are simulated\n"
                    .into(),
            );
        }
        let max_runs = o.max_runs.unwrap_or(DEFAULT_MAX_RUNS);
        let stop = match (o.target_runs, o.precision) {
            (Some(n), _) => Stop::Target(n),
            (None, Some(h)) => Stop::Precision(h),
            (None, None) => Stop::Fixed(o.runs.unwrap_or(sc.default_runs)),
        };
        if let Stop::Target(n) = stop
            && n > max_runs
        {
            return Err(format!(
                "error: --target-runs {n} asks to keep more runs than the {max_runs} --max-runs \
                 allows to simulate\n"
            ));
        }
        Ok(Plan {
            given,
            stop,
            max_runs,
            target_runs: o.target_runs,
        })
    }

    /// Whether runs are filtered by conditions.
    pub fn filtering(&self) -> bool {
        !self.given.conditions.is_empty()
    }

    /// The most runs the study may simulate.
    pub fn limit(&self) -> u64 {
        match self.stop {
            Stop::Fixed(n) => n,
            _ => self.max_runs,
        }
    }
}

/// What a finished study found.
pub struct Finished {
    /// The aggregate of the kept runs (all simulated runs without conditions).
    pub total: Aggregate,
    /// Runs kept (the effective number of runs).
    pub kept: u64,
    /// Runs 0 … simulated − 1 were simulated.
    pub simulated: u64,
    /// Whether the target or the precision was reached before `max_runs`.
    pub reached: bool,
    /// The event metrics' ids, for messages.
    metric_names: Vec<String>,
}

impl Finished {
    /// The manifest's `given` block, for a study with conditions.
    pub fn given_detail(&self, sc: &Scenario, plan: &Plan) -> Option<GivenDetail> {
        plan.filtering().then(|| GivenDetail {
            conditions: plan.given.conditions.iter().map(|c| c.text(sc)).collect(),
            through: plan
                .given
                .through()
                .map(|d| sc.date(d).to_string())
                .unwrap_or_default(),
            simulated_runs: self.simulated,
            effective_runs: self.kept,
            target_runs: plan.target_runs,
            max_runs: plan.target_runs.map(|_| plan.max_runs),
        })
    }

    /// The manifest's `precision` block, for a study to a precision.
    pub fn precision_detail(&self, sc: &Scenario, plan: &Plan) -> Option<PrecisionDetail> {
        let Stop::Precision(h) = plan.stop else {
            return None;
        };
        let widest = widest_event(&self.total);
        Some(PrecisionDetail {
            half_width: h,
            block: CHUNK,
            max_runs: plan.max_runs,
            reached: self.reached,
            widest_metric: widest.map(|(e, _)| sc.metrics.events[e].id.clone()),
            widest_half_width: widest.map(|(_, w)| w),
        })
    }
}

impl Finished {
    /// What the result can be trusted for, as every front end warns: too few runs kept, a
    /// budget spent before the target or the precision was reached.
    pub fn warnings(&self, plan: &Plan) -> Vec<String> {
        let mut out = Vec::new();
        if plan.filtering() && self.kept < FEW_RUNS {
            out.push(format!(
                "brink: warning: only {} runs are kept: below {FEW_RUNS}, a probability's 95% \
                 interval is wider than ±5 points; simulate more (--runs, or --target-runs)",
                self.kept
            ));
        }
        match plan.stop {
            Stop::Target(n) if !self.reached => out.push(format!(
                "brink: warning: --max-runs {} spent with {} of the {n} runs asked for kept",
                thousands(plan.max_runs),
                thousands(self.kept)
            )),
            Stop::Precision(h) if !self.reached => {
                let sc_widest = widest_event(&self.total);
                let (name, w) = sc_widest.map_or((String::new(), 0.0), |(e, w)| {
                    (self.metric_names[e].clone(), w)
                });
                out.push(format!(
                    "brink: warning: --max-runs {} spent before every event metric reached a \
                     95% half-width of {h}; widest: {name}, {w:.5}",
                    thousands(plan.max_runs),
                ));
            }
            _ => {}
        }
        out
    }
}

/// Why a study gave no result.
#[derive(Debug)]
pub enum Failed<E> {
    /// The stop flag was raised; `simulated` runs had been taken in.
    Stopped { simulated: u64 },
    /// No simulated run satisfied the conditions: the message to show.
    NoneKept(String),
    /// The caller's row sink failed.
    Sink(E),
}

/// Runs the study of `plan` on the current rayon pool. With `per_run`, `rows` receives each
/// chunk's kept rows in run order; `progress` the number of run indices each chunk covered.
pub fn study<E>(
    engine: &Engine,
    plan: &Plan,
    per_run: bool,
    stop: &AtomicBool,
    mut rows: impl FnMut(&RunRows) -> Result<(), E>,
    mut progress: impl FnMut(u64),
) -> Result<Finished, Failed<E>> {
    let sc = engine.scenario;
    let filtering = plan.filtering();
    let given = &plan.given;
    let mut total = Aggregate::new(sc);
    let mut kept_total = 0u64;
    let mut simulated = 0u64;
    let chunk = |r: Range<u64>| -> Option<Kept> {
        if filtering {
            study::chunk_given(engine, r, per_run, given, stop)
        } else {
            study::chunk(engine, r, per_run, stop).map(|chunk| Kept {
                kept: Vec::new(),
                chunk,
            })
        }
    };
    let kept_in = |k: &Kept| match filtering {
        true => k.kept.len() as u64,
        false => k.chunk.runs.end - k.chunk.runs.start,
    };
    let mut cut_short = false;
    let ended = study::drive(
        0..plan.limit(),
        Pace::RUNS,
        stop,
        chunk,
        |mut k: Kept| -> Result<Flow, E> {
            let mut flow = Flow::Continue;
            let done = k.chunk.runs.end - k.chunk.runs.start;
            if let Stop::Target(n) = plan.stop
                && kept_total + kept_in(&k) >= n
            {
                // Exactly runs 0 … r, r the N-th kept run: simulate this chunk again up to it
                // (a chunk is at most 1024 runs).
                let need = (n - kept_total) as usize;
                let cut = k.kept[need - 1] + 1;
                if cut < k.chunk.runs.end {
                    let Some(again) =
                        study::chunk_given(engine, k.chunk.runs.start..cut, per_run, given, stop)
                    else {
                        cut_short = true;
                        return Ok(Flow::Enough);
                    };
                    k = again;
                }
                flow = Flow::Enough;
            }
            total.merge(&k.chunk.aggregate);
            kept_total += kept_in(&k);
            simulated = k.chunk.runs.end;
            if let Some(r) = &k.chunk.rows {
                rows(r)?;
            }
            progress(done);
            if let Stop::Precision(h) = plan.stop
                && widest_event(&total).is_none_or(|(_, w)| w <= h)
            {
                flow = Flow::Enough;
            }
            Ok(flow)
        },
    )
    .map_err(Failed::Sink)?;
    if ended == Ended::Stopped || cut_short {
        return Err(Failed::Stopped { simulated });
    }
    if kept_total == 0 {
        let list: Vec<String> = given.conditions.iter().map(|c| c.text(sc)).collect();
        return Err(Failed::NoneKept(format!(
            "error: none of the {simulated} runs simulated satisfies {}; nothing was written\n  \
             = help: the conditions may be impossible in this scenario, or rare: try \
             --target-runs N (with a larger --max-runs)\n",
            list.join(" and ")
        )));
    }
    Ok(Finished {
        total,
        kept: kept_total,
        simulated,
        reached: ended == Ended::Enough,
        metric_names: sc.metrics.events.iter().map(|m| m.id.clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Scenario {
        let text = include_str!("../scenarios/minimal.toml");
        crate::scenario::parse(text, "minimal.toml").unwrap()
    }

    fn plan(sc: &Scenario, o: Options) -> Result<Plan, String> {
        Plan::new(sc, &o)
    }

    #[test]
    fn options_are_checked_with_the_words_of_the_flags() {
        let sc = minimal();
        let given = ["blue_strikes<=2026-01-31".to_string()];
        let p = plan(
            &sc,
            Options {
                given: &given,
                target_runs: Some(50),
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!((p.stop, p.max_runs), (Stop::Target(50), DEFAULT_MAX_RUNS));
        let e = plan(
            &sc,
            Options {
                given: &given,
                target_runs: Some(50),
                max_runs: Some(10),
                ..Options::default()
            },
        )
        .unwrap_err();
        assert!(
            e.contains("--target-runs 50 asks to keep more runs than the 10"),
            "{e}"
        );
        let e = plan(
            &sc,
            Options {
                given: &given,
                max_runs: Some(10),
                ..Options::default()
            },
        )
        .unwrap_err();
        assert!(e.starts_with("error: --max-runs goes with"), "{e}");
        assert!(half_width(0.5).is_err() && half_width(0.0).is_err());
        assert_eq!(half_width(0.01), Ok(0.01));
        // Every bad condition is reported, each with carets under its fault.
        let bad = [
            "blue_strike<=2026-01-31".to_string(),
            "red_answers<=2026-13-01".into(),
        ];
        let e = conditions(&sc, &bad).unwrap_err();
        assert_eq!(e.matches("error: --given").count(), 2, "{e}");
        assert!(
            e.contains("   | blue_strike<=2026-01-31\n   | ^^^^^^^^^^^\n"),
            "{e}"
        );
        // Conditions that cannot hold together are refused before anything runs.
        let clash = [
            "blue_strikes<=2026-01-10".to_string(),
            "not blue_strikes<=2026-01-20".into(),
        ];
        assert!(conditions(&sc, &clash).unwrap_err().contains("contradict"));
    }

    #[test]
    fn a_target_stops_at_the_nth_kept_run_whatever_the_threads() {
        let sc = minimal();
        let engine = Engine::new(&sc, 3);
        let given = ["blue_strikes<=2026-02-20".to_string()];
        let p = plan(
            &sc,
            Options {
                given: &given,
                target_runs: Some(1500),
                ..Options::default()
            },
        )
        .unwrap();
        let stop = AtomicBool::new(false);
        let mut seen = Vec::new();
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut runs = Vec::new();
            let f = pool
                .install(|| {
                    study(
                        &engine,
                        &p,
                        true,
                        &stop,
                        |r| {
                            runs.extend((0..r.len()).map(|i| r.row(i).0));
                            Ok::<(), ()>(())
                        },
                        |_| {},
                    )
                })
                .unwrap_or_else(|_| panic!("the study ends"));
            assert_eq!((f.kept, runs.len() as u64), (1500, 1500));
            assert!(f.reached);
            // The last kept run is the last simulated: the study ends exactly at it.
            assert_eq!(runs.last().copied(), Some(f.simulated - 1));
            assert!(runs.windows(2).all(|w| w[0] < w[1]));
            assert!(f.given_detail(&sc, &p).is_some() && f.precision_detail(&sc, &p).is_none());
            seen.push((runs, f.total.runs, f.simulated));
        }
        assert_eq!(seen[0], seen[1]);
    }
}
