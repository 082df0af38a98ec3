//! What to watch (`brink watch`): how much a signpost event seen by a date moves the
//! probability of an outcome, from one set of runs.
//!
//! For a signpost S and a date D, the runs split into those where S had happened by the end of
//! D and the rest. Counting, over n runs, a runs with S by D, k runs with the outcome, and b of
//! the a with the outcome (c = k − b of the others):
//!
//! - P(S by D) = a / n, P(outcome | S by D) = b / a, P(outcome | not S by D) = c / (n − a);
//! - the law of total probability holds exactly, in the integers: b + c = k;
//! - lift = P(outcome | S) / P(outcome) = b·n / (a·k), with a delta-method interval on its log;
//! - expected shift = E|P(outcome | what is seen of S by D) − P(outcome)|
//!   = 2·P(S)·(1 − P(S))·|P(outcome | S) − P(outcome | not S)|: how far, on average, watching S
//!   moves the forecast. A signpost that is almost certain either way moves it little however
//!   telling it would be, so this is the order in which signposts are worth watching.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use jiff::civil::Date;

use crate::manifest::WatchDetail;
use crate::per_run::{Columns, Needs, Source};
use crate::scenario::diag::clip;
use crate::stats::{Z95, wilson};
use crate::table::thousands;
use crate::trace::Op;

/// What counts as the outcome in a run: an event metric happening (by the horizon), or a
/// quantity meeting a condition (`war_days>=30`).
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Index into the event names.
    Event(usize),
    /// Index into the quantity names, and the condition.
    Quantity { q: usize, op: Op, value: f64 },
}

impl Outcome {
    /// Parses `METRIC` (an event) or `QUANTITY OP NUMBER` (OP: >=, <=, >, <, =) against the
    /// names of a result's event metrics and quantities.
    pub fn parse(text: &str, events: &[&str], quantities: &[&str]) -> Result<Outcome, String> {
        let split = Op::split(text);
        let name = split.map_or(text.trim(), |(l, _, _)| l);
        if let Some(i) = events.iter().position(|e| *e == name) {
            return match split {
                None => Ok(Outcome::Event(i)),
                Some(_) => Err(format!(
                    "`{name}` is an event metric: give it alone, e.g. --outcome {name}"
                )),
            };
        }
        let Some(q) = quantities.iter().position(|x| *x == name) else {
            let all: Vec<&str> = events.iter().chain(quantities).copied().collect();
            return Err(format!(
                "no metric `{name}` in the results; {}",
                crate::scenario::diag::suggest(name, &all)
            ));
        };
        let Some((_, op, rhs)) = split else {
            return Err(format!(
                "`{name}` is a quantity, not an event: give a condition, e.g. --outcome \
                 '{name}>=1'"
            ));
        };
        match rhs.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Outcome::Quantity { q, op, value }),
            _ => Err(format!(
                "`{rhs}` is not a number in the outcome `{text}`; write e.g. --outcome \
                 '{name}>=1'"
            )),
        }
    }

    /// Whether a run shows the outcome: `first` are its event metrics' first days (None: never)
    /// and `values` its quantities (None: undefined in that run, which never meets a
    /// condition).
    pub fn holds(&self, first: &[Option<u32>], values: &[Option<f64>]) -> bool {
        match *self {
            Outcome::Event(i) => first[i].is_some(),
            Outcome::Quantity { q, op, value } => values[q].is_some_and(|v| op.holds(v, value)),
        }
    }
}

/// The counts behind one (signpost, date) row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// n: all runs.
    pub runs: u64,
    /// a: runs in which the signpost had happened by the date.
    pub signpost: u64,
    /// k: runs with the outcome.
    pub outcome: u64,
    /// b: runs with both.
    pub both: u64,
    /// Runs in which the outcome (an event) had itself happened by the date.
    pub outcome_by_date: u64,
}

impl Counts {
    /// c = k − b: runs with the outcome but not the signpost by the date.
    pub fn outcome_without(&self) -> u64 {
        self.outcome - self.both
    }
}

/// A share with its Wilson 95% interval; NaN when the denominator is 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

