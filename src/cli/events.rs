//! The event log as CSV: shared by `brink trace --csv` and `brink run --events N`, so both
//! write exactly the same columns (`brink::trace::CSV_HEADER`).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use brink::engine::Engine;
use brink::model::Scenario;
use brink::trace::{CSV_HEADER, Trace, csv_rows, trace_in};

use super::output::{atomic, csv_file_writer};

/// Writes the header and the events of `traces` as CSV.
pub fn write<W: Write>(w: W, sc: &Scenario, traces: &[Trace]) -> anyhow::Result<()> {
    let mut c = csv_file_writer(w);
    c.write_record(CSV_HEADER)?;
    for t in traces {
        for r in csv_rows(sc, t) {
            c.write_record(&r)?;
        }
    }
    c.flush()?;
    Ok(())
}

/// Writes events.csv in `dir` for runs `0..n`, one run at a time so memory stays that of one
/// run's events.
pub fn write_file(dir: &Path, engine: &Engine, n: u64) -> anyhow::Result<()> {
    let sc = engine.scenario;
    atomic(dir, "events.csv", |w| {
        let mut c = csv_file_writer(w);
        c.write_record(CSV_HEADER)?;
        let mut ws = engine.workspace();
        for run in 0..n {
            let t = trace_in(engine, &mut ws, run);
            for r in csv_rows(sc, &t) {
                c.write_record(&r)?;
            }
        }
        c.flush()?;
        Ok(())
    })
    .context("cannot write events.csv")
}
