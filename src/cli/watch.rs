//! `brink watch`: which events, seen by a date, move an outcome's probability most.
//!
//! Usage: brink watch RESULTS --outcome METRIC [--signposts M1,M2,...] [--by DATE,...]
//!        [--out DIR] [--force] [--quiet]
//!
//! RESULTS is a `brink run --per-run` result (or a scenario's folder of runs: its latest); its
//! runs.csv is streamed once. For every signpost S (an event metric; by default all but the
//! outcome) and every date D (by default month ends), it counts the runs in which S had
//! happened by the end of D, and among them and the rest those with the outcome (an event
//! metric by the horizon, or a quantity condition such as 'war_days>=30'): P(S by D),
//! P(outcome | S by D), P(outcome | not S by D) with Wilson intervals, the lift with a
//! delta-method interval and the expected shift (`brink::watch`). Rows are sorted by the
//! expected shift. From one set of runs, so P(S)·P(O|S) + P(not S)·P(O|not S) = P(O) holds
//! exactly: the counts are integers and b + c = k. Writes watch.csv and manifest.json into DIR
//! (default results/<scenario name>_watch/<UTC time>/, linked as latest) and the table to
//! stdout.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;

use brink::watch::{Counts, Outcome, Stats, stats};
use serde::Serialize;

use super::output::{atomic, csv_file_writer};
use super::study::{Manifest, OutArgs, RunResult, Session, WriteManifest};
use super::{Failure, Result, outdir, quote, runs_csv};
use brink::table::{guard as cell, num};

/// The files of `brink watch`.
pub const WATCH_FILES: &[&str] = &["watch.csv", "manifest.json"];

#[derive(clap::Args, Debug)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: a new folder results/<scenario name>_watch/<UTC time>/, \
     linked as latest]"
)))]
pub struct Args {
    /// Results of `brink run --per-run`, or a scenario's folder of runs (its `latest`).
    pub results: PathBuf,
    /// The outcome: an event metric, or a quantity with a condition such as 'war_days>=30'.
    #[arg(long, value_name = "METRIC")]
    pub outcome: String,
    /// Signpost event metrics [default: every event metric but the outcome].
    #[arg(long, value_name = "M1,M2,...", value_delimiter = ',')]
    pub signposts: Vec<String>,
    /// Dates by which a signpost is seen (repeatable, or comma-separated) [default: month
    /// ends].
    #[arg(long, value_name = "DATE", value_delimiter = ',')]
    pub by: Vec<String>,
    #[command(flatten)]
    pub output: OutArgs,
}

#[derive(Serialize)]
struct Detail {
    results: String,
    outcome: String,
    signposts: Vec<String>,
    by: Vec<String>,
}

struct Row {
    signpost: usize,
    date: usize,
    counts: Counts,
    stats: Stats,
}