fn share(k: u64, n: u64) -> Share {
    if n == 0 {
        return Share {
            value: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let (low, high) = wilson(k, n, Z95);
    Share {
        value: k as f64 / n as f64,
        low,
        high,
    }
}

/// The statistics of one (signpost, date) row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub signpost: Share,
    pub outcome: f64,
    pub if_signpost: Share,
    pub if_not: Share,
    pub lift: Share,
    pub shift: f64,
}

/// The row's statistics from its counts.
pub fn stats(c: &Counts) -> Stats {
    let n = c.runs;
    let signpost = share(c.signpost, n);
    let if_signpost = share(c.both, c.signpost);
    let if_not = share(c.outcome_without(), n - c.signpost);
    let outcome = if n > 0 {
        c.outcome as f64 / n as f64
    } else {
        f64::NAN
    };
    let shift = match (if_signpost.value.is_nan(), if_not.value.is_nan()) {
        // A signpost that always or never happens moves nothing.
        (true, _) | (_, true) => 0.0,
        _ => {
            2.0 * signpost.value * (1.0 - signpost.value) * (if_signpost.value - if_not.value).abs()
        }
    };
    Stats {
        signpost,
        outcome,
        if_signpost,
        if_not,
        lift: lift(c),
        shift,
    }
}

/// Lift P(outcome | S) / P(outcome) = b·n / (a·k), with a 95% interval from the multinomial
/// delta method on its log: with cell shares p11 = b/n, p10 = (a − b)/n, p01 = (k − b)/n and
/// margins pS = a/n, pO = k/n, Var(log lift) ≈ [p11·(1/p11 − 1/pS − 1/pO)² + p10/pS² +
/// p01/pO² − 1] / n. NaN where undefined (no run with both).
pub fn lift(c: &Counts) -> Share {
    let nan = Share {
        value: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
    };
    let (n, a, k, b) = (
        c.runs as f64,
        c.signpost as f64,
        c.outcome as f64,
        c.both as f64,
    );
    if c.signpost == 0 || c.outcome == 0 {
        return nan;
    }
    let value = b * n / (a * k);
    if c.both == 0 {
        return Share { value, ..nan };
    }
    let (p11, p10, p01, ps, po) = (b / n, (a - b) / n, (k - b) / n, a / n, k / n);
    let g = 1.0 / p11 - 1.0 / ps - 1.0 / po;
    let var = ((p11 * g * g + p10 / (ps * ps) + p01 / (po * po) - 1.0) / n).max(0.0);
    let half = Z95 * var.sqrt();
    Share {
        value,
        low: crate::math::exp(crate::math::ln(value) - half),
        high: crate::math::exp(crate::math::ln(value) + half),
    }
}

/// A watch study, checked against a result's columns: the outcome, the signposts and the
/// dates they are seen by.
#[derive(Clone, Debug)]
pub struct Watch {
    pub outcome: Outcome,
    /// The outcome as given (trimmed).
    pub outcome_text: String,
    /// Signposts, as indices into the event metrics.
    pub signposts: Vec<usize>,
    /// The event metrics' ids.
    pub events: Vec<String>,
    pub dates: Vec<Date>,
    /// `dates` as day indices.
    pub days: Vec<u32>,
}

/// The options as the user gave them (`--outcome`, `--signposts`, `--by`).
#[derive(Clone, Debug, Default)]
pub struct Options<'a> {
    pub outcome: &'a str,
    pub signposts: &'a [String],
    pub by: &'a [String],
}

impl Watch {
    /// Checks the options against the runs' columns and calendar (`start` to `last`); the
    /// error is the message to show.
    pub fn new(cols: &Columns, o: &Options, start: Date, last: Date) -> Result<Watch, String> {
        let outcome = cols.outcome(o.outcome)?;
        let (events, _) = cols.names();
        let names: Vec<&str> = events.iter().map(String::as_str).collect();
        let signposts: Vec<usize> = if o.signposts.is_empty() {
            (0..events.len())
                .filter(|&i| outcome != Outcome::Event(i))
                .collect()
        } else {
            let mut out = Vec::new();
            for s in o.signposts {
                let s = s.trim();
                match names.iter().position(|e| *e == s) {
                    Some(i) => out.push(i),
                    None => {
                        let help = crate::scenario::diag::suggest(s, &names);
                        return Err(format!(
                            "error: --signposts: no event metric `{}` in the results\n  = help: \
                             {help}\n",
                            clip(s, 80)
                        ));
                    }
                }
            }
            out
        };
        if signposts.is_empty() {
            return Err(
                "error: no signpost to watch: the results have no other event metric\n".into(),
            );
        }
        let dates: Vec<Date> = if o.by.is_empty() {
            crate::score::month_ends(start, last)
        } else {
            let mut out = Vec::new();
            for b in o.by {
                let d = b.trim().parse::<Date>().map_err(|_| {
                    format!(
                        "error: --by `{}` is not a date\n  = help: write an ISO date between \
                         {start} and {last}\n",
                        clip(b, 80)
                    )
                })?;
                if d < start || d > last {
                    return Err(format!(
                        "error: --by {d} is outside the runs, which cover {start} to {last}\n"
                    ));
                }
                out.push(d);
            }
            out.sort();
            out.dedup();
            out
        };
        if dates.is_empty() {
            return Err(format!(
                "error: the runs ({start} to {last}) hold no month end; give dates with --by\n"
            ));
        }
        let days = dates
            .iter()
            .map(|&d| (d - start).get_days() as u32)
            .collect();
        Ok(Watch {
            outcome,
            outcome_text: o.outcome.trim().to_string(),
            signposts,
            events,
            dates,
            days,
        })
    }

