//! The event log as CSV: shared by `brink trace --csv` and `brink run --events N`, so both
//! write exactly the same columns (`brink::table::events_columns`).

use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use brink::engine::Engine;
use brink::model::Scenario;
use brink::table::{self, events_columns};
use brink::trace::{Trace, trace_in};

use super::output::{Pending, csv_file_writer, header, record};

/// Writes the header and the events of `traces` as CSV.
pub fn write<W: Write>(w: W, sc: &Scenario, traces: &[Trace]) -> anyhow::Result<()> {
    let mut c = csv_file_writer(w);
    header(&mut c, &events_columns())?;
    for t in traces {
        table::events(sc, t, |cells| record(&mut c, cells))?;
    }
    c.flush()?;
    Ok(())
}

/// Writes events.csv in `dir` for runs `0..n`, one run at a time so memory stays that of one
/// run's events. False, with nothing written, if `stop` was raised first.
pub fn write_file(dir: &Path, engine: &Engine, n: u64, stop: &AtomicBool) -> anyhow::Result<bool> {
    let sc = engine.scenario;
    let file = Pending::new(dir, "events.csv")?;
    let mut c = csv_file_writer(file.writer()?);
    header(&mut c, &events_columns())?;
    let mut ws = engine.workspace();
    let mut failed = None;
    let done = brink::study::each(0..n, stop, |run| {
        if failed.is_some() {
            return;
        }
        let t = trace_in(engine, &mut ws, run);
        if let Err(e) = table::events(sc, &t, |cells| record(&mut c, cells)) {
            failed = Some(e);
        }
    });
    if let Some(e) = failed {
        return Err(anyhow::Error::from(e).context("cannot write events.csv"));
    }
    if !done {
        return Ok(false);
    }
    c.flush().context("cannot write events.csv")?;
    drop(c);
    file.commit().context("cannot write events.csv")?;
    Ok(true)
}
