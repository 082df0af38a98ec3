//! Opening runs.csv for the commands that read each run's outcomes (`watch`, `discover`): the
//! file is streamed row by row through `brink::per_run::CsvRows`, which knows its columns.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use brink::per_run::CsvRows;

use super::study::RunResult;
use super::{Failure, Result};

/// An open runs.csv.
pub type Runs = CsvRows<BufReader<File>>;

/// Opens `dir/runs.csv` and reads its header; `command` names the command in messages.
pub fn open(dir: &Path, m: &RunResult, command: &str) -> Result<Runs> {
    let path = dir.join("runs.csv");
    let file = File::open(&path).map_err(|e| {
        Failure::Input(format!(
            "error: cannot read `{}`: {e}\n  = help: `brink {command}` needs each run's \
             outcomes: run the scenario with `brink run --per-run`\n",
            path.display()
        ))
    })?;
    CsvRows::new(
        BufReader::new(file),
        &path.display().to_string(),
        &m.uncertain(),
    )
    .map_err(Failure::Input)
}

/// Refuses a runs.csv whose row count is not the `runs` its manifest records: a copy cut short
/// at a row boundary (or two files run together) reads as valid CSV, and would silently give
/// another answer than the result it sits in.
pub fn check_count(runs: &Runs, read: u64, m: &RunResult) -> Result<()> {
    if read == m.runs {
        return Ok(());
    }
    Err(Failure::Input(format!(
        "error: `{}` holds {read} runs, but the result's manifest.json records {}\n  = help: \
         the file is incomplete or belongs to another run; run the scenario again with \
         `brink run --per-run`\n",
        runs.shown(),
        m.runs
    )))
}