    /// The values of a row the counting reads.
    pub fn needs(&self) -> Needs {
        let mut n = Needs::outcome(&self.outcome);
        for &s in &self.signposts {
            n.add_event(s);
        }
        n
    }

    /// Counts every (signpost, date) over the rows of `runs`, in one pass; `None` if the stop
    /// flag was raised (checked every 4096 runs), with the runs read so far.
    pub fn tally(
        &self,
        runs: &mut dyn Source,
        stop: &AtomicBool,
    ) -> Result<Result<Tally, u64>, String> {
        let mut row = runs.columns().row();
        let mut counts = vec![Counts::default(); self.signposts.len() * self.days.len()];
        let (mut n, mut k) = (0u64, 0u64);
        while runs.next(&mut row)? {
            if n.is_multiple_of(4096) && stop.load(Relaxed) {
                return Ok(Err(n));
            }
            n += 1;
            let o = self.outcome.holds(&row.first, &row.values);
            k += u64::from(o);
            let o_first = match self.outcome {
                Outcome::Event(i) => row.first[i],
                Outcome::Quantity { .. } => None,
            };
            for (si, &s) in self.signposts.iter().enumerate() {
                let f = row.first[s];
                for (di, &d) in self.days.iter().enumerate() {
                    let c = &mut counts[si * self.days.len() + di];
                    let seen = f.is_some_and(|f| f <= d);
                    c.signpost += u64::from(seen);
                    c.both += u64::from(seen && o);
                    c.outcome_by_date += u64::from(o_first.is_some_and(|f| f <= d));
                }
            }
        }
        if stop.load(Relaxed) {
            return Ok(Err(n));
        }
        Ok(Ok(Tally { counts, n, k }))
    }

    /// The rows of watch.csv, most informative first (by expected shift; ties in file order,
    /// then by date).
    pub fn rows(&self, t: &Tally) -> Vec<Row> {
        let mut rows: Vec<Row> = Vec::new();
        for si in 0..self.signposts.len() {
            for di in 0..self.days.len() {
                let mut c = t.counts[si * self.days.len() + di];
                c.runs = t.n;
                c.outcome = t.k;
                rows.push(Row {
                    signpost: si,
                    date: di,
                    counts: c,
                    stats: stats(&c),
                });
            }
        }
        rows.sort_by(|a, b| {
            b.stats
                .shift
                .total_cmp(&a.stats.shift)
                .then(a.signpost.cmp(&b.signpost))
                .then(a.date.cmp(&b.date))
        });
        rows
    }

    /// The id of a row's signpost.
    pub fn name(&self, r: &Row) -> &str {
        &self.events[self.signposts[r.signpost]]
    }

    /// The manifest's detail; `results` names the result read.
    pub fn detail(&self, results: String) -> WatchDetail {
        WatchDetail {
            results,
            outcome: self.outcome_text.clone(),
            signposts: self
                .signposts
                .iter()
                .map(|&s| self.events[s].clone())
                .collect(),
            by: self.dates.iter().map(|d| d.to_string()).collect(),
        }
    }