pub fn run(args: Args) -> Result<()> {
    let session = Session::start(Some(1))?;
    let dir = outdir::resolve(&args.results)?;
    let m = RunResult::read(&dir, "watch")?;
    let mut runs = runs_csv::open(&dir, &m, "watch")?;
    let outcome = runs.columns.outcome(&args.outcome)?;
    let (event_ids, quantity_ids) = runs.columns.names();
    let events: Vec<&str> = event_ids.iter().map(String::as_str).collect();
    let quantities = quantity_ids.len();
    let signposts: Vec<usize> = if args.signposts.is_empty() {
        (0..events.len())
            .filter(|&i| outcome != Outcome::Event(i))
            .collect()
    } else {
        let mut out = Vec::new();
        for s in &args.signposts {
            let s = s.trim();
            match events.iter().position(|e| *e == s) {
                Some(i) => out.push(i),
                None => {
                    let help = brink::scenario::diag::suggest(s, &events);
                    return Err(Failure::Input(format!(
                        "error: --signposts: no event metric `{}` in the results\n  = help: \
                         {help}\n",
                        quote(s)
                    )));
                }
            }
        }
        out
    };
    if signposts.is_empty() {
        return Err(Failure::Input(
            "error: no signpost to watch: the results have no other event metric\n".into(),
        ));
    }
    let horizon = m.horizon();
    let (start, last) = (m.start(), m.date(horizon.saturating_sub(1)));
    let dates: Vec<jiff::civil::Date> = if args.by.is_empty() {
        brink::score::month_ends(start, last)
    } else {
        let mut out = Vec::new();
        for b in &args.by {
            let d = b.trim().parse::<jiff::civil::Date>().map_err(|_| {
                Failure::Input(format!(
                    "error: --by `{}` is not a date\n  = help: write an ISO date between \
                     {start} and {last}\n",
                    quote(b)
                ))
            })?;
            if d < start || d > last {
                return Err(Failure::Input(format!(
                    "error: --by {d} is outside the runs, which cover {start} to {last}\n"
                )));
            }
            out.push(d);
        }
        out.sort();
        out.dedup();
        out
    };
    if dates.is_empty() {
        return Err(Failure::Input(format!(
            "error: the runs ({start} to {last}) hold no month end; give dates with --by\n"
        )));
    }
    let days: Vec<u32> = dates
        .iter()
        .map(|&d| (d - start).get_days() as u32)
        .collect();
    let inputs = [dir.join("manifest.json"), dir.join("runs.csv")];
    let out = args
        .output
        .prepare(&format!("{}_watch", m.scenario.name), WATCH_FILES, &inputs)?;

    // One pass over the runs: integer counts per (signpost, date).
    let (ne, nq) = (events.len(), quantities);
    let mut first = vec![None; ne];
    let mut values = vec![None; nq];
    let mut params = vec![0.0; runs.columns.params.len()];
    let mut counts = vec![Counts::default(); signposts.len() * days.len()];
    let mut n = 0u64;
    let mut k = 0u64;
    while runs.next(&mut first, &mut values, &mut params)? {
        if n.is_multiple_of(4096) && session.stop.load(Relaxed) {
            break;
        }
        n += 1;
        let o = outcome.holds(&first, &values);
        k += u64::from(o);
        let o_first = match outcome {
            Outcome::Event(i) => first[i],
            Outcome::Quantity { .. } => None,
        };
        for (si, &s) in signposts.iter().enumerate() {
            let f = first[s];
            for (di, &d) in days.iter().enumerate() {
                let c = &mut counts[si * days.len() + di];
                let seen = f.is_some_and(|f| f <= d);
                c.signpost += u64::from(seen);
                c.both += u64::from(seen && o);
                c.outcome_by_date += u64::from(o_first.is_some_and(|f| f <= d));
            }
        }
    }
    if session.stopped() {
        return Err(session.interrupted(n, n, "runs read", &out));
    }
    if n == 0 {
        return Err(Failure::Input(format!(
            "error: `{}` holds no runs\n",
            runs.path.display()
        )));
    }
    let mut rows: Vec<Row> = Vec::new();
    for si in 0..signposts.len() {
        for di in 0..days.len() {
            let mut c = counts[si * days.len() + di];
            c.runs = n;
            c.outcome = k;
            rows.push(Row {
                signpost: si,
                date: di,
                counts: c,
                stats: stats(&c),
            });
        }
    }
    // Most informative first; ties in file order, then by date.
    rows.sort_by(|a, b| {
        b.stats
            .shift
            .total_cmp(&a.stats.shift)
            .then(a.signpost.cmp(&b.signpost))
            .then(a.date.cmp(&b.date))
    });
    let outcome_text = args.outcome.trim().to_string();
    let name = |r: &Row| events[signposts[r.signpost]];
    atomic(out.staging(), "watch.csv", |w| {
        let mut c = csv_file_writer(w);
        c.write_record([
            "outcome",
            "signpost",
            "date",
            "day",
            "runs",
            "signpost_runs",
            "outcome_runs",
            "outcome_with_signpost_runs",
            "outcome_without_signpost_runs",
            "outcome_by_date_runs",
            "signpost_probability",
            "signpost_ci_low",
            "signpost_ci_high",
            "outcome_probability",
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
        ])?;
        for r in &rows {
            let (x, s) = (&r.counts, &r.stats);
            let by_date = match outcome {
                Outcome::Event(_) => x.outcome_by_date.to_string(),
                Outcome::Quantity { .. } => String::new(),
            };
            c.write_record([
                cell(&outcome_text).into_owned(),
                cell(name(r)).into_owned(),
                dates[r.date].to_string(),
                days[r.date].to_string(),
                x.runs.to_string(),
                x.signpost.to_string(),
                x.outcome.to_string(),
                x.both.to_string(),
                x.outcome_without().to_string(),
                by_date,
                num(s.signpost.value),
                num(s.signpost.low),
                num(s.signpost.high),
                num(s.outcome),
                num(s.if_signpost.value),
                num(s.if_signpost.low),
                num(s.if_signpost.high),
                num(s.if_not.value),
                num(s.if_not.low),
                num(s.if_not.high),
                num(s.lift.value),
                num(s.lift.low),
                num(s.lift.high),
                num(s.shift),
            ])?;
        }
        c.flush()?;
        Ok(())
    })?;
    let detail = Detail {
        results: dir.display().to_string(),
        outcome: outcome_text.clone(),
        signposts: signposts.iter().map(|&s| events[s].to_string()).collect(),
        by: dates.iter().map(|d| d.to_string()).collect(),
    };
    Manifest::new(
        "watch",
        m.scenario.clone(),
        m.seed,
        n,
        detail,
        session.invocation(),
    )
    .write(out.staging())?;
    let names: Vec<&str> = signposts.iter().map(|&s| events[s]).collect();
    let table = table(&outcome_text, n, k, &rows, &names, &dates);
    let written = session.commit(out)?;
    {
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(table.as_bytes());
    }
    if !args.output.quiet {
        say!("brink: wrote {}", written.display());
    }
    Ok(())
}

fn pct(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

fn pct_ci(s: &brink::watch::Share) -> String {
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

fn table(
    outcome: &str,
    n: u64,
    k: u64,
    rows: &[Row],
    names: &[&str],
    dates: &[jiff::civil::Date],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "What to watch for {} ({} of {} runs), most telling first:",
        quote(outcome),
        pct(k as f64 / n as f64),
        super::charts::num::thousands(n)
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
            quote(names[r.signpost]),
            dates[r.date],
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