    /// The table `brink watch` prints.
    pub fn text(&self, t: &Tally, rows: &[Row]) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "What to watch for {} ({} of {} runs), most telling first:",
            clip(&self.outcome_text, 80),
            pct(t.k as f64 / t.n as f64),
            thousands(t.n)
        );
        let _ = writeln!(
            s,
            "{:<30} {:<10} {:>7} {:>22} {:>22} {:>6} {:>7}",
            "signpost", "by", "P(S)", "P(O | S) [95% CI]", "P(O | not S) [95% CI]", "lift", "shift"
        );
        for r in rows {
            let st = &r.stats;
            let _ = writeln!(
                s,
                "{:<30} {:<10} {:>7} {:>22} {:>22} {:>6} {:>7.4}",
                clip(self.name(r), 80),
                self.dates[r.date],
                pct(st.signpost.value),
                pct_ci(&st.if_signpost),
                pct_ci(&st.if_not),
                if st.lift.value.is_nan() {
                    "—".into()
                } else {
                    format!("{:.2}", st.lift.value)
                },
                st.shift
            );
        }
        s
    }
}

/// The counts of a watch study over its runs.
#[derive(Clone, Debug)]
pub struct Tally {
    /// By signpost, then date.
    pub counts: Vec<Counts>,
    /// Runs read.
    pub n: u64,
    /// Runs with the outcome.
    pub k: u64,
}

/// One row of watch.csv.
#[derive(Clone, Debug)]
pub struct Row {
    /// Index into `Watch::signposts`.
    pub signpost: usize,
    /// Index into `Watch::dates`.
    pub date: usize,
    pub counts: Counts,
    pub stats: Stats,
}

fn pct(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

fn pct_ci(s: &Share) -> String {
    if s.value.is_nan() {
        "—".into()
    } else {
        format!(
            "{:.1}% [{:.1}, {:.1}]",
            100.0 * s.value,
            100.0 * s.low,
            100.0 * s.high
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worked_table() {
        // 1000 runs, the signpost in 200, the outcome in 100, both in 60.
        let c = Counts {
            runs: 1000,
            signpost: 200,
            outcome: 100,
            both: 60,
            outcome_by_date: 0,
        };
        let s = stats(&c);
        assert_eq!(s.signpost.value, 0.2);
        assert_eq!(s.if_signpost.value, 0.3);
        assert_eq!(s.if_not.value, 0.05);
        assert!((s.lift.value - 3.0).abs() < 1e-12);
        assert!((s.shift - 2.0 * 0.2 * 0.8 * 0.25).abs() < 1e-12);
        // P(S)·P(O|S) + P(not S)·P(O|not S) = P(O).
        let total =
            s.signpost.value * s.if_signpost.value + (1.0 - s.signpost.value) * s.if_not.value;
        assert!((total - s.outcome).abs() < 1e-15);
        assert!(s.lift.low < 3.0 && 3.0 < s.lift.high);
    }

    #[test]
    fn an_independent_signpost_has_lift_one_and_no_shift() {
        let c = Counts {
            runs: 10_000,
            signpost: 5000,
            outcome: 1000,
            both: 500,
            outcome_by_date: 0,
        };
        let s = stats(&c);
        assert!((s.lift.value - 1.0).abs() < 1e-12);
        assert_eq!(s.shift, 0.0);
        // The delta-method half-width of log lift: with p11 = .05, pS = .5, pO = .1,
        // g = 20 − 2 − 10 = 8, var·n = .05·64 + .45/.25 + .05/.01 − 1 = 3.2 + 1.8 + 5 − 1 = 9.
        let half = (crate::math::ln(s.lift.high) - crate::math::ln(s.lift.low)) / 2.0;
        assert!((half - Z95 * (9.0f64 / 10_000.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn outcomes_read_as_find_conditions() {
        let ev = ["a", "b"];
        let qs = ["war_days"];
        assert_eq!(Outcome::parse("b", &ev, &qs), Ok(Outcome::Event(1)));
        assert_eq!(
            Outcome::parse("war_days >= 30", &ev, &qs),
            Ok(Outcome::Quantity {
                q: 0,
                op: Op::Ge,
                value: 30.0
            })
        );
        assert!(
            Outcome::parse("war_day>=3", &ev, &qs)
                .unwrap_err()
                .contains("did you mean")
        );
        assert!(Outcome::parse("war_days", &ev, &qs).is_err());
        let o = Outcome::parse("war_days>=30", &ev, &qs).unwrap();
        assert!(o.holds(&[None, None], &[Some(30.0)]));
        assert!(!o.holds(&[None, None], &[None]));
    }
}
